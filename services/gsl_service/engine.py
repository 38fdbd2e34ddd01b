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
- ``engine.execute_cached(process_id, key, subscriber=None) -> Outcome | None``:
  the cache hit of a request whose key is known (``engine.request_keys``, a memo of
  raw request digests filled by the OGC layer); ``None`` when the key is not cached.
- ``engine.submit(process_id, inputs, subscriber=None, shape=None) -> JobInfo``: validates, then
  records an ``accepted`` job and enqueues it (or marks it ``successful`` at once on a
  cache hit). Never loses the job.
- ``engine.get_job(job_id) -> JobInfo`` (raises :class:`NoSuchJob`).
- ``engine.list_jobs(JobFilter) -> tuple[list[JobInfo], int]`` (page, numberMatched).
- ``engine.get_result(job_id) -> bytes`` (raises NoSuchJob, ResultNotReady, JobFailed);
  ``engine.get_job_result(job_id) -> (JobInfo, bytes)`` the same with the job.
- ``engine.dismiss(job_id) -> JobInfo`` (stops a running job; status ``dismissed``;
  removes its stored result).
- Result document bytes are canonical JSON (``gsl_indicators.core.canonical``) of
  ``gsl_indicators.core.run.execute(...)`` plus ``provenance.cache = {"hit": bool, "key": str}``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pebble import ProcessExpired

from gsl_indicators.core import run
from gsl_indicators.core.spec import Indicator, InputError, Registry, registry
from gsl_service import observer, result_parts
from gsl_service.cache import (
    RequestKeys,
    ResultCache,
    as_hit,
    cache_key,
    make_cache,
    positive_zero,
)
from gsl_service.callbacks import CallbackPoster
from gsl_service.errors import (
    InvalidInput,
    JobFailed,
    NoSuchJob,
    NoSuchProcess,
    ResultNotReady,
    TimeLimitExceeded,
)
from gsl_service.inputs import AddressGuard, Fetcher, has_href, unwrap_values
from gsl_service.jobs.embedded import POOL_RETRIES, WorkerLost, lost_reason, never_ran
from gsl_service.jobs.group_commit import GroupCommit
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus, Subscriber
from gsl_service.jobs.store import JobStore, make_store, now
from gsl_service.jobs.task import (
    RUNNABLE,
    TaskError,
    failure_detail,
    failure_problem,
    pack_inputs,
)
from gsl_service.redis_client import REDIS_DOWN, Outage
from gsl_service.settings import Settings
from gsl_service.spool import Spool

log = logging.getLogger(__name__)

#: why a job the pool lost just as a child took it failed (it may have started)
BROKE_AS_IT_STARTED = (
    "the process pool broke (a worker process was lost) just as the job started; send it again"
)


@dataclass
class Outcome:
    """What a synchronous execution returns."""

    job: JobInfo
    body: bytes  # canonical JSON of the result document
    cache_hit: bool
    #: Whether the job is in the job store (not when recording is off or Redis is away).
    recorded: bool = True


@dataclass
class Prepared:
    """A validated request: parameters after defaults, resolved inputs, digests, key."""

    indicator: Indicator
    params: dict[str, Any]
    inputs: dict[str, Any]
    digests: dict[str, str]
    key: str
    fetched: list[str] = field(default_factory=list)


def _parameter_by_reference(indicator: Indicator, inputs: Mapping[str, Any]) -> bool:
    """Return whether one of ``indicator``'s parameters is given by href (a card)."""
    names = {p.name for p in indicator.parameters}
    return has_href({k: v for k, v in inputs.items() if k in names})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Engine:
    """Facade over result cache, job store and runners (see the module docstring).

    Parameters
    ----------
    settings : Settings, optional
        Defaults to ``Settings()`` (the environment).
    indicators : Registry, optional
        The processes (default: every registered indicator). Pool children and RQ
        workers always use the global registry, so a custom registry only narrows
        what is published.
    """

    def __init__(self, settings: Settings | None = None, indicators: Registry | None = None):
        s = settings or Settings()
        self.settings = s.model_copy(update={"data_dir": Path(s.data_dir).resolve()})
        self.registry = indicators or registry()
        self.store: JobStore = make_store(self.settings)
        self.cache: ResultCache = make_cache(self.settings)
        self.fetcher = Fetcher(
            AddressGuard(self.settings.fetch_allowlist),
            max_bytes=self.settings.fetch_max_bytes,
            timeout_s=self.settings.fetch_timeout_s,
            max_pages=self.settings.fetch_max_pages,
        )
        # files by reference are streamed here at submission; jobs keep the reference
        self.fetcher.spool = Spool(
            self.settings.spool_path, self.settings.spool_max_bytes, self.fetcher.fetch_to
        )
        self.poster = CallbackPoster.from_settings(self.settings)
        # sync job records: concurrent executions share one store write
        self._records: GroupCommit[tuple[JobInfo, bytes | None]] = GroupCommit(
            self.store.create_many
        )
        #: raw request digest -> (cache key, OGC envelope); see ``execute_cached``
        self.request_keys = RequestKeys()
        #: job store found away: sync executions are answered unrecorded meanwhile
        self._store_outage = Outage()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._job_settings = self.settings.model_dump(mode="json")
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sync_pool: Any = None
        self._async_pool: Any = None
        self._rq: Any = None
        # embedded async single flight: cache key -> the job computing it, the jobs
        # waiting for it, and job -> key (see ``_admit``)
        self._flights: dict[str, str] = {}
        self._waiting: dict[str, list[str]] = {}
        self._flight_of: dict[str, str] = {}
        self._pool_retries: dict[str, int] = {}  # jobs offered again: pool broke first
        self._flight_lock = threading.Lock()

    # -- life cycle --------------------------------------------------------------------
    @property
    def distributed(self) -> bool:
        """Return whether jobs run on RQ workers (``GSL_REDIS_URL`` set)."""
        return self.settings.distributed

    def start(self) -> None:
        """Start pools and background maintenance; re-run jobs a previous process left."""
        with self._lock:
            if self._started:
                return
            if self._closed:
                raise RuntimeError("engine is closed")
            from gsl_service.jobs.embedded import AsyncPool, SyncPool

            memory_mb = self.settings.worker_memory_mb
            self._sync_pool = SyncPool(
                self.settings.sync_workers, memory_mb=memory_mb, settings=self._job_settings
            )
            if self.distributed:
                from gsl_service.jobs.rq_runner import RQRunner

                self._rq = RQRunner(self.settings, self._job_settings)
            else:
                self._async_pool = AsyncPool(
                    self.settings.async_workers,
                    self._job_settings,
                    self._on_async_done,
                    admit=self._admit,
                    timeout_s=self.settings.job_timeout_s,
                    memory_mb=memory_mb,
                )
            self._started = True
        run.warm_key_versions()
        if not self.distributed:
            self.recover()
        self._spawn(self._maintenance_loop, "gsl-maintenance")

    def _spawn(self, target: Any, name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _ensure_started(self) -> None:
        if not self._started:
            self.start()

    def close(self) -> None:
        """Stop background threads and pools; unfinished jobs stay for the next start."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        if self._async_pool is not None:
            self._async_pool.close()
        if self._sync_pool is not None:
            self._sync_pool.close()
        if self._rq is not None:
            self._rq.close()
        self.poster.close(wait=False)
        self.fetcher.close()
        self.cache.close()
        self.store.close()

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- preparation -------------------------------------------------------------------
    def indicator(self, process_id: str) -> Indicator:
        """Return the declaration of ``process_id`` (raises NoSuchProcess)."""
        if process_id not in self.registry:
            raise NoSuchProcess(f"no process with id '{process_id}'")
        return self.registry.get(process_id)

    def precheck(self, process_id: str, inputs: Mapping[str, Any]) -> None:
        """Refuse, before any reference is fetched, a request that cannot run.

        The parameters and the indicator's own check (:meth:`prepare` does it all
        again once the references are fetched): a misspelt profile or an unknown card
        is a 400 at once, not after the province's layers came in. A request with a
        parameter given by reference is checked only once it is fetched; one with
        nothing by reference is left to :meth:`prepare`, which checks it before
        anything else (checked twice, a 200,000-feature inline variant cost 0.25–0.33 s more).
        """
        ind = self.indicator(process_id)
        if not isinstance(inputs, Mapping) or not has_href(inputs):
            return  # prepare names it / checks it first, with nothing to fetch
        plain = unwrap_values(inputs)
        if _parameter_by_reference(ind, plain):
            return
        try:
            run.prepare(ind, plain)
        except InputError as err:
            raise InvalidInput(str(err), input_name=err.input_name) from None

    def prepare(self, process_id: str, inputs: Mapping[str, Any]) -> Prepared:
        """Validate, fetch href inputs, digest and key a request (raises InvalidInput)."""
        ind = self.indicator(process_id)
        if not isinstance(inputs, Mapping):
            raise InvalidInput("'inputs' must be an object", input_name="inputs")
        # the indicator's own check waits for a parameter given by href (a card), not
        # for the layers: a bad inline card is refused before any layer is fetched
        try:
            params = run.prepare(ind, inputs, check=not _parameter_by_reference(ind, inputs))
        except InputError as err:
            raise InvalidInput(str(err), input_name=err.input_name) from None
        resolved: dict[str, Any] = dict(inputs)
        fetched: list[str] = []
        if has_href(inputs):
            resolved, fetched = self.fetcher.resolve(inputs)
            if any(p.name in fetched for p in ind.parameters):
                try:
                    params = run.prepare(ind, resolved)
                except InputError as err:
                    raise InvalidInput(str(err), input_name=err.input_name) from None
        # -0.0 is 0.0: the same key, and the same provenance whichever was computed
        params = positive_zero(params)
        names = {p.name for p in ind.parameters}
        resolved = {k: positive_zero(v) if k in names else v for k, v in resolved.items()}
        try:
            digests = run.input_digests(ind, resolved)
            key = cache_key(
                ind.id, run.key_version(ind), run.key_parameters(ind, params, inputs), digests
            )
        except (TypeError, ValueError) as err:
            raise InvalidInput(f"inputs cannot be serialised: {err}", input_name="inputs") from None
        return Prepared(ind, params, resolved, digests, key, fetched)

    def _new_job(self, prep: Prepared, status: JobStatus, **kw: Any) -> JobInfo:
        t = now()
        return JobInfo(
            job_id=str(uuid.uuid4()),
            process_id=prep.indicator.id,
            status=status,
            created=t,
            updated=t,
            cache_key=prep.key,
            **kw,
        )

    # -- synchronous -------------------------------------------------------------------
    def execute_sync(
        self, process_id: str, inputs: dict[str, Any], subscriber: Subscriber | None = None
    ) -> Outcome:
        """Execute now (cache, single flight, bounded process pool); record the job."""
        self._ensure_started()
        prep = self.prepare(process_id, inputs)
        created = now()

        limit = self.settings.sync_timeout_s

        def compute() -> bytes:
            with observer.timed(prep.indicator.id, "sync"):  # metrics
                result: bytes = self._sync_pool.compute(
                    prep.indicator.id, prep.inputs, prep.digests, prep.key, timeout=limit
                )
            return result

        try:
            body, hit = self.cache.get_or_compute(prep.key, compute)
        except TaskError as err:
            self._record_sync_failure(prep, created, err.problem, subscriber)
            raise err.to_service_error() from None
        except TimeoutError:  # pebble stopped the child process
            late = TimeLimitExceeded(
                f"the execution ran longer than the time limit of {limit:g} s "
                "(GSL_SYNC_TIMEOUT_S) and was stopped; run it as a job "
                "(Prefer: respond-async) or with a smaller input"
            )
            self._record_sync_failure(prep, created, late.problem(), subscriber)
            raise late from None
        except (WorkerLost, CancelledError) as err:
            problem = failure_problem(
                f"worker lost: {err}; the pool has started a new worker process, "
                "the request can be sent again"
                if isinstance(err, WorkerLost)
                else f"worker lost: {err}"
            )
            self._record_sync_failure(prep, created, problem, subscriber)
            raise JobFailed(str(problem["detail"])) from None
        return self._record_sync_success(
            prep.indicator.id, prep.key, created, body, hit, subscriber
        )

    def execute_cached(
        self, process_id: str, key: str, subscriber: Subscriber | None = None
    ) -> Outcome | None:
        """Serve a request whose cache key is known from the cache; ``None`` on a miss.

        The fast path of a repeated request: the OGC layer remembers the key of the
        raw request bytes (:attr:`request_keys`), so parsing, validating and digesting
        them again is skipped. Records the job like :meth:`execute_sync`.
        """
        self._ensure_started()
        self.indicator(process_id)
        created = now()
        cached = self.cache.get(key)
        if cached is None:
            return None
        return self._record_sync_success(
            process_id, key, created, as_hit(cached, key), True, subscriber
        )

    def _record_sync_success(
        self,
        process_id: str,
        key: str,
        created: Any,
        body: bytes,
        hit: bool,
        subscriber: Subscriber | None,
    ) -> Outcome:
        observer.cache_lookup(hit)  # metrics
        t = now()
        job = JobInfo(
            job_id=str(uuid.uuid4()),
            process_id=process_id,
            status=JobStatus.successful,
            created=created,
            updated=t,
            started=created,
            finished=t,
            progress=100,
            message="served from the result cache" if hit else "done",
            cache_key=key,
            cache_hit=hit,
            subscriber=subscriber,
            extra={"mode": "sync"},
        )
        recorded = False
        if self.settings.record_sync_jobs:
            # stored once per key; a hit adds a reference (and no bytes) to the store
            try:
                self._keep_parts(body)
                self._records.submit((job, body))
                recorded = True
                self._store_outage.clear()
            except REDIS_DOWN as err:  # the answer matters more than its record
                self._store_outage.mark(err)  # logged once per outage
        body = self._whole(body)  # the caller answers the whole document
        self.poster.notify(job, body)
        return Outcome(job, body, hit, recorded=recorded)

    def _record_sync_failure(
        self,
        prep: Prepared,
        created: Any,
        problem: dict[str, Any],
        subscriber: Subscriber | None,
    ) -> None:
        t = now()
        job = JobInfo(
            job_id=str(uuid.uuid4()),
            process_id=prep.indicator.id,
            status=JobStatus.failed,
            created=created,
            updated=t,
            started=created,
            finished=t,
            message="failed",
            cache_key=prep.key,
            error=problem,
            subscriber=subscriber,
            extra={"mode": "sync"},
        )
        if self.settings.record_sync_jobs:
            try:
                self.store.create(job)
            except REDIS_DOWN as err:
                self._store_outage.mark(err)
        self.poster.notify(job)

    # -- results stored in parts (gsl_service.result_parts) ----------------------------
    def _whole(self, body: bytes) -> bytes:
        """Return ``body`` with its parts put back (a document computed by a job)."""
        return result_parts.hydrate(body, self.store.get_blob)

    def _keep_parts(self, body: bytes) -> None:
        """Extend the life of the parts a stored document names (a new job uses it)."""
        named = [p.sha256 for p in result_parts.parts_in(body)]
        if named:
            self.store.touch_blobs(
                [n + suffix for n in named for suffix in ("", result_parts.PARQUET)]
            )

    def get_blob(self, name: str) -> bytes | None:
        """Return a stored result part (a GeoParquet file ``<sha256>.parquet``), or ``None``."""
        return self.store.get_blob(name)

    # -- asynchronous ------------------------------------------------------------------
    def submit(
        self,
        process_id: str,
        inputs: dict[str, Any],
        subscriber: Subscriber | None = None,
        shape: Mapping[str, Any] | None = None,
    ) -> JobInfo:
        """Validate, record an ``accepted`` job and enqueue it (cache hit: done at once).

        ``shape`` (the request's ``response`` and ``outputs``, JSON) is kept with the
        job as ``extra["shape"]`` for the OGC layer to apply when the results are read;
        the stored result stays the whole document, shared by every job of its key.
        Embedded, identical jobs compute once: see :meth:`_admit`.
        """
        self._ensure_started()
        prep = self.prepare(process_id, inputs)
        extra: dict[str, Any] = {"mode": "async"}
        if shape:
            extra["shape"] = dict(shape)
        cached = self.cache.get(prep.key)
        observer.cache_lookup(cached is not None)  # metrics
        if cached is not None:
            t = now()
            body = as_hit(cached, prep.key)
            job = self._new_job(
                prep,
                JobStatus.successful,
                started=t,
                finished=t,
                progress=100,
                message="served from the result cache",
                cache_hit=True,
                subscriber=subscriber,
                extra=extra,
            )
            self._keep_parts(cached)
            self.store.create(job, result=cached)  # a reference when the body is stored
            if subscriber is not None:
                self.poster.notify(job, self._whole(body))
            return job
        job = self._new_job(
            prep,
            JobStatus.accepted,
            message="accepted",
            subscriber=subscriber,
            extra={**extra, "owner": self.owner, "attempts": 0},
        )
        self.store.create(job, inputs=pack_inputs(prep.inputs, prep.digests))
        self._dispatch(job)
        return job

    def _dispatch(self, job: JobInfo) -> None:
        try:
            if self.distributed:
                self._rq.enqueue(job.job_id)
            else:
                self._async_pool.submit(job.job_id)
        except REDIS_DOWN as err:
            # recorded ``accepted``: the reconciler enqueues it when Redis answers again
            log.warning("job %s not enqueued yet: Redis is away (%s)", job.job_id, err)
        except Exception as err:
            log.exception("could not enqueue job %s", job.job_id)
            self._fail(job.job_id, f"could not enqueue the job: {type(err).__name__}: {err}")

    def _fail(self, job_id: str, reason: str) -> JobInfo | None:
        failed = self.store.transition(
            job_id,
            JobStatus.failed,
            sources=RUNNABLE,
            message=reason.split(":")[0],
            error=failure_problem(reason),
        )
        if failed is not None:
            self.poster.notify(failed)
        return failed

    def _on_async_done(self, job_id: str, fut: Future[Any]) -> None:
        """Complete an embedded job: fill the cache, or record a lost worker.

        Then the jobs waiting for it start (as cache hits, or one runs itself). A job
        the pool lost before it started (:func:`~gsl_service.jobs.embedded.never_ran`)
        is offered again, after them (one of them may compute it first: it is then a
        cache hit), up to ``POOL_RETRIES`` times.
        """
        again = False
        try:
            again = self._job_done(job_id, fut)
        finally:
            self._release(job_id)
        if again:
            self._resubmit([job_id])
        else:
            self._pool_retries.pop(job_id, None)

    def _job_done(self, job_id: str, fut: Future[Any]) -> bool:
        """Record how an embedded job's future ended; return whether to offer it again."""
        if fut.cancelled():
            return False
        try:
            body = fut.result()
        except (ProcessExpired, BrokenProcessPool) as err:
            if self._closed:
                return False
            reason = lost_reason(err)
            if never_ran(err):
                try:
                    started = self.store.get(job_id).status is not JobStatus.accepted
                except NoSuchJob:
                    return False
                if not started and self._pool_retries.get(job_id, 0) < POOL_RETRIES:
                    self._pool_retries[job_id] = self._pool_retries.get(job_id, 0) + 1
                    log.warning("job %s: the pool broke before it started; again", job_id)
                    return True
                if started:  # a child took it as the pool broke (its word came too late)
                    reason = BROKE_AS_IT_STARTED
            self._fail(job_id, f"worker lost: {reason}")
            return False
        except CancelledError:
            return False
        except TimeoutError:  # pebble stopped the child process
            if not self._closed:
                self._fail(
                    job_id,
                    f"time limit exceeded: the job ran longer than "
                    f"{self.settings.job_timeout_s} s (GSL_JOB_TIMEOUT_S) and was stopped",
                )
            return False
        except Exception as err:
            if not self._closed:
                self._fail(job_id, failure_detail(err))
            return False
        if body:
            try:
                done = self.store.get(job_id)
            except NoSuchJob:
                return False
            key = done.cache_key
            if key:
                self.cache.put(key, body)
            observer.execution(done.process_id, done.duration_s, "async")  # metrics
        return False

    # -- embedded single flight for async jobs ---------------------------------------
    def _admit(self, job_id: str) -> bool:
        """Decide, as an embedded job is about to start, whether it computes.

        Called by the async pool when a child is free for the job. The job does not
        compute (``False``) when it is no longer ``accepted`` (dismissed), when its
        result is in the cache by now (it is finished as a cache hit here), or when a
        job of the same cache key is computing — in this engine's async pool or as a
        synchronous execution: it then waits, ``accepted``, and is offered to the pool
        again when that computation ends (a hit then; if it failed or was dismissed,
        the first waiter computes and the others wait for it). Pool children cannot see
        the API's in-memory cache, so the decision is taken here.
        """
        try:
            job = self.store.get(job_id)
        except NoSuchJob:
            return False
        retried = self._pool_retries.get(job_id, 0) > 0
        if job.status is not JobStatus.accepted:
            if retried and job.status is JobStatus.running:
                # offered again as never started, then started by a child of the broken
                # pool after all — which its retirement kills: nothing else would end it
                self._fail(job_id, f"worker lost: {BROKE_AS_IT_STARTED}")
            self._pool_retries.pop(job_id, None)
            return False
        key = job.cache_key
        if not key:
            return True
        leader: str | None = None
        sync_flight: Future[bytes] | None = None
        with self._flight_lock:
            cached = self.cache.get(key)  # under the lock: a leader puts, then releases
            if cached is None:
                leader = self._flights.get(key)
                if leader is None:
                    sync_flight = self.cache.inflight_future(key)
                    if sync_flight is None:
                        self._flights[key] = job_id
                        self._flight_of[job_id] = key
                        return True
                else:
                    self._waiting.setdefault(key, []).append(job_id)
        if cached is not None:
            self._pool_retries.pop(job_id, None)
            self._finish_as_hit(job, cached)
            return False
        if leader is not None:
            self.store.transition(
                job_id,
                JobStatus.accepted,
                sources=(JobStatus.accepted,),
                message=f"waiting for job {leader} (the same request)",
                extra={"waits_for": leader},
            )
            return False
        assert sync_flight is not None
        # a synchronous execution computes it: offer the job again when it ends
        sync_flight.add_done_callback(lambda _f: self._resubmit([job_id]))
        return False

    def _release(self, job_id: str) -> None:
        """End the flight of ``job_id`` (if it led one); re-offer its waiting jobs."""
        with self._flight_lock:
            key = self._flight_of.pop(job_id, None)
            if key is None or self._flights.get(key) != job_id:
                return
            del self._flights[key]
            waiting = self._waiting.pop(key, [])
        self._resubmit(waiting)

    def _resubmit(self, job_ids: list[str]) -> None:
        if self._closed or self._async_pool is None:
            return
        if job_ids:
            self._async_pool.requeue(job_ids)  # to the front of the queue, in their order

    def _finish_as_hit(self, job: JobInfo, cached: bytes) -> None:
        """Finish an ``accepted`` job with the cached result (``cache.hit: true``)."""
        key = job.cache_key or ""
        if (
            self.store.transition(job.job_id, JobStatus.running, sources=(JobStatus.accepted,))
            is None
        ):
            return  # dismissed meanwhile
        self.store.put_result(job.job_id, cached, key)
        done = self.store.transition(
            job.job_id,
            JobStatus.successful,
            sources=(JobStatus.running,),
            message="served from the result cache",
            cache_hit=True,
        )
        if done is None:  # dismissed meanwhile
            self.store.delete_result(job.job_id)
            return
        self.poster.notify(done, as_hit(cached, key))

    def annotate(self, job_id: str, message: str, extra: Mapping[str, Any]) -> JobInfo | None:
        """Set the message of a successful job and merge ``extra`` (e.g. a write-back).

        ``None`` when the job is not (or no longer) successful.
        """
        return self.store.transition(
            job_id,
            JobStatus.successful,
            sources=(JobStatus.successful,),
            message=message,
            extra=dict(extra),
        )

    # -- readiness ---------------------------------------------------------------------
    def readiness(self) -> dict[str, bool]:
        """Return whether each backing service answers now: ``{"redis": bool}``, or ``{}``.

        Embedded, nothing outside the process is needed. Distributed, the job store's
        Redis must answer a PING (within ``GSL_REDIS_TIMEOUT_S``).
        """
        if not self.distributed:
            return {}
        from gsl_service.redis_client import ping

        return {"redis": ping(getattr(self.store, "r", None))}

    # -- queries -----------------------------------------------------------------------
    def get_job(self, job_id: str) -> JobInfo:
        """Return the job (raises NoSuchJob); checks the worker of a running RQ job."""
        job = self.store.get(job_id)
        if self._rq is not None and job.status in RUNNABLE:
            job = self._reconcile_one(job) or job
        return job

    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        """Return a page of jobs (newest first) and the number matched."""
        return self.store.list_jobs(flt)

    def get_result(self, job_id: str) -> bytes:
        """Return the result document bytes of a successful job."""
        return self.get_job_result(job_id)[1]

    def get_job_result(self, job_id: str, hydrate: bool = True) -> tuple[JobInfo, bytes]:
        """Return a successful job and its result document bytes (see :meth:`get_result`).

        The job's ``extra["shape"]`` holds the response shape its request asked for.
        ``hydrate=False`` returns the document as stored: its large per-feature outputs
        as placeholders of parts (:mod:`gsl_service.result_parts`), which the results
        routes answer by reference without reading them.
        """
        job = self.get_job(job_id)
        if job.status is JobStatus.successful:
            body = self.store.get_result(job_id)
            if body is None:
                raise NoSuchJob(f"the result of job '{job_id}' is no longer stored")
            if hydrate:
                try:
                    body = result_parts.hydrate(body, self.store.get_blob)
                except LookupError as err:
                    raise NoSuchJob(f"the result of job '{job_id}': {err}") from None
            return job, body
        if job.status is JobStatus.failed:
            raise JobFailed.from_problem(job.error or {}, "the job failed")
        if job.status is JobStatus.dismissed:
            raise NoSuchJob(f"job '{job_id}' was dismissed")
        raise ResultNotReady(f"job '{job_id}' is {job.status.value}; its result is not ready")

    def dismiss(self, job_id: str) -> JobInfo:
        """Dismiss a job: stop it when running, status ``dismissed``, remove its result."""
        job = self.store.get(job_id)
        if job.status is JobStatus.dismissed:
            return job
        done = self.store.transition(job_id, JobStatus.dismissed, message="dismissed")
        if job.status in RUNNABLE or (done is None):
            self._stop_execution(job_id)
            self._release_lock(job)
        self.store.delete_result(job_id)
        return self.store.get(job_id)

    def _release_lock(self, job: JobInfo) -> None:
        """Release the computation lock a stopped or lost job may hold (distributed).

        Its work horse was stopped or lost, so it renews the lease no more; an identical
        request then takes the lock at once instead of waiting for the lease
        (``GSL_CACHE_LOCK_TTL_S``) to run out. Only the job's own lock is released.
        """
        if self._rq is not None and job.cache_key:
            try:
                if self.cache.release_lock_of(job.cache_key, job.job_id):
                    log.info("released the lock of job %s", job.job_id)
            except Exception:  # never fail a dismissal or a verdict for it
                log.exception("could not release the lock of job %s", job.job_id)

    def _stop_execution(self, job_id: str) -> None:
        try:
            if self._async_pool is not None:
                self._async_pool.cancel(job_id)
            if self._rq is not None:
                self._rq.stop(job_id)
        except Exception:  # never fail a dismissal because stopping failed
            log.exception("could not stop job %s", job_id)

    # -- maintenance -------------------------------------------------------------------
    def recover(self) -> int:
        """Re-run (or fail) embedded jobs that a previous process left unfinished.

        A job belongs to the engine that accepted it (``extra.owner`` = host, pid,
        engine id). Jobs of a live engine in another process are left alone; the
        others are re-queued while ``attempts < GSL_MAX_RESTARTS`` and their inputs
        are stored, else marked failed with the reason.
        """
        host = socket.gethostname()
        count = 0
        for job in self.store.unfinished():
            owner = str(job.extra.get("owner", ""))
            if owner == self.owner:
                continue
            parts = owner.split(":")
            if len(parts) == 3 and parts[0] == host and parts[1].isdigit():
                pid = int(parts[1])
                if pid != os.getpid() and _pid_alive(pid):
                    continue
            attempts = int(job.extra.get("attempts", 0))
            if attempts < self.settings.max_restarts and self.store.get_inputs(job.job_id):
                again = self.store.transition(
                    job.job_id,
                    JobStatus.accepted,
                    sources=RUNNABLE,
                    message="re-queued after a restart of the service",
                    extra={"owner": self.owner, "attempts": attempts + 1},
                )
                if again is not None:
                    self._dispatch(again)
                    count += 1
            else:
                self._fail(job.job_id, "interrupted by a restart of the service")
                count += 1
        return count

    def _reconcile_one(self, job: JobInfo) -> JobInfo | None:
        verdict = self._rq.verdict(job, now())
        if verdict is None:
            return None
        if verdict.action == "requeue":
            attempts = int(job.extra.get("attempts", 0))
            if attempts >= self.settings.max_restarts:  # a job that loses every worker
                return self._fail(
                    job.job_id, f"{verdict.reason}; given up after {attempts} re-queues"
                )
            again = self.store.transition(
                job.job_id,
                JobStatus.accepted,
                sources=(JobStatus.accepted,),
                message="re-queued",
                extra={"attempts": attempts + 1},
            )
            if again is not None:
                self._dispatch(again)
            return again
        failed = self._fail(job.job_id, verdict.reason)
        if failed is not None:  # a lost parent's tiles are of no use to anyone now
            self._stop_execution(job.job_id)
            self._release_lock(job)
        return failed

    def reconcile(self) -> int:
        """Check every unfinished RQ job once; return how many were changed."""
        if self._rq is None:
            return 0
        changed = 0
        for job in self.store.unfinished():
            try:
                if self._reconcile_one(job) is not None:
                    changed += 1
            except REDIS_DOWN:
                raise
            except Exception:  # keep reconciling the others
                log.exception("reconciling job %s failed", job.job_id)
        return changed

    def purge(self) -> int:
        """Delete finished jobs and results older than ``GSL_JOB_RETENTION_S``."""
        cutoff = now() - timedelta(seconds=self.settings.job_retention_s)
        return self.store.purge(cutoff)

    def _maintenance_loop(self) -> None:
        interval = self.settings.reconcile_interval_s if self.distributed else 30.0
        next_purge = 0.0
        import time

        away = False
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                if t >= next_purge:
                    self.purge()
                    next_purge = t + self.settings.purge_interval_s
                self.reconcile()
                away = False
            except REDIS_DOWN as err:  # one line per outage, not a traceback per round
                if not away:
                    log.warning("maintenance paused: Redis is away (%s)", err)
                away = True
            except Exception:
                log.exception("maintenance failed")
            self._stop.wait(min(interval, self.settings.purge_interval_s))
