"""The engine's contract with the HTTP layer, and the dependency that hands it out.

:class:`ExecutionEngine` is what the OGC routes use of the engine (a
:class:`typing.Protocol`: :class:`gsl_service.engine.Engine` satisfies it without
naming it). Routes receive it through FastAPI's dependency injection
(``Depends(get_engine)``), so a test can swap in another implementation with
``app.dependency_overrides[get_engine] = lambda: fake``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Request

from gsl_service.errors import ServiceError

if TYPE_CHECKING:
    from gsl_indicators.core.spec import Registry
    from gsl_service.cache import RequestKeys
    from gsl_service.callbacks import CallbackPoster
    from gsl_service.engine import Outcome
    from gsl_service.inputs import Fetcher
    from gsl_service.jobs.model import JobFilter, JobInfo, Subscriber
    from gsl_service.settings import Settings


class ExecutionEngine(Protocol):
    """What the OGC layer needs of an engine (see :mod:`gsl_service.engine`)."""

    settings: Settings
    registry: Registry
    request_keys: RequestKeys
    fetcher: Fetcher
    poster: CallbackPoster

    def precheck(self, process_id: str, inputs: Mapping[str, Any]) -> None:
        """Refuse (400) a request that cannot run, before its references are fetched."""
        ...

    def execute_sync(
        self, process_id: str, inputs: dict[str, Any], subscriber: Subscriber | None = None
    ) -> Outcome:
        """Execute now; record the job (when the job store answers)."""
        ...

    def execute_cached(
        self, process_id: str, key: str, subscriber: Subscriber | None = None
    ) -> Outcome | None:
        """Serve a request whose cache key is known; ``None`` on a miss."""
        ...

    def submit(
        self,
        process_id: str,
        inputs: dict[str, Any],
        subscriber: Subscriber | None = None,
        shape: Mapping[str, Any] | None = None,
    ) -> JobInfo:
        """Record an ``accepted`` job and enqueue it."""
        ...

    def get_job(self, job_id: str) -> JobInfo:
        """Return a job (raises ``NoSuchJob``)."""
        ...

    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        """Return a page of jobs and the number matched."""
        ...

    def get_job_result(self, job_id: str, hydrate: bool = True) -> tuple[JobInfo, bytes]:
        """Return a successful job and its result document bytes.

        ``hydrate=False``: as stored, large per-feature outputs as placeholders (see
        ``gsl_service.result_parts``).
        """
        ...

    def get_blob(self, name: str) -> bytes | None:
        """Return a stored result part (``<sha256>.parquet``: a GeoParquet file), or ``None``."""
        ...

    def dismiss(self, job_id: str) -> JobInfo:
        """Dismiss a job."""
        ...

    def annotate(self, job_id: str, message: str, extra: Mapping[str, Any]) -> JobInfo | None:
        """Set a successful job's message and merge ``extra`` (``None``: not successful)."""
        ...

    def readiness(self) -> dict[str, bool]:
        """Return whether each backing service answers (``{"redis": True}``; ``{}`` embedded)."""
        ...


class EngineNotRunning(ServiceError):
    """The app was used without its lifespan (no engine attached)."""

    status = 503
    ogc_type = "server-error"
    title = "Service unavailable"
    retry_after = 5


def get_engine(request: Request) -> ExecutionEngine:
    """FastAPI dependency: the app's engine (503 before the lifespan has started it)."""
    engine: ExecutionEngine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        raise EngineNotRunning("the execution engine is not running")
    return engine
