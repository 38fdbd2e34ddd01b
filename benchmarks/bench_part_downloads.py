"""Downloads of a province's stored output: made from its stored forms against parsed whole.

A per-home output of ``--homes`` homes (the seeded province's footprints with the
properties green-3-30-300 gives them, :func:`bench_result_features.output_collection`)
is stored as the worker stores it (its canonical JSON compressed, and its GeoParquet
file). Each download the results route offers is then made twice, each time in a fresh
process, as the API makes it:

* **parts** — from the stored forms, a batch at a time (:mod:`gsl_service.part_downloads`,
  what the API does now);
* **whole** — the baseline, the road before: the JSON decompressed and parsed whole
  (``orjson``), reprojected where asked, then exported
  (:func:`gsl_service.exports.export`).

Printed per download: seconds, the process's resident peak above what it held before
(``VmHWM`` − ``VmRSS``, MB), and the ratios whole / parts. Both files are checked to
hold the same features (their count, read back).

Usage::

    .venv/bin/python benchmarks/bench_part_downloads.py              # 650,000 homes
    .venv/bin/python benchmarks/bench_part_downloads.py --homes 100000
    .venv/bin/python benchmarks/bench_part_downloads.py --only csv
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOWNLOADS = [
    ("geojson", None),
    ("geojson", "OGC:CRS84"),
    ("csv", None),
    ("flatgeobuf", None),
    ("gpkg", None),
    ("flatgeobuf", "OGC:CRS84"),
    ("geoparquet", "OGC:CRS84"),
]
RD = "EPSG:28992"


def _memory() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def _count(key: str, path: Path) -> int:
    """Return how many features a download holds, read back."""
    if key == "geojson":
        return len(json.loads(path.read_bytes())["features"])
    if key == "csv":
        return path.read_bytes().count(b"\r\n") - 1
    if key == "geoparquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    import pyogrio

    return int(pyogrio.read_info(path)["features"])


def one(folder: Path, road: str, key: str, crs: str | None) -> None:
    """Make one download in this process; print seconds, peak MB above the start, features."""
    import pyarrow.parquet  # noqa: F401  (loaded before the baseline, as in a serving API)
    import pyogrio  # noqa: F401

    from gsl_indicators.core.geo import transformer
    from gsl_service import part_downloads, result_parts
    from gsl_service.exports import FORMATS, export, reproject_collection

    blob = (folder / "part").read_bytes()
    parquet = (folder / "part.parquet").read_bytes()
    target = crs or RD
    out = folder / f"{road}-{key}-{crs or 'own'}.{FORMATS[key].extension}"
    out.unlink(missing_ok=True)
    if target != RD:
        transformer(RD, target)  # PROJ's database open, as in a serving API
    start = _memory()["VmRSS"]
    t0 = time.perf_counter()
    if road == "whole":
        import orjson

        fc = orjson.loads(result_parts.decompress(blob))
        if target != RD:
            fc = reproject_collection(fc, RD, target)
        out.write_bytes(export(fc, FORMATS[key], target, "buildings"))
    elif key in ("geojson", "csv"):
        write = part_downloads.csv_chunks if key == "csv" else part_downloads.geojson_chunks
        with out.open("wb") as fh:
            for chunk in write(blob, source_crs=RD, target_crs=target):
                fh.write(chunk)
    elif key == "geoparquet":
        out.write_bytes(part_downloads.reprojected_geoparquet(parquet, target))
    else:
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            made = part_downloads.gdal_file(parquet, FORMATS[key], layer="buildings", target_crs=crs, folder=Path(tmp))  # fmt: skip
            assert made is not None
            made.rename(out)
    seconds = time.perf_counter() - t0
    peak = _memory()["VmHWM"] - start
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "features": _count(key, out), "bytes": out.stat().st_size}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--homes", type=int, default=650_000)
    ap.add_argument("--only", metavar="FORMAT", help="only this format's downloads (e.g. csv)")
    ap.add_argument("--one", nargs=4, metavar=("FOLDER", "ROAD", "FORMAT", "CRS"), help=argparse.SUPPRESS)  # fmt: skip
    args = ap.parse_args()
    if args.one:
        folder, road, key, crs = args.one
        one(Path(folder), road, key, None if crs == "-" else crs)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_result_features import output_collection
    from gsl_service.result_parts import _stored_forms

    with tempfile.TemporaryDirectory(prefix="bench-part-downloads-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        _, blob, parquet = _stored_forms(output_collection(args.homes), crs=RD, layer="buildings")
        (folder / "part").write_bytes(blob)
        (folder / "part.parquet").write_bytes(parquet)
        print(
            f"{args.homes:,} homes stored in {time.perf_counter() - t0:.1f} s: "
            f"JSON compressed {len(blob) / 1e6:.0f} MB, GeoParquet {len(parquet) / 1e6:.0f} MB"
        )
        print(f"{'download':<24} {'parts s':>8} {'whole s':>8} {'×':>6} {'parts MB':>9} {'whole MB':>9} {'×':>6}")  # fmt: skip
        for key, crs in [d for d in DOWNLOADS if args.only in (None, d[0])]:
            got = {}
            for road in ("parts", "whole"):
                run = subprocess.run(
                    [sys.executable, __file__, "--one", tmp, road, key, crs or "-"],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                got[road] = json.loads(run.stdout.strip().splitlines()[-1])
            assert got["parts"]["features"] == got["whole"]["features"] == args.homes, got
            p, w = got["parts"], got["whole"]
            label = f"{key} {crs or 'own CRS'}"
            print(
                f"{label:<24} {p['seconds']:8.2f} {w['seconds']:8.2f} {w['seconds'] / p['seconds']:6.1f}"
                f" {p['peak_mb']:9.0f} {w['peak_mb']:9.0f} {w['peak_mb'] / max(p['peak_mb'], 1):6.1f}"
            )


if __name__ == "__main__":
    main()
