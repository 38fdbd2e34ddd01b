"""Benchmark the '3' of green-3-30-300: trees in sight against the plain count (issue 13).

Usage::

    .venv/bin/python benchmarks/bench_line_of_sight.py            # 100,000 homes, 300,000 trees
    .venv/bin/python benchmarks/bench_line_of_sight.py --quick    # 10,000 homes

A seeded synthetic city (:func:`gsl_indicators.core.synthetic.city`, footprints 4 × 4 per
block, 3 trees per home) is parsed once; then :func:`~gsl_indicators.indicators.green.
trees_within` (every tree within 30 m) and :func:`~gsl_indicators.indicators.green.
trees_in_sight` (only trees whose sight line from the façade crosses no other footprint)
are timed on the same arrays, best of ``--repeat`` runs each, and the ratio printed with
the mean counts (the trees seen can only be fewer).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gsl_indicators.core.geo import read_layers
from gsl_indicators.core.spec import Context, registry
from gsl_indicators.core.synthetic import city
from gsl_indicators.indicators.green import trees_in_sight, trees_within


def best_of(repeat: int, fn, *args):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--homes", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 homes")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--distance", type=float, default=30.0)
    a = ap.parse_args()
    n = 10_000 if a.quick else a.homes
    t0 = time.perf_counter()
    raw = city(n, seed=1, trees_per_building=3.0)
    ind = registry().get("green-3-30-300")
    layers, _ = read_layers(
        [gi for gi in ind.inputs if gi.name in ("buildings", "trees")],
        {"buildings": raw["buildings"], "trees": raw["trees"]},
        Context(),
    )
    homes, trees = layers["buildings"].geometries, layers["trees"].geometries
    print(
        f"city: {len(homes):,} footprints, {len(trees):,} trees "
        f"(generated and parsed in {time.perf_counter() - t0:.1f} s)"
    )
    t_plain, plain = best_of(a.repeat, trees_within, homes, trees, a.distance)
    t_sight, seen = best_of(a.repeat, trees_in_sight, homes, trees, a.distance, homes)
    assert (seen <= plain).all()
    print(
        f"plain count    : {t_plain:7.2f} s  mean {plain.mean():.2f} trees within "
        f"{a.distance:g} m, {np.mean(plain >= 3):.4f} of homes ≥ 3"
    )
    print(
        f"line of sight  : {t_sight:7.2f} s  mean {seen.mean():.2f} trees seen, "
        f"{np.mean(seen >= 3):.4f} of homes ≥ 3"
    )
    print(f"ratio line of sight / plain: {t_sight / t_plain:.2f}")


if __name__ == "__main__":
    main()
