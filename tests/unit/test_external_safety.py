"""``external-safety``: buildings inside risk contours, the Bkl rule, by hand."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.external_safety import KINDS, contour_membership
from hypothesis_profiles import examples
from results import execute

SAFETY = registry().get("external-safety")

# The 10⁻⁶ contour is x 0..100, a 10⁻⁵ contour x 0..20 (inside it), a 10⁻⁷ contour x 0..300;
# a fire area x 0..200, a toxic area x 150..400.
CONTOURS = fc(
    feature(box(0, 0, 100, 100), "pr6", kind="individual_risk", risk_per_year=1e-6),
    feature(box(0, 0, 20, 100), "pr5", kind="plaatsgebonden_risico", risk_per_year=1e-5),
    feature(box(0, 0, 300, 100), "pr7", kind="individual_risk", risk_per_year=1e-7),
    feature(box(0, 0, 200, 100), "fire", kind="brand"),
    feature(box(150, 0, 400, 100), "tox", kind="toxic"),
)
BUILDINGS = fc(
    feature(point(10, 50), "h1", dwellings=2),  # in 10⁻⁵, 10⁻⁶, 10⁻⁷, fire
    feature(point(100, 50), "h2"),  # exactly on the 10⁻⁶ edge → inside; fire
    feature(point(100.5, 50), "h3", dwellings=3),  # just outside 10⁻⁶; 10⁻⁷; fire
    feature(point(350, 50), "h4"),  # toxic only
    feature(box(90, 60, 110, 80), "school", dwellings=0, function="School"),  # footprint crosses
    feature(point(250, 50), "creche", dwellings=0, function="kinderopvang"),  # toxic, 10⁻⁷
    feature(point(50, 50), "office", dwellings=0, function="kantoor"),  # 10⁻⁶, limited
)


def run(**extra):  # type: ignore[no-untyped-def]
    return execute(SAFETY, {"buildings": BUILDINGS, "risk_contours": CONTOURS, **extra})


def test_per_building() -> None:
    p = {f["id"]: f["properties"] for f in run()["buildings"]["features"]}
    assert p["h1"]["ir_per_year"] == 1e-5  # the highest contour it lies in
    assert p["h2"]["in_ir_contour"] is True  # on the contour line is inside
    assert p["h3"]["in_ir_contour"] is False and p["h3"]["ir_per_year"] == 1e-7
    assert p["h4"]["ir_per_year"] is None and p["h4"]["in_toxic_area"] is True
    assert p["school"]["vulnerability"] == "very_vulnerable"
    assert p["school"]["in_ir_contour"] is True  # its footprint crosses x = 100
    assert p["creche"]["in_ir_contour"] is False and p["creche"]["in_toxic_area"] is True
    assert p["office"]["vulnerability"] == "limited_vulnerable"
    assert p["h1"]["vulnerability"] == "vulnerable"  # a home without a function
    assert [p[k]["in_fire_area"] for k in ("h1", "h2", "h3", "h4")] == [True, True, True, False]


def test_counts_shares_and_the_bkl_flag() -> None:
    s = run()["summary"]
    # homes h1 (2), h2 (1), h3 (3), h4 (1): 4 homes, 7 dwellings
    assert s["homes"] == 4 and s["dwellings"] == 7
    assert s["homes_in_ir_contour"] == 2  # h1, h2
    assert s["share_homes_in_ir_contour"] == 0.5  # 2 / 4
    assert s["share_dwellings_in_ir_contour"] == 0.4286  # (2 + 1) / 7
    assert s["homes_in_fire_area"] == 3 and s["homes_in_toxic_area"] == 1
    assert s["homes_in_attention_area"] == 4 and s["share_homes_in_attention_area"] == 1.0
    assert s["very_vulnerable_buildings"] == 2  # school, crèche
    assert s["very_vulnerable_in_ir_contour"] == 1  # the school
    assert s["vulnerable_in_ir_contour"] == 2  # the homes h1, h2
    assert s["very_vulnerable_in_attention_area"] == 2  # school (fire), crèche (toxic)
    assert s["bkl_ir_rule_met"] is False


def test_rule_met_without_the_school_and_group_risk_out_of_scope() -> None:
    no_school = fc(*[f for f in BUILDINGS["features"] if f["id"] != "school"], origin=None)
    r = execute(SAFETY, {"buildings": no_school, "risk_contours": CONTOURS})
    assert r["summary"]["bkl_ir_rule_met"] is True
    assert "out of scope" in r["rules"]["group_risk"]
    assert "groepsrisico" in SAFETY.method.lower() or "group risk" in SAFETY.method.lower()


def test_limit_parameter_moves_the_contour() -> None:
    s = run(ir_limit_per_year=1e-7)["summary"]
    # now the 10⁻⁷ contour counts: h1, h2, h3 inside (h4 at x=350 is outside x 0..300)
    assert s["homes_in_ir_contour"] == 3 and s["very_vulnerable_in_ir_contour"] == 2


def test_per_neighbourhood() -> None:
    nbh = fc(
        feature(box(0, 0, 150, 100), "N1", area_type="stedelijk-wonen"),
        feature(box(150, 0, 400, 100), "N2", area_type="werkgebied"),
    )
    a = {f["id"]: f["properties"] for f in run(neighbourhoods=nbh)["neighbourhoods"]["features"]}
    assert a["N1"]["share_homes_in_ir_contour"] == 0.6667  # h1, h2 of h1, h2, h3
    assert a["N1"]["bkl_ir_rule_met"] is False and a["N2"]["bkl_ir_rule_met"] is True
    assert a["N2"]["share_homes_in_ir_contour"] == 0.0
    assert a["N2"]["score_share_homes_in_ir_contour"] == 10.0  # at the ambition 0


def test_unknown_kind_and_missing_risk_are_warned() -> None:
    contours = fc(
        feature(box(0, 0, 100, 100), "a", kind="individual_risk"),  # no risk_per_year
        feature(box(0, 0, 100, 100), "b", kind="flood"),
    )
    r = execute(SAFETY, {"buildings": BUILDINGS, "risk_contours": contours})
    codes = {w["code"] for w in r["data_quality"]["warnings"]}
    assert {"unknown-contour-kind", "missing-property"} <= codes
    assert r["summary"]["homes_in_ir_contour"] == 2  # taken as the limit contour


def test_bad_function_class_names_the_input() -> None:
    with pytest.raises(InputError) as err:
        run(function_classes={"school": "very"})
    assert err.value.input_name == "function_classes"


@settings(max_examples=examples(50))
@given(st.floats(-50, 150, allow_nan=False), st.floats(1, 100))
def test_point_inside_iff_within_the_box_closed(x: float, side: float) -> None:
    c = np.array([shapely.box(0, 0, side, side)])
    inside, _ = contour_membership(
        shapely.points([[x, side / 2]]), c, np.array([KINDS.index("fire")]), np.array([np.nan])
    )
    assert bool(inside["fire"][0]) == (0 <= x <= side)
