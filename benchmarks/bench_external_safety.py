"""Benchmark ``external-safety``: the kernel vs a straightforward GeoPandas implementation.

Synthetic district (:mod:`ggo_city`, seeded): 100,000 home footprints, 1 % of them schools,
childcare or care homes (``function``); 400 risk sources, each with an individual-risk
contour of 10⁻⁶ (radius 20–150 m), a 10⁻⁵ one inside it, and fire, explosion and toxic
areas of concern (150–900 m): 2,000 detailed contour polygons (720 vertices, as a QRA
draws them; :func:`ggo_city.contours`). The kernel queries a tree of the buildings with
all contours at once (each prepared once, no dissolve); ``sjoin`` tests
every (building, contour) pair against the unprepared contour. The rule: a building is inside a
contour when its footprint intersects it; inside the 10⁻⁶ contour when it is inside a
contour of risk ≥ 10⁻⁶; per neighbourhood the share of homes inside the 10⁻⁶ contour and
inside any area of concern, the very vulnerable buildings inside the 10⁻⁶ contour and
the Bkl flag. GeoPandas: ``sjoin`` of the buildings with the contours, a ``groupby`` per
kind, ``groupby`` per neighbourhood.

Run: ``.venv/bin/python benchmarks/bench_external_safety.py [--quick] [--homes N] [--repeat R]``
(both sides R times, interleaved; best, median and CPU-time ratios and the load average:
:func:`ggo_city.compare`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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

FUNCTIONS = ("school", "kinderopvang", "verpleeghuis")


def setup(n: int) -> tuple[Callable[[], Metrics], Callable[[], dict[str, np.ndarray]], Check]:
    """Return the kernel, the GeoPandas implementation and the identity check on ``n`` homes."""
    rng = np.random.default_rng(5)
    c = city(n, functions=FUNCTIONS)
    k = 400
    src = c.uniform(rng, k)
    r6 = rng.uniform(20, 150, k)
    seed = int(rng.integers(1 << 30))  # the 10⁻⁵ contour nested in the 10⁻⁶ one
    rings = np.concatenate(
        [
            contours(src, r6, np.random.default_rng(seed)),
            contours(src, r6 / 3, np.random.default_rng(seed)),
            contours(src, rng.uniform(150, 600, k), rng),
            contours(src, rng.uniform(150, 900, k), rng),
            contours(src, rng.uniform(150, 900, k), rng),
        ]
    )
    cprops = (
        [{"kind": "individual_risk", "risk_per_year": 1e-6}] * k
        + [{"kind": "individual_risk", "risk_per_year": 1e-5}] * k
        + [{"kind": "fire"}] * k
        + [{"kind": "explosion"}] * k
        + [{"kind": "toxic"}] * k
    )
    layers = {
        "buildings": layer("buildings", c.homes, c.props),
        "neighbourhoods": layer("neighbourhoods", c.neighbourhoods),
        "risk_contours": layer("risk_contours", rings, cprops),
    }
    ind = registry().get("external-safety")

    def ours() -> Metrics:
        return run_kernel(ind, layers, {})

    import geopandas as gpd  # imported before timing
    import pandas as pd

    def geopandas() -> dict[str, np.ndarray]:
        dw = np.array([p["dwellings"] for p in c.props], float)
        fn = [p.get("function") for p in c.props]
        b = gpd.GeoDataFrame({"dw": dw, "fn": fn}, geometry=c.homes, crs=CRS)
        z = gpd.GeoDataFrame(
            {"kind": [p["kind"] for p in cprops],
             "risk": [p.get("risk_per_year", np.nan) for p in cprops]},
            geometry=rings, crs=CRS,
        )  # fmt: skip
        j = gpd.sjoin(b, z, predicate="intersects")
        ir = j[(j.kind == "individual_risk") & (j.risk >= 1e-6)]
        in_ir = b.index.isin(ir.index)
        att = j[j.kind.isin(["fire", "explosion", "toxic"])]
        in_att = b.index.isin(att.index)
        home = dw > 0
        very = b.fn.isin(["school", "kinderopvang", "verpleeghuis"]).to_numpy()
        nbh = gpd.GeoDataFrame(geometry=c.neighbourhoods, crs=CRS)
        nb = area_index_gpd(b, nbh)
        df = pd.DataFrame({"nb": nb, "home": home, "ir": in_ir & home, "att": in_att & home,
                           "vv_ir": very & in_ir})  # fmt: skip
        agg = df[df.nb >= 0].groupby("nb").sum().reindex(range(len(nbh)), fill_value=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "in_ir": in_ir,
                "share_ir": (agg.ir / agg.home.where(agg.home > 0)).to_numpy(),
                "share_att": (agg.att / agg.home.where(agg.home > 0)).to_numpy(),
                "vv_ir": agg.vv_ir.to_numpy(),
            }

    def check(res: Metrics, ref: dict[str, np.ndarray]) -> None:
        assert res.feature["in_ir_contour"] == ref["in_ir"].tolist()
        assert np.allclose(res.area["share_homes_in_ir_contour"], ref["share_ir"], rtol=0,
                           atol=1e-12, equal_nan=True)  # fmt: skip
        assert np.allclose(res.area["share_homes_in_attention_area"], ref["share_att"], rtol=0,
                           atol=1e-12, equal_nan=True)  # fmt: skip
        assert np.array_equal(res.area["very_vulnerable_in_ir_contour"], ref["vv_ir"])
        assert res.area["bkl_ir_rule_met"] == (ref["vv_ir"] == 0).tolist()

    return ours, geopandas, check


def main() -> None:
    args = arguments(__doc__)
    ours, theirs, check = setup(args.homes)
    timing, res, ref = compare(ours, theirs, args.repeat)
    check(res, ref)
    report("external-safety", args.homes, timing)


if __name__ == "__main__":
    main()
