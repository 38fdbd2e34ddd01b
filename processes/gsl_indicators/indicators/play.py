"""``play-space``: formal play area as a share of the built-up area, per neighbourhood.

Jantje Beton's *speelnorm*: at least 3 % of the built-up area should be usable for
outdoor play — all playable space, formal and informal. Here the play area is the union
of the ``play_areas`` polygons (formal: playgrounds, play fields) and, when given, the
``informal_play`` polygons (playable public space: squares, lawns, wide pavements, play
streets) inside a neighbourhood, overlaps counted once; the built-up area is the
neighbourhood's area, or, with the optional ``built_up`` input, the part of the
neighbourhood covered by ``built_up`` polygons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import box_feature, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import FRACTION, Metrics, metric
from gsl_indicators.core.spec import (
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.core.wording import counted

__all__ = ["INDICATORS", "METRICS", "area_inside", "compute"]


def area_inside(areas: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Return, per area, the area of the union of ``polygons`` inside it.

    Overlapping polygons count once: they are dissolved first, then the dissolved
    pieces are intersected with the areas they touch (one vectorised call).

    Examples
    --------
    >>> nb = np.array([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)])
    >>> play = np.array([shapely.box(90, 0, 110, 10), shapely.box(95, 0, 105, 10)])
    >>> area_inside(nb, play).tolist()  # 20 × 10 split in two halves; the overlap once
    [100.0, 100.0]
    """
    out = np.zeros(len(areas))
    if not len(areas) or not len(polygons):
        return out
    pieces = shapely.get_parts(shapely.union_all(polygons))
    pieces = pieces[~shapely.is_empty(pieces)]
    if not len(pieces):
        return out
    pi, ai = shapely.STRtree(pieces).query(areas, predicate="intersects")
    inter = shapely.area(shapely.intersection(pieces[ai], areas[pi]))
    return np.bincount(pi, weights=inter, minlength=len(areas))


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute play area, built-up area, their ratio and the norm test per neighbourhood."""
    nbh = layers["neighbourhoods"]
    play = layers.get("play_areas")
    built = layers.get("built_up")
    informal = layers.get("informal_play")
    norm = float(params["norm_share"])
    play_geoms = play.geometries if play is not None else np.empty(0, dtype=object)
    informal_geoms = informal.geometries if informal is not None else np.empty(0, dtype=object)
    if not len(play_geoms) and not len(informal_geoms):
        ctx.warn("no-play-areas", "play_areas", "no play areas given: every share is 0")
    formal_m2 = area_inside(nbh.geometries, play_geoms)
    if informal is not None:
        play_m2 = area_inside(nbh.geometries, np.concatenate([play_geoms, informal_geoms]))
        ctx.note("play_basis", "formal and informal play space (union, overlaps once)")
    else:
        play_m2 = formal_m2
        ctx.note(
            "play_basis",
            "formal play areas only: Jantje Beton's 3 % covers all playable space, so the "
            "share is a lower bound (give `informal_play`)",
        )
    if built is not None:
        built_m2 = area_inside(nbh.geometries, built.geometries)
        ctx.note("built_up_basis", "built_up polygons inside the neighbourhood")
    else:
        built_m2 = np.asarray(shapely.area(nbh.geometries), dtype=float)
        ctx.note("built_up_basis", "neighbourhood area")
    no_built = built_m2 <= 0
    if no_built.any():
        ctx.warn(
            "no-built-up-area",
            "built_up" if built is not None else "neighbourhoods",
            f"{counted(int(no_built.sum()), 'neighbourhood has', 'neighbourhoods have')} no built-up area; their share is empty",
            int(no_built.sum()),
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(no_built, np.nan, play_m2 / np.where(no_built, 1.0, built_m2))
    above = np.nan_to_num(share) > 1.0
    if above.any():  # a ratio by design (play anywhere in the neighbourhood): say it
        ctx.warn(
            "play-exceeds-built-up",
            "built_up" if built is not None else "neighbourhoods",
            f"{counted(int(above.sum()), 'neighbourhood has', 'neighbourhoods have')} more "
            "play area than built-up area (a play_share above 1, such as "
            f"{float(share[above][0]):.3g}): is the built-up area complete?",
            int(above.sum()),
        )
    meets = [None if b else bool(s >= norm) for s, b in zip(share, no_built, strict=True)]
    deficit = np.where(no_built, np.nan, np.maximum(norm * built_m2 - play_m2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        formal_share = np.where(no_built, np.nan, formal_m2 / np.where(no_built, 1.0, built_m2))
    total_play, total_built = float(play_m2.sum()), float(built_m2.sum())
    n_meet = int(np.sum(share[~no_built] >= norm))
    return Metrics(
        area={
            "formal_play_area_m2": formal_m2,
            "informal_play_area_m2": play_m2 - formal_m2,
            "formal_play_share": formal_share,
            "play_area_m2": play_m2,
            "built_up_area_m2": built_m2,
            "play_share": share,
            "meets_norm": meets,
            "play_deficit_m2": deficit,
        },
        overall={
            "neighbourhoods": len(nbh),
            "neighbourhoods_meeting_norm": n_meet,
            "share_neighbourhoods_meeting_norm": n_meet / (~no_built).sum()
            if (~no_built).any()
            else None,
            "formal_play_area_m2": float(formal_m2.sum()),
            "informal_play_area_m2": float((play_m2 - formal_m2).sum()),
            "formal_play_share": float(formal_m2.sum()) / total_built if total_built > 0 else None,
            "play_area_m2": total_play,
            "built_up_area_m2": total_built,
            "play_share": total_play / total_built if total_built > 0 else None,
            "play_deficit_m2": float(np.nansum(deficit)),
        },
    )


METRICS = (
    metric(
        "play_area_m2",
        "Speelruimte",
        "Play area",
        "m²",
        levels=("area", "overall"),
        digits=2,
        description="Formal and (when given) informal play space, overlaps once.",
    ),
    metric(
        "formal_play_area_m2",
        "Formele speelruimte",
        "Formal play area",
        "m²",
        levels=("area", "overall"),
        digits=2,
    ),
    metric(
        "informal_play_area_m2",
        "Informele speelruimte",
        "Informal play area",
        "m²",
        levels=("area", "overall"),
        digits=2,
        description="Informal play space not already formal play area (0 without `informal_play`).",
    ),
    metric(
        "formal_play_share",
        "Aandeel formele speelruimte",
        "Formal play share",
        FRACTION,
        levels=("area", "overall"),
        direction="higher_is_better",
        digits=4,
        description="Formal play area ÷ built-up area (beside the scored `play_share`).",
    ),
    metric(
        "built_up_area_m2",
        "Bebouwd gebied",
        "Built-up area",
        "m²",
        levels=("area", "overall"),
        digits=2,
    ),
    metric(
        "play_share",
        "Aandeel speelruimte",
        "Play share",
        FRACTION,
        levels=("area", "overall"),
        direction="higher_is_better",
        digits=4,
        scored=True,
        description="Play area ÷ built-up area.",
    ),
    metric(
        "meets_norm",
        "Voldoet aan speelnorm",
        "Meets the play norm",
        "boolean",
        levels=("area",),
        description="Play share at least `norm_share`.",
    ),
    metric(
        "play_deficit_m2",
        "Tekort aan speelruimte",
        "Play-area deficit",
        "m²",
        levels=("area", "overall"),
        direction="lower_is_better",
        digits=2,
        description="Play area missing to the norm (0 when met).",
    ),
    metric("neighbourhoods", "Buurten", "Neighbourhoods", "count", digits=0),
    metric(
        "neighbourhoods_meeting_norm",
        "Buurten die voldoen",
        "Neighbourhoods meeting the norm",
        "count",
        digits=0,
    ),
    metric(
        "share_neighbourhoods_meeting_norm",
        "Aandeel buurten dat voldoet",
        "Share of neighbourhoods meeting the norm",
        FRACTION,
        direction="higher_is_better",
        digits=4,
    ),
)


INDICATORS = (
    Indicator(
        id="play-space",
        version="2.1.1",
        title={"nl": "Speelruimte (speelnorm)", "en": "Play space (play norm)"},
        description={
            "nl": "Formele speelruimte als aandeel van het bebouwde gebied per buurt; norm 3 %.",
            "en": "Formal play area as a share of the built-up area per neighbourhood; norm 3 %.",
        },
        theme="green",
        method=(
            "Play area: the union of the `play_areas` polygons (formal play areas) and, since "
            "2.1.0, of the optional `informal_play` polygons (playable public space: squares, "
            "lawns, wide pavements, play streets — Jantje Beton's 3 % covers all playable "
            "space, not only playgrounds), overlaps counted once, inside each neighbourhood; "
            "`formal_play_area_m2`, `informal_play_area_m2` and `formal_play_share` show the "
            "parts. Without `informal_play` the share counts formal play areas only and is a "
            "lower bound (`data_quality.play_basis` says so). Built-up area: the neighbourhood's own area, or, when `built_up` "
            "polygons are given (e.g. the residential land use or the *bebouwde kom*), the area "
            "of their union inside the neighbourhood. Play areas count wherever they lie in the "
            "neighbourhood, also outside `built_up`. `play_share` = play area ÷ built-up area; "
            "`meets_norm` when the share is at least `norm_share` (Jantje Beton: 3 %); "
            "`play_deficit_m2` is the play area missing to the norm. Overall: the totals' ratio "
            "and the number of neighbourhoods meeting the norm. "
            "Scores 1–10 for `play_share` come from the norm profile per area type "
            "(`area_type` parameter, else the neighbourhood's `area_type` or "
            "`urbanity_class`), overall and per neighbourhood. The parameter and the profile "
            "play different parts: `norm_share` decides `meets_norm` and the deficit; the "
            "profile's band gives the score (nl-default: minimum 0.03 scores 6, ambition 0.04 "
            "scores 10). With the defaults the two agree: a neighbourhood that just meets "
            "`norm_share` scores 6. Changing one does not change the other; the result shows "
            "both (`norm_share` in the provenance parameters, the band in the scorecard)."
        ),
        compute=compute,
        metrics=METRICS,
        areas="neighbourhoods",
        inputs=(
            GeoInput(
                "neighbourhoods",
                "Neighbourhoods",
                "Neighbourhoods (buurten) as polygons.",
                POLYGONS,
            ),
            GeoInput(
                "play_areas",
                "Play areas",
                "Formal play areas (playgrounds, play fields) as polygons.",
                POLYGONS,
                required=False,
            ),
            GeoInput(
                "informal_play",
                "Informal play space",
                "Optional playable public space beside the formal play areas (squares, lawns, "
                "wide pavements, play streets); counted in the play area, overlaps with "
                "`play_areas` once.",
                POLYGONS,
                required=False,
            ),
            GeoInput(
                "built_up",
                "Built-up area",
                "Optional built-up area polygons; without them the whole neighbourhood counts.",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(
            Parameter(
                "norm_share",
                "Play-space norm",
                "Minimum play area as a share of the built-up area (Jantje Beton speelnorm: 3 %).",
                "number",
                default=0.03,
                minimum=0.0,
                maximum=0.2,
                unit=FRACTION,
            ),
        ),
        norms=(
            Norm(
                "norm_share",
                0.03,
                "share",
                "3 % of the built-up area for outdoor play",
                "Jantje Beton, speelnorm",
                "norm_share",
            ),
        ),
        sources=(
            Source(
                "Jantje Beton",
                "Jantje Beton, De speelnorm: 3 % van het bebouwde gebied als speelruimte",
                "https://jantjebeton.nl/",
            ),
        ),
        keywords=("speelnorm", "speelruimte", "play space"),
        example={
            "neighbourhoods": rd_collection(
                [
                    box_feature(121000, 487000, 121100, 487100, "BU01", name="Noord"),
                    box_feature(121000, 486900, 121100, 487000, "BU02", name="Zuid"),
                ]
            ),
            "play_areas": rd_collection(
                [
                    box_feature(121010, 487010, 121030, 487030, "p1"),
                    box_feature(121010, 486910, 121020, 486920, "p2"),
                ]
            ),
        },
    ),
)
