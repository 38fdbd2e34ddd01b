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

from gsl_indicators.core.exposure import grid_bytes
from gsl_indicators.core.run import key_parameters, prepare
from gsl_indicators.core.spec import InputError, registry
from results import execute

PREMIUM = {"homes": 20, "mean_home_value_eur": 350000, "year": 2028}  # the mkba example's


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
    # new_dwelling_type (set by the example) is the parking norm table's type; the
    # example's parking and facilities layers are read by the constraints left out
    assert set(got) == {
        "threshold",
        "walking_speed_m_s",
        "new_dwelling_type",
        "parking",
        "facilities",
    }
    assert got["facilities"] == (
        "'facilities' was given but not used: read only when constraints includes "
        "'proximity-facilities' (it is ['green-per-dwelling'])"
    )
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
            "lies above the central premium 0.1 (house_value_premium)",
        ),
        (  # the premium's own share is the centre
            {"green_premium": {**PREMIUM, "premium_share": 0.2}, "house_value_premium_high": 0.1},
            "house_value_premium_high",
            "lies below the central premium 0.2 (green_premium.premium_share)",
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


def test_a_range_around_the_premium_s_own_share_is_kept() -> None:
    """The check compared with house_value_premium, not the share in use: refused wrongly."""
    inputs = {
        **example("mkba"),
        "green_premium": {**PREMIUM, "premium_share": 0.01},
        "house_value_premium_high": 0.03,
    }
    out = execute(registry().get("mkba"), inputs)
    premium = next(e for e in out["effects"] if "premium" in e["name"])
    # 20 × €350,000 × 0.01 = €70,000; high 0.03 → €210,000; low min(0.01, 0.04) → €70,000
    assert (premium["value_eur"], premium["low_eur"], premium["high_eur"]) == pytest.approx(
        (70_000, 70_000, 210_000)
    )


def test_premium_settings_the_premium_gives_itself_are_said() -> None:
    gp = {**PREMIUM, "premium_share": 0.1, "high_share": 0.2}
    inputs = {
        **example("mkba"),
        "green_premium": gp,
        "house_value_premium": 0.05,
        "house_value_premium_high": 0.3,
        "house_value_premium_low": 0.02,  # read: the premium gives no low_share
    }
    got = ignored(execute(registry().get("mkba"), inputs))
    assert got == {
        "house_value_premium": "'house_value_premium' was given but not used: green_premium "
        "gives its own premium_share",
        "house_value_premium_high": "'house_value_premium_high' was given but not used: "
        "green_premium gives its own high_share",
    }


def test_mkba_settings_no_effect_reads_are_said() -> None:
    # the example's effects have no lifetime_years; one is valued in QALYs
    inputs = {**example("mkba"), "qaly_value_eur": 60000.0, "residual_value": "none"}
    assert set(ignored(execute(registry().get("mkba"), inputs))) == {"residual_value"}
    inputs["effects"] = [e for e in inputs["effects"] if "qaly_per_year" not in e]
    assert set(ignored(execute(registry().get("mkba"), inputs))) == {
        "qaly_value_eur",
        "residual_value",
    }


def test_a_central_premium_above_the_default_high_end_still_lifts_it() -> None:
    # only a range the request sets itself is refused; the defaults follow the centre
    out = execute(registry().get("mkba"), {**example("mkba"), "house_value_premium": 0.35})
    premium = next(e for e in out["effects"] if e["basis"] == "one-off" and "premium" in e["name"])
    # 20 homes × €350,000 × 0.35 = €2,450,000; low: the default 0.04 → €280,000
    assert (premium["value_eur"], premium["high_eur"]) == pytest.approx((2_450_000, 2_450_000))
    assert premium["low_eur"] == pytest.approx(280_000)


def test_premium_settings_without_a_green_premium_are_said() -> None:
    # 0.01 lies below the central 0.04: without a premium nothing is read, not a 400
    inputs = {**example("mkba"), "house_value_premium_high": 0.01}
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


# ------------------------------------------------------------ read only with another input


@pytest.mark.parametrize(
    ("process_id", "given", "drop", "why"),
    [
        # heat's shade settings: only the shade of public space reads them
        (
            "heat",
            {"date": "07-01", "shade_target": 0.4, "latitude": 52.0, "time": "13:00"},
            ("public_space", "canopy"),
            "read only with public_space, which was not given",
        ),
        ("ggo-light", {"radius_m": 800.0}, (), "read only with parks, which was not given"),
        (
            "ggo-light",
            {"who_lden_road": 50.0},
            (),
            "read only with exposure_zones, which was not given",
        ),
        # the quantity of value_property or of the grid, with neither
        (
            "air-quality",
            {"value_quantity": "pm25"},
            (),
            "read only with value_property or exposure_grid, neither of which was given",
        ),
        ("parking-pressure", {"demand_basis": "norm"}, (), "read only with occupancy"),
        (
            "housing-capacity",
            {"constraints": ["parking-pressure"], "max_added_dwellings": 5000},
            (),
            "read only when constraints includes 'proximity-facilities'",
        ),
        (
            "proximity-facilities",
            {"walking_speed_m_s": 1.2},  # the default profiles are distances
            (),
            "no mobility profile is given in minutes without its own speed",
        ),
    ],
)
def test_settings_read_only_with_what_the_request_lacks_are_said(
    process_id: str, given: dict[str, Any], drop: tuple[str, ...], why: str
) -> None:
    inputs = {k: v for k, v in example(process_id).items() if k not in drop} | given
    got = ignored(execute(registry().get(process_id), inputs))
    settings = set(given) - {"constraints"}
    assert settings <= set(got), got
    assert all(why in got[name] for name in settings), got


def test_a_walking_speed_a_profile_walks_at_is_read() -> None:
    inputs = {
        **example("proximity-facilities"),
        "mobility_profiles": {"slow": {"minutes": 5}},
        "walking_speed_m_s": 0.8,
    }
    assert ignored(execute(registry().get("proximity-facilities"), inputs)) == {}


def test_a_profile_with_two_speeds_is_refused() -> None:
    profiles = {"slow": {"minutes": 5, "speed_m_s": 1.0, "speed_km_h": 1.8}}
    with pytest.raises(InputError) as err:
        execute(
            registry().get("proximity-facilities"),
            {**example("proximity-facilities"), "mobility_profiles": profiles},
        )
    assert err.value.input_name == "mobility_profiles"
    assert "give speed_m_s or speed_km_h, not both" in err.value.reason


def test_a_constraint_without_its_input_does_not_judge_its_norm() -> None:
    """Its threshold set with norm_source 'profile' was a 400 ('two different norms')
    although the constraint could not run and the threshold was reported unread."""
    inputs = example("housing-capacity")
    del inputs["parking"], inputs["new_dwelling_type"]
    inputs |= {"threshold": 0.9, "norm_source": "profile"}
    out = execute(registry().get("housing-capacity"), inputs)
    assert set(ignored(out)) == {"threshold"}
    assert out["constraints"]["parking-pressure"] == {
        "status": "unavailable",
        "reason": "input 'parking' is not given",
    }


# ------------------------------------------------------------ every feature has its own


def test_a_default_dwelling_type_no_feature_needs_is_said() -> None:
    inputs = {**example("parking-pressure"), "default_dwelling_type": "terraced"}
    # the example's fourth dwelling has no type: give it one of the table's
    inputs["dwellings"]["features"][3]["properties"]["dwelling_type"] = "terraced"
    got = ignored(execute(registry().get("parking-pressure"), inputs))
    assert got == {
        "default_dwelling_type": "'default_dwelling_type' was given but not used: every "
        "feature has its own valid 'dwelling_type'"
    }
    inputs["dwellings"]["features"][0]["properties"]["dwelling_type"] = "bungalow"  # unknown
    assert ignored(execute(registry().get("parking-pressure"), inputs)) == {}


def test_a_floor_height_every_building_overrides_is_said() -> None:
    inputs = example("flood-safety")  # sets floor_height_m; one building has its own
    assert ignored(execute(registry().get("flood-safety"), inputs)) == {}
    for f in inputs["buildings"]["features"]:
        f["properties"]["floor_height_m"] = 0.5
    assert set(ignored(execute(registry().get("flood-safety"), inputs))) == {"floor_height_m"}


def test_indicative_widths_no_line_needs_are_said() -> None:
    table = [{"voltage_kv": 150, "zone_width_m": 60}]
    inputs = {**example("emf"), "indicative_widths": table}  # the line has its own width
    got = ignored(execute(registry().get("emf"), inputs))
    assert got == {
        "indicative_widths": "'indicative_widths' was given but not used: every line has its "
        "own 'zone_width_m'"
    }
    del inputs["power_lines"]["features"][0]["properties"]["zone_width_m"]
    out = execute(registry().get("emf"), inputs)
    assert ignored(out) == {} and out["data_quality"]["widths_from_indicative_widths"] == 1


def test_a_urbanity_class_still_read_is_not_said_to_be_overridden() -> None:
    """Parking reads a zone's urbanity_class for its norms whatever the area type."""
    inputs = {**example("parking-pressure"), "area_type": "3"}
    out = execute(registry().get("parking-pressure"), inputs)
    codes = [w["code"] for w in out["data_quality"].get("warnings", [])]
    assert "area-type-overridden" not in codes


def test_an_area_type_parameter_over_the_areas_own_is_said() -> None:
    inputs = {**example("ggo-light"), "area_type": "binnenstad"}  # the plan has its own
    out = execute(registry().get("ggo-light"), inputs)
    overridden = [w for w in out["data_quality"]["warnings"] if w["code"] == "area-type-overridden"]
    assert [w["message"] for w in overridden] == [
        "the area_type parameter 'binnenstad' applies to every feature: the own "
        "'area_type' of 1 feature is not used"
    ]


# ------------------------------------------------------------ uncertainty and sensitivity


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {"parameters": {"idw_power": {"distribution": "normal", "mean": 2, "sd": 0.5}}},
            "parameters.idw_power: not read by this request: read only when point_method is 'idw'",
        ),
        (
            {"data": {"exposure_points": {"position_sd_m": 10}}},
            "data.exposure_points: an error on data not read: the layer is not given",
        ),
        (
            {"data": {"buildings": {"missing_radius_m": 10}}},
            "missing_radius_m is read only with a missing_share above 0",
        ),
    ],
)
def test_an_uncertainty_on_what_the_request_does_not_read_is_refused(
    spec: dict[str, Any], words: str
) -> None:
    """Each gave samples all alike, reported as a certain result."""
    inputs = {**example("air-quality"), "uncertainty": {"samples": 5, **spec}}
    with pytest.raises(InputError) as err:
        execute(registry().get("air-quality"), inputs)
    assert err.value.input_name == "uncertainty" and words in err.value.reason, err.value


def test_a_sensitivity_of_a_setting_the_request_does_not_read_is_refused() -> None:
    """It was reported 'insensitive' (swing 0)."""
    target = example("air-quality")
    inputs = {"process": "air-quality", "inputs": target, "parameters": ["idw_power"]}
    with pytest.raises(InputError) as err:
        execute(registry().get("sensitivity"), inputs)
    assert err.value.input_name == "parameters"
    assert "'idw_power' is not read by this request of 'air-quality'" in err.value.reason
    # by default only what the request reads is varied
    out = execute(registry().get("sensitivity"), {"process": "air-quality", "inputs": target})
    varied = set(out["sensitivity"])
    assert varied and not varied & {"idw_power", "point_radius_m", "grid_band"}


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        ({"base64": "", "href": "https://example.org/a.tif"}, "by 'href' or inline"),
        ({"base64": "", "band": 2}, "'band' is not a member of an inline grid"),
    ],
)
def test_an_inline_grid_with_what_nothing_reads_is_refused(
    grid: dict[str, Any], words: str
) -> None:
    """The href beside base64 was never fetched; other members were dropped."""
    with pytest.raises(InputError) as err:
        grid_bytes(grid)
    assert err.value.input_name == "exposure_grid" and words in err.value.reason


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({"tree_size_property": "height"}, "min_tree_size_m is 0: every tree counts"),
        (
            {"merge_touching_parks": False, "park_merge_gap_m": 5.0},
            "a park_merge_gap_m above 0 merges touching parks",
        ),
    ],
)
def test_green_settings_the_others_make_moot_are_said(given: dict[str, Any], why: str) -> None:
    out = execute(registry().get("green-3-30-300"), {**example("green-3-30-300"), **given})
    got = ignored(out)
    name = next(iter(given))
    assert list(got) == [name] and why in got[name]


def test_a_tree_size_property_with_a_minimum_size_is_read() -> None:
    inputs = {**example("green-3-30-300"), "tree_size_property": "height", "min_tree_size_m": 4}
    assert ignored(execute(registry().get("green-3-30-300"), inputs)) == {}


def test_a_profile_override_of_no_indicator_is_refused() -> None:
    """It was merged into the profile and read by nothing."""
    override = {"indicators": {"air_quality": {"metrics": {}}}}  # the id is air-quality
    with pytest.raises(InputError) as err:
        execute(
            registry().get("air-quality"), {**example("air-quality"), "profile_override": override}
        )
    assert err.value.input_name == "profile_override"
    assert "indicators.air_quality: no indicator of that id" in err.value.reason


def test_a_value_error_on_a_property_no_feature_has_is_refused() -> None:
    """``values: {"foo": 5}`` varied nothing and reported a certain result."""
    data = {"exposure_zones": {"values": {"foo": 5.0}}}
    inputs = {**example("air-quality"), "uncertainty": {"samples": 5, "data": data}}
    with pytest.raises(InputError) as err:
        execute(registry().get("air-quality"), inputs)
    assert err.value.input_name == "uncertainty"
    assert "data.exposure_zones.values.foo: no feature of 'exposure_zones' has a 'foo'" in (
        err.value.reason
    )
    data = {"exposure_zones": {"values": {"no2": 2.0}}}
    inputs["uncertainty"] = {"samples": 5, "data": data}
    assert execute(registry().get("air-quality"), inputs)["uncertainty"]["samples"] == 5


def test_an_error_on_a_layer_a_chosen_setting_reads_is_kept() -> None:
    """The network is read in the samples that choose network distances."""
    choice = {"distribution": "choice", "values": ["euclidean", "network"]}
    spec = {
        "samples": 4,
        "parameters": {"distance_mode": choice},
        "data": {"network": {"position_sd_m": 5.0}},
    }
    inputs = {**example("proximity-facilities"), "distance_mode": "euclidean", "uncertainty": spec}
    assert execute(registry().get("proximity-facilities"), inputs)["uncertainty"]["samples"] == 4


def test_the_catalog_cards_walking_speed_is_read() -> None:
    """The cards let a municipality set the walking speed; with distance profiles it was
    read by nothing (two accents gave the same scores). Their profiles are walks now, the
    same 300 m and 150 m at the default speed."""
    from gsl_indicators.core.cards import resolve_card
    from gsl_indicators.indicators.proximity import profile_reaches

    for name in ("ggo-utrecht-example", "nieuwegein-woningbouwmonitor-example"):
        entry = next(
            e for _, e in resolve_card(name).entries() if e.indicator == "proximity-facilities"
        )
        profiles = entry.parameters["mobility_profiles"]
        assert profile_reaches(profiles, 1.0) == {"standard": 300.0, "reduced": 150.0}
        assert profile_reaches(profiles, 1.4) == {"standard": 420.0, "reduced": 150.0}
