"""Province scale end to end: green-3-30-300 on a seeded synthetic province, from files.

Writes a seeded province (:func:`gsl_indicators.core.synthetic.province`: 650,000
homes, 2,000,000 trees, 1,500,000 crowns, 1,500 neighbourhoods, parks) as FlatGeobuf
(or GeoParquet) files into a temporary folder, serves them over local HTTP
(127.0.0.1 allow-listed, as the tests do) and runs green-3-30-300 through the real
service: ``gsl serve`` and real ``gsl worker`` processes on Redis (a key prefix and
queue of its own, deleted afterwards; nothing is flushed), every input by reference.
The API and the workers run on this one host with the default spool (``data_dir/spool``)
shared, so the workers read the copies the API made at submission; ``--own-spools``
gives each a spool of its own, as on separate hosts (each worker fetches the files).

Cases (each on a fresh key prefix, so none is a cache hit):

* one piece at ``--small`` homes (default 100,000) and at ``--homes`` (default 650,000):
  wall time submit → successful, time per home and their ratio (target ≤ 1.3), and the
  peak resident memory (``VmHWM`` from ``/proc``, sampled every 0.1 s) of every process:
  the API (and its pool children), each worker and its work horses (target ≤ 3 GB);
* tiled (``GSL_TILE_ENABLED=true``, ``--tile-features``, ``--tile-threshold``) with 1 and
  with 2 workers at ``--homes``, and with 2 workers at ``--small`` (time per home of the
  tiled road, 650k against 100k): speed-up (target ≥ 1.7×), peaks, and the per-home
  results compared with the one-piece run feature by feature — run only when the
  service has tiled execution (``gsl_service.jobs.tiles``) unless ``--no-tiles``;
* ``--pinned``: the tiled 1- and 2-worker cases again with each worker (and its work
  horses) bound to one CPU of its own (``--cpu-limit``: held to one CPU's time by a
  cgroup CPU quota instead, as Kubernetes holds a pod with ``limits.cpu: 1``; root only) (``--repeats N``: that pair N times, with the
  median speed-up: single pairs of the same code spread over ±0.04× on a quiet machine,
  1.2–2.3× on a noisy one), and each pair's speed-up at equal machine speed
  (:func:`at_equal_cpu`: the host's speed swings by a third within an hour here, and a
  run's CPU seconds show it). Unbound, one worker already uses both cores of a
  2-core machine in its threaded stages (canopy, distances), so "2 workers / 1 worker"
  there measures only what the second worker adds beside those threads; bound, it
  measures how the tiles scale with workers of one core each, as on a cluster;
* every case also reports the CPU seconds its processes used until the job ended (the
  API, each worker with the work horses it reaped, the Redis server, this process: the
  stand-in file store and the polling) and, for each pair of tiled cases, the most a
  second worker could gain on this machine: two workers cannot finish before their CPU
  seconds are spread over all cores, so 2/1 ≤ cores × wall(1 worker) / CPU(2 workers) —
  below 2 whenever one worker already keeps more than one core busy;
* ``--scoreboard`` (instead of the cases above): the ``scoreboard`` with the card
  ``ggo-utrecht-example`` at ``--homes``, one piece on 1 worker and tiled on 1 and 2
  workers — times, peaks, CPU seconds, which parts ran in tiles, and each
  neighbourhood's theme scores compared with one piece;
* ``--profile``: a cProfile of the one-piece computation in this process on the same
  files (read by reference from the local folder), grouped by stage, naming what bounds it.

Usage::

    .venv/bin/python benchmarks/bench_province.py --homes 20000 --small 5000   # quick
    .venv/bin/python benchmarks/bench_province.py --profile                    # full size

Timings are noisy on a shared machine; run the full size on a quiet one.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import importlib.util
import io
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REDIS_URL = os.environ.get("GSL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
GSL = [sys.executable, "-m", "gsl_service.cli"]
LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods")
MEDIA = {"fgb": "application/flatgeobuf", "parquet": "application/vnd.apache.parquet"}
PIN = {"__pin__": "1"}  # a case's marker: each worker bound to one CPU (not an env var)
#: ``--cpu-limit``: how a worker is held to one CPU — a cgroup CPU quota (a pod's
#: ``resources.limits.cpu: 1``) instead of affinity; set once in ``main``.
CPU_LIMIT = {"quota": False}


class CpuQuota:
    """A cgroup holding its processes to one CPU's time (``cpu.max`` / CFS quota).

    As Kubernetes holds a pod with ``limits.cpu: 1``: the processes may run on any core,
    for at most one CPU-second per second, and the kernels' thread count follows the
    quota (``gsl_indicators.core.cpus``). Needs a writable cgroup file system (root).
    """

    def __init__(self, name: str, cpus: float = 1.0) -> None:
        period = 100_000
        v2 = Path("/sys/fs/cgroup/cgroup.controllers")
        if v2.exists() and "cpu" in v2.read_text().split():
            self.path = Path("/sys/fs/cgroup") / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{int(cpus * period)} {period}")
        else:
            self.path = Path("/sys/fs/cgroup/cpu") / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(period))
            (self.path / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))

    def join(self) -> None:
        """Move the calling process into the cgroup (a ``preexec_fn``)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


# --------------------------------------------------------------------------- the files
def write_province(folder: Path, n_homes: int, fmt: str, seed: int = 0) -> dict[str, Any]:
    """Write the province's layers as ``<layer>.<fmt>``; return counts, sizes and times."""
    from gsl_indicators.core import synthetic

    t0 = time.perf_counter()
    layers = synthetic.province(n_homes, seed=seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    for name, (geoms, cols) in layers.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "fgb":
            _write_fgb(path, geoms, cols)
        else:
            _write_parquet(path, geoms, cols)
    t_write = time.perf_counter() - t0
    return {
        "counts": {k: len(v[0]) for k, v in layers.items()},
        "bytes": sum((folder / f"{k}.{fmt}").stat().st_size for k in layers),
        "generate_s": t_gen,
        "write_s": t_write,
    }


def _write_fgb(path: Path, geoms: np.ndarray, cols: dict[str, np.ndarray]) -> None:
    import shapely
    from pyogrio.raw import write

    kind = {0: "Point", 3: "Polygon"}[int(shapely.get_type_id(geoms[0]))]
    write(
        str(path),
        geometry=shapely.to_wkb(geoms),
        field_data=list(cols.values()),
        fields=list(cols),
        driver="FlatGeobuf",
        geometry_type=kind,
        crs="EPSG:28992",
    )


def _write_parquet(path: Path, geoms: np.ndarray, cols: dict[str, np.ndarray]) -> None:
    """GeoParquet 1.1 with a bbox covering column, rows in Z-order of 250 m cells, row groups of 10k.

    A 2-D order makes each row group a compact patch, as spatial GeoParquet writers do
    (GDAL's ``SORT_BY_BBOX``, a Hilbert sort), so a tile's window skips most row groups
    by their covering statistics; rows sorted by 1 km strips of x in row groups of 50k
    made a 4 km window read 9 of 40 groups of trees, ~10× the rows it kept.
    """
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely
    from pyproj import CRS

    b = shapely.bounds(geoms)
    order = np.argsort(_z_order(b[:, 0] // 250, b[:, 1] // 250), kind="stable")
    b = b[order]
    table = pa.table(
        {
            **{k: v[order] for k, v in cols.items()},
            "geometry": shapely.to_wkb(geoms[order]),
            "bbox": pa.StructArray.from_arrays(
                [pa.array(b[:, i]) for i in range(4)], ["xmin", "ymin", "xmax", "ymax"]
            ),
        }
    )
    kind = {0: "Point", 3: "Polygon"}[int(shapely.get_type_id(geoms[0]))]
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [kind],
                "crs": CRS.from_epsg(28992).to_json_dict(),
                "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}},
            }
        },
    }
    table = table.replace_schema_metadata({b"geo": orjson.dumps(geo)})
    pq.write_table(table, path, row_group_size=10_000, compression="zstd")


def _z_order(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Return the Morton (Z-order) code of integer cell indices (up to 2^20 cells a side).

    Examples
    --------
    >>> _z_order(np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1])).tolist()
    [0, 1, 2, 3]
    """
    x = (cx - cx.min()).astype(np.uint64) if len(cx) else cx.astype(np.uint64)
    y = (cy - cy.min()).astype(np.uint64) if len(cy) else cy.astype(np.uint64)
    code = np.zeros(len(x), dtype=np.uint64)
    for bit in range(20):
        code |= ((x >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        code |= ((y >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + 1)
    return code


class _Quiet(SimpleHTTPRequestHandler):
    """The province's file store: quiet, and sending files with ``sendfile``.

    It stands in for a store on another machine, so it should not take the CPU the
    workers are measured on: ``sendfile`` leaves the copying to the kernel, where
    Python's copy loop took ~1 s of CPU for each worker's 661 MB of trees and crowns.
    """

    def log_message(self, *args: object) -> None:
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        outputfile.flush()
        self.connection.sendfile(source)


def serve_folder(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


# --------------------------------------------------------------------------- processes
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Return a process's children (``/proc/<pid>/task/<tid>/children``, all its threads).

    Reading only the trees being measured, not every process's ``stat``: the sampler
    itself must not take the CPU the workers are measured on (scanning all of
    ``/proc`` ten times a second took ~20 % of a core).
    """
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def _vm_mb(pid: int, *fields: str) -> list[float | None]:
    """Return ``/proc/<pid>/status`` sizes in MB, one read: ``VmHWM`` (resident), ``VmPeak`` (address space)."""
    found: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in fields:
                found[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return [found.get(f) for f in fields]


def cpu_s(pid: int) -> float:
    """Return a process's CPU seconds: its own and its reaped children's (``/proc/<pid>/stat``).

    An RQ worker reaps each work horse it forked, so its children's times hold every
    job and tile it ran; a process still running a child does not count that child yet.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after "pid (comm)": state ppid … utime stime cutime cstime (fields 14-17 of stat(5))
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _redis_cpu_s() -> float:
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    info = r.info("cpu")
    r.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


class Peaks:
    """Sample the peak RSS (VmHWM) of named process trees every ``step`` seconds.

    And their peak address space (VmPeak, :attr:`address`): what the workers' bound
    ``GSL_WORKER_MEMORY_MB`` (``RLIMIT_AS``, default 4096) counts — off in these runs,
    so that a peak is measured, not cut.
    """

    def __init__(self, roots: dict[str, int], step: float = 0.25) -> None:
        self.roots = roots
        self.step = step
        self.peak: dict[str, float] = {}
        self.address: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for role, root in self.roots.items():
                stack, seen = [(root, role)], set()
                while stack:
                    pid, name = stack.pop()
                    if pid in seen:
                        continue
                    seen.add(pid)
                    mb, vm = _vm_mb(pid, "VmHWM", "VmPeak")
                    if mb is not None:
                        self.peak[name] = max(self.peak.get(name, 0.0), mb)
                    if vm is not None:
                        self.address[name] = max(self.address.get(name, 0.0), vm)
                    stack += [(c, f"{role} child") for c in _children(pid)]
            self._stop.wait(self.step)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return self.peak


class Stack:
    """``gsl serve`` and ``workers`` × ``gsl worker`` on a fresh Redis key prefix and queue."""

    def __init__(
        self,
        folder: Path,
        workers: int,
        env: dict[str, str],
        pin: bool = False,
        own_spools: bool = False,
    ) -> None:
        tag = uuid.uuid4().hex[:10]
        self.prefix, self.queue = f"gslbench:{tag}:", f"gslbench-{tag}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {
            "GSL_REDIS_URL": REDIS_URL,
            "GSL_REDIS_PREFIX": self.prefix,
            "GSL_RQ_QUEUE": self.queue,
            "GSL_BASE_URL": self.url,
            "GSL_FETCH_ALLOWLIST": "127.0.0.1",
            "GSL_FETCH_MAX_BYTES": str(8 * 2**30),
            "GSL_FETCH_TIMEOUT_S": "600",
            "GSL_JOB_TIMEOUT_S": "7200",
            "GSL_WORKER_MEMORY_MB": "0",  # measure the peak, do not cut it
            "GSL_LOG_LEVEL": "warning",
            "GSL_DATA_DIR": str(folder / f"var-{tag}"),
            **env,
        }
        self.logs = folder / f"logs-{tag}"
        self.folder, self.tag = folder, tag
        self.logs.mkdir()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.quotas: list[CpuQuota] = []

        def spool(name: str) -> dict[str, str]:
            # one host: the API and the workers share the default spool (data_dir/spool),
            # so what the API fetched at submission is read, not fetched again;
            # own_spools: one each, as on separate hosts (each worker fetches the files)
            return {"GSL_SPOOL_DIR": str(folder / f"spool-{name}-{tag}")} if own_spools else {}

        self.api = self._start(
            [*GSL, "serve", "--port", str(self.port)], base | spool("api"), "api"
        )
        self.workers = [
            self._start(
                [*GSL, "worker"],
                base | spool(f"w{i}"),
                f"worker{i}",
                cpu=i % (os.cpu_count() or 1) if pin else None,
            )
            for i in range(workers)
        ]
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or self.api.poll() is not None:
                raise RuntimeError((self.logs / "api.log").read_text()[-3000:])
            time.sleep(0.2)

    def _start(
        self, args: list[str], env: dict[str, str], name: str, cpu: int | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a process; ``cpu``: bound to that one CPU (its work horses inherit it) —
        with ``--cpu-limit`` held to one CPU's time by a cgroup quota instead."""
        log = (self.logs / f"{name}.log").open("ab")
        hold: Any = None
        if cpu is not None and CPU_LIMIT["quota"]:
            quota = CpuQuota(f"gslbench-{self.tag}-{name}")
            self.quotas.append(quota)
            hold = quota.join
        elif cpu is not None:
            hold = functools.partial(os.sched_setaffinity, 0, {cpu})
        proc = subprocess.Popen(
            args,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=hold,
        )
        self.procs.append(proc)
        return proc

    def roots(self) -> dict[str, int]:
        return {"api": self.api.pid} | {f"worker{i}": w.pid for i, w in enumerate(self.workers)}

    def close(self) -> None:
        for p in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for quota in self.quotas:  # empty once their processes are gone
            quota.remove()
        _delete_keys(self.prefix, self.queue)
        for path in [self.folder / f"var-{self.tag}", *self.folder.glob(f"spool-*-{self.tag}")]:
            shutil.rmtree(path, ignore_errors=True)  # the next case starts with no copies


def redis_held(prefix: str) -> dict[str, float]:
    """Return the MB Redis holds under ``prefix`` by kind of key (job, inputs, body, cache…)."""
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    held: dict[str, float] = {}
    for key in r.scan_iter(match=f"{prefix}*", count=1000):
        kind = key.decode()[len(prefix) :].split(":")[0]
        held[kind] = held.get(kind, 0.0) + (r.memory_usage(key, samples=0) or 0) / 2**20
    r.close()
    return {k: round(v, 1) for k, v in sorted(held.items()) if v >= 0.05}


def _delete_keys(prefix: str, queue: str) -> None:
    """Delete this run's keys only (never a flush: Redis is shared)."""
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    job_ids = [
        k.decode().rsplit(":", 1)[-1] for k in r.scan_iter(match=f"{prefix}job:*", count=1000)
    ]
    for pattern in [f"{prefix}*", f"rq:*{queue}*"] + [f"rq:*{j}*" for j in job_ids]:
        for key in r.scan_iter(match=pattern, count=1000):
            r.delete(key)
    r.close()


# --------------------------------------------------------------------------- a run
def inputs_by_reference(files_url: str, fmt: str, prefix: str) -> dict[str, Any]:
    return {k: {"href": f"{files_url}/{prefix}/{k}.{fmt}", "type": MEDIA[fmt]} for k in LAYERS}


GREEN, BOARD = "green-3-30-300", "scoreboard"
CARD = "ggo-utrecht-example"
"""The scoreboard's card: every GGO theme; the province's layers assess the green ones."""


def run_case(
    folder: Path,
    files_url: str,
    prefix: str,
    fmt: str,
    workers: int,
    env: dict[str, str],
    pin: bool = False,
    own_spools: bool = False,
    process: str = GREEN,
) -> dict[str, Any]:
    """Run one job through a fresh stack; return wall time, peaks and the per-home results.

    ``process``: green-3-30-300, or the scoreboard on the card :data:`CARD` (its
    per-neighbourhood theme scores are the results compared).

    ``pin``: each worker (and its work horses) bound to one CPU of its own, so that one
    worker uses one core (the kernels' threads follow the CPUs a process may use).
    ``own_spools``: the API and each worker with a spool of its own, as on separate hosts.
    """
    stack = Stack(folder, workers, env, pin=pin, own_spools=own_spools)
    peaks = Peaks(stack.roots())
    before = {k: cpu_s(pid) for k, pid in stack.roots().items()}
    before["redis"], before["bench"] = _redis_cpu_s(), time.process_time()
    try:
        inputs = inputs_by_reference(files_url, fmt, prefix)
        if process == BOARD:
            inputs["card"] = CARD
        out = _submit_and_collect(stack, process, inputs, before)
        out["redis_mb"] = redis_held(stack.prefix)
    finally:
        peak = peaks.stop()
        stack.close()
    out["peaks_mb"] = {k: round(v) for k, v in sorted(peak.items())}
    out["address_mb"] = {k: round(v) for k, v in sorted(peaks.address.items())}
    return out


def _cpu_used(stack: Stack, before: dict[str, float]) -> dict[str, float]:
    """Return the CPU seconds each part of the stack used during the job (and their sum).

    Read once the workers have reaped their last work horse (at most 10 s after the
    job), so every job and tile is counted; ``bench``: this process (the stand-in file
    store, the sampler, the polling), ``redis``: the Redis server (shared, so other
    clients' load would count too).
    """
    deadline = time.monotonic() + 10
    while any(_children(w.pid) for w in stack.workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    used = {k: cpu_s(pid) - before[k] for k, pid in stack.roots().items()}
    used["redis"] = _redis_cpu_s() - before["redis"]
    used["bench"] = time.process_time() - before["bench"]
    used["all"] = sum(used.values())
    return {k: round(v, 1) for k, v in used.items()}


def _submit_and_collect(
    stack: Stack, process: str, inputs: dict[str, Any], cpu_before: dict[str, float]
) -> dict[str, Any]:
    """Submit the job, follow its stages, then download its per-home results.

    The CPU seconds are read when the job has ended, before the downloads.
    """
    t0 = time.perf_counter()
    r = httpx.post(
        f"{stack.url}/processes/{process}/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
        timeout=3600,
    )
    t_submit = time.perf_counter() - t0
    if r.status_code != 201:
        raise RuntimeError(f"submission: HTTP {r.status_code} {r.text[:500]}")
    job_url = r.headers["location"]
    events: list[tuple[float, str]] = [
        (0.0, "submission (the API fetches and hashes the files)"),
        (t_submit, "submitted"),
    ]
    # one client, one connection: a client per poll (its TLS context, a new connection)
    # took ~3 CPU s of this process and ~1 of the API over a 30 s job, from the workers
    with httpx.Client(timeout=60) as client:
        while True:
            job = client.get(job_url).json()
            said = job["status"] if job["status"] != "running" else str(job.get("message"))
            if said != events[-1][1]:
                events.append((time.perf_counter() - t0, said))
            if job["status"] in ("successful", "failed", "dismissed"):
                break
            time.sleep(0.25)  # stages to a quarter second
    out: dict[str, Any] = {
        "wall_s": time.perf_counter() - t0,
        "submit_s": t_submit,
        "status": job["status"],
        "stages": stages(events),
        "cpu_s": _cpu_used(stack, cpu_before),
    }
    if job["status"] != "successful":
        out["error"] = str(job)[:800]
        return out
    t0 = time.perf_counter()
    results = httpx.get(f"{job_url}/results", timeout=3600)
    out["result_doc_s"] = time.perf_counter() - t0
    out["result_doc_bytes"] = len(results.content)
    t0 = time.perf_counter()
    doc = results.json()
    out["homes"] = _download_homes(job_url, doc) if process == GREEN else _areas(doc)
    if process == BOARD:
        prov = doc["provenance"].get("value", doc["provenance"])
        out["parts"] = {p["indicator"]: p.get("tiles") for p in prov["parts"]}
    out["download_s"] = time.perf_counter() - t0
    return out


def stages(events: list[tuple[float, str]]) -> list[tuple[str, float]]:
    """Return the job's stages and their seconds, from its progress messages as polled.

    Each stage lasts from its message to the next one's. Of the tiles' ``tiles k/n``
    messages only the last is kept: the stage before it runs until the last tile is
    done, and the stage it names is the merge and the document (until ``done``).

    Examples
    --------
    >>> stages([(1.0, "submitted"), (1.5, "reading inputs"), (4.0, "computing"),
    ...         (5.0, "tiles 1/2"), (6.0, "tiles 2/2"), (7.0, "done"), (9.0, "successful")])
    [('submitted', 0.5), ('reading inputs', 2.5), ('computing', 2.0), ('tiles 2/2', 1.0), ('done', 2.0)]

    A scoreboard's parts name themselves (``green-3-30-300: tiles 3/36``):

    >>> stages([(0.0, "noise: tiles 1/2"), (1.0, "noise: tiles 2/2"), (2.0, "successful")])
    [('noise: tiles 2/2', 1.0)]
    """
    kept = []
    for t, said in events:
        words = said.rpartition(": ")[2].split()
        if len(words) == 2 and words[0] == "tiles" and "/" in words[1]:
            done, total = words[1].split("/", 1)
            if done != total:
                continue
        kept.append((t, said))
    return [(said, round(t_next - t, 1)) for (t, said), (t_next, _) in pairwise(kept)]


def _download_homes(job_url: str, doc: dict[str, Any]) -> dict[str, np.ndarray]:
    """Return the per-home result columns (by the link as GeoParquet, or inline), by home id."""
    import pyarrow.parquet as pq

    link = doc.get("buildings") or {}
    if "href" in link:
        href = link["href"].split("?")[0] + "?f=geoparquet"
        r = httpx.get(href, timeout=3600)
        r.raise_for_status()
        table = pq.read_table(io.BytesIO(r.content))
        cols = {k: table.column(k).to_numpy(zero_copy_only=False) for k in table.column_names}
    else:
        feats = (link.get("value") or link)["features"]
        keys = list(feats[0]["properties"])
        cols = {k: np.asarray([f["properties"].get(k) for f in feats], dtype=object) for k in keys}
    order = np.argsort(cols["id"].astype(str))
    return {k: v[order] for k, v in cols.items() if k != "geometry"}


def _areas(doc: dict[str, Any]) -> dict[str, np.ndarray]:
    """Return the scoreboard's per-neighbourhood columns (inline), by neighbourhood code."""
    feats = (doc["neighbourhoods"].get("value") or doc["neighbourhoods"])["features"]
    keys = list(feats[0]["properties"])
    cols = {k: np.asarray([f["properties"].get(k) for f in feats], dtype=object) for k in keys}
    cols["id"] = cols["code"]
    order = np.argsort(cols["id"].astype(str))
    return {k: v[order] for k, v in cols.items()}


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> str:
    """Compare two runs' per-home columns: identical, or the first differences."""
    if len(a["id"]) != len(b["id"]) or not (a["id"] == b["id"]).all():
        return f"different homes ({len(a['id'])} vs {len(b['id'])})"
    bad = []
    for k in sorted(set(a) & set(b)):
        x, y = a[k], b[k]
        if x.dtype.kind == "f" and y.dtype.kind == "f":
            same = np.isclose(x, y, rtol=0, atol=1e-9, equal_nan=True)
        else:
            same = x.astype(str) == y.astype(str)
        if not same.all():
            bad.append(f"{k}: {int((~same).sum())} differ")
    return "identical" if not bad else "; ".join(bad)


# --------------------------------------------------------------------------- profile
def profile_one_piece(folder: Path, prefix: str, fmt: str, top: int = 25) -> None:
    """cProfile the one-piece computation (read by reference from the folder, kernel, document)."""
    import hashlib

    from gsl_indicators.core import run, sources
    from gsl_indicators.core.canonical import canonical_json
    from gsl_indicators.core.spec import registry

    def sha(path: Path) -> str:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    where = {}
    inputs = {}
    for k in LAYERS:
        path = folder / prefix / f"{k}.{fmt}"
        digest = sha(path)
        where[digest] = str(path)
        inputs[k] = sources.file_source(
            fmt={"fgb": "flatgeobuf", "parquet": "geoparquet"}[fmt],
            href=str(path),
            bbox=None,
            sha256=digest,
        )
    sources.set_locator(lambda name, value: where[value["sha256"]])
    ind = registry().get("green-3-30-300")
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    doc = run.execute(ind, inputs)
    body = canonical_json(doc)
    prof.disable()
    print(
        f"\nprofile: one piece in this process {time.perf_counter() - t0:.1f} s "
        f"(result document {len(body) / 2**20:.0f} MB)"
    )
    stats = pstats.Stats(prof)
    stages = {
        "read files (GDAL/pyarrow)": ("sources.py", "read_table"),
        "parse layers (CRS, repair, index)": ("geo.py", "read_layers"),
        "canopy union": ("canopy.py", None),
        "green kernel": ("green.py", "compute"),
        "result document (JSON)": ("canonical.py", "canonical_json"),
    }
    raw: Any = stats.stats  # type: ignore[attr-defined]
    for label, (file, func) in stages.items():
        cum = max(
            (
                v[3]
                for (f, _, fn), v in raw.items()
                if f.endswith(file) and (func is None or fn == func)
            ),
            default=0.0,
        )
        print(f"  {label:<36} {cum:7.1f} s cumulative")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    print("\n".join(out.getvalue().splitlines()[: top + 12]))


# --------------------------------------------------------------------------- main
def _print_ceiling(one: dict[str, Any], two: dict[str, Any]) -> None:
    """Print the most 2 workers could gain on this machine's cores, from the CPU used.

    Two workers cannot finish before their CPU seconds spread over every core, so
    wall(1) / wall(2) ≤ cores × wall(1) / CPU(2): a one-worker run that already keeps
    more than one core busy (the kernels' threads, the API, the file store) lowers it.
    """
    if "cpu_s" not in one or "cpu_s" not in two:
        return
    cores = len(os.sched_getaffinity(0))
    ceiling = cores * one["wall_s"] / two["cpu_s"]["all"]
    print(
        f"   1 worker kept {one['cpu_s']['all'] / one['wall_s']:.2f} cores busy; "
        f"2 workers used {two['cpu_s']['all']:.1f} CPU s: on {cores} cores no 2-worker run "
        f"could beat {ceiling:.2f}× ({cores} × {one['wall_s']:.1f} s / {two['cpu_s']['all']:.1f} CPU s)"
    )


def in_tiles_s(run: dict[str, Any]) -> float:
    """Return the seconds a run spent in its tile phases (its ``running N tiles`` stages).

    Parameters
    ----------
    run : dict
        A case's result (:func:`run_case`), with its ``stages``.

    Returns
    -------
    float
        The sum of its ``running N tiles`` stages (a scoreboard's parts prefix them).

    Examples
    --------
    >>> in_tiles_s({"stages": [("reading inputs", 3.0), ("running 36 tiles", 40.0),
    ...                        ("noise: running 4 tiles", 2.5), ("tiles 36/36", 1.0)]})
    42.5
    """
    total = 0.0
    for said, seconds in run.get("stages", []):
        words = said.rpartition(": ")[2].split()
        if len(words) == 3 and words[0] == "running" and words[2] == "tiles":
            total += seconds
    return total


def outside_tiles_bound(
    one_worker: dict[str, Any], two_workers: dict[str, Any], *, target: float
) -> float:
    """Return the most seconds outside the tiles that still allow ``target`` × with these tiles.

    With the time outside the tile phases ``S`` (submission, reading, preparing, the
    work after the last tile: what the parent does alone) the same in both runs, and
    the tile phases ``P1`` and ``P2`` as measured, (S + P1) / (S + P2) ≥ target holds
    while S ≤ (P1 − target × P2) / (target − 1).

    Parameters
    ----------
    one_worker, two_workers : dict
        The two runs' results (:func:`run_case`).
    target : float
        The speed-up asked for (> 1).

    Returns
    -------
    float
        Seconds, to a tenth; negative when these tiles alone scale less than ``target``.

    Examples
    --------
    >>> outside_tiles_bound({"stages": [("running 36 tiles", 71.4)]},
    ...                     {"stages": [("running 36 tiles", 39.8)]}, target=1.7)
    5.3
    """
    p1, p2 = in_tiles_s(one_worker), in_tiles_s(two_workers)
    return round((p1 - target * p2) / (target - 1), 1)


def _print_outside_tiles(one: dict[str, Any], two: dict[str, Any], target: float = 1.7) -> None:
    """Print the time in and outside the tiles of a 1- and a 2-worker run, and what ``target`` × allows."""
    p1, p2 = in_tiles_s(one), in_tiles_s(two)
    if not p1 or not p2:
        return
    s1, s2 = one["wall_s"] - p1, two["wall_s"] - p2
    most = outside_tiles_bound(one_worker=one, two_workers=two, target=target)
    allows = (
        f"{target}× with these tiles allows at most {most:.1f} s outside them"
        if most >= 0
        else f"these tiles alone scale less than {target}×"
    )
    print(
        f"   tiles {p1:.1f} s / {p2:.1f} s = {p1 / p2:.2f}×; outside them (the parent alone, "
        f"the submission) {s1:.1f} s / {s2:.1f} s; {allows}"
    )


def at_equal_cpu(one: dict[str, Any], two: dict[str, Any]) -> float | None:
    """Return the speed-up as if both runs had had the same machine speed, from their CPU.

    Both runs do the same work, so where they used different CPU seconds the host ran
    one of them slower (seen here: the same tiled run used 62 to 109 CPU s within an
    hour, its wall time following). Scaling the 2-worker run's wall time by
    CPU(1) / CPU(2) takes that out: wall(1) / (wall(2) × CPU(1) / CPU(2)). On a quiet
    machine the two CPU totals agree within a few per cent and this is the plain ratio.

    Examples
    --------
    >>> at_equal_cpu({"wall_s": 60.0, "cpu_s": {"all": 60.0}},
    ...              {"wall_s": 40.0, "cpu_s": {"all": 80.0}})
    2.0
    """
    if "cpu_s" not in one or "cpu_s" not in two:
        return None
    return float(one["wall_s"] / (two["wall_s"] * one["cpu_s"]["all"] / two["cpu_s"]["all"]))


def _nth(r: int) -> str:
    """A repeated case's label suffix: none for the first, `` #2`` for the second, …

    >>> _nth(0), _nth(2)
    ('', ' #3')
    """
    return f" #{r + 1}" if r else ""


def _tiled_env(args: argparse.Namespace) -> dict[str, str]:
    """The service's settings for the tiled cases."""
    return {
        "GSL_TILE_ENABLED": "true",
        "GSL_TILE_FEATURES": str(args.tile_features),
        "GSL_TILE_THRESHOLD": str(args.tile_threshold),
    }


def _scoreboard_cases(
    args: argparse.Namespace, folder: Path, files_url: str, fmt: str, one_piece: dict[str, str]
) -> None:
    """The scoreboard on the province: one piece, and its large parts in tiles on 1 and 2 workers."""
    tiled = _tiled_env(args)
    prefix = str(args.homes)
    cases = [
        (f"scoreboard {args.homes:,} one piece", 1, one_piece),
        (f"scoreboard {args.homes:,}, 1 worker", 1, tiled),
        (f"scoreboard {args.homes:,}, 2 workers", 2, tiled),
    ]
    results = {}
    for label, workers, env in cases:
        r = run_case(
            folder, files_url, prefix, fmt, workers, env, own_spools=args.own_spools, process=BOARD
        )
        results[label] = r
        print(f"{label:<32} {r['status']:<11} {r['wall_s']:7.1f}s  peaks {r.get('peaks_mb')}")
        print(f"   parts (tiles): {r.get('parts')}")
        if "cpu_s" in r:
            print(f"   CPU seconds: {r['cpu_s']}")
        print("   stages (s): " + "; ".join(f"{k} {v}" for k, v in r.get("stages", [])))
        if "error" in r:
            print(f"   error: {r['error']}")
    one, t1, t2 = (results[label] for label, _, _ in cases)
    if all(r["status"] == "successful" for r in (one, t1, t2)):
        print(f"tiled 1 worker vs one piece: {compare(one['homes'], t1['homes'])}")
        print(f"tiled 2 workers vs one piece: {compare(one['homes'], t2['homes'])}")
        print(f"2 workers / 1 worker: {t1['wall_s'] / t2['wall_s']:.2f}×")
        _print_ceiling(t1, t2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--homes", type=int, default=650_000)
    ap.add_argument("--small", type=int, default=100_000, help="the one-piece baseline size")
    ap.add_argument("--format", choices=sorted(MEDIA), default="fgb")
    ap.add_argument("--no-large-one-piece", action="store_true", help="skip one piece at --homes")
    ap.add_argument("--no-tiles", action="store_true")
    ap.add_argument("--tile-features", type=int, default=20_000)
    ap.add_argument("--tile-threshold", type=int, default=50_000)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument(
        "--scoreboard",
        action="store_true",
        help=f"instead: the scoreboard (card {CARD}) at --homes, one piece on 1 worker and "
        "tiled on 1 and 2 workers",
    )
    ap.add_argument(
        "--own-spools",
        action="store_true",
        help="give the API and each worker a spool of its own, as on separate hosts "
        "(default: one host, the default spool data_dir/spool shared)",
    )
    ap.add_argument(
        "--pinned",
        action="store_true",
        help="also run the tiled 1- and 2-worker cases with each worker bound to one CPU",
    )
    ap.add_argument(
        "--cpu-limit",
        action="store_true",
        help="with --pinned: hold each worker to one CPU by a cgroup CPU quota (as a pod's "
        "limits.cpu: 1; its kernels then run one thread) instead of binding it to a core",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="with --pinned: run the bound 1- and 2-worker pair this many times (each "
        "pair back to back) and print every speed-up and their median",
    )
    args = ap.parse_args()
    CPU_LIMIT["quota"] = args.cpu_limit
    fmt = args.format
    tiles_available = importlib.util.find_spec("gsl_service.jobs.tiles") is not None
    with tempfile.TemporaryDirectory(prefix="province-") as tmp:
        folder = Path(tmp)
        httpd, files_url = serve_folder(folder)
        sizes = sorted({args.small, args.homes})
        for n in sizes:
            (folder / str(n)).mkdir()
            w = write_province(folder / str(n), n, fmt)
            print(
                f"province {n:,} homes: {w['counts']}, {w['bytes'] / 2**20:.0f} MB {fmt}; "
                f"generated {w['generate_s']:.1f} s, written {w['write_s']:.1f} s"
            )
        # the files on disk before any case: the first cases would otherwise run while
        # the kernel writes ~900 MB back (one piece 650k measured 44–46 s so, 33 s after)
        os.sync()
        one_piece = {"GSL_TILE_ENABLED": "false"}
        results: dict[str, dict[str, Any]] = {}
        if args.scoreboard:
            _scoreboard_cases(args, folder, files_url, fmt, one_piece)
            httpd.shutdown()
            return
        runs = [(f"one piece {args.small:,}", str(args.small), 1, one_piece)]
        if not args.no_large_one_piece and args.homes != args.small:
            runs.append((f"one piece {args.homes:,}", str(args.homes), 1, one_piece))
        if tiles_available and not args.no_tiles:
            tiled = _tiled_env(args)
            runs += [
                (f"tiled {args.homes:,}, {k} worker{'s' * (k > 1)}", str(args.homes), k, tiled)
                for k in (1, 2)
            ]
            if args.pinned:  # one core per worker: how the tiles scale with workers
                runs += [
                    (f"tiled {args.homes:,}, {k} × 1 CPU{_nth(r)}", str(args.homes), k, tiled | PIN)
                    for r in range(max(1, args.repeats))
                    for k in (1, 2)
                ]
            if args.homes != args.small:  # the tiled road's own growth, 2 workers
                runs.append((f"tiled {args.small:,}, 2 workers", str(args.small), 2, tiled))
        elif not args.no_tiles:
            print(
                "tiled runs skipped: this service has no tiled execution (gsl_service.jobs.tiles)"
            )
        print(
            f"\n{'case':<28} {'status':<11} {'wall':>8} {'per home':>10} {'doc MB':>7} {'download':>9}  peak RSS MB (VmHWM)"
        )
        for label, prefix, workers, env in runs:
            pin = PIN.items() <= env.items()
            env = {k: v for k, v in env.items() if k not in PIN}
            r = run_case(
                folder, files_url, prefix, fmt, workers, env, pin=pin, own_spools=args.own_spools
            )
            results[label] = r
            n = int(prefix)
            per = r["wall_s"] / n * 1e6
            print(
                f"{label:<28} {r['status']:<11} {r['wall_s']:7.1f}s {per:8.1f}µs "
                f"{r.get('result_doc_bytes', 0) / 2**20:7.1f} {r.get('download_s', 0):8.1f}s  {r.get('peaks_mb')}"
            )
            print(f"   Redis holds (MB by key kind): {r.get('redis_mb')}")
            print(f"   peak address space MB (VmPeak): {r.get('address_mb')}")
            if "cpu_s" in r:
                busy = r["cpu_s"]["all"] / r["wall_s"]
                print(f"   CPU seconds: {r['cpu_s']} — {busy:.2f} cores busy on average")
            print("   stages (s): " + "; ".join(f"{k} {v}" for k, v in r.get("stages", [])))
            if "error" in r:
                print(f"   error: {r['error']}")
        small = results.get(f"one piece {args.small:,}")
        large = results.get(f"one piece {args.homes:,}")
        if small and large and small["status"] == large["status"] == "successful":
            ratio = (large["wall_s"] / args.homes) / (small["wall_s"] / args.small)
            print(
                f"\ntime per home, one piece {args.homes:,} / {args.small:,}: {ratio:.2f}× (target ≤ 1.3×)"
            )
        t1 = results.get(f"tiled {args.homes:,}, 1 worker")
        t2 = results.get(f"tiled {args.homes:,}, 2 workers")
        if t1 and t2 and t1["status"] == t2["status"] == "successful":
            print(
                f"tiled speed-up, 2 workers / 1 worker: {t1['wall_s'] / t2['wall_s']:.2f}× (target ≥ 1.7×)"
            )
            _print_ceiling(t1, t2)
            _print_outside_tiles(t1, t2)
            base = large if large and large["status"] == "successful" else None
            if base:
                print(f"tiled (1 worker) vs one piece: {compare(base['homes'], t1['homes'])}")
                print(f"tiled (2 workers) vs one piece: {compare(base['homes'], t2['homes'])}")
            else:
                print(f"tiled 1 vs 2 workers: {compare(t1['homes'], t2['homes'])}")
        bound, equal = [], []
        for rep in range(max(1, args.repeats)):
            p1 = results.get(f"tiled {args.homes:,}, 1 × 1 CPU{_nth(rep)}")
            p2 = results.get(f"tiled {args.homes:,}, 2 × 1 CPU{_nth(rep)}")
            if p1 and p2 and p1["status"] == p2["status"] == "successful":
                bound.append(p1["wall_s"] / p2["wall_s"])
                print(
                    f"tiled speed-up, workers bound to one CPU each, 2 / 1{_nth(rep)}: "
                    f"{bound[-1]:.2f}× (target ≥ 1.7×); "
                    f"2 × 1 CPU vs 1 worker: {compare(p2['homes'], p1['homes'])}"
                )
                _print_ceiling(p1, p2)
                _print_outside_tiles(p1, p2)
                same = at_equal_cpu(p1, p2)
                if same is not None:
                    equal.append(same)
                    print(
                        f"   at equal machine speed (2-worker wall × CPU(1) / CPU(2)): {same:.2f}×"
                    )
        if len(bound) > 1:
            print(
                f"bound speed-up over {len(bound)} pairs: median {float(np.median(bound)):.2f}× "
                f"({', '.join(f'{b:.2f}' for b in bound)})"
            )
        if len(equal) > 1:
            print(
                f"   at equal machine speed: median {float(np.median(equal)):.2f}× "
                f"({', '.join(f'{b:.2f}' for b in equal)})"
            )
        ts = results.get(f"tiled {args.small:,}, 2 workers")
        if t2 and ts and t2["status"] == ts["status"] == "successful":
            ratio = (t2["wall_s"] / args.homes) / (ts["wall_s"] / args.small)
            print(
                f"time per home, tiled on 2 workers {args.homes:,} / {args.small:,}: "
                f"{ratio:.2f}× (target ≤ 1.3×)"
            )
        peak = max(
            (v for r in results.values() for v in (r.get("peaks_mb") or {}).values()), default=0
        )
        print(f"largest peak RSS of any one process: {peak} MB (target ≤ 3072 MB)")
        space = max(
            (v for r in results.values() for v in (r.get("address_mb") or {}).values()), default=0
        )
        print(
            f"largest peak address space of any one process: {space} MB (the workers' "
            "default bound GSL_WORKER_MEMORY_MB: 4096 MB)"
        )
        httpd.shutdown()
        if args.profile:
            profile_one_piece(folder, str(args.homes), fmt)


if __name__ == "__main__":
    main()
