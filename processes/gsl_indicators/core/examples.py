"""Builders for the small GeoJSON ``example`` inputs of the indicator declarations.

Every example is a FeatureCollection in EPSG:28992 (RD New, with the legacy ``crs``
member GDAL writes) of a few points, boxes or lines. These helpers write that
boilerplate once; the values (coordinates, ids, properties) stay in the declarations.
Coordinates are real RD New positions (inside :data:`gsl_indicators.core.geo.RD_BOUNDS`,
mostly around Amsterdam): the service refuses EPSG:28992 coordinates outside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "RD_CRS",
    "box",
    "box_feature",
    "feature",
    "id_box_feature",
    "line",
    "line_feature",
    "point",
    "point_feature",
    "rd_collection",
]

RD_CRS: dict[str, Any] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
"""The ``crs`` member of an EPSG:28992 FeatureCollection."""


def rd_collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return a FeatureCollection in EPSG:28992 holding ``features``.

    Examples
    --------
    >>> fc = rd_collection([point_feature(121000, 487000, "a")])
    >>> fc["crs"]["properties"]["name"], len(fc["features"])
    ('urn:ogc:def:crs:EPSG::28992', 1)
    """
    return {"type": "FeatureCollection", "crs": RD_CRS, "features": list(features)}


def point(x: float, y: float) -> dict[str, Any]:
    """Return a GeoJSON Point geometry.

    Examples
    --------
    >>> point(121000, 487000)
    {'type': 'Point', 'coordinates': [121000, 487000]}
    """
    return {"type": "Point", "coordinates": [x, y]}


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """Return a rectangular GeoJSON Polygon (counter-clockwise from ``(x0, y0)``).

    Examples
    --------
    >>> box(121000, 487000, 121002, 487001)["coordinates"]
    [[[121000, 487000], [121002, 487000], [121002, 487001], [121000, 487001], [121000, 487000]]]
    """
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def line(coordinates: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Return a GeoJSON LineString through ``coordinates``.

    Examples
    --------
    >>> line([(121000, 487000), (121003, 487004)])
    {'type': 'LineString', 'coordinates': [[121000, 487000], [121003, 487004]]}
    """
    return {"type": "LineString", "coordinates": [list(c) for c in coordinates]}


def feature(
    geometry: dict[str, Any], id: Any = None, properties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return a GeoJSON Feature; ``id`` and ``properties`` are left out when ``None``.

    Examples
    --------
    >>> feature(point(121000, 487000), "a", {"dwellings": 3})["properties"]
    {'dwellings': 3}
    >>> sorted(feature(point(121000, 487000)))
    ['geometry', 'type']
    """
    out: dict[str, Any] = {"type": "Feature"}
    if id is not None:
        out["id"] = id
    out["geometry"] = geometry
    if properties is not None:
        out["properties"] = dict(properties)
    return out


def point_feature(x: float, y: float, id: Any = None, **props: Any) -> dict[str, Any]:
    """Return a Point Feature with the keyword arguments as its properties.

    Examples
    --------
    >>> point_feature(121000, 487000, "w1", dwellings=4)
    {'type': 'Feature', 'id': 'w1', 'geometry': {'type': 'Point', 'coordinates': [121000, 487000]}, 'properties': {'dwellings': 4}}
    """
    return feature(point(x, y), id, props)


def box_feature(
    x0: float, y0: float, x1: float, y1: float, id: Any = None, **props: Any
) -> dict[str, Any]:
    """Return a rectangular Polygon Feature with the keyword arguments as its properties.

    Examples
    --------
    >>> box_feature(121000, 487000, 121010, 487010, "BU01", name="Noord")["properties"]
    {'name': 'Noord'}
    """
    return feature(box(x0, y0, x1, y1), id, props)


def id_box_feature(
    id: Any, x0: float, y0: float, x1: float, y1: float, **props: Any
) -> dict[str, Any]:
    """Return a rectangular Polygon Feature whose ``id`` is also its ``id`` property.

    Examples
    --------
    >>> id_box_feature("west", 121000, 487000, 121010, 487010, urbanity_class=1)["properties"]
    {'id': 'west', 'urbanity_class': 1}
    """
    return feature(box(x0, y0, x1, y1), id, {"id": id, **props})


def line_feature(
    coordinates: Sequence[Sequence[float]], id: Any = None, **props: Any
) -> dict[str, Any]:
    """Return a LineString Feature with the keyword arguments as its properties.

    Examples
    --------
    >>> line_feature([(121000, 487000), (121010, 487000)], highway="footway")["properties"]
    {'highway': 'footway'}
    """
    return feature(line(coordinates), id, props)
