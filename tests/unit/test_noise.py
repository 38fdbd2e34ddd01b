"""``noise``: sources, WHO shares, 5 dB classes, GES, by hand."""

from __future__ import annotations

import pytest

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.noise import class_edges
from results import execute

NOISE = registry().get("noise")

HOMES = fc(
    feature(point(10, 50), "a", dwellings=2),
    feature(point(60, 50), "b"),
    feature(point(150, 50), "c"),
    feature(point(250, 50), "d"),
)
ZONES = fc(
    # Road: 0..100 → 58 dB Lden, 48 Lnight; 100..200 → 52.9 / 44.
    feature(box(0, 0, 100, 100), lden=58.0, lnight=48.0),
    feature(box(100, 0, 200, 100), lden=52.9, lnight=44.0),
    # Rail over 0..200 at 55 dB Lden (source property).
    feature(box(0, 0, 200, 100), lden=55.0, source="rail"),
    # Aircraft given directly by property name over everything.
    feature(box(0, 0, 300, 100), lden_aircraft=47.0),
)


def run(**extra):  # type: ignore[no-untyped-def]
    return execute(NOISE, {"buildings": HOMES, "exposure_zones": ZONES, **extra})


def test_levels_per_source() -> None:
    p = [f["properties"] for f in run()["buildings"]["features"]]
    assert [x["lden_road"] for x in p] == [58.0, 58.0, 52.9, None]
    assert [x["lnight_road"] for x in p] == [48.0, 48.0, 44.0, None]
    assert [x["lden_rail"] for x in p] == [55.0, 55.0, 55.0, None]
    assert [x["lden_aircraft"] for x in p] == [47.0] * 4
    assert [x["lden_road_above_limit"] for x in p] == [True, True, False, None]
    # GES road: 58 → 4; 52.9 is below the first class (55) → no score.
    assert [x["ges_lden_road"] for x in p] == [4, 4, None, None]


def test_who_shares_by_hand() -> None:
    s = run()["summary"]
    # Road Lden > 53: homes a, b of the 3 with a value → 0.6667; dwellings 3 of 4 = 0.75.
    assert s["share_homes_above_who_lden_road"] == 0.6667
    assert s["share_dwellings_above_who_lden_road"] == 0.75
    assert s["homes_with_lden_road"] == 3 and s["max_lden_road"] == 58.0
    # Road Lnight > 45: 48 (a, b) yes, 44 no.
    assert s["homes_above_who_lnight_road"] == 2
    # Rail Lden 55 > 54 for all three; aircraft 47 > 45 for all four.
    assert s["share_homes_above_who_lden_rail"] == 1.0
    assert s["share_homes_above_who_lden_aircraft"] == 1.0


def test_one_of_four_homes_above_is_a_quarter() -> None:
    # The check: 1 of 4 homes above 53 dB gives 0.25, not 25.0.
    zones = fc(feature(box(0, 0, 100, 100), lden=58.0), feature(box(100, 0, 300, 100), lden=50.0))
    homes = fc(*(feature(point(x, 50), f"h{x}") for x in (50, 150, 200, 250)))
    s = execute(NOISE, {"buildings": homes, "exposure_zones": zones})["summary"]
    assert s["share_homes_above_who_lden_road"] == 0.25


def test_class_distribution_by_hand() -> None:
    classes = run()["classes"]["lden_road"]
    assert classes["55–60"] == {"homes": 2, "dwellings": 3.0}
    assert classes["50–55"] == {"homes": 1, "dwellings": 1.0}
    assert sum(c["homes"] for c in classes.values()) == 3
    wide = run(class_width_db=10.0, class_min_db=40.0, class_max_db=60.0)
    assert list(wide["classes"]["lden_road"]) == [
        "<40",
        "40–50",
        "50–60",
        "≥60",
    ]


def test_class_edges_validation() -> None:
    assert class_edges({"class_min_db": 40, "class_max_db": 50, "class_width_db": 5}).tolist() == [
        40,
        45,
        50,
    ]
    with pytest.raises(InputError):
        class_edges({"class_min_db": 60, "class_max_db": 50, "class_width_db": 5})


def test_industry_has_no_who_limit_unless_given() -> None:
    zones = fc(feature(box(0, 0, 300, 100), lden=51.0, source="industry"))
    r = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones})
    assert r["summary"]["homes_with_lden_industry"] == 4
    assert "share_homes_above_who_lden_industry" not in r["summary"]
    assert r["data_quality"]["sources_without_limit"] == ["lden_industry"]
    assert "lden_industry_above_limit" not in r["buildings"]["features"][0]["properties"]
    s2 = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones, "limit_lden_industry": 50.0})
    assert s2["summary"]["share_homes_above_who_lden_industry"] == 1.0


def test_default_source_applies_to_unlabelled_features() -> None:
    zones = fc(feature(box(0, 0, 300, 100), lden=60.0))
    s = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones, "default_source": "rail"})
    assert list(s["classes"]) == ["lden_rail"]
    assert "lden_rail" in s["buildings"]["features"][0]["properties"]
    assert "lden_road" not in s["buildings"]["features"][0]["properties"]


def test_receptor_points_idw() -> None:
    recs = fc(feature(point(0, 50), lden=60.0), feature(point(20, 50), lden=50.0))
    res = execute(
        NOISE,
        {"buildings": fc(feature(point(10, 50))), "exposure_points": recs, "point_method": "idw"},
    )
    # Equidistant receptors (10 m each) → the plain mean, 55 dB.
    assert res["buildings"]["features"][0]["properties"]["lden_road"] == 55.0


def test_scores_and_ges_report() -> None:
    res = run(neighbourhoods=fc(feature(box(0, 0, 300, 100), "all", urbanity_class=1)))
    nb = res["neighbourhoods"]["features"][0]["properties"]
    assert nb["share_homes_above_who_lden_road"] == 0.6667
    assert nb["area_type"] == "1"
    # CBS 1 → binnenstad band 0.5 → 0.1, floor 1: 2/3 → 6 − 5 × (2/3 − 0.5) / 0.5 = 4.33
    # (as 66.67 % in the band 50 → 10, floor 100 before).
    assert nb["score_share_homes_above_who_lden_road"] == nb["score"] == 4.33
    assert res["profile"]["name"] == "nl-default" and "scores" not in res
    ges = res["ges"]
    assert ges["lden_road"]["homes_below_first_class"] == 1
    assert ges["lden_rail"]["scored"] is False


def test_example_runs() -> None:
    res = execute(NOISE, NOISE.example)
    assert res["summary"]["homes_above_who_lden_road"] == 1


def test_a_map_whose_contours_start_above_the_limit() -> None:
    # An EU noise map draws contours from 55 dB: one home of four lies in the 55 zone,
    # the others outside every zone. Without outside_value the share is taken over the
    # one home with a value (1.0); with the user's "below the lowest contour: 50 dB" it
    # is 1 of 4, and the other three are counted in a warning
    zones = fc(feature(box(0, 0, 100, 100), lden=55.0))
    homes = fc(*(feature(point(x, 50), f"h{x}") for x in (50, 150, 200, 250)))
    plain = execute(NOISE, {"buildings": homes, "exposure_zones": zones})
    assert plain["summary"]["share_homes_above_who_lden_road"] == 1.0
    assert plain["summary"]["homes_with_lden_road"] == 1
    doc = execute(
        NOISE, {"buildings": homes, "exposure_zones": zones, "outside_value": {"lden_road": 50}}
    )
    s = doc["summary"]
    assert s["share_homes_above_who_lden_road"] == 0.25
    assert s["homes_with_lden_road"] == 4 and s["max_lden_road"] == 55.0
    assert [f["properties"]["lden_road"] for f in doc["buildings"]["features"]] == [55, 50, 50, 50]
    # each home says which of its values is the stated one, not the map's
    assert [f["properties"]["outside_value_for"] for f in doc["buildings"]["features"]] == [
        None,
        "lden_road",
        "lden_road",
        "lden_road",
    ]
    took = [w for w in doc["data_quality"]["warnings"] if w["code"] == "outside-value"]
    assert [(w["input"], w["count"]) for w in took] == [("buildings", 3)]
    assert doc["data_quality"]["outside_value"] == {
        "values": {"lden_road": 50.0},
        "homes": {"lden_road": 3},
    }
    # a quantity no input gives is said, not silently ignored; its homes keep no value
    rail = execute(
        NOISE, {"buildings": homes, "exposure_zones": zones, "outside_value": {"lden_rail": 40}}
    )
    codes = [w["code"] for w in rail["data_quality"]["warnings"]]
    assert "outside-value-unused" in codes and "home-without-exposure" in codes
    assert rail["data_quality"]["outside_value"]["homes"] == {"lden_rail": 0}
    assert rail["summary"]["share_homes_above_who_lden_road"] == 1.0


@pytest.mark.parametrize(
    "bad",
    # a stated value is a JSON number as given: true is not 1 dB, "50" not 50
    [
        {"lden": 50},
        {"lden_road": "x"},
        {"lden_road": float("inf")},
        [50],
        {"lden_road": True},
        {"lden_road": "50"},
    ],
)
def test_outside_value_names_only_the_indicators_quantities(bad) -> None:
    with pytest.raises(InputError) as err:
        execute(NOISE, {"buildings": HOMES, "exposure_zones": ZONES, "outside_value": bad})
    assert err.value.input_name == "outside_value"
