"""/jobs (job-list filters, paging), /jobs/{id}, results, dismiss and callbacks."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from api.helpers import assert_problem, wait_for_job, wait_for_status
from geojson_helpers import fc, feature, point
from results import values

BASE = "http://127.0.0.1:5000"


def _path(url: str) -> str:
    return url.removeprefix(BASE)


def _submit(client, message=None, pause=0.0, **extra):
    body = {"inputs": {"message": message or uuid.uuid4().hex, "pause": pause}, **extra}
    r = client.post("/processes/echo/execution", json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 201, r.text
    return r.json()["jobID"]


def test_status_info_and_results(client):
    job_id = _submit(client, "status")
    info = wait_for_job(client, f"/jobs/{job_id}")
    assert info["status"] == "successful"
    assert info["progress"] == 100
    assert info["processID"] == "echo" and info["type"] == "process"
    for key in ("created", "updated", "finished"):
        assert datetime.fromisoformat(info[key]).tzinfo is not None
    rels = {link["rel"]: link["href"] for link in info["links"]}
    assert rels["http://www.opengis.net/def/rel/ogc/1.0/results"].endswith(
        f"/jobs/{job_id}/results"
    )
    res = client.get(f"/jobs/{job_id}/results")
    assert res.status_code == 200
    assert values(res.json())["echo"] == "status"


def test_result_not_ready_then_dismiss(client):
    job_id = _submit(client, pause=30.0)
    info = wait_for_status(client, f"/jobs/{job_id}", "running")
    assert info["status"] == "running"
    assert_problem(client.get(f"/jobs/{job_id}/results"), 404, "result-not-ready")
    r = client.delete(f"/jobs/{job_id}")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed"
    assert client.get(f"/jobs/{job_id}").json()["status"] == "dismissed"
    r = client.get(f"/jobs/{job_id}/results")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_progress_and_message_while_running(client):
    job_id = _submit(client, pause=3.0)
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = client.get(f"/jobs/{job_id}").json()
        if info["status"] == "running" and 0 < info["progress"] < 100:
            seen.add(info["progress"])
            assert info["message"]
        if info["status"] in ("successful", "failed") or len(seen) >= 2:
            break
        time.sleep(0.1)
    client.delete(f"/jobs/{job_id}")
    assert seen, "no intermediate progress observed"


def test_failed_job_results_are_its_problem(client):
    inputs = {"addresses": fc(feature(point(0, 0))), "class_3_min": 2000.0}
    r = client.post(
        "/processes/urbanity-class/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
    )
    if r.status_code == 400:  # engine rejected it before accepting: also fine
        assert_problem(r, 400, "invalid-parameter-value", "class_3_min")
        return
    assert r.status_code == 201
    info = wait_for_job(client, _path(r.headers["location"]))
    assert info["status"] == "failed"
    assert "class_3_min" in info["message"]
    res = client.get(_path(r.headers["location"]) + "/results")
    doc = assert_problem(res, 400, "invalid-parameter-value", "class_3_min")
    assert doc["detail"]


def test_unknown_job(client):
    assert_problem(client.get("/jobs/no-such-job"), 404, "no-such-job")
    assert_problem(client.get("/jobs/no-such-job/results"), 404, "no-such-job")
    assert_problem(client.delete("/jobs/no-such-job"), 404, "no-such-job")


# ---------------------------------------------------------------------------- job list


@pytest.fixture(scope="module")
def some_jobs(client):
    ids = [_submit(client, f"list-{i}-{uuid.uuid4().hex}") for i in range(3)]
    for j in ids:
        wait_for_job(client, f"/jobs/{j}")
    addresses = {"addresses": fc(feature(point(0, 0)))}
    r = client.post(
        "/processes/urbanity-class/execution",
        json={"inputs": addresses},
        headers={"Prefer": "respond-async"},
    )
    wait_for_job(client, _path(r.headers["location"]))
    return ids, r.json()["jobID"]


def _ids(doc):
    return [j["jobID"] for j in doc["jobs"]]


def test_job_list_filters(client, some_jobs):
    echo_ids, urb_id = some_jobs
    doc = client.get("/jobs", params={"processID": "urbanity-class", "limit": 1000}).json()
    assert urb_id in _ids(doc)
    assert all(j["processID"] == "urbanity-class" for j in doc["jobs"])
    doc = client.get("/jobs", params={"processID": "echo,urbanity-class", "limit": 1000}).json()
    assert set(echo_ids) | {urb_id} <= set(_ids(doc))
    doc = client.get("/jobs", params=[("status", "successful"), ("limit", 1000)]).json()
    assert set(echo_ids) <= set(_ids(doc))
    assert all(j["status"] == "successful" for j in doc["jobs"])
    doc = client.get("/jobs", params={"status": "failed,dismissed", "limit": 1000}).json()
    assert not set(echo_ids) & set(_ids(doc))
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert client.get("/jobs", params={"datetime": f"{future}/.."}).json()["jobs"] == []
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    doc = client.get("/jobs", params={"datetime": f"{past}/..", "limit": 1000}).json()
    assert set(echo_ids) <= set(_ids(doc))
    doc = client.get("/jobs", params={"minDuration": 3600}).json()
    assert not set(echo_ids) & set(_ids(doc))
    doc = client.get("/jobs", params={"maxDuration": 3600, "limit": 1000}).json()
    assert set(echo_ids) <= set(_ids(doc))
    assert client.get("/jobs", params={"type": "other"}).json()["jobs"] == []


def test_job_list_paging(client, some_jobs):
    doc = client.get("/jobs", params={"limit": 2, "processID": "echo"}).json()
    assert len(doc["jobs"]) == 2
    assert doc["numberMatched"] >= 3
    nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
    assert nxt and "processID=echo" in nxt[0] and "offset=2" in nxt[0]
    page2 = client.get(_path(nxt[0])).json()
    assert not set(_ids(doc)) & set(_ids(page2))
    assert any(link["rel"] == "prev" for link in page2["links"])


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "done"}, "status"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"minDuration": "long"}, "minDuration"),
        ({"maxDuration": -1}, "maxDuration"),
        ({"limit": 0}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"offset": str(2**63)}, "offset"),  # overflowed SQLite's 64-bit OFFSET: was a 500
        ({"offset": str(2**31)}, "offset"),  # one past MAX_OFFSET
    ],
)
def test_job_list_bad_filters(client, params, name):
    doc = assert_problem(client.get("/jobs", params=params), 400, "invalid-parameter-value")
    assert doc["input"] == name


@pytest.mark.parametrize("path", ["/jobs", "/processes"])
def test_largest_offset_is_an_empty_page(client, path):
    r = client.get(path, params={"offset": str(2**31 - 1)})  # MAX_OFFSET itself
    assert r.status_code == 200
    assert r.json()["jobs" if path == "/jobs" else "processes"] == []


def test_processes_offset_above_bound(client):
    doc = assert_problem(
        client.get("/processes", params={"offset": str(2**63)}), 400, "invalid-parameter-value"
    )
    assert doc["input"] == "offset"


# ---------------------------------------------------------------------------- callbacks


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.received.append((self.path, self.rfile.read(n)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def callback_server():
    _Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.received
    server.shutdown()
    server.server_close()


def test_callbacks_success_and_progress(client, callback_server):
    url, received = callback_server
    subscriber = {
        "successUri": f"{url}/ok",
        "inProgressUri": f"{url}/progress",
        "failedUri": f"{url}/failed",
    }
    job_id = _submit(client, pause=0.5, subscriber=subscriber)
    assert wait_for_job(client, f"/jobs/{job_id}")["status"] == "successful"
    deadline = time.monotonic() + 20
    while not any(p == "/ok" for p, _ in received) and time.monotonic() < deadline:
        time.sleep(0.05)
    paths = [p for p, _ in received]
    assert "/ok" in paths
    assert "/failed" not in paths
    body = dict(received)["/ok"]
    assert b"echo" in body or job_id.encode() in body
