"""Per-feature outputs as files that GIS tools open: GeoJSON, CSV and GeoPackage.

``GET /jobs/{id}/results/{output}?f=geojson|csv|gpkg`` (or the matching ``Accept``)
answers one FeatureCollection output of a job in that format. The file keeps the
collection's CRS: its ``crs`` member, else the CRS its input was given in (see
:func:`gsl_service.results.output_crs`); ``crs=EPSG:4326`` reprojects to
longitude/latitude (RFC 7946). Nested property values are flattened so that QGIS
shows plain columns: an older nested ``scorecard`` becomes ``score_<metric>``
columns, any other object or array a JSON text column.

GeoPackage is written by GDAL through pyogrio; CSV has the geometry as WKT in a
column called ``WKT`` (GDAL's CSV driver and QGIS pick it up) and, for points, ``x``
and ``y`` columns.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS

from gsl_indicators.core.canonical import raw_text
from gsl_indicators.core.collection_columns import FeatureColumns, columns_of
from gsl_indicators.core.geo import reproject
from gsl_indicators.core.geojson_dicts import from_coordinates, geometry_dicts, shapes
from gsl_indicators.core.metrics import with_nulls
from gsl_indicators.core.sources import TableFeatures
from gsl_service.errors import ServiceError
from gsl_service.results import CRS84


@dataclass(frozen=True)
class ExportFormat:
    """One file format of a per-feature output."""

    key: str
    media_type: str
    extension: str


GEOJSON = ExportFormat("geojson", "application/geo+json", "geojson")
CSV = ExportFormat("csv", "text/csv; charset=utf-8", "csv")
GPKG = ExportFormat("gpkg", "application/geopackage+sqlite3", "gpkg")
FLATGEOBUF = ExportFormat("flatgeobuf", "application/flatgeobuf", "fgb")
GEOPARQUET = ExportFormat("geoparquet", "application/vnd.apache.parquet", "parquet")
#: The formats by their ``f`` value.
FORMATS: dict[str, ExportFormat] = {f.key: f for f in (GEOJSON, CSV, GPKG, FLATGEOBUF, GEOPARQUET)}
#: Media types (``Accept``) to formats; ``application/json`` is GeoJSON for a layer.
MEDIA_TYPES: dict[str, ExportFormat] = {
    "application/geo+json": GEOJSON,
    "application/json": GEOJSON,
    "text/csv": CSV,
    "application/geopackage+sqlite3": GPKG,
    "application/x-sqlite3": GPKG,
    "application/flatgeobuf": FLATGEOBUF,
    "application/vnd.apache.parquet": GEOPARQUET,
}


class NotAcceptable(ServiceError):
    """The client asked for a format this resource is not available in (406)."""

    status = 406
    ogc_type = "invalid-parameter-value"
    title = "Not acceptable"


def negotiate(f: str | None, accept: str | None, offered: Sequence[str]) -> str | None:
    """Return the format key to answer with, from ``f`` first, else ``Accept``.

    ``None`` means: no preference expressed (the resource's default). Raises
    :class:`NotAcceptable` naming what was asked and what is offered.

    Parameters
    ----------
    f : str or None
        The ``f`` query parameter.
    accept : str or None
        The ``Accept`` header.
    offered : sequence of str
        Format keys of this resource (``json``, ``html``, ``geojson``, ``csv``, ``gpkg``).

    Examples
    --------
    >>> negotiate("csv", None, ["json", "csv"])
    'csv'
    >>> negotiate(None, "text/csv;q=0.9, application/geo+json", ["geojson", "csv"])
    'geojson'
    >>> negotiate(None, "*/*", ["json"]) is None
    True
    >>> negotiate("xlsx", None, ["json", "csv"])
    Traceback (most recent call last):
    ...
    gsl_service.exports.NotAcceptable: format 'xlsx' is not available here; use f= one of ['json', 'csv']
    """
    if f:
        key = f.strip().lower()
        if key in offered:
            return key
        raise NotAcceptable(
            f"format {f!r} is not available here; use f= one of {list(offered)}", input_name="f"
        )
    if not accept:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, i, media.lower()))
    by_media: dict[str, str] = {
        "application/json": "json",
        "text/html": "html",
        **{m: fmt.key for m, fmt in MEDIA_TYPES.items() if m != "application/json"},
    }
    for _, _, media in sorted(ranked):
        if media in ("*/*", "application/*", "text/*"):
            return None
        found = by_media.get(media)
        if found == "json" and "json" not in offered and "geojson" in offered:
            found = "geojson"
        if found in offered:
            return found
    raise NotAcceptable(
        f"the media types in Accept ({accept}) are not available here; "
        f"formats offered: {list(offered)} (f= or Accept)",
        input_name="Accept",
    )


# ----------------------------------------------------------------------------- columns


def flat_properties(props: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return feature properties with plain values only (numbers, text, booleans, null).

    A nested ``scorecard`` (older results) becomes one ``score_<metric>`` column per
    scored metric; other objects and arrays become JSON text.

    Examples
    --------
    >>> flat_properties({"score": 2.67, "scorecard": {"scores": {"play_share": {"score": 2.67}}}})
    {'score': 2.67, 'score_play_share': 2.67}
    >>> flat_properties({"tags": ["a", "b"], "n": 1})
    {'tags': '["a","b"]', 'n': 1}
    """
    out: dict[str, Any] = {}
    for key, value in (props or {}).items():
        if value is None or type(value) in _PLAIN:  # the common case, without ABC checks
            out[key] = value
            continue
        if key == "scorecard" and isinstance(value, Mapping):
            for metric, entry in (value.get("scores") or {}).items():
                if isinstance(entry, Mapping):
                    out.setdefault(f"score_{metric}", entry.get("score"))
            continue
        out[key] = _flat_value(value)
    return out


def _flat_value(value: Any) -> Any:
    """Return a property value other than a scorecard as :func:`flat_properties` keeps it."""
    if isinstance(value, Mapping | list):
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # integers beyond 64 bits
            return json.dumps(value, separators=(",", ":"))
    return value


_PLAIN = frozenset((str, int, float, bool))
_FLOATS = frozenset((int, float, type(None)))
_WORDS = frozenset((str, type(None)))


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            seen.setdefault(k, None)
    return list(seen)


def _typed(values: list[Any], kinds: set[type] | None = None) -> np.ndarray:
    """Return a column as a numpy array of one GDAL-friendly type.

    ``kinds``: the types of ``values`` when the caller has them already. Flags and
    integers with ``None`` among them are a masked array
    (:func:`~gsl_indicators.core.metrics.with_nulls`): GDAL
    writes them as nullable boolean and integer fields, Arrow as ``bool`` and
    ``int64`` with nulls — not as text or floats.

    Examples
    --------
    >>> [_typed(v).dtype.name for v in ([True, None], [1, 2], [1, None], [1, 2.5], ["a", 1])]
    ['bool', 'int64', 'int64', 'float64', 'object']
    >>> _typed([True, None]).tolist(), _typed([None, 3]).tolist()
    ([True, None], [None, 3])
    >>> _typed([True, False]).dtype.name, np.ma.isMaskedArray(_typed([True, False]))
    ('bool', False)
    >>> _typed([2**63, None]).dtype.name, _typed(["BU01", None]).tolist()
    ('float64', ['BU01', None])
    """
    kinds = set(map(type, values)) if kinds is None else kinds
    if kinds <= _WORDS and str in kinds:  # words (area ids): as they are, no look per value
        return np.asarray(values, dtype=object)
    if kinds <= _FLOATS and float in kinds:  # one pass over the types, no isinstance per value
        return np.asarray(values, dtype=float)  # None is NaN (numpy's own loop, ~10× faster)
    if kinds == {bool}:  # as below, without an isinstance per value
        return np.asarray(values, dtype=bool)
    if kinds == {bool, type(None)}:
        return with_nulls(values, bool)
    if kinds == {int} and (not values or -(2**63) <= min(values) <= max(values) < 2**63):
        return np.asarray(values, dtype=np.int64)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return with_nulls(values, bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):
            return with_nulls(values, np.int64)
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


def _mask_of(data: np.ndarray) -> np.ndarray | None:
    """Return where a typed column is null, for GDAL (``None``: no mask; NaN is null anyway)."""
    return np.ma.getmaskarray(data) if np.ma.isMaskedArray(data) else None


# -------------------------------------------------------------------------- geometries


def geometries(fc: Mapping[str, Any]) -> np.ndarray:
    """Return the features' geometries as shapely objects (``None`` for null geometry)."""
    feats = fc.get("features") or []
    return shapes([f.get("geometry") if isinstance(f, Mapping) else None for f in feats])


def reproject_collection(fc: Mapping[str, Any], source_crs: str, target_crs: str) -> dict[str, Any]:
    """Return ``fc`` with every geometry reprojected (x/y axis order; lon/lat for CRS84)."""
    if source_crs == target_crs:
        return dict(fc)
    moved = reproject(geometries(fc), source_crs, target_crs)
    feats = []
    for feat, geom in zip(fc.get("features") or [], geometry_dicts(moved), strict=True):
        new = dict(feat)
        new["geometry"] = geom
        feats.append(new)
    out = {k: v for k, v in fc.items() if k not in ("features", "crs")}
    out["features"] = feats
    if target_crs != CRS84:
        out["crs"] = crs_member(target_crs)
    return out


def crs_member(crs: str) -> dict[str, Any]:
    """Return the legacy GeoJSON ``crs`` member for ``crs`` (``EPSG:n`` → URN).

    Examples
    --------
    >>> crs_member("EPSG:28992")["properties"]["name"]
    'urn:ogc:def:crs:EPSG::28992'
    """
    if crs.upper().startswith("EPSG:"):
        name = f"urn:ogc:def:crs:EPSG::{crs.split(':', 1)[1]}"
    elif crs == CRS84:
        name = "urn:ogc:def:crs:OGC:1.3:CRS84"
    else:
        name = crs
    return {"type": "name", "properties": {"name": name}}


# ------------------------------------------------------------------------------ writers


def to_geojson(fc: Mapping[str, Any], crs: str) -> bytes:
    """Return the FeatureCollection as GeoJSON with its ``crs`` member (none for CRS84)."""
    out = {k: v for k, v in fc.items() if k != "crs"}
    if crs != CRS84:
        out = {"type": "FeatureCollection", "crs": crs_member(crs), **out}
    return orjson.dumps(out, default=raw_text)


#: Members a GeoJSON file written batch by batch sets itself.
_OWN_MEMBERS = frozenset(("type", "crs", "features"))


def geojson_head(members: Mapping[str, Any], crs: str, *, typed: bool = True) -> bytes:
    """Return the start of a GeoJSON file written batch by batch, up to the features' ``[``.

    The file is :func:`to_geojson`'s, its members in another order: ``type``, ``crs``
    (none for CRS84), the collection's other members ``members`` from before its
    features, the features (:func:`geojson_features`), then :func:`geojson_tail`.
    ``typed=False`` leaves ``type`` to the text that follows the features.

    Examples
    --------
    >>> geojson_head({"crs": {}, "bbox": [1, 2, 3, 4]}, "OGC:CRS84")
    b'{"type":"FeatureCollection","bbox":[1,2,3,4],"features":['
    >>> geojson_head({}, "EPSG:28992", typed=False)[:40]
    b'{"crs":{"type":"name","properties":{"nam'
    """
    out: dict[str, Any] = {"type": "FeatureCollection"} if typed else {}
    if crs != CRS84:
        out["crs"] = crs_member(crs)
    out.update((k, v) for k, v in members.items() if k not in _OWN_MEMBERS)
    text = orjson.dumps(out, default=raw_text)[:-1]
    return text + (b',"features":[' if out else b'"features":[')


def geojson_features(
    feats: Sequence[Mapping[str, Any]], *, first: bool, source_crs: str, target_crs: str
) -> bytes:
    """Return features for a GeoJSON file written batch by batch, reprojected to ``target_crs``.

    ``first``: whether these are the file's first features (no comma before them).
    """
    if not feats:
        return b""
    if source_crs != target_crs:
        feats = reproject_collection({"features": feats}, source_crs, target_crs)["features"]
    body = b",".join(orjson.dumps(f, default=raw_text) for f in feats)
    return body if first else b"," + body


def geojson_tail(members: Mapping[str, Any]) -> bytes:
    """Return the end of a GeoJSON file written batch by batch: the members after its features.

    Examples
    --------
    >>> geojson_tail({"type": "FeatureCollection"}), geojson_tail({"numberMatched": 3})
    (b']}', b'],"numberMatched":3}')
    """
    rest = {k: v for k, v in members.items() if k not in _OWN_MEMBERS}
    return b"]," + orjson.dumps(rest, default=raw_text)[1:] if rest else b"]}"


#: The CSV export's own columns, besides the properties.
CSV_COLUMNS = ("id", "x", "y", "WKT")


def to_csv(fc: Mapping[str, Any]) -> bytes:
    """Return the FeatureCollection as CSV: ``id``, the flat properties, ``x``/``y``, ``WKT``.

    ``x`` and ``y`` are filled for point features (a representative point otherwise
    would be a guess, so they stay empty there). A property named like one of these
    columns is kept under another name (:func:`_clash_names`: ``id`` → ``property_id``).
    """
    feats = fc.get("features") or []
    rows = [flat_properties(f.get("properties")) for f in feats]
    keys = _columns(rows)
    return csv_header(keys) + csv_rows(feats, keys, rows)


def csv_keys(feats: Iterable[Mapping[str, Any]], keys: dict[str, None]) -> None:
    """Add the flat property names of ``feats`` to ``keys`` in order of first appearance.

    A CSV written batch by batch (:func:`csv_header`, :func:`csv_rows`) needs every
    column before its first row.
    """
    for feat in feats:
        for key in flat_properties(feat.get("properties")):
            keys.setdefault(key, None)


def csv_header(keys: Sequence[str]) -> bytes:
    r"""Return the CSV's header line for the flat properties ``keys`` (clashes renamed).

    Examples
    --------
    >>> csv_header(["id", "n"])
    b'id,property_id,n,x,y,WKT\r\n'
    """
    renamed = _clash_names(keys, CSV_COLUMNS)
    return _csv_lines([["id", *(renamed.get(k, k) for k in keys), "x", "y", "WKT"]])


def csv_rows(
    feats: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    rows: Sequence[Mapping[str, Any]] | None = None,
) -> bytes:
    """Return the CSV lines of ``feats`` under the columns of :func:`csv_header` for ``keys``.

    ``rows``: the features' flat properties, when the caller has them.
    """
    if rows is None:
        rows = [flat_properties(f.get("properties")) for f in feats]
    geoms = geometries({"features": feats})
    points = shapely.get_type_id(geoms) == 0  # -1 for no geometry
    xs = np.where(points, shapely.get_x(geoms), np.nan).tolist()
    ys = np.where(points, shapely.get_y(geoms), np.nan).tolist()
    wkts = shapely.to_wkt(geoms, rounding_precision=-1).tolist()
    lines = []
    for feat, row, point, x, y, wkt in zip(feats, rows, points.tolist(), xs, ys, wkts, strict=True):
        lines.append(
            [
                "" if feat.get("id") is None else feat.get("id"),
                *("" if row.get(c) is None else _csv_value(row[c]) for c in keys),
                x if point else "",
                y if point else "",
                "" if wkt is None else wkt,
            ]
        )
    return _csv_lines(lines)


def _csv_lines(lines: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    return buf.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def layer_geometry_type(kinds: Sequence[str]) -> tuple[str, bool]:
    """Return the GeoPackage layer's geometry type and whether to promote to multi.

    Examples
    --------
    >>> layer_geometry_type(["Point"]), layer_geometry_type(["Polygon", "MultiPolygon"])
    (('Point', False), ('MultiPolygon', True))
    >>> layer_geometry_type(["Point", "Polygon"])
    ('Unknown', False)
    """
    if len(set(kinds)) == 1:
        return kinds[0], False
    bases = {k.removeprefix("Multi") for k in kinds}
    if len(bases) == 1:
        return f"Multi{bases.pop()}", True
    return "Unknown", False


@dataclass
class Table:
    """A collection as columns (see :func:`_table`)."""

    names: list[str]
    data: list[np.ndarray]
    wkb: list[bytes | None]
    bounds: np.ndarray
    """``(n, 4)`` boxes, NaN for a null geometry."""
    present: np.ndarray
    """Whether each feature has a geometry."""
    kinds: list[str]
    """The geometry types present, in order of first appearance."""
    arrow: Mapping[str, Any] = field(default_factory=dict)
    """Columns' Arrow arrays made ahead (:func:`prepare_rows`), by column name."""
    wkb_arrow: Any = None
    """The WKB's Arrow array made ahead, if it was."""


_FEATURE_ID = "\0feature_id"  # where the feature_id column first appears (no property's name)


def _clash_names(cols: Sequence[str], reserved: Sequence[str]) -> dict[str, str]:
    """Return new names for the columns whose names an export's own columns take; never drop one.

    The rule (all file formats): a property named like one of the export's own
    columns (compared without case) is renamed ``property_<name>``, the prefix repeated
    until the name is free (``id`` → ``property_id``; if a property ``property_id``
    exists too, ``property_property_id``).

    Examples
    --------
    >>> _clash_names(["id", "x", "WKT", "n"], ["id", "x", "y", "WKT"])
    {'id': 'property_id', 'x': 'property_x', 'WKT': 'property_WKT'}
    >>> _clash_names(["id", "property_id"], ["id"])
    {'id': 'property_property_id'}
    """
    taken = {c.lower() for c in (*reserved, *cols)}
    clash = {r.lower() for r in reserved}
    renamed: dict[str, str] = {}
    for col in cols:
        if col.lower() in clash:
            new = f"property_{col}"
            while new.lower() in taken:
                new = f"property_{new}"
            taken.add(new.lower())
            renamed[col] = new
    return renamed


def _table(fc: Mapping[str, Any], also: Sequence[str] = (), step: int = 50_000) -> Table:
    """Return a collection as columns: names, typed arrays and the geometries as WKB.

    Properties are flattened (:func:`flat_properties`); a feature ``id`` becomes the
    ``feature_id`` column; a property named ``feature_id`` or like a name GDAL reserves
    (``fid``, ``geom``, ``geometry``, and the writer's own columns ``also``) is kept as
    ``property_<name>`` (the rule of :func:`_clash_names`). Columns are filled as the
    features are read (no row dicts kept) and geometries are made ``step`` at a time,
    so a 650,000-feature output does not hold every row and every geometry at once.

    A collection made from a file's columns
    (:func:`~gsl_indicators.core.collection_columns.columns_of`) is made from them
    instead (:func:`_table_of_columns`), to the same table.

    Examples
    --------
    >>> t = _table({"features": [
    ...     {"id": 1, "geometry": {"type": "Point", "coordinates": [1, 2]},
    ...      "properties": {"geom": 5, "a": 1.5}},
    ...     {"geometry": None, "properties": {"b": "x"}}]})
    >>> t.names, [d.tolist() for d in t.data], t.kinds, t.wkb[1], t.bounds[0].tolist()
    (['property_geom', 'a', 'feature_id', 'b'], [[5, None], [1.5, nan], [1, None], [None, 'x']], ['Point'], None, [1.0, 2.0, 1.0, 2.0])
    """
    columns = columns_of(fc)
    if columns is not None:
        table = _table_of_columns(columns, also, step)
        if table is not None:
            return table
    return _table_of_features(fc.get("features") or [], also, step)


def _table_of_features(feats: Sequence[Any], also: Sequence[str], step: int) -> Table:
    """Return the :class:`Table` of GeoJSON features (see :func:`_table`)."""
    n = len(feats)
    has_ids = any(f.get("id") is not None for f in feats)
    columns: dict[str, list[Any]] = {}
    for i, feat in enumerate(feats):
        for key, value in flat_properties(feat.get("properties")).items():
            col = columns.get(key)
            if col is None:
                col = columns[key] = [None] * n
            col[i] = value
        if feat.get("id") is not None:
            col = columns.get(_FEATURE_ID)
            if col is None:
                col = columns[_FEATURE_ID] = [None] * n
            col[i] = feat["id"]
    names, data = _typed_columns(columns, also, has_ids)
    batches = (geometries({"features": feats[s : s + step]}) for s in range(0, n, step))
    return Table(names, data, *_geometry_columns(batches, n))


def _table_of_columns(columns: FeatureColumns, also: Sequence[str], step: int) -> Table | None:
    """Return the :class:`Table` of a collection made from columns, without its features.

    The same table as :func:`_table_of_features` on the collection's features, or
    ``None`` where it might differ, so the caller reads the features: no feature, a
    ``scorecard`` object to spread over columns, or a geometry that would not come back
    from its GeoJSON dict as it is (:func:`_as_from_dicts`). Every feature has every
    column (file features have no ``id``), so the columns' order is the properties'.
    What comes from the file's rows alone is made once (:func:`prepare_rows`).
    """
    rows = _rows_part(columns.rows, step)
    if rows is None:
        return None
    typed = dict(rows.columns)  # the file's columns in order; an output's replaces in place
    for key, values in columns.added.items():
        if key in columns.arrays:  # typed when made (a metric's numbers)
            typed[key] = columns.arrays[key]
            continue
        flat = _flat_column(key, values)
        if flat is None:
            return None
        typed[key] = _typed(*flat)
    names = _column_names(list(typed), also, has_ids=False)
    arrow = {  # those of the file's columns an output's did not replace, under their names
        name: rows.arrow[key]
        for name, key in zip(names, typed, strict=True)
        if key in rows.arrow and key not in columns.added
    }
    return Table(
        names,
        list(typed.values()),
        rows.wkb,
        rows.bounds,
        rows.present,
        rows.kinds,
        arrow,
        rows.wkb_arrow,
    )


@dataclass(frozen=True)
class _RowsPart:
    """What a :class:`Table` of a file's kept rows takes from the rows alone."""

    columns: dict[str, np.ndarray]
    """The file's property columns, flattened and typed (:func:`_typed`), in order."""
    wkb: list[bytes | None]
    bounds: np.ndarray
    present: np.ndarray
    kinds: list[str]
    arrow: dict[str, Any] = field(default_factory=dict)
    """The GeoParquet file's Arrow arrays of :attr:`columns`, made ahead by
    :func:`prepare_rows`."""
    wkb_arrow: Any = None
    """:attr:`wkb` as an Arrow array, made ahead by :func:`prepare_rows` (converting
    650,000 WKB values takes ~0.35 s)."""


_ROWS_KEY = "export-table"


def prepare_rows(rows: TableFeatures, step: int = 50_000) -> None:
    """Make what an export of these rows' output takes from the rows alone, and keep it.

    A hook of :meth:`~gsl_indicators.core.sources.TableFeatures.make_ready` (registered
    by :mod:`gsl_service.result_parts`): the parent of a tiled run makes it while its
    tiles run, so the GeoParquet file of a province's 650,000 homes then needs only the
    indicator's columns after the tiles. Kept in ``rows.memo``.
    """
    if _ROWS_KEY not in rows.memo:
        part = _rows_part_of(rows, step)
        if part is not None:
            import pyarrow as pa

            part = dataclasses.replace(
                part,
                arrow={k: _arrow_column(d) for k, d in part.columns.items()},
                wkb_arrow=pa.array(part.wkb, type=pa.binary()),
            )
        rows.memo[_ROWS_KEY] = part


def _rows_part(rows: TableFeatures, step: int) -> _RowsPart | None:
    """Return the rows' part of a table: the one :func:`prepare_rows` made, else made now.

    The one made is given once, then forgotten, so its memory goes with the table.
    """
    if _ROWS_KEY in rows.memo:
        part: _RowsPart | None = rows.memo.pop(_ROWS_KEY)
        return part
    return _rows_part_of(rows, step)


def _rows_part_of(rows: TableFeatures, step: int) -> _RowsPart | None:
    """Return the rows' part of a table, ``None`` where the features must be read instead."""
    geoms = rows.geometries()
    if not len(geoms) or not _as_from_dicts(geoms):
        return None
    columns: dict[str, np.ndarray] = {}
    for key, values in rows.property_columns().items():
        flat = _flat_column(key, values)
        if flat is None:
            return None
        columns[key] = _typed(*flat)
    batches = (geoms[s : s + step] for s in range(0, len(geoms), step))
    return _RowsPart(columns, *_geometry_columns(batches, len(geoms)))


def _flat_column(key: str, values: list[Any]) -> tuple[list[Any], set[type] | None] | None:
    """Return a property column as :func:`flat_properties` keeps each value, and their types.

    The types are ``None`` when values were flattened; ``None`` in all for a
    ``scorecard`` of objects, which spreads over columns of its own.
    """
    kinds = set(map(type, values))
    if kinds <= _PLAIN_OR_NONE:
        return values, kinds
    if key == "scorecard":
        return None
    return [v if v is None or type(v) in _PLAIN else _flat_value(v) for v in values], None


_PLAIN_OR_NONE = _PLAIN | {type(None)}


def _as_from_dicts(geoms: np.ndarray) -> bool:
    """Return whether every geometry is what its GeoJSON dict reads back as, WKB for WKB.

    That is: each is ``None`` or a geometry :func:`geometry_dicts` makes from its
    coordinates (2-D, non-empty points, polygons and multipolygons with no empty part),
    with finite coordinates throughout and no empty ring (the dicts' way back,
    :func:`~gsl_indicators.core.geojson_dicts.shapes`, reads such ones as text).

    Examples
    --------
    >>> _as_from_dicts(np.array([shapely.Point(1, 2), None, shapely.box(0, 0, 1, 1)]))
    True
    >>> _as_from_dicts(np.array([shapely.Point(1, 2, 3)])), _as_from_dicts(
    ...     np.array([shapely.LineString([(0, 0), (1, 1)])]))
    (False, False)
    """
    present = ~shapely.is_missing(geoms)
    if not (from_coordinates(geoms) | ~present).all():
        return False
    g = geoms[present]
    if not np.isfinite(shapely.get_coordinates(g)).all():  # a NaN inside finite bounds
        return False
    kinds = shapely.get_type_id(g)
    polygons = np.concatenate([g[kinds == 3], shapely.get_parts(g[kinds == 6])])
    holed = polygons[shapely.get_num_interior_rings(polygons) > 0]
    return bool((shapely.get_num_coordinates(shapely.get_rings(holed)) >= 4).all())


def _typed_columns(
    columns: dict[str, list[Any]], also: Sequence[str], has_ids: bool
) -> tuple[list[str], list[np.ndarray]]:
    """Return the columns' final names (clashes renamed) and typed arrays; empties ``columns``."""
    names = _column_names(list(columns), also, has_ids)
    data = [_typed(v) for v in columns.values()]
    columns.clear()
    return names, data


def _column_names(columns: list[str], also: Sequence[str], has_ids: bool) -> list[str]:
    """Return the columns' final names: clashes with reserved names renamed (:func:`_clash_names`)."""
    reserved = ("fid", "geom", "geometry", *also, *(("feature_id",) if has_ids else ()))
    renamed = _clash_names([c for c in columns if c != _FEATURE_ID], reserved)
    renamed[_FEATURE_ID] = "feature_id"
    return [renamed.get(c, c) for c in columns]


def _geometry_columns(
    batches: Iterable[np.ndarray], n: int
) -> tuple[list[bytes | None], np.ndarray, np.ndarray, list[str]]:
    """Return WKB, bounds, presence and kinds (a :class:`Table`'s) of ``n`` geometries in batches."""
    wkb: list[bytes | None] = []
    bounds = np.full((n, 4), np.nan)
    has_geometry = np.zeros(n, dtype=bool)
    kinds: dict[str, None] = {}
    start = 0
    for geoms in batches:
        present = np.asarray([g is not None for g in geoms], dtype=bool)
        wkb.extend(shapely.to_wkb(geoms).tolist())  # vectorised; None stays None
        has_geometry[start : start + len(geoms)] = present
        if present.any():
            bounds[start : start + len(geoms)][present] = shapely.bounds(geoms[present])
            for kind in shapely.get_type_id(geoms[present]).tolist():
                kinds.setdefault(_TYPE_NAMES[kind], None)
        start += len(geoms)
    return wkb, bounds, has_geometry, list(kinds)


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def srs_wkt(crs: str) -> str:
    """Return ``crs`` as WKT for GDAL (CRS84 as EPSG:4326, whose axes GDAL writes x/y)."""
    return CRS.from_user_input(crs).to_wkt() if crs != CRS84 else CRS.from_epsg(4326).to_wkt()


def gdal_layer_options(fmt: ExportFormat, *, all_placed: bool) -> dict[str, str]:
    """Return GDAL's layer creation options for a layer; ``all_placed``: no feature lacks a geometry.

    A FlatGeobuf file's spatial index cannot hold a feature without a geometry (GDAL
    refuses it: "NULL geometry not supported with spatial index"), so such a layer is
    written without one; readers then scan it whole.
    """
    return {} if all_placed or fmt is not FLATGEOBUF else {"SPATIAL_INDEX": "NO"}


def _to_gdal(fc: Mapping[str, Any], crs: str, layer: str, fmt: ExportFormat) -> bytes:
    """Return the FeatureCollection as a GeoPackage or FlatGeobuf file, written by GDAL."""
    from pyogrio.raw import write

    table = _table(fc)
    wkb = np.asarray(table.wkb, dtype=object)
    gtype, promote = layer_geometry_type(table.kinds)
    driver = "GPKG" if fmt is GPKG else "FlatGeobuf"
    with tempfile.TemporaryDirectory(prefix="gsl-export-") as tmp:
        path = os.path.join(tmp, f"{layer}.{fmt.extension}")
        write(
            path,
            geometry=wkb,
            field_data=[np.ma.getdata(d) for d in table.data],
            fields=table.names,
            field_mask=[_mask_of(d) for d in table.data],
            layer=layer,
            driver=driver,
            geometry_type=gtype,
            crs=srs_wkt(crs),
            promote_to_multi=promote,
            layer_options=gdal_layer_options(fmt, all_placed=bool(table.present.all())),
        )
        with open(path, "rb") as fh:
            return fh.read()


def to_gpkg(fc: Mapping[str, Any], crs: str, layer: str) -> bytes:
    """Return the FeatureCollection as a GeoPackage (one layer called ``layer``), via GDAL."""
    return _to_gdal(fc, crs, layer, GPKG)


def to_flatgeobuf(fc: Mapping[str, Any], crs: str, layer: str) -> bytes:
    """Return the FeatureCollection as FlatGeobuf (with its packed R-tree), via GDAL.

    GDAL writes the features in the order of the spatial index (a Hilbert curve), so
    the file's order is not the collection's; ``feature_id`` and the properties keep
    each feature's identity.
    """
    return _to_gdal(fc, crs, layer, FLATGEOBUF)


def to_geoparquet(fc: Mapping[str, Any], crs: str) -> bytes:
    """Return the FeatureCollection as GeoParquet 1.1 (WKB, ``bbox`` covering column), via pyarrow.

    The ``geo`` metadata names the CRS as PROJJSON (left out for OGC:CRS84, the
    specification's default); the ``bbox`` struct column lets readers skip row groups.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _table(fc, also=("bbox",))
    bounds, present = table.bounds, table.present
    ready = table.arrow
    arrays = [
        ready[name] if name in ready else _arrow_column(d)
        for name, d in zip(table.names, table.data, strict=True)
    ]
    bbox = bbox_column(bounds, present)
    geo = geoparquet_metadata(table.kinds, bounds, present, crs)
    wkb = table.wkb_arrow if table.wkb_arrow is not None else pa.array(table.wkb, type=pa.binary())
    out = pa.table(
        [*arrays, wkb, bbox],
        names=[*table.names, "geometry", "bbox"],
    )
    out = out.replace_schema_metadata({b"geo": geo})
    buf = io.BytesIO()
    pq.write_table(out, buf)
    return buf.getvalue()


def geoparquet_metadata(
    kinds: Iterable[str], bounds: np.ndarray, present: np.ndarray, crs: str
) -> bytes:
    """Return a GeoParquet 1.1 file's ``geo`` metadata (its ``geometry`` column, WKB).

    ``bounds``: each feature's box, ``(n, 4)``; ``present``: where a feature has a
    geometry. The CRS is PROJJSON, left out for OGC:CRS84 (the specification's default).
    """
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": sorted(kinds),
        "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}},
    }
    if present.any():
        column["bbox"] = [
            float(np.nanmin(bounds[:, 0])),
            float(np.nanmin(bounds[:, 1])),
            float(np.nanmax(bounds[:, 2])),
            float(np.nanmax(bounds[:, 3])),
        ]
    if crs != CRS84:
        column["crs"] = CRS.from_user_input(crs).to_json_dict()
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
    return orjson.dumps(geo)


def bbox_column(bounds: np.ndarray, present: np.ndarray) -> Any:
    """Return a GeoParquet file's ``bbox`` covering column (null where there is no geometry)."""
    import pyarrow as pa

    return pa.StructArray.from_arrays(
        [pa.array(bounds[:, k], mask=~present) for k in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
    )


def _arrow_column(data: np.ndarray) -> Any:
    """Return a typed column (:func:`_typed`) as the GeoParquet file's Arrow array.

    Nulls where the JSON has ``None``: a masked column's masked values, and a float
    column's NaN (JSON has no NaN, so each stands for a ``None``).

    Examples
    --------
    >>> _arrow_column(np.array([1.5, np.nan])).to_pylist()
    [1.5, None]
    >>> _arrow_column(np.ma.MaskedArray([True, False], mask=[False, True])).to_pylist()
    [True, None]
    """
    import pyarrow as pa

    if data.dtype == object:
        return pa.array(data.tolist())
    return pa.array(data, from_pandas=data.dtype.kind == "f")


def export(fc: Mapping[str, Any], fmt: ExportFormat, crs: str, layer: str) -> bytes:
    """Return ``fc`` in ``fmt`` (its CRS ``crs``; the layer name for GeoPackage and FlatGeobuf)."""
    if fmt is GPKG or fmt is FLATGEOBUF:
        return _to_gdal(fc, crs, layer, fmt)
    if fmt is GEOPARQUET:
        return to_geoparquet(fc, crs)
    if fmt is CSV:
        return to_csv(fc)
    return to_geojson(fc, crs)
