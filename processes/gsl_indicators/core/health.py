"""Health and money from scenario deltas: exposure–response relations and value transfers.

A scenario comparison knows, per home, the exposure in the baseline and in a variant.
Here those per-home values become yearly **disease burden** (DALYs) with published
exposure–response functions and disability weights, and the change in homes meeting
3-30-300 becomes a **house-value premium**: effects that the ``mkba`` calculation takes
as they are (``qaly_per_year``, ``green_premium``), each with its source.

Relations used (every figure a parameter of ``scenario-compare``'s ``health`` input):

* **Road-traffic noise, high annoyance** (WHO 2018 Environmental Noise Guidelines, from
  Guski, Schreckenberg & Schuemer 2017): %HA = 78.9270 − 3.1162·Lden + 0.0342·Lden²,
  applied from 45 dB (below, the quadratic turns up again; its minimum is near 45.6 dB);
  disability weight 0.02 (WHO 2011, *Burden of disease from environmental noise*).
* **Road-traffic noise, high sleep disturbance** (WHO 2018, from Basner & McGuire 2018):
  %HSD = 19.4312 − 0.9336·Lnight + 0.0126·Lnight², from 40 dB; disability weight 0.07
  (WHO 2011).
* **PM2.5, all-cause mortality** (Chen & Hoek 2020, the review behind the WHO 2021 air
  quality guidelines): relative risk 1.08 per 10 µg/m³, log-linear; deaths = baseline
  mortality rate × persons × (1 − RR^(−ΔC/10)); years of life lost per attributable death
  ``yll_per_death`` (indicative default 11, to be replaced by a life-table figure).

Persons per dwelling: 2.12 (CBS, average household size 2023). A DALY avoided counts as
one QALY gained (the usual approximation in Dutch MKBA practice).

Examples
--------
>>> round(float(percent_highly_annoyed(np.array([53.0]))[0]), 2)  # WHO: ~10 % at 53 dB
9.84
>>> float(percent_highly_annoyed(np.array([40.0]))[0]) == float(percent_highly_annoyed(np.array([45.0]))[0])
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HEALTH_SOURCES",
    "HealthParameters",
    "daly_noise",
    "deaths_pm25",
    "percent_highly_annoyed",
    "percent_highly_sleep_disturbed",
]

HEALTH_SOURCES: dict[str, str] = {
    "annoyance": "WHO (2018) Environmental Noise Guidelines for the European Region; Guski, "
    "Schreckenberg & Schuemer (2017), Int. J. Environ. Res. Public Health 14:1539",
    "sleep": "WHO (2018) Environmental Noise Guidelines; Basner & McGuire (2018), Int. J. "
    "Environ. Res. Public Health 15:519",
    "disability_weights": "WHO (2011) Burden of disease from environmental noise "
    "(annoyance 0.02, sleep disturbance 0.07)",
    "pm25": "Chen & Hoek (2020), Environment International 143:105974 (RR 1.08 per 10 µg/m³, "
    "basis of the WHO 2021 air quality guidelines)",
    "persons": "CBS StatLine, average household size 2023: 2.12 persons",
    "green_premium": "house-value premium of green 4 % (Den Haag example; literature 4–30 %, "
    "DOMAIN.md), the mkba default",
}


class HealthParameters(BaseModel):
    """Figures of the health and money derivation (each with its source in the docs)."""

    model_config = ConfigDict(extra="forbid", title="HealthParameters")

    persons_per_dwelling: float = Field(2.12, ge=0, le=10, description="CBS 2023.")
    dw_annoyance: float = Field(0.02, ge=0, le=1, description="WHO 2011.")
    dw_sleep: float = Field(0.07, ge=0, le=1, description="WHO 2011.")
    annoyance_from_db: float = Field(45.0, ge=30, le=60, description="ERF applied from here.")
    sleep_from_db: float = Field(40.0, ge=30, le=60, description="ERF applied from here.")
    pm25_rr_per_10: float = Field(1.08, ge=1, le=2, description="Chen & Hoek 2020.")
    mortality_rate: float = Field(
        0.0095, ge=0, le=0.1, description="Deaths per person-year (CBS 2023: ~169,000 / 17.9 M)."
    )
    yll_per_death: float = Field(11.0, ge=0, le=50, description="Indicative.")
    mean_home_value_eur: float | None = Field(
        None, ge=0, description="Mean home value for the green premium (none: not derived)."
    )
    costs: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="Per variant, its costs as mkba `effects` items (they join the derived "
        "benefits in that variant's mkba run).",
    )


def percent_highly_annoyed(lden: np.ndarray, from_db: float = 45.0) -> np.ndarray:
    """Return %HA from road-traffic Lden (WHO 2018 / Guski et al. 2017), clamped below ``from_db``."""
    x = np.maximum(np.asarray(lden, dtype=float), from_db)
    return 78.9270 - 3.1162 * x + 0.0342 * x**2


def percent_highly_sleep_disturbed(lnight: np.ndarray, from_db: float = 40.0) -> np.ndarray:
    """Return %HSD from road-traffic Lnight (WHO 2018 / Basner & McGuire 2018), from ``from_db``.

    Examples
    --------
    >>> round(float(percent_highly_sleep_disturbed(np.array([45.0]))[0]), 3)  # 19.4312 − 42.012 + 25.515
    2.934
    """
    x = np.maximum(np.asarray(lnight, dtype=float), from_db)
    return 19.4312 - 0.9336 * x + 0.0126 * x**2


def _persons(dwellings: np.ndarray, hp: HealthParameters) -> np.ndarray:
    return np.nan_to_num(np.asarray(dwellings, dtype=float)) * hp.persons_per_dwelling


def daly_noise(
    lden: np.ndarray, lnight: np.ndarray, dwellings: np.ndarray, hp: HealthParameters
) -> dict[str, float]:
    """Return yearly DALYs of high annoyance and high sleep disturbance over the homes.

    Homes without a level (NaN) count nothing.

    Examples
    --------
    >>> hp = HealthParameters()
    >>> d = daly_noise(np.array([53.0]), np.array([np.nan]), np.array([1.0]), hp)
    >>> round(d["annoyance"], 6)  # 2.12 persons × 9.8365 % × 0.02
    0.004171
    """
    persons = _persons(dwellings, hp)
    ha = np.where(np.isfinite(lden), percent_highly_annoyed(lden, hp.annoyance_from_db), 0.0)
    hsd = np.where(
        np.isfinite(lnight), percent_highly_sleep_disturbed(lnight, hp.sleep_from_db), 0.0
    )
    return {
        "annoyance": float(np.sum(persons * ha / 100.0) * hp.dw_annoyance),
        "sleep": float(np.sum(persons * hsd / 100.0) * hp.dw_sleep),
    }


def deaths_pm25(delta_pm25: np.ndarray, dwellings: np.ndarray, hp: HealthParameters) -> float:
    """Return yearly deaths attributable to a per-home PM2.5 change (positive: more deaths).

    ``mortality_rate × persons × (1 − RR^(−ΔC/10))``, log-linear in the concentration.

    Examples
    --------
    >>> hp = HealthParameters()
    >>> round(deaths_pm25(np.array([10.0]), np.array([1000.0]), hp), 4)  # 2120 × 0.0095 × (1 − 1/1.08)
    1.4919
    """
    d = np.nan_to_num(np.asarray(delta_pm25, dtype=float))
    af = 1.0 - hp.pm25_rr_per_10 ** (-d / 10.0)
    return float(np.sum(_persons(dwellings, hp) * hp.mortality_rate * af))


def home_column(outputs: Mapping[str, Any], layer: str, name: str) -> np.ndarray:
    """Return one per-feature column of a part's output layer as floats (NaN for null).

    The output is a part's :class:`~gsl_indicators.core.collection_columns.FeatureValues`
    (:func:`~gsl_indicators.core.parts.run_parts`) or a FeatureCollection.
    """
    from gsl_indicators.core.collection_columns import FeatureValues

    fc = outputs.get(layer) or {}
    values = (
        fc.values(name)
        if isinstance(fc, FeatureValues)
        else [(f.get("properties") or {}).get(name) for f in fc.get("features", [])]
    )
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _part(parts: list[tuple[str, Any]], indicator: str) -> Any:
    return next((p for _, p in parts if p.indicator.id == indicator and not p.missing), None)


def _dwellings(outputs: Mapping[str, Any]) -> np.ndarray:
    dw = home_column(outputs, "buildings", "dwellings")
    return np.where(np.isnan(dw), 1.0, dw)  # the indicators' default: 1 dwelling


def derive_effects(
    base_parts: list[tuple[str, Any]],
    variant_parts: list[tuple[str, Any]],
    hp: HealthParameters,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]]:
    """Return a variant's mkba effects, green premium and the derivation behind them.

    Parameters
    ----------
    base_parts, variant_parts : list of (theme, Part)
        The card's parts in the baseline and in the variant (same order).
    hp : HealthParameters
        The figures.

    Returns
    -------
    effects : list of dict
        mkba ``effects`` items: yearly QALYs gained (``benefit``) or lost (``cost``).
    green_premium : dict or None
        mkba ``green_premium`` for the homes that newly meet all three of 3-30-300.
    derivation : list of dict
        Per effect: the change in exposure, persons, DALYs and the source.
    """
    effects: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []

    def add(name: str, daly_change: float, what: dict[str, Any], source: str) -> None:
        rows.append({"effect": name, "daly_per_year": daly_change, **what, "source": source})
        if abs(daly_change) > 1e-12:
            effects.append(
                {
                    "name": name,
                    "kind": "cost" if daly_change > 0 else "benefit",
                    "stakeholder": "residents",
                    "qaly_per_year": abs(daly_change),
                }
            )

    nb, nv = _part(base_parts, "noise"), _part(variant_parts, "noise")
    if nb is not None and nv is not None:
        db, dv = (
            daly_noise(
                home_column(p.outputs, "buildings", "lden_road"),
                home_column(p.outputs, "buildings", "lnight_road"),
                _dwellings(p.outputs),
                hp,
            )
            for p in (nb, nv)
        )
        add(
            "road-noise annoyance",
            dv["annoyance"] - db["annoyance"],
            {"baseline_daly": db["annoyance"], "variant_daly": dv["annoyance"]},
            HEALTH_SOURCES["annoyance"] + "; " + HEALTH_SOURCES["disability_weights"],
        )
        add(
            "road-noise sleep disturbance",
            dv["sleep"] - db["sleep"],
            {"baseline_daly": db["sleep"], "variant_daly": dv["sleep"]},
            HEALTH_SOURCES["sleep"] + "; " + HEALTH_SOURCES["disability_weights"],
        )
    ab, av = _part(base_parts, "air-quality"), _part(variant_parts, "air-quality")
    if ab is not None and av is not None:
        delta = home_column(av.outputs, "buildings", "pm25") - home_column(
            ab.outputs, "buildings", "pm25"
        )
        deaths = deaths_pm25(delta, _dwellings(av.outputs), hp)
        add(
            "PM2.5 mortality",
            deaths * hp.yll_per_death,
            {"deaths_per_year": deaths, "yll_per_death": hp.yll_per_death},
            HEALTH_SOURCES["pm25"],
        )
    premium = None
    gb, gv = _part(base_parts, "green-3-30-300"), _part(variant_parts, "green-3-30-300")
    if gb is not None and gv is not None and hp.mean_home_value_eur is not None:
        meets = [
            np.nan_to_num(home_column(p.outputs, "buildings", "meets_all_three")) for p in (gb, gv)
        ]
        gained = int(np.sum((meets[1] > 0) & (meets[0] <= 0)))
        rows.append(
            {
                "effect": "green house-value premium",
                "homes_newly_meeting_3_30_300": gained,
                "mean_home_value_eur": hp.mean_home_value_eur,
                "source": HEALTH_SOURCES["green_premium"],
            }
        )
        if gained:
            premium = {"homes": gained, "mean_home_value_eur": hp.mean_home_value_eur}
    return effects, premium, rows
