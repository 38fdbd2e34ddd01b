"""One definition of a home across the indicators (issue 13): ``dwellings`` 0 is no home.

For every indicator that reads the homes' ``dwellings``, its example is run again with one
more feature — a copy of the first building with ``dwellings`` 0 (a shop on the same
spot). The copy is not a home, so every count of homes and every share must stay exactly
what it was, and ``data_quality.not_homes`` must count one more.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from geojson_helpers import fc, feature, point
from gsl_indicators.core.geo import RD_NEW, parse_layer
from gsl_indicators.core.homes import is_home, read_dwellings
from gsl_indicators.core.spec import POINTS, Context, GeoInput, InputError, registry
from results import execute

HOMES_INPUT = {
    "green-3-30-300": "buildings",
    "green-per-dwelling": "buildings",
    "cool-place-distance": "buildings",
    "proximity-facilities": "buildings",
    "soil": "buildings",
    "air-quality": "buildings",
    "noise": "buildings",
    "heat": "buildings",
    "parking-pressure": "dwellings",
}


def _with_a_shop(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    out = copy.deepcopy(inputs)
    shop = copy.deepcopy(out[name]["features"][0])
    shop["id"] = "shop"
    shop.setdefault("properties", {})["dwellings"] = 0
    out[name]["features"].append(shop)
    return out


def _counts_and_shares(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("homes", "buildings", "dwellings", "demand")
    return {
        k: v
        for k, v in summary.items()
        if (k in keys or k.startswith("share_") or k.startswith("mean_")) and k != "scorecard"
    }


@pytest.mark.parametrize("indicator", sorted(HOMES_INPUT))
def test_a_feature_with_zero_dwellings_is_no_home_anywhere(indicator: str) -> None:
    ind = registry().get(indicator)
    name = HOMES_INPUT[indicator]
    before = execute(ind, ind.example)
    after = execute(ind, _with_a_shop(ind.example, name))
    assert _counts_and_shares(after["summary"]) == _counts_and_shares(before["summary"])
    assert _counts_and_shares(after["summary"])  # something was compared
    assert after["data_quality"]["not_homes"] == before["data_quality"].get("not_homes", 0) + 1


def _layer(*dwellings: Any) -> Any:
    return parse_layer(
        GeoInput("buildings", "Homes", "homes", POINTS),
        fc(*(feature(point(0, 0), dwellings=d) for d in dwellings)),
        RD_NEW,
    )


def test_number_from_properties_by_hand() -> None:
    # absent everywhere: the default, all counted; plain numbers everywhere (int and float):
    # as floats, a non-finite one counted and defaulted; mixed kinds: feature by feature
    # (a bool and unreadable text are missing, numeric text is read)
    cases = [
        ((None, None), [1.0, 1.0], 2),
        ((3, 2.5, float("nan"), float("inf")), [3.0, 2.5, 1.0, 1.0], 2),
        ((3, True, "4", "x", None), [3.0, 1.0, 4.0, 1.0, 1.0], 3),
        ((7, 0), [7.0, 0.0], 0),
    ]
    for values, want, missing in cases:
        ctx = Context()
        assert _layer(*values).number("dwellings", 1.0, ctx).tolist() == want
        counts = [w["count"] for w in ctx.warnings if w["code"] == "missing-property"]
        assert counts == ([missing] if missing else [])


def test_read_dwellings_by_hand() -> None:
    # 3 → home; 0 → not a home; absent → 1 (counted); "2" (numeric text) → 2
    ctx = Context()
    d = read_dwellings(_layer(3, 0, None, "2"), ctx)
    assert d.tolist() == [3.0, 0.0, 1.0, 2.0]
    assert is_home(d).tolist() == [True, False, True, True]
    assert ctx.notes["homes_without_dwellings"] == 1 and ctx.notes["not_homes"] == 1
    with pytest.raises(InputError) as err:
        read_dwellings(_layer(2, -1), Context())
    assert err.value.input_name == "buildings" and "negative" in str(err.value)
    assert np.array_equal(is_home(np.array([0.5, 0.0])), [True, False])
