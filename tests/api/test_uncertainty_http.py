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
