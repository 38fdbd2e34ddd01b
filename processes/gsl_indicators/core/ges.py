"""GES (GGD *Gezondheidseffectscreening*) class tables and scores 0–8 per home.

The GES handbook (Fast, Van den Hazel & Van de Weerdt, *Handboek
Gezondheidseffectscreening Stad & Milieu*, GGD Nederland, versions 2008–2012) maps an
exposure per environmental factor onto a score from 0 (very good) to 8 (very
insufficient); score 6 is the maximum tolerable risk (MTR). Scores are **never summed
across factors**: they are reported side by side.

Only class limits that could be traced to a public source are built in; each table
says where it comes from and how firm that is (``status``):

``lden_road`` (road-traffic noise, Lden in dB) — status ``published``
    55–60 → 4, 60–65 → 5, 65–70 → 6, 70–75 → 7, ≥ 75 → 8, as the province of
    Noord-Brabant states it applied the 2012 GES handbook to its Lden noise contours
    ("Gezondheidskaart GES geluid provinciale wegen Lden 2013", open data,
    https://ckan.mobidatalab.eu/dataset/10753-gezondheidskaart-ges-geluid-provinciale-wegen-lden-2013).
    Below 55 dB that source gives no class (the EU noise maps start at 55 dB), so a
    home below 55 dB gets no score here, with a note, rather than an invented 0–3.
``no2`` (annual mean NO₂, µg/m³) — status ``secondary-source``
    0–10 → 1, 10–20 → 4, 20–30 → 6, 30–40 → 7, > 40 → 8, the classes "after the
    Dutch GES method" used by the Flemish planning bureau VPO for its GES map of
    local air quality 2017 (https://data.gov.be/de/datasets/752ea150-b80b-4d6d-bf19-ad46a50f6d8d).
    The GGD handbook's own NO₂ table could not be retrieved; replace this table
    through the ``ges_tables`` parameter where the handbook's is wanted.

For all other factors (PM10, PM2.5, rail, aircraft and industry noise, Lnight) the
handbook has tables, but their limits could not be verified from a public source, so
no score is given and the output says so, per factor (:data:`NOT_SCORED_REASONS`,
reviewed for issue 13: a rail GES map without its table, and the GGD air-quality
guideline's view that the PM classes are not health-relevant); a user can supply
them with ``ges_tables``.
Heat (PET, hot nights) has no GES module at all (the handbook covers air pollution,
noise, odour, external safety, electromagnetic fields and soil contamination:
https://www.fastadvies.com/2012/11/handboek-ges-gezondheid-en-milieu-in-ruimtelijke-planvorming-fast-t-p-j-van-den-hazel-en-d-h-j-van-de-weerdt-fast-advies-en-burweau-medische-milieukunde-jans-van-den-hazel-van-de-weerdt-gg/).

Classes include their lower limit: a value ``v`` gets the score of the last class
whose lower limit is ``<= v``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pydantic

from gsl_indicators.core.spec import InputError, Parameter, Source
from gsl_indicators.core.wording import counted

__all__ = [
    "GES_PARAMETER",
    "GES_SOURCES",
    "GES_TABLES",
    "NOT_SCORED_REASONS",
    "NOT_VERIFIED",
    "NO_MODULE",
    "GesTable",
    "GesTableSpec",
    "ges_report",
    "ges_tables",
]


@dataclass(frozen=True)
class GesTable:
    """A GES class table for one factor.

    Attributes
    ----------
    factor : str
        Quantity key (``"no2"``, ``"lden_road"``).
    limits : tuple of float
        Ascending lower limits of the classes (inclusive).
    scores : tuple of int
        GES score (0–8) of each class, non-decreasing.
    unit : str
        Unit of the limits.
    source : str
        Where the limits come from.
    status : str
        ``published`` (a source states it applied the handbook), ``secondary-source``
        (a derived application of the method), ``user`` (given in the request).
    """

    factor: str
    limits: tuple[float, ...]
    scores: tuple[int, ...]
    unit: str
    source: str
    status: str

    def __post_init__(self) -> None:
        if len(self.limits) != len(self.scores) or not self.limits:
            raise ValueError("limits and scores must have the same, non-zero length")
        if any(b <= a for a, b in zip(self.limits, self.limits[1:], strict=False)):
            raise ValueError("limits must ascend")
        if any(b < a for a, b in zip(self.scores, self.scores[1:], strict=False)):
            raise ValueError("scores must not decrease")
        if any(not 0 <= s <= 8 for s in self.scores):
            raise ValueError("scores must lie in 0..8")

    def score(self, values: np.ndarray) -> np.ndarray:
        """Return the GES score per value; -1 below the first limit or for NaN.

        Examples
        --------
        >>> GES_TABLES["lden_road"].score(np.array([54.9, 55.0, 62.0, 75.0, 80.0, np.nan])).tolist()
        [-1, 4, 5, 8, 8, -1]
        """
        values = np.asarray(values, float)
        idx = np.searchsorted(np.asarray(self.limits), values, side="right") - 1
        scores = np.asarray(self.scores, dtype=np.int64)
        out = np.where(idx >= 0, scores[np.clip(idx, 0, None)], -1)
        out[np.isnan(values)] = -1
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the table for the result document."""
        return {
            "factor": self.factor,
            "classes": [
                {"from": lim, "to": nxt, "score": s}
                for lim, nxt, s in zip(
                    self.limits, [*self.limits[1:], None], self.scores, strict=True
                )
            ],
            "unit": self.unit,
            "source": self.source,
            "status": self.status,
        }


_BRABANT = (
    "GES handbook 2012 (Fast, Van den Hazel & Van de Weerdt, GGD Nederland) as applied "
    "by the province of Noord-Brabant, 'Gezondheidskaart GES geluid provinciale wegen "
    "Lden 2013': 55-60 dB = GES 4; 60-65 = 5; 65-70 = 6; 70-75 = 7; >= 75 = 8"
)
_VPO = (
    "Vlaams Planbureau voor Omgeving, 'GES-kaart luchtkwaliteit - toestand 2017' "
    "(classes after the Dutch GES method): 0-10 µg/m³ = GES 1; 10-20 = 4; 20-30 = 6; "
    "30-40 = 7; > 40 = 8. Not the GGD handbook's own table, which could not be retrieved."
)

GES_TABLES: dict[str, GesTable] = {
    "lden_road": GesTable(
        "lden_road", (55.0, 60.0, 65.0, 70.0, 75.0), (4, 5, 6, 7, 8), "dB", _BRABANT, "published"
    ),
    "no2": GesTable(
        "no2", (0.0, 10.0, 20.0, 30.0, 40.0), (1, 4, 6, 7, 8), "µg/m³", _VPO, "secondary-source"
    ),
}

NOT_VERIFIED = (
    "the GES handbook has a table for this factor, but its class limits could not be "
    "verified from a public source, so no GES score is given; supply the table with the "
    "`ges_tables` parameter"
)
NO_MODULE = "the GES handbook has no module for heat; no GES score exists for this factor"

_PM_REASON = (
    "the GES handbook has PM10 / PM2.5 classes, but no public source states their limits "
    "(searched again for issue 13: none found), so no GES score is given; note that the "
    "GGD guideline on air quality (RIVM, GGD-richtlijn medische milieukunde: luchtkwaliteit "
    "en gezondheid, section 'kwantificeren gezondheidseffecten') calls the GES classes for "
    "particulate matter and NO2 not health-relevant and of little discriminating power, and "
    "points to population-weighted exposure (this indicator's shares above the WHO 2021 "
    "guideline) or the GGD-RIVM Rekentool instead; supply a table with `ges_tables` if "
    "your GGD uses one"
)
_RAIL_REASON = (
    "the GES handbook has a class table for rail noise (Lden), and provinces publish GES "
    "contours for rail in 5 dB Lden classes (e.g. province of Groningen, 'Gezondheidskaart "
    "geluid', Staat van Groningen 2022), but no public source found states the class-to-score "
    "table (searched again for issue 13), so no GES score is given; supply it with "
    "`ges_tables`"
)
_NOISE_REASON = (
    "the GES handbook has a table for this noise factor, but its class limits could not be "
    "found in a public source (searched again for issue 13; the GGD guideline on "
    "environmental noise, RIVM 2019-0177, is the reference to check), so no GES score is "
    "given; supply the table with the `ges_tables` parameter"
)
NOT_SCORED_REASONS: dict[str, str] = {
    "pm10": _PM_REASON,
    "pm25": _PM_REASON,
    "lden_rail": _RAIL_REASON,
    **{
        f"{m}_{s}": _NOISE_REASON
        for m in ("lden", "lnight")
        for s in ("road", "rail", "aircraft", "industry")
        if f"{m}_{s}" not in ("lden_rail", "lden_road")
    },
}
"""Why a factor without a verified table is not scored (issue 13: GES coverage reviewed).

A factor not listed here gets :data:`NOT_VERIFIED`. Road Lden and NO2 have tables
(:data:`GES_TABLES`); heat has no module (:data:`NO_MODULE`)."""

GES_SOURCES = (
    Source(
        "GES handbook",
        "Fast, T., Van den Hazel, P.J. & Van de Weerdt, D.H.J. (2012). Handboek "
        "Gezondheidseffectscreening: gezondheid en milieu in ruimtelijke planvorming. "
        "GGD Nederland.",
        "https://www.fastadvies.com/2012/11/handboek-ges-gezondheid-en-milieu-in-ruimtelijke-planvorming-fast-t-p-j-van-den-hazel-en-d-h-j-van-de-weerdt-fast-advies-en-burweau-medische-milieukunde-jans-van-den-hazel-van-de-weerdt-gg/",
    ),
    Source(
        "GES road noise classes",
        _BRABANT,
        "https://ckan.mobidatalab.eu/dataset/10753-gezondheidskaart-ges-geluid-provinciale-wegen-lden-2013",
    ),
    Source(
        "GES NO2 classes (Flanders)",
        _VPO,
        "https://data.gov.be/de/datasets/752ea150-b80b-4d6d-bf19-ad46a50f6d8d",
    ),
)


class GesTableSpec(pydantic.BaseModel):
    """A GES class table given in a request: ascending lower limits, scores 0–8."""

    model_config = pydantic.ConfigDict(extra="forbid")

    limits: list[pydantic.FiniteFloat] = pydantic.Field(
        min_length=1, description="Ascending lower limits of the classes (inclusive)."
    )
    scores: list[Annotated[int, pydantic.Field(ge=0, le=8)]] = pydantic.Field(
        min_length=1, description="GES score 0–8 of each class, non-decreasing."
    )
    unit: str = pydantic.Field(default="", description="Unit of the limits.")
    source: str = pydantic.Field(
        default="given in the request", description="Where the limits come from."
    )

    @pydantic.model_validator(mode="after")
    def _a_valid_table(self) -> GesTableSpec:
        self.table("check")
        return self

    def table(self, factor: str) -> GesTable:
        """Return the :class:`GesTable` of this specification for ``factor``."""
        return GesTable(
            factor, tuple(self.limits), tuple(self.scores), self.unit, self.source, "user"
        )


GES_PARAMETER = Parameter(
    "ges_tables",
    "GES class tables",
    "Own GES class tables per factor, replacing or adding to the built-in ones: "
    '{"pm10": {"limits": [...], "scores": [...], "source": "..."}} with ascending lower '
    "limits (inclusive) and non-decreasing scores 0–8.",
    "object",
    default=None,
    nullable=True,
    annotation=dict[str, GesTableSpec],
    schema={"additionalProperties": GesTableSpec.model_json_schema()},
)


def ges_tables(
    params: Mapping[str, Any], known: Collection[str] | None = None
) -> dict[str, GesTable]:
    """Return the built-in tables updated with the request's ``ges_tables``.

    The request's tables were validated with :class:`GesTableSpec` (their JSON Schema
    is the parameter's); here they only replace or add to the built-in ones. ``known``:
    the factors the process scores; a table for another is refused (it would be
    ignored without a word).

    Raises
    ------
    InputError
        Naming ``ges_tables`` and the factor no table is for.

    Examples
    --------
    >>> own = {"pm10": {"limits": [0, 20], "scores": [2, 5], "unit": "", "source": "own"}}
    >>> ges_tables({"ges_tables": own})["pm10"].status
    'user'
    >>> try:  # the rules of GesTable, checked when the request is validated
    ...     GesTableSpec.model_validate({"limits": [20, 10], "scores": [1, 2]})
    ... except pydantic.ValidationError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, limits must ascend
    """
    tables = dict(GES_TABLES)
    given = params.get("ges_tables") or {}
    if known is not None:
        unknown = sorted(str(f) for f in given if f not in known)
        if unknown:
            raise InputError(
                "ges_tables",
                f"{unknown[0]!r} is not a factor of this process; its factors: {sorted(known)}",
            )
    for factor, spec in given.items():
        tables[str(factor)] = GesTableSpec.model_validate(spec).table(str(factor))
    return tables


def ges_report(
    factors: Mapping[str, np.ndarray],
    dwellings: np.ndarray,
    tables: Mapping[str, GesTable],
    no_module: frozenset[str] = frozenset(),
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Score every factor that has a table; explain the others.

    Parameters
    ----------
    factors : Mapping
        Factor key to values per building.
    dwellings : numpy.ndarray
        Dwellings per building (0 = not a home; such buildings get no score).
    tables : Mapping
        Available GES tables.
    no_module : frozenset
        Factors for which GES has no module at all.

    Returns
    -------
    scores : dict
        Factor key to an object array of scores per building (``None`` where none).
    report : dict
        Per factor: the table used (or why none) and homes/dwellings per score.

    Examples
    --------
    >>> s, r = ges_report({"lden_road": np.array([50.0, 58.0, 66.0])}, np.ones(3), GES_TABLES)
    >>> s["lden_road"].tolist(), r["lden_road"]["homes_per_score"]
    ([None, 4, 6], {'4': 1, '6': 1})
    """
    scores: dict[str, np.ndarray] = {}
    report: dict[str, Any] = {}
    homes = dwellings > 0
    for factor, values in factors.items():
        table = tables.get(factor)
        if table is None:
            report[factor] = {
                "scored": False,
                "reason": NO_MODULE
                if factor in no_module
                else NOT_SCORED_REASONS.get(factor, NOT_VERIFIED),
            }
            continue
        sc = table.score(values)
        obj = np.empty(len(sc), dtype=object)
        ok = (sc >= 0) & homes
        obj[:] = None
        obj[ok] = sc[ok].tolist()
        scores[factor] = obj
        per = {
            str(k): int(((sc == k) & homes).sum())
            for k in range(9)
            if int(((sc == k) & homes).sum())
        }
        per_dw = {
            str(k): float(dwellings[(sc == k) & homes].sum())
            for k in range(9)
            if int(((sc == k) & homes).sum())
        }
        below = int((homes & np.isfinite(values) & (sc < 0)).sum())
        entry: dict[str, Any] = {
            "scored": True,
            "table": table.to_dict(),
            "homes_per_score": per,
            "dwellings_per_score": per_dw,
        }
        if below:
            entry["homes_below_first_class"] = below
            entry["note"] = (
                f"{counted(below, 'home lies', 'homes lie')} below the first class limit ({table.limits[0]} "
                f"{table.unit}); the cited table gives them no score"
            )
        report[factor] = entry
    return scores, report
