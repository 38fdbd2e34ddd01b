"""``emf``: homes and children's facilities within a line's zone width, by hand."""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.emf import in_zone
from hypothesis_profiles import examples
from results import execute

EMF = registry().get("emf")

# Line A along y = 0 from x 0 to 200 with a 50 m zone; line B along x = 500 (y 0..200),
# 150 kV without a width.
LINES = fc(
    feature(line((0, 0), (200, 0)), "A", voltage_kv=380, zone_width_m=50),
    feature(line((500, 0), (500, 200)), "B", voltage_kv=150, configuration="Donau"),
)
BUILDINGS = fc(
    feature(point(100, 50), "h1", dwellings=2),  # exactly 50 m from A → inside
    feature(point(100, 50.5), "h2"),  # 50.5 m → outside
    feature(point(230, 40), "h3"),  # beyond A's end: √(30² + 40²) = 50 → inside
    feature(point(540, 100), "h4", dwellings=3),  # 40 m from B
    feature(box(90, -70, 110, -45), "school", dwellings=0, function="Basisschool"),  # 45 m
    feature(point(100, 80), "creche", dwellings=0, function="kinderopvang"),  # 80 m
)


def run(**extra):  # type: ignore[no-untyped-def]
    return execute(EMF, {"buildings": BUILDINGS, "power_lines": LINES, **extra})


def test_zone_width_on_the_edge_and_round_ends() -> None:
    r = run()
    p = {f["id"]: f["properties"] for f in r["buildings"]["features"]}
    assert p["h1"]["in_magnetic_field_zone"] is True  # on the edge
    assert p["h2"]["in_magnetic_field_zone"] is False
    assert p["h3"]["in_magnetic_field_zone"] is True  # 3-4-5 triangle: exactly 50 m
    assert p["h4"]["in_magnetic_field_zone"] is False  # line B has no width: left out
    assert p["school"]["in_magnetic_field_zone"] is True  # footprint edge 45 m from A
    assert p["creche"]["in_magnetic_field_zone"] is False
    assert p["school"]["children_facility"] is True
    warnings = {w["code"]: w for w in r["data_quality"]["warnings"]}
    assert warnings["no-zone-width"]["count"] == 1
    s = r["summary"]
    # homes: h1 (2), h2, h3, h4 (3) → 4 homes, 7 dwellings; inside h1, h3
    assert s["homes_in_zone"] == 2 and s["share_homes_in_zone"] == 0.5
    assert s["share_dwellings_in_zone"] == 0.4286  # (2 + 1) / 7
    assert s["children_facilities"] == 2 and s["share_children_facilities_in_zone"] == 0.5
    assert r["lines"]["without_width"] == 1


def test_indicative_widths_table() -> None:
    rows = [
        {"voltage_kv": 150, "zone_width_m": 30, "source": "own calculation"},
        {"voltage_kv": 150, "configuration": "donau", "zone_width_m": 45},
    ]
    r = run(indicative_widths=rows)
    p = {f["id"]: f["properties"] for f in r["buildings"]["features"]}
    # B's configuration 'Donau' matches the 45 m row: h4 at 40 m is inside
    assert p["h4"]["in_magnetic_field_zone"] is True
    assert r["summary"]["homes_in_zone"] == 3
    assert r["lines"]["widths_from_table"] == 1 and r["lines"]["without_width"] == 0
    # only the voltage row (30 m): h4 at 40 m is outside
    r = run(indicative_widths=rows[:1])
    assert r["summary"]["homes_in_zone"] == 2


def test_per_neighbourhood_scores() -> None:
    nbh = fc(
        feature(box(-100, -100, 300, 100), "N1", area_type="stedelijk-wonen"),
        feature(box(300, -100, 700, 300), "N2"),
    )
    a = {f["id"]: f["properties"] for f in run(neighbourhoods=nbh)["neighbourhoods"]["features"]}
    assert a["N1"]["share_homes_in_zone"] == 0.6667  # h1, h3 of h1, h2, h3
    assert a["N2"]["share_homes_in_zone"] == 0.0
    # nl-default band 0.01 / 0 / floor 0.1: 0.6667 is beyond the floor → 1
    assert (
        a["N1"]["score_share_homes_in_zone"] == 1.0 and a["N2"]["score_share_homes_in_zone"] == 10.0
    )


def test_advice_and_date_are_cited() -> None:
    text = " ".join(s.citation for s in EMF.sources)
    assert "3 October 2005" in text and "0.4 µT" in text


@settings(max_examples=examples(60))
@given(st.floats(-100, 300, allow_nan=False), st.floats(-100, 100, allow_nan=False),
       st.floats(1, 80))  # fmt: skip
def test_inside_iff_distance_at_most_width(x: float, y: float, w: float) -> None:
    lines = np.array([shapely.LineString([(0, 0), (200, 0)])])
    got = in_zone(shapely.points([[x, y]]), lines, np.array([w]))[0]
    dx = max(0.0, -x, x - 200)
    # GEOS's distance may be a few ulp off: on the edge within 1 µm counts as inside
    assert bool(got) == (math.hypot(dx, y) <= w + 1e-6)


def test_bent_and_multi_part_lines() -> None:
    bent = {
        "type": "MultiLineString",
        "coordinates": [[[0, 0], [100, 0], [100, 100]], [[300, 0], [400, 0]]],
    }
    lines = fc(feature(bent, "M", zone_width_m=30))
    homes = fc(
        feature(point(130, 50), "a"),  # 30 m from the second segment (x = 100): inside
        feature(point(121, 121), "b"),  # beyond the bend's end (100, 100): √(21² + 21²) ≈ 29.7
        feature(point(200, 0), "c"),  # 100 m from both parts: outside
        feature(point(350, -30), "d"),  # 30 m from the second part: inside
    )
    r = execute(EMF, {"buildings": homes, "power_lines": lines})
    got = [f["properties"]["in_magnetic_field_zone"] for f in r["buildings"]["features"]]
    assert got == [True, True, False, True]
