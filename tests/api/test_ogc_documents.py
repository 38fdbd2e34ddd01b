"""Descriptions, results documents, status and job lists validate against the OGC schemas.

An OGC conformance checker failed on two things before the metric model: input schemas
with ``type: [object, null]`` (``schema.yaml`` allows one type name and ``nullable``)
and results documents with bare objects (``results.yaml`` takes an object output only
as a qualified value ``{"value", "mediaType"}``). Checked here for every process with
the 1.0 schemas from ../shared/ogc, not fetched.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.helpers import wait_for_job
from gsl_indicators.core.spec import registry
from ogc_schemas import errors

EXAMPLES = [ind.id for ind in registry() if ind.example]


@pytest.mark.parametrize("pid", registry().ids())
def test_process_description_validates(client: Any, pid: str) -> None:
    doc = client.get(f"/processes/{pid}").json()
    assert errors(doc, "process.yaml") == []
    for name, spec in doc["inputs"].items():
        assert errors(spec["schema"], "schema.yaml") == [], name
        assert not isinstance(spec["schema"].get("type"), list), name


@pytest.mark.parametrize("pid", EXAMPLES)
def test_results_document_validates(client: Any, pid: str) -> None:
    ind = registry().get(pid)
    inputs = dict(ind.example or {})
    r = client.post(f"/processes/{pid}/execution", json={"inputs": inputs})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert errors(doc, "results.yaml") == []
    # provenance and data quality stay on every answer, as qualified values
    for meta in ("provenance", "data_quality"):
        assert doc[meta]["mediaType"] == "application/json"
        assert isinstance(doc[meta]["value"], dict)
    assert doc["provenance"]["value"]["indicator"] == pid


def test_status_info_and_job_list_validate(client: Any) -> None:
    r = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": "ogc"}},
        headers={"Prefer": "respond-async"},
    )
    assert r.status_code == 201
    path = "/" + r.headers["location"].split("/", 3)[3]
    info = wait_for_job(client, path)
    assert errors(info, "statusInfo.yaml") == []
    assert errors(client.get("/jobs").json(), "jobList.yaml") == []
    assert errors(client.get("/processes").json(), "processList.yaml") == []


def test_structured_parameters_show_their_models(client: Any) -> None:
    # profile_override: the Profile model with no member required (it is merged first)
    noise = client.get("/processes/noise").json()["inputs"]["profile_override"]["schema"]
    assert "indicators" in noise["properties"] and noise["nullable"] is True
    assert "required" not in str(noise)
    # card: a catalog id, or a MenuCard (full, or one that `extends` another)
    card = client.get("/processes/scoreboard").json()["inputs"]["card"]["schema"]
    kinds = {b["type"]: b for b in card["anyOf"]}
    assert {"themes", "extends", "accents", "profile"} <= set(kinds["object"]["properties"])
