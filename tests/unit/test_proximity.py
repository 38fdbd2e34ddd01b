"""proximity-facilities (the zorgcirkel): hand-computed cases, properties, Amsterdam."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.geo import zone_index
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.proximity import (
    euclidean_nearest,
    profile_reaches,
)
from hypothesis_profiles import examples
from results import execute

IND = registry().get("proximity-facilities")


def props(result, output="buildings"):
    """Properties by feature id (by position where features have no id)."""
    feats = result[output]["features"]
    return {f.get("id", i): f["properties"] for i, f in enumerate(feats)}


def warning_codes(result):
    return {w["code"] for w in result["data_quality"]["warnings"]}


# A street along y = 0 from x = 0 to 1000 and a side street x = 500 from y = 0 to 400.
NETWORK = fc(
    feature(line((0, 0), (1000, 0)), highway="residential"),
    feature(line((500, 0), (500, 400)), highway="footway"),
    feature(line((0, 10), (1000, 10)), highway="motorway"),  # left out
    feature(line((0, -30), (1000, -30))),  # no highway: a canal edge, left out
)
HOMES = fc(
    feature(point(100, 5), "h1", dwellings=3),  # 5 m off the street at x = 100
    feature(point(495, 300), "h2", dwellings=1),  # 5 m off the side street at y = 300
    feature(point(900, 200), "h3"),  # 200 m from any walkable path
)
FACILITIES = fc(
    feature(point(200, -4), "gp", type="huisarts"),
    feature(point(520, 100), "shop", type="supermarkt"),
    feature(point(50, 50), "x"),  # no type
)


def test_euclidean_hand_computed():
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "facilities": FACILITIES,
            "visit_weights": None,
            "facility_types": ["huisarts", "supermarkt"],
        },
    )
    p = props(r)
    # h1 → gp: √(100² + 9²) = 100.404; → shop: √(420² + 95²) = 430.61
    assert p["h1"]["huisarts_distance_m"] == pytest.approx(100.4, abs=0.01)
    assert p["h1"]["supermarkt_distance_m"] == pytest.approx(430.61, abs=0.01)
    assert p["h1"]["huisarts_within_standard"] is True
    assert p["h1"]["huisarts_within_reduced"] is True
    assert p["h1"]["supermarkt_within_standard"] is False
    # h2 → shop: √(25² + 200²) = 201.56: standard yes, reduced no
    assert p["h2"]["supermarkt_distance_m"] == pytest.approx(201.56, abs=0.01)
    # h2 → gp: √(295² + 304²) = 423.6: out of reach
    assert p["h2"]["huisarts_within_standard"] is False
    assert p["h2"]["all_within_standard"] is False
    assert p["h2"]["types_within_standard"] == 1
    assert p["h2"]["types_within_reduced"] == 0
    assert "facilities-without-type" in warning_codes(r)
    s = r["by_type"]["supermarkt"]["profiles"]["standard"]
    # h2 and h3 (√(380² + 100²) = 392.9 → no) : 1 of 3 homes; dwellings 1 of 3 + 1 + 1 = 5
    assert s["homes_within"] == 1
    assert s["share_homes"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["share_dwellings"] == pytest.approx(1 / 5, abs=1e-4)
    # the same shares as metrics of the named type, fractions at 4 digits
    assert r["summary"]["supermarkt_share_standard"] == 0.3333
    assert r["summary"]["supermarkt_dwelling_share_standard"] == 0.2


def test_network_hand_computed():
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "facilities": FACILITIES,
            "network": NETWORK,
            "distance_mode": "network",
            "snap_limit_m": 50,
            "facility_types": ["huisarts", "supermarkt"],
        },
    )
    p = props(r)
    # h1 → gp: 5 + 100 + 4 = 109. h1 → shop: 5 + 400 + 100 + 20 = 525
    assert p["h1"]["huisarts_distance_m"] == pytest.approx(109.0)
    assert p["h1"]["supermarkt_distance_m"] == pytest.approx(525.0)
    # h2 → shop: 5 + 200 + 20 = 225; → gp: 5 + 300 + 300 + 4 = 609
    assert p["h2"]["supermarkt_distance_m"] == pytest.approx(225.0)
    assert p["h2"]["huisarts_distance_m"] == pytest.approx(609.0)
    # h3 is 200 m from a walkable path: no number, a warning, left out of the shares
    assert p["h3"]["huisarts_distance_m"] is None
    assert p["h3"]["huisarts_within_standard"] is None
    assert p["h3"]["visit_share_standard"] is None
    codes = warning_codes(r)
    assert {"homes-not-on-network", "network-lines-excluded", "visit-weight-type-absent"} <= codes
    unsnapped = [w for w in r["data_quality"]["warnings"] if w["code"] == "homes-not-on-network"]
    assert len(unsnapped) == 1 and unsnapped[0]["count"] == 1
    s = r["summary"]
    assert s["homes_with_distance"] == 2
    st_ = r["by_type"]["huisarts"]["profiles"]["standard"]
    assert st_["share_homes"] == 0.5  # h1 yes, h2 no
    assert st_["share_dwellings"] == 0.75  # 3 of 3 + 1
    assert s["huisarts_share_standard"] == 0.5 and s["huisarts_dwelling_share_standard"] == 0.75
    # h3 counts among the homes but not in the shares; its flags are null, not -1
    assert s["homes"] == 3 and p["h3"]["types_within_standard"] is None
    # visit share (supermarkt 52, huisarts 12, apotheek 12 — absent): h1 standard: 12/76
    assert p["h1"]["visit_share_standard"] == pytest.approx(12 / 76, abs=1e-4)
    assert p["h2"]["visit_share_standard"] == pytest.approx(52 / 76, abs=1e-4)
    assert (
        r["data_quality"]["network"]["edges"] == 3
    )  # the street split at x = 500, the side street


def test_network_distance_is_at_least_euclidean():
    base = {
        "buildings": HOMES,
        "facilities": FACILITIES,
        "network": NETWORK,
        "facility_types": ["huisarts", "supermarkt"],
    }
    eu = props(execute(IND, base))
    nw = props(execute(IND, {**base, "distance_mode": "network", "snap_limit_m": 50}))
    for h in eu:
        for t in ("huisarts", "supermarkt"):
            if nw[h][f"{t}_distance_m"] is not None:
                assert nw[h][f"{t}_distance_m"] >= eu[h][f"{t}_distance_m"] - 1e-6


def test_profiles_in_minutes_facility_types_and_neighbourhoods():
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "facilities": FACILITIES,
            "facility_types": ["huisarts", "apotheek"],
            "mobility_profiles": {"rollator": {"minutes": 5, "speed_km_h": 1.8}, "fit": 1000},
            "neighbourhoods": fc(
                feature(box(0, -100, 400, 400), "west"), feature(box(400, -100, 1000, 400), "east")
            ),
        },
    )
    p = props(r)
    assert set(p["h1"]) >= {"huisarts_within_rollator", "apotheek_within_fit"}
    assert "supermarkt_distance_m" not in p["h1"]
    assert p["h1"]["apotheek_distance_m"] is None  # no pharmacy at all
    assert r["provenance"]["reach_m"]["rollator"] == 150.0  # 5 × 60 × 0.5
    assert "facility-type-absent" in warning_codes(r)
    nb = props(r, "neighbourhoods")
    # west: h1 (3 dwellings), within 150 m of the GP; east: h2, h3 (√(700²+204²) > 150)
    assert nb["west"]["homes"] == 1 and nb["west"]["huisarts_share_rollator"] == 1.0
    assert nb["east"]["homes"] == 2 and nb["east"]["huisarts_share_rollator"] == 0.0
    assert nb["east"]["huisarts_share_fit"] == 1.0  # 609 ... all within 1000 m
    assert nb["east"]["all_share_fit"] == 0.0  # no pharmacy anywhere


@pytest.mark.parametrize(
    "profiles",
    [
        {},
        {"x": -5},
        {"x": {"minutes": 5, "speed_m_s": 0}},
        {"x": {"speed_m_s": 1}},
        {"x": "far"},
        {"x": True},
        {" ": 300},
        {"x": {"minutes": 5, "speed_m_s": 4}},  # 4 m/s is not a walk
        {"x": 30000},  # beyond 20 km
        {"x": {"distance_m": 300, "minutes": 5}},  # one form per profile
    ],
)
def test_bad_profiles_are_input_errors(profiles):
    with pytest.raises(InputError) as err:
        profile_reaches(profiles, 1.0)
    assert err.value.input_name == "mobility_profiles"


def test_network_mode_without_network_is_an_input_error():
    with pytest.raises(InputError) as err:
        execute(IND, {"buildings": HOMES, "facilities": FACILITIES, "distance_mode": "network"})
    assert err.value.input_name == "network"


def test_helpers():
    areas = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 20, 10)])
    # the overlap goes to the first area; footprints count by their representative point
    assert zone_index(
        np.array([shapely.Point(7, 5), shapely.box(15, 1, 19, 3)]), areas
    ).tolist() == [0, 1]
    assert np.isinf(euclidean_nearest(np.array([shapely.Point(0, 0)]), np.array([]))).all()


@settings(max_examples=examples(25), deadline=None)
@given(
    reach=st.floats(10, 600),
    more=st.floats(0, 500),
    seed=st.integers(0, 1000),
)
def test_raising_the_reach_never_lowers_the_share(reach, more, seed):
    rng = np.random.default_rng(seed)
    homes = fc(*[feature(point(*xy)) for xy in rng.uniform(0, 1000, (20, 2))])
    facs = fc(*[feature(point(*xy), type="school") for xy in rng.uniform(0, 1000, (3, 2))])
    shares_ = []
    for r in (reach, reach + more):
        out = execute(
            IND,
            {
                "buildings": homes,
                "facilities": facs,
                "mobility_profiles": {"p": r},
                "visit_weights": None,
            },
        )
        shares_.append(out["by_type"]["school"]["profiles"]["p"]["share_homes"])
    assert shares_[1] >= shares_[0]


def test_example_runs():
    r = execute(IND, IND.example)
    assert r["summary"]["homes"] == 2
    assert not r["data_quality"]["warnings"] or all(
        w["code"] == "missing-property" for w in r["data_quality"]["warnings"]
    )


# --- Amsterdam -----------------------------------------------------------------
# The kit has no facilities: park representative points stand in for them (real places,
# a plausible spread). Its walkable lines cover only about x 121400–124500,
# y 485900–488550: the BAG addresses lie ~1 km north-west of them (the README says the
# network covers the address area; its non-walkable lines do, its paths do not), and about
# 90 of the homes_1000 points lie within 100 m of a walkable path.


def park_facilities(parks):
    types = ["huisarts", "supermarkt", "apotheek"]
    pts = shapely.point_on_surface(
        shapely.from_geojson([__import__("json").dumps(f["geometry"]) for f in parks["features"]])
    )
    return fc(
        *[feature(point(p.x, p.y), f"f{i}", type=types[i % len(types)]) for i, p in enumerate(pts)],
        origin=None,  # the parks' own RD New positions
    )


@pytest.mark.slow
def test_amsterdam_addresses_per_buurt(load_amsterdam):
    addresses = load_amsterdam("addresses")
    r = execute(
        IND,
        {
            "buildings": addresses,
            "facilities": park_facilities(load_amsterdam("parks")),
            "neighbourhoods": load_amsterdam("buurten"),
        },
    )
    nb = {f["properties"]["Buurt"]: f["properties"] for f in r["neighbourhoods"]["features"]}
    # README: Zeeheldenbuurt 1008, Westelijke eilanden 466, Houthavens-Oost 235,
    # Westerdokseiland 127
    assert {k: v["homes"] for k, v in nb.items() if v["homes"]} == {
        "Zeeheldenbuurt": 1008,
        "Westelijke eilanden": 466,
        "Houthavens-Oost": 235,
        "Westerdokseiland": 127,
    }
    s = r["by_type"]["huisarts"]
    # The nearest park point is a few hundred metres away from these blocks.
    assert 50 < s["median_distance_m"] < 1500
    assert "missing-property" in warning_codes(r)  # BAG points carry no 'dwellings'


@pytest.mark.slow
def test_amsterdam_homes_both_modes(load_amsterdam):
    homes = load_amsterdam("homes_1000")
    base = {
        "buildings": homes,
        "facilities": park_facilities(load_amsterdam("parks")),
        "neighbourhoods": load_amsterdam("buurten"),
        "facility_types": ["huisarts", "supermarkt", "apotheek"],
    }
    eu = execute(IND, base)
    nw = execute(IND, {**base, "network": load_amsterdam("network"), "distance_mode": "network"})
    codes = warning_codes(nw)
    assert {"network-lines-excluded", "homes-not-on-network"} <= codes
    excluded = [w for w in nw["data_quality"]["warnings"] if w["code"] == "network-lines-excluded"]
    assert "(none) 1269" in excluded[0]["message"] and "construction 23" in excluded[0]["message"]
    unsnapped = [w for w in nw["data_quality"]["warnings"] if w["code"] == "homes-not-on-network"]
    n_known = nw["summary"]["homes_with_distance"]
    assert 60 < n_known < 200 and unsnapped[0]["count"] == 1000 - n_known
    pe, pn = props(eu), props(nw)
    ratios = []
    for k in pe:
        for t in ("huisarts", "supermarkt"):
            e, n = pe[k][f"{t}_distance_m"], pn[k][f"{t}_distance_m"]
            if n is not None:
                assert n >= e - 0.01
                if e > 100:
                    ratios.append(n / e)
    # Plausible detour factors for walking in a city (about 1.2–1.6 on average)
    assert len(ratios) > 20
    assert 1.05 < float(np.median(ratios)) < 2.0
    for r in (eu, nw):
        s = r["by_type"]["huisarts"]["profiles"]
        assert 0 <= s["reduced"]["share_homes"] <= s["standard"]["share_homes"] <= 1
    net = nw["data_quality"]["network"]
    assert net["edges"] > 3000 and net["largest_component_node_share"] > 0.95


def test_bad_profile_through_a_request_names_the_member():
    with pytest.raises(InputError) as err:
        execute(
            IND,
            {
                "buildings": HOMES,
                "facilities": FACILITIES,
                "mobility_profiles": {"walker": {"minutes": 5, "speed_km_h": -1}},
            },
        )
    assert err.value.input_name == "mobility_profiles"
    assert "walker.walk.speed_km_h" not in err.value.reason  # the union branch is left out
    assert "walker.speed_km_h" in err.value.reason


def test_mobility_profiles_schema_is_in_the_description():
    schema = IND.describe()["inputs"]["mobility_profiles"]["schema"]
    forms = schema["additionalProperties"]["oneOf"]
    # metres, {"distance_m"}, {"minutes", "speed_m_s", "speed_km_h"}: inlined, no $ref
    assert forms[0]["type"] == "number"
    assert forms[1]["required"] == ["distance_m"]
    assert set(forms[2]["properties"]) == {"minutes", "speed_m_s", "speed_km_h"}
    assert "$defs" not in schema and "$ref" not in str(schema)


def test_metric_names_follow_the_request():
    """Per-type metrics exist only for named types; the data's types are in `by_type`."""
    r = execute(IND, {"buildings": HOMES, "facilities": FACILITIES, "visit_weights": None})
    ids = {m["id"] for m in r["metrics"]}
    assert {"all_share_standard", "all_dwelling_share_reduced", "types_within_standard"} <= ids
    assert not any(i.startswith(("huisarts", "supermarkt", "visit_share")) for i in ids)
    assert "huisarts_distance_m" not in props(r)["h1"]
    # by_type still has every type in the data (h1 → gp 100.4 m: within 150 m)
    assert set(r["by_type"]) == {"huisarts", "supermarkt"}
    assert r["by_type"]["huisarts"]["profiles"]["reduced"]["homes_within"] == 1
    named = execute(
        IND,
        {"buildings": HOMES, "facilities": FACILITIES, "facility_types": ["huisarts"]},
    )
    ids = {m["id"] for m in named["metrics"]}
    assert {"huisarts_distance_m", "huisarts_share_reduced", "visit_share_standard"} <= ids
    assert not any(i.startswith("supermarkt") for i in ids)
    assert set(named["by_type"]) == {"huisarts"}
