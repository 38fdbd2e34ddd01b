"""Tiled execution (core/tiling.py): the same document as one piece, whatever the tiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core import synthetic
from gsl_indicators.core.examples import (
    box,
    box_feature,
    feature,
    point,
    point_feature,
    rd_collection,
)
from gsl_indicators.core.spec import registry
from gsl_indicators.core.tiling import (
    TileOptions,
    TilePart,
    cells_of,
    decode_tile,
    encode_part,
    merge_parts,
    plan_cells,
    run_one_by_one,
    whole_reason,
)
from hypothesis_profiles import examples
from results import execute

GREEN = registry().get("green-3-30-300")
X, Y = 121000.0, 487000.0


def tiled(per_tile: int, runner=None) -> TileOptions:
    return TileOptions(features_per_tile=per_tile, threshold=0, runner=runner)


def same_but_tiles(one: dict, tiles: dict) -> None:
    """Assert two results are equal output by output, but for provenance's tile facts."""
    tiles = {**tiles, "provenance": dict(tiles["provenance"])}
    for k in ("tiles", "tiles_reason", "tiles_canopy"):
        tiles["provenance"].pop(k, None)
    assert one.keys() == tiles.keys()
    for name in one:
        if isinstance(one[name], dict) and "features" in one[name]:
            a, b = one[name]["features"], tiles[name]["features"]
            assert len(a) == len(b)
            for i, (fa, fb) in enumerate(zip(a, b, strict=True)):  # feature by feature
                assert fa == fb, f"{name}[{i}]"
        assert one[name] == tiles[name], name


# ------------------------------------------------------------------------ planning


@settings(max_examples=examples(30), deadline=None)
@given(
    xy=st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1, max_size=80),
    per_tile=st.integers(1, 30),
)
def test_cells_partition_the_world(xy, per_tile) -> None:
    pts = shapely.points(np.asarray(xy, dtype=float))
    world = (-51.0, -51.0, 51.0, 51.0)
    cells = plan_cells(pts, world, per_tile)
    # the cells tile the world: their areas add up to it (102 × 102 m)
    assert math.isclose(sum((c[2] - c[0]) * (c[3] - c[1]) for c in cells), 102.0 * 102.0)
    owner = cells_of(pts, cells, world)
    assert (owner >= 0).all()  # every feature in exactly one cell (first match wins)
    # and in the cell whose half-open box holds it
    for (x, y), k in zip(xy, owner.tolist(), strict=True):
        c = cells[k]
        assert c[0] <= x <= c[2] and c[1] <= y <= c[3]


def test_plan_cuts_at_centres() -> None:
    # 16 points on a 4 × 4 grid, 4 per tile: 2 columns cut at x = 2, 2 rows each at y = 2
    pts = shapely.points([(x, y) for x in range(4) for y in range(4)])
    cells = plan_cells(pts, (-1, -1, 4, 4), 4)
    assert cells == [(-1, -1, 2, 2), (-1, 2, 2, 4), (2, -1, 4, 2), (2, 2, 4, 4)]
    assert np.bincount(cells_of(pts, cells, (-1, -1, 4, 4))).tolist() == [4, 4, 4, 4]


def test_merge_refuses_parts_that_miss_a_feature() -> None:
    part = encode_part(TilePart(0, np.array([0, 1]), {"v": np.array([1.0, 2.0])}))
    with pytest.raises(ValueError, match="exactly once"):
        merge_parts([part], 3)
    assert merge_parts([part], 2).feature["v"].tolist() == [1.0, 2.0]


def test_whole_reasons() -> None:
    t = GREEN.tiling
    assert whole_reason(t, {"distance_mode": "network"}).startswith("network distances")
    assert whole_reason(t, {"tree_visibility": "line_of_sight"}).startswith("line of sight")
    assert whole_reason(t, {"uncertainty": {"samples": 10}}).startswith("uncertainty")
    assert whole_reason(t, {"distance_mode": "euclidean"}) is None
    assert registry().get("air-quality").menu_entry()["tiling"]["tileable"] is False
    assert GREEN.describe()["x-gsl"]["tiling"] == {
        "tileable": True,
        "reach": "tree_distance_m (parks, their groups and the areas are read whole)",
        "whole_layers": ["parks", "neighbourhoods", "canopy_extent"],
    }


# --------------------------------------------------------------- a hand-made city


def _edge_city() -> dict:
    """Four homes, a tile edge at y = 105 m between A, B (below) and C, D (above).

    One neighbourhood crosses the edge; two parks touch across it (2,000 + 3,000 m²:
    a park only together); a crown group straddles it; C's trees stand in the tile below.
    """

    def b(x0, y0, x1, y1):
        return box(X + x0, Y + y0, X + x1, Y + y1)

    homes = [
        box_feature(X + x0, Y + y0, X + x0 + 10, Y + y0 + 10, name, dwellings=1)
        for name, x0, y0 in (("A", 0, 0), ("B", 40, 0), ("C", 0, 100), ("D", 40, 100))
    ]
    trees = [feature(point(X + x, Y + y)) for x, y in ((5, 80), (6, 80), (7, 80), (45, 125))]
    crowns = [
        feature(b(20, 95, 30, 115)),
        feature(b(25, 110, 35, 120)),
        feature(b(-40, -40, -30, -30)),
    ]
    return {
        "buildings": rd_collection(homes),
        "trees": rd_collection(trees),
        "canopy": rd_collection(crowns),
        "neighbourhoods": rd_collection([box_feature(X - 50, Y - 50, X + 100, Y + 200, "BU01")]),
        "parks": rd_collection(
            [feature(b(60, 60, 110, 100), "P1"), feature(b(60, 100, 110, 160), "P2")]
        ),
        "min_park_area_m2": 4000.0,
        "park_distance_m": 60.0,
    }


def test_hand_made_city_across_a_tile_edge() -> None:
    inputs = _edge_city()
    homes = np.array(
        [
            shapely.box(X + x, Y + y, X + x + 10, Y + y + 10)
            for x, y in ((0, 0), (40, 0), (0, 100), (40, 100))
        ]
    )
    world = (X - 100, Y - 100, X + 200, Y + 300)
    assert [c[3] - Y for c in plan_cells(homes, world, 2)] == [105, 300]  # the edge: y = 105
    one = execute(GREEN, inputs)
    two = execute(GREEN, inputs, tiles=tiled(2))
    assert two["provenance"]["tiles"] == 2
    same_but_tiles(one, two)
    props = [f["properties"] for f in two["buildings"]["features"]]
    # trees within 30 m: C has the three at y = 80, 20 m below its wall (in the other
    # tile); D the one at (45, 125), 15 m above; A and B none (70 m; (7, 80) to B: 70 m)
    assert [p["trees_within"] for p in props] == [0, 0, 3, 1]
    assert [p["meets_3"] for p in props] == [False, False, True, False]
    # parks: 50 × 40 + 50 × 60 = 5,000 m² merged ≥ 4,000 (neither alone): distances
    # A √(50² + 50²) = 70.71, B √(10² + 50²) = 50.99, C 50, D 10; within 60 m: B, C, D
    assert [p["park_distance_m"] for p in props] == [70.71, 50.99, 50.0, 10.0]
    assert [p["meets_300"] for p in props] == [False, True, True, True]
    # canopy: 10 × 20 + 10 × 10 − 5 × 5 overlap = 275 m² across the edge, + 100 m²
    # = 375 m² of 150 × 250 = 37,500 m²: 0.01
    nb = two["neighbourhoods"]["features"][0]["properties"]
    assert nb["canopy_area_m2"] == 375 and nb["canopy_share"] == 0.01
    assert two["data_quality"]["parks"]["parks_after_merging"] == 1


def test_small_requests_are_untouched() -> None:
    inputs = _edge_city()
    doc = execute(GREEN, inputs, tiles=TileOptions(features_per_tile=2, threshold=5))
    assert "tiles" not in doc["provenance"]  # 4 homes < 5: one piece, not a word
    doc = execute(GREEN, inputs, tiles=TileOptions(features_per_tile=4, threshold=0))
    assert doc["provenance"]["tiles"] == "run whole"
    assert doc["provenance"]["tiles_reason"] == "at most 4 features: one tile"
    doc = execute(GREEN, {**inputs, "tree_visibility": "line_of_sight"}, tiles=tiled(2))
    assert doc["provenance"]["tiles"] == "run whole"


def test_a_crown_group_wider_than_a_tile_stays_whole() -> None:
    inputs = _edge_city()
    # a 140 × 240 m crown through both tiles, overlapping the straddling group: one group,
    # dissolved in one tile (the one holding its first crown), never cut
    strip = feature(box(X - 45, Y - 45, X + 95, Y + 195))
    inputs["canopy"] = rd_collection([*inputs["canopy"]["features"], strip])
    one = execute(GREEN, inputs)
    two = execute(GREEN, inputs, tiles=tiled(2))
    assert two["provenance"]["tiles"] == 2
    # 140 × 240 = 33,600 m² covers every other crown: 33,600 of 37,500 m² = 0.896
    nb = two["neighbourhoods"]["features"][0]["properties"]
    assert nb["canopy_area_m2"] == 33600 and nb["canopy_share"] == 0.896
    same_but_tiles(one, two)


def test_runner_sees_every_tile_and_bytes_only() -> None:
    seen: list[tuple[int, int]] = []

    def runner(payloads, on_tile):
        assert all(isinstance(p, bytes) for p in payloads)
        assert [decode_tile(p).tile for p in payloads] == list(range(len(payloads)))
        return run_one_by_one(payloads, lambda d, n: (seen.append((d, n)), on_tile(d, n)))

    doc = execute(GREEN, _edge_city(), tiles=tiled(2, runner))
    assert seen == [(1, 2), (2, 2)]
    assert doc["provenance"]["tiles"] == 2


# ------------------------------------------------------------- synthetic cities


VARIANTS = {
    "trees and crowns": ("trees", "canopy"),
    "crowns only": ("canopy",),
    "trees only": ("trees",),
}


@settings(max_examples=examples(12), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(150, 700),
    per_tile=st.integers(25, 140),  # below half the homes: always two tiles or more
    points=st.booleans(),
    variant=st.sampled_from(sorted(VARIANTS)),
    min_size=st.sampled_from([0.0, 6.0]),
)
def test_tiles_give_the_one_piece_document(seed, n, per_tile, points, variant, min_size) -> None:
    c = synthetic.city(n, seed=seed, building_points=points, missing_dwellings_share=0.1)
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods", *VARIANTS[variant])}
    inputs["min_tree_size_m"] = min_size
    if variant == "trees only" or min_size:
        inputs["tree_size_property"] = "height"
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(per_tile))
    assert many["provenance"]["tiles"] >= 2
    same_but_tiles(one, many)


URBANITY = registry().get("urbanity-class")


@settings(max_examples=examples(10), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(100, 600),
    per_tile=st.integers(20, 90),
    radius=st.sampled_from([100.0, 250.0, 1000.0]),
)
def test_urbanity_tiles_give_the_one_piece_document(seed, n, per_tile, radius) -> None:
    c = synthetic.city(n, seed=seed, building_points=True)
    inputs = {"addresses": c["buildings"], "areas": c["neighbourhoods"], "radius_m": radius}
    one = execute(URBANITY, inputs)
    many = execute(URBANITY, inputs, tiles=tiled(per_tile))
    assert many["provenance"]["tiles"] >= 2
    same_but_tiles(one, many)


def test_urbanity_hand_made_halo() -> None:
    # five addresses on a line, 60 m apart, radius 100 m. Tiles of 2: 2 columns, cut at
    # x = 120 m (a0, a1 | a2, a3, a4; one row, as all y are equal). Each address counts
    # itself and its neighbours within 100 m (60 m yes, 120 m no): the ends 2, the
    # others 3 — a1 and a2 each count a neighbour from the other tile
    pts = [point_feature(X + 60 * i, Y, f"a{i}") for i in range(5)]
    inputs = {"addresses": rd_collection(pts), "radius_m": 100.0}
    doc = execute(URBANITY, inputs, tiles=tiled(2))
    assert doc["provenance"]["tiles"] == 2
    area_km2 = math.pi * 0.1**2  # 0.0314 km²
    got = [f["properties"]["address_density"] for f in doc["addresses"]["features"]]
    want = [round(k / area_km2, 3) for k in (2, 3, 3, 3, 2)]  # 63.662 and 95.493
    assert got == want
    same_but_tiles(execute(URBANITY, inputs), doc)


def test_a_payload_may_name_only_an_indicators_kernel() -> None:
    from gsl_indicators.core.tiling import TileData, encode_tile, run_tile

    tile = TileData(0, (0.0, 0.0, 1.0, 1.0), np.zeros(0, np.int64), np.empty(0, object),
                    {}, {}, {}, {}, "os:system", 0)  # fmt: skip
    with pytest.raises(ValueError, match="not an indicator's"):
        run_tile(encode_tile(tile))


COOL = registry().get("cool-place-distance")


@settings(max_examples=examples(8), deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(150, 600), per_tile=st.integers(25, 70))
def test_cool_place_tiles_give_the_one_piece_document(seed, n, per_tile) -> None:
    c = synthetic.city(n, seed=seed, missing_dwellings_share=0.1)
    inputs = {k: c[k] for k in ("buildings", "cool_places", "neighbourhoods")}
    one = execute(COOL, inputs)
    many = execute(COOL, inputs, tiles=tiled(per_tile))
    assert many["provenance"]["tiles"] >= 2
    same_but_tiles(one, many)


def test_cool_place_halves_across_a_tile_edge() -> None:
    # homes A (0, 0) and B (0, 100) in two tiles; a cool place drawn as two touching
    # 10 × 12 m halves (120 m² each, 240 m² together ≥ 200) at x 40–60, y 90–102: it
    # counts only merged. A: √(40² + 90²) = 98.49 m, B: 40 m (level with it)
    homes = [point_feature(X, Y + y, name, dwellings=1) for name, y in (("A", 0), ("B", 100))]
    halves = [
        box_feature(X + 40, Y + 90, X + 50, Y + 102),
        box_feature(X + 50, Y + 90, X + 60, Y + 102),
    ]
    inputs = {"buildings": rd_collection(homes), "cool_places": rd_collection(halves)}
    doc = execute(COOL, inputs, tiles=tiled(1))
    assert doc["provenance"]["tiles"] == 2
    got = [f["properties"]["cool_distance_m"] for f in doc["buildings"]["features"]]
    assert got == [98.49, 40.0]
    same_but_tiles(execute(COOL, inputs), doc)
    assert whole_reason(COOL.tiling, {"distance_mode": "network"}).startswith("network")


PROXIMITY = registry().get("proximity-facilities")


@settings(max_examples=examples(8), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(150, 600),
    per_tile=st.integers(25, 70),
    named=st.booleans(),
)
def test_proximity_tiles_give_the_one_piece_document(seed, n, per_tile, named) -> None:
    c = synthetic.city(n, seed=seed, missing_dwellings_share=0.1)
    inputs = {k: c[k] for k in ("buildings", "facilities", "neighbourhoods")}
    if named:  # per-type columns too
        types = sorted({f["properties"]["type"] for f in c["facilities"]["features"]})
        inputs["facility_types"] = types[:3]
    one = execute(PROXIMITY, inputs)
    many = execute(PROXIMITY, inputs, tiles=tiled(per_tile))
    assert many["provenance"]["tiles"] >= 2
    same_but_tiles(one, many)


def test_released_layers_leave_the_document_unchanged() -> None:
    """``compute_outputs(release=True)`` drops the layers the assembler does not read.

    The document is the same as without release (canonical bytes), and only the
    features' and areas' layers are left in the caller's dict.
    """
    from gsl_indicators.core import run
    from gsl_indicators.core.canonical import canonical_json
    from gsl_indicators.core.geo import read_layers
    from gsl_indicators.core.spec import Context

    inputs = _edge_city()
    params = run.prepare(GREEN, inputs)
    docs = []
    for release in (False, True):
        layers, _ = read_layers(GREEN.inputs, inputs)
        given = set(layers)
        out = run.compute_outputs(GREEN, layers, dict(params), Context(), release=release)
        docs.append(canonical_json(out))
        left = {GREEN.features, GREEN.areas} if release else given
        assert set(layers) == left
    assert docs[0] == docs[1]
    assert {"trees", "canopy", "parks"} <= given
