"""The seeded synthetic city generator."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import shapely

from gsl_indicators.core import synthetic


def _geoms(fc: dict) -> np.ndarray:
    return shapely.from_geojson([orjson.dumps(f["geometry"]) for f in fc["features"]])


def test_layers_sizes_and_determinism() -> None:
    c = synthetic.city(1000, seed=4)
    assert sorted(c) == sorted(synthetic.LAYERS)
    assert len(c["buildings"]["features"]) == 1000
    assert len(c["trees"]["features"]) == 3000
    assert len(c["canopy"]["features"]) == 2700
    assert len({f["properties"]["park_id"] for f in c["parks"]["features"]}) == 20
    assert synthetic.city(1000, seed=4) == c
    assert synthetic.city(1000, seed=5)["trees"] != c["trees"]
    for fc in c.values():
        assert fc["crs"]["properties"]["name"].endswith("28992")
        ids = [f["id"] for f in fc["features"]]
        assert len(set(ids)) == len(ids)


def test_geometry_is_valid_and_as_described() -> None:
    c = synthetic.city(2000, seed=1, missing_dwellings_share=0.1)
    g = {k: _geoms(v) for k, v in c.items()}
    for k, v in g.items():
        assert shapely.is_valid(v).all(), k
    assert set(shapely.get_type_id(g["network"]).tolist()) == {1}
    # homes never sit on a street or footpath
    assert len(shapely.STRtree(g["network"]).query(g["buildings"], predicate="intersects")[0]) == 0
    # some crowns overlap, some parks are several touching polygons
    left, right = shapely.STRtree(g["canopy"]).query(g["canopy"], predicate="overlaps")
    assert (left < right).sum() > 100
    by_park: dict[int, int] = {}
    for f in c["parks"]["features"]:
        by_park[f["properties"]["park_id"]] = by_park.get(f["properties"]["park_id"], 0) + 1
    assert max(by_park.values()) >= 2
    # neighbourhoods tile the city without overlaps
    nb = g["neighbourhoods"]
    assert abs(shapely.area(shapely.union_all(nb)) - shapely.area(nb).sum()) < 1e-6
    # dwellings: positive integers, some missing when asked
    dw = [f["properties"].get("dwellings") for f in c["buildings"]["features"]]
    assert 100 < sum(d is None for d in dw) < 300
    assert all(d >= 1 for d in dw if d is not None)
    types = {f["properties"]["type"] for f in c["facilities"]["features"]}
    assert types == set(synthetic.FACILITY_TYPES)
    assert len(c["cool_places"]["features"]) and len(c["play_areas"]["features"])


def test_building_points_option() -> None:
    c = synthetic.city(100, seed=0, building_points=True)
    assert {f["geometry"]["type"] for f in c["buildings"]["features"]} == {"Point"}


def test_province_counts_scale_with_homes_and_repeat_with_the_seed() -> None:
    p = synthetic.province(13_000, seed=5)
    counts = {k: len(v[0]) for k, v in p.items()}
    # 13,000 / 650,000 = 1/50 of 2,000,000 trees, 1,500,000 crowns and 1,500 neighbourhoods
    assert counts["buildings"] == 13_000
    assert (counts["trees"], counts["canopy"], counts["neighbourhoods"]) == (40_000, 30_000, 30)
    again = synthetic.province(13_000, seed=5)
    for k in p:
        assert shapely.equals_exact(p[k][0], again[k][0], tolerance=0).all()
        for col in p[k][1]:
            assert (p[k][1][col] == again[k][1][col]).all()
    other = synthetic.province(13_000, seed=6)
    assert not shapely.equals_exact(p["trees"][0], other["trees"][0], tolerance=0).all()


def test_province_neighbourhoods_tile_it_and_hold_every_home() -> None:
    homes, cols = synthetic.province(6_500, seed=1)["buildings"]
    nbh, ncols = synthetic.province(6_500, seed=1)["neighbourhoods"]
    assert len(nbh) == 15 == len(set(ncols["code"]))  # 6,500 / 650,000 × 1,500
    # the rectangles cover the province's square without overlap: areas add up to the union
    union = shapely.union_all(nbh)
    assert shapely.area(nbh).sum() == pytest.approx(union.area, rel=1e-12)
    x0, y0, x1, y1 = union.bounds
    assert union.area == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-12)
    # every home's centre lies in exactly one neighbourhood (or on an edge of two)
    tree = shapely.STRtree(nbh)
    hits = tree.query(shapely.centroid(homes), predicate="intersects")
    assert set(hits[0].tolist()) == set(range(len(homes)))
    assert shapely.is_valid(homes).all() and (cols["dwellings"] >= 1).all()
    assert len(set(cols["id"])) == 6_500
