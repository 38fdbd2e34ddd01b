"""``air-quality``: hand-computed shares, per neighbourhood, GES, scores."""

from __future__ import annotations

import pytest

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from results import execute

AIR = registry().get("air-quality")

# Two zones: west (x 0..100) NO2 24, PM2.5 9, PM10 14; east (x 100..200) NO2 8, PM2.5 4.
ZONES = fc(
    feature(box(0, 0, 100, 100), no2=24.0, pm25=9.0, pm10=14.0),
    feature(box(100, 0, 200, 100), no2=8.0, pm25=4.0),
)
# Homes: a (3 dwellings) and b (1) west, c (2) east, d (1) east, e: not a home.
HOMES = fc(
    feature(point(10, 50), "a", dwellings=3),
    feature(point(60, 50), "b"),
    feature(point(150, 50), "c", dwellings=2),
    feature(point(170, 50), "d", dwellings=1),
    feature(point(20, 20), "e", dwellings=0),
)
AREAS = fc(
    feature(box(0, 0, 100, 100), "west", area_type="binnenstad"),
    feature(box(100, 0, 200, 100), "east"),
)


def run(**extra):  # type: ignore[no-untyped-def]
    return execute(AIR, {"buildings": HOMES, "exposure_zones": ZONES, **extra})


def test_per_home_values_and_flags() -> None:
    feats = run()["buildings"]["features"]
    assert [f["id"] for f in feats] == ["a", "b", "c", "d", "e"]
    p = [f["properties"] for f in feats]
    assert [x["no2"] for x in p] == [24.0, 24.0, 8.0, 8.0, None]
    assert [x["no2_above_who"] for x in p] == [True, True, False, False, None]
    assert [x["pm10"] for x in p] == [14.0, 14.0, None, None, None]
    # GES NO2 (VPO classes): 24 → 6, 8 → 1; non-homes get none.
    assert [x["ges_no2"] for x in p] == [6, 6, 1, 1, None]
    assert "ges_pm25" not in p[0]


def test_overall_shares_by_hand() -> None:
    s = run()["summary"]
    assert (s["homes"], s["dwellings"]) == (4, 7.0)
    # Above the AQG (10): homes a, b → 2 of 4 = 0.5; dwellings 3 + 1 = 4 of 7 = 0.5714.
    assert s["share_homes_above_who_no2"] == 0.5
    assert s["share_dwellings_above_who_no2"] == 0.5714
    assert (s["homes_above_who_no2"], s["dwellings_above_who_no2"]) == (2, 4.0)
    # IT-3 (20): the same homes; IT-2 (30): none.
    assert s["homes_above_it3_no2"] == 2
    assert s["homes_above_it2_no2"] == 0 and s["share_homes_above_it2_no2"] == 0.0
    # Dwelling-weighted mean: (24·4 + 8·3) / 7 = 120 / 7 = 17.14; the highest 24.
    assert s["mean_no2"] == 17.14 and s["max_no2"] == 24.0
    # PM2.5 AQG 5: 9 above, 4 not; IT-4 (10): none.
    assert s["share_homes_above_who_pm25"] == 0.5
    assert s["homes_above_it4_pm25"] == 0
    # PM10 only west: 14 < 15 → 0 of 2 homes with a value.
    assert s["homes_with_pm10"] == 2
    assert s["share_homes_above_who_pm10"] == 0.0
    # Only overall metrics and the scorecard in the summary: no nested objects.
    assert all(not isinstance(v, dict) for k, v in s.items() if k != "scorecard")


def test_limits_are_parameters() -> None:
    s = run(who_no2_guideline=25.0, who_pm10_guideline=13.0)["summary"]
    assert s["homes_above_who_no2"] == 0
    assert s["share_homes_above_who_pm10"] == 1.0


def test_per_neighbourhood_and_scores() -> None:
    res = run(neighbourhoods=AREAS)
    west, east = (f["properties"] for f in res["neighbourhoods"]["features"])
    assert (west["homes"], west["dwellings"]) == (2, 4.0)
    assert west["share_homes_above_who_no2"] == 1.0
    assert east["share_homes_above_who_no2"] == 0.0
    # West: a (3 dwellings) and b (1), NO2 24 > IT-3 20; PM10 14 < 15 for both.
    assert west["share_dwellings_above_it3_no2"] == 1.0 and west["homes_with_pm10"] == 2
    assert east["homes_with_pm10"] == 0 and east["share_homes_above_who_pm10"] is None
    assert west["mean_no2"] == 24.0
    assert west["area_type"] == "binnenstad" and east["area_type"] is None
    # mean_no2 band 40 → 10: 24 → 6 + 4 × (40 − 24) / 30 = 8.13 (headline).
    assert west["score_mean_no2"] == west["score"] == 8.13
    # share band 0.5 → 0 with floor 1: all homes above → 1, none → 10 (as 100 % / 0 % before).
    assert west["score_share_homes_above_who_no2"] == 1.0
    assert east["score_share_homes_above_who_no2"] == 10.0
    assert not any(isinstance(v, dict | list) for v in west.values())
    assert res["profile"]["name"] == "nl-default"
    assert list(res["profile"]["indicators"]) == ["air-quality"]
    # Each home carries the id of its neighbourhood.
    assert [f["properties"]["area_id"] for f in res["buildings"]["features"]] == [
        "west",
        "west",
        "east",
        "east",
        "west",
    ]
    sc = res["summary"]["scorecard"]["scores"]["mean_no2"]
    band = sc["band"]
    expected = 6 + 4 * (band["minimum"] - 120 / 7) / (band["minimum"] - band["ambition"])
    assert sc["score"] == pytest.approx(expected, abs=0.01)


def test_inline_profile_override_changes_the_band() -> None:
    override = {
        "indicators": {
            "air-quality": {
                "metrics": {"mean_no2": {"bands": {"default": {"minimum": 20.0, "ambition": 15.0}}}}
            }
        }
    }
    sc = run(profile_override=override)["summary"]["scorecard"]["scores"]["mean_no2"]
    assert sc["band"]["minimum"] == 20.0
    assert sc["score"] == pytest.approx(6 + 4 * (20 - 120 / 7) / 5, abs=0.01)


def test_bad_area_type_names_the_input() -> None:
    with pytest.raises(InputError) as err:
        run(area_type="moon")
    assert err.value.input_name == "area_type"


def test_ges_output_says_where_no_limits() -> None:
    ges = run()["ges"]
    assert ges["no2"]["scored"] is True
    assert ges["no2"]["homes_per_score"] == {"1": 2, "6": 2}
    assert ges["pm25"]["scored"] is False and "no public source" in ges["pm25"]["reason"]


def test_no_exposure_input_warns() -> None:
    res = execute(AIR, {"buildings": HOMES})
    assert "no-exposure" in {w["code"] for w in res["data_quality"]["warnings"]}
    assert res["data_quality"]["pollutants_given"] == []
    assert "mean_no2" not in res["summary"] and res["summary"]["homes"] == 4


def test_example_runs() -> None:
    res = execute(AIR, AIR.example)
    assert res["summary"]["homes_with_no2"] == 2
    assert res["data_quality"]["pollutants_given"] == ["no2", "pm25", "pm10"]


def test_amsterdam_homes_with_point_receptors(load_amsterdam) -> None:  # type: ignore[no-untyped-def]
    homes = load_amsterdam("homes_1000")
    buurten = load_amsterdam("buurten")
    # Receptors at the first 300 homes with NO2 rising eastwards.
    recs = fc(
        *(
            feature(f["geometry"], no2=10 + (f["geometry"]["coordinates"][0] - 116000) / 500)
            for f in homes["features"][:300]
        ),
        origin=None,  # the homes' own RD New positions
    )
    res = execute(
        AIR,
        {
            "buildings": homes,
            "exposure_points": recs,
            "neighbourhoods": buurten,
            "point_radius_m": 250,
        },
    )
    assert res["summary"]["homes_with_no2"] >= 300
    with_home = [f for f in res["neighbourhoods"]["features"] if f["properties"]["homes"]]
    assert sum(f["properties"]["homes"] for f in with_home) <= 1000


def test_homes_beyond_the_receptors_take_the_background() -> None:
    # receptors at x 0 and 40 (NO2 30 and 20); home a at x 10 is within 100 m of both,
    # home b at x 500 of neither. IDW (power 2) at a: weights 1/10² and 1/30², so
    # (30/100 + 20/900) / (1/100 + 1/900) = 29.0. With the RIVM background of 16.5 given
    # for homes no receptor reaches, b takes 16.5; WHO 10: both above; a non-home
    # (dwellings 0) takes nothing
    receptors = fc(feature(point(0, 0), no2=30.0), feature(point(40, 0), no2=20.0))
    homes = fc(
        feature(point(10, 0), "a"),
        feature(point(500, 0), "b"),
        feature(point(600, 0), "e", dwellings=0),
    )
    doc = execute(
        AIR,
        {
            "buildings": homes,
            "exposure_points": receptors,
            "point_method": "idw",
            "outside_value": {"no2": 16.5},
        },
    )
    no2 = [f["properties"]["no2"] for f in doc["buildings"]["features"]]
    assert no2[0] == pytest.approx(29.0) and no2[1:] == [16.5, None]
    taken = [f["properties"]["outside_value_for"] for f in doc["buildings"]["features"]]
    assert taken == [None, "no2", None]
    assert doc["summary"]["homes_with_no2"] == 2
    assert [
        w["count"] for w in doc["data_quality"]["warnings"] if w["code"] == "outside-value"
    ] == [1]


def test_a_background_concentration_is_not_negative() -> None:
    with pytest.raises(InputError) as err:
        run(outside_value={"no2": -5})
    assert err.value.input_name == "outside_value" and "below 0" in err.value.reason
