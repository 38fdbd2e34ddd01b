"""Benchmark the shade share: vectorised shadows vs a straightforward per-building loop.

A synthetic district (seeded) of ``--buildings`` footprints (default 20,000; 90 %
rectangles, 10 % L-shaped) with heights of 3–30 m along a street grid; public space
is the streets (one polygon per street segment, 1,000+), plus 2,000 tree crowns.
Sun: solar noon on 21 June at 52.1° N (about 61.5°).

Kernel: :func:`building_shadows` (hulls of stacked coordinates, triangulation only
for non-convex footprints) + :func:`shade_geometry` (``union_all`` of the pieces that
touch a street) + :func:`shaded_area` (one STRtree query). Baseline: per building, the exact swept shadow (the footprint, its
translation and one quad per edge, ``union_all``), then ``union_all`` of all shadows
and a per-street ``intersection`` loop. Total shaded areas are checked to agree.

Run: ``.venv/bin/python benchmarks/bench_shade.py [--quick] [--buildings N]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import time

import numpy as np
import shapely

from gsl_indicators.core.shade import (
    building_shadows,
    shade_geometry,
    shaded_area,
    shadow_offsets,
    solar_position,
)


def district(
    n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    side = int(np.ceil(np.sqrt(n)))
    step = 30.0  # 20 m plot + 10 m street
    ix, iy = np.divmod(np.arange(n), side)
    x0 = ix * step + rng.uniform(0, 4, n)
    y0 = iy * step + rng.uniform(0, 4, n)
    w = rng.uniform(8, 16, n)
    d = rng.uniform(8, 16, n)
    fps = shapely.box(x0, y0, x0 + w, y0 + d)
    ell = rng.random(n) < 0.1
    notch = shapely.box(x0 + w / 2, y0 + d / 2, x0 + w + 1, y0 + d + 1)
    fps[ell] = shapely.difference(fps[ell], notch[ell])
    heights = rng.uniform(3, 30, n)
    # Streets: horizontal strips between plot rows, split every 10 plots.
    ext = side * step
    streets = [
        shapely.box(x, y - 10, min(x + 10 * step, ext), y)
        for y in np.arange(step, ext + step, step) - 0.0
        for x in np.arange(0, ext, 10 * step)
    ]
    trees = shapely.buffer(shapely.points(rng.uniform(0, ext, (2000, 2))), rng.uniform(2, 6, 2000))
    return fps, heights, np.array(streets), trees


def kernel(fps, heights, streets, trees, elev, az):
    pieces = building_shadows(fps, heights, elev, az)
    shade = shade_geometry(np.concatenate([pieces, trees]), streets)
    return shaded_area(streets, shade)


def baseline(fps, heights, streets, trees, elev, az):
    offs = shadow_offsets(heights, elev, az)
    shadows = []
    for fp, (dx, dy) in zip(fps, offs, strict=True):
        ring = np.asarray(fp.exterior.coords)
        quads = [
            shapely.Polygon([a, b, (b[0] + dx, b[1] + dy), (a[0] + dx, a[1] + dy)])
            for a, b in itertools.pairwise(ring)
        ]
        quads = [q for q in quads if q.area > 0]
        shadows.append(shapely.union_all([fp, shapely.affinity.translate(fp, dx, dy), *quads]))
    shade = shapely.union_all([*shadows, *trees])
    return np.array([s.intersection(shade).area for s in streets])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buildings", type=int, default=20_000)
    ap.add_argument("--quick", action="store_true", help="2,000 buildings")
    args = ap.parse_args()
    n = 2_000 if args.quick else args.buildings
    rng = np.random.default_rng(1)
    fps, heights, streets, trees = district(n, rng)
    elev, az = solar_position(52.1, dt.date(2025, 6, 21))
    t = time.perf_counter()
    got = kernel(fps, heights, streets, trees, elev, az)
    t_k = time.perf_counter() - t
    t = time.perf_counter()
    ref = baseline(fps, heights, streets, trees, elev, az)
    t_b = time.perf_counter() - t
    assert np.allclose(got, ref, rtol=1e-6, atol=1e-3), np.abs(got - ref).max()
    share = 100 * got.sum() / shapely.area(streets).sum()
    print(
        f"shade   {n:>8,} buildings, {len(streets):,} streets, shade {share:.1f} %  "
        f"baseline {t_b:7.3f} s  kernel {t_k:7.3f} s  ratio {t_b / t_k:6.1f}×"
    )


if __name__ == "__main__":
    main()
