"""End-to-end fixtures: a real uvicorn server (``gsl serve``) and real ``gsl worker``
processes on a free port, with real Redis (db 2, a key prefix of our own)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from redis_namespace import isolated_redis_env

REDIS_URL = "redis://127.0.0.1:6379/2"
GSL = [sys.executable, "-m", "gsl_service.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A subprocess in its own session, so the whole group (RQ work horses too) can be killed."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("ab")
        self.proc = subprocess.Popen(
            args, env={**os.environ, **env}, stdout=self._fh, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill9(self) -> None:
        """Kill the process and its children at once (a lost pod)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then kill."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
            except ProcessLookupError:
                pass
        self._fh.close()


class Server(Proc):
    """``gsl serve`` on a free port; ``url`` is its base URL."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "GSL_BASE_URL": self.url}
        super().__init__([*GSL, "serve", "--port", str(self.port)], env, log)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """GSL_ settings for an isolated Redis namespace; our keys are deleted afterwards."""
    with isolated_redis_env(REDIS_URL, "gsle2e") as env:
        yield env


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    """Start servers and workers: ``stack("serve", env)`` / ``stack("worker", env)``.

    Every process started is stopped at the end of the test.
    """
    procs: list[Proc] = []
    base = {"GSL_DATA_DIR": str(tmp_path / "var"), "GSL_LOG_LEVEL": "warning"}

    def start(kind: str, env: dict[str, str] | None = None) -> Proc:
        full = {**base, **(env or {})}
        log = tmp_path / f"{kind}-{len(procs)}.log"
        proc = Server(full, log) if kind == "serve" else Proc([*GSL, "worker"], full, log)
        procs.append(proc)
        return proc

    yield start
    for p in reversed(procs):
        p.stop()
