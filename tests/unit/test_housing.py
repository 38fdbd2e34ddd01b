"""housing-capacity: monitor, exact and bisection capacities, binding constraints, properties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.scoring import resolve_profile
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators import housing
from hypothesis_profiles import examples
from results import execute

IND = registry().get("housing-capacity")
PARKING = registry().get("parking-pressure")
ONE_PLACE = [{"dwelling_type": "home", "places_per_dwelling": 1.0, "visitor_share": 0.2}]


def run(**inputs: Any) -> dict[str, Any]:
    return execute(IND, inputs)


def nbh_props(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["properties"] for f in result["neighbourhoods"]["features"]]


def norms_of(props: dict[str, Any], constraint: str) -> dict[str, Any]:
    """The norm columns of one constraint in a neighbourhood (flat since 2.0.0)."""
    p = constraint.replace("-", "_")
    return {
        "norm": props[f"{p}_norm"],
        "norm_source": props[f"{p}_norm_source"],
        "area_type": props["area_type"],
        "band_area_type": props[f"{p}_band_area_type"],
    }


# --------------------------------------------------------------------------- monitor


def test_monitor_by_status_and_year_with_stopped_and_unknown() -> None:
    res = run(
        dwellings=fc(feature(point(10, 10), dwellings=7), feature(point(110, 10), dwellings=3)),
        plan=fc(
            feature(point(20, 20), dwellings=10, status="planned", year=2026),
            feature(point(30, 20), dwellings=5, status="In aanbouw", year=2025),
            feature(point(40, 20), dwellings=4, status="bouwstop", year=2025),
            feature(point(120, 20), dwellings=6, status="under_construction", year=2025),
            feature(point(130, 20), dwellings=2, status="??"),
            feature(point(999, 999), dwellings=1, status="stopped", year=2024),
        ),
        neighbourhoods=fc(
            feature(box(0, 0, 100, 100), "A", id="A"), feature(box(100, 0, 200, 100), "B", id="B")
        ),
        constraints=[],
    )
    a, b = nbh_props(res)
    assert (a["existing_dwellings"], b["existing_dwellings"]) == (7.0, 3.0)
    assert (a["planned_dwellings"], a["under_construction_dwellings"], a["stopped_dwellings"]) == (
        10.0,
        5.0,
        4.0,
    )
    assert a["pipeline_dwellings"] == 15.0  # planned + under construction, stopped left out
    assert a["unknown_dwellings"] == 0.0
    assert b["unknown_dwellings"] == 2.0 and b["pipeline_dwellings"] == 6.0
    m = res["monitor"]
    # the table per neighbourhood (area_id: the feature id), by area, status, year
    assert m["by_neighbourhood"] == [
        {"area_id": "A", "status": "planned", "year": 2026, "dwellings": 10.0},
        {"area_id": "A", "status": "stopped", "year": 2025, "dwellings": 4.0},
        {"area_id": "A", "status": "under-construction", "year": 2025, "dwellings": 5.0},
        {"area_id": "B", "status": "under-construction", "year": 2025, "dwellings": 6.0},
        {"area_id": "B", "status": "unknown", "year": None, "dwellings": 2.0},
    ]
    # overall, outside feature included: planned 10, under construction 5 + 6, stopped
    # 4 + 1, unknown 2; existing 7 + 3; pipeline 10 + 5 + 6
    summary = res["summary"]
    assert (
        summary["planned_dwellings"],
        summary["under_construction_dwellings"],
        summary["stopped_dwellings"],
        summary["unknown_dwellings"],
    ) == (10.0, 11.0, 5.0, 2.0)
    assert (summary["existing_dwellings"], summary["pipeline_dwellings"]) == (10.0, 21.0)
    assert summary["neighbourhoods"] == 2
    assert m["by_year"]["2025"] == {"stopped": 4.0, "under-construction": 11.0}
    assert m["outside_neighbourhoods"] == {"stopped": {"2024": 1.0}}
    assert m["by_status_year"]["unknown"] == {"unknown": 2.0}
    codes = {w["code"] for w in res["data_quality"]["warnings"]}
    assert {"plan-status-unknown", "outside-neighbourhoods"} <= codes
    assert a["capacity"] is None and a["binding_constraint"] is None


# --------------------------------------------------------------------------- parking (exact)

NBH = fc(feature(box(0, 0, 1000, 100), "N", id="N", urbanity_class=3))


def test_parking_capacity_exact_by_hand_and_agrees_with_parking_pressure() -> None:
    # Example table, class 3, rest-built-up: terraced 1.5, apartment-small 1.0 per dwelling.
    # demand = 20 terraced × 1.5 = 30; supply 60; threshold 0.85 → 51 places allowed
    # capacity = (51 − 30) ÷ 1.0 (apartment-small) = 21 dwellings
    # pipeline: 8 planned apartment-mid (1.2 each) = 9.6 → (51 − 39.6) ÷ 1.0 = 11.4 → 11
    dwellings = fc(feature(point(100, 50), dwellings=20, dwelling_type="terraced"))
    spaces = fc(feature(point(500, 50), capacity=60))
    plan = fc(
        feature(point(200, 50), dwellings=8, dwelling_type="apartment-mid", status="planned"),
        feature(point(300, 50), dwellings=50, dwelling_type="detached", status="stopped"),
    )
    # nl-default: class 3 → stedelijk-wonen → the default band, minimum 0.85 = the parameter,
    # so both norm sources give the same figures
    for source in ("parameters", "profile"):
        res = run(
            dwellings=dwellings,
            plan=plan,
            neighbourhoods=NBH,
            parking=spaces,
            constraints=["parking-pressure"],
            new_dwelling_type="apartment-small",
            norm_source=source,
        )
        (n,) = nbh_props(res)
        assert n["parking_pressure_capacity"] == 21.0
        assert n["parking_pressure_margin_dwellings"] == pytest.approx(21.0)
        assert n["parking_pressure_headroom_after_plan"] == 11.0
        assert n["parking_pressure_margin_after_plan"] == pytest.approx(11.4)
        assert n["capacity"] == 21.0 and n["binding_constraint"] == "parking-pressure"
        assert n["headroom_after_plan"] == 11.0
        assert n["parking_pressure_norm"] == 0.85
        c = res["constraints"]["parking-pressure"]
        assert c["method"] == "exact" and c["norm"]["norm_source"] == source
        assert c["norm"]["norm_table"] == "example" and c["norm"]["zones"] == "neighbourhoods"
    assert c["norm"]["values"] == {"default": 0.85} and "threshold" not in c["norm"]
    assert norms_of(n, "parking-pressure") == {
        "norm": 0.85,
        "norm_source": "profile",
        "area_type": "3",
        "band_area_type": "default",
    }
    # the parking-pressure process agrees: 21 more fit, 22 break the norm
    for k, alarm in ((21, False), (22, True)):
        r = execute(
            PARKING,
            {
                "dwellings": dwellings,
                "parking": spaces,
                "zones": NBH,
                "plan": fc(feature(point(100, 50), dwellings=k, dwelling_type="apartment-small")),
            },
        )
        assert r["zones"]["features"][0]["properties"]["alarm_with_plan"] is alarm


def test_parking_capacity_over_separate_zones_takes_the_tightest_zone() -> None:
    # Neighbourhood N spans zones Z1 (x < 500) and Z2; existing dwellings 30 in Z1, 10 in Z2
    # (one place each), so added dwellings go 3/4 to Z1 and 1/4 to Z2 (placement "existing").
    # Z1: supply 50 × 0.8 = 40 allowed, demand 30 → margin 10 → 10 ÷ 0.75 = 13.33
    # Z2: supply 20 × 0.8 = 16 allowed, demand 10 → margin 6 → 6 ÷ 0.25 = 24
    # capacity = min = 13
    res = run(
        dwellings=fc(
            feature(point(100, 50), dwellings=30, dwelling_type="home"),
            feature(point(700, 50), dwellings=10, dwelling_type="home"),
        ),
        neighbourhoods=NBH,
        zones=fc(
            feature(box(0, 0, 500, 100), "Z1", urbanity_class=2),
            feature(box(500, 0, 1000, 100), "Z2", urbanity_class=2),
        ),
        parking=fc(feature(point(50, 50), capacity=50), feature(point(900, 50), capacity=20)),
        norm_table=ONE_PLACE,
        threshold=0.8,
        norm_source="parameters",
        constraints=["parking-pressure"],
    )
    (n,) = nbh_props(res)
    assert n["parking_pressure_margin_dwellings"] == pytest.approx(40 / 3, abs=1e-3)
    assert n["parking_pressure_capacity"] == 13.0
    assert res["constraints"]["parking-pressure"]["norm"]["zones"] == "zones"


def test_neighbourhoods_without_parking_places_are_named_in_a_warning() -> None:
    # Parking counted in A only (as one district's count): B's capacity is 0 for want
    # of any place, which a warning says (found on Amsterdam: 518 of 518 buurten "bound
    # by parking pressure" with places given in four). A: 10 places × 0.8 = 8 allowed,
    # demand 2 → 6 dwellings fit.
    res = run(
        dwellings=fc(
            feature(point(50, 50), dwellings=2, dwelling_type="home"),
            feature(point(150, 50), dwellings=2, dwelling_type="home"),
        ),
        neighbourhoods=fc(
            feature(box(0, 0, 100, 100), "A", id="A"), feature(box(100, 0, 200, 100), "B", id="B")
        ),
        parking=fc(feature(point(50, 50), capacity=10)),
        norm_table=ONE_PLACE,
        threshold=0.8,
        norm_source="parameters",
        constraints=["parking-pressure"],
    )
    a, b = nbh_props(res)
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (6.0, 0.0)
    (w,) = [w for w in res["data_quality"]["warnings"] if w["code"] == "no-parking-supply"]
    assert (w["input"], w["count"]) == ("parking", 1)
    assert w["message"].startswith("in 1 neighbourhood added dwellings")


def test_no_supply_means_no_capacity_and_missing_inputs_are_unavailable() -> None:
    res = run(
        dwellings=fc(feature(point(100, 50), dwellings=5, dwelling_type="home")),
        neighbourhoods=NBH,
        parking=fc(),
        norm_table=ONE_PLACE,
    )
    (n,) = nbh_props(res)
    assert n["parking_pressure_capacity"] == 0.0 and n["parking_pressure_broken"] is True
    cons = res["constraints"]
    assert cons["parking-pressure"]["status"] == "available"
    assert cons["proximity-facilities"] == {
        "status": "unavailable",
        "reason": "input 'facilities' is not given",
    }
    assert cons["green-per-dwelling"] == {
        "status": "unavailable",
        "reason": "input 'green' is not given",
    }
    assert "constraint-unavailable" in {w["code"] for w in res["data_quality"]["warnings"]}


# --------------------------------------------------------------------------- proximity (bisection)


def _proximity_case(min_share: float | None, **extra: Any) -> dict[str, Any]:
    # One GP at x = 0; reach 300 m. 10 dwellings at x = 100 (within), 10 at x = 800 (not).
    # Added dwellings at the neighbourhood's point on surface (x = 500: out of reach).
    # share(k) = 10 ÷ (20 + k)
    # Parking: one place per dwelling, supply 50 × threshold 0.6 = 30, demand 20 → 10 fit
    # (with norm_source 'profile' the request sets no threshold: an explicit one would
    # contradict it, see test_explicit_norm_parameter_*).
    inputs: dict[str, Any] = {"placement": "centroid", "norm_source": "parameters", **extra}
    if inputs["norm_source"] == "parameters":
        inputs["threshold"] = 0.6
    if min_share is not None:
        inputs["proximity_min_share"] = min_share
    return run(
        dwellings=fc(
            feature(point(100, 50), dwellings=10, dwelling_type="home"),
            feature(point(800, 50), dwellings=10, dwelling_type="home"),
        ),
        neighbourhoods=NBH,
        parking=fc(feature(point(500, 50), capacity=50)),
        facilities=fc(feature(point(0, 50), type="huisarts")),
        norm_table=ONE_PLACE,
        constraints=["parking-pressure", "proximity-facilities"],
        **inputs,
    )


def test_proximity_capacity_by_bisection_by_hand() -> None:
    # 10 ÷ (20 + k) ≥ 0.4 ⇔ k ≤ 5
    # pipeline: 5 dwellings within reach → 15 ÷ (25 + k) ≥ 0.4 ⇔ k ≤ 12.5 → 12
    res = _proximity_case(
        0.4, plan=fc(feature(point(150, 50), dwellings=5, status="planned", dwelling_type="home"))
    )
    (n,) = nbh_props(res)
    assert n["proximity_facilities_share_now"] == 0.5
    assert n["proximity_facilities_capacity"] == 5.0
    assert n["proximity_facilities_headroom_after_plan"] == 12.0
    assert res["constraints"]["proximity-facilities"]["method"] == "bisection"
    assert res["constraints"]["proximity-facilities"]["norm"]["reach_m"] == 300.0
    assert n["placement"] == "centroid"


def test_binding_constraint_switches_when_the_norm_changes() -> None:
    # min share 0.4 → proximity 5 < parking 10: proximity binds
    # min share 0.3 → 10 ÷ (20 + k) ≥ 0.3 ⇔ k ≤ 13.3 → 13 > parking 10: parking binds
    (strict,) = nbh_props(_proximity_case(0.4))
    (loose,) = nbh_props(_proximity_case(0.3))
    assert strict["parking_pressure_capacity"] == loose["parking_pressure_capacity"] == 10.0
    assert strict["proximity_facilities_capacity"] == 5.0
    assert loose["proximity_facilities_capacity"] == 13.0
    assert (strict["binding_constraint"], strict["capacity"]) == ("proximity-facilities", 5.0)
    assert (loose["binding_constraint"], loose["capacity"]) == ("parking-pressure", 10.0)


def test_proximity_already_broken_and_unbounded() -> None:
    (broken,) = nbh_props(_proximity_case(0.6))  # 0.5 < 0.6 now
    assert broken["proximity_facilities_broken"] is True
    assert broken["proximity_facilities_capacity"] == 0.0
    # added dwellings spread like the existing ones keep the share at 0.5: never breaks 0.5
    (same,) = nbh_props(_proximity_case(0.5, placement="existing"))
    assert same["proximity_facilities_capacity"] is None  # unbounded
    assert same["binding_constraint"] == "parking-pressure"


# --------------------------------------------------------------------------- green (exact)


def _green_case(norm: float) -> dict[str, Any]:
    # 10 + 10 dwellings at x = 100 and x = 800; added dwellings at the point on surface
    # (x = 500). The 500 m reach zone holds a 1 ha park (100 m × 100 m at x 400–500,
    # y 150–250) and the 20 dwellings: capacity = 10,000 ÷ norm − 20.
    # Parking (one place per dwelling, 50 × 0.6 = 30 allowed, demand 20): 10 fit.
    return run(
        dwellings=fc(
            feature(point(100, 50), dwellings=10, dwelling_type="home"),
            feature(point(800, 50), dwellings=10, dwelling_type="home"),
        ),
        neighbourhoods=NBH,
        parking=fc(feature(point(500, 50), capacity=50)),
        green=fc(feature(box(400, 150, 500, 250))),
        norm_table=ONE_PLACE,
        threshold=0.6,
        constraints=["parking-pressure", "green-per-dwelling"],
        placement="centroid",
        norm_m2_per_dwelling=norm,
        norm_source="parameters",
        plan=fc(feature(point(300, 50), dwellings=4, status="planned", dwelling_type="home")),
    )


def test_binding_constraint_switches_when_the_green_norm_changes() -> None:
    # norm 75 m²: 10,000 ÷ 75 − 20 = 113.3 → 113 > parking 10: parking binds
    # norm 400 m²: 10,000 ÷ 400 − 20 = 5 < parking 10: green binds
    # after the plan (4 more dwellings): green 25 − 24 = 1; parking (30 − 24) = 6
    (loose,) = nbh_props(_green_case(75.0))
    (strict,) = nbh_props(_green_case(400.0))
    assert loose["green_per_dwelling_capacity"] == 113.0
    assert loose["green_per_dwelling_margin_dwellings"] == pytest.approx(10_000 / 75 - 20, abs=1e-3)
    assert (loose["binding_constraint"], loose["capacity"]) == ("parking-pressure", 10.0)
    assert strict["green_per_dwelling_capacity"] == 5.0
    assert (strict["binding_constraint"], strict["capacity"]) == ("green-per-dwelling", 5.0)
    assert strict["green_per_dwelling_headroom_after_plan"] == 1.0
    assert strict["parking_pressure_headroom_after_plan"] == 6.0
    assert (strict["binding_after_plan"], strict["headroom_after_plan"]) == (
        "green-per-dwelling",
        1.0,
    )
    res = _green_case(400.0)
    assert res["constraints"]["green-per-dwelling"]["method"] == "exact"
    assert res["constraints"]["green-per-dwelling"]["norm"]["norm_m2_per_dwelling"] == 400.0
    assert res["constraints"]["green-per-dwelling"]["norm"]["values"] == {"parameter": 400.0}
    assert norms_of(nbh_props(res)[0], "green-per-dwelling") == {
        "norm": 400.0,
        "norm_source": "parameters",
        "area_type": "3",
        "band_area_type": None,
    }


def test_green_capacity_matches_the_green_per_dwelling_process() -> None:
    # the green-per-dwelling process reports dwelling_headroom = floor(green ÷ norm) − dwellings
    homes = fc(feature(point(100, 50), dwellings=10), feature(point(800, 50), dwellings=10))
    green = fc(feature(box(400, 150, 500, 250)))
    g = execute(
        registry().get("green-per-dwelling"),
        {"buildings": homes, "green": green, "neighbourhoods": NBH},
    )
    expected = g["neighbourhoods"]["features"][0]["properties"]["dwelling_headroom"]
    (n,) = nbh_props(
        run(dwellings=homes, neighbourhoods=NBH, green=green, constraints=["green-per-dwelling"])
    )
    assert n["green_per_dwelling_capacity"] == expected == 113.0


# --------------------------------------------------------------------------- kernels & properties


@settings(max_examples=examples(40), deadline=None)
@given(
    a=st.floats(0, 500),
    b=st.floats(1, 1000),
    f=st.floats(0, 1),
    s=st.floats(0.01, 0.99),
)
def test_bisection_matches_the_closed_form_of_a_share(
    a: float, b: float, f: float, s: float
) -> None:
    a = min(a, b)

    def fits(k: np.ndarray) -> np.ndarray:
        return (a + k * f) / (b + k) >= s - 1e-12

    k, broken, unbounded = housing.bisect_capacity(fits, 1, 10_000)
    if broken[0]:
        assert not fits(np.zeros(1))[0]
    elif unbounded[0]:
        assert fits(np.full(1, 10_000.0))[0]
    else:
        assert fits(k)[0] and not fits(k + 1)[0]


def _random_site(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    nbh = fc(
        *[feature(box(i * 100, 0, i * 100 + 100, 100), f"n{i}", urbanity_class=2) for i in range(4)]
    )
    homes = fc(
        *[
            feature(
                point(float(rng.uniform(0, 400)), float(rng.uniform(0, 100))),
                dwellings=int(rng.integers(1, 20)),
            )
            for _ in range(25)
        ]
    )
    spaces = fc(
        *[
            feature(
                point(float(rng.uniform(0, 400)), float(rng.uniform(0, 100))),
                capacity=int(rng.integers(5, 80)),
            )
            for _ in range(10)
        ]
    )
    plan = [
        feature(
            point(float(rng.uniform(0, 400)), float(rng.uniform(0, 100))),
            dwellings=int(rng.integers(1, 15)),
            status=["planned", "under-construction", "stopped"][int(rng.integers(0, 3))],
        )
        for _ in range(6)
    ]
    return {"neighbourhoods": nbh, "dwellings": homes, "parking": spaces, "plan": plan}


@settings(max_examples=examples(20), deadline=None)
@given(
    seed=st.integers(0, 10_000), x=st.floats(0, 399), y=st.floats(0, 100), more=st.integers(1, 30)
)
def test_adding_planned_dwellings_never_raises_capacity(
    seed: int, x: float, y: float, more: int
) -> None:
    s = _random_site(seed)
    common = {
        "dwellings": s["dwellings"],
        "neighbourhoods": s["neighbourhoods"],
        "parking": s["parking"],
        "constraints": ["parking-pressure"],
    }
    before = nbh_props(run(plan=fc(*s["plan"]), **common))
    extra = feature(point(x, y), dwellings=more, status="planned")
    after = nbh_props(run(plan=fc(*s["plan"], extra), **common))
    for b, a in zip(before, after, strict=True):
        assert a["capacity"] == b["capacity"]  # capacity on top of the existing homes
        for key in ("headroom_after_plan", "parking_pressure_margin_after_plan"):
            assert a[key] <= b[key] + 1e-9


def test_example_runs() -> None:
    res = execute(IND, IND.example)
    assert {f["properties"]["binding_constraint"] for f in res["neighbourhoods"]["features"]} == {
        "parking-pressure"
    }
    assert res["summary"]["stopped_dwellings"] == 8.0
    # parking binds in both neighbourhoods (west: parking 26, green 53, proximity unbounded)
    assert res["summary"]["neighbourhoods_bound_by_parking_pressure"] == 2
    assert res["summary"]["neighbourhoods_bound_by_green_per_dwelling"] == 0
    assert res["data_quality"]["norms_differing_from_profile"] == [
        "parking-pressure",
        "proximity-facilities",
    ]


def test_status_codes() -> None:
    assert housing.status_code("Under Construction") == "under-construction"
    assert housing.status_code("gepland") == "planned"
    assert housing.status_code(3) == "unknown"


# --------------------------------------------------------------------------- norms from the profile


def _two_area_types(**extra: Any) -> dict[str, Any]:
    # Two identical neighbourhoods, one place per dwelling (ONE_PLACE), each with 50
    # dwellings and 100 places, and a pipeline of 10 planned dwellings each. They differ
    # only in their area type: A binnenstad, B dorps-wonen.
    return run(
        dwellings=fc(
            feature(point(50, 50), dwellings=50, dwelling_type="home"),
            feature(point(150, 50), dwellings=50, dwelling_type="home"),
        ),
        plan=fc(
            feature(point(60, 50), dwellings=10, dwelling_type="home", status="planned"),
            feature(point(160, 50), dwellings=10, dwelling_type="home", status="planned"),
        ),
        neighbourhoods=fc(
            feature(box(0, 0, 100, 100), "A", id="A", area_type="binnenstad"),
            feature(box(100, 0, 200, 100), "B", id="B", area_type="dorps wonen"),
        ),
        parking=fc(feature(point(40, 50), capacity=100), feature(point(140, 50), capacity=100)),
        norm_table=ONE_PLACE,
        constraints=["parking-pressure"],
        **extra,
    )


def test_parking_capacity_follows_the_profile_minimum_of_each_area_type() -> None:
    # nl-default parking-pressure.pressure (lower is better): binnenstad minimum 0.90;
    # dorps-wonen has no band of its own → the default band, minimum 0.85.
    # A: (0.90 × 100 − 50) ÷ 1 = 40;  after the plan (demand 60): 90 − 60 = 30
    # B: (0.85 × 100 − 50) ÷ 1 = 35;  after the plan:             85 − 60 = 25
    res = _two_area_types()
    a, b = nbh_props(res)
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (40.0, 35.0)
    assert (a["headroom_after_plan"], b["headroom_after_plan"]) == (30.0, 25.0)
    assert norms_of(a, "parking-pressure") == {
        "norm": 0.9,
        "norm_source": "profile",
        "area_type": "binnenstad",
        "band_area_type": "binnenstad",
    }
    assert norms_of(b, "parking-pressure") == {
        "norm": 0.85,
        "norm_source": "profile",
        "area_type": "dorps-wonen",
        "band_area_type": "default",
    }
    assert (a["parking_pressure_norm"], b["parking_pressure_norm"]) == (0.9, 0.85)
    c = res["constraints"]["parking-pressure"]
    assert c["method"] == "exact" and c["norm"]["norm_source"] == "profile"
    assert c["norm"]["metric"] == "parking-pressure.pressure"
    assert c["norm"]["values"] == {"binnenstad": 0.9, "default": 0.85}
    assert res["provenance"]["parameters"]["norm_source"] == "profile"
    assert res["profile"]["name"] == "nl-default"
    # the parameter stays visible beside the profile, and provenance lists every parameter
    assert c["profile_norm"]["value"] == 0.85
    assert res["provenance"]["parameters"]["norm_source"] == "profile"
    assert res["provenance"]["parameters"]["threshold"] == 0.85
    # norm_source "parameters": threshold 0.85 in both → (85 − 50) = 35 and 85 − 60 = 25
    a, b = nbh_props(_two_area_types(norm_source="parameters"))
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (35.0, 35.0)
    assert (a["headroom_after_plan"], b["headroom_after_plan"]) == (25.0, 25.0)
    assert a["parking_pressure_norm_source"] == "parameters"
    assert a["parking_pressure_band_area_type"] is None
    # the area_type parameter overrides the neighbourhoods' own: both binnenstad → 40
    a, b = nbh_props(_two_area_types(area_type="binnenstad"))
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (40.0, 40.0)


def test_profile_override_of_a_minimum_changes_the_capacity() -> None:
    # dorps-wonen gets its own band with minimum 0.80 (ambition inherited from default,
    # 0.70): B: (0.80 × 100 − 50) ÷ 1 = 30; after the plan 80 − 60 = 20. A is unchanged (40).
    override = {
        "indicators": {
            "parking-pressure": {
                "metrics": {"pressure": {"bands": {"dorps-wonen": {"minimum": 0.8}}}}
            }
        }
    }
    res = _two_area_types(profile_override=override)
    a, b = nbh_props(res)
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (40.0, 30.0)
    assert b["headroom_after_plan"] == 20.0
    assert b["parking_pressure_band_area_type"] == "dorps-wonen"
    assert res["profile"]["name"] == "nl-default+override"
    assert res["constraints"]["parking-pressure"]["norm"]["values"] == {
        "binnenstad": 0.9,
        "dorps-wonen": 0.8,
    }


def test_shared_parking_zone_uses_each_neighbourhoods_own_minimum() -> None:
    # One zone over both neighbourhoods: supply 200, demand 100 (no plan counted here).
    # A (binnenstad): (0.90 × 200 − 100) ÷ 1 = 80;  B (default band): (0.85 × 200 − 100) = 70
    res = _two_area_types(zones=fc(feature(box(0, 0, 200, 100), "Z")))
    a, b = nbh_props(res)
    assert (a["parking_pressure_capacity"], b["parking_pressure_capacity"]) == (80.0, 70.0)


def test_green_capacity_follows_the_profile_per_area_type() -> None:
    # The _green_case site (10,000 m² of green shared by 20 dwellings), parking left out.
    # ggo-utrecht-example: 40 m² per dwelling in the binnenstad, 75 elsewhere (nl-default).
    # binnenstad: 10,000 ÷ 40 − 20 = 230;  stedelijk-wonen: 10,000 ÷ 75 − 20 = 113.3 → 113
    homes = fc(feature(point(100, 50), dwellings=10), feature(point(800, 50), dwellings=10))
    common = {
        "dwellings": homes,
        "neighbourhoods": NBH,
        "green": fc(feature(box(400, 150, 500, 250))),
        "constraints": ["green-per-dwelling"],
        "placement": "centroid",
        "profile": "ggo-utrecht-example",
    }
    (inner,) = nbh_props(run(area_type="binnenstad", **common))
    (urban,) = nbh_props(run(area_type="stedelijk-wonen", **common))
    assert inner["green_per_dwelling_capacity"] == 230.0
    assert inner["green_per_dwelling_norm"] == 40.0
    assert urban["green_per_dwelling_capacity"] == 113.0
    assert urban["green_per_dwelling_band_area_type"] == "default"


def test_proximity_capacity_follows_the_profile_by_bisection() -> None:
    # The _proximity_case site: share(k) = 10 ÷ (20 + k), now 0.5.
    # nl-default all_dwelling_share_standard minimum: dorps-wonen 0.4, buitengebied 0.1,
    # stedelijk-wonen 0.6 (higher is better).
    # dorps-wonen: 10 ÷ (20 + k) ≥ 0.4 ⇔ k ≤ 5;  buitengebied: ≥ 0.1 ⇔ k ≤ 80;
    # stedelijk-wonen: 0.5 < 0.6 → broken already, capacity 0
    caps = {}
    for at in ("dorps-wonen", "buitengebied", "stedelijk-wonen"):
        res = _proximity_case(None, norm_source="profile", area_type=at)
        (n,) = nbh_props(res)
        caps[at] = (n["proximity_facilities_capacity"], n["proximity_facilities_broken"])
        assert res["constraints"]["proximity-facilities"]["method"] == "bisection"
    assert caps == {
        "dorps-wonen": (5.0, False),
        "buitengebied": (80.0, False),
        "stedelijk-wonen": (0.0, True),
    }


def test_profile_without_the_metric_keeps_the_parameter_with_a_warning() -> None:
    # proximity_profile "healthy" (300 m, like standard): nl-default has no band for
    # all_dwelling_share_healthy → proximity_min_share 0.4 applies: k ≤ 5 as by hand above
    res = _proximity_case(
        0.4,
        norm_source="profile",
        mobility_profiles={"standard": 300, "healthy": 300},
        proximity_profile="healthy",
    )
    (n,) = nbh_props(res)
    assert n["proximity_facilities_capacity"] == 5.0
    assert n["proximity_facilities_norm_source"] == "parameters"
    norm = res["constraints"]["proximity-facilities"]["norm"]
    assert norm["values"] == {"parameter": 0.4} and norm["proximity_min_share"] == 0.4
    assert "profile-norm-missing" in {w["code"] for w in res["data_quality"]["warnings"]}
    # parking in the same request still comes from the profile (class 3 → default 0.85):
    # (0.85 × 50 − 20) ÷ 1 = 22.5 → 22
    assert n["parking_pressure_capacity"] == 22.0


def test_a_profile_metric_of_the_wrong_direction_is_an_input_error() -> None:
    override = {
        "indicators": {
            "parking-pressure": {
                "metrics": {
                    "pressure": {
                        "direction": "higher_is_better",
                        "bands": {
                            "default": {"minimum": 0.85, "ambition": 0.95, "floor": 0.5},
                            "binnenstad": None,
                        },
                    }
                }
            }
        }
    }
    with pytest.raises(InputError, match=r"profile_override.*capacity norm"):
        _two_area_types(profile_override=override)


def test_constraint_norms_kernel() -> None:
    profile = resolve_profile({"profile": "ggo-utrecht-example"})
    params = {"norm_source": "profile", "norm_m2_per_dwelling": 75.0}
    norms = housing.constraint_norms(
        profile, "green-per-dwelling", params, ["1", "binnenstad", "5", None]
    )
    # CBS class 1 falls back to binnenstad (40); class 5 → buitengebied → default (75)
    assert norms.values.tolist() == [40.0, 40.0, 75.0, 75.0]
    assert norms.band_area_type == ["binnenstad", "binnenstad", "default", "default"]
    assert norms.used() == {"binnenstad": 40.0, "default": 75.0}


# ------------------------------------------------- an explicit parameter is never overruled


def _inner_city(**extra: Any) -> dict[str, Any]:
    # binnenstad: nl-default's parking band minimum is 0.90. One place per dwelling,
    # 75 dwellings, 100 places (issue 13's case):
    #   threshold 0.85 → (0.85 × 100 − 75) ÷ 1 = 10 dwellings fit
    #   profile   0.90 → (0.90 × 100 − 75) ÷ 1 = 15 dwellings fit
    return run(
        dwellings=fc(feature(point(100, 50), dwellings=75, dwelling_type="home")),
        neighbourhoods=NBH,
        parking=fc(feature(point(500, 50), capacity=100)),
        norm_table=ONE_PLACE,
        constraints=["parking-pressure"],
        area_type="binnenstad",
        **extra,
    )


def test_explicit_norm_parameter_wins_over_the_profile_for_its_request() -> None:
    res = _inner_city(threshold=0.85)
    (n,) = nbh_props(res)
    assert n["parking_pressure_capacity"] == 10.0
    assert n["parking_pressure_norm"] == 0.85 and n["parking_pressure_norm_source"] == "parameters"
    norm = res["constraints"]["parking-pressure"]["norm"]
    assert norm["norm_source"] == "parameters" and norm["threshold"] == 0.85
    assert "request" in norm["reason"]
    prov = res["provenance"]["norms"]["parking-pressure"]
    assert prov["values"] == {"parameter": 0.85} and "request" in prov["reason"]
    # the profile's band still gives the score and is shown beside the parameter
    pn = res["constraints"]["parking-pressure"]["profile_norm"]
    assert pn["profile_minimum"] == {"binnenstad": 0.9} and pn["agrees_with_profile"] is False
    assert "set in the request" in pn["note"]


def test_without_the_parameter_the_profile_band_minimum_applies() -> None:
    res = _inner_city()
    (n,) = nbh_props(res)
    assert n["parking_pressure_capacity"] == 15.0
    assert n["parking_pressure_norm"] == 0.9 and n["parking_pressure_norm_source"] == "profile"
    assert res["provenance"]["norms"]["parking-pressure"]["values"] == {"binnenstad": 0.9}
    assert res["provenance"]["norms"]["parking-pressure"]["reason"] == "chosen by norm_source"
    # norm_source 'parameters' without threshold: the default 0.85 → 10
    (p,) = nbh_props(_inner_city(norm_source="parameters"))
    assert p["parking_pressure_capacity"] == 10.0


def test_explicit_norm_parameter_with_explicit_profile_source_is_a_400() -> None:
    with pytest.raises(InputError) as err:
        _inner_city(threshold=0.85, norm_source="profile")
    assert err.value.input_name == "threshold"
    assert "norm_source 'parameters'" in str(err.value) and "drop 'threshold'" in str(err.value)
