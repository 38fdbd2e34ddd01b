"""Job stores (SQLite and Redis): state machine, filters, results, purge, durability."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from gsl_service.errors import NoSuchJob
from gsl_service.jobs.model import TRANSITIONS, JobFilter, JobInfo, JobStatus, Subscriber
from gsl_service.jobs.store import now
from gsl_service.jobs.store_sqlite import SQLiteJobStore
from gsl_service.ogc.config import MAX_LIMIT, MAX_OFFSET

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
    page, n = store.list_jobs(JobFilter(limit=MAX_LIMIT, offset=MAX_OFFSET))  # the HTTP bounds
    assert n == 12 and page == []

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


# --- results stored once per content address -------------------------------------
KEY_A, KEY_B = "a" * 64, "b" * 64


def body_of(key: str, hit: bool = False, payload: str = "x") -> bytes:
    """A result document as the engine writes it: the marker holds the key."""
    flag = "true" if hit else "false"
    return f'{{"out":"{payload}","provenance":{{"cache":{{"hit":{flag},"key":"{key}"}}}}}}'.encode()


def finished_job(key: str | None, hit: bool = False, finished=None) -> JobInfo:
    t = finished or now()
    return job(status=S.successful, created=t, started=t, finished=t, cache_key=key, cache_hit=hit)


def test_same_result_is_stored_once(make_store) -> None:
    store = make_store()
    miss = finished_job(KEY_A)
    hits = [finished_job(KEY_A, hit=True) for _ in range(5)]
    store.create(miss, result=body_of(KEY_A))
    store.create_many([(h, body_of(KEY_A, hit=True)) for h in hits])
    assert store.count() == 6 and store.count_results() == 1
    # each job reads its own hit flag; every other byte is the same
    assert store.get_result(miss.job_id) == body_of(KEY_A)
    assert all(store.get_result(h.job_id) == body_of(KEY_A, hit=True) for h in hits)
    # a first write in hit form is stored as computed
    lone = finished_job(KEY_B)
    store.create(finished_job(KEY_B, hit=True), result=body_of(KEY_B, hit=True))
    store.create(lone, result=body_of(KEY_B))
    assert store.count_results() == 2 and store.get_result(lone.job_id) == body_of(KEY_B)


def test_dismissed_references_delete_the_body_with_the_last(make_store) -> None:
    store = make_store()
    a, b = finished_job(KEY_A), finished_job(KEY_A, hit=True)
    store.create_many([(a, body_of(KEY_A)), (b, body_of(KEY_A, hit=True))])
    store.delete_result(a.job_id)
    store.delete_result(a.job_id)  # idempotent: the body keeps b's reference
    assert store.get_result(a.job_id) is None and store.count_results() == 1
    assert store.get_result(b.job_id) == body_of(KEY_A, hit=True)
    store.delete_result(b.job_id)
    assert store.get_result(b.job_id) is None and store.count_results() == 0
    # a new reference stores the bytes again
    c = finished_job(KEY_A, hit=True)
    store.create(c, result=body_of(KEY_A, hit=True))
    assert store.get_result(c.job_id) == body_of(KEY_A, hit=True) and store.count_results() == 1


def test_put_result_references_and_replaces(make_store) -> None:
    store = make_store()
    j = job(cache_key=KEY_A)
    store.create(j)
    store.transition(j.job_id, S.running)
    store.put_result(j.job_id, body_of(KEY_A), KEY_A)
    other = finished_job(KEY_A, hit=True)
    store.create(other, result=body_of(KEY_A, hit=True))
    assert store.count_results() == 1
    store.put_result(j.job_id, body_of(KEY_B, payload="y"), KEY_B)  # a new reference
    assert store.count_results() == 2 and store.get_result(j.job_id) == body_of(KEY_B, payload="y")
    store.delete_result(other.job_id)  # KEY_A is unreferenced now
    assert store.count_results() == 1
    with pytest.raises(NoSuchJob):
        store.put_result("nope", b"{}")


def test_purge_removes_orphaned_bodies_only(make_store) -> None:
    store = make_store()
    old_t = now() - timedelta(hours=2)
    only_old = [finished_job(KEY_A, finished=old_t), finished_job(KEY_A, True, finished=old_t)]
    shared_old = finished_job(KEY_B, finished=old_t)
    shared_new = finished_job(KEY_B, hit=True)
    store.create_many(
        [(j, body_of(KEY_A, j.cache_hit)) for j in only_old]
        + [(shared_old, body_of(KEY_B)), (shared_new, body_of(KEY_B, hit=True))]
    )
    assert store.count_results() == 2
    assert store.purge(now() - timedelta(hours=1)) == 3
    # KEY_A had only purged jobs; KEY_B is still referenced by a retained job
    assert store.count() == 1 and store.count_results() == 1
    assert store.get_result(shared_new.job_id) == body_of(KEY_B, hit=True)
    assert store.purge(now() + timedelta(seconds=1)) == 1
    assert store.count() == 0 and store.count_results() == 0


def test_sqlite_database_of_an_older_version(tmp_path) -> None:
    """A ``jobs`` table without ``result_key`` and per-job ``job_results`` still work."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, process_id TEXT NOT NULL, status TEXT "
        "NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, started REAL, finished REAL, "
        "progress INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', cache_key TEXT,"
        " cache_hit INTEGER NOT NULL DEFAULT 0, error TEXT, subscriber TEXT, extra TEXT);"
        "CREATE TABLE job_results (job_id TEXT PRIMARY KEY, body BLOB NOT NULL);"
        "INSERT INTO jobs VALUES ('old', 'echo', 'successful', 1, 1, 1, 1, 100, '', NULL, 0, "
        "NULL, NULL, '{}');"
        "INSERT INTO job_results VALUES ('old', X'7B7D');"
    )
    conn.close()
    store = SQLiteJobStore(path)
    assert store.get_result("old") == b"{}" and store.count_results() == 1
    fresh = finished_job(KEY_A)
    store.create(fresh, result=body_of(KEY_A))
    assert store.get_result(fresh.job_id) == body_of(KEY_A)
    assert store.purge(now() - timedelta(hours=1)) == 1  # the old job (finished in 1970)
    assert store.count_results() == 1
    store.close()


def test_group_commit_batches_concurrent_callers() -> None:
    import threading
    import time

    from gsl_service.jobs.group_commit import GroupCommit

    batches: list[list[int]] = []

    def write(items) -> None:
        if not batches:  # the first write waits until the 19 other callers queued
            deadline = time.monotonic() + 30
            while len(gc._queue) < 19 and time.monotonic() < deadline:
                time.sleep(0.001)
        if -1 in items:
            raise ValueError("bad item")
        batches.append(list(items))

    gc: GroupCommit[int] = GroupCommit(write)
    errors: list[Exception] = []

    def call(i: int) -> None:
        try:
            gc.submit(i)
        except ValueError as err:
            errors.append(err)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(i for b in batches for i in b) == list(range(20))  # each exactly once
    assert len(batches) == 2 and gc.batches == 2  # 19 callers shared one write
    with pytest.raises(ValueError, match="bad item"):
        gc.submit(-1)
    assert not errors


def test_a_note_on_a_finished_job_keeps_its_finished_time(make_store) -> None:
    # a Tygron write-back notes its outcome on the successful job (Engine.annotate)
    store = make_store()
    j = job()
    store.create(j)
    store.transition(j.job_id, S.running)
    done = store.transition(j.job_id, S.successful, message="done", extra={"a": 1})
    assert done is not None
    time.sleep(0.01)  # the note comes later; its time must not become `finished`
    noted = store.transition(
        j.job_id, S.successful, sources=(S.successful,), message="written back", extra={"b": 2}
    )
    assert noted is not None
    again = store.get(j.job_id)
    assert again.message == "written back" and again.extra == {"a": 1, "b": 2}
    assert again.finished == done.finished and again.updated > done.finished
