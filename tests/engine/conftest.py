"""Fixtures for engine tests: settings on a temp dir, Redis on db 1 with a key prefix,
real RQ worker processes, and a local HTTP server that records callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from engine.engine_helpers import REDIS_URL
from redis_namespace import isolated_redis_env


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """Settings (as GSL_ environment) for an isolated Redis namespace on db 1."""
    with isolated_redis_env(REDIS_URL, "gsltest", GSL_LOG_LEVEL="WARNING") as env:
        yield env


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
