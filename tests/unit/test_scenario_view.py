"""The scenario page's table of a comparison with many areas and themes not assessed.

Found comparing two variants on Amsterdam's 518 buurten with the card
``ggo-utrecht-example``: the table listed the card's twelve themes in order, each with
519 rows, so its first 600 rows were "air quality: not assessed" in every buurt and the
assessed themes (noise, green, activity) were cut off — without saying so.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from gsl_service.web.board_view import MAX_ROWS, scenario_view
from gsl_service.web.i18n import translator
from gsl_service.web.render import format_number

PAGE: Any = SimpleNamespace(
    lang="en", t=translator("en"), num=lambda v, unit=None: format_number(v, "en", unit)
)
AREAS = [f"BU{i:04d}" for i in range(700)]


def _row(scenario: str, theme: str, area: str, score: float | None) -> dict[str, Any]:
    base = None if score is None else 5.0
    return {
        "scenario": scenario,
        "area_id": area,
        "theme": theme,
        "indicator": "",
        "metric": f"score_{theme}",
        "value": score,
        "score": score,
        "baseline_value": base,
        "baseline_score": base,
        "delta": None if score is None else score - 5.0,
        "delta_score": None if score is None else score - 5.0,
        "verdict": None if score is None else "better" if score > 5 else "unchanged",
    }


def _document(*, empty_rows: bool = False) -> dict[str, Any]:
    """air: no score anywhere; noise: scored in 2 of 700 areas; green: in all 700.

    As scenario-compare 1.1.0 writes it: area rows without any value left out (every
    overall row kept), the areas named in ``area_names``; ``empty_rows``: as 1.0.0 did.
    """
    rows = []
    for scenario, score in (("baseline", 5.0), ("variant", 7.0)):
        for theme in ("air", "noise", "green"):
            for area in ["overall", *AREAS]:
                scored = theme == "green" or (
                    theme == "noise" and area in ("overall", "BU0003", "BU0500")
                )
                if scored or empty_rows or area == "overall":
                    rows.append(_row(scenario, theme, area, score if scored else None))
        # parking pressure: one overall value, no row per area (its zones are not these)
        pressure = _row(scenario, "mobility", "overall", 0.8)
        rows.append({**pressure, "indicator": "parking-pressure", "metric": "pressure"})
    return {"comparison": rows, "themes": [], "area_names": {a: f"Buurt {a}" for a in AREAS}}


def test_themes_never_assessed_are_named_not_listed() -> None:
    view = scenario_view(_document(), PAGE)
    assert view.themes_not_assessed == ["Air quality"]
    assert {r["theme"] for r in view.theme_rows} == {"noise", "green"}


@pytest.mark.parametrize("empty_rows", [False, True])
def test_each_assessed_theme_gets_its_rows_and_says_what_it_left_out(empty_rows: bool) -> None:
    view = scenario_view(_document(empty_rows=empty_rows), PAGE)
    noise = [r for r in view.theme_rows if r["theme"] == "noise"]
    green = [r for r in view.theme_rows if r["theme"] == "green"]
    # noise: overall, the two scored areas, and a row counting the 698 without a score
    assert [r.get("area") for r in noise] == ["overall", "BU0003", "BU0500", None]
    assert (noise[-1]["more"], noise[-1]["unscored"], noise[-1]["over"]) == (True, 698, 0)
    # green takes the rest of the 600: overall + 596 areas listed, 104 counted
    listed = [r for r in green if not r.get("more")]
    assert len(listed) == MAX_ROWS - 3 and listed[0]["overall"]
    assert (green[-1]["unscored"], green[-1]["over"]) == (0, 701 - (MAX_ROWS - 3))
    # the theme's name spans its rows, the "more" row included
    assert noise[0]["span"] == 4 and green[0]["span"] == len(green)
    # a metric given overall only (parking pressure per zone, not per area) misses no area
    metric_more = [r for r in view.metric_rows if r.get("more") and r["metric"] == "pressure"]
    assert metric_more == []
    assert [r["area"] for r in view.metric_rows if r["metric"] == "pressure"] == ["overall"]
    # the chart of overall deltas has both assessed themes
    assert view.deltas["themes"] == ["noise", "green"]
    assert [d["data"] for d in view.deltas["datasets"]] == [[2.0, 2.0]]
