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

Scored metrics (names used in the norm profiles), all "lower is better", % of homes
(0–100): ``share_homes_above_who_lden_road``, ``…_lden_rail``, ``…_lden_aircraft``,
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
    BUILDINGS,
    NEIGHBOURHOODS,
    NOISE_SOURCES,
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
    zone_input,
)
from gsl_indicators.core.geo import Layer, feature_collection
from gsl_indicators.core.ges import GES_PARAMETER, GES_SOURCES, ges_report, ges_tables
from gsl_indicators.core.scoring import PROFILE_PARAMETERS
from gsl_indicators.core.spec import Context, Indicator, InputError, Norm, Output, Parameter, Source

QUANTITIES = tuple(Quantity(f"{m}_{s}", m, s) for m in ("lden", "lnight") for s in NOISE_SOURCES)
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
            value,
            20.0,
            90.0,
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
                None,
                20.0,
                90.0,
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
        5.0,
        1.0,
        10.0,
        unit="dB",
    ),
    Parameter(
        "class_min_db",
        "Lowest class limit",
        "Values below this form the lowest class.",
        "number",
        40.0,
        0.0,
        80.0,
        unit="dB",
    ),
    Parameter(
        "class_max_db",
        "Highest class limit",
        "Values at or above this form the highest class.",
        "number",
        75.0,
        20.0,
        120.0,
        unit="dB",
    ),
    Parameter(
        "default_source",
        "Default source",
        "Noise source of features without a `source` property (and of the grid).",
        "string",
        "road",
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


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Sample noise levels per home and source; shares above WHO values; 5 dB classes."""
    edges = class_edges(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    values = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    if not values:
        ctx.warn(
            "no-exposure",
            None,
            "no exposure input gave an Lden or Lnight value; give exposure_zones, "
            "exposure_points or exposure_grid",
        )
    areas = layers.get("neighbourhoods")
    groups = neighbourhood_index(homes, areas, ctx)
    n_areas = len(areas) if areas is not None else 0
    dw = homes.dwellings
    ctx.progress(0.6, "classifying")
    keys = [q.key for q in QUANTITIES if q.key in values]
    masked = {k: np.where(homes.mask, values[k], np.nan) for k in keys}
    scores, ges = ges_report(masked, dw, ges_tables(params))
    columns: dict[str, Any] = {}
    summary: dict[str, Any] = {
        "homes": int(homes.mask.sum()),
        "dwellings": float(dw[homes.mask].sum()),
        "sources": {},
    }
    area_cols: dict[str, Any] = {}
    overall_metrics: dict[str, float] = {}
    area_metrics: dict[str, np.ndarray] = {}
    for key in keys:
        v = masked[key]
        limit = limit_of(params, key)
        columns[key] = rounded(v, 1)
        if limit is not None:
            columns[f"{key}_above_limit"] = [
                None if not np.isfinite(x) else bool(x > limit) for x in v.tolist()
            ]
        if key in scores:
            columns[f"ges_{key}"] = scores[key]
        entry: dict[str, Any] = {
            "homes_with_value": int(np.isfinite(v).sum()),
            "max": scalar(float(np.nanmax(v)), 1) if np.isfinite(v).any() else None,
            "limit": limit,
            "classes": class_distribution(v, dw, edges),
        }
        if limit is not None:
            s = share_above(v, dw, limit)
            entry["above_limit"] = above_summary(s)
            metric = f"share_homes_above_who_{key}"
            overall_metrics[metric] = s["share_homes"][0]
            if n_areas:
                sa = share_above(v, dw, limit, groups, n_areas)
                area_cols[metric] = rounded(sa["share_homes"])
                area_cols[f"share_dwellings_above_who_{key}"] = rounded(sa["share_dwellings"])
                area_metrics[metric] = sa["share_homes"]
        else:
            entry["above_limit"] = None
            entry["note"] = "no limit for this source (WHO 2018 gives none); no share reported"
        summary["sources"][key] = entry
    out: dict[str, Any] = {"buildings": feature_collection(homes.layer, columns)}
    return scored_outputs(
        "noise",
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


def _band(x0: float, x1: float, lden: float, source: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"lden": lden}
    if source:
        props["source"] = source
    return feature(box(x0, 487000.0, x1, 487100.0), properties=props)


INDICATORS = (
    Indicator(
        id="noise",
        version="1.1.0",
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
            "Sources are not cumulated. GES scores (0–8) per source where class limits are "
            "known, else the `ges` output says why not."
        ),
        compute=compute,
        inputs=(
            BUILDINGS,
            NEIGHBOURHOODS,
            zone_input("lden, lnight (dB) with optional source; or lden_road, lnight_rail, …"),
            point_input("lden, lnight (dB) with optional source; or lden_road, lnight_rail, …"),
        ),
        parameters=(
            *_limit_parameters(),
            *CLASS_PARAMETERS,
            *exposure_parameters(("lden", "lnight")),
            GES_PARAMETER,
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input buildings with `lden_<source>`, `lnight_<source>`, `…_above_limit`, "
                "`ges_…` where given.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Per neighbourhood: homes, dwellings, shares above the WHO values, "
                "`area_type`, `score` (of `share_homes_above_who_lden_road`, 1–10) and "
                "`scorecard`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "Per source: shares above the limit and 5 dB classes; the overall scorecard.",
            ),
            Output("ges", "GES", "GES table and homes per score per source, or why none."),
            Output(
                "profile",
                "Profile",
                "The norm profile used (noise part).",
                {"type": "object"},
            ),
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
