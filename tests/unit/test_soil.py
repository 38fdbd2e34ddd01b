"""``soil``: sealed shares and homes per contamination class on small geometries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.soil import DEFAULT_CLASS_ORDER, class_ranks, worst_class_per_home
from results import execute

SOIL = registry().get("soil")
# corner of the layouts on the local grid, which fc() places at RD_ORIGIN in RD New
X, Y = 0.0, 0.0


def run(**inputs: Any) -> dict[str, Any]:
    return execute(SOIL, inputs)


def props(result: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [f["properties"] for f in result[layer]["features"]]


def codes(result: dict[str, Any]) -> list[str]:
    return [w["code"] for w in result["data_quality"]["warnings"]]


def two_hoods() -> dict[str, Any]:
    return fc(
        feature(box(X, Y, X + 50, Y + 100), "W", area_type="stedelijk-wonen"),
        feature(box(X + 50, Y, X + 100, Y + 100), "E", area_type="binnenstad"),
    )


def test_sealed_share_per_neighbourhood() -> None:
    # A sealed road 100 × 30 across both neighbourhoods (1,500 m² each side), a sealed
    # square 20 × 20 in E (400 m²) and gardens on the rest (marked with `paved` false:
    # `sealed` falls back to `paved`).
    # W: sealed 1,500 of 5,000 = 0.30; E: 1,900 of 5,000 = 0.38; overall 3,400 / 10,000.
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 100, Y + 30), sealed=True),
            feature(box(X + 60, Y + 40, X + 80, Y + 60), sealed=True),
            feature(box(X, Y + 30, X + 100, Y + 40), paved=False),
            feature(box(X, Y + 40, X + 60, Y + 60), paved=False),
            feature(box(X + 80, Y + 40, X + 100, Y + 60), paved=False),
            feature(box(X, Y + 60, X + 100, Y + 100), sealed=False),
        ),
        neighbourhoods=two_hoods(),
    )
    w, e = props(r, "neighbourhoods")
    assert (w["sealed_area_m2"], w["surface_area_m2"], w["sealed_share"]) == (1500.0, 5000.0, 0.3)
    assert (e["sealed_area_m2"], e["sealed_share"]) == (1900.0, 0.38)
    assert r["summary"]["sealed_share"] == 0.34
    # nl-default sealed_share bands: stedelijk-wonen 0.7 → 0.5, binnenstad 0.9 → 0.7:
    # both below their ambition → 10
    assert w["score_sealed_share"] == 10.0 and w["score"] == 10.0
    # E reads as binnenstad: 0.38 is below its ambition 0.7 → 10
    assert (e["area_type"], e["score_sealed_share"]) == ("binnenstad", 10.0)
    assert r["ges"]["sealed_share"]["available"] is False


def homes_and_zones() -> dict[str, Any]:
    # Zones: "wonen" over x 0–60, "industrie" over x 40–100 (overlap 40–60),
    # "Niet toepasbaar" over the square x 80–100, y 80–100.
    # Homes (dwellings):
    #   a (10, 10) 2 dw  — wonen only                  → wonen
    #   b (50, 10) 1 dw  — wonen and industrie          → industrie (worst)
    #   c (90, 90) 5 dw  — industrie, niet-toepasbaar   → niet-toepasbaar
    #   d footprint x 55–65, y 40–50, 1 dw (default): touches wonen and industrie
    #                     → industrie; its representative point (60, 45) lies in E
    #   e (30, 150) 3 dw — outside every zone and every neighbourhood → none
    return {
        "buildings": fc(
            feature(point(X + 10, Y + 10), "a", dwellings=2),
            feature(point(X + 50, Y + 10), "b", dwellings=1),
            feature(point(X + 90, Y + 90), "c", dwellings=5),
            feature(box(X + 55, Y + 40, X + 65, Y + 50), "d"),
            feature(point(X + 30, Y + 150), "e", dwellings=3),
        ),
        "contamination_zones": fc(
            feature(box(X, Y, X + 60, Y + 100), "z1", **{"class": "wonen"}),
            feature(box(X + 40, Y, X + 100, Y + 100), "z2", **{"class": "industrie"}),
            feature(box(X + 80, Y + 80, X + 100, Y + 100), "z3", **{"class": "Niet toepasbaar"}),
        ),
    }


def test_land_cover_cut_at_the_neighbourhood_boundaries() -> None:
    # Surfaces clipped to the neighbourhoods share their edges with the next one; an
    # edge is no area (found on Amsterdam's buurten: each shared edge's length counted
    # as m² of the neighbour). W: sealed 50 × 30 = 1,500 of 5,000 = 0.3; E: sealed
    # 50 × 80 = 4,000 of 5,000 = 0.8.
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 50, Y + 30), sealed=True),
            feature(box(X, Y + 30, X + 50, Y + 100), sealed=False),
            feature(box(X + 50, Y, X + 100, Y + 80), sealed=True),
            feature(box(X + 50, Y + 80, X + 100, Y + 100), sealed=False),
        ),
        neighbourhoods=two_hoods(),
    )
    w, e = props(r, "neighbourhoods")
    assert (w["sealed_area_m2"], w["surface_area_m2"], w["sealed_share"]) == (1500.0, 5000.0, 0.3)
    assert (e["sealed_area_m2"], e["surface_area_m2"], e["sealed_share"]) == (4000.0, 5000.0, 0.8)
    assert (w["surface_coverage"], e["surface_coverage"]) == (1.0, 1.0)
    assert "surfaces-overlap" not in codes(r)


def test_homes_per_contamination_class() -> None:
    r = run(**homes_and_zones(), neighbourhoods=two_hoods())
    homes = {f["id"]: f["properties"] for f in r["buildings"]["features"]}
    assert {k: v["soil_class"] for k, v in homes.items()} == {
        "a": "wonen",
        "b": "industrie",
        "c": "niet-toepasbaar",
        "d": "industrie",
        "e": None,
    }
    assert [homes[k]["on_contaminated_soil"] for k in "abcde"] == [False, True, True, True, False]
    s = r["summary"]
    # overall: 5 homes, 12 dwellings; contaminated (industrie, niet-toepasbaar):
    # homes b, c, d = 3 / 5 = 0.6; dwellings 1 + 5 + 1 = 7 / 12 = 0.5833
    assert (s["homes"], s["dwellings"]) == (5, 12.0)
    assert s["share_homes_on_contaminated_soil"] == 0.6
    assert s["share_dwellings_on_contaminated_soil"] == 0.5833
    pc = r["classes"]["overall"]
    assert pc["none"] == {"homes": 1, "dwellings": 3.0, "share_homes": 0.2, "share_dwellings": 0.25}
    assert pc["wonen"]["homes"] == 1 and pc["wonen"]["dwellings"] == 2.0
    assert pc["industrie"] == {
        "homes": 2,
        "dwellings": 2.0,
        "share_homes": 0.4,
        "share_dwellings": pytest.approx(2 / 12),  # b and d, 1 dwelling each, of 12
    }
    assert pc["niet-toepasbaar"]["dwellings"] == 5.0
    assert pc["achtergrondwaarde"]["homes"] == 0
    # per neighbourhood (by representative point): W holds a and b (b at x = 50 lies
    # on the W/E boundary and goes to the first neighbourhood); E holds c and d; e is
    # in none.
    w, e = props(r, "neighbourhoods")
    assert (w["homes"], w["dwellings"]) == (2, 3.0)
    assert w["share_homes_on_contaminated_soil"] == 0.5  # b of a, b
    assert w["share_dwellings_on_contaminated_soil"] == 0.3333  # 1 of 3
    assert (e["homes"], e["dwellings"], e["share_homes_on_contaminated_soil"]) == (2, 6.0, 1.0)
    per_hood = r["classes"]["neighbourhoods"]
    assert [h["area_id"] for h in per_hood] == ["W", "E"]
    assert per_hood[1]["classes"]["niet-toepasbaar"]["homes"] == 1
    assert [homes[k]["area_id"] for k in "abcde"] == ["W", "W", "E", "E", None]
    assert "features-outside-areas" in codes(r)  # e
    # scored with nl-default (0.05 → 0 with floor 0.25): 0.5833 is past the floor → 1
    assert s["scorecard"]["scores"]["share_dwellings_on_contaminated_soil"]["score"] == 1.0
    # per neighbourhood: W 0.3333 and E 1.0 are past the floor 0.25 as well → 1
    assert w["score_share_dwellings_on_contaminated_soil"] == 1.0
    assert e["score_share_homes_on_contaminated_soil"] == 1.0
    # 3.0.0: the headline is the worst of sealed_share (no surfaces: no score), the
    # contaminated share (1.0 → score 1) and the health-based share (no health values)
    assert e["score"] == 1.0
    assert r["ges"]["contamination"]["available"] is False
    assert "ges_soil" not in homes["a"]


def test_fit_for_housing_and_class_order_are_parameters() -> None:
    # treat industrie as fit too: only c (5 of 12 dwellings) counts
    r = run(**homes_and_zones(), fit_for_housing=["achtergrondwaarde", "wonen", "industrie"])
    assert r["summary"]["share_dwellings_on_contaminated_soil"] == 0.4167
    # reverse the order of wonen and industrie: b and d now take wonen
    r2 = run(
        **homes_and_zones(),
        class_order=["achtergrondwaarde", "industrie", "wonen", "niet-toepasbaar"],
    )
    cls = {f["id"]: f["properties"]["soil_class"] for f in r2["buildings"]["features"]}
    assert cls["b"] == "wonen" and cls["d"] == "wonen"


def test_unknown_class_ranks_worst_and_warns() -> None:
    inputs = homes_and_zones()
    far = fc(  # two 1 m² zones 5 km from the homes (placed at RD_ORIGIN like the rest)
        feature(box(-5_000, -5_000, -4_999, -4_999), "far", **{"class": "asbest"}),
        feature(box(-5_000, -5_000, -4_999, -4_999), "noclass"),
    )
    inputs["contamination_zones"]["features"].extend(far["features"])
    r = run(**inputs)
    assert "unknown-soil-class" in codes(r) and "missing-property" in codes(r)
    assert r["classes"]["class_order"][-1] == "asbest"
    assert "asbest" in r["classes"]["contaminated_classes"]


def test_ges_from_user_supplied_table() -> None:
    r = run(**homes_and_zones(), ges_by_class={"wonen": 2, "Industrie": 5})
    ges = {f["id"]: f["properties"]["ges_soil"] for f in r["buildings"]["features"]}
    assert ges == {"a": 2, "b": 5, "c": None, "d": 5, "e": None}
    assert "ges-class-missing" in codes(r)  # niet-toepasbaar has none
    assert r["ges"]["contamination"]["available"] is True
    # whole JSON numbers 0–8 only: no fractions, booleans or strings (strict integers)
    for bad in ({"wonen": 9}, {"wonen": 2.5}, {"wonen": "veel"}, {"wonen": True}, {"wonen": "3"}):
        with pytest.raises(InputError) as err:
            run(**homes_and_zones(), ges_by_class=bad)
        assert err.value.input_name == "ges_by_class"
        assert "wonen" in err.value.reason  # names the class


def test_input_combinations() -> None:
    with pytest.raises(InputError) as err:
        run(neighbourhoods=two_hoods())
    assert err.value.input_name == "surfaces"
    with pytest.raises(InputError) as err:
        run(buildings=homes_and_zones()["buildings"])
    assert err.value.input_name == "contamination_zones"
    # the reason says what soil needs, and which input is missing to go with the one given
    assert "needs `surfaces`" in str(err.value) and "`contamination_zones` is missing" in str(
        err.value
    )
    with pytest.raises(InputError) as err:
        run(contamination_zones=homes_and_zones()["contamination_zones"])
    assert err.value.input_name == "buildings"
    # contamination without neighbourhoods or surfaces works: overall only
    r = run(**homes_and_zones())
    assert "neighbourhoods" not in r and r["summary"]["homes"] == 5
    assert "sealed_share" not in r["summary"]


def test_worst_class_agrees_with_a_per_home_loop() -> None:
    rng = np.random.default_rng(3)
    homes = shapely.points(rng.uniform(0, 500, size=(300, 2)))
    homes[:50] = shapely.buffer(homes[:50], 6.0)  # some footprints
    xy = rng.uniform(0, 450, size=(40, 2))
    zones = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 80, xy[:, 1] + 60)
    ranks = rng.integers(-1, 4, size=40)
    fast = worst_class_per_home(homes, zones, ranks)
    slow = np.array(
        [
            max(
                [int(r) for z, r in zip(zones, ranks, strict=True) if r >= 0 and h.intersects(z)],
                default=-1,
            )
            for h in homes
        ]
    )
    np.testing.assert_array_equal(fast, slow)


def test_class_ranks() -> None:
    r, names, unknown = class_ranks(["AchtergrondWaarde", "industrie", None], DEFAULT_CLASS_ORDER)
    assert r.tolist() == [0, 2, -1] and unknown == [] and names == list(DEFAULT_CLASS_ORDER)


def test_example_runs() -> None:
    assert SOIL.example is not None
    r = execute(SOIL, SOIL.example)
    assert r["summary"]["sealed_share"] == 0.7
    assert r["summary"]["homes"] == 3


def test_amsterdam_addresses_on_a_zone(load_amsterdam: Any) -> None:
    """Real BAG addresses and buurten: every address is counted once, shares add up."""
    addresses = load_amsterdam("addresses")
    buurten = load_amsterdam("buurten")
    # a 200 m × 200 m "industrie" zone in the middle of the address area
    cx, cy = 121_100.0, 489_100.0
    zones = fc(
        feature(box(cx - 100, cy - 100, cx + 100, cy + 100), "z", **{"class": "industrie"}),
        origin=None,  # already RD New
    )
    hood_ids = {"Zeeheldenbuurt", "Westelijke eilanden", "Houthavens-Oost", "Westerdokseiland"}
    hoods = {
        **buurten,
        "features": [f for f in buurten["features"] if f["properties"]["Buurt"] in hood_ids],
    }
    r = run(buildings=addresses, contamination_zones=zones, neighbourhoods=hoods, area_type="1")
    s = r["summary"]
    assert s["homes"] == len(addresses["features"]) == 1836
    assert sum(c["homes"] for c in r["classes"]["overall"].values()) == 1836
    on_zone = r["classes"]["overall"]["industrie"]["homes"]
    assert 0 < on_zone < 1836
    # brute force: the points inside the zone box
    xy = np.array([f["geometry"]["coordinates"][:2] for f in addresses["features"]])
    inside = (np.abs(xy[:, 0] - cx) <= 100) & (np.abs(xy[:, 1] - cy) <= 100)
    assert on_zone == int(inside.sum())
    nb = props(r, "neighbourhoods")
    assert (
        sum(p["homes"] for p in nb)
        + sum(
            w.get("count", 0)
            for w in r["data_quality"]["warnings"]
            if w["code"] == "features-outside-areas"
        )
        == 1836
    )


# ------------------------------------------------ issue 13: health classes and the headline


def test_low_sealing_does_not_hide_contamination_and_health_classes_sit_beside() -> None:
    # One neighbourhood (stedelijk-wonen) of 100 × 100, surfaces: 20 % sealed (2,000 of
    # 10,000 m²) → sealed band 0.7 → 6, 0.5 → 10: below the ambition → score 10.
    # Five homes of 2 dwellings each (10 dwellings); zones:
    #   Z1 (x 0..60) class industrie (not fit for housing), lead 450 mg/kg
    #   Z2 (x 60..80) class wonen, exceeds_intervention_value true
    #   Z3 (x 80..100) class wonen, lead 100 mg/kg
    # homes at x 10, 30, 50 (Z1), 70 (Z2), 90 (Z3)
    # reuse classes: 3 of 5 on industrie → contaminated share 0.6 (dwellings 6/10 = 0.6)
    #   band 0.05 → 6, floor 0.25 → 1: beyond the floor → score 1
    # health: Z1 lead 450 ≥ 388 → lead-above-health-limit (3 homes); Z2 → above-
    #   intervention-value (1); Z3 100 → below-health-limits (1): share above = 4/5 = 0.8
    #   band 0.01 → 6, floor 0.1 → 1: beyond the floor → score 1
    # headline = worst of (10, 1, 1) = 1 (was 10 before 3.0.0: sealed_share alone)
    res = run(
        surfaces=fc(
            feature(box(X, Y, X + 100, Y + 20), sealed=True),
            feature(box(X, Y + 20, X + 100, Y + 100), sealed=False),
        ),
        buildings=fc(
            *(feature(point(X + x, Y + 50), f"h{x}", dwellings=2) for x in (10, 30, 50, 70, 90))
        ),
        contamination_zones=fc(
            feature(box(X, Y, X + 60, Y + 100), **{"class": "industrie", "lead_mg_kg": 450}),
            feature(
                box(X + 60, Y, X + 80, Y + 100),
                **{"class": "wonen", "exceeds_intervention_value": True},
            ),
            feature(box(X + 80, Y, X + 100, Y + 100), **{"class": "wonen", "lead_mg_kg": 100}),
        ),
        neighbourhoods=fc(feature(box(X, Y, X + 100, Y + 100), "N", area_type="stedelijk-wonen")),
    )
    homes = props(res, "buildings")
    assert [h["health_class"] for h in homes] == [
        "lead-above-health-limit",
        "lead-above-health-limit",
        "lead-above-health-limit",
        "above-intervention-value",
        "below-health-limits",
    ]
    assert [h["above_health_limit"] for h in homes] == [True, True, True, True, False]
    (n,) = props(res, "neighbourhoods")
    assert n["sealed_share"] == 0.2 and n["score_sealed_share"] == 10.0
    assert n["share_dwellings_on_contaminated_soil"] == 0.6
    assert n["score_share_dwellings_on_contaminated_soil"] == 1.0
    assert n["share_dwellings_above_health_limit"] == 0.8
    assert n["score_share_dwellings_above_health_limit"] == 1.0
    assert n["score"] == 1.0
    card = res["summary"]["scorecard"]
    assert card["score"] == 1.0 and card["headline"] == "share_dwellings_on_contaminated_soil"
    assert card["headline_rule"]["worst_of"][0] == "sealed_share"
    health = res["classes"]["health"]
    assert health["lead_health_limit_mg_kg"] == 388.0
    assert health["lead_intervention_value_mg_kg"] == 530.0
    assert health["overall"]["above-intervention-value"]["homes"] == 1
    assert any("RIVM 2017-0174" in src for src in health["sources"])
    # a stricter local lead policy (500 mg/kg) leaves Z1 below it: 1 of 5 above → 0.2
    s = run(
        buildings=fc(*(feature(point(X + x, Y + 50), dwellings=2) for x in (10, 70, 90))),
        contamination_zones=fc(
            feature(box(X, Y, X + 60, Y + 100), **{"class": "wonen", "lead_mg_kg": 450}),
            feature(box(X + 60, Y, X + 100, Y + 100), **{"class": "wonen", "lead_mg_kg": 600}),
        ),
        lead_health_limit_mg_kg=500,
    )["summary"]
    # homes at 10 (450 < 500: below), 70 and 90 (600 ≥ 530: above the intervention value)
    assert s["share_homes_above_health_limit"] == round(2 / 3, 4)


def test_without_health_values_the_health_share_is_empty_and_warned() -> None:
    res = run(
        buildings=fc(feature(point(X + 10, Y + 10))),
        contamination_zones=fc(feature(box(X, Y, X + 50, Y + 50), **{"class": "wonen"})),
    )
    assert res["summary"]["share_homes_above_health_limit"] is None
    assert "no-health-values" in codes(res)
    assert props(res, "buildings")[0]["health_class"] is None


def test_homes_without_zones_next_to_surfaces_give_the_sealed_share_and_a_warning() -> None:
    # a design's homes (given for other indicators) no longer make soil refuse: with
    # `surfaces` the sealed share is assessed, and the unused `buildings` are warned about.
    # Surfaces: sealed 100 × 30 of 100 × 100 → 3,000 / 10,000 = 0.30.
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 100, Y + 30), sealed=True),
            feature(box(X, Y + 30, X + 100, Y + 100), sealed=False),
        ),
        buildings=homes_and_zones()["buildings"],
    )
    assert r["summary"]["sealed_share"] == 0.3
    assert "homes" not in r["summary"]  # nothing about contamination is claimed
    unused = [w for w in r["data_quality"]["warnings"] if w["code"] == "input-unused"]
    assert [w["input"] for w in unused] == ["buildings"]
    assert "need `contamination_zones`" in unused[0]["message"]


def test_scoreboard_says_what_soil_left_out() -> None:
    # a card with soil only; the design has homes and surfaces but no contamination
    # zones: soil is assessed on the sealed share (0.30, stedelijk-wonen ambition 0.5
    # → 10) and the scoreboard's entry says the contamination part was not assessed
    from gsl_indicators.core.parts import MemoPartCache

    card = {
        "id": "soil-only",
        "title": {"nl": "b", "en": "s"},
        "version": "1",
        "publisher": "test",
        "themes": [
            {
                "id": "soil",
                "title": {"nl": "Bodem", "en": "Soil"},
                "indicators": [{"indicator": "soil"}],
            }
        ],
    }
    board = execute(
        registry().get("scoreboard"),
        {
            "card": card,
            "neighbourhoods": fc(
                feature(box(X, Y, X + 100, Y + 100), "N", area_type="stedelijk-wonen")
            ),
            "surfaces": fc(
                feature(box(X, Y, X + 100, Y + 30), sealed=True),
                feature(box(X, Y + 30, X + 100, Y + 100), sealed=False),
            ),
            "buildings": homes_and_zones()["buildings"],
        },
        part_cache=MemoPartCache(),
    )
    (entry,) = board["themes"][0]["indicators"]
    assert (entry["status"], entry["headline"], entry["value"], entry["score"]) == (
        "assessed",
        "sealed_share",
        0.3,
        10.0,
    )
    assert len(entry["notes"]) == 1 and "need `contamination_zones`" in entry["notes"][0]
