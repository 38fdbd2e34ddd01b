"""A theme whose indicator ran but gave no score says why, in the indicator's words.

Found on the Amsterdam kit with the GGO card and noise zones as the only exposure: the
odour theme was "not assessed — missing: built_up_area, concentration_areas", two
optional inputs whose absence changes no score, while the real cause (no exposure
layer held an odour value) sat in the data-quality list.
"""

from __future__ import annotations

from typing import Any

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import registry
from results import execute

BOARD = registry().get("scoreboard")


def _themes(**layers: Any) -> dict[str, dict[str, Any]]:
    inputs = {
        "card": "ggo-utrecht-example",
        "neighbourhoods": fc(feature(box(0, 0, 200, 200), "BU01")),
        "buildings": fc(feature(point(50, 50), "h1", dwellings=1)),
        **layers,
    }
    return {t["theme"]: t for t in execute(BOARD, inputs)["themes"]}


def test_exposure_without_the_quantity_is_the_reason_not_optional_inputs() -> None:
    themes = _themes(exposure_zones=fc(feature(box(0, 0, 200, 200), lden=60.0)))
    odour = themes["odour"]
    (entry,) = odour["indicators"]
    assert odour["status"] == "not assessed"
    assert "built_up_area" not in entry["missing"] and "concentration_areas" not in entry["missing"]
    assert "no exposure input gave an odour value" in entry["reason"]
    # of the layers that reason names, exposure_points was not given (the grid is a
    # parameter, not a layer)
    assert entry["missing"] == ["exposure_points"]
    assert themes["noise"]["status"] == "assessed"  # the zones were read for noise


def test_without_any_exposure_the_exposure_inputs_are_named() -> None:
    entry = _themes()["odour"]["indicators"][0]
    assert entry["status"] == "not assessed"
    assert {"exposure_zones", "exposure_points"} <= set(entry["missing"])
