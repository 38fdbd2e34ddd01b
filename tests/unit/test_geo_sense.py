"""Coordinates checked for sense against the CRS they are declared in, with clear words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.geo import RD_BOUNDS, RD_NEW, check_coordinates, check_xy, read_layers
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
    x, y = DAM_RD
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y]]
    poly["features"] = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[x, y], [1]]]}},
    ]  # fmt: skip
    msg = _error(parks=poly)
    assert "feature 1" in msg and "Polygon" in msg


@settings(max_examples=examples(60))
@given(st.floats(min_value=3.2, max_value=7.2), st.floats(min_value=50.8, max_value=53.6))
def test_any_dutch_lon_lat_declared_as_rd_is_refused(lon: float, lat: float) -> None:
    with pytest.raises(InputError, match="degrees"):
        check_coordinates("x", _fc([(lon, lat)]), RD_NEW, declared=True)


X0, Y0, X1, Y1 = RD_BOUNDS  # x −7 000 … 300 000, y 289 000 … 629 000 (EPSG:28992's area of use)
MID_X, MID_Y = 150_000.0, 460_000.0  # inside, far from every edge


@settings(max_examples=examples(60))
@given(st.floats(min_value=X0, max_value=X1), st.floats(min_value=Y0, max_value=Y1))
def test_any_rd_coordinate_passes(x: float, y: float) -> None:
    check_coordinates("x", _fc([(x, y)]), RD_NEW, declared=True)


# each edge of RD_BOUNDS: a point 1 m inside passes, 1 m outside is refused
EDGES = [
    ("west", (X0 + 1, MID_Y), (X0 - 1, MID_Y)),
    ("south", (MID_X, Y0 + 1), (MID_X, Y0 - 1)),
    ("east", (X1 - 1, MID_Y), (X1 + 1, MID_Y)),
    ("north", (MID_X, Y1 - 1), (MID_X, Y1 + 1)),
]


@pytest.mark.parametrize(("edge", "inside", "outside"), EDGES, ids=[e[0] for e in EDGES])
def test_just_inside_each_edge_passes_and_just_outside_is_refused(
    edge: str, inside: tuple[float, float], outside: tuple[float, float]
) -> None:
    # the edge itself belongs to the bounds
    on_edge = {"west": (X0, MID_Y), "south": (MID_X, Y0), "east": (X1, MID_Y), "north": (MID_X, Y1)}
    check_coordinates("homes", _fc([DAM_RD, inside, on_edge[edge]]), RD_NEW, declared=True)
    with pytest.raises(InputError) as info:
        check_coordinates("homes", _fc([DAM_RD, outside]), RD_NEW, declared=True)
    msg = str(info.value)
    assert info.value.input_name == "homes" and "the 'crs' member declares EPSG:28992" in msg
    # one of the two sampled points is out; the message shows the x and y ranges
    assert "1 of 2 sampled coordinates" in msg and "outside RD New's bounds" in msg
    x_lo, x_hi = sorted((DAM_RD[0], outside[0]))
    y_lo, y_hi = sorted((DAM_RD[1], outside[1]))
    assert f"(x {x_lo:.0f} … {x_hi:.0f}, y {y_lo:.0f} … {y_hi:.0f})" in msg


def test_a_local_grid_near_the_origin_is_not_rd_new() -> None:
    # metres of a small local grid (what the tests used before): inside the projection's
    # domain but far from the Netherlands — refused, whether declared or guessed
    grid = _fc([(0.0, 0.0), (200.0, 100.0), (-50.0, 300.0)], "urn:ogc:def:crs:EPSG::28992")
    msg = _error(buildings=grid)
    assert "input 'buildings'" in msg and "EPSG:28992" in msg
    assert "3 of 3 sampled coordinates (x -50 … 200, y 0 … 300)" in msg
    with pytest.raises(InputError, match="without a 'crs' member, taken as EPSG:28992"):
        check_xy("buildings", np.array([[500.0, 300.0]]), RD_NEW, declared=False)


def test_degrees_of_a_place_abroad_declared_as_rd_new() -> None:
    # Paris in degrees is not "near the Netherlands" but still cannot be RD New metres
    msg = _error(parks=_fc([(2.3522, 48.8566)], "EPSG:28992"))
    assert "input 'parks'" in msg and "EPSG:28992" in msg and "outside RD New's bounds" in msg
    assert "x 2.3522" in msg and "look like longitude/latitude in degrees" in msg


def test_web_mercator_far_away() -> None:
    # Manhattan in Web Mercator metres: x −8 235 500, y 4 975 300 → lon x/R = −73.98°,
    # lat atan(sinh(y/R)) = 40.748° (R = 6 378 137 m)
    nyc = (-8_235_500.0, 4_975_300.0)
    msg = _error(trees=_fc([nyc], "EPSG:3857"))
    assert "input 'trees'" in msg and "EPSG:3857" in msg and "far from the Netherlands" in msg
    assert "x -73.98" in msg and "y 40.748" in msg
    # the same numbers declared as RD New: outside its bounds
    msg = _error(trees=_fc([nyc], "EPSG:28992"))
    assert "outside RD New's bounds" in msg and "x -8235500" in msg


def test_one_bad_feature_among_many_is_found() -> None:
    # all 150 features are sampled (every k-th with k = n // 200: every one below 400)
    pts = [(DAM_RD[0] + i, DAM_RD[1]) for i in range(150)]
    pts[77] = (DAM_RD[0], 700_000.0)  # 71 km north of RD New's northern edge
    msg = _error(buildings=_fc(pts, "EPSG:28992"))
    assert "1 of 150 sampled coordinates" in msg and "y 487400 … 700000" in msg


@settings(max_examples=examples(60))
@given(
    st.tuples(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7)).filter(
        lambda p: not (X0 <= p[0] <= X1 and Y0 <= p[1] <= Y1)
    )
)
def test_any_coordinate_outside_the_bounds_is_refused(p: tuple[float, float]) -> None:
    with pytest.raises(InputError) as info:
        check_coordinates("x", _fc([DAM_RD, p]), RD_NEW, declared=True)
    assert info.value.input_name == "x" and "EPSG:28992" in str(info.value)


def _vertices(c: Any) -> list[list[float]]:
    if c and isinstance(c[0], int | float):
        return [c]
    return [v for part in c for v in _vertices(part)]


def test_every_indicator_example_lies_inside_rd_new_at_every_vertex() -> None:
    # the service checks a sample (first vertex of up to 200 features); here every vertex
    # of every example input in EPSG:28992 — what the process descriptions show to users
    from gsl_indicators.core.spec import registry

    seen = 0
    for ind in registry():
        for name, value in (ind.describe().get("example") or {}).get("inputs", {}).items():
            if not (isinstance(value, dict) and value.get("type") == "FeatureCollection"):
                continue
            assert "28992" in value["crs"]["properties"]["name"], (ind.id, name)
            xy = np.array(
                [v[:2] for f in value["features"] for v in _vertices(f["geometry"]["coordinates"])]
            )
            assert ((xy >= [X0, Y0]) & (xy <= [X1, Y1])).all(), (ind.id, name)
            seen += 1
    assert seen >= 60  # 65 geo inputs in the examples of 22 indicators today
