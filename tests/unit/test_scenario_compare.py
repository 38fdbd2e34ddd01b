"""``scenario-compare`` (ZOUT): a two-area design, one variant adds trees, one a noisy road.

The design, worked out by hand (EPSG:28992 metres, nl-default profile):

* neighbourhoods n1 = [0, 100] × [0, 100] and n2 = [100, 200] × [0, 100];
* one home (1 dwelling) at x = 20, 80 (n1) and 120, 180 (n2), y = 50;
* a 1 ha park [0, 100] × [150, 250]: every home within 300 m (100–128 m) → "300" met;
* canopy [0, 100] × [0, 40] and [100, 200] × [0, 40]: 40 % per neighbourhood → "30" met;
* three trees 7–10 m from the home at x = 20 → only that home sees 3 trees;
* road noise: Lden 50 dB everywhere.

Green headline ``share_dwellings_meeting_all_three``, band 0.3 → 1.0, floor 0:
baseline n1 0.5 → 6 + 4 × 0.2/0.7 = 7.14; n2 0.0 → 1; overall 0.25 → 6 − 5 × 0.05/0.3 = 5.17.

* Variant **A-bomen** adds three trees beside the home at x = 120: n2 0.0 → 0.5
  (score 1 → 7.14, delta +0.5, better); overall 0.25 → 0.5 (5.17 → 7.14). Noise unchanged.
* Variant **B-weg** replaces the noise map: n2 at 60 dB: n2's share above 53 dB 0 → 1
  (band 0.30 → 0.05, floor 0.80: 10 → 1, worse); overall 0 → 0.5 (10 → 6 − 5 × 0.2/0.5 = 4).
  Green unchanged.

The noise part of A and the green part of B are the baseline's, reused, not computed:
four parts computed for three scenarios of two indicators.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from geojson_helpers import box, fc, feature
from gsl_indicators.core.spec import InputError, registry
from results import execute
from scenario_design import scenario_inputs

SCN = registry().get("scenario-compare")


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return execute(SCN, scenario_inputs())


def _row(result: dict[str, Any], scenario: str, area: str, metric: str) -> dict[str, Any]:
    return next(
        r
        for r in result["comparison"]
        if (r["scenario"], r["area_id"], r["metric"]) == (scenario, area, metric)
    )


def test_variant_with_trees(result: dict[str, Any]) -> None:
    r = _row(result, "A-bomen", "n2", "share_dwellings_meeting_all_three")
    assert (r["baseline_value"], r["value"], r["delta"]) == (0.0, 0.5, 0.5)
    assert (r["baseline_score"], r["score"], r["verdict"]) == (1.0, 7.14, "better")
    r = _row(result, "A-bomen", "overall", "share_dwellings_meeting_all_three")
    assert (r["baseline_value"], r["value"], r["baseline_score"], r["score"]) == (
        0.25,
        0.5,
        5.17,
        7.14,
    )
    assert (
        _row(result, "A-bomen", "n1", "share_dwellings_meeting_all_three")["verdict"] == "unchanged"
    )
    assert (
        _row(result, "A-bomen", "n2", "share_homes_above_who_lden_road")["verdict"] == "unchanged"
    )
    assert _row(result, "A-bomen", "n2", "score_green")["delta"] == 6.14  # 1 → 7.14


def test_variant_with_a_noisy_road(result: dict[str, Any]) -> None:
    r = _row(result, "B-weg", "n2", "share_homes_above_who_lden_road")
    assert (r["baseline_value"], r["value"], r["delta"], r["verdict"]) == (0.0, 1.0, 1.0, "worse")
    assert (r["baseline_score"], r["score"]) == (10.0, 1.0)
    r = _row(result, "B-weg", "overall", "share_homes_above_who_lden_road")
    assert (r["value"], r["score"]) == (0.5, 4.0)
    assert _row(result, "B-weg", "n1", "share_homes_above_who_lden_road")["verdict"] == "unchanged"
    assert _row(result, "B-weg", "n2", "score_green")["verdict"] == "unchanged"


def test_theme_summary_sentences(result: dict[str, Any]) -> None:
    texts = {(t["scenario"], t["theme"]): t["text"] for t in result["themes"]}
    assert texts[("A-bomen", "green")] == "A-bomen: green better in 1 of 2 areas"
    assert texts[("B-weg", "noise")] == "B-weg: noise worse in 1 of 2 areas"
    assert texts[("B-weg", "green")] == "B-weg: green unchanged in all 2 areas"


def test_unchanged_parts_are_reused(result: dict[str, Any]) -> None:
    assert result["summary"] == {"scenarios": 3, "parts_computed": 4}
    cache = {(p["scenario"], p["indicator"]): p["cache"] for p in result["provenance"]["parts"]}
    assert cache[("A-bomen", "noise")] == "hit" and cache[("B-weg", "green-3-30-300")] == "hit"


def test_csv_has_one_row_per_area_metric_scenario(result: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(result["csv"])))
    assert len(rows) == len(result["comparison"])
    r = next(
        x
        for x in rows
        if (x["scenario"], x["area_id"], x["metric"])
        == ("B-weg", "n2", "share_homes_above_who_lden_road")
    )
    assert (r["value"], r["baseline_value"], r["verdict"]) == ("1.0", "0.0", "worse")


@pytest.mark.parametrize(
    ("variants", "words"),
    [
        ({"X": {"nope": fc()}}, "variants.X.nope: not an input"),
        ({"X": {"trees": 3}}, "variants.X.trees: expected a FeatureCollection"),
        ({"baseline": {"trees": fc()}}, "may not be called 'baseline'"),
    ],
)
def test_bad_variants_name_the_place(variants: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as err:
        execute(SCN, scenario_inputs(**variants))
    assert err.value.input_name == "variants" and words in err.value.reason


def test_health_and_money_from_the_deltas() -> None:
    """Variant B's road raises n2's two homes from 50 to 60 dB Lden; A gives h3 all three.

    %HA (WHO 2018): 78.9270 − 3.1162 L + 0.0342 L²: 8.617 % at 50 dB, 15.075 % at 60 dB.
    B: 2 homes × 2.12 persons × (15.075 − 8.617) % × 0.02 = 0.0054764 DALY a year, a cost;
    over 30 years at 2.25 % (end of year) its PV is 0.0054764 × €50,000 × 21.6453 = €5,926.91.
    A: one home newly meets 3-30-300: 1 × €400,000 × 4 % = €16,000 in 2025, PV 16,000 / 1.0225
    = €15,647.92. No Lnight given: no sleep effect.
    """
    r = execute(SCN, {**scenario_inputs(), "health": {"mean_home_value_eur": 400000.0}})
    hm = r["health_money"]
    b = hm["B-weg"]
    annoy = next(e for e in b["effects"] if e["name"] == "road-noise annoyance")
    assert annoy["kind"] == "cost" and annoy["qaly_per_year"] == pytest.approx(0.0054764, abs=1e-7)
    assert not [e for e in b["effects"] if e["name"] == "road-noise sleep disturbance"]
    assert b["green_premium"] is None
    assert b["mkba"]["summary"]["pv_costs"] == pytest.approx(5926.91, abs=0.01)
    assert b["mkba"]["summary"]["npv"] == pytest.approx(-5926.91, abs=0.01)
    a = hm["A-bomen"]
    assert a["effects"] == [] and a["green_premium"] == {
        "homes": 1,
        "mean_home_value_eur": 400000.0,
    }
    assert a["mkba"]["summary"]["pv_benefits"] == pytest.approx(15647.92, abs=0.01)
    sources = " ".join(d["source"] for d in b["derivation"])
    assert "Guski" in sources and "WHO (2011)" in sources


def test_health_costs_must_name_variants() -> None:
    with pytest.raises(InputError) as err:
        execute(SCN, {**scenario_inputs(), "health": {"costs": {"C": []}}})
    assert err.value.input_name == "health" and "not variants" in err.value.reason


def test_area_rows_without_any_value_are_left_out_and_overall_rows_stay() -> None:
    # A third neighbourhood n3 without homes, beyond the noise zone: its home shares and
    # noise have no value in any scenario (its canopy share and green score do). Its
    # empty rows are left out; every metric keeps its overall row in every scenario.
    inputs = scenario_inputs()
    inputs["neighbourhoods"] = fc(
        feature(box(0, 0, 100, 100), "n1"),
        feature(box(100, 0, 200, 100), "n2"),
        feature(box(300, 0, 400, 100), "n3"),
    )
    res = execute(SCN, inputs)
    rows = res["comparison"]
    empty = ("value", "score", "baseline_value", "baseline_score")
    assert not [r for r in rows if r["area_id"] != "overall" and all(r[k] is None for k in empty)]
    n3 = {(r["scenario"], r["metric"]) for r in rows if r["area_id"] == "n3"}
    assert ("baseline", "share_homes_above_who_lden_road") not in n3
    assert ("baseline", "share_dwellings_meeting_all_three") not in n3
    assert ("baseline", "canopy_share") in n3
    metrics = {(r["scenario"], r["metric"]) for r in rows}
    overall = {(r["scenario"], r["metric"]) for r in rows if r["area_id"] == "overall"}
    assert overall == metrics and len(metrics) > 10
    # the two neighbourhoods with homes keep every row they had
    both = [r for r in rows if r["area_id"] in ("n1", "n2")]
    assert len(both) == 2 * len(overall)
    assert len(list(csv.DictReader(io.StringIO(res["csv"])))) == len(rows)


def test_a_variant_layer_no_indicator_on_the_card_reads_is_said() -> None:
    compare = registry().get("scenario-compare")
    inputs = dict(compare.example or {})
    variants = dict(inputs["variants"])
    name = next(iter(variants))
    variants[name] = {**variants[name], "parks": fc(feature(box(0, 0, 10, 10), "p"))}
    doc = execute(compare, {**inputs, "variants": variants})
    ignored = [w for w in doc["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    assert [(w["input"], w["message"].split(" was ")[0]) for w in ignored] == [
        ("variants", f"variants.{name}.parks")
    ]
