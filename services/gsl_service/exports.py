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
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS, Transformer

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
        if key == "scorecard" and isinstance(value, Mapping):
            for metric, entry in (value.get("scores") or {}).items():
                if isinstance(entry, Mapping):
                    out.setdefault(f"score_{metric}", entry.get("score"))
            continue
        if isinstance(value, Mapping | list):
            try:
                out[key] = orjson.dumps(value).decode()
            except TypeError:  # integers beyond 64 bits
                out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = value
    return out


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            seen.setdefault(k, None)
    return list(seen)


def keep_clashing(rows: list[dict[str, Any]], reserved: Sequence[str]) -> list[dict[str, Any]]:
    """Rename the properties whose names an export's own columns take; never drop one.

    The rule (all file formats): a property named like one of the export's own
    columns (compared without case) is renamed ``property_<name>``, the prefix repeated
    until the name is free (``id`` → ``property_id``; if a property ``property_id``
    exists too, ``property_property_id``). Rows are renamed in place and returned.

    Examples
    --------
    >>> keep_clashing([{"id": 7, "x": 1.5, "WKT": "t", "n": 2}], ["id", "x", "y", "WKT"])
    [{'property_id': 7, 'property_x': 1.5, 'property_WKT': 't', 'n': 2}]
    >>> keep_clashing([{"id": 1, "property_id": 2}], ["id"])
    [{'property_property_id': 1, 'property_id': 2}]
    """
    cols = _columns(rows)
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
    if renamed:
        for i, row in enumerate(rows):
            rows[i] = {renamed.get(k, k): v for k, v in row.items()}
    return rows


def _typed(values: list[Any]) -> np.ndarray:
    """Return a column as a numpy array of one GDAL-friendly type."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return np.asarray(values, dtype=bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(-(2**63) <= v < 2**63 for v in present):
            return np.asarray(values, dtype=np.int64)
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.asarray([None if v is None else str(v) for v in values], dtype=object)


# -------------------------------------------------------------------------- geometries


def geometries(fc: Mapping[str, Any]) -> np.ndarray:
    """Return the features' geometries as shapely objects (``None`` for null geometry)."""
    feats = fc.get("features") or []
    out = np.empty(len(feats), dtype=object)
    for i, feat in enumerate(feats):
        g = feat.get("geometry") if isinstance(feat, Mapping) else None
        out[i] = shapely.from_geojson(orjson.dumps(g)) if g else None
    return out


def reproject_collection(fc: Mapping[str, Any], source_crs: str, target_crs: str) -> dict[str, Any]:
    """Return ``fc`` with every geometry reprojected (x/y axis order; lon/lat for CRS84)."""
    if source_crs == target_crs:
        return dict(fc)
    geoms = geometries(fc)
    tr = Transformer.from_crs(source_crs, target_crs, always_xy=True)
    mask = np.asarray([g is not None for g in geoms], dtype=bool)
    moved = geoms.copy()
    if mask.any():
        moved[mask] = shapely.transform(
            geoms[mask], lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
    feats = []
    for feat, geom in zip(fc.get("features") or [], moved, strict=True):
        new = dict(feat)
        new["geometry"] = None if geom is None else orjson.loads(shapely.to_geojson(geom))
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
    return orjson.dumps(out)


#: The CSV export's own columns, besides the properties.
CSV_COLUMNS = ("id", "x", "y", "WKT")


def to_csv(fc: Mapping[str, Any]) -> bytes:
    """Return the FeatureCollection as CSV: ``id``, the flat properties, ``x``/``y``, ``WKT``.

    ``x`` and ``y`` are filled for point features (a representative point otherwise
    would be a guess, so they stay empty there). A property named like one of these
    columns is kept under another name (:func:`keep_clashing`: ``id`` → ``property_id``).
    """
    feats = fc.get("features") or []
    rows = keep_clashing([flat_properties(f.get("properties")) for f in feats], CSV_COLUMNS)
    cols = _columns(rows)
    geoms = geometries(fc)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["id", *cols, "x", "y", "WKT"])
    for feat, row, geom in zip(feats, rows, geoms, strict=True):
        is_point = geom is not None and shapely.get_type_id(geom) == 0
        writer.writerow(
            [
                "" if feat.get("id") is None else feat.get("id"),
                *("" if row.get(c) is None else _csv_value(row[c]) for c in cols),
                shapely.get_x(geom) if is_point else "",
                shapely.get_y(geom) if is_point else "",
                "" if geom is None else shapely.to_wkt(geom, rounding_precision=-1),
            ]
        )
    return buf.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _geometry_type(geoms: np.ndarray) -> tuple[str, bool]:
    """Return the GeoPackage layer's geometry type and whether to promote to multi."""
    kinds = {g.geom_type for g in geoms if g is not None}
    if len(kinds) == 1:
        return kinds.pop(), False
    bases = {k.removeprefix("Multi") for k in kinds}
    if len(bases) == 1:
        return f"Multi{bases.pop()}", True
    return "Unknown", False


def _table(
    fc: Mapping[str, Any], also: Sequence[str] = ()
) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    """Return a collection as columns: names, typed arrays and the shapely geometries.

    Properties are flattened (:func:`flat_properties`); a feature ``id`` becomes the
    ``feature_id`` column; a property named ``feature_id`` or like a name GDAL reserves
    (``fid``, ``geom``, ``geometry``, and the writer's own columns ``also``) is kept as
    ``property_<name>`` (:func:`keep_clashing`).
    """
    feats = fc.get("features") or []
    has_ids = any(f.get("id") is not None for f in feats)
    reserved = ("fid", "geom", "geometry", *also, *(("feature_id",) if has_ids else ()))
    rows = keep_clashing([flat_properties(f.get("properties")) for f in feats], reserved)
    for feat, row in zip(feats, rows, strict=True):
        if feat.get("id") is not None:
            row["feature_id"] = feat["id"]
    cols = _columns(rows)
    return cols, [_typed([row.get(c) for row in rows]) for c in cols], geometries(fc)


def _srs(crs: str) -> str:
    return CRS.from_user_input(crs).to_wkt() if crs != CRS84 else CRS.from_epsg(4326).to_wkt()


def _to_gdal(fc: Mapping[str, Any], crs: str, layer: str, fmt: ExportFormat) -> bytes:
    """Return the FeatureCollection as a GeoPackage or FlatGeobuf file, written by GDAL."""
    from pyogrio.raw import write

    cols, data, geoms = _table(fc)
    wkb = np.asarray([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    gtype, promote = _geometry_type(geoms)
    driver = "GPKG" if fmt is GPKG else "FlatGeobuf"
    with tempfile.TemporaryDirectory(prefix="gsl-export-") as tmp:
        path = os.path.join(tmp, f"{layer}.{fmt.extension}")
        write(
            path,
            geometry=wkb,
            field_data=data,
            fields=cols,
            layer=layer,
            driver=driver,
            geometry_type=gtype,
            crs=_srs(crs),
            promote_to_multi=promote,
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

    cols, data, geoms = _table(fc, also=("bbox",))
    present = np.asarray([g is not None for g in geoms], dtype=bool)
    wkb = [None if g is None else shapely.to_wkb(g) for g in geoms]
    bounds = np.full((len(geoms), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geoms[present])
    arrays = [pa.array(d.tolist() if d.dtype == object else d) for d in data]
    bbox = pa.StructArray.from_arrays(
        [pa.array(bounds[:, k], mask=~present) for k in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
    )
    kinds = sorted({g.geom_type for g in geoms if g is not None})
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": kinds,
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
    table = pa.table(
        [*arrays, pa.array(wkb, type=pa.binary()), bbox], names=[*cols, "geometry", "bbox"]
    )
    table = table.replace_schema_metadata({b"geo": orjson.dumps(geo)})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def export(fc: Mapping[str, Any], fmt: ExportFormat, crs: str, layer: str) -> bytes:
    """Return ``fc`` in ``fmt`` (its CRS ``crs``; the layer name for GeoPackage and FlatGeobuf)."""
    if fmt is GPKG or fmt is FLATGEOBUF:
        return _to_gdal(fc, crs, layer, fmt)
    if fmt is GEOPARQUET:
        return to_geoparquet(fc, crs)
    if fmt is CSV:
        return to_csv(fc)
    return to_geojson(fc, crs)
