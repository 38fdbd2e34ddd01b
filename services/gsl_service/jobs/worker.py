"""``gsl worker``: an RQ worker on the job queue (the distributed engine).

Scale by running more of them (``gsl worker`` processes, or worker pods). Each job
runs in a forked work horse; the worker heartbeats every ``GSL_WORKER_HEARTBEAT_S``
seconds while it runs, and the engine declares a job whose heartbeat is older than
``GSL_WORKER_TTL_S`` lost (status ``failed``, reason "worker lost"). Job arguments
are JSON-serialised (never pickle).

**Stopping.** SIGTERM (or SIGINT) stops an idle worker at once and a busy one after its
job (RQ's warm shutdown; a second signal a second later stops the work horse too, and
the engine marks that job failed, "worker lost"). RQ's worker listens on a pub/sub
channel in a thread that waits up to 60 s for a message; its teardown joins that
thread without a bound, and when the unsubscribe reply is read before the thread is
told to stop (the usual order under load), or a signal comes just after the worker
subscribed, the thread sleeps its full 60 s and the worker ignores SIGTERM for that
long — past Kubernetes' grace period. :class:`GslWorker` polls every
:data:`PUBSUB_POLL_S` and bounds that join, so an idle worker exits within about a
second. A signal while RQ starts (registered in Redis, its handlers not yet installed)
is kept and honoured as soon as they are, so the worker still records its death;
before that (importing the kernels) SIGTERM simply ends the process.
"""

from __future__ import annotations

import gc
import logging
import signal
from typing import TYPE_CHECKING, Any

from rq import Worker
from rq.serializers import JSONSerializer

if TYPE_CHECKING:
    import redis
    from rq import Queue

    from gsl_service.settings import Settings

#: The settings of the worker running in this process (read by the job function).
WORKER_SETTINGS: Settings | None = None

TASK = "gsl_service.jobs.task.run_rq_job"


_DRIVER_INFO: object = None

PUBSUB_POLL_S = 1.0
"""How often the pub/sub listener thread looks whether the worker is stopping (s)."""


class GslWorker(Worker):
    """RQ's forking worker whose pub/sub listener stops within :data:`PUBSUB_POLL_S`.

    RQ listens for commands (stop a job, shut down) with ``sleep_time=60``: stopping
    the listener can take 60 s (see the module docstring). Everything else is RQ's.
    """

    _early_signal: int | None = None

    def work(self, *args: Any, **kwargs: Any) -> bool:
        """RQ's work loop; a stop signal while it starts up is kept (see the module doc)."""

        def keep(signum: int, frame: Any) -> None:
            self._early_signal = signum

        signal.signal(signal.SIGTERM, keep)
        signal.signal(signal.SIGINT, keep)
        return bool(super().work(*args, **kwargs))

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self._early_signal is not None:  # RQ's loop stops before it dequeues
            from rq.utils import now

            self.log.info("Worker %s: stop signal while starting; stopping", self.name)
            self._stop_requested = True
            self._shutdown_requested_date = now()

    def subscribe(self) -> None:
        """Subscribe to this worker's command channel; the listener polls each second."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=PUBSUB_POLL_S, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def unsubscribe(self) -> None:
        """Unsubscribe and stop the listener, waiting for it at most two polls."""
        thread = self.pubsub_thread
        if thread is None or self.pubsub is None:
            return
        self.log.info(
            "Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name
        )
        try:
            self.pubsub.unsubscribe()
        finally:
            thread.stop(timeout=2 * PUBSUB_POLL_S)
            self.pubsub.close()


def connect(url: str, *, retry: bool = False) -> redis.Redis:
    """Return a Redis client (bytes responses) for ``url``.

    The client-name metadata is resolved once per process (redis-py reads package
    metadata for every new connection otherwise, ~6 ms — noticeable in a work horse
    that lives for one job). With ``retry``, commands that find Redis away are
    retried with backoff for about a minute
    (:func:`~gsl_service.redis_client.worker_retry`).
    """
    global _DRIVER_INFO
    import redis

    from gsl_service.redis_client import REDIS_DOWN, worker_retry

    if _DRIVER_INFO is None:
        from redis.driver_info import DriverInfo
        from redis.utils import get_lib_version

        _DRIVER_INFO = DriverInfo(name="redis-py", lib_version=get_lib_version())
    if retry:
        return redis.Redis.from_url(
            url,
            driver_info=_DRIVER_INFO,
            socket_connect_timeout=5,
            retry=worker_retry(),
            retry_on_error=list(REDIS_DOWN),
        )
    return redis.Redis.from_url(url, driver_info=_DRIVER_INFO)


def rq_connection(settings: Settings) -> redis.Redis:
    """Return a Redis client for RQ (bytes responses)."""
    if not settings.redis_url:
        raise ValueError("the distributed engine needs GSL_REDIS_URL")
    return connect(settings.redis_url)


def rq_queue(settings: Settings, connection: redis.Redis | None = None) -> Queue:
    """Return the job queue (JSON serializer)."""
    from rq import Queue

    return Queue(
        settings.rq_queue,
        connection=connection or rq_connection(settings),
        serializer=JSONSerializer,
    )


def limit_memory(megabytes: int) -> None:
    """Bound this process's address space (``RLIMIT_AS``) to ``megabytes`` (0: no bound).

    Children (RQ work horses, pool processes) inherit the bound: a request that
    needs more memory fails with ``MemoryError`` in its own process instead of
    taking the node down. Never raises the hard limit. Bound or not, Arrow then
    allocates with the C library's ``malloc`` here (:func:`arrow_allocates_with_malloc`)
    and a thread that fails before it started ends the process
    (:func:`exit_when_a_thread_cannot_start`).
    """
    import resource

    arrow_allocates_with_malloc()
    exit_when_a_thread_cannot_start()
    if megabytes <= 0:
        return
    want = megabytes * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


THREAD_START_FAILED = 70
"""Exit code of a job's process whose new thread failed before it started (EX_SOFTWARE)."""


def exit_when_a_thread_cannot_start() -> None:
    """Make this process exit when a new thread fails before it has started.

    ``Thread.start`` waits for the new thread to say it started; one that fails
    first — a ``MemoryError`` in its bootstrap, which the address-space bound makes
    likely — leaves the caller waiting for ever (CPython 3.12, python/cpython#140746):
    a job's process would hang until the job's time limit (a one-piece province at
    the default bound did, before :func:`arrow_allocates_with_malloc`). Instead the
    process writes why to stderr and exits with :data:`THREAD_START_FAILED`, which its
    engine reports as a lost process (embedded: "ended abnormally with exit code 70").
    Every other unraisable exception goes to the hook that was there before.
    """
    import os
    import sys
    import threading

    previous = sys.unraisablehook
    if getattr(previous, "gsl_thread_guard", False):
        return

    said = b"gsl: a new thread failed before it started; exiting ("

    def hook(unraisable: Any) -> None:
        thread = getattr(unraisable.object, "__self__", None)
        started = getattr(thread, "_started", None)  # the Event Thread.start waits for
        if (
            "thread started by" in (unraisable.err_msg or "")
            and isinstance(thread, threading.Thread)
            and isinstance(started, threading.Event)
            and not started.is_set()
        ):
            try:  # short of memory even for this message: exit all the same
                os.write(2, said + getattr(unraisable.exc_type, "__name__", "?").encode() + b")\n")
            finally:
                os._exit(THREAD_START_FAILED)
        previous(unraisable)

    hook.gsl_thread_guard = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"
"""Arrow's environment variable naming its default memory pool."""


def arrow_allocates_with_malloc() -> None:
    """Make the C library's ``malloc`` Arrow's default memory pool in this process.

    mimalloc, the default pool of pyarrow's Linux wheels, reserves 1 GiB of address
    space at its first allocation, of which a province's job touched 16 MB: under the
    address-space bound (:func:`limit_memory`) a quarter of the default 4 GiB gone to
    nothing. Measured at 650,000 homes in a worker's work horse: the tiled parent's
    address-space peak (``VmPeak``) 4.06 → 3.08 GB, one piece 5.0 → 3.9 GB — which at
    the default bound had hung (a thread failing to start for want of address space
    waits for ever in CPython 3.12) and now runs; resident peaks and times unchanged.
    Arrow reads the variable as it loads: :mod:`gsl_service.jobs.preload` calls this
    before it loads pyarrow (in ``gsl worker`` and the pools' forkserver, whose children
    inherit it), and :func:`limit_memory` calls it in every process that runs jobs;
    where pyarrow is loaded already, its default pool is set instead. A pool the
    operator named in the variable is kept.
    """
    import os
    import sys

    if os.environ.setdefault(ARROW_POOL, "system") == "system" and "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())


def run_worker(
    settings: Settings,
    burst: bool = False,
    name: str | None = None,
    *,
    max_outages: int | None = None,
) -> bool:
    """Run an RQ worker on ``settings.rq_queue`` until stopped (or the queue is empty).

    RQ's worker loop quits on most Redis errors; this one starts it again, after
    waiting for Redis with an exponential backoff (1 s doubling up to
    ``GSL_WORKER_RECONNECT_MAX_S``), so a Redis restart never leaves the queue
    without workers. Jobs wait in Redis meanwhile (nothing queued is lost when Redis
    persists its data). A stop request (SIGTERM, SIGINT) ends the loop.

    Parameters
    ----------
    settings : Settings
        Needs ``redis_url``.
    burst : bool
        Stop when the queue is empty.
    name : str, optional
        Worker name (default: RQ's unique name).
    max_outages : int, optional
        Give up after this many reconnections (tests); default: never.

    Returns
    -------
    bool
        Whether any job was performed.
    """
    global WORKER_SETTINGS
    import time

    from gsl_indicators.core.spec import registry
    from gsl_service.redis_client import ping

    WORKER_SETTINGS = settings
    import gsl_service.jobs.worker as canonical  # this module may run as __main__ (python -m)

    canonical.WORKER_SETTINGS = settings
    limit_memory(settings.worker_memory_mb)
    registry()  # import every kernel once; work horses fork with it loaded
    import gsl_service.jobs.preload  # noqa: F401  (and the readers of input files)

    gc.freeze()  # keep the loaded modules out of the horses' garbage collections
    from gsl_indicators.core import tiling

    tiling.THAW_AFTER_TILES = False  # a horse's tiled run leaves them frozen too

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    log = logging.getLogger(__name__)
    worked = False
    outages = 0
    wait = 1.0
    while True:
        conn = rq_connection(settings)
        if not ping(conn):
            outages += 1
            if max_outages is not None and outages > max_outages:
                return worked
            log.warning("worker: Redis is away; trying again in %.0f s", wait)
            conn.close()
            time.sleep(wait)
            wait = min(wait * 2, settings.worker_reconnect_max_s)
            continue
        if outages:
            log.warning("worker: Redis is back; working again")
        wait = 1.0
        worker = _rq_worker(settings, conn, name)
        if outages and name:
            _forget_registration(worker)  # our own name: the quit worker's record is stale
        try:
            worked = _work(worker, settings, burst) or worked
        except Exception as err:  # RQ's teardown while Redis is away, ...
            log.warning("worker stopped on %s: %s", type(err).__name__, err)
        if worker._stop_requested or worker._shutdown_requested_date is not None:
            return worked
        # RQ's signal handlers belong to the worker that quit: stop plainly meanwhile
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if ping(conn):
            if burst:
                return worked
            # RQ quit on something else than Redis: start again after a pause
            time.sleep(wait)
        outages += 1
        if max_outages is not None and outages > max_outages:
            return worked
        conn.close()


def _rq_worker(settings: Settings, conn: redis.Redis, name: str | None) -> Any:
    worker = GslWorker(
        [rq_queue(settings, conn)],
        connection=conn,
        serializer=JSONSerializer,
        name=name,
        worker_ttl=max(20, int(settings.worker_ttl_s)),
        job_monitoring_interval=settings.worker_heartbeat_s,
    )
    # RQ's own reconnect loop while waiting for a job: the same bound as ours
    worker.max_connection_wait_time = settings.worker_reconnect_max_s
    return worker


def _forget_registration(worker: Any) -> None:
    """Remove the Redis record of a worker of this name that could not record its death.

    RQ refuses to start a worker whose name is registered and alive; after an
    outage the record of the worker that quit in this very process (same name, which
    holds the pid) stays until its TTL ends, so it is removed here.
    """
    from rq.worker_registration import unregister

    unregister(worker)
    worker.connection.delete(worker.key)


def _work(worker: Any, settings: Settings, burst: bool) -> bool:
    return bool(
        worker.work(burst=burst, logging_level=settings.log_level.upper(), with_scheduler=False)
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m gsl_service.jobs.worker [--burst]``: a worker on the environment's settings."""
    import sys

    from gsl_service.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    run_worker(Settings(), burst="--burst" in args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
