"""Hand-computed cases for the ``sensitivity`` process (one-at-a-time sweeps)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core import geo
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.sensitivity import elasticity, sweep_values
from hypothesis_profiles import examples
from results import execute

X, Y = 0.0, 0.0  # the local grid's origin: fc() places it at RD_ORIGIN in RD New
SENSITIVITY = registry().get("sensitivity")


def p(x: float, y: float) -> dict[str, Any]:
    return point(X + x, Y + y)


def b(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return box(X + x0, Y + y0, X + x1, Y + y1)


def sens(**inputs: Any) -> dict[str, Any]:
    return execute(SENSITIVITY, inputs)


def three_addresses() -> dict[str, Any]:
    # on one line at x = 0, 1000 and 3000 m: pair distances 1000, 2000 and 3000 m
    return {"addresses": fc(*(feature(p(x, 0), f"a{i}") for i, x in enumerate((0, 1000, 3000))))}


# ------------------------------------------------------------------ urbanity-class


def test_urbanity_radius_sweep_by_hand() -> None:
    doc = sens(process="urbanity-class", inputs=three_addresses(), parameters=["radius_m"])
    # radius_m 100..5000 in 5 steps: 100, 1325, 2550, 3775, 5000; baseline 1000
    s = doc["sensitivity"]["radius_m"]
    # radius_m declares no plausible range: its valid range is swept
    assert s["kind"] == "range" and s["baseline"] == 1000.0 and s["range_from"] == "valid"
    assert s["values"] == [100.0, 1325.0, 2550.0, 3775.0, 5000.0]
    # addresses within r (self included), mean over the three, / (π r² in km²), read
    # unrounded from the kernel (sensitivity 3.0.0; the summary rounds to 3 decimals):
    #   r=100:  1,1,1 → 1 / (π·0.01)          = 31.83099
    #   r=1000: 2,2,1 → (5/3) / π             = 0.530516  (baseline)
    #   r=1325: 2,2,1 → (5/3) / (π·1.755625)  = 0.302181
    #   r=2550: 2,3,2 → (7/3) / (π·6.5025)    = 0.114221
    #   r=3775: 3,3,3 → 3 / (π·14.250625)     = 0.067009
    #   r=5000: 3,3,3 → 3 / (π·25)            = 0.038197
    pi = math.pi
    exact = [1 / (pi * 0.01), (5 / 3) / (pi * 1.755625), (7 / 3) / (pi * 6.5025)]
    exact += [3 / (pi * 14.250625), 3 / (pi * 25)]
    dens = s["metrics"]["mean_address_density"]
    assert dens["values"] == pytest.approx(exact, rel=1e-12)
    assert dens["baseline"] == pytest.approx((5 / 3) / pi, rel=1e-12)
    assert dens["min"] == pytest.approx(exact[-1]) and dens["max"] == pytest.approx(exact[0])
    assert dens["swing"] == pytest.approx(exact[0] - exact[-1])  # 31.7928
    # arc elasticity over the neighbours 100 and 1325 of the baseline 1000:
    # ((0.302181 - 31.830989) / 0.530516) / ((1325 - 100) / 1000) = -59.43047 / 1.225 = -48.5147
    # (with the values rounded to 3 digits it was -48.4707: rounding leaked into it)
    m0 = (5 / 3) / pi
    assert dens["elasticity"] == pytest.approx(((exact[1] - exact[0]) / m0) / 1.225, rel=1e-12)
    assert dens["elasticity"] == pytest.approx(-48.5147, abs=1e-3)
    # the address count and the class (5 everywhere: densities far below 500) do not move
    assert s["metrics"]["addresses"]["swing"] == 0
    assert s["metrics"]["urbanity_class"]["values"] == [5] * 5
    assert doc["summary"]["runs"] == 6  # baseline + 5
    assert doc["summary"]["invalid_runs"] == 0
    # tracked: addresses, mean_address_density, urbanity_class and the five flat
    # addresses_class_<c> counts of urbanity-class 2.0.0
    assert doc["summary"]["parameters_varied"] == 1 and doc["summary"]["metrics_tracked"] == 8
    assert doc["metrics"][0]["id"] == "runs" and doc["metrics"][0]["unit"] == "count"
    assert doc["most_sensitive"] == {
        "addresses": None,
        "mean_address_density": "radius_m",
        "urbanity_class": None,
        # every address is class 5 at every radius: the counts per class do not move
        **{f"addresses_class_{c}": None for c in range(1, 6)},
    }
    assert doc["baseline"]["summary"]["mean_address_density"] == pytest.approx(m0, rel=1e-12)
    assert doc["tornado"]["mean_address_density"][0]["parameter"] == "radius_m"


def test_tornado_orders_by_swing_and_invalid_runs_are_reported() -> None:
    doc = sens(
        process="urbanity-class",
        inputs=three_addresses(),
        parameters=["class_2_min", "radius_m"],
        metrics=["mean_address_density", "addresses_class_5"],
    )
    # class_2_min at 0, 25000, 50000, 75000, 100000: 0 is not above class_3_min = 1000,
    # the rest not below class_1_min = 2500 → the kernel rejects all five
    c2 = doc["sensitivity"]["class_2_min"]
    assert [r["input"] for r in c2["invalid"]] == ["class_3_min"] + ["class_2_min"] * 4
    assert c2["metrics"]["mean_address_density"]["values"] == [None] * 5
    assert c2["metrics"]["mean_address_density"]["swing"] == 0  # baseline only
    assert doc["summary"]["runs"] == 11 and doc["summary"]["invalid_runs"] == 5
    codes = [w["code"] for w in doc["data_quality"]["warnings"]]
    assert "invalid-combinations" in codes
    assert [r["parameter"] for r in doc["tornado"]["mean_address_density"]] == [
        "radius_m",
        "class_2_min",
    ]
    # every address is class 5 at every radius: the count of class 5 does not move
    assert doc["sensitivity"]["radius_m"]["metrics"]["addresses_class_5"]["values"] == [3] * 5


def test_given_parameters_are_the_baseline_and_defaults_vary_all_ranged() -> None:
    doc = sens(
        process="urbanity-class",
        inputs={**three_addresses(), "radius_m": 1325.0},
        steps=2,
    )
    assert doc["baseline"]["parameters"]["radius_m"] == 1325.0
    # (5/3) / (π·1.755625), unrounded
    assert doc["baseline"]["summary"]["mean_address_density"] == pytest.approx(0.3021810, abs=1e-7)
    assert list(doc["sensitivity"]) == [
        "radius_m",
        "class_1_min",
        "class_2_min",
        "class_3_min",
        "class_4_min",
    ]
    # 5 parameters at 2 values each, none equal to its baseline: 1 + 10 runs
    assert doc["summary"]["runs"] == 11


def test_inputs_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = geo.read_layers

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(geo, "read_layers", counting)
    doc = sens(process="urbanity-class", inputs=three_addresses(), steps=3)
    assert doc["summary"]["runs"] == 16  # 1 + 5 parameters × 3
    assert len(calls) == 1


# ----------------------------------------------------------------- green-3-30-300


def green_case(tree_offsets: list[float]) -> dict[str, Any]:
    """Address points 1 km apart, each with three trees at its own distance from it."""
    homes, trees = [], []
    for i, d in enumerate(tree_offsets):
        x = 1000.0 * i
        homes.append(feature(p(x, 0), f"h{i}", dwellings=1))
        trees += [feature(p(x + d, 0)), feature(p(x, d)), feature(p(x - d, 0))]
    n = len(tree_offsets)
    return {
        "buildings": fc(*homes),
        "trees": fc(*trees),
        "neighbourhoods": fc(feature(b(-500, -500, 1000 * n, 500), "BU1")),
        "parks": fc(feature(b(0, 200, 200, 300), "park")),
    }


def test_green_tree_distance_sweep_by_hand() -> None:
    doc = sens(
        process="green-3-30-300",
        inputs=green_case([5.0, 25.0, 45.0]),
        parameters=["tree_distance_m"],
        metrics=["share_buildings_meeting_3"],
    )
    s = doc["sensitivity"]["tree_distance_m"]
    # the plausible range 10..50 m (valid: 1..200) in 5 steps: 10, 20, 30, 40, 50; a home
    # meets 3 when its trees (at 5, 25, 45 m) are within the distance: 1, 1, 2, 2, 3 of 3
    assert s["range_from"] == "plausible"
    assert s["values"] == [10.0, 20.0, 30.0, 40.0, 50.0]
    share = s["metrics"]["share_buildings_meeting_3"]
    # read unrounded from the kernel (the summary rounds to 4 digits: 0.6667)
    assert share["values"] == [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0]
    assert share["baseline"] == 2 / 3  # 30 m: the 5 m and the 25 m homes
    assert share["swing"] == pytest.approx(2 / 3)
    # ((2/3 - 1/3) / (2/3)) / ((40 - 20) / 30) = 0.5 / (2/3) = 0.75 exactly; from the
    # rounded 0.6667 and 0.3333 it would be 0.750113: the rounding leak, fixed
    assert share["elasticity"] == pytest.approx(0.75, abs=1e-12)
    # the baseline run's warnings pass through (no canopy polygons given)
    assert "no-canopy" in [w["code"] for w in doc["data_quality"]["warnings"]]


@settings(max_examples=examples(15), deadline=None)
@given(st.lists(st.floats(min_value=0.5, max_value=250.0), min_size=1, max_size=4))
def test_green_share_meeting_3_never_falls_with_tree_distance(offsets: list[float]) -> None:
    doc = sens(
        process="green-3-30-300",
        inputs=green_case(offsets),
        parameters=["tree_distance_m"],
        metrics=["share_buildings_meeting_3"],
        steps=9,
    )
    vals = doc["sensitivity"]["tree_distance_m"]["metrics"]["share_buildings_meeting_3"]["values"]
    assert None not in vals
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(vals))


# -------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("inputs", "name"),
    [
        ({"process": "no-such-process"}, "process"),
        ({"process": "sensitivity"}, "process"),
        ({"process": "echo"}, "process"),
        ({"parameters": ["no_such_parameter"]}, "parameters"),
        ({"parameters": ["radius_m"], "metrics": ["no_such_metric"]}, "metrics"),
        ({"steps": 21, "max_runs": 50}, "steps"),  # 1 + 5 × 21 = 106 runs
        ({"steps": 1}, "steps"),
        ({"inputs": {}}, "addresses"),  # missing: a layer of the analysis, either way
        ({"inputs": {**three_addresses(), "radius_m": -1}}, "inputs"),
        ({"inputs": {**three_addresses(), "bogus": 1}}, "inputs"),
        ({"inputs": {"addresses": {"href": "http://example.org/a.json"}}}, "inputs"),
        ({"inputs": {"addresses": 42}}, "inputs"),
    ],
)
def test_bad_requests_name_the_input(inputs: dict[str, Any], name: str) -> None:
    req = {"process": "urbanity-class", "inputs": three_addresses(), **inputs}
    with pytest.raises(InputError) as err:
        execute(SENSITIVITY, req)
    assert err.value.input_name == name


def test_too_many_enum_runs_name_parameters() -> None:
    req = {
        "process": "green-3-30-300",
        "inputs": green_case([5.0]),
        "parameters": ["merge_touching_parks"],
        "max_runs": 1,
    }
    with pytest.raises(InputError) as err:
        execute(SENSITIVITY, req)
    assert err.value.input_name == "parameters"


# --------------------------------------------------------------------------- helpers


def test_sweep_values_and_elasticity() -> None:
    tree = registry().get("green-3-30-300").input("min_trees")
    # integer 1..50 in 5 steps: 1, 13.25, 25.5, 37.75, 50 → rounded 1, 13, 26, 38, 50
    assert sweep_values(tree, 5).values == (1, 13, 26, 38, 50)  # type: ignore[arg-type]
    # linear metric M = 2p: elasticity 1 whatever the neighbours
    assert elasticity([1.0, 4.0, 9.0], [2.0, 8.0, 18.0], 3.0, 6.0) == pytest.approx(1.0)
    # baseline at the range's end: one-sided, (M(2) - M0)/M0 / ((2 - 1)/1) = (9 - 3)/3 = 2
    assert elasticity([1.0, 2.0], [3.0, 9.0], 1.0, 3.0) == pytest.approx(2.0)
    # invalid neighbour skipped: uses 4 instead of 2
    assert elasticity([2.0, 4.0], [None, 12.0], 3.0, 9.0) == pytest.approx((3 / 9) / (1 / 3))
    # ((2 - 1) / 1.5) / ((1 - 0) / 0.5) = 0.6667 / 2 = 1/3
    assert elasticity([0.0, 1.0], [1.0, 2.0], 0.5, 1.5) == pytest.approx(1 / 3)
    # undefined at a zero baseline parameter
    assert elasticity([0.0, 1.0], [1.0, 2.0], 0.0, 1.5) is None


def test_layers_given_to_the_analysis_are_read_as_the_target_reads_them() -> None:
    # play_areas is read by activity-friendly (points too) and play-space (polygons
    # only): given to the analysis, it is parsed for both; play-space drops the point
    # as it would have parsing the layer itself, with the same warning
    layers = {
        "neighbourhoods": fc(feature(b(0, 0, 100, 100), "BU1")),  # 10,000 m²
        "play_areas": fc(
            feature(b(0, 0, 10, 10), "p1"),  # 100 m²
            feature(b(50, 50, 70, 60), "p2"),  # 200 m²
            feature(p(30, 30), "dot"),
        ),
    }
    request = {"process": "play-space", "parameters": ["norm_share"], "steps": 3}
    given = sens(**request, inputs={}, **layers)
    inline = sens(**request, inputs=layers)
    assert given["baseline"]["summary"]["play_share"] == 0.03  # 300 / 10,000
    # the deficit against the norm: 0, 10 % and 20 % of 10,000 m² less the 300 m²
    assert given["sensitivity"]["norm_share"]["metrics"]["play_deficit_m2"]["values"] == [
        0.0,
        700.0,
        1700.0,
    ]
    assert given["sensitivity"] == inline["sensitivity"]
    dropped = [w for w in given["data_quality"]["warnings"] if w["code"] == "features-dropped"]
    assert dropped == [
        w for w in inline["data_quality"]["warnings"] if w["code"] == "features-dropped"
    ]
    assert [(w["input"], w["count"]) for w in dropped] == [("play_areas", 1)]


def test_layers_given_and_inline_are_read_as_one_request() -> None:
    # homes in lon/lat just east of the Dutch border (about 7.45° E, 52.2° N: outside the
    # box that makes lon/lat data work in RD New), given to the analysis; the other
    # layers in RD New inline in `inputs`. A request to green-3-30-300 works in RD New
    # (a layer is in it); so does the analysis, whichever way each layer comes (parsed
    # apart, the homes alone chose UTM 32N and a park 300.05 m away came within 300 m)
    from pyproj import Transformer

    at = (296_000.0, 470_000.0)
    offsets = (5.0, 25.0, 45.0)  # each home's three trees, as in green_case
    trees = [
        feature(p(1000.0 * i + dx, dy))
        for i, d in enumerate(offsets)
        for dx, dy in ((d, 0.0), (0.0, d), (-d, 0.0))
    ]
    case = {
        "trees": fc(*trees, origin=at),
        "neighbourhoods": fc(feature(b(-500, -500, 3000, 500), "BU1"), origin=at),
        "parks": fc(feature(b(0, 200, 200, 300), "park"), origin=at),
    }
    to_lonlat = Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True)
    lonlat = fc(
        *(
            feature(point(*to_lonlat.transform(at[0] + 1000.0 * i, at[1])), f"h{i}")
            for i in range(3)
        ),
        crs=None,
    )
    request = {"process": "green-3-30-300", "parameters": ["tree_distance_m"], "steps": 3}
    given = sens(**request, inputs=case, buildings=lonlat)
    inline = sens(**request, inputs={**case, "buildings": lonlat})
    assert given["provenance"]["crs"] == inline["provenance"]["crs"] == "EPSG:28992"
    assert given["sensitivity"] == inline["sensitivity"]
    assert given["provenance"]["inputs"]["buildings"]["crs"] == "OGC:CRS84"
    assert given["provenance"]["inputs"]["buildings"]["features"] == 3
    # the trees at 5, 25 and 45 m: 1, 2 and 3 homes meet the 3 within 10, 30 and 50 m
    values = given["sensitivity"]["tree_distance_m"]["metrics"]["share_buildings_meeting_3"]
    assert values["values"] == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_a_layer_given_to_the_analysis_is_named_and_never_ignored_in_silence() -> None:
    case = green_case([5.0])
    network = fc(
        feature({"type": "LineString", "coordinates": [[0, 0], [100, 0]]}, highway="footway")
    )
    request = {"process": "green-3-30-300", "inputs": case}
    # distance_mode euclidean (the default) reads no network: said, as a request says it
    doc = sens(**request, parameters=["tree_distance_m"], steps=2, network=network)
    ignored = [w for w in doc["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    assert [w["input"] for w in ignored] == ["network"]
    # unless a run of the analysis reads it (distance_mode swept to "network")
    doc = sens(**request, parameters=["distance_mode"], network=network)
    assert not [w for w in doc["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    # an error about a layer given to the analysis names that layer, not `inputs`
    points = fc(feature(p(10, 10), "dot"))
    with pytest.raises(InputError) as err:
        sens(
            process="play-space",
            inputs={"neighbourhoods": case["neighbourhoods"]},
            play_areas=points,
        )
    assert err.value.input_name == "play_areas"
    with pytest.raises(InputError) as err:
        sens(
            process="play-space",
            inputs={"neighbourhoods": case["neighbourhoods"], "play_areas": points},
        )
    assert err.value.input_name == "inputs"
