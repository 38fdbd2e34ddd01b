"""Cached execution throughput over real HTTP vs a bare FastAPI endpoint (target ≥ 0.5).

Two uvicorn servers run as subprocesses, one after the other, on free ports:

* the service (``gsl_service.app:create_app``, embedded defaults, a temporary data
  dir) answering ``POST /processes/{id}/execution`` from its result cache;
* a bare FastAPI app whose one POST endpoint returns the very same bytes.

The same httpx client load (``--concurrency`` requests in flight, keep-alive) is
measured against both in one run; the ratio of requests per second is printed.

    .venv/bin/python benchmarks/bench_http.py            # 3000 requests per side
    .venv/bin/python benchmarks/bench_http.py --quick    # 600
    .venv/bin/python benchmarks/bench_http.py --vary-bytes  # unique bytes per request

``--vary-bytes`` prefixes every request with unique JSON white space, so no request
repeats bytes seen before: each one is parsed, validated and digested (the raw
request memo never hits), while every one still has the same cache key.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parents[1]

# A cached urbanity-class request of 200 addresses (a ~20 kB result document).
REQUEST = {
    "inputs": {
        "addresses": {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
            "features": [
                {
                    "type": "Feature",
                    "id": i,
                    "geometry": {
                        "type": "Point",
                        "coordinates": [121000.0 + 37 * (i % 20), 487000.0 + 41 * (i // 20)],
                    },
                    "properties": {},
                }
                for i in range(200)
            ],
        }
    }
}
PROCESS = "urbanity-class"


def bare_app(body_file: str) -> FastAPI:
    """Return a FastAPI app whose POST endpoint returns the bytes in ``body_file``."""
    body = Path(body_file).read_bytes()
    app = FastAPI()

    @app.post("/processes/{process_id}/execution")
    async def execute(process_id: str, request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        args, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError(
                    proc.stderr.read().decode() if proc.stderr else "server died"
                ) from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server at {url} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


VARY = False  # set by --vary-bytes
SEQ = itertools.count()  # unique across rounds and both servers


def unique_whitespace(i: int) -> bytes:
    """Return JSON white space that encodes ``i`` (base 4 in space, tab, CR, LF)."""
    out = bytearray()
    while True:
        i, d = divmod(i, 4)
        out.append(b" \t\r\n"[d])
        if i == 0:
            return bytes(out)


async def load(
    url: str, payload: bytes, total: int, concurrency: int, expect: bytes | None
) -> float:
    """Send ``total`` POSTs with ``concurrency`` in flight; return requests per second."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        for _ in range(20):  # warm-up
            r = await client.post(url, content=payload, headers=headers)
            r.raise_for_status()
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                body = unique_whitespace(next(SEQ)) + payload if VARY else payload
                r = await client.post(url, content=body, headers=headers)
                if r.status_code != 200 or (expect is not None and r.content != expect):
                    raise RuntimeError(f"unexpected answer {r.status_code}: {r.content[:200]!r}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - t0)


def measure(
    tmp: Path, extra: dict[str, str], payload: bytes, total: int, args: argparse.Namespace
) -> tuple[list[float], list[float], int]:
    """Return (service req/s per round, bare req/s per round, result size) for one variant."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"GSL_DATA_DIR": f"{tmp}/var", "GSL_BASE_URL": base, "GSL_LOG_LEVEL": "warning", **extra}
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    service = start(
        [*uvicorn, "--port", str(port), "--factory", "gsl_service.app:create_app"],
        env,
        f"{base}/health",
    )
    try:
        url = f"{base}/processes/{PROCESS}/execution"
        headers = {"Content-Type": "application/json"}
        httpx.post(url, content=payload, headers=headers, timeout=120).raise_for_status()
        cached = httpx.post(url, content=payload, headers=headers, timeout=60).content
        assert json.loads(cached)["provenance"]["cache"]["hit"] is True
        body_file = tmp / "body.json"
        body_file.write_bytes(cached)
        bare_port = free_port()
        bare_base = f"http://127.0.0.1:{bare_port}"
        bare_cmd = [
            sys.executable, "-c",
            "import sys, uvicorn; sys.path.insert(0, 'benchmarks'); import bench_http; "
            f"uvicorn.run(bench_http.bare_app({str(body_file)!r}), host='127.0.0.1', port={bare_port}, "
            "log_level='warning', access_log=False)",
        ]  # fmt: skip
        ours_rps, bare_rps = [], []
        for _ in range(args.rounds):
            ours_rps.append(asyncio.run(load(url, payload, total, args.concurrency, cached)))
            bare = start(bare_cmd, {}, f"{bare_base}/docs")
            try:
                bare_url = f"{bare_base}/processes/{PROCESS}/execution"
                bare_rps.append(
                    asyncio.run(load(bare_url, payload, total, args.concurrency, cached))
                )
            finally:
                stop(bare)
    finally:
        stop(service)
    return ours_rps, bare_rps, len(cached)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="600 requests per side")
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rounds", type=int, default=2, help="alternate the two servers this often")
    p.add_argument("--vary-bytes", action="store_true", help="unique request bytes")
    args = p.parse_args()
    global VARY
    VARY = args.vary_bytes
    total = 600 if args.quick else args.requests
    payload = json.dumps(REQUEST).encode()

    variants = [
        ("default settings", {}),
        ("GSL_RECORD_SYNC_JOBS=false", {"GSL_RECORD_SYNC_JOBS": "false"}),
    ]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in variants:
            ours, bare, size = measure(Path(tmp) / name.split()[0], extra, payload, total, args)
            results.append((name, ours, bare))
    print(f"result document: {size} bytes; request body: {len(payload)} bytes")
    print(f"requests: {total} per round, {args.rounds} rounds, concurrency {args.concurrency}")
    for name, ours, bare in results:
        ratio = max(ours) / max(bare)
        print(f"[{name}]")
        print(
            f"  bare FastAPI endpoint (same bytes): {max(bare):8.1f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in bare)})"
        )
        print(
            f"  cached execution (service)        : {max(ours):8.1f} req/s  (rounds: {', '.join(f'{x:.0f}' for x in ours)})"
        )
        print(
            f"  ratio cached / bare = {ratio:.2f}  (target >= 0.5) {'OK' if ratio >= 0.5 else 'BELOW TARGET'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
