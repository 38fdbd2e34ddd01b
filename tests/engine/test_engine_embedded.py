"""The embedded engine: SQLite store, in-memory cache, pebble process pools."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import orjson
import pytest

from engine.engine_helpers import pid_alive, wait_for
from geojson_helpers import box, fc, feature, point
from gsl_service.engine import Engine
from gsl_service.errors import InvalidInput, JobFailed, NoSuchJob, NoSuchProcess, ResultNotReady
from gsl_service.jobs.model import JobFilter, JobStatus, Subscriber
from gsl_service.settings import Settings
from results import values

S = JobStatus


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Iterator[Engine]:
    d = tmp_path_factory.mktemp("engine")
    e = Engine(Settings(data_dir=d, fetch_allowlist="127.0.0.1", callback_backoff_s=0.05))
    e.start()
    yield e
    e.close()


def running_with_pid(engine: Engine, job_id: str):
    def check():
        j = engine.get_job(job_id)
        return j if j.status is S.running and j.progress > 0 and "pid" in j.extra else None

    return wait_for(check)


def finished(engine: Engine, job_id: str):
    return wait_for(lambda: (j := engine.get_job(job_id)).status.finished and j)


def test_sync_miss_then_hit(engine) -> None:
    first = engine.execute_sync("echo", {"message": "sync-1"})
    second = engine.execute_sync("echo", {"pause": 0.0, "message": "sync-1"})
    a, b = values(orjson.loads(first.body)), values(orjson.loads(second.body))
    assert a["echo"] == "sync-1"
    assert not first.cache_hit and second.cache_hit
    assert a["provenance"]["cache"] == {"hit": False, "key": first.job.cache_key}
    assert b["provenance"]["cache"]["hit"] is True
    assert second.body.replace(b'"hit":true', b'"hit":false') == first.body
    assert engine.get_job(first.job.job_id).status is S.successful
    assert engine.get_result(second.job.job_id) == second.body


def test_bad_parameter_is_400_before_any_job(engine) -> None:
    before = engine.store.count()
    with pytest.raises(InvalidInput) as err:
        engine.execute_sync("echo", {"message": "x", "pause": -1})
    assert err.value.input_name == "pause" and err.value.status == 400
    with pytest.raises(InvalidInput):
        engine.submit("echo", {"message": "x", "colour": "red"})
    with pytest.raises(NoSuchProcess):
        engine.submit("no-such-process", {})
    assert engine.store.count() == before


POLYGONS_AS_ADDRESSES = {"addresses": fc(feature(box(0, 0, 10, 10)))}


def test_kernel_input_error_sync_is_invalid_input(engine) -> None:
    with pytest.raises(InvalidInput) as err:
        engine.execute_sync("urbanity-class", POLYGONS_AS_ADDRESSES)
    assert err.value.input_name == "addresses"
    failed, _ = engine.list_jobs(JobFilter(statuses=[S.failed], process_ids=["urbanity-class"]))
    assert failed and failed[0].error["input"] == "addresses"


def test_kernel_input_error_async_is_failed_job(engine) -> None:
    job = engine.submit("urbanity-class", POLYGONS_AS_ADDRESSES)
    done = finished(engine, job.job_id)
    assert done.status is S.failed
    assert done.error["type"].endswith("/invalid-parameter-value")
    assert "addresses" in done.error["detail"]
    with pytest.raises(JobFailed) as err:
        engine.get_result(job.job_id)
    assert err.value.status == 400 and err.value.ogc_type == "invalid-parameter-value"


def test_async_progress_result_and_cache(engine) -> None:
    job = engine.submit("echo", {"message": "async-1", "pause": 1.0})
    assert job.status is S.accepted
    with pytest.raises(ResultNotReady):
        engine.get_result(job.job_id)
    seen = running_with_pid(engine, job.job_id)
    assert 0 < seen.progress <= 100 and seen.message.startswith("pausing")
    done = finished(engine, job.job_id)
    assert done.status is S.successful and done.progress == 100 and not done.cache_hit
    body = engine.get_result(job.job_id)
    assert values(orjson.loads(body))["echo"] == "async-1"
    # the pool child stores the result and marks the job successful; the API process
    # puts it in the cache a moment later (an identical request in between computes
    # again, harmlessly): wait for that moment, not for luck
    wait_for(lambda: engine.cache.get(done.cache_key) is not None)
    # the same request again: answered from the cache at once
    again = engine.submit("echo", {"pause": 1, "message": "async-1"})
    assert again.status is S.successful and again.cache_hit
    assert engine.get_result(again.job_id) == body.replace(b'"hit":false', b'"hit":true')
    sync = engine.execute_sync("echo", {"message": "async-1", "pause": 1.0})
    assert sync.cache_hit


def test_dismiss_running_job_stops_its_process(engine) -> None:
    job = engine.submit("echo", {"message": "dismiss-me", "pause": 30})
    pid = running_with_pid(engine, job.job_id).extra["pid"]
    assert pid != os.getpid() and pid_alive(pid)
    out = engine.dismiss(job.job_id)
    assert out.status is S.dismissed
    wait_for(lambda: not pid_alive(pid))
    with pytest.raises(NoSuchJob):
        engine.get_result(job.job_id)
    assert engine.get_job(job.job_id).status is S.dismissed
    # dismissing a finished job removes its result
    ok = engine.execute_sync("echo", {"message": "dismiss-finished"})
    assert engine.dismiss(ok.job.job_id).status is S.dismissed
    assert engine.store.get_result(ok.job.job_id) is None


def test_killed_pool_process_fails_the_job(engine) -> None:
    job = engine.submit("echo", {"message": "kill-me", "pause": 30})
    pid = running_with_pid(engine, job.job_id).extra["pid"]
    os.kill(pid, signal.SIGKILL)
    done = finished(engine, job.job_id)
    assert done.status is S.failed and "worker lost" in done.error["detail"]


def test_single_flight_computes_once(engine) -> None:
    n = 6
    barrier = threading.Barrier(n)
    outcomes = []

    def call() -> None:
        barrier.wait()
        outcomes.append(engine.execute_sync("echo", {"message": "flight", "pause": 0.5}))

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == n
    computed = [o for o in outcomes if not o.cache_hit]
    assert len(computed) == 1  # one computation, n - 1 served from it
    jobs, _ = engine.list_jobs(JobFilter(limit=100))
    flight = [j for j in jobs if j.cache_key == computed[0].job.cache_key]
    assert len(flight) == n and sum(not j.cache_hit for j in flight) == 1


def test_callbacks(engine, sink) -> None:
    sub = Subscriber(
        success_uri=sink.url + "/ok",
        in_progress_uri=sink.url + "/progress",
        failed_uri=sink.url + "/failed",
    )
    job = engine.submit("echo", {"message": "call me", "pause": 0.6}, subscriber=sub)
    finished(engine, job.job_id)
    ok = wait_for(lambda: sink.bodies("/ok"))
    assert values(ok[0])["echo"] == "call me"
    progress = sink.bodies("/progress")
    assert progress and progress[0]["jobID"] == job.job_id and progress[0]["status"] == "running"
    bad = engine.submit("urbanity-class", POLYGONS_AS_ADDRESSES, subscriber=sub)
    finished(engine, bad.job_id)
    failed = wait_for(lambda: sink.bodies("/failed"))
    assert failed[0]["status"] == "failed" and failed[0]["exception"]["input"] == "addresses"


def test_refused_callback_never_fails_the_job(engine) -> None:
    sub = Subscriber(success_uri="http://169.254.169.254/steal")
    out = engine.execute_sync("echo", {"message": "no callback"}, subscriber=sub)
    assert out.job.status is S.successful


def test_restart_keeps_jobs_and_reruns_interrupted_ones(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = Engine(settings)
    first.start()
    done = first.execute_sync("echo", {"message": "kept"})
    job = first.submit("echo", {"message": "interrupted", "pause": 1.5})
    running_with_pid(first, job.job_id)
    first.close()  # the API goes down mid-job
    assert first.store is not None
    second = Engine(settings)
    second.start()
    try:
        assert second.get_result(done.job.job_id) == done.body
        again = second.get_job(job.job_id)
        assert again.status in (S.accepted, S.running)
        assert again.extra["attempts"] == 1
        out = finished(second, job.job_id)
        assert out.status is S.successful
        assert values(orjson.loads(second.get_result(job.job_id)))["echo"] == "interrupted"
    finally:
        second.close()


def test_retention_purges_finished_jobs(tmp_path) -> None:
    engine = Engine(Settings(data_dir=tmp_path, job_retention_s=0.01))
    try:
        out = engine.execute_sync("echo", {"message": "old"})
        wait_for(lambda: engine.purge() >= 1)
        with pytest.raises(NoSuchJob):
            engine.get_job(out.job.job_id)
    finally:
        engine.close()


def test_urbanity_async_matches_sync(engine) -> None:
    inputs = {"addresses": fc(*(feature(point(1000 + 10 * i, 0)) for i in range(20)))}
    sync = engine.execute_sync("urbanity-class", inputs)
    engine.cache.delete(sync.job.cache_key)
    job = engine.submit("urbanity-class", inputs)
    assert finished(engine, job.job_id).status is S.successful
    assert engine.get_result(job.job_id) == sync.body  # byte-identical, any road


def test_repeated_sync_executions_store_one_result(engine) -> None:
    bodies_before = engine.store.count_results()
    jobs_before = engine.store.count()
    outs = [engine.execute_sync("echo", {"message": "stored once", "pause": p}) for p in (0, 0.0)]
    outs += [engine.execute_sync("echo", {"pause": 0, "message": "stored once"}) for _ in range(4)]
    assert engine.store.count() == jobs_before + 6
    assert engine.store.count_results() == bodies_before + 1  # six jobs, one body
    assert [o.cache_hit for o in outs] == [False] + [True] * 5
    for o in outs:
        assert engine.get_result(o.job.job_id) == o.body  # each with its own hit flag
    # an async hit references the same body too
    job = engine.submit("echo", {"message": "stored once"})
    assert job.cache_hit and engine.store.count_results() == bodies_before + 1
    # dismissing the computing job keeps the body for the others
    engine.dismiss(outs[0].job.job_id)
    assert engine.get_result(outs[1].job.job_id) == outs[1].body
    assert engine.get_result(job.job_id) == outs[1].body


def test_raw_request_memo_serves_the_same_bytes(engine) -> None:
    from gsl_service.ogc.execute import execute

    def post(body: bytes) -> bytes:
        status, _, content = execute(engine, engine.registry, "http://x", "echo", body, None)
        assert status == 200
        return content

    first = post(b'{"inputs": {"message": "memo", "pause": 0}}')
    jobs = engine.store.count()
    again = post(b'{"inputs": {"message": "memo", "pause": 0}}')  # known bytes: memo
    # other bytes, same request: parsed once, the same canonical key
    other = post(b'{"inputs": {"pause": 0.0, "message": "memo"}}')
    assert values(orjson.loads(first))["provenance"]["cache"]["hit"] is False
    assert again == other == first.replace(b'"hit":false', b'"hit":true')
    assert engine.store.count() == jobs + 2  # the memo path records its job too
    listed, _ = engine.list_jobs(JobFilter(limit=2))
    assert {j.cache_key for j in listed} == {
        values(orjson.loads(first))["provenance"]["cache"]["key"]
    }
    assert all(j.cache_hit and j.extra == {"mode": "sync"} for j in listed)
    # an evicted result: the memo misses the cache and the request is computed again
    engine.cache.delete(listed[0].cache_key)
    assert post(b'{"inputs": {"message": "memo", "pause": 0}}') == first
    # an output selection from the memo is shaped like a parsed request
    sel = b'{"inputs": {"message": "memo", "pause": 0}, "outputs": {"echo": {}}}'
    assert post(sel) == post(sel)
    assert set(orjson.loads(post(sel))) == {"echo", "provenance", "data_quality"}
