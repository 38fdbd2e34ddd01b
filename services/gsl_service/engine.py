"""The execution engine: result cache, job store and runners, behind one facade.

The OGC layer (``gsl_service.ogc``) and the CLI talk only to :class:`Engine`; the
engine knows nothing of HTTP. Embedded by default (in-memory cache, SQLite job store,
a bounded process pool); with ``GSL_REDIS_URL`` set, Redis cache and job store and RQ
workers (``gsl worker``).

INTERFACE CONTRACT (agreed between the OGC layer and the engine; keep it stable):

- ``Engine(settings)``; ``engine.start()`` / ``engine.close()`` in the app lifespan.
- ``engine.execute_sync(process_id, inputs, subscriber=None) -> Outcome``
  validates (raises :class:`InvalidInput`), resolves href inputs, looks up the cache,
  computes in a bounded worker pool on a miss (single flight), records a job
  (status successful or failed) and returns the result document bytes.
- ``engine.submit(process_id, inputs, subscriber=None) -> JobInfo``: validates, then
  records an ``accepted`` job and enqueues it (or marks it ``successful`` at once on a
  cache hit). Never loses the job.
- ``engine.get_job(job_id) -> JobInfo`` (raises :class:`NoSuchJob`).
- ``engine.list_jobs(JobFilter) -> tuple[list[JobInfo], int]`` (page, numberMatched).
- ``engine.get_result(job_id) -> bytes`` (raises NoSuchJob, ResultNotReady, JobFailed).
- ``engine.dismiss(job_id) -> JobInfo`` (stops a running job; status ``dismissed``;
  removes its stored result).
- Result document bytes are canonical JSON (``gsl_indicators.canonical``) of
  ``gsl_indicators.run.execute(...)`` plus ``provenance.cache = {"hit": bool, "key": str}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gsl_service.jobs.model import JobFilter, JobInfo, Subscriber


@dataclass
class Outcome:
    """What a synchronous execution returns."""

    job: JobInfo
    body: bytes  # canonical JSON of the result document
    cache_hit: bool


class Engine:
    """Facade over cache, job store and runners (to be implemented; see the contract)."""

    def __init__(self, settings: Any) -> None:
        raise NotImplementedError

    def execute_sync(
        self, process_id: str, inputs: dict[str, Any], subscriber: Subscriber | None = None
    ) -> Outcome:
        raise NotImplementedError

    def submit(
        self, process_id: str, inputs: dict[str, Any], subscriber: Subscriber | None = None
    ) -> JobInfo:
        raise NotImplementedError

    def get_job(self, job_id: str) -> JobInfo:
        raise NotImplementedError

    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        raise NotImplementedError

    def get_result(self, job_id: str) -> bytes:
        raise NotImplementedError

    def dismiss(self, job_id: str) -> JobInfo:
        raise NotImplementedError
