"""Impossible values in the data or the parameters are refused, naming the input — never
a 500 (an overflow to infinity in GEOS, an integer too large for JSON) nor a silent share
above one. Found by two bug hunts over every process (valid-but-degenerate layers, and
parameters at and beyond their edges); each case here answered 500 or nonsense before.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gsl_indicators.core.spec import InputError, registry
from results import execute


def example(process_id: str) -> dict[str, Any]:
    ex = registry().get(process_id).describe()["example"]
    return copy.deepcopy(ex.get("inputs", ex))


def with_property(inputs: dict[str, Any], layer: str, **props: Any) -> dict[str, Any]:
    """Set ``props`` on the first feature of ``layer``."""
    inputs[layer]["features"][0]["properties"].update(props)
    return inputs


def refused(process_id: str, inputs: dict[str, Any], name: str, *words: str) -> InputError:
    with pytest.raises(InputError) as err:
        execute(registry().get(process_id), inputs)
    assert err.value.input_name == name, err.value
    for w in words:
        assert w in err.value.reason, err.value.reason
    return err.value


@pytest.mark.parametrize(
    ("process_id", "layer", "props", "name", "words"),
    [
        # 500 before: shadows of a 1e308 m building at a low sun overflowed GEOS
        ("heat", "buildings", {"height": 1e308}, "buildings", ("'height' outside -10–1000",)),
        ("heat", "buildings", {"height": -9999}, "buildings", ("such as -9999", "-10–1000")),
        # 500 before: a 1e308 m EMF zone buffered to infinity
        ("emf", "power_lines", {"zone_width_m": 1e308}, "power_lines", ("'zone_width_m'",)),
        # 500 before: year 1e308 became an int beyond 64 bits in the JSON
        ("housing-capacity", "plan", {"year": 1e308}, "plan", ("'year' outside 1800–2300",)),
        ("air-quality", "exposure_zones", {"no2": -5}, "exposure_zones", ("give a no2", "-5")),
        ("noise", "exposure_zones", {"lden": 1e308}, "exposure_zones", ("lden_road",)),
        (
            "flood-safety",
            "exposure_zones",
            {"depth": 1e308},
            "exposure_zones",
            ("depth above 10000",),
        ),
        ("air-quality", "buildings", {"dwellings": 1e308}, "buildings", ("100,000",)),
        (
            "ggo-light",
            "plan_areas",
            {"trees_planted": -5},
            "plan_areas",
            ("'trees_planted' outside 0–1e+09",),
        ),
        ("ggo-light", "plan_areas", {"paved_m2": 1e7}, "plan_areas", ("more paved and built",)),
    ],
)
def test_impossible_data_is_refused_naming_the_layer(process_id, layer, props, name, words):
    inputs = with_property(example(process_id), layer, **props)
    if process_id == "heat":
        inputs["date"] = "12-21"  # a low sun: the long shadows that overflowed
    refused(process_id, inputs, name, *words)


def test_plausible_values_at_the_edges_still_count() -> None:
    inputs = with_property(example("heat"), "buildings", height=0)
    assert execute(registry().get("heat"), inputs)["summary"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"facility_types": ["zorg-centrum"]}, "facility_types"),  # 500: not a metric id
        ({"facility_types": [""]}, "facility_types"),
        ({"mobility_profiles": {"Slow": 200}}, "mobility_profiles"),
        ({"visit_weights": {"supermarkt": 1e308}}, "visit_weights"),  # shares of inf
    ],
)
def test_proximity_names_and_weights_that_cannot_work_are_refused(params, name) -> None:
    refused("proximity-facilities", {**example("proximity-facilities"), **params}, name)


def test_mkba_amounts_beyond_any_plan_are_refused() -> None:
    """1e300 € a year grew to infinity: NPV null beside a break-even year of 2025."""
    inputs = example("mkba")
    inputs["effects"][0] = {"name": "x", "kind": "benefit", "amount_eur": 1e300, "growth": 0.5}
    refused("mkba", inputs, "effects", "less than or equal to")


def test_more_play_than_built_up_area_is_said() -> None:
    """play_share is play area ÷ built-up area by design (play anywhere in the
    neighbourhood counts), so it may pass 1 — never in silence."""
    inputs = example("play-space")
    nbh = inputs["neighbourhoods"]["features"][0]["geometry"]["coordinates"][0]
    x0, y0 = nbh[0]
    inputs["built_up"] = {
        "type": "FeatureCollection",
        "crs": inputs["neighbourhoods"].get("crs"),
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[x0, y0], [x0 + 1, y0], [x0 + 1, y0 + 1], [x0, y0 + 1], [x0, y0]]
                    ],
                },
            }
        ],
    }
    out = execute(registry().get("play-space"), {k: v for k, v in inputs.items() if v is not None})
    codes = [w["code"] for w in out["data_quality"]["warnings"]]
    assert "play-exceeds-built-up" in codes


def test_latitude_first_is_refused_not_placed_in_the_arabian_sea() -> None:
    """EPSG:4326 in its authority order (lat, lon) put Amsterdam at 52° E, 4.9° N: the
    run went on in UTM 39N with areas 1.6× too large and every share changed."""
    from pyproj import Transformer

    inputs = example("green-3-30-300")
    to_wgs = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)

    def swap(coords: Any) -> Any:
        if isinstance(coords[0], (int, float)):
            lon, lat = to_wgs.transform(coords[0], coords[1])
            return [lat, lon]
        return [swap(c) for c in coords]

    for layer in ("buildings", "parks", "trees", "canopy", "neighbourhoods"):
        fc = inputs.get(layer)
        if fc is None:
            continue
        fc.pop("crs", None)
        for f in fc["features"]:
            f["geometry"]["coordinates"] = swap(f["geometry"]["coordinates"])
    refused("green-3-30-300", inputs, "buildings", "latitude, longitude", "swap them")


def test_a_ges_table_for_a_factor_the_process_does_not_score_is_refused() -> None:
    """Was ignored without a word (a pm10 table sent to noise)."""
    table = {"limits": [0, 20], "scores": [2, 5]}
    inputs = {**example("noise"), "ges_tables": {"pm10": table}}
    refused("noise", inputs, "ges_tables", "'pm10' is not a factor", "lden_road")
    ok = {**example("noise"), "ges_tables": {"lden_rail": table}}
    assert execute(registry().get("noise"), ok)["summary"]


@pytest.mark.parametrize(
    ("process_id", "layer", "prop", "values", "sd"),
    [
        ("heat", "exposure_zones", "hot_nights", [1.0], 2.0),
        ("air-quality", "exposure_zones", "no2", [3.0, 4.0], 3.0),
        ("heat", "buildings", "height", [3.0, 2.0], 20.0),
    ],
)
def test_uncertainty_samples_near_a_bound_are_clipped_not_refused(
    process_id, layer, prop, values, sd
) -> None:
    """A value error pushes perturbed values past the range the data itself is checked
    against: the sample is clipped to it (a censored error), never refused — else every
    sample of few hot nights with σ 1 was lost and the rest biased upwards."""
    inputs = example(process_id)
    for f, v in zip(inputs[layer]["features"], values, strict=False):
        f["properties"][prop] = v
    inputs["uncertainty"] = {"samples": 30, "seed": 0, "data": {layer: {"values": {prop: sd}}}}
    report = execute(registry().get(process_id), inputs)["uncertainty"]
    assert report["valid_samples"] == report["samples"] == 30


def test_network_settings_given_with_straight_line_distances_are_said() -> None:
    """They were ignored without a word (five processes); a default is not reported."""
    inputs = {**example("green-3-30-300"), "distance_mode": "euclidean"}
    out = execute(registry().get("green-3-30-300"), {**inputs, "network_cutoff_m": 500.0})
    ignored = {
        w["input"]: w["message"]
        for w in out["data_quality"]["warnings"]
        if w["code"] == "input-ignored"
    }
    assert ignored == {
        "network_cutoff_m": "'network_cutoff_m' was given but not used: read only when "
        "distance_mode is 'network' (it is 'euclidean')"
    }
    plain = execute(registry().get("green-3-30-300"), inputs)
    assert not [w for w in plain["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    described = registry().get("green-3-30-300").describe()["inputs"]["snap_limit_m"]
    assert described["x-used-when"] == {"distance_mode": "network"}


def test_exposure_settings_without_their_input_are_said() -> None:
    """grid_band without a grid, receptor settings without receptor points, idw_power
    with the nearest receptor: ignored without a word before."""
    inputs = {
        **example("noise"),
        "grid_band": 2,
        "point_radius_m": 250.0,
        "idw_power": 3.0,
        "zone_overlap": "mean",  # read: the example has zones
    }
    out = execute(registry().get("noise"), inputs)
    ignored = {
        w["input"]: w["message"]
        for w in out["data_quality"]["warnings"]
        if w["code"] == "input-ignored"
    }
    assert set(ignored) == {"grid_band", "point_radius_m", "idw_power"}
    assert ignored["grid_band"].endswith("read only with exposure_grid, which was not given")
    assert "point_method is 'idw'" in ignored["idw_power"]
    described = registry().get("noise").describe()["inputs"]
    assert described["point_radius_m"]["x-read-with"] == ["exposure_points"]
