"""Benchmark ``emf``: the kernel vs a straightforward GeoPandas implementation of the rule.

Synthetic district (:mod:`ggo_city`, seeded): 100,000 home footprints, 1 % of them
schools or childcare; 12 overhead-line corridors crossing the district at any angle (a
mast every ~300 m, zone widths 30–150 m). The kernel queries a tree of the buildings with
each line's prepared buffer (a little wider than its zone) and decides the candidates on
the exact distance; ``sjoin(predicate="dwithin")`` takes every building in a line's
bounding box (most of the district for a diagonal line) as a candidate. The rule: a building is inside a line's magnetic-field zone when
its footprint lies within the zone width of the axis (1 µm rounding tolerance); per
neighbourhood the share of homes and of children's facilities inside. GeoPandas:
``sjoin(predicate="dwithin")`` at the largest width, the distance of each pair to its
line against that line's width, ``groupby`` per neighbourhood.

Run: ``.venv/bin/python benchmarks/bench_emf.py [--quick] [--homes N] [--repeat R]``
(both sides R times, interleaved; best, median and CPU-time ratios and the load average:
:func:`ggo_city.compare`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from ggo_city import (
    CRS,
    Check,
    area_index_gpd,
    arguments,
    city,
    compare,
    layer,
    report,
    run_kernel,
)
from gsl_indicators.core.metrics import Metrics
from gsl_indicators.core.spec import registry


def setup(n: int) -> tuple[Callable[[], Metrics], Callable[[], dict[str, np.ndarray]], Check]:
    """Return the kernel, the GeoPandas implementation and the identity check on ``n`` homes."""
    rng = np.random.default_rng(3)
    c = city(n, functions=("school", "kinderopvang"))
    k = 12
    lines = []
    for _ in range(k):  # corridors crossing the district at any angle, a mast every ~300 m
        angle = rng.uniform(0, np.pi)
        cx, cy = c.uniform(rng, 1)[0]
        half = c.side * 0.8
        m = int(2 * half / 300) + 1
        t = np.linspace(-half, half, m)
        bend = np.cumsum(rng.normal(0, 0.01, m))  # small angle changes at the masts
        xs = cx + t * np.cos(angle + bend)
        ys = cy + t * np.sin(angle + bend)
        lines.append(shapely.LineString(np.column_stack([xs, ys])))
    widths = rng.uniform(30, 150, k).round(1)
    lprops = [{"zone_width_m": float(w), "voltage_kv": 150} for w in widths]
    layers = {
        "buildings": layer("buildings", c.homes, c.props),
        "neighbourhoods": layer("neighbourhoods", c.neighbourhoods),
        "power_lines": layer("power_lines", np.array(lines), lprops),
    }
    ind = registry().get("emf")

    def ours() -> Metrics:
        return run_kernel(ind, layers, {})

    import geopandas as gpd  # imported before timing
    import pandas as pd

    def geopandas() -> dict[str, np.ndarray]:
        dw = np.array([p["dwellings"] for p in c.props], float)
        fn = [p.get("function") for p in c.props]
        b = gpd.GeoDataFrame({"dw": dw, "fn": fn}, geometry=c.homes, crs=CRS)
        ln = gpd.GeoDataFrame({"w": widths}, geometry=lines, crs=CRS)
        j = gpd.sjoin(b, ln, predicate="dwithin", distance=float(widths.max()) + 1e-6)
        d = j.geometry.distance(ln.geometry.loc[j.index_right].set_axis(j.index), align=False)
        inside = b.index.isin(j.index[(d <= j.w + 1e-6).to_numpy()])
        home = dw > 0
        child = b.fn.isin(["school", "kinderopvang"]).to_numpy() & ~home
        nbh = gpd.GeoDataFrame(geometry=c.neighbourhoods, crs=CRS)
        nb = area_index_gpd(b, nbh)
        df = pd.DataFrame({"nb": nb, "home": home, "hz": home & inside, "child": child,
                           "cz": child & inside})  # fmt: skip
        agg = df[df.nb >= 0].groupby("nb").sum().reindex(range(len(nbh)), fill_value=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "inside": inside,
                "share_homes": (agg.hz / agg.home.where(agg.home > 0)).to_numpy(),
                "share_child": (agg.cz / agg.child.where(agg.child > 0)).to_numpy(),
            }

    def check(res: Metrics, ref: dict[str, np.ndarray]) -> None:
        got = res.feature["in_magnetic_field_zone"]
        expect = [bool(z) if (p["dwellings"] > 0 or p.get("function")) else None
                  for z, p in zip(ref["inside"], c.props, strict=True)]  # fmt: skip
        assert got == expect
        assert np.allclose(res.area["share_homes_in_zone"], ref["share_homes"], rtol=0, atol=1e-12,
                           equal_nan=True)  # fmt: skip
        assert np.allclose(res.area["share_children_facilities_in_zone"], ref["share_child"],
                           rtol=0, atol=1e-12, equal_nan=True)  # fmt: skip

    return ours, geopandas, check


def main() -> None:
    args = arguments(__doc__)
    ours, theirs, check = setup(args.homes)
    timing, res, ref = compare(ours, theirs, args.repeat)
    check(res, ref)
    report("emf", args.homes, timing)


if __name__ == "__main__":
    main()
