"""The Tygron API trigger against a stand-in Tygron session (tests/tygron_standin.py).

The stand-in follows ../shared/tygron/CONTRACT.md: items in EPSG:3857, token checks
with 498, session gone with 497, events applied and recorded.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.conftest import make_settings
from gsl_service.adapters.mapping import apply_mapping, load_mapping
from gsl_service.adapters.tygron import items_as_features
from gsl_service.app import create_app
from tygron_standin import Served, StandIn, synthetic_session

TOKEN = "s3cret-session-token-0123"
PROCESS = "/tygron/trigger?process=green-3-30-300&mapping=tygron"


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, Served]]:
    s = StandIn(TOKEN, synthetic_session(20, per_side=2))
    served = Served(s.app())
    yield s, served
    served.stop()


@pytest.fixture(scope="module")
def tclient(
    standin: tuple[StandIn, Served], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    _, served = standin
    settings = make_settings(
        tmp_path_factory.mktemp("tygron"),
        fetch_allowlist=(),  # the stand-in is reachable only as a named Tygron server
        tygron_servers=(f"127.0.0.1:{served.port}",),
        tygron_budget_s=60.0,
        tygron_margin_s=1.0,
        tygron_writeback_backoff_s=0.01,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def fresh(standin: tuple[StandIn, Served]) -> Iterator[None]:
    s, _ = standin
    original = copy.deepcopy(s.items)
    yield
    s.gate.set()
    s.active, s.events_status = True, None
    s.items = original
    s.requests.clear()
    s.events.clear()


def _referer(served: Served) -> dict[str, str]:
    return {"Referer": f"{served.url}/manager/"}


def _reference(client: TestClient, s: StandIn) -> dict[str, Any]:
    """The same request through /processes/…/execution: the mapped items as inputs."""
    layers = {k: items_as_features(s.items[k]) for k in ("buildings", "neighborhoods", "areas")}
    inputs = apply_mapping(load_mapping("tygron"), layers, crs="EPSG:3857")
    r = client.post("/processes/green-3-30-300/execution", json={"inputs": inputs})
    assert r.status_code == 200, r.text
    return {k: v["value"] for k, v in r.json().items() if isinstance(v, dict) and "value" in v}


def _wait_message(client: TestClient, job_url: str, start: str) -> dict[str, Any]:
    for _ in range(600):  # a bounded wait for the write-back, not a timed assertion
        job = client.get(job_url).json()
        if str(job.get("message", "")).startswith(start):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job message never started with {start!r}: {job}")


def test_tql_trigger_replies_globals_equal_to_the_execution(tclient, standin):
    s, served = standin
    r = tclient.get(f"{PROCESS}&token={TOKEN}&f=JSON", headers=_referer(served))
    assert r.status_code == 200, r.text
    reply = r.json()
    ref = _reference(tclient, s)["summary"]
    # 20 homes, dwellings 1,2,4 by position: 7×1 + 7×2 + 6×4 = 45
    assert reply["UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_GSL_BUILDINGS"] == 20
    assert reply["UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_GSL_DWELLINGS"] == 45
    for key in ("share_dwellings_meeting_all_three", "canopy_share", "share_buildings_meeting_300"):
        assert reply[f"UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_GSL_{key.upper()}"] == ref[key]
    assert all(isinstance(v, float) for v in reply.values())  # numbers only
    job = tclient.get(r.headers["Link"].split(">")[0].strip("<")).json()
    assert job["status"] == "successful" and job["message"].startswith("Tygron trigger (TQL)")
    assert TOKEN not in orjson.dumps(job).decode()


def test_event_trigger_reply_applied_sets_the_items(tclient, standin):
    s, served = standin
    r = tclient.post(f"{PROCESS}&type=EVENT&token={TOKEN}", headers=_referer(served))
    assert r.status_code == 200, r.text
    reply = r.json()
    assert set(reply) == {
        "editorbuilding/set_attributes",
        "editorneighborhood/set_attributes",
        "editorglobal/set_start_value",
    }
    ref = _reference(tclient, s)
    for event, params in reply.items():
        s.apply(event, params)
    for f in ref["buildings"]["features"]:
        p = f["properties"]
        assert s.attribute("buildings", f["id"], "GSL_MEETS_ALL_THREE") == float(
            p["meets_all_three"]
        )
        assert s.attribute("buildings", f["id"], "GSL_TREES_WITHIN") == p["trees_within"]
    for f in ref["neighbourhoods"]["features"]:
        p = f["properties"]
        assert s.attribute("neighborhoods", f["id"], "GSL_CANOPY_SHARE") == p["canopy_share"]
        assert (
            s.attribute("neighborhoods", f["id"], "GSL_SCORE_CANOPY_SHARE")
            == p["score_canopy_share"]
        )
    # the Global that exists gets the overall figure: 20 homes
    assert s.items["globals"][1]["startValue"] == [20.0]


def test_slow_trigger_replies_empty_then_writes_back(tclient, standin):
    s, served = standin
    s.gate.clear()  # item reads wait: the computation cannot finish within the budget
    r = tclient.get(f"{PROCESS}&type=EVENT&budget_ms=1000&token={TOKEN}", headers=_referer(served))
    assert r.status_code == 200 and r.json() == {}
    s.gate.set()
    tclient.app.state.tygron.join(60)
    job = tclient.get("/jobs?limit=1").json()["jobs"][0]
    job = _wait_message(tclient, f"/jobs/{job['jobID']}", "written back to Tygron")
    assert "Tygron" in job["message"]
    ref = _reference(tclient, s)
    events = [e for e, _ in s.events]
    assert "editorbuilding/set_attributes" in events
    for f in ref["neighbourhoods"]["features"]:
        assert (
            s.attribute("neighborhoods", f["id"], "GSL_SHARE_DWELLINGS_MEETING_ALL_THREE")
            == (f["properties"]["share_dwellings_meeting_all_three"])
        )


def test_session_gone_during_write_back_ends_it_with_a_message(tclient, standin):
    s, served = standin
    s.gate.clear()
    r = tclient.get(
        f"{PROCESS}&type=EVENT&budget_ms=1000&token={TOKEN}&min_trees=4", headers=_referer(served)
    )
    assert r.json() == {}
    s.events_status = 497  # the session stops while we compute
    s.gate.set()
    tclient.app.state.tygron.join(60)
    job = tclient.get("/jobs?limit=1").json()["jobs"][0]
    job = _wait_message(tclient, f"/jobs/{job['jobID']}", "write-back to Tygron stopped")
    assert "not active (HTTP 497)" in job["message"]
    assert len(s.events) == 1  # no retries after 497


def test_wrong_token_is_refused_without_echoing_or_logging_it(tclient, standin, caplog):
    _, served = standin
    caplog.set_level("DEBUG")
    r = tclient.get(f"{PROCESS}&token=not-the-token-xyz", headers=_referer(served))
    assert r.status_code == 502
    assert "498" in r.json()["detail"] and "not-the-token-xyz" not in r.text
    assert "/tygron/trigger" in caplog.text  # the request is logged (its path only)
    ours = [  # leaving out the test client's own httpx line (it sent the token)
        r.getMessage() for r in caplog.records if "http://testserver" not in r.getMessage()
    ]
    assert ours and not any("not-the-token-xyz" in m for m in ours)


def test_referer_not_allowed_sends_no_request(tclient, standin):
    s, _served = standin
    r = tclient.get(f"{PROCESS}&token={TOKEN}", headers={"Referer": "https://evil.example/"})
    assert r.status_code == 403 and TOKEN not in r.text
    r = tclient.get(f"{PROCESS}&token={TOKEN}")  # no Referer at all
    assert r.status_code == 403
    assert s.requests == []


def test_unknown_query_parameter_is_a_400_naming_it(tclient, standin):
    _, served = standin
    r = tclient.get(f"{PROCESS}&token={TOKEN}&min_tres=3", headers=_referer(served))
    assert r.status_code == 400 and r.json()["input"] == "min_tres"


def test_default_no_tygron_server_is_allowed(tmp_path: Path, standin):
    s, served = standin
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as c:
        r = c.get(f"{PROCESS}&token={TOKEN}", headers=_referer(served))
    assert r.status_code == 403 and "GSL_TYGRON_SERVERS" in r.json()["detail"]
    assert s.requests == []


def test_with_api_keys_the_trigger_url_carries_the_key(tmp_path: Path, standin):
    s, served = standin
    key = "trigger-key-0123456789abcdef"
    settings = make_settings(
        tmp_path,
        api_keys=f"tygron:execute:{key}",
        fetch_allowlist=(),
        tygron_servers=(f"127.0.0.1:{served.port}",),
        tygron_budget_s=60.0,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.get(f"{PROCESS}&token={TOKEN}", headers=_referer(served))
        assert r.status_code == 401 and s.requests == []  # no key: nothing leaves
        r = c.get(f"{PROCESS}&token={TOKEN}&key={key}", headers=_referer(served))
        assert r.status_code == 200, r.text
        assert r.json()["UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_GSL_BUILDINGS"] == 20


def test_query_values_take_their_parameter_s_type() -> None:
    """``area_type=3`` arrived as the number 3 (a 400: not a text) and
    ``constraints=parking-pressure`` as a text (a 400: not a list)."""
    from types import SimpleNamespace

    from gsl_indicators.core.spec import registry
    from gsl_service.adapters.trigger import parse_trigger

    engine = SimpleNamespace(registry=registry(), settings=SimpleNamespace(tygron_budget_s=5.0))
    query = {
        "process": "housing-capacity",
        "area_type": "3",
        "constraints": "parking-pressure,green-per-dwelling",
        "threshold": "0.9",
        "new_dwelling_type": "null",
    }
    got = parse_trigger(query, engine).parameters  # type: ignore[arg-type]
    assert got["area_type"] == "3"
    assert got["constraints"] == ["parking-pressure", "green-per-dwelling"]
    assert got["threshold"] == 0.9 and got["new_dwelling_type"] is None
    checked = (
        registry()
        .get("housing-capacity")
        .validate_parameters({k: v for k, v in got.items() if k != "process"})
    )
    assert checked["constraints"] == ["parking-pressure", "green-per-dwelling"]
