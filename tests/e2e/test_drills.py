"""Operator drills on real processes: ``gsl serve`` (uvicorn), ``gsl worker`` (RQ), Redis.

Each drill is bounded in time and talks to 127.0.0.1 only. The Redis outage drill
starts its own ``redis-server`` on a free port (append-only file, fsync always, so a
kill -9 loses nothing) and kills only that one — never the shared Redis on 6379.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.helpers import TERMINAL, wait_for_job, wait_for_status
from e2e.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ECHO = "/processes/echo/execution"


class PrivateRedis:
    """A ``redis-server`` of this test on a free port, persisted to ``dir`` (AOF, fsync always)."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # a drill that cannot run fails loudly, never skips
            pytest.fail("redis-server is not installed; the outage drill needs its own server")
        self.binary = binary
        self.dir = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always",
                "--save", "", "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        import redis

        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                pass
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill9()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.dir.mkdir()
    server.start()
    yield server
    server.stop()


def _wait_ready(c: httpx.Client, wanted: bool, timeout: float) -> float:
    """Poll ``/ready`` until it is ``wanted``; return the seconds it took."""
    t0 = time.monotonic()
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if (c.get("/ready").status_code == 200) is wanted:
                return time.monotonic() - t0
        assert time.monotonic() - t0 < timeout, f"/ready never {wanted} in {timeout} s"
        time.sleep(0.1)


def test_redis_killed_and_restarted_under_traffic(stack, private_redis):
    env = {
        "GSL_REDIS_URL": private_redis.url,
        "GSL_REDIS_PREFIX": "drill:",
        "GSL_RQ_QUEUE": "drill",
        "GSL_REDIS_TIMEOUT_S": "0.5",
        "GSL_WORKER_RECONNECT_MAX_S": "1",
        "GSL_WORKER_HEARTBEAT_S": "1",
        "GSL_RECONCILE_INTERVAL_S": "0.5",
    }
    server = stack("serve", env)
    workers = [stack("worker", env), stack("worker", env)]
    statuses: Counter[str] = Counter()
    bad: list[str] = []
    stop = threading.Event()

    def traffic() -> None:  # sync executions, cached and not, and job reads
        with httpx.Client(base_url=server.url, timeout=10) as c:
            i = 0
            while not stop.is_set():
                i += 1
                msg = "cached" if i % 2 else uuid.uuid4().hex
                try:
                    r = c.post(ECHO, json={"inputs": {"message": msg}})
                    statuses[f"sync {r.status_code}"] += 1
                    if r.status_code != 200:
                        bad.append(f"sync {r.status_code} {r.text[:200]}")
                    r = c.get("/jobs", params={"limit": 1})
                    statuses[f"jobs {r.status_code}"] += 1
                    if r.status_code != 200 and not (
                        r.status_code == 503
                        and r.headers.get("retry-after")
                        and r.headers["content-type"].startswith("application/problem+json")
                    ):
                        bad.append(f"jobs {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as err:
                    bad.append(f"{type(err).__name__}: {err}")

    with httpx.Client(base_url=server.url, timeout=10) as c:
        _wait_ready(c, True, 10)
        jobs = []
        for _ in range(12):  # 12 x 0.5 s on 2 workers: most are still queued at the kill
            r = c.post(
                ECHO,
                json={"inputs": {"message": uuid.uuid4().hex, "pause": 0.5}},
                headers={"Prefer": "respond-async"},
            )
            assert r.status_code == 201, r.text
            jobs.append(r.headers["location"])
        # the workers are working (a first job done) when Redis goes
        assert wait_for_status(c, jobs[0], "successful", timeout=60)["status"] == "successful"
        thread = threading.Thread(target=traffic, daemon=True)
        thread.start()
        time.sleep(0.3)
        queued = sum(c.get(loc).json()["status"] == "accepted" for loc in jobs)
        private_redis.kill9()
        went_down = _wait_ready(c, False, 10)
        time.sleep(3.0)  # traffic during the outage
        during = dict(statuses)
        private_redis.start()  # same port, same append-only file
        came_back = _wait_ready(c, True, 20)
        time.sleep(1.0)
        stop.set()
        thread.join(timeout=20)
        finals = [wait_for_job(c, loc, timeout=60) for loc in jobs]
    assert not bad, bad[:5]
    assert during.get("sync 200", 0) > 0 and during.get("jobs 503", 0) > 0, during
    assert went_down < 10 and came_back < 20
    # queued jobs waited in Redis and the same workers (never restarted) did them
    assert queued > 0  # the drill had queued jobs to lose
    assert [f["status"] for f in finals] == ["successful"] * len(jobs), finals
    assert all(w.proc.poll() is None for w in workers)
    print(
        f"outage drill: {during}, /ready false after {went_down:.1f} s, true {came_back:.1f} s "
        f"after restart, {queued} jobs queued at the kill, all {len(jobs)} successful"
    )


def test_api_killed_with_jobs_running_requeues_them(stack, tmp_path):
    env = {"GSL_ASYNC_WORKERS": "2"}
    server = stack("serve", env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        jobs = []
        for _ in range(3):  # two run, one waits in the pool's queue
            r = c.post(
                ECHO,
                json={"inputs": {"message": uuid.uuid4().hex, "pause": 2}},
                headers={"Prefer": "respond-async"},
            )
            assert r.status_code == 201, r.text
            jobs.append(r.json()["jobID"])
        wait_for_status(c, f"/jobs/{jobs[0]}", "running", timeout=30)
    server.kill9()
    again = stack("serve", env)
    with httpx.Client(base_url=again.url, timeout=30) as c:
        finals = [wait_for_job(c, f"/jobs/{j}", timeout=60) for j in jobs]
        assert [f["status"] for f in finals] == ["successful"] * 3, finals
    db = tmp_path / "var" / "jobs.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_oversize_body_slow_sync_and_bad_offset_on_uvicorn(stack):
    server = stack("serve", {"GSL_MAX_BODY_BYTES": str(2**20), "GSL_SYNC_TIMEOUT_S": "1"})
    with httpx.Client(base_url=server.url, timeout=30) as c:

        def chunks() -> Iterator[bytes]:  # 4 MiB streamed (chunked), no Content-Length
            yield b'{"inputs": {"message": "'
            for _ in range(64):
                yield b"x" * 65536
            yield b'"}}'

        r = c.post(ECHO, content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        declared = c.post(ECHO, content=b"x" * (2**20 + 1))
        assert declared.status_code == 413
        # a slow sync execution is stopped at the time limit; a quick one meanwhile is served
        t0 = time.monotonic()
        slow = c.post(ECHO, json={"inputs": {"message": "slow", "pause": 20}})
        assert slow.status_code == 422, slow.text
        assert "time limit of 1 s" in slow.json()["detail"]
        assert time.monotonic() - t0 < 15  # not the 20 s it asked for
        quick = c.post(ECHO, json={"inputs": {"message": "quick"}})
        assert quick.status_code == 200
        r = c.get("/jobs", params={"offset": "9223372036854775808"})
        assert r.status_code == 400 and r.json()["input"] == "offset"
        assert c.get("/health").status_code == 200


def test_200_concurrent_clients(stack):
    server = stack("serve")
    statuses: Counter[int] = Counter()
    accepted: list[str] = []
    errors: list[str] = []

    async def client(n: int, until: float) -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as c:
            i = 0
            while time.monotonic() < until:
                i += 1
                try:
                    if (n + i) % 5 == 0:  # one in five is a job
                        r = await c.post(
                            ECHO,
                            json={"inputs": {"message": f"load {n % 7}"}},
                            headers={"Prefer": "respond-async"},
                        )
                        if r.status_code == 201:
                            accepted.append(r.json()["jobID"])
                    else:
                        r = await c.post(ECHO, json={"inputs": {"message": f"load {n % 7}"}})
                    statuses[r.status_code] += 1
                except httpx.HTTPError as err:
                    errors.append(f"{type(err).__name__}: {err}")

    with httpx.Client(base_url=server.url, timeout=60) as warm:  # pool children started
        for k in range(7):
            assert warm.post(ECHO, json={"inputs": {"message": f"load {k}"}}).status_code == 200

    async def run() -> None:
        until = time.monotonic() + 3.0
        await asyncio.gather(*(client(n, until) for n in range(200)))

    asyncio.run(run())
    assert not errors, errors[:5]
    assert set(statuses) <= {200, 201}, statuses
    assert statuses[200] > 0 and accepted
    print(f"200 clients, 3 s: {dict(statuses)}, {len(accepted)} jobs accepted")
    with httpx.Client(base_url=server.url, timeout=30) as c:
        deadline = time.monotonic() + 60
        for job in accepted:
            while (s := c.get(f"/jobs/{job}").json()["status"]) not in TERMINAL:
                assert time.monotonic() < deadline, f"job {job} still {s}"
                time.sleep(0.05)
            assert s == "successful"
