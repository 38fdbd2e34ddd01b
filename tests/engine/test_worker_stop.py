"""``gsl worker`` on SIGTERM: an idle worker stops at once, a busy one finishes its job.

Real worker processes on real Redis. RQ's pub/sub listener used to sleep up to 60 s
when the worker was stopped (see :mod:`gsl_service.jobs.worker`): the idle workers
here are signalled at several moments after they registered, the window where that
happened, and must be gone well within those 60 s.
"""

from __future__ import annotations

import subprocess
import tempfile
import time

import pytest
import redis

from engine.engine_helpers import REDIS_URL, pid_alive, settings_from_env, wait_for
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus
from gsl_service.jobs.worker import PUBSUB_POLL_S
from python_child import printed

pytestmark = pytest.mark.slow  # each worker imports every kernel first (seconds)

# A stop takes one listener poll plus RQ's teardown (a few Redis calls); 15 s leaves room
# for a loaded machine and is far below the 60 s the listener slept before.
STOP_BOUND_S = 15.0


def record(client: redis.Redis, pid: int) -> dict[bytes, bytes] | None:
    """RQ's record of the worker of this pid (the hash ``rq:worker:<name>``), if any."""
    for k in client.scan_iter(match="rq:worker:*", count=1000):
        if client.type(k) == b"hash" and client.hget(k, "pid") == str(pid).encode():
            return client.hgetall(k)
    return None


@pytest.mark.parametrize("after_s", [0.0, 0.05, 0.3, 1.5])
def test_idle_worker_stops_on_sigterm(start_worker, after_s: float) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    worker = start_worker()
    wait_for(lambda: record(client, worker.pid), timeout=120, step=0.01)
    time.sleep(after_s)
    worker.proc.terminate()  # SIGTERM
    try:
        code = worker.proc.wait(timeout=STOP_BOUND_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"an idle worker ignored SIGTERM for {STOP_BOUND_S} s (sent {after_s} s in)")
    assert code == 0  # RQ's warm shutdown, not killed by the signal
    # it recorded its death (RQ keeps the record a minute, with the time of death)
    assert b"death" in (record(client, worker.pid) or {})
    assert PUBSUB_POLL_S * 2 < STOP_BOUND_S


def test_busy_worker_finishes_its_job_then_stops(redis_env, start_worker) -> None:
    engine = Engine(settings_from_env(redis_env, data_dir=tempfile.mkdtemp()))
    engine.start()
    try:
        worker = start_worker()
        job = engine.submit("echo", {"message": "finish me", "pause": 3})

        def running():
            j = engine.get_job(job.job_id)
            return j.status is JobStatus.running and "pid" in j.extra and j

        horse = wait_for(running, timeout=120).extra["pid"]
        worker.proc.terminate()  # SIGTERM while the horse works: warm shutdown
        code = worker.proc.wait(timeout=60)
        assert code == 0
        done = engine.get_job(job.job_id)
        # the worker waited for its job: finished and stored before it exited
        assert done.status is JobStatus.successful, done.error
        assert not pid_alive(horse)
    finally:
        engine.close()


def test_a_worker_leaves_its_horses_heap_frozen_after_tiles(tmp_path) -> None:
    """``gsl worker`` freezes what it loaded (every kernel, the readers of input files)
    before it forks work horses, and tells a tiled run not to unfreeze after its tiles
    (``tiling.THAW_AFTER_TILES``): a horse's unfreeze would put those modules back in
    its collections for the rest of its job.

    In a process of its own (the worker sets a memory bound and freezes the heap), with
    Redis nowhere (port 1) so that it gives up after its setup. Frozen objects are out
    of ``gc.get_objects()``: the registry and a preloaded module must be among them.
    """
    code = (
        "import gc, sys\n"
        "from gsl_indicators.core import tiling\n"
        "from gsl_indicators.core.spec import registry\n"
        "from gsl_service.jobs.worker import run_worker\n"
        "from gsl_service.settings import Settings\n"
        "def tracked(o):\n"
        "    return any(x is o for x in gc.get_objects())\n"
        "thaw = tiling.THAW_AFTER_TILES\n"
        f"s = Settings(redis_url='redis://127.0.0.1:1/0', data_dir={str(tmp_path)!r},"
        " worker_memory_mb=0)\n"
        "worked = run_worker(s, max_outages=0)\n"
        "loaded = registry(), sys.modules['gsl_service.jobs.preload']\n"
        "print(thaw, tiling.THAW_AFTER_TILES, [tracked(o) for o in loaded], worked)\n"
    )
    assert printed(code, timeout=120) == "True False [False, False] False"
