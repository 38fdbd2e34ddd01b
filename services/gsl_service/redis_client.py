"""Redis clients for the API and the workers, and what "Redis is away" means.

The API must answer while Redis is down (see the README, "Redis outage"): its
clients connect and read with a short timeout (``GSL_REDIS_TIMEOUT_S``) and retry
once, so a request learns within about that time that Redis is away and degrades
(computes without the cache, or answers 503 with ``Retry-After``). Workers
retry their commands with an exponential backoff for longer, so a job that is
running while Redis restarts finishes instead of failing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

#: The errors that mean "Redis cannot be reached now" (not a bad command).
REDIS_DOWN: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)


def api_client(url: str, timeout_s: float = 2.0) -> redis.Redis:
    """Return a client for the API: short timeouts, one quick retry.

    Examples
    --------
    >>> c = api_client("redis://127.0.0.1:1/0", timeout_s=0.5)
    >>> c.connection_pool.connection_kwargs["socket_timeout"]
    0.5
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=15,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.2), retries=1),
        retry_on_error=list(REDIS_DOWN),
    )


def worker_retry(total_s: float = 60.0) -> Retry:
    """Return the retry policy of a worker's client: backoff up to 2 s, about ``total_s`` long.

    Examples
    --------
    >>> worker_retry(60.0).get_retries()
    30
    """
    return Retry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), retries=max(1, int(total_s / 2)))


class Outage:
    """Remember that Redis was found away, so that callers skip it for a moment.

    A cache read that finds Redis down marks it; for ``hold_s`` seconds afterwards the
    cache does not try again (each try would cost a connect attempt per request).
    Logs one line when Redis goes away and one when it is back.

    Examples
    --------
    >>> o = Outage(hold_s=60)
    >>> o.down()
    False
    >>> o.mark(ConnectionError("refused")); o.down()
    True
    >>> o.clear(); o.down()
    False
    """

    def __init__(self, hold_s: float = 1.0) -> None:
        self.hold_s = hold_s
        self._until = 0.0
        self._away = False
        self._lock = threading.Lock()

    def down(self) -> bool:
        """Return whether Redis was found away less than ``hold_s`` ago."""
        return time.monotonic() < self._until

    def mark(self, err: BaseException) -> None:
        """Record that a command failed because Redis is away."""
        with self._lock:
            self._until = time.monotonic() + self.hold_s
            first = not self._away
            self._away = True
        if first:
            log.warning(
                "Redis is away (%s: %s); degrading until it answers again", type(err).__name__, err
            )

    def clear(self) -> None:
        """Record that a command succeeded."""
        if self._away:
            with self._lock:
                was, self._away, self._until = self._away, False, 0.0
            if was:
                log.warning("Redis is back")


def ping(client: Any) -> bool:
    """Return whether ``client``'s Redis answers a PING (``False`` on any Redis error)."""
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
