"""Async single flight (embedded), async response shapes, and ``-0.0`` in cache keys.

Embedded pool children cannot see the API's in-memory cache, so the engine decides as
a job is about to start: identical jobs wait for the one computing (and finish as
cache hits), a queued job whose result was cached meanwhile does not compute.
A job that ran its kernel in a pool child has ``pid`` in its ``extra``; one finished
from the cache by the engine has not, so ``pid`` counts computations.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from engine.engine_helpers import wait_for
from geojson_helpers import box, fc, feature, point
from gsl_service.app import create_app
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus
from gsl_service.settings import Settings
from results import values

S = JobStatus


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Iterator[Engine]:
    d = tmp_path_factory.mktemp("flight")
    e = Engine(Settings(data_dir=d, async_workers=2))
    e.start()
    yield e
    e.close()


def finished(engine: Engine, job_id: str):
    return wait_for(lambda: (j := engine.get_job(job_id)).status.finished and j)


def computed(job) -> bool:
    return "pid" in job.extra


def test_identical_async_submissions_compute_once(engine) -> None:
    jobs = [engine.submit("echo", {"message": "sfa", "pause": 1}) for _ in range(4)]
    assert len({j.job_id for j in jobs}) == 4
    assert all(j.status is S.accepted for j in jobs)
    waiting = wait_for(lambda: [engine.get_job(j.job_id) for j in jobs[1:]])
    assert all(w.status is S.accepted for w in waiting)  # they wait, they do not run
    done = [finished(engine, j.job_id) for j in jobs]
    assert [d.status for d in done] == [S.successful] * 4
    assert sum(computed(d) for d in done) == 1  # one kernel run for four jobs
    assert [d.cache_hit for d in done] == [False, True, True, True]
    bodies = [engine.get_result(j.job_id) for j in jobs]
    assert values(orjson.loads(bodies[1]))["provenance"]["cache"]["hit"] is True
    assert {b.replace(b'"hit":true', b'"hit":false') for b in bodies} == {bodies[0]}
    assert done[1].extra["waits_for"] == jobs[0].job_id


def test_dismissing_a_waiting_job_keeps_the_leader(engine) -> None:
    leader = engine.submit("echo", {"message": "lead", "pause": 1})
    follower = engine.submit("echo", {"message": "lead", "pause": 1})
    wait_for(lambda: "waits_for" in engine.get_job(follower.job_id).extra)
    assert engine.dismiss(follower.job_id).status is S.dismissed
    out = finished(engine, leader.job_id)
    assert out.status is S.successful and computed(out) and not out.cache_hit
    assert engine.get_job(follower.job_id).status is S.dismissed


def test_a_waiting_job_runs_itself_when_the_leader_is_dismissed(engine) -> None:
    leader = engine.submit("echo", {"message": "dismissed lead", "pause": 30})
    follower = engine.submit("echo", {"message": "dismissed lead", "pause": 30})
    third = engine.submit("echo", {"message": "dismissed lead", "pause": 30})
    wait_for(lambda: computed(engine.get_job(leader.job_id)))
    wait_for(lambda: "waits_for" in engine.get_job(third.job_id).extra)
    engine.dismiss(leader.job_id)
    # the first waiter computes (a pool child), the other now waits for it
    wait_for(lambda: computed(engine.get_job(follower.job_id)))
    assert engine.get_job(third.job_id).status is S.accepted
    assert engine.get_job(third.job_id).extra["waits_for"] == follower.job_id
    engine.dismiss(follower.job_id)
    wait_for(lambda: computed(engine.get_job(third.job_id)))
    engine.dismiss(third.job_id)
    assert engine.get_job(leader.job_id).status is S.dismissed


def test_a_waiting_job_runs_itself_when_the_leader_fails(engine) -> None:
    bad = {"addresses": fc(feature(box(0, 0, 10, 10)))}  # polygons: InputError
    jobs = [engine.submit("urbanity-class", bad) for _ in range(2)]
    done = [finished(engine, j.job_id) for j in jobs]
    assert [d.status for d in done] == [S.failed, S.failed]
    assert all(computed(d) for d in done)  # no failure is served from a cache


def test_queued_job_cached_meanwhile_does_not_compute(engine) -> None:
    # fill both pool children, queue a job, then compute its result synchronously
    blockers = [engine.submit("echo", {"message": f"block {i}", "pause": 1.5}) for i in range(2)]
    wait_for(lambda: all(computed(engine.get_job(b.job_id)) for b in blockers))
    queued = engine.submit("echo", {"message": "queued, then cached"})
    assert engine.get_job(queued.job_id).status is S.accepted
    sync = engine.execute_sync("echo", {"message": "queued, then cached"})
    assert not sync.cache_hit
    out = finished(engine, queued.job_id)
    assert out.status is S.successful and out.cache_hit and not computed(out)
    assert engine.get_result(queued.job_id) == sync.body.replace(b'"hit":false', b'"hit":true')
    assert out.started is not None and out.message == "served from the result cache"


def test_negative_zero_has_the_key_of_zero(engine) -> None:
    first = engine.execute_sync("echo", {"message": "zero", "pause": -0.0})
    second = engine.execute_sync("echo", {"message": "zero", "pause": 0})
    assert second.cache_hit and second.job.cache_key == first.job.cache_key
    params = values(orjson.loads(first.body))["provenance"]["parameters"]
    assert b"-0.0" not in orjson.dumps(params)


# --- over HTTP: the reviewer's scenario, and response shapes of async jobs ----------


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("flight-api"), redis_url=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def run_async(client: TestClient, process_id: str, body: dict) -> str:
    r = client.post(
        f"/processes/{process_id}/execution", json=body, headers={"Prefer": "respond-async"}
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] == "successful")
    return job_id


def test_http_identical_async_requests_compute_once(client) -> None:
    body = {"inputs": {"message": "sfa", "pause": 1}}
    ids = [
        client.post(
            "/processes/echo/execution", json=body, headers={"Prefer": "respond-async"}
        ).json()["jobID"]
        for _ in range(4)
    ]
    wait_for(lambda: all(client.get(f"/jobs/{i}").json()["status"] == "successful" for i in ids))
    docs = [values(client.get(f"/jobs/{i}/results").json()) for i in ids]
    assert [d["provenance"]["cache"]["hit"] for d in docs] == [False, True, True, True]


def test_async_response_raw(client) -> None:
    body = {"inputs": {"message": "raw please"}, "outputs": {"echo": {}}, "response": "raw"}
    sync = client.post("/processes/echo/execution", json=body)
    job_id = run_async(client, "echo", body)
    r = client.get(f"/jobs/{job_id}/results")
    assert r.status_code == 200 and r.json() == "raw please" == sync.json()
    assert r.content == sync.content
    # the same result without a shape: the whole document (one stored body)
    plain = run_async(client, "echo", {"inputs": {"message": "raw please"}})
    assert values(client.get(f"/jobs/{plain}/results").json())["echo"] == "raw please"


def test_async_outputs_selection(client) -> None:
    addresses = fc(*(feature(point(1000 + 10 * i, 0)) for i in range(5)))  # RD 121000 + 10·i
    body = {"inputs": {"addresses": addresses}, "outputs": {"summary": {}}}
    sync = client.post("/processes/urbanity-class/execution", json=body).json()
    job_id = run_async(client, "urbanity-class", body)
    doc = client.get(f"/jobs/{job_id}/results").json()
    assert set(doc) == {"summary", "provenance", "data_quality"} == set(sync)
    assert doc["summary"] == sync["summary"]
    raw = run_async(
        client, "urbanity-class", {**body, "outputs": {"summary": {}}, "response": "raw"}
    )
    # raw: the selected output's bare value (the document qualifies it with a media type)
    assert sync["summary"]["mediaType"] == "application/json"
    assert client.get(f"/jobs/{raw}/results").json() == sync["summary"]["value"]
