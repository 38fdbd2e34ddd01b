"""Tiles as RQ sub-jobs on real worker processes: same result, progress, dismissal, lost workers."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import orjson
import pytest
import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from engine.engine_helpers import pid_alive, settings_from_env, wait_for
from gsl_indicators.core import synthetic
from gsl_indicators.core.spec import registry
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus
from gsl_service.jobs.tiles import tile_job_id
from gsl_service.settings import Settings
from results import execute, values

S = JobStatus
GREEN = registry().get("green-3-30-300")


def city_inputs(n: int, seed: int = 3) -> dict:
    c = synthetic.city(n, seed=seed)
    return {k: c[k] for k in ("buildings", "trees", "canopy", "parks", "neighbourhoods")}


def without_tiles(doc: dict) -> dict:
    prov = {k: v for k, v in doc["provenance"].items() if not k.startswith("tiles")}
    prov.pop("cache", None)
    return {**doc, "provenance": prov}


@pytest.fixture
def tiled_engine(redis_env, request):
    per_tile = getattr(request, "param", 250)
    e = Engine(
        settings_from_env(
            redis_env, data_dir=tempfile.mkdtemp(), tile_threshold=0, tile_features=per_tile
        )
    )
    e.start()
    yield e
    e.close()


def _conn(engine: Engine) -> redis.Redis:
    return redis.Redis.from_url(engine.settings.redis_url)


def _tile_keys(engine: Engine, job_id: str) -> list[bytes]:
    p = engine.settings.redis_prefix
    conn = _conn(engine)
    keys = list(conn.scan_iter(match=f"{p}tile:{job_id}:*", count=1000))
    keys += [k for k in (f"{p}tiles:{job_id}".encode(),) if conn.exists(k)]
    return keys


def test_tiles_on_two_workers_give_the_one_piece_result(tiled_engine, start_worker) -> None:
    start_worker()
    start_worker()
    inputs = city_inputs(2000)
    job = tiled_engine.submit("green-3-30-300", inputs)
    done = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 180)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(tiled_engine.get_result(job.job_id)))
    n_tiles = doc["provenance"]["tiles"]
    assert n_tiles >= 2000 // 250  # 2,000 homes at 250 a tile: 8 or more cells
    one = execute(GREEN, inputs)
    assert without_tiles(doc) == without_tiles(one)
    # the sub-jobs were enqueued, and the parent cleaned up its keys when it finished
    conn = _conn(tiled_engine)
    ran = []
    for i in range(n_tiles):
        sub = Job.fetch(tile_job_id(job.job_id, i), connection=conn, serializer=JSONSerializer)
        ran.append(sub.return_value())
    # the second worker ran tiles (True); the rest were the parent's (False, or
    # cancelled while queued: None)
    assert True in ran and set(ran) <= {True, False, None}
    assert _tile_keys(tiled_engine, job.job_id) == []


def test_progress_over_tiles_and_dismissal_stops_them(tiled_engine, start_worker) -> None:
    start_worker()  # one worker: the parent runs its tiles itself, one by one
    job = tiled_engine.submit("green-3-30-300", city_inputs(6000))
    seen: set[str] = set()

    def in_tiles():
        j = tiled_engine.get_job(job.job_id)
        seen.add(j.message or "")
        return j if (j.message or "").startswith("tiles ") else None

    running = wait_for(in_tiles, 180, step=0.02)
    horse = running.extra["pid"]
    done, total = (int(v) for v in running.message.split()[1].split("/"))
    assert 0 < done < total and total >= 6000 // 250
    assert running.progress >= 10  # 10 % + 75 % × done / total
    assert tiled_engine.dismiss(job.job_id).status is S.dismissed
    wait_for(lambda: not pid_alive(horse), 30)
    # its tile sub-jobs are cancelled and its tile keys gone
    wait_for(lambda: _tile_keys(tiled_engine, job.job_id) == [], 30)
    assert tiled_engine._rq.queue.count == 0
    assert tiled_engine.get_job(job.job_id).status is S.dismissed


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.slow
@pytest.mark.parametrize("tiled_engine", [1500], indirect=True)
def test_a_lost_workers_tile_is_run_again(tiled_engine, start_worker) -> None:
    workers = [start_worker(), start_worker()]
    inputs = city_inputs(6000)
    job = tiled_engine.submit("green-3-30-300", inputs)
    running = wait_for(
        lambda: (
            (j := tiled_engine.get_job(job.job_id)).status is S.running and "pid" in j.extra and j
        ),
        120,
    )
    parent_worker = _ppid(running.extra["pid"])
    other = next(w for w in workers if w.pid != parent_worker)
    p = tiled_engine.settings.redis_prefix
    conn = _conn(tiled_engine)

    def claimed_by_other() -> int | None:
        for key in conn.scan_iter(match=f"{p}tile:{job.job_id}:*:claim"):
            index = int(key.decode().split(":")[-2])
            holder = conn.get(key)
            out = f"{p}tile:{job.job_id}:{index}:out"
            if holder and holder != b"parent" and not conn.exists(out):
                return index
        return None

    index = wait_for(claimed_by_other, 120, step=0.01)
    os.killpg(other.pid, signal.SIGKILL)  # the worker and its work horse: a lost pod
    other.proc.wait(timeout=10)
    assert not conn.exists(f"{p}tile:{job.job_id}:{index}:out")  # lost with its worker
    done = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 180)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(tiled_engine.get_result(job.job_id)))
    assert without_tiles(doc) == without_tiles(execute(GREEN, inputs))


# ------------------------------------------------------------------ embedded engine


def _descendants(pid: int) -> set[int]:
    """Return the processes below ``pid`` (from /proc: parent ids)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = _ppid(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


@pytest.fixture
def embedded(tmp_path):
    e = Engine(
        Settings(
            data_dir=tmp_path, tile_threshold=0, tile_features=400, tile_workers=2, async_workers=1
        )
    )
    e.start()
    yield e
    e.close()


def test_embedded_tiles_in_a_process_pool(embedded) -> None:
    inputs = city_inputs(2000, seed=5)
    job = embedded.submit("green-3-30-300", inputs)
    done = wait_for(lambda: (j := embedded.get_job(job.job_id)).status.finished and j, 180)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(embedded.get_result(job.job_id)))
    assert doc["provenance"]["tiles"] >= 2000 // 400
    assert without_tiles(doc) == without_tiles(execute(GREEN, inputs))


def test_embedded_dismissal_stops_the_tile_processes(embedded) -> None:
    job = embedded.submit("green-3-30-300", city_inputs(6000, seed=6))

    def in_tiles():
        j = embedded.get_job(job.job_id)
        return j if (j.message or "").startswith("tiles ") else None

    running = wait_for(in_tiles, 180, step=0.02)
    below = _descendants(running.extra["pid"])
    assert len(below) >= 2  # its forkserver and at least one tile process
    assert embedded.dismiss(job.job_id).status is S.dismissed
    wait_for(lambda: not any(pid_alive(p) for p in below | {running.extra["pid"]}), 30)
