"""Reading geo inputs: inline GeoJSON against files read as columns (and a bbox).

Usage::

    .venv/bin/python benchmarks/bench_inputs.py                  # 30,000 buildings
    .venv/bin/python benchmarks/bench_inputs.py --buildings 100000

The layers of green-3-30-300 for a seeded synthetic city (buildings, trees, crowns,
parks, neighbourhoods) are written as one GeoJSON request, and each layer as
FlatGeobuf (GDAL, through pyogrio) and as GeoParquet (pyarrow). A fresh child process
per form reads and parses every layer the way the service does — ``orjson`` and
``geo.read_layers`` for the request; file sources (``core.sources``) and
``geo.read_layers`` for the files, once whole and once with a ``bbox`` of the city's
south-west quarter — and reports the time and its peak resident memory (``VmHWM``,
which includes the interpreter and libraries: see the ``baseline`` row).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods")
EXT = {"flatgeobuf": "fgb", "geoparquet": "parquet"}
FORMS = ("baseline", "geojson", "flatgeobuf", "geoparquet", "flatgeobuf-bbox", "geoparquet-bbox")


def child(folder: Path, form: str) -> None:
    """Read and parse the city in ``form``; print seconds, features kept and peak MB."""
    from gsl_indicators.core import sources
    from gsl_indicators.core.geo import read_layers
    from gsl_indicators.core.spec import Context, find_indicator

    indicator = find_indicator("green-3-30-300")
    t0 = time.perf_counter()
    if form == "baseline":
        kept = 0
    else:
        if form == "geojson":
            raw = orjson.loads((folder / "request.json").read_bytes())["inputs"]
        else:
            fmt = form.split("-")[0]
            box = orjson.loads((folder / "bbox.json").read_bytes()) if "bbox" in form else None
            raw = {}
            for k in LAYERS:
                data = (folder / f"{k}.{EXT[fmt]}").read_bytes()
                raw[k] = sources.file_source(
                    data=data,
                    fmt=fmt,
                    href=k,
                    bbox=box if k != "neighbourhoods" else None,
                    sha256=hashlib.sha256(data).hexdigest(),
                )
        layers, _ = read_layers(indicator.inputs, raw, Context())
        kept = sum(len(v) for v in layers.values())
    seconds = time.perf_counter() - t0
    print(json.dumps({"s": seconds, "features": kept, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """Return this process's peak resident memory (``VmHWM``: reset by exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_files(folder: Path, n: int) -> dict[str, int]:
    """Write the city as a request and as FlatGeobuf and GeoParquet files."""
    import geopandas as gpd
    import shapely

    from gsl_indicators.core import synthetic

    city = synthetic.city(n, seed=0)
    (folder / "request.json").write_bytes(orjson.dumps({"inputs": {k: city[k] for k in LAYERS}}))
    for k in LAYERS:
        frame = gpd.GeoDataFrame.from_features(city[k]["features"], crs="EPSG:28992")
        frame.to_file(folder / f"{k}.fgb", driver="FlatGeobuf", engine="pyogrio")
        buf = io.BytesIO()
        frame.to_parquet(buf, write_covering_bbox=True, row_group_size=10_000)
        (folder / f"{k}.parquet").write_bytes(buf.getvalue())
    x0, y0, x1, y1 = shapely.total_bounds(
        shapely.from_geojson(
            [orjson.dumps(f["geometry"]) for f in city["neighbourhoods"]["features"]]
        )
    )
    quarter = [float(x0), float(y0), float(x0 + x1) / 2, float(y0 + y1) / 2]
    (folder / "bbox.json").write_bytes(orjson.dumps(quarter))
    return {k: len(city[k]["features"]) for k in LAYERS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--buildings", type=int, default=30_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counts = write_files(folder, args.buildings)
        sizes = {
            fmt: sum((folder / f"{k}.{ext}").stat().st_size for k in LAYERS)
            for fmt, ext in EXT.items()
        }
        sizes["geojson"] = (folder / "request.json").stat().st_size
        print(f"city: {counts}")
        print(f"{'form':<17} {'bytes':>8} {'features kept':>14} {'read+parse':>11} {'peak RSS':>9}")
        for form in FORMS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(folder), form],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            size = sizes.get(form.split("-")[0])
            mb = f"{size / 2**20:6.1f} MB" if size else "        "
            print(f"{form:<17} {mb} {r['features']:>14} {r['s']:9.2f} s {r['peak_mb']:6.0f} MB")


if __name__ == "__main__":
    main()
