"""What `park_unit` and `park_merge_gap_m` do to the '300' on the Amsterdam kit (issue 13).

Usage::

    .venv/bin/python benchmarks/amsterdam_parks.py

Runs ``green-3-30-300`` on ``../shared/data/amsterdam`` (parks.geojson, buurten.geojson,
canopy.geojson for the 3) for the BAG addresses (1,836 points) and the 1,000 test home
points, once per choice of park unit and merge gap, and prints the parks judged, the parks
after merging, those qualifying (≥ 1 ha) and the share of homes meeting the 300. The
figures are quoted in docs/green.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry

KIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "amsterdam"
CHOICES = (("feature", 0.0), ("part", 0.0), ("feature", 5.0), ("part", 5.0), ("part", 10.0))


def main() -> None:
    ind = registry().get("green-3-30-300")
    layers = {
        k: json.loads((KIT / f"{f}.geojson").read_text())
        for k, f in (("parks", "parks"), ("neighbourhoods", "buurten"), ("canopy", "canopy"))
    }
    print(
        "homes | park_unit | gap m | parks judged | after merging | qualifying | "
        "homes meeting 300 (of those in a buurt) | share | nearest qualifying park"
    )
    for homes in ("addresses", "homes_1000"):
        buildings = json.loads((KIT / f"{homes}.geojson").read_text())
        for unit, gap in CHOICES:
            doc = output_values(
                execute(
                    ind,
                    {**layers, "buildings": buildings, "park_unit": unit, "park_merge_gap_m": gap},
                )
            )
            parks = doc["data_quality"]["parks"]
            s = doc["summary"]
            props = [f["properties"] for f in doc["buildings"]["features"]]
            inside = [p for p in props if p.get("area_id") is not None]
            meeting = sum(1 for p in inside if p["meets_300"])
            nearest = min(p["park_distance_m"] for p in props if p["park_distance_m"] is not None)
            print(
                f"{homes} | {unit} | {gap:g} | {parks['parks_judged']} | "
                f"{parks['parks_after_merging']} | {parks['qualifying']} | "
                f"{meeting} of {len(inside)} | {s['share_buildings_meeting_300']:.4f} | "
                f"nearest {nearest:.0f} m"
            )


if __name__ == "__main__":
    main()
