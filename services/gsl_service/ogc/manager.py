"""The pygeoapi process manager plugin: what pygeoapi needs to list processes and jobs.

What it is for: pygeoapi's ``API`` object loads a manager by dotted path and asks
it for the processors it publishes (process list, descriptions, OpenAPI) and, in
its templates and helpers, for job records. Jobs live in the engine (embedded
process pool and SQLite, or Redis + RQ workers); this manager reads them from it.
It does not execute: the one execution road is :mod:`gsl_service.ogc.execute`
(the route) → the engine. The app attaches the engine after pygeoapi has
instantiated the manager (``api.manager.engine = engine``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from pygeoapi.process.base import BaseProcessor, JobNotFoundError, JobResultNotFoundError
from pygeoapi.process.manager.base import BaseManager

from gsl_service.errors import NoSuchJob, ServiceError
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus

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

    def execute_process(self, process_id: str, *args: Any, **kwargs: Any) -> Any:
        """Not a road: executions go through :func:`gsl_service.ogc.execute.execute`.

        The service has one execution road (the route calls ``execute``, which calls
        the engine); pygeoapi's own execute handler is never routed to.
        """
        raise NotImplementedError(
            f"process {process_id!r}: execute through gsl_service.ogc.execute.execute"
        )

    def __repr__(self) -> str:
        return f"<EngineManager> {self.name}"
