"""Paging a province's result as OGC API – Features: the GeoParquet road against the JSON one.

A per-home output of ``--homes`` homes (the seeded province's footprints with the
properties green-3-30-300 gives them) is stored as the worker stores it
(:func:`gsl_service.result_parts._stored_forms`: its canonical JSON compressed, and its
GeoParquet file). Then, in this process, as the API serves a page of
``/jobs/{id}/features/collections/buildings/items``:

* the features road (:mod:`gsl_service.ogc.features_layer`): the GeoParquet file read as
  a layer, the first page (1,000 features in CRS84), a page deep in the output, and a
  page within a 1 km box given in longitude/latitude (the box's features found, then
  found again from the cache for the next page);
* the baseline, what serving a page from the stored JSON takes: the part decompressed
  and parsed (``orjson``), the page sliced and reprojected
  (:func:`gsl_service.exports.reproject_collection`).

Each step's seconds and the resident memory it added (``VmRSS``) are printed, and the
ratios baseline / features road for the first page and for the memory held. Every
page's features are compared with the same features of the JSON (ids, properties,
coordinates to 1e-9°).

Usage::

    .venv/bin/python benchmarks/bench_result_features.py              # 650,000 homes
    .venv/bin/python benchmarks/bench_result_features.py --homes 100000
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson


def rss_mb() -> float:
    """Return this process's resident memory now (``VmRSS``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn``; print and return its result, seconds and the memory it added (MB)."""
    gc.collect()
    before, t0 = rss_mb(), time.perf_counter()
    out = fn()
    seconds, added = time.perf_counter() - t0, rss_mb() - before
    print(f"  {label:<58} {seconds:7.3f} s  {added:+8.0f} MB")
    return out, seconds, added


def output_collection(n_homes: int) -> dict[str, Any]:
    """Return the per-home output of green-3-30-300 on the seeded province (as a result holds it)."""
    from gsl_indicators.core import synthetic
    from gsl_indicators.core.geojson_dicts import geometry_dicts

    geoms, cols = synthetic.province(n_homes, seed=0)["buildings"]
    rng = np.random.default_rng(1)
    trees = rng.integers(0, 9, len(geoms)).tolist()
    distance = np.round(rng.uniform(0, 900, len(geoms)), 1).tolist()
    dwellings = np.asarray(cols["dwellings"]).tolist()
    features = [
        {
            "type": "Feature",
            "geometry": g,
            "properties": {
                "dwellings": d,
                "trees_within": t,
                "meets_3": t >= 3,
                "park_distance_m": p,
                "meets_300": p <= 300,
                "area_id": f"BU{i // 433:04d}",
            },
        }
        for i, (g, d, t, p) in enumerate(
            zip(geometry_dicts(geoms), dwellings, trees, distance, strict=True)
        )
    ]
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
        "features": features,
    }


def check(page: list[dict[str, Any]], whole: list[dict[str, Any]]) -> None:
    """Assert that a page's features are those of the JSON at their ids (CRS84)."""
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True)
    for f in page:
        ref = whole[f["id"]]
        assert f["properties"] == ref["properties"], (f["id"], f["properties"])
        ring = np.asarray(ref["geometry"]["coordinates"][0])
        lon, lat = tr.transform(ring[:, 0], ring[:, 1])
        got = np.asarray(f["geometry"]["coordinates"][0])
        assert np.allclose(got, np.column_stack([lon, lat]), atol=1e-9, rtol=0), f["id"]


def main() -> None:
    from gsl_service import result_parts
    from gsl_service.exports import reproject_collection
    from gsl_service.ogc.features_layer import cached_matching, read_layer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--homes", type=int, default=650_000)
    args = ap.parse_args()

    print(f"result features, {args.homes:,} homes")
    fc, *_ = timed(
        "the output made (as the worker holds it)", lambda: output_collection(args.homes)
    )
    (_, text_blob, parquet), *_ = timed(
        "stored: canonical JSON + zstd, GeoParquet",
        lambda: result_parts._stored_forms(fc, crs="EPSG:28992", layer="buildings"),
    )
    whole = fc["features"]
    print(
        f"  stored JSON part {len(text_blob) / 2**20:.0f} MB, GeoParquet {len(parquet) / 2**20:.0f} MB"
    )

    print("features road (GeoParquet):")
    layer, read_s, read_mb = timed("read the file as a layer", lambda: read_layer(parquet))
    first, first_s, _ = timed(
        "page 1: 1,000 features in CRS84", lambda: layer.features(np.arange(1000), "OGC:CRS84")
    )
    mid = args.homes // 2
    deep, *_ = timed(
        f"a page at offset {mid:,}",
        lambda: layer.features(np.arange(mid, min(mid + 1000, args.homes)), "OGC:CRS84"),
    )
    extent = layer.extent()
    assert extent is not None
    lon0, lat0 = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    box = (lon0, lat0, lon0 + 0.0147, lat0 + 0.009)  # ~1 km × 1 km
    rows, box_s, _ = timed(
        "a 1 km box in lon/lat: its features found",
        lambda: cached_matching(layer, [box], "OGC:CRS84"),
    )
    again, again_s, _ = timed(
        "the same box again (the next page)", lambda: cached_matching(layer, [box], "OGC:CRS84")
    )
    assert np.array_equal(rows, again)
    boxed, *_ = timed(
        f"its first page ({min(1000, len(rows))} of {len(rows)})",
        lambda: layer.features(rows[:1000], "OGC:CRS84"),
    )
    for page in (first, deep, boxed):
        check(page, whole)

    print("baseline (the stored JSON):")
    parsed, parse_s, parse_mb = timed(
        "decompress and parse the JSON part",
        lambda: orjson.loads(result_parts.decompress(text_blob)),
    )
    sliced, slice_s, _ = timed(
        "page 1: slice and reproject to CRS84",
        lambda: reproject_collection(
            {**parsed, "features": parsed["features"][:1000]}, "EPSG:28992", "OGC:CRS84"
        ),
    )
    for mine, ref in zip(first, sliced["features"], strict=True):
        assert mine["properties"] == ref["properties"]
        assert np.allclose(
            np.asarray(mine["geometry"]["coordinates"][0]),
            np.asarray(ref["geometry"]["coordinates"][0]),
            atol=1e-9,
            rtol=0,
        )
    print(
        f"first page from nothing: JSON {parse_s + slice_s:.2f} s vs features road "
        f"{read_s + first_s:.2f} s = {(parse_s + slice_s) / (read_s + first_s):.1f}× faster; "
        f"memory held {parse_mb:.0f} vs {read_mb:.0f} MB = {parse_mb / max(read_mb, 1):.1f}× less"
    )
    print(
        f"a page of a box, next time: {again_s * 1000:.1f} ms to find its rows (first {box_s:.2f} s)"
    )


if __name__ == "__main__":
    main()
