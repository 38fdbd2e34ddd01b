"""Coordinates checked for sense against the CRS they are declared in, with clear words."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.geo import RD_NEW, check_coordinates, read_layers
from gsl_indicators.core.spec import Context, GeoInput, InputError
from hypothesis_profiles import examples

POINTS = ("Point",)


def _fc(coords: list[tuple[float, float]], crs: str | None = None) -> dict[str, Any]:
    fc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(c)},
                "properties": {},
            }
            for c in coords
        ],
    }
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return fc


def _read(**layers: dict[str, Any]) -> tuple[dict[str, Any], Context]:
    ctx = Context()
    specs = [GeoInput(name, name, "", (*POINTS, "Polygon")) for name in layers]
    out, _ = read_layers(specs, layers, ctx)
    return out, ctx


def _error(**layers: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        _read(**layers)
    return str(info.value)


DAM_LONLAT = (4.8926, 52.3731)  # the Dam in Amsterdam
DAM_RD = (121_400.0, 487_400.0)


def test_degrees_declared_as_rd_new() -> None:
    msg = _error(parks=_fc([DAM_LONLAT], "urn:ogc:def:crs:EPSG::28992"))
    assert "input 'parks'" in msg and "EPSG:28992" in msg
    assert "x 4.8926" in msg and "degrees" in msg


def test_rd_new_declared_as_web_mercator_lands_in_the_gulf_of_guinea() -> None:
    msg = _error(buildings=_fc([DAM_RD], "EPSG:3857"))
    assert "input 'buildings'" in msg and "EPSG:3857" in msg
    # 121 400 m east, 487 400 m north of (0°, 0°) in Web Mercator: about 1.09° E, 4.36° N
    assert "x 1.09" in msg and "y 4.3" in msg and "far from the Netherlands" in msg
    assert "RD New" in msg


def test_metres_declared_as_degrees() -> None:
    msg = _error(trees=_fc([DAM_RD], "urn:ogc:def:crs:OGC:1.3:CRS84"))
    assert "input 'trees'" in msg and "OGC:CRS84" in msg
    assert "x 121400" in msg and "metres" in msg and "EPSG:28992" in msg


def test_web_mercator_metres_declared_as_rd_new() -> None:
    # the Dam in Web Mercator: x ≈ 544 650, y ≈ 6 867 700
    msg = _error(parks=_fc([(544_650.0, 6_867_700.0)], "EPSG:28992"))
    assert "outside RD New's bounds" in msg and "Web Mercator" in msg


def test_good_inputs_pass_in_every_crs() -> None:
    layers, ctx = _read(
        a=_fc([DAM_RD], "urn:ogc:def:crs:EPSG::28992"),
        b=_fc([DAM_LONLAT]),
        c=_fc([(544_650.0, 6_867_700.0)], "EPSG:3857"),
    )
    assert set(layers) == {"a", "b", "c"}
    assert [w for w in ctx.warnings if w["code"] == "no-overlap"] == []


def test_layers_far_apart_are_reported_with_the_distance() -> None:
    homes = _fc([DAM_RD, (DAM_RD[0] + 100, DAM_RD[1])], "EPSG:28992")
    parks = _fc([(DAM_RD[0] + 30_100, DAM_RD[1] + 40_000)], "EPSG:28992")
    _, ctx = _read(buildings=homes, parks=parks)
    (w,) = [w for w in ctx.warnings if w["code"] == "no-overlap"]
    assert w["input"] == "parks"
    # gap between the boxes: dx = 30 100 − 100 = 30 000 m, dy = 40 000 m → 50.0 km
    assert "'parks'" in w["message"] and "'buildings'" in w["message"] and "50.0 km" in w["message"]


def test_a_layer_just_beside_the_homes_is_no_warning() -> None:
    homes = _fc([DAM_RD], "EPSG:28992")
    shops = _fc([(DAM_RD[0] + 600, DAM_RD[1])], "EPSG:28992")
    _, ctx = _read(buildings=homes, shops=shops)
    assert [w for w in ctx.warnings if w["code"] == "no-overlap"] == []


def test_geometry_error_names_the_feature_index() -> None:
    fc = _fc([DAM_RD, DAM_RD], "EPSG:28992")
    fc["features"].append(
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": ["x"]}}
    )
    assert "feature 2" in _error(buildings=fc)
    poly = _fc([], "EPSG:28992")
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    poly["features"] = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1]]]}},
    ]  # fmt: skip
    msg = _error(parks=poly)
    assert "feature 1" in msg and "Polygon" in msg


@settings(max_examples=examples(60))
@given(st.floats(min_value=3.2, max_value=7.2), st.floats(min_value=50.8, max_value=53.6))
def test_any_dutch_lon_lat_declared_as_rd_is_refused(lon: float, lat: float) -> None:
    with pytest.raises(InputError, match="degrees"):
        check_coordinates("x", _fc([(lon, lat)]), RD_NEW, declared=True)


@settings(max_examples=examples(60))
@given(
    st.floats(min_value=-7_000, max_value=300_000),
    st.floats(min_value=289_000, max_value=629_000),
)
def test_any_rd_coordinate_passes(x: float, y: float) -> None:
    check_coordinates("x", _fc([(x, y)]), RD_NEW, declared=True)
