"""``heat``: PET class per home, shade share of public space, hot nights.

(a) **PET class per home.** Each home takes a PET value (°C, physiological
equivalent temperature, e.g. from a heat stress map) from ``exposure_zones``,
``exposure_points`` or ``exposure_grid`` (:mod:`gsl_indicators.core.exposure`), and gets
the heat-stress class of Matzarakis: 0 none (PET ≤ 23), 1 slight (≤ 29),
2 moderate (≤ 35), 3 strong (≤ 41), 4 extreme (> 41 °C). A value on a limit belongs
to the lower class. The four limits are parameters.

(b) **Shade share of public space** (walking and stay areas, ``public_space``) at a
date and true solar time (default solar noon on 21 June): the shadows of the
``buildings`` (footprints with ``height`` in m, see :mod:`gsl_indicators.core.shade`)
and the tree ``canopy`` (taken as shade in full) are dissolved into one shade
geometry; the shade share is the shaded area ÷ the area of public space (overlaps of
public-space polygons counted once). The sun elevation comes from the site's
latitude (centre of the public space, or the ``latitude`` parameter) and the solar
declination on the date. Target: a shade share of at least 0.5 — indicative (the Utrecht
region's 50 %; the national maatlat is the reference to check).

(c) **Hot nights**, where given: ``hot_nights`` (number of nights per year with a
minimum temperature of 20 °C or more, as the supplier computed it) is averaged over
homes; ``tnight`` (night minimum temperature, °C, e.g. of a reference hot night)
marks a home as having a hot night when at or above ``hot_night_c`` (KNMI: a tropical
night has a minimum of 20.0 °C or more; before 2.1.0 strictly above).

GES has no module for heat, which the ``ges`` output says.

Scored metrics (norm profile names):

- ``shade_share_public_space`` — fraction (0–1) of public space in shade (higher is
  better);
- ``share_homes_strong_heat_stress`` — fraction of homes with PET above ``pet_strong_c``
  (lower is better);
- ``mean_hot_nights`` — dwelling-weighted mean number of hot nights (lower is better);
- ``share_homes_hot_night`` — fraction of homes with ``tnight`` at or above ``hot_night_c``
  (lower is better).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from gsl_indicators.core.examples import box_feature, rd_collection
from gsl_indicators.core.exposure import (
    AREA_OVERALL,
    ASSUMED_METRIC,
    BUILDINGS,
    FEATURE,
    HOME_METRICS,
    NEIGHBOURHOODS,
    Homes,
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
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.ges import GES_PARAMETER, GES_SOURCES, ges_report, ges_tables
from gsl_indicators.core.metrics import FRACTION, AreaGroups, Metrics
from gsl_indicators.core.shade import (
    building_shadows,
    parse_date,
    parse_solar_time,
    shade_geometry,
    shaded_area,
    solar_declination,
    solar_position,
)
from gsl_indicators.core.spec import (
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Norm,
    Output,
    Parameter,
    Source,
)

__all__ = [
    "CANOPY",
    "HEAT_BUILDINGS",
    "INDICATORS",
    "METRICS",
    "PET_CLASSES",
    "PET_LIMITS",
    "PUBLIC_SPACE",
    "QUANTITIES",
    "building_heights",
    "compute",
    "home_columns",
    "home_stats",
    "pet_class",
    "pet_distribution",
    "shade_metrics",
    "shade_per_area",
    "sun",
]

# A building's height (m; ≤ 0 casts no shadow), refused outside it.
HEIGHT_RANGE = (-10.0, 1000.0)
QUANTITIES = (
    Quantity("pet", "pet", valid=(-80.0, 80.0)),  # °C
    Quantity("hot_nights", "hot_nights", valid=(0.0, 366.0)),  # nights a year
    Quantity("tnight", "tnight", valid=(-80.0, 80.0)),  # °C
)
PET_CLASSES = ("none", "slight", "moderate", "strong", "extreme")
PET_LIMITS = (
    ("pet_slight_c", 23.0),
    ("pet_moderate_c", 29.0),
    ("pet_strong_c", 35.0),
    ("pet_extreme_c", 41.0),
)
_MATZARAKIS = "Matzarakis & Mayer (1996), PET thermal perception classes (Central Europe)"

# The shade settings (target, sun) are read only for the shade of public space.
SHADE_READS = ("public_space",)
PUBLIC_SPACE = GeoInput(
    "public_space",
    "Public space",
    "Public walking and stay areas (streets, squares, parks) whose shade share is computed.",
    POLYGONS,
    required=False,
)
CANOPY = GeoInput(
    "canopy",
    "Tree canopy",
    "Tree crown polygons; counted as shade in full (of `public_space`: read only with it).",
    POLYGONS,
    required=False,
    read_with=("public_space",),
)
HEAT_BUILDINGS = GeoInput(
    BUILDINGS.name,
    BUILDINGS.title,
    BUILDINGS.description + " Footprints with `height` cast shadows.",
    BUILDINGS.geometry_types,
    properties={**BUILDINGS.properties, "height": "building height in metres (shadows)"},
    ranges={**BUILDINGS.ranges, "height": HEIGHT_RANGE},
)


def _parameters() -> tuple[Parameter, ...]:
    pet = tuple(
        Parameter(
            name,
            f"PET limit {name.split('_')[1]}",
            f"PET above which heat stress is at least '{name.split('_')[1]}'.",
            "number",
            default=default,
            minimum=0.0,
            maximum=70.0,
            unit="°C",
        )
        for name, default in PET_LIMITS
    )
    return (
        *pet,
        Parameter(
            "hot_night_c",
            "Hot night threshold",
            "A night is hot (tropical) when its minimum temperature (`tnight`) is at or "
            "above this (KNMI: minimum ≥ 20.0 °C).",
            "number",
            default=20.0,
            minimum=10.0,
            maximum=35.0,
            unit="°C",
        ),
        Parameter(
            "shade_target",
            "Shade target",
            "Required shade share of public space, a fraction. The default 0.5 is "
            "INDICATIVE: the Utrecht region's target (bouwadaptief.nl: at least 50 % shade on "
            "walking routes and stay areas), not a national norm; the Landelijke maatlat "
            "groene klimaatadaptieve gebouwde omgeving (2023) is the national reference to "
            "check it against.",
            "number",
            default=0.5,
            minimum=0.0,
            maximum=1.0,
            unit=FRACTION,
            read_with=SHADE_READS,
        ),
        Parameter(
            "date",
            "Date",
            "Day of the shadow computation, YYYY-MM-DD or MM-DD (year 2025 assumed).",
            "string",
            default="06-21",
            read_with=SHADE_READS,
        ),
        Parameter(
            "time",
            "True solar time",
            "`solar_noon` or HH:MM in true (apparent) solar time.",
            "string",
            default="solar_noon",
            read_with=SHADE_READS,
        ),
        Parameter(
            "latitude",
            "Latitude",
            "Latitude of the site for the sun elevation; empty = the centre of the public space.",
            "number",
            default=None,
            minimum=-66.0,
            maximum=66.0,
            unit="°",
            nullable=True,
            read_with=SHADE_READS,
        ),
    )


def pet_class(pet: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Return the PET heat-stress class 0–4 (-1 for NaN); a value on a limit is the lower class.

    Examples
    --------
    >>> pet_class(np.array([20.0, 23.0, 23.1, 35.0, 41.5, np.nan]),
    ...           np.array([23.0, 29.0, 35.0, 41.0])).tolist()
    [0, 0, 1, 2, 4, -1]
    """
    cls = np.searchsorted(limits, pet, side="left").astype(np.int64)
    cls[np.isnan(pet)] = -1
    return cls


def _pet_limits(params: Mapping[str, Any]) -> np.ndarray:
    lims = np.array([float(params[n]) for n, _ in PET_LIMITS])
    for (name, _), a, b in zip(PET_LIMITS[1:], lims[:-1], lims[1:], strict=True):
        if not b > a:
            raise InputError(name, f"PET limits must ascend, but {b} is not above {a}")
    return lims


def _site_latitude(geoms: np.ndarray, crs: str) -> float:
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    _, lat = tr.transform((x0 + x1) / 2, (y0 + y1) / 2)
    return float(lat)


def sun(public: Layer, params: Mapping[str, Any], ctx: Context) -> tuple[float, float]:
    """Return the sun's (elevation, azimuth) in degrees at ``date`` and ``time``; note it.

    Raises
    ------
    InputError
        For a bad ``date`` or ``time``, or a sun below the horizon.
    """
    try:
        date = parse_date(str(params["date"]))
    except ValueError as err:
        raise InputError("date", str(err)) from None
    try:
        hour = parse_solar_time(str(params["time"]))
    except ValueError as err:
        raise InputError("time", str(err)) from None
    lat = params.get("latitude")
    if lat is None:
        lat = _site_latitude(public.geometries, public.crs)
    elevation, azimuth = solar_position(float(lat), date, hour)
    if elevation <= 0:
        raise InputError("time", f"the sun is below the horizon ({elevation:.1f}°) at that time")
    ctx.note(
        "sun",
        {
            "latitude": round(float(lat), 4),
            "date": date.isoformat(),
            "solar_time_h": round(hour, 4),
            "declination": round(solar_declination(date), 3),
            "elevation": round(elevation, 3),
            "azimuth": round(azimuth, 3),
        },
    )
    return elevation, azimuth


def building_heights(buildings: Layer, ctx: Context) -> np.ndarray:
    """Return the ``height`` of each footprint (NaN for points and footprints without one)."""
    is_poly = np.isin(shapely.get_type_id(buildings.geometries), (3, 6))
    given = buildings.number("height", valid=HEIGHT_RANGE)  # ≤ 0: no shadow
    heights = np.where(is_poly, given, np.nan)
    no_height = int((is_poly & np.isnan(heights)).sum())
    if no_height:
        ctx.warn(
            "missing-property",
            "buildings",
            f"{no_height} building footprints have no numeric 'height'; they cast no shadow",
            no_height,
        )
    return heights


def shade_per_area(parts: np.ndarray, shade: Any, areas: np.ndarray) -> np.ndarray:
    """Return the shaded fraction of the public space (``parts``, dissolved) in each area.

    Examples
    --------
    >>> parts = np.array([shapely.box(0, 0, 20, 10)])
    >>> areas = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(50, 0, 60, 1)])
    >>> shade_per_area(parts, shapely.box(0, 0, 5, 10), areas).tolist()
    [0.5, 0.0, nan]
    """
    pi, ai = shapely.STRtree(areas).query(parts, predicate="intersects")
    pieces = shapely.intersection(parts[pi], areas[ai])
    total = np.bincount(ai, weights=shapely.area(pieces), minlength=len(areas))
    shaded = np.bincount(ai, weights=shaded_area(pieces, shade), minlength=len(areas))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, shaded / np.where(total > 0, total, 1), np.nan)


def shade_metrics(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context, result: Metrics
) -> None:
    """Add the shade share of public space (overall, per area, per public space) to ``result``."""
    public, buildings = layers["public_space"], layers["buildings"]
    elevation, azimuth = sun(public, params, ctx)
    ctx.progress(0.5, "casting shadows")
    heights = building_heights(buildings, ctx)
    pieces = building_shadows(buildings.geometries, heights, elevation, azimuth)
    canopy = layers.get("canopy")
    canopy_geoms = canopy.geometries if canopy is not None else np.empty(0, object)
    shade = shade_geometry(np.concatenate([pieces, canopy_geoms]), public.geometries)
    ctx.note(
        "shade",
        {
            "buildings_casting_shadow": int((np.isfinite(heights) & (heights > 0)).sum()),
            "canopy_features": len(canopy_geoms),
        },
    )
    ctx.progress(0.75, "measuring shade")
    target = float(params["shade_target"])
    area = shapely.area(public.geometries)
    shaded = shaded_area(public.geometries, shade)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_each = np.where(area > 0, shaded / np.where(area > 0, area, 1), np.nan)
    result.collections["public_space"] = (
        public,
        {
            "area_m2": area,
            "shaded_m2": shaded,
            "shade_share": share_each,
            "meets_target": [None if np.isnan(s) else bool(s >= target) for s in share_each],
        },
    )
    parts = shapely.get_parts(shapely.union_all(public.geometries))  # overlaps count once
    total, total_shaded = float(shapely.area(parts).sum()), float(shaded_area(parts, shade).sum())
    share = total_shaded / total if total > 0 else float("nan")
    result.overall.update(
        public_space_m2=total,
        public_space_shaded_m2=total_shaded,
        shade_share_public_space=share,
        meets_shade_target=None if np.isnan(share) else bool(share >= target),
    )
    areas = layers.get("neighbourhoods")
    if areas is not None and len(areas):
        result.area["shade_share_public_space"] = shade_per_area(parts, shade, areas.geometries)


def home_stats(
    homes: Homes, values: Mapping[str, np.ndarray], params: Mapping[str, Any], g: AreaGroups
) -> dict[str, np.ndarray]:
    """Return the home metrics per group: strong heat stress, hot nights (where given)."""
    dw = homes.dwellings
    out = home_counts(homes, g)
    if "pet" in values:
        strong = share_above(values["pet"], dw, float(params["pet_strong_c"]), g)
        out["homes_with_pet"] = strong["homes"]
        out["share_homes_strong_heat_stress"] = strong["share_homes"]
        out["share_dwellings_strong_heat_stress"] = strong["share_dwellings"]
    if "hot_nights" in values:
        hn = values["hot_nights"]
        out["homes_with_hot_nights"] = g.count(np.isfinite(hn))
        out["mean_hot_nights"] = weighted_mean(hn, dw, g)
        out["max_hot_nights"] = g.maximum(hn)
    if "tnight" in values:
        hot = share_above(values["tnight"], dw, float(params["hot_night_c"]), g, inclusive=True)
        out["homes_with_tnight"] = hot["homes"]
        out["share_homes_hot_night"] = hot["share_homes"]
        out["share_dwellings_hot_night"] = hot["share_dwellings"]
    return out


def home_columns(
    values: Mapping[str, np.ndarray], limits: np.ndarray, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the per-home columns: PET and its class, hot nights, night minimum."""
    cols: dict[str, Any] = {}
    if "pet" in values:
        cls = pet_class(values["pet"], limits).tolist()
        cols["pet"] = values["pet"]
        cols["pet_class"] = [None if c < 0 else c for c in cls]
        cols["pet_class_name"] = [None if c < 0 else PET_CLASSES[c] for c in cls]
    if "hot_nights" in values:
        cols["hot_nights"] = values["hot_nights"]
    if "tnight" in values:
        cols["tnight"] = values["tnight"]
        cols["hot_night"] = above_flags(
            values["tnight"], float(params["hot_night_c"]), inclusive=True
        )
    return cols


def pet_distribution(
    pet: np.ndarray, dwellings: np.ndarray, limits: np.ndarray
) -> dict[str, dict[str, float]]:
    """Return homes and dwellings per PET class (homes without a value left out).

    Examples
    --------
    >>> pet_distribution(np.array([20.0, 37.0, np.nan]), np.array([2.0, 1.0, 1.0]),
    ...                  np.array([23.0, 29.0, 35.0, 41.0]))["strong"]
    {'homes': 1, 'dwellings': 1.0}
    """
    cls = pet_class(pet, limits)
    return {
        name: {"homes": int((cls == i).sum()), "dwellings": float(dwellings[cls == i].sum())}
        for i, name in enumerate(PET_CLASSES)
    }


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """PET classes per home, shade share of public space, hot nights."""
    limits = _pet_limits(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    sampled = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    values = home_values(homes, sampled)
    result = level_metrics(
        METRICS, ctx.groups, len(homes), lambda g: home_stats(homes, values, params, g)
    )
    result.feature = home_columns(values, limits, params)
    result.feature[ASSUMED_METRIC.id] = assumed_column(sampled, len(homes))
    if "pet" in values:
        result.outputs["classes"] = {
            "pet": pet_distribution(values["pet"], homes.dwellings, limits)
        }
    public = layers.get("public_space")
    if public is not None and len(public):
        shade_metrics(layers, params, ctx, result)
    else:
        ctx.note("shade", "no public_space given; no shade share")
    ctx.progress(0.9, "scoring")
    _, result.outputs["ges"] = ges_report(
        values,
        homes.dwellings,
        ges_tables(params, [q.key for q in QUANTITIES]),
        no_module=frozenset(values),
    )
    return result


_PS = "Per public-space feature (output `public_space`): "
# fmt: off
METRICS = (
    *HOME_METRICS,
    ASSUMED_METRIC,
    home_metric("pet", "PET", "PET", "°C", "Physiological equivalent temperature at the home."),
    home_metric("pet_class", "Hittestressklasse", "Heat-stress class", "class",
                "0 none, 1 slight, 2 moderate, 3 strong, 4 extreme (limits `pet_*_c`).", 0),
    metric("pet_class_name", "Naam hittestressklasse", "Heat-stress class name", "class",
           levels=FEATURE, description="none, slight, moderate, strong or extreme."),
    home_metric("hot_nights", "Tropische nachten", "Hot nights", "nights/year",
                "Nights per year with a minimum above 20 °C, as supplied."),
    home_metric("tnight", "Nachtminimum", "Night minimum", "°C", "Night minimum temperature."),
    flag_metric("hot_night", "Tropische nacht", "Hot night", "`tnight` ≥ `hot_night_c`."),
    metric("area_m2", "Oppervlak", "Area", "m²", levels=FEATURE, digits=1,
           description=_PS + "its area."),
    metric("shaded_m2", "Oppervlak in schaduw", "Shaded area", "m²", levels=FEATURE, digits=1,
           description=_PS + "its area in shade."),
    metric("shade_share", "Schaduwaandeel", "Shade share", FRACTION, levels=FEATURE,
           direction="higher_is_better", digits=4, description=_PS + "shaded ÷ area."),
    metric("meets_target", "Voldoet aan schaduwdoel", "Meets the shade target", "boolean",
           levels=FEATURE, description=_PS + "`shade_share` at least `shade_target`."),
    count_metric("homes_with_pet", "Woningen met PET", "Homes with PET", AREA_OVERALL),
    share_metric("share_homes_strong_heat_stress", "Aandeel woningen met sterke hittestress",
                 "Share of homes in strong heat stress",
                 "Homes with PET > `pet_strong_c` ÷ homes with a PET.", scored=True),
    share_metric("share_dwellings_strong_heat_stress",
                 "Aandeel wooneenheden met sterke hittestress",
                 "Share of dwellings in strong heat stress", "The same, by dwellings."),
    count_metric("homes_with_hot_nights", "Woningen met tropische nachten",
                 "Homes with hot nights", AREA_OVERALL),
    metric("mean_hot_nights", "Gemiddeld aantal tropische nachten", "Mean hot nights",
           "nights/year", levels=AREA_OVERALL, direction="lower_is_better", digits=2,
           scored=True, description="Dwelling-weighted mean of `hot_nights`."),
    metric("max_hot_nights", "Hoogste aantal tropische nachten", "Most hot nights",
           "nights/year", direction="lower_is_better", digits=2),
    count_metric("homes_with_tnight", "Woningen met nachtminimum",
                 "Homes with a night minimum", AREA_OVERALL),
    share_metric("share_homes_hot_night", "Aandeel woningen met tropische nacht",
                 "Share of homes with a hot night",
                 "Homes with `tnight` ≥ `hot_night_c` ÷ homes with a value.", scored=True),
    share_metric("share_dwellings_hot_night", "Aandeel wooneenheden met tropische nacht",
                 "Share of dwellings with a hot night", "The same, by dwellings."),
    metric("public_space_m2", "Openbare ruimte", "Public space", "m²", digits=1,
           description="Area of the public space (overlaps counted once)."),
    metric("public_space_shaded_m2", "Openbare ruimte in schaduw", "Public space in shade",
           "m²", digits=1, description="Its area in shade."),
    share_metric("shade_share_public_space", "Schaduwaandeel openbare ruimte",
                 "Shade share of public space",
                 "Public space in shade ÷ public space (per neighbourhood: the part inside it).",
                 scored=True, direction="higher_is_better"),
    metric("meets_shade_target", "Voldoet aan schaduwdoel", "Meets the shade target",
           "boolean", description="`shade_share_public_space` at least `shade_target`."),
)
# fmt: on


INDICATORS = (
    Indicator(
        id="heat",
        version="2.2.0",
        title={"nl": "Hitte", "en": "Heat"},
        description={
            "nl": "PET-klasse per woning, schaduwaandeel van verblijfs- en looproutes op 21 juni "
            "(gebouwschaduw en bomen), en tropische nachten waar gegeven.",
            "en": "PET class per home, shade share of public walking and stay areas at solar "
            "noon on 21 June (building shadows and trees), and hot nights where given.",
        },
        theme="heat",
        method=(
            "PET per home from zones, receptor points or a grid (see the exposure inputs), "
            "classed by the limits `pet_*_c` (a value on a limit is the lower class). Shade: "
            "the sun elevation and azimuth follow from the latitude, the solar declination on "
            "`date` (NOAA formulae) and the hour angle of `time` (true solar time); each "
            "building footprint with `height` h casts the convex hull of each convex part "
            "and its translation by h / tan(elevation) away from the sun (non-convex "
            "footprints are triangulated); shadows and canopy are dissolved and intersected "
            "with the public space; the shade share (a fraction 0–1) is the shaded area ÷ the "
            "public space (overlaps counted once), per neighbourhood the part inside it; "
            "`meets_shade_target` compares it with `shade_target`. Hot nights: "
            "dwelling-weighted mean of `hot_nights`, and the share of homes with `tnight` "
            "at or above `hot_night_c` (KNMI: a tropical night has a minimum of 20.0 °C or "
            "more; strictly above before 2.1.0). Shares are fractions 0–1 of the homes with a value; a home "
            "belongs to the neighbourhood holding its representative point. PET classes per "
            "home are counted in the `classes` output. Scores 1–10 come from the norm "
            "profile (headline: `shade_share_public_space`), overall and per neighbourhood."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        inputs=(
            HEAT_BUILDINGS,
            NEIGHBOURHOODS,
            PUBLIC_SPACE,
            CANOPY,
            zone_input("pet (°C), hot_nights (nights/year), tnight (°C)", QUANTITIES),
            point_input("pet (°C), hot_nights (nights/year), tnight (°C)", QUANTITIES),
        ),
        parameters=(
            *_parameters(),
            *exposure_parameters(
                ("pet", "hot_nights", "tnight"),
                [q.key for q in QUANTITIES],
                '{"pet": 35}',
                {"hot_nights": 0.0},
            ),
            GES_PARAMETER,
        ),
        outputs=(
            Output(
                "public_space",
                "Public space",
                "Input public space with `area_m2`, `shaded_m2`, `shade_share` (fraction) and "
                "`meets_target`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
                "application/geo+json",
            ),
            Output("classes", "PET classes", "Homes and dwellings per PET heat-stress class."),
            Output("ges", "GES", "Why there is no GES score for heat."),
        ),
        norms=(
            *(
                Norm(n, d, "°C", f"PET limit of '{n.split('_')[1]}' heat stress", _MATZARAKIS, n)
                for n, d in PET_LIMITS
            ),
            Norm(
                "hot_night_c",
                20,
                "°C",
                "hot (tropical) night: minimum at or above",
                "KNMI (tropical night: minimum temperature ≥ 20.0 °C)",
                "hot_night_c",
            ),
            Norm(
                "shade_target",
                0.5,
                FRACTION,
                "Indicative: shade share of walking and stay areas at solar noon on 21 June "
                "(a regional target, not a national norm)",
                "indicative; Utrecht region / bouwadaptief.nl (50 % of walking routes and stay "
                "areas); reference to check: Landelijke maatlat groene klimaatadaptieve "
                "gebouwde omgeving (2023)",
                "shade_target",
            ),
        ),
        sources=(
            Source(
                "PET classes",
                "Matzarakis, A. & Mayer, H. (1996). Another kind of environmental stress: thermal "
                "stress. WHO Newsletter 18, 7–10 (PET classes for Central Europe).",
            ),
            Source(
                "NOAA solar calculator",
                "NOAA Global Monitoring Laboratory, Solar Calculation Details (declination, "
                "after Meeus, Astronomical Algorithms).",
                "https://gml.noaa.gov/grad/solcalc/calcdetails.html",
            ),
            Source(
                "KNMI",
                "KNMI climate terms: a tropical night (tropische nacht) is a night whose minimum "
                "temperature is 20.0 °C or higher.",
                "https://www.knmi.nl/kennis-en-datacentrum/uitleg/tropische-nacht",
            ),
            Source(
                "Landelijke maatlat",
                "Landelijke maatlat voor een groene klimaatadaptieve gebouwde omgeving (2023): "
                "the national reference for the shade target (indicative here).",
                "https://www.gwwtotaal.nl/2023/09/19/maatlat-groene-klimaatadaptieve-gebouwde-omgeving/",
            ),
            Source(
                "Bouwadaptief",
                "Bouwadaptief: shade at least 50 % of walking routes and stay areas.",
                "https://www.bouwadaptief.nl",
            ),
            *GES_SOURCES[:1],
        ),
        keywords=("hittestress", "PET", "schaduw", "tropische nachten", "GGO"),
        example={
            "buildings": rd_collection(
                [
                    box_feature(
                        121000.0, 487000.0, 121020.0, 487010.0, "block-1", height=12.0, dwellings=8
                    ),
                    box_feature(
                        121040.0, 487000.0, 121060.0, 487010.0, "block-2", height=9.0, dwellings=6
                    ),
                ]
            ),
            "public_space": rd_collection(
                [
                    box_feature(
                        120990.0, 487010.0, 121070.0, 487025.0, "street", kind="walking route"
                    )
                ]
            ),
            "canopy": rd_collection([box_feature(121025.0, 487012.0, 121035.0, 487022.0)]),
            "exposure_zones": rd_collection(
                [box_feature(120900.0, 486900.0, 121100.0, 487100.0, pet=37.5, hot_nights=6)]
            ),
        },
    ),
)
