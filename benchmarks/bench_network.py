"""Benchmark: walking-network distances against the euclidean computation, same run.

On a synthetic city (default 100,000 homes, ~100,000 network edges, 5 facility types)
this times

* the stages of the network computation (graph build, snapping, shortest paths), and
* ``proximity-facilities`` and ``cool-place-distance`` compute in both distance modes
  (inputs parsed once beforehand; parsing is timed separately),

and prints the network ÷ euclidean ratios (target: under 5×).

Run: ``.venv/bin/python benchmarks/bench_network.py`` (``--quick`` for 10,000 homes,
``--homes N`` for another size).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from gsl_indicators.core import synthetic
from gsl_indicators.core.geo import read_layers
from gsl_indicators.core.network import build_network, network_distances_by_type, snap_origins
from gsl_indicators.core.spec import Context, registry
from gsl_indicators.indicators import cooling, proximity


def timed(fn: Any, *args: Any, repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--homes", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 homes")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    n = 10_000 if args.quick else args.homes

    t0 = time.perf_counter()
    city = synthetic.city(n, seed=1)
    t_gen = time.perf_counter() - t0
    print(f"synthetic city: {n:,} homes, generated in {t_gen:.1f} s")

    ind = registry().get("proximity-facilities")
    inputs = {
        "buildings": city["buildings"],
        "facilities": city["facilities"],
        "neighbourhoods": city["neighbourhoods"],
        "network": city["network"],
    }
    t_parse, (layers, _) = timed(lambda: read_layers(ind.inputs, inputs, Context()))
    print(
        f"parse inputs: {t_parse:.2f} s ({len(layers['buildings']):,} homes, "
        f"{len(layers['network']):,} lines, {len(layers['facilities']):,} facilities)"
    )

    # --- network stages -----------------------------------------------------------
    homes = layers["buildings"].geometries
    groups = proximity.facility_groups(layers["facilities"], None, Context())
    lines = layers["network"].geometries
    t_build, net = timed(build_network, lines, repeat=args.repeat)
    t_snap, _ = timed(snap_origins, net, homes, 100.0, repeat=args.repeat)
    _, res = timed(
        network_distances_by_type, net, homes, groups, 1000.0, 100.0, 10.0, repeat=args.repeat
    )
    t_paths = sum(r.stage_seconds["shortest_paths"] for r in res.values())
    t_targets = sum(r.stage_seconds["targets"] for r in res.values())
    print(
        f"network: {net.n_edges:,} edges, {net.n_nodes:,} nodes, "
        f"{net.length.sum() / 1000:,.0f} km, {len(groups)} facility types"
    )
    print(f"  graph build        {t_build:7.3f} s")
    print(f"  snapping {len(homes):,} homes {t_snap:7.3f} s")
    print(f"  target snapping    {t_targets:7.3f} s  (all types)")
    print(f"  shortest paths     {t_paths:7.3f} s  (all types, one Dijkstra each)")
    unsnapped = int(next(iter(res.values())).unsnapped.sum())
    print(f"  homes not snapped: {unsnapped}")

    # --- whole indicators, both modes ---------------------------------------------
    base = ind.validate_parameters({})
    rows = []
    for label, fn, lay, extra in (
        ("proximity-facilities", proximity.compute_facilities, layers, {}),
        (
            "cool-place-distance",
            cooling.compute,
            {
                **layers,
                **read_layers(
                    registry().get("cool-place-distance").inputs,
                    {"cool_places": city["cool_places"]},
                )[0],
            },
            registry().get("cool-place-distance").validate_parameters({}),
        ),
    ):
        params_e = {**(extra or base), "distance_mode": "euclidean"}
        params_n = {**(extra or base), "distance_mode": "network"}
        t_e, out_e = timed(
            lambda f=fn, lay_=lay, p=params_e: f(lay_, p, Context()), repeat=args.repeat
        )
        t_n, out_n = timed(
            lambda f=fn, lay_=lay, p=params_n: f(lay_, p, Context()), repeat=args.repeat
        )
        rows.append((label, t_e, t_n))
        if label == "proximity-facilities":
            se = out_e["summary"]["profiles"]["standard"]["all_types"]["share_homes"]
            sn = out_n["summary"]["profiles"]["standard"]["all_types"]["share_homes"]
            print(f"  share of homes with all types within 300 m: euclidean {se}, network {sn}")
        else:
            print(
                "  share of homes within 300 m of a cool place: euclidean "
                f"{out_e.overall['share_homes_within']:.4f}, network "
                f"{out_n.overall['share_homes_within']:.4f}"
            )
    print()
    print(f"{'indicator (compute only)':28s} {'euclidean':>10s} {'network':>10s} {'ratio':>7s}")
    for label, t_e, t_n in rows:
        print(f"{label:28s} {t_e:9.2f}s {t_n:9.2f}s {t_n / t_e:6.2f}x")
    ratio = max(t_n / t_e for _, t_e, t_n in rows)
    print(
        f"\nnetwork / euclidean, worst: {ratio:.2f}x (target < 5x): {'OK' if ratio < 5 else 'MISSED'}"
    )
    _ = np  # numpy kept for interactive use


if __name__ == "__main__":
    main()
