"""End to end: real uvicorn server, real Redis, real ``gsl worker`` processes, OWSLib."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from api.helpers import assert_problem, wait_for_job, wait_for_status
from results import values

pytestmark = pytest.mark.e2e


def _submit(c: httpx.Client, pid: str, inputs: dict) -> str:
    r = c.post(
        f"/processes/{pid}/execution", json={"inputs": inputs}, headers={"Prefer": "respond-async"}
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"].startswith(str(c.base_url).rstrip("/"))
    return r.json()["jobID"]


def test_async_job_on_rq_worker(stack, redis_env):
    server = stack("serve", redis_env)
    stack("worker", redis_env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        msg = uuid.uuid4().hex
        job = _submit(c, "echo", {"message": msg, "pause": 0.3})
        info = wait_for_job(c, f"/jobs/{job}")
        assert info["status"] == "successful", info
        doc = values(c.get(f"/jobs/{job}/results").json())
        assert doc["echo"] == msg
        assert doc["provenance"]["cache"]["hit"] is False
        # the same request again is served from the Redis cache, synchronously
        again = c.post("/processes/echo/execution", json={"inputs": {"message": msg, "pause": 0.3}})
        assert values(again.json())["provenance"]["cache"]["hit"] is True


def test_dismiss_running_job_on_rq_worker(stack, redis_env):
    server = stack("serve", redis_env)
    stack("worker", redis_env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        job = _submit(c, "echo", {"message": uuid.uuid4().hex, "pause": 60})
        assert wait_for_status(c, f"/jobs/{job}", "running")["status"] == "running"
        assert_problem(c.get(f"/jobs/{job}/results"), 404, "result-not-ready")
        r = c.delete(f"/jobs/{job}")
        assert r.status_code == 200 and r.json()["status"] == "dismissed"
        time.sleep(1.0)
        assert c.get(f"/jobs/{job}").json()["status"] == "dismissed"
        # the worker is free again: a new job completes
        nxt = _submit(c, "echo", {"message": uuid.uuid4().hex})
        assert wait_for_job(c, f"/jobs/{nxt}", timeout=60)["status"] == "successful"


def test_worker_killed_mid_job_fails_the_job(stack, redis_env):
    server = stack("serve", redis_env)
    worker = stack("worker", redis_env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        job = _submit(c, "echo", {"message": uuid.uuid4().hex, "pause": 120})
        assert wait_for_status(c, f"/jobs/{job}", "running")["status"] == "running"
        worker.kill9()
        info = wait_for_job(c, f"/jobs/{job}", timeout=90)
        assert info["status"] == "failed", info
        assert info["message"], "a failed job says why"
        doc = c.get(f"/jobs/{job}/results")
        assert doc.status_code >= 400
        assert doc.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("mode", ["embedded", "redis"])
def test_api_restart_keeps_jobs(stack, redis_env, mode):
    env = redis_env if mode == "redis" else {}
    server = stack("serve", env)
    if mode == "redis":
        stack("worker", env)
    msg = uuid.uuid4().hex
    with httpx.Client(base_url=server.url, timeout=30) as c:
        job = _submit(c, "echo", {"message": msg})
        assert wait_for_job(c, f"/jobs/{job}")["status"] == "successful"
    server.stop()
    again = stack("serve", env)
    with httpx.Client(base_url=again.url, timeout=30) as c:
        info = c.get(f"/jobs/{job}").json()
        assert info["status"] == "successful"
        assert values(c.get(f"/jobs/{job}/results").json())["echo"] == msg
        listed = c.get("/jobs", params={"processID": "echo", "limit": 1000}).json()
        assert job in [j["jobID"] for j in listed["jobs"]]


def test_owslib_lists_describes_and_executes(stack):
    from owslib.ogcapi.processes import Processes

    server = stack("serve")
    client = Processes(server.url)
    ids = {p["id"] for p in client.processes()}
    assert {"echo", "urbanity-class"} <= ids
    desc = client.process("urbanity-class")
    assert desc["inputs"]["radius_m"]["schema"]["default"] == 1000.0
    assert desc["jobControlOptions"] == ["sync-execute", "async-execute"]
    result = values(client.execute("echo", {"message": "owslib"}))
    assert result["echo"] == "owslib"
    pts = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": i,
                "geometry": {"type": "Point", "coordinates": [4.9 + i * 1e-4, 52.37]},
                "properties": {},
            }
            for i in range(3)
        ],
    }
    result = values(client.execute("urbanity-class", {"addresses": pts}))  # qualified values
    assert result["summary"]["addresses"] == 3
    assert result["provenance"]["crs"] == "EPSG:28992"  # WGS84 in Amsterdam → RD New
    status = client.execute("echo", {"message": "owslib async"}, async_=True)
    assert status["status"] in {"accepted", "running", "successful"}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert wait_for_job(c, f"/jobs/{status['jobID']}")["status"] == "successful"
