"""Benchmark the Monte-Carlo uncertainty engine: cost per sample vs one plain run.

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py              # 200 samples, seeded trees
    .venv/bin/python benchmarks/bench_uncertainty.py --trees canopy
    .venv/bin/python benchmarks/bench_uncertainty.py --samples 50 --workers 1

``green-3-30-300`` on the Amsterdam kit (``../shared/data/amsterdam``): ``homes_1000``,
``parks``, ``buurten`` and the ``canopy`` tile. The kit has no tree points, so by
default a seeded tree layer is generated (``--trees generated``: 4,000 trees, each at a
uniformly drawn point within 60 m of a randomly drawn home, seed 13); ``--trees canopy``
counts each crown polygon as a tree instead (the indicator's canopy mode; the tile
covers few of the homes, so the "3" is almost nowhere met).

A *plain run* is :func:`gsl_indicators.core.run.execute` without ``uncertainty`` —
validation, parsing, grouping, kernel and assembly, what a worker does for a request
(best of five). The *uncertainty run* is the same request with 200 samples of
``tree_distance_m`` ~ uniform(10, 50), ``park_distance_m`` ~ triangular(200, 300, 500),
trees moved by 2 m (σ) with 10 % missing, homes moved by 1 m (σ). The cost per sample is
``(uncertainty run − plain run) / samples``; the target is at most 0.5 × a plain run,
reached because the inputs are parsed once, the samples skip the assembler, the
areas' grouping is reused where the homes do not move, and the canopy union per
neighbourhood (which no sampled input changes here) is computed once
(:mod:`gsl_indicators.core.shared`). The machine's load moves the figures; run it twice.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

KIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "amsterdam"


def seeded_trees(homes: dict[str, Any], n: int = 4000, seed: int = 13) -> dict[str, Any]:
    """Return ``n`` tree points, each within 60 m of a randomly drawn home (seeded)."""
    rng = np.random.default_rng(seed)
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in homes["features"]])
    centres = shapely.get_coordinates(shapely.point_on_surface(geoms))
    pick = rng.integers(0, len(centres), n)
    angle = rng.uniform(0, 2 * math.pi, n)
    radius = 60.0 * np.sqrt(rng.random(n))
    xy = centres[pick] + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return {
        "type": "FeatureCollection",
        "crs": homes.get("crs"),
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, 3), round(y, 3)]},
                "properties": {},
            }
            for x, y in xy.tolist()
        ],
    }


def load(trees: str) -> dict[str, Any]:
    def read(name: str) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads((KIT / f"{name}.geojson").read_bytes())
        return data

    raw = {
        "buildings": read("homes_1000"),
        "parks": read("parks"),
        "neighbourhoods": read("buurten"),
        "canopy": read("canopy"),
    }
    if trees == "generated":
        raw["trees"] = seeded_trees(raw["buildings"])
    return raw


def spec(samples: int, trees: str) -> dict[str, Any]:
    data: dict[str, Any] = {"buildings": {"position_sd_m": 1.0}}
    if trees == "generated":
        data["trees"] = {"position_sd_m": 2.0, "missing_share": 0.1}
    return {
        "samples": samples,
        "seed": 0,
        "parameters": {
            "tree_distance_m": {"distribution": "uniform", "low": 10, "high": 50},
            "park_distance_m": {"distribution": "triangular", "low": 200, "mode": 300, "high": 500},
        },
        "data": data,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--trees", choices=("generated", "canopy"), default="generated")
    ap.add_argument("--workers", type=int, default=None, help="sample threads (default: CPUs)")
    args = ap.parse_args()

    from gsl_indicators.core import run
    from gsl_indicators.core.assemble import output_values
    from gsl_indicators.core.canopy import default_workers
    from gsl_indicators.core.geo import read_layers
    from gsl_indicators.core.spec import Context, registry
    from gsl_indicators.core.uncertainty import parse_spec, uncertainty_report

    ind = registry().get("green-3-30-300")
    raw = load(args.trees)
    print(
        f"green-3-30-300 on the Amsterdam kit: {len(raw['buildings']['features'])} homes, "
        f"{len(raw['parks']['features'])} parks, {len(raw['neighbourhoods']['features'])} "
        f"buurten, {len(raw['canopy']['features'])} crowns, trees: "
        + (
            f"{len(raw['trees']['features'])} generated (seed 13)"
            if "trees" in raw
            else "none (canopy mode)"
        )
    )
    plain = []
    for _ in range(5):
        t0 = time.perf_counter()
        run.execute(ind, raw)
        plain.append(time.perf_counter() - t0)
    t_plain = min(plain)

    request = {**raw, "uncertainty": spec(args.samples, args.trees)}
    if args.workers is None:
        t0 = time.perf_counter()
        doc = output_values(run.execute(ind, request))
        t_total = time.perf_counter() - t0
        workers = default_workers()
        report = doc["uncertainty"]
    else:  # the same engine with a chosen thread count
        t0 = time.perf_counter()
        params = run.prepare(ind, request)
        layers, _ = read_layers(ind.inputs, raw, Context())
        base = run.compute_metrics(ind, layers, params, Context())
        report = uncertainty_report(
            ind, layers, params, base, parse_spec(ind, params["uncertainty"]), workers=args.workers
        )
        t_total = time.perf_counter() - t0
        workers = args.workers
    per_sample = (t_total - t_plain) / args.samples
    print(f"plain run:              {t_plain * 1000:8.1f} ms (best of 5)")
    print(f"with {args.samples} samples:       {t_total * 1000:8.1f} ms ({workers} sample threads)")
    print(f"cost per sample:        {per_sample * 1000:8.1f} ms")
    print(f"per sample / plain run: {per_sample / t_plain:8.3f}  (target <= 0.5)")
    print(f"valid samples: {report['valid_samples']} of {report['samples']}")
    for name in (
        "share_dwellings_meeting_3",
        "share_dwellings_meeting_300",
        "share_dwellings_meeting_all_three",
        "canopy_share",
    ):
        m = report["metrics"].get(name)
        if m is None:
            continue
        line = (
            f"  {name:36s} baseline {m['baseline']}  p5 {m['p5']}  p50 {m['p50']}  p95 {m['p95']}"
        )
        if "probability_meeting_norm" in m:
            line += (
                f"  score p5/p50/p95 {m['score']['p5']}/{m['score']['p50']}/{m['score']['p95']}"
                f"  P(meets minimum {m['norm']['minimum']}) {m['probability_meeting_norm']}"
            )
        print(line)


if __name__ == "__main__":
    main()
