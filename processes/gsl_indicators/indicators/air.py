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
  ``share_homes_above_who_pm10`` — fraction of homes above the WHO AQG (0–1);
- ``mean_no2``, ``mean_pm25``, ``mean_pm10`` — dwelling-weighted mean, µg/m³.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    AREA_OVERALL,
    ASSUMED_METRIC,
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    Quantity,
    above_flags,
    assumed_column,
    collect_exposure,
    count_metric,
    exposure_parameters,
    flag_metric,
    home_counts,
    home_metric,
    home_values,
    level_metrics,
    metric,
    point_input,
    read_homes,
    share_above,
    share_metric,
    weighted_mean,
    zone_input,
)
from gsl_indicators.core.exposure_tiles import (
    exposure_tile_kernel,
    exposure_tiling,
    prepare_exposure,
)
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.ges import GES_PARAMETER, GES_SOURCES, ges_report, ges_tables
from gsl_indicators.core.homes import Homes
from gsl_indicators.core.metrics import AreaGroups, Metric, Metrics
from gsl_indicators.core.spec import Context, Indicator, Norm, Output, Parameter, Source
from gsl_indicators.core.tiling import Prepared, TileData, TilePart

__all__ = [
    "INDICATORS",
    "METRICS",
    "NAMES",
    "POLLUTANTS",
    "QUANTITIES",
    "UG",
    "WHO_LEVELS",
    "air_metrics",
    "compute",
    "feature_columns",
    "limits_of",
    "pollutant_stats",
    "prepare_tiles",
    "suffix",
    "tile_kernel",
]

POLLUTANTS = ("no2", "pm25", "pm10")
NAMES = {"no2": "NO₂", "pm25": "PM2.5", "pm10": "PM10"}
# WHO 2021 annual levels: (level name, default µg/m³)
WHO_LEVELS: dict[str, tuple[tuple[str, float], ...]] = {
    "no2": (("it1", 40.0), ("it2", 30.0), ("it3", 20.0), ("guideline", 10.0)),
    "pm25": (("it1", 35.0), ("it2", 25.0), ("it3", 15.0), ("it4", 10.0), ("guideline", 5.0)),
    "pm10": (("it1", 70.0), ("it2", 50.0), ("it3", 30.0), ("it4", 20.0), ("guideline", 15.0)),
}
_WHO = "WHO global air quality guidelines (2021), annual mean levels"
UG = "µg/m³"


def _what(level: str) -> tuple[str, str]:
    """Return the (Dutch, English) name of a WHO level."""
    if level == "guideline":
        return "de WHO-advieswaarde", "the WHO guideline"
    return f"WHO-tussendoel {level[2:]}", f"WHO interim target {level[2:]}"


def suffix(level: str) -> str:
    """Return the metric-name part of a WHO level (``who`` for the guideline, ``it1`` …)."""
    return "who" if level == "guideline" else level


def _level_parameters() -> tuple[Parameter, ...]:
    out = []
    for pol, levels in WHO_LEVELS.items():
        for level, default in levels:
            what = _what(level)[1].removeprefix("the WHO ").removeprefix("WHO ")
            out.append(
                Parameter(
                    f"who_{pol}_{level}",
                    f"WHO {NAMES[pol]} {what}",
                    f"Annual mean {NAMES[pol]} level of the WHO 2021 {what}.",
                    "number",
                    default=default,
                    minimum=0.0,
                    maximum=200.0,
                    unit=UG,
                )
            )
    return tuple(out)


def _pollutant_metrics(pol: str) -> tuple[Metric, ...]:
    n = NAMES[pol]
    ges = "GES score 0 (very good) – 8, where a class table is known (see `ges`)."
    out = [
        home_metric(pol, f"{n} jaargemiddelde", f"{n} annual mean", UG, f"Annual mean {n}.", 2),
        flag_metric(f"{pol}_above_who", f"{n} boven WHO-advieswaarde",
                    f"{n} above the WHO guideline", f"{n} > `who_{pol}_guideline`."),
        home_metric(f"ges_{pol}", f"GES-score {n}", f"GES score {n}", "score", ges, 0),
        count_metric(f"homes_with_{pol}", f"Woningen met {n}", f"Homes with {n}", AREA_OVERALL),
        metric(f"mean_{pol}", f"Gemiddelde {n}", f"Mean {n}", UG, levels=AREA_OVERALL,
               direction="lower_is_better", digits=2, scored=True,
               description=f"Dwelling-weighted mean annual {n} of the homes with a value."),
        metric(f"max_{pol}", f"Hoogste {n}", f"Highest {n}", UG, direction="lower_is_better"),
    ]  # fmt: skip
    for level, _ in WHO_LEVELS[pol]:
        nl, en = _what(level)
        key = f"{suffix(level)}_{pol}"
        out += [
            share_metric(f"share_homes_above_{key}", f"Aandeel woningen boven {nl} ({n})",
                         f"Share of homes above {en} ({n})",
                         f"Homes with {n} > `who_{pol}_{level}` ÷ homes with a value.",
                         scored=level == "guideline"),
            share_metric(f"share_dwellings_above_{key}", f"Aandeel wooneenheden boven {nl} ({n})",
                         f"Share of dwellings above {en} ({n})", "The same, by dwellings."),
            count_metric(f"homes_above_{key}", f"Woningen boven {nl} ({n})",
                         f"Homes above {en} ({n})"),
            count_metric(f"dwellings_above_{key}", f"Wooneenheden boven {nl} ({n})",
                         f"Dwellings above {en} ({n})", digits=2),
        ]  # fmt: skip
    return tuple(out)


METRICS = (
    *HOME_METRICS,
    *(m for pol in POLLUTANTS for m in _pollutant_metrics(pol)),
    ASSUMED_METRIC,
)


def limits_of(params: Mapping[str, Any], pol: str) -> dict[str, float]:
    """Return the WHO levels of a pollutant from the parameters, by level name."""
    return {level: float(params[f"who_{pol}_{level}"]) for level, _ in WHO_LEVELS[pol]}


def pollutant_stats(
    pol: str, values: np.ndarray, dwellings: np.ndarray, limits: Mapping[str, float], g: AreaGroups
) -> dict[str, np.ndarray]:
    """Return one pollutant's metrics per group: count, mean, maximum, shares above each level.

    Examples
    --------
    >>> g = AreaGroups(np.zeros(3, dtype=np.int64), 1)
    >>> s = pollutant_stats("no2", np.array([24.0, 8.0, np.nan]), np.array([3.0, 1.0, 1.0]),
    ...                     {"it1": 40.0, "guideline": 10.0}, g)
    >>> s["mean_no2"].tolist(), s["share_dwellings_above_who_no2"].tolist()  # (72 + 8) / 4
    ([20.0], [0.75])
    """
    out = {
        f"homes_with_{pol}": g.count(np.isfinite(values)),
        f"mean_{pol}": weighted_mean(values, dwellings, g),
        f"max_{pol}": g.maximum(values),
    }
    for level, limit in limits.items():
        s = share_above(values, dwellings, limit, g)
        key = f"{suffix(level)}_{pol}"
        out[f"share_homes_above_{key}"] = s["share_homes"]
        out[f"share_dwellings_above_{key}"] = s["share_dwellings"]
        out[f"homes_above_{key}"] = s["homes_above"]
        out[f"dwellings_above_{key}"] = s["dwellings_above"]
    return out


def feature_columns(
    values: Mapping[str, np.ndarray], ges: Mapping[str, np.ndarray], params: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the per-home columns: concentration, above the AQG, GES score."""
    cols: dict[str, Any] = {}
    for pol, v in values.items():
        cols[pol] = v
        cols[f"{pol}_above_who"] = above_flags(v, limits_of(params, pol)["guideline"])
        if pol in ges:
            cols[f"ges_{pol}"] = ges[pol]
    return cols


QUANTITIES = tuple(Quantity(p, p, valid=(0.0, 1e6)) for p in POLLUTANTS)  # µg/m³


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Sample pollutant concentrations per home and report shares above the WHO levels."""
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    found = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    ctx.progress(0.6, "scoring")
    return air_metrics(homes, found, params, ctx)


def air_metrics(
    homes: Homes, found: Mapping[str, np.ndarray], params: Mapping[str, Any], ctx: Context
) -> Metrics:
    """Return the metrics of the sampled concentrations (``collect_exposure``'s values)."""
    masked = home_values(homes, found)
    values = {p: masked[p] for p in POLLUTANTS if p in masked}
    if not values:
        ctx.warn(
            "no-exposure",
            None,
            "no exposure input gave a NO₂, PM2.5 or PM10 value; give exposure_zones, "
            "exposure_points or exposure_grid",
        )
    ctx.note("pollutants_given", list(values))
    dw = homes.dwellings
    ges_scores, ges = ges_report(values, dw, ges_tables(params, [q.key for q in QUANTITIES]))

    def stats(g: AreaGroups) -> dict[str, np.ndarray]:
        out = home_counts(homes, g)
        for pol, v in values.items():
            out.update(pollutant_stats(pol, v, dw, limits_of(params, pol), g))
        return out

    result = level_metrics(METRICS, ctx.groups, len(homes), stats)
    result.feature = feature_columns(values, ges_scores, params)
    result.feature[ASSUMED_METRIC.id] = assumed_column(found, len(homes))
    result.outputs["ges"] = ges
    return result


def tile_kernel(tile: TileData) -> TilePart:
    """Sample the concentrations at a tile's core homes (:func:`exposure_tile_kernel`)."""
    return exposure_tile_kernel(tile)


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: what :func:`compute` does around the sampling."""
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")

    def report(found: dict[str, np.ndarray]) -> Metrics:
        return air_metrics(homes, found, params, ctx)

    return prepare_exposure(
        layers, params, ctx, homes, QUANTITIES, kernel=f"{__name__}:tile_kernel", report=report
    )


TILING = exposure_tiling(prepare_tiles)
"""``air-quality`` in tiles: receptor points within ``point_radius_m`` of a tile's homes."""

INDICATORS = (
    Indicator(
        id="air-quality",
        version="2.2.0",
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
            "(fractions 0–1) count homes and dwellings with a value "
            "(`share_homes_above_<level>_<pollutant>`, level `who` for the guideline, "
            "`it1`–`it4` for the interim targets); means are weighted by dwellings. A home "
            "belongs to the neighbourhood holding its representative point. GES scores "
            "(0–8) come from the class tables in the `ges` output; factors without verified "
            "GES limits get none, and the output says why per factor (2.1.0, issue 13: "
            "PM10 and PM2.5 tables were searched for again and not found in a public "
            "source; the GGD air-quality guideline calls the GES PM and NO2 classes not "
            "health-relevant, so the WHO shares stay the health measure). Scores 1–10 of the means and of "
            "the shares above the guideline come from the norm profile (headline: "
            "`mean_no2`), overall and per neighbourhood."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        inputs=(
            BUILDINGS,
            NEIGHBOURHOODS,
            zone_input("no2, pm25, pm10 (µg/m³)", QUANTITIES),
            point_input("no2, pm25, pm10 (µg/m³)", QUANTITIES),
        ),
        parameters=(
            *_level_parameters(),
            *exposure_parameters(
                POLLUTANTS,
                [q.key for q in QUANTITIES],
                '{"no2": 16.5}',
                {q.key: 0.0 for q in QUANTITIES},
            ),
            GES_PARAMETER,
        ),
        outputs=(
            Output("ges", "GES", "GES table and homes per score per pollutant, or why none."),
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
