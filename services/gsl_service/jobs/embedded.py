"""Embedded runners: bounded pebble process pools for sync executions and async jobs.

Processes, not threads: CPU-bound kernels use every core and never hold the API's
event loop or GIL. pebble's futures can cancel a *running* task (the child is
terminated and replaced), which is what dismissing a job needs. Children are forked
from a forkserver that has the kernels imported, so they start fast and never inherit
the API's threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Mapping
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


def _warm() -> None:
    """Pool initializer: import every kernel once per child."""
    from gsl_indicators.spec import registry

    registry()


class SyncPool:
    """A bounded process pool that computes result documents.

    Parameters
    ----------
    workers : int
        Number of processes.
    """

    def __init__(self, workers: int) -> None:
        self.pool = ProcessPool(max_workers=workers, initializer=_warm, context=_context())
        self.pool.schedule(_noop)  # start the forkserver and a child in the background

    def compute(
        self,
        process_id: str,
        inputs: Mapping[str, Any],
        digests: Mapping[str, str],
        key: str,
        timeout: float | None = None,
    ) -> bytes:
        """Compute in a child; raise :class:`~gsl_service.jobs.task.TaskError` on failure."""
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

    Parameters
    ----------
    workers : int
        Number of processes.
    settings : Mapping
        The settings (JSON form) handed to :func:`~gsl_service.jobs.task.run_job`.
    on_done : callable
        ``on_done(job_id, future)`` once a job's future is done (also when cancelled).
    """

    def __init__(
        self,
        workers: int,
        settings: Mapping[str, Any],
        on_done: Callable[[str, Future[Any]], None],
    ) -> None:
        self.pool = ProcessPool(max_workers=workers, initializer=_warm, context=_context())
        self.settings = dict(settings)
        self.on_done = on_done
        self._futures: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        """Schedule the job."""
        fut = self.pool.schedule(task.run_job, args=(self.settings, job_id))
        with self._lock:
            self._futures[job_id] = fut
        fut.add_done_callback(lambda f: self._done(job_id, f))

    def _done(self, job_id: str, fut: Future[Any]) -> None:
        with self._lock:
            self._futures.pop(job_id, None)
        try:
            self.on_done(job_id, fut)
        except Exception:  # pragma: no cover - never kill pebble's thread
            log.exception("completion handler of job %s failed", job_id)

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (a running child is terminated)."""
        with self._lock:
            fut = self._futures.get(job_id)
        return bool(fut is not None and fut.cancel())

    def running(self) -> int:
        """Return the number of jobs queued or running in this pool."""
        with self._lock:
            return len(self._futures)

    def close(self) -> None:
        """Stop the pool.

        Running jobs are terminated and stay ``running`` in the store, to be re-run by
        the next start.
        """
        self.pool.stop()
        self.pool.join(timeout=10)
