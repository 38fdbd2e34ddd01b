"""``odour``: loads per source, the livestock standard per location, classes, GES, by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.odour import above_standard, livestock_standard
from hypothesis_profiles import examples
from results import execute

ODOUR = registry().get("odour")

# Four homes on a line y = 50. The built-up area is x 0..100; the concentration area x 50..300.
HOMES = fc(
    feature(point(10, 50), "a", dwellings=2),  # built-up, not concentration → 2.0
    feature(point(60, 50), "b"),  # built-up, concentration → 3.0
    feature(point(150, 50), "c"),  # outside built-up, concentration → 14.0
    feature(point(400, 50), "d", dwellings=3),  # outside both → 8.0
    feature(point(60, 50), "shed", dwellings=0),  # not a home
)
ZONES = fc(
    feature(box(0, 0, 50, 100), odour=2.0),  # a: exactly on the standard 2.0 → not above
    feature(box(50, 0, 100, 100), odour=3.5),  # b: 3.5 > 3.0 → above
    feature(box(100, 0, 200, 100), odour=14.0),  # c: on its standard 14.0 → not above
    feature(box(300, 0, 500, 100), odour=8.01),  # d: 8.01 > 8.0 → above
    feature(box(0, 0, 500, 100), odour=0.7, source="industry"),
)
BUILT_UP = fc(feature(box(0, 0, 100, 100)))
CONCENTRATION = fc(feature(box(50, 0, 300, 100)))


def run(**extra):  # type: ignore[no-untyped-def]
    inputs = {
        "buildings": HOMES,
        "exposure_zones": ZONES,
        "built_up_area": BUILT_UP,
        "concentration_areas": CONCENTRATION,
    }
    return execute(ODOUR, {**inputs, **extra})


def test_standard_per_location_and_flags() -> None:
    p = [f["properties"] for f in run()["buildings"]["features"]]
    assert [x["livestock_standard"] for x in p[:4]] == [2.0, 3.0, 14.0, 8.0]
    assert p[4]["livestock_standard"] is None  # the shed is no home
    # point a at x=10 lies in zone 0..50 only; b at x=60 in 50..100 (a point on a zone
    # boundary would lie in both, the worst wins)
    assert [x["odour_livestock"] for x in p] == [2.0, 3.5, 14.0, 8.01, None]
    assert [x["livestock_above_standard"] for x in p] == [False, True, False, True, None]
    assert [x["odour_industry"] for x in p[:4]] == [0.7] * 4


def test_shares_by_hand() -> None:
    s = run()["summary"]
    # above: b (1 dwelling) and d (3 dwellings) of 4 homes, 7 dwellings
    assert s["homes"] == 4 and s["dwellings"] == 7
    assert s["share_homes_above_standard_livestock"] == 0.5  # 2 / 4
    assert s["share_dwellings_above_standard_livestock"] == 0.5714  # 4 / 7
    assert s["homes_above_standard_livestock"] == 2
    assert s["max_odour_livestock"] == 14.0
    assert "share_homes_above_limit_industry" not in s  # no national industry standard


def test_industry_limit_is_optional() -> None:
    s = run(limit_industry=0.5)["summary"]
    assert s["share_homes_above_limit_industry"] == 1.0  # 0.7 > 0.5 at all four
    s = run(limit_industry=0.7)["summary"]
    assert s["share_homes_above_limit_industry"] == 0.0  # on the limit is not above


def test_without_location_inputs_the_stricter_standard() -> None:
    r = execute(ODOUR, {"buildings": HOMES, "exposure_zones": ZONES})
    p = [f["properties"] for f in r["buildings"]["features"]]
    # inside the built-up area, outside a concentration area: 2.0 for every home
    assert [x["livestock_standard"] for x in p[:4]] == [2.0] * 4
    # a 2.0 (not above), b 3.5, c 14.0, d 8.01 above → 3 of 4
    assert r["summary"]["share_homes_above_standard_livestock"] == 0.75


def test_own_standards_table() -> None:
    own = {"concentration_outside_built_up": 10.0}
    s = run(livestock_standards=own)["summary"]
    # c now 14.0 > 10.0: b, c, d above → 3 of 4
    assert s["share_homes_above_standard_livestock"] == 0.75
    assert (
        run(livestock_standards=own)["standards"]["livestock"]["elsewhere_outside_built_up"] == 8.0
    )


def test_bad_standards_name_the_input() -> None:
    with pytest.raises(InputError) as err:
        run(livestock_standards={"concentration_inside_built_up": -1})
    assert err.value.input_name == "livestock_standards"
    with pytest.raises(InputError) as err:
        run(class_edges_ou=[3.0, 2.0])
    assert err.value.input_name == "class_edges_ou"


def test_classes_with_shares() -> None:
    c = run()["classes"]["odour_livestock"]
    # edges 2, 3, 8, 14; a value on a limit belongs to the class above:
    # 2.0 → 2–3, 3.5 → 3–8, 14.0 → ≥14, 8.01 → 8–14
    assert {k: v["homes"] for k, v in c.items()} == {
        "<2": 0, "2–3": 1, "3–8": 1, "8–14": 1, "≥14": 1,
    }  # fmt: skip
    assert c["8–14"]["dwellings"] == 3.0 and c["8–14"]["share_dwellings"] == 3 / 7


def test_ges_not_scored_with_the_reason() -> None:
    r = run()
    assert r["ges"]["odour_livestock"]["scored"] is False
    assert "annoyance percentage" in r["ges"]["odour_livestock"]["reason"]
    own = {"odour_livestock": {"limits": [0, 3, 10], "scores": [1, 4, 6], "source": "GGD x"}}
    p = [f["properties"] for f in run(ges_tables=own)["buildings"]["features"]]
    assert [x["ges_odour_livestock"] for x in p[:4]] == [1, 4, 6, 4]  # 2.0, 3.5, 14, 8.01


def test_per_neighbourhood() -> None:
    nbh = fc(
        feature(box(0, 0, 100, 100), "N1", area_type="stedelijk-wonen"),
        feature(box(100, 0, 500, 100), "N2", area_type="buitengebied"),
    )
    r = run(neighbourhoods=nbh)
    a = {f["id"]: f["properties"] for f in r["neighbourhoods"]["features"]}
    assert a["N1"]["share_homes_above_standard_livestock"] == 0.5  # a no, b yes
    assert a["N2"]["share_homes_above_standard_livestock"] == 0.5  # c no, d yes
    # buitengebied band 0.2 / 0 / floor 0.6: 0.5 lies 3/4 of the way from 6 to 1 → 2.25
    assert a["N2"]["score_share_homes_above_standard_livestock"] == 2.25


@settings(max_examples=examples(50))
@given(
    st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=20),
    st.lists(st.booleans(), min_size=20, max_size=20),
    st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_above_is_strictly_greater_than_the_own_standard(
    loads: list[float], built: list[bool], conc: list[bool]
) -> None:
    n = len(loads)
    std = livestock_standard(np.array(built[:n]), np.array(conc[:n]), {
        "concentration_inside_built_up": 3.0, "concentration_outside_built_up": 14.0,
        "elsewhere_inside_built_up": 2.0, "elsewhere_outside_built_up": 8.0,
    })  # fmt: skip
    got = above_standard(np.array(loads), std)
    assert got.tolist() == [float(v > s) for v, s in zip(loads, std, strict=True)]


def test_home_on_the_built_up_boundary_is_inside() -> None:
    homes = fc(feature(point(100, 50), "edge"))  # exactly on the built-up area's edge x = 100
    r = execute(ODOUR, {"buildings": homes, "exposure_zones": ZONES, "built_up_area": BUILT_UP})
    p = r["buildings"]["features"][0]["properties"]
    # inside the built-up area, outside a concentration area → 2.0; on the edge of the
    # zones 50..100 (3.5) and 100..200 (14.0) the worst wins: 14.0 > 2.0
    assert p["inside_built_up_area"] is True and p["livestock_standard"] == 2.0
    assert p["odour_livestock"] == 14.0 and p["livestock_above_standard"] is True


def test_location_flags_only_for_homes() -> None:
    p = [f["properties"] for f in run()["buildings"]["features"]]
    assert [x["inside_built_up_area"] for x in p] == [True, True, False, False, None]
    assert [x["inside_concentration_area"] for x in p] == [False, True, True, False, None]


def test_home_on_the_edge_between_two_contours_takes_the_worst() -> None:
    # (50, 50) lies on the shared edge x = 50 of the zones 0..50 (2.0) and 50..100 (3.5):
    # a point on a contour is inside it, so both hold it and the worst, 3.5, counts. It is
    # inside the built-up area (0..100) and on the concentration area's edge x = 50
    # (inside): standard 3.0, and 3.5 > 3.0 → above.
    r = run(buildings=fc(feature(point(50, 50), "edge")))
    p = r["buildings"]["features"][0]["properties"]
    assert p["odour_livestock"] == 3.5
    assert p["livestock_standard"] == 3.0 and p["livestock_above_standard"] is True
