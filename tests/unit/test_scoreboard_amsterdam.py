"""The ggo-utrecht-example scoreboard on the real Amsterdam kit (../shared/data/amsterdam).

The kit has addresses, neighbourhoods, parks and a canopy tile: green is assessed;
every other theme is "not assessed" and names the inputs the kit lacks.
"""

from __future__ import annotations

from typing import Any

from gsl_indicators.core.spec import registry
from results import execute


def test_ggo_card_on_the_amsterdam_kit(load_amsterdam: Any) -> None:
    inputs = {
        "card": "ggo-utrecht-example",
        "buildings": load_amsterdam("addresses"),
        "neighbourhoods": load_amsterdam("buurten"),
        "parks": load_amsterdam("parks"),
        "canopy": load_amsterdam("canopy"),
    }
    doc = execute(registry().get("scoreboard"), inputs)
    themes = {t["theme"]: t for t in doc["themes"]}
    assert list(themes) == [
        "air",
        "noise",
        "odour",
        "external-safety",
        "emf",
        "heat",
        "green",
        "water",
        "flood",
        "activity",
        "soil",
        "proximity",
    ]
    assert themes["green"]["status"] == "assessed"
    assert {t for t, v in themes.items() if v["status"] == "assessed"} == {"green"}
    assert "exposure_zones" in themes["air"]["missing"]
    assert "exposure_zones" in themes["noise"]["missing"]
    assert "exposure_zones" in themes["odour"]["missing"]
    assert themes["external-safety"]["missing"] == ["risk_contours"]
    assert themes["emf"]["missing"] == ["power_lines"]
    assert "cool_places" in themes["heat"]["missing"]
    assert themes["water"]["missing"] == ["surfaces"]
    assert themes["proximity"]["missing"] == ["facilities"]
    # flood safety needs a depth map; the kit has no walking network in this request,
    # so the activity headline (intersection density) cannot be scored
    assert themes["flood"]["missing"] == ["exposure_zones"]
    assert "network" in themes["activity"]["missing"]
    soil = themes["soil"]["indicators"][0]
    # not assessed, and why: the kit has homes but neither surfaces nor contamination zones
    assert soil["status"] == "not assessed" and soil["missing"] == ["contamination_zones"]
    assert "needs `surfaces` (the sealed share) or `contamination_zones`" in soil["reason"]
    green = {e["indicator"]: e for e in themes["green"]["indicators"]}
    assert green["green-per-dwelling"]["missing"] == ["green"]
    # no address lies within 300 m of a park of at least 1 ha (nearest: 336 m, checked
    # independently in test_green_amsterdam), so the all-three share is 0 and scores 1
    assert green["green-3-30-300"]["value"] == 0.0 and green["green-3-30-300"]["score"] == 1.0
    assert doc["summary"]["themes_assessed"] == 1
    assert len(doc["neighbourhoods"]["features"]) == 518
