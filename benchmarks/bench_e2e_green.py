"""The whole road: ``gsl run green-3-30-300`` against a plain GeoPandas script.

Usage::

    .venv/bin/python benchmarks/bench_e2e_green.py                 # 30,000 buildings
    .venv/bin/python benchmarks/bench_e2e_green.py --buildings 10000 --repeat 1

A seeded synthetic city (:func:`gsl_indicators.core.synthetic.city`: buildings, trees,
crowns, parks, neighbourhoods) is written as one execute request file. Both contenders
run as whole processes on it, timed from ``exec`` to exit, their peak memory taken from
``wait4``'s resource usage:

* ``gsl run green-3-30-300 request.json -o out.json`` (the service's one road:
  import, registry, JSON, validation, digests, parsing, kernel, assembly, output);
* ``benchmarks/green_geopandas.py request.json out.json`` (orjson + GeoPandas/pyogrio,
  ``sjoin`` dwithin, ``dissolve``, ``sjoin_nearest``, ``overlay``; GDAL writes GeoJSON).

The results are compared (trees within 30 m exactly; park distances, canopy shares and
dwelling shares to the digits our output rounds to), then the stages of our road are
timed one by one in a child process (``--stages``), which prints each stage's share.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

HERE = Path(__file__).parent
PROCESS = "green-3-30-300"
LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods")


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd`` as a process; return (wall seconds, peak resident MB, CPU seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def stages(request: Path, out: Path) -> dict[str, float]:
    """Time each stage of ``gsl run`` in this (fresh) process, in the order they run."""
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    from gsl_indicators.core.spec import find_indicator  # the package

    t["import package"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    indicator = find_indicator(PROCESS)
    from gsl_indicators.core import run as run_module  # noqa: F401  (the road's modules)

    t["registry (one entry point)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from gsl_service.cli import load_request

    request_doc = load_request(request.read_bytes())
    t["load JSON (orjson)"] = time.perf_counter() - t0
    from gsl_indicators.core.canonical import canonical_json
    from gsl_indicators.core.geo import paused_gc, read_layers
    from gsl_indicators.core.run import (
        Context,
        compute_outputs,
        input_digests,
        prepare,
        results_document,
    )

    inputs = request_doc["inputs"]
    with paused_gc():
        t0 = time.perf_counter()
        params = prepare(indicator, inputs)
        t["validation"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        digests = input_digests(indicator, inputs)
        t["digests"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ctx = Context(input_digests=digests)
        layers, _ = read_layers(indicator.inputs, inputs, ctx)
        t["parsing"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        outputs = compute_outputs(indicator, layers, params, ctx)
        t["kernel and assembly"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        body = canonical_json(results_document(indicator, outputs))
        out.write_bytes(body + b"\n")
        t["writing the output"] = time.perf_counter() - t0
    return t


def compare(ours_path: Path, theirs_path: Path) -> str:
    """Assert both outputs agree; return a one-line account."""
    ours = orjson.loads(ours_path.read_bytes())
    theirs = orjson.loads(theirs_path.read_bytes())

    def column(fc: dict, key: str) -> np.ndarray:
        return np.asarray(
            [
                np.nan if f["properties"].get(key) is None else f["properties"][key]
                for f in fc["features"]
            ],
            dtype=float,
        )

    ob, tb = ours["buildings"]["value"], theirs["buildings"]
    on, tn = ours["neighbourhoods"]["value"], theirs["neighbourhoods"]
    assert len(ob["features"]) == len(tb["features"]), "building counts differ"
    assert np.array_equal(column(ob, "trees_within"), column(tb, "trees_within")), "trees"
    # our output rounds to the declared digits: 1 for metres, 4 for shares (half a unit)
    checks = (
        (ob, tb, "park_distance_m", 0.05),
        (on, tn, "canopy_share", 0.00005),
        (on, tn, "share_dwellings_meeting_3", 0.00005),
        (on, tn, "share_dwellings_meeting_300", 0.00005),
    )
    for a, b, key, tol in checks:
        x, y = column(a, key), column(b, key)
        assert np.allclose(x, y, rtol=0, atol=tol + 1e-9, equal_nan=True), key
    for key in ("meets_3", "meets_300"):
        assert [f["properties"][key] for f in ob["features"]] == [
            f["properties"][key] for f in tb["features"]
        ], key
    return (
        f"identical results: yes ({len(ob['features'])} buildings, {len(on['features'])} "
        "neighbourhoods; counts and flags exact, distances and shares to the rounded digits)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--buildings", type=int, default=30_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each contender (median)")
    ap.add_argument("--stages", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stages:
        print(json.dumps(stages(*args.stages)))
        return
    from gsl_indicators.core import synthetic

    gsl = str(Path(sys.executable).with_name("gsl"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        city = synthetic.city(args.buildings, seed=0)
        request = folder / "request.json"
        request.write_bytes(orjson.dumps({"inputs": {k: city[k] for k in LAYERS}}))
        counts = {k: len(city[k]["features"]) for k in LAYERS}
        del city
        print(f"city: {counts}; request {request.stat().st_size / 2**20:.0f} MB")
        print(f"cores available: {len(os.sched_getaffinity(0))}")
        ours_out, theirs_out = folder / "ours.json", folder / "theirs.json"
        ours, theirs = [], []
        for _ in range(args.repeat):  # interleaved, so load on the machine hits both
            ours.append(timed([gsl, "run", PROCESS, str(request), "-o", str(ours_out)]))
            theirs.append(
                timed(
                    [
                        sys.executable,
                        str(HERE / "green_geopandas.py"),
                        str(request),
                        str(theirs_out),
                    ]
                )
            )
        print(compare(ours_out, theirs_out))
        t_ours = statistics.median(w for w, _, _ in ours)
        t_theirs = statistics.median(w for w, _, _ in theirs)
        cpu_ours = statistics.median(c for _, _, c in ours)
        cpu_theirs = statistics.median(c for _, _, c in theirs)
        for label, runs, t, cpu in (
            ("gsl run (whole process):  ", ours, t_ours, cpu_ours),
            ("GeoPandas script (whole): ", theirs, t_theirs, cpu_theirs),
        ):
            print(
                f"{label}    {t:6.2f} s median of {', '.join(f'{w:.2f}' for w, _, _ in runs)}; "
                f"CPU {cpu:.2f} s; peak {max(m for _, m, _ in runs):.0f} MB"
            )
        print(
            f"ratio GeoPandas / gsl run:     {t_theirs / t_ours:6.2f}x wall, "
            f"{cpu_theirs / cpu_ours:.2f}x CPU time"
        )
        out = subprocess.run(
            [sys.executable, __file__, "--stages", str(request), str(folder / "stages.json")],
            check=True,
            capture_output=True,
            text=True,
        )
        st = json.loads(out.stdout.strip().splitlines()[-1])
        total = sum(st.values())
        print(f"stages of gsl run (one process, {total:.2f} s in all):")
        for k, v in st.items():
            print(f"  {k:<28} {v:6.2f} s  {100 * v / total:4.0f} %")


if __name__ == "__main__":
    main()
