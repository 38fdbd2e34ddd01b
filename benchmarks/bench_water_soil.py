"""Benchmark the water and soil overlays against a straightforward per-feature loop.

Synthetic district (seeded): square surface parcels (paved or not) on a jittered grid,
~500 square neighbourhoods not aligned with the parcels (so many parcels cross a
boundary), storage polygons, home points and rectangular contamination zones.

Measured in the same run, on the same data, with identical results:

* water — paved / unpaved area per neighbourhood: ``overlay_pairs`` + ``bincount``
  (one STRtree query, ``contains_properly`` to skip whole parcels, one vectorised
  ``intersection`` over the crossing pairs) vs. a loop that queries the tree per parcel
  and intersects each candidate pair in Python;
* soil — worst contamination class per home: ``worst_class_per_home`` (one STRtree
  query, ``numpy.maximum.at``) vs. a per-home loop over the tree's candidates;
* the whole ``water`` and ``soil`` processes (``run.execute``, parsing included), for
  scale.

Run: ``.venv/bin/python benchmarks/bench_water_soil.py [--quick] [--n N]``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.soil import worst_class_per_home
from gsl_indicators.indicators.water import overlay_pairs

X0, Y0 = 120_000.0, 480_000.0
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def district(n: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n))
    cell = 10.0
    i, j = np.divmod(np.arange(n), side)
    x = X0 + i * cell + rng.uniform(-0.09, 0.09, n)  # no overlaps: parcels 9.8 m
    y = Y0 + j * cell + rng.uniform(-0.09, 0.09, n)
    surfaces = shapely.box(x, y, x + cell * 0.98, y + cell * 0.98)
    paved = rng.random(n) < 0.6
    extent = side * cell
    k = max(1, round(math.sqrt(500 * n / 100_000)))
    hs = extent / k + 0.37  # not a multiple of the parcel size
    hi, hj = np.divmod(np.arange(k * k), k)
    hoods = shapely.box(X0 + hi * hs, Y0 + hj * hs, X0 + (hi + 1) * hs, Y0 + (hj + 1) * hs)
    m = n // 50
    sx, sy = rng.uniform(X0, X0 + extent, m), rng.uniform(Y0, Y0 + extent, m)
    storage = shapely.box(sx, sy, sx + 15, sy + 8)
    homes = shapely.points(rng.uniform(X0, X0 + extent, n), rng.uniform(Y0, Y0 + extent, n))
    z = max(10, n // 50)
    zx, zy = rng.uniform(X0, X0 + extent, z), rng.uniform(Y0, Y0 + extent, z)
    zones = shapely.box(zx, zy, zx + rng.uniform(20, 200, z), zy + rng.uniform(20, 200, z))
    ranks = rng.integers(0, 4, z)
    return {
        "surfaces": surfaces,
        "paved": paved,
        "hoods": hoods,
        "storage": storage,
        "homes": homes,
        "zones": zones,
        "ranks": ranks,
    }


def fc(geoms: np.ndarray, props: list[dict[str, Any]]) -> dict[str, Any]:
    gj = shapely.to_geojson(geoms)
    import orjson

    return {
        "type": "FeatureCollection",
        "crs": CRS,
        "features": [
            {"type": "Feature", "geometry": orjson.loads(g), "properties": p}
            for g, p in zip(gj.tolist(), props, strict=True)
        ],
    }


def water_vectorised(d: dict[str, Any]) -> np.ndarray:
    n = len(d["hoods"])
    gi, zi, area = overlay_pairs(d["surfaces"], d["hoods"])
    p = d["paved"][gi]
    return np.stack(
        [
            np.bincount(zi, weights=area * p, minlength=n),
            np.bincount(zi, weights=area * ~p, minlength=n),
        ]
    )


def water_loop(d: dict[str, Any]) -> np.ndarray:
    hoods = d["hoods"]
    tree = shapely.STRtree(hoods)
    out = np.zeros((2, len(hoods)))
    for g, paved in zip(d["surfaces"], d["paved"], strict=True):
        for j in tree.query(g):
            a = g.intersection(hoods[j]).area
            if a > 0:
                out[0 if paved else 1, j] += a
    return out


def soil_loop(d: dict[str, Any]) -> np.ndarray:
    zones, ranks = d["zones"], d["ranks"]
    tree = shapely.STRtree(zones)
    out = np.full(len(d["homes"]), -1)
    for i, h in enumerate(d["homes"]):
        for j in tree.query(h, predicate="intersects"):
            out[i] = max(out[i], ranks[j])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="surfaces and homes (default 100,000)")
    ap.add_argument("--quick", action="store_true", help="small run (10,000)")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.n
    registry()  # import every indicator module before timing
    d = district(n)
    print(
        f"district: {n:,} surfaces, {len(d['hoods'])} neighbourhoods, "
        f"{len(d['storage']):,} storage polygons, {n:,} homes, {len(d['zones']):,} zones"
    )

    t_vec, a = timed(lambda: water_vectorised(d), repeat=3)
    t_loop, b = timed(lambda: water_loop(d))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
    print(
        f"water overlay   vectorised {t_vec:7.3f} s   per-feature loop {t_loop:7.3f} s   "
        f"ratio {t_loop / t_vec:5.1f}x (identical areas)"
    )

    t_vec, a = timed(lambda: worst_class_per_home(d["homes"], d["zones"], d["ranks"]), repeat=3)
    t_loop, b = timed(lambda: soil_loop(d))
    np.testing.assert_array_equal(a, b)
    print(
        f"soil classes    vectorised {t_vec:7.3f} s   per-home loop    {t_loop:7.3f} s   "
        f"ratio {t_loop / t_vec:5.1f}x (identical classes)"
    )

    rng = np.random.default_rng(2)
    hood_fc = fc(d["hoods"], [{"area_type": "stedelijk-wonen"} for _ in d["hoods"]])
    surf_fc = fc(d["surfaces"], [{"paved": bool(p)} for p in d["paved"]])
    inputs_w = {
        "surfaces": surf_fc,
        "storage": fc(d["storage"], [{"capacity_mm": 60} for _ in d["storage"]]),
        "neighbourhoods": hood_fc,
    }
    t_w, _ = timed(lambda: execute(registry().get("water"), inputs_w))
    classes = np.array(["achtergrondwaarde", "wonen", "industrie", "niet-toepasbaar"])
    inputs_s = {
        "surfaces": surf_fc,
        "buildings": fc(d["homes"], [{"dwellings": int(k)} for k in rng.integers(1, 4, n)]),
        "contamination_zones": fc(d["zones"], [{"class": str(c)} for c in classes[d["ranks"]]]),
        "neighbourhoods": hood_fc,
    }
    t_s, _ = timed(lambda: execute(registry().get("soil"), inputs_s))
    print(f"whole processes (parsing, overlays, scorecards): water {t_w:.2f} s, soil {t_s:.2f} s")


if __name__ == "__main__":
    main()
