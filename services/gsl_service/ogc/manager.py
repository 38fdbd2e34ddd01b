"""The pygeoapi process manager plugin that delegates jobs to our :class:`Engine`.

pygeoapi's own managers run async jobs as threads inside the web process and keep
jobs in TinyDB; this one hands everything to the engine (embedded process pool and
SQLite, or Redis + RQ workers). The app attaches the engine after pygeoapi has
instantiated the manager (``api.manager.engine = engine``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from pygeoapi.process.base import BaseProcessor, JobNotFoundError, JobResultNotFoundError
from pygeoapi.process.manager.base import BaseManager
from pygeoapi.util import JobStatus as PgJobStatus
from pygeoapi.util import RequestedProcessExecutionMode

from gsl_service.errors import NoSuchJob, ServiceError
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus, Subscriber

if TYPE_CHECKING:
    from gsl_service.engine import Engine


def job_record(job: JobInfo) -> dict[str, Any]:
    """Return ``job`` as the dict pygeoapi's job functions and templates expect."""
    return {
        "type": "process",
        "identifier": job.job_id,
        "process_id": job.process_id,
        "status": job.status.value,
        "message": job.message,
        "progress": job.progress,
        "created": job.created.isoformat(),
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "updated": job.updated.isoformat(),
        "mimetype": "application/json",
        "parameters": None,
    }


class EngineManager(BaseManager):
    """Process manager whose jobs, results and execution live in the engine."""

    def __init__(self, manager_def: dict[str, Any]) -> None:
        super().__init__(manager_def)
        self.is_async = True
        self.supports_subscribing = True
        self.engine: Engine | None = None
        self._processors: dict[str, BaseProcessor] = {}

    def _engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("EngineManager used before an engine was attached")
        return self.engine

    def get_processor(self, process_id: str) -> BaseProcessor:
        """Return the (cached) processor of ``process_id``."""
        if process_id not in self._processors:
            self._processors[process_id] = super().get_processor(process_id)
        return self._processors[process_id]

    def get_jobs(
        self, status: Any = None, limit: int | None = None, offset: int | None = None
    ) -> dict[str, Any]:
        """Return a page of jobs (pygeoapi's interface; our /jobs handler filters more)."""
        flt = JobFilter(limit=limit or 10, offset=offset or 0)
        if status is not None:
            flt.statuses = [JobStatus(getattr(status, "value", status))]
        jobs, matched = self._engine().list_jobs(flt)
        return {"jobs": [job_record(j) for j in jobs], "numberMatched": matched}

    def get_job(self, job_id: str) -> dict[str, Any]:
        """Return one job as a pygeoapi job dict."""
        try:
            return job_record(self._engine().get_job(job_id))
        except NoSuchJob as err:
            raise JobNotFoundError(job_id) from err

    def get_job_result(self, job_id: str) -> tuple[str, Any]:
        """Return ``("application/json", result document)`` of a finished job."""
        try:
            body = self._engine().get_result(job_id)
        except NoSuchJob as err:
            raise JobNotFoundError(job_id) from err
        except ServiceError as err:
            raise JobResultNotFoundError(str(err)) from err
        return "application/json", orjson.loads(body)

    def delete_job(self, job_id: str) -> bool:
        """Dismiss ``job_id`` (stops it when running)."""
        try:
            self._engine().dismiss(job_id)
        except NoSuchJob as err:
            raise JobNotFoundError(job_id) from err
        return True

    def add_job(self, job_metadata: dict[str, Any]) -> str:
        """Jobs are recorded by the engine; pygeoapi never adds them here."""
        raise NotImplementedError("jobs are created by the engine")

    def update_job(self, job_id: str, update_dict: dict[str, Any]) -> bool:
        """Jobs are updated by the engine; pygeoapi never updates them here."""
        raise NotImplementedError("jobs are updated by the engine")

    def execute_process(
        self,
        process_id: str,
        data_dict: dict[str, Any],
        execution_mode: RequestedProcessExecutionMode | None = None,
        requested_outputs: dict[str, Any] | None = None,
        subscriber: Any = None,
        requested_response: Any = "raw",
    ) -> tuple[str, str, Any, PgJobStatus, dict[str, str] | None]:
        """Execute through the engine (pygeoapi's interface; our handler is the main road)."""
        sub = None
        if subscriber is not None:
            sub = Subscriber(
                success_uri=subscriber.success_uri,
                in_progress_uri=subscriber.in_progress_uri,
                failed_uri=subscriber.failed_uri,
            )
        engine = self._engine()
        if execution_mode == RequestedProcessExecutionMode.respond_async:
            job = engine.submit(process_id, data_dict, sub)
            return (
                job.job_id,
                "application/json",
                None,
                PgJobStatus(job.status.value),
                {"Preference-Applied": "respond-async"},
            )
        outcome = engine.execute_sync(process_id, data_dict, sub)
        return (
            outcome.job.job_id,
            "application/json",
            orjson.loads(outcome.body),
            PgJobStatus(outcome.job.status.value),
            None,
        )

    def __repr__(self) -> str:
        return f"<EngineManager> {self.name}"
