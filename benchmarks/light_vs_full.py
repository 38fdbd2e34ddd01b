"""GGO-light against the full scoreboard on the same plan: how far do the theme scores differ?

One plan area of 200 × 200 m (4 ha, stedelijk wonen) with its programme — 80 dwellings
in 20 buildings of 10 × 10 m, 6,000 m² of public green in three parks, 12,000 m² of
streets, 120 trees, 60 parking places, 700 m³ of water storage, a road-noise map — is
scored twice with the ggo-utrecht-example profile:

* as a **sketch**: the plan area with the programme as properties, through the
  ``ggo-light`` card;
* as a **worked-out design**: the same programme drawn as layers (buildings, parks,
  trees with crowns, paved and unpaved surfaces, storage, noise zones, parking), through
  a card with the full indicators of the same themes.

Run: ``.venv/bin/python benchmarks/light_vs_full.py``. Prints both theme scores and the
difference per theme.
"""

from __future__ import annotations

from typing import Any

import shapely

from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.examples import rd_collection
from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import registry

X0, Y0 = 120_000.0, 480_000.0
PROGRAMME = {
    "dwellings": 80,
    "green_m2": 6000,
    "paved_m2": 12000,
    "built_m2": 2000,
    "trees_planted": 120,
    "parking_places": 60,
    "storage_m3": 700,
    "area_type": "stedelijk-wonen",
}
FULL_CARD: dict[str, Any] = {
    "id": "full",
    "title": {"nl": "volledig", "en": "full"},
    "version": "1",
    "publisher": "benchmark",
    "profile": "ggo-utrecht-example",
    "themes": [
        {"id": "noise", "title": {"nl": "g", "en": "n"}, "indicators": [{"indicator": "noise"}]},
        {"id": "heat", "title": {"nl": "h", "en": "h"}, "indicators": [{"indicator": "heat"}]},
        {
            "id": "green",
            "title": {"nl": "g", "en": "g"},
            "indicators": [{"indicator": "green-per-dwelling"}, {"indicator": "green-3-30-300"}],
        },
        {"id": "water", "title": {"nl": "w", "en": "w"}, "indicators": [{"indicator": "water"}]},
        {"id": "soil", "title": {"nl": "b", "en": "s"}, "indicators": [{"indicator": "soil"}]},
    ],
}


def _fc(geoms: list[Any], **props: Any) -> dict[str, Any]:
    feats = [
        {
            "type": "Feature",
            "id": f"f{i}",
            "geometry": shapely.geometry.mapping(g),
            "properties": dict(props),
        }
        for i, g in enumerate(geoms)
    ]
    return rd_collection(feats)


def design() -> dict[str, Any]:
    """Return the worked-out design's layers (the programme drawn out)."""
    plan = shapely.box(X0, Y0, X0 + 200, Y0 + 200)
    # 20 buildings of 10 × 10 m (4 dwellings each) in two rows north of a street
    buildings = [
        shapely.box(X0 + 10 + 19 * i, Y0 + y, X0 + 20 + 19 * i, Y0 + y + 10)
        for i in range(10)
        for y in (120, 150)
    ]
    parks = [shapely.box(X0 + 10 + 65 * i, Y0 + 20, X0 + 50 + 65 * i, Y0 + 70) for i in range(3)]
    streets = [shapely.box(X0, Y0 + 90, X0 + 200, Y0 + 110), shapely.box(X0, Y0, X0 + 200, Y0 + 10)]
    streets += [shapely.box(X0 + 185, Y0 + 10, X0 + 200, Y0 + 90)]
    extra = 12000 - sum(g.area for g in streets)  # squares and parking to reach 12,000 m²
    streets += [shapely.box(X0, Y0 + 175, X0 + 200, Y0 + 175 + extra / 200)]
    paved = shapely.union_all(streets)
    unpaved = shapely.difference(plan, shapely.union_all([paved, *buildings]))
    trees = [
        shapely.Point(X0 + 5 + 10 * (i % 20), Y0 + 85 + 30 * (i // 20) % 120) for i in range(120)
    ]
    crowns = [t.buffer(4.0) for t in trees]  # 8 m crowns ≈ 50 m², as the light rule assumes
    loud = shapely.box(X0, Y0 + 80, X0 + 200, Y0 + 135)  # the street and the first row
    return {
        "neighbourhoods": _fc([plan], area_type="stedelijk-wonen"),
        "buildings": _fc(buildings, dwellings=4),
        "green": _fc(parks),
        "parks": _fc(parks),
        "trees": _fc(trees),
        "canopy": _fc(crowns),
        "surfaces": {
            **_fc([paved], paved=True, sealed=True),
            "features": [
                *_fc([paved], paved=True, sealed=True)["features"],
                *_fc(buildings, paved=True, sealed=True)["features"],
                *_fc([unpaved], paved=False, sealed=False)["features"],
            ],
        },
        "storage": _fc([shapely.box(X0 + 150, Y0 + 20, X0 + 170, Y0 + 55)], volume_m3=700.0),
        "exposure_zones": {
            **_fc([loud], lden=62.0, lnight=53.0),
            "features": [
                *_fc([loud], lden=62.0, lnight=53.0)["features"],
                *_fc([shapely.difference(plan, loud)], lden=50.0, lnight=42.0)["features"],
            ],
        },
        "public_space": _fc([unpaved, paved]),
    }


def main() -> None:
    reg = registry()
    board = reg.get("scoreboard")
    layers = design()
    full = output_values(execute(board, {"card": FULL_CARD, **layers}))
    sketch = {
        "plan_areas": _fc([shapely.box(X0, Y0, X0 + 200, Y0 + 200)], **PROGRAMME),
        "exposure_zones": layers["exposure_zones"],
    }
    light = output_values(execute(board, {"card": "ggo-light", **sketch}))
    print(f"{'theme':8s} {'light':>7s} {'full':>7s} {'diff':>7s}")
    for theme in ("noise", "heat", "green", "water", "soil"):
        a = light["summary"].get(f"score_{theme}")
        b = full["summary"].get(f"score_{theme}")
        diff = None if a is None or b is None else round(a - b, 2)
        print(f"{theme:8s} {a!s:>7s} {b!s:>7s} {diff!s:>7s}")
    for t in full["themes"]:
        for e in t["indicators"]:
            print(
                f"  full  {t['theme']:6s} {e['indicator']:20s} {e['headline']} = {e['value']} → {e['score']}"
            )


if __name__ == "__main__":
    main()
