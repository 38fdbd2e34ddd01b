"""``mkba``: present values, NPV, B/C, break-even, attribution and sensitivity, by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.mkba import Effect, analyse, present_value
from hypothesis_profiles import examples
from results import execute

IND = registry().get("mkba")


def run(**inputs: Any) -> dict[str, Any]:
    return execute(IND, inputs)


def benefit(name: str, amount: float, start: int, end: int, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "benefit",
        "amount_eur": amount,
        "start_year": start,
        "end_year": end,
        **kw,
    }


# ------------------------------------------------------------------ present values


def test_annuity_end_of_year():
    # 100 €/yr in 2025, 2026, 2027, base year 2025, end-of-year discounting at 2.25 %:
    # 100/1.0225 + 100/1.0225² + 100/1.0225³ = 97.7995 + 95.6474 + 93.5427 = 286.9897
    hand = 100 / 1.0225 + 100 / 1.0225**2 + 100 / 1.0225**3
    assert hand == pytest.approx(286.9897, abs=1e-4)
    assert present_value([100, 100, 100], 0.0225) == pytest.approx(hand)
    out = run(effects=[benefit("b", 100, 2025, 2027)], base_year=2025, horizon_years=3)
    s = out["summary"]
    assert s["pv_benefits"] == pytest.approx(286.99, abs=0.005)
    assert s["pv_costs"] == 0.0 and s["bc_ratio"] is None
    assert s["npv"] == pytest.approx(286.99, abs=0.005)


def test_one_off_cost():
    # 1000 € once in 2027, base 2025, end-of-year: 1000 / 1.0225³ = 935.4266
    out = run(
        effects=[{"name": "c", "kind": "cost", "once_eur": 1000, "year": 2027}],
        base_year=2025,
        horizon_years=5,
    )
    assert out["summary"]["pv_costs"] == pytest.approx(1000 / 1.0225**3, abs=0.005)
    assert out["summary"]["npv"] == pytest.approx(-935.43, abs=0.005)
    rows = {r["year"]: r for r in out["cash_flows"]}
    assert len(rows) == 5 and rows[2027]["costs"] == 1000.0 and rows[2026]["costs"] == 0.0
    assert rows[2027]["discount_factor"] == pytest.approx(1 / 1.0225**3, abs=1e-6)


@pytest.mark.parametrize(
    ("timing", "exponent"), [("end-of-year", 1.0), ("mid-year", 0.5), ("start-of-year", 0.0)]
)
def test_timing(timing, exponent):
    # 1000 € in the base year at 5 %: 1000 / 1.05^k with k = 1, 0.5, 0
    out = run(
        effects=[{"name": "c", "kind": "cost", "once_eur": 1000, "year": 2030}],
        base_year=2030,
        horizon_years=1,
        discount_rate=0.05,
        timing=timing,
    )
    assert out["summary"]["pv_costs"] == pytest.approx(1000 / 1.05**exponent, abs=0.005)


def test_growth_and_qaly():
    # growth: 100 in 2025, 110 in 2026 (10 %/yr), at 0 %: 210
    # QALY: 0.5 QALY/yr x 50,000 €/QALY = 25,000 €/yr in 2025 only: 25,000
    out = run(
        effects=[
            benefit("grow", 100, 2025, 2026, growth=0.1),
            {"name": "health", "kind": "benefit", "qaly_per_year": 0.5, "end_year": 2025},
        ],
        base_year=2025,
        horizon_years=2,
        discount_rate=0.0,
    )
    pv = {e["name"]: e["pv"] for e in out["effects"]}
    assert pv == {"grow": pytest.approx(210.0), "health": pytest.approx(25000.0)}
    health = next(e for e in out["effects"] if e["name"] == "health")
    assert health["basis"] == "qaly" and health["value_eur"] == 25000.0


def test_green_premium_one_off_to_residents():
    # 10 homes x 300,000 € x 4 % = 120,000 € in 2025, at 0 %; high 30 % → 900,000
    out = run(
        green_premium={"homes": 10, "mean_home_value_eur": 300000},
        base_year=2025,
        horizon_years=1,
        discount_rate=0.0,
    )
    assert out["summary"]["pv_benefits"] == pytest.approx(120000.0)
    assert out["stakeholders"] == [
        {"stakeholder": "residents", "pv_costs": 0.0, "pv_benefits": 120000.0, "npv": 120000.0}
    ]
    assert out["sensitivity"]["ranges"]["all_high"] == pytest.approx(900000.0)


# ------------------------------------------------------------------ NPV, B/C, break-even


def test_break_even_and_bc_at_zero_rate():
    # cost 300 in 2025, benefit 100/yr 2025–2030, r = 0: cumulative -200, -100, 0 → 2027
    # PV benefits 600, PV costs 300: NPV 300, B/C 2
    out = run(
        effects=[
            {"name": "build", "kind": "cost", "once_eur": 300, "year": 2025},
            benefit("use", 100, 2025, 2030),
        ],
        base_year=2025,
        horizon_years=6,
        discount_rate=0.0,
    )
    s = out["summary"]
    assert (s["pv_costs"], s["pv_benefits"], s["npv"], s["bc_ratio"]) == (300.0, 600.0, 300.0, 2.0)
    assert s["break_even_year"] == 2027
    assert [r["cumulative_pv_net"] for r in out["cash_flows"]] == [-200, -100, 0, 100, 200, 300]


def test_break_even_discounted():
    # cost 250 in 2025, benefit 100/yr from 2025, end-of-year.
    # r = 8 % (through the process): -150/1.08 = -138.89; +100/1.08² = 85.73 → -53.16;
    # +100/1.08³ = 79.38 → 26.22 → 2027
    out = run(
        effects=[
            {"name": "build", "kind": "cost", "once_eur": 250, "year": 2025},
            benefit("use", 100, 2025, 2030),
        ],
        base_year=2025,
        horizon_years=6,
        discount_rate=0.08,
    )
    assert out["summary"]["break_even_year"] == 2027
    # r = 10 % (the kernel; above the input's plausible range):
    # 2025: -150/1.1 = -136.36; 2026: +100/1.21 = 82.64 → -53.72; 2027: +100/1.331 = 75.13 → 21.41
    r = analyse(
        [
            Effect("build", "cost", "m", 250.0, 250.0, 250.0, 2025, 2025),
            Effect("use", "benefit", "r", 100.0, 100.0, 100.0, 2025, 2030),
        ],
        2025,
        6,
        0.10,
    )
    assert np.cumsum(r["net_pv"])[:3] == pytest.approx([-136.3636, -53.7190, 21.4125], abs=1e-4)
    assert r["break_even_year"] == 2027
    # B/C at 10 %: benefits = 100 x annuity factor (1 - 1.1^-6)/0.1 = 435.5261; costs 250/1.1
    assert r["bc_ratio"] == pytest.approx(435.5261 / (250 / 1.1), abs=1e-4)


def test_no_break_even():
    out = run(
        effects=[
            {"name": "build", "kind": "cost", "once_eur": 1000, "year": 2025},
            benefit("use", 10, 2025, 2026),
        ],
        base_year=2025,
        horizon_years=2,
    )
    assert out["summary"]["break_even_year"] is None
    assert out["summary"]["npv"] < 0


# ------------------------------------------------------------------ stakeholders


def test_stakeholder_attribution_sums_to_totals():
    out = run(
        effects=[
            {
                "name": "a",
                "kind": "cost",
                "stakeholder": "municipality",
                "once_eur": 500,
                "year": 2025,
            },
            benefit("b", 80, 2025, 2034, stakeholder="residents"),
            benefit("c", 30, 2026, 2030, stakeholder="health insurers", growth=0.02),
            {"name": "d", "kind": "cost", "stakeholder": "developers", "amount_eur": 20},
        ],
        base_year=2025,
        horizon_years=10,
    )
    s, rows = out["summary"], out["stakeholders"]
    assert [r["stakeholder"] for r in rows] == [
        "municipality",
        "residents",
        "health insurers",
        "developers",
    ]
    assert sum(r["pv_costs"] for r in rows) == pytest.approx(s["pv_costs"], abs=0.01)
    assert sum(r["pv_benefits"] for r in rows) == pytest.approx(s["pv_benefits"], abs=0.01)
    assert sum(r["npv"] for r in rows) == pytest.approx(s["npv"], abs=0.02)


def test_transfer_nets_out_for_society():
    # a transfer of 100 (r = 0) moves PV from developers to the municipality, NPV unchanged
    base = [
        {"name": "a", "kind": "cost", "stakeholder": "municipality", "once_eur": 100, "year": 2025}
    ]
    fee = {
        "name": "fee",
        "kind": "transfer",
        "stakeholder": "developers",
        "to": "municipality",
        "once_eur": 100,
        "year": 2025,
    }
    kw: dict[str, Any] = {"base_year": 2025, "horizon_years": 1, "discount_rate": 0.0}
    without, with_fee = run(effects=base, **kw), run(effects=[*base, fee], **kw)
    assert with_fee["summary"]["npv"] == without["summary"]["npv"] == -100.0
    assert with_fee["summary"]["pv_costs"] == 100.0 and with_fee["summary"]["pv_transfers"] == 100.0
    by = {r["stakeholder"]: r["npv"] for r in with_fee["stakeholders"]}
    assert by == {"municipality": 0.0, "developers": -100.0}


# ------------------------------------------------------------------ sensitivity


def test_sensitivity_by_hand():
    # r = 0, one year: cost 100 (low 80, high 150), benefit 200 (low 100, high 300)
    out = run(
        effects=[
            {"name": "c", "kind": "cost", "amount_eur": 100, "low_eur": 80, "high_eur": 150},
            benefit("b", 200, 2025, 2025, low_factor=0.5, high_factor=1.5),
        ],
        base_year=2025,
        horizon_years=1,
        discount_rate=0.0,
        sensitivity_discount_rates=[0.0, 0.05],
    )
    sens = out["sensitivity"]
    assert sens["discount_rates"] == [
        {"discount_rate": 0.0, "npv": 100.0},
        {"discount_rate": 0.05, "npv": pytest.approx(100 / 1.05, abs=0.005)},
    ]
    # all low: 100 - 80 = 20; all high: 300 - 150 = 150
    # pessimistic: 100 - 150 = -50; optimistic: 300 - 80 = 220
    assert sens["ranges"] == {
        "all_low": 20.0,
        "all_high": 150.0,
        "pessimistic": -50.0,
        "optimistic": 220.0,
    }
    # tornado: b swings 200 (0 … 200), c swings 70 (120 … 50)
    assert [(t["effect"], t["npv_low"], t["npv_high"], t["swing"]) for t in sens["tornado"]] == [
        ("b", 0.0, 200.0, 200.0),
        ("c", 120.0, 50.0, 70.0),
    ]


def test_default_sensitivity_rates():
    out = run(effects=[benefit("b", 100, 2025, 2025)], base_year=2025, horizon_years=1)
    rates = [r["discount_rate"] for r in out["sensitivity"]["discount_rates"]]
    assert rates == [0.0, 0.0225, 0.03, 0.04]


def test_effect_outside_horizon_is_clipped_with_warning():
    # 2024 is before the base year (sunk), 2027 beyond a 2-year horizon: only 2025, 2026 count
    out = run(
        effects=[benefit("b", 100, 2024, 2027)],
        base_year=2025,
        horizon_years=2,
        discount_rate=0.0,
    )
    assert out["summary"]["pv_benefits"] == 200.0
    codes = [w["code"] for w in out["data_quality"]["warnings"]]
    assert codes == ["effect-outside-horizon"]


def test_example_runs():
    out = execute(IND, dict(IND.example or {}))
    assert out["summary"]["npv"] > 0
    assert {r["stakeholder"] for r in out["stakeholders"]} >= {"municipality", "residents"}


# ------------------------------------------------------------------ properties

_amounts = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=8)


@settings(max_examples=examples(60), deadline=None)
@given(_amounts, st.floats(0, 0.08), st.floats(0, 0.08))
def test_higher_rate_never_raises_pv_of_benefits(flows, r1, r2):
    lo, hi = sorted((r1, r2))
    assert present_value(flows, hi) <= present_value(flows, lo) * (1 + 1e-12) + 1e-9


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["cost", "benefit"]), st.floats(0, 1e5), st.integers(0, 9)),
        max_size=5,
    ),
    st.floats(0, 1e5),
    st.integers(0, 9),
    st.floats(0, 0.08),
)
def test_adding_a_benefit_never_lowers_npv(items, amount, offset, rate):
    effects = [
        Effect(f"e{i}", kind, "s", v, v, v, 2025 + y, 2025 + y)
        for i, (kind, v, y) in enumerate(items)
    ]
    extra = Effect("extra", "benefit", "s", amount, amount, amount, 2025 + offset, 2034)
    before = analyse(effects, 2025, 10, rate)["npv"]
    after = analyse([*effects, extra], 2025, 10, rate)["npv"]
    assert after >= before - 1e-6


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("inputs", "name", "words"),
    [
        (
            {"effects": [benefit("b", 1, 2030, 2029)]},
            "effects",
            "end_year 2029 is before start_year 2030",
        ),
        ({"effects": [benefit("b", 1, 2025, 2026)], "horizon_years": -5}, "horizon_years", ""),
        (
            {"effects": [{"name": "x", "kind": "gift", "amount_eur": 1}]},
            "effects",
            "effects.0.kind: Input should be 'cost', 'benefit' or 'transfer'",
        ),
        (
            {"effects": [{"name": "x", "kind": "cost", "once_eur": 1}]},
            "effects",
            "needs its `year`",
        ),
        ({"effects": [{"name": "x", "kind": "cost"}]}, "effects", "exactly one of"),
        (
            {"effects": [{"name": "x", "kind": "cost", "amount": 1}]},
            "effects",
            "effects.0.amount: Extra inputs are not permitted",
        ),
        ({"effects": [benefit("b", 10, 2025, 2026, low_eur=20)]}, "effects", "range must hold"),
        (
            {"effects": [benefit("b", -1, 2025, 2026)]},
            "effects",
            "amount_eur: Input should be greater than or equal to 0",
        ),
        ({"effects": [benefit("b", 1, 2025, 2026)] * 2}, "effects", "unique"),
        ({"effects": []}, "effects", "at least one effect"),
        ({"effects": [1]}, "effects", "effects.0: Input should be a valid dictionary"),
        (
            {"effects": [{"name": "t", "kind": "transfer", "once_eur": 1, "year": 2025}]},
            "effects",
            "receiver",
        ),
        ({"green_premium": {"homes": 3}}, "green_premium", "mean_home_value_eur"),
        ({"effects": [benefit("b", 1, 2025, 2026)], "discount_rate": 0.2}, "discount_rate", ""),
        ({"effects": [benefit("b", 1, 2025, 2026)], "timing": "whenever"}, "timing", ""),
    ],
)
def test_bad_input_names_the_input(inputs, name, words):
    with pytest.raises(InputError) as err:
        execute(IND, inputs)
    assert err.value.input_name == name
    assert words in err.value.reason


def test_structured_parameters_publish_their_schema():
    """`effects` and `green_premium` are pydantic models; their JSON Schema is the input schema."""
    inputs = IND.describe()["inputs"]
    item = inputs["effects"]["schema"]["items"]
    assert item["title"] == "Effect" and item["additionalProperties"] is False
    assert item["required"] == ["name", "kind"]
    assert item["properties"]["kind"]["enum"] == ["cost", "benefit", "transfer"]
    assert item["properties"]["amount_eur"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 1e13,  # beyond any plan: a sum of such amounts overflowed to null
        "nullable": True,
        "default": None,
        "title": "Amount Eur",
        "description": "Recurring amount per year (real €, base-year prices).",
    }
    premium = inputs["green_premium"]["schema"]
    assert premium["required"] == ["homes", "mean_home_value_eur"]
    assert premium["nullable"] is True

    def types(node):  # every `type` in the schema: one name, never a list or "null" (OGC)
        if isinstance(node, dict):
            if "type" in node:
                yield node["type"]
            for v in node.values():
                yield from types(v)
        elif isinstance(node, list):
            for v in node:
                yield from types(v)

    found = list(types([item, premium]))
    assert found and all(isinstance(t, str) and t != "null" for t in found)
    assert "anyOf" not in str(item)


def test_residual_value_of_an_investment_that_outlives_the_horizon() -> None:
    # €1,000 park built in 2025 with a 40-year life; horizon 2025–2054 (30 years):
    # 2025 + 40 − 2055 = 10 of 40 years unused → €250 back in 2054, at 0 % discount
    effects = [
        {"name": "park", "kind": "cost", "once_eur": 1000.0, "year": 2025, "lifetime_years": 40},
        {"name": "use", "kind": "benefit", "amount_eur": 100.0},
    ]
    r = run(effects=effects, discount_rate=0.0)
    assert r["summary"]["pv_costs"] == 1000.0
    assert r["summary"]["pv_benefits"] == 3000.0 + 250.0  # 30 × 100 + the residual value
    row = next(e for e in r["effects"] if e["name"] == "residual value: park")
    assert row["kind"] == "benefit" and row["stakeholder"] == "society"
    none = run(effects=effects, discount_rate=0.0, residual_value="none")
    assert none["summary"]["pv_benefits"] == 3000.0


def test_lifetime_only_for_one_off_costs() -> None:
    with pytest.raises(InputError) as err:
        run(effects=[{"name": "x", "kind": "benefit", "amount_eur": 1.0, "lifetime_years": 5}])
    assert err.value.input_name == "effects" and "one-off investments" in err.value.reason


def test_qaly_value_sweep() -> None:
    # 0.1 QALY a year for 30 years at 0 %: 3 QALYs; €1,000 cost once in 2025
    effects = [
        {"name": "health", "kind": "benefit", "qaly_per_year": 0.1},
        {"name": "build", "kind": "cost", "once_eur": 1000.0, "year": 2025},
    ]
    r = run(effects=effects, discount_rate=0.0)
    sweep = r["sensitivity"]["qaly_values"]
    # NPV = 3 × value − 1000: €20,000 → 59,000; €50,000 → 149,000; €80,000 → 239,000
    assert [(s["qaly_value_eur"], s["npv"]) for s in sweep] == [
        (20000.0, 59000.0),
        (50000.0, 149000.0),
        (80000.0, 239000.0),
    ]
    assert r["summary"]["npv"] == 149000.0
