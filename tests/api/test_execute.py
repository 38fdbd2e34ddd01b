"""POST /processes/{id}/execution: sync, async (Prefer), raw/document, bad input, examples."""

from __future__ import annotations

import uuid

import pytest

from api.helpers import assert_problem, wait_for_job
from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import registry
from results import values

BASE = "http://127.0.0.1:5000"
ALL = registry().ids()


def _path(url: str) -> str:
    return url.removeprefix(BASE)


def _unique() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------------- every example


def _example(pid):
    ind = registry().get(pid)
    if not ind.example:
        pytest.skip(f"{pid} declares no example")
    return dict(ind.example)


@pytest.mark.parametrize("pid", ALL)
def test_example_sync_async_and_cached(client, pid):
    """Every indicator's example runs sync, async, and hits the cache the second time."""
    inputs = _example(pid)
    sync = client.post(f"/processes/{pid}/execution", json={"inputs": inputs})
    assert sync.status_code == 200, sync.text
    doc = values(sync.json())
    assert doc["provenance"]["indicator"] == pid
    assert {o.name for o in registry().get(pid).all_outputs} >= set(doc)

    r = client.post(
        f"/processes/{pid}/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    info = wait_for_job(client, _path(r.headers["location"]))
    assert info["status"] == "successful", info
    res = client.get(_path(r.headers["location"]) + "/results")
    assert res.status_code == 200
    async_doc = values(res.json())
    assert async_doc["provenance"]["cache"]["hit"] is True

    again = values(client.post(f"/processes/{pid}/execution", json={"inputs": inputs}).json())
    assert again["provenance"]["cache"]["hit"] is True
    # same answer, any road: only the cache flag differs
    for d in (doc, async_doc, again):
        d["provenance"].pop("cache")
    assert doc == async_doc == again


# --------------------------------------------------------------------------- sync road


def test_echo_sync_document(client):
    msg = _unique()
    r = client.post("/processes/echo/execution", json={"inputs": {"message": msg}})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = values(r.json())
    assert doc["echo"] == msg
    assert doc["provenance"]["parameters"] == {"message": msg, "pause": 0.0}
    assert doc["provenance"]["cache"]["hit"] is False


def test_echo_sync_raw(client):
    msg = _unique()
    r = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": msg}, "outputs": {"echo": {}}, "response": "raw"},
    )
    assert r.status_code == 200
    assert r.json() == msg  # raw with the one output selected: its bare value


def test_outputs_selection(client):
    body = {
        "inputs": {"addresses": fc(feature(point(0, 0), 1), feature(point(10, 0), 2))},
        "outputs": {"summary": {}},
    }
    doc = client.post("/processes/urbanity-class/execution", json=body).json()
    assert set(doc) == {"summary", "provenance", "data_quality"}
    raw = client.post(
        "/processes/urbanity-class/execution", json={**body, "response": "raw"}
    ).json()
    assert raw["addresses"] == 2  # the summary itself


def test_unknown_output(client):
    body = {"inputs": {"message": "x"}, "outputs": {"nope": {}}}
    doc = assert_problem(
        client.post("/processes/echo/execution", json=body), 400, "invalid-parameter-value", "nope"
    )
    assert doc["input"] == "outputs"


@pytest.mark.parametrize(
    "prefer",
    [
        "respond-async",
        "respond-async, wait=10",
        "wait=10, respond-async",
        "Respond-Async; foo=bar",
        ["handling=lenient", "respond-async"],
    ],
)
def test_prefer_respond_async_parsed_properly(client, prefer):
    headers = [("Prefer", v) for v in prefer] if isinstance(prefer, list) else [("Prefer", prefer)]
    r = client.post(
        "/processes/echo/execution", json={"inputs": {"message": _unique()}}, headers=headers
    )
    assert r.status_code == 201, r.text
    assert r.headers["preference-applied"] == "respond-async"
    info = r.json()
    assert r.headers["location"] == f"{BASE}/jobs/{info['jobID']}"
    assert info["status"] in {"accepted", "running", "successful"}
    assert info["processID"] == "echo"


@pytest.mark.parametrize("prefer", ["respond-sync", "wait=5", "return=minimal"])
def test_other_preferences_stay_sync(client, prefer):
    r = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": "s"}},
        headers={"Prefer": prefer},
    )
    assert r.status_code == 200
    assert values(r.json())["echo"] == "s"


# ----------------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("body", "input_name", "word"),
    [
        (b"", "inputs", "empty"),
        (b"{not json", "inputs", "not valid JSON"),
        (b"[1, 2]", "inputs", "JSON object"),
        (b'{"inputs": [1]}', "inputs", "must be an object"),
        (b'{"inputs": {}}', "message", "required"),
        (b'{"inputs": {"message": 3}}', "message", "string"),
        (b'{"inputs": {"message": "x", "pause": -1}}', "pause", "greater than or equal"),
        (b'{"inputs": {"message": "x", "pause": 1e9}}', "pause", "less than or equal"),
        (b'{"inputs": {"message": "x", "pause": "long"}}', "pause", "number"),
        (b'{"inputs": {"message": "x", "colour": "red"}}', "colour", "not an input"),
        (b'{"inputs": {"message": "x"}, "response": "zip"}', "response", "raw"),
        (b'{"inputs": {"message": "x"}, "subscriber": 3}', "subscriber", "object"),
        (
            b'{"inputs": {"message": "x"}, "subscriber": {"successUri": "ftp://x"}}',
            "subscriber",
            "http",
        ),
        (
            b'{"inputs": {"message": "x"}, "outputs": {"echo": {"transmissionMode": "reference"}}}',
            "outputs",
            "reference",
        ),
    ],
)
def test_bad_echo_requests_are_400(client, body, input_name, word):
    for headers in ({}, {"Prefer": "respond-async"}):
        r = client.post("/processes/echo/execution", content=body, headers=headers)
        doc = assert_problem(r, 400, "invalid-parameter-value", word)
        assert doc["input"] == input_name
        assert input_name in doc["detail"] or input_name == "inputs"


def test_geo_input_errors_name_the_input(client):
    polygons = fc(feature(box(0, 0, 1, 1)))
    r = client.post("/processes/urbanity-class/execution", json={"inputs": {"addresses": polygons}})
    doc = assert_problem(r, 400, "invalid-parameter-value", "addresses")
    assert doc["input"] == "addresses"
    r = client.post("/processes/urbanity-class/execution", json={"inputs": {}})
    assert assert_problem(r, 400, "invalid-parameter-value")["input"] == "addresses"
    r = client.post(
        "/processes/urbanity-class/execution", json={"inputs": {"addresses": {"type": "Feature"}}}
    )
    assert assert_problem(r, 400, "invalid-parameter-value")["input"] == "addresses"


def test_kernel_input_error_is_400_sync(client):
    # class limits must descend: the kernel raises InputError("class_2_min", ...)
    inputs = {"addresses": fc(feature(point(0, 0))), "class_2_min": 3000.0}
    r = client.post("/processes/urbanity-class/execution", json={"inputs": inputs})
    doc = assert_problem(r, 400, "invalid-parameter-value", "class_2_min")
    assert doc["input"] == "class_2_min"


def test_href_to_private_address_refused(client):
    # the app under test allowlists 127.0.0.1; 10.0.0.1 is private and not listed
    inputs = {"addresses": {"href": "http://10.0.0.1/addresses.geojson"}}
    r = client.post("/processes/urbanity-class/execution", json={"inputs": inputs})
    doc = assert_problem(r, 400, "invalid-parameter-value", "addresses")
    assert doc["input"] == "addresses"


def test_unknown_process_execution(client):
    r = client.post("/processes/no-such/execution", json={"inputs": {}})
    assert_problem(r, 404, "no-such-process", "no-such")
