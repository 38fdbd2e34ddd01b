"""The seeded synthetic city generator."""

from __future__ import annotations

import numpy as np
import orjson
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
