"""``gsl worker --check``: whether this host's RQ worker is alive (its heartbeat fresh).

For a Kubernetes exec probe in a worker pod. ``gsl worker`` names its RQ worker
``<hostname>.<pid>`` (the pod name in a pod), so the probe, run in the same
container, finds it among the queue's registered workers and reads the heartbeat
the worker writes every ``GSL_WORKER_HEARTBEAT_S`` seconds — also while a job runs
in its work horse. Stale or missing means the worker hangs or has quit: the probe
fails and Kubernetes restarts the container.

With Redis away the probe passes: the worker is waiting for Redis with a backoff
by design (:func:`gsl_service.jobs.worker.run_worker`), and restarting it would not
bring Redis back.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gsl_service.settings import Settings


def worker_name(host: str | None = None, pid: int | None = None) -> str:
    """Return the RQ worker name of ``gsl worker``: ``<hostname>.<pid>``.

    Examples
    --------
    >>> worker_name("gsl-worker-7f9c", 12)
    'gsl-worker-7f9c.12'
    """
    return f"{host or socket.gethostname()}.{os.getpid() if pid is None else pid}"


def heartbeat_limit_s(settings: Settings) -> float:
    """Return the oldest heartbeat age still alive: RQ's worker TTL (at least 20 s)."""
    return float(max(20, int(settings.worker_ttl_s)))


def check_worker(
    settings: Settings, host: str | None = None, now: datetime | None = None
) -> tuple[bool, str]:
    """Return whether a worker of ``host`` heartbeats on the queue, and why.

    Parameters
    ----------
    settings : Settings
        ``redis_url``, ``rq_queue``, ``worker_ttl_s``.
    host : str, optional
        The host name the worker names start with (default: this host's).
    now : datetime, optional
        The time to measure the heartbeat age against (default: now, UTC).
    """
    import redis
    from rq import Worker

    from gsl_service.jobs.worker import rq_queue

    if not settings.redis_url:
        return False, "GSL_REDIS_URL is not set"
    conn = redis.Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)
    try:
        try:
            conn.ping()
        except redis.RedisError as err:
            return True, f"Redis is away ({type(err).__name__}); the worker waits for it"
        prefix = f"{host or socket.gethostname()}."
        mine = [w for w in Worker.all(queue=rq_queue(settings, conn)) if w.name.startswith(prefix)]
        if not mine:
            return False, f"no worker named {prefix}* on queue '{settings.rq_queue}'"
        beats = [w.last_heartbeat for w in mine if w.last_heartbeat is not None]
        if not beats:
            return False, f"worker {mine[0].name} has no heartbeat"
        last = max(b if b.tzinfo else b.replace(tzinfo=UTC) for b in beats)
        age = ((now or datetime.now(UTC)) - last).total_seconds()
        limit = heartbeat_limit_s(settings)
        if age > limit:
            return False, f"last heartbeat {age:.0f} s ago (limit {limit:.0f} s)"
        return True, f"worker {mine[0].name}: heartbeat {age:.1f} s ago"
    finally:
        conn.close()
