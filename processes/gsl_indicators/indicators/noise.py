"""``noise``: Lden and Lnight per home by source, against the WHO 2018 guideline values.

Per home and per source (road, rail, aircraft, industry): Lden and, where given,
Lnight (from ``exposure_zones``, ``exposure_points`` or ``exposure_grid``; a feature's
``source`` property says which source it belongs to, default ``default_source``;
properties ``lden_rail`` etc. name the source directly). Overall and per
neighbourhood: the shares of homes and dwellings strictly above the WHO 2018
Environmental Noise Guidelines values, and the distribution of homes and dwellings
over 5 dB classes. Sources are reported side by side; no cumulation across sources
is made. Where a factor has GES class limits (:mod:`gsl_indicators.core.ges`), each home
gets its GES score.

WHO 2018 values (parameters): Lden road 53, rail 54, aircraft 45 dB; Lnight road 45,
rail 44, aircraft 40 dB. WHO gives no value for industry noise; ``limit_lden_industry``
and ``limit_lnight_industry`` are empty by default (no share reported).

Scored metrics (names used in the norm profiles), all "lower is better", fraction of
homes (0–1): ``share_homes_above_who_lden_road``, ``…_lden_rail``, ``…_lden_aircraft``,
``share_homes_above_who_lnight_road``, ``…_lnight_rail``, ``…_lnight_aircraft`` (and
``…_industry`` when a limit is given).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    ASSUMED_METRIC,
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    NOISE_SOURCES,
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
from gsl_indicators.core.spec import Context, Indicator, InputError, Norm, Output, Parameter, Source
from gsl_indicators.core.tiling import Prepared, TileData, TilePart

__all__ = [
    "CLASS_PARAMETERS",
    "INDICATORS",
    "METRICS",
    "QUANTITIES",
    "WHO_VALUES",
    "class_distribution",
    "class_edges",
    "compute",
    "limit_of",
    "noise_metrics",
    "noise_stats",
    "prepare_tiles",
    "tile_kernel",
]

QUANTITIES = tuple(  # dB: model output may dip below 0; none above 200
    Quantity(f"{m}_{s}", m, s, valid=(-50.0, 200.0))
    for m in ("lden", "lnight")
    for s in NOISE_SOURCES
)
WHO_VALUES = {
    "lden_road": 53.0,
    "lden_rail": 54.0,
    "lden_aircraft": 45.0,
    "lnight_road": 45.0,
    "lnight_rail": 44.0,
    "lnight_aircraft": 40.0,
}
_WHO = "WHO Environmental Noise Guidelines for the European Region (2018)"


def _limit_parameters() -> tuple[Parameter, ...]:
    out = [
        Parameter(
            f"who_{key}",
            f"WHO {key.split('_')[0].capitalize()} {key.split('_')[1]}",
            f"WHO 2018 guideline value for {key.split('_')[1]} noise ({key.split('_')[0]}).",
            "number",
            default=value,
            minimum=20.0,
            maximum=90.0,
            unit="dB",
        )
        for key, value in WHO_VALUES.items()
    ]
    for m in ("lden", "lnight"):
        out.append(
            Parameter(
                f"limit_{m}_industry",
                f"Limit {m} industry",
                "Limit for industry noise (WHO 2018 gives none; empty = no share reported).",
                "number",
                default=None,
                minimum=20.0,
                maximum=90.0,
                unit="dB",
                nullable=True,
            )
        )
    return tuple(out)


CLASS_PARAMETERS = (
    Parameter(
        "class_width_db",
        "Class width",
        "Width of the noise classes of the distribution.",
        "number",
        default=5.0,
        minimum=1.0,
        maximum=10.0,
        unit="dB",
    ),
    Parameter(
        "class_min_db",
        "Lowest class limit",
        "Values below this form the lowest class.",
        "number",
        default=40.0,
        minimum=0.0,
        maximum=80.0,
        unit="dB",
    ),
    Parameter(
        "class_max_db",
        "Highest class limit",
        "Values at or above this form the highest class.",
        "number",
        default=75.0,
        minimum=20.0,
        maximum=120.0,
        unit="dB",
    ),
    Parameter(
        "default_source",
        "Default source",
        "Noise source of features without a `source` property (and of the grid).",
        "string",
        default="road",
        enum=NOISE_SOURCES,
    ),
)


def class_edges(params: Mapping[str, Any]) -> np.ndarray:
    """Return the class limits from ``class_min_db`` to ``class_max_db`` by ``class_width_db``.

    Examples
    --------
    >>> class_edges({"class_min_db": 40, "class_max_db": 55, "class_width_db": 5}).tolist()
    [40.0, 45.0, 50.0, 55.0]
    """
    lo, hi, w = (float(params[k]) for k in ("class_min_db", "class_max_db", "class_width_db"))
    if not hi > lo:
        raise InputError("class_max_db", f"must be above class_min_db ({lo})")
    return np.arange(lo, hi + 1e-9, w)


def class_distribution(
    values: np.ndarray, dwellings: np.ndarray, edges: np.ndarray
) -> dict[str, dict[str, float]]:
    """Count homes and dwellings per class: ``<e0``, ``e0–e1``, …, ``≥en``.

    A value on a class limit belongs to the class above it. Homes without a value
    and non-homes are left out.

    Examples
    --------
    >>> d = class_distribution(np.array([38.0, 45.0, 49.9, 80.0, np.nan]), np.ones(5),
    ...                        np.array([40.0, 45.0, 50.0]))
    >>> {k: v["homes"] for k, v in d.items()}
    {'<40': 1, '40–45': 0, '45–50': 2, '≥50': 1}
    """
    ok = np.isfinite(values) & (dwellings > 0)
    idx = np.searchsorted(edges, values[ok], side="right")  # 0 = below edges[0]
    n = len(edges) + 1
    homes = np.bincount(idx, minlength=n)
    dw = np.bincount(idx, weights=dwellings[ok], minlength=n)
    labels = [f"<{edges[0]:g}"]
    labels += [f"{a:g}–{b:g}" for a, b in itertools.pairwise(edges)]
    labels.append(f"≥{edges[-1]:g}")
    return {
        lab: {"homes": int(h), "dwellings": float(d)}
        for lab, h, d in zip(labels, homes, dw, strict=True)
    }


def limit_of(params: Mapping[str, Any], key: str) -> float | None:
    """Return the limit of a noise quantity key (``lden_road``), ``None`` if none."""
    if key in WHO_VALUES:
        return float(params[f"who_{key}"])
    v = params.get(f"limit_{key}")
    return None if v is None else float(v)


def noise_stats(
    key: str, values: np.ndarray, dwellings: np.ndarray, limit: float | None, g: AreaGroups
) -> dict[str, np.ndarray]:
    """Return one source's metrics per group: homes with a value, maximum, shares above the limit.

    Examples
    --------
    >>> g = AreaGroups(np.zeros(4, dtype=np.int64), 1)
    >>> s = noise_stats("lden_road", np.array([58.0, 51.0, 54.0, np.nan]), np.ones(4), 53.0, g)
    >>> s["share_homes_above_who_lden_road"].round(4).tolist()  # 2 of 3 homes with a value
    [0.6667]
    """
    out = {f"homes_with_{key}": g.count(np.isfinite(values)), f"max_{key}": g.maximum(values)}
    if limit is not None:
        s = share_above(values, dwellings, limit, g)
        out[f"share_homes_above_who_{key}"] = s["share_homes"]
        out[f"share_dwellings_above_who_{key}"] = s["share_dwellings"]
        out[f"homes_above_who_{key}"] = s["homes_above"]
        out[f"dwellings_above_who_{key}"] = s["dwellings_above"]
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Sample noise levels per home and source; shares above WHO values; 5 dB classes."""
    edges = class_edges(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    found = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    ctx.progress(0.6, "classifying")
    return noise_metrics(homes, found, params, ctx, edges)


def noise_metrics(
    homes: Homes,
    sampled: Mapping[str, np.ndarray],
    params: Mapping[str, Any],
    ctx: Context,
    edges: np.ndarray,
) -> Metrics:
    """Return the metrics of the sampled levels (``collect_exposure``'s values)."""
    found = home_values(homes, sampled)
    if not found:
        ctx.warn(
            "no-exposure",
            None,
            "no exposure input gave an Lden or Lnight value; give exposure_zones, "
            "exposure_points or exposure_grid",
        )
    values = {q.key: found[q.key] for q in QUANTITIES if q.key in found}
    limits = {key: limit_of(params, key) for key in values}
    unlimited = [key for key, limit in limits.items() if limit is None]
    if unlimited:
        ctx.note("sources_without_limit", unlimited)
    dw = homes.dwellings
    ges_scores, ges = ges_report(values, dw, ges_tables(params, [q.key for q in QUANTITIES]))

    def stats(g: AreaGroups) -> dict[str, np.ndarray]:
        out = home_counts(homes, g)
        for key, v in values.items():
            out.update(noise_stats(key, v, dw, limits[key], g))
        return out

    result = level_metrics(METRICS, ctx.groups, len(homes), stats)
    for key, v in values.items():
        result.feature[key] = v
        if (limit := limits[key]) is not None:
            result.feature[f"{key}_above_limit"] = above_flags(v, limit)
        if key in ges_scores:
            result.feature[f"ges_{key}"] = ges_scores[key]
    result.feature[ASSUMED_METRIC.id] = assumed_column(sampled, len(homes))
    result.outputs["classes"] = {k: class_distribution(v, dw, edges) for k, v in values.items()}
    result.outputs["ges"] = ges
    return result


def _source_metrics(key: str) -> tuple[Metric, ...]:
    m, src = key.split("_")
    n = f"{m.capitalize()} {src}"
    limit = f"`who_{key}`" if key in WHO_VALUES else f"`limit_{key}`"
    ges = "GES score 0 (very good) – 8, where a class table is known (see `ges`)."
    return (
        home_metric(key, n, n, "dB", f"{n} at the home."),
        flag_metric(f"{key}_above_limit", f"{n} boven grenswaarde", f"{n} above the limit",
                    f"{n} > {limit} (null: no value or no limit)."),
        home_metric(f"ges_{key}", f"GES-score {n}", f"GES score {n}", "score", ges, 0),
        count_metric(f"homes_with_{key}", f"Woningen met {n}", f"Homes with {n}"),
        metric(f"max_{key}", f"Hoogste {n}", f"Highest {n}", "dB", direction="lower_is_better",
               digits=1),
        share_metric(f"share_homes_above_who_{key}", f"Aandeel woningen boven WHO ({n})",
                     f"Share of homes above the WHO value ({n})",
                     f"Homes with {n} > {limit} ÷ homes with a value.", scored=True),
        share_metric(f"share_dwellings_above_who_{key}", f"Aandeel wooneenheden boven WHO ({n})",
                     f"Share of dwellings above the WHO value ({n})", "The same, by dwellings."),
        count_metric(f"homes_above_who_{key}", f"Woningen boven WHO ({n})",
                     f"Homes above the WHO value ({n})"),
        count_metric(f"dwellings_above_who_{key}", f"Wooneenheden boven WHO ({n})",
                     f"Dwellings above the WHO value ({n})", digits=2),
    )  # fmt: skip


METRICS = (
    *HOME_METRICS,
    *(m for q in QUANTITIES for m in _source_metrics(q.key)),
    ASSUMED_METRIC,
)


def _band(x0: float, x1: float, lden: float, source: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"lden": lden}
    if source:
        props["source"] = source
    return feature(box(x0, 487000.0, x1, 487100.0), properties=props)


def tile_kernel(tile: TileData) -> TilePart:
    """Sample the noise levels at a tile's core homes (:func:`exposure_tile_kernel`)."""
    return exposure_tile_kernel(tile)


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: what :func:`compute` does around the sampling."""
    edges = class_edges(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")

    def report(found: dict[str, np.ndarray]) -> Metrics:
        return noise_metrics(homes, found, params, ctx, edges)

    return prepare_exposure(
        layers, params, ctx, homes, QUANTITIES, kernel=f"{__name__}:tile_kernel", report=report
    )


TILING = exposure_tiling(prepare_tiles)
"""``noise`` in tiles: receptor points within ``point_radius_m`` of a tile's homes."""

INDICATORS = (
    Indicator(
        id="noise",
        version="2.2.0",
        title={"nl": "Geluid bij woningen", "en": "Noise at homes"},
        description={
            "nl": "Lden (en Lnight) per woning en bron; aandelen boven de WHO-waarden 2018; "
            "verdeling over klassen van 5 dB; GES-score waar bekend.",
            "en": "Lden (and Lnight) per home and source; shares above the WHO 2018 values; "
            "distribution over 5 dB classes; GES score where known.",
        },
        theme="noise",
        method=(
            "Each home takes Lden and Lnight per source (road, rail, aircraft, industry) from "
            "noise zones (the zone it lies in; overlaps by `zone_overlap`), receptor points "
            "(nearest within `point_radius_m`, or inverse-distance weighted) or a GeoTIFF "
            "grid (of `value_quantity` for `default_source`). A home is above the WHO value "
            "when its level is strictly greater. Classes of `class_width_db` from "
            "`class_min_db` to `class_max_db`; a level on a limit belongs to the class above. "
            "Sources are not cumulated. Shares (fractions 0–1) count homes and dwellings "
            "with a value (`share_homes_above_who_<quantity>_<source>`); a home belongs to "
            "the neighbourhood holding its representative point. The class distribution per "
            "source is the `classes` output. GES scores (0–8) per source where class limits "
            "are known (road Lden), else the `ges` output says why not, per factor (2.1.0, "
            "issue 13: rail, aircraft, industry and Lnight tables were searched for again; "
            "a provincial rail GES map exists but not its table, so they stay unscored). "
            "Scores 1–10 of the shares come "
            "from the norm profile (headline: `share_homes_above_who_lden_road`), overall "
            "and per neighbourhood."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        inputs=(
            BUILDINGS,
            NEIGHBOURHOODS,
            zone_input(
                "lden, lnight (dB) with optional source; or lden_road, lnight_rail, …", QUANTITIES
            ),
            point_input(
                "lden, lnight (dB) with optional source; or lden_road, lnight_rail, …", QUANTITIES
            ),
        ),
        parameters=(
            *_limit_parameters(),
            *CLASS_PARAMETERS,
            *exposure_parameters(
                ("lden", "lnight"), [q.key for q in QUANTITIES], '{"lden_road": 50}'
            ),
            GES_PARAMETER,
        ),
        outputs=(
            Output(
                "classes",
                "Noise classes",
                "Per source: homes and dwellings per class of `class_width_db` "
                "(`<40`, `40–45`, …, `≥75`).",
            ),
            Output("ges", "GES", "GES table and homes per score per source, or why none."),
        ),
        norms=tuple(
            Norm(f"who_{k}", v, "dB", f"WHO 2018 {k.replace('_', ' ')}", _WHO, f"who_{k}")
            for k, v in WHO_VALUES.items()
        ),
        sources=(
            Source(
                "WHO ENG 2018",
                "WHO Regional Office for Europe (2018). Environmental Noise Guidelines for the "
                "European Region. Road 53/45, rail 54/44, aircraft 45/40 dB Lden/Lnight.",
                "https://www.who.int/europe/publications/i/item/9789289053563",
            ),
            *GES_SOURCES,
        ),
        keywords=("geluid", "Lden", "Lnight", "WHO", "GES", "GGO"),
        example={
            "buildings": rd_collection(
                [
                    point_feature(121050.0, 487050.0, "a", dwellings=2),
                    point_feature(121150.0, 487050.0, "b", dwellings=1),
                ]
            ),
            "exposure_zones": rd_collection(
                [
                    _band(121000.0, 121100.0, 58.0),
                    _band(121100.0, 121200.0, 51.0),
                    _band(121000.0, 121200.0, 47.0, "rail"),
                ]
            ),
        },
    ),
)
