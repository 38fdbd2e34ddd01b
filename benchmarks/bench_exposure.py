"""Benchmark exposure sampling: vectorised kernels vs a straightforward per-feature loop.

A synthetic city (seeded) of ``--homes`` home points (default 100,000) in 10 × 10 km:

* zones: a 40 × 40 grid of 250 m noise bands plus 400 overlapping circles (worst
  value wins); kernel :func:`sample_zones` (one ``STRtree.query`` for all homes) vs a
  loop that queries the tree per home and takes the maximum;
* receptor points: 20,000 points, nearest within 100 m; kernel :func:`sample_points`
  (one KD-tree query) vs a loop calling ``STRtree.query_nearest`` per home;
* grid: a 1000 × 1000 GeoTIFF of 10 m cells with nodata; kernel :func:`sample_grid`
  (one windowed read, array indexing) vs rasterio's ``DatasetReader.sample`` per home.

Results are checked to agree, then the ratio baseline ÷ kernel is printed.
Run: ``.venv/bin/python benchmarks/bench_exposure.py [--quick] [--homes N]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

from gsl_indicators.core.exposure import sample_grid, sample_points, sample_zones


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def report(name: str, n: int, t_base: float, t_kernel: float) -> None:
    print(
        f"{name:<8} {n:>8,} homes  baseline {t_base:8.3f} s  kernel {t_kernel:7.3f} s  "
        f"ratio {t_base / t_kernel:7.1f}×"
    )


def bench_zones(xy: np.ndarray, rng: np.random.Generator) -> None:
    cells = np.arange(0, 10000, 250.0)
    gx, gy = np.meshgrid(cells, cells)
    squares = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + 250, gy.ravel() + 250)
    circles = shapely.buffer(
        shapely.points(rng.uniform(0, 10000, (400, 2))), rng.uniform(50, 400, 400)
    )
    zones = np.concatenate([squares, circles])
    vals = rng.uniform(40, 75, len(zones))
    homes = shapely.points(xy)
    t_k, got = timed(lambda: sample_zones(homes, zones, vals, "worst"))

    def loop() -> np.ndarray:
        tree = shapely.STRtree(zones)
        out = np.full(len(homes), np.nan)
        for i, h in enumerate(homes):
            idx = tree.query(h, predicate="intersects")
            if len(idx):
                out[i] = vals[idx].max()
        return out

    t_b, ref = timed(loop)
    assert np.allclose(got, ref, equal_nan=True)
    report("zones", len(xy), t_b, t_k)


def bench_points(xy: np.ndarray, rng: np.random.Generator) -> None:
    pts = rng.uniform(0, 10000, (20000, 2))
    vals = rng.uniform(10, 40, len(pts))
    t_k, got = timed(lambda: sample_points(xy, pts, vals, 100.0, "nearest"))

    def loop() -> np.ndarray:
        geoms = shapely.points(pts)
        tree = shapely.STRtree(geoms)
        out = np.full(len(xy), np.nan)
        for i, h in enumerate(shapely.points(xy)):
            idx = tree.query_nearest(h, max_distance=100.0)
            if len(idx):
                out[i] = vals[idx[0]]
        return out

    t_b, ref = timed(loop)
    # Ties at equal distance may pick different receptors; they are rare with floats.
    agree = np.isclose(got, ref, equal_nan=True).mean()
    assert agree > 0.999, agree
    report("points", len(xy), t_b, t_k)


def bench_grid(xy: np.ndarray, rng: np.random.Generator) -> None:
    arr = rng.uniform(10, 40, (1000, 1000)).astype("float32")
    arr[rng.random(arr.shape) < 0.01] = -9999.0
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            height=1000,
            width=1000,
            count=1,
            dtype="float32",
            crs="EPSG:28992",
            transform=from_origin(0, 10000, 10, 10),
            nodata=-9999.0,
        ) as ds:
            ds.write(arr, 1)
        data = mem.read()
    t_k, got = timed(lambda: sample_grid(data, xy, "EPSG:28992").values)

    def loop() -> np.ndarray:
        with rasterio.MemoryFile(data) as mem, mem.open() as ds:
            out = np.array([v[0] for v in ds.sample([tuple(p) for p in xy], masked=False)], float)
        out[out == -9999.0] = np.nan
        return out

    t_b, ref = timed(loop)
    assert np.allclose(got, ref, equal_nan=True)
    report("grid", len(xy), t_b, t_k)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--homes", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 homes")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.homes
    rng = np.random.default_rng(42)
    xy = rng.uniform(0, 10000, (n, 2))
    bench_zones(xy, rng)
    bench_points(xy, rng)
    bench_grid(xy, rng)


if __name__ == "__main__":
    main()
