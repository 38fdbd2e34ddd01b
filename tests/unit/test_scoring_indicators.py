"""Norm-profile scores (1–10) of green, proximity, cooling, play, parking and housing.

The rule (docs/profiles.md): minimum → 6, ambition → 10, linear in between; past the
minimum linear down to 1 at the floor (default: one band width past the minimum).
Every expected score below is computed by hand from the nl-default bands
(processes/gsl_indicators/catalog/nl-default.yaml).
"""

from __future__ import annotations

from typing import Any

import pytest

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.scoring import resolve_profile
from gsl_indicators.core.spec import registry
from results import execute

REG = registry()


def props(result: dict[str, Any], layer: str = "neighbourhoods") -> dict[Any, dict[str, Any]]:
    return {f.get("id", i): f["properties"] for i, f in enumerate(result[layer]["features"])}


def score(card: dict[str, Any], metric: str) -> float | None:
    return card["scores"][metric]["score"]


# --------------------------------------------------------------- metric names


@pytest.mark.parametrize(
    "indicator",
    [
        "green-3-30-300",
        "green-per-dwelling",
        "proximity-facilities",
        "cool-place-distance",
        "play-space",
        "parking-pressure",
        "air-quality",
    ],
)
def test_every_profile_metric_is_a_metric_the_process_emits(indicator: str) -> None:
    """Each metric with bands in either profile is scored on the indicator's example."""
    ind = REG.get(indicator)
    # green-3-30-300 1.2.0: entrance_tolerance_m default 5 → 10 m (shared walking parameters)
    names = {p.name for p in ind.parameters}
    assert {"profile", "profile_override", "area_type"} <= names
    r = execute(ind, ind.example)
    card = r["summary"]["scorecard"]
    for name in ("nl-default", "ggo-utrecht-example"):
        metrics = set(resolve_profile({"profile": name}).indicators[indicator].metrics)
        assert metrics <= set(card["scores"]), f"{name}: {metrics - set(card['scores'])}"
    assert card["headline"] in card["scores"] and card["score"] is not None
    assert r["profile"]["name"] == "nl-default"
    assert list(r["profile"]["indicators"]) == [indicator]


SCORED = [i.id for i in REG if (i.scored_metrics or i.scores) and i.example]


def test_the_scored_list_comes_from_the_registry() -> None:
    assert {"green-3-30-300", "noise", "water", "soil", "parking-pressure"} <= set(SCORED)


@pytest.mark.parametrize("indicator", SCORED)
def test_every_banded_metric_is_a_declared_scored_metric(indicator: str) -> None:
    """Every metric a profile has bands for is a metric the indicator declares and scores."""
    ind = REG.get(indicator)
    declared = {m.id: m for m in ind.metrics_for(ind.validate_parameters(ind.example or {}))}
    for name in ("nl-default", "ggo-utrecht-example"):
        norms = resolve_profile({"profile": name}).indicators.get(indicator)
        assert norms is not None, f"{name} has no norms for {indicator}"
        for metric, norm in norms.metrics.items():
            if metric not in declared:  # a template metric for other parameters
                assert ind.metric_templates is not None, (name, metric)
                continue
            assert declared[metric].scored, (name, metric)
            assert declared[metric].direction == norm.direction, (name, metric)


@pytest.mark.parametrize("indicator", ["air-quality", "noise", "heat"])
def test_exposure_indicators_use_the_common_score_shape(indicator: str) -> None:
    """Since 2.0.0: on the metric model, shares as fractions, scored like every indicator."""
    ind = REG.get(indicator)
    assert ind.version.split(".")[0] == "2"  # 2.1.0: issue 13 (GES reasons, tropical night)
    assert ind.uses_metric_model and (ind.features, ind.areas) == ("buildings", "neighbourhoods")
    assert {o.name for o in ind.all_outputs} >= {"summary", "profile", "metrics", "ges"}
    r = execute(ind, ind.example)
    assert "scores" not in r
    assert r["summary"]["scorecard"]["profile"] == r["profile"]["name"] == "nl-default"
    assert list(r["profile"]["indicators"]) == [indicator]
    shares = [m for m in ind.metrics if m.id.startswith("share") or m.id == "shade_share"]
    assert shares and all(m.unit == "fraction" and m.digits == 4 for m in shares)
    for m in shares:
        if m.id in r["summary"]:
            assert 0.0 <= r["summary"][m.id] <= 1.0
    # Every scored share has fraction bands in both profiles.
    for name in ("nl-default", "ggo-utrecht-example"):
        norms = resolve_profile({"profile": name}).indicators[indicator].metrics
        for m in shares:
            if m.id in norms:
                assert norms[m.id].unit == "fraction"
                for band in norms[m.id].bands.values():
                    assert 0.0 <= band.minimum <= 1.0 and 0.0 <= band.ambition <= 1.0


# --------------------------------------------------------------------- play


PLAY_NBH = fc(
    feature(box(0, 0, 100, 100), "at-min"),
    feature(box(100, 0, 200, 100), "at-ambition"),
    feature(box(200, 0, 300, 100), "half-min", area_type="binnenstad"),
)
PLAY = fc(
    feature(box(10, 10, 40, 20), "p1"),  # 300 m² of 10,000 = 3 %
    feature(box(110, 10, 150, 20), "p2"),  # 400 m² = 4 %
    feature(box(210, 10, 225, 20), "p3"),  # 150 m² = 1.5 %
)


def test_play_share_scores_at_minimum_ambition_and_below() -> None:
    r = execute(REG.get("play-space"), {"neighbourhoods": PLAY_NBH, "play_areas": PLAY})
    p = props(r)
    # band 0.03 → 0.04, floor 0: 3 % → 6, 4 % → 10, 1.5 % → 1 + 5 × 0.015/0.03 = 3.5
    assert p["at-min"]["score"] == 6.0 and p["at-min"]["meets_norm"] is True
    assert p["at-ambition"]["score"] == 10.0
    assert p["half-min"]["score"] == 3.5 and p["half-min"]["meets_norm"] is False
    # binnenstad has no band of its own: the default band applies
    assert p["half-min"]["area_type"] == "binnenstad"
    assert p["half-min"]["score_play_share"] == 3.5  # flat, no nested scorecard object
    assert not any(isinstance(v, dict | list) for v in p["half-min"].values())
    # overall 850 / 30,000 = 0.028333: 1 + 5 × 0.028333/0.03 = 5.722 → 5.72
    s = r["summary"]
    assert s["play_share"] == 0.0283 and s["scorecard"]["score"] == 5.72
    assert r["profile"]["indicators"]["play-space"]["headline"] == "play_share"


def test_play_norm_parameter_sets_the_flag_and_the_band_the_score() -> None:
    r = execute(
        REG.get("play-space"),
        {"neighbourhoods": PLAY_NBH, "play_areas": PLAY, "norm_share": 0.035},
    )
    p = props(r)
    assert p["at-min"]["meets_norm"] is False  # 3 % < 3.5 %
    assert p["at-min"]["score"] == 6.0  # the band is unchanged


def test_play_override_band_for_the_inner_city() -> None:
    override = {
        "indicators": {
            "play-space": {"metrics": {"play_share": {"bands": {"binnenstad": {"minimum": 0.01}}}}}
        }
    }
    r = execute(
        REG.get("play-space"),
        {"neighbourhoods": PLAY_NBH, "play_areas": PLAY, "profile_override": override},
    )
    p = props(r)
    # binnenstad band 0.01 → 0.04 (ambition from default): 6 + 4 × 0.005/0.03 = 6.667
    assert p["half-min"]["score"] == 6.67
    assert p["at-min"]["score"] == 6.0  # default band elsewhere
    assert r["profile"]["name"] == "nl-default+override"


# ---------------------------------------------------------------- 3-30-300


def _green_inputs() -> dict[str, Any]:
    nbh = fc(
        feature(box(0, 0, 100, 100), "n20"),
        feature(box(100, 0, 200, 100), "n30"),
        feature(box(200, 0, 300, 100), "n10", area_type="binnenstad"),
    )
    homes, trees = [], []
    for i, x in enumerate((50.0, 150.0, 250.0)):
        homes.append(feature(point(x, 50), f"h{i}"))
        trees += [feature(point(x + dx, 60)) for dx in (0, 5, 10)]  # 3 trees within 30 m
    canopy = fc(
        feature(box(0, 0, 20, 100)),  # 2,000 m² of 10,000 = 20 %
        feature(box(100, 0, 130, 100)),  # 3,000 m² = 30 %
        feature(box(200, 0, 210, 100)),  # 1,000 m² = 10 %
    )
    return {
        "buildings": fc(*homes),
        "trees": fc(*trees),
        "canopy": canopy,
        "canopy_extent": fc(feature(box(0, 0, 300, 100))),
        "neighbourhoods": nbh,
        "parks": fc(feature(box(0, 110, 300, 150), "park")),  # 12,000 m², 60 m away
    }


def test_canopy_share_at_band_minimum_scores_6_and_at_the_ambition_10() -> None:
    r = execute(REG.get("green-3-30-300"), _green_inputs())
    p = props(r)
    # canopy band 0.2 → 0.3 (binnenstad 0.1 → 0.3)
    assert p["n20"]["canopy_share"] == 0.2 and p["n20"]["score_canopy_share"] == 6.0
    assert p["n30"]["canopy_share"] == 0.3 and p["n30"]["score_canopy_share"] == 10.0
    assert p["n10"]["canopy_share"] == 0.1 and p["n10"]["score_canopy_share"] == 6.0
    # canopy_target 0.30 (the flag) is the band's ambition: meets_30 exactly where it scores 10
    assert [p[k]["meets_30"] for k in ("n20", "n30", "n10")] == [False, True, False]
    # headline: each neighbourhood has one home meeting 3 and 300, so all three = meets_30;
    # band 0.3 → 1.0 with floor 0: 0 → 1, 1 → 10
    assert [p[k]["score"] for k in ("n20", "n30", "n10")] == [1.0, 10.0, 1.0]
    s = r["summary"]
    assert r["provenance"]["parameters"]["canopy_target"] == 0.3
    # overall canopy 6,000 / 30,000 = 0.2 → 6; all three 1/3: 6 + 4 × (1/3 − 0.3)/0.7 = 6.19
    assert score(s["scorecard"], "canopy_share") == 6.0
    assert s["scorecard"]["headline"] == "share_dwellings_meeting_all_three"
    assert s["scorecard"]["score"] == 6.19
    assert score(s["scorecard"], "share_buildings_meeting_3") == 10.0


def test_canopy_target_moves_the_flag_not_the_score() -> None:
    r = execute(REG.get("green-3-30-300"), {**_green_inputs(), "canopy_target": 0.2})
    p = props(r)
    assert p["n20"]["meets_30"] is True
    assert p["n20"]["score_canopy_share"] == 6.0


def test_green_area_type_parameter_applies_to_every_neighbourhood() -> None:
    r = execute(REG.get("green-3-30-300"), {**_green_inputs(), "area_type": "1"})
    p = props(r)
    # CBS 1 → binnenstad band 0.1 → 0.3: 0.2 → 6 + 4 × 0.1/0.2 = 8
    assert p["n20"]["area_type"] == "1"
    assert p["n20"]["score_canopy_share"] == 8.0
    assert r["summary"]["scorecard"]["area_type"] == "1"


# -------------------------------------------------------- green per dwelling


def _gpd_inputs(**extra: Any) -> dict[str, Any]:
    return {
        "buildings": fc(feature(point(0, 0), "h", dwellings=4)),
        "green": fc(feature(box(100, 0, 110, 30), "g")),  # 300 m² within 500 m
        "neighbourhoods": fc(feature(box(-50, -50, 50, 50), "n", area_type="binnenstad")),
        **extra,
    }


def test_green_per_dwelling_at_the_norm_scores_6() -> None:
    r = execute(REG.get("green-per-dwelling"), _gpd_inputs())
    s = r["summary"]
    # 300 m² / 4 dwellings = 75 m² = the band minimum → 6; the one home meets: share 1 → 10
    assert s["green_per_dwelling_m2"] == 75.0 and s["scorecard"]["score"] == 6.0
    assert score(s["scorecard"], "share_dwellings_meeting_norm") == 10.0
    (n,) = props(r).values()
    assert n["green_per_dwelling_m2"] == 75.0 and n["meets_norm"] is True and n["score"] == 6.0


def test_green_per_dwelling_parameter_and_profile_band_are_independent() -> None:
    r = execute(REG.get("green-per-dwelling"), _gpd_inputs(norm_m2_per_dwelling=80))
    (n,) = props(r).values()
    assert n["meets_norm"] is False and n["score"] == 6.0
    # ggo-utrecht-example: inner city band 40 → 75, so 75 m² scores 10 there
    r = execute(REG.get("green-per-dwelling"), _gpd_inputs(profile="ggo-utrecht-example"))
    (n,) = props(r).values()
    assert n["score"] == 10.0
    norms = r["profile"]["indicators"]["green-per-dwelling"]["metrics"]["green_per_dwelling_m2"]
    assert norms["bands"]["binnenstad"]["minimum"] == 40
    assert n["score_green_per_dwelling_m2"] == 10.0
    # overall: no area type → ggo default_area_type stedelijk-wonen → default band 75 → 6
    assert r["summary"]["scorecard"]["area_type"] is None
    assert r["summary"]["scorecard"]["score"] == 6.0
    assert r["profile"]["name"] == "ggo-utrecht-example"


# ----------------------------------------------------------------- cooling


def test_cool_place_shares_scored_per_neighbourhood_and_overall() -> None:
    homes = [feature(point(x, 0), f"h{x}") for x in (0, 10, 20, 30)]
    homes.append(feature(point(2000, 0), "far", dwellings=6))
    r = execute(
        REG.get("cool-place-distance"),
        {
            "buildings": fc(*homes),
            "cool_places": fc(feature(box(0, 10, 20, 25), "park")),  # 300 m², 10 m away
            "neighbourhoods": fc(
                feature(box(-50, -50, 100, 50), "near"),
                feature(box(1900, -50, 2100, 50), "far", area_type="buitengebied"),
            ),
        },
    )
    s = r["summary"]
    # band 0.8 → 1.0, floor 0: homes 4/5 = 0.8 → 6; dwellings 4/10 = 0.4 → 1 + 5 × 0.5 = 3.5
    assert s["share_homes_within"] == 0.8 and s["scorecard"]["score"] == 6.0
    assert score(s["scorecard"], "share_dwellings_within") == 3.5
    p = props(r)
    assert p["near"]["score"] == 10.0 and p["far"]["score"] == 1.0
    assert p["far"]["area_type"] == "buitengebied"


# --------------------------------------------------------------- proximity


def _proximity_inputs(**extra: Any) -> dict[str, Any]:
    homes = [
        feature(point(x, y), f"h{i}")
        for i, (x, y) in enumerate([(100, 0), (0, 100), (-100, 0), (1000, 0), (0, 1000)])
    ]
    return {
        "buildings": fc(*homes),
        "facilities": fc(
            feature(point(0, 0), "gp", type="huisarts"),
            feature(point(0, 0), "sm", type="supermarkt"),
        ),
        "neighbourhoods": fc(feature(box(-2000, -2000, 2000, 2000), "n")),
        **extra,
    }


def test_proximity_all_share_scored_by_area_type() -> None:
    r = execute(REG.get("proximity-facilities"), _proximity_inputs())
    card = r["summary"]["scorecard"]
    # 3 of 5 homes reach both types within 300 m (and within 150 m): 0.6 = the minimum → 6
    assert card["headline"] == "all_share_standard" and card["score"] == 6.0
    assert score(card, "all_share_reduced") == 6.0
    assert score(card, "all_dwelling_share_standard") == 6.0
    # per-type shares have no bands in nl-default: not in the scorecard
    assert "huisarts_share_standard" not in card["scores"]
    (n,) = props(r).values()
    assert n["all_share_standard"] == 0.6 and n["score"] == 6.0
    # CBS 1 → binnenstad band 0.8 → 1.0, floor 0.2: 6 − 5 × 0.2/0.6 = 4.33
    r = execute(REG.get("proximity-facilities"), _proximity_inputs(area_type="1"))
    assert r["summary"]["scorecard"]["score"] == 4.33
    (n,) = props(r).values()
    assert n["score"] == 4.33 and n["area_type"] == "1"


def test_proximity_other_mobility_profiles_are_unscored_unless_overridden() -> None:
    inputs = _proximity_inputs(mobility_profiles={"rollator": 150})
    r = execute(REG.get("proximity-facilities"), inputs)
    card = r["summary"]["scorecard"]
    assert card["scores"] == {} and card["score"] is None
    assert "all_share_rollator" in card["unscored"]
    override = {
        "indicators": {
            "proximity-facilities": {
                "metrics": {
                    "all_share_rollator": {
                        "unit": "share",
                        "direction": "higher_is_better",
                        "bands": {"default": {"minimum": 0.5, "ambition": 1.0}},
                    }
                }
            }
        }
    }
    r = execute(REG.get("proximity-facilities"), {**inputs, "profile_override": override})
    # 0.6 in band 0.5 → 1.0: 6 + 4 × 0.1/0.5 = 6.8
    assert score(r["summary"]["scorecard"], "all_share_rollator") == 6.8


# ----------------------------------------------------------------- parking

ONE_PLACE = [{"dwelling_type": "home", "places_per_dwelling": 1.0, "visitor_share": 0.0}]


def _parking_inputs(**extra: Any) -> dict[str, Any]:
    return {
        "dwellings": fc(
            feature(point(50, 50), dwellings=85, dwelling_type="home"),
            feature(point(150, 50), dwellings=85, dwelling_type="home"),
            feature(point(250, 50), dwellings=5, dwelling_type="home"),
        ),
        "parking": fc(feature(point(60, 50), capacity=100), feature(point(160, 50), capacity=100)),
        "zones": fc(
            feature(box(0, 0, 100, 100), "z2", urbanity_class=2, location="rest-built-up"),
            feature(box(100, 0, 200, 100), "z1", urbanity_class=1, location="rest-built-up"),
            feature(box(200, 0, 300, 100), "none", urbanity_class=3, location="rest-built-up"),
        ),
        "norm_table": ONE_PLACE,
        **extra,
    }


def test_parking_pressure_scores_per_zone_and_overall() -> None:
    r = execute(REG.get("parking-pressure"), _parking_inputs())
    z = props(r, "zones")
    # z2: 85/100 = the default band minimum 0.85 → 6 (CBS 2 → stedelijk-wonen → default)
    assert z["z2"]["pressure"] == 0.85 and z["z2"]["score"] == 6.0
    assert z["z2"]["score_pressure"] == 6.0 and z["z2"]["area_type"] == "2"
    assert z["z2"]["alarm"] is False
    # z1: CBS 1 → binnenstad band 0.9 → 0.75: 0.85 → 6 + 4 × 0.05/0.15 = 7.33
    assert z["z1"]["area_type"] == "1" and z["z1"]["score"] == 7.33
    # demand without supply: pressure empty, alarm on, score 1
    assert z["none"]["pressure"] is None and z["none"]["alarm"] is True
    assert z["none"]["score"] == 1.0
    # overall 175 / 200 = 0.875: 6 − 5 × 0.025/0.15 = 5.17
    s = r["summary"]
    assert s["pressure"] == 0.875 and s["scorecard"]["score"] == 5.17
    assert "pressure_with_plan" not in s["scorecard"]["scores"]


def test_parking_threshold_sets_the_alarm_and_the_band_the_score() -> None:
    plan = fc(feature(point(40, 40), dwellings=5, dwelling_type="home"))
    r = execute(REG.get("parking-pressure"), _parking_inputs(threshold=0.8, plan=plan))
    z = props(r, "zones")
    assert z["z2"]["alarm"] is True and z["z2"]["score"] == 6.0
    # with the plan z2 holds 90 of 100: 6 − 5 × 0.05/0.15 = 4.33
    assert z["z2"]["score_pressure_with_plan"] == 4.33
    assert z["z2"]["score"] == 6.0  # the headline stays the pressure without the plan
    # the zone's area_type property wins over its urbanity class
    r = execute(
        REG.get("parking-pressure"),
        _parking_inputs(
            zones=fc(feature(box(0, 0, 300, 100), "all", urbanity_class=2, area_type="binnenstad"))
        ),
    )
    (z,) = props(r, "zones").values()
    # 175 / 200 = 0.875 in the binnenstad band: 6 + 4 × 0.025/0.15 = 6.67
    assert z["area_type"] == "binnenstad" and z["score"] == 6.67


# ----------------------------------------------------------------- housing


def _housing_inputs(**extra: Any) -> dict[str, Any]:
    return {
        "dwellings": fc(feature(point(50, 50), dwellings=50, dwelling_type="home")),
        "neighbourhoods": fc(feature(box(0, 0, 100, 100), "n", urbanity_class=2)),
        "parking": fc(feature(point(60, 50), capacity=100)),
        "norm_table": ONE_PLACE,
        "constraints": ["parking-pressure"],
        **extra,
    }


def test_housing_names_the_profile_and_compares_its_norm_parameters() -> None:
    r = execute(REG.get("housing-capacity"), _housing_inputs())
    (n,) = props(r).values()
    # (0.85 × 100 − 50) ÷ 1 place per dwelling = 35 dwellings fit
    assert n["parking_pressure_capacity"] == 35.0 and n["area_type"] == "2"
    assert r["profile"]["name"] == "nl-default"
    assert list(r["profile"]["indicators"]) == ["parking-pressure"]
    pn = r["constraints"]["parking-pressure"]["profile_norm"]
    assert pn["parameter"] == "threshold" and pn["value"] == 0.85
    assert pn["profile_metric"] == "parking-pressure.pressure"
    assert pn["profile_minimum"] == {"default": 0.85} and pn["agrees_with_profile"] is True
    assert r["data_quality"]["norms_differing_from_profile"] == []
    assert {"profile", "profile_override", "area_type"} <= {
        p.name for p in REG.get("housing-capacity").parameters
    }


def test_housing_reports_where_parameter_and_profile_differ() -> None:
    r = execute(
        REG.get("housing-capacity"),
        _housing_inputs(area_type="binnenstad", norm_source="parameters"),
    )
    pn = r["constraints"]["parking-pressure"]["profile_norm"]
    assert pn["profile_minimum"] == {"binnenstad": 0.9} and pn["agrees_with_profile"] is False
    assert r["data_quality"]["norms_differing_from_profile"] == ["parking-pressure"]
    # the capacity still follows the parameter
    (n,) = props(r).values()
    assert n["parking_pressure_capacity"] == 35.0
    override = {
        "indicators": {
            "parking-pressure": {
                "metrics": {
                    "pressure": {
                        "bands": {"default": {"minimum": 0.8, "ambition": 0.7, "floor": 1.0}}
                    }
                }
            }
        }
    }
    r = execute(REG.get("housing-capacity"), _housing_inputs(profile_override=override))
    pn = r["constraints"]["parking-pressure"]["profile_norm"]
    assert pn["profile"] == "nl-default+override" and pn["profile_minimum"] == {"default": 0.8}
    assert r["profile"]["name"] == "nl-default+override"
