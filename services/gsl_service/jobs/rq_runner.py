"""The distributed runner: enqueue jobs on RQ, stop them, and detect lost workers.

A job is enqueued under its own id with JSON-serialised arguments (job id and the
API's settings). :meth:`RQRunner.verdict` compares a job that our store thinks is
unfinished with what RQ knows of it; the engine's reconciler and ``get_job`` call it
so that a worker killed mid-job leaves the job ``failed`` ("worker lost") within
``GSL_WORKER_TTL_S`` plus ``GSL_RECONCILE_INTERVAL_S``.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import time
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
from gsl_service.jobs.worker import TASK, THREAD_START_FAILED, rq_queue

if TYPE_CHECKING:
    from gsl_service.settings import Settings

log = logging.getLogger(__name__)

#: Grace period before an ``accepted`` job missing from RQ is enqueued again.
REQUEUE_GRACE_S = 30.0
#: Least grace before an ``accepted`` job that a worker took off the queue and never
#: started is enqueued again (normally it starts within milliseconds).
TAKEN_GRACE_S = 10.0


@dataclass
class Verdict:
    """What to do with an unfinished job: ``"requeue"`` or ``"fail"`` (with a reason)."""

    action: str
    reason: str = ""


def horse_ended(said: str) -> str:
    """Return RQ's last line on a failed job, with what a work horse's end means added.

    RQ reports a work horse that ended by itself as ``waitpid returned <status>`` (the raw
    wait status): one that exited with :data:`~gsl_service.jobs.worker.THREAD_START_FAILED`
    could not start a thread, and one killed by SIGKILL was most likely out of memory.

    Examples
    --------
    >>> horse_ended("Work-horse terminated unexpectedly; waitpid returned 17920; ")
    'Work-horse terminated unexpectedly; waitpid returned 17920; (exit code 70: a new thread could not start, out of memory: GSL_WORKER_MEMORY_MB)'
    >>> horse_ended("Work-horse terminated unexpectedly; waitpid returned 9; ")[-59:]
    '(killed by SIGKILL: out of memory, or stopped from outside)'
    >>> horse_ended("ValueError: no")
    'ValueError: no'
    """
    found = re.search(r"waitpid returned (\d+)", said)
    if found is None:
        return said
    status = int(found.group(1))
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == THREAD_START_FAILED:
        why = "a new thread could not start, out of memory: GSL_WORKER_MEMORY_MB"
        return f"{said.rstrip()} (exit code {THREAD_START_FAILED}: {why})"
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return f"{said.rstrip()} (killed by SIGKILL: out of memory, or stopped from outside)"
    return said


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
        """Put the job on the queue (its RQ id is our job id).

        What a lost worker left of an earlier take is cleared first (see
        :meth:`_taken_and_lost`): else RQ's own clean-up would later fail the new run as
        "stuck in intermediate queue".
        """
        self._clear_take(job_id)
        self.queue.enqueue_call(
            TASK,
            args=(job_id, self.job_settings),
            job_id=job_id,
            timeout=self.settings.job_timeout_s,
            result_ttl=600,
            failure_ttl=int(self.settings.job_retention_s),
            description=f"gsl job {job_id}",
        )

    def _taken_key(self, job_id: str) -> str:
        return f"{self.settings.redis_prefix}taken:{job_id}"

    def _clear_take(self, job_id: str) -> None:
        registry = self.queue.started_job_registry
        entries: list[bytes] = self.conn.zrange(registry.key, 0, -1)  # type: ignore[assignment]
        stale = [entry for entry in entries if registry.parse_job_id(entry) == job_id]
        pipe = self.conn.pipeline()
        pipe.lrem(self.queue.intermediate_queue_key, 0, job_id)
        if stale:
            pipe.zrem(registry.key, *stale)
        pipe.delete(self._taken_key(job_id))
        pipe.execute()

    def _taken_and_lost(self, job_id: str) -> float | None:
        """Return how long ago a worker took the queued job off the queue, if it did.

        A worker moves a job from the queue to its intermediate list (BLMOVE) and then
        forks a work horse that marks it started. Redis going away in between (or the
        worker dying) leaves it there with RQ's status ``queued`` and ours ``accepted``:
        on no queue, run by no one. ``None`` while the job waits on the queue. The
        first sighting is kept in Redis (``{prefix}taken:<id>``), shared by every API
        process; seconds since then otherwise.
        """
        if self.conn.lpos(self.queue.key, job_id) is not None:
            return None
        now_s = time.time()
        key = self._taken_key(job_id)
        self.conn.set(key, repr(now_s), nx=True, ex=3600)
        seen = self.conn.get(key)
        return now_s - float(seen) if seen is not None else 0.0

    def _fetch(self, job_id: str) -> Job | None:
        try:
            return Job.fetch(job_id, connection=self.conn, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def stop(self, job_id: str) -> None:
        """Cancel a queued job or stop a running one (its work horse is killed), and its tiles."""
        try:
            self._stop(job_id)
        finally:
            from gsl_service.jobs.tiles import stop_tiles

            try:
                stop_tiles(self.settings, job_id, conn=self.conn)
            except Exception:  # never fail a dismissal because a tile would not stop
                log.exception("could not stop the tiles of job %s", job_id)

    def _stop(self, job_id: str) -> None:
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
                    reason += ": " + horse_ended(result.exc_string.strip().splitlines()[-1])
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
        if status == RQStatus.QUEUED and job.status is JobStatus.accepted:
            taken = self._taken_and_lost(job.job_id)
            grace = max(TAKEN_GRACE_S, 2.0 * self.settings.worker_heartbeat_s)
            if taken is not None and taken > grace:
                return Verdict("requeue", "a worker took the job and was lost before it started")
        return None

    def close(self) -> None:
        """Close the connection pool."""
        self.conn.close()
