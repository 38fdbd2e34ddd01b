"""The `uncertainty` input over HTTP: the output when asked, a 400 naming the entry when wrong."""

from __future__ import annotations

from api.helpers import assert_problem
from gsl_indicators.core.spec import registry
from results import values

GREEN = registry().get("green-3-30-300")
SPEC = {
    "samples": 20,
    "seed": 1,
    "parameters": {"tree_distance_m": {"distribution": "uniform", "low": 10, "high": 50}},
    "data": {"trees": {"position_sd_m": 2}},
}


def test_uncertainty_output_sync_and_cached(client):
    body = {"inputs": {**GREEN.example, "uncertainty": SPEC}}
    first = client.post("/processes/green-3-30-300/execution", json=body)
    assert first.status_code == 200, first.text
    out = values(first.json())
    report = out["uncertainty"]
    assert report["samples"] == report["valid_samples"] == 20
    assert report["headline"]["metric"] == "share_dwellings_meeting_all_three"
    # the plain outputs are the same as without `uncertainty`
    plain = client.post("/processes/green-3-30-300/execution", json={"inputs": GREEN.example})
    assert values(plain.json())["summary"] == out["summary"]
    assert "uncertainty" not in values(plain.json())
    # seeded: the second (cached or recomputed) answer is the same report
    again = client.post("/processes/green-3-30-300/execution", json=body)
    assert values(again.json())["uncertainty"] == report


def test_bad_uncertainty_is_400_sync_and_async(client):
    bad = {
        **SPEC,
        "parameters": {"walking_speed": {"distribution": "normal", "mean": 1, "sd": 0.1}},
    }
    body = {"inputs": {**GREEN.example, "uncertainty": bad}}
    for headers in ({}, {"Prefer": "respond-async"}):
        r = client.post("/processes/green-3-30-300/execution", json=body, headers=headers)
        doc = assert_problem(r, 400, "invalid-parameter-value", "parameters.walking_speed")
        assert doc["input"] == "uncertainty"


def test_a_headline_of_several_metrics_is_their_worst_sample_by_sample(client):
    # nl-default scores soil by the worst of three metrics (sealing, contamination,
    # health limit): the uncertainty report's headline is that worst score per sample,
    # checked against the three metrics' own statistics (the worst cannot be better).
    soil = registry().get("soil")
    spec = {"samples": 40, "seed": 7, "data": {"buildings": {"position_sd_m": 40}}}
    r = client.post(
        "/processes/soil/execution", json={"inputs": {**soil.example, "uncertainty": spec}}
    )
    assert r.status_code == 200, r.text
    report = values(r.json())["uncertainty"]
    head = report["headline"]
    heads = [
        "sealed_share",
        "share_dwellings_on_contaminated_soil",
        "share_dwellings_above_health_limit",
    ]
    assert head["metric"] == heads and head["headline_rule"] == {"worst_of": heads}
    scored = [report["metrics"][h]["score"] for h in heads if h in report["metrics"]]
    baselines = [s["baseline"] for s in scored if s["baseline"] is not None]
    assert head["score"]["baseline"] == min(baselines)
    # the worst per sample is at most each metric's score in that sample: so its
    # percentiles and mean are at most the lowest of theirs
    for stat in ("mean", "p5", "p50", "p95"):
        assert head["score"][stat] <= min(s[stat] for s in scored if s[stat] is not None) + 1e-9
    probabilities = [report["metrics"][h]["probability_meeting_norm"] for h in heads]
    assert head["probability_meeting_norm"] <= min(p for p in probabilities if p is not None)
    # the homes moved (σ 40 m) in and out of the contamination zones: the headline varies;
    # the sealing (no homes involved) meets its norm in every sample, so the headline
    # meets it exactly when the contamination share does, and no lead data: no third
    assert head["score"]["sd"] > 0
    sealed, contaminated, lead = probabilities
    assert sealed == 1.0 and lead is None
    assert head["probability_meeting_norm"] == contaminated
    # an empty specification is the defaults, not a 500
    empty = client.post(
        "/processes/soil/execution", json={"inputs": {**soil.example, "uncertainty": {}}}
    )
    assert empty.status_code == 200, empty.text
    assert values(empty.json())["uncertainty"]["headline"]["metric"] == heads


def test_a_headline_of_several_metrics_only_when_all_are_summarised(client):
    # `metrics` naming one of soil's three headline metrics: that one is reported, but
    # no headline stands for the worst of three that were not all looked at
    soil = registry().get("soil")
    spec = {"samples": 10, "seed": 7, "metrics": ["sealed_share"]}
    r = client.post(
        "/processes/soil/execution", json={"inputs": {**soil.example, "uncertainty": spec}}
    )
    assert r.status_code == 200, r.text
    report = values(r.json())["uncertainty"]
    assert list(report["metrics"]) == ["sealed_share"]
    assert "headline" not in report
