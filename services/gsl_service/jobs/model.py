"""The job record, its states and the job-list filter (OGC API - Processes statusInfo)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from gsl_service.context import current_client_id, current_owner_scope, current_request_id


class JobStatus(StrEnum):
    """OGC API - Processes 1.0 job states."""

    accepted = "accepted"
    running = "running"
    successful = "successful"
    failed = "failed"
    dismissed = "dismissed"

    @property
    def finished(self) -> bool:
        """Return whether the state is final."""
        return self in (JobStatus.successful, JobStatus.failed, JobStatus.dismissed)


@dataclass
class Subscriber:
    """Callback URLs of an execute request (OGC callback conformance class)."""

    success_uri: str | None = None
    in_progress_uri: str | None = None
    failed_uri: str | None = None


@dataclass
class JobInfo:
    """One job, as stored and as shown in statusInfo.

    Times are timezone-aware UTC datetimes. ``error`` holds the problem document of a
    failed job (its ``type``, ``status`` and ``detail``).
    """

    job_id: str
    process_id: str
    status: JobStatus
    created: datetime
    updated: datetime
    started: datetime | None = None
    finished: datetime | None = None
    progress: int = 0
    message: str = ""
    cache_key: str | None = None
    cache_hit: bool = False
    error: dict[str, Any] | None = None
    subscriber: Subscriber | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: key id of the API key that created the job (never the key); by default the
    #: current request's (:mod:`gsl_service.context`), ``None`` when keys are off.
    #: Not ``extra["owner"]``, which names the engine instance running the job.
    owner: str | None = field(default_factory=current_client_id)
    #: ``X-Request-ID`` of the request that created the job (default: the current one)
    request_id: str | None = field(default_factory=current_request_id)

    @property
    def duration_s(self) -> float | None:
        """Return the run time in seconds (until now for an unfinished job)."""
        if self.started is None:
            return None
        end = self.finished or self.updated
        return (end - self.started).total_seconds()

    def status_info(self) -> dict[str, Any]:
        """Return the OGC statusInfo document of this job, without links.

        Times are UTC with a ``Z``; a failed job's message is its problem's detail. The
        HTTP layer adds links, callbacks add the problem document; both start here.

        Examples
        --------
        >>> t = datetime(2026, 11, 28, tzinfo=UTC)
        >>> JobInfo("j", "echo", JobStatus.running, t, t, progress=40).status_info()["created"]
        '2026-11-28T00:00:00Z'
        """
        message = self.message
        if self.status == JobStatus.failed and self.error and self.error.get("detail"):
            message = str(self.error["detail"])
        doc: dict[str, Any] = {
            "type": "process",
            "jobID": self.job_id,
            "processID": self.process_id,
            "status": self.status.value,
            "message": message,
            "progress": int(self.progress),
            "created": _iso(self.created),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "updated": _iso(self.updated),
        }
        return {k: v for k, v in doc.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible dict (datetimes as ISO 8601 strings)."""
        d = asdict(self)
        for k in ("created", "updated", "started", "finished"):
            if d[k] is not None:
                d[k] = d[k].isoformat()
        d["status"] = self.status.value
        return d


def _iso(value: datetime | None) -> str | None:
    """Return ``value`` as ISO 8601 in UTC with a ``Z`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class JobFilter:
    """The OGC job-list query: all fields optional; ``datetime`` is an interval."""

    process_ids: list[str] | None = None
    statuses: list[JobStatus] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    limit: int = 10
    offset: int = 0
    #: only the jobs of this key id; by default the current request's limit (API keys
    #: on, a key without ``admin``: its own jobs), so no job list can forget it
    owner: str | None = field(default_factory=current_owner_scope)


#: The job state machine: the states a job may move to from each state. ``dismiss``
#: may end any job (a finished job's result is then removed); final states are
#: otherwise never left, so a late worker cannot overwrite a dismissal or a
#: "worker lost" verdict.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.accepted: frozenset(
        {JobStatus.running, JobStatus.successful, JobStatus.failed, JobStatus.dismissed}
    ),
    JobStatus.running: frozenset(
        {JobStatus.accepted, JobStatus.successful, JobStatus.failed, JobStatus.dismissed}
    ),
    JobStatus.successful: frozenset({JobStatus.dismissed}),
    JobStatus.failed: frozenset({JobStatus.dismissed}),
    JobStatus.dismissed: frozenset(),
}


def sources_of(target: JobStatus) -> tuple[JobStatus, ...]:
    """Return the states from which a job may move to ``target``.

    Examples
    --------
    >>> [s.value for s in sources_of(JobStatus.running)]
    ['accepted']
    """
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)
