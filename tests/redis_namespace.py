"""An isolated Redis namespace for tests: a random key prefix and RQ queue, cleaned up after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def isolated_redis_env(url: str, prefix: str, **extra: str) -> Iterator[dict[str, str]]:
    """Yield GSL_ settings for a fresh key prefix and queue on ``url``; delete our keys after.

    Skips the test when no Redis answers (``make test`` starts one). Short worker TTL and
    heartbeat settings make lost workers show quickly.
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {url} (make test starts one)")
    tag = uuid.uuid4().hex[:10]
    env = {
        "GSL_REDIS_URL": url,
        "GSL_REDIS_PREFIX": f"{prefix}:{tag}:",
        "GSL_RQ_QUEUE": f"{prefix}-{tag}",
        "GSL_WORKER_HEARTBEAT_S": "1",
        "GSL_WORKER_TTL_S": "4",
        "GSL_RECONCILE_INTERVAL_S": "0.5",
        **extra,
    }
    try:
        yield env
    finally:
        # our keys, and RQ's keys for our queue and jobs
        job_ids = [
            k.decode().rsplit(":", 1)[-1]
            for k in client.scan_iter(match=f"{prefix}:{tag}:job:*", count=1000)
        ]
        patterns = [f"{prefix}:{tag}:*", f"rq:*{prefix}-{tag}*"] + [f"rq:*{j}*" for j in job_ids]
        for pattern in patterns:
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
        client.close()
