"""Benchmark the scoreboard: one card of 5 indicators vs the same indicators one by one.

Usage::

    .venv/bin/python benchmarks/bench_scoreboard.py            # 20,000 buildings
    .venv/bin/python benchmarks/bench_scoreboard.py --quick    # 4,000 buildings

A seeded synthetic city (gsl_indicators.core.synthetic) gives the layers of five
indicators: green-3-30-300 (buildings, trees, canopy, parks, neighbourhoods),
green-per-dwelling (the parks as ``green``), play-space (play areas),
cool-place-distance (cool places) and proximity-facilities (facilities). Measured in
one run, in one process, each with ``run.execute`` as the service runs it:

* **one by one** — the five indicators run separately, each parsing and digesting its
  own inputs (what a client calling five processes costs);
* **scoreboard** — one ``scoreboard`` execution of a card with the five: layers parsed
  and digested once, parts in two threads; target ≤ 0.6 × the summed time;
* **re-run, one layer changed** — the same scoreboard with one facility moved: only
  proximity-facilities reads facilities, so only it is computed again; target ≤ 0.3 ×
  the first scoreboard run.

The scoreboard's theme scores are checked against the one-by-one scores.
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

from gsl_indicators.core import parts, synthetic
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry

CARD: dict[str, Any] = {
    "id": "bench",
    "title": {"nl": "bench", "en": "bench"},
    "version": "1",
    "publisher": "benchmark",
    "profile": "nl-default",
    "themes": [
        {
            "id": "green",
            "title": {"nl": "Groen", "en": "Green"},
            "indicators": [
                {"indicator": "green-3-30-300"},
                {"indicator": "green-per-dwelling"},
                {"indicator": "play-space"},
            ],
        },
        {
            "id": "heat",
            "title": {"nl": "Hitte", "en": "Heat"},
            "indicators": [{"indicator": "cool-place-distance"}],
        },
        {
            "id": "proximity",
            "title": {"nl": "Nabijheid", "en": "Proximity"},
            "indicators": [{"indicator": "proximity-facilities"}],
        },
    ],
}


def layers(n: int) -> dict[str, Any]:
    city = synthetic.city(n, seed=7)
    return {
        "buildings": city["buildings"],
        "trees": city["trees"],
        "canopy": city["canopy"],
        "parks": city["parks"],
        "green": city["parks"],
        "neighbourhoods": city["neighbourhoods"],
        "play_areas": city["play_areas"],
        "cool_places": city["cool_places"],
        "facilities": city["facilities"],
    }


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--buildings", type=int, default=None)
    args = ap.parse_args()
    n = args.buildings or (4_000 if args.quick else 20_000)
    data = layers(n)
    reg = registry()
    ids = [e["indicator"] for t in CARD["themes"] for e in t["indicators"]]

    singles: dict[str, float] = {}
    scores: dict[str, Any] = {}
    for pid in ids:
        ind = reg.get(pid)
        names = {gi.name for gi in ind.inputs}
        inputs = {k: v for k, v in data.items() if k in names}
        dt, doc = timed(lambda ind=ind, inputs=inputs: execute(ind, inputs))
        singles[pid] = dt
        scores[pid] = output_values(doc)["summary"]["scorecard"]["score"]
        print(f"  {pid:24s} {dt:7.2f} s   score {scores[pid]}")
    total = sum(singles.values())

    board = reg.get("scoreboard")
    inputs = {"card": CARD, **data}
    parts.MEMO._data.clear()
    first, doc = timed(lambda: execute(board, inputs))
    out = output_values(doc)
    for t in out["themes"]:
        for e in t["indicators"]:
            assert e["score"] == scores[e["indicator"]], (e, scores[e["indicator"]])
    moved = copy.deepcopy(data["facilities"])
    x, y = moved["features"][0]["geometry"]["coordinates"]
    moved["features"][0]["geometry"]["coordinates"] = [x + 37.0, y - 11.0]
    again, doc2 = timed(lambda: execute(board, {**inputs, "facilities": moved}))
    cache = [p["cache"] for p in output_values(doc2)["provenance"]["parts"]]
    assert cache.count("miss") == 1, cache

    print(f"buildings {n:,}: five indicators one by one {total:.2f} s")
    print(
        f"scoreboard (parse once, 2 threads)   {first:.2f} s  ratio {first / total:.2f}  (target ≤ 0.6)"
    )
    print(
        f"re-run, facilities changed           {again:.2f} s  ratio {again / first:.2f}  (target ≤ 0.3)"
    )
    print(f"parts on the re-run: {cache}")


if __name__ == "__main__":
    main()
