"""Engine benchmarks: job-store scaling (embedded) and the distributed engine (Redis + RQ).

(a) Uncached ``echo`` sync executions through the engine (validation, pool, SQLite job
    and result writes) with 100,000 jobs already stored versus 1,000 stored. The two
    engines run side by side and take turns in batches, so machine noise hits both
    alike. Target ratio >= 0.9.
(b) With Redis + RQ: async submissions per second, and jobs completed per second with
    1 versus 2 ``gsl worker`` processes.
(c) Cached sync executions of one request with a large result (urbanity-class over
    many addresses), 8 threads, through the OGC execute path (raw-request memo, group
    commit): executions/s with the job recorded versus not recorded, and the storage
    they leave (result bodies, SQLite file) against one copy per job.

Run: ``.venv/bin/python benchmarks/bench_jobs.py`` (``--quick`` for a small run,
``--skip-rq`` without Redis). Needs Redis on 127.0.0.1:6379 for (b) (db 1, own prefix).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from gsl_service.engine import Engine
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus
from gsl_service.jobs.store import now
from gsl_service.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/1"


def prefill(engine: Engine, n: int) -> None:
    """Bulk-insert ``n`` finished jobs spread over the last 5 days (within retention)."""
    t0 = now() - timedelta(days=5)
    step = timedelta(days=5) / max(n, 1)
    statuses = [JobStatus.successful, JobStatus.successful, JobStatus.failed]
    batch: list[JobInfo] = []
    for i in range(n):
        t = t0 + i * step
        batch.append(
            JobInfo(
                str(uuid.uuid4()),
                "echo" if i % 2 else "urbanity-class",
                statuses[i % 3],
                t,
                t,
                started=t,
                finished=t + timedelta(seconds=1),
                progress=100,
                cache_key=uuid.uuid4().hex * 2,
            )
        )
        if len(batch) == 10_000:
            engine.store.bulk_insert(batch)
            batch = []
    engine.store.bulk_insert(batch)


def bench_store_scaling(small: int, large: int, per_batch: int, rounds: int) -> float:
    print(f"(a) uncached echo sync executions: {small:,} vs {large:,} jobs stored")
    engines = {}
    for n in (small, large):
        e = Engine(Settings(data_dir=Path(tempfile.mkdtemp(prefix=f"bench{n}-")), sync_workers=1))
        t = time.perf_counter()
        prefill(e, n)
        print(f"    prefilled {n:,} jobs in {time.perf_counter() - t:.1f} s")
        e.start()
        for i in range(20):  # warm up pools and caches
            e.execute_sync("echo", {"message": f"warm {i}"})
        engines[n] = e
    spent = dict.fromkeys(engines, 0.0)
    done = dict.fromkeys(engines, 0)
    counter = 0
    for r in range(rounds):
        order = (small, large) if r % 2 == 0 else (large, small)
        for n in order:
            e = engines[n]
            t = time.perf_counter()
            for _ in range(per_batch):
                counter += 1
                e.execute_sync("echo", {"message": f"bench {counter}"})
            spent[n] += time.perf_counter() - t
            done[n] += per_batch
    rates = {n: done[n] / spent[n] for n in engines}
    for n, e in engines.items():
        stored = e.store.count()
        print(f"    {n:>9,} stored (now {stored:,}): {rates[n]:7.1f} executions/s")
        e.close()
    ratio = rates[large] / rates[small]
    print(f"    ratio {large:,} / {small:,} stored: {ratio:.2f}  (target >= 0.9)")
    return ratio


def _hammer(engine: Engine, payload: bytes, hits: int, threads: int) -> float:
    """Send ``hits`` executions of ``payload`` from ``threads`` threads; return per second."""
    import threading

    from gsl_service.ogc.execute import execute

    left = [hits]
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            execute(engine, engine.registry, "http://x", "urbanity-class", payload, None)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    t = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return hits / (time.perf_counter() - t)


def bench_cached_storage(points: int, hits: int, threads: int = 8) -> float:
    import orjson

    from gsl_service.ogc.execute import execute

    feats = [
        {
            "type": "Feature",
            "id": i,
            "geometry": {
                "type": "Point",
                "coordinates": [121000.0 + 7 * (i % 300), 487000.0 + 7 * (i // 300)],
            },
            "properties": {},
        }
        for i in range(points)
    ]
    payload = orjson.dumps(
        {"inputs": {"addresses": {"type": "FeatureCollection", "features": feats}}}
    )
    print(
        f"(c) {hits} cached sync executions of one request ({points:,} addresses), {threads} threads"
    )
    rates = {}
    for record in (True, False):
        e = Engine(
            Settings(data_dir=Path(tempfile.mkdtemp(prefix="benchc-")), record_sync_jobs=record)
        )
        e.start()
        size = len(execute(e, e.registry, "http://x", "urbanity-class", payload, None)[2])
        execute(e, e.registry, "http://x", "urbanity-class", payload, None)  # memo filled
        rates[record] = _hammer(e, payload, hits, threads)
        if record:
            jobs, bodies = e.store.count(), e.store.count_results()
            e.store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
            db = e.settings.sqlite_path.stat().st_size
            print(
                f"    result document {size / 1e6:.2f} MB; {jobs} jobs recorded in {e._records.batches} writes"
            )
            print(
                f"    result bodies stored: {bodies}; SQLite file {db / 1e6:.2f} MB "
                f"(one copy per job would be {jobs * size / 1e6:.0f} MB)"
            )
        e.close()
    ratio = rates[True] / rates[False]
    print(
        f"    recorded: {rates[True]:7.1f} /s, not recorded: {rates[False]:7.1f} /s, ratio {ratio:.2f}"
    )
    return ratio


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gsl_service.jobs.worker"],
        env={**os.environ, **env},
        start_new_session=True,
    )


def bench_rq(jobs: int) -> None:
    import redis
    from rq import Worker

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        print("(b) skipped: no Redis on 127.0.0.1:6379")
        return
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
        data_dir=Path(tempfile.mkdtemp(prefix="benchrq-")),
    )
    engine = Engine(settings)
    engine.start()
    print(f"(b) Redis + RQ, {jobs} echo jobs per run")
    try:
        t = time.perf_counter()
        for i in range(jobs):
            engine.submit("echo", {"message": f"submit {tag} {i}"})
        sub_rate = jobs / (time.perf_counter() - t)
        print(f"    async submissions: {sub_rate:7.1f} /s")
        engine._rq.queue.empty()  # these were only for the submission rate

        rates = {}
        for n_workers in (1, 2):
            procs = [_start_worker(env) for _ in range(n_workers)]
            try:
                while Worker.count(queue=engine._rq.queue) < n_workers:
                    time.sleep(0.05)
                before = engine.list_jobs(JobFilter(statuses=[JobStatus.successful]))[1]
                t = time.perf_counter()
                for i in range(jobs):
                    engine.submit("echo", {"message": f"run {tag} {n_workers} {i}"})
                while (
                    engine.list_jobs(JobFilter(statuses=[JobStatus.successful], limit=0))[1]
                    < before + jobs
                ):
                    time.sleep(0.02)
                rates[n_workers] = jobs / (time.perf_counter() - t)
                print(f"    {n_workers} worker(s): {rates[n_workers]:7.1f} jobs completed/s")
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
        print(f"    ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")
        print(f"    submissions / completions with 2 workers: {sub_rate / rates[2]:.1f}")
    finally:
        engine.close()
        for pattern in (f"gslbench:{tag}:*", f"rq:*gslbench-{tag}*", "rq:job:*", "rq:results:*"):
            if pattern.startswith("rq:job") or pattern.startswith("rq:results"):
                continue  # RQ job keys expire (result_ttl); we delete only our own names
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
        client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--skip-rq", action="store_true")
    ap.add_argument("--rq-only", action="store_true")
    args = ap.parse_args()
    if not args.rq_only:
        bench_cached_storage(2_000 if args.quick else 20_000, 200 if args.quick else 1000)
    if args.quick:
        if not args.rq_only:
            bench_store_scaling(1_000, 10_000, per_batch=50, rounds=4)
        if not args.skip_rq:
            bench_rq(100)
    else:
        if not args.rq_only:
            bench_store_scaling(1_000, 100_000, per_batch=100, rounds=10)
        if not args.skip_rq:
            bench_rq(400)


if __name__ == "__main__":
    main()
