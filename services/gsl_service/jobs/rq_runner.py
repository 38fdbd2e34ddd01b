"""The distributed runner: enqueue jobs on RQ, stop them, and detect lost workers.

A job is enqueued under its own id with JSON-serialised arguments (job id and the
API's settings). :meth:`RQRunner.verdict` compares a job that our store thinks is
unfinished with what RQ knows of it; the engine's reconciler and ``get_job`` call it
so that a worker killed mid-job leaves the job ``failed`` ("worker lost") within
``GSL_WORKER_TTL_S`` plus ``GSL_RECONCILE_INTERVAL_S``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.job import JobStatus as RQStatus
from rq.serializers import JSONSerializer

from gsl_service.jobs.model import JobInfo, JobStatus
from gsl_service.jobs.worker import TASK, rq_queue

if TYPE_CHECKING:
    from gsl_service.settings import Settings

log = logging.getLogger(__name__)

#: Grace period before an ``accepted`` job missing from RQ is enqueued again.
REQUEUE_GRACE_S = 30.0


@dataclass
class Verdict:
    """What to do with an unfinished job: ``"requeue"`` or ``"fail"`` (with a reason)."""

    action: str
    reason: str = ""


class RQRunner:
    """Enqueue, stop and check jobs on RQ."""

    def __init__(self, settings: Settings, job_settings: Mapping[str, Any]) -> None:
        self.settings = settings
        self.job_settings = dict(job_settings)
        from gsl_service.redis_client import api_client

        assert settings.redis_url
        self.conn = api_client(settings.redis_url, settings.redis_timeout_s)
        self.queue = rq_queue(settings, self.conn)

    def enqueue(self, job_id: str) -> None:
        """Put the job on the queue (its RQ id is our job id)."""
        self.queue.enqueue_call(
            TASK,
            args=(job_id, self.job_settings),
            job_id=job_id,
            timeout=self.settings.job_timeout_s,
            result_ttl=600,
            failure_ttl=int(self.settings.job_retention_s),
            description=f"gsl job {job_id}",
        )

    def _fetch(self, job_id: str) -> Job | None:
        try:
            return Job.fetch(job_id, connection=self.conn, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def stop(self, job_id: str) -> None:
        """Cancel a queued job or stop a running one (its work horse is killed), and its tiles."""
        from gsl_service.jobs.tiles import stop_tiles

        try:
            stop_tiles(self.settings, job_id, conn=self.conn)
        except Exception:  # never keep the parent running because a tile would not stop
            log.exception("could not stop the tiles of job %s", job_id)
        rqjob = self._fetch(job_id)
        if rqjob is None:
            return
        status = rqjob.get_status(refresh=False)
        try:
            if status == RQStatus.STARTED:
                send_stop_job_command(self.conn, job_id, serializer=JSONSerializer)
            elif status in (RQStatus.QUEUED, RQStatus.DEFERRED, RQStatus.SCHEDULED):
                rqjob.cancel()
        except (InvalidJobOperation, NoSuchJobError) as err:
            log.info("could not stop RQ job %s: %s", job_id, err)

    def verdict(self, job: JobInfo, now: datetime) -> Verdict | None:
        """Return what to do with an unfinished job, or ``None`` when all is well."""
        rqjob = self._fetch(job.job_id)
        if rqjob is None:
            if job.status is JobStatus.accepted:
                if (now - job.updated).total_seconds() > REQUEUE_GRACE_S:
                    return Verdict("requeue", "the queue had lost the job")
                return None
            return Verdict("fail", "worker lost: the queue no longer knows the job")
        status = rqjob.get_status(refresh=False)
        if status in (RQStatus.FAILED, RQStatus.STOPPED, RQStatus.CANCELED):
            reason = f"worker lost: RQ reports the job {status.value}"
            try:
                result = rqjob.latest_result()
                if result is not None and result.exc_string:
                    reason += ": " + result.exc_string.strip().splitlines()[-1]
            except Exception:  # pragma: no cover - older result formats
                pass
            return Verdict("fail", reason)
        if status == RQStatus.STARTED:
            beat = rqjob.last_heartbeat or rqjob.started_at
            if beat is not None:
                if beat.tzinfo is None:
                    beat = beat.replace(tzinfo=UTC)
                silent = (now - beat).total_seconds()
                if silent > self.settings.worker_ttl_s:
                    return Verdict(
                        "fail",
                        f"worker lost: no heartbeat from worker {rqjob.worker_name} "
                        f"for {silent:.0f} s",
                    )
            return None
        if status == RQStatus.FINISHED and job.status is JobStatus.running:
            return Verdict("fail", "worker lost: the job ended without storing a result")
        return None

    def close(self) -> None:
        """Close the connection pool."""
        self.conn.close()
