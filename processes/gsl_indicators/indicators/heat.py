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
declination on the date. Target ≥ 50 % (Utrecht).

(c) **Hot nights**, where given: ``hot_nights`` (number of nights per year with a
minimum temperature above 20 °C, as the supplier computed it) is averaged over
homes; ``tnight`` (night minimum temperature, °C, e.g. of a reference hot night)
marks a home as having a hot night when above ``hot_night_c``.

GES has no module for heat, which the ``ges`` output says.

Scored metrics (norm profile names):

- ``shade_share_public_space`` — % of public space in shade (higher is better);
- ``share_homes_strong_heat_stress`` — % of homes with PET above ``pet_strong_c``
  (lower is better);
- ``mean_hot_nights`` — dwelling-weighted mean number of hot nights (lower is better);
- ``share_homes_hot_night`` — % of homes with ``tnight`` above ``hot_night_c``
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
    BUILDINGS,
    NEIGHBOURHOODS,
    Quantity,
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

QUANTITIES = (
    Quantity("pet", "pet"),
    Quantity("hot_nights", "hot_nights"),
    Quantity("tnight", "tnight"),
)
PET_CLASSES = ("none", "slight", "moderate", "strong", "extreme")
PET_LIMITS = (
    ("pet_slight_c", 23.0),
    ("pet_moderate_c", 29.0),
    ("pet_strong_c", 35.0),
    ("pet_extreme_c", 41.0),
)
_MATZARAKIS = "Matzarakis & Mayer (1996), PET thermal perception classes (Central Europe)"

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
    "Tree crown polygons; counted as shade in full.",
    POLYGONS,
    required=False,
)
HEAT_BUILDINGS = GeoInput(
    BUILDINGS.name,
    BUILDINGS.title,
    BUILDINGS.description + " Footprints with `height` cast shadows.",
    BUILDINGS.geometry_types,
    properties={**BUILDINGS.properties, "height": "building height in metres (shadows)"},
)


def _parameters() -> tuple[Parameter, ...]:
    pet = tuple(
        Parameter(
            name,
            f"PET limit {name.split('_')[1]}",
            f"PET above which heat stress is at least '{name.split('_')[1]}'.",
            "number",
            default,
            0.0,
            70.0,
            unit="°C",
        )
        for name, default in PET_LIMITS
    )
    return (
        *pet,
        Parameter(
            "hot_night_c",
            "Hot night threshold",
            "A night is hot when its minimum temperature (`tnight`) is above this.",
            "number",
            20.0,
            10.0,
            35.0,
            unit="°C",
        ),
        Parameter(
            "shade_target_pct",
            "Shade target",
            "Required shade share of public space (Utrecht: at least 50 %).",
            "number",
            50.0,
            0.0,
            100.0,
            unit="%",
        ),
        Parameter(
            "date",
            "Date",
            "Day of the shadow computation, YYYY-MM-DD or MM-DD (year 2025 assumed).",
            "string",
            "06-21",
        ),
        Parameter(
            "time",
            "True solar time",
            "`solar_noon` or HH:MM in true (apparent) solar time.",
            "string",
            "solar_noon",
        ),
        Parameter(
            "latitude",
            "Latitude",
            "Latitude of the site for the sun elevation; empty = the centre of the public space.",
            "number",
            None,
            -66.0,
            66.0,
            unit="°",
            nullable=True,
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


def _shade(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    areas: Layer | None,
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray | None]:
    """Compute the shade part: (summary, public_space columns, shade share per area)."""
    public = layers["public_space"]
    buildings = layers["buildings"]
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
    ctx.progress(0.5, "casting shadows")
    is_poly = np.isin(shapely.get_type_id(buildings.geometries), (3, 6))
    heights = np.where(is_poly, buildings.number("height"), np.nan)
    no_height = int((is_poly & np.isnan(heights)).sum())
    if no_height:
        ctx.warn(
            "missing-property",
            "buildings",
            f"{no_height} building footprints have no numeric 'height'; they cast no shadow",
            no_height,
        )
    pieces = building_shadows(buildings.geometries, heights, elevation, azimuth)
    canopy = layers.get("canopy")
    canopy_geoms = canopy.geometries if canopy is not None else np.empty(0, object)
    shade = shade_geometry(np.concatenate([pieces, canopy_geoms]), public.geometries)
    ctx.progress(0.75, "measuring shade")
    area = shapely.area(public.geometries)
    shaded = shaded_area(public.geometries, shade)
    union = shapely.union_all(public.geometries)
    parts = shapely.get_parts(union)
    total = float(shapely.area(parts).sum())
    total_shaded = float(shaded_area(parts, shade).sum())
    target = float(params["shade_target_pct"])
    share = 100.0 * total_shaded / total if total > 0 else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        share_each = np.where(area > 0, 100.0 * shaded / np.where(area > 0, area, 1), np.nan)
    summary = {
        "sun": {
            "latitude": round(float(lat), 4),
            "date": date.isoformat(),
            "solar_time_h": round(hour, 4),
            "declination": round(solar_declination(date), 3),
            "elevation": round(elevation, 3),
            "azimuth": round(azimuth, 3),
        },
        "buildings_casting_shadow": int((np.isfinite(heights) & (heights > 0)).sum()),
        "canopy_features": len(canopy_geoms),
        "public_space_m2": round(total, 1),
        "shaded_m2": round(total_shaded, 1),
        "shade_share": scalar(share),
        "target": target,
        "meets_target": None if np.isnan(share) else bool(share >= target),
    }
    columns = {
        "area_m2": rounded(area, 1),
        "shaded_m2": rounded(shaded, 1),
        "shade_share": rounded(share_each),
        "meets_target": [None if np.isnan(s) else bool(s >= target) for s in share_each],
    }
    per_area = None
    if areas is not None and len(areas):
        pi, ai = shapely.STRtree(areas.geometries).query(parts, predicate="intersects")
        pieces_in = shapely.intersection(parts[pi], areas.geometries[ai])
        a_area = np.bincount(ai, weights=shapely.area(pieces_in), minlength=len(areas))
        a_shaded = np.bincount(ai, weights=shaded_area(pieces_in, shade), minlength=len(areas))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_area = np.where(
                a_area > 0, 100.0 * a_shaded / np.where(a_area > 0, a_area, 1), np.nan
            )
    return summary, columns, per_area


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """PET classes per home, shade share of public space, hot nights."""
    limits = _pet_limits(params)
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling exposure")
    values = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    areas = layers.get("neighbourhoods")
    groups = neighbourhood_index(homes, areas, ctx)
    n_areas = len(areas) if areas is not None else 0
    dw = homes.dwellings
    columns: dict[str, Any] = {}
    summary: dict[str, Any] = {
        "homes": int(homes.mask.sum()),
        "dwellings": float(dw[homes.mask].sum()),
    }
    area_cols: dict[str, Any] = {}
    overall: dict[str, float] = {}
    per_area: dict[str, np.ndarray] = {}
    masked = {k: np.where(homes.mask, v, np.nan) for k, v in values.items()}
    if "pet" in masked:
        pet = masked["pet"]
        cls = pet_class(pet, limits)
        columns["pet"] = rounded(pet, 1)
        columns["pet_class"] = [None if c < 0 else int(c) for c in cls.tolist()]
        columns["pet_class_name"] = [None if c < 0 else PET_CLASSES[c] for c in cls.tolist()]
        ok = cls >= 0
        strong = share_above(pet, dw, float(params["pet_strong_c"]))
        summary["pet"] = {
            "homes_with_value": int(ok.sum()),
            "homes_per_class": {n: int((cls == i).sum()) for i, n in enumerate(PET_CLASSES)},
            "dwellings_per_class": {
                n: float(dw[cls == i].sum()) for i, n in enumerate(PET_CLASSES)
            },
            "share_homes_strong_heat_stress": scalar(strong["share_homes"][0]),
            "share_dwellings_strong_heat_stress": scalar(strong["share_dwellings"][0]),
        }
        overall["share_homes_strong_heat_stress"] = strong["share_homes"][0]
        if n_areas:
            sa = share_above(pet, dw, float(params["pet_strong_c"]), groups, n_areas)
            area_cols["share_homes_strong_heat_stress"] = rounded(sa["share_homes"])
            per_area["share_homes_strong_heat_stress"] = sa["share_homes"]
    else:
        summary["pet"] = {"given": False}
    if "hot_nights" in masked:
        hn = masked["hot_nights"]
        columns["hot_nights"] = rounded(hn, 1)
        mean = weighted_mean(hn, dw)[0]
        summary["hot_nights"] = {
            "homes_with_value": int(np.isfinite(hn).sum()),
            "mean": scalar(mean),
            "max": scalar(float(np.nanmax(hn))) if np.isfinite(hn).any() else None,
        }
        overall["mean_hot_nights"] = mean
        if n_areas:
            am = weighted_mean(hn, dw, groups, n_areas)
            area_cols["mean_hot_nights"] = rounded(am)
            per_area["mean_hot_nights"] = am
    if "tnight" in masked:
        tn = masked["tnight"]
        thr = float(params["hot_night_c"])
        columns["tnight"] = rounded(tn, 1)
        columns["hot_night"] = [None if np.isnan(t) else bool(t > thr) for t in tn.tolist()]
        s = share_above(tn, dw, thr)
        summary["tnight"] = {
            "threshold": thr,
            "homes_with_value": int(np.isfinite(tn).sum()),
            "share_homes_hot_night": scalar(s["share_homes"][0]),
            "share_dwellings_hot_night": scalar(s["share_dwellings"][0]),
        }
        overall["share_homes_hot_night"] = s["share_homes"][0]
        if n_areas:
            sa = share_above(tn, dw, thr, groups, n_areas)
            area_cols["share_homes_hot_night"] = rounded(sa["share_homes"])
            per_area["share_homes_hot_night"] = sa["share_homes"]
    out: dict[str, Any] = {"buildings": feature_collection(homes.layer, columns)}
    if layers.get("public_space") is not None and len(layers["public_space"]):
        shade_summary, ps_cols, shade_per_area = _shade(layers, params, ctx, areas)
        summary["shade"] = shade_summary
        out["public_space"] = feature_collection(layers["public_space"], ps_cols)
        overall["shade_share_public_space"] = (
            np.nan if shade_summary["shade_share"] is None else shade_summary["shade_share"]
        )
        if shade_per_area is not None:
            area_cols["shade_share_public_space"] = rounded(shade_per_area)
            per_area["shade_share_public_space"] = shade_per_area
    else:
        summary["shade"] = {"given": False, "note": "no public_space given; no shade share"}
    ctx.progress(0.9, "scoring")
    _, ges = ges_report(
        {k: masked[k] for k in ("pet", "hot_nights", "tnight") if k in masked},
        dw,
        ges_tables(params),
        no_module=frozenset({"pet", "hot_nights", "tnight"}),
    )
    return scored_outputs(
        "heat",
        params,
        ctx,
        homes,
        out,
        areas,
        groups,
        area_cols,
        overall,
        per_area,
        summary,
        ges,
    )


INDICATORS = (
    Indicator(
        id="heat",
        version="1.1.0",
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
            "with the public space. Hot nights: mean of `hot_nights`, and the share of homes "
            "with `tnight` above `hot_night_c`."
        ),
        compute=compute,
        inputs=(
            HEAT_BUILDINGS,
            NEIGHBOURHOODS,
            PUBLIC_SPACE,
            CANOPY,
            zone_input("pet (°C), hot_nights (nights/year), tnight (°C)"),
            point_input("pet (°C), hot_nights (nights/year), tnight (°C)"),
        ),
        parameters=(
            *_parameters(),
            *exposure_parameters(("pet", "hot_nights", "tnight")),
            GES_PARAMETER,
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input buildings with `pet`, `pet_class`, `pet_class_name`, `hot_nights`, "
                "`tnight`, `hot_night` where given.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "public_space",
                "Public space",
                "Input public space with `area_m2`, `shaded_m2`, `shade_share`, `meets_target`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Per neighbourhood: shares, shade share, `area_type`, `score` (of "
                "`shade_share_public_space`, 1–10) and `scorecard`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "PET classes, shade (with the sun position), hot nights; the overall scorecard.",
            ),
            Output("ges", "GES", "Why there is no GES score for heat."),
            Output(
                "profile",
                "Profile",
                "The norm profile used (heat part).",
                {"type": "object"},
            ),
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
                "hot (tropical) night: minimum above",
                "KNMI",
                "hot_night_c",
            ),
            Norm(
                "shade_target_pct",
                50,
                "%",
                "shade share of walking and stay areas at solar noon on 21 June",
                "Provincie Utrecht / bouwadaptief.nl",
                "shade_target_pct",
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
