"""GeoJSON in and out: parsing, CRS handling, repair, and per-feature output.

Inputs come as GeoJSON FeatureCollections, either in EPSG:28992 (RD New, with the
legacy ``crs`` member that GDAL writes) or in RFC 7946 WGS84 longitude/latitude.
All layers of one request are brought to one metric working CRS: EPSG:28992 when the
data lies in the Netherlands, otherwise the UTM zone of the data's centre. Parsing is
vectorised (``orjson`` plus ``shapely.from_geojson`` / ``shapely.points``), never a
feature-by-feature shapely loop.
"""

from __future__ import annotations

import functools
import gc
import math
import operator
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS, Transformer

from gsl_indicators.core.canonical import raw_text
from gsl_indicators.core.collection_columns import ColumnCollection, FeatureColumns
from gsl_indicators.core.sources import FeatureTable, TableFeatures, is_file_source, read_table
from gsl_indicators.core.spec import Context, GeoInput, InputError
from gsl_indicators.core.wording import counted

RD_NEW = "EPSG:28992"
WGS84 = "OGC:CRS84"
# Where EPSG:28992 is defined (its area of use, lon/lat), slightly widened.
_NL_BOUNDS = (3.0, 50.6, 7.4, 53.8)

_CRS_ALIASES = {
    "urn:ogc:def:crs:ogc:1.3:crs84": WGS84,
    "http://www.opengis.net/def/crs/ogc/1.3/crs84": WGS84,
    "crs84": WGS84,
    "urn:ogc:def:crs:epsg::4326": WGS84,  # GeoJSON writers put lon/lat even for 4326
    "epsg:4326": WGS84,
}


@dataclass
class Layer:
    """One parsed geo input.

    Attributes
    ----------
    name : str
        The input name.
    geometries : numpy.ndarray of shapely geometries
        In the working (metric) CRS; repaired where invalid; dropped features removed.
    features : sequence of dict
        The original GeoJSON features that were kept (geometry as given), in order: a
        list for a GeoJSON input; for an input read from a file
        (:mod:`gsl_indicators.core.sources`) a :class:`~gsl_indicators.core.sources.TableFeatures`
        that makes each feature's dict only when an output is written.
    index : numpy.ndarray of int
        Position of each kept feature in the input collection.
    source_crs : str
        The CRS the input was given in.
    given : int or None
        How many features the input had before any was dropped.
    """

    name: str
    geometries: np.ndarray
    features: Sequence[dict[str, Any]]
    index: np.ndarray
    source_crs: str
    crs: str = RD_NEW
    given: int | None = None
    sampled: bool = False
    """A Monte Carlo sample whose values were perturbed from checked data: a value
    pushed past a plausible range is clipped to it, not refused (:meth:`number`)."""
    _props: list[dict[str, Any]] | None = field(default=None, repr=False)
    _points: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.geometries)

    def representative_points(self) -> np.ndarray:
        """Return a point inside each geometry (:func:`representative_points`), computed once.

        The area grouping and the homes of a run both need them; for footprints
        ``point_on_surface`` is the costly part. Not copied by ``dataclasses.replace``.
        """
        if self._points is None:
            self._points = representative_points(self.geometries)
        return self._points

    @property
    def properties(self) -> list[dict[str, Any]]:
        """Return the properties dict of each feature (``{}`` when absent)."""
        if self._props is None:
            if isinstance(self.features, TableFeatures):
                self._props = self.features.properties()
            else:
                self._props = [f.get("properties") or {} for f in self.features]
        return self._props

    def feature_ids(self) -> list[Any]:
        """Return each feature's GeoJSON ``id`` member (``None`` where absent; files have none)."""
        if isinstance(self.features, TableFeatures):
            return [None] * len(self)
        return [f.get("id") for f in self.features]

    @property
    def ids(self) -> list[Any]:
        """Return the feature ``id`` of each feature, else ``properties.id``, else the index."""
        out = []
        for fid, p, i in zip(self.feature_ids(), self.properties, self.index.tolist(), strict=True):
            if fid is None:
                fid = p.get("id", i)
            out.append(fid)
        return out

    def number(
        self,
        key: str,
        default: float = math.nan,
        ctx: Context | None = None,
        *,
        valid: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Return property ``key`` as a float array, ``default`` where absent or not numeric.

        When ``ctx`` is given, features lacking a usable value are counted in a
        ``missing-property`` warning (so a default never applies silently).

        ``valid``: the plausible range (inclusive). A value outside it — a height of
        1e308 m, a negative floor area, a nodata sentinel such as -9999 — is refused
        (:class:`InputError` naming the layer, the property, how many and an example):
        no kernel computes with it (an overflow to infinity, a share above one), and
        the service does not guess what was meant.

        Examples
        --------
        >>> lyr = parse_layer(GEO_IN, {"type": "FeatureCollection", "features": [
        ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e5, 4e5]},
        ...      "properties": {"dwellings": d}} for d in (3, None, -9999)]}, RD_NEW)
        >>> lyr.number("dwellings", 1.0).tolist()
        [3.0, 1.0, -9999.0]
        >>> lyr.number("dwellings", 1.0, valid=(0, 10_000)).tolist()
        Traceback (most recent call last):
        ...
        gsl_indicators.core.spec.InputError: input 'example': 1 of 3 features have a 'dwellings' outside 0–10000 (such as -9999)
        """
        column = self.features.column(key) if isinstance(self.features, TableFeatures) else None
        if column is not None and column.dtype.kind in "iuf":  # a numeric column: no dicts
            out = np.asarray(column, dtype=float).copy()
            out[~np.isfinite(out)] = math.nan
        else:
            out = self._number_from_properties(key)
        if valid is not None and self.sampled:  # the perturbation crossed it, not the data
            out = np.clip(out, *valid)  # NaN stays NaN
        elif valid is not None:
            outside = outside_range(out, valid)
            if outside.any():
                raise InputError(
                    self.name,
                    f"{int(outside.sum())} of {len(self)} features have a '{key}' "
                    f"{beyond(*valid)} (such as {out[outside][0]:g})",
                )
        bad = np.isnan(out)
        missing = int(bad.sum())
        out[bad] = default
        if ctx is not None and missing:
            ctx.warn(
                "missing-property",
                self.name,
                f"{missing} of {len(self)} features have no numeric '{key}'; "
                f"{'the default ' + repr(default) + ' is used' if not math.isnan(default) else 'left empty'}",
                missing,
            )
        return out

    def _number_from_properties(self, key: str) -> np.ndarray:
        """Return property ``key`` read feature by feature (NaN where it is no number)."""
        values = [p.get(key) for p in self.properties]
        out = np.full(len(values), math.nan, dtype=float)
        kinds = set(map(type, values))
        if kinds <= {type(None)}:  # absent everywhere
            return out
        if kinds <= {int, float}:  # plain numbers everywhere (not bools): one conversion
            try:
                out = np.array(values, dtype=float)
            except OverflowError:  # an int beyond a float: no number here either
                return self._number_one_by_one(values)
            out[~np.isfinite(out)] = math.nan
            return out
        return self._number_one_by_one(values)

    @staticmethod
    def _number_one_by_one(values: list[Any]) -> np.ndarray:
        out = np.full(len(values), math.nan, dtype=float)
        for i, v in enumerate(values):
            if isinstance(v, bool) or v is None:
                continue
            try:
                fv = float(v)
            except (TypeError, ValueError, OverflowError):
                continue
            if math.isfinite(fv):
                out[i] = fv
        return out

    def text(self, key: str, default: str | None = None) -> list[str | None]:
        """Return property ``key`` as strings (``default`` where absent)."""
        return [None if (v := p.get(key, default)) is None else str(v) for p in self.properties]


def outside_range(values: np.ndarray, valid: tuple[float, float]) -> np.ndarray:
    """Return where ``values`` lie outside the plausible range ``valid`` (NaN: not).

    Examples
    --------
    >>> outside_range(np.array([-1.0, 0.0, np.nan, 5.0]), (0.0, 4.0)).tolist()
    [True, False, False, True]
    """
    with np.errstate(invalid="ignore"):
        return (values < valid[0]) | (values > valid[1])


def beyond(lo: float, hi: float) -> str:
    """Say where a value outside ``lo``–``hi`` lies.

    Examples
    --------
    >>> beyond(0.0, 200.0), beyond(-math.inf, 1e4), beyond(0.0, math.inf)
    ('outside 0–200', 'above 10000', 'below 0')
    """
    if math.isinf(lo):
        return f"above {hi:g}"
    if math.isinf(hi):
        return f"below {lo:g}"
    return f"outside {lo:g}–{hi:g}"


# A GeoInput used by the doctests above.
GEO_IN = GeoInput("example", "Example", "Example points", ("Point",))


def _crs_of(fc: Mapping[str, Any]) -> str | None:
    crs = fc.get("crs")
    if not crs:
        return None
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else crs
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    if key in _CRS_ALIASES:
        return _CRS_ALIASES[key]
    try:
        epsg = CRS.from_user_input(name).to_epsg()
    except Exception:
        return name
    return f"EPSG:{epsg}" if epsg else name


def _assumed_crs(name: str, xy: np.ndarray, ctx: Context | None) -> str:
    """Return the CRS of a file that names none: degrees are WGS84, else RD New (warned)."""
    if xy.size == 0 or (np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)):
        return WGS84
    if ctx is not None:
        ctx.warn(
            "crs-assumed",
            name,
            "the file names no CRS and its coordinates lie outside the longitude/latitude "
            "range; taken as EPSG:28992 (RD New)",
        )
    return RD_NEW


def detect_crs(name: str, fc: Mapping[str, Any], ctx: Context | None = None) -> str:
    """Return the CRS a FeatureCollection is in.

    The legacy ``crs`` member wins. Without one, RFC 7946 says WGS84; but where the
    coordinates cannot be longitude/latitude (outside ±180/±90) they are taken as
    EPSG:28992, with a warning.
    """
    declared = _crs_of(fc)
    if declared is not None:
        try:
            CRS.from_user_input(declared)
        except Exception:
            raise InputError(name, f"unknown CRS '{declared}' in the 'crs' member") from None
        return declared
    xy = _sample_coordinates(fc.get("features") or [])
    if xy.size == 0:
        return WGS84
    if np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90):
        return WGS84
    if ctx is not None:
        ctx.warn(
            "crs-assumed",
            name,
            "no 'crs' member and coordinates outside the longitude/latitude range; "
            "taken as EPSG:28992 (RD New)",
        )
    return RD_NEW


#: RD New's area of use (EPSG:28992: the Netherlands and its waters), x and y in metres.
#: Coordinates declared (or taken) as RD New must lie inside it; outside it they are a 400.
RD_BOUNDS = (-7_000.0, 289_000.0, 300_000.0, 629_000.0)
#: Web Mercator and its aliases: metres that mean longitude/latitude far from the origin.
_WEB_MERCATOR = ("EPSG:3857", "EPSG:900913", "EPSG:3785", "EPSG:102100")
#: Longitude/latitude box "near the Netherlands" for the Web Mercator check (Europe).
_NEAR_NL = (-10.0, 40.0, 25.0, 65.0)


def _describe(xy: np.ndarray) -> str:
    """Return what sampled coordinates look like: their x and y ranges.

    Examples
    --------
    >>> _describe(np.array([[4.9, 52.37], [4.91, 52.38]]))
    'x 4.9 … 4.91, y 52.37 … 52.38'
    """

    def num(v: float) -> str:
        return f"{v:.6g}" if abs(v) < 1000 else f"{v:.0f}"

    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    return f"x {num(x0)} … {num(x1)}, y {num(y0)} … {num(y1)}"


def _inside(xy: np.ndarray, box: Sequence[float]) -> np.ndarray:
    return (xy[:, 0] >= box[0]) & (xy[:, 1] >= box[1]) & (xy[:, 0] <= box[2]) & (xy[:, 1] <= box[3])


def check_coordinates(name: str, fc: Mapping[str, Any], crs: str, declared: bool) -> None:
    """Raise :class:`InputError` when the coordinates cannot be in the CRS they are said to be in.

    Caught: RD New (EPSG:28992) coordinates outside RD New's bounds
    (:data:`RD_BOUNDS`: Web Mercator or UTM metres, a local grid near (0, 0), degrees
    of a place far from the Netherlands); degrees of a place in or near the
    Netherlands declared as RD New; degrees declared in another projected CRS; metres
    declared as degrees; Web Mercator coordinates that land far from the Netherlands
    (often RD New declared as EPSG:3857). The message names the input, the CRS and
    what the coordinates look like.

    Parameters
    ----------
    name : str
        The input name.
    fc : Mapping
        The FeatureCollection.
    crs : str
        The CRS it is taken to be in (:func:`detect_crs`).
    declared : bool
        Whether the ``crs`` member said so (else it was assumed).

    Examples
    --------
    >>> wgs = {"features": [{"geometry": {"type": "Point", "coordinates": [4.9, 52.37]}}]}
    >>> check_coordinates("parks", wgs, RD_NEW, declared=True)
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'parks': the 'crs' member declares EPSG:28992 (RD New, metres) but the coordinates (x 4.9 … 4.9, y 52.37 … 52.37) look like longitude/latitude in degrees; declare OGC:CRS84 (or leave out 'crs') for degrees, or send RD New metres
    >>> swapped = {"features": [{"geometry": {"type": "Point", "coordinates": [52.37, 4.9]}}]}
    >>> check_coordinates("parks", swapped, "OGC:CRS84", declared=False)
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'parks': without a 'crs' member, taken as OGC:CRS84 but the coordinates (x 52.37 … 52.37, y 4.9 … 4.9) look like latitude, longitude of a place in the Netherlands: GeoJSON gives longitude first (x = longitude, y = latitude); swap them (from an OGC API – Features server: leave `crs=…/EPSG/0/4326` out of the URL, whose answer puts latitude first)
    """
    check_xy(name, _sample_coordinates(fc.get("features") or [], n=200), crs, declared)


def check_xy(name: str, xy: np.ndarray, crs: str, declared: bool) -> None:
    """Check sampled coordinates ``xy`` against ``crs``: see :func:`check_coordinates`."""
    if xy.size == 0 or not np.all(np.isfinite(xy)):
        return
    looks = _describe(xy)
    said = (
        f"the 'crs' member declares {crs}"
        if declared
        else f"without a 'crs' member, taken as {crs}"
    )
    degrees_like = bool(np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90))
    # degrees of a place in or near the Netherlands (the usual mistake: WGS84 as RD New)
    nl_degrees = bool(np.all(_inside(xy, _NL_BOUNDS)))
    in_rd = bool(np.all(_inside(xy, RD_BOUNDS)))
    if crs == RD_NEW:
        if nl_degrees:
            raise InputError(
                name,
                f"{said} (RD New, metres) but the coordinates ({looks}) look like "
                "longitude/latitude in degrees; declare OGC:CRS84 (or leave out 'crs') for "
                "degrees, or send RD New metres",
            )
        if not in_rd:
            outside = int((~_inside(xy, RD_BOUNDS)).sum())
            hint = ""
            if np.all((np.abs(xy[:, 0]) < 2.1e6) & (xy[:, 1] > 6.0e6) & (xy[:, 1] < 7.5e6)):
                hint = "; they look like Web Mercator (EPSG:3857) metres"
            elif degrees_like:
                hint = "; they look like longitude/latitude in degrees"
            raise InputError(
                name,
                f"{said} but {outside} of {len(xy)} sampled coordinates ({looks}) lie outside "
                "RD New's bounds (x −7000 … 300000, y 289000 … 629000)" + hint,
            )
        return
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:
        return
    if parsed.is_geographic:
        if not degrees_like:
            hint = " — RD New (EPSG:28992)?" if in_rd else ""
            raise InputError(
                name,
                f"{said} (longitude/latitude in degrees) but the coordinates ({looks}) lie "
                f"outside ±180/±90: they look like projected metres{hint}; declare their CRS "
                "in the 'crs' member",
            )
        if not nl_degrees and np.all(_inside(xy[:, ::-1], _NL_BOUNDS)):
            # latitude first (EPSG:4326's authority order): the Netherlands read as the
            # Arabian Sea; GeoJSON (RFC 7946) and OGC:CRS84 give longitude first
            raise InputError(
                name,
                f"{said} but the coordinates ({looks}) look like latitude, longitude of a "
                "place in the Netherlands: GeoJSON gives longitude first (x = longitude, "
                "y = latitude); swap them (from an OGC API – Features server: leave "
                "`crs=…/EPSG/0/4326` out of the URL, whose answer puts latitude first)",
            )
        return
    if parsed.is_projected and degrees_like:
        raise InputError(
            name,
            f"{said} (metres) but the coordinates ({looks}) look like longitude/latitude in "
            "degrees; declare OGC:CRS84 (or leave out 'crs') for degrees",
        )
    if crs.upper() in _WEB_MERCATOR:
        lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(xy[:, 0], xy[:, 1])
        lonlat = np.column_stack([lon, lat])
        if not np.all(_inside(lonlat, _NEAR_NL)):
            hint = "; these numbers fit RD New (EPSG:28992)" if in_rd else ""
            raise InputError(
                name,
                f"{said} (Web Mercator) but the coordinates ({looks}) then lie at "
                f"{_describe(lonlat)} in longitude/latitude, far from the Netherlands{hint}",
            )


#: Extents further apart than this (metres) are reported as not overlapping; a layer just
#: beside the homes (facilities across the edge of the area) is normal.
NO_OVERLAP_GAP_M = 1_000.0


def warn_disjoint_layers(layers: Mapping[str, Layer], reference: str, ctx: Context) -> None:
    """Warn for every layer whose extent lies apart from the ``reference`` layer's (the homes).

    The warning (code ``no-overlap``) names both layers and how far apart their
    bounding boxes are, in kilometres of the working CRS, when that gap exceeds
    :data:`NO_OVERLAP_GAP_M`.
    """
    ref = layers.get(reference)
    if ref is None or not len(ref):
        return
    rx0, ry0, rx1, ry1 = shapely.total_bounds(ref.geometries)
    for name, layer in layers.items():
        if name == reference or not len(layer):
            continue
        x0, y0, x1, y1 = shapely.total_bounds(layer.geometries)
        dx = max(0.0, x0 - rx1, rx0 - x1)
        dy = max(0.0, y0 - ry1, ry0 - y1)
        if math.hypot(dx, dy) > NO_OVERLAP_GAP_M:
            km = math.hypot(dx, dy) / 1000
            ctx.warn(
                "no-overlap",
                name,
                f"'{name}' does not overlap '{reference}' at all: their extents lie "
                f"{km:.1f} km apart; check the CRS and the extent of both layers",
            )


def reference_layer(specs: Sequence[GeoInput], layers: Mapping[str, Layer]) -> str | None:
    """Return the layer the others are compared with (the homes).

    ``buildings`` (or ``homes``, ``addresses``) when present, else the first required
    input present.

    Examples
    --------
    >>> reference_layer([GeoInput("parks", "Parks", "", ("Polygon",)),
    ...                  GeoInput("buildings", "Homes", "", ("Point",))], {"parks": 1, "buildings": 2})
    'buildings'
    """
    for preferred in ("buildings", "homes", "addresses"):
        if preferred in layers:
            return preferred
    for s in specs:
        if s.required and s.name in layers:
            return s.name
    return None


def _sample_coordinates(features: Sequence[Any], n: int = 50) -> np.ndarray:
    pts: list[list[float]] = []
    step = max(1, len(features) // n)
    for f in features[::step]:
        geom = f.get("geometry") if isinstance(f, Mapping) else None
        if not isinstance(geom, Mapping):
            continue
        c: Any = geom.get("coordinates")
        while isinstance(c, list) and c and isinstance(c[0], list):
            c = c[0]
        if isinstance(c, list) and len(c) >= 2:
            try:  # malformed coordinates are judged (and named) by the parser
                pts.append([float(c[0]), float(c[1])])
            except (TypeError, ValueError):
                continue
    return np.asarray(pts, dtype=float).reshape(-1, 2)


def working_crs(crs_by_layer: Mapping[str, str], bounds_lonlat: Sequence[float] | None) -> str:
    """Choose the metric working CRS for a request.

    EPSG:28992 when any layer is given in it, or when the data's lon/lat bounds lie
    inside the Netherlands; otherwise the UTM zone (WGS84) of the data's centre.
    """
    if any(c == RD_NEW for c in crs_by_layer.values()) or bounds_lonlat is None:
        return RD_NEW
    x0, y0, x1, y1 = bounds_lonlat
    b = _NL_BOUNDS
    if x0 >= b[0] and y0 >= b[1] and x1 <= b[2] and y1 <= b[3]:
        return RD_NEW
    projected = [
        c for c in crs_by_layer.values() if c != WGS84 and CRS.from_user_input(c).is_projected
    ]
    if projected:
        return projected[0]
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


# Nesting depth of coordinate lists above the coordinate pairs, and the shapely type,
# for the geometry types built from ragged arrays (no per-geometry GEOS JSON parsing).
_RAGGED: dict[str, tuple[int, shapely.GeometryType]] = {
    "LineString": (1, shapely.GeometryType.LINESTRING),
    "Polygon": (2, shapely.GeometryType.POLYGON),
    "MultiLineString": (2, shapely.GeometryType.MULTILINESTRING),
    "MultiPolygon": (3, shapely.GeometryType.MULTIPOLYGON),
}


def from_coordinates(kind: str, coordinates: list[Any]) -> np.ndarray:
    """Build geometries of one type from their GeoJSON ``coordinates``, vectorised.

    The nested lists are flattened once into one coordinate array plus offsets and
    handed to ``shapely.from_ragged_array``: about eight times faster than parsing
    each geometry's GeoJSON text. Raises ``ValueError`` (or a GEOS error) for anything
    but plain 2D coordinates, so callers can fall back to the GeoJSON reader.

    Examples
    --------
    >>> g = from_coordinates("Polygon", [[[[0, 0], [2, 0], [2, 1], [0, 0]]]])
    >>> g[0].area
    1.0
    """
    depth, kind_id = _RAGGED[kind]
    offsets: list[np.ndarray] = []
    level: list[Any] = coordinates
    for _ in range(depth):
        counts = np.fromiter(map(len, level), np.int64, count=len(level))
        offsets.append(np.concatenate([[0], np.cumsum(counts)]))
        level = list(chain.from_iterable(level))
    if sum(map(len, level)) != 2 * len(level):
        raise ValueError("coordinates are not all (x, y) pairs")
    xy = np.fromiter(chain.from_iterable(level), float, count=2 * len(level)).reshape(-1, 2)
    return shapely.from_ragged_array(kind_id, xy, tuple(reversed(offsets)))


def _geometries(name: str, features: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Parse the geometries of ``features``; return (geometries, types) with None for nulls."""
    n = len(features)
    geoms = np.empty(n, dtype=object)
    types = np.empty(n, dtype=object)
    groups: dict[str, tuple[list[int], list[Any]]] = {}
    for i, f in enumerate(features):
        if type(f) is not dict and not isinstance(f, Mapping):
            raise InputError(name, f"feature {i} is not a GeoJSON Feature object")
        if f.get("type") != "Feature":
            raise InputError(name, f"feature {i} is not a GeoJSON Feature object")
        p = f.get("properties")
        if p is not None and type(p) is not dict and not isinstance(p, Mapping):
            raise InputError(name, f"feature {i}: 'properties' must be an object or null")
        g = f.get("geometry")
        if g is None:
            types[i] = None
            continue
        if type(g) is not dict and not isinstance(g, Mapping):
            raise InputError(name, f"feature {i}: geometry is not an object")
        t = g.get("type")
        if not isinstance(t, str):
            raise InputError(name, f"feature {i}: geometry 'type' must be a string")
        types[i] = t
        idx, coords = groups.setdefault(t, ([], []))
        idx.append(i)
        coords.append(g if t not in _RAGGED and t != "Point" else g.get("coordinates"))
    for t, (idx, coords) in groups.items():
        geoms[np.asarray(idx)] = _parse_group(name, t, coords, idx)
    return geoms, types


def _point_xy(c: Any) -> tuple[float, float]:
    """Return the x and y of one Point's coordinates (``ValueError`` when not two numbers)."""
    if not isinstance(c, list | tuple) or len(c) < 2:
        raise ValueError("not a coordinate pair")
    x, y = float(c[0]), float(c[1])
    return x, y


def _geometry_error(name: str, kind: Any, items: list[Any], positions: list[int]) -> InputError:
    """Return the error of the first unreadable geometry of a group, naming its feature.

    Examples
    --------
    >>> err = _geometry_error("parks", "Point", [[1, 2], ["a"]], [0, 7])
    >>> str(err)
    "input 'parks': feature 7: a Point does not have two numeric coordinates (got ['a'])"
    """
    for item, pos in zip(items, positions, strict=True):
        if kind == "Point":
            try:
                _point_xy(item)
            except (TypeError, ValueError):
                return InputError(
                    name,
                    f"feature {pos}: a Point does not have two numeric coordinates "
                    f"(got {str(item)[:60]})",
                )
            continue
        geom = item if isinstance(item, Mapping) else {"type": kind, "coordinates": item}
        try:
            shapely.from_geojson(orjson.dumps(geom, default=raw_text), on_invalid="raise")
        except Exception as err:
            return InputError(name, f"feature {pos}: invalid GeoJSON geometry ({kind}): {err}")
    return InputError(name, f"invalid GeoJSON geometry ({kind})")


def _parse_group(
    name: str, kind: Any, items: list[Any], positions: list[int] | None = None
) -> np.ndarray:
    """Parse one geometry type: points and ragged types vectorised, others via GeoJSON.

    ``positions`` are the features' indexes in the input, named in errors.
    """
    positions = list(range(len(items))) if positions is None else positions
    if kind == "Point":
        try:
            xy = np.asarray([c[:2] for c in items], dtype=float)
            if xy.ndim != 2 or xy.shape[1] != 2:
                raise ValueError
        except (TypeError, ValueError, IndexError):
            raise _geometry_error(name, kind, items, positions) from None
        return shapely.points(xy)
    if kind in _RAGGED:
        try:
            return from_coordinates(kind, items)
        except Exception:  # 3D, malformed or unclosed: let the GeoJSON reader judge
            items = [{"type": kind, "coordinates": c} for c in items]
    try:
        return shapely.from_geojson(
            np.asarray([orjson.dumps(g, default=raw_text) for g in items], dtype=object),
            on_invalid="raise",
        )
    except Exception:
        raise _geometry_error(name, kind, items, positions) from None


#: The members of a reference to a layer (an OGC link with an optional ``bbox``).
REFERENCE_MEMBERS = ("href", "type", "rel", "title", "hreflang", "bbox")


def not_a_collection(name: str, value: Any) -> InputError:
    """Return the error for a geo input that is no FeatureCollection, naming what is wrong.

    A reference with a member no reference has is named as such (it is not read as a
    reference, so it would otherwise be called "not a FeatureCollection").

    Examples
    --------
    >>> str(not_a_collection("buildings", {"href": "https://x/a.fgb", "crs": "EPSG:28992"}))
    "input 'buildings': a reference takes the members href, type, rel, title, hreflang and bbox; not 'crs'"
    >>> str(not_a_collection("buildings", [1]))
    "input 'buildings': expected a GeoJSON FeatureCollection"
    """
    if isinstance(value, Mapping) and "href" in value:
        extra = sorted(str(k) for k in value if k not in REFERENCE_MEMBERS)
        if extra:
            return InputError(
                name,
                f"a reference takes the members {', '.join(REFERENCE_MEMBERS[:-1])} and "
                f"{REFERENCE_MEMBERS[-1]}; not {', '.join(repr(k) for k in extra)}",
            )
    return InputError(name, "expected a GeoJSON FeatureCollection")


def parse_layer(
    spec: GeoInput,
    fc: Any,
    source_crs: str,
    target_crs: str = RD_NEW,
    ctx: Context | None = None,
) -> Layer:
    """Parse one FeatureCollection into a :class:`Layer` in ``target_crs``.

    Features without geometry, with empty geometry, or of a geometry type the input
    does not accept are dropped and counted; invalid polygons are repaired with
    ``shapely.make_valid`` and counted.

    Raises
    ------
    InputError
        When ``fc`` is not a FeatureCollection or a geometry cannot be parsed.
    """
    name = spec.name
    if not isinstance(fc, Mapping) or fc.get("type") != "FeatureCollection":
        raise not_a_collection(name, fc)
    features = fc.get("features")
    if not isinstance(features, list):
        raise InputError(name, "'features' must be an array")
    geoms, types = _geometries(name, features)
    kept, index = _keep_valid(spec, geoms, types, source_crs, target_crs, ctx)
    return Layer(
        name=name,
        geometries=kept,
        features=[features[i] for i in index.tolist()],
        index=index,
        source_crs=source_crs,
        crs=target_crs,
        given=len(features),
    )


def parse_table(
    spec: GeoInput,
    table: FeatureTable,
    source_crs: str,
    target_crs: str = RD_NEW,
    ctx: Context | None = None,
) -> Layer:
    """Return a :class:`Layer` of features read as columns (a file source).

    The same rules as :func:`parse_layer` (dropped and repaired features counted), but
    no per-feature dict is made: the layer's ``features`` are a
    :class:`~gsl_indicators.core.sources.TableFeatures` view of the kept rows.
    """
    kept, index = _keep_valid(spec, table.geometries, table.types(), source_crs, target_crs, ctx)
    return Layer(
        name=spec.name,
        geometries=kept,
        features=TableFeatures(table, index),
        index=index,
        source_crs=source_crs,
        crs=target_crs,
        given=len(table),
    )


def _keep_valid(
    spec: GeoInput,
    geoms: np.ndarray,
    types: np.ndarray,
    source_crs: str,
    target_crs: str,
    ctx: Context | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Drop unusable features, repair invalid ones, reproject; return (geometries, index)."""
    name = spec.name
    n = len(geoms)
    allowed = set(spec.geometry_types)
    keep = np.ones(n, dtype=bool)
    dropped: dict[str, int] = {}
    for reason, mask in (
        ("no geometry", np.asarray([t is None for t in types], dtype=bool)),
        (
            f"geometry type not in {sorted(allowed)}",
            np.asarray([t is not None and t not in allowed for t in types], dtype=bool),
        ),
    ):
        if mask.any():
            dropped[reason] = int(mask.sum())
            keep &= ~mask
    if keep.any():
        empty = np.zeros(n, dtype=bool)
        empty[keep] = shapely.is_empty(geoms[keep])
        if empty.any():
            dropped["empty geometry"] = int(empty.sum())
            keep &= ~empty
    index = np.flatnonzero(keep)
    kept = geoms[index]
    if ctx is not None:
        for reason, count in dropped.items():
            ctx.warn(
                "features-dropped",
                name,
                f"{counted(count, 'feature dropped', 'features dropped')}: {reason}",
                count,
            )
    if n and not len(index) and dropped:
        raise InputError(name, f"no usable features ({'; '.join(dropped)})")
    # Repair invalid geometries.
    if len(kept):
        invalid = ~shapely.is_valid(kept)
        if invalid.any():
            repaired = shapely.make_valid(kept[invalid])
            if set(spec.geometry_types) <= {"Polygon", "MultiPolygon"}:
                repaired = np.asarray([_polygonal(g) for g in repaired], dtype=object)
            kept = kept.copy()
            kept[invalid] = repaired
            if ctx is not None:
                ctx.warn(
                    "geometries-repaired",
                    name,
                    f"{int(invalid.sum())} invalid geometries repaired with make_valid",
                    int(invalid.sum()),
                )
                ctx.notes.setdefault("repaired", {})[name] = int(invalid.sum())
            collapsed = shapely.is_empty(kept)  # e.g. a zero-area ring: no polygon left
            if collapsed.any():
                n_gone = int(collapsed.sum())
                if ctx is not None:
                    ctx.warn(
                        "features-dropped",
                        name,
                        f"{counted(n_gone, 'feature dropped', 'features dropped')}: nothing left after repair",
                        n_gone,
                    )
                kept, index = kept[~collapsed], index[~collapsed]
                if not len(index):
                    raise InputError(
                        name, "no usable features (nothing left after repairing the geometries)"
                    )
    if source_crs != target_crs and len(kept):
        kept = reproject(kept, source_crs, target_crs)
        if ctx is not None:
            ctx.notes.setdefault("reprojected", {})[name] = {"from": source_crs, "to": target_crs}
    return kept, index


def _polygonal(geom: Any) -> Any:
    """Return the polygonal part of a repaired geometry (lines and points dropped)."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def reproject(geoms: np.ndarray, source_crs: str, target_crs: str) -> np.ndarray:
    """Reproject an array of geometries (axis order x/y, i.e. lon/lat for geographic CRSs).

    Examples
    --------
    >>> p = reproject(np.array([shapely.Point(5.38721, 52.15517)]), WGS84, RD_NEW)[0]
    >>> round(p.x), round(p.y)  # the Amersfoort origin of RD New
    (155000, 463000)
    """
    tr = transformer(source_crs, target_crs)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)  # None stays None


@functools.lru_cache(maxsize=32)
def transformer(source_crs: str, target_crs: str) -> Transformer:
    """Return the x/y-ordered transformer between two CRSs, made once per pair.

    Making one takes tens of milliseconds (PROJ's database), which a download reprojected
    a batch at a time paid per batch; pyproj's transformers are thread-safe (3.1 and on).
    """
    return Transformer.from_crs(source_crs, target_crs, always_xy=True)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a computation.

    Parsing a large request and building the output FeatureCollections allocate
    millions of small dicts and lists while the whole request is alive; every
    generational collection then walks that live heap again. Measured on a 100,000
    building city: parsing the geo inputs took 9.1 s with the collector running and
    2.3 s without. Nothing here creates reference cycles, so nothing is lost: the
    collector runs again (and catches up) when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def give_back_memory() -> None:
    """Free what is no longer referenced and hand the heap's free pages back to the OS.

    Called when a run drops large layers (:func:`gsl_indicators.core.run.compute_outputs`):
    the collector is paused (:func:`paused_gc`), so layers held by a reference cycle
    (pyogrio's arrays are) stay until a collection, and glibc keeps freed GEOS memory in
    its arenas unless asked (``malloc_trim``). Measured at 650,000 homes (tiled): the
    resident memory before the document is built fell from 2,047 to 781 MB. Elsewhere
    than glibc only the collection runs.
    """
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def read_layers(
    specs: Iterable[GeoInput],
    raw: Mapping[str, Any],
    ctx: Context | None = None,
    defer: Collection[str] = (),
) -> tuple[dict[str, Any], str]:
    """Parse every geo input present in ``raw`` into one working CRS.

    Parameters
    ----------
    specs : iterable of GeoInput
        The indicator's declared geo inputs.
    raw : Mapping
        The request inputs (href inputs already resolved to FeatureCollections).
    ctx : Context, optional
        Receives data-quality warnings and notes.
    defer : collection of str
        Inputs (files by reference) left unread for the tiles to read
        (:mod:`gsl_indicators.core.tile_files`): each is a
        :class:`~gsl_indicators.core.tile_files.DeferredLayer`, after the others.

    Returns
    -------
    layers : dict
        Input name to :class:`Layer`, for the inputs present.
    crs : str
        The working CRS.
    """
    with paused_gc():
        return _read_layers(specs, raw, ctx, defer)


def _read_layers(
    specs: Iterable[GeoInput],
    raw: Mapping[str, Any],
    ctx: Context | None = None,
    defer: Collection[str] = (),
) -> tuple[dict[str, Any], str]:
    """Parse the present geo inputs (the body of :func:`read_layers`)."""
    specs = [s for s in specs if raw.get(s.name) is not None]
    later = [s for s in specs if s.name in defer]
    specs = [s for s in specs if s.name not in defer]
    source: dict[str, str] = {}
    lonlat_bounds: list[np.ndarray] = []
    tables: dict[str, FeatureTable] = {}
    for s in specs:
        if is_file_source(raw[s.name]):
            table = tables[s.name] = read_table(s.name, raw[s.name])
            xy = table.sample_xy()
            source[s.name] = table.crs or _assumed_crs(s.name, xy, ctx)
            check_xy(s.name, xy, source[s.name], declared=table.crs is not None)
            if source[s.name] == WGS84 and xy.size:
                lonlat_bounds.append(xy)
            continue
        fc = raw[s.name]
        if not isinstance(fc, Mapping) or fc.get("type") != "FeatureCollection":
            raise not_a_collection(s.name, fc)
        if not isinstance(fc.get("features"), list):
            raise InputError(s.name, "'features' must be an array")
        source[s.name] = detect_crs(s.name, fc, ctx)
        check_coordinates(s.name, fc, source[s.name], declared=_crs_of(fc) is not None)
        if source[s.name] == WGS84:
            xy = _sample_coordinates(fc.get("features") or [], n=200)
            if xy.size:
                lonlat_bounds.append(xy)
    bounds = None
    if lonlat_bounds:
        allxy = np.vstack(lonlat_bounds)
        bounds = (*allxy.min(axis=0).tolist(), *allxy.max(axis=0).tolist())
    target = working_crs(source, bounds)
    layers = {
        s.name: parse_table(s, tables[s.name], source[s.name], target, ctx)
        if s.name in tables
        else parse_layer(s, raw[s.name], source[s.name], target, ctx)
        for s in specs
    }
    for s in specs:
        if len(layers[s.name]) == 0 and ctx is not None:
            ctx.warn("empty-input", s.name, "the input has no features")
    reference = reference_layer(specs, layers)
    if ctx is not None and reference is not None:
        warn_disjoint_layers(layers, reference, ctx)
    out: dict[str, Any] = dict(layers)
    if later:
        from gsl_indicators.core.tile_files import DeferredLayer

        for s in later:
            out[s.name] = DeferredLayer(s.name, raw[s.name], tuple(s.geometry_types))
    return out, target


def to_jsonable(values: Any) -> list[Any]:
    """Convert a column (numpy array or list) to JSON values; NaN becomes ``None``."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            obj = values.astype(object)
            obj[np.isnan(values)] = None
            return obj.tolist()
        return values.tolist()
    return list(values)


def feature_collection(
    layer: Layer,
    columns: Mapping[str, Any],
    crs: Mapping[str, Any] | None = None,
    arrays: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Return the layer's original features with the indicator's columns added.

    Every feature keeps its ``id``, geometry (as given) and properties, and gains one
    property per column. For a layer read from a file the collection is a
    :class:`~gsl_indicators.core.collection_columns.ColumnCollection` that also gives
    the columns it was made from (see :func:`_table_collection`).

    Parameters
    ----------
    layer : Layer
        The parsed input.
    columns : Mapping[str, array-like]
        Property name to one value per feature of the layer.
    crs : Mapping, optional
        The collection's legacy ``crs`` member (after ``type``); none when not given.
    arrays : Mapping[str, numpy.ndarray], optional
        Some of the columns as typed arrays, made with them
        (:func:`~gsl_indicators.core.metrics.rounded_column`): kept beside a file
        layer's columns for the exports.
    """
    cols = {k: to_jsonable(v) for k, v in columns.items()}
    for k, v in cols.items():
        if len(v) != len(layer):
            raise ValueError(
                f"column {k!r} has {len(v)} values for {counted(len(layer), 'feature', 'features')}"
            )
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if crs:
        head["crs"] = crs
    if isinstance(layer.features, TableFeatures):
        return _table_collection(layer, head, cols, dict(arrays or {}))
    names = list(cols)
    rows = zip(*(cols[k] for k in names), strict=True) if names else ([()] * len(layer))
    out = []
    for f, p, row in zip(layer.features, layer.properties, rows, strict=True):
        feat = {
            "type": "Feature",
            "geometry": f.get("geometry"),
            "properties": {**p, **dict(zip(names, row, strict=True))},
        }
        if "id" in f:  # a file's features have no id member (TableFeatures)
            feat = {
                "type": "Feature",
                "id": f["id"],
                "geometry": feat["geometry"],
                "properties": feat["properties"],
            }
        out.append(feat)
    return {**head, "features": out}


def _table_collection(
    layer: Layer,
    head: dict[str, Any],
    cols: dict[str, list[Any]],
    arrays: dict[str, np.ndarray],
) -> dict[str, Any]:
    """Return the output collection of a layer read from a file, with its columns.

    The columns (:class:`~gsl_indicators.core.collection_columns.FeatureColumns`: the
    file's property columns and geometries of the kept rows, then ``cols``) let an
    export skip reading the features back. A layer whose properties were cached
    (:attr:`Layer.properties`) gives none: a run may have replaced them (the parking
    zones' ``area_type``), so only the features tell.
    """
    features = layer.features
    assert isinstance(features, TableFeatures)
    cached = layer._props is not None
    made = _table_features(layer, cols)
    fc = {**head, "features": made}
    if cached:
        return fc
    return ColumnCollection(fc, FeatureColumns(made, features, cols, arrays))


def _table_features(layer: Layer, cols: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Return the output features of a layer read from a file (see :func:`feature_collection`).

    The same features, made with one properties dict each: when the layer has not
    cached its properties (:attr:`Layer.properties`) they are made here and the columns
    added to them in place, and the geometries are made a step at a time, as their
    canonical texts (:meth:`~gsl_indicators.core.sources.TableFeatures.geometry_texts`), instead of
    every feature's properties twice over (the layer's cache and the features' own)
    before the output's copies. Measured at 200,000 homes (one piece from files):
    peak 1,415 MB before, 1,343 MB after.

    The columns go in one at a time, each by ``map`` over every feature's dict: the
    same keys in the same order as an ``update`` per feature, in about half the time
    (650,000 homes, seven columns: 0.78 → 0.42 s); :func:`feature_collection` has
    checked that each has one value per feature.
    """
    features = layer.features
    assert isinstance(features, TableFeatures)
    out = features.output_features(properties=layer._props is None)  # made meanwhile?
    if layer._props is not None:  # a copy of each cached dict, not the file's columns
        for feat, p in zip(out, layer.properties, strict=True):
            feat["properties"] = dict(p)
    props = [feat["properties"] for feat in out]
    for name, values in cols.items():
        deque(map(operator.setitem, props, repeat(name), values), maxlen=0)
    return out


def representative_points(geoms: np.ndarray) -> np.ndarray:
    """Return a point inside each geometry: points as they are, others ``point_on_surface``.

    Examples
    --------
    >>> shapely.get_coordinates(representative_points(np.array(
    ...     [shapely.Point(1, 2), shapely.box(0, 0, 2, 2)]))).tolist()
    [[1.0, 2.0], [1.0, 1.0]]
    """
    if not len(geoms):
        return np.empty(0, dtype=object)
    out = np.asarray(geoms, dtype=object).copy()
    not_point = shapely.get_type_id(out) != 0
    if not_point.any():
        out[not_point] = shapely.point_on_surface(out[not_point])
    return out


def zone_index(
    geoms: np.ndarray, zones: np.ndarray | shapely.STRtree, representative: bool = True
) -> np.ndarray:
    """Return, per geometry, the zone holding its representative point (-1: none).

    A point on the boundary counts as inside (``intersects``); where zones overlap or
    share an edge, the first (lowest index) zone wins. ``zones`` may be an ``STRtree``
    over the zones, to reuse one tree for several queries. With ``representative``
    false the geometries themselves are matched (the first zone each intersects).

    Examples
    --------
    >>> zones = shapely.box([0, 10], 0, [10, 20], 10)
    >>> zone_index(shapely.points([[5, 5], [10, 5], [15, 5], [30, 5]]), zones).tolist()
    [0, 0, 1, -1]
    >>> zone_index(np.array([shapely.box(11, 1, 12, 2)]), shapely.STRtree(zones)).tolist()
    [1]
    """
    out = np.full(len(geoms), -1, dtype=np.int64)
    tree = zones if isinstance(zones, shapely.STRtree) else shapely.STRtree(zones)
    if not len(geoms) or not len(tree.geometries):
        return out
    query = representative_points(geoms) if representative else geoms
    g, z = tree.query(query, predicate="intersects")
    if len(g) and bool((g[1:] > g[:-1]).all()):  # each geometry in one zone: no tie to break
        out[g] = z
    elif len(g):
        order = np.lexsort((z, g))
        g, z = g[order], z[order]
        first = np.r_[True, g[1:] != g[:-1]]
        out[g[first]] = z[first]
    return out
