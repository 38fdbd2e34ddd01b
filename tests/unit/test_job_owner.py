"""The job owner (an API key id) and request id in both job stores: stored, filtered, purged."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from gsl_service import context
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus
from gsl_service.jobs.store import now
from gsl_service.jobs.store_sqlite import SQLiteJobStore
from unit.test_jobstore import make_store  # noqa: F401 - the sqlite/redis store fixture


def _job(job_id: str, owner: str | None, minutes_ago: int = 0) -> JobInfo:
    t = now() - timedelta(minutes=minutes_ago)
    return JobInfo(job_id, "echo", JobStatus.successful, t, t, started=t, finished=t, owner=owner)


def test_owner_is_stored_and_filters_the_list(make_store) -> None:  # noqa: F811
    store = make_store()
    for i, owner in enumerate(["alice", "bob", "alice", None]):
        store.create(_job(f"j{i}", owner, minutes_ago=10 - i))
    assert store.get("j0").owner == "alice" and store.get("j3").owner is None
    page, matched = store.list_jobs(JobFilter(owner="alice", limit=1))
    assert matched == 2 and [j.job_id for j in page] == ["j2"]  # newest first
    page, matched = store.list_jobs(JobFilter(owner="alice", limit=10, offset=1))
    assert [j.job_id for j in page] == ["j0"]
    _, matched = store.list_jobs(JobFilter(owner="bob", statuses=[JobStatus.successful]))
    assert matched == 1
    _, matched = store.list_jobs(JobFilter(owner=None, limit=10))
    assert matched == 4
    assert store.purge(now()) == 4  # owner index entries go with the jobs
    assert store.list_jobs(JobFilter(owner="alice"))[1] == 0


def test_defaults_come_from_the_request_context() -> None:
    t = now()
    assert JobInfo("a", "echo", JobStatus.accepted, t, t).owner is None
    tokens = (
        context.client_id.set("alice"),
        context.request_id.set("req-1"),
        context.owner_scope.set("alice"),
    )
    try:
        job = JobInfo("b", "echo", JobStatus.accepted, t, t)
        assert (job.owner, job.request_id) == ("alice", "req-1")
        assert JobFilter().owner == "alice"  # a non-admin key's lists are its own
        assert JobFilter(owner=None).owner is None
    finally:
        context.owner_scope.reset(tokens[2])
        context.request_id.reset(tokens[1])
        context.client_id.reset(tokens[0])


def test_an_older_sqlite_database_gains_the_columns(tmp_path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, process_id TEXT NOT NULL, status TEXT NOT NULL,"
        " created REAL NOT NULL, updated REAL NOT NULL, started REAL, finished REAL,"
        " progress INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', cache_key TEXT,"
        " cache_hit INTEGER NOT NULL DEFAULT 0, error TEXT, subscriber TEXT, extra TEXT)"
    )
    db.execute(
        "INSERT INTO jobs (job_id, process_id, status, created, updated) VALUES ('old', 'echo', 'failed', 1, 1)"
    )
    db.commit()
    db.close()
    store = SQLiteJobStore(path)
    try:
        assert store.get("old").owner is None
        store.create(_job("new", "alice"))
        assert store.list_jobs(JobFilter(owner="alice"))[1] == 1
    finally:
        store.close()


@pytest.mark.parametrize("rid", ["r-1", None])
def test_request_id_round_trips(make_store, rid) -> None:  # noqa: F811
    store = make_store()
    t = now()
    store.create(JobInfo("r", "echo", JobStatus.accepted, t, t, request_id=rid))
    assert store.get("r").request_id == rid
