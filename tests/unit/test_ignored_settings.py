"""Settings a request gives that nothing reads are said, or refused where they contradict.

Each case here was ignored without a word before (found by a hunt over every process's
parameters): housing-capacity's parameters of a constraint it does not evaluate, the
parking zones' defaults when every zone has its own value, a parameter of urbanity's own
Monte Carlo inherited by parking, MKBA's premium range on the wrong side of its central
value or without a premium to apply it to.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gsl_indicators.core.run import key_parameters, prepare
from gsl_indicators.core.spec import InputError, registry
from results import execute


def example(process_id: str) -> dict[str, Any]:
    ex = registry().get(process_id).describe()["example"]
    return copy.deepcopy(ex.get("inputs", ex))


def ignored(out: dict[str, Any]) -> dict[str, str]:
    warnings = out["data_quality"].get("warnings", [])
    return {w["input"]: w["message"] for w in warnings if w["code"] == "input-ignored"}


# ------------------------------------------------------------ housing-capacity


def test_a_constraint_s_parameters_without_that_constraint_are_said() -> None:
    inputs = {
        **example("housing-capacity"),
        "constraints": ["green-per-dwelling"],
        "threshold": 0.9,  # parking's
        "walking_speed_m_s": 1.2,  # proximity's
        "radius_m": 300.0,  # green's: read
    }
    got = ignored(execute(registry().get("housing-capacity"), inputs))
    # new_dwelling_type (set by the example) is the parking norm table's type
    assert set(got) == {"threshold", "walking_speed_m_s", "new_dwelling_type"}
    assert got["threshold"] == (
        "'threshold' was given but not used: read only when constraints includes "
        "'parking-pressure' (it is ['green-per-dwelling'])"
    )


def test_a_constraint_s_parameters_without_its_input_are_said() -> None:
    inputs = example("housing-capacity")
    del inputs["parking"], inputs["new_dwelling_type"]
    inputs["norm_table"] = "example"
    out = execute(registry().get("housing-capacity"), inputs)
    # the constraint itself says why it did not run, and the setting says it was unread
    assert ignored(out) == {
        "norm_table": "'norm_table' was given but not used: read only with parking, "
        "which was not given"
    }
    assert out["constraints"]["parking-pressure"]["status"] == "unavailable"


def test_every_housing_default_request_reports_nothing_ignored() -> None:
    out = execute(registry().get("housing-capacity"), example("housing-capacity"))
    assert ignored(out) == {}


def test_a_network_setting_needs_both_network_distances_and_the_proximity_constraint() -> None:
    described = registry().get("housing-capacity").describe()["inputs"]["snap_limit_m"]
    assert described["x-used-when"] == {
        "distance_mode": "network",
        "constraints": "proximity-facilities",
    }
    assert described["x-read-with"] == ["facilities"]


@pytest.mark.parametrize("process_id", ["parking-pressure", "housing-capacity"])
def test_urbanity_s_own_monte_carlo_is_not_a_parameter(process_id: str) -> None:
    """``urbanity_uncertainty`` was declared (inherited from urbanity-class) and read by nothing."""
    assert "urbanity_uncertainty" not in registry().get(process_id).describe()["inputs"]
    with pytest.raises(InputError) as err:
        execute(registry().get(process_id), {**example(process_id), "urbanity_uncertainty": {}})
    assert err.value.input_name == "urbanity_uncertainty"


# ------------------------------------------------------------ the zones' defaults


@pytest.mark.parametrize("process_id", ["parking-pressure", "housing-capacity"])
def test_zone_defaults_are_said_when_every_zone_has_its_own_value(process_id: str) -> None:
    inputs = example(process_id)
    zones = "zones" if process_id == "parking-pressure" else "neighbourhoods"
    inputs[zones]["features"][1]["properties"]["location"] = "rest-built-up"
    inputs |= {"urbanity_radius_m": 1000.0, "default_location": "centre"}
    got = ignored(execute(registry().get(process_id), inputs))
    assert got == {
        "urbanity_radius_m": "'urbanity_radius_m' was given but not used: every zone of "
        f"'{zones}' has its own valid 'urbanity_class'",
        "default_location": "'default_location' was given but not used: every zone of "
        f"'{zones}' has its own valid 'location'",
    }
    # the same values left to their defaults: nothing said, and another cache key
    ind = registry().get(process_id)
    plain = {k: v for k, v in inputs.items() if k not in ("urbanity_radius_m", "default_location")}
    assert ignored(execute(ind, plain)) == {}
    assert key_parameters(ind, prepare(ind, inputs), inputs) != key_parameters(
        ind, prepare(ind, plain), plain
    )


def test_zone_defaults_used_by_one_zone_are_not_said() -> None:
    inputs = example("parking-pressure")  # zone 'east' has no location
    del inputs["zones"]["features"][0]["properties"]["urbanity_class"]
    inputs |= {"urbanity_radius_m": 800.0, "default_location": "centre"}
    out = execute(registry().get("parking-pressure"), inputs)
    assert ignored(out) == {}
    assert out["data_quality"]["zones_urbanity_computed"] == 1


# ------------------------------------------------------------ MKBA's green premium


@pytest.mark.parametrize(
    ("given", "name", "words"),
    [
        ({"house_value_premium_high": 0.02}, "house_value_premium_high", "lies below"),
        (
            {"house_value_premium": 0.1, "house_value_premium_low": 0.2},
            "house_value_premium_low",
            "lies above house_value_premium 0.1",
        ),
    ],
)
def test_a_premium_range_on_the_wrong_side_of_its_centre_is_refused(
    given: dict[str, float], name: str, words: str
) -> None:
    """It was moved to the central value without a word (the range collapsed)."""
    with pytest.raises(InputError) as err:
        execute(registry().get("mkba"), {**example("mkba"), **given})
    assert err.value.input_name == name and words in err.value.reason


def test_a_central_premium_above_the_default_high_end_still_lifts_it() -> None:
    # only a range the request sets itself is refused; the defaults follow the centre
    out = execute(registry().get("mkba"), {**example("mkba"), "house_value_premium": 0.35})
    premium = next(e for e in out["effects"] if e["basis"] == "one-off" and "premium" in e["name"])
    # 20 homes × €350,000 × 0.35 = €2,450,000; low: the default 0.04 → €280,000
    assert (premium["value_eur"], premium["high_eur"]) == pytest.approx((2_450_000, 2_450_000))
    assert premium["low_eur"] == pytest.approx(280_000)


def test_premium_settings_without_a_green_premium_are_said() -> None:
    inputs = {**example("mkba"), "house_value_premium_high": 0.2}
    del inputs["green_premium"]
    assert ignored(execute(registry().get("mkba"), inputs)) == {
        "house_value_premium_high": "'house_value_premium_high' was given but not used: "
        "read only with green_premium, which was not given"
    }


# ------------------------------------------------------------ JSON types


def _numbers() -> list[tuple[str, str]]:
    return [
        (ind.id, p.name)
        for ind in registry()
        for p in ind.parameters
        if p.type in ("number", "integer") and p.enum is None and p.annotation is None
    ]


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_a_number_in_any_parameter(value: bool) -> None:
    """pydantic's lax mode read JSON ``true`` as 1 (a `tree_distance_m` of 1 m)."""
    numbers = _numbers()
    assert len(numbers) > 100
    for process_id, name in numbers:
        with pytest.raises(InputError) as err:
            ind = registry().get(process_id)
            ind.validate_parameters({**(ind.example or {}), name: value})
        assert err.value.input_name == name
        assert "a boolean is not a number" in err.value.reason, (process_id, name)


def test_a_numeric_string_is_still_a_number() -> None:
    """Tygron's trigger query values arrive as text: ``"35"`` stays 35 m."""
    checked = registry().get("green-3-30-300").validate_parameters({"tree_distance_m": "35"})
    assert checked["tree_distance_m"] == 35.0
