"""``ggo-light``: rules of thumb on a sketch's programme, by hand."""

from __future__ import annotations

from typing import Any

import pytest

from geojson_helpers import box, fc, feature
from gsl_indicators.core.spec import InputError, registry
from results import execute

LIGHT = registry().get("ggo-light")

# One plan area of 100 × 100 m = 10,000 m².
PLAN = dict(
    dwellings=10,
    green_m2=900,
    paved_m2=3000,
    built_m2=2000,
    trees_planted=15,
    parking_places=8,
    storage_m3=200,
    area_type="stedelijk-wonen",
)


def run(**inputs: Any) -> dict[str, Any]:
    plans = inputs.pop("plan_areas", fc(feature(box(0, 0, 100, 100), "A", **PLAN)))
    return execute(LIGHT, {"plan_areas": plans, **inputs})


def props(r: dict[str, Any]) -> dict[str, Any]:
    return r["plan_areas"]["features"][0]["properties"]


def test_programme_rules_by_hand() -> None:
    p = props(run())
    assert p["green_per_dwelling_m2"] == 90.0  # 900 m² / 10 dwellings
    assert p["share_dwellings_meeting_3"] == 0.5  # 15 trees / (3 × 10)
    # paved as water counts it, roofs included: (3000 + 2000) of 10,000; sealed the same
    assert p["paved_share"] == 0.5 and p["sealed_share"] == 0.5
    assert p["storage_ratio"] == 0.6667  # 200 m³ / (0.060 m × 5000 m²)
    assert p["shade_share_public_space"] == 0.0938  # 15 × 50 m² / (10,000 − 2,000)
    assert p["pressure"] == 1.25  # 10 × 1.0 / 8
    # nl-default bands: green 75 → 100 m²: 6 + 4 × 15/25 = 8.4; the "3" 0.5 → 1.0: 6
    assert p["score_green_per_dwelling_m2"] == 8.4 and p["score_share_dwellings_meeting_3"] == 6.0
    assert p["score_green"] == 6.0  # the theme: the lower of its two rules
    # storage band 1.0 → 1.2, floor 0: 6 − 5 × (1 − 0.6667) / 1 = 4.33; parking 1.25 past
    # its floor 1.0 → 1
    assert p["score_storage_ratio"] == 4.33 and p["score_mobility"] == 1.0
    assert p["score_noise"] is None and p["score_air"] is None  # no context layers


def test_context_layers_noise_air_and_parks() -> None:
    zones = fc(
        feature(box(0, 0, 50, 100), lden=58.0, no2=20.0),  # west half: loud
        feature(box(50, 0, 100, 100), lden=50.0, no2=30.0),
    )
    parks = fc(feature(box(150, 0, 250, 100), "park"))  # 10,000 m², 50 m east of the plan
    p = props(run(exposure_zones=zones, parks=parks, radius_m=100.0))
    assert p["share_homes_above_who_lden_road"] == 0.5  # half the plan above 53 dB
    assert p["mean_no2"] == 25.0  # area-weighted: (20 + 30) / 2
    # parks within 100 m: the buffer reaches x = 200 → 50 × 100 = 5,000 m² of the park
    # (the buffer's rounded corners lie outside the park's y range 0..100): (900 + 5000)/10
    assert p["green_per_dwelling_m2"] == 590.0
    # noise band stedelijk-wonen (nl-default, fractions since noise 2.0.0): minimum 0.30,
    # ambition 0.05, floor 0.80; 0.5 → 6 − 5 × (0.5 − 0.3) / (0.8 − 0.3) = 4.0
    assert p["score_share_homes_above_who_lden_road"] == 4.0


def test_missing_programme_figures_are_null_and_noted() -> None:
    sparse = fc(feature(box(0, 0, 100, 100), "A", dwellings=4, paved_m2=1000))
    r = run(plan_areas=sparse)
    p = props(r)
    assert p["paved_share"] is None  # built_m2 missing: paved share unknown
    assert p["green_per_dwelling_m2"] == 0.0
    assert p["storage_ratio"] is None and p["pressure"] is None
    assert r["data_quality"]["light_not_assessed"]["storage_ratio"] == 1
    # each figure the plan lacks is named, so a "not assessed" says why (found on the
    # Amsterdam buurten given as plan areas: every theme not assessed, "no warnings")
    lacking = {
        w["message"].split("'")[1]
        for w in r["data_quality"]["warnings"]
        if w["code"] == "missing-property" and w["input"] == "plan_areas"
    }
    assert lacking == {"green_m2", "built_m2", "trees_planted", "parking_places", "storage_m3"}
    assert not [w for w in run()["data_quality"]["warnings"] if w["code"] == "missing-property"]


def test_negative_dwellings_is_a_400() -> None:
    bad = fc(feature(box(0, 0, 100, 100), "A", dwellings=-1))
    with pytest.raises(InputError) as err:
        run(plan_areas=bad)
    assert err.value.input_name == "plan_areas"


def test_every_rule_is_labelled_light_with_its_source() -> None:
    rules = run()["rules"]
    assert {r["label"] for r in rules} == {"light"}
    assert all(r["source"] and r["assumption"] for r in rules)
