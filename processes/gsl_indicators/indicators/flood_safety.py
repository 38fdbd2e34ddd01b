"""``flood-safety``: maximum water depth of a flood scenario per home (*waterveiligheid*).

A flood scenario (a LIWO *maximale waterdiepte* map, or any breach or overflow
scenario of the water board) gives the largest water depth in metres above the
ground. Each home takes that depth from a GeoTIFF grid (``exposure_grid``, sampled with
:func:`gsl_indicators.core.exposure.sample_grid`) and/or from depth zones
(``exposure_zones``: polygons with a ``depth`` property, the zone the home lies in, the
deepest where zones overlap); with both, the deeper value counts.

Flood maps show only the flooded area. With ``dry_where_no_value`` (default) a home in
no depth zone, or on a nodata cell *inside* the grid, is dry (depth 0); a home outside
the grid's extent stays unknown (no value, left out of the shares, counted in a
warning). Negative depths are taken as 0 (counted in a warning).

Per home: ``flood_depth_m``, the height of the floor that should stay dry
(``floor_height_m``: a building's own property, else the parameter), the water above
that floor and whether the floor stays dry (depth ≤ floor height: water exactly at the
floor does not wet it). Per area and overall: the shares of homes and dwellings whose
depth is **strictly above** each threshold of ``depth_thresholds_m`` (a depth exactly on
a threshold is not above it, like every "above" in this service) and the share of
homes whose floor stays dry.

The thresholds (parameter, default 0.2, 0.5, 0.8 and 2.0 m) and why each is used:

- **0.2 m** — water over the doorstep: in the Netherlands the ground floor usually lies
  a little above the street, so at about 0.2 m water enters the home and damage starts
  (common practice; no national standard found — indicative).
- **0.5 m** — walking through moving water and driving an ordinary car become
  dangerous: evacuation on foot or by car is no longer safe (a rule of thumb of flood
  risk-to-life work; no published Dutch limit found — indicative).
- **0.8 m** — about the depth at which adults can no longer wade safely and the
  ground-floor contents are largely lost (indicative; no published Dutch limit found).
- **2.0 m** — the ground floor is flooded nearly to its ceiling: no refuge on the ground
  floor; in Jonkman's (2007) loss-of-life method flood mortality rises steeply at depths
  above about 2 m (his zone of rapidly rising water starts at 2.1 m).

The default ``floor_height_m`` of 2.65 m is the first floor under the storey height
Rijkswaterstaat assumes (conservatively) in its map of buildings with a dry storey
(*droge verdiepingen*, Atlas Leefomgeving, from the LIWO maximum flood-depth map):
a home whose first floor stays dry offers a refuge (vertical evacuation).

No national norm exists for the shares; the norm profiles score them with indicative
bands (``basis: indicative``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    AREA_OVERALL,
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    Homes,
    Quantity,
    check_grid,
    check_values,
    count_metric,
    exposure_parameters,
    feature_values,
    flag_metric,
    grid_bytes,
    home_counts,
    home_metric,
    level_metrics,
    metric,
    read_homes,
    sample_grid,
    sample_zones,
    share_above,
    share_metric,
    weighted_mean,
    zone_input,
)
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import AreaGroups, Metric, Metrics
from gsl_indicators.core.spec import (
    Context,
    GeoInput,
    Indicator,
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.core.wording import counted

__all__ = [
    "DEFAULT_THRESHOLDS_M",
    "INDICATORS",
    "METRICS",
    "PARAMETERS",
    "REFUGE_FLOOR_M",
    "compute",
    "flood_stats",
    "floor_heights",
    "home_depths",
    "threshold_metrics",
    "threshold_tag",
    "thresholds_of",
]

DEFAULT_THRESHOLDS_M = (0.2, 0.5, 0.8, 2.0)
"""Default ``depth_thresholds_m`` (see the module docstring for the reason of each)."""

REFUGE_FLOOR_M = 2.65
"""Default ``floor_height_m``: the first floor at Rijkswaterstaat's storey height."""

# A building's own floor height above the ground (m), refused outside it.
FLOOR_RANGE = (0.0, 100.0)
FLOOD_BUILDINGS = GeoInput(
    BUILDINGS.name,
    BUILDINGS.title,
    BUILDINGS.description,
    BUILDINGS.geometry_types,
    properties={
        **BUILDINGS.properties,
        "floor_height_m": "height of the lowest floor above the ground (m); else the "
        "`floor_height_m` parameter",
    },
    ranges={**BUILDINGS.ranges, "floor_height_m": FLOOR_RANGE},
)
_DEPTH = Quantity("depth", "depth", valid=(-math.inf, 1e4))  # m; ≤ 0 is dry (-3.4e38: LIWO)
_GRID_PARAMETERS = ("exposure_grid", "grid_band", "value_property", "zone_overlap", "home_sampling")


def threshold_tag(threshold_m: float) -> str:
    """Return the metric-name part of a depth threshold.

    Examples
    --------
    >>> [threshold_tag(t) for t in (0.2, 0.5, 2.0, 0.25)]
    ['0_2m', '0_5m', '2m', '0_25m']
    """
    return f"{float(threshold_m):g}".replace(".", "_").replace("-", "minus_") + "m"


def thresholds_of(params: Mapping[str, Any]) -> tuple[float, ...]:
    """Return the depth thresholds of a request, sorted, each once.

    Examples
    --------
    >>> thresholds_of({"depth_thresholds_m": [0.8, 0.2, 0.8]})
    (0.2, 0.8)
    >>> thresholds_of({})
    (0.2, 0.5, 0.8, 2.0)
    """
    given = params.get("depth_thresholds_m")
    values = DEFAULT_THRESHOLDS_M if given is None else given
    return tuple(sorted({float(v) for v in values}))


def home_depths(
    homes: Homes,
    zones: Layer | None,
    grid: Any,
    params: Mapping[str, Any],
    ctx: Context,
) -> np.ndarray:
    """Return the flood depth per building (m; NaN where unknown), from zones and grid.

    Homes in no zone and on nodata cells inside the grid are dry (0) when
    ``dry_where_no_value``; homes outside the grid's extent stay unknown.
    """
    n = len(homes)
    dry = bool(params.get("dry_where_no_value", True))
    found: list[np.ndarray] = []
    if zones is not None and len(zones):
        pv = {"value_property": params.get("value_property"), "value_quantity": "depth"}
        values = feature_values(zones, [_DEPTH], pv)
        check_values(zones, [_DEPTH], values, pv)
        values = values[:, 0]
        ok = np.isfinite(values)
        if not ok.any():
            ctx.warn(
                "no-exposure-values",
                "exposure_zones",
                "no depth zone has a numeric 'depth' (set `value_property`?)",
                len(zones),
            )
        else:
            if (~ok).any():
                ctx.warn(
                    "missing-exposure-value",
                    "exposure_zones",
                    f"{int((~ok).sum())} of {len(zones)} zones have no numeric depth; left out",
                    int((~ok).sum()),
                )
            query = (
                homes.layer.geometries
                if params.get("home_sampling") == "footprint"
                else homes.points
            )
            z = sample_zones(
                query, zones.geometries[ok], values[ok], params.get("zone_overlap", "worst")
            )
            found.append(np.where(np.isnan(z), 0.0, z) if dry else z)
    if grid is not None:
        gs = sample_grid(
            grid_bytes(grid), homes.xy, homes.layer.crs, int(params.get("grid_band", 1))
        )
        if gs.crs is None:
            ctx.warn(
                "grid-crs-assumed",
                "exposure_grid",
                f"the grid has no CRS; taken to be in {homes.layer.crs}",
            )
        v = gs.values
        check_grid(v, _DEPTH)
        if dry and gs.inside is not None:
            v = np.where(gs.inside & np.isnan(v), 0.0, v)
            ctx.note("grid_nodata_as_dry", gs.nodata)
        elif gs.nodata:
            ctx.warn(
                "grid-nodata",
                "exposure_grid",
                f"{counted(gs.nodata, 'building lies', 'buildings lie')} on nodata cells of the grid; no value",
                gs.nodata,
            )
        if gs.outside:
            ctx.warn(
                "grid-outside",
                "exposure_grid",
                f"{counted(gs.outside, 'building lies', 'buildings lie')} outside the grid; no value",
                gs.outside,
            )
        found.append(v)
    if not found:
        ctx.warn(
            "no-exposure",
            None,
            "no flood depth given: give exposure_grid (a flood-scenario GeoTIFF) or "
            "exposure_zones with a 'depth' property",
        )
        return np.full(n, np.nan)
    depth = found[0]
    for more in found[1:]:
        depth = np.fmax(depth, more)
    negative = np.isfinite(depth) & (depth < 0)
    if negative.any():
        ctx.warn(
            "negative-depth",
            "exposure_grid" if grid is not None else "exposure_zones",
            f"{counted(int(negative.sum()), 'building got', 'buildings got')} a negative depth; taken as 0 (dry)",
            int(negative.sum()),
        )
        depth = np.where(negative, 0.0, depth)
    missing = int((np.isnan(depth) & homes.mask).sum())
    if missing:
        ctx.warn(
            "home-without-exposure",
            "buildings",
            f"{counted(missing, 'home got', 'homes got')} no flood depth (outside the grid, or outside every zone "
            "with dry_where_no_value false); they are left out of the shares",
            missing,
        )
    return depth


def floor_heights(homes: Homes, params: Mapping[str, Any], ctx: Context) -> np.ndarray:
    """Return the floor height per building: its ``floor_height_m``, else the parameter."""
    default = float(params["floor_height_m"])
    if not any("floor_height_m" in p for p in homes.layer.properties):
        return np.full(len(homes), default)
    own = homes.layer.number("floor_height_m", valid=FLOOR_RANGE)
    given = int(np.isfinite(own).sum())
    ctx.note("floor_height_from_buildings", given)
    if np.isfinite(own[homes.mask]).all() and "floor_height_m" in ctx.explicit:
        ctx.warn(
            "input-ignored",
            "floor_height_m",
            "'floor_height_m' was given but not used: every building has its own 'floor_height_m'",
        )
    return np.where(np.isfinite(own), own, default)


def flood_stats(
    depth: np.ndarray,
    floor_m: np.ndarray,
    dwellings: np.ndarray,
    thresholds: Sequence[float],
    g: AreaGroups,
) -> dict[str, np.ndarray]:
    """Return the flood metrics per group: shares above each threshold, dry floors.

    Examples
    --------
    Four homes of one dwelling; depths 0, 0.5 (on the threshold: not above), 0.6 and
    unknown; floors at 0.5 m:

    >>> g = AreaGroups(np.zeros(4, dtype=np.int64), 1)
    >>> s = flood_stats(np.array([0.0, 0.5, 0.6, np.nan]), np.full(4, 0.5), np.ones(4), [0.5], g)
    >>> s["share_homes_depth_above_0_5m"].round(4).tolist()  # 1 of 3 homes with a depth
    [0.3333]
    >>> s["share_homes_floor_dry"].round(4).tolist()  # 0 and 0.5 leave a 0.5 m floor dry
    [0.6667]
    """
    known = np.isfinite(depth) & (dwellings > 0)
    dry = known & (np.nan_to_num(depth, nan=np.inf) <= floor_m)
    out = {
        "homes_with_depth": g.count(known),
        "max_flood_depth_m": g.maximum(np.where(known, depth, np.nan)),
        "mean_flood_depth_m": weighted_mean(np.where(known, depth, np.nan), dwellings, g),
        "share_homes_flooded": share_above(depth, dwellings, 0.0, g)["share_homes"],
        "share_homes_floor_dry": g.share(dry, where=known),
        "share_dwellings_floor_dry": g.share(dry, weights=dwellings, where=known),
        "homes_floor_wet": g.count(known & ~dry),
    }
    for t in thresholds:
        s = share_above(depth, dwellings, t, g)
        tag = threshold_tag(t)
        out[f"share_homes_depth_above_{tag}"] = s["share_homes"]
        out[f"share_dwellings_depth_above_{tag}"] = s["share_dwellings"]
        out[f"homes_depth_above_{tag}"] = s["homes_above"]
        out[f"dwellings_depth_above_{tag}"] = s["dwellings_above"]
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Sample the flood depth per home; shares above the thresholds; dry floors."""
    thresholds = thresholds_of(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling flood depth")
    depth = home_depths(
        homes, layers.get("exposure_zones"), params.get("exposure_grid"), params, ctx
    )
    depth = np.where(homes.mask, depth, np.nan)
    floor_m = floor_heights(homes, params, ctx)
    dw = homes.dwellings
    ctx.progress(0.6, "classifying")

    def stats(g: AreaGroups) -> dict[str, np.ndarray]:
        return {**home_counts(homes, g), **flood_stats(depth, floor_m, dw, thresholds, g)}

    declared = (*METRICS, *threshold_metrics(params))
    result = level_metrics(declared, ctx.groups, len(homes), stats)
    known = np.isfinite(depth)
    result.feature = {
        "flood_depth_m": depth,
        "floor_height_m": np.where(homes.mask, floor_m, np.nan),
        "water_above_floor_m": np.where(known, np.maximum(depth - floor_m, 0.0), np.nan),
        "floor_dry": [
            None if not k else bool(d <= f)
            for k, d, f in zip(known.tolist(), depth.tolist(), floor_m.tolist(), strict=True)
        ],
    }
    return result


def threshold_metrics(params: Mapping[str, Any]) -> tuple[Metric, ...]:
    """Declare the metrics of each depth threshold of the request."""
    out: list[Metric] = []
    for t in thresholds_of(params):
        tag, d = threshold_tag(t), f"{t:g} m"
        out += [
            share_metric(f"share_homes_depth_above_{tag}",
                         f"Aandeel woningen met waterdiepte boven {d}",
                         f"Share of homes with a flood depth above {d}",
                         f"Homes with depth > {d} ÷ homes with a known depth.", scored=True),
            share_metric(f"share_dwellings_depth_above_{tag}",
                         f"Aandeel wooneenheden met waterdiepte boven {d}",
                         f"Share of dwellings with a flood depth above {d}",
                         "The same, by dwellings."),
            count_metric(f"homes_depth_above_{tag}", f"Woningen met waterdiepte boven {d}",
                         f"Homes with a flood depth above {d}", AREA_OVERALL),
            count_metric(f"dwellings_depth_above_{tag}", f"Wooneenheden met waterdiepte boven {d}",
                         f"Dwellings with a flood depth above {d}", AREA_OVERALL, digits=2),
        ]  # fmt: skip
    return tuple(out)


METRICS = (
    *HOME_METRICS,
    home_metric("flood_depth_m", "Waterdiepte", "Flood depth", "m",
                "Maximum water depth of the scenario at the home (0 = dry).", 2),
    metric("floor_height_m", "Vloerhoogte", "Floor height", "m", levels=("feature",), digits=2,
           description="Height above the ground of the floor that should stay dry."),
    home_metric("water_above_floor_m", "Water boven de vloer", "Water above the floor", "m",
                "max(depth − floor height, 0).", 2),
    flag_metric("floor_dry", "Vloer blijft droog", "Floor stays dry",
                "Depth ≤ floor height (null: no depth)."),
    count_metric("homes_with_depth", "Woningen met waterdiepte", "Homes with a known depth",
                 AREA_OVERALL),
    metric("max_flood_depth_m", "Grootste waterdiepte", "Largest flood depth", "m",
           levels=AREA_OVERALL, direction="lower_is_better", digits=2),
    metric("mean_flood_depth_m", "Gemiddelde waterdiepte", "Mean flood depth", "m",
           levels=AREA_OVERALL, direction="lower_is_better", digits=2,
           description="Dwelling-weighted mean depth of the homes with a known depth."),
    share_metric("share_homes_flooded", "Aandeel woningen in overstroomd gebied",
                 "Share of homes in the flooded area", "Homes with depth > 0 ÷ homes with a depth."),
    share_metric("share_homes_floor_dry", "Aandeel woningen met droge vloer",
                 "Share of homes with a dry floor",
                 "Homes whose depth ≤ their floor height ÷ homes with a known depth.",
                 scored=True, direction="higher_is_better"),
    share_metric("share_dwellings_floor_dry", "Aandeel wooneenheden met droge vloer",
                 "Share of dwellings with a dry floor", "The same, by dwellings.",
                 direction="higher_is_better"),
    count_metric("homes_floor_wet", "Woningen met natte vloer", "Homes with a wet floor",
                 AREA_OVERALL),
)  # fmt: skip


_THRESHOLD_REASONS = (
    "0.2 m: water over the doorstep, it enters the home and damage starts (common practice, "
    "indicative); 0.5 m: walking through moving water and driving become dangerous, no safe "
    "evacuation on foot or by car (rule of thumb of risk-to-life work; indicative); "
    "0.8 m: adults can no longer wade safely and ground-floor contents are largely lost "
    "(indicative, no published Dutch limit found); 2.0 m: the ground floor is flooded nearly "
    "to its ceiling, no refuge there, flood mortality rises steeply above about 2 m "
    "(Jonkman 2007)."
)

PARAMETERS = (
    Parameter(
        "depth_thresholds_m",
        "Depth thresholds",
        "Depths whose shares of homes and dwellings above are reported (a depth exactly on a "
        "threshold is not above it). Defaults and their reasons — " + _THRESHOLD_REASONS,
        "array",
        default=list(DEFAULT_THRESHOLDS_M),
        schema={
            "items": {"type": "number", "minimum": 0.0, "maximum": 20.0},
            "minItems": 1,
            "maxItems": 12,
        },
        unit="m",
    ),
    Parameter(
        "floor_height_m",
        "Floor height",
        "Height above the ground of the floor that should stay dry (a building's own "
        "`floor_height_m` property overrides it). Default 2.65 m: the first floor at the "
        "storey height Rijkswaterstaat assumes (conservatively) in its map of buildings with "
        "a dry storey (droge verdiepingen, Atlas Leefomgeving) — a refuge in the home. Use "
        "e.g. 0.2 for the ground floor above a doorstep.",
        "number",
        default=REFUGE_FLOOR_M,
        minimum=0.0,
        maximum=30.0,
        unit="m",
    ),
    Parameter(
        "dry_where_no_value",
        "No depth means dry",
        "Flood maps show only the flooded area: a home in no depth zone, or on a nodata cell "
        "inside the grid, is dry (depth 0). False: such homes get no value (left out, warned). "
        "Homes outside the grid's extent never get a value.",
        "boolean",
        default=True,
    ),
    *(p for p in exposure_parameters(("depth",)) if p.name in _GRID_PARAMETERS),
)


def _zone(x0: float, x1: float, depth: float) -> dict[str, Any]:
    return feature(box(x0, 455000.0, x1, 455100.0), properties={"depth": depth})


_SOURCES = (
    Source(
        "LIWO",
        "Rijkswaterstaat, Landelijk Informatiesysteem Water en Overstromingen (LIWO): "
        "flood scenarios and maps of the maximum water depth (GeoTIFF).",
        "https://basisinformatie-overstromingen.nl/liwo/",
    ),
    Source(
        "Droge verdiepingen",
        "Atlas Leefomgeving, 'Droge verdiepingen' (Rijkswaterstaat, 2019): buildings with at "
        "least one dry storey, from the maximum flood-depth map; storey height taken as "
        "2.65 m (conservative).",
        "https://www.atlasleefomgeving.nl/droge-verdiepingen",
    ),
    Source(
        "Jonkman 2007",
        "Jonkman, S.N. (2007). Loss of life estimation in flood risk assessment: theory and "
        "applications. PhD thesis, TU Delft (mortality functions by water depth and rise rate).",
        "https://repository.tudelft.nl/",
    ),
    Source(
        "FLOODsite 2007",
        "Priest, S., Wilson, T., Tapsell, S. et al. (2007). Building a model to estimate risk "
        "to life for European flood events. FLOODsite report T10-07-10.",
        "https://www.floodsite.net/",
    ),
)

INDICATORS = (
    Indicator(
        id="flood-safety",
        version="1.0.1",
        title={
            "nl": "Waterveiligheid: waterdiepte bij woningen",
            "en": "Flood safety: water depth at homes",
        },
        description={
            "nl": "Maximale waterdiepte van een overstromingsscenario (bijv. LIWO) per woning; "
            "aandelen woningen en wooneenheden boven dieptedrempels en met een droge vloer, "
            "per buurt en totaal.",
            "en": "Maximum water depth of a flood scenario (e.g. LIWO) per home; shares of "
            "homes and dwellings above depth thresholds and with a dry floor, per "
            "neighbourhood and overall.",
        },
        theme="flood",
        method=(
            "Each home takes the maximum water depth (m) of a flood scenario from a GeoTIFF grid "
            "(`exposure_grid`, the cell containing the home's representative point) and/or "
            "from depth zones (`exposure_zones` with a `depth` property; overlaps by "
            "`zone_overlap`); with both, the deeper counts. Flood maps show only the flooded "
            "area: with `dry_where_no_value` a home in no zone or on a nodata cell inside the "
            "grid is dry (0 m); homes outside the grid's extent get no value and are left out "
            "of the shares (warned). Per area and overall: the shares of homes and dwellings "
            "with a depth strictly above each of `depth_thresholds_m` "
            "(`share_homes_depth_above_<t>m`, a depth on a threshold is not above it), and the "
            "share whose floor stays dry: depth ≤ the floor height (a building's "
            "`floor_height_m`, else the parameter; default 2.65 m, the first floor at "
            "Rijkswaterstaat's storey height of the 'droge verdiepingen' map). Why the default "
            "thresholds — " + _THRESHOLD_REASONS + " No national norm exists for these shares: "
            "the profiles score them with indicative bands per area type (headline "
            "`share_homes_floor_dry`). A home belongs to the neighbourhood holding its "
            "representative point. The probability of the scenario is not part of the result: "
            "compare scenarios of the same probability."
        ),
        compute=compute,
        metrics=METRICS,
        metric_templates=threshold_metrics,
        features="buildings",
        areas="neighbourhoods",
        explicit_parameters=("floor_height_m",),  # said unread when every building has one
        inputs=(
            FLOOD_BUILDINGS,
            NEIGHBOURHOODS,
            zone_input("depth (m): maximum water depth of the flood scenario", [_DEPTH]),
        ),
        parameters=PARAMETERS,
        norms=(
            Norm(
                "floor_height_m",
                REFUGE_FLOOR_M,
                "m",
                "first floor at 2.65 m storey height: a dry refuge",
                "Rijkswaterstaat, droge verdiepingen (Atlas Leefomgeving)",
                "floor_height_m",
            ),
            Norm(
                "depth_thresholds_m",
                list(DEFAULT_THRESHOLDS_M),
                "m",
                "depth thresholds 0.2 / 0.5 / 0.8 / 2.0 m (see the method for the reasons)",
                "practice; Jonkman 2007 for 2 m",
                "depth_thresholds_m",
            ),
        ),
        sources=_SOURCES,
        keywords=("waterveiligheid", "overstroming", "waterdiepte", "LIWO", "GGO", "flood"),
        example={
            "buildings": rd_collection(
                [
                    point_feature(136050.0, 455050.0, "a", dwellings=4),
                    point_feature(136150.0, 455050.0, "b", dwellings=1),
                    point_feature(136250.0, 455050.0, "c", dwellings=2, floor_height_m=0.2),
                ]
            ),
            "exposure_zones": rd_collection(
                [_zone(136000.0, 136100.0, 0.5), _zone(136100.0, 136200.0, 2.8)]
            ),
            "floor_height_m": 2.65,
        },
    ),
)
