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
    src = run()["summary"]["sources"]
    # Road Lden > 53: homes a, b of the 3 with a value → 66.67 %; dwellings 3 of 4 = 75 %.
    assert src["lden_road"]["above_limit"]["share_homes"] == pytest.approx(66.67)
    assert src["lden_road"]["above_limit"]["share_dwellings"] == 75.0
    # Road Lnight > 45: 48 (a, b) yes, 44 no.
    assert src["lnight_road"]["above_limit"]["homes"] == 2
    # Rail Lden 55 > 54 for all three; aircraft 47 > 45 for all four.
    assert src["lden_rail"]["above_limit"]["share_homes"] == 100.0
    assert src["lden_aircraft"]["above_limit"]["share_homes"] == 100.0
    assert src["lden_road"]["limit"] == 53.0


def test_class_distribution_by_hand() -> None:
    classes = run()["summary"]["sources"]["lden_road"]["classes"]
    assert classes["55–60"] == {"homes": 2, "dwellings": 3.0}
    assert classes["50–55"] == {"homes": 1, "dwellings": 1.0}
    assert sum(c["homes"] for c in classes.values()) == 3
    wide = run(class_width_db=10.0, class_min_db=40.0, class_max_db=60.0)
    assert list(wide["summary"]["sources"]["lden_road"]["classes"]) == [
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
    s = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones})["summary"]["sources"]
    assert s["lden_industry"]["above_limit"] is None and "no limit" in s["lden_industry"]["note"]
    s2 = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones, "limit_lden_industry": 50.0})
    assert s2["summary"]["sources"]["lden_industry"]["above_limit"]["share_homes"] == 100.0


def test_default_source_applies_to_unlabelled_features() -> None:
    zones = fc(feature(box(0, 0, 300, 100), lden=60.0))
    s = execute(NOISE, {"buildings": HOMES, "exposure_zones": zones, "default_source": "rail"})
    assert list(s["summary"]["sources"]) == ["lden_rail"]


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
    assert nb["share_homes_above_who_lden_road"] == pytest.approx(66.67)
    assert nb["area_type"] == nb["scorecard"]["area_type"] == "1"
    assert "share_homes_above_who_lden_road" in nb["scorecard"]["scores"]
    assert nb["score"] == nb["scorecard"]["score"]
    assert res["profile"]["name"] == "nl-default" and "scores" not in res
    ges = res["ges"]
    assert ges["lden_road"]["homes_below_first_class"] == 1
    assert ges["lden_rail"]["scored"] is False


def test_example_runs() -> None:
    res = execute(NOISE, NOISE.example)
    assert res["summary"]["sources"]["lden_road"]["above_limit"]["homes"] == 1
