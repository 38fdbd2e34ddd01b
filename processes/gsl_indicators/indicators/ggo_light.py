"""``ggo-light``: theme scores for a first sketch, from plan areas and their programme.

Before detailed layers exist, a sketch is a set of plan areas (polygons) with their
programme as properties: ``dwellings``, ``green_m2``, ``paved_m2``, ``built_m2``,
``trees_planted``, ``parking_places``, ``storage_m3`` and ``area_type``. Each **rule of
thumb** turns the programme (and, where given, a context layer) into the *same metric*
the full indicator computes, so the norm profile scores it with the *same band* and the
theme scores are on the same 1–10 scale as the full scoreboard: a sketch and a worked-out
design can be compared. Every output is labelled ``light``.

No province rule-of-thumb booklet with published figures could be found; each rule
therefore uses the norm of the full indicator it stands in for, and its own simplifying
assumption is named in :data:`RULES` (and in the output). Assumptions marked
*indicative* are project choices, to be replaced by a province's own figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import box_feature, rd_collection
from gsl_indicators.core.exposure import Quantity, zone_input
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import DWELLINGS_RANGE
from gsl_indicators.core.metrics import FRACTION, Metric, Metrics, score_name
from gsl_indicators.core.scoring import PROFILE_PARAMETERS, area_types_of, resolve_profile
from gsl_indicators.core.spec import (
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Output,
    Parameter,
    Source,
)

__all__ = ["RULES", "Rule", "light_metrics"]


@dataclass(frozen=True)
class Rule:
    """A rule of thumb: a light metric standing in for a full indicator's metric.

    Attributes
    ----------
    metric : str
        The metric id, the same as the full indicator's (so the same band scores it).
    theme : str
        The scoreboard theme.
    indicator : str
        The full indicator whose norm (profile band) applies.
    unit : str
        Unit of the metric.
    direction : str
        ``higher_is_better`` or ``lower_is_better``.
    assumption : str
        What the rule simplifies, in words (shown in the output).
    source : str
        Where the norm comes from.
    needs : str or None
        The context input without which the rule gives no value (named in the output
        as what a "not assessed" score is missing).
    """

    metric: str
    theme: str
    indicator: str
    unit: str
    direction: str
    assumption: str
    source: str
    needs: str | None = None


RULES: tuple[Rule, ...] = (
    Rule(
        "green_per_dwelling_m2",
        "green",
        "green-per-dwelling",
        "m²",
        "higher_is_better",
        "the plan's own green plus the parks within `radius_m` of the plan area, shared "
        "by the plan's dwellings (the full indicator counts green within 500 m of each home)",
        "75 m² public green per dwelling (Nota Ruimte / PBL), as green-per-dwelling",
    ),
    Rule(
        "share_dwellings_meeting_3",
        "green",
        "green-3-30-300",
        FRACTION,
        "higher_is_better",
        "trees planted ÷ (3 × dwellings), at most 1: as if every planted tree stood within "
        "30 m of a home (indicative; the full indicator counts trees per home)",
        "3-30-300 rule (Konijnendijk 2023): at least 3 trees from every home",
    ),
    Rule(
        "paved_share",
        "water",
        "water",
        FRACTION,
        "lower_is_better",
        "(paved m² + built m²) ÷ plan area, as water's paved share (roofs count as paved)",
        "bands of the water indicator (nl-default)",
    ),
    Rule(
        "storage_ratio",
        "water",
        "water",
        "ratio",
        "higher_is_better",
        "storage m³ ÷ (design storm × (paved m² + built m²) × paved runoff), as water's "
        "storage ratio (roofs drain too)",
        "design storm `storm_mm` (commonly 60–70 mm; verify per water board)",
    ),
    Rule(
        "sealed_share",
        "soil",
        "soil",
        FRACTION,
        "lower_is_better",
        "(paved m² + built m²) ÷ plan area, as soil's sealed share",
        "bands of the soil indicator (nl-default)",
    ),
    Rule(
        "shade_share_public_space",
        "heat",
        "heat",
        FRACTION,
        "higher_is_better",
        "trees planted × `crown_area_m2` ÷ public space (plan area − built m²), at most 1: "
        "crowns as the only shade at noon (indicative; the full indicator adds building shadows)",
        "Utrecht: at least 50 % shade on walking and stay areas at noon on 21 June",
    ),
    Rule(
        "share_homes_above_who_lden_road",
        "noise",
        "noise",
        FRACTION,
        "lower_is_better",
        "the share of the plan area in noise zones with Lden above `who_lden_road`, "
        "dwellings spread evenly over the plan area",
        "WHO Environmental Noise Guidelines 2018: road traffic 53 dB Lden",
        needs="exposure_zones",
    ),
    Rule(
        "mean_no2",
        "air",
        "air-quality",
        "µg/m³",
        "lower_is_better",
        "the area-weighted mean NO₂ of the zones over the plan area",
        "WHO AQG 2021 and EU limit values, as air-quality",
        needs="exposure_zones",
    ),
    Rule(
        "pressure",
        "mobility",
        "parking-pressure",
        "ratio",
        "lower_is_better",
        "dwellings × `parking_norm_per_dwelling` ÷ parking places (one norm for every "
        "dwelling; indicative, the full indicator uses a norm table per dwelling type)",
        "CROW parkeerkencijfers (licensed; the default 1.0 is an example)",
    ),
)
_BY_METRIC = {r.metric: r for r in RULES}
THEMES = tuple(dict.fromkeys(r.theme for r in RULES))
PROGRAMME = {
    "dwellings": "number of dwellings planned",
    "green_m2": "public green (m²)",
    "paved_m2": "paved surface (m²)",
    "built_m2": "building footprints (m²)",
    "trees_planted": "trees planted (count)",
    "parking_places": "parking places (count)",
    "storage_m3": "water storage (m³)",
    "area_type": "area type (CBS class 1–5 or GGO type)",
}


#: plausible zone values read (as air-quality and noise read them)
ZONE_VALUES = {"lden": (-50.0, 200.0), "no2": (0.0, 1e6)}
#: what a plan area's programme figures may be (refused outside; the description shows it)
PLAN_RANGES = {
    k: DWELLINGS_RANGE if k == "dwellings" else (0.0, 1e9) for k in PROGRAMME if k != "area_type"
}


def _check_surfaces(plans: Layer, area: np.ndarray, paved: np.ndarray, built: np.ndarray) -> None:
    """Refuse plan areas that declare more paved and built surface than they have.

    A share of 12.5 (1,000 m² declared on 80 m²) would be scored as if it were real.

    Raises
    ------
    InputError
        Naming ``plan_areas``, how many and the first (its figures and its area).
    """
    sealed = np.nan_to_num(paved) + np.nan_to_num(built)
    over = sealed > area * 1.001 + 1.0  # 0.1 % and a square metre of drawing slack
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            "plan_areas",
            f"{int(over.sum())} of {len(area)} plan areas declare more paved and built "
            f"surface than their area (plan {plans.ids[i]!r}: {sealed[i]:,.0f} m² on "
            f"{area[i]:,.0f} m²)",
        )


def _zone_mean(plans: np.ndarray, zones: Layer, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Return per plan the area-weighted mean of ``key`` and the covered fraction."""
    values = zones.number(key, valid=ZONE_VALUES[key])
    ok = np.isfinite(values)
    mean = np.full(len(plans), np.nan)
    covered = np.zeros(len(plans))
    if not ok.any() or not len(plans):
        return mean, covered
    geoms = zones.geometries[ok]
    vals = values[ok]
    pi, zi = shapely.STRtree(geoms).query(plans, predicate="intersects")
    inter = shapely.area(shapely.intersection(plans[pi], geoms[zi]))
    area = shapely.area(plans)
    w = np.bincount(pi, weights=inter, minlength=len(plans))
    s = np.bincount(pi, weights=inter * vals[zi], minlength=len(plans))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(w > 0, s / np.where(w > 0, w, 1), np.nan)
        covered = np.where(area > 0, np.minimum(w / np.where(area > 0, area, 1), 1.0), 0.0)
    return mean, covered


def _share_above(plans: np.ndarray, zones: Layer, key: str, limit: float) -> np.ndarray:
    """Return per plan the share of its area in zones whose ``key`` exceeds ``limit``."""
    values = zones.number(key, valid=ZONE_VALUES[key])
    loud = zones.geometries[np.isfinite(values) & (np.nan_to_num(values, nan=-np.inf) > limit)]
    out = np.zeros(len(plans))
    if len(loud) and len(plans):
        union = shapely.union_all(loud)
        area = shapely.area(plans)
        inside = shapely.area(shapely.intersection(plans, union))
        out = np.where(area > 0, inside / np.where(area > 0, area, 1), np.nan)
    return out


def light_metrics(
    plans: Layer, params: Mapping[str, Any], context: Mapping[str, Layer], ctx: Context
) -> dict[str, np.ndarray]:
    """Return every rule's metric per plan area (NaN where the programme lacks a figure).

    Examples
    --------
    >>> from gsl_indicators.core.geo import RD_NEW, parse_layer
    >>> fc = rd_collection([box_feature(121000, 487000, 121100, 487100, "a", dwellings=10, green_m2=900,
    ...     paved_m2=3000, built_m2=2000, trees_planted=15, parking_places=8)])
    >>> m = light_metrics(parse_layer(PLAN_AREAS, fc, RD_NEW), PARAMS, {}, Context())
    >>> m["green_per_dwelling_m2"].tolist(), m["sealed_share"].tolist()
    ([90.0], [0.5])
    >>> m["share_dwellings_meeting_3"].tolist(), m["pressure"].tolist()  # 15/30; 10×1/8
    ([0.5], [1.25])
    """
    g = plans.geometries
    area = np.asarray(shapely.area(g), dtype=float)
    # a programme figure a plan lacks leaves its rules unscored: said in data quality
    num = {k: plans.number(k, ctx=ctx, valid=rng) for k, rng in PLAN_RANGES.items()}
    dw = num["dwellings"]
    green = np.nan_to_num(num["green_m2"])
    parks = context.get("parks")
    if parks is not None and len(parks):
        zone = shapely.buffer(g, float(params["radius_m"]))
        union = shapely.union_all(parks.geometries)
        green = green + shapely.area(shapely.intersection(zone, union))
    built = num["built_m2"]
    paved = num["paved_m2"]
    _check_surfaces(plans, area, paved, built)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "green_per_dwelling_m2": np.where(dw > 0, green / np.where(dw > 0, dw, 1), np.nan),
            "share_dwellings_meeting_3": np.where(
                dw > 0,
                np.minimum(num["trees_planted"] / (3.0 * np.where(dw > 0, dw, 1)), 1.0),
                np.nan,
            ),
            "paved_share": (paved + built) / area,
            "storage_ratio": num["storage_m3"]
            / (
                float(params["storm_mm"]) / 1000.0 * (paved + built) * float(params["paved_runoff"])
            ),
            "sealed_share": (paved + built) / area,
            "shade_share_public_space": np.minimum(
                num["trees_planted"] * float(params["crown_area_m2"]) / (area - built), 1.0
            ),
            "pressure": dw * float(params["parking_norm_per_dwelling"]) / num["parking_places"],
        }
    zones = context.get("exposure_zones")
    out["share_homes_above_who_lden_road"] = (
        _share_above(g, zones, "lden", float(params["who_lden_road"]))
        if zones is not None
        else np.full(len(g), np.nan)
    )
    out["mean_no2"] = (
        _zone_mean(g, zones, "no2")[0] if zones is not None else np.full(len(g), np.nan)
    )
    for k, v in out.items():
        out[k] = np.where(np.isfinite(v), v, np.nan)
    missing = {k: int(np.isnan(v).sum()) for k, v in out.items() if np.isnan(v).any()}
    if missing:
        ctx.note("light_not_assessed", missing)
    return out


def _totals(
    plans: Layer, params: Mapping[str, Any], metrics: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Return overall metrics: per-plan values weighted by dwellings (shares) or area."""
    area = np.asarray(shapely.area(plans.geometries), dtype=float)
    dw = np.nan_to_num(plans.number("dwellings"))
    out = {}
    for k, v in metrics.items():
        w = (
            dw
            if k
            in (
                "green_per_dwelling_m2",
                "share_dwellings_meeting_3",
                "pressure",
                "share_homes_above_who_lden_road",
            )
            else area
        )
        ok = np.isfinite(v) & (w > 0)
        out[k] = float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Apply every rule of thumb per plan area and score it with the full indicator's band."""
    plans = layers["plan_areas"]
    profile = resolve_profile(params)
    types = area_types_of(plans, params.get("area_type"), ctx)
    metrics = light_metrics(plans, params, layers, ctx)
    overall = _totals(plans, params, metrics)
    area_cols: dict[str, Any] = dict(metrics)
    theme_cols: dict[str, np.ndarray] = {t: np.full(len(plans), np.nan) for t in THEMES}
    theme_overall: dict[str, float] = {t: np.nan for t in THEMES}
    for rule in RULES:
        scores = np.array(
            [
                profile.score(rule.indicator, rule.metric, np.array([v]), at)[0]
                for v, at in zip(metrics[rule.metric], types, strict=True)
            ]
        )
        area_cols[score_name(rule.metric)] = scores
        theme_cols[rule.theme] = np.fmin(theme_cols[rule.theme], scores)
        s0 = profile.score(
            rule.indicator, rule.metric, np.array([overall[rule.metric]]), params.get("area_type")
        )[0]
        theme_overall[rule.theme] = float(np.fmin(theme_overall[rule.theme], s0))
        overall[score_name(rule.metric)] = s0
    for t in THEMES:
        area_cols[score_name(t)] = theme_cols[t]
        overall[score_name(t)] = theme_overall[t]
    return Metrics(
        area=area_cols,
        overall=overall,
        outputs={
            "rules": [
                {
                    "metric": r.metric,
                    "theme": r.theme,
                    "scored_as": f"{r.indicator}.{r.metric}",
                    "assumption": r.assumption,
                    "source": r.source,
                    "needs": r.needs,
                    "label": "light",
                }
                for r in RULES
            ]
        },
    )


def _declared_metrics() -> tuple[Metric, ...]:
    out = []
    for r in RULES:
        out.append(
            Metric(
                r.metric,
                {"nl": f"{r.metric} (light)", "en": f"{r.metric} (light)"},
                r.unit,
                levels=("area", "overall"),
                direction=r.direction,  # type: ignore[arg-type]
                digits=4 if r.unit in (FRACTION, "ratio") else 2,
                description=f"Rule of thumb: {r.assumption}.",
            )
        )
        out.append(
            Metric(
                score_name(r.metric),
                {"nl": f"Score {r.metric} (light)", "en": f"{r.metric} score (light)"},
                "score",
                levels=("area", "overall"),
                direction="higher_is_better",
                digits=2,
                description=f"Score 1–10 with the band of {r.indicator}.{r.metric}.",
            )
        )
    for t in THEMES:
        out.append(
            Metric(
                score_name(t),
                {"nl": f"Score {t} (light)", "en": f"{t} score (light)"},
                "score",
                levels=("area", "overall"),
                direction="higher_is_better",
                digits=2,
                description="Lowest rule score of the theme, as on the full scoreboard.",
            )
        )
    return tuple(out)


PLAN_AREAS = GeoInput(
    "plan_areas",
    "Plan areas",
    "The sketch: plan areas as polygons with their programme as properties.",
    POLYGONS,
    properties=PROGRAMME,
    ranges=PLAN_RANGES,
)
PARAMETERS = (
    Parameter(
        "radius_m",
        "Green radius",
        "Parks within this distance of a plan area count.",
        "number",
        default=500.0,
        minimum=0.0,
        maximum=3000.0,
        unit="m",
        read_with=("parks",),
    ),
    Parameter(
        "storm_mm",
        "Design storm",
        "Design storm depth (commonly 60–70 mm).",
        "number",
        default=60.0,
        minimum=10.0,
        maximum=200.0,
        unit="mm",
    ),
    Parameter(
        "paved_runoff",
        "Paved runoff",
        "Runoff coefficient of paved surface.",
        "number",
        default=1.0,
        minimum=0.0,
        maximum=1.0,
    ),
    Parameter(
        "crown_area_m2",
        "Crown area per tree",
        "Shade per planted tree at noon (indicative: a 8 m crown ≈ 50 m²).",
        "number",
        default=50.0,
        minimum=1.0,
        maximum=500.0,
        unit="m²",
    ),
    Parameter(
        "who_lden_road",
        "WHO road Lden",
        "WHO 2018 guideline for road traffic noise.",
        "number",
        default=53.0,
        minimum=20.0,
        maximum=90.0,
        unit="dB",
        read_with=("exposure_zones",),
    ),
    Parameter(
        "parking_norm_per_dwelling",
        "Parking norm",
        "Parking places needed per dwelling (indicative example; CROW's are licensed).",
        "number",
        default=1.0,
        minimum=0.0,
        maximum=5.0,
    ),
)
PARAMS = {p.name: p.default for p in PARAMETERS}

INDICATORS = (
    Indicator(
        id="ggo-light",
        version="1.1.0",
        title={"nl": "GGO-light (schetsontwerp)", "en": "GGO-light (sketch)"},
        description={
            "nl": "Themascores voor een eerste schets uit plangebieden en hun programma, op "
            "dezelfde schaal als het volledige scorebord (label 'light').",
            "en": "Theme scores for a first sketch from plan areas and their programme, on the "
            "same scale as the full scoreboard (labelled 'light').",
        },
        theme="scoreboard",
        method=(__doc__ or "")
        + " Rules: "
        + "; ".join(f"`{r.metric}` ({r.theme}): {r.assumption}" for r in RULES)
        + ". Theme score: the lowest rule score of the theme. Overall: shares per dwelling "
        "and ratios per area, weighted over the plan areas.",
        compute=compute,
        inputs=(
            PLAN_AREAS,
            zone_input(
                "lden (dB), no2 (µg/m³)", [Quantity(k, k, valid=v) for k, v in ZONE_VALUES.items()]
            ),
            GeoInput(
                "parks",
                "Parks nearby",
                "Optional parks around the plan (polygons).",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(*PARAMETERS, *PROFILE_PARAMETERS),
        outputs=(
            Output(
                "rules",
                "Rules",
                "The rules of thumb, their assumptions and sources.",
                {"type": "array"},
            ),
        ),
        metrics=_declared_metrics(),
        areas="plan_areas",
        sources=(
            Source("PBL", "Nota Ruimte / PBL: 75 m² public green per dwelling"),
            Source(
                "Konijnendijk 2023", "Konijnendijk (2023), the 3-30-300 rule, J. For. Res. 34:821"
            ),
            Source("WHO 2018", "WHO Environmental Noise Guidelines for the European Region (2018)"),
        ),
        keywords=("GGO-light", "schets", "vuistregels"),
        example={
            "plan_areas": rd_collection(
                [
                    box_feature(
                        121000,
                        487000,
                        121100,
                        487100,
                        "A",
                        dwellings=10,
                        green_m2=900,
                        paved_m2=3000,
                        built_m2=2000,
                        trees_planted=15,
                        parking_places=8,
                        storage_m3=200,
                        area_type="stedelijk-wonen",
                    ),
                ]
            ),
        },
    ),
)
