"""``gsl worker``: an RQ worker on the job queue (the distributed engine).

Scale by running more of them (``gsl worker`` processes, or worker pods). Each job
runs in a forked work horse; the worker heartbeats every ``GSL_WORKER_HEARTBEAT_S``
seconds while it runs, and the engine declares a job whose heartbeat is older than
``GSL_WORKER_TTL_S`` lost (status ``failed``, reason "worker lost"). Job arguments
are JSON-serialised (never pickle).
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from rq.serializers import JSONSerializer

if TYPE_CHECKING:
    import redis
    from rq import Queue

    from gsl_service.settings import Settings

#: The settings of the worker running in this process (read by the job function).
WORKER_SETTINGS: Settings | None = None

TASK = "gsl_service.jobs.task.run_rq_job"


_DRIVER_INFO: object = None


def connect(url: str) -> redis.Redis:
    """Return a Redis client (bytes responses) for ``url``.

    The client-name metadata is resolved once per process (redis-py reads package
    metadata for every new connection otherwise, ~6 ms — noticeable in a work horse
    that lives for one job).
    """
    global _DRIVER_INFO
    import redis

    if _DRIVER_INFO is None:
        from redis.driver_info import DriverInfo
        from redis.utils import get_lib_version

        _DRIVER_INFO = DriverInfo(name="redis-py", lib_version=get_lib_version())
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


def run_worker(settings: Settings, burst: bool = False, name: str | None = None) -> bool:
    """Run an RQ worker on ``settings.rq_queue`` until stopped (or the queue is empty).

    Parameters
    ----------
    settings : Settings
        Needs ``redis_url``.
    burst : bool
        Stop when the queue is empty.
    name : str, optional
        Worker name (default: RQ's unique name).

    Returns
    -------
    bool
        Whether any job was performed.
    """
    global WORKER_SETTINGS
    from rq import Worker

    from gsl_indicators.core.spec import registry

    WORKER_SETTINGS = settings
    registry()  # import every kernel once; work horses fork with it loaded
    import gsl_service.jobs.task  # noqa: F401

    gc.freeze()  # keep the loaded modules out of the horses' garbage collections

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    conn = rq_connection(settings)
    worker = Worker(
        [rq_queue(settings, conn)],
        connection=conn,
        serializer=JSONSerializer,
        name=name,
        worker_ttl=max(20, int(settings.worker_ttl_s)),
        job_monitoring_interval=settings.worker_heartbeat_s,
    )
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
