"""green-3-30-300 as a plain GeoPandas script: the baseline of ``bench_e2e_green.py``.

Usage::

    python benchmarks/green_geopandas.py REQUEST.json OUT.json

Reads an execute request (``{"inputs": {"buildings": FC, "trees": FC, ...}}``) with
orjson, reads each layer with GeoPandas through pyogrio (GDAL's GeoJSON reader, faster
than ``GeoDataFrame.from_features``), computes the rule with ``sjoin`` (``dwithin``),
``dissolve``, ``sjoin_nearest`` and ``overlay`` (:func:`bench_green.geopandas_3_30_300`)
and writes the buildings and neighbourhoods with their results as one JSON document of
two GeoJSON FeatureCollections (written by GDAL). This is what a competent analyst
writes; it is run as a whole process, like ``gsl run``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from bench_green import PARAMS, geopandas_3_30_300

LAYERS = ("buildings", "trees", "canopy", "parks", "neighbourhoods")


def main(request: Path, out: Path) -> None:
    """Compute the rule on ``request`` and write the two layers to ``out``."""
    inputs = orjson.loads(request.read_bytes())["inputs"]
    frames = {
        k: gpd.read_file(io.BytesIO(orjson.dumps(inputs[k])), engine="pyogrio") for k in LAYERS
    }
    del inputs
    b = frames["buildings"]
    dwellings = b["dwellings"].fillna(1.0).to_numpy(dtype=float)
    res = geopandas_3_30_300({k: f.geometry.values for k, f in frames.items()}, dwellings)
    b["trees_within"] = res["trees_within"]
    b["meets_3"] = res["trees_within"] >= PARAMS["min_trees"]
    b["park_distance_m"] = res["park_distance"]
    b["meets_300"] = res["park_distance"] <= PARAMS["park_distance_m"]
    n = frames["neighbourhoods"]
    n["canopy_share"] = res["canopy_share"]
    n["meets_30"] = res["canopy_share"] >= PARAMS["canopy_target"]
    n["share_dwellings_meeting_3"] = res["share3"]
    n["share_dwellings_meeting_300"] = res["share300"]
    parts = []
    for name, frame in (("buildings", b), ("neighbourhoods", n)):
        buf = io.BytesIO()
        frame.to_file(buf, driver="GeoJSON", engine="pyogrio")
        parts.append(b'"' + name.encode() + b'":' + buf.getvalue())
    out.write_bytes(b"{" + b",".join(parts) + b"}")
    assert np.all(np.isfinite(res["park_distance"]))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
