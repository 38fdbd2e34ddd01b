"""Composite processes refuse a request that cannot run when it comes in, not in its job.

The scoreboard's menu card, the scenario comparison's variants and the sensitivity
analysis's nested request are checked beyond their schemas
(``Indicator.check``) when the request is prepared: an asynchronous request that names
an unknown card or layer, or plans more runs than it allows, is answered 400 naming the
input, and no job is made. Before, it was accepted (201) and its job failed a moment
later (found giving a misspelt parameter to ``sensitivity`` on the Amsterdam kit).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from api.helpers import assert_problem, wait_for_job
from file_store import serving
from gsl_indicators.core.spec import registry


def _example(process: str) -> dict[str, Any]:
    return copy.deepcopy(dict(registry().get(process).example or {}))


def _sensitivity(**changes: Any) -> dict[str, Any]:
    return {**_example("sensitivity"), **changes}


def _submit(client: Any, process: str, inputs: dict[str, Any]) -> Any:
    """POST an asynchronous execution of ``process``; return the response."""
    return client.post(
        f"/processes/{process}/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
    )


FC = {"type": "FeatureCollection", "features": []}
CASES = [
    ("scoreboard", {**_example("scoreboard"), "card": "nope"}, "card", "unknown menu card 'nope'"),
    ("scoreboard", {**_example("scoreboard"), "area_type": "moon"}, "area_type", "moon"),
    (
        "scoreboard",
        {k: v for k, v in _example("scoreboard").items() if k != "neighbourhoods"},
        "neighbourhoods",
        "scores per neighbourhoods",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "variants": {"A": {"parkz": FC}}},
        "variants",
        "variants.A.parkz: not an input",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "variants": {"baseline": {"parks": FC}}},
        "variants",
        "may not be called 'baseline'",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "variants": {"A": {"parks": {"add": [1]}}}},
        "variants",
        "variants.A.parks: expected a FeatureCollection",
    ),
    (
        "sensitivity",
        _sensitivity(parameters=["no_such_parameter"]),
        "parameters",
        "'no_such_parameter' is not a parameter",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "health": {"costs": {"nope": []}}},
        "health",
        "costs: ['nope'] are not variants",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "health": {"costs": {"baseline": []}}},
        "health",
        "costs: ['baseline'] are not variants",
    ),
    (
        "scenario-compare",
        {**_example("scenario-compare"), "health": {"costs": {"meer-speelruimte": [{"x": 1}]}}},
        "health",
        "costs of 'meer-speelruimte': ",
    ),
    ("sensitivity", _sensitivity(max_runs=2), "steps", "more than max_runs = 2"),
    (
        "sensitivity",
        {
            "process": "scoreboard",
            "inputs": {**_example("scoreboard"), "card": "nope"},
            "parameters": ["area_type"],
        },
        "inputs",
        "inputs.card: unknown menu card 'nope'",
    ),
    (
        "sensitivity",
        _sensitivity(method="monte-carlo"),
        "uncertainty",
        "method 'monte-carlo' needs `uncertainty`",
    ),
]


@pytest.mark.parametrize(("process", "inputs", "name", "reason"), CASES)
def test_bad_composite_request_is_400_before_any_job(
    client: Any, process: str, inputs: dict[str, Any], name: str, reason: str
) -> None:
    before = len(client.get("/jobs", params={"limit": 1000}).json()["jobs"])
    r = _submit(client, process, inputs)
    doc = assert_problem(r, 400, "invalid-parameter-value", reason)
    assert doc["input"] == name
    assert len(client.get("/jobs", params={"limit": 1000}).json()["jobs"]) == before


def test_sensitivity_inputs_by_reference_are_refused_naming_them(client: Any) -> None:
    inputs = _sensitivity()
    inputs["inputs"] = {**inputs["inputs"], "addresses": {"href": "http://127.0.0.1:1/a.json"}}
    r = _submit(client, "sensitivity", inputs)
    assert_problem(r, 400, "invalid-parameter-value", "inputs.addresses: inputs by reference")


@pytest.fixture
def card_url() -> Iterator[str]:
    """The scoreboard example's card (an inline card) served as JSON from 127.0.0.1."""
    body = json.dumps(_example("scoreboard")["card"]).encode()

    class _Card(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(_Card) as url:
        yield f"{url}/card.json"


def test_a_card_by_reference_is_checked_once_fetched(client: Any, card_url: str) -> None:
    inputs = {**_example("scoreboard"), "card": {"href": card_url}}
    r = _submit(client, "scoreboard", inputs)
    assert r.status_code == 201, r.text
    assert wait_for_job(client, r.headers["location"])["status"] == "successful"
    # the same card with an area type no profile knows: refused once the card is fetched
    bad = {**_example("scoreboard"), "card": {"href": card_url}, "area_type": "moon"}
    r = _submit(client, "scoreboard", bad)
    assert_problem(r, 400, "invalid-parameter-value", "moon")


def test_a_bad_inline_card_is_refused_before_any_layer_is_fetched(client: Any) -> None:
    # the layer's host answers nothing: had it been fetched first, the answer would
    # name the layer, not the card
    inputs = {**_example("scoreboard"), "card": "nope"}
    inputs["neighbourhoods"] = {"href": "http://127.0.0.1:9/neighbourhoods.geojson"}
    r = _submit(client, "scoreboard", inputs)
    doc = assert_problem(r, 400, "invalid-parameter-value", "unknown menu card 'nope'")
    assert doc["input"] == "card"
