"""``water``: storm balance worked on paper, splitting, warnings, monotonicity."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.water import balance, overlay_pairs
from hypothesis_profiles import examples
from results import execute

WATER = registry().get("water")
X, Y = 0.0, 0.0  # the local grid's origin: fc() places it at RD_ORIGIN in RD New


def run(**inputs: Any) -> dict[str, Any]:
    return execute(WATER, inputs)


def props(result: dict[str, Any], layer: str = "neighbourhoods") -> list[dict[str, Any]]:
    return [f["properties"] for f in result[layer]["features"]]


def codes(result: dict[str, Any]) -> list[str]:
    return [w["code"] for w in result["data_quality"]["warnings"]]


def one_hood_inputs() -> dict[str, Any]:
    # A 100 m × 100 m neighbourhood: the southern 60 m paved (6,000 m²), the northern
    # 40 m unpaved (4,000 m²). Storage: a wadi of 20 × 10 m at 300 mm = 0.3 × 200 = 60 m³
    # and a tank of 100 m³: 160 m³ in all.
    return {
        "surfaces": fc(
            feature(box(X, Y, X + 100, Y + 60), "street", paved=True),
            feature(box(X, Y + 60, X + 100, Y + 100), "park", paved=False),
        ),
        "storage": fc(
            feature(box(X + 10, Y + 70, X + 30, Y + 80), "wadi", capacity_mm=300),
            feature(point(X + 50, Y + 30), "tank", volume_m3=100),
        ),
        "neighbourhoods": fc(feature(box(X, Y, X + 100, Y + 100), "BU01")),
    }


def west_and_east() -> dict[str, Any]:
    """Two neighbourhoods of 50 m × 100 m side by side: W (x 0–50) and E (x 50–100)."""
    return fc(
        feature(box(X, Y, X + 50, Y + 100), "W"),
        feature(box(X + 50, Y, X + 100, Y + 100), "E"),
    )


def test_storm_deficit_worked_on_paper() -> None:
    # Design storm 60 mm over 6,000 m² paved: 0.060 × 6,000 = 360 m³ to store.
    # Storage 160 m³ → deficit 360 − 160 = 200 m³ = 200 / 6,000 m² = 33.33 mm.
    # storage_mm = 160 / 6,000 × 1000 = 26.67; ratio 160 / 360 = 0.4444;
    # paved share 6,000 / 10,000 = 0.6.
    r = run(**one_hood_inputs(), storm_mm=60)
    s = r["summary"]
    assert s["demand_m3"] == 360.0
    assert s["storage_m3"] == 160.0
    assert s["deficit_m3"] == 200.0
    assert s["deficit_mm"] == 33.33
    assert s["storage_mm"] == 26.67
    assert s["storage_ratio"] == 0.4444
    assert s["paved_share"] == 0.6
    assert s["surplus_m3"] == 0.0
    (h,) = props(r)
    assert (h["demand_m3"], h["storage_m3"], h["deficit_m3"], h["deficit_mm"]) == (
        360.0,
        160.0,
        200.0,
        33.33,
    )
    assert h["surface_coverage"] == 1.0
    # nl-default, storage_ratio band 1.0 → 1.2 with floor 0: 1 + 5 × 0.4444 = 3.22
    assert h["score"] == 3.22
    assert h["score_paved_share"] == 8.0  # 6 + 4 × 0.1 / 0.2
    assert h["score_storage_ratio"] == 3.22
    st_ = props(r, "storage")
    assert [p["volume_m3_used"] for p in st_] == [60.0, 100.0]
    assert [p["capacity_source"] for p in st_] == ["capacity_mm", "volume_m3"]
    assert [p["area_id"] for p in st_] == ["BU01", "BU01"]  # the neighbourhood's own id
    assert r["ges"]["available"] is False
    assert "No GES" in r["ges"]["note"]
    assert "storm_mm" not in r["summary"]  # a parameter: in provenance
    assert r["provenance"]["parameters"]["storm_mm"] == 60
    assert r["profile"]["name"] == "nl-default" and list(r["profile"]["indicators"]) == ["water"]


def test_other_storm_and_runoff_parameters() -> None:
    # storm 70 mm, unpaved runoff 0.1: demand = 0.070 × (6,000 + 0.1 × 4,000) = 448 m³;
    # deficit 448 − 160 = 288 m³ → 288 / 6,000 = 48 mm
    r = run(**one_hood_inputs(), storm_mm=70, unpaved_runoff=0.1)
    assert r["summary"]["demand_m3"] == 448.0
    assert r["summary"]["deficit_m3"] == 288.0
    assert r["summary"]["deficit_mm"] == 48.0


def test_surplus_when_storage_exceeds_the_storm() -> None:
    inputs = one_hood_inputs()
    inputs["storage"]["features"][1]["properties"]["volume_m3"] = 400  # 460 m³ in all
    r = run(**inputs)
    assert r["summary"]["deficit_m3"] == 0.0 and r["summary"]["deficit_mm"] == 0.0
    assert r["summary"]["surplus_m3"] == 100.0
    assert r["summary"]["scorecard"]["score"] == 10.0  # ratio 1.28 ≥ ambition 1.2


def test_split_across_two_neighbourhoods() -> None:
    # Two 50 m wide neighbourhoods W and E; one paved surface 100 × 20 (1,000 m² each
    # side) and one unpaved 100 × 80. A wadi 20 × 10 straddles the boundary (x 40–60):
    # 200 m² × 0.5 m = 100 m³, half to each. A tank (50 m³) exactly on the boundary
    # counts once, in the first neighbourhood.
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 100, Y + 20), paved=True),
            feature(box(X, Y + 20, X + 100, Y + 100), paved=False),
        ),
        storage=fc(
            feature(box(X + 40, Y + 50, X + 60, Y + 60), capacity_mm=500),
            feature(point(X + 50, Y + 90), volume_m3=50),
        ),
        neighbourhoods=west_and_east(),
    )
    w, e = props(r)
    assert (w["paved_area_m2"], e["paved_area_m2"]) == (1000.0, 1000.0)
    assert (w["surface_area_m2"], e["surface_area_m2"]) == (5000.0, 5000.0)
    assert (w["storage_m3"], e["storage_m3"]) == (100.0, 50.0)  # 50 + 50 tank, 50
    # demand 60 m³ each: W stores all (surplus 40), E lacks 10 m³ = 10 mm over 1,000 m²
    assert (w["deficit_m3"], e["deficit_m3"]) == (0.0, 10.0)
    assert (w["surplus_m3"], e["deficit_mm"]) == (40.0, 10.0)
    # overall: storage anywhere offsets demand anywhere: 150 − 120 → no deficit,
    # while the neighbourhood deficits add up to 10 m³
    assert r["summary"]["deficit_m3"] == 0.0
    assert r["summary"]["sum_of_neighbourhood_deficits_m3"] == 10.0


def test_land_cover_cut_at_the_neighbourhood_boundaries() -> None:
    # Land cover clipped to the neighbourhoods (as a BGT clipped to buurten is): each
    # surface lies in one neighbourhood and shares the boundary with the next. W: paved
    # 50 × 60 = 3,000 m², unpaved 50 × 40 = 2,000 m²; E: paved 50 × 100 = 5,000 m². A wadi
    # 10 × 10 at 500 mm = 50 m³ against the boundary, inside W. Found on Amsterdam's
    # buurten: a surface's shared edge was counted as area of the neighbour (its length
    # in metres as m²), "surfaces overlap" in 513 of 518 buurten.
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 50, Y + 60), paved=True),
            feature(box(X, Y + 60, X + 50, Y + 100), paved=False),
            feature(box(X + 50, Y, X + 100, Y + 100), paved=True),
        ),
        storage=fc(feature(box(X + 40, Y + 70, X + 50, Y + 80), capacity_mm=500)),
        neighbourhoods=west_and_east(),
    )
    w, e = props(r)
    assert (w["paved_area_m2"], e["paved_area_m2"]) == (3000.0, 5000.0)
    assert (w["surface_area_m2"], e["surface_area_m2"]) == (5000.0, 5000.0)
    assert (w["surface_coverage"], e["surface_coverage"]) == (1.0, 1.0)
    assert (w["storage_m3"], e["storage_m3"]) == (50.0, 0.0)
    assert codes(r) == []


def test_area_type_from_property_and_parameter() -> None:
    inputs = one_hood_inputs()
    inputs["neighbourhoods"]["features"][0]["properties"]["urbanity_class"] = 1
    r = run(**inputs)
    (h,) = props(r)
    assert h["area_type"] == "1"
    # urbanity class 1 reads as binnenstad: paved share 0.6 ≤ its ambition 0.7 → 10
    # (the default band, minimum 0.7 → ambition 0.5, would give 8)
    assert h["score_paved_share"] == 10.0
    r2 = run(**inputs, area_type="buitengebied")
    assert props(r2)[0]["area_type"] == "buitengebied"
    assert r2["summary"]["scorecard"]["area_type"] == "buitengebied"


def test_unknown_area_type_property_is_a_warning() -> None:
    inputs = one_hood_inputs()
    inputs["neighbourhoods"]["features"][0]["properties"]["area_type"] = "suburb"
    r = run(**inputs)
    assert "unknown-area-type" in codes(r)
    assert props(r)[0]["area_type"] is None


def test_data_quality_warnings() -> None:
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 10, Y + 10), paved=True),
            feature(box(X + 5, Y, X + 15, Y + 10), paved="ja"),  # overlaps the first
            feature(box(X + 20, Y, X + 30, Y + 10)),  # no `paved`
        ),
        storage=fc(feature(point(X + 1, Y + 1)), feature(point(X + 2, Y + 2), volume_m3=-5)),
        neighbourhoods=fc(feature(box(X, Y, X + 14, Y + 20))),  # 280 m², 190 m² covered
    )
    c = codes(r)
    for code in (
        "missing-property",
        "storage-without-capacity",
        "surfaces-outside-neighbourhoods",
        "surfaces-incomplete",
    ):
        assert code in c, code
    # the surface without `paved` is left out: 100 + 100 m² paved (overlap counts twice)
    assert r["summary"]["paved_area_m2"] == 200.0
    assert r["summary"]["storage_m3"] == 0.0


def test_overlapping_surfaces_are_reported() -> None:
    # two 10 × 10 surfaces overlapping by half: inside a 10 × 10 neighbourhood they add
    # up to 100 + 50 = 150 m² > 100 m²
    r = run(
        surfaces=fc(
            feature(box(X, Y, X + 10, Y + 10), paved=True),
            feature(box(X + 5, Y, X + 15, Y + 10), paved=True),
        ),
        neighbourhoods=fc(feature(box(X, Y, X + 10, Y + 10))),
    )
    assert "surfaces-overlap" in codes(r)
    assert props(r)[0]["surface_coverage"] == 1.5


def test_without_neighbourhoods_or_storage() -> None:
    r = run(surfaces=fc(feature(box(X, Y, X + 10, Y + 10), paved=True)), storm_mm=50)
    assert "neighbourhoods" not in r and "storage" not in r
    # 0.05 × 100 m² = 5 m³, nothing stored: 50 mm deficit, ratio 0 → score 1
    assert r["summary"]["deficit_m3"] == 5.0 and r["summary"]["deficit_mm"] == 50.0
    assert r["summary"]["scorecard"]["score"] == 1.0


def test_unpaved_only_has_no_ratio() -> None:
    r = run(surfaces=fc(feature(box(X, Y, X + 10, Y + 10), paved=False)))
    s = r["summary"]
    assert s["demand_m3"] == 0.0 and s["deficit_m3"] == 0.0
    assert s["storage_ratio"] is None and s["deficit_mm"] is None
    assert s["scorecard"]["scores"]["storage_ratio"]["score"] is None
    assert s["scorecard"]["scores"]["paved_share"]["score"] == 10.0


def test_profile_and_override_through_the_process() -> None:
    r = run(**one_hood_inputs(), profile="ggo-utrecht-example", area_type="stedelijk-wonen")
    # ggo example: stedelijk-wonen storage_ratio 1.0 → 1.5, floor 0: 1 + 5 × 0.4444 = 3.22;
    # paved share 0.6 at band 0.6 → 0.4: 6
    card = r["summary"]["scorecard"]
    assert card["profile"] == "ggo-utrecht-example"
    assert card["scores"]["paved_share"]["score"] == 6.0
    assert r["profile"]["example"] is True
    bad = {"indicators": {"water": {"metrics": {"paved_share": {"direction": "up"}}}}}
    with pytest.raises(InputError) as err:
        run(**one_hood_inputs(), profile_override=bad)
    assert err.value.input_name == "profile_override"
    assert "indicators.water.metrics.paved_share.direction" in err.value.reason


def test_example_runs() -> None:
    assert WATER.example is not None
    r = execute(WATER, WATER.example)
    assert r["summary"]["deficit_m3"] == 200.0


# --------------------------------------------------------------- properties


@settings(max_examples=examples(40), deadline=None)
@given(
    paved=st.floats(0, 1e6),
    unpaved=st.floats(0, 1e6),
    storage=st.floats(0, 1e5),
    extra=st.floats(0, 1e5),
    storm=st.floats(10, 200),
)
def test_more_storage_never_raises_the_deficit(
    paved: float, unpaved: float, storage: float, extra: float, storm: float
) -> None:
    a = balance(np.array([paved]), np.array([unpaved]), np.array([storage]), storm)
    b = balance(np.array([paved]), np.array([unpaved]), np.array([storage + extra]), storm)
    assert b["deficit_m3"][0] <= a["deficit_m3"][0]
    assert b["deficit_m3"][0] >= 0


@settings(max_examples=examples(15), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 90), st.integers(0, 90), st.integers(1, 40), st.integers(1, 2000)),
        min_size=1,
        max_size=6,
    )
)
def test_adding_storage_never_raises_any_deficit(tanks: list[tuple[int, int, int, int]]) -> None:
    """Adding storage features never raises a neighbourhood's or the overall deficit."""
    base = one_hood_inputs()
    base["neighbourhoods"] = fc(
        feature(box(X, Y, X + 50, Y + 100), "W"), feature(box(X + 50, Y, X + 100, Y + 100), "E")
    )
    base["storage"] = fc()
    before = run(**base)
    extra = [
        feature(box(X + x, Y + y, X + x + s, Y + y + s), capacity_mm=mm) for x, y, s, mm in tanks
    ]
    base["storage"] = fc(*extra)
    after = run(**base)
    for b, a in zip(props(before), props(after), strict=True):
        assert a["deficit_m3"] <= b["deficit_m3"]
    assert after["summary"]["deficit_m3"] <= before["summary"]["deficit_m3"]


def test_overlay_pairs_agree_with_a_per_feature_loop() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 200, size=(60, 2))
    wh = rng.uniform(2, 40, size=(60, 2))
    geoms = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + wh[:, 0], xy[:, 1] + wh[:, 1])
    zones = np.array(
        [shapely.box(i * 60, j * 60, i * 60 + 60, j * 60 + 60) for i in range(4) for j in range(4)]
    )
    _, zi, area = overlay_pairs(geoms, zones)
    fast = np.bincount(zi, weights=area, minlength=len(zones))
    slow = np.array([sum(g.intersection(z).area for g in geoms) for z in zones])
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-6)
