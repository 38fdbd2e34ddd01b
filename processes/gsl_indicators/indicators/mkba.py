"""``mkba``: social cost–benefit analysis (MKBA) of a plan or of the digital twin itself.

A list of *effects* (costs, benefits and transfers, each borne or received by a
stakeholder) is laid out on a yearly grid from ``base_year`` over ``horizon_years``,
discounted at a real ``discount_rate`` and summed to present values, NPV, benefit/cost
ratio and break-even year, attributed per stakeholder, and tested for sensitivity
(discount rates, every effect at its low and high value, a one-at-a-time tornado).

Conventions (see docs/mkba.md): amounts are in real euros at the price level of
``base_year``; a flow in year ``y`` is discounted by ``(1 + r) ** -(y - base_year + k)``
with ``k = 1`` for end-of-year timing (default), ``0.5`` mid-year, ``0`` start-of-year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gsl_indicators.core.geo import Layer
from gsl_indicators.core.spec import Context, Indicator, InputError, Output, Parameter, Source

KINDS = ("cost", "benefit", "transfer")
TIMINGS: dict[str, float] = {"end-of-year": 1.0, "mid-year": 0.5, "start-of-year": 0.0}
YEAR_MIN, YEAR_MAX = 1900, 2200  # validation bounds of any calendar year given

_EUR = {"type": "number", "minimum": 0}
_YEAR = {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX}
_FACTOR = {"type": "number", "minimum": 0}

EFFECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "kind"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "description": "Unique name of the effect."},
        "kind": {
            "type": "string",
            "enum": list(KINDS),
            "description": (
                "cost or benefit to society; a transfer moves money from `stakeholder` to "
                "`to` and counts for the stakeholders only (it nets out for society)."
            ),
        },
        "stakeholder": {
            "type": "string",
            "description": (
                "Who bears the cost or receives the benefit (payer of a transfer): "
                "municipality, developers, residents, health insurers, ... Default: society."
            ),
        },
        "to": {
            "type": "string",
            "description": "Receiver of a transfer (only with kind transfer).",
        },
        "amount_eur": {
            **_EUR,
            "description": "Recurring amount per year (real €, base-year prices).",
        },
        "once_eur": {**_EUR, "description": "One-off amount in `year`."},
        "qaly_per_year": {
            **_EUR,
            "description": "Healthy life years per year, valued at `qaly_value_eur` each.",
        },
        "year": {**_YEAR, "description": "Year of a one-off amount."},
        "start_year": {
            **_YEAR,
            "description": "First year of a recurring effect (default base_year).",
        },
        "end_year": {
            **_YEAR,
            "description": "Last year of a recurring effect, inclusive (default: end of horizon).",
        },
        "growth": {
            "type": "number",
            "minimum": -0.5,
            "maximum": 0.5,
            "description": "Real growth per year of a recurring amount (0.01 = 1 %/yr).",
        },
        "low_eur": {
            **_EUR,
            "description": "Low value, same unit as the amount (per year or once).",
        },
        "high_eur": {**_EUR, "description": "High value, same unit as the amount."},
        "low_factor": {**_FACTOR, "description": "Low value as a multiple of the central one."},
        "high_factor": {**_FACTOR, "description": "High value as a multiple of the central one."},
    },
}

GREEN_PREMIUM_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["homes", "mean_home_value_eur"],
    "additionalProperties": False,
    "properties": {
        "homes": {"type": "integer", "minimum": 0, "description": "Homes that gain the premium."},
        "mean_home_value_eur": {**_EUR, "description": "Mean value of those homes (€)."},
        "premium_share": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Premium as a share of home value (default `house_value_premium`).",
        },
        "low_share": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Low premium share (default `house_value_premium_low`).",
        },
        "high_share": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "High premium share (default `house_value_premium_high`).",
        },
        "year": {**_YEAR, "description": "Year the premium is realised (default base_year)."},
        "stakeholder": {"type": "string", "description": "Who receives it (default residents)."},
        "name": {
            "type": "string",
            "description": "Effect name (default 'green house-value premium').",
        },
    },
}


@dataclass(frozen=True)
class Effect:
    """One effect after validation: a yearly profile and its central, low and high scale.

    The euro flow in year ``y`` is ``value * (1 + growth) ** (y - start_year)`` for
    ``start_year <= y <= end_year`` (a one-off has ``start_year == end_year``), with
    ``value`` one of ``central``, ``low``, ``high``.
    """

    name: str
    kind: str
    stakeholder: str
    central: float
    low: float
    high: float
    start_year: int
    end_year: int
    growth: float = 0.0
    basis: str = "per-year"
    to: str | None = None

    def profile(self, years: np.ndarray) -> np.ndarray:
        """Return the flow per unit of value in each of ``years`` (0 outside the effect).

        Examples
        --------
        >>> e = Effect("x", "benefit", "residents", 100.0, 100.0, 100.0, 2026, 2027, growth=0.1)
        >>> e.profile(np.arange(2025, 2029)).round(6).tolist()
        [0.0, 1.0, 1.1, 0.0]
        """
        inside = (years >= self.start_year) & (years <= self.end_year)
        grown = (1.0 + self.growth) ** (years - self.start_year).astype(float)
        return np.where(inside, grown, 0.0)


# ------------------------------------------------------------------ discounting


def discount_factors(
    years: np.ndarray, base_year: int, rate: float, timing: str = "end-of-year"
) -> np.ndarray:
    """Return the discount factor of each year: ``(1 + rate) ** -(year - base_year + k)``.

    ``k`` is 1 for end-of-year timing, 0.5 mid-year and 0 start-of-year.

    Examples
    --------
    >>> discount_factors(np.array([2025, 2026]), 2025, 0.0225).round(6).tolist()
    [0.977995, 0.956474]
    >>> discount_factors(np.array([2025]), 2025, 0.05, "start-of-year").tolist()
    [1.0]
    """
    t = (np.asarray(years, dtype=float) - base_year) + TIMINGS[timing]
    return np.asarray((1.0 + rate) ** -t, dtype=float)


def present_value(
    flows: Sequence[float] | np.ndarray,
    rate: float,
    first_year: int = 0,
    base_year: int = 0,
    timing: str = "end-of-year",
) -> float:
    """Return the present value of yearly ``flows`` starting in ``first_year``.

    Examples
    --------
    >>> round(present_value([100, 100, 100], 0.0225), 4)  # 100/1.0225 + 100/1.0225² + 100/1.0225³
    286.9897
    >>> present_value([100, 100], 0.0)
    200.0
    """
    f = np.asarray(flows, dtype=float)
    years = first_year + np.arange(len(f))
    return float(f @ discount_factors(years, base_year, rate, timing))


def break_even_year(years: np.ndarray, net_pv: np.ndarray) -> int | None:
    """Return the first year the cumulative discounted net (in cents) is ≥ 0, else None.

    Examples
    --------
    >>> break_even_year(np.array([2025, 2026, 2027]), np.array([-100.0, 60.0, 50.0]))
    2027
    >>> break_even_year(np.array([2025, 2026]), np.array([-100.0, 60.0])) is None
    True
    """
    cum = np.round(np.cumsum(net_pv), 2)
    hit = np.flatnonzero(cum >= 0)
    return int(years[hit[0]]) if len(hit) else None


# ------------------------------------------------------------------ input validation


def _number(value: Any, where: str, name: str, schema: Mapping[str, Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(name, f"{where} must be a finite number (got {value!r})")
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and value < lo:
        raise InputError(name, f"{where} is below the minimum {lo} (got {value!r})")
    if hi is not None and value > hi:
        raise InputError(name, f"{where} is above the maximum {hi} (got {value!r})")
    return float(value)


def _integer(value: Any, where: str, name: str, schema: Mapping[str, Any]) -> int:
    v = _number(value, where, name, schema)
    if not v.is_integer():
        raise InputError(name, f"{where} must be a whole number (got {value!r})")
    return int(v)


def _text(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(name, f"{where} must be a non-empty string (got {value!r})")
    return value.strip()


def _range(item: Mapping[str, Any], central: float, where: str, name: str) -> tuple[float, float]:
    props = EFFECT_SCHEMA["properties"]
    has_eur = "low_eur" in item or "high_eur" in item
    has_factor = "low_factor" in item or "high_factor" in item
    if has_eur and has_factor:
        raise InputError(
            name, f"{where}: give low_eur/high_eur or low_factor/high_factor, not both"
        )
    low = high = central
    if "low_eur" in item:
        low = _number(item["low_eur"], f"{where}.low_eur", name, props["low_eur"])
    if "high_eur" in item:
        high = _number(item["high_eur"], f"{where}.high_eur", name, props["high_eur"])
    if "low_factor" in item:
        low = central * _number(
            item["low_factor"], f"{where}.low_factor", name, props["low_factor"]
        )
    if "high_factor" in item:
        high = central * _number(
            item["high_factor"], f"{where}.high_factor", name, props["high_factor"]
        )
    if not low <= central <= high:
        raise InputError(
            name,
            f"{where}: the range must hold the central value (low {low} ≤ {central} ≤ high {high})",
        )
    return low, high


def parse_effect(
    item: Any, index: int, base_year: int, last_year: int, qaly_value_eur: float
) -> Effect:
    """Validate one item of ``effects`` and return it as an :class:`Effect`.

    Raises
    ------
    InputError
        Naming ``effects``, the item and what is wrong.

    Examples
    --------
    >>> parse_effect({"name": "park upkeep", "kind": "cost", "amount_eur": 10.0},
    ...              0, 2025, 2054, 50000.0).end_year
    2054
    >>> parse_effect({"name": "x", "kind": "gift", "once_eur": 1, "year": 2025}, 0, 2025, 2054, 5e4)
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'effects': effect 0 ('x'): kind must be one of ('cost', 'benefit', 'transfer') (got 'gift')
    """
    name = "effects"
    props = EFFECT_SCHEMA["properties"]
    if not isinstance(item, Mapping):
        raise InputError(name, f"effect {index} must be an object (got {item!r})")
    label = _text(item.get("name"), f"effect {index}.name", name)
    where = f"effect {index} ({label!r})"
    unknown = sorted(set(item) - set(props))
    if unknown:
        raise InputError(name, f"{where}: unknown field {unknown[0]!r}; known: {sorted(props)}")
    kind = item.get("kind")
    if kind not in KINDS:
        raise InputError(name, f"{where}: kind must be one of {KINDS} (got {kind!r})")
    stakeholder = _text(item.get("stakeholder", "society"), f"{where}.stakeholder", name)
    to = None
    if kind == "transfer":
        to = _text(item.get("to"), f"{where}.to (receiver of the transfer)", name)
    elif "to" in item:
        raise InputError(name, f"{where}: `to` is only for kind transfer")
    given = [k for k in ("amount_eur", "once_eur", "qaly_per_year") if k in item]
    if len(given) != 1:
        raise InputError(
            name, f"{where}: give exactly one of amount_eur, once_eur, qaly_per_year (got {given})"
        )
    field = given[0]
    value = _number(item[field], f"{where}.{field}", name, props[field])
    if field == "once_eur":
        extra = sorted({"start_year", "end_year", "growth"} & set(item))
        if extra:
            raise InputError(name, f"{where}: {extra[0]} does not apply to a one-off (once_eur)")
        if "year" not in item:
            raise InputError(name, f"{where}: a one-off (once_eur) needs its `year`")
        year = _integer(item["year"], f"{where}.year", name, props["year"])
        low, high = _range(item, value, where, name)
        return Effect(label, kind, stakeholder, value, low, high, year, year, 0.0, "one-off", to)
    if "year" in item:
        raise InputError(name, f"{where}: `year` is for one-offs; use start_year/end_year")
    start = _integer(
        item.get("start_year", base_year), f"{where}.start_year", name, props["start_year"]
    )
    # without end_year an effect runs to the end of the horizon (a start beyond it: one year)
    end = _integer(
        item.get("end_year", max(last_year, start)), f"{where}.end_year", name, props["end_year"]
    )
    if end < start:
        raise InputError(name, f"{where}: end_year {end} is before start_year {start}")
    growth = _number(item.get("growth", 0.0), f"{where}.growth", name, props["growth"])
    basis = "per-year"
    if field == "qaly_per_year":
        value, basis = value * qaly_value_eur, "qaly"
    low, high = _range(item, value, where, name)
    return Effect(label, kind, stakeholder, value, low, high, start, end, growth, basis, to)


def green_premium_effect(raw: Any, params: Mapping[str, Any]) -> Effect:
    """Return the one-off benefit of a green house-value premium.

    ``homes × mean_home_value_eur × premium_share`` in ``year``, received by
    ``stakeholder`` (residents); the low and high values use ``low_share`` and
    ``high_share`` (by default the parameters ``house_value_premium_low`` / ``_high``).

    Examples
    --------
    >>> p = {"base_year": 2025, "house_value_premium": 0.04,
    ...      "house_value_premium_low": 0.04, "house_value_premium_high": 0.30}
    >>> e = green_premium_effect({"homes": 10, "mean_home_value_eur": 300000}, p)
    >>> e.central, e.low, e.high, e.start_year, e.stakeholder
    (120000.0, 120000.0, 900000.0, 2025, 'residents')
    """
    name = "green_premium"
    if not isinstance(raw, Mapping):
        raise InputError(name, f"must be an object (got {raw!r})")
    props = GREEN_PREMIUM_SCHEMA["properties"]
    unknown = sorted(set(raw) - set(props))
    if unknown:
        raise InputError(name, f"unknown field {unknown[0]!r}; known: {sorted(props)}")
    for key in GREEN_PREMIUM_SCHEMA["required"]:
        if key not in raw:
            raise InputError(name, f"`{key}` is required")
    homes = _integer(raw["homes"], "homes", name, props["homes"])
    value = _number(
        raw["mean_home_value_eur"], "mean_home_value_eur", name, props["mean_home_value_eur"]
    )
    share = _number(
        raw.get("premium_share", params["house_value_premium"]),
        "premium_share",
        name,
        props["premium_share"],
    )
    low = _number(
        raw.get("low_share", min(share, params["house_value_premium_low"])),
        "low_share",
        name,
        props["low_share"],
    )
    high = _number(
        raw.get("high_share", max(share, params["house_value_premium_high"])),
        "high_share",
        name,
        props["high_share"],
    )
    if not low <= share <= high:
        raise InputError(
            name, f"low_share {low} ≤ premium_share {share} ≤ high_share {high} must hold"
        )
    year = _integer(raw.get("year", params["base_year"]), "year", name, props["year"])
    who = _text(raw.get("stakeholder", "residents"), "stakeholder", name)
    label = _text(raw.get("name", "green house-value premium"), "name", name)
    base = homes * value
    return Effect(
        label, "benefit", who, base * share, base * low, base * high, year, year, 0.0, "one-off"
    )


# ------------------------------------------------------------------ analysis


def _eur(x: float) -> float:
    return round(float(x), 2)


def _sign(effects: Sequence[Effect]) -> np.ndarray:
    """+1 for benefits, −1 for costs, 0 for transfers (they net out for society)."""
    return np.array([{"benefit": 1.0, "cost": -1.0}.get(e.kind, 0.0) for e in effects])


def analyse(
    effects: Sequence[Effect],
    base_year: int,
    horizon_years: int,
    discount_rate: float,
    timing: str = "end-of-year",
    sensitivity_rates: Sequence[float] = (),
) -> dict[str, Any]:
    """Return present values, NPV, B/C ratio, break-even, cash flows, stakeholders, sensitivity.

    Parameters
    ----------
    effects : sequence of Effect
        Validated effects.
    base_year, horizon_years : int
        The analysis covers ``base_year`` … ``base_year + horizon_years - 1``; flows
        outside are left out.
    discount_rate : float
        Real discount rate (0.0225 = 2.25 %).
    timing : {"end-of-year", "mid-year", "start-of-year"}
        When in its year a flow falls.
    sensitivity_rates : sequence of float
        Discount rates for the NPV sensitivity.

    Returns
    -------
    dict
        Unrounded figures: ``pv_costs``, ``pv_benefits``, ``npv``, ``bc_ratio``,
        ``break_even_year``, ``years``, ``costs``/``benefits`` (undiscounted per year),
        ``factors``, ``pv_by_effect`` (central, low, high), ``stakeholders``,
        ``rates`` ((rate, NPV) pairs), ``ranges`` and ``tornado``.

    Examples
    --------
    >>> e = [Effect("build", "cost", "municipality", 100.0, 100.0, 100.0, 2025, 2025, basis="one-off"),
    ...      Effect("gain", "benefit", "residents", 60.0, 30.0, 90.0, 2025, 2026)]
    >>> r = analyse(e, 2025, 2, 0.0)
    >>> r["pv_costs"], r["pv_benefits"], r["npv"], r["bc_ratio"], r["break_even_year"]
    (100.0, 120.0, 20.0, 1.2, 2026)
    >>> [(t["effect"], t["npv_low"], t["npv_high"]) for t in r["tornado"]]
    [('gain', -40.0, 80.0), ('build', 20.0, 20.0)]
    """
    years = base_year + np.arange(horizon_years)
    profile = (
        np.vstack([e.profile(years) for e in effects]) if effects else np.zeros((0, len(years)))
    )
    central = np.array([e.central for e in effects], dtype=float)
    low = np.array([e.low for e in effects], dtype=float)
    high = np.array([e.high for e in effects], dtype=float)
    sign = _sign(effects)
    factors = discount_factors(years, base_year, discount_rate, timing)
    unit_pv = profile @ factors  # PV of one euro of value per effect
    pv, pv_low, pv_high = central * unit_pv, low * unit_pv, high * unit_pv
    flows = central[:, None] * profile
    is_cost, is_benefit = sign < 0, sign > 0
    costs_by_year = flows[is_cost].sum(axis=0)
    benefits_by_year = flows[is_benefit].sum(axis=0)
    pv_costs, pv_benefits = float(pv[is_cost].sum()), float(pv[is_benefit].sum())
    npv = pv_benefits - pv_costs
    net_pv = (benefits_by_year - costs_by_year) * factors

    stakeholders: dict[str, dict[str, float]] = {}

    def book(who: str, key: str, amount: float) -> None:
        row = stakeholders.setdefault(who, {"pv_costs": 0.0, "pv_benefits": 0.0})
        row[key] += amount

    for e, v in zip(effects, pv, strict=True):
        if e.kind == "transfer":
            book(e.stakeholder, "pv_costs", float(v))
            book(str(e.to), "pv_benefits", float(v))
        else:
            book(e.stakeholder, "pv_costs" if e.kind == "cost" else "pv_benefits", float(v))
    for row in stakeholders.values():
        row["npv"] = row["pv_benefits"] - row["pv_costs"]

    rate_factors = np.array(
        [discount_factors(years, base_year, r, timing) for r in sensitivity_rates]
    ).reshape(len(sensitivity_rates), len(years))
    rates = (sign * central) @ (profile @ rate_factors.T)
    ranges = {
        "all_low": float(sign @ pv_low),
        "all_high": float(sign @ pv_high),
        "pessimistic": float(sign @ np.where(sign < 0, pv_high, pv_low)),
        "optimistic": float(sign @ np.where(sign < 0, pv_low, pv_high)),
    }
    tornado: list[dict[str, Any]] = [
        {
            "effect": e.name,
            "kind": e.kind,
            "npv_low": float(npv + s * (lo - c)),
            "npv_high": float(npv + s * (hi - c)),
            "swing": float(abs(s * (hi - lo))),
        }
        for e, s, c, lo, hi in zip(effects, sign, pv, pv_low, pv_high, strict=True)
    ]
    tornado.sort(key=lambda t: (-t["swing"], t["effect"]))
    return {
        "years": years,
        "factors": factors,
        "costs": costs_by_year,
        "benefits": benefits_by_year,
        "net_pv": net_pv,
        "pv_costs": pv_costs,
        "pv_benefits": pv_benefits,
        "npv": npv,
        "bc_ratio": pv_benefits / pv_costs if pv_costs > 0 else None,
        "break_even_year": break_even_year(years, net_pv),
        "pv_by_effect": np.column_stack([pv, pv_low, pv_high]),
        "stakeholders": stakeholders,
        "rates": [(float(r), float(x)) for r, x in zip(sensitivity_rates, rates, strict=True)],
        "ranges": ranges,
        "tornado": tornado,
    }


# ------------------------------------------------------------------ process


def effects_from_params(params: Mapping[str, Any]) -> list[Effect]:
    """Validate ``effects`` (and ``green_premium``) and return them as :class:`Effect`.

    Raises
    ------
    InputError
        For a malformed effect, duplicate names, or nothing to analyse.
    """
    base_year, horizon = int(params["base_year"]), int(params["horizon_years"])
    last_year = base_year + horizon - 1
    effects = [
        parse_effect(item, i, base_year, last_year, float(params["qaly_value_eur"]))
        for i, item in enumerate(params["effects"])
    ]
    if params.get("green_premium") is not None:
        effects.append(green_premium_effect(params["green_premium"], params))
    if not effects:
        raise InputError("effects", "give at least one effect (or a green_premium)")
    seen: set[str] = set()
    for e in effects:
        if e.name in seen:
            raise InputError("effects", f"effect names must be unique; {e.name!r} appears twice")
        seen.add(e.name)
    return effects


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Run the cost–benefit analysis of ``params["effects"]``; see :func:`analyse`."""
    effects = effects_from_params(params)
    base_year, horizon = int(params["base_year"]), int(params["horizon_years"])
    last_year = base_year + horizon - 1
    timing = params["timing"]
    ctx.progress(0.2, "discounting")
    r = analyse(
        effects,
        base_year,
        horizon,
        float(params["discount_rate"]),
        timing,
        [float(x) for x in params["sensitivity_discount_rates"]],
    )
    clipped = [e.name for e in effects if e.start_year < base_year or e.end_year > last_year]
    if clipped:
        ctx.warn(
            "effect-outside-horizon",
            "effects",
            f"years outside {base_year}–{last_year} are left out (sunk before the base year, "
            f"beyond the horizon after it) for: {', '.join(clipped)}",
            len(clipped),
        )
    no_range = [e.name for e in effects if e.low == e.central == e.high and e.kind != "transfer"]
    if no_range:
        ctx.note("effects_without_range", no_range)
    cum = np.cumsum(r["net_pv"])
    be = r["break_even_year"]
    if be is not None and np.round(cum[be - base_year :], 2).min() < 0:
        ctx.warn(
            "break-even-not-lasting",
            "effects",
            f"the cumulative discounted net is ≥ 0 in {be} but negative again later",
        )
    pv_by_effect = r["pv_by_effect"]
    transfers = np.array([e.kind == "transfer" for e in effects])
    total = {"cost": r["pv_costs"], "benefit": r["pv_benefits"]}
    effect_rows = []
    for e, (pv, pv_lo, pv_hi) in zip(effects, pv_by_effect, strict=True):
        counted = e.start_year <= last_year and e.end_year >= base_year  # any year inside
        row: dict[str, Any] = {
            "name": e.name,
            "kind": e.kind,
            "stakeholder": e.stakeholder,
            "basis": e.basis,
            "first_year": max(e.start_year, base_year) if counted else None,
            "last_year": min(e.end_year, last_year) if counted else None,
            "value_eur": _eur(e.central),
            "low_eur": _eur(e.low),
            "high_eur": _eur(e.high),
            "growth": e.growth,
            "pv": _eur(pv),
            "pv_low": _eur(pv_lo),
            "pv_high": _eur(pv_hi),
        }
        if e.to is not None:
            row["to"] = e.to
        if e.kind in total:
            row["share_of_pv"] = round(pv / total[e.kind], 4) if total[e.kind] > 0 else None
        effect_rows.append(row)
    cash_flows = [
        {
            "year": int(y),
            "discount_factor": round(float(f), 6),
            "costs": _eur(c),
            "benefits": _eur(b),
            "net": _eur(b - c),
            "pv_costs": _eur(c * f),
            "pv_benefits": _eur(b * f),
            "pv_net": _eur(n),
            "cumulative_pv_net": _eur(cu),
        }
        for y, f, c, b, n, cu in zip(
            r["years"], r["factors"], r["costs"], r["benefits"], r["net_pv"], cum, strict=True
        )
    ]
    ctx.progress(0.9, "sensitivity")
    return {
        "summary": {
            "pv_costs": _eur(r["pv_costs"]),
            "pv_benefits": _eur(r["pv_benefits"]),
            "npv": _eur(r["npv"]),
            "bc_ratio": None if r["bc_ratio"] is None else round(r["bc_ratio"], 4),
            "break_even_year": be,
            "discount_rate": params["discount_rate"],
            "base_year": base_year,
            "first_year": base_year,
            "last_year": last_year,
            "timing": timing,
            "prices": f"real euros, price level {base_year}",
            "effects": len(effects),
            "pv_transfers": _eur(pv_by_effect[transfers, 0].sum()),
        },
        "cash_flows": cash_flows,
        "stakeholders": [
            {
                "stakeholder": who,
                "pv_costs": _eur(v["pv_costs"]),
                "pv_benefits": _eur(v["pv_benefits"]),
                "npv": _eur(v["npv"]),
            }
            for who, v in r["stakeholders"].items()
        ],
        "effects": effect_rows,
        "sensitivity": {
            "discount_rates": [{"discount_rate": x, "npv": _eur(n)} for x, n in r["rates"]],
            "ranges": {k: _eur(v) for k, v in r["ranges"].items()},
            "tornado": [
                {
                    **t,
                    "npv_low": _eur(t["npv_low"]),
                    "npv_high": _eur(t["npv_high"]),
                    "swing": _eur(t["swing"]),
                }
                for t in r["tornado"]
            ],
        },
    }


_DISCOUNT_SRC = "Werkgroep discontovoet 2020; Ministerie van Financiën (standard rate since 2021)"

INDICATORS = (
    Indicator(
        id="mkba",
        version="1.0.0",
        title={
            "nl": "Maatschappelijke kosten-batenanalyse (MKBA)",
            "en": "Social cost–benefit analysis (MKBA)",
        },
        description={
            "nl": (
                "Contante waarde van kosten en baten van een plan of van de digital twin zelf: "
                "NCW, baten/kostenverhouding, terugverdienjaar, verdeling over belanghebbenden "
                "en gevoeligheid voor discontovoet en bandbreedtes."
            ),
            "en": (
                "Present values of the costs and benefits of a plan or of the digital twin itself: "
                "NPV, benefit/cost ratio, break-even year, attribution per stakeholder, and "
                "sensitivity to the discount rate and to each effect's value range."
            ),
        },
        theme="mkba",
        method=(
            "Each effect is a cost, a benefit or a transfer between stakeholders, valued in real "
            "euros at base-year prices: a recurring `amount_eur` per year from `start_year` to "
            "`end_year` (growing by `growth` per year), a one-off `once_eur` in `year`, or "
            "`qaly_per_year` healthy life years valued at `qaly_value_eur` each. Years "
            "`base_year` … `base_year + horizon_years - 1` are counted; a flow in year y is "
            "discounted by (1 + `discount_rate`)^-(y - base_year + k), k = 1 at end-of-year "
            "`timing`, 0.5 mid-year, 0 start-of-year. PV costs and PV benefits are the sums of "
            "the discounted flows; NPV = PV benefits - PV costs; B/C = PV benefits / PV costs; "
            "break-even year = first year the cumulative discounted net is >= 0. Transfers net "
            "out for society and count only in the per-stakeholder attribution (payer cost, "
            "receiver benefit). `green_premium` adds a one-off benefit homes x mean value x "
            "`house_value_premium`. Sensitivity: NPV at each of `sensitivity_discount_rates`; "
            "NPV with all effects at low / high values, pessimistic (costs high, benefits low) "
            "and optimistic; and a tornado: NPV with one effect at its low and at its high "
            "value, the others central, sorted by swing."
        ),
        compute=compute,
        parameters=(
            Parameter(
                "effects",
                "Effects",
                "Costs, benefits and transfers of the plan; see the item schema. Each item: "
                "`name`, `kind` (cost|benefit|transfer), `stakeholder`, one of `amount_eur` "
                "(per year, with `start_year`, `end_year`, optional `growth`), `once_eur` "
                "(with `year`) or `qaly_per_year`; optional range `low_eur`/`high_eur` or "
                "`low_factor`/`high_factor`.",
                "array",
                [],
                schema={"items": EFFECT_SCHEMA},
            ),
            Parameter(
                "discount_rate",
                "Discount rate",
                "Real discount rate: 2.25 % is the Dutch standard rate for MKBA since 1 January "
                "2021 (Werkgroep discontovoet 2020; 3 % before).",
                "number",
                0.0225,
                0.0,
                0.08,
                unit="1/yr",
            ),
            Parameter(
                "horizon_years",
                "Horizon",
                "Number of years counted from the base year (30: TEEB-stad practice).",
                "integer",
                30,
                1,
                100,
                unit="yr",
            ),
            Parameter(
                "base_year",
                "Base year",
                "Year discounted to, first year of the analysis and price level of all amounts.",
                "integer",
                2025,
                2000,
                2100,
            ),
            Parameter(
                "timing",
                "Timing of flows",
                "When in its year a flow falls: end-of-year (default; a base-year flow is "
                "discounted one year), mid-year, or start-of-year (base-year flows undiscounted).",
                "string",
                "end-of-year",
                enum=tuple(TIMINGS),
            ),
            Parameter(
                "qaly_value_eur",
                "Value of a healthy life year (QALY)",
                "Euros per QALY for effects given in `qaly_per_year` (RIVM: about €50,000–60,000).",
                "number",
                50000.0,
                20000.0,
                150000.0,
                unit="€/QALY",
            ),
            Parameter(
                "house_value_premium",
                "Green house-value premium",
                "Premium on home value from green, as a share (Den Haag: about 4 %; literature "
                "4–30 %); used by `green_premium`.",
                "number",
                0.04,
                0.0,
                0.5,
            ),
            Parameter(
                "house_value_premium_low",
                "Green premium, low",
                "Low end of the premium for the sensitivity (literature low: 4 %).",
                "number",
                0.04,
                0.0,
                0.5,
            ),
            Parameter(
                "house_value_premium_high",
                "Green premium, high",
                "High end of the premium for the sensitivity (literature high: 30 %).",
                "number",
                0.30,
                0.0,
                0.5,
            ),
            Parameter(
                "green_premium",
                "Green premium effect",
                "Optional helper effect: `{homes, mean_home_value_eur}` (optional "
                "`premium_share`, `low_share`, `high_share`, `year`, `stakeholder`, `name`) "
                "adds a one-off benefit homes x mean value x premium to residents.",
                "object",
                None,
                nullable=True,
                schema={k: v for k, v in GREEN_PREMIUM_SCHEMA.items() if k != "type"},
            ),
            Parameter(
                "sensitivity_discount_rates",
                "Sensitivity discount rates",
                "Discount rates at which the NPV is also reported (0 %, the standard 2.25 %, the "
                "pre-2021 3 %, 4 %).",
                "array",
                [0.0, 0.0225, 0.03, 0.04],
                schema={"items": {"type": "number", "minimum": 0.0, "maximum": 0.08}},
            ),
        ),
        outputs=(
            Output(
                "summary",
                "Summary",
                "PV costs, PV benefits, NPV, B/C ratio, break-even year and the conventions used.",
            ),
            Output(
                "cash_flows",
                "Cash flows",
                "Per year: discount factor, costs, benefits, net, their present values and the "
                "cumulative discounted net.",
                {"type": "array"},
            ),
            Output(
                "stakeholders",
                "Stakeholders",
                "PV of the costs each stakeholder bears and the benefits it receives, and its NPV.",
                {"type": "array"},
            ),
            Output(
                "effects",
                "Effects",
                "Each effect as analysed: years counted, value, range, PV (central, low, high).",
                {"type": "array"},
            ),
            Output(
                "sensitivity",
                "Sensitivity",
                "NPV per discount rate; NPV with all effects low/high, pessimistic, optimistic; "
                "tornado of each effect's range.",
            ),
        ),
        sources=(
            Source(
                "Werkgroep discontovoet 2020",
                f"Rapport Werkgroep discontovoet 2020 ({_DISCOUNT_SRC}); 2.25 % real",
                "https://www.rwseconomie.nl/discontovoet",
            ),
            Source(
                "RIVM VTV-2014",
                "Pomp, Schoemaker & Polder (2014), Op weg naar maatschappelijke kosten-"
                "batenanalyses voor preventie en zorg, VTV-2014 themarapport, RIVM; and Van Gils, "
                "Schoemaker & Polder (2013), Hoeveel mag een gewonnen levensjaar kosten? "
                "NTvG 157:A6507 (a QALY is worth at least €50,000)",
                "https://www.ntvg.nl/artikelen/hoeveel-mag-een-gewonnen-levensjaar-kosten",
            ),
            Source(
                "TEEB-stad",
                "TEEB-stad tool (Platform31 / Ministerie van EZ); present value of benefits over "
                "30 years (Van der Heide 2015, PBL, Waardering van stedelijk groen en blauw)",
                "https://www.teebstad.nl/meer-over-teebstad",
            ),
            Source(
                "Den Haag green premium",
                "Gemeente Den Haag study (2015): green raises home values by about 4 %, "
                "€7,500 per home on average",
                "https://degroenestad.nl/factsheet/groen-verhoogt-de-waarde-van-woningen/",
            ),
        ),
        keywords=("MKBA", "KBA", "cost-benefit", "NPV", "discount rate", "QALY"),
        geo=False,
        example={
            "effects": [
                {
                    "name": "digital twin set-up",
                    "kind": "cost",
                    "stakeholder": "municipality",
                    "once_eur": 150000,
                    "year": 2025,
                    "low_factor": 0.8,
                    "high_factor": 1.5,
                },
                {
                    "name": "twin licence and data",
                    "kind": "cost",
                    "stakeholder": "municipality",
                    "amount_eur": 40000,
                    "start_year": 2025,
                    "end_year": 2034,
                    "low_eur": 30000,
                    "high_eur": 60000,
                },
                {
                    "name": "avoided failure costs",
                    "kind": "benefit",
                    "stakeholder": "developers",
                    "amount_eur": 60000,
                    "start_year": 2026,
                    "end_year": 2034,
                    "low_eur": 20000,
                    "high_eur": 90000,
                },
                {
                    "name": "twin cost charged to developers",
                    "kind": "transfer",
                    "stakeholder": "developers",
                    "to": "municipality",
                    "once_eur": 50000,
                    "year": 2026,
                },
                {
                    "name": "health from more green",
                    "kind": "benefit",
                    "stakeholder": "residents",
                    "qaly_per_year": 0.5,
                    "start_year": 2027,
                    "low_factor": 0.5,
                    "high_factor": 1.5,
                },
                {
                    "name": "lower care costs",
                    "kind": "benefit",
                    "stakeholder": "health insurers",
                    "amount_eur": 10000,
                    "start_year": 2027,
                    "growth": 0.01,
                    "low_factor": 0.5,
                    "high_factor": 1.5,
                },
            ],
            "green_premium": {"homes": 20, "mean_home_value_eur": 350000, "year": 2028},
            "horizon_years": 30,
            "base_year": 2025,
        },
    ),
)
