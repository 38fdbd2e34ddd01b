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
    no2 = s["pollutants"]["no2"]
    # Above the AQG (10): homes a, b → 2 of 4 = 50 %; dwellings 3 + 1 = 4 of 7 = 57.14 %.
    assert no2["above"]["guideline"]["share_homes"] == 50.0
    assert no2["above"]["guideline"]["share_dwellings"] == pytest.approx(57.14)
    # IT-3 (20): the same homes; IT-2 (30): none.
    assert no2["above"]["it3"]["homes"] == 2
    assert no2["above"]["it2"]["homes"] == 0
    # Dwelling-weighted mean: (24·4 + 8·3) / 7 = 120 / 7 = 17.14
    assert no2["mean"] == pytest.approx(17.14)
    pm25 = s["pollutants"]["pm25"]
    # PM2.5 AQG 5: 9 above, 4 not; IT-4 (10): none.
    assert pm25["above"]["guideline"]["share_homes"] == 50.0
    assert pm25["above"]["it4"]["homes"] == 0
    # PM10 only west: 14 < 15 → 0 of 2 homes with a value.
    pm10 = s["pollutants"]["pm10"]
    assert pm10["homes_with_value"] == 2
    assert pm10["above"]["guideline"]["share_homes"] == 0.0


def test_limits_are_parameters() -> None:
    s = run(who_no2_guideline=25.0, who_pm10_guideline=13.0)["summary"]["pollutants"]
    assert s["no2"]["above"]["guideline"]["homes"] == 0
    assert s["pm10"]["above"]["guideline"]["share_homes"] == 100.0


def test_per_neighbourhood_and_scores() -> None:
    res = run(neighbourhoods=AREAS)
    west, east = (f["properties"] for f in res["neighbourhoods"]["features"])
    assert (west["homes"], west["dwellings"]) == (2, 4.0)
    assert west["share_homes_above_who_no2"] == 100.0
    assert east["share_homes_above_who_no2"] == 0.0
    assert west["mean_no2"] == 24.0
    assert west["area_type"] == "binnenstad" and east["area_type"] is None
    card = west["scorecard"]
    assert card["area_type"] == "binnenstad"
    assert card["scores"]["mean_no2"]["value"] == 24.0
    # The overall scorecard scores the overall metrics with the profile used.
    assert west["score"] == card["score"] == card["scores"]["mean_no2"]["score"]
    assert res["profile"]["name"] == "nl-default"
    assert list(res["profile"]["indicators"]) == ["air-quality"]
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
    assert ges["pm25"]["scored"] is False and "verified" in ges["pm25"]["reason"]


def test_no_exposure_input_warns() -> None:
    res = execute(AIR, {"buildings": HOMES})
    assert "no-exposure" in {w["code"] for w in res["data_quality"]["warnings"]}
    assert res["summary"]["pollutants"]["no2"] == {"given": False}


def test_example_runs() -> None:
    res = execute(AIR, AIR.example)
    assert res["summary"]["pollutants"]["no2"]["given"] is True


def test_amsterdam_homes_with_point_receptors(load_amsterdam) -> None:  # type: ignore[no-untyped-def]
    homes = load_amsterdam("homes_1000")
    buurten = load_amsterdam("buurten")
    # Receptors at the first 300 homes with NO2 rising eastwards.
    recs = fc(
        *(
            feature(f["geometry"], no2=10 + (f["geometry"]["coordinates"][0] - 116000) / 500)
            for f in homes["features"][:300]
        )
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
    s = res["summary"]["pollutants"]["no2"]
    assert s["homes_with_value"] >= 300
    with_home = [f for f in res["neighbourhoods"]["features"] if f["properties"]["homes"]]
    assert sum(f["properties"]["homes"] for f in with_home) <= 1000
