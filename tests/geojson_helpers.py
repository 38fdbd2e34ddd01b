"""Small builders for GeoJSON test inputs (EPSG:28992 unless said otherwise)."""

from __future__ import annotations

from typing import Any

RD_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


def feature(geometry: dict[str, Any] | None, fid: Any = None, **props: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        f["id"] = fid
    return f


def fc(*features: dict[str, Any], crs: dict[str, Any] | None = RD_CRS) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        out["crs"] = crs
    return out


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def line(*xy: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(p) for p in xy]}
