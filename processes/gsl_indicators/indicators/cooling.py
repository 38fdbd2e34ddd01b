"""``cool-place-distance``: share of homes within a short walk of a cool place.

After the Klimaateffectatlas map *afstand tot koelte* (distance to a cool place, HvA):
a cool place is an outdoor place of at least 200 m² where the felt temperature (PET)
on a hot day stays at or below 35 °C; a home should have one within 300 m walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import box_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer, feature_collection, zone_index
from gsl_indicators.core.network import walking_parameters
from gsl_indicators.core.scoring import (
    PROFILE_PARAMETERS,
    area_score_columns,
    area_types_of,
    pick_metrics,
    resolve_profile,
    scorecard,
)
from gsl_indicators.core.spec import (
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    Norm,
    Output,
    Parameter,
    Source,
)
from gsl_indicators.indicators.proximity import (
    BUILDINGS,
    NEIGHBOURHOODS,
    NETWORK,
    distances_by_mode,
    json_distance,
    rounded,
    shares,
    within_column,
)

SCORED: tuple[str, ...] = ("share_homes_within", "share_dwellings_within")
"""Metrics scored with the norm profile (``cool-place-distance`` in ``catalog/*.yaml``)."""


def cool_places(
    geoms: np.ndarray,
    pet: np.ndarray,
    max_pet_c: float,
    min_area_m2: float,
    merge_touching: bool,
) -> tuple[np.ndarray, dict[str, int]]:
    """Return the polygons that count as cool places, and counts of those left out.

    Polygons with a known PET above ``max_pet_c`` are left out first; the rest are
    (optionally) merged where they touch or overlap, and pieces smaller than
    ``min_area_m2`` are left out.

    Examples
    --------
    Two touching 10 × 12 m squares make one 240 m² place; a lone 10 × 10 m is too small:

    >>> g = np.array([shapely.box(0, 0, 10, 12), shapely.box(10, 0, 20, 12),
    ...               shapely.box(50, 0, 60, 10), shapely.box(80, 0, 100, 20)])
    >>> places, left = cool_places(g, np.array([30.0, np.nan, 30.0, 40.0]), 35, 200, True)
    >>> [float(a) for a in shapely.area(places)], left
    ([240.0], {'too_hot': 1, 'too_small': 1})
    """
    hot = np.isfinite(pet) & (pet > max_pet_c)
    cool = geoms[~hot]
    merge = merge_touching and len(cool) > 0
    parts = shapely.get_parts(shapely.union_all(cool)) if merge else cool
    big = shapely.area(parts) >= min_area_m2 if len(parts) else np.zeros(0, dtype=bool)
    return parts[big], {"too_hot": int(hot.sum()), "too_small": int((~big).sum())}


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Compute the distance from every home to the nearest cool place, and the shares."""
    profile = resolve_profile(params)
    homes = layers["buildings"]
    places_layer = layers["cool_places"]
    pet = places_layer.number("pet")
    places, left_out = cool_places(
        places_layer.geometries,
        pet,
        params["max_pet_c"],
        params["min_area_m2"],
        params["merge_touching"],
    )
    ctx.note(
        "cool_places",
        {
            "given": len(places_layer),
            "with_pet": int(np.isfinite(pet).sum()),
            "left_out_above_max_pet": left_out["too_hot"],
            "left_out_below_min_area": left_out["too_small"],
            "counted": len(places),
        },
    )
    if left_out["too_small"]:
        ctx.warn(
            "cool-places-too-small",
            "cool_places",
            f"{left_out['too_small']} cool places (after merging touching ones) are smaller "
            f"than {params['min_area_m2']:g} m² and do not count",
            left_out["too_small"],
        )
    if not len(places):
        ctx.warn("no-cool-places", "cool_places", "no polygon counts as a cool place")
    dwellings = homes.number("dwellings", 1.0, ctx)
    reach = float(params["reach_m"])
    dist, info = distances_by_mode(
        homes, {"cool": places}, layers, params, ctx, reach, "cool_places"
    )
    d = dist["cool"]
    known = ~np.isnan(d)
    within = np.nan_to_num(d, nan=np.inf) <= reach
    out: dict[str, Any] = {
        "buildings": feature_collection(
            homes, {"cool_distance_m": json_distance(d), "cool_within": within_column(d, reach)}
        )
    }
    nbh = layers.get("neighbourhoods")
    if nbh is not None:
        area = zone_index(homes.geometries, nbh.geometries)
        s = shares(within, known, dwellings, area, len(nbh))
        cols: dict[str, Any] = {
            "homes": s["homes"].astype(int),
            "dwellings": s["dwellings"],
            "share_homes_within": np.round(s["share_homes"], 4),
            "share_dwellings_within": np.round(s["share_dwellings"], 4),
        }
        ats = area_types_of(nbh, params["area_type"], ctx)
        cols.update(area_score_columns(profile, "cool-place-distance", cols, ats, SCORED))
        out["neighbourhoods"] = feature_collection(nbh, cols)
    s = shares(within, known, dwellings)
    finite = d[np.isfinite(d)]
    out["summary"] = {
        **info,
        "reach_m": reach,
        "cool_places": len(places),
        "homes": len(homes),
        "homes_with_distance": int(known.sum()),
        "homes_within": int(s["homes_within"][0]),
        "share_homes_within": rounded(s["share_homes"][0]),
        "dwellings": rounded(dwellings.sum(), 3),
        "share_dwellings_within": rounded(s["share_dwellings"][0]),
        "median_distance_m": rounded(np.median(finite), 2) if len(finite) else None,
    }
    out["summary"]["scorecard"] = scorecard(
        profile,
        "cool-place-distance",
        pick_metrics(profile, "cool-place-distance", out["summary"], SCORED),
        params["area_type"],
    )
    out["profile"] = profile.to_dict(indicator="cool-place-distance")
    return out


INDICATORS = (
    Indicator(
        id="cool-place-distance",
        version="1.2.0",
        title={"nl": "Afstand tot koelte", "en": "Distance to a cool place"},
        description={
            "nl": "Aandeel woningen met een koele plek (≥ 200 m², PET ≤ 35 °C) binnen 300 m lopen.",
            "en": "Share of homes with a cool place (≥ 200 m², PET ≤ 35 °C) within a 300 m walk.",
        },
        theme="heat",
        method=(
            "Cool places are the `cool_places` polygons whose `pet` property (felt temperature "
            "on a hot afternoon, °C), where given, is at most `max_pet_c`; polygons without `pet` "
            "count as cool. Touching or overlapping polygons are merged (`merge_touching`) and "
            "pieces smaller than `min_area_m2` are left out. For each home the distance to the "
            "nearest cool place is measured: straight-line from footprint or point (0 inside), "
            "or with `distance_mode` 'network' as a walk over `network` (snapped to the nearest "
            "path, entering a cool place where a path comes within `entrance_tolerance_m` of it). "
            "A home is within reach when the distance is at most `reach_m`. Shares of homes and "
            "of dwellings are given per neighbourhood and overall; homes off the network are "
            "left out of the shares with a warning. The Klimaateffectatlas measures a walk, so "
            "use the network mode where a walking network is available. Scores 1–10 for the "
            "shares of homes and dwellings within reach come from the norm profile per area type "
            "(`area_type` parameter, else the neighbourhood's `area_type` or `urbanity_class`), "
            "overall and per neighbourhood. `reach_m`, `min_area_m2` and `max_pet_c` decide "
            "whether a home is within reach; the profile's band judges the share (nl-default: "
            "80 % scores 6, every home (100 %) scores 10)."
        ),
        compute=compute,
        inputs=(
            BUILDINGS,
            GeoInput(
                "cool_places",
                "Cool places",
                "Candidate cool places (shaded parks, squares, water sides) as polygons.",
                POLYGONS,
                properties={"pet": "PET (°C) on a hot day; optional"},
            ),
            NEIGHBOURHOODS,
            NETWORK,
        ),
        parameters=(
            Parameter(
                "reach_m",
                "Reach",
                "Walking distance within which a cool place should be (Klimaateffectatlas: 300 m).",
                "number",
                300.0,
                50.0,
                2000.0,
                unit="m",
            ),
            Parameter(
                "min_area_m2",
                "Minimum area",
                "Smallest cool place that counts (Klimaateffectatlas: 200 m²).",
                "number",
                200.0,
                0.0,
                100000.0,
                unit="m²",
            ),
            Parameter(
                "max_pet_c",
                "Maximum PET",
                "Highest felt temperature (PET) of a cool place where `pet` is given "
                "(Klimaateffectatlas 35 °C; Rotterdam uses 38 °C).",
                "number",
                35.0,
                20.0,
                50.0,
                unit="°C",
            ),
            Parameter(
                "merge_touching",
                "Merge touching places",
                "Merge touching or overlapping polygons into one place before judging its size.",
                "boolean",
                True,
            ),
            *walking_parameters(),
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input homes with `cool_distance_m` and `cool_within`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Input neighbourhoods with `homes`, `dwellings`, `share_homes_within`, "
                "`share_dwellings_within`, `area_type`, `score` (of `share_homes_within`, 1–10) "
                "and `scorecard` (only with `neighbourhoods`).",
                {"type": "object"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall shares and counts, and the overall scorecard.",
                {"type": "object"},
            ),
            Output(
                "profile",
                "Profile",
                "The norm profile used (cool-place-distance part).",
                {"type": "object"},
            ),
        ),
        norms=(
            Norm(
                "reach_m",
                300,
                "m",
                "a cool place within 300 m walk of every home",
                "Klimaateffectatlas, afstand tot koelte (HvA)",
                "reach_m",
            ),
            Norm(
                "min_area_m2",
                200,
                "m²",
                "smallest cool place",
                "Klimaateffectatlas, afstand tot koelte",
                "min_area_m2",
            ),
            Norm(
                "max_pet_c",
                35,
                "°C",
                "PET of a cool place (Rotterdam 38 °C)",
                "Klimaateffectatlas",
                "max_pet_c",
            ),
        ),
        sources=(
            Source(
                "Klimaateffectatlas",
                "Klimaateffectatlas, kaart 'Afstand tot koelte' (Hogeschool van Amsterdam)",
                "https://www.klimaateffectatlas.nl/",
            ),
        ),
        keywords=("hitte", "koelte", "heat", "cool places"),
        example={
            "buildings": rd_collection(
                [
                    point_feature(121000, 487000, "w1", dwellings=4),
                    point_feature(121600, 487000, "w2", dwellings=1),
                ]
            ),
            "cool_places": rd_collection(
                [
                    box_feature(121100, 487000, 121130, 487030, "park", pet=33),
                    box_feature(121550, 487000, 121600, 487050, "square", pet=39),
                ]
            ),
        },
    ),
)
