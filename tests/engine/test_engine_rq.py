"""The distributed engine: Redis cache and job store, real RQ worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time

import orjson
import pytest

from engine.engine_helpers import pid_alive, settings_from_env, wait_for
from gsl_service.engine import Engine
from gsl_service.errors import NoSuchJob
from gsl_service.jobs.model import JobFilter, JobStatus
from gsl_service.settings import Settings
from results import values

S = JobStatus


@pytest.fixture
def engine(redis_env):
    e = Engine(settings_from_env(redis_env, data_dir=tempfile.mkdtemp()))
    e.start()
    yield e
    e.close()


def wait_running(engine: Engine, job_id: str):
    def check():
        j = engine.get_job(job_id)
        return j if j.status is S.running and j.progress > 0 and "pid" in j.extra else None

    return wait_for(check)


def wait_finished(engine: Engine, job_id: str):
    return wait_for(lambda: (j := engine.get_job(job_id)).status.finished and j)


def test_async_job_on_a_worker(engine, start_worker) -> None:
    worker = start_worker()
    job = engine.submit("echo", {"message": "via rq", "pause": 0.3})
    assert job.status is S.accepted
    done = wait_finished(engine, job.job_id)
    assert done.status is S.successful, done.error
    assert done.extra["pid"] not in (os.getpid(), worker.pid)  # ran in a work horse
    body = engine.get_result(job.job_id)
    # same bytes as the embedded engine computes for the same request
    with Engine(Settings(data_dir=tempfile.mkdtemp())) as local:
        assert local.execute_sync("echo", {"message": "via rq", "pause": 0.3}).body == body
    # the worker filled the shared cache: a sync request is a hit now
    assert engine.execute_sync("echo", {"message": "via rq", "pause": 0.3}).cache_hit
    listed, n = engine.list_jobs(JobFilter(process_ids=["echo"], statuses=[S.successful]))
    assert n == 2 and {j.job_id for j in listed} >= {job.job_id}


def test_dismiss_running_job_kills_the_work_horse(engine, start_worker) -> None:
    start_worker()
    job = engine.submit("echo", {"message": "stop me", "pause": 60})
    horse = wait_running(engine, job.job_id).extra["pid"]
    assert pid_alive(horse)
    lock = engine.cache._lock(job.cache_key)
    wait_for(lambda: engine.cache.r.get(lock) is not None)
    assert engine.cache.r.get(lock).startswith(job.job_id.encode() + b"/")
    assert engine.dismiss(job.job_id).status is S.dismissed
    # released with the dismissal, not when its lease runs out
    assert engine.cache.r.get(lock) is None
    wait_for(lambda: not pid_alive(horse))
    assert engine.get_job(job.job_id).status is S.dismissed
    with pytest.raises(NoSuchJob):
        engine.get_result(job.job_id)


def test_dismiss_queued_job(engine) -> None:
    job = engine.submit("echo", {"message": "never runs", "pause": 1})  # no worker
    assert engine.dismiss(job.job_id).status is S.dismissed
    assert engine._rq.queue.count == 0


def test_killed_worker_leaves_job_failed(engine, start_worker) -> None:
    worker = start_worker()
    job = engine.submit("echo", {"message": "doomed", "pause": 60})
    horse = wait_running(engine, job.job_id).extra["pid"]
    worker.kill9()
    try:
        done = wait_finished(engine, job.job_id)  # worker TTL 4 s + reconcile
        assert done.status is S.failed
        assert "worker lost" in done.error["detail"] and done.message == "worker lost"
    finally:  # the orphaned horse gives up at its next progress report; make sure
        with contextlib.suppress(ProcessLookupError):
            os.kill(horse, signal.SIGKILL)


def test_the_verdict_on_a_killed_work_horse_releases_its_lock(engine, start_worker) -> None:
    # A work horse SIGKILLed mid-job (out of memory) cannot release its computation
    # lock; the lease (30 s, renewed every 10 s until the kill) would keep an identical
    # request waiting for 20-30 s. The "worker lost" verdict releases it at once.
    start_worker()
    job = engine.submit("echo", {"message": "horse dies", "pause": 60})
    horse = wait_running(engine, job.job_id).extra["pid"]
    lock = engine.cache._lock(job.cache_key)
    wait_for(lambda: engine.cache.r.get(lock) is not None)
    assert engine.settings.cache_lock_ttl_s >= 30
    os.kill(horse, signal.SIGKILL)
    done = wait_finished(engine, job.job_id)
    assert done.status is S.failed and "killed by SIGKILL" in done.error["detail"]
    wait_for(lambda: engine.cache.r.get(lock) is None, timeout=5.0)


def test_restart_keeps_jobs_and_results(redis_env, start_worker) -> None:
    start_worker()
    settings = settings_from_env(redis_env, data_dir=tempfile.mkdtemp())
    with Engine(settings) as first:
        job = first.submit("echo", {"message": "durable", "pause": 0.2})
        wait_finished(first, job.job_id)
        body = first.get_result(job.job_id)
        pending = first.submit("echo", {"message": "finishes later", "pause": 1})
    with Engine(settings) as second:  # a new API process on the same Redis
        assert second.get_result(job.job_id) == body
        assert wait_finished(second, pending.job_id).status is S.successful
        assert values(orjson.loads(second.get_result(pending.job_id)))["echo"] == "finishes later"


def test_results_stored_once_in_redis(engine, start_worker) -> None:
    start_worker()
    job = engine.submit("echo", {"message": "once in redis", "pause": 0.1})
    assert wait_finished(engine, job.job_id).status is S.successful
    body = engine.get_result(job.job_id)
    hits = [
        engine.execute_sync("echo", {"pause": 0.1, "message": "once in redis"}) for _ in range(4)
    ]
    assert all(h.cache_hit for h in hits)
    assert engine.store.count_results() == 1  # five jobs, one body key
    assert engine.get_result(hits[0].job.job_id) == body.replace(b'"hit":false', b'"hit":true')
    engine.dismiss(job.job_id)
    assert engine.store.count_results() == 1 and engine.get_result(hits[-1].job.job_id)
    for h in hits:
        engine.dismiss(h.job.job_id)
    assert engine.store.count_results() == 0  # the last reference took the body along


def test_identical_jobs_on_two_workers_compute_once(engine, start_worker) -> None:
    """RQ: the Redis cache's ``SET NX`` lock makes identical jobs compute once."""
    start_worker()
    start_worker()
    jobs = [engine.submit("echo", {"message": "rq flight", "pause": 1}) for _ in range(3)]
    done = [wait_finished(engine, j.job_id) for j in jobs]
    assert [d.status for d in done] == [S.successful] * 3
    assert sum(not d.cache_hit for d in done) == 1  # one computed, two served from it
    bodies = {engine.get_result(j.job_id).replace(b'"hit":true', b'"hit":false') for j in jobs}
    assert len(bodies) == 1


def test_a_job_a_lost_worker_took_and_never_started_runs_again(engine, start_worker) -> None:
    """Redis killed between a worker's take (BLMOVE to RQ's intermediate list) and its
    work horse's start left the job 'accepted' for ever: on no queue, RQ's status
    'queued', run by no one (3 of 31 Redis drills under load). The reconciler now sees
    such a job and queues it again, clearing what the lost take left behind."""
    runner = engine._rq
    conn, queue = runner.conn, runner.queue
    job = engine.submit("echo", {"message": "taken and lost", "pause": 0})
    # what a worker's take does, then nothing: its Redis went away before the horse ran
    assert conn.lmove(queue.key, queue.intermediate_queue_key) == job.job_id.encode()
    started = queue.started_job_registry.key
    conn.zadd(started, {f"{job.job_id}:lost-execution": time.time() - 60})
    engine.reconcile()  # first seen taken: within the grace, left alone
    info = engine.get_job(job.job_id)
    assert info.status is S.accepted and info.message == "accepted"
    assert conn.lpos(queue.key, job.job_id) is None
    # the grace (10 s at least) has passed
    conn.set(runner._taken_key(job.job_id), repr(time.time() - 3600))
    engine.reconcile()
    again = wait_for(lambda: (j := engine.get_job(job.job_id)).message == "re-queued" and j)
    assert again.status is S.accepted and again.extra["attempts"] == 1
    assert conn.lpos(queue.key, job.job_id) is not None
    assert conn.lpos(queue.intermediate_queue_key, job.job_id) is None
    assert conn.zcard(started) == 0 and conn.get(runner._taken_key(job.job_id)) is None
    start_worker()
    done = wait_finished(engine, job.job_id)
    assert done.status is S.successful, done.error


def test_a_queued_job_waiting_its_turn_is_left_alone(engine) -> None:
    job = engine.submit("echo", {"message": "waiting", "pause": 0})
    runner = engine._rq
    for _ in range(2):
        engine.reconcile()
    assert runner._taken_and_lost(job.job_id) is None
    assert engine.get_job(job.job_id).message == "accepted"
