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

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import Metrics, metric
from gsl_indicators.core.spec import Context, Indicator, InputError, Output, Parameter, Source

__all__ = [
    "INDICATORS",
    "KINDS",
    "METRICS",
    "TIMINGS",
    "Effect",
    "EffectInput",
    "Eur",
    "Factor",
    "GreenPremium",
    "OpenAPI30Schema",
    "Share",
    "Text",
    "Year",
    "analyse",
    "break_even_year",
    "cash_flow_rows",
    "compute",
    "discount_factors",
    "effect_rows",
    "effects_from_params",
    "green_premium_effect",
    "openapi_schema",
    "present_value",
    "qaly_sweep",
    "residual_effect",
    "to_effect",
    "value_range",
    "warn_about",
]

KINDS = ("cost", "benefit", "transfer")
TIMINGS: dict[str, float] = {"end-of-year": 1.0, "mid-year": 0.5, "start-of-year": 0.0}
YEAR_MIN, YEAR_MAX = 1900, 2200  # validation bounds of any calendar year given

#: an amount in euro: at most 10 trillion (above the Dutch GDP; beyond it sums overflow)
Eur = Annotated[float, pydantic.Field(ge=0, le=1e13, allow_inf_nan=False, strict=True)]
Year = Annotated[int, pydantic.Field(ge=YEAR_MIN, le=YEAR_MAX, strict=True)]
Factor = Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False, strict=True)]
Share = Annotated[float, pydantic.Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Text = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, min_length=1)]


class OpenAPI30Schema(GenerateJsonSchema):
    """JSON Schema as OpenAPI 3.0 and OGC ``schema.yaml`` read it.

    An optional field is ``nullable: true`` beside its own type, never an ``anyOf``
    with a ``null`` type (which OGC's ``schema.yaml`` does not allow).
    """

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        """Return the inner schema marked ``nullable``."""
        return {**self.generate_inner(schema["schema"]), "nullable": True}


class EffectInput(pydantic.BaseModel):
    """One item of ``effects``: a cost, benefit or transfer, as the request gives it.

    Exactly one of ``amount_eur`` (per year, from ``start_year`` to ``end_year``,
    growing by ``growth``), ``once_eur`` (in ``year``) or ``qaly_per_year``; a range
    either in euros (``low_eur``/``high_eur``) or as factors of the central value.

    Examples
    --------
    >>> EffectInput(name="upkeep", kind="cost", amount_eur=10.0).stakeholder
    'society'
    >>> EffectInput(name="x", kind="cost", once_eur=1.0)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Effect
      Value error, a one-off (once_eur) needs its `year` [type=value_error, input_value={'name': 'x', 'kind': 'cost', 'once_eur': 1.0}, input_type=dict]
    ...
    """

    model_config = pydantic.ConfigDict(extra="forbid", title="Effect")

    name: Text = pydantic.Field(description="Unique name of the effect.")
    kind: Literal["cost", "benefit", "transfer"] = pydantic.Field(
        description="cost or benefit to society; a transfer moves money from `stakeholder` to "
        "`to` and counts for the stakeholders only (it nets out for society)."
    )
    stakeholder: Text = pydantic.Field(
        default="society",
        description="Who bears the cost or receives the benefit (payer of a transfer): "
        "municipality, developers, residents, health insurers, ...",
    )
    to: Text | None = pydantic.Field(
        default=None, description="Receiver of a transfer (only with kind transfer)."
    )
    amount_eur: Eur | None = pydantic.Field(
        default=None, description="Recurring amount per year (real €, base-year prices)."
    )
    once_eur: Eur | None = pydantic.Field(default=None, description="One-off amount in `year`.")
    qaly_per_year: Eur | None = pydantic.Field(
        default=None, description="Healthy life years per year, valued at `qaly_value_eur` each."
    )
    year: Year | None = pydantic.Field(default=None, description="Year of a one-off amount.")
    start_year: Year | None = pydantic.Field(
        default=None, description="First year of a recurring effect (default base_year)."
    )
    end_year: Year | None = pydantic.Field(
        default=None,
        description="Last year of a recurring effect, inclusive (default: end of horizon).",
    )
    growth: Annotated[float, pydantic.Field(ge=-0.5, le=0.5, strict=True)] | None = pydantic.Field(
        default=None,
        description="Real growth per year of a recurring amount (0.01 = 1 %/yr; default 0).",
    )
    low_eur: Eur | None = pydantic.Field(
        default=None, description="Low value, same unit as the amount (per year or once)."
    )
    high_eur: Eur | None = pydantic.Field(
        default=None, description="High value, same unit as the amount."
    )
    low_factor: Factor | None = pydantic.Field(
        default=None, description="Low value as a multiple of the central one."
    )
    high_factor: Factor | None = pydantic.Field(
        default=None, description="High value as a multiple of the central one."
    )
    lifetime_years: Annotated[int, pydantic.Field(ge=1, le=200, strict=True)] | None = (
        pydantic.Field(
            default=None,
            description="Service life of a one-off investment (cost): the part of it still "
            "unused after the horizon returns as a residual value (`residual_value`).",
        )
    )

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> EffectInput:
        given = [
            k for k in ("amount_eur", "once_eur", "qaly_per_year") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of amount_eur, once_eur, qaly_per_year (got {given})"
            )
        if self.kind == "transfer" and self.to is None:
            raise ValueError("a transfer needs `to` (receiver of the transfer)")
        if self.kind != "transfer" and self.to is not None:
            raise ValueError("`to` is only for kind transfer")
        recurring = [
            k for k in ("start_year", "end_year", "growth") if getattr(self, k) is not None
        ]
        if self.once_eur is not None and recurring:
            raise ValueError(f"{recurring[0]} does not apply to a one-off (once_eur)")
        if self.once_eur is not None and self.year is None:
            raise ValueError("a one-off (once_eur) needs its `year`")
        if self.once_eur is None and self.year is not None:
            raise ValueError("`year` is for one-offs; use start_year/end_year")
        start, end = self.start_year, self.end_year
        if start is not None and end is not None and end < start:
            raise ValueError(f"end_year {end} is before start_year {start}")
        if self.lifetime_years is not None and (self.once_eur is None or self.kind != "cost"):
            raise ValueError("lifetime_years is for one-off investments (kind cost, once_eur)")
        eur = self.low_eur is not None or self.high_eur is not None
        if eur and (self.low_factor is not None or self.high_factor is not None):
            raise ValueError("give low_eur/high_eur or low_factor/high_factor, not both")
        return self


class GreenPremium(pydantic.BaseModel):
    """The ``green_premium`` helper effect: a one-off house-value premium for residents."""

    model_config = pydantic.ConfigDict(extra="forbid", title="GreenPremium")

    homes: Annotated[int, pydantic.Field(ge=0, le=10_000_000, strict=True)] = pydantic.Field(
        description="Homes that gain the premium."
    )
    mean_home_value_eur: Eur = pydantic.Field(description="Mean value of those homes (€).")
    premium_share: Share | None = pydantic.Field(
        default=None,
        description="Premium as a share of home value (default `house_value_premium`).",
    )
    low_share: Share | None = pydantic.Field(
        default=None, description="Low premium share (default `house_value_premium_low`)."
    )
    high_share: Share | None = pydantic.Field(
        default=None, description="High premium share (default `house_value_premium_high`)."
    )
    year: Year | None = pydantic.Field(
        default=None, description="Year the premium is realised (default base_year)."
    )
    stakeholder: Text = pydantic.Field(default="residents", description="Who receives it.")
    name: Text = pydantic.Field(default="green house-value premium", description="Effect name.")


def openapi_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """Return ``model``'s JSON Schema for a process description (OpenAPI 3.0 flavour)."""
    return model.model_json_schema(schema_generator=OpenAPI30Schema)


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


# ------------------------------------------------------------------ from input to effects


def value_range(spec: EffectInput, central: float) -> tuple[float, float]:
    """Return the low and high value of an effect (the central one where none is given).

    Examples
    --------
    >>> value_range(EffectInput(name="x", kind="cost", amount_eur=10.0, high_factor=1.5), 10.0)
    (10.0, 15.0)
    """
    if spec.low_eur is not None or spec.high_eur is not None:
        return (
            central if spec.low_eur is None else spec.low_eur,
            central if spec.high_eur is None else spec.high_eur,
        )
    return (
        central * (1.0 if spec.low_factor is None else spec.low_factor),
        central * (1.0 if spec.high_factor is None else spec.high_factor),
    )


def to_effect(
    spec: EffectInput, index: int, base_year: int, last_year: int, qaly_value_eur: float
) -> Effect:
    """Return one validated item of ``effects`` as an :class:`Effect` on the year grid.

    Raises
    ------
    InputError
        When the range does not hold the central value.

    Examples
    --------
    >>> to_effect(EffectInput(name="park upkeep", kind="cost", amount_eur=10.0),
    ...           0, 2025, 2054, 50000.0).end_year
    2054
    >>> to_effect(EffectInput(name="health", kind="benefit", qaly_per_year=0.5),
    ...           0, 2025, 2054, 50000.0).central
    25000.0
    """
    if spec.once_eur is not None:
        central, basis = spec.once_eur, "one-off"
        start = end = int(spec.year or base_year)
    else:
        start = base_year if spec.start_year is None else spec.start_year
        # without end_year an effect runs to the end of the horizon (a start beyond it: one year)
        end = max(last_year, start) if spec.end_year is None else spec.end_year
        if spec.qaly_per_year is not None:
            central, basis = spec.qaly_per_year * qaly_value_eur, "qaly"
        else:
            central, basis = float(spec.amount_eur or 0.0), "per-year"
    low, high = value_range(spec, central)
    if not low <= central <= high:
        raise InputError(
            "effects",
            f"effect {index} ({spec.name!r}): the range must hold the central value "
            f"(low {low} ≤ {central} ≤ high {high})",
        )
    return Effect(
        name=spec.name,
        kind=spec.kind,
        stakeholder=spec.stakeholder,
        central=central,
        low=low,
        high=high,
        start_year=start,
        end_year=end,
        growth=spec.growth or 0.0,
        basis=basis,
        to=spec.to,
    )


def check_premium_range(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    """Refuse a premium range the request sets on the wrong side of the central premium.

    The central premium is ``green_premium.premium_share``, else ``house_value_premium``.
    The low and high ends default to at most and at least it (a central premium above
    the default high end lifts it); set by the request on the wrong side they would be
    moved to it without a word. Without a ``green_premium`` nothing here is read (said
    as ``input-ignored``), nor is an end the premium gives itself.

    Examples
    --------
    >>> p = {"house_value_premium": 0.04, "house_value_premium_low": 0.04,
    ...      "house_value_premium_high": 0.02,
    ...      "green_premium": {"homes": 1, "mean_home_value_eur": 1e5}}
    >>> check_premium_range(p, {})
    >>> check_premium_range(p, {"house_value_premium_high": 0.02})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'house_value_premium_high': 0.02 lies below the central premium 0.04 (house_value_premium): the high end of the premium's range must be at least it
    """
    if params.get("green_premium") is None:
        return
    try:
        gp = GreenPremium.model_validate(params["green_premium"])
    except pydantic.ValidationError:
        return  # the kernel names what is wrong with it
    if gp.premium_share is not None:
        central, where = gp.premium_share, "green_premium.premium_share"
    else:
        central, where = params["house_value_premium"], "house_value_premium"
    low, high = params["house_value_premium_low"], params["house_value_premium_high"]
    if "house_value_premium_low" in inputs and gp.low_share is None and low > central:
        raise InputError(
            "house_value_premium_low",
            f"{low} lies above the central premium {central} ({where}): the low end of the "
            "premium's range must be at most it",
        )
    if "house_value_premium_high" in inputs and gp.high_share is None and high < central:
        raise InputError(
            "house_value_premium_high",
            f"{high} lies below the central premium {central} ({where}): the high end of the "
            "premium's range must be at least it",
        )


def _effects(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in params.get("effects") or [] if isinstance(e, Mapping)]


def qaly_value_unread(params: Mapping[str, Any]) -> str | None:
    """Return why ``qaly_value_eur`` is not read: no effect is valued in QALYs.

    Examples
    --------
    >>> qaly_value_unread({"effects": [{"name": "a", "kind": "cost", "once_eur": 1}]})
    'no effect is given in qaly_per_year'
    """
    if any(e.get("qaly_per_year") is not None for e in _effects(params)):
        return None
    return "no effect is given in qaly_per_year"


def residual_value_unread(params: Mapping[str, Any]) -> str | None:
    """Return why ``residual_value`` is not read: no effect has a ``lifetime_years``."""
    if any(e.get("lifetime_years") is not None for e in _effects(params)):
        return None
    return "no effect has a lifetime_years to leave a residual value"


def premium_unread(member: str, params: Mapping[str, Any]) -> str | None:
    """Return why a premium setting is not read: the green premium gives ``member`` itself.

    Bound to its member with :func:`functools.partial` (a picklable ``unread_if``).

    Examples
    --------
    >>> premium_unread("low_share", {"green_premium": {"low_share": 0.01}})
    'green_premium gives its own low_share'
    """
    gp = params.get("green_premium")
    if isinstance(gp, Mapping) and gp.get(member) is not None:
        return f"green_premium gives its own {member}"
    return None


def green_premium_effect(gp: GreenPremium, params: Mapping[str, Any]) -> Effect:
    """Return the one-off benefit of a green house-value premium.

    ``homes × mean_home_value_eur × premium_share`` in ``year``, received by
    ``stakeholder`` (residents); the low and high values use ``low_share`` and
    ``high_share`` (by default the parameters ``house_value_premium_low`` / ``_high``).

    Examples
    --------
    >>> p = {"base_year": 2025, "house_value_premium": 0.04,
    ...      "house_value_premium_low": 0.04, "house_value_premium_high": 0.30}
    >>> e = green_premium_effect(GreenPremium(homes=10, mean_home_value_eur=300000), p)
    >>> e.central, e.low, e.high, e.start_year, e.stakeholder
    (120000.0, 120000.0, 900000.0, 2025, 'residents')
    """
    share = params["house_value_premium"] if gp.premium_share is None else gp.premium_share
    low = min(share, params["house_value_premium_low"]) if gp.low_share is None else gp.low_share
    high = (
        max(share, params["house_value_premium_high"]) if gp.high_share is None else gp.high_share
    )
    if not low <= share <= high:
        raise InputError(
            "green_premium",
            f"low_share {low} ≤ premium_share {share} ≤ high_share {high} must hold",
        )
    year = int(params["base_year"]) if gp.year is None else gp.year
    base = gp.homes * gp.mean_home_value_eur
    return Effect(
        name=gp.name,
        kind="benefit",
        stakeholder=gp.stakeholder,
        central=base * share,
        low=base * low,
        high=base * high,
        start_year=year,
        end_year=year,
        basis="one-off",
    )


# ------------------------------------------------------------------ analysis


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


def residual_effect(spec: EffectInput, effect: Effect, last_year: int) -> Effect | None:
    """Return the residual value at the horizon of a one-off investment, else ``None``.

    Linear depreciation over ``lifetime_years`` (the *Algemene MKBA-leidraad*, Romijn &
    Renes 2013, asks for the residual value of investments that outlive the horizon):
    the unused share ``(year + lifetime − (last_year + 1)) / lifetime`` of the investment
    returns as a benefit in the horizon's last year, to the stakeholder that paid it.

    Examples
    --------
    >>> spec = EffectInput(name="park", kind="cost", once_eur=1000.0, year=2025, lifetime_years=40)
    >>> e = to_effect(spec, 0, 2025, 2054, 50000.0)
    >>> r = residual_effect(spec, e, 2054)   # 2025 + 40 − 2055 = 10 of 40 years unused
    >>> r.name, r.central, r.start_year, r.kind
    ('residual value: park', 250.0, 2054, 'benefit')
    """
    if spec.lifetime_years is None:
        return None
    unused = effect.start_year + spec.lifetime_years - (last_year + 1)
    if unused <= 0:
        return None
    share = min(unused, spec.lifetime_years) / spec.lifetime_years
    return Effect(
        name=f"residual value: {effect.name}",
        kind="benefit",
        stakeholder=effect.stakeholder,
        central=effect.central * share,
        low=effect.low * share,
        high=effect.high * share,
        start_year=last_year,
        end_year=last_year,
        basis="residual",
    )


def qaly_sweep(
    effects: Sequence[Effect], r: Mapping[str, Any], qaly_value: float, values: Sequence[float]
) -> list[dict[str, float]]:
    """Return the NPV at other values of a QALY (effects given in QALYs scale with it).

    Examples
    --------
    >>> e = [Effect("health", "benefit", "residents", 100.0, 100.0, 100.0, 2025, 2025, basis="qaly"),
    ...      Effect("build", "cost", "city", 50.0, 50.0, 50.0, 2025, 2025, basis="one-off")]
    >>> r = analyse(e, 2025, 1, 0.0)
    >>> qaly_sweep(e, r, 50000.0, [25000.0, 100000.0])  # health 100 → 50 and 200
    [{'qaly_value_eur': 25000.0, 'npv': 0.0}, {'qaly_value_eur': 100000.0, 'npv': 150.0}]
    """
    qaly = np.array([e.basis == "qaly" for e in effects], dtype=bool)
    pv = np.asarray(r["pv_by_effect"])[:, 0] if len(effects) else np.zeros(0)
    moving = float((_sign(effects) * pv)[qaly].sum()) if len(effects) else 0.0
    return [
        {"qaly_value_eur": float(v), "npv": float(r["npv"] + moving * (v / qaly_value - 1.0))}
        for v in values
    ]


def effects_from_params(params: Mapping[str, Any]) -> list[Effect]:
    """Return ``effects`` (and ``green_premium``) as :class:`Effect` on the year grid.

    The items were validated by :class:`EffectInput` with the other parameters.

    Raises
    ------
    InputError
        For a range without its central value, duplicate names, or nothing to analyse.
    """
    base_year, horizon = int(params["base_year"]), int(params["horizon_years"])
    specs = [EffectInput.model_validate(item) for item in params["effects"]]
    effects = [
        to_effect(spec, i, base_year, base_year + horizon - 1, float(params["qaly_value_eur"]))
        for i, spec in enumerate(specs)
    ]
    if params.get("residual_value", "linear") == "linear":
        effects += [
            r
            for spec, e in zip(specs, effects, strict=True)
            if (r := residual_effect(spec, e, base_year + horizon - 1)) is not None
        ]
    if params.get("green_premium") is not None:
        premium = GreenPremium.model_validate(params["green_premium"])
        effects.append(green_premium_effect(premium, params))
    if not effects:
        raise InputError("effects", "give at least one effect (or a green_premium)")
    names = [e.name for e in effects]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise InputError("effects", f"effect names must be unique; {twice!r} appears twice")
    return effects


def effect_rows(effects: Sequence[Effect], r: Mapping[str, Any], last_year: int) -> list[dict]:
    """Return each effect as analysed: years counted, value, range, PV (central, low, high)."""
    base_year = int(r["years"][0])
    total = {"cost": r["pv_costs"], "benefit": r["pv_benefits"]}
    rows = []
    for e, (pv, pv_lo, pv_hi) in zip(effects, r["pv_by_effect"], strict=True):
        counted = e.start_year <= last_year and e.end_year >= base_year  # any year inside
        row: dict[str, Any] = {
            "name": e.name,
            "kind": e.kind,
            "stakeholder": e.stakeholder,
            "basis": e.basis,
            "first_year": max(e.start_year, base_year) if counted else None,
            "last_year": min(e.end_year, last_year) if counted else None,
            "value_eur": e.central,
            "low_eur": e.low,
            "high_eur": e.high,
            "growth": e.growth,
            "pv": pv,
            "pv_low": pv_lo,
            "pv_high": pv_hi,
        }
        if e.to is not None:
            row["to"] = e.to
        if e.kind in total:
            row["share_of_pv"] = pv / total[e.kind] if total[e.kind] > 0 else None
        rows.append(row)
    return rows


def cash_flow_rows(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the cash-flow table: per year the flows, their present values and the cumulative net.

    Examples
    --------
    >>> e = [Effect("build", "cost", "municipality", 100.0, 100.0, 100.0, 2025, 2025),
    ...      Effect("gain", "benefit", "residents", 60.0, 60.0, 60.0, 2025, 2026)]
    >>> [row["cumulative_pv_net"] for row in cash_flow_rows(analyse(e, 2025, 2, 0.0))]
    [-40.0, 20.0]
    """
    cum = np.cumsum(r["net_pv"])
    return [
        {
            "year": int(y),
            "discount_factor": float(f),
            "costs": float(c),
            "benefits": float(b),
            "net": float(b - c),
            "pv_costs": float(c * f),
            "pv_benefits": float(b * f),
            "pv_net": float(n),
            "cumulative_pv_net": float(cu),
        }
        for y, f, c, b, n, cu in zip(
            r["years"], r["factors"], r["costs"], r["benefits"], r["net_pv"], cum, strict=True
        )
    ]


def warn_about(effects: Sequence[Effect], r: Mapping[str, Any], ctx: Context) -> None:
    """Record effects clipped to the horizon, effects without a range and a passing break-even."""
    base_year, last_year = int(r["years"][0]), int(r["years"][-1])
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
    be = r["break_even_year"]
    if be is not None and np.round(np.cumsum(r["net_pv"])[be - base_year :], 2).min() < 0:
        ctx.warn(
            "break-even-not-lasting",
            "effects",
            f"the cumulative discounted net is ≥ 0 in {be} but negative again later",
        )


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Run the cost–benefit analysis of ``params["effects"]``; see :func:`analyse`."""
    effects = effects_from_params(params)
    base_year, horizon = int(params["base_year"]), int(params["horizon_years"])
    ctx.progress(0.2, "discounting")
    r = analyse(
        effects,
        base_year,
        horizon,
        float(params["discount_rate"]),
        params["timing"],
        [float(x) for x in params["sensitivity_discount_rates"]],
    )
    warn_about(effects, r, ctx)
    transfers = np.array([e.kind == "transfer" for e in effects])
    return Metrics(
        overall={
            "pv_costs": r["pv_costs"],
            "pv_benefits": r["pv_benefits"],
            "npv": r["npv"],
            "bc_ratio": r["bc_ratio"],
            "break_even_year": r["break_even_year"],
            "pv_transfers": float(r["pv_by_effect"][transfers, 0].sum()),
            "effects": len(effects),
        },
        outputs={
            "cash_flows": cash_flow_rows(r),
            "stakeholders": [{"stakeholder": who, **v} for who, v in r["stakeholders"].items()],
            "effects": effect_rows(effects, r, base_year + horizon - 1),
            "sensitivity": {
                "discount_rates": [{"discount_rate": x, "npv": n} for x, n in r["rates"]],
                "qaly_values": qaly_sweep(
                    effects,
                    r,
                    float(params["qaly_value_eur"]),
                    [float(v) for v in params["sensitivity_qaly_values_eur"]],
                ),
                "ranges": r["ranges"],
                "tornado": r["tornado"],
            },
            "conventions": {
                "first_year": base_year,
                "last_year": base_year + horizon - 1,
                "timing": params["timing"],
                "discount_rate": params["discount_rate"],
                "prices": f"real euros, price level {base_year}",
            },
        },
    )


METRICS = (
    metric(
        "pv_costs",
        "Contante waarde kosten",
        "PV of costs",
        "EUR",
        digits=2,
        direction="lower_is_better",
        description="Discounted costs over the horizon.",
    ),
    metric(
        "pv_benefits",
        "Contante waarde baten",
        "PV of benefits",
        "EUR",
        digits=2,
        direction="higher_is_better",
        description="Discounted benefits over the horizon.",
    ),
    metric(
        "npv",
        "Netto contante waarde",
        "Net present value",
        "EUR",
        digits=2,
        direction="higher_is_better",
        description="PV of benefits − PV of costs.",
    ),
    metric(
        "bc_ratio",
        "Baten/kostenverhouding",
        "Benefit/cost ratio",
        "ratio",
        digits=4,
        direction="higher_is_better",
        description="PV of benefits ÷ PV of costs (null: no costs).",
    ),
    metric(
        "break_even_year",
        "Terugverdienjaar",
        "Break-even year",
        "year",
        digits=0,
        direction="lower_is_better",
        description="First year the cumulative discounted net is ≥ 0 (null: never).",
    ),
    metric(
        "pv_transfers",
        "Contante waarde overdrachten",
        "PV of transfers",
        "EUR",
        digits=2,
        description="Discounted transfers between stakeholders (net out for society).",
    ),
    metric(
        "effects",
        "Effecten",
        "Effects",
        "count",
        digits=0,
        description="Effects analysed (with the green premium).",
    ),
)


_DISCOUNT_SRC = "Werkgroep discontovoet 2020; Ministerie van Financiën (standard rate since 2021)"

INDICATORS = (
    Indicator(
        id="mkba",
        version="2.1.0",
        check=check_premium_range,
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
            "value, the others central, sorted by swing. The overall metrics (summary) are "
            "PV costs, PV benefits, NPV, B/C ratio, break-even year, PV of transfers and the "
            "number of effects; the cash-flow table, stakeholders, effects, sensitivity and "
            "conventions are further outputs. `effects` and `green_premium` are validated by "
            "their published JSON Schemas (Effect, GreenPremium)."
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
                default=[],
                annotation=list[EffectInput],
                schema={"items": openapi_schema(EffectInput)},
            ),
            Parameter(
                "discount_rate",
                "Discount rate",
                "Real discount rate: 2.25 % is the Dutch standard rate for MKBA since 1 January "
                "2021 (Werkgroep discontovoet 2020; 3 % before).",
                "number",
                default=0.0225,
                minimum=0.0,
                maximum=0.08,
                unit="1/yr",
            ),
            Parameter(
                "horizon_years",
                "Horizon",
                "Number of years counted from the base year (30: TEEB-stad practice).",
                "integer",
                default=30,
                minimum=1,
                maximum=100,
                unit="yr",
            ),
            Parameter(
                "base_year",
                "Base year",
                "Year discounted to, first year of the analysis and price level of all amounts.",
                "integer",
                default=2025,
                minimum=2000,
                maximum=2100,
            ),
            Parameter(
                "timing",
                "Timing of flows",
                "When in its year a flow falls: end-of-year (default; a base-year flow is "
                "discounted one year), mid-year, or start-of-year (base-year flows undiscounted).",
                "string",
                default="end-of-year",
                enum=tuple(TIMINGS),
            ),
            Parameter(
                "qaly_value_eur",
                "Value of a healthy life year (QALY)",
                "Euros per QALY for effects given in `qaly_per_year` (RIVM: about €50,000–60,000).",
                "number",
                default=50000.0,
                minimum=20000.0,
                maximum=150000.0,
                unit="€/QALY",
                unread_if=qaly_value_unread,
            ),
            Parameter(
                "house_value_premium",
                "Green house-value premium",
                "Premium on home value from green, as a share (Den Haag: about 4 %; literature "
                "4–30 %); used by `green_premium`.",
                "number",
                default=0.04,
                minimum=0.0,
                maximum=0.5,
                read_with=("green_premium",),
                unread_if=functools.partial(premium_unread, "premium_share"),
            ),
            Parameter(
                "house_value_premium_low",
                "Green premium, low",
                "Low end of the premium for the sensitivity (literature low: 4 %).",
                "number",
                default=0.04,
                minimum=0.0,
                maximum=0.5,
                read_with=("green_premium",),
                unread_if=functools.partial(premium_unread, "low_share"),
            ),
            Parameter(
                "house_value_premium_high",
                "Green premium, high",
                "High end of the premium for the sensitivity (literature high: 30 %).",
                "number",
                default=0.30,
                minimum=0.0,
                maximum=0.5,
                read_with=("green_premium",),
                unread_if=functools.partial(premium_unread, "high_share"),
            ),
            Parameter(
                "green_premium",
                "Green premium effect",
                "Optional helper effect: `{homes, mean_home_value_eur}` (optional "
                "`premium_share`, `low_share`, `high_share`, `year`, `stakeholder`, `name`) "
                "adds a one-off benefit homes x mean value x premium to residents.",
                "object",
                default=None,
                nullable=True,
                annotation=GreenPremium,
                schema=openapi_schema(GreenPremium),
            ),
            Parameter(
                "sensitivity_discount_rates",
                "Sensitivity discount rates",
                "Discount rates at which the NPV is also reported (0 %, the standard 2.25 %, the "
                "pre-2021 3 %, 4 %).",
                "array",
                default=[0.0, 0.0225, 0.03, 0.04],
                schema={"items": {"type": "number", "minimum": 0.0, "maximum": 0.08}},
            ),
            Parameter(
                "sensitivity_qaly_values_eur",
                "Sensitivity QALY values",
                "Values of a healthy life year at which the NPV is also reported: Zorginstituut "
                "Nederland's reference values €20,000, €50,000 and €80,000 per QALY "
                "(Kosteneffectiviteit in de praktijk, 2015).",
                "array",
                default=[20000.0, 50000.0, 80000.0],
                schema={"items": {"type": "number", "minimum": 0.0, "maximum": 500000.0}},
            ),
            Parameter(
                "residual_value",
                "Residual value",
                "linear: one-off investments with `lifetime_years` that outlive the horizon "
                "return their unused share (linear depreciation) as a benefit in the last year, "
                "as the Algemene MKBA-leidraad asks (Romijn & Renes 2013, CPB/PBL); none: no "
                "residual value.",
                "string",
                default="linear",
                enum=("linear", "none"),
                unread_if=residual_value_unread,
            ),
        ),
        metrics=METRICS,
        outputs=(
            Output(
                "cash_flows",
                "Cash flows",
                "The cash-flow table, per year: discount factor, costs, benefits, net, their "
                "present values and the cumulative discounted net (euros, unrounded).",
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
            Output(
                "conventions",
                "Conventions",
                "The years counted, the timing of flows, the discount rate and the price level.",
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
