"""Peak resident memory of green-3-30-300 by stage, one piece or tiled, from local files.

Writes a seeded province (:func:`gsl_indicators.core.synthetic.province`, as
``bench_province`` does) as FlatGeobuf files into a temporary folder, then runs the
computation in this process (the work horse's road: ``run.execute`` on file sources read
by reference, then the result's canonical JSON) and prints, per stage, the resident
memory before and after and the process's peak so far (``ru_maxrss``): reading and
parsing the layers, the kernel, assembling the outputs, the result bytes. ``--tiled``
runs the tiled road with the tiles in this process (the parent plus one tile at a time).
The sha256 of the result bytes is printed so runs before and after a change can be
compared byte for byte.

Usage::

    .venv/bin/python benchmarks/bench_memory_stages.py --homes 200000
    .venv/bin/python benchmarks/bench_memory_stages.py --homes 200000 --tiled

Peaks on a shared machine are stable to a few MB; times are noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import bench_province


def rss_mb() -> float:
    """Return this process's resident memory now (``VmRSS``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    """Return this process's peak resident memory so far (``ru_maxrss``), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def watch(module: Any, name: str, marks: list[tuple[str, float, float, float, float]]) -> None:
    """Replace ``module.name`` by a wrapper that records its memory and time in ``marks``."""
    func: Callable[..., Any] = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        before, t0 = rss_mb(), time.perf_counter()
        out = func(*args, **kwargs)
        marks.append((name, before, rss_mb(), peak_mb(), time.perf_counter() - t0))
        return out

    setattr(module, name, wrapped)


def run(folder: Path, tiled: bool, features_per_tile: int) -> None:
    """Run green-3-30-300 on the files in ``folder``; print the stages."""
    from gsl_indicators.core import run as run_module
    from gsl_indicators.core import sources
    from gsl_indicators.core.canonical import canonical_json
    from gsl_indicators.core.spec import registry
    from gsl_indicators.core.tiling import TileOptions

    where: dict[str, str] = {}
    inputs = {}
    for k in bench_province.LAYERS:
        path = folder / f"{k}.fgb"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        where[digest] = str(path)
        inputs[k] = sources.file_source(fmt="flatgeobuf", href=str(path), bbox=None, sha256=digest)
    sources.set_locator(lambda name, value: where[value["sha256"]])
    indicator = registry().get("green-3-30-300")
    marks: list[tuple[str, float, float, float, float]] = []
    for name in ("read_layers", "compute_metrics", "assemble"):
        watch(run_module, name, marks)
    print(f"start: rss {rss_mb():.0f} MB, peak {peak_mb():.0f} MB")
    tiles = (
        TileOptions(features_per_tile=features_per_tile, threshold=features_per_tile)
        if tiled
        else None
    )
    before, t0 = rss_mb(), time.perf_counter()
    body = canonical_json(run_module.execute(indicator, inputs, tiles=tiles))
    marks.append(("whole run + JSON", before, rss_mb(), peak_mb(), time.perf_counter() - t0))
    for name, b, a, p, s in marks:
        print(f"  {name:<16} rss {b:6.0f} -> {a:6.0f} MB   peak {p:6.0f} MB   {s:6.1f} s")
    print(
        f"peak {peak_mb():.0f} MB; result {len(body) / 2**20:.0f} MB, sha256 "
        f"{hashlib.sha256(body).hexdigest()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--homes", type=int, default=200_000)
    ap.add_argument("--tiled", action="store_true", help="tiles in this process")
    ap.add_argument("--tile-features", type=int, default=20_000)
    ap.add_argument("--folder", type=Path, help="reuse (or write) the files here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="province-mem-") as tmp:
        folder = args.folder or Path(tmp)
        if not (folder / "buildings.fgb").exists():
            folder.mkdir(parents=True, exist_ok=True)
            info = bench_province.write_province(folder, args.homes, "fgb")
            print(f"province: {info['counts']}")
        run(folder, args.tiled, args.tile_features)


if __name__ == "__main__":
    main()
