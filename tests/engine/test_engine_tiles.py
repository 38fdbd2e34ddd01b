"""Tiles as RQ sub-jobs on real worker processes: same result, progress, dismissal, lost workers."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path

import orjson
import pytest
import redis
from rq import Worker
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
    wait_for(lambda: Worker.count(queue=tiled_engine._rq.queue) == 2, 60)  # both listening
    inputs = city_inputs(4000)
    job = tiled_engine.submit("green-3-30-300", inputs)
    done = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 180)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(tiled_engine.get_result(job.job_id)))
    n_tiles = doc["provenance"]["tiles"]
    assert n_tiles >= 4000 // 250  # 4,000 homes at 250 a tile: 16 or more cells
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
    # a sub-job dequeued as the parent finished cleans up after itself
    wait_for(lambda: _tile_keys(tiled_engine, job.job_id) == [], 30)
    # and every sub-job ends finished or cancelled, the one that ran on through the
    # tiles nobody claimed included: none failed or stopped as the round ended
    subs = [tile_job_id(job.job_id, i) for i in range(n_tiles)]

    def ended() -> set[str] | None:
        found = Job.fetch_many(subs, connection=conn, serializer=JSONSerializer)
        assert None not in found  # read well within their 60 s of results kept
        got = {s.get_status().value for s in found if s is not None}
        return got if got <= {"finished", "canceled", "failed", "stopped"} else None

    assert wait_for(ended, 30) <= {"finished", "canceled"}


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


def kill_pod(worker) -> None:
    """SIGKILL a worker and its work horse (RQ puts the horse in a process group of its own)."""
    for pid in [*_descendants(worker.pid), worker.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("tiled_engine", [1000], indirect=True)
def test_a_lost_workers_tile_is_run_again(tiled_engine, start_worker) -> None:
    workers = [start_worker(), start_worker()]
    wait_for(lambda: Worker.count(queue=tiled_engine._rq.queue) == 2, 60)  # both listening
    inputs = city_inputs(8000)
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
    kill_pod(other)
    assert not conn.exists(f"{p}tile:{job.job_id}:{index}:out")  # lost with its worker
    done = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 180)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(tiled_engine.get_result(job.job_id)))
    assert without_tiles(doc) == without_tiles(execute(GREEN, inputs))


@pytest.mark.slow
def test_a_lost_parent_fails_and_its_tiles_are_stopped(tiled_engine, start_worker) -> None:
    workers = [start_worker(), start_worker()]
    job = tiled_engine.submit("green-3-30-300", city_inputs(6000))
    running = wait_for(
        lambda: (j := tiled_engine.get_job(job.job_id)).message.startswith("tiles ") and j,
        180,
        step=0.02,
    )
    parent_worker = next(w for w in workers if w.pid == _ppid(running.extra["pid"]))
    kill_pod(parent_worker)  # the parent's pod is lost
    assert not tiled_engine.get_job(job.job_id).status.finished  # killed mid-way
    failed = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 60)
    assert failed.status is S.failed and "worker lost" in failed.message
    wait_for(lambda: _tile_keys(tiled_engine, job.job_id) == [], 30)


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


def test_a_scoreboard_runs_its_large_parts_in_tiles_on_two_workers(
    tiled_engine, start_worker
) -> None:
    """A card's large parts each run in a round of tiles of its own, as sub-jobs."""
    from gsl_indicators.core.parts import MemoPartCache

    start_worker()
    start_worker()
    wait_for(lambda: Worker.count(queue=tiled_engine._rq.queue) == 2, 60)
    inputs = {**city_inputs(2000), "card": "ggo-utrecht-example"}
    job = tiled_engine.submit("scoreboard", inputs)
    done = wait_for(lambda: (j := tiled_engine.get_job(job.job_id)).status.finished and j, 240)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(tiled_engine.get_result(job.job_id)))
    ran = {p["indicator"]: p.get("tiles") for p in doc["provenance"]["parts"]}
    assert ran["green-3-30-300"] >= 2000 // 250
    one = execute(registry().get("scoreboard"), inputs, part_cache=MemoPartCache())

    def plain(d: dict) -> dict:
        d = without_tiles(d)
        parts = [
            {k: v for k, v in p.items() if k not in ("tiles", "tiles_reason")}
            for p in d["provenance"]["parts"]
        ]
        return {**d, "provenance": {**d["provenance"], "parts": parts}}

    assert plain(doc) == plain(one)
    # each tiled part was a round of its own: sub-jobs {job}-tile-i, {job}_2-tile-i, …
    tiled = [p for p in doc["provenance"]["parts"] if isinstance(p.get("tiles"), int)]
    assert len(tiled) >= 2
    conn = _conn(tiled_engine)
    second = tile_job_id(f"{job.job_id}_2", 0)
    assert Job.exists(second, connection=conn) or conn.exists(f"rq:job:{second}")
    wait_for(lambda: _tile_keys(tiled_engine, job.job_id) == [], 30)
    p = tiled_engine.settings.redis_prefix
    wait_for(lambda: not list(conn.scan_iter(match=f"{p}tile:{job.job_id}_*", count=1000)), 30)


def test_dismissing_a_scoreboard_stops_the_round_of_tiles_it_is_in(
    tiled_engine, start_worker
) -> None:
    start_worker()  # one worker: the parent runs each round of tiles itself
    job = tiled_engine.submit("scoreboard", {**city_inputs(6000), "card": "ggo-utrecht-example"})

    def in_green_tiles():
        j = tiled_engine.get_job(job.job_id)
        return j if (j.message or "").startswith("green-3-30-300: tiles ") else None

    running = wait_for(in_green_tiles, 240, step=0.02)
    horse = running.extra["pid"]
    done, total = (int(v) for v in running.message.rsplit(" ", 1)[1].split("/"))
    assert 0 < done < total and total >= 6000 // 250
    assert 10 <= running.progress <= 85
    assert tiled_engine.dismiss(job.job_id).status is S.dismissed
    wait_for(lambda: not pid_alive(horse), 30)
    p = tiled_engine.settings.redis_prefix
    conn = _conn(tiled_engine)
    # no round leaves keys behind: {job}-tile-…, {job}_2-tile-…, …
    wait_for(lambda: not list(conn.scan_iter(match=f"{p}tile:{job.job_id}*", count=1000)), 30)
    wait_for(lambda: _tile_keys(tiled_engine, job.job_id) == [], 30)
    assert tiled_engine._rq.queue.count == 0
    assert tiled_engine.get_job(job.job_id).status is S.dismissed


def test_embedded_scoreboard_runs_each_tiled_part_in_the_process_pool(embedded) -> None:
    """Without Redis: each tiled part of a card is a round in a process pool of the job's own."""
    from gsl_indicators.core.parts import MemoPartCache

    inputs = {**city_inputs(2000, seed=5), "card": "ggo-utrecht-example"}
    job = embedded.submit("scoreboard", inputs)
    done = wait_for(lambda: (j := embedded.get_job(job.job_id)).status.finished and j, 240)
    assert done.status is S.successful, done.error
    doc = values(orjson.loads(embedded.get_result(job.job_id)))
    tiled = {p["indicator"]: p["tiles"] for p in doc["provenance"]["parts"] if "tiles" in p}
    assert tiled["green-3-30-300"] >= 2000 // 400
    assert sum(isinstance(n, int) for n in tiled.values()) >= 2  # two rounds or more
    one = execute(registry().get("scoreboard"), inputs, part_cache=MemoPartCache())
    parts = [
        {k: v for k, v in p.items() if k not in ("tiles", "tiles_reason")}
        for p in doc["provenance"]["parts"]
    ]
    assert {
        **without_tiles(doc),
        "provenance": {**without_tiles(doc)["provenance"], "parts": parts},
    } == without_tiles(one)


def _losing_schedule(monkeypatch, losses: int) -> list[object]:
    """Make the embedded tile pool lose the first ``losses`` tiles handed to it as if it
    broke before a child took them (``NeverStarted``); return the lost futures."""
    from concurrent.futures import Future

    import gsl_service.jobs.embedded as embedded

    real = embedded.RenewingPool.schedule
    lost: list[object] = []

    def schedule(self, fn, args=(), timeout=None):
        if len(lost) < losses:
            fut: Future = Future()
            fut.set_exception(embedded.NeverStarted("the pool broke before it started"))
            lost.append(fut)
            return fut
        return real(self, fn, args, timeout)

    monkeypatch.setattr(embedded.RenewingPool, "schedule", schedule)
    return lost


def test_a_tile_its_pool_lost_before_it_started_runs_on_the_new_pool(monkeypatch) -> None:
    from gsl_indicators.core.tiling import TileOptions
    from gsl_service.jobs.tiles import PoolTiles

    inputs = city_inputs(2000, seed=5)
    lost = _losing_schedule(monkeypatch, losses=3)  # the first three tiles handed over
    options = TileOptions(features_per_tile=400, threshold=0, runner=PoolTiles(2))
    doc = execute(GREEN, inputs, tiles=options)
    assert len(lost) == 3 and doc["provenance"]["tiles"] >= 5
    assert without_tiles(doc) == without_tiles(execute(GREEN, inputs))


def test_a_tile_lost_more_often_than_retried_fails_the_run(monkeypatch) -> None:
    from gsl_indicators.core.tiling import TileOptions
    from gsl_service.jobs.embedded import NeverStarted
    from gsl_service.jobs.tiles import PoolTiles

    _losing_schedule(monkeypatch, losses=10_000)
    options = TileOptions(features_per_tile=400, threshold=0, runner=PoolTiles(2))
    with pytest.raises(NeverStarted):
        execute(GREEN, city_inputs(2000, seed=5), tiles=options)
