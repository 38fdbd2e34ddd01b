"""Job stores (SQLite and Redis): state machine, filters, results, purge, durability."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from gsl_service.errors import NoSuchJob
from gsl_service.jobs.model import TRANSITIONS, JobFilter, JobInfo, JobStatus, Subscriber
from gsl_service.jobs.store import now
from gsl_service.jobs.store_sqlite import SQLiteJobStore

S = JobStatus


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request, tmp_path):
    made = []

    if request.param == "sqlite":

        def make():
            s = SQLiteJobStore(tmp_path / "jobs.db")
            made.append(s)
            return s

    else:
        redis = pytest.importorskip("redis")
        from gsl_service.jobs.store_redis import RedisJobStore

        client = redis.Redis.from_url("redis://127.0.0.1:6379/1")
        try:
            client.ping()
        except redis.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        prefix = f"gsltest:{uuid.uuid4().hex[:8]}:"

        def make():
            s = RedisJobStore(redis.Redis.from_url("redis://127.0.0.1:6379/1"), prefix)
            made.append(s)
            return s

    yield make
    if request.param == "redis":
        made[0].delete_all()
    for s in made:
        s.close()


def job(process: str = "echo", status: JobStatus = S.accepted, created=None, **kw) -> JobInfo:
    t = created or now()
    return JobInfo(str(uuid.uuid4()), process, status, t, t, **kw)


def test_create_get_roundtrip(make_store) -> None:
    store = make_store()
    j = job(subscriber=Subscriber(success_uri="http://x/s"), extra={"a": 1}, cache_key="k")
    store.create(j, inputs=b"\x81\xa1a\x01")
    got = store.get(j.job_id)
    assert got.job_id == j.job_id and got.status is S.accepted
    assert got.subscriber == Subscriber(success_uri="http://x/s")
    assert got.extra == {"a": 1} and got.cache_key == "k"
    assert abs((got.created - j.created).total_seconds()) < 1e-3
    assert store.get_inputs(j.job_id) == b"\x81\xa1a\x01"
    with pytest.raises(NoSuchJob):
        store.get("nope")


def test_state_machine(make_store) -> None:
    store = make_store()
    j = job()
    store.create(j)
    run = store.transition(j.job_id, S.running, extra={"pid": 1})
    assert run is not None and run.started is not None and run.extra == {"pid": 1}
    assert store.set_progress(j.job_id, 40, "halfway")
    assert store.get(j.job_id).progress == 40
    ok = store.transition(j.job_id, S.successful, sources=[S.running], message="done")
    assert ok is not None and ok.finished is not None and ok.progress == 100
    # final states are never left, except by dismissal
    assert store.transition(j.job_id, S.failed) is None
    assert store.transition(j.job_id, S.running) is None
    assert not store.set_progress(j.job_id, 50, "late")
    assert store.get(j.job_id).status is S.successful
    assert store.transition(j.job_id, S.dismissed) is not None
    assert store.transition(j.job_id, S.dismissed) is None
    with pytest.raises(NoSuchJob):
        store.transition("nope", S.running)


@pytest.mark.parametrize("src", list(JobStatus))
@pytest.mark.parametrize("dst", list(JobStatus))
def test_transition_table_is_enforced(tmp_path, src, dst) -> None:
    store = SQLiteJobStore(tmp_path / "j.db")
    j = job(status=src)
    store.create(j)
    got = store.transition(j.job_id, dst)
    assert (got is not None) == (dst in TRANSITIONS[src])
    store.close()


def test_list_filters(make_store) -> None:
    store = make_store()
    t0 = now() - timedelta(hours=1)
    jobs = []
    for i in range(12):
        j = job("echo" if i % 3 else "urbanity-class", created=t0 + timedelta(minutes=i))
        store.create(j)
        jobs.append(j)
    for j in jobs[:6]:
        store.transition(j.job_id, S.running)
    for j in jobs[6:9]:
        store.transition(j.job_id, S.failed)

    page, n = store.list_jobs(JobFilter(limit=5))
    assert n == 12 and [p.job_id for p in page] == [j.job_id for j in jobs[::-1][:5]]
    page, n = store.list_jobs(JobFilter(limit=5, offset=10))
    assert n == 12 and [p.job_id for p in page] == [jobs[1].job_id, jobs[0].job_id]

    _, n = store.list_jobs(JobFilter(process_ids=["urbanity-class"]))
    assert n == 4
    _, n = store.list_jobs(JobFilter(process_ids=["urbanity-class", "echo"]))
    assert n == 12
    _, n = store.list_jobs(JobFilter(statuses=[S.running]))
    assert n == 6
    _, n = store.list_jobs(JobFilter(statuses=[S.running, S.failed], process_ids=["echo"]))
    assert n == 6  # running 1,2,4,5 and failed 7,8
    _, n = store.list_jobs(
        JobFilter(created_after=t0 + timedelta(minutes=3), created_before=t0 + timedelta(minutes=5))
    )
    assert n == 3
    _, n = store.list_jobs(JobFilter(min_duration_s=0.0))
    assert n == 6  # only started jobs have a duration
    _, n = store.list_jobs(JobFilter(max_duration_s=3600.0, statuses=[S.running]))
    assert n == 6
    _, n = store.list_jobs(JobFilter(min_duration_s=3600.0))
    assert n == 0


def test_results_purge_and_reopen(make_store) -> None:
    store = make_store()
    old, new, running = job(), job(), job()
    for j in (old, new, running):
        store.create(j, inputs=b"x")
    store.transition(old.job_id, S.successful)
    store.put_result(old.job_id, b'{"r":1}')
    store.transition(new.job_id, S.failed)
    store.transition(running.job_id, S.running)
    assert store.get_result(old.job_id) == b'{"r":1}'
    assert {j.job_id for j in store.unfinished()} == {running.job_id}
    # a new store object on the same database sees everything (restart)
    again = make_store()
    assert again.get_result(old.job_id) == b'{"r":1}' and again.count() == 3
    assert again.purge(now() + timedelta(seconds=1)) == 2
    assert again.count() == 1 and again.get_result(old.job_id) is None
    assert again.get(running.job_id).status is S.running
    with pytest.raises(NoSuchJob):
        again.get(old.job_id)
    assert again.list_jobs(JobFilter(statuses=[S.successful]))[1] == 0


def test_bulk_insert(make_store) -> None:
    store = make_store()
    t = now()
    n = store.bulk_insert(
        JobInfo(str(uuid.uuid4()), "echo", S.successful, t, t, started=t, finished=t)
        for _ in range(2500)
    )
    assert n == 2500 and store.count() == 2500
    assert store.list_jobs(JobFilter(statuses=[S.successful], limit=1))[1] == 2500
