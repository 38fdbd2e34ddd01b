"""Helpers for engine tests (import as ``from engine.engine_helpers import ...``)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

REDIS_URL = "redis://127.0.0.1:6379/1"


def wait_for(pred: Callable[[], Any], timeout: float = 60.0, step: float = 0.05) -> Any:
    """Poll ``pred`` until it returns something truthy (fail after ``timeout``)."""
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie child of ours counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def settings_from_env(env: dict[str, str], **kw: Any):
    from gsl_service.settings import Settings

    fields = {k[4:].lower(): v for k, v in env.items()}
    fields.update(kw)
    return Settings(**fields)


def stop_process(worker: subprocess.Popen) -> None:
    """Stop a worker as the engine fixtures do: SIGTERM, then SIGKILL after 10 s."""
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:  # never leave a worker behind
        worker.kill()
        worker.wait(timeout=30)
