"""A parent's rounds of tiles on Redis: each round its own keys and sub-jobs, no straggler's part.

A parent runs its tiles a second time when it starts again reading every layer whole
(``Undefer``). These tests drive :class:`~gsl_service.jobs.tiles.RQTiles` on a real
Redis with no worker listening, so the parent runs every tile itself; ``run_tile`` is
replaced by a stand-in that tags its payload (the tile kernels are tested elsewhere).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import redis
from rq import Queue
from rq.serializers import JSONSerializer

import gsl_service.jobs.tiles as tiles
from engine.engine_helpers import settings_from_env
from gsl_service.jobs.task import Progress


@pytest.fixture
def settings(redis_env):
    return settings_from_env(redis_env, data_dir=tempfile.mkdtemp())


@pytest.fixture
def conn(settings):
    return redis.Redis.from_url(settings.redis_url)


def _tag(payload: bytes) -> bytes:
    return b"part of " + payload


def _keys(settings, conn, scope: str) -> list[bytes]:
    return list(conn.scan_iter(match=f"{settings.redis_prefix}tile:{scope}:*", count=1000))


def _queued(settings, conn) -> list[str]:
    return Queue(settings.rq_queue, connection=conn, serializer=JSONSerializer).job_ids


def test_a_second_round_has_keys_and_sub_jobs_of_its_own(settings, conn, monkeypatch) -> None:
    monkeypatch.setattr(tiles, "run_tile", _tag)
    runner = tiles.RQTiles(settings, "job1")
    enqueued: list[list[str]] = []
    real_stop = tiles.stop_tiles

    def seen_then_stopped(s, parent_id, conn=None, also=(), **kw):  # the queue as it ends
        enqueued.append(sorted(_queued(settings, conn)))
        return real_stop(s, parent_id, conn=conn, also=also, **kw)

    monkeypatch.setattr(tiles, "stop_tiles", seen_then_stopped)
    ticks: list[tuple[int, int]] = []
    first = runner([b"a", b"b", b"c"], lambda done, total: ticks.append((done, total)))
    second = runner([b"x", b"y"], lambda done, total: ticks.append((done, total)))
    assert first == [b"part of a", b"part of b", b"part of c"]
    assert second == [b"part of x", b"part of y"]
    assert ticks == [(1, 3), (2, 3), (3, 3), (1, 2), (2, 2)]
    # the first round's sub-jobs are the parent's id, the second's are its own
    assert enqueued[0] == ["job1-tile-0", "job1-tile-1", "job1-tile-2"]
    assert enqueued[1] == ["job1_2-tile-0", "job1_2-tile-1"]
    # each round cleaned up its keys and cancelled its queued sub-jobs
    assert _keys(settings, conn, "job1") == [] and _keys(settings, conn, "job1_2") == []
    assert not conn.exists(f"{settings.redis_prefix}tiles:job1")
    assert _queued(settings, conn) == []


def test_a_straggler_of_the_first_round_leaves_no_part_in_the_second(
    settings, conn, monkeypatch
) -> None:
    """A worker cut off in round 1 runs its tile while round 2 runs: its part is dropped."""
    p = settings.redis_prefix
    runner = tiles.RQTiles(settings, "job2")
    monkeypatch.setattr(tiles, "run_tile", _tag)
    runner([b"a", b"b"], lambda done, total: None)  # round 1, over
    straggled: list[bool] = []

    def with_a_straggler(payload: bytes) -> bytes:
        if not straggled:  # round 2's first tile: round 1's sub-job 0 turns up now
            straggled.append(tiles.run_rq_tile("job2", 0, settings.model_dump(mode="json")))
            assert not conn.exists(f"{p}tile:job2:0:out")
            assert not conn.exists(f"{p}tile:job2:0:claim")
        return _tag(payload)

    monkeypatch.setattr(tiles, "run_tile", with_a_straggler)
    assert runner([b"x", b"y"], lambda done, total: None) == [b"part of x", b"part of y"]
    assert straggled == [False]  # it found its round over and ran nothing


def test_a_tile_stopped_while_it_ran_drops_its_part(settings, conn, monkeypatch) -> None:
    p = settings.redis_prefix
    conn.set(f"{p}tile:job3:0:in", b"a")
    conn.set(f"{p}tile:job3:0:claim", b"job3-tile-0")

    def stopped_meanwhile(payload: bytes) -> bytes:
        conn.delete(f"{p}tile:job3:0:in")  # the parent finished or was dismissed
        return _tag(payload)

    monkeypatch.setattr(tiles, "run_tile", stopped_meanwhile)
    with pytest.raises(tiles.TilesStopped):
        tiles._run_and_store(settings, conn, "job3", 0)
    assert _keys(settings, conn, "job3") == []


def test_a_round_enqueued_after_a_dismissal_is_stopped_too(settings, conn, monkeypatch) -> None:
    """The set of sub-jobs is deleted (dismissal) while the parent enqueues: it stops its own."""
    p = settings.redis_prefix
    monkeypatch.setattr(tiles, "run_tile", _tag)
    real_claim = tiles.RQTiles._claim

    def dismissed_first(self, conn_, index, *, take):
        conn_.delete(f"{p}tiles:job5")  # stop_tiles of a dismissal ran meanwhile
        return real_claim(self, conn_, index, take=take)

    monkeypatch.setattr(tiles.RQTiles, "_claim", dismissed_first)
    with pytest.raises(tiles.TilesStopped):
        tiles.RQTiles(settings, "job5")([b"a", b"b"], lambda done, total: None)
    assert _keys(settings, conn, "job5") == [] and _queued(settings, conn) == []


def test_stop_tiles_finds_every_rounds_keys(settings, conn) -> None:
    p = settings.redis_prefix
    ids = ["job4-tile-0", "job4_2-tile-0", "job4_2-tile-1", "not-a-tile"]
    conn.sadd(f"{p}tiles:job4", *ids)
    for scope, i in (("job4", 0), ("job4_2", 0), ("job4_2", 1)):
        for what in ("in", "out", "claim"):
            conn.set(f"{p}tile:{scope}:{i}:{what}", b"1")
    assert tiles.stop_tiles(settings, "job4", conn=conn) == 0  # no sub-job was enqueued
    assert _keys(settings, conn, "job4") == [] and _keys(settings, conn, "job4_2") == []


class _Store:
    def __init__(self) -> None:
        self.shown: list[tuple[int, str]] = []

    def set_progress(self, job_id: str, pct: int, message: str) -> bool:
        self.shown.append((pct, message))
        return True


def test_progress_never_goes_back() -> None:
    """A run that starts again (reading every layer whole) holds its percentage."""
    store = _Store()
    job = SimpleNamespace(job_id="j", subscriber=None)
    progress = Progress(store, None, job, SimpleNamespace(progress_interval_s=1.0))  # type: ignore[arg-type]
    progress.write_interval = 0.0
    for fraction, message in [
        (0.0, "reading inputs"),
        (0.4, "tiles 3/9"),
        (0.0, "reading inputs"),  # the second round starts
        (0.3, "tiles 1/9"),
        (0.9, "tiles 9/9"),
        (1.0, "done"),
    ]:
        progress(fraction, message)
    assert store.shown == [
        (0, "reading inputs"),
        (40, "tiles 3/9"),
        (40, "reading inputs"),
        (40, "tiles 1/9"),
        (90, "tiles 9/9"),
        (100, "done"),
    ]


def _round(settings, conn, scope: str, payloads: list[bytes]) -> None:
    """Store a round's tile inputs as :class:`RQTiles` does (no sub-job enqueued)."""
    for i, payload in enumerate(payloads):
        conn.set(f"{settings.redis_prefix}tile:{scope}:{i}:in", payload)


def test_a_sub_job_runs_on_through_the_tiles_nobody_claimed(settings, conn, monkeypatch) -> None:
    """Sub-job 1 runs tile 1, skips tile 2 (the parent's), runs 3 and stops at the end."""
    p = settings.redis_prefix
    monkeypatch.setattr(tiles, "run_tile", _tag)
    _round(settings, conn, "job6", [b"a", b"b", b"c", b"d"])
    conn.set(f"{p}tile:job6:2:claim", tiles.PARENT)
    assert tiles.run_rq_tile("job6", 1, settings.model_dump(mode="json")) is True
    outs = {i: conn.get(f"{p}tile:job6:{i}:out") for i in range(4)}
    assert outs == {0: None, 1: b"part of b", 2: None, 3: b"part of d"}
    claims = {i: conn.get(f"{p}tile:job6:{i}:claim") for i in range(4)}
    assert claims == {0: None, 1: b"job6-tile-1", 2: tiles.PARENT, 3: b"job6-tile-1"}
    # sub-job 3, queued, finds its tile claimed by sub-job 1 and runs nothing
    assert tiles.run_rq_tile("job6", 3, settings.model_dump(mode="json")) is False


@pytest.mark.parametrize("own_done", [False, True])
def test_a_retried_sub_job_runs_again_the_tiles_it_claimed_and_did_not_finish(
    settings, conn, monkeypatch, own_done
) -> None:
    p = settings.redis_prefix
    ran: list[bytes] = []

    def tag(payload: bytes) -> bytes:
        ran.append(payload)
        return _tag(payload)

    monkeypatch.setattr(tiles, "run_tile", tag)
    _round(settings, conn, "job7", [b"a", b"b", b"c"])
    me = b"job7-tile-0"
    for i in range(3):  # its first try claimed all three, finished tile 1, then died
        conn.set(f"{p}tile:job7:{i}:claim", me)
    conn.set(f"{p}tile:job7:1:out", b"part of b")
    if own_done:  # ... or finished its own tile 0 too
        conn.set(f"{p}tile:job7:0:out", b"part of a")
    assert tiles.run_rq_tile("job7", 0, settings.model_dump(mode="json")) is True
    assert ran == ([b"c"] if own_done else [b"a", b"c"])
    assert conn.get(f"{p}tile:job7:2:out") == b"part of c"


def test_a_sub_job_running_on_into_a_stopped_round_leaves_no_claim(
    settings, conn, monkeypatch
) -> None:
    p = settings.redis_prefix
    monkeypatch.setattr(tiles, "run_tile", _tag)
    _round(settings, conn, "job9", [b"a", b"b"])
    real = tiles._run_and_store

    def stopped_at_the_second(s, conn_, scope, index):
        if index == 1:  # the parent stopped the round between the look and the claim
            raise tiles.TilesStopped(scope)
        return real(s, conn_, scope, index)

    monkeypatch.setattr(tiles, "_run_and_store", stopped_at_the_second)
    assert tiles.run_rq_tile("job9", 0, settings.model_dump(mode="json")) is False
    assert not conn.exists(f"{p}tile:job9:1:claim")


def test_a_tile_claimed_by_a_failed_sub_job_running_on_is_lost(settings, conn) -> None:
    """The parent looks up the sub-job named in the claim, not the tile's own sub-job."""
    from rq.job import Job

    p = settings.redis_prefix
    runner = tiles.RQTiles(settings, "job8")
    runner.rounds = 1
    queue = Queue(settings.rq_queue, connection=conn, serializer=JSONSerializer)
    for i in range(3):
        queue.enqueue_call(tiles.TILE_TASK, args=("job8", i, {}), job_id=f"job8-tile-{i}")
    conn.set(f"{p}tile:job8:2:claim", b"job8-tile-0")  # sub-job 0 ran on into tile 2
    failed = Job.fetch("job8-tile-0", connection=conn, serializer=JSONSerializer)
    failed.set_status("failed")
    # tile 2's own sub-job is still queued (not lost); the claim's sub-job failed
    assert runner._lost(conn, 2) is True
    failed.set_status("started")
    failed.heartbeat(datetime.now(UTC), 60)
    assert runner._lost(conn, 2) is False
    tiles.stop_tiles(settings, "job8", conn=conn, also=[f"job8-tile-{i}" for i in range(3)])


@pytest.mark.parametrize("running", [True, False])
def test_a_round_with_every_part_in_leaves_started_sub_jobs_to_end(settings, conn, running) -> None:
    """Once every part is in, a started sub-job is not stopped: it finds no tile left."""
    from rq.job import Job

    queue = Queue(settings.rq_queue, connection=conn, serializer=JSONSerializer)
    started = queue.enqueue_call(tiles.TILE_TASK, args=("job10", 0, {}), job_id="job10-tile-0")
    queue.enqueue_call(tiles.TILE_TASK, args=("job10", 1, {}), job_id="job10-tile-1")
    started.worker_name = "a-worker"  # RQ stops only a job a worker runs
    started.save()
    started.set_status("started")
    stopped = tiles.stop_tiles(
        settings, "job10", conn=conn, also=["job10-tile-0", "job10-tile-1"], running=running
    )
    assert stopped == (2 if running else 1)  # the queued one is cancelled either way
    assert Job.fetch("job10-tile-1", connection=conn, serializer=JSONSerializer).is_canceled


def test_only_an_interrupted_round_stops_its_started_sub_jobs(settings, conn, monkeypatch) -> None:
    calls: list[bool] = []
    real_stop = tiles.stop_tiles

    def recorded(s, parent_id, conn=None, also=(), running=True):
        calls.append(running)
        return real_stop(s, parent_id, conn=conn, also=also, running=running)

    monkeypatch.setattr(tiles, "stop_tiles", recorded)
    monkeypatch.setattr(tiles, "run_tile", _tag)
    tiles.RQTiles(settings, "job11")([b"a", b"b"], lambda done, total: None)

    def failing(payload: bytes) -> bytes:
        raise RuntimeError("a tile failed")

    monkeypatch.setattr(tiles, "run_tile", failing)
    with pytest.raises(RuntimeError):
        tiles.RQTiles(settings, "job12")([b"a"], lambda done, total: None)
    assert calls == [False, True]
