"""cool-place-distance: hand-computed cases, the size/PET filter, properties, Amsterdam."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.cooling import cool_places
from hypothesis_profiles import examples
from results import execute

IND = registry().get("cool-place-distance")


def props(result, output="buildings"):
    feats = result[output]["features"]
    return {f.get("id", i): f["properties"] for i, f in enumerate(feats)}


PLACES = fc(
    feature(box(100, 0, 120, 20), "park", pet=33),  # 400 m², cool
    feature(box(400, 0, 410, 10), "tiny"),  # 100 m²: too small alone ...
    feature(box(410, 0, 420, 10), "tiny2"),  # ... and 200 m² with its touching neighbour
    feature(box(700, 0, 800, 100), "hot", pet=38),  # too hot at 35 °C, cool at 38 °C
)
HOMES = fc(
    feature(point(0, 10), "a", dwellings=2),  # 100 m from the park
    feature(point(600, 10), "b"),  # 180 m from the merged pair, 100 m from 'hot'
    feature(box(105, 5, 110, 10), "c"),  # footprint inside the park: 0
)


def test_euclidean_hand_computed():
    r = execute(IND, {"buildings": HOMES, "cool_places": PLACES, "reach_m": 150})
    p = props(r)
    assert p["a"]["cool_distance_m"] == 100.0 and p["a"]["cool_within"] is True
    assert p["b"]["cool_distance_m"] == 180.0 and p["b"]["cool_within"] is False
    assert p["c"]["cool_distance_m"] == 0.0
    s = r["summary"]
    assert s["cool_places"] == 2  # park + merged pair; 'hot' left out
    # fractions, 4 digits: homes a and c of 3; dwellings 2 + 1 of 4
    assert s["share_homes_within"] == 0.6667
    assert s["share_dwellings_within"] == 0.75
    assert r["provenance"]["parameters"]["reach_m"] == 150.0
    note = r["data_quality"]["cool_places"]
    assert note["left_out_above_max_pet"] == 1 and note["left_out_below_min_area"] == 0


def test_rotterdam_pet_and_no_merging():
    r = execute(
        IND,
        {"buildings": HOMES, "cool_places": PLACES, "max_pet_c": 38, "merge_touching": False},
    )
    p = props(r)
    # 'hot' now counts (100 m from b); the two 100 m² pieces are each too small
    assert p["b"]["cool_distance_m"] == 100.0
    assert r["summary"]["cool_places"] == 2
    assert "cool-places-too-small" in {w["code"] for w in r["data_quality"]["warnings"]}


def test_network_mode_with_neighbourhoods():
    net = fc(feature(line((0, -10), (1000, -10)), highway="footway"))
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "cool_places": PLACES,
            "network": net,
            "distance_mode": "network",
            "entrance_tolerance_m": 10,
            "neighbourhoods": fc(
                feature(box(-50, -50, 300, 100), "w"), feature(box(300, -50, 900, 100), "e")
            ),
        },
    )
    p = props(r)
    # a: 20 (to the path) + 100 (to x = 100, where the path is 10 m from the park) = 120
    assert p["a"]["cool_distance_m"] == pytest.approx(120.0, abs=0.01)
    # b: 20 + 180 = 200 to the merged pair's corner (420, 0) ... reached at x = 420
    assert p["b"]["cool_distance_m"] == pytest.approx(200.0, abs=0.01)
    assert p["c"]["cool_distance_m"] == 0.0  # inside
    nb = props(r, "neighbourhoods")
    assert nb["w"]["homes"] == 2 and nb["w"]["share_homes_within"] == 1.0
    assert nb["e"]["share_homes_within"] == 1.0


def test_home_off_the_network_counts_in_homes_not_in_the_shares():
    net = fc(feature(line((0, -10), (1000, -10)), highway="footway"))
    # 'far' at (50, 900) is 910 m from the path: beyond snap_limit_m (100 m)
    far = fc(feature(point(50, 900), "far", dwellings=5))["features"]
    homes = fc(*HOMES["features"], *far, origin=None)  # both placed at RD_ORIGIN already
    r = execute(
        IND,
        {
            "buildings": homes,
            "cool_places": PLACES,
            "network": net,
            "distance_mode": "network",
            "entrance_tolerance_m": 10,
            "neighbourhoods": fc(
                feature(box(-50, -50, 300, 1000), "w"), feature(box(300, -50, 900, 100), "e")
            ),
        },
    )
    p = props(r)
    assert p["far"]["cool_distance_m"] is None and p["far"]["cool_within"] is None
    assert p["far"]["area_id"] == "w" and p["b"]["area_id"] == "e"
    nb = props(r, "neighbourhoods")
    # w holds a (2 dwellings), c (1) and far (5): 3 homes, 2 with a distance (120 m, 0 m)
    assert nb["w"]["homes"] == 3 and nb["w"]["homes_with_distance"] == 2
    assert nb["w"]["dwellings"] == 8.0
    assert nb["w"]["share_homes_within"] == 1.0 and nb["w"]["share_dwellings_within"] == 1.0
    assert nb["w"]["score_share_homes_within"] == 10.0  # flat score column
    assert not any(isinstance(v, dict | list) for v in nb["w"].values())
    s = r["summary"]
    # overall: 4 homes, 3 on the network, all 3 within 300 m (120, 200, 0 m)
    assert s["homes"] == 4 and s["homes_with_distance"] == 3 and s["homes_within"] == 3
    assert s["share_homes_within"] == 1.0 and s["dwellings"] == 9.0
    codes = {w["code"] for w in r["data_quality"]["warnings"]}
    assert "homes-not-on-network" in codes
    assert r["data_quality"]["network_cutoff_m"] == max(
        r["provenance"]["parameters"]["network_cutoff_m"], 300.0
    )
    assert "distance_mode" not in s and r["provenance"]["parameters"]["distance_mode"] == "network"


def test_cool_places_helper_counts_overlaps_once():
    g = np.array([shapely.box(0, 0, 15, 10), shapely.box(5, 0, 20, 10)])
    places, left = cool_places(g, np.array([np.nan, np.nan]), 35, 200, True)
    assert [float(a) for a in shapely.area(places)] == [200.0]
    assert left == {"too_hot": 0, "too_small": 0}


@settings(max_examples=examples(20), deadline=None)
@given(reach=st.floats(50, 800), more=st.floats(0, 800), seed=st.integers(0, 500))
def test_raising_the_reach_never_lowers_the_share(reach, more, seed):
    rng = np.random.default_rng(seed)
    homes = fc(*[feature(point(*xy)) for xy in rng.uniform(0, 2000, (15, 2))])
    xy = rng.uniform(0, 2000, (3, 2)).tolist()
    places = fc(*[feature(box(x, y, x + 20, y + 20)) for x, y in xy])
    out = [
        execute(IND, {"buildings": homes, "cool_places": places, "reach_m": min(r, 2000)})[
            "summary"
        ]["share_homes_within"]
        for r in (reach, reach + more)
    ]
    assert out[1] >= out[0]


@pytest.mark.slow
def test_amsterdam_parks_as_cool_places(load_amsterdam):
    base = {
        "buildings": load_amsterdam("homes_1000"),
        "cool_places": load_amsterdam("parks"),
        "neighbourhoods": load_amsterdam("buurten"),
    }
    eu = execute(IND, base)
    nw = execute(IND, {**base, "network": load_amsterdam("network"), "distance_mode": "network"})
    se, sn = eu["summary"], nw["summary"]
    assert se["cool_places"] > 100  # the parks, touching ones merged, all ≥ 200 m²
    assert 0.05 < se["share_homes_within"] < 0.9
    assert 60 < sn["homes_with_distance"] < 200
    pe, pn = props(eu), props(nw)
    for k, v in pn.items():
        if v["cool_distance_m"] is not None:
            # network ≥ straight line, less the entrance tolerance (10 m)
            assert v["cool_distance_m"] >= pe[k]["cool_distance_m"] - 10.01
