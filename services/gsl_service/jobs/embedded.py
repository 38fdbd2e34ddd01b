"""Embedded runners: bounded pebble process pools for sync executions and async jobs.

Processes, not threads: CPU-bound kernels use every core and never hold the API's
event loop or GIL. pebble's futures can cancel a *running* task (the child is
terminated and replaced), which is what dismissing a job needs. Children are forked
from a forkserver that has the kernels imported, so they start fast and never inherit
the API's threads.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from pebble import ProcessPool

from gsl_service.jobs import task

log = logging.getLogger(__name__)

_PRELOAD = ["gsl_service.jobs.preload"]


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _noop() -> None:
    """Do nothing (a first task makes the pool start a child)."""


def _warm(memory_mb: int = 0, settings: Mapping[str, Any] | None = None) -> None:
    """Pool initializer: bound the child's memory, import every kernel once.

    With ``settings`` the child reads files by reference through their spool.
    """
    from gsl_indicators.core.spec import registry
    from gsl_service.jobs.worker import limit_memory

    limit_memory(memory_mb)
    registry()
    if settings is not None:
        task.use_spool_of(settings)


class SyncPool:
    """A bounded process pool that computes result documents.

    Parameters
    ----------
    workers : int
        Number of processes.
    memory_mb : int
        Address-space bound of each child (``GSL_WORKER_MEMORY_MB``; 0: none).
    settings : Mapping, optional
        The settings (JSON form): the children read files by reference through the
        spool they name (:mod:`gsl_service.spool`).
    """

    def __init__(
        self, workers: int, memory_mb: int = 0, settings: Mapping[str, Any] | None = None
    ) -> None:
        self.pool = ProcessPool(
            max_workers=workers,
            initializer=_warm,
            initargs=(memory_mb, dict(settings) if settings is not None else None),
            context=_context(),
        )
        self.pool.schedule(_noop)  # start the forkserver and a child in the background

    def compute(
        self,
        process_id: str,
        inputs: Mapping[str, Any],
        digests: Mapping[str, str],
        key: str,
        timeout: float | None = None,
    ) -> bytes:
        """Compute in a child; raise :class:`~gsl_service.jobs.task.TaskError` on failure.

        Past ``timeout`` seconds the child is stopped and :class:`TimeoutError` raised.
        """
        fut = self.pool.schedule(
            task.compute_document,
            args=(process_id, dict(inputs), dict(digests), key),
            timeout=timeout,
        )
        return fut.result()

    def close(self) -> None:
        """Stop the pool (running computations are terminated)."""
        self.pool.stop()
        self.pool.join(timeout=10)


class AsyncPool:
    """A bounded process pool running async jobs by id, with cancellation.

    The pool keeps its own queue and hands a job to a child only when a child is
    free, asking ``admit(job_id)`` first: the engine answers ``False`` when it has
    dealt with the job itself at that moment (its result is in the cache by now, an
    identical job is computing, or it was dismissed), so a job that waited in the
    queue never computes what is known already.

    Parameters
    ----------
    workers : int
        Number of processes.
    settings : Mapping
        The settings (JSON form) handed to :func:`~gsl_service.jobs.task.run_job`.
    on_done : callable
        ``on_done(job_id, future)`` once a job's future is done (also when cancelled).
    admit : callable, optional
        ``admit(job_id) -> bool``, called (without the pool's lock) just before the
        job would start; ``False`` leaves it out. Default: admit every job.
    timeout_s : float, optional
        Time limit of a job: its child is stopped and its future raises
        :class:`TimeoutError` (``GSL_JOB_TIMEOUT_S``).
    memory_mb : int
        Address-space bound of each child (``GSL_WORKER_MEMORY_MB``; 0: none).
    """

    def __init__(
        self,
        workers: int,
        settings: Mapping[str, Any],
        on_done: Callable[[str, Future[Any]], None],
        admit: Callable[[str], bool] | None = None,
        timeout_s: float | None = None,
        memory_mb: int = 0,
    ) -> None:
        self.pool = ProcessPool(
            max_workers=workers,
            initializer=_warm,
            initargs=(memory_mb, dict(settings)),
            context=_context(),
        )
        self.timeout_s = timeout_s
        self.workers = max(1, workers)
        self.settings = dict(settings)
        self.on_done = on_done
        self.admit = admit or (lambda job_id: True)
        self._futures: dict[str, Future[Any]] = {}
        self._pending: deque[str] = deque()
        self._starting = 0  # jobs taken from the queue, being admitted
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, job_id: str) -> None:
        """Queue the job; start queued jobs while children are free."""
        with self._lock:
            self._pending.append(job_id)
        self._pump()

    def requeue(self, job_ids: Sequence[str]) -> None:
        """Queue jobs before the others, in their order (jobs that waited)."""
        with self._lock:
            self._pending.extendleft(reversed(job_ids))
        self._pump()

    def _pump(self) -> None:
        """Start queued jobs while fewer than ``workers`` run."""
        while True:
            with self._lock:
                busy = len(self._futures) + self._starting
                if self._closed or not self._pending or busy >= self.workers:
                    return
                job_id = self._pending.popleft()
                self._starting += 1
            fut: Future[Any] | None = None
            try:
                if self._admit(job_id):
                    fut = self.pool.schedule(
                        task.run_job, args=(self.settings, job_id), timeout=self.timeout_s
                    )
                    with self._lock:
                        self._futures[job_id] = fut
            finally:
                with self._lock:
                    self._starting -= 1
            if fut is not None:
                fut.add_done_callback(functools.partial(self._done, job_id))

    def _admit(self, job_id: str) -> bool:
        try:
            return bool(self.admit(job_id))
        except Exception:  # pragma: no cover - run it rather than lose it
            log.exception("admission of job %s failed; running it", job_id)
            return True

    def _done(self, job_id: str, fut: Future[Any]) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        try:
            self.on_done(job_id, fut)
        except Exception:  # pragma: no cover - never kill pebble's thread
            log.exception("completion handler of job %s failed", job_id)
        self._pump()

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (a running child is terminated).

        A job still in the pool's queue is removed from it and ``on_done`` gets a
        cancelled future, as for a running one.
        """
        with self._lock:
            fut = self._futures.get(job_id)
            queued = fut is None and job_id in self._pending
            if queued:
                self._pending.remove(job_id)
        if queued:
            cancelled: Future[Any] = Future()
            cancelled.cancel()
            self._done(job_id, cancelled)
            return True
        return bool(fut is not None and fut.cancel())

    def running(self) -> int:
        """Return the number of jobs queued or running in this pool."""
        with self._lock:
            return len(self._futures) + len(self._pending)

    def close(self) -> None:
        """Stop the pool.

        Running jobs are terminated and stay ``running`` in the store, to be re-run by
        the next start; so do queued ones.
        """
        with self._lock:
            self._closed = True
            self._pending.clear()
        self.pool.stop()
        self.pool.join(timeout=10)
