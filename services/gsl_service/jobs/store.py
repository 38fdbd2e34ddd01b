"""The job store interface and the row encoding shared by the SQLite and Redis stores.

A store keeps jobs (their :class:`~gsl_service.jobs.model.JobInfo`), the inputs of
async jobs (so they can be re-run) and the result documents.

Results are stored once per content address, the job's cache key (the sha256 of the
bytes for a job without one): the bytes for a key are identical whichever job
produced them, apart from ``provenance.cache.hit``. A store keeps them as computed
(``hit: false``, :func:`~gsl_service.cache.as_miss`); a job only references its key,
and reading a job's result applies that job's hit flag
(:func:`~gsl_service.cache.as_hit` when ``cache_hit``). A body is deleted when the
last job referencing it is dismissed or purged. Every status change goes
through :meth:`JobStore.transition`, an atomic compare-and-set against the state
machine in :data:`~gsl_service.jobs.model.TRANSITIONS`: a late worker can never
overwrite a dismissal or a "worker lost" verdict.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from gsl_indicators.core.canonical import digest_bytes
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus, Subscriber

if TYPE_CHECKING:
    from gsl_service.settings import Settings

#: Fields a transition may set besides the status.
MUTABLE_FIELDS = ("progress", "message", "cache_key", "cache_hit", "error", "extra")


def result_address(job: JobInfo, body: bytes, key: str | None = None) -> str:
    """Return the content address of a job's result: ``key``, its cache key or a sha256.

    Examples
    --------
    >>> from gsl_service.jobs.model import JobInfo, JobStatus
    >>> t = now()
    >>> result_address(JobInfo("j", "p", JobStatus.successful, t, t, cache_key="k"), b"x")
    'k'
    >>> result_address(JobInfo("j", "p", JobStatus.successful, t, t), b"x")[:8]
    '2d711642'
    """
    return key or job.cache_key or digest_bytes(body)


def now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def to_epoch(value: datetime | None) -> float | None:
    """Return POSIX seconds of ``value`` (``None`` stays ``None``)."""
    return None if value is None else value.timestamp()


def from_epoch(value: float | str | bytes | None) -> datetime | None:
    """Return the UTC datetime of POSIX seconds (``None`` and ``""`` give ``None``)."""
    if value is None or value in ("", b""):
        return None
    return datetime.fromtimestamp(float(value), UTC)


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _unjson(value: str | bytes | None) -> Any:
    return None if value in (None, "", b"") else orjson.loads(value)


def job_to_row(job: JobInfo) -> dict[str, Any]:
    """Return the flat storage row of ``job``: epoch floats and JSON strings."""
    sub = job.subscriber
    return {
        "job_id": job.job_id,
        "process_id": job.process_id,
        "status": job.status.value,
        "created": to_epoch(job.created),
        "updated": to_epoch(job.updated),
        "started": to_epoch(job.started),
        "finished": to_epoch(job.finished),
        "progress": int(job.progress),
        "message": job.message,
        "cache_key": job.cache_key,
        "cache_hit": 1 if job.cache_hit else 0,
        "error": _json(job.error),
        "subscriber": _json(sub.__dict__) if sub is not None else None,
        "extra": _json(job.extra or {}),
        "owner": job.owner,
        "request_id": job.request_id,
    }


def row_to_job(row: Mapping[str, Any]) -> JobInfo:
    """Return the :class:`JobInfo` of a storage row (inverse of :func:`job_to_row`)."""

    def s(key: str) -> Any:
        v = row.get(key)
        return v.decode() if isinstance(v, bytes) else v

    sub = _unjson(s("subscriber"))
    created = from_epoch(s("created"))
    updated = from_epoch(s("updated"))
    assert created is not None and updated is not None
    return JobInfo(
        job_id=s("job_id"),
        process_id=s("process_id"),
        status=JobStatus(s("status")),
        created=created,
        updated=updated,
        started=from_epoch(s("started")),
        finished=from_epoch(s("finished")),
        progress=int(s("progress") or 0),
        message=s("message") or "",
        cache_key=s("cache_key") or None,
        cache_hit=bool(int(s("cache_hit") or 0)),
        error=_unjson(s("error")),
        subscriber=Subscriber(**sub) if sub else None,
        extra=_unjson(s("extra")) or {},
        owner=s("owner") or None,
        request_id=s("request_id") or None,
    )


def stamp_transition(
    current: Mapping[str, Any], status: JobStatus, fields: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    """Return the row updates of a transition to ``status`` (times, progress, fields).

    ``running`` sets ``started`` (unless set); a final state sets ``finished`` (a
    transition from a final state to itself — a note — keeps it);
    ``accepted`` (a re-queue) clears both. ``extra`` is merged into the stored extra.
    """
    t = at.timestamp()
    upd: dict[str, Any] = {"status": status.value, "updated": t}
    if status is JobStatus.running and not current.get("started"):
        upd["started"] = t
    if status is JobStatus.accepted:
        upd["started"] = None
        upd["finished"] = None
        upd["progress"] = 0
    if status.finished and current.get("status") != status.value:  # not on a note
        upd["finished"] = t
        if status is JobStatus.successful:
            upd["progress"] = 100
    for key, value in fields.items():
        if key not in MUTABLE_FIELDS:
            raise ValueError(f"cannot set job field {key!r}")
        if key == "extra":
            merged = dict(_unjson(current.get("extra")) or {})
            merged.update(value or {})
            upd["extra"] = _json(merged)
        elif key == "error":
            upd["error"] = _json(value)
        elif key == "cache_hit":
            upd["cache_hit"] = 1 if value else 0
        else:
            upd[key] = value
    return upd


class JobStore(abc.ABC):
    """Durable storage of jobs, their inputs and their results."""

    @abc.abstractmethod
    def create(
        self, job: JobInfo, inputs: bytes | None = None, result: bytes | None = None
    ) -> None:
        """Insert a new job, optionally with its inputs (msgpack) and result.

        The result is stored under :func:`result_address` unless that address holds
        a body already; the job references it.
        """

    @abc.abstractmethod
    def create_many(self, entries: Sequence[tuple[JobInfo, bytes | None]]) -> None:
        """Insert new jobs, each with an optional result, in one transaction.

        The group commit of synchronous executions (one write for a batch of jobs);
        results are stored as in :meth:`create`.
        """

    @abc.abstractmethod
    def get(self, job_id: str) -> JobInfo:
        """Return the job (raises :class:`~gsl_service.errors.NoSuchJob`)."""

    @abc.abstractmethod
    def transition(
        self,
        job_id: str,
        status: JobStatus,
        *,
        sources: Iterable[JobStatus] | None = None,
        **fields: Any,
    ) -> JobInfo | None:
        """Move the job to ``status`` if its current state is one of ``sources``.

        ``sources`` defaults to every state the state machine allows to reach
        ``status``. Returns the updated job, or ``None`` when the job is in another
        state (nothing is changed then). Raises NoSuchJob for an unknown id.
        """

    @abc.abstractmethod
    def set_progress(self, job_id: str, progress: int, message: str) -> bool:
        """Record progress of a running job; ``False`` when it is no longer running."""

    @abc.abstractmethod
    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        """Return a page of jobs (newest first) and the number of matching jobs."""

    @abc.abstractmethod
    def unfinished(self) -> list[JobInfo]:
        """Return every job that is ``accepted`` or ``running``."""

    @abc.abstractmethod
    def put_result(self, job_id: str, body: bytes, key: str | None = None) -> None:
        """Store the result document of a job under ``key`` (default: its sha256).

        The body is stored (as computed) only when no body is stored under ``key``;
        the job then references ``key`` (replacing an earlier reference).
        """

    @abc.abstractmethod
    def get_result(self, job_id: str) -> bytes | None:
        """Return the job's result document (with the job's hit flag), or ``None``."""

    @abc.abstractmethod
    def delete_result(self, job_id: str) -> None:
        """Drop the job's reference to its result; delete the body when unreferenced."""

    @abc.abstractmethod
    def count_results(self) -> int:
        """Return the number of stored result bodies (distinct content addresses)."""

    # -- parts of results (gsl_service.result_parts): blobs by content name -----------
    @abc.abstractmethod
    def put_blob(self, name: str, data: bytes) -> None:
        """Store a result part under its content name (kept ``blob_ttl_s`` since last use)."""

    @abc.abstractmethod
    def get_blob(self, name: str) -> bytes | None:
        """Return a stored result part (and mark it used), or ``None``."""

    @abc.abstractmethod
    def touch_blobs(self, names: Iterable[str]) -> None:
        """Mark parts used (a new job references a stored result that names them)."""

    @abc.abstractmethod
    def get_inputs(self, job_id: str) -> bytes | None:
        """Return the stored inputs (canonical JSON) of an async job, or ``None``."""

    @abc.abstractmethod
    def purge(self, finished_before: datetime) -> int:
        """Delete jobs finished before the cutoff, their inputs and their references.

        Result bodies no retained job references are deleted with them.
        """

    @abc.abstractmethod
    def bulk_insert(self, jobs: Iterable[JobInfo]) -> int:
        """Insert many finished jobs quickly (benchmarks, imports); return the count."""

    @abc.abstractmethod
    def count(self) -> int:
        """Return the number of stored jobs."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def make_store(settings: Settings) -> JobStore:
    """Return the job store the settings ask for (Redis when ``redis_url`` is set)."""
    if settings.redis_url:
        from gsl_service.jobs.store_redis import RedisJobStore

        return RedisJobStore.from_settings(settings)
    from gsl_service.jobs.store_sqlite import SQLiteJobStore

    settings.ensure_dirs()
    return SQLiteJobStore(settings.sqlite_path)
