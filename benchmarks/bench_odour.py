"""Benchmark ``odour``: the kernel vs a straightforward GeoPandas implementation of the rule.

Synthetic district (:mod:`ggo_city`, seeded): 100,000 home footprints; odour contour maps
as dispersion models draw them (detailed isolines of 720 vertices, :func:`ggo_city.contours`):
400 farms with nested contours at 1, 2, 3, 5, 8, 14 and 20 ou_E/m³ (2,800 overlapping
polygons, worst wins) and 40 industrial sites with contours at 1, 3 and 5 ou_E/m³; 60
built-up areas (2,000 vertices each) and one concentration area over half the district.
The kernel queries a tree of the homes with all contours at once (each prepared once);
``sjoin`` queries the contours' tree with the homes, testing each point against an
unprepared polygon. The rule: each home's worst livestock load at its representative point, its
standard from (built-up, concentration) with the Wgv table, above = load > standard;
share of homes and of dwellings above per neighbourhood; the industry load beside it.
GeoPandas: ``sjoin`` per overlay and source,
``groupby().max()``, ``np.select`` for the standard, ``groupby`` for the shares.

Run: ``.venv/bin/python benchmarks/bench_odour.py [--quick] [--homes N] [--repeat R]``
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
    contours,
    layer,
    report,
    run_kernel,
)
from gsl_indicators.core.metrics import Metrics
from gsl_indicators.core.spec import registry


def setup(n: int) -> tuple[Callable[[], Metrics], Callable[[], dict[str, np.ndarray]], Check]:
    """Return the kernel, the GeoPandas implementation and the identity check on ``n`` homes."""
    rng = np.random.default_rng(11)
    c = city(n)
    # contour maps: per farm nested contours at the usual iso-levels, per industrial site too
    levels = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 14.0, 20.0])
    farms = c.uniform(rng, 400)
    r0 = rng.uniform(150, 700, 400)
    seed = int(rng.integers(1 << 30))  # one wobble per farm: its contours are nested
    live = np.concatenate(
        [contours(farms, r0 / lv**0.6, np.random.default_rng(seed)) for lv in levels]
    )
    sites = c.uniform(rng, 40)
    s0 = rng.uniform(200, 1000, 40)
    ind_levels = np.array([1.0, 3.0, 5.0])
    seed = int(rng.integers(1 << 30))
    ind_z = np.concatenate(
        [contours(sites, s0 / lv**0.6, np.random.default_rng(seed)) for lv in ind_levels]
    )
    zones = np.concatenate([live, ind_z])
    zprops: list[dict[str, float | str]] = [
        {"odour": float(lv)} for lv in levels for _ in range(400)
    ]
    zprops += [{"odour": float(lv), "source": "industry"} for lv in ind_levels for _ in range(40)]
    built = contours(c.uniform(rng, 60), rng.uniform(200, 800, 60), rng, vertices=2000)
    x0, y0, x1, y1 = shapely.total_bounds(c.homes)
    conc = np.array([shapely.box(x0 - 1, y0 - 1, (x0 + x1) / 2, y1 + 1)])
    layers = {
        "buildings": layer("buildings", c.homes, c.props),
        "neighbourhoods": layer("neighbourhoods", c.neighbourhoods),
        "exposure_zones": layer("exposure_zones", zones, zprops),
        "built_up_area": layer("built_up_area", built),
        "concentration_areas": layer("concentration_areas", conc),
    }
    ind = registry().get("odour")

    def ours() -> Metrics:
        return run_kernel(ind, layers, {})

    import geopandas as gpd  # imported before timing
    import pandas as pd

    def geopandas() -> dict[str, np.ndarray]:
        dw = np.array([p["dwellings"] for p in c.props], float)
        homes = gpd.GeoDataFrame({"dw": dw}, geometry=c.homes, crs=CRS)
        pts = gpd.GeoDataFrame({"dw": dw}, geometry=homes.representative_point(), crs=CRS)
        z = gpd.GeoDataFrame(
            {"odour": [p["odour"] for p in zprops], "src": [p.get("source", "livestock") for p in zprops]},
            geometry=zones, crs=CRS,
        )  # fmt: skip
        loads = {}
        for src in ("livestock", "industry"):  # the sources apart, worst zone wins
            j = gpd.sjoin(pts, z[z.src == src], predicate="intersects")
            loads[src] = j.groupby(level=0)["odour"].max().reindex(pts.index).to_numpy()
        load = loads["livestock"]
        b = gpd.GeoDataFrame(geometry=built, crs=CRS)
        in_b = pts.index.isin(gpd.sjoin(pts, b, predicate="intersects").index)
        k = gpd.GeoDataFrame(geometry=conc, crs=CRS)
        in_c = pts.index.isin(gpd.sjoin(pts, k, predicate="intersects").index)
        std = np.select([in_c & in_b, in_c & ~in_b, ~in_c & in_b], [3.0, 14.0, 2.0], 8.0)
        has = ~np.isnan(load)
        above = has & (load > std)
        nbh = gpd.GeoDataFrame(geometry=c.neighbourhoods, crs=CRS)
        nb = area_index_gpd(homes, nbh)
        df = pd.DataFrame({"nb": nb, "has": has, "above": above, "dw": dw})
        df = df[(df.nb >= 0) & df.has]
        df["dw_above"] = df.dw * df.above
        agg = df.groupby("nb")[["above", "dw_above", "dw"]].sum()
        agg["n"] = df.groupby("nb").size()
        agg = agg.reindex(range(len(nbh)))
        return {
            "load": load,
            "industry": loads["industry"],
            "standard": std,
            "share_homes": (agg.above / agg.n).to_numpy(),
            "share_dwellings": (agg.dw_above / agg.dw).to_numpy(),
        }

    def check(res: Metrics, ref: dict[str, np.ndarray]) -> None:
        assert np.array_equal(res.feature["odour_livestock"], ref["load"], equal_nan=True)
        assert np.array_equal(res.feature["odour_industry"], ref["industry"], equal_nan=True)
        assert np.array_equal(res.feature["livestock_standard"], ref["standard"])
        for ours, theirs in (
            ("share_homes_above_standard_livestock", "share_homes"),
            ("share_dwellings_above_standard_livestock", "share_dwellings"),
        ):
            assert np.allclose(res.area[ours], ref[theirs], rtol=0, atol=1e-12, equal_nan=True)

    return ours, geopandas, check


def main() -> None:
    args = arguments(__doc__)
    ours, theirs, check = setup(args.homes)
    timing, res, ref = compare(ours, theirs, args.repeat)
    check(res, ref)
    report("odour", args.homes, timing)


if __name__ == "__main__":
    main()
