"""Hand-computed cases for the Monte-Carlo uncertainty engine (core/uncertainty.py).

Every probability below follows from the distribution declared and the geometry of the
case; the tolerance is four binomial standard deviations of the sample share
(``4·sqrt(p(1-p)/N)``). The draws are seeded, so each assertion is deterministic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core import geo
from gsl_indicators.core.assemble import jsonable
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.core.uncertainty import DataError, MonteCarlo, parse_spec, perturb_layer
from hypothesis_profiles import examples
from results import execute

X, Y = 0.0, 0.0  # the local grid's origin: fc() places it at RD_ORIGIN in RD New
GREEN = registry().get("green-3-30-300")
SENSITIVITY = registry().get("sensitivity")
SHARE_3 = "share_buildings_meeting_3"


def p(x: float, y: float) -> dict[str, Any]:
    return point(X + x, Y + y)


def one_home(tree_xy: list[tuple[float, float]]) -> dict[str, Any]:
    """One address point at the origin, its trees, a neighbourhood and a far park."""
    return {
        "buildings": fc(feature(p(0, 0), "h0", dwellings=1)),
        "trees": fc(*(feature(p(x, y)) for x, y in tree_xy)),
        "neighbourhoods": fc(feature(box(X - 500, Y - 500, X + 500, Y + 500), "BU1")),
        "parks": fc(feature(box(X + 2000, Y, X + 2200, Y + 100), "park")),
    }


def tol(prob: float, n: int) -> float:
    return 4 * math.sqrt(prob * (1 - prob) / n)


def report(inputs: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = execute(GREEN, {**inputs, "uncertainty": spec})["uncertainty"]
    return out


# ------------------------------------------------------------- parameter distributions


def test_threshold_flip_probability_of_a_uniform_tree_distance() -> None:
    # three trees 25 m from the home: it meets the 3 exactly when tree_distance_m >= 25;
    # tree_distance_m ~ uniform(10, 50): P = (50 - 25) / (50 - 10) = 0.625
    n = 2000
    spec = {
        "samples": n,
        "seed": 7,
        "parameters": {"tree_distance_m": {"distribution": "uniform", "low": 10, "high": 50}},
    }
    r = report(one_home([(25, 0), (0, 25), (-25, 0)]), spec)
    share = r["metrics"][SHARE_3]
    assert r["samples"] == r["valid_samples"] == n
    # the share is 1 or 0 per sample; the nl-default band minimum is 0.5
    assert share["norm"]["minimum"] == 0.5
    assert share["probability_meeting_norm"] == pytest.approx(0.625, abs=tol(0.625, n))
    assert share["mean"] == pytest.approx(share["probability_meeting_norm"], abs=1e-6)
    # the same number from the engine's documented stream: parameter k of seed s draws
    # from SeedSequence([s, 1]).spawn(K)[k]
    child = np.random.SeedSequence([7, 1]).spawn(1)[0]
    drawn = np.random.default_rng(child).uniform(10, 50, n)
    assert share["probability_meeting_norm"] == round(float((drawn >= 25).mean()), 4)
    # percentiles of a 0/1 share: p5 = 0 and p50 = p95 = 1 when P > 0.55
    assert (share["p5"], share["p50"], share["p95"]) == (0.0, 1.0, 1.0)
    # the baseline (30 m) meets it: score 10 (share 1 = the ambition)
    assert share["baseline"] == 1.0 and share["score"]["baseline"] == 10.0
    assert r["parameters"]["tree_distance_m"]["clipped"] == 0


def test_draws_outside_the_valid_range_are_clipped_and_counted() -> None:
    # normal(0, 1) for min_trees (valid 1..50): the draws below 1 are clipped to 1,
    # P(z < 1) = Φ(1) = 0.8413; the rest round to 1, 2, 3 ... A home with 2 trees at 5 m
    # meets min_trees <= 2:
    # P(round(clip(z, 1, 50)) <= 2) = P(z < 2.5) = Φ(2.5) = 0.99379
    n = 1000
    spec = {
        "samples": n,
        "parameters": {"min_trees": {"distribution": "normal", "mean": 0, "sd": 1}},
    }
    r = report(one_home([(5, 0), (0, 5)]), spec)
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert r["parameters"]["min_trees"]["clipped"] == pytest.approx(phi1 * n, abs=n * tol(phi1, n))
    phi = 0.5 * (1 + math.erf(2.5 / math.sqrt(2)))
    prob = r["metrics"][SHARE_3]["probability_meeting_norm"]
    assert prob == pytest.approx(phi, abs=tol(phi, n) + 1e-3)


def test_a_parameter_without_effect_gives_a_point_distribution() -> None:
    # the park is 2 km away: no park_distance_m in 200..500 reaches it
    spec = {
        "samples": 50,
        "parameters": {
            "park_distance_m": {"distribution": "triangular", "low": 200, "mode": 300, "high": 500}
        },
    }
    m = report(one_home([(5, 0)]), spec)["metrics"]["share_buildings_meeting_300"]
    assert (m["baseline"], m["p5"], m["p50"], m["p95"], m["sd"]) == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert m["probability_meeting_norm"] == 0.0
    assert m["score"]["p95"] == 1.0  # share 0 = the floor of the band


# ---------------------------------------------------------------------- data errors


def test_positional_error_gives_the_rayleigh_probability() -> None:
    # one tree on the home, min_trees 1, tree_distance_m 30; the tree moves by a normal
    # offset with σ = 25 m along x and y, so its distance R is Rayleigh(σ):
    # P(R <= 30) = 1 - exp(-30² / (2·25²)) = 1 - exp(-0.72) = 0.51325
    n = 2000
    spec = {"samples": n, "seed": 3, "data": {"trees": {"position_sd_m": 25}}}
    r = report({**one_home([(0, 0)]), "min_trees": 1}, spec)
    expected = 1 - math.exp(-0.72)
    prob = r["metrics"][SHARE_3]["probability_meeting_norm"]
    assert prob == pytest.approx(expected, abs=tol(expected, n))


def test_omitted_trees_give_the_binomial_probability() -> None:
    # three trees at 5 m, min_trees 3; each tree is left out with probability 0.2:
    # the home meets the 3 only when all three stay: 0.8³ = 0.512
    n = 2000
    spec = {"samples": n, "seed": 11, "data": {"trees": {"omit_share": 0.2}}}
    r = report(one_home([(5, 0), (0, 5), (-5, 0)]), spec)
    prob = r["metrics"][SHARE_3]["probability_meeting_norm"]
    assert prob == pytest.approx(0.512, abs=tol(0.512, n))


def test_missing_trees_are_added_near_known_ones() -> None:
    # two trees at 5 m, min_trees 3: the data misses a quarter of the trees, so
    # round(2 · 0.25 / 0.75) = round(0.667) = 1 tree is added per sample, within 10 m of
    # a known one — at most 15 m from the home, always within 30 m: every sample meets
    spec = {
        "samples": 40,
        "data": {"trees": {"missing_share": 0.25, "missing_radius_m": 10}},
    }
    r = report(one_home([(5, 0), (0, 5)]), spec)
    share = r["metrics"][SHARE_3]
    assert share["baseline"] == 0.0  # 2 trees < 3
    assert share["probability_meeting_norm"] == 1.0 and share["p5"] == 1.0


def test_perturb_layer_moves_values_and_leaves_the_parsed_layer_alone() -> None:
    raw = fc(*(feature(p(10 * i, 0), f"z{i}", lden=55.0) for i in range(2000)))
    layer = geo.read_layers(GREEN.inputs[:1], {"buildings": raw})[0]["buildings"]
    before = shapely.get_coordinates(layer.geometries).copy()
    err = DataError(position_sd_m=2.0, values={"lden": 3.0})
    out = perturb_layer(layer, err, np.random.default_rng(0))
    lden = np.array([f["properties"]["lden"] for f in out.features])
    # values: 55 + N(0, 3): mean within 4·3/√2000 = 0.27, sd within a few percent
    assert lden.mean() == pytest.approx(55.0, abs=0.27)
    assert lden.std(ddof=1) == pytest.approx(3.0, rel=0.07)
    assert out.properties[0]["lden"] == lden[0]
    moved = shapely.get_coordinates(out.geometries) - before
    assert moved.std(ddof=1) == pytest.approx(2.0, rel=0.07)
    # the parsed layer is what every sample starts from: unchanged
    assert np.array_equal(shapely.get_coordinates(layer.geometries), before)
    assert layer.properties[0]["lden"] == 55.0


@settings(max_examples=examples(20), deadline=None)
@given(
    dx=st.floats(-100, 100),
    dy=st.floats(-100, 100),
    width=st.floats(1, 50),
)
def test_a_polygon_moves_as_a_whole(dx: float, dy: float, width: float) -> None:
    from gsl_indicators.core.uncertainty import _move

    poly = shapely.box(0, 0, width, 2 * width)
    [moved] = _move(np.array([poly]), np.array([dx]), np.array([dy]))
    assert moved.area == pytest.approx(poly.area)
    assert moved.centroid.x == pytest.approx(poly.centroid.x + dx)
    assert moved.centroid.y == pytest.approx(poly.centroid.y + dy)


# ------------------------------------------------------------------ engine properties


def test_same_seed_same_report_whatever_the_threads() -> None:
    inputs = one_home([(20, 0), (0, 28), (-35, 0)])
    params = GREEN.validate_parameters(inputs)
    layers, _ = geo.read_layers(GREEN.inputs, inputs)
    spec = parse_spec(
        GREEN,
        {
            "samples": 30,
            "seed": 5,
            "parameters": {"tree_distance_m": {"distribution": "normal", "mean": 30, "sd": 8}},
            "data": {"trees": {"position_sd_m": 3}, "buildings": {"position_sd_m": 1}},
        },
    )

    def runs(s: Any, workers: int) -> list[Any]:
        return [
            jsonable(x.overall) for x in MonteCarlo(GREEN, layers, params, s, workers=workers).run()
        ]

    one = runs(spec, 1)
    assert one == runs(spec, 2)
    assert runs(parse_spec(GREEN, {**spec.model_dump(), "seed": 6}), 1) != one


def test_the_sensitivity_monte_carlo_method_is_the_same_engine() -> None:
    inputs = one_home([(20, 0), (0, 28), (-35, 0)])
    spec = {
        "samples": 25,
        "parameters": {"tree_distance_m": {"distribution": "uniform", "low": 10, "high": 50}},
    }
    own = report(inputs, spec)
    doc = execute(
        SENSITIVITY,
        {
            "process": "green-3-30-300",
            "inputs": inputs,
            "method": "monte-carlo",
            "uncertainty": spec,
        },
    )
    assert doc["uncertainty"] == own
    assert doc["summary"]["runs"] == 26 and doc["summary"]["parameters_varied"] == 1
    assert doc["baseline"]["parameters"] == {"tree_distance_m": 30.0}


def test_headline_and_default_metrics() -> None:
    r = report(one_home([(5, 0), (0, 5), (-5, 0)]), {"samples": 5})
    # nl-default's headline of green-3-30-300
    assert r["headline"]["metric"] == "share_dwellings_meeting_all_three"
    # counts (no direction) are left out unless named
    assert "buildings" not in r["metrics"] and SHARE_3 in r["metrics"]
    named = report(one_home([(5, 0)]), {"samples": 5, "metrics": ["buildings"]})
    assert list(named["metrics"]) == ["buildings"]
    assert named["metrics"]["buildings"]["p50"] == 1.0


def test_without_uncertainty_there_is_no_output() -> None:
    assert "uncertainty" not in execute(GREEN, one_home([(5, 0)]))


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (
            {"parameters": {"nope": {"distribution": "uniform", "low": 1, "high": 2}}},
            "parameters.nope",
        ),
        (
            {"parameters": {"profile": {"distribution": "choice", "values": ["nl-default"]}}},
            "parameters.profile",
        ),
        (
            {"parameters": {"distance_mode": {"distribution": "uniform", "low": 1, "high": 2}}},
            "choice",
        ),
        (
            {"parameters": {"distance_mode": {"distribution": "choice", "values": ["x"]}}},
            "value 'x'",
        ),
        (
            {"parameters": {"tree_distance_m": {"distribution": "uniform", "low": 5, "high": 1}}},
            "low",
        ),
        ({"data": {"roads": {"position_sd_m": 1}}}, "data.roads"),
        ({"data": {"trees": {"omit_share": 1.0}}}, "omit_share"),
        ({"samples": 1}, "samples"),
        ({"samples": 100000}, "samples"),
        ({"metrics": ["nope"]}, "metrics"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_specs_name_the_entry(spec: dict[str, Any], reason: str) -> None:
    with pytest.raises(InputError) as err:
        execute(GREEN, {**one_home([(5, 0)]), "uncertainty": spec})
    assert err.value.input_name == "uncertainty"
    assert reason in err.value.reason


def test_sensitivity_refuses_distributions_without_monte_carlo() -> None:
    inputs = one_home([(5, 0)])
    with pytest.raises(InputError) as err:
        execute(SENSITIVITY, {"process": "green-3-30-300", "inputs": inputs, "uncertainty": {}})
    assert err.value.input_name == "uncertainty"
    with pytest.raises(InputError) as err:
        execute(
            SENSITIVITY, {"process": "green-3-30-300", "inputs": inputs, "method": "monte-carlo"}
        )
    assert "needs `uncertainty`" in err.value.reason
    with pytest.raises(InputError) as err:
        execute(
            SENSITIVITY,
            {
                "process": "green-3-30-300",
                "inputs": inputs,
                "method": "monte-carlo",
                "uncertainty": {"samples": 300},
            },
        )
    assert "max_runs" in err.value.reason


def test_shared_canopy_work_is_reused_only_while_the_crowns_stay() -> None:
    # one 100 × 100 m neighbourhood; a 20 × 20 m crown in its middle: canopy share 0.04
    inputs = {
        **one_home([(5, 0)]),
        "neighbourhoods": fc(feature(box(X - 50, Y - 50, X + 50, Y + 50), "BU1")),
        "canopy": fc(feature(box(X - 10, Y - 10, X + 10, Y + 10), "c1")),
    }
    still = report(inputs, {"samples": 20, "data": {"trees": {"position_sd_m": 5}}})
    m = still["metrics"]["canopy_share"]
    assert (m["baseline"], m["p5"], m["p95"]) == (0.04, 0.04, 0.04)  # 400 / 10,000
    # crowns moved by σ = 30 m: parts leave the neighbourhood in some samples; the memo
    # must not hand them the unmoved crown's area
    moved = report(inputs, {"samples": 40, "data": {"canopy": {"position_sd_m": 30}}})
    m = moved["metrics"]["canopy_share"]
    assert m["p5"] < 0.04 and m["p95"] == 0.04


def test_urbanity_reports_its_numbers_and_the_radius_moves_the_density() -> None:
    # three addresses on a line at 0, 1000 and 3000 m; radius_m ~ uniform(1100, 1900):
    # within r: 2, 2, 1 addresses (the 1000 m pair only; 2000 m > 1900), so the mean
    # density is (5/3) / (π r²) with r in km, falling with r: p5 of the density is the
    # density at p95 of r; at r = 1.1 and 1.9 km: 0.43845 and 0.14696 addresses/km²
    ind = registry().get("urbanity-class")
    addresses = fc(*(feature(p(x, 0), f"a{i}") for i, x in enumerate((0, 1000, 3000))))
    spec = {
        "samples": 400,
        "parameters": {"radius_m": {"distribution": "uniform", "low": 1100, "high": 1900}},
    }
    r = execute(ind, {"addresses": addresses, "uncertainty": spec})["uncertainty"]
    dens = r["metrics"]["mean_address_density"]  # no metric has a direction: all numbers
    assert "addresses" in r["metrics"]
    assert 5 / 3 / (math.pi * 1.9**2) < dens["p5"] < dens["p50"] < dens["p95"]
    assert dens["p95"] < 5 / 3 / (math.pi * 1.1**2)
    # the median radius is about 1500 m: density (5/3) / (π · 2.25) = 0.23579; the sample
    # median of 400 uniform draws has σ ≈ 800 · 0.5 / √400 = 20 m, i.e. 2.7 % of the
    # density (∝ r⁻²): 4σ is 11 %
    assert dens["p50"] == pytest.approx(5 / 3 / (math.pi * 2.25), rel=0.11)


@pytest.mark.parametrize(
    ("given", "name"), [({"parameters": ["min_trees"]}, "parameters"), ({"steps": 21}, "steps")]
)
def test_one_at_a_time_inputs_are_refused_with_monte_carlo(given, name) -> None:
    """They were ignored without a word: only `uncertainty` says what a Monte Carlo varies."""
    spec = {
        "samples": 5,
        "parameters": {"tree_distance_m": {"distribution": "uniform", "low": 10, "high": 50}},
    }
    request = {"process": "green-3-30-300", "inputs": one_home([(5, 0)]), "method": "monte-carlo"}
    with pytest.raises(InputError) as err:
        execute(SENSITIVITY, {**request, "uncertainty": spec, **given})
    assert err.value.input_name == name and "one-at-a-time" in err.value.reason
