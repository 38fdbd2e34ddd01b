"""``air-quality``: NO₂, PM2.5 and PM10 annual means per home against the WHO 2021 levels.

Per home: the annual mean concentration of each pollutant given (from
``exposure_zones``, ``exposure_points`` or ``exposure_grid``, see
:mod:`gsl_indicators.core.exposure`), whether it is above the WHO 2021 air quality
guideline (AQG), and its GES score where GES class limits are known
(:mod:`gsl_indicators.core.ges`). Per neighbourhood and overall: the dwelling-weighted
mean, and the shares of homes and of dwellings above the AQG and above each WHO
interim target (IT). "Above" means strictly greater than the level; homes without a
value are left out of the shares (and counted in a warning).

WHO 2021 annual levels (µg/m³), all parameters:

========  ====  ====  ====  ====  ===
pollutant IT-1  IT-2  IT-3  IT-4  AQG
========  ====  ====  ====  ====  ===
NO₂        40    30    20    —     10
PM2.5      35    25    15    10     5
PM10       70    50    30    20    15
========  ====  ====  ====  ====  ===

Scored metrics (names used in the norm profiles, ``catalog/*.yaml``), all
"lower is better":

- ``share_homes_above_who_no2``, ``share_homes_above_who_pm25``,
  ``share_homes_above_who_pm10`` — % of homes above the WHO AQG (0–100);
- ``mean_no2``, ``mean_pm25``, ``mean_pm10`` — dwelling-weighted mean, µg/m³.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    BUILDINGS,
    NEIGHBOURHOODS,
    Quantity,
    above_summary,
    collect_exposure,
    exposure_parameters,
    neighbourhood_index,
    point_input,
    read_homes,
    rounded,
    scalar,
    scored_outputs,
    share_above,
    weighted_mean,
    zone_input,
)
from gsl_indicators.core.geo import Layer, feature_collection
from gsl_indicators.core.ges import GES_PARAMETER, GES_SOURCES, ges_report, ges_tables
from gsl_indicators.core.scoring import PROFILE_PARAMETERS
from gsl_indicators.core.spec import Context, Indicator, Norm, Output, Parameter, Source

POLLUTANTS = ("no2", "pm25", "pm10")
NAMES = {"no2": "NO₂", "pm25": "PM2.5", "pm10": "PM10"}
# WHO 2021 annual levels: (level name, default µg/m³)
WHO_LEVELS: dict[str, tuple[tuple[str, float], ...]] = {
    "no2": (("it1", 40.0), ("it2", 30.0), ("it3", 20.0), ("guideline", 10.0)),
    "pm25": (("it1", 35.0), ("it2", 25.0), ("it3", 15.0), ("it4", 10.0), ("guideline", 5.0)),
    "pm10": (("it1", 70.0), ("it2", 50.0), ("it3", 30.0), ("it4", 20.0), ("guideline", 15.0)),
}
_WHO = "WHO global air quality guidelines (2021), annual mean levels"


def _level_parameters() -> tuple[Parameter, ...]:
    out = []
    for pol, levels in WHO_LEVELS.items():
        for level, default in levels:
            what = (
                "air quality guideline" if level == "guideline" else f"interim target {level[2:]}"
            )
            out.append(
                Parameter(
                    f"who_{pol}_{level}",
                    f"WHO {NAMES[pol]} {what}",
                    f"Annual mean {NAMES[pol]} level of the WHO 2021 {what}.",
                    "number",
                    default,
                    0.0,
                    200.0,
                    unit="µg/m³",
                )
            )
    return tuple(out)


def limits_of(params: Mapping[str, Any], pol: str) -> dict[str, float]:
    """Return the WHO levels of a pollutant from the parameters, by level name."""
    return {level: float(params[f"who_{pol}_{level}"]) for level, _ in WHO_LEVELS[pol]}


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Sample pollutant concentrations per home and report shares above the WHO levels."""
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    values = collect_exposure(layers, params, ctx, homes, [Quantity(p, p) for p in POLLUTANTS])
    if not values:
        ctx.warn(
            "no-exposure",
            None,
            "no exposure input gave a NO₂, PM2.5 or PM10 value; give exposure_zones, "
            "exposure_points or exposure_grid",
        )
    areas = layers.get("neighbourhoods")
    groups = neighbourhood_index(homes, areas, ctx)
    n_areas = len(areas) if areas is not None else 0
    dw = homes.dwellings
    ctx.progress(0.6, "scoring")
    scores, ges = ges_report(values, dw, ges_tables(params))
    columns: dict[str, Any] = {}
    summary: dict[str, Any] = {
        "homes": int(homes.mask.sum()),
        "dwellings": float(dw[homes.mask].sum()),
        "pollutants": {},
    }
    area_cols: dict[str, Any] = {}
    overall_metrics: dict[str, float] = {}
    area_metrics: dict[str, np.ndarray] = {}
    for pol in POLLUTANTS:
        if pol not in values:
            summary["pollutants"][pol] = {"given": False}
            continue
        v = np.where(homes.mask, values[pol], np.nan)
        lims = limits_of(params, pol)
        columns[pol] = rounded(v)
        aqg = lims["guideline"]
        columns[f"{pol}_above_who"] = [
            None if not np.isfinite(x) else bool(x > aqg) for x in v.tolist()
        ]
        if pol in scores:
            columns[f"ges_{pol}"] = scores[pol]
        mean = weighted_mean(v, dw)[0]
        ps: dict[str, Any] = {
            "given": True,
            "homes_with_value": int(np.isfinite(v).sum()),
            "mean": scalar(mean),
            "max": scalar(float(np.nanmax(v))) if np.isfinite(v).any() else None,
            "above": {},
        }
        for level, limit in lims.items():
            s = share_above(v, dw, limit)
            ps["above"][level] = {"limit": limit, **above_summary(s)}
            if n_areas:
                sa = share_above(v, dw, limit, groups, n_areas)
                suffix = "who" if level == "guideline" else level
                area_cols[f"share_homes_above_{suffix}_{pol}"] = rounded(sa["share_homes"])
                area_cols[f"share_dwellings_above_{suffix}_{pol}"] = rounded(sa["share_dwellings"])
                if level == "guideline":
                    area_cols[f"homes_with_{pol}"] = sa["homes"].astype(int)
                    area_metrics[f"share_homes_above_who_{pol}"] = sa["share_homes"]
        summary["pollutants"][pol] = ps
        overall_metrics[f"share_homes_above_who_{pol}"] = ps["above"]["guideline"]["share_homes"]
        overall_metrics[f"mean_{pol}"] = mean
        if n_areas:
            am = weighted_mean(v, dw, groups, n_areas)
            area_cols[f"mean_{pol}"] = rounded(am)
            area_metrics[f"mean_{pol}"] = am
    out: dict[str, Any] = {"buildings": feature_collection(homes.layer, columns)}
    return scored_outputs(
        "air-quality",
        params,
        ctx,
        homes,
        out,
        areas,
        groups,
        area_cols,
        overall_metrics,
        area_metrics,
        summary,
        ges,
    )


INDICATORS = (
    Indicator(
        id="air-quality",
        version="1.1.0",
        title={"nl": "Luchtkwaliteit bij woningen", "en": "Air quality at homes"},
        description={
            "nl": "Jaargemiddelde NO₂, PM2,5 en PM10 per woning; aandelen woningen en "
            "woningen boven de WHO-advieswaarden 2021 en tussendoelen, per buurt en totaal; "
            "GES-score waar bekend.",
            "en": "Annual mean NO₂, PM2.5 and PM10 per home; shares of homes and dwellings "
            "above the WHO 2021 guideline and interim targets, per neighbourhood and overall; "
            "GES score where known.",
        },
        theme="air",
        method=(
            "Each home takes a concentration per pollutant from exposure zones (the zone it "
            "lies in; overlaps by `zone_overlap`), receptor points (nearest within "
            "`point_radius_m`, or inverse-distance weighted) or a GeoTIFF grid (cell at the "
            "home; nodata reported). Polygon homes sample at their representative point. "
            "A home is above a WHO level when its concentration is strictly greater. Shares "
            "count homes and dwellings with a value; means are weighted by dwellings. GES "
            "scores (0–8) come from the class tables in the `ges` output; factors without "
            "verified GES limits get none, and the output says so. Scores 1–10 come from the "
            "norm profile."
        ),
        compute=compute,
        inputs=(
            BUILDINGS,
            NEIGHBOURHOODS,
            zone_input("no2, pm25, pm10 (µg/m³)"),
            point_input("no2, pm25, pm10 (µg/m³)"),
        ),
        parameters=(
            *_level_parameters(),
            *exposure_parameters(POLLUTANTS),
            GES_PARAMETER,
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input buildings with `no2`, `pm25`, `pm10`, `<pollutant>_above_who` and "
                "`ges_<pollutant>` where given.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Per neighbourhood: homes, dwellings, means, shares above each WHO level, "
                "`area_type`, `score` (of `mean_no2`, 1–10) and `scorecard` (only with "
                "`neighbourhoods`).",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall means and shares above each WHO level, and the overall scorecard.",
            ),
            Output("ges", "GES", "GES table and homes per score per pollutant, or why none."),
            Output(
                "profile",
                "Profile",
                "The norm profile used (air-quality part).",
                {"type": "object"},
            ),
        ),
        norms=tuple(
            Norm(
                f"who_{pol}_{level}",
                default,
                "µg/m³",
                f"WHO 2021 annual {NAMES[pol]} {'AQG' if level == 'guideline' else level.upper()}",
                _WHO,
                f"who_{pol}_{level}",
            )
            for pol, levels in WHO_LEVELS.items()
            for level, default in levels
        ),
        sources=(
            Source(
                "WHO AQG 2021",
                "WHO global air quality guidelines: particulate matter (PM2.5 and PM10), ozone, "
                "nitrogen dioxide, sulfur dioxide and carbon monoxide. World Health "
                "Organization, 2021 (table of AQG levels and interim targets).",
                "https://www.who.int/publications/i/item/9789240034228",
            ),
            *GES_SOURCES,
        ),
        keywords=("luchtkwaliteit", "NO2", "PM2.5", "PM10", "WHO", "GES", "GGO"),
        example={
            "buildings": rd_collection(
                [
                    point_feature(121000.0, 487000.0, "home-1", dwellings=4),
                    point_feature(121300.0, 487000.0, "home-2", dwellings=1),
                ]
            ),
            "exposure_zones": rd_collection(
                [
                    feature(
                        box(120900.0, 486900.0, 121200.0, 487100.0),
                        properties={"no2": 24.5, "pm25": 9.1, "pm10": 17.0},
                    ),
                    feature(
                        box(121200.0, 486900.0, 121500.0, 487100.0),
                        properties={"no2": 9.0, "pm25": 4.5, "pm10": 14.0},
                    ),
                ]
            ),
        },
    ),
)
