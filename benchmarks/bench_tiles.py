"""Tiled execution of ``green-3-30-300`` on a seeded synthetic city.

(a) In one process: the one-piece run against the same request in tiles run one by
    one (the cost of cutting and merging); the two documents compared.
(b) With Redis + RQ (``gsl worker`` processes): an async job in tiles with 1 and with 2
    workers, and the one-piece job (tiling off) on 1 worker as the baseline; wall time
    from submission to ``successful``; every result compared with the one-piece one.

Each RQ run has its own key prefix and queue (so the result cache never answers).
Figures are noisy on a shared machine: run it when nothing else does.

Run: ``.venv/bin/python benchmarks/bench_tiles.py [--buildings 30000] [--per-tile 4000]``
(``--quick``: 6,000 homes; ``--skip-rq`` without Redis).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from gsl_indicators.core import synthetic
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry
from gsl_indicators.core.tiling import TileOptions

REDIS_URL = "redis://127.0.0.1:6379/1"
LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods")


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the bare outputs without the facts that differ by road (tiles, cache)."""
    out = output_values(doc)
    out["provenance"] = {
        k: v for k, v in out["provenance"].items() if not k.startswith("tiles") and k != "cache"
    }
    return out


def bench_in_process(inputs: dict[str, Any], per_tile: int) -> dict[str, Any]:
    ind = registry().get("green-3-30-300")
    t = time.perf_counter()
    one = execute(ind, inputs)
    t_one = time.perf_counter() - t
    t = time.perf_counter()
    tiled = execute(ind, inputs, tiles=TileOptions(features_per_tile=per_tile, threshold=0))
    t_tiled = time.perf_counter() - t
    prov = output_values(tiled)["provenance"]
    n = prov["tiles"]
    same = comparable(one) == comparable(tiled)
    canopy = prov.get("tiles_canopy", "in tiles")
    print(f"(a) one piece {t_one:6.2f} s; {n} tiles one by one {t_tiled:6.2f} s (canopy {canopy})")
    print(f"    ratio tiled / one piece: {t_tiled / t_one:.2f}; same document: {same}")
    return comparable(one)


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gsl_service.jobs.worker"],
        env={**os.environ, **env},
        start_new_session=True,
    )


def run_on_rq(
    inputs: dict[str, Any], *, workers: int, tiled: bool, per_tile: int
) -> tuple[float, dict[str, Any]]:
    import redis
    from rq import Worker

    from gsl_service.engine import Engine
    from gsl_service.settings import Settings

    tag = uuid.uuid4().hex[:8]
    env = {
        "GSL_REDIS_URL": REDIS_URL,
        "GSL_REDIS_PREFIX": f"gslbench:{tag}:",
        "GSL_RQ_QUEUE": f"gslbench-{tag}",
        "GSL_LOG_LEVEL": "WARNING",
    }
    settings = Settings(
        redis_url=REDIS_URL,
        redis_prefix=env["GSL_REDIS_PREFIX"],
        rq_queue=env["GSL_RQ_QUEUE"],
        data_dir=Path(tempfile.mkdtemp(prefix="benchtiles-")),
        tile_enabled=tiled,
        tile_threshold=0,
        tile_features=per_tile,
    )
    engine = Engine(settings)
    engine.start()
    procs = [_start_worker(env) for _ in range(workers)]
    try:
        while Worker.count(queue=engine._rq.queue) < workers:
            time.sleep(0.05)
        t = time.perf_counter()
        job = engine.submit("green-3-30-300", inputs)
        while not (j := engine.get_job(job.job_id)).status.finished:
            time.sleep(0.05)
        wall = time.perf_counter() - t
        if j.error:
            raise RuntimeError(j.error)
        return wall, comparable(orjson.loads(engine.get_result(job.job_id)))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a work horse finishing a tile nobody needs
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=15)
        engine.close()
        client = redis.Redis.from_url(REDIS_URL)
        for pattern in (f"gslbench:{tag}:*", f"rq:*gslbench-{tag}*"):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)


def bench_rq(inputs: dict[str, Any], per_tile: int, reference: dict[str, Any]) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        print("(b) skipped: no Redis on 127.0.0.1:6379")
        return
    print("(b) Redis + RQ, submission to successful")
    base, doc = run_on_rq(inputs, workers=1, tiled=False, per_tile=per_tile)
    print(f"    one piece, 1 worker: {base:6.2f} s; same as (a): {doc == reference}")
    walls = {}
    for n in (1, 2):
        walls[n], doc = run_on_rq(inputs, workers=n, tiled=True, per_tile=per_tile)
        print(f"    tiles, {n} worker(s): {walls[n]:6.2f} s; same as one piece: {doc == reference}")
    print(f"    speed-up 2 workers / 1 worker (tiles): {walls[1] / walls[2]:.2f}")
    print(f"    speed-up 2 workers tiled / one piece: {base / walls[2]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buildings", type=int, default=30_000)
    ap.add_argument("--per-tile", type=int, default=4_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-rq", action="store_true")
    args = ap.parse_args()
    n = 6_000 if args.quick else args.buildings
    per_tile = min(args.per_tile, max(1, n // 4))
    city = synthetic.city(n, seed=42)
    inputs = {k: city[k] for k in LAYERS}
    print(f"green-3-30-300 on a synthetic city of {n:,} homes, {per_tile:,} homes a tile")
    reference = bench_in_process(inputs, per_tile)
    if not args.skip_rq:
        bench_rq(inputs, per_tile, reference)


if __name__ == "__main__":
    main()
