"""Hand-computed cases for green-3-30-300 and green-per-dwelling (via run.execute)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.geo import zone_index
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.green import canopy_zones, park_distance, park_groups, trees_within
from gsl_indicators.indicators.green_per_dwelling import green_available, green_per_home
from results import execute

X, Y = 0.0, 0.0  # the local grid's origin: fc() places it at RD_ORIGIN in RD New


def b(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return box(X + x0, Y + y0, X + x1, Y + y1)


def p(x: float, y: float) -> dict[str, Any]:
    return point(X + x, Y + y)


def run(process: str, **inputs: Any) -> dict[str, Any]:
    return execute(registry().get(process), inputs)


def props(result: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [f["properties"] for f in result[layer]["features"]]


def codes(result: dict[str, Any]) -> list[str]:
    return [w["code"] for w in result["data_quality"]["warnings"]]


# A neighbourhood of 100 x 100 m = 10,000 m².
NB = fc(feature(b(0, 0, 100, 100), "BU1"))
BIG_PARK = fc(feature(b(0, 200, 60, 300), "pa"), feature(b(60, 200, 120, 300), "pb"))


def base(**over: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        # home h1: footprint 10 x 10 at the origin, 4 dwellings; h2: a point, 1 dwelling
        "buildings": fc(
            feature(b(0, 0, 10, 10), "h1", dwellings=4), feature(p(80, 80), "h2", dwellings=1)
        ),
        # trees at 5 m, 30 m (counts: within means <=), inside, and 31 m from h1
        "trees": fc(feature(p(15, 5)), feature(p(40, 5)), feature(p(5, 5)), feature(p(-31, 5))),
        # crowns: two 50 x 50 squares overlapping by 25 x 50 -> union 75 x 50 = 3,750 m²;
        # one 20 x 10 crown straddling the east edge: 10 x 10 = 100 m² inside
        "canopy": fc(
            feature(b(0, 0, 50, 50)), feature(b(25, 0, 75, 50)), feature(b(90, 0, 110, 10))
        ),
        "neighbourhoods": NB,
        "parks": BIG_PARK,
        "canopy_extent": fc(feature(b(-100, -100, 200, 200))),
    }
    inputs.update(over)
    return inputs


def test_3_30_300_hand_case() -> None:
    res = run("green-3-30-300", **base())
    h1, h2 = props(res, "buildings")
    # h1: trees at 5, 30 and 0 m count; 31 m does not -> 3
    assert h1["trees_within"] == 3 and h1["meets_3"] is True
    # h2 (80, 80): nearest tree (40, 5) is sqrt(40² + 75²) = 85 m away -> 0
    assert h2["trees_within"] == 0 and h2["meets_3"] is False
    # parks pa + pb touch: 6,000 + 6,000 = 12,000 m² >= 1 ha; h1's top edge y=10 is 190 m
    # below the park (y=200); h2 at y=80 is 120 m away
    assert h1["park_distance_m"] == 190.0 and h1["meets_300"] is True
    assert h2["park_distance_m"] == 120.0 and h2["meets_300"] is True
    (nb,) = props(res, "neighbourhoods")
    # canopy (3,750 + 100) / 10,000 = 0.385 >= 0.30
    assert nb["canopy_share"] == pytest.approx(0.385)
    assert nb["canopy_area_m2"] == pytest.approx(3850.0)
    assert nb["canopy_coverage"] == 1.0 and nb["meets_30"] is True
    assert h1["meets_30"] is True and h1["area_id"] == "BU1"
    assert h1["meets_all_three"] is True and h2["meets_all_three"] is False
    # shares: buildings 1 of 2; dwellings 4 of 5
    assert nb["buildings"] == 2 and nb["dwellings"] == 5.0
    assert nb["share_buildings_meeting_3"] == 0.5
    assert nb["share_dwellings_meeting_3"] == 0.8
    assert nb["share_buildings_meeting_300"] == 1.0
    assert nb["share_dwellings_meeting_all_three"] == 0.8
    s = res["summary"]
    assert s["share_buildings_meeting_3"] == 0.5 and s["share_dwellings_meeting_3"] == 0.8
    assert s["share_meeting_all_three"] == 0.5
    assert s["share_dwellings_meeting_all_three"] == 0.8
    assert s["neighbourhoods_meeting_30"] == 1
    assert res["data_quality"]["parks"]["excluded_below_min_area"] == 0
    assert res["data_quality"]["homes_without_dwellings"] == 0


def test_result_shape_flat_scores_fractions_and_crs() -> None:
    res = run("green-3-30-300", **base())
    (nb,) = props(res, "neighbourhoods")
    # the headline share_dwellings_meeting_all_three is 4 of 5 dwellings = 0.8:
    # band 0.3 → 1.0 gives 6 + 4 × (0.8 − 0.3) / 0.7 = 8.857 → 8.86
    assert nb["share_dwellings_meeting_all_three"] == 0.8 and nb["score"] == 8.86
    assert nb["score_share_dwellings_meeting_all_three"] == 8.86
    assert not any(isinstance(v, dict | list) for v in nb.values())
    assert res["neighbourhoods"]["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::28992"
    units = {m["id"]: m["unit"] for m in res["metrics"]}
    assert units["canopy_share"] == units["share_buildings_meeting_3"] == "fraction"
    assert res["provenance"]["parameters"]["canopy_target"] == 0.3
    assert "canopy_target" not in res["summary"]


def test_parks_not_merged_are_too_small() -> None:
    res = run("green-3-30-300", **base(merge_touching_parks=False))
    h1, _ = props(res, "buildings")
    # each 6,000 m² part alone is below 1 ha: no qualifying park at all
    assert h1["park_distance_m"] is None and h1["meets_300"] is False
    assert res["data_quality"]["parks"]["excluded_below_min_area"] == 2
    assert {"parks-below-min-area", "no-qualifying-park"} <= set(codes(res))
    # ... but with min_park_area_m2 = 5,000 they count again
    res = run("green-3-30-300", **base(merge_touching_parks=False, min_park_area_m2=5000))
    assert props(res, "buildings")[0]["park_distance_m"] == 190.0


def test_park_distance_parameter() -> None:
    res = run("green-3-30-300", **base(park_distance_m=150))
    h1, h2 = props(res, "buildings")
    assert h1["meets_300"] is False and h2["meets_300"] is True  # 190 > 150 >= 120


def test_canopy_extent_clips_and_reports_coverage() -> None:
    # extent = the west half: zone 50 x 100 = 5,000 m²; canopy inside: 50 x 50 = 2,500
    res = run("green-3-30-300", **base(canopy_extent=fc(feature(b(0, 0, 50, 100)))))
    (nb,) = props(res, "neighbourhoods")
    assert nb["canopy_coverage"] == 0.5
    assert nb["canopy_share"] == 0.5
    assert "canopy-partial-coverage" in codes(res)


def test_canopy_beyond_data_warns_without_extent() -> None:
    inputs = base()
    del inputs["canopy_extent"]
    res = run("green-3-30-300", **inputs)
    (nb,) = props(res, "neighbourhoods")
    # canopy bbox x 0..110, y 0..50: 100 x 50 of the neighbourhood = 0.5
    assert nb["canopy_coverage"] == 0.5
    assert nb["canopy_share"] == pytest.approx(0.385)  # still over the whole neighbourhood
    assert "canopy-beyond-data" in codes(res)


def test_trees_from_canopy_when_no_tree_points() -> None:
    inputs = base()
    del inputs["trees"]
    res = run("green-3-30-300", **inputs)
    h1, _ = props(res, "buildings")
    # crown points on surface: (25, 25), (50, 25), (100, 5): 15, 40 and 90 m from h1
    assert h1["trees_within"] == 1
    assert "trees-from-canopy" in codes(res)


def test_trees_or_canopy_required() -> None:
    inputs = base()
    del inputs["trees"], inputs["canopy"]
    with pytest.raises(InputError) as err:
        run("green-3-30-300", **inputs)
    assert err.value.input_name == "trees"


def test_no_canopy_leaves_30_empty() -> None:
    inputs = base()
    del inputs["canopy"]
    res = run("green-3-30-300", **inputs)
    (nb,) = props(res, "neighbourhoods")
    assert nb["canopy_share"] is None and nb["meets_30"] is None
    assert props(res, "buildings")[0]["meets_all_three"] is None
    assert res["summary"]["share_meeting_all_three"] is None
    assert "no-canopy" in codes(res)


def test_data_quality_missing_dwellings_and_outside_homes() -> None:
    inputs = base(
        buildings=fc(feature(b(0, 0, 10, 10), "h1"), feature(p(500, 500), "far", dwellings=2))
    )
    res = run("green-3-30-300", **inputs)
    assert res["data_quality"]["homes_without_dwellings"] == 1
    assert {"missing-property", "features-outside-areas"} <= set(codes(res))
    far = props(res, "buildings")[1]
    assert far["area_id"] is None and far["meets_30"] is None


def test_wgs84_input_is_reprojected() -> None:
    # the same neighbourhood given in WGS84 around Amersfoort
    nb = fc(
        feature(box(5.38, 52.15, 5.40, 52.16), "BU1"),
        crs=None,
    )
    res = run(
        "green-3-30-300",
        buildings=fc(feature(point(5.39, 52.155), "h"), crs=None),
        trees=fc(feature(point(5.39, 52.1551)), crs=None),
        neighbourhoods=nb,
        parks=fc(feature(box(5.381, 52.151, 5.389, 52.159)), crs=None),
    )
    assert res["provenance"]["crs"] == "EPSG:28992"
    assert res["data_quality"]["reprojected"]["buildings"]["to"] == "EPSG:28992"
    h = props(res, "buildings")[0]
    assert h["trees_within"] == 1  # 0.0001° of latitude = 11 m
    assert 0 < h["park_distance_m"] < 100  # 0.001° of longitude = 68 m


def test_network_mode_hand_case() -> None:
    # a street along y=0 from x=0 to x=500; the park's south edge y=5 is 5 m from it,
    # between x=200 and x=320 (entrances); the home point (0, 10) snaps 10 m to (0, 0)
    inputs = {
        "buildings": fc(feature(p(0, 10), "h")),
        "trees": fc(feature(p(0, 20))),
        "neighbourhoods": fc(feature(b(-50, -50, 600, 200), "BU1")),
        "parks": fc(feature(b(200, 5, 320, 105), "park")),  # 12,000 m²
        "network": fc(feature(line((X, Y), (X + 500, Y)), highway="residential")),
        "distance_mode": "network",
        # the hand case is built for a 5 m tolerance (the default until 1.2.0; now 10 m)
        "entrance_tolerance_m": 5.0,
    }
    res = run("green-3-30-300", **inputs)
    h = props(res, "buildings")[0]
    # 10 m to the street + 200 m along it to the first entrance (x=200)
    assert h["park_distance_m"] == pytest.approx(210.0, abs=1e-6)
    assert h["meets_300"] is True
    eu = props(run("green-3-30-300", **{**inputs, "distance_mode": "euclidean"}), "buildings")[0]
    assert eu["park_distance_m"] == 200.0  # (0, 10) to (200, 10)
    assert "network_stage_seconds" in res["data_quality"]


def test_network_mode_unsnapped_home_warns() -> None:
    inputs = {
        "buildings": fc(feature(p(0, 10), "h"), feature(p(0, 900), "far")),
        "trees": fc(feature(p(0, 20))),
        "neighbourhoods": fc(feature(b(-50, -50, 600, 1000), "BU1")),
        "parks": fc(feature(b(200, 5, 320, 105), "park")),
        "network": fc(feature(line((X, Y), (X + 500, Y)))),
        "distance_mode": "network",
    }
    res = run("green-3-30-300", **inputs)
    far = props(res, "buildings")[1]
    assert far["park_distance_m"] is None and far["meets_300"] is None
    assert "homes-not-on-network" in codes(res)
    assert res["summary"]["homes_not_on_network"] == 1


def test_network_mode_needs_network() -> None:
    with pytest.raises(InputError) as err:
        run("green-3-30-300", **base(distance_mode="network"))
    assert err.value.input_name == "network"


# ------------------------------------------------------------------ kernels directly


def test_trees_within_kernel() -> None:
    homes = np.array([shapely.box(0, 0, 10, 10), shapely.Point(100, 100)])
    trees = shapely.points([(15, 5), (40, 5), (5, 5), (100, 129), (100, 131)])
    assert trees_within(homes, trees, 30).tolist() == [3, 1]
    assert trees_within(homes, trees[:0], 30).tolist() == [0, 0]


def test_park_groups_overlap_counts_once() -> None:
    # two 100 x 100 parks overlapping by 50 x 100: merged 15,000 m², not 20,000
    parks = np.array([shapely.box(0, 0, 100, 100), shapely.box(50, 0, 150, 100)])
    labels, area = park_groups(parks)
    assert labels.tolist() == [0, 0] and area.tolist() == [15000.0]


def test_park_distance_far_falls_back_to_nearest() -> None:
    d = park_distance(
        np.array([shapely.Point(0, 0)]), np.array([shapely.box(1000, 0, 1100, 10)]), 300
    )
    assert d.tolist() == [1000.0]


def test_assign_to_zones_and_canopy_zones() -> None:
    zones = np.array([shapely.box(0, 0, 10, 10)])
    assert zone_index(np.array([shapely.box(1, 1, 2, 2)]), zones).tolist() == [0]
    cz = canopy_zones(zones, np.empty(0, dtype=object), None)
    assert cz.coverage.tolist() == [0.0]


# ------------------------------------------------------------------ green per dwelling


def test_green_per_dwelling_hand_case() -> None:
    res = run(
        "green-per-dwelling",
        buildings=fc(
            feature(p(0, 0), "a", dwellings=1),
            feature(p(100, 0), "b", dwellings=3),
            feature(p(2000, 0), "c", dwellings=2),
        ),
        # 100 x 100 = 10,000 m², wholly within 500 m of a (farthest corner 412 m) and b
        green=fc(feature(b(300, 0, 400, 100))),
        neighbourhoods=fc(feature(b(-50, -50, 150, 50), "A"), feature(b(1900, -50, 2100, 50), "B")),
    )
    a, bb, c = props(res, "buildings")
    # a and b share the park with each other: 1 + 3 = 4 dwellings -> 2,500 m² each
    assert a["green_within_m2"] == 10000.0 and a["dwellings_within"] == 4.0
    assert a["green_per_dwelling_m2"] == 2500.0 and a["meets_norm"] is True
    assert bb["green_per_dwelling_m2"] == 2500.0
    # c: no green within 500 m -> 0 m² for its 2 dwellings
    assert c["green_within_m2"] == 0.0 and c["green_per_dwelling_m2"] == 0.0
    assert c["meets_norm"] is False
    na, nb_ = props(res, "neighbourhoods")
    assert na["green_within_m2"] == 10000.0 and na["dwellings_sharing"] == 4.0
    assert na["dwelling_headroom"] == 129.0  # floor(10,000 / 75) - 4 = 133 - 4
    assert nb_["dwelling_headroom"] == -2.0 and nb_["meets_norm"] is False
    s = res["summary"]
    # green within reach of any home: 10,000 m² over 6 dwellings
    assert s["green_per_dwelling_m2"] == pytest.approx(1666.667)
    # shares are fractions rounded to 4 digits: 2 of 3 homes, 4 of 6 dwellings
    assert s["share_buildings_meeting_norm"] == 0.6667
    assert s["share_dwellings_meeting_norm"] == 0.6667


def test_green_per_dwelling_partial_green_and_overlap() -> None:
    # green 1,000 m beyond reach except a 100 x 100 part; overlapping green counts once
    homes = shapely.points([(0, 0)])
    green = np.array([shapely.box(400, -50, 500, 50), shapely.box(450, -50, 550, 50)])
    g, d = green_per_home(homes, np.array([2.0]), green, 500.0)
    # union x 400..550; inside the 500 m 64-gon: ~ the part with x <= sqrt(500² - y²)
    circle = shapely.buffer(shapely.Point(0, 0), 500, quad_segs=16)
    expected = shapely.area(shapely.intersection(shapely.union_all(green), circle))
    assert g[0] == pytest.approx(expected) and d.tolist() == [2.0]
    assert 9000 < g[0] < 10000


def test_green_available_for_housing_capacity() -> None:
    ga = green_available(
        shapely.points([(0, 0), (100, 0)]),
        np.array([1.0, 3.0]),
        np.array([shapely.box(-50, -50, 150, 50), shapely.box(5000, 0, 5100, 100)]),
        np.array([shapely.box(300, 0, 400, 100)]),
    )
    assert ga.homes.tolist() == [2, 0]
    assert ga.green_m2[0] == pytest.approx(10000.0) and ga.dwellings_in_zone[0] == 4.0
    assert ga.headroom(75.0)[0] == 129.0
    assert np.isnan(ga.per_dwelling()[1])


def test_examples_run() -> None:
    for pid in ("green-3-30-300", "green-per-dwelling"):
        ind = registry().get(pid)
        assert ind.example is not None
        res = execute(ind, ind.example)
        assert res["summary"]["buildings"] == 4
