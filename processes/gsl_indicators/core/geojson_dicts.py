"""GeoJSON geometry dicts of shapely geometries, made from coordinate arrays.

An output feature read from a file gets its geometry as a GeoJSON dict. The plain road
— GEOS writes each geometry's GeoJSON text (``shapely.to_geojson``) and ``orjson``
parses it back — makes and parses a text per feature. For the shapes that make up large
layers (2-D points, polygons and multipolygons) the same dicts are built here straight
from the coordinate arrays (``shapely.to_ragged_array``), about twice as fast (650,000
homes: the document's geometries took ~4 s of the parent's serial time). GEOS writes
coordinates with round-trip precision, so the floats are the very same: a property
test compares both roads on every kind of geometry. Anything else — lines,
collections, empty or 3-D geometries, non-finite coordinates — takes the plain road.

An output feature read from a file holds its geometry as text (:func:`geometry_texts`,
a :class:`~gsl_indicators.core.canonical.RawJSON` each): the very bytes canonical JSON
writes for its dict, cut out of one text of every coordinate (``orjson`` writes the
coordinate array once), with no dict, list or float object per coordinate (650,000
homes, 10,000 at a time: 4.0 → 1.5 s, 619 → 159 MB held; their canonical JSON
0.35 → 0.17 s).

The way back (:func:`shapes`, for the exports: GeoParquet, FlatGeobuf, GeoPackage)
likewise makes 2-D points, polygons and multipolygons from their coordinate lists at
once (``shapely.from_ragged_array``) instead of GEOS reading a text per feature
(650,000 homes: 4.4 → ~1 s); the same geometries, down to the WKB bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import orjson
import shapely

from gsl_indicators.core.canonical import RawJSON, canonical_json

__all__ = [
    "from_coordinates",
    "geometry_dicts",
    "geometry_texts",
    "plain_geometry_dicts",
    "plain_shapes",
    "shapes",
]

_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6
_FAST = frozenset(("Point", "Polygon", "MultiPolygon"))  # the kinds made from coordinates


def plain_geometry_dicts(geoms: np.ndarray) -> list[Any]:
    """Return each geometry's GeoJSON dict through GEOS's text (``None`` for ``None``)."""
    texts = shapely.to_geojson(np.asarray(geoms, dtype=object))
    return [None if t is None else orjson.loads(t) for t in texts]


def _slices(items: list[Any], offsets: np.ndarray) -> list[Any]:
    return [items[a:b] for a, b in pairwise(offsets.tolist())]


def _by_kind(kind: int, geoms: np.ndarray) -> list[Any]:
    """Return the dicts of 2-D, non-empty, finite geometries all of type ``kind``."""
    _, coords, offsets = shapely.to_ragged_array(geoms)
    c = coords.tolist()
    if kind == _POINT:
        return [{"type": "Point", "coordinates": xy} for xy in c]
    rings = _slices(c, offsets[0])
    if kind == _POLYGON:
        return [{"type": "Polygon", "coordinates": p} for p in _slices(rings, offsets[1])]
    polygons = _slices(rings, offsets[1])
    return [{"type": "MultiPolygon", "coordinates": m} for m in _slices(polygons, offsets[2])]


def from_coordinates(geoms: np.ndarray) -> np.ndarray:
    """Return which geometries :func:`geometry_dicts` makes from their coordinate arrays.

    2-D, non-empty points, polygons and multipolygons with finite bounds and no empty
    part; ``False`` for ``None`` and anything else (GEOS's text road).

    Examples
    --------
    >>> from_coordinates(np.array([shapely.Point(1, 2), None, shapely.Point(1, 2, 3),
    ...     shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])])).tolist()
    [True, False, False, True, False]
    """
    geoms = np.asarray(geoms, dtype=object)
    kinds = shapely.get_type_id(geoms)  # -1 for None
    fast = ~shapely.is_missing(geoms) & np.isin(kinds, (_POINT, _POLYGON, _MULTIPOLYGON))
    if fast.any():
        f = np.flatnonzero(fast)
        g = geoms[f]
        # M values: GEOS's GeoJSON leaves them out, the ragged arrays would not
        ok = ~shapely.is_empty(g) & ~shapely.has_z(g) & ~shapely.has_m(g)
        bounds = shapely.bounds(g)
        ok &= np.isfinite(bounds).all(axis=1)
        multi = np.flatnonzero(ok & (kinds[f] == _MULTIPOLYGON))
        if len(multi):  # a multipolygon with an empty part: GEOS writes it as [[]]
            parts, owner = shapely.get_parts(g[multi], return_index=True)
            ok[multi[np.unique(owner[shapely.is_empty(parts)])]] = False
        fast[f[~ok]] = False
    return fast


def _by_road(
    geoms: np.ndarray,
    fast_road: Callable[[int, np.ndarray], list[Any]],
    plain_road: Callable[[np.ndarray], list[Any]],
) -> list[Any]:
    """Return each geometry made by its road (``None`` for none).

    Those made from coordinates (:func:`from_coordinates`) by ``fast_road(kind, those)``,
    one kind at a time; the rest by ``plain_road(those)``.
    """
    geoms = np.asarray(geoms, dtype=object)
    out: list[Any] = [None] * len(geoms)
    if not len(geoms):
        return out
    present = ~shapely.is_missing(geoms)
    kinds = shapely.get_type_id(geoms)  # -1 for None
    fast = from_coordinates(geoms)
    for kind in (_POINT, _POLYGON, _MULTIPOLYGON):
        at = np.flatnonzero(fast & (kinds == kind))
        if len(at):
            for i, made in zip(at.tolist(), fast_road(kind, geoms[at]), strict=True):
                out[i] = made
    rest = np.flatnonzero(present & ~fast)
    if len(rest):
        for i, made in zip(rest.tolist(), plain_road(geoms[rest]), strict=True):
            out[i] = made
    return out


def geometry_dicts(geoms: np.ndarray) -> list[Any]:
    """Return each geometry's GeoJSON dict (``None`` for ``None``), as GEOS would write it.

    Equal to :func:`plain_geometry_dicts`, faster for 2-D points, polygons and
    multipolygons.

    Examples
    --------
    >>> g = np.array([shapely.Point(1, 2), None, shapely.box(0, 0, 1, 1),
    ...               shapely.LineString([(0, 0), (1, 1)])], dtype=object)
    >>> d = geometry_dicts(g)
    >>> d[0], d[1], d[2]["coordinates"][0][:2], d[3]["type"]
    ({'type': 'Point', 'coordinates': [1.0, 2.0]}, None, [[1.0, 0.0], [1.0, 1.0]], 'LineString')
    >>> d == plain_geometry_dicts(g)
    True
    """
    return _by_road(geoms, _by_kind, plain_geometry_dicts)


def _texts_by_kind(kind: int, geoms: np.ndarray) -> list[bytes]:
    """Return the canonical GeoJSON texts of 2-D, non-empty, finite geometries all of ``kind``.

    ``orjson`` writes every coordinate pair once, as ``[[x,y],[x,y],...]``; each
    point's ``[x,y]`` starts at a ``[`` (no number holds one), so a ring is one slice
    of that text from its first point's start to its last point's end.
    """
    _, coords, offsets = shapely.to_ragged_array(geoms)
    text = orjson.dumps(coords, option=orjson.OPT_SERIALIZE_NUMPY)
    starts = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("["))[1:]
    ends = np.append(starts[1:] - 1, len(text) - 1)  # the comma after a point, or the last "]"
    if kind == _POINT:
        return [
            b'{"coordinates":' + text[a:b] + b',"type":"Point"}'
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    full = np.diff(offsets[0]) > 0  # an empty ring (a hole) has no point: "[]"
    ring_start = starts[np.where(full, offsets[0][:-1], 0)].tolist()
    ring_end = ends[np.where(full, offsets[0][1:] - 1, 0)].tolist()
    if kind == _POLYGON and full.all() and (np.diff(offsets[1]) == 1).all():  # a slice each
        return [
            b'{"coordinates":[[' + text[a:b] + b']],"type":"Polygon"}'
            for a, b in zip(ring_start, ring_end, strict=True)
        ]
    rings = [
        b"[" + text[a:b] + b"]" if f else b"[]"
        for a, b, f in zip(ring_start, ring_end, full.tolist(), strict=True)
    ]
    if kind == _POLYGON:
        return [
            b'{"coordinates":[' + b",".join(rings[a:b]) + b'],"type":"Polygon"}'
            for a, b in pairwise(offsets[1].tolist())
        ]
    polygons = [b"[" + b",".join(rings[a:b]) + b"]" for a, b in pairwise(offsets[1].tolist())]
    return [
        b'{"coordinates":[' + b",".join(polygons[a:b]) + b'],"type":"MultiPolygon"}'
        for a, b in pairwise(offsets[2].tolist())
    ]


def geometry_texts(geoms: np.ndarray) -> list[RawJSON | None]:
    """Return each geometry's GeoJSON as canonical text (``None`` for ``None``).

    Each text is the canonical JSON of the geometry's dict (:func:`geometry_dicts`), as
    a :class:`~gsl_indicators.core.canonical.RawJSON`, which also reads as that dict.

    Examples
    --------
    >>> g = np.array([shapely.Point(1, 2), None, shapely.box(0, 0, 1, 1),
    ...               shapely.LineString([(0, 0), (1, 1)])], dtype=object)
    >>> t = geometry_texts(g)
    >>> t[0].text, t[1], t[3]["type"]
    (b'{"coordinates":[1.0,2.0],"type":"Point"}', None, 'LineString')
    >>> canonical_json(t) == canonical_json(geometry_dicts(g))
    True
    """
    return _by_road(
        geoms,
        lambda kind, g: [RawJSON(t) for t in _texts_by_kind(kind, g)],
        lambda g: [RawJSON(canonical_json(d)) for d in plain_geometry_dicts(g)],
    )


def plain_shapes(dicts: list[Any]) -> np.ndarray:
    """Return the shapely geometry of each GeoJSON geometry dict through its text."""
    text = np.empty(len(dicts), dtype=object)
    for i, d in enumerate(dicts):
        if type(d) is RawJSON:
            text[i] = d.text
        elif d:
            text[i] = orjson.dumps(d)
    out: np.ndarray = shapely.from_geojson(text)
    return out


def _numbers(coords: list[Any]) -> np.ndarray | None:
    """Return coordinates as floats, or ``None`` unless they are all plain JSON numbers.

    Examples
    --------
    >>> _numbers([[1, 2.5]]).tolist(), _numbers([["1", "2"]]), _numbers([[True, False]])
    ([[1.0, 2.5]], None, None)
    """
    try:
        arr = np.array(coords)
    except ValueError:  # ragged
        return None
    if arr.dtype.kind not in "iuf":  # text, booleans, objects (ints beyond 64 bits)
        return None
    return arr.astype(float)


def _flat(kind: str, dicts: list[Any]) -> np.ndarray | None:
    """Return the geometries of dicts all of type ``kind`` from their coordinates.

    ``None`` when any dict is not a plain 2-D one of that kind (the caller then reads
    them as text).
    """
    try:
        if kind == "Point":
            xy = _numbers([d["coordinates"] for d in dicts])
            if xy is None or xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
                return None
            return np.asarray(shapely.from_ragged_array(shapely.GeometryType.POINT, xy))
        if kind == "Polygon":
            polys = [d["coordinates"] for d in dicts]
        else:
            parts = [d["coordinates"] for d in dicts]
            polys = [p for m in parts for p in m]
        rings = [r for p in polys for r in p]
        xy = _numbers([c for r in rings for c in r])
        if xy is None or xy.ndim != 2 or xy.shape[1] != 2:
            return None
        if not all(len(r) >= 4 for r in rings):
            return None
        if not np.isfinite(xy).all():
            return None  # null (or NaN) coordinates: GEOS refuses them
        ring_off = np.cumsum([0, *map(len, rings)])
        if not (xy[ring_off[:-1]] == xy[ring_off[1:] - 1]).all():
            return None  # a ring left open: GEOS refuses it, so must we
        poly_off = np.cumsum([0, *map(len, polys)])
        if kind == "Polygon":
            offsets: tuple[np.ndarray, ...] = (ring_off, poly_off)
            gtype = shapely.GeometryType.POLYGON
        else:
            offsets = (ring_off, poly_off, np.cumsum([0, *map(len, parts)]))
            gtype = shapely.GeometryType.MULTIPOLYGON
        if any((np.diff(o) == 0).any() for o in offsets[1:]):
            return None  # an empty polygon or multipolygon among them
        return np.asarray(shapely.from_ragged_array(gtype, xy, offsets))
    except (KeyError, TypeError, ValueError):
        return None


def shapes(dicts: list[Any]) -> np.ndarray:
    """Return the shapely geometry of each GeoJSON geometry dict (``None`` for none).

    Equal to :func:`plain_shapes` (GEOS reading each dict's text); 2-D points,
    polygons and multipolygons are made from their coordinates at once. A geometry
    given as its text (:func:`geometry_texts`) is read as its dict.

    Examples
    --------
    >>> g = shapes([{"type": "Point", "coordinates": [1, 2]}, None,
    ...             {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}])
    >>> [None if x is None else x.wkt for x in g]
    ['POINT (1 2)', None, 'LINESTRING (0 0, 1 1)']
    """
    # a text read once, not kept parsed beside it (an export's fallback reads every feature)
    dicts = [orjson.loads(d.text) if type(d) is RawJSON else d for d in dicts]
    out = np.empty(len(dicts), dtype=object)
    by_kind: dict[str, list[int]] = {}
    for i, d in enumerate(dicts):
        if d:
            kind = d.get("type") if isinstance(d, dict) else None
            by_kind.setdefault(kind if isinstance(kind, str) and kind in _FAST else "", []).append(
                i
            )
    for kind, at in by_kind.items():
        part = [dicts[i] for i in at]
        made = _flat(kind, part) if kind else None
        out[at] = made if made is not None and len(made) == len(at) else plain_shapes(part)
    return out
