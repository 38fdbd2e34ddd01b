"""Fixtures for engine tests: settings on a temp dir, Redis on db 1 with a key prefix,
real RQ worker processes, and a local HTTP server that records callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from engine.engine_helpers import REDIS_URL


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """Settings (as GSL_ environment) for an isolated Redis namespace on db 1."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (make test starts one)")
    tag = uuid.uuid4().hex[:10]
    env = {
        "GSL_REDIS_URL": REDIS_URL,
        "GSL_REDIS_PREFIX": f"gsltest:{tag}:",
        "GSL_RQ_QUEUE": f"gsltest-{tag}",
        "GSL_WORKER_HEARTBEAT_S": "1",
        "GSL_WORKER_TTL_S": "4",
        "GSL_RECONCILE_INTERVAL_S": "0.5",
        "GSL_LOG_LEVEL": "WARNING",
    }
    yield env
    # our keys, and RQ's keys for our queue and jobs
    job_ids = [
        k.decode().rsplit(":", 1)[-1]
        for k in client.scan_iter(match=f"gsltest:{tag}:job:*", count=1000)
    ]
    for pattern in [f"gsltest:{tag}:*", f"rq:*gsltest-{tag}*"] + [f"rq:*{j}*" for j in job_ids]:
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)
    client.close()


class WorkerProcess:
    """A real ``gsl worker`` process (``python -m gsl_service.jobs.worker``)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gsl_service.jobs.worker"],
            env={**os.environ, **env},
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def start_worker(redis_env) -> Iterator[Callable[[], WorkerProcess]]:
    workers: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        w = WorkerProcess(redis_env)
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.stop()


class CallbackSink:
    """A local HTTP server recording every POST (path, JSON body)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.posts.append((self.path, orjson.loads(body)))
                self.send_response(204)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[Any]:
        return [b for p, b in self.posts if p == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sink() -> Iterator[CallbackSink]:
    s = CallbackSink()
    yield s
    s.close()
