"""The accepted range of each numeric feature property is declared once and shown.

``GeoInput.ranges`` is what the kernels enforce (``Layer.number(..., valid=...)``) and
what the description shows (``x-property-ranges``, and beside each property's meaning on
the process page and the menu card). Here every declared range is sent, for every
process that declares it, just past its end (a 400 naming the layer) and at its end
(accepted), so the description cannot promise a range the kernel does not keep.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from gsl_indicators.core import run
from gsl_indicators.core.spec import GeoInput, Indicator, InputError, registry


def _example(ind: Indicator) -> dict[str, Any]:
    ex = ind.describe().get("example") or {}
    return copy.deepcopy(ex.get("inputs", ex))


def _point_feature(fc: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """A point at the first feature's representative point (inside a zone, on a home)."""
    xy = shapely.point_on_surface(shape(fc["features"][0]["geometry"]))
    geometry = {"type": "Point", "coordinates": [xy.x, xy.y]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _with_layer(ind: Indicator, gi: GeoInput, inputs: dict[str, Any]) -> dict[str, Any]:
    """Give ``inputs`` the layer ``gi`` when the example lacks it (receptors, counts)."""
    if (inputs.get(gi.name) or {}).get("features"):
        return inputs
    crs = next(v["crs"] for v in inputs.values() if isinstance(v, dict) and "crs" in v)
    if gi.name == "exposure_points":  # a receptor on the first home
        feature = _point_feature(inputs["buildings"], {})
    elif gi.name == "exposure_zones":  # a zone over the first plan area
        feature = {**inputs["plan_areas"]["features"][0], "properties": {}}
    elif gi.name == "occupancy":  # a count in the first zone
        feature = _point_feature(inputs["zones"], {"counted_at": "2026-03-03T03:00"})
    else:
        raise AssertionError(f"{ind.id}: no example layer '{gi.name}' to test its ranges on")
    inputs[gi.name] = {"type": "FeatureCollection", "crs": crs, "features": [feature]}
    return inputs


CASES = [
    (ind.id, gi.name, prop)
    for ind in registry()
    if not ind.runs_others  # composites declare their parts' ranges, checked by the parts
    for gi in ind.inputs
    for prop in gi.ranges
]


# What makes a property read at all: a tree's size only with a minimum size to judge it
# by (a crown's height only without tree points, the size being the height).
READ_WITH: dict[tuple[str, str, str], tuple[dict[str, Any], tuple[str, ...]]] = {
    ("green-3-30-300", "trees", "crown_diameter"): ({"min_tree_size_m": 1.0}, ()),
    ("green-3-30-300", "trees", "height"): (
        {"min_tree_size_m": 1.0, "tree_size_property": "height"},
        (),
    ),
    ("green-3-30-300", "canopy", "height"): (
        {"min_tree_size_m": 1.0, "tree_size_property": "height"},
        ("trees",),
    ),
}


def _run(process_id: str, layer: str, prop: str, value: float) -> None:
    ind = registry().get(process_id)
    gi = next(g for g in ind.inputs if g.name == layer)
    inputs = _with_layer(ind, gi, _example(ind))
    extra, drop = READ_WITH.get((process_id, layer, prop), ({}, ()))
    inputs = {k: v for k, v in inputs.items() if k not in drop} | extra
    inputs[layer]["features"][0].setdefault("properties", {})[prop] = value
    run.execute(ind, inputs)


@pytest.mark.parametrize(("process_id", "layer", "prop"), CASES)
def test_a_value_past_the_declared_range_is_refused_and_its_end_accepted(
    process_id: str, layer: str, prop: str
) -> None:
    gi = next(g for g in registry().get(process_id).inputs if g.name == layer)
    lo, hi = gi.ranges[prop]
    end, past = (hi, hi * 2 + 1) if math.isfinite(hi) else (lo, lo * 2 - 1)
    with pytest.raises(InputError) as err:
        _run(process_id, layer, prop, past)
    assert err.value.input_name == layer and prop in err.value.reason, err.value
    try:
        _run(process_id, layer, prop, end)  # the range is inclusive
    except InputError as other:  # another check may judge the value (surfaces vs area)
        assert f"have a '{prop}' " not in other.reason, other


def test_every_kind_of_range_is_covered() -> None:
    assert len(CASES) >= 50
    kinds = {(layer, prop) for _, layer, prop in CASES}
    assert {
        ("exposure_points", "lden"),
        ("exposure_zones", "lden_road"),
        ("occupancy", "occupied"),
        ("plan", "year"),
        ("plan_areas", "dwellings"),
        ("trees", "crown_diameter"),
    } <= kinds


def test_the_description_and_the_menu_card_show_the_range() -> None:
    heat = registry().get("heat")
    described = heat.describe()["inputs"]["buildings"]
    assert described["x-property-ranges"]["height"] == {"minimum": -10.0, "maximum": 1000.0}
    assert described["x-properties"]["height"].endswith("(accepted: -10 to 1,000)")
    flood = registry().get("flood-safety").describe()["inputs"]["exposure_zones"]
    assert flood["x-property-ranges"]["depth"] == {"maximum": 10000.0}  # ≤ 0 is dry
    entry = next(i for i in heat.menu_entry()["inputs"] if i["name"] == "buildings")
    assert entry["properties"]["dwellings"].endswith("(accepted: 0 to 100,000)")
