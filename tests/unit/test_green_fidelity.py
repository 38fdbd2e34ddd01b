"""Issue 13 on green-3-30-300 (2.1.0): park unit and merge gap, trees in sight, tree size,
one population for the three shares and one definition of a home. Hand-computed cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.green import park_groups, trees_in_sight, trees_within
from results import execute

X, Y = 0.0, 0.0  # the local grid's origin: fc() places it at RD_ORIGIN in RD New
IND = registry().get("green-3-30-300")


def b(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return box(X + x0, Y + y0, X + x1, Y + y1)


def p(x: float, y: float) -> dict[str, Any]:
    return point(X + x, Y + y)


def multibox(*boxes: tuple[float, float, float, float]) -> dict[str, Any]:
    return {"type": "MultiPolygon", "coordinates": [b(*bx)["coordinates"] for bx in boxes]}


def run(**inputs: Any) -> dict[str, Any]:
    return execute(IND, inputs)


def homes(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["properties"] for f in result["buildings"]["features"]]


NB = fc(feature(b(-500, -500, 3000, 500), "BU1"))
TREES = fc(feature(p(0, 0)))


# --------------------------------------------------------------------------- park unit


def test_park_unit_part_judges_each_part_of_a_multipolygon_alone() -> None:
    # One park feature: a 100 x 100 = 10,000 m² part at x 0..100 and a 50 x 50 = 2,500 m²
    # part at x 2000..2050. The home at x 2025, y -100 is 100 m from the small part and
    # 1,925 m from the large one.
    # feature: one park of 12,500 m² ≥ 10,000 → qualifies → distance 100 → meets 300
    # part: the small part alone (2,500 m²) does not qualify → distance to the large part
    #   = sqrt((2025 − 100)² + 100²) = sqrt(3,705,625 + 10,000) = 1,927.6 m → fails
    inputs = {
        "buildings": fc(feature(p(2025, -100), "h", dwellings=1)),
        "trees": TREES,
        "neighbourhoods": NB,
        "parks": fc(feature(multibox((0, 0, 100, 100), (2000, 0, 2050, 50)), "park")),
    }
    (h,) = homes(run(**inputs))
    assert h["park_distance_m"] == 100.0 and h["meets_300"] is True
    res = run(**inputs, park_unit="part")
    (h,) = homes(res)
    assert h["park_distance_m"] == round(float(np.hypot(1925, 100)), 2) == 1927.6
    assert h["meets_300"] is False
    parks = res["data_quality"]["parks"]
    assert parks["park_unit"] == "part" and parks["features"] == 1
    assert parks["parks_judged"] == 2 and parks["qualifying"] == 1


def test_park_merge_gap_joins_two_lawns_split_by_a_path() -> None:
    # Two 60 x 100 lawns (6,000 m² each) on either side of a 3 m path (x 60..63):
    # gap 0 → two parks below 1 ha → no park; gap 5 → one park of 12,000 m² (the path is
    # not added) → the home 50 m south of it meets the 300.
    inputs = {
        "buildings": fc(feature(p(30, -50), "h", dwellings=1)),
        "trees": TREES,
        "neighbourhoods": NB,
        "parks": fc(feature(b(0, 0, 60, 100), "west"), feature(b(63, 0, 123, 100), "east")),
    }
    (h,) = homes(run(**inputs))
    assert h["meets_300"] is False
    res = run(**inputs, park_merge_gap_m=5)
    (h,) = homes(res)
    assert h["meets_300"] is True and h["park_distance_m"] == 50.0
    assert res["data_quality"]["parks"]["parks_after_merging"] == 1
    # a gap narrower than the path keeps them apart: 2 m < 3 m
    (h,) = homes(run(**inputs, park_merge_gap_m=2))
    assert h["meets_300"] is False


def test_park_groups_gap_kernel_by_hand() -> None:
    parks = np.array([shapely.box(0, 0, 60, 100), shapely.box(63, 0, 123, 100)])
    assert park_groups(parks, merge_touching=False, gap_m=3.0)[1].tolist() == [12000.0]
    assert park_groups(parks, merge_touching=False, gap_m=2.9)[1].tolist() == [6000.0, 6000.0]


# --------------------------------------------------------------------------- line of sight


def _sight_case(**extra: Any) -> dict[str, Any]:
    # Home h: footprint 0..10 x 0..10. Building s (a shop, dwellings 0) at x 20..22,
    # y -5..25, between h and three trees east of it. Trees:
    #   (30, 5), (32, 8), (35, 2): 20, 22, 25 m from h's east façade, behind the shop
    #   (5, 20): 10 m north, (15, 5): 5 m east, in front of the shop → seen
    # distance mode: 5 trees within 30 m → meets 3; line of sight: 2 → fails.
    return run(
        buildings=fc(
            feature(b(0, 0, 10, 10), "h", dwellings=1),
            feature(b(20, -5, 22, 25), "s", dwellings=0),
        ),
        trees=fc(*(feature(p(x, y)) for x, y in ((30, 5), (32, 8), (35, 2), (5, 20), (15, 5)))),
        neighbourhoods=NB,
        parks=fc(feature(b(0, 100, 200, 200), "park")),
        **extra,
    )


def test_line_of_sight_counts_only_trees_not_behind_another_building() -> None:
    h, _shop = homes(_sight_case())
    assert h["trees_within"] == 5 and h["meets_3"] is True
    res = _sight_case(tree_visibility="line_of_sight")
    h, _shop = homes(res)
    assert h["trees_within"] == 2 and h["meets_3"] is False
    # the shop is not a home: one home in the shares, one feature counted as not a home
    assert res["summary"]["buildings"] == 1 and res["data_quality"]["not_homes"] == 1
    assert res["summary"]["share_buildings_meeting_3"] == 0.0


def test_trees_in_sight_kernel_touching_a_corner_does_not_block() -> None:
    # The sight line from (10, 10) to (30, 30) passes the corner (20, 20) of the block
    # 20..30 x 0..20 only at that point: seen. A tree at (30, 10) is behind it: not seen.
    home = shapely.box(0, 0, 10, 10)
    block = shapely.box(20, 0, 30, 20)
    walls = np.array([home, block])
    trees = shapely.points([(30, 30), (40, 10)])
    assert trees_within(walls[:1], trees, 40).tolist() == [2]
    assert trees_in_sight(walls[:1], trees, 40, walls).tolist() == [1]


def test_address_points_see_through_nothing_but_other_footprints() -> None:
    # a point home at (0, 5): the segment to (30, 5) crosses the block 20..22 → 1 of 2 seen
    homes_ = np.array([shapely.Point(0, 5)])
    walls = np.array([shapely.box(20, -5, 22, 25)])
    trees = shapely.points([(30, 5), (0, 25)])
    assert trees_in_sight(homes_, trees, 30, walls).tolist() == [1]


# --------------------------------------------------------------------------- tree size


def test_min_tree_size_counts_unknown_trees_and_reports_them() -> None:
    # Four trees within 30 m: crown diameters 2, 6, none, 8 m. min 5 m → 6, 8 and the
    # unknown one count (3 → meets 3); the 2 m tree is excluded; one counted without size.
    trees = fc(
        feature(p(15, 5), crown_diameter=2),
        feature(p(16, 5), crown_diameter=6),
        feature(p(17, 5)),
        feature(p(18, 5), crown_diameter=8, height=4),
    )
    common = {
        "buildings": fc(feature(b(0, 0, 10, 10), "h", dwellings=1)),
        "trees": trees,
        "neighbourhoods": NB,
        "parks": fc(feature(b(0, 100, 200, 200), "park")),
    }
    (h,) = homes(run(**common))
    assert h["trees_within"] == 4
    res = run(**common, min_tree_size_m=5)
    (h,) = homes(res)
    assert h["trees_within"] == 3 and h["meets_3"] is True
    assert res["data_quality"]["trees_by_size"] == {
        "property": "crown_diameter",
        "min_tree_size_m": 5.0,
        "trees": 4,
        "counted": 3,
        "excluded_below_min_size": 1,
        "counted_without_size": 1,
    }
    assert "trees-without-size" in {w["code"] for w in res["data_quality"]["warnings"]}
    # by height ≥ 5: only the tree of 4 m is known and excluded; three unknown count
    (h,) = homes(run(**common, min_tree_size_m=5, tree_size_property="height"))
    assert h["trees_within"] == 3


def test_min_tree_size_from_crowns_uses_the_circle_of_the_crown_area() -> None:
    # No tree points: a 4 x 4 crown (16 m² → diameter 2 sqrt(16/π) = 4.51 m) and a
    # 6 x 6 crown (36 m² → 6.77 m). min 5 m → one tree.
    common = {
        "buildings": fc(feature(b(0, 0, 10, 10), "h", dwellings=1)),
        "canopy": fc(feature(b(12, 0, 16, 4)), feature(b(12, 10, 18, 16))),
        "neighbourhoods": NB,
        "parks": fc(feature(b(0, 100, 200, 200), "park")),
    }
    assert homes(run(**common))[0]["trees_within"] == 2
    assert homes(run(**common, min_tree_size_m=5))[0]["trees_within"] == 1


# ----------------------------------------------------------- one population for the shares


def test_all_three_shares_share_one_population() -> None:
    # Home a inside BU1 meets the 3 (3 trees) and the 300 but BU1 has no canopy → 30 fails.
    # Home o lies outside every neighbourhood, meets the 3 and the 300; its 30 is unknown.
    # Before 2.1.0: share meeting 3 = 2/2 = 1.0 but all three over a only.
    # Now every overall share is over a alone: 3 → 1/1, 300 → 1/1, all three → 0/1.
    res = run(
        buildings=fc(feature(b(0, 0, 10, 10), "a", dwellings=1), feature(b(600, 0, 610, 10), "o")),
        trees=fc(*(feature(p(x, 5)) for x in (12, 13, 14, 612, 613, 614))),
        canopy=fc(feature(b(2000, 2000, 2001, 2001))),
        neighbourhoods=fc(feature(b(-100, -100, 500, 100), "BU1")),
        parks=fc(feature(b(0, 100, 700, 200), "park")),
    )
    a, o = homes(res)
    assert a["meets_3"] and o["meets_3"] and a["meets_300"] and o["meets_300"]
    assert o["meets_all_three"] is None
    s = res["summary"]
    assert s["share_buildings_meeting_3"] == 1.0 and s["share_buildings_meeting_300"] == 1.0
    assert s["share_buildings_meeting_all_three"] == 0.0
    assert res["data_quality"]["homes_outside_neighbourhoods"] == 1
    assert "homes-outside-neighbourhoods" in {w["code"] for w in res["data_quality"]["warnings"]}
