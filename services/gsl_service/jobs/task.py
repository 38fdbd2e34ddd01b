"""The functions that run in worker processes: pool children and RQ work horses.

* :func:`compute_document` — a synchronous execution in the sync process pool: run
  the kernel, return the canonical result bytes (marked as a cache miss).
* :func:`run_job` — an async job, by id: load its inputs from the job store, mark it
  ``running`` (recording the process id), compute with a progress callback that writes
  ``progress``/``message`` to the store and posts throttled inProgress callbacks,
  store the result and mark it ``successful`` (or ``failed`` with a problem document),
  post the success / failure callback. A job dismissed or declared lost meanwhile is
  interrupted at its next progress report and its late result is discarded.
* :func:`run_rq_job` — the RQ entry point (JSON-serialised arguments, never pickle).

Errors cross the process boundary as :class:`TaskError` carrying a problem document
(``InputError`` itself cannot be unpickled).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from collections.abc import Mapping
from typing import Any

import msgpack

from gsl_indicators.core import run
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.core.tiling import TileOptions
from gsl_service import observer, result_parts
from gsl_service.cache import RedisCache, finish_document
from gsl_service.callbacks import CallbackPoster, callback_status
from gsl_service.errors import InvalidInput, JobFailed
from gsl_service.jobs.model import JobInfo, JobStatus
from gsl_service.jobs.store import JobStore, make_store, now
from gsl_service.jobs.tiles import tile_options
from gsl_service.settings import Settings

log = logging.getLogger(__name__)

RUNNABLE = (JobStatus.accepted, JobStatus.running)


class TaskError(Exception):
    """A failed computation, carrying its RFC 7807 problem document (picklable)."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem)
        self.problem = problem

    def __str__(self) -> str:
        return str(self.problem.get("detail", ""))

    def to_service_error(self) -> InvalidInput | JobFailed:
        """Return the service error to raise for a synchronous execution."""
        p = self.problem
        if p.get("status") == 400:
            return InvalidInput(str(p.get("detail")), input_name=p.get("input"))
        return JobFailed(str(p.get("detail")))


class JobAborted(Exception):
    """The job is no longer ``running`` in the store (dismissed or declared lost)."""


def input_problem(err: InputError) -> dict[str, Any]:
    """Return the problem document of a kernel's :class:`InputError`."""
    return InvalidInput(str(err), input_name=err.input_name).problem()


def failure_problem(detail: str) -> dict[str, Any]:
    """Return the problem document of a job that failed for another reason."""
    return JobFailed(detail).problem()


def failure_detail(err: BaseException) -> str:
    """Return what the problem of a job that failed with ``err`` says: its type and message.

    Where memory ran out (``MemoryError``, or GEOS's ``std::bad_alloc``) it says so, and
    what the operator or the client can do: the process's bound is the workers'
    ``GSL_WORKER_MEMORY_MB`` (an address-space bound).

    Examples
    --------
    >>> failure_detail(ValueError("no"))
    'ValueError: no'
    >>> failure_detail(MemoryError()).split(":")[0]
    'out of memory (MemoryError)'
    >>> failure_detail(RuntimeError("std::bad_alloc")).split(":")[0]
    'out of memory (RuntimeError'
    """
    said = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    if isinstance(err, MemoryError) or "std::bad_alloc" in str(err):
        return (
            f"out of memory ({said}): the job needed more memory than its process may use "
            "(the workers' GSL_WORKER_MEMORY_MB); a large request of a tileable indicator "
            "needs less in tiles (GSL_TILE_ENABLED), or run it on workers with more memory"
        )
    return said


def pack_inputs(inputs: Mapping[str, Any], digests: Mapping[str, str]) -> bytes:
    """Serialise a job's resolved inputs and digests (msgpack: keeps raw bytes)."""
    return msgpack.packb({"inputs": dict(inputs), "digests": dict(digests)}, use_bin_type=True)


def unpack_inputs(blob: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """Inverse of :func:`pack_inputs`."""
    d = msgpack.unpackb(blob, raw=False, strict_map_key=False)
    return d["inputs"], d["digests"]


def compute_document(
    process_id: str,
    inputs: Mapping[str, Any],
    digests: Mapping[str, str],
    key: str,
    on_progress: Any = None,
    tiles: TileOptions | None = None,
    parts: dict[str, bytes] | None = None,
    stored_features_max: int = 0,
    moved: list[Any] | None = None,
) -> bytes:
    """Run the kernel and return the canonical result bytes (``hit: false``).

    With ``tiles``, a large request of a tileable indicator runs in tiles
    (:mod:`gsl_service.jobs.tiles`). With ``parts`` (a dict to fill), per-feature
    outputs of more than ``stored_features_max`` features are moved out of the document
    into ``parts`` (:mod:`gsl_service.result_parts`): the bytes returned hold placeholders;
    ``moved`` (a list) keeps those outputs alive until the caller lets it go.

    Raises
    ------
    TaskError
        With a 400 problem for an ``InputError``, a 500 problem otherwise.
    """
    indicator = registry().get(process_id)
    try:
        doc = run.execute(indicator, inputs, on_progress=on_progress, digests=digests, tiles=tiles)
    except InputError as err:
        raise TaskError(input_problem(err)) from None
    except JobAborted:
        raise
    except Exception as err:
        log.exception("process %s failed", process_id)
        raise TaskError(failure_problem(failure_detail(err))) from None
    if parts is not None and stored_features_max > 0:
        parts.update(result_parts.split_document(doc, stored_features_max, moved=moved))
    return finish_document(doc, key)


# --- per-process resources ---------------------------------------------------------
_SETTINGS: dict[str, Settings] = {}
_STORES: dict[tuple[Any, ...], JobStore] = {}
_POSTERS: dict[tuple[Any, ...], CallbackPoster] = {}
_CACHES: dict[tuple[Any, ...], RedisCache] = {}


def _settings(d: Mapping[str, Any]) -> Settings:
    import orjson

    k = orjson.dumps(dict(d), option=orjson.OPT_SORT_KEYS).decode()
    s = _SETTINGS.get(k)
    if s is None:
        s = _SETTINGS[k] = Settings(**d)
    return s


_CLIENTS: dict[tuple[Any, ...], Any] = {}


def _redis(url: str) -> Any:
    """One Redis client per process and URL, shared by the store and the cache."""
    k = (os.getpid(), url)
    client = _CLIENTS.get(k)
    if client is None:
        from gsl_service.jobs.worker import connect

        # retried with backoff: a job running while Redis restarts stalls, then finishes
        client = _CLIENTS[k] = connect(url, retry=True)
    return client


def _store(s: Settings) -> JobStore:
    k = (os.getpid(), s.redis_url, s.redis_prefix, str(s.sqlite_path))
    store = _STORES.get(k)
    if store is None:
        if s.redis_url:
            from gsl_service.jobs.store_redis import RedisJobStore

            store = RedisJobStore(_redis(s.redis_url), s.redis_prefix, blob_ttl_s=s.blob_ttl_s)
        else:
            store = make_store(s)
        _STORES[k] = store
    return store


def _poster(s: Settings) -> CallbackPoster:
    k = (os.getpid(), s.fetch_allowlist, s.callback_retries, s.callback_timeout_s)
    poster = _POSTERS.get(k)
    if poster is None:
        poster = _POSTERS[k] = CallbackPoster.from_settings(s)
    return poster


def _redis_cache(s: Settings) -> RedisCache | None:
    if not s.redis_url:
        return None
    k = (os.getpid(), s.redis_url, s.redis_prefix)
    cache = _CACHES.get(k)
    if cache is None:
        cache = _CACHES[k] = RedisCache(
            _redis(s.redis_url),
            s.redis_prefix,
            ttl_s=s.cache_ttl_s,
            lock_ttl_s=s.cache_lock_ttl_s,
            max_bytes=s.cache_max_bytes,
        )
    return cache


class Progress:
    """Progress callback of a running job: store writes and inProgress callbacks."""

    def __init__(
        self, store: JobStore, poster: CallbackPoster, job: JobInfo, settings: Settings
    ) -> None:
        self.store = store
        self.poster = poster
        self.job = job
        self.callback_interval = settings.progress_interval_s
        self.write_interval = 0.25
        self._last_write = 0.0
        self._last_post = 0.0
        self._last: tuple[int, str] | None = None

    def __call__(self, fraction: float, message: str) -> None:
        """Record ``fraction`` (0..1) done at stage ``message`` (throttled).

        The percentage never goes back: a run that starts again (a tiled run reading
        every layer whole after all) holds it while it catches up.
        """
        pct = max(0, min(100, round(fraction * 100)))
        if self._last is not None:
            pct = max(pct, self._last[0])
        t = time.monotonic()
        if (pct, message) == self._last:
            return
        if t - self._last_write < self.write_interval and pct < 100 and self._last is not None:
            return
        self._last = (pct, message)
        self._last_write = t
        if not self.store.set_progress(self.job.job_id, pct, message):
            raise JobAborted(self.job.job_id)
        sub = self.job.subscriber
        if sub and sub.in_progress_uri and t - self._last_post >= self.callback_interval:
            self._last_post = t
            snapshot = dataclasses.replace(self.job, progress=pct, message=message, updated=now())
            self.poster.post(sub.in_progress_uri, callback_status(snapshot))


def use_spool_of(settings: Mapping[str, Any]) -> None:
    """Make this process read file sources by reference through the spool of ``settings``.

    Every process that runs kernels on jobs' inputs calls it: :func:`run_job` (RQ work
    horses, async pool children) and the sync pool's children (their initializer).
    """
    from gsl_service.spool import use_spool

    use_spool(_settings(settings))


def run_job(settings: Mapping[str, Any], job_id: str) -> bytes | None:
    """Run the async job ``job_id``; return its result bytes as computed, or ``None``.

    ``None`` means that nothing was computed here (the job was no longer runnable,
    was interrupted, failed, or its result came from the shared cache).
    """
    s = _settings(settings)
    use_spool_of(settings)
    store = _store(s)
    poster = _poster(s)
    job = store.transition(
        job_id,
        JobStatus.running,
        sources=RUNNABLE,
        message="running",
        extra={"pid": os.getpid(), "host": socket.gethostname()},
    )
    if job is None:
        return None  # dismissed (or finished) before it started
    blob = store.get_inputs(job_id)
    if blob is None:
        failed = store.transition(
            job_id,
            JobStatus.failed,
            sources=RUNNABLE,
            message="failed",
            error=failure_problem("the job's inputs were not found in the job store"),
        )
        if failed is not None:
            _final_callback(poster, failed, None)
        return None
    inputs, digests = unpack_inputs(blob)
    progress = Progress(store, poster, job, s)
    key = job.cache_key or ""
    computed = False
    parts: dict[str, bytes] = {}
    # the large outputs moved into parts: freed once the job is marked successful and its
    # final callback sent (when run_job returns), not before; a subscriber's whole
    # document is made after they are freed
    moved: list[Any] = []

    def compute() -> bytes:
        nonlocal computed
        computed = True
        # metrics: seen by `gsl worker --metrics-port` (embedded: the API observes the job)
        with observer.timed(job.process_id, "async"):
            body = compute_document(
                job.process_id,
                inputs,
                digests,
                key,
                on_progress=progress,
                tiles=tile_options(s, job_id),
                parts=parts,
                stored_features_max=s.stored_features_max,
                moved=moved,
            )
        for name, blob in parts.items():  # before the document that names them
            store.put_blob(name, blob)
        return body

    try:
        cache = _redis_cache(s)
        if cache is not None and key:
            body, hit = cache.get_or_compute(key, compute, owner=job_id)
        else:
            body, hit = compute(), False
    except JobAborted:
        return None
    except TaskError as err:
        failed = store.transition(
            job_id, JobStatus.failed, sources=RUNNABLE, message="failed", error=err.problem
        )
        if failed is not None:
            _final_callback(poster, failed, None)
        return None
    except Exception as err:  # infrastructure (Redis down, ...)
        log.exception("job %s failed", job_id)
        failed = store.transition(
            job_id,
            JobStatus.failed,
            sources=RUNNABLE,
            message="failed",
            error=failure_problem(failure_detail(err)),
        )
        if failed is not None:
            _final_callback(poster, failed, None)
        return None
    named = [p.sha256 for p in result_parts.parts_in(body)]
    if named and not computed:  # a stored result used again: its parts live on
        store.touch_blobs([n + suffix for n in named for suffix in ("", result_parts.PARQUET)])
    store.put_result(job_id, body, key or None)  # once per key; the job references it
    done = store.transition(
        job_id,
        JobStatus.successful,
        sources=(JobStatus.running,),
        message="done",
        cache_hit=hit,
    )
    if done is None:  # dismissed or declared lost meanwhile: discard the late result
        store.delete_result(job_id)
        return None
    if done.subscriber is not None and named:  # subscribers get the whole document
        moved.clear()  # not beside the whole document
        body_whole = result_parts.hydrate(body, lambda n: parts.get(n) or store.get_blob(n))
        _final_callback(poster, done, body_whole)
    else:
        _final_callback(poster, done, body)
    return body if computed else None


def _final_callback(poster: CallbackPoster, job: JobInfo, body: bytes | None) -> None:
    """Post the final callback and wait for it (a work horse exits right after)."""
    fut = poster.notify(job, body)
    if fut is not None:
        try:
            fut.result()
        except Exception:  # never fail a job because of its callback
            log.exception("callback of job %s failed", job.job_id)


def run_rq_job(job_id: str, settings: Mapping[str, Any]) -> None:
    """RQ entry point: run the job with the API's settings (the worker's Redis URL)."""
    import gsl_service.jobs.worker as worker

    d = dict(settings)
    if worker.WORKER_SETTINGS is not None and worker.WORKER_SETTINGS.redis_url:
        d["redis_url"] = worker.WORKER_SETTINGS.redis_url
    if worker.WORKER_SETTINGS is not None:  # the worker's own disk, not the API's
        d["spool_dir"] = str(worker.WORKER_SETTINGS.spool_path.resolve())
        d["spool_max_bytes"] = worker.WORKER_SETTINGS.spool_max_bytes
    run_job(d, job_id)
