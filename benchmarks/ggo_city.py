"""A seeded synthetic district for the GGO-theme benchmarks (odour, external safety, EMF).

``--homes`` home footprints (10 × 8 m squares, some with a ``function``) on a jittered
grid over a square of side ``√homes × 25 m``, and square neighbourhoods of 500 m not
aligned with the homes. Every benchmark builds its own overlay layers on top, runs the
indicator's kernel (``Indicator.compute`` on parsed layers, with the runner's area
grouping) and a straightforward GeoPandas implementation of the same rule, checks the
results are identical, and prints the times and the ratios: both sides run ``--repeat``
times interleaved (:func:`compare`), so a loaded machine slows both alike; best and
median of each side and the load average are printed.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.assemble import area_groups
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import Metrics
from gsl_indicators.core.spec import Context, Indicator

X0, Y0 = 120_000.0, 480_000.0
REPEAT = 3
"""Runs of each side (interleaved); best and median are reported."""
CRS = "EPSG:28992"


Check = Callable[[Any, Any], None]
"""Asserts that the kernel's result and the GeoPandas one are identical."""


@dataclass
class City:
    """Homes (footprints and their properties) and neighbourhoods of a synthetic district."""

    homes: np.ndarray
    props: list[dict[str, Any]]
    neighbourhoods: np.ndarray
    side: float

    def uniform(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` uniform points in the district, shape (n, 2)."""
        return np.column_stack(
            [X0 + rng.uniform(0, self.side, n), Y0 + rng.uniform(0, self.side, n)]
        )


def city(n: int, seed: int = 7, functions: tuple[str, ...] = ()) -> City:
    """Return a district of ``n`` homes; ``functions`` are spread over 1 % of them (dwellings 0)."""
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(n))
    cell = 25.0
    i, j = np.divmod(np.arange(n), cols)
    x = X0 + i * cell + rng.uniform(0, 10, n)
    y = Y0 + j * cell + rng.uniform(0, 10, n)
    homes = shapely.box(x, y, x + 10, y + 8)
    dwellings = rng.integers(1, 4, n)
    props: list[dict[str, Any]] = [{"dwellings": int(d)} for d in dwellings]
    if functions:
        for k in rng.choice(n, size=max(1, n // 100), replace=False):
            props[k] = {"dwellings": 0, "function": str(rng.choice(functions))}
    side = cols * cell
    step = 500.0
    g = np.arange(-step / 3, side, step)
    gx, gy = np.meshgrid(g, g)
    nbh = shapely.box(
        X0 + gx.ravel(), Y0 + gy.ravel(), X0 + gx.ravel() + step, Y0 + gy.ravel() + step
    )
    return City(homes, props, nbh, side)


def contours(
    centres: np.ndarray, radii: np.ndarray, rng: np.random.Generator, vertices: int = 720
) -> np.ndarray:
    """Return closed contour polygons around ``centres``: wobbly rings of ``vertices`` points.

    Contours of a dispersion or risk model are detailed isolines (hundreds to thousands of
    vertices), not 32-sided circles; the wobble (three harmonics, ±20 %) is seeded. Rings of
    the same centre and seed are nested when their radii are.
    """
    k = len(centres)
    a = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, (k, 3))
    wobble = 1 + sum(
        0.2 / (h + 1) * np.sin((h + 2) * a[None, :] + phase[:, h : h + 1]) for h in range(3)
    )
    r = radii[:, None] * wobble
    xy = np.stack([centres[:, :1] + r * np.cos(a), centres[:, 1:] + r * np.sin(a)], axis=-1)
    return shapely.polygons(np.concatenate([xy, xy[:, :1]], axis=1))


def layer(name: str, geoms: np.ndarray, props: list[dict[str, Any]] | None = None) -> Layer:
    """Return a parsed :class:`Layer` of ``geoms`` with ``props`` (no GeoJSON round trip)."""
    props = props if props is not None else [{} for _ in range(len(geoms))]
    features = [{"type": "Feature", "properties": p} for p in props]
    return Layer(name, np.asarray(geoms, dtype=object), features, np.arange(len(geoms)), CRS)


def run_kernel(
    ind: Indicator, layers: dict[str, Layer], params: dict[str, Any], features: str = "buildings"
) -> Metrics:
    """Run the indicator's kernel as the runner does: area grouping once, then ``compute``.

    The layers are fresh copies (``dataclasses.replace``: parsed properties kept, nothing
    computed during an earlier run, such as representative points, carried over).
    """
    layers = {k: replace(v) for k, v in layers.items()}
    ctx = Context()
    ctx.groups = area_groups(layers[features], layers["neighbourhoods"], ctx)
    return ind.compute(layers, ind.validate_parameters(params), ctx)


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Return the wall time and the CPU time of one call of ``fn()``, and its result."""
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


@dataclass
class Timing:
    """Wall and CPU times of both sides, measured interleaved in one run."""

    ours: list[float]
    theirs: list[float]
    load: tuple[float, float]
    cpu_ours: list[float]
    cpu_theirs: list[float]

    def best(self) -> tuple[float, float]:
        """Return the best time of each side (ours, theirs)."""
        return min(self.ours), min(self.theirs)

    def median(self) -> tuple[float, float]:
        """Return the median time of each side (ours, theirs)."""
        return float(np.median(self.ours)), float(np.median(self.theirs))

    def cpu(self) -> tuple[float, float]:
        """Return the best CPU time of each side (ours, theirs): less sensitive to load."""
        return min(self.cpu_ours), min(self.cpu_theirs)


def compare(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int = REPEAT
) -> tuple[Timing, Any, Any]:
    """Run both sides ``repeat`` times, interleaved (ours, theirs, ours, …).

    Interleaving makes the load of a shared machine fall on both sides alike; the best
    and the median wall time and the best CPU time (process time: what the side itself
    computed, less sensitive to other processes) of each side are reported
    (:func:`report`), with the 1-minute load average before and after the run. Returns the timings and each side's last result.
    """
    before = os.getloadavg()[0]
    timing = Timing([], [], (before, before), [], [])
    res = ref = None
    for _ in range(repeat):
        t, c, res = timed(ours)
        timing.ours.append(t)
        timing.cpu_ours.append(c)
        t, c, ref = timed(theirs)
        timing.theirs.append(t)
        timing.cpu_theirs.append(c)
    timing.load = (before, os.getloadavg()[0])
    return timing, res, ref


def area_index_gpd(homes: Any, nbh: Any) -> np.ndarray:
    """The neighbourhood of each home by its representative point (first one on ties), GeoPandas."""
    import geopandas as gpd

    rp = gpd.GeoDataFrame(geometry=homes.representative_point(), crs=CRS)
    j = gpd.sjoin(rp, nbh, predicate="intersects").reset_index()
    j = j.sort_values(["index", "index_right"]).drop_duplicates("index").set_index("index")
    return j["index_right"].reindex(homes.index, fill_value=-1).to_numpy()


def report(name: str, n: int, timing: Timing) -> None:
    """Print one benchmark line: best and median times of each side, ratios, machine load."""
    (bo, bg), (mo, mg), (co, cg) = timing.best(), timing.median(), timing.cpu()
    print(
        f"{name:<18} {n:>8,} homes  geopandas {bg:6.2f} s  ours {bo:5.2f} s  "
        f"ratio {bg / bo:5.1f}× best of {len(timing.ours)} | median {mg:.2f} / {mo:.2f} s "
        f"= {mg / mo:.1f}× | CPU {cg:.2f} / {co:.2f} s = {cg / co:.1f}× | "
        f"load {timing.load[0]:.1f}→{timing.load[1]:.1f} | results identical"
    )


def arguments(doc: str | None) -> argparse.Namespace:
    """Parse the common options: ``--homes``, ``--quick`` (10,000 homes), ``--repeat``."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("--homes", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 homes")
    ap.add_argument("--repeat", type=int, default=REPEAT, help="runs of each side, interleaved")
    args = ap.parse_args()
    if args.quick:
        args.homes = 10_000
    return args
