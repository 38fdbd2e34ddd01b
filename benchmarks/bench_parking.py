"""Benchmark parking-pressure: vectorised kernel vs a straightforward per-zone loop.

A synthetic municipality (seeded): ``--dwellings`` dwelling points (default 50,000) with
1–4 dwellings each and a mix of dwelling types (5 % without a type), ``--zones`` square
zones (default 500) with an urbanity class and a location, and parking supply as points
(kerb-side clusters), street segments (lines crossing zone edges) and lots (polygons).

Both sides compute demand and supply per zone from the same parsed geometries with the
example norm table; the baseline loops over zones (one vectorised shapely call per zone
and layer, as a careful script would), the kernel uses one STRtree query per layer and
``numpy.bincount``. Results are checked to agree, then the ratio is printed.
``--quick`` runs a small city. Also timed: the whole process through ``run.execute``
(GeoJSON parsing included), and the cost of computing the urbanity class of every zone
from the dwellings (``urbanity-class`` kernel) instead of reading it.

Run: ``.venv/bin/python benchmarks/bench_parking.py [--quick] [--repeat N]``
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.geo import Layer, parse_layer
from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators import parking

RD = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
TYPES = [
    "detached",
    "semi-detached",
    "terraced",
    "apartment-large",
    "apartment-mid",
    "apartment-small",
    "social-rent",
]


def municipality(n_dwellings: int, n_zones: int, seed: int = 0) -> dict[str, Any]:
    """Return the synthetic inputs as GeoJSON FeatureCollections (EPSG:28992)."""
    rng = np.random.default_rng(seed)
    nx = math.ceil(math.sqrt(n_zones * 1.25))
    ny = math.ceil(n_zones / nx)
    side = 400.0
    x0, y0 = 120_000.0, 480_000.0
    zones = []
    for k in range(n_zones):
        i, j = k % nx, k // nx
        a, b = x0 + i * side, y0 + j * side
        ring = [[a, b], [a + side, b], [a + side, b + side], [a, b + side], [a, b]]
        props: dict[str, Any] = {"id": f"z{k}", "urbanity_class": int(rng.integers(1, 6))}
        if rng.random() < 0.9:
            props["location"] = parking.LOCATIONS[int(rng.integers(0, 4))]
        zones.append(
            {
                "type": "Feature",
                "id": f"z{k}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props,
            }
        )
    w, h = nx * side, ny * side

    # keep points inside the zones that exist (the last row may be partial)
    def inside_points(n: int) -> np.ndarray:
        pts = np.empty((0, 2))
        while len(pts) < n:
            p = rng.uniform([0, 0], [w, h], size=(2 * n, 2))
            k = (p[:, 1] // side).astype(int) * nx + (p[:, 0] // side).astype(int)
            pts = np.vstack([pts, p[k < n_zones]])
        return np.round(pts[:n] + np.array([x0, y0]), 2)

    hp = inside_points(n_dwellings)
    dw = rng.integers(1, 5, n_dwellings)
    ty = rng.integers(0, len(TYPES), n_dwellings)
    untyped = rng.random(n_dwellings) < 0.05
    dwellings = []
    for (x, y), d, t, u in zip(
        hp.tolist(), dw.tolist(), ty.tolist(), untyped.tolist(), strict=True
    ):
        props = {"dwellings": d} if u else {"dwellings": d, "dwelling_type": TYPES[t]}
        dwellings.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": props,
            }
        )
    n_pts = n_dwellings // 2
    pp = inside_points(n_pts)
    cap = rng.integers(1, 8, n_pts)
    spaces = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"capacity": c},
        }
        for (x, y), c in zip(pp.tolist(), cap.tolist(), strict=True)
    ]
    starts = inside_points(n_dwellings // 25)
    ang = rng.uniform(0, math.pi, len(starts))
    length = rng.uniform(50, 300, len(starts))
    ends = starts + np.column_stack([np.cos(ang), np.sin(ang)]) * length[:, None]
    for s, e, c in zip(
        starts.tolist(),
        np.round(ends, 2).tolist(),
        rng.integers(5, 40, len(starts)).tolist(),
        strict=True,
    ):
        spaces.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [s, e]},
                "properties": {"capacity": c},
            }
        )
    lots = inside_points(max(1, n_dwellings // 150))
    for (x, y), c in zip(lots.tolist(), rng.integers(20, 400, len(lots)).tolist(), strict=True):
        ring = [[x, y], [x + 60, y], [x + 60, y + 40], [x, y + 40], [x, y]]
        spaces.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"capacity": c},
            }
        )
    fc = lambda feats: {"type": "FeatureCollection", "crs": RD, "features": feats}  # noqa: E731
    return {"dwellings": fc(dwellings), "parking": fc(spaces), "zones": fc(zones)}


def layers_of(inputs: dict[str, Any]) -> dict[str, Layer]:
    ind = registry().get("parking-pressure")
    return {
        gi.name: parse_layer(gi, inputs[gi.name], "EPSG:28992")
        for gi in ind.inputs
        if gi.name in inputs
    }


def kernel(layers: dict[str, Layer], params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The vectorised path of parking.compute: one STRtree, bincount per zone."""
    table = parking.norm_table(params["norm_table"])
    pts, dw, types, floor = parking.read_homes(layers["dwellings"], None)
    zones, home_zone = parking.prepare_zones(
        layers["zones"], pts, dw, layers["parking"], params, None
    )
    homes, _ = parking.homes_norms(table, zones, home_zone, dw, types, floor, None)
    return parking.zone_sums(homes, len(layers["zones"]))["demand"], zones.supply


def per_zone_loop(
    layers: dict[str, Layer], params: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline: for each zone, select its dwellings and parking and sum (a careful script)."""
    table = parking.norm_table(params["norm_table"])
    zl, hl, pl = layers["zones"], layers["dwellings"], layers["parking"]
    hp = shapely.point_on_surface(hl.geometries)
    dw = hl.number("dwellings", 1.0)
    t_idx, _ = table.type_index(hl.text("dwelling_type"))
    pg = pl.geometries
    cap = pl.number("capacity", 0.0)
    dim = shapely.get_dimensions(pg)
    measure = np.where(dim == 1, shapely.length(pg), shapely.area(pg))
    claimed = np.zeros(len(hp), dtype=bool)  # a point on a shared edge counts once
    demand = np.zeros(len(zl))
    supply = np.zeros(len(zl))
    for k, (zone, props) in enumerate(zip(zl.geometries, zl.properties, strict=True)):
        cls = int(props["urbanity_class"])
        loc = parking.location_code(props.get("location"))
        loc = loc if loc >= 0 else parking.LOCATIONS.index(params["default_location"])
        inside = shapely.intersects(zone, hp) & ~claimed
        claimed |= inside
        demand[k] = float((dw[inside] * table.places[t_idx[inside], cls - 1, loc]).sum())
        hit = shapely.intersects(zone, pg)
        pts = hit & (dim == 0)
        ext = np.flatnonzero(hit & (dim > 0))
        part = shapely.intersection(pg[ext], zone)
        part_m = np.where(dim[ext] == 1, shapely.length(part), shapely.area(part))
        supply[k] = float(cap[pts].sum() + (cap[ext] * part_m / measure[ext]).sum())
    return demand, supply


def attributes(layers: dict[str, Layer]) -> None:
    """The property reading both sides share (dwellings, types, floor area, capacity)."""
    parking.read_homes(layers["dwellings"], None)
    layers["parking"].number("capacity", 0.0)


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dwellings", type=int, default=50_000)
    ap.add_argument("--zones", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="5,000 dwellings, 50 zones")
    args = ap.parse_args()
    if args.quick:
        args.dwellings, args.zones = 5_000, 50
    ind = registry().get("parking-pressure")
    params = ind.validate_parameters({})
    t = time.perf_counter()
    inputs = municipality(args.dwellings, args.zones)
    print(
        f"synthetic municipality: {args.dwellings:,} dwelling points, {args.zones} zones, "
        f"{len(inputs['parking']['features']):,} parking features ({time.perf_counter() - t:.1f} s to generate)"
    )
    layers = layers_of(inputs)
    tk, (dk, sk) = best(lambda: kernel(layers, params), args.repeat)
    tl, (dl, sl) = best(lambda: per_zone_loop(layers, params), args.repeat)
    np.testing.assert_allclose(dk, dl, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sk, sl, rtol=1e-9, atol=1e-6)
    tr, _ = best(lambda: attributes(layers), args.repeat)
    print(f"kernel (one STRtree, bincount):  {tk * 1000:9.1f} ms")
    print(f"per-zone loop baseline:          {tl * 1000:9.1f} ms")
    print(f"ratio loop / kernel:             {tl / tk:9.1f} x   (results identical)")
    print(f"  of which reading properties:   {tr * 1000:9.1f} ms  (same code on both sides)")
    print(
        f"ratio without property reading:  {(tl - tr) / (tk - tr):9.1f} x   (spatial join + sums only)"
    )
    tp, res = best(lambda: execute(ind, inputs), 1)
    print(
        f"whole process via run.execute:   {tp * 1000:9.1f} ms  (parsing + outputs included; "
        f"{res['summary']['zones_in_alarm']} zones in alarm)"
    )
    no_cls = {
        **inputs,
        "zones": {
            **inputs["zones"],
            "features": [
                {
                    **f,
                    "properties": {
                        k: v for k, v in f["properties"].items() if k != "urbanity_class"
                    },
                }
                for f in inputs["zones"]["features"]
            ],
        },
    }
    lay2 = layers_of(no_cls)
    tc, _ = best(lambda: kernel(lay2, params), 1)
    print(
        f"kernel with urbanity computed:   {tc * 1000:9.1f} ms  (address density of every dwelling, 1 km)"
    )


if __name__ == "__main__":
    main()
