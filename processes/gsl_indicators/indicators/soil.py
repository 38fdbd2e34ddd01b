"""``soil``: sealed-surface share per neighbourhood, and homes on contaminated soil.

Two parts, each computed when its inputs are given:

* **sealed share** — area of ``surfaces`` with ``sealed`` (or ``paved``) true ÷ the
  area of all surfaces with a known value, clipped to each neighbourhood;
* **homes on contamination zones** — every home (``buildings``: footprint or point,
  ``dwellings`` default 1) that intersects a ``contamination_zones`` polygon gets the
  worst ``class`` among the zones it touches (order: ``class_order``, least
  contaminated first); counts and shares of homes and dwellings per class, per
  neighbourhood (the home's representative point decides the neighbourhood) and
  overall. A class outside ``fit_for_housing`` counts as *contaminated* for the
  scored shares.

One ``STRtree`` query per overlay, ranks reduced per home with ``numpy.maximum.at``,
counts with ``bincount``: no Python loop over features on the geometric path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import box, feature, point, rd_collection
from gsl_indicators.core.geo import Layer, feature_collection, zone_index
from gsl_indicators.core.scoring import (
    PROFILE_PARAMETERS,
    area_types_of,
    normalise_area_type,
    resolve_profile,
    scorecard,
)
from gsl_indicators.core.spec import (
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Output,
    Parameter,
    Source,
)
from gsl_indicators.indicators.water import NEIGHBOURHOODS, flags, overlay_pairs, warn_coverage

DEFAULT_CLASS_ORDER = ("achtergrondwaarde", "wonen", "industrie", "niet-toepasbaar")
DEFAULT_FIT_FOR_HOUSING = ("achtergrondwaarde", "wonen")
NO_ZONE = "none"

GES_NOTE_SOIL = (
    "No GES score by default: the GGD GES handbook (GGD Nederland 2012) has a soil "
    "contamination module, but its scores follow a site-specific assessment of the "
    "contamination and land use, not a zone class this process can read, and its "
    "class table could not be verified from a public source. Supply `ges_by_class` "
    "(class → GES score 0–8, from your GGD) to get GES scores per home."
)
GES_NOTE_SEALED = "Sealed share has no GES module (none in the GGD GES handbook)."


def _key(c: str) -> str:
    return c.strip().lower().replace("_", "-").replace(" ", "-")


def class_ranks(
    classes: Sequence[str | None], order: Sequence[str]
) -> tuple[np.ndarray, list[str], list[str]]:
    """Return a rank per zone (higher = worse), the ranked class names and unknown ones.

    Classes are matched case-insensitively (spaces and underscores as hyphens).
    Classes not in ``order`` rank after all listed ones (treated as worst, in order of
    first appearance) and are returned as ``unknown``; a zone without a class gets -1.

    Examples
    --------
    >>> r, names, unknown = class_ranks(["Wonen", "industrie", "x", None], DEFAULT_CLASS_ORDER)
    >>> r.tolist(), names[-1], unknown
    ([1, 2, 4, -1], 'x', ['x'])
    """
    names = [_key(c) for c in order]
    unknown: list[str] = []
    ranks = np.empty(len(classes), dtype=np.intp)
    for i, c in enumerate(classes):
        if c is None or not str(c).strip():
            ranks[i] = -1
            continue
        k = _key(str(c))
        if k not in names:
            names.append(k)
            unknown.append(k)
        ranks[i] = names.index(k)
    return ranks, names, unknown


def worst_class_per_home(homes: np.ndarray, zones: np.ndarray, zone_rank: np.ndarray) -> np.ndarray:
    """Return, per home, the highest rank of the zones it intersects (-1 for none).

    Examples
    --------
    >>> homes = np.array([shapely.Point(5, 5), shapely.box(8, 0, 12, 4), shapely.Point(50, 50)])
    >>> zones = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> worst_class_per_home(homes, zones, np.array([0, 2])).tolist()
    [0, 2, -1]
    """
    out = np.full(len(homes), -1, dtype=np.intp)
    valid = zone_rank >= 0
    if not len(homes) or not valid.any():
        return out
    zidx = np.flatnonzero(valid)
    hi, zi = shapely.STRtree(zones[zidx]).query(homes, predicate="intersects")
    np.maximum.at(out, hi, zone_rank[zidx][zi])
    return out


def class_table(
    rank: np.ndarray,
    dwellings: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    names: Sequence[str],
    contaminated: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return counts and shares of homes and dwellings per class, per group.

    ``rank`` -1 is "on no zone" (key ``none``). Homes with ``group`` -1 are left out.
    ``contaminated`` flags each rank that counts as contaminated.

    Returns
    -------
    dict
        ``homes``, ``dwellings`` (totals per group), ``homes_<class>`` /
        ``dwellings_<class>`` counts, and ``share_homes_on_contaminated_soil`` /
        ``share_dwellings_on_contaminated_soil``.
    """
    ok = group >= 0
    g, r, d = group[ok], rank[ok], dwellings[ok]
    out: dict[str, np.ndarray] = {
        "homes": np.bincount(g, minlength=n_groups).astype(float),
        "dwellings": np.bincount(g, weights=d, minlength=n_groups),
    }
    for k, name in [(-1, NO_ZONE), *enumerate(names)]:
        sel = r == k
        out[f"homes_{name}"] = np.bincount(g[sel], minlength=n_groups).astype(float)
        out[f"dwellings_{name}"] = np.bincount(g[sel], weights=d[sel], minlength=n_groups)
    bad = np.zeros(len(r), dtype=bool)
    has = r >= 0
    bad[has] = contaminated[r[has]]
    homes_bad = np.bincount(g[bad], minlength=n_groups)
    dw_bad = np.bincount(g[bad], weights=d[bad], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_homes_on_contaminated_soil"] = np.where(
            out["homes"] > 0, homes_bad / out["homes"], np.nan
        )
        out["share_dwellings_on_contaminated_soil"] = np.where(
            out["dwellings"] > 0, dw_bad / out["dwellings"], np.nan
        )
    return out


def _per_class(table: Mapping[str, np.ndarray], i: int, names: Sequence[str]) -> dict[str, Any]:
    hom, dw = table["homes"][i], table["dwellings"][i]
    res: dict[str, Any] = {}
    for name in [NO_ZONE, *names]:
        h, w = table[f"homes_{name}"][i], table[f"dwellings_{name}"][i]
        res[name] = {
            "homes": int(h),
            "dwellings": round(float(w), 3),
            "share_homes": round(float(h / hom), 4) if hom > 0 else None,
            "share_dwellings": round(float(w / dw), 4) if dw > 0 else None,
        }
    return res


def _none_if_nan(v: float) -> float | None:
    return None if np.isnan(v) else round(float(v), 4)


def _ges_map(raw: Mapping[str, Any] | None) -> dict[str, int] | None:
    if raw is None:
        return None
    out: dict[str, int] = {}
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 8:
            raise InputError("ges_by_class", f"{k}: a GES score must be a number 0–8, got {v!r}")
        if float(v) != int(v):
            raise InputError("ges_by_class", f"{k}: a GES score is a whole number, got {v!r}")
        out[_key(str(k))] = int(v)
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Compute sealed shares and homes per soil-contamination class, with scorecards."""
    surfaces = layers.get("surfaces")
    homes = layers.get("buildings")
    zones = layers.get("contamination_zones")
    hoods = layers.get("neighbourhoods")
    if (homes is None) != (zones is None):
        missing = "contamination_zones" if zones is None else "buildings"
        raise InputError(missing, "`buildings` and `contamination_zones` go together")
    if surfaces is None and (homes is None or zones is None):
        raise InputError(
            "surfaces", "give `surfaces`, or `buildings` with `contamination_zones` (or all)"
        )
    profile = resolve_profile(params)
    ges_map = _ges_map(params["ges_by_class"])
    n = len(hoods) if hoods is not None else 0
    ats = area_types_of(hoods, params["area_type"], ctx) if hoods is not None else []
    hood_cols: dict[str, Any] = {}
    metrics_hood: list[dict[str, float | None]] = [{} for _ in range(n)]
    metrics_all: dict[str, float | None] = {}
    summary: dict[str, Any] = {}
    out: dict[str, Any] = {}

    if surfaces is not None:
        ctx.progress(0.1, "sealed share")
        sealed = flags(surfaces, ("sealed", "paved"), ctx)
        usable = ~np.isnan(sealed)
        area = shapely.area(surfaces.geometries)
        tot = float(area[usable].sum())
        share_all = float((area * (sealed == 1)).sum()) / tot if tot > 0 else float("nan")
        metrics_all["sealed_share"] = _none_if_nan(share_all)
        summary["surface_area_m2"] = round(tot, 1)
        summary["sealed_area_m2"] = round(float((area * (sealed == 1)).sum()), 1)
        if hoods is not None:
            idx = np.flatnonzero(usable)
            gi, zi, a = overlay_pairs(surfaces.geometries[idx], hoods.geometries)
            is_sealed = sealed[idx][gi] == 1
            s_m2 = np.bincount(zi, weights=a * is_sealed, minlength=n)
            t_m2 = np.bincount(zi, weights=a, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(t_m2 > 0, s_m2 / t_m2, np.nan)
                cover = t_m2 / shapely.area(hoods.geometries)
            hood_cols["surface_area_m2"] = np.round(t_m2, 1)
            hood_cols["sealed_area_m2"] = np.round(s_m2, 1)
            hood_cols["sealed_share"] = np.round(share, 4)
            hood_cols["surface_coverage"] = np.round(cover, 4)
            warn_coverage(cover, ctx, "the sealed share is")
            for i in range(n):
                metrics_hood[i]["sealed_share"] = _none_if_nan(share[i])

    if homes is not None and zones is not None:
        ctx.progress(0.5, "homes on contamination zones")
        order = [str(c) for c in params["class_order"]]
        ranks, names, unknown = class_ranks(zones.text("class"), order)
        if unknown:
            ctx.warn(
                "unknown-soil-class",
                "contamination_zones",
                f"classes {unknown} are not in class_order; they rank as worse than all "
                "listed classes and count as contaminated unless in fit_for_housing",
                len(unknown),
            )
        no_class = int((ranks < 0).sum())
        if no_class:
            ctx.warn(
                "missing-property",
                "contamination_zones",
                f"{no_class} zones have no 'class'; they are left out",
                no_class,
            )
        fit = {_key(str(c)) for c in params["fit_for_housing"]}
        contaminated = np.array([nm not in fit for nm in names], dtype=bool)
        dwellings = homes.number("dwellings", 1.0, ctx)
        worst = worst_class_per_home(homes.geometries, zones.geometries, ranks)
        home_class = [names[r] if r >= 0 else None for r in worst.tolist()]
        is_bad = np.zeros(len(worst), dtype=bool)
        is_bad[worst >= 0] = contaminated[worst[worst >= 0]]
        cols: dict[str, Any] = {"soil_class": home_class, "on_contaminated_soil": is_bad}
        if ges_map is not None:
            ges = [ges_map.get(c) if c is not None else None for c in home_class]
            cols["ges_soil"] = ges
            lacking = sorted({c for c in home_class if c is not None and c not in ges_map})
            if lacking:
                ctx.warn(
                    "ges-class-missing",
                    "ges_by_class",
                    f"no GES score given for classes {lacking}; those homes get none",
                    len(lacking),
                )
        out["buildings"] = feature_collection(homes, cols)
        overall = class_table(
            worst, dwellings, np.zeros(len(worst), dtype=np.intp), 1, names, contaminated
        )
        summary["homes"] = int(overall["homes"][0])
        summary["dwellings"] = round(float(overall["dwellings"][0]), 3)
        summary["per_class"] = _per_class(overall, 0, names)
        for k in ("share_homes_on_contaminated_soil", "share_dwellings_on_contaminated_soil"):
            metrics_all[k] = _none_if_nan(overall[k][0])
        summary["class_order"] = names
        summary["contaminated_classes"] = [
            nm for nm, c in zip(names, contaminated, strict=True) if c
        ]
        if hoods is not None:
            where = zone_index(homes.geometries, hoods.geometries)
            outside = int((where < 0).sum())
            if outside:
                ctx.warn(
                    "homes-outside-neighbourhoods",
                    "buildings",
                    f"{outside} homes lie in no neighbourhood (they count overall only)",
                    outside,
                )
            tab = class_table(worst, dwellings, where, n, names, contaminated)
            hood_cols["homes"] = tab["homes"].astype(int)
            hood_cols["dwellings"] = np.round(tab["dwellings"], 3)
            for k in ("share_homes_on_contaminated_soil", "share_dwellings_on_contaminated_soil"):
                hood_cols[k] = np.round(tab[k], 4)
                for i in range(n):
                    metrics_hood[i][k] = _none_if_nan(tab[k][i])
            hood_cols["per_class"] = [_per_class(tab, i, names) for i in range(n)]

    if hoods is not None:
        cards = [scorecard(profile, "soil", metrics_hood[i], ats[i]) for i in range(n)]
        hood_cols["area_type"] = ats
        hood_cols["score"] = [c.get("score") for c in cards]
        hood_cols["scorecard"] = cards
        out["neighbourhoods"] = feature_collection(hoods, hood_cols)
    at = normalise_area_type(params["area_type"])
    summary.update(metrics_all)
    summary["scorecard"] = scorecard(profile, "soil", metrics_all, at)
    summary["ges"] = {
        "contamination": {
            "available": ges_map is not None,
            "source": "ges_by_class (user supplied)" if ges_map is not None else None,
            "note": GES_NOTE_SOIL,
        },
        "sealed_share": {"available": False, "note": GES_NOTE_SEALED},
    }
    out["summary"] = summary
    out["profile"] = profile.to_dict(indicator="soil")
    return out


def _example() -> dict[str, Any]:
    def fc(*features: dict[str, Any]) -> dict[str, Any]:
        return rd_collection(features)

    def f(fid: str, geom: dict[str, Any], **props: Any) -> dict[str, Any]:
        return feature(geom, fid, props)

    x, y = 121000.0, 487000.0
    return {
        "surfaces": fc(
            f("road", box(x, y, x + 100, y + 70), sealed=True),
            f("garden", box(x, y + 70, x + 100, y + 100), sealed=False),
        ),
        "buildings": fc(
            f("h1", point(x + 20, y + 20), dwellings=4),
            f("h2", point(x + 70, y + 20), dwellings=1),
            f("h3", point(x + 70, y + 80), dwellings=1),
        ),
        "contamination_zones": fc(
            f("z1", box(x, y, x + 50, y + 50), **{"class": "wonen"}),
            f("z2", box(x + 50, y, x + 100, y + 50), **{"class": "industrie"}),
        ),
        "neighbourhoods": fc(
            f("BU01", box(x, y, x + 100, y + 100), area_type="stedelijk-wonen"),
        ),
    }


INDICATORS = (
    Indicator(
        id="soil",
        version="1.0.0",
        title={
            "nl": "Bodem: verharding en verontreiniging",
            "en": "Soil: sealing and contamination",
        },
        description={
            "nl": "Aandeel verhard oppervlak per buurt; woningen op bodemverontreinigingszones "
            "per kwaliteitsklasse (aantallen en aandelen woningen en wooneenheden).",
            "en": "Sealed-surface share per neighbourhood; homes on soil-contamination zones "
            "per class (counts and shares of homes and dwellings).",
        },
        theme="soil",
        method=(
            "Sealed share = area of `surfaces` with `sealed` (else `paved`) true ÷ area of the "
            "surfaces with a known value, clipped to each neighbourhood (surfaces crossing a "
            "boundary are split by area). A home (`buildings`, footprint or point) is on a "
            "contamination zone when it intersects it; with overlapping zones it takes the worst "
            "`class` by `class_order` (least contaminated first; unlisted classes rank worst). "
            "Classes not in `fit_for_housing` count as contaminated. Counts and shares of homes "
            "and dwellings (`dwellings`, default 1) per class, per neighbourhood (by the home's "
            "representative point) and overall. Scores 1–10 for sealed_share and the "
            "contaminated shares come from the norm profile per area type. GES: the handbook's "
            "soil module scores a site-specific assessment, so GES scores are given only from a "
            "user-supplied `ges_by_class`; sealing has no GES module."
        ),
        compute=compute,
        inputs=(
            GeoInput(
                "surfaces",
                "Surfaces",
                "Land-cover polygons, each sealed (paved) or not (no overlaps).",
                POLYGONS,
                required=False,
                properties={
                    "sealed": "true for sealed surfaces (falls back to `paved`)",
                    "paved": "true for paved surfaces (used when `sealed` is absent)",
                },
            ),
            GeoInput(
                "buildings",
                "Homes",
                "Homes: footprint polygons or address points (`id` kept in the output).",
                POINTS + POLYGONS,
                required=False,
                properties={"dwellings": "number of dwellings (default 1)"},
            ),
            GeoInput(
                "contamination_zones",
                "Soil-contamination zones",
                "Polygons of the soil-quality map (bodemkwaliteitskaart) or contamination cases.",
                POLYGONS,
                required=False,
                properties={
                    "class": "soil-quality class, e.g. achtergrondwaarde, wonen, industrie"
                },
            ),
            NEIGHBOURHOODS,
        ),
        parameters=(
            Parameter(
                "class_order",
                "Class order",
                "Soil classes from least to most contaminated (Besluit bodemkwaliteit: "
                "achtergrondwaarde, wonen, industrie, niet toepasbaar); decides the worst class "
                "of a home on overlapping zones.",
                "array",
                list(DEFAULT_CLASS_ORDER),
                schema={"items": {"type": "string"}, "minItems": 1},
            ),
            Parameter(
                "fit_for_housing",
                "Classes fit for housing",
                "Classes that do not count as contaminated for the scored shares.",
                "array",
                list(DEFAULT_FIT_FOR_HOUSING),
                schema={"items": {"type": "string"}},
            ),
            Parameter(
                "ges_by_class",
                "GES score per class",
                "Optional GES score 0–8 per soil class, from the local GGD's assessment "
                "(no public class table exists to default to).",
                "object",
                None,
                nullable=True,
                schema={"additionalProperties": {"type": "integer", "minimum": 0, "maximum": 8}},
            ),
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Per neighbourhood: surface_area_m2, sealed_area_m2, sealed_share, "
                "surface_coverage, homes, dwellings, per_class, the contaminated shares, "
                "area_type, score and scorecard (only with `neighbourhoods`).",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "buildings",
                "Homes",
                "Homes with soil_class (worst zone class, null for none), "
                "on_contaminated_soil and, with ges_by_class, ges_soil.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall sealed share, homes and dwellings per class, shares, scorecard, GES note.",
                {"type": "object"},
            ),
            Output("profile", "Profile", "The norm profile used (soil part).", {"type": "object"}),
        ),
        sources=(
            Source(
                "GES",
                "Fast, Van den Hazel & Van de Weerdt, Handboek Gezondheidseffectscreening: "
                "gezondheid en milieu in ruimtelijke planvorming, GGD Nederland (2012)",
                "https://www.fastadvies.com/2012/11/handboek-ges-gezondheid-en-milieu-in-ruimtelijke-planvorming-fast-t-p-j-van-den-hazel-en-d-h-j-van-de-weerdt-fast-advies-en-burweau-medische-milieukunde-jans-van-den-hazel-van-de-weerdt-gg/",
            ),
            Source(
                "GGD-richtlijn bodem",
                "RIVM, GGD-richtlijn medische milieukunde: bodem en gezondheid",
                "http://www.rivm.Nl/ggd-richtlijn-mmk-bodem-en-gezondheid",
            ),
        ),
        keywords=("bodem", "verharding", "bodemverontreiniging", "bodemkwaliteitskaart"),
        example=_example(),
    ),
)
