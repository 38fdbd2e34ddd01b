"""GES class tables: hand cases, monotonicity, user tables, factors without limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.ges import (
    GES_TABLES,
    NO_MODULE,
    NOT_SCORED_REASONS,
    NOT_VERIFIED,
    GesTable,
    ges_report,
    ges_tables,
)
from gsl_indicators.core.spec import InputError, registry
from hypothesis_profiles import examples

AIR = registry().get("air-quality")


def test_road_noise_classes_by_hand() -> None:
    # Noord-Brabant / GES 2012: 55-60 → 4, 60-65 → 5, 65-70 → 6, 70-75 → 7, ≥ 75 → 8.
    t = GES_TABLES["lden_road"]
    v = np.array([50.0, 55.0, 59.9, 60.0, 64.0, 65.0, 69.9, 70.0, 74.9, 75.0, 90.0])
    assert t.score(v).tolist() == [-1, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]


def test_no2_classes_by_hand() -> None:
    t = GES_TABLES["no2"]
    v = np.array([0.0, 9.9, 10.0, 19.0, 20.0, 29.0, 30.0, 39.9, 40.0, 55.0])
    assert t.score(v).tolist() == [1, 1, 4, 4, 6, 6, 7, 7, 8, 8]
    assert t.status == "secondary-source"


@settings(max_examples=examples(80), deadline=None)
@given(st.floats(0, 120), st.floats(0, 40), st.sampled_from(sorted(GES_TABLES)))
def test_higher_exposure_never_gives_a_better_score(v: float, dv: float, factor: str) -> None:
    t = GES_TABLES[factor]
    lo, hi = t.score(np.array([v, v + dv]))
    assert hi >= lo


def test_report_counts_and_explains() -> None:
    factors = {
        "lden_road": np.array([52.0, 57.0, 57.0, 71.0, np.nan]),
        "lden_rail": np.array([60.0, 60.0, 60.0, 60.0, 60.0]),
        "pet": np.array([30.0] * 5),
    }
    dw = np.array([1.0, 2.0, 0.0, 1.0, 1.0])  # the third is not a home
    scores, rep = ges_report(factors, dw, GES_TABLES, no_module=frozenset({"pet"}))
    assert scores["lden_road"].tolist() == [None, 4, None, 7, None]
    assert rep["lden_road"]["homes_per_score"] == {"4": 1, "7": 1}
    assert rep["lden_road"]["dwellings_per_score"] == {"4": 2.0, "7": 1.0}
    assert rep["lden_road"]["homes_below_first_class"] == 1
    # issue 13: the reason names what was found for rail (a map without its table)
    assert rep["lden_rail"] == {"scored": False, "reason": NOT_SCORED_REASONS["lden_rail"]}
    assert "Groningen" in rep["lden_rail"]["reason"]
    assert rep["pet"] == {"scored": False, "reason": NO_MODULE}
    assert "lden_rail" not in scores


def test_user_tables_override_and_validate() -> None:
    tables = ges_tables(
        {"ges_tables": {"pm10": {"limits": [0, 20, 30], "scores": [2, 5, 7], "source": "own"}}}
    )
    assert tables["pm10"].score(np.array([10.0, 25.0, 31.0])).tolist() == [2, 5, 7]
    assert tables["pm10"].status == "user"
    assert tables["lden_road"] is GES_TABLES["lden_road"]
    for bad in (
        {"pm10": {"limits": [20, 10], "scores": [1, 2]}},
        {"pm10": {"limits": [10, 20], "scores": [3, 2]}},
        {"pm10": {"limits": [10], "scores": [9]}},
        {"pm10": {"limits": [10, 20]}},
        {"pm10": [1, 2]},
    ):
        # Validated with the request (GesTableSpec, the parameter's JSON Schema).
        with pytest.raises(InputError) as err:
            AIR.validate_parameters({"ges_tables": bad})
        assert err.value.input_name == "ges_tables"
    own = {"pm10": {"limits": [0, 20], "scores": [2, 5]}}
    assert AIR.validate_parameters({"ges_tables": own})["ges_tables"]["pm10"]["limits"] == [0, 20]


def test_ges_tables_schema_is_in_the_process_description() -> None:
    schema = AIR.describe()["inputs"]["ges_tables"]["schema"]
    table = schema["additionalProperties"]
    assert table["required"] == ["limits", "scores"]
    assert table["properties"]["scores"]["items"] == {"type": "integer", "minimum": 0, "maximum": 8}


def test_table_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError):
        GesTable("x", (), (), "", "", "user")


def test_unscored_factors_say_why_per_factor() -> None:
    # issue 13: PM, rail, aircraft and night noise have no verified class table; each
    # reason says what was looked for, and an unknown factor keeps the generic one
    _, rep = ges_report(
        {k: np.array([30.0]) for k in ("pm25", "pm10", "lnight_road", "lden_aircraft", "x")},
        np.ones(1),
        GES_TABLES,
    )
    assert "not health-relevant" in rep["pm25"]["reason"] and rep["pm10"]["scored"] is False
    assert "RIVM 2019-0177" in rep["lnight_road"]["reason"]
    assert "RIVM 2019-0177" in rep["lden_aircraft"]["reason"]
    assert rep["x"]["reason"] == NOT_VERIFIED
