"""The embedded job store: one SQLite database (WAL) under ``GSL_DATA_DIR``.

Writes are single-row B-tree operations (primary key plus four secondary indexes),
so they cost the same with 100 or 100,000 jobs stored. Each thread (and each worker
process) uses its own connection; WAL lets readers run beside the one writer.

Results: table ``results`` (``key`` = content address, ``body`` as computed) holds
each distinct result once; ``jobs.result_key`` is a job's reference to it (partial
index ``jobs_result``). Dismissing or purging a job deletes a body when no job
references it any more (``NOT EXISTS`` on that index, in the same transaction as
the delete, so a concurrent reference is never left dangling). Results of databases
written before this scheme (``job_results``, one copy per job) are still read and
purged.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from gsl_indicators.core.canonical import digest_bytes
from gsl_service.cache import as_hit, as_miss
from gsl_service.errors import NoSuchJob
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus, sources_of
from gsl_service.jobs.store import (
    JobStore,
    job_to_row,
    now,
    result_address,
    row_to_job,
    stamp_transition,
)

_COLUMNS = (
    "job_id",
    "process_id",
    "status",
    "created",
    "updated",
    "started",
    "finished",
    "progress",
    "message",
    "cache_key",
    "cache_hit",
    "error",
    "subscriber",
    "extra",
    "owner",
    "request_id",
)
_INSERT_JOB = (
    f"INSERT INTO jobs ({','.join(_COLUMNS)}, result_key) "
    f"VALUES ({','.join('?' * (len(_COLUMNS) + 1))})"
)
#: Delete the body of a key no job references any more.
_DELETE_ORPHAN = (
    "DELETE FROM results WHERE key = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE result_key = ?)"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id     TEXT PRIMARY KEY,
    process_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    created    REAL NOT NULL,
    updated    REAL NOT NULL,
    started    REAL,
    finished   REAL,
    progress   INTEGER NOT NULL DEFAULT 0,
    message    TEXT NOT NULL DEFAULT '',
    cache_key  TEXT,
    cache_hit  INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    subscriber TEXT,
    extra      TEXT,
    result_key TEXT,
    owner      TEXT,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created);
CREATE INDEX IF NOT EXISTS jobs_process ON jobs (process_id, created);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished) WHERE finished IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_inputs (job_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS job_results (job_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS result_parts (name TEXT PRIMARY KEY, body BLOB NOT NULL, used REAL NOT NULL);
"""
# after the migration of an older ``jobs`` table (result_key added)
_SCHEMA_RESULT_INDEX = """
CREATE INDEX IF NOT EXISTS jobs_result ON jobs (result_key) WHERE result_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created) WHERE owner IS NOT NULL;
"""
#: Columns added after the first version: (name, type), added to an older database.
_ADDED_COLUMNS = (("result_key", "TEXT"), ("owner", "TEXT"), ("request_id", "TEXT"))


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in a write transaction: ``BEGIN IMMEDIATE``, then commit or roll back.

    ``IMMEDIATE`` takes the write lock at the start, so two writers never both read a
    row and then both update it; any exception (also ``KeyboardInterrupt``) rolls the
    block back and propagates. Leaving the block normally (also by ``return``) commits.

    Examples
    --------
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = conn.execute("CREATE TABLE t (x)")
    >>> with immediate(conn):
    ...     _ = conn.execute("INSERT INTO t VALUES (1)")
    >>> try:
    ...     with immediate(conn):
    ...         _ = conn.execute("INSERT INTO t VALUES (2)")
    ...         raise RuntimeError("boom")
    ... except RuntimeError:
    ...     pass
    >>> conn.execute("SELECT x FROM t").fetchall()
    [(1,)]
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteJobStore(JobStore):
    """Job store in a SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file (created with its tables when missing).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gsl_service.jobs.model import JobInfo, JobStatus
    >>> from gsl_service.jobs.store import now
    >>> store = SQLiteJobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.db")
    >>> t = now()
    >>> store.create(JobInfo("j1", "echo", JobStatus.accepted, t, t))
    >>> store.transition("j1", JobStatus.running).status.value
    'running'
    >>> store.transition("j1", JobStatus.accepted, sources=[JobStatus.successful]) is None
    True
    >>> store.close()
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        conn.executescript(_SCHEMA)
        cols = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
        for name, kind in _ADDED_COLUMNS:
            if name not in cols:  # a database of an older version
                with contextlib.suppress(sqlite3.OperationalError):  # another process won
                    conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
        conn.executescript(_SCHEMA_RESULT_INDEX)

    # -- connections -----------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    # -- jobs ------------------------------------------------------------------------
    def create(
        self, job: JobInfo, inputs: bytes | None = None, result: bytes | None = None
    ) -> None:
        """Insert a job (and its inputs / result reference) in one transaction."""
        conn = self._conn()
        with immediate(conn):
            self._insert(conn, [(job, result)])
            if inputs is not None:
                conn.execute("INSERT INTO job_inputs VALUES (?, ?)", (job.job_id, inputs))

    def create_many(self, entries: Sequence[tuple[JobInfo, bytes | None]]) -> None:
        """Insert jobs with their result references in one transaction."""
        if not entries:
            return
        conn = self._conn()
        with immediate(conn):
            self._insert(conn, entries)

    @staticmethod
    def _store_body(conn: sqlite3.Connection, key: str, body: bytes) -> None:
        """Store ``body`` under ``key`` unless a body is stored there (in a transaction)."""
        if conn.execute("SELECT 1 FROM results WHERE key = ?", (key,)).fetchone() is None:
            conn.execute("INSERT INTO results VALUES (?, ?)", (key, as_miss(body, key)))

    def _insert(
        self, conn: sqlite3.Connection, entries: Sequence[tuple[JobInfo, bytes | None]]
    ) -> None:
        rows = []
        stored: set[str] = set()
        for job, result in entries:
            key = None
            if result is not None:
                key = result_address(job, result)
                if key not in stored:
                    self._store_body(conn, key, result)
                    stored.add(key)
            row = job_to_row(job)
            rows.append([*(row[c] for c in _COLUMNS), key])
        conn.executemany(_INSERT_JOB, rows)

    def get(self, job_id: str) -> JobInfo:
        """Return the job (raises NoSuchJob)."""
        row = self._conn().execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise NoSuchJob(f"no job with id '{job_id}'")
        return row_to_job(dict(row))

    def transition(
        self,
        job_id: str,
        status: JobStatus,
        *,
        sources: Iterable[JobStatus] | None = None,
        **fields: Any,
    ) -> JobInfo | None:
        """Compare-and-set the job's status (see :meth:`JobStore.transition`)."""
        allowed = {s.value for s in (sources_of(status) if sources is None else sources)}
        conn = self._conn()
        with immediate(conn):
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise NoSuchJob(f"no job with id '{job_id}'")
            current = dict(row)
            if current["status"] not in allowed:
                return None  # leaving the block commits the (read-only) transaction
            upd = stamp_transition(current, status, fields, now())
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in upd)} WHERE job_id = ?",
                [*upd.values(), job_id],
            )
        current.update(upd)
        return row_to_job(current)

    def set_progress(self, job_id: str, progress: int, message: str) -> bool:
        """Record progress while the job is running."""
        cur = self._conn().execute(
            "UPDATE jobs SET progress = ?, message = ?, updated = ? "
            "WHERE job_id = ? AND status = 'running'",
            (int(progress), message, time.time(), job_id),
        )
        return cur.rowcount == 1

    def _where(self, flt: JobFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if flt.owner is not None:
            clauses.append("owner = ?")
            args.append(flt.owner)
        if flt.process_ids:
            clauses.append(f"process_id IN ({','.join('?' * len(flt.process_ids))})")
            args += list(flt.process_ids)
        if flt.statuses:
            clauses.append(f"status IN ({','.join('?' * len(flt.statuses))})")
            args += [JobStatus(s).value for s in flt.statuses]
        if flt.created_after is not None:
            clauses.append("created >= ?")
            args.append(flt.created_after.timestamp())
        if flt.created_before is not None:
            clauses.append("created <= ?")
            args.append(flt.created_before.timestamp())
        if flt.min_duration_s is not None or flt.max_duration_s is not None:
            duration = "(COALESCE(finished, ?) - started)"
            clauses.append("started IS NOT NULL")
            t = time.time()
            if flt.min_duration_s is not None:
                clauses.append(f"{duration} >= ?")
                args += [t, flt.min_duration_s]
            if flt.max_duration_s is not None:
                clauses.append(f"{duration} <= ?")
                args += [t, flt.max_duration_s]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return where, args

    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        """Return a page of matching jobs (newest first) and their total number."""
        where, args = self._where(flt)
        conn = self._conn()
        total = conn.execute(f"SELECT COUNT(*) FROM jobs {where}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM jobs {where} ORDER BY created DESC, job_id DESC LIMIT ? OFFSET ?",
            [*args, max(0, flt.limit), max(0, flt.offset)],
        ).fetchall()
        return [row_to_job(dict(r)) for r in rows], int(total)

    def unfinished(self) -> list[JobInfo]:
        """Return the accepted and running jobs."""
        rows = (
            self._conn()
            .execute("SELECT * FROM jobs WHERE status IN ('accepted', 'running') ORDER BY created")
            .fetchall()
        )
        return [row_to_job(dict(r)) for r in rows]

    # -- results and inputs ----------------------------------------------------------
    def put_result(self, job_id: str, body: bytes, key: str | None = None) -> None:
        """Store a result document once per key; the job references it."""
        key = key or digest_bytes(body)
        conn = self._conn()
        with immediate(conn):
            row = conn.execute("SELECT result_key FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise NoSuchJob(f"no job with id '{job_id}'")
            old = row[0]
            if old != key:
                self._store_body(conn, key, body)
                conn.execute("UPDATE jobs SET result_key = ? WHERE job_id = ?", (key, job_id))
                if old is not None:
                    conn.execute(_DELETE_ORPHAN, (old, old))

    def get_result(self, job_id: str) -> bytes | None:
        """Return the job's result document (its hit flag applied) or ``None``."""
        conn = self._conn()
        row = conn.execute(
            "SELECT r.body, j.result_key, j.cache_hit FROM jobs j "
            "JOIN results r ON r.key = j.result_key WHERE j.job_id = ?",
            (job_id,),
        ).fetchone()
        if row is not None:
            body = bytes(row[0])
            return as_hit(body, row[1]) if row[2] else body
        legacy = conn.execute("SELECT body FROM job_results WHERE job_id = ?", (job_id,)).fetchone()
        return None if legacy is None else bytes(legacy[0])

    def delete_result(self, job_id: str) -> None:
        """Drop the job's reference; delete the body when no other job references it."""
        conn = self._conn()
        with immediate(conn):
            row = conn.execute("SELECT result_key FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is not None and row[0] is not None:
                conn.execute("UPDATE jobs SET result_key = NULL WHERE job_id = ?", (job_id,))
                conn.execute(_DELETE_ORPHAN, (row[0], row[0]))
            conn.execute("DELETE FROM job_results WHERE job_id = ?", (job_id,))

    def count_results(self) -> int:
        """Return the number of stored result bodies."""
        conn = self._conn()
        n = conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        return int(n) + int(conn.execute("SELECT COUNT(*) FROM job_results").fetchone()[0])

    def put_blob(self, name: str, data: bytes) -> None:
        """Store a result part (table ``result_parts``, with the time of its last use)."""
        with immediate(self._conn()) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO result_parts (name, body, used) VALUES (?, ?, ?)",
                (name, data, time.time()),
            )

    def get_blob(self, name: str) -> bytes | None:
        """Return a result part and mark it used, or ``None``."""
        conn = self._conn()
        row = conn.execute("SELECT body FROM result_parts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        self.touch_blobs([name])
        return bytes(row[0])

    def touch_blobs(self, names: Iterable[str]) -> None:
        """Mark result parts used now (purge keeps them ``blob_ttl_s`` past that)."""
        with immediate(self._conn()) as conn:
            conn.executemany(
                "UPDATE result_parts SET used = ? WHERE name = ?",
                [(time.time(), n) for n in names],
            )

    def get_inputs(self, job_id: str) -> bytes | None:
        """Return the stored inputs of a job or ``None``."""
        row = (
            self._conn()
            .execute("SELECT body FROM job_inputs WHERE job_id = ?", (job_id,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    # -- maintenance -----------------------------------------------------------------
    def purge(self, finished_before: datetime) -> int:
        """Delete jobs finished before the cutoff, their inputs and orphaned results."""
        cutoff = finished_before.timestamp()
        conn = self._conn()
        with immediate(conn):  # result parts no job has used for the retention period
            conn.execute("DELETE FROM result_parts WHERE used < ?", (cutoff,))
        total = 0
        while True:  # in batches, so the write lock is held briefly
            with immediate(conn):
                rows = conn.execute(
                    "SELECT job_id, result_key FROM jobs "
                    "WHERE finished IS NOT NULL AND finished < ? LIMIT 500",
                    (cutoff,),
                ).fetchall()
                ids = [r[0] for r in rows]
                if ids:
                    marks = ",".join("?" * len(ids))
                    for table in ("jobs", "job_inputs", "job_results"):
                        conn.execute(f"DELETE FROM {table} WHERE job_id IN ({marks})", ids)
                    keys = {r[1] for r in rows if r[1] is not None}
                    conn.executemany(_DELETE_ORPHAN, [(k, k) for k in keys])
            total += len(ids)
            if len(ids) < 500:
                return total

    def bulk_insert(self, jobs: Iterable[JobInfo]) -> int:
        """Insert many jobs in one transaction."""
        rows = [job_to_row(j) for j in jobs]
        conn = self._conn()
        with immediate(conn):
            conn.executemany(
                f"INSERT INTO jobs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                [[r[c] for c in _COLUMNS] for r in rows],
            )
        return len(rows)

    def count(self) -> int:
        """Return the number of stored jobs."""
        return int(self._conn().execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
