"""Tiles of a large job as RQ sub-jobs (distributed), or one by one (embedded).

The parent job (an ordinary async job in an RQ work horse) plans its tiles
(:mod:`gsl_indicators.core.tiling`) and hands them to :class:`RQTiles`:

* each tile's bytes go to Redis (``{prefix}tile:{parent}:{i}:in``) and a sub-job
  ``{parent}-tile-{i}`` is enqueued with JSON arguments only (never pickle), with RQ
  ``Retry`` for a work horse that fails; the sub-job ids are kept in
  ``{prefix}tiles:{parent}``, so dismissing the parent stops them
  (:func:`stop_tiles`);
* whoever runs a tile first **claims** it (``SET NX`` on ``...:claim``): a worker, or
  the parent itself, which runs unclaimed tiles while it waits (from the last one
  down, while the queue hands them out from the first) — so a parent never
  waits for a queue that only it could serve (one worker runs every tile itself;
  two share them); a sub-job that has run its tile runs on, in the same work horse,
  through the next tiles nobody has claimed (:func:`_run_tiles_from`), so a worker
  forks one work horse per round rather than one per tile;
* a tile claimed by a worker that is lost (RQ reports it failed or stopped after its
  retries, or its heartbeat is older than ``GSL_WORKER_TTL_S``) is run again by the
  parent;
* each call is a **round** of tiles; a parent that runs several — a scoreboard's large
  parts one after another (:func:`~gsl_indicators.core.parts.run_parts`), or a run that
  starts again reading every layer whole
  (:class:`~gsl_indicators.core.tile_files.Undefer`) — gives round n keys and sub-job
  ids of their own (``{parent}_n-tile-{i}``), and a tile whose input key is gone when it
  has run drops its part: a straggler of one round (a worker that was cut off, not
  dead) can never put its part into another;
* after every finished tile the parent reports progress; a dismissed parent stops
  there (``JobAborted``), and its remaining sub-jobs are cancelled and its keys deleted.

Embedded, the job's pool process runs its tiles in a process pool of its own
(:class:`PoolTiles`, ``GSL_TILE_WORKERS`` processes; 1: one by one in the job's
process). Its processes die with the job's process (``PR_SET_PDEATHSIG``), so
dismissing the job — which terminates its process — stops its tiles too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rq import Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.job import JobStatus as RQStatus
from rq.serializers import JSONSerializer

from gsl_indicators.core.tiling import TileOptions, run_tile

if TYPE_CHECKING:
    import redis

    from gsl_service.settings import Settings

log = logging.getLogger(__name__)

TILE_TASK = "gsl_service.jobs.tiles.run_rq_tile"
PARENT = b"parent"


def tile_options(settings: Settings, parent_id: str | None = None) -> TileOptions | None:
    """Return the tile options of a job (``None`` when tiling is switched off).

    With Redis and a parent job id, tiles run as RQ sub-jobs; else in a process pool
    of ``GSL_TILE_WORKERS`` (one by one when 1).
    """
    if not settings.tile_enabled:
        return None
    runner: Any = None
    if settings.redis_url and parent_id:
        runner = RQTiles(settings, parent_id)
    elif settings.tile_workers > 1:
        runner = PoolTiles(
            settings.tile_workers, settings.worker_memory_mb, settings.model_dump(mode="json")
        )
    return TileOptions(
        features_per_tile=settings.tile_features,
        threshold=settings.tile_threshold,
        runner=runner,
    )


def _key(settings: Settings, parent_id: str, index: int, what: str) -> str:
    return f"{settings.redis_prefix}tile:{parent_id}:{index}:{what}"


def _set_key(settings: Settings, parent_id: str) -> str:
    return f"{settings.redis_prefix}tiles:{parent_id}"


def tile_job_id(parent_id: str, index: int) -> str:
    """Return the RQ id of a parent's tile ``index``.

    Examples
    --------
    >>> tile_job_id("abc", 3)
    'abc-tile-3'
    """
    return f"{parent_id}-tile-{index}"


def _conn(settings: Settings) -> redis.Redis:
    from gsl_service.jobs.task import _redis

    assert settings.redis_url
    return _redis(settings.redis_url)


class RQTiles:
    """Run a parent job's tiles as RQ sub-jobs (see the module text).

    ``scope`` names the current round's keys and sub-jobs: the parent's id for its
    first round of tiles, ``{parent}_{n}`` for the n-th.
    """

    def __init__(self, settings: Settings, parent_id: str) -> None:
        self.settings = settings
        self.parent_id = parent_id
        self.rounds = 0

    @property
    def scope(self) -> str:
        """The current round's name in keys and sub-job ids."""
        return self.parent_id if self.rounds <= 1 else f"{self.parent_id}_{self.rounds}"

    def __call__(
        self, payloads: Sequence[bytes], on_tile: Callable[[int, int], None]
    ) -> list[bytes]:
        """Run the tiles; return their parts in order."""
        from gsl_service.jobs.worker import rq_queue

        self.rounds += 1
        s, parent, scope = self.settings, self.parent_id, self.scope
        conn = _conn(s)
        n = len(payloads)
        ttl = int(s.job_timeout_s) + 600
        ids = [tile_job_id(scope, i) for i in range(n)]
        conn.sadd(_set_key(s, parent), *ids)
        conn.expire(_set_key(s, parent), ttl)
        queue = rq_queue(s, conn)
        job_settings = s.model_dump(mode="json")
        try:
            # each tile is enqueued as soon as its bytes are stored (they are made one at a
            # time, TilePayloads), so other workers start while the parent makes the rest
            for i, payload in enumerate(payloads):
                conn.set(_key(s, scope, i, "in"), payload, ex=ttl)
                queue.enqueue_call(
                    TILE_TASK,
                    args=(scope, i, job_settings),
                    job_id=ids[i],
                    timeout=s.job_timeout_s,
                    result_ttl=60,
                    failure_ttl=ttl,
                    retry=Retry(max=s.tile_retries) if s.tile_retries else None,
                    description=f"gsl tile {i + 1}/{n} of job {parent}",
                )
            parts = self._collect(conn, n, on_tile)
        except BaseException:
            stop_tiles(s, parent, conn=conn, also=ids)
            raise
        # every part is in: a sub-job still running finds no tile left and ends by itself
        # (stopping it would put a sub-job that ran on through tiles among the failed)
        stop_tiles(s, parent, conn=conn, also=ids, running=False)
        return parts

    def _collect(
        self, conn: redis.Redis, n: int, on_tile: Callable[[int, int], None]
    ) -> list[bytes]:
        s, parent, scope = self.settings, self.parent_id, self.scope
        parts: dict[int, bytes] = {}
        while len(parts) < n:
            if not conn.exists(_set_key(s, parent)):
                raise TilesStopped(parent)
            progressed = False
            for i in range(n):
                if i in parts:
                    continue
                out = conn.get(_key(s, scope, i, "out"))
                if out is not None:
                    parts[i] = _bytes(out)
                    on_tile(len(parts), n)
                    progressed = True
            if len(parts) == n:
                break
            # the parent takes tiles from the end, the queue hands them out from the front
            mine = next(
                (
                    i
                    for i in reversed(range(n))
                    if i not in parts and self._claim(conn, i, take=False)
                ),
                None,
            )
            if mine is None:
                mine = next((i for i in range(n) if i not in parts and self._lost(conn, i)), None)
                if mine is not None:
                    log.warning(
                        "tile %d of job %s: its worker was lost; running it here", mine, parent
                    )
                    self._claim(conn, mine, take=True)
            if mine is not None:
                parts[mine] = _run_and_store(s, conn, scope, mine)
                on_tile(len(parts), n)
            elif not progressed:
                time.sleep(s.tile_poll_s)
        return [parts[i] for i in range(n)]

    def _claim(self, conn: redis.Redis, index: int, *, take: bool) -> bool:
        key = _key(self.settings, self.scope, index, "claim")
        ttl = int(self.settings.job_timeout_s) + 600
        if take:
            conn.set(key, PARENT, ex=ttl)
            got = True
        else:
            got = bool(conn.set(key, PARENT, nx=True, ex=ttl))
        if got and not conn.exists(_set_key(self.settings, self.parent_id)):
            conn.delete(key)  # stopped meanwhile: leave nothing behind
            raise TilesStopped(self.parent_id)
        return got

    def _lost(self, conn: redis.Redis, index: int) -> bool:
        """Return whether a worker claimed the tile and is gone (failed, stopped, silent)."""
        claim = conn.get(_key(self.settings, self.scope, index, "claim"))
        if claim is None or claim == PARENT:
            return False
        try:  # the sub-job that claimed it: its own, or one running on (_run_tiles_from)
            job = Job.fetch(_bytes(claim).decode(), connection=conn, serializer=JSONSerializer)
        except NoSuchJobError:
            return True
        status = job.get_status(refresh=True)
        if status in (RQStatus.FAILED, RQStatus.STOPPED, RQStatus.CANCELED):
            return True
        if status == RQStatus.FINISHED:  # finished without writing its part
            return conn.get(_key(self.settings, self.scope, index, "out")) is None
        if status == RQStatus.STARTED:
            beat = job.last_heartbeat or job.started_at
            if beat is not None:
                if beat.tzinfo is None:
                    beat = beat.replace(tzinfo=UTC)
                return (datetime.now(UTC) - beat).total_seconds() > self.settings.worker_ttl_s
        return False


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _run_and_store(settings: Settings, conn: redis.Redis, scope: str, index: int) -> bytes:
    """Run tile ``index`` of round ``scope`` and store its part; return the part.

    Raises
    ------
    TilesStopped
        When the round was stopped while the tile ran (its input key is gone: the
        parent finished, was dismissed, or started another round): the part is dropped.
    """
    given = _key(settings, scope, index, "in")
    payload = conn.get(given)
    if payload is None:
        raise TilesStopped(scope)
    part = run_tile(_bytes(payload))
    out = _key(settings, scope, index, "out")
    conn.set(out, part, ex=int(settings.job_timeout_s) + 600)
    if not conn.exists(given):  # stopped while this tile ran
        conn.delete(out, _key(settings, scope, index, "claim"))
        raise TilesStopped(scope)
    return part


class TilesStopped(RuntimeError):
    """A round of tiles was stopped: its parts are no longer wanted.

    The parent finished it, was dismissed or declared lost, or started another round.
    """


def run_rq_tile(scope: str, index: int, settings: dict[str, Any]) -> bool:
    """RQ entry point of a tile sub-job: claim the tile, run it, store its part; go on.

    ``scope`` is the round's (:class:`RQTiles`: the parent job's id, or
    ``{parent}_{n}`` for its n-th round). A tile claimed already (by the parent or
    another worker) is left alone; a tile whose round is over (keys deleted) does
    nothing. Having run its tile, the sub-job runs the round's next tiles that nobody
    has claimed, in this same work horse (:func:`_run_tiles_from`). Returns whether it
    ran its tile (RQ keeps it as the sub-job's result for a minute).
    """
    import gsl_service.jobs.worker as worker
    from gsl_service.jobs.task import _settings, use_spool_of

    d = dict(settings)
    if worker.WORKER_SETTINGS is not None and worker.WORKER_SETTINGS.redis_url:
        d["redis_url"] = worker.WORKER_SETTINGS.redis_url
    if worker.WORKER_SETTINGS is not None:  # this worker's own disk: a tile may read files
        d["spool_dir"] = str(worker.WORKER_SETTINGS.spool_path.resolve())
        d["spool_max_bytes"] = worker.WORKER_SETTINGS.spool_max_bytes
    s = _settings(d)
    use_spool_of(d)
    conn = _conn(s)
    claim, given = _key(s, scope, index, "claim"), _key(s, scope, index, "in")
    me = tile_job_id(scope, index).encode()  # an RQ retry of this sub-job is "me" too
    ttl = int(s.job_timeout_s) + 600
    if not conn.exists(given):
        return False  # the parent is done with its tiles
    if not conn.set(claim, me, nx=True, ex=ttl) and conn.get(claim) != me:
        return False  # the parent runs it (it took it over, or got to it first)
    if not conn.exists(given):  # the parent finished between the two looks
        conn.delete(claim)
        return False
    try:  # its own tile (claimed above; an RQ retry may find it done), then the next
        _run_tiles_from(s, conn, scope, index, me)
    except TilesStopped:
        return False
    return True


def _run_tiles_from(
    settings: Settings, conn: redis.Redis, scope: str, start: int, me: bytes
) -> None:
    """Run the round's tiles from ``start`` on that nobody else has claimed.

    A tile is run when this sub-job (``me``) claims it now, or claimed it before and
    its part is not stored (its own tile; an RQ retry's). Each is claimed in the name
    of this sub-job, so a parent that finds it
    failed, stopped or silent runs those tiles again (:meth:`RQTiles._lost`), and an
    RQ retry of it runs again those it claimed and had not finished. The round's
    queued sub-jobs of those tiles then find them claimed and do nothing (the parent
    cancels them at the round's end; a worker that takes one before then runs a work
    horse that does nothing). Why: a sub-job forks a work horse of its own,
    ~35 ms more per tile than running on in one (measured at 650,000 homes, 21
    tiles of 20,000 on a second worker: 1.1 s → 0.4 s between tiles).

    Raises
    ------
    TilesStopped
        When the round was stopped while a tile ran (see :func:`_run_and_store`).
    """
    ttl = int(settings.job_timeout_s) + 600
    i = start
    while conn.exists(_key(settings, scope, i, "in")):  # past the last tile: no key
        claim = _key(settings, scope, i, "claim")
        if conn.set(claim, me, nx=True, ex=ttl) or (
            conn.get(claim) == me and not conn.exists(_key(settings, scope, i, "out"))
        ):
            try:
                _run_and_store(settings, conn, scope, i)
            except TilesStopped:  # stopped since the look above: leave no claim behind
                conn.delete(claim)
                raise
        i += 1


def stop_tiles(
    settings: Settings,
    parent_id: str,
    conn: redis.Redis | None = None,
    also: Sequence[str] = (),
    *,
    running: bool = True,
) -> int:
    """Cancel or stop a parent's tile sub-jobs and delete its tile keys; return how many.

    Called when the parent finishes (its tiles are done or it was interrupted) and
    when it is dismissed (:meth:`~gsl_service.jobs.rq_runner.RQRunner.stop`). ``also``:
    sub-job ids the parent knows of itself (its round's), stopped even when a dismissal
    deleted the set that lists them while the round was being enqueued. ``running``:
    stop the sub-jobs that have started too (``False`` once every part is in: with the
    keys gone they end by themselves, a tile's part dropped).
    """
    from rq.command import send_stop_job_command

    conn = conn if conn is not None else _conn(settings)
    listed = [
        i.decode() if isinstance(i, bytes) else str(i)
        for i in conn.smembers(_set_key(settings, parent_id))
    ]
    ids = list(dict.fromkeys([*listed, *also]))
    stopped = 0
    for job_id in ids:
        try:
            job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
        except NoSuchJobError:
            continue
        status = job.get_status(refresh=False)
        try:
            if status == RQStatus.STARTED:
                if running:
                    send_stop_job_command(conn, job_id, serializer=JSONSerializer)
                    stopped += 1
            elif status in (RQStatus.QUEUED, RQStatus.DEFERRED, RQStatus.SCHEDULED):
                job.cancel()
                stopped += 1
        except (InvalidJobOperation, NoSuchJobError) as err:
            log.info("could not stop tile job %s: %s", job_id, err)
    keys = [_set_key(settings, parent_id)]
    for job_id in ids:
        scope, _, index = job_id.rpartition("-tile-")  # tile_job_id(scope, index)
        if scope and index.isdigit():  # anything else in the set is not a tile of ours
            keys += [_key(settings, scope, int(index), w) for w in ("in", "out", "claim")]
    conn.delete(*keys)
    return stopped


def _die_with_parent(memory_mb: int, settings: Mapping[str, Any] | None = None) -> None:
    """Tile process initializer: die when the process that started it dies; bound memory.

    With the job's ``settings``, input files by reference are read through its spool
    (a tile may read them: :mod:`gsl_indicators.core.tile_files`).
    """
    import contextlib
    import ctypes
    import signal

    from gsl_service.jobs.task import use_spool_of
    from gsl_service.jobs.worker import limit_memory

    with contextlib.suppress(OSError, AttributeError):  # Linux only: PR_SET_PDEATHSIG (1)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    limit_memory(memory_mb)
    if settings is not None:
        use_spool_of(settings)


class PoolTiles:
    """Run a job's tiles in a process pool of its own (embedded engine).

    The pool's processes come from a forkserver started by the job's process (which
    has the kernels imported) and are bound to it: when the job's process ends —
    dismissed, timed out — its forkserver ends and they are killed. The pool is a
    :class:`~gsl_service.jobs.embedded.RenewingPool`: a tile its pool lost before a
    child took it (an idle child killed) runs on the new pool, at most
    ``POOL_RETRIES`` times; a child lost while it ran a tile fails the job with the
    reason.
    """

    def __init__(
        self, workers: int, memory_mb: int = 0, settings: dict[str, Any] | None = None
    ) -> None:
        self.workers = max(1, workers)
        self.memory_mb = memory_mb
        self.settings = settings

    def __call__(
        self, payloads: Sequence[bytes], on_tile: Callable[[int, int], None]
    ) -> list[bytes]:
        """Run the tiles; return their parts in order (``on_tile`` after each)."""
        from concurrent.futures import FIRST_COMPLETED, wait

        from gsl_service.jobs.embedded import POOL_RETRIES, RenewingPool, never_ran

        n = len(payloads)
        pool = RenewingPool(
            min(self.workers, n), self.memory_mb, self.settings, initializer=_die_with_parent
        )
        try:
            running: dict[Any, int] = {
                pool.schedule(run_tile, args=(p,)): i for i, p in enumerate(payloads)
            }
            retries = [0] * n
            parts: dict[int, bytes] = {}
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = running.pop(fut)
                    err = fut.exception()
                    if err is not None and never_ran(err) and retries[i] < POOL_RETRIES:
                        retries[i] += 1
                        log.warning("tile %d: its pool broke before it started; again", i)
                        running[pool.schedule(run_tile, args=(payloads[i],))] = i
                        continue
                    parts[i] = fut.result()
                    on_tile(len(parts), n)
            return [parts[i] for i in range(n)]
        finally:
            pool.close()
