"""``gsl worker --check`` (the worker pod's exec probe) against a real worker and Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from engine.engine_helpers import stop_process
from gsl_service.jobs.probe import check_worker, heartbeat_limit_s
from gsl_service.settings import Settings

CLI = "from gsl_service.cli import main; raise SystemExit(main(sys.argv[1:]))"


def _gsl(
    env: dict[str, str], *args: str, **kw
) -> subprocess.CompletedProcess[str] | subprocess.Popen:
    cmd = [sys.executable, "-c", "import sys; " + CLI, *args]
    if kw.pop("background", False):
        return subprocess.Popen(cmd, env={**os.environ, **env}, start_new_session=True)
    return subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        redis_url=env["GSL_REDIS_URL"],
        redis_prefix=env["GSL_REDIS_PREFIX"],
        rq_queue=env["GSL_RQ_QUEUE"],
        worker_ttl_s=float(env["GSL_WORKER_TTL_S"]),
    )


def test_probe_follows_this_hosts_worker(redis_env) -> None:
    before = _gsl(redis_env, "worker", "--check")
    assert before.returncode == 1 and "no worker named" in before.stdout
    worker = _gsl(redis_env, "worker", background=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # the worker registers within a second or two
            ok, why = check_worker(_settings(redis_env))
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert ok, why
        assert f"{socket.gethostname()}.{worker.pid}" in why  # named <host>.<pid>
        out = _gsl(redis_env, "worker", "--check")
        assert out.returncode == 0 and out.stdout.startswith("gsl worker --check: ok")
        # a heartbeat older than RQ's worker TTL (max(20, GSL_WORKER_TTL_S=4) = 20 s) fails
        settings = _settings(redis_env)
        assert heartbeat_limit_s(settings) == 20.0
        later = datetime.now(UTC) + timedelta(seconds=45)
        ok, why = check_worker(settings, now=later)
        assert not ok and "limit 20 s" in why
        ok, why = check_worker(settings, host="some-other-pod")
        assert not ok and "some-other-pod." in why
    finally:
        stop_process(worker)


def test_probe_passes_while_redis_is_away() -> None:
    with socket.socket() as s:  # a free port: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ok, why = check_worker(Settings(redis_url=f"redis://127.0.0.1:{port}/0"))
    assert ok and "Redis is away" in why
