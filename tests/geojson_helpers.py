"""Small builders for GeoJSON test inputs (EPSG:28992 unless said otherwise).

A test lays out its homes, parks and zones on a small local grid in metres (a park
``box(0, 0, 100, 100)``, a home ``point(50, 150)``), which keeps its hand arithmetic
short. RD New refuses coordinates outside its area of use
(:data:`gsl_indicators.core.geo.RD_BOUNDS`), so :func:`fc` places that grid at a real
position: its (0, 0) is :data:`RD_ORIGIN` (between Amsterdam and Utrecht). Distances,
areas and bearings do not change under a translation; only coordinates that a test
reads back from an output are shifted, by ``RD_ORIGIN`` (see :func:`rd`).
"""

from __future__ import annotations

from typing import Any

RD_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
#: Where the local grid's (0, 0) lies in RD New (x, y metres): inside RD New's bounds
#: (x −7 000 … 300 000, y 289 000 … 629 000) with hundreds of km to spare for any test grid.
RD_ORIGIN = (120_000.0, 487_000.0)


def rd(x: float, y: float) -> tuple[float, float]:
    """Return the RD New position of the local grid point ``(x, y)``.

    Examples
    --------
    >>> rd(10, -5)
    (120010.0, 486995.0)
    """
    return (RD_ORIGIN[0] + x, RD_ORIGIN[1] + y)


def shifted(c: Any, dx: float, dy: float) -> Any:
    """Return GeoJSON ``coordinates`` (any nesting) moved by ``(dx, dy)``; other values as given.

    Examples
    --------
    >>> shifted([[0, 0], [1.5, 2]], 10, 20)
    [[10, 20], [11.5, 22]]
    """
    if isinstance(c, list) and c and all(isinstance(v, int | float) for v in c[:2]):
        if len(c) >= 2 and not any(isinstance(v, bool) for v in c[:2]):
            return [c[0] + dx, c[1] + dy, *c[2:]]
        return c
    if isinstance(c, list):
        return [shifted(v, dx, dy) for v in c]
    return c


def _placed(geometry: Any, dx: float, dy: float) -> Any:
    if not isinstance(geometry, dict):
        return geometry
    out = dict(geometry)
    if "coordinates" in out:
        out["coordinates"] = shifted(out["coordinates"], dx, dy)
    if isinstance(out.get("geometries"), list):
        out["geometries"] = [_placed(g, dx, dy) for g in out["geometries"]]
    return out


def _is_rd_new(crs: dict[str, Any] | None) -> bool:
    name = ((crs or {}).get("properties") or {}).get("name")
    return isinstance(name, str) and name.upper().replace("::", ":").endswith("EPSG:28992")


def feature(geometry: dict[str, Any] | None, fid: Any = None, **props: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        f["id"] = fid
    return f


def fc(
    *features: dict[str, Any],
    crs: dict[str, Any] | None = RD_CRS,
    origin: tuple[float, float] | None = RD_ORIGIN,
) -> dict[str, Any]:
    """Return a FeatureCollection of ``features``.

    With the RD New ``crs`` (the default) the features' coordinates are local grid
    metres, placed at ``origin`` (:data:`RD_ORIGIN`); ``origin=None`` keeps coordinates
    that are already RD New positions. Without a ``crs`` (longitude/latitude, or RD New
    guessed from the numbers) coordinates are kept as given.

    Examples
    --------
    >>> fc(feature(point(1, 2)))["features"][0]["geometry"]["coordinates"]
    [120001.0, 487002.0]
    >>> fc(feature(point(121_000, 487_000)), origin=None)["features"][0]["geometry"]["coordinates"]
    [121000, 487000]
    >>> fc(feature(point(4.9, 52.37)), crs=None)["features"][0]["geometry"]["coordinates"]
    [4.9, 52.37]
    """
    feats = list(features)
    if origin is not None and _is_rd_new(crs):
        feats = [
            {**f, "geometry": _placed(f.get("geometry"), *origin)} if isinstance(f, dict) else f
            for f in feats
        ]
    out: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
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
