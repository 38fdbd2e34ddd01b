"""Benchmark green-3-30-300: our kernel vs a competent GeoPandas implementation.

Usage::

    .venv/bin/python benchmarks/bench_green.py            # 100,000 buildings
    .venv/bin/python benchmarks/bench_green.py --quick    # 10,000 buildings
    .venv/bin/python benchmarks/bench_green.py --buildings 30000

A synthetic city (gsl_indicators.core.synthetic) is written as GeoJSON. One child process
reads it (orjson) and parses it (gsl_indicators.core.geo.read_layers), timed; a second
child loads the parsed geometries (WKB) and computes the indicator's kernel in
euclidean and network mode, reporting each stage and its peak memory (ru_maxrss). The parent computes the same with GeoPandas — ``sjoin`` with the
``dwithin`` predicate for the 3, parks merged with ``dissolve`` and ``sjoin_nearest``
for the 300, ``overlay`` + ``dissolve`` for the canopy — asserts that the results are
identical (counts and distances exactly; canopy shares to 1e-9) and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

PARAMS = {
    "tree_distance_m": 30.0,
    "min_trees": 3,
    "canopy_target": 0.30,
    "park_distance_m": 300.0,
    "min_park_area_m2": 10000.0,
    "merge_touching_parks": True,
    "distance_mode": "euclidean",
    "network_cutoff_m": 1000.0,
    "snap_limit_m": 100.0,
    "entrance_tolerance_m": 5.0,
}
LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods", "network")


def _load(folder: Path) -> tuple[dict, float, float]:
    from gsl_indicators.core.geo import read_layers
    from gsl_indicators.core.spec import Context, registry

    ind = registry().get("green-3-30-300")
    t0 = time.perf_counter()
    raw = {k: orjson.loads((folder / f"{k}.json").read_bytes()) for k in LAYERS}
    t_json = time.perf_counter() - t0
    t0 = time.perf_counter()
    layers, _ = read_layers(ind.inputs, raw, Context())
    t_parse = time.perf_counter() - t0
    return layers, t_json, t_parse


def parse_child(folder: Path) -> None:
    """Read and parse the GeoJSON; save the geometries as WKB for the compute child."""
    import shapely

    layers, t_json, t_parse = _load(folder)
    np.savez(
        folder / "geoms.npz",
        dwellings=layers["buildings"].number("dwellings", 1.0),
        **{k: shapely.to_wkb(v.geometries) for k, v in layers.items()},
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"json_s": t_json, "parse_s": t_parse, "parse_peak_rss_mb": rss}))


def _geoms(folder: Path) -> tuple[dict, np.ndarray]:
    import shapely

    z = np.load(folder / "geoms.npz", allow_pickle=True)
    return {k: shapely.from_wkb(z[k]) for k in LAYERS}, z["dwellings"]


def compute_child(folder: Path) -> None:
    """Compute both modes on the geometries; report times and peak memory."""
    from gsl_indicators.indicators.green import green_3_30_300_arrays

    g, dw = _geoms(folder)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    res = green_3_30_300_arrays(
        g["buildings"], dw, g["neighbourhoods"], g["parks"], PARAMS, g["trees"], g["canopy"]
    )
    t_eu = time.perf_counter() - t0
    rss_eu = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    nres = green_3_30_300_arrays(
        g["buildings"],
        dw,
        g["neighbourhoods"],
        g["parks"],
        {**PARAMS, "distance_mode": "network"},
        g["trees"],
        g["canopy"],
        network_lines=g["network"],
    )
    t_net = time.perf_counter() - t0
    nd = nres["network"]["result"]
    np.savez(
        folder / "ours.npz",
        trees_within=res["trees_within"],
        park_distance=res["park_distance_m"],
        canopy_share=res["canopy_share"],
        nb=res["neighbourhood"],
        share3=res["nb_share_dwellings_meeting_3"],
        share300=res["nb_share_dwellings_meeting_300"],
        net_distance=nres["park_distance_m"],
    )
    print(
        json.dumps(
            {
                "euclidean_s": t_eu,
                "network_s": t_net,
                "network_stages_s": dict(nd.stage_seconds),
                "network_edges": int(nres["network"]["net"].n_edges),
                "homes_unsnapped": int(np.asarray(nd.unsnapped).sum()),
                "geoms_rss_mb": rss0,
                "euclidean_peak_rss_mb": rss_eu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def geopandas_3_30_300(g: dict, dwellings: np.ndarray) -> dict:
    """The 3-30-300 rule the way published studies compute it, with GeoPandas."""
    import geopandas as gpd
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    crs = "EPSG:28992"
    b = gpd.GeoDataFrame({"dw": dwellings}, geometry=g["buildings"], crs=crs)
    trees = gpd.GeoDataFrame(geometry=g["trees"], crs=crs)
    parks = gpd.GeoDataFrame(geometry=g["parks"], crs=crs)
    nbh = gpd.GeoDataFrame(
        {"nid": np.arange(len(g["neighbourhoods"]))}, geometry=g["neighbourhoods"], crs=crs
    )
    crowns = gpd.GeoDataFrame(geometry=g["canopy"], crs=crs)
    # 3: trees within 30 m of each footprint
    j = gpd.sjoin(b, trees, predicate="dwithin", distance=PARAMS["tree_distance_m"])
    count = j.groupby(level=0).size().reindex(b.index, fill_value=0).to_numpy()
    meets3 = count >= PARAMS["min_trees"]
    # 300: merge touching parks, keep those >= 1 ha, nearest distance
    pj = gpd.sjoin(parks, parks, predicate="intersects")
    n = len(parks)
    graph = coo_matrix(
        (np.ones(len(pj)), (pj.index.to_numpy(), pj["index_right"].to_numpy())), shape=(n, n)
    )
    parks["grp"] = connected_components(graph, directed=False)[1]
    merged = parks.dissolve(by="grp")
    ok_groups = merged.index[merged.area >= PARAMS["min_park_area_m2"]]
    qparks = parks[parks["grp"].isin(ok_groups)][["geometry"]]
    near = gpd.sjoin_nearest(b, qparks, distance_col="dist")
    dist = near.groupby(level=0)["dist"].min().reindex(b.index).to_numpy()
    meets300 = dist <= PARAMS["park_distance_m"]
    # 30: overlay crowns with neighbourhoods, dissolve per neighbourhood (overlaps once)
    ov = gpd.overlay(crowns, nbh, how="intersection", keep_geom_type=True)
    canopy = ov.dissolve(by="nid").area.reindex(nbh["nid"], fill_value=0.0).to_numpy()
    share = canopy / nbh.area.to_numpy()
    # neighbourhood of each home and dwelling shares
    rp = gpd.GeoDataFrame(geometry=b.representative_point(), crs=crs)
    a = (
        gpd.sjoin(rp, nbh, predicate="intersects")
        .reset_index()
        .sort_values(["index", "index_right"])
    )
    a = a.drop_duplicates("index").set_index("index")
    nb = a["index_right"].reindex(b.index, fill_value=-1).to_numpy()
    df = pd.DataFrame(
        {"nb": nb, "dw": dwellings, "m3": meets3 * dwellings, "m300": meets300 * dwellings}
    )
    agg = df[df.nb >= 0].groupby("nb").sum().reindex(range(len(nbh)))
    return {
        "trees_within": count,
        "park_distance": dist,
        "canopy_share": share,
        "nb": nb,
        "share3": (agg.m3 / agg.dw).to_numpy(),
        "share300": (agg.m300 / agg.dw).to_numpy(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 buildings")
    ap.add_argument("--buildings", type=int, default=100_000)
    ap.add_argument("--parse-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--compute-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--skip-geopandas", action="store_true")
    args = ap.parse_args()
    if args.parse_child:
        parse_child(args.parse_child)
        return
    if args.compute_child:
        compute_child(args.compute_child)
        return
    from gsl_indicators.core import synthetic

    n = 10_000 if args.quick else args.buildings
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        city = synthetic.city(n, seed=0)
        for k in LAYERS:
            (folder / f"{k}.json").write_bytes(orjson.dumps(city[k]))
        counts = {k: len(city[k]["features"]) for k in LAYERS}
        del city
        print(f"synthetic city ({time.perf_counter() - t0:.1f} s to generate): {counts}")
        print(f"cores available: {len(os.sched_getaffinity(0))}")
        ours: dict = {}
        for flag in ("--parse-child", "--compute-child"):
            out = subprocess.run(
                [sys.executable, __file__, flag, str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            ours.update(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"ours  read JSON (orjson):           {ours['json_s']:7.2f} s")
        print(f"ours  parse (geo.read_layers):      {ours['parse_s']:7.2f} s")
        print(f"      peak memory reading+parsing:  {ours['parse_peak_rss_mb']:7.0f} MB")
        print(f"ours  compute, euclidean:           {ours['euclidean_s']:7.2f} s")
        print(
            f"ours  compute, network:             {ours['network_s']:7.2f} s  "
            f"({ours['network_edges']} edges; stages "
            + ", ".join(f"{k} {v:.2f} s" for k, v in ours["network_stages_s"].items())
            + f"; {ours['homes_unsnapped']} homes unsnapped)"
        )
        print(
            f"      peak memory computing (RSS):  {ours['euclidean_peak_rss_mb']:7.0f} MB "
            f"euclidean, {ours['peak_rss_mb']:.0f} MB with network "
            f"(geometries alone {ours['geoms_rss_mb']:.0f} MB)"
        )
        print(
            f"network / euclidean:                {ours['network_s'] / ours['euclidean_s']:7.2f}x"
        )
        if args.skip_geopandas:
            return
        g, dw = _geoms(folder)
        t0 = time.perf_counter()
        ref = geopandas_3_30_300(g, dw)
        t_gpd = time.perf_counter() - t0
        mine = dict(np.load(folder / "ours.npz"))
        assert np.array_equal(mine["trees_within"], ref["trees_within"]), "trees_within differ"
        assert np.allclose(mine["park_distance"], ref["park_distance"], rtol=0, atol=1e-9), (
            "park distances differ"
        )
        assert np.array_equal(mine["nb"], ref["nb"]), "neighbourhood assignment differs"
        assert np.allclose(mine["canopy_share"], ref["canopy_share"], rtol=0, atol=1e-9), (
            "canopy shares differ"
        )
        for k in ("share3", "share300"):
            assert np.allclose(mine[k], ref[k], rtol=0, atol=1e-12, equal_nan=True), k
        diff = float(np.nanmax(np.abs(mine["canopy_share"] - ref["canopy_share"])))
        print(f"geopandas compute:                  {t_gpd:7.2f} s")
        print(f"identical results: yes (max canopy-share difference {diff:.1e})")
        print(f"ratio geopandas / ours (euclidean): {t_gpd / ours['euclidean_s']:7.1f}x")


if __name__ == "__main__":
    main()
