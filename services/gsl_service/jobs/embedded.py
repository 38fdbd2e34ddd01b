"""Embedded runners: bounded pebble process pools for sync executions and async jobs.

Processes, not threads: CPU-bound kernels use every core and never hold the API's
event loop or GIL. pebble's futures can cancel a *running* task (the child is
terminated and replaced), which is what dismissing a job needs. Children are forked
from a forkserver that has the kernels imported, so they start fast and never inherit
the API's threads.

A child that dies (killed by the kernel's OOM killer, a signal, ``os._exit`` in a
kernel) fails only the computation it ran, with a reason (:class:`WorkerLost`); when
pebble declares the whole pool broken (a child lost while no task was assigned to it,
or its channel broken), :class:`RenewingPool` replaces the pool as soon as it sees it
broken (a watch thread looks every :data:`WATCH_S` seconds, and every schedule looks),
so the next request finds live children. A computation handed to a pool that broke
before a child took it never started: its future raises :class:`NeverStarted` (it
would otherwise wait for ever on a pool nobody serves), and the callers schedule it
again (:func:`never_ran`): a request or job sent just as an idle child was killed is
computed, not failed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import signal
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessExpired, ProcessPool
from pebble.pool.base_pool import PoolStatus

from gsl_service.jobs import task

log = logging.getLogger(__name__)

_PRELOAD = ["gsl_service.jobs.preload"]

#: seconds between two looks of a pool's watch thread for a broken pool
WATCH_S = 0.2

#: times a computation that never started (its pool broke first) is scheduled again
POOL_RETRIES = 2

#: pebble's reason when it finds a child dead while no task has started: the tasks it
#: then aborts were handed to the pool but taken by no child (pebble 5's
#: ``PoolManager.find_expired_task``)
_NONE_STARTED = "All workers expired"


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


class WorkerLost(RuntimeError):
    """A pool child ended abnormally while computing (or the pool broke); see :func:`lost_reason`."""


class NeverStarted(BrokenProcessPool):
    """The pool broke before any child took the computation: it never ran."""


def never_ran(err: BaseException) -> bool:
    """Return whether a pool's error says the computation never started in a child.

    True for :class:`NeverStarted` and for pebble's abort of the tasks no child had
    taken when it found every child dead ("All workers expired": it raises that only
    when no task has started). Such a computation may be scheduled again as it is.

    Examples
    --------
    >>> never_ran(NeverStarted("the process pool broke"))
    True
    >>> never_ran(BrokenProcessPool("All workers expired"))
    True
    >>> never_ran(ProcessExpired("Abnormal termination", code=-9, pid=42))
    False
    """
    if isinstance(err, NeverStarted):
        return True
    return type(err) is BrokenProcessPool and str(err) == _NONE_STARTED


def lost_reason(err: BaseException) -> str:
    """Say in words why a pool child was lost.

    Examples
    --------
    >>> lost_reason(ProcessExpired("Abnormal termination", code=-9, pid=42))
    'the worker process (pid 42) was killed by SIGKILL (out of memory, or stopped from outside)'
    >>> lost_reason(ProcessExpired("Abnormal termination", code=3, pid=42))
    'the worker process (pid 42) ended abnormally with exit code 3'
    >>> lost_reason(ProcessExpired("Abnormal termination", code=70, pid=42))[-66:]
    'a new thread could not start (out of memory: GSL_WORKER_MEMORY_MB)'
    >>> lost_reason(BrokenProcessPool("All workers expired"))
    'the process pool broke (All workers expired): its worker processes were lost'
    """
    from gsl_service.jobs.worker import THREAD_START_FAILED

    if isinstance(err, ProcessExpired):
        code = int(err.exitcode or 0)
        who = f"the worker process (pid {err.pid})"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            why = " (out of memory, or stopped from outside)" if -code == signal.SIGKILL else ""
            return f"{who} was killed by {name}{why}"
        if code == THREAD_START_FAILED:  # exit_when_a_thread_cannot_start
            return (
                f"{who} ended: a new thread could not start (out of memory: GSL_WORKER_MEMORY_MB)"
            )
        return f"{who} ended abnormally with exit code {code}"
    return f"the process pool broke ({err}): its worker processes were lost"


class RenewingPool:
    """A pebble :class:`~pebble.ProcessPool` that is replaced when it breaks.

    pebble replaces a child that dies while running a task (its future raises
    :class:`~pebble.ProcessExpired`), but declares the whole pool broken when a child
    dies with no task assigned to it (an idle child killed) or its channel breaks:
    every later ``schedule`` then raises ``RuntimeError``, and a task handed to it just
    before — past pebble's own check, not yet registered when it aborted its tasks —
    is never run nor failed. Here a broken pool is replaced by a new one as soon as a
    watch thread (every :data:`WATCH_S` s) or a :meth:`schedule` sees it; the broken
    one is stopped in the background, and then every future it left unresolved is
    failed: :class:`NeverStarted` when no child had taken it (the caller schedules it
    again), :class:`~concurrent.futures.process.BrokenProcessPool` when one had.

    Parameters
    ----------
    workers : int
        Number of processes.
    memory_mb : int
        Address-space bound of each child (0: none).
    settings : Mapping, optional
        The settings (JSON form) the children read files by reference with.
    initializer : callable
        ``initializer(memory_mb, settings)`` in each child as it starts (default:
        bound its memory, import every kernel, use the spool of ``settings``).
    """

    def __init__(
        self,
        workers: int,
        memory_mb: int = 0,
        settings: Mapping[str, Any] | None = None,
        initializer: Callable[[int, Mapping[str, Any] | None], None] | None = None,
    ) -> None:
        self.workers = workers
        self.memory_mb = memory_mb
        self.settings = dict(settings) if settings is not None else None
        self.initializer = initializer or _warm
        self._lock = threading.Lock()
        self._closed = False
        #: number of times a broken pool was replaced (for logs and tests)
        self.renewals = 0
        self._pool = self._new()
        self._scheduled: dict[Future[Any], ProcessPool] = {}  # unresolved, by pool
        self._retired: weakref.WeakSet[ProcessPool] = weakref.WeakSet()  # broken, swept
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._watch_loop, name="gsl-pool-watch", daemon=True)
        self._watch.start()

    def _new(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers,
            initializer=self.initializer,
            initargs=(self.memory_mb, self.settings),
            context=_context(),
        )

    def warm(self) -> None:
        """Start the forkserver and a child in the background (a first, empty task)."""
        self.schedule(_noop)

    def _current(self) -> ProcessPool:
        with self._lock:
            if not self._closed and not self._pool.active:
                self._renew_locked()
            return self._pool

    def _watch_loop(self) -> None:
        """Replace the pool when it broke, even when nobody schedules (see the class)."""
        while not self._stop.wait(WATCH_S):
            try:
                with self._lock:
                    if not self._closed and _broken(self._pool):
                        self._renew_locked()
            except Exception:  # pragma: no cover - keep watching (a child could not start)
                log.exception("replacing the broken process pool failed; trying again")

    def _renew_locked(self) -> None:
        broken, self._pool = self._pool, self._new()
        self.renewals += 1
        log.warning("process pool broke (a worker process was lost); started a new one")
        threading.Thread(
            target=self._retire, args=(broken,), name="gsl-pool-stop", daemon=True
        ).start()

    def _retire(self, broken: ProcessPool) -> None:
        """Stop a broken pool; then fail every future it left unresolved."""
        try:
            _stop_pool(broken)
        except Exception:  # pragma: no cover - its futures are failed all the same
            log.exception("stopping a broken process pool failed")
        finally:
            with self._lock:
                self._retired.add(broken)
                left = [f for f, p in self._scheduled.items() if p is broken]
            _fail_unresolved(left)

    def _scheduled_on(self, pool: ProcessPool, fut: Future[Any]) -> Future[Any]:
        """Keep ``fut`` as ``pool``'s until it is resolved; return it.

        A future handed to a pool that was retired meanwhile is failed here (the
        retirement's sweep has passed).
        """
        with self._lock:
            retired = pool in self._retired
            if not retired:
                self._scheduled[fut] = pool
        if retired:
            _fail_unresolved([fut])
        else:  # called at once when done already: so not under the lock
            fut.add_done_callback(self._resolved)
        return fut

    def _resolved(self, fut: Future[Any]) -> None:
        with self._lock:
            self._scheduled.pop(fut, None)

    def schedule(
        self, fn: Callable[..., Any], args: Sequence[Any] = (), timeout: float | None = None
    ) -> Future[Any]:
        """Schedule ``fn(*args)`` in a child, on a new pool if the current one broke."""
        pool = self._current()
        try:
            return self._scheduled_on(pool, pool.schedule(fn, args=args, timeout=timeout))
        except RuntimeError:  # broke between the check and now
            with self._lock:
                if self._closed:
                    raise
                if self._pool is pool:
                    self._renew_locked()
                pool = self._pool
            return self._scheduled_on(pool, pool.schedule(fn, args=args, timeout=timeout))

    def pids(self) -> list[int]:
        """Return the process ids of the current pool's children (for tests and probes)."""
        return sorted(self._pool._pool_manager.worker_manager.workers)

    def close(self) -> None:
        """Stop the pool (running computations are terminated, and fail).

        What it had not resolved raises :class:`~concurrent.futures.process.BrokenProcessPool`
        (never :class:`NeverStarted`: it is not scheduled again), so no caller waits for ever.
        """
        with self._lock:
            self._closed = True
            pool = self._pool
        self._stop.set()
        _stop_pool(pool)
        with self._lock:
            self._retired.add(pool)
            left = list(self._scheduled)
        _fail_unresolved(left, why="the process pool was closed (the service is stopping)")


def _broken(pool: ProcessPool) -> bool:
    """Return whether a started pebble pool broke (without starting one not yet started)."""
    status = pool._context.status
    if status is PoolStatus.ERROR:
        return True
    return status is PoolStatus.RUNNING and not all(t.is_alive() for t in pool._loops)


def _stop_pool(pool: ProcessPool) -> None:
    pool.stop()
    pool.join(timeout=10)


def _fail_unresolved(futures: Sequence[Future[Any]], why: str = "") -> None:
    """Fail the futures of a stopped pool that it left unresolved (see :class:`RenewingPool`).

    With ``why`` (the pool was closed) each raises a plain ``BrokenProcessPool`` saying so.
    """
    for fut in futures:
        if why:
            err: BrokenProcessPool = BrokenProcessPool(why)
        elif fut.running():
            err = BrokenProcessPool("the process pool broke while a worker process ran it")
        else:
            err = NeverStarted("the process pool broke before the computation started")
        with contextlib.suppress(InvalidStateError):  # resolved meanwhile
            fut.set_exception(err)


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
        self.pool = RenewingPool(workers, memory_mb=memory_mb, settings=settings)
        self.pool.warm()

    def compute(
        self,
        process_id: str,
        inputs: Mapping[str, Any],
        digests: Mapping[str, str],
        key: str,
        timeout: float | None = None,
    ) -> bytes:
        """Compute in a child; raise :class:`~gsl_service.jobs.task.TaskError` on failure.

        Past ``timeout`` seconds the child is stopped and :class:`TimeoutError` raised;
        a child that dies raises :class:`WorkerLost` (the next call gets a live child).
        A computation the pool lost before a child took it is scheduled again, up to
        :data:`POOL_RETRIES` times.
        """
        args = (process_id, dict(inputs), dict(digests), key)
        retries = 0
        while True:
            fut = self.pool.schedule(task.compute_document, args=args, timeout=timeout)
            try:
                return bytes(fut.result())
            except (ProcessExpired, BrokenProcessPool) as err:
                if not (never_ran(err) and retries < POOL_RETRIES):
                    raise WorkerLost(lost_reason(err)) from err
            retries += 1  # the pool broke before a child took it: on the new pool
            log.warning("the process pool broke before %s started; scheduling it again", key)

    def close(self) -> None:
        """Stop the pool (running computations are terminated)."""
        self.pool.close()


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
        self.pool = RenewingPool(workers, memory_mb=memory_mb, settings=settings)
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
                    fut = self._schedule(job_id)
                    with self._lock:
                        self._futures[job_id] = fut
            finally:
                with self._lock:
                    self._starting -= 1
            if fut is not None:
                fut.add_done_callback(functools.partial(self._done, job_id))

    def _schedule(self, job_id: str) -> Future[Any]:
        try:
            return self.pool.schedule(
                task.run_job, args=(self.settings, job_id), timeout=self.timeout_s
            )
        except RuntimeError as err:  # no pool at all (closed, or no child can start)
            failed: Future[Any] = Future()
            failed.set_exception(BrokenProcessPool(f"the job could not be scheduled: {err}"))
            return failed

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
        self.pool.close()
