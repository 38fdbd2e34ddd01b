"""``odour``: odour load per home (livestock and industry apart) against the livestock standards.

Per home and per source (livestock, industry): the odour load in European odour units
per m³ as a 98-percentile (ou_E/m³, P98), from ``exposure_zones``, ``exposure_points``
or ``exposure_grid`` (as in ``noise``: a feature's ``source`` property says which source
it belongs to, default ``default_source``; properties ``odour_livestock`` /
``odour_industry`` name the source directly). Sources are reported side by side, never
added up.

Livestock odour is tested against the standard that applies at the home's location:
inside or outside the built-up area (*bebouwde kom*, input ``built_up_area``) and
inside or outside a concentration area (*concentratiegebied*, input
``concentration_areas``). The four standards are one table parameter
(``livestock_standards``, a pydantic model) whose defaults are the values of the Wet
geurhinder en veehouderij, art. 3(1): 3.0 / 14.0 ou_E/m³ inside / outside the
built-up area in a concentration area, 2.0 / 8.0 outside one. Under the Omgevingswet
the municipality sets odour values in its omgevingsplan within the Bkl's instruction
rules, which continue these figures to a large extent (Bodden 2017); a municipality
replaces the table with its own values. A home is above the standard when its load is
strictly greater. Industry odour has no national standard: ``limit_industry`` is empty
by default (no share reported).

GES: the GGD GES handbook has an odour module, but the only published GES class table
found (Noord-Brabant, "Gezondheidskaart GES Geur veehouderij obv hinderpercentages
2013") classes the expected *annoyance percentage*, not ou_E/m³, and the dose-response
relation to convert one into the other could not be cited. So no GES score by default:
the ``ges`` output says why; a GGD's own table can be given in ``ges_tables`` (keys
``odour_livestock``, ``odour_industry``).

Scored metrics ("lower is better", fractions 0–1):
``share_homes_above_standard_livestock`` (headline), ``share_dwellings_above_standard_livestock``
and, when ``limit_industry`` is given, ``share_homes_above_limit_industry``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
import pydantic
import shapely

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    ASSUMED_METRIC,
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    Homes,
    Quantity,
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
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.ges import GES_PARAMETER, GES_SOURCES, ges_report, ges_tables
from gsl_indicators.core.metrics import AreaGroups, Metric, Metrics
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
from gsl_indicators.indicators.mkba import openapi_schema
from gsl_indicators.indicators.noise import class_distribution

ODOUR_SOURCES = ("livestock", "industry")
QUANTITIES = tuple(
    Quantity(f"odour_{s}", "odour", s, valid=(0.0, 1e9)) for s in ODOUR_SOURCES
)  # ouE/m³
UNIT = "ou_E/m³"

WGV = (
    "Wet geurhinder en veehouderij, art. 3(1): odour load at an odour-sensitive object "
    "at most 3.0 ou_E/m³ inside and 14.0 outside the built-up area in a concentration "
    "area; 2.0 inside and 8.0 outside the built-up area elsewhere"
)
WGV_URL = "https://wetten.overheid.nl/BWBR0020396/#Hoofdstuk2_Artikel3"
BODDEN = (
    "Bodden, P.P.A. (2017). De normering van geur in het Besluit kwaliteit leefomgeving. "
    "Tijdschrift voor Agrarisch Recht 7/8, 357: the Bkl's odour values correspond to a "
    "large extent to those of the Wgv and the Activiteitenbesluit"
)
GES_NOT_IN_OU = (
    "not scored: the only published GES class table for odour found (province of "
    "Noord-Brabant, 'Gezondheidskaart GES Geur veehouderij obv hinderpercentages 2013') "
    "classes the expected annoyance percentage, not ou_E/m³, and the relation between the "
    "two could not be cited; supply your GGD's table with `ges_tables`"
)
GES_BRABANT_URL = (
    "https://data.overheid.nl/data/dataset/49069-gezondheidskaart-ges-geur-veehouderij-obv-"
    "hinderpercentages-2013"
)


class LivestockOdourStandards(pydantic.BaseModel):
    """The livestock odour standards per location of the home (ou_E/m³, P98)."""

    model_config = pydantic.ConfigDict(extra="forbid", title="LivestockOdourStandards")

    concentration_inside_built_up: pydantic.PositiveFloat = pydantic.Field(
        default=3.0, description="In a concentration area, inside the built-up area (Wgv 3.0)."
    )
    concentration_outside_built_up: pydantic.PositiveFloat = pydantic.Field(
        default=14.0, description="In a concentration area, outside the built-up area (Wgv 14.0)."
    )
    elsewhere_inside_built_up: pydantic.PositiveFloat = pydantic.Field(
        default=2.0, description="Outside concentration areas, inside the built-up area (Wgv 2.0)."
    )
    elsewhere_outside_built_up: pydantic.PositiveFloat = pydantic.Field(
        default=8.0, description="Outside concentration areas, outside the built-up area (Wgv 8.0)."
    )


DEFAULT_STANDARDS = LivestockOdourStandards().model_dump()
StandardsParameter = Annotated[
    LivestockOdourStandards,
    pydantic.PlainSerializer(
        lambda v: v.model_dump() if isinstance(v, pydantic.BaseModel) else dict(v),
        return_type=dict,
    ),
]
"""``livestock_standards`` as validated (a model) and as handed to the kernel (a dict)."""


def inside_any(geometries: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Return, per geometry, whether it intersects any polygon (a boundary counts as inside).

    Examples
    --------
    >>> polys = np.array([shapely.box(0, 0, 10, 10)])
    >>> inside_any(shapely.points([[5, 5], [10, 3], [11, 3]]), polys).tolist()
    [True, True, False]
    """
    out = np.zeros(len(geometries), dtype=bool)
    if len(geometries) and len(polygons):
        # a tree of the geometries queried by the polygons: each polygon is prepared once
        _, hit = shapely.STRtree(geometries).query(polygons, predicate="intersects")
        out[hit] = True
    return out


def livestock_standard(
    built_up: np.ndarray, concentration: np.ndarray, standards: Mapping[str, float]
) -> np.ndarray:
    """Return the livestock odour standard per home from its two location flags.

    Examples
    --------
    >>> livestock_standard(np.array([True, False, True, False]),
    ...                    np.array([True, True, False, False]), DEFAULT_STANDARDS).tolist()
    [3.0, 14.0, 2.0, 8.0]
    """
    s = standards
    return np.where(
        concentration,
        np.where(built_up, s["concentration_inside_built_up"], s["concentration_outside_built_up"]),
        np.where(built_up, s["elsewhere_inside_built_up"], s["elsewhere_outside_built_up"]),
    ).astype(float)


def above_standard(values: np.ndarray, standard: np.ndarray) -> np.ndarray:
    """Return per home 1.0 when its load is strictly above its standard, 0.0 if not, NaN without load.

    Examples
    --------
    >>> above_standard(np.array([3.0, 3.1, np.nan]), np.array([3.0, 3.0, 3.0])).tolist()
    [0.0, 1.0, nan]
    """
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), (values > standard).astype(float), np.nan)


def location_flags(
    homes: Homes, layers: Mapping[str, Layer], ctx: Context
) -> tuple[np.ndarray, np.ndarray]:
    """Return per home: inside the built-up area, inside a concentration area.

    Without ``built_up_area`` every home counts as inside it; without
    ``concentration_areas`` every home counts as outside one: the stricter standard in
    both cases, with a note.
    """
    n = len(homes)
    built = layers.get("built_up_area")
    if built is None:
        built_up = np.ones(n, dtype=bool)
        ctx.note("built_up_area", "not given: every home counts as inside the built-up area")
    else:
        built_up = inside_any(homes.points, built.geometries)
    conc = layers.get("concentration_areas")
    if conc is None:
        concentration = np.zeros(n, dtype=bool)
        ctx.note(
            "concentration_areas", "not given: every home counts as outside a concentration area"
        )
    else:
        concentration = inside_any(homes.points, conc.geometries)
    return built_up, concentration


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Sample odour per home and source; livestock standard per location; classes."""
    edges = np.asarray(params["class_edges_ou"], dtype=float)
    if len(edges) == 0 or np.any(np.diff(edges) <= 0):
        raise InputError("class_edges_ou", "must be a non-empty ascending list")
    homes = read_homes(layers["buildings"], ctx)
    ctx.progress(0.1, "sampling odour")
    sampled = collect_exposure(layers, params, ctx, homes, QUANTITIES)
    found = home_values(homes, sampled)
    if not found:
        ctx.warn(
            "no-exposure",
            None,
            "no exposure input gave an odour value; give exposure_zones, exposure_points or "
            "exposure_grid with `odour` (and `source`) or `odour_livestock` / `odour_industry`",
        )
    built_up, concentration = location_flags(homes, layers, ctx)
    standard = livestock_standard(built_up, concentration, params["livestock_standards"])
    dw = homes.dwellings
    livestock = found.get("odour_livestock")
    industry = found.get("odour_industry")
    limit_industry = params.get("limit_industry")
    above = above_standard(livestock, standard) if livestock is not None else None
    ges_scores, ges = ges_report(found, dw, ges_tables(params, [q.key for q in QUANTITIES]))
    for entry in ges.values():
        if not entry["scored"]:
            entry["reason"] = GES_NOT_IN_OU
    ctx.progress(0.6, "counting")

    def stats(g: AreaGroups) -> dict[str, np.ndarray]:
        out = home_counts(homes, g)
        for key, v in found.items():
            out[f"homes_with_{key}"] = g.count(np.isfinite(v))
            out[f"max_{key}"] = g.maximum(v)
        if above is not None:
            # the standard differs per home: compare the excess (load − standard) with 0
            s = share_above(livestock - standard, dw, 0.0, g)
            out["share_homes_above_standard_livestock"] = s["share_homes"]
            out["share_dwellings_above_standard_livestock"] = s["share_dwellings"]
            out["homes_above_standard_livestock"] = s["homes_above"]
            out["dwellings_above_standard_livestock"] = s["dwellings_above"]
        if industry is not None and limit_industry is not None:
            s = share_above(industry, dw, float(limit_industry), g)
            out["share_homes_above_limit_industry"] = s["share_homes"]
            out["share_dwellings_above_limit_industry"] = s["share_dwellings"]
            out["homes_above_limit_industry"] = s["homes_above"]
        return out

    result = level_metrics(METRICS, ctx.groups, len(homes), stats)
    home = homes.mask
    result.feature["inside_built_up_area"] = [
        bool(b) if h else None for b, h in zip(built_up, home, strict=True)
    ]
    result.feature["inside_concentration_area"] = [
        bool(c) if h else None for c, h in zip(concentration, home, strict=True)
    ]
    result.feature["livestock_standard"] = np.where(home, standard, np.nan)
    result.feature[ASSUMED_METRIC.id] = assumed_column(sampled, len(homes))
    for key, v in found.items():
        result.feature[key] = v
        if key in ges_scores:
            result.feature[f"ges_{key}"] = ges_scores[key]
    if above is not None:
        result.feature["livestock_above_standard"] = [
            None if np.isnan(a) else bool(a) for a in above.tolist()
        ]
    if industry is not None and limit_industry is not None:
        result.feature["industry_above_limit"] = [
            None if not np.isfinite(x) else bool(x > float(limit_industry))
            for x in industry.tolist()
        ]
    result.outputs["classes"] = {
        key: _with_shares(class_distribution(v, dw, edges)) for key, v in found.items()
    }
    result.outputs["ges"] = ges
    result.outputs["standards"] = {
        "livestock": dict(params["livestock_standards"]),
        "unit": UNIT,
        "source": WGV,
        "industry": limit_industry,
        "industry_note": "no national standard for industry odour; `limit_industry` "
        "given by the request"
        if limit_industry is not None
        else "no national standard for industry odour; no share reported",
    }
    return result


def _with_shares(dist: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Add ``share_homes`` and ``share_dwellings`` (fractions of the homes with a value)."""
    homes = sum(c["homes"] for c in dist.values())
    dws = sum(c["dwellings"] for c in dist.values())
    return {
        k: {
            **c,
            "share_homes": c["homes"] / homes if homes else None,
            "share_dwellings": c["dwellings"] / dws if dws else None,
        }
        for k, c in dist.items()
    }


def _source_metrics(source: str) -> tuple[Metric, ...]:
    key = f"odour_{source}"
    n = f"odour {source}"
    return (
        home_metric(
            key,
            f"Geur {source}",
            f"Odour {source}",
            UNIT,
            f"Odour load of {source} at the home (ou_E/m³, 98-percentile).",
            2,
        ),
        home_metric(
            f"ges_{key}",
            f"GES-score geur {source}",
            f"GES score {n}",
            "score",
            "GES score 0–8 from a user-supplied `ges_tables` entry (none by default).",
            0,
        ),
        count_metric(f"homes_with_{key}", f"Woningen met geur {source}", f"Homes with {n}"),
        metric(
            f"max_{key}",
            f"Hoogste geur {source}",
            f"Highest {n}",
            UNIT,
            direction="lower_is_better",
            digits=2,
        ),
    )


METRICS = (
    *HOME_METRICS,
    *(m for s in ODOUR_SOURCES for m in _source_metrics(s)),
    ASSUMED_METRIC,
    metric(
        "livestock_standard",
        "Geurnorm veehouderij",
        "Livestock odour standard",
        UNIT,
        levels=("feature",),
        digits=1,
        description="The standard of `livestock_standards` at the home's location.",
    ),
    flag_metric(
        "inside_built_up_area",
        "Binnen bebouwde kom",
        "Inside the built-up area",
        "The home lies in `built_up_area` (all homes when that input is absent; null: not a home).",
    ),
    flag_metric(
        "inside_concentration_area",
        "In concentratiegebied",
        "Inside a concentration area",
        "The home lies in `concentration_areas` (none when that input is absent; null: not a home).",
    ),
    flag_metric(
        "livestock_above_standard",
        "Boven geurnorm veehouderij",
        "Above the livestock odour standard",
        "Livestock odour > the home's standard (null: no value).",
    ),
    flag_metric(
        "industry_above_limit",
        "Boven grens industriegeur",
        "Above the industry limit",
        "Industry odour > `limit_industry` (only when that is given).",
    ),
    share_metric(
        "share_homes_above_standard_livestock",
        "Aandeel woningen boven geurnorm veehouderij",
        "Share of homes above the livestock odour standard",
        "Homes with livestock odour > their standard ÷ homes with a value.",
        scored=True,
    ),
    share_metric(
        "share_dwellings_above_standard_livestock",
        "Aandeel wooneenheden boven geurnorm veehouderij",
        "Share of dwellings above the livestock odour standard",
        "The same, by dwellings.",
        scored=True,
    ),
    count_metric(
        "homes_above_standard_livestock",
        "Woningen boven geurnorm veehouderij",
        "Homes above the livestock odour standard",
        ("area", "overall"),
    ),
    count_metric(
        "dwellings_above_standard_livestock",
        "Wooneenheden boven geurnorm veehouderij",
        "Dwellings above the livestock odour standard",
        ("area", "overall"),
        digits=2,
    ),
    share_metric(
        "share_homes_above_limit_industry",
        "Aandeel woningen boven grens industriegeur",
        "Share of homes above the industry odour limit",
        "Homes with industry odour > `limit_industry` ÷ homes with a value.",
        scored=True,
    ),
    share_metric(
        "share_dwellings_above_limit_industry",
        "Aandeel wooneenheden boven grens industriegeur",
        "Share of dwellings above the industry odour limit",
        "The same, by dwellings.",
    ),
    count_metric(
        "homes_above_limit_industry",
        "Woningen boven grens industriegeur",
        "Homes above the industry odour limit",
    ),
)


def _example() -> dict[str, Any]:
    x, y = 121000.0, 487000.0
    return {
        "buildings": rd_collection(
            [
                point_feature(x + 50, y + 50, "village", dwellings=2),
                point_feature(x + 250, y + 50, "farmhouse", dwellings=1),
            ]
        ),
        "exposure_zones": rd_collection(
            [
                feature(box(x, y, x + 100, y + 100), properties={"odour": 2.5}),
                feature(box(x + 200, y, x + 300, y + 100), properties={"odour": 6.0}),
                feature(
                    box(x, y, x + 300, y + 100),
                    properties={"odour": 1.0, "source": "industry"},
                ),
            ]
        ),
        "built_up_area": rd_collection([feature(box(x - 50, y - 50, x + 150, y + 150))]),
    }


INDICATORS = (
    Indicator(
        id="odour",
        version="1.1.0",
        uses=("mkba", "noise"),
        title={"nl": "Geur bij woningen", "en": "Odour at homes"},
        description={
            "nl": "Geurbelasting (ou_E/m³, P98) per woning van veehouderij en industrie; "
            "aandelen woningen en wooneenheden boven de geurnorm voor veehouderij (binnen/"
            "buiten bebouwde kom en concentratiegebied) en per klasse.",
            "en": "Odour load (ou_E/m³, P98) per home from livestock and industry; shares of "
            "homes and dwellings above the livestock odour standard (inside/outside the "
            "built-up area and concentration areas) and per class.",
        },
        theme="odour",
        method=(
            "Each home takes the odour load (ou_E/m³ as a 98-percentile) per source "
            "(livestock, industry) from odour zones (the zone it lies in; a point on a zone "
            "boundary lies in the zone; overlaps by `zone_overlap`), receptor points (nearest "
            "within `point_radius_m`, or IDW) or a GeoTIFF grid (of `default_source`). "
            "Sources are not added up. The livestock standard of a home follows from where "
            "it lies: inside or outside `built_up_area` (bebouwde kom; absent = every home "
            "inside) and inside or outside `concentration_areas` (absent = none inside), "
            "with the four values of `livestock_standards` (default Wet geurhinder en "
            "veehouderij art. 3(1): 3.0 / 14.0 in a concentration area, 2.0 / 8.0 elsewhere, "
            "inside / outside the built-up area; the Bkl continues these to a large extent; "
            "set the municipality's omgevingsplan values). A home is above the standard when "
            "its load is strictly greater. Industry odour has no national standard; "
            "`limit_industry` (empty by default) gives one. Shares (fractions 0–1) count homes "
            "and dwellings with a value, per neighbourhood (by the home's representative "
            "point) and overall; the `classes` output gives homes, dwellings and shares per "
            "class of `class_edges_ou` (a value on a limit belongs to the class above). GES: "
            "not scored by default, because the published GES odour table classes annoyance "
            "percentages, not ou_E/m³ (the `ges` output says so); `ges_tables` can supply a "
            "GGD's table. Scores 1–10 of the shares come from the norm profile per area type "
            "(headline `share_homes_above_standard_livestock`)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        inputs=(
            BUILDINGS,
            NEIGHBOURHOODS,
            zone_input(
                "odour (ou_E/m³, P98) with optional source; or odour_livestock, odour_industry",
                QUANTITIES,
            ),
            point_input(
                "odour (ou_E/m³, P98) with optional source; or odour_livestock, odour_industry",
                QUANTITIES,
            ),
            GeoInput(
                "built_up_area",
                "Built-up area (bebouwde kom)",
                "Polygons of the built-up area; homes inside get the inside standard. Absent: "
                "every home counts as inside (the stricter standard).",
                POLYGONS,
                required=False,
            ),
            GeoInput(
                "concentration_areas",
                "Concentration areas",
                "Polygons of the livestock concentration areas (concentratiegebieden, Wgv "
                "annex). Absent: no home counts as inside (the stricter standard).",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(
            Parameter(
                "livestock_standards",
                "Livestock odour standards",
                "Livestock odour standard (ou_E/m³, P98) per location of the home; defaults "
                "Wet geurhinder en veehouderij art. 3(1). Set the omgevingsplan's values.",
                "object",
                default=DEFAULT_STANDARDS,
                annotation=StandardsParameter,
                schema=openapi_schema(LivestockOdourStandards),
            ),
            Parameter(
                "limit_industry",
                "Industry odour limit",
                "Limit for industry odour (no national standard; empty = no share reported).",
                "number",
                default=None,
                minimum=0.0,
                maximum=1000.0,
                unit=UNIT,
                nullable=True,
            ),
            Parameter(
                "class_edges_ou",
                "Odour class limits",
                "Ascending class limits of the distribution; default the four Wgv standards.",
                "array",
                default=[2.0, 3.0, 8.0, 14.0],
                schema={"items": {"type": "number", "minimum": 0}, "minItems": 1},
            ),
            Parameter(
                "default_source",
                "Default source",
                "Odour source of features without a `source` property (and of the grid).",
                "string",
                default="livestock",
                enum=ODOUR_SOURCES,
            ),
            *exposure_parameters(
                ("odour",),
                [q.key for q in QUANTITIES],
                '{"odour_livestock": 0.5}',
                {q.key: 0.0 for q in QUANTITIES},
            ),
            GES_PARAMETER,
        ),
        outputs=(
            Output(
                "classes",
                "Odour classes",
                "Per source: homes, dwellings and their shares per class of `class_edges_ou`.",
            ),
            Output("ges", "GES", "Per source the GES table used, or why none."),
            Output("standards", "Standards", "The livestock standards applied and their source."),
        ),
        norms=(
            Norm(
                "concentration_inside_built_up",
                3.0,
                UNIT,
                "Concentration area, inside the built-up area",
                WGV,
                "livestock_standards",
            ),
            Norm(
                "concentration_outside_built_up",
                14.0,
                UNIT,
                "Concentration area, outside the built-up area",
                WGV,
                "livestock_standards",
            ),
            Norm(
                "elsewhere_inside_built_up",
                2.0,
                UNIT,
                "Outside concentration areas, inside the built-up area",
                WGV,
                "livestock_standards",
            ),
            Norm(
                "elsewhere_outside_built_up",
                8.0,
                UNIT,
                "Outside concentration areas, outside the built-up area",
                WGV,
                "livestock_standards",
            ),
        ),
        sources=(
            Source("Wgv art. 3", WGV, WGV_URL),
            Source("Bodden 2017", BODDEN),
            Source(
                "GES odour (annoyance classes)",
                "Province of Noord-Brabant, Gezondheidskaart GES Geur veehouderij obv "
                "hinderpercentages 2013: GES classes of the annoyance percentage (0 % = 0; "
                "0–5 % = 1; 5–12 % = 3a; 12–20 % = 3b; 20–25 % = 4; 25–39 % = 6; ≥ 39 % = 7). "
                "Not used: it is not a class table of ou_E/m³.",
                GES_BRABANT_URL,
            ),
            *GES_SOURCES,
        ),
        keywords=("geur", "odour", "veehouderij", "Wgv", "Omgevingswet", "GES", "GGO"),
        example=_example(),
    ),
)
