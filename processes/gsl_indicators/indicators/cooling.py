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
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import is_home, read_dwellings
from gsl_indicators.core.metrics import FRACTION, Metric, Metrics, booleans, metric, overall_share
from gsl_indicators.core.network import walking_parameters
from gsl_indicators.core.spec import (
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling
from gsl_indicators.indicators.proximity import (
    BUILDINGS,
    NEIGHBOURHOODS,
    NETWORK,
    distances_by_mode,
    euclidean_nearest,
)

__all__ = ["INDICATORS", "METRICS", "compute", "cool_places", "within_reach"]


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


def within_reach(distance_m: np.ndarray, reach_m: float) -> np.ndarray:
    """Return 1/0 per home for a distance within ``reach_m``; NaN where it is unknown.

    ``inf`` (no cool place, or beyond the network cut-off) is not within reach; NaN (a
    home off the network) is unknown.

    Examples
    --------
    >>> within_reach(np.array([100.0, 400.0, np.inf, np.nan]), 300).tolist()
    [1.0, 0.0, 0.0, nan]
    """
    d = np.asarray(distance_m, dtype=float)
    return np.where(np.isnan(d), np.nan, (d <= reach_m) * 1.0)


def _report_places(
    *,
    n_given: int,
    pet: np.ndarray,
    n_counted: int,
    left_out: Mapping[str, int],
    min_area_m2: float,
    ctx: Context,
) -> None:
    ctx.note(
        "cool_places",
        {
            "given": n_given,
            "with_pet": int(np.isfinite(pet).sum()),
            "left_out_above_max_pet": left_out["too_hot"],
            "left_out_below_min_area": left_out["too_small"],
            "counted": n_counted,
        },
    )
    if left_out["too_small"]:
        ctx.warn(
            "cool-places-too-small",
            "cool_places",
            f"{left_out['too_small']} cool places (after merging touching ones) are smaller "
            f"than {min_area_m2:g} m² and do not count",
            left_out["too_small"],
        )
    if not n_counted:
        ctx.warn("no-cool-places", "cool_places", "no polygon counts as a cool place")


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute the distance from every home to the nearest cool place, and the shares."""
    places, dwellings = _places_and_homes(layers, params, ctx)
    reach = float(params["reach_m"])
    dist, info = distances_by_mode(
        layers["buildings"], {"cool": places}, layers, params, ctx, reach, "cool_places"
    )
    if "network_cutoff_m" in info:
        ctx.note("network_cutoff_m", info["network_cutoff_m"])
    return cool_metrics(dist["cool"], dwellings, len(places), reach, ctx)


def _places_and_homes(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context
) -> tuple[np.ndarray, np.ndarray]:
    """Return the cool places and each feature's dwellings (with their reports)."""
    homes, given = layers["buildings"], layers["cool_places"]
    pet = given.number("pet", valid=PET_RANGE)
    places, left_out = cool_places(
        given.geometries,
        pet,
        params["max_pet_c"],
        params["min_area_m2"],
        params["merge_touching"],
    )
    _report_places(
        n_given=len(given),
        pet=pet,
        n_counted=len(places),
        left_out=left_out,
        min_area_m2=params["min_area_m2"],
        ctx=ctx,
    )
    return places, read_dwellings(homes, ctx)


def cool_metrics(
    d: np.ndarray, dwellings: np.ndarray, n_places: int, reach: float, ctx: Context
) -> Metrics:
    """Return the metrics from each home's distance (one piece and tiles alike)."""
    home = is_home(dwellings)
    within = within_reach(d, reach)
    known = ~np.isnan(within) & home
    hit = (within == 1) & known
    finite = d[np.isfinite(d)]
    overall = {
        "cool_places": n_places,
        "homes": int(home.sum()),
        "homes_with_distance": int(known.sum()),
        "homes_within": int(hit.sum()),
        "share_homes_within": overall_share(hit, where=known),
        "dwellings": float(dwellings.sum()),
        "share_dwellings_within": overall_share(hit, dwellings, where=known),
        "median_distance_m": float(np.median(finite)) if len(finite) else np.nan,
    }
    area: dict[str, Any] = {}
    g = ctx.groups
    if g is not None:
        area = {
            "homes": g.count(home),
            "homes_with_distance": g.count(where=known),
            "dwellings": g.sum(dwellings),
            "share_homes_within": g.share(hit, where=known),
            "share_dwellings_within": g.share(hit, weights=dwellings, where=known),
        }
    feature = {"cool_distance_m": d, "cool_within": booleans(within)}
    return Metrics(feature=feature, area=area, overall=overall)


def _share(unit: str, nl: str, en: str) -> Metric:
    return metric(
        f"share_{unit}_within",
        f"Aandeel {nl} met koelte binnen bereik",
        f"Share of {en} within reach of a cool place",
        FRACTION,
        levels=("area", "overall"),
        direction="higher_is_better",
        digits=4,
        scored=True,
        description=f"{en.capitalize()} with a cool place within `reach_m`, of those whose "
        "distance is known (homes off the network are left out).",
    )


# The PET a cool place may give (°C), refused outside it (the description shows it).
PET_RANGE = (-80.0, 80.0)

METRICS: tuple[Metric, ...] = (
    metric(
        "cool_distance_m",
        "Afstand tot koelte",
        "Distance to a cool place",
        "m",
        levels=("feature",),
        direction="lower_is_better",
        digits=2,
        description="To the nearest cool place (empty: none within the network cut-off, or "
        "the home is not on the network).",
    ),
    metric(
        "cool_within",
        "Koelte binnen bereik",
        "Cool place within reach",
        "boolean",
        levels=("feature",),
        description="The distance is at most `reach_m` (empty where unknown).",
    ),
    metric("homes", "Woningen", "Homes", "count", levels=("area", "overall"), digits=0),
    metric(
        "homes_with_distance",
        "Woningen met bekende afstand",
        "Homes with a known distance",
        "count",
        levels=("area", "overall"),
        digits=0,
        description="Homes on the network (all homes in euclidean mode): the base of the shares.",
    ),
    metric("homes_within", "Woningen binnen bereik", "Homes within reach", "count", digits=0),
    metric(
        "dwellings",
        "Wooneenheden",
        "Dwellings",
        "count",
        levels=("area", "overall"),
        digits=3,
        description="Sum of the homes' `dwellings` (default 1).",
    ),
    _share("homes", "woningen", "homes"),
    _share("dwellings", "wooneenheden", "dwellings"),
    metric(
        "cool_places",
        "Koele plekken",
        "Cool places",
        "count",
        digits=0,
        description="Places counted after the PET and size filters (and merging).",
    ),
    metric(
        "median_distance_m",
        "Mediane afstand tot koelte",
        "Median distance to a cool place",
        "m",
        direction="lower_is_better",
        digits=2,
        description="Median over the homes with a finite distance.",
    ),
)


def tile_kernel(tile: TileData) -> TilePart:
    """Return the straight-line distance from each core home to the nearest cool place."""
    d = euclidean_nearest(tile.features, tile.shared["places"])
    return TilePart(tile.tile, tile.core, {"cool_distance_m": d})


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: the cool places, merged once and sent whole."""
    places, dwellings = _places_and_homes(layers, params, ctx)
    reach = float(params["reach_m"])

    def finish(merged: Merged) -> Metrics:
        return cool_metrics(merged.feature["cool_distance_m"], dwellings, len(places), reach, ctx)

    return Prepared(
        kernel=f"{__name__}:tile_kernel",
        features=layers["buildings"].geometries,
        finish=finish,
        shared={"places": places},
    )


def _runs_whole(params: Mapping[str, Any]) -> str | None:
    if params.get("distance_mode") == "network":
        return "network distances run whole: the walking graph is not cut into tiles"
    return None


TILING = Tiling(
    reach=lambda params: float(params["reach_m"]),
    reach_text="reach_m (the cool places, merged where they touch, are read whole)",
    whole=("cool_places", "neighbourhoods"),
    whole_when=_runs_whole,
    prepare=prepare_tiles,
)
"""``cool-place-distance`` in tiles (straight-line distances; network mode runs whole)."""

INDICATORS = (
    Indicator(
        id="cool-place-distance",
        version="2.1.1",
        uses=("proximity-facilities",),
        title={"nl": "Afstand tot koelte", "en": "Distance to a cool place"},
        description={
            "nl": "Aandeel woningen met een koele plek (≥ 200 m², PET ≤ 35 °C) binnen 300 m lopen.",
            "en": "Share of homes with a cool place (≥ 200 m², PET ≤ 35 °C) within a 300 m walk.",
        },
        theme="heat",
        method=(
            "A home is a feature with `dwellings` > 0 (absent: 1); features with 0 are not "
            "homes and are left out of every count and share (`data_quality.not_homes`; "
            "2.1.0: one definition of a home across all indicators, `gsl_indicators.core.homes`). "
            "Cool places are the `cool_places` polygons whose `pet` property (felt temperature "
            "on a hot afternoon, °C), where given, is at most `max_pet_c`; polygons without `pet` "
            "count as cool. Touching or overlapping polygons are merged (`merge_touching`) and "
            "pieces smaller than `min_area_m2` are left out. For each home the distance to the "
            "nearest cool place is measured: straight-line from footprint or point (0 inside), "
            "or with `distance_mode` 'network' as a walk over `network` (snapped to the nearest "
            "path, entering a cool place where a path comes within `entrance_tolerance_m` of it). "
            "A home is within reach when the distance is at most `reach_m`. Shares (fractions "
            "0–1) of homes and of dwellings are given per neighbourhood (a home belongs to the "
            "one holding its representative point, its `area_id`) and overall; homes off the "
            "network are left out of the shares with a warning (`homes_with_distance` is the "
            "shares' base, `homes` counts every home). The Klimaateffectatlas measures a walk, so "
            "use the network mode where a walking network is available. Scores 1–10 for the "
            "shares of homes and dwellings within reach come from the norm profile per area type "
            "(`area_type` parameter, else the neighbourhood's `area_type` or `urbanity_class`), "
            "overall and per neighbourhood (flat `score_<metric>` columns). `reach_m`, "
            "`min_area_m2` and `max_pet_c` decide "
            "whether a home is within reach; the profile's band judges the share (nl-default: "
            "0.8 scores 6, every home (1.0) scores 10)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        inputs=(
            BUILDINGS,
            GeoInput(
                "cool_places",
                "Cool places",
                "Candidate cool places (shaded parks, squares, water sides) as polygons.",
                POLYGONS,
                ranges={"pet": PET_RANGE},
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
                default=300.0,
                minimum=50.0,
                maximum=2000.0,
                unit="m",
            ),
            Parameter(
                "min_area_m2",
                "Minimum area",
                "Smallest cool place that counts (Klimaateffectatlas: 200 m²).",
                "number",
                default=200.0,
                minimum=0.0,
                maximum=100000.0,
                unit="m²",
            ),
            Parameter(
                "max_pet_c",
                "Maximum PET",
                "Highest felt temperature (PET) of a cool place where `pet` is given "
                "(Klimaateffectatlas 35 °C; Rotterdam uses 38 °C).",
                "number",
                default=35.0,
                minimum=20.0,
                maximum=50.0,
                unit="°C",
            ),
            Parameter(
                "merge_touching",
                "Merge touching places",
                "Merge touching or overlapping polygons into one place before judging its size.",
                "boolean",
                default=True,
            ),
            *walking_parameters(),
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
