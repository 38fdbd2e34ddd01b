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
from typing import Annotated, Any

import numpy as np
import pydantic
import shapely

from gsl_indicators.core.assemble import area_keys
from gsl_indicators.core.examples import box, feature, point, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import DWELLINGS_RANGE, is_home, read_dwellings
from gsl_indicators.core.metrics import FRACTION, Level, Metrics, booleans, metric
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

__all__ = [
    "DEFAULT_CLASS_ORDER",
    "DEFAULT_FIT_FOR_HOUSING",
    "GES_NOTE_SEALED",
    "GES_NOTE_SOIL",
    "HEALTH_CLASSES",
    "HEALTH_SOURCES",
    "INDICATORS",
    "LEAD_HEALTH_LIMIT_MG_KG",
    "LEAD_INTERVENTION_MG_KG",
    "METRICS",
    "NO_ZONE",
    "GesByClass",
    "GesScore",
    "class_ranks",
    "class_table",
    "compute",
    "contamination",
    "ges_per_home",
    "health_ranks",
    "per_class",
    "sealed_shares",
    "worst_class_per_home",
    "zone_classes",
]

# Lead in the topsoil (mg/kg dry matter), refused outside it (the description shows it).
LEAD_RANGE = (0.0, 1e6)
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


def per_class(table: Mapping[str, np.ndarray], i: int, names: Sequence[str]) -> dict[str, Any]:
    """Return group ``i`` of a :func:`class_table` as homes, dwellings and shares per class.

    Examples
    --------
    >>> t = class_table(np.array([0, -1]), np.array([3.0, 1.0]), np.array([0, 0]), 1,
    ...                 ["wonen"], np.array([False]))
    >>> per_class(t, 0, ["wonen"])["wonen"]
    {'homes': 1, 'dwellings': 3.0, 'share_homes': 0.5, 'share_dwellings': 0.75}
    """
    hom, dw = table["homes"][i], table["dwellings"][i]
    res: dict[str, Any] = {}
    for name in [NO_ZONE, *names]:
        h, w = table[f"homes_{name}"][i], table[f"dwellings_{name}"][i]
        res[name] = {
            "homes": int(h),
            "dwellings": float(w),
            "share_homes": float(h / hom) if hom > 0 else None,
            "share_dwellings": float(w / dw) if dw > 0 else None,
        }
    return res


HEALTH_CLASSES = ("below-health-limits", "lead-above-health-limit", "above-intervention-value")
"""Health-based classes of a zone, least to most serious (index = rank)."""

LEAD_HEALTH_LIMIT_MG_KG = 388.0
"""Lead in soil, 'wonen met tuin' without use advice (RIVM 2017-0174, table 2)."""

LEAD_INTERVENTION_MG_KG = 530.0
"""Intervention value for lead, standard soil (Circulaire bodemsanering 2013, annex 1)."""


HEALTH_SOURCES = (
    Source(
        "RIVM 2017-0174",
        "Otte, P.F. & Zeilmaker, M.J. (2017). Ex ante evaluatie lokaal beleid aanpak "
        "diffuus bodemlood. RIVM rapport 2017-0174 (table 2: 388 mg/kg for 'wonen met tuin' "
        "without use advice; see also Otte et al. 2015, RIVM rapport 2015-0204).",
        "https://doi.org/10.21945/RIVM-2017-0174",
    ),
    Source(
        "Circulaire bodemsanering 2013",
        "Circulaire bodemsanering 2013, annex 1: intervention values (lead 530 mg/kg "
        "standard soil); a case of serious contamination exceeds an intervention value in "
        "more than 25 m³ of soil.",
        "https://wetten.overheid.nl/BWBR0033592",
    ),
)


def health_ranks(
    exceeds: np.ndarray, lead: np.ndarray, lead_limit: float, lead_intervention: float
) -> np.ndarray:
    """Return each zone's health-based class rank (index into :data:`HEALTH_CLASSES`).

    ``exceeds``: the zone's ``exceeds_intervention_value`` (1/0/NaN, from the soil
    survey: a case of serious contamination, above the intervention value in more than
    25 m³ of soil); ``lead``: its ``lead_mg_kg`` (NaN unknown). Rank 2 when the
    intervention value is exceeded (flag, or lead ≥ ``lead_intervention``), 1 when lead
    ≥ ``lead_limit``, 0 when something is known and nothing exceeded, -1 when nothing
    is known.

    Examples
    --------
    >>> health_ranks(np.array([1.0, np.nan, np.nan, 0.0, np.nan]),
    ...              np.array([np.nan, 600.0, 400.0, 100.0, np.nan]), 388.0, 530.0).tolist()
    [2, 2, 1, 0, -1]
    """
    known = ~np.isnan(exceeds) | ~np.isnan(lead)
    with np.errstate(invalid="ignore"):
        serious = (exceeds == 1) | (lead >= lead_intervention)
        above = lead >= lead_limit
    return np.where(serious, 2, np.where(above, 1, np.where(known, 0, -1))).astype(np.intp)


GesScore = Annotated[int, pydantic.Field(ge=0, le=8, strict=True)]
GesByClass = dict[str, GesScore]
"""``ges_by_class``: soil class → GES score 0–8 (validated by pydantic, schema published)."""


def sealed_shares(
    surfaces: Layer, hoods: Layer | None, ctx: Context
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the overall and per-neighbourhood sealed area, surface area and sealed share.

    Surfaces without a usable ``sealed`` / ``paved`` value are left out (and warned
    about); surfaces crossing a neighbourhood boundary are split by area.
    """
    sealed = flags(surfaces, ("sealed", "paved"), ctx)
    usable = ~np.isnan(sealed)
    area = shapely.area(surfaces.geometries)
    total, sealed_m2 = float(area[usable].sum()), float((area * (sealed == 1)).sum())
    overall = {
        "surface_area_m2": total,
        "sealed_area_m2": sealed_m2,
        "sealed_share": sealed_m2 / total if total > 0 else np.nan,
    }
    if hoods is None:
        return overall, {}
    idx = np.flatnonzero(usable)
    gi, zi, a = overlay_pairs(surfaces.geometries[idx], hoods.geometries)
    is_sealed = sealed[idx][gi] == 1
    s_m2 = np.bincount(zi, weights=a * is_sealed, minlength=len(hoods))
    t_m2 = np.bincount(zi, weights=a, minlength=len(hoods))
    with np.errstate(invalid="ignore", divide="ignore"):
        per = {
            "surface_area_m2": t_m2,
            "sealed_area_m2": s_m2,
            "sealed_share": np.where(t_m2 > 0, s_m2 / t_m2, np.nan),
            "surface_coverage": t_m2 / shapely.area(hoods.geometries),
        }
    warn_coverage(per["surface_coverage"], ctx, "the sealed share is")
    return overall, per


def zone_classes(
    zones: Layer, order: Sequence[str], fit: Sequence[str], ctx: Context
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Return each zone's class rank, the ranked class names and which ones are contaminated.

    Warns about classes not in ``order`` (they rank worst) and zones without a class.
    """
    ranks, names, unknown = class_ranks(zones.text("class"), [str(c) for c in order])
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
    fit_keys = {_key(str(c)) for c in fit}
    return ranks, names, np.array([nm not in fit_keys for nm in names], dtype=bool)


def ges_per_home(
    home_class: Sequence[str | None], ges_by_class: Mapping[str, int], ctx: Context
) -> list[int | None]:
    """Return each home's GES score from the user's ``ges_by_class`` (None: no class or score).

    Examples
    --------
    >>> ges_per_home(["wonen", None, "industrie"], {"Wonen": 2}, Context())
    [2, None, None]
    """
    table = {_key(k): v for k, v in ges_by_class.items()}
    lacking = sorted({c for c in home_class if c is not None and c not in table})
    if lacking:
        ctx.warn(
            "ges-class-missing",
            "ges_by_class",
            f"no GES score given for classes {lacking}; those homes get none",
            len(lacking),
        )
    return [table.get(c) if c is not None else None for c in home_class]


_SHARES = ("share_homes_on_contaminated_soil", "share_dwellings_on_contaminated_soil")


def contamination(
    homes: Layer, zones: Layer, hoods: Layer | None, params: Mapping[str, Any], ctx: Context
) -> Metrics:
    """Return per home its worst class; counts and contaminated shares per area and overall."""
    ranks, names, contaminated = zone_classes(
        zones, params["class_order"], params["fit_for_housing"], ctx
    )
    dwellings = read_dwellings(homes, ctx)
    home = is_home(dwellings)
    worst = worst_class_per_home(homes.geometries, zones.geometries, ranks)
    home_class = [names[r] if r >= 0 else None for r in worst.tolist()]
    is_bad = np.zeros(len(worst), dtype=bool)
    is_bad[worst >= 0] = contaminated[worst[worst >= 0]]
    feature: dict[str, Any] = {"soil_class": home_class, "on_contaminated_soil": is_bad}
    if params["ges_by_class"] is not None:
        feature["ges_soil"] = ges_per_home(home_class, params["ges_by_class"], ctx)
    everywhere = np.where(home, 0, -1).astype(np.intp)  # non-homes (dwellings 0) left out
    tab = class_table(worst, dwellings, everywhere, 1, names, contaminated)
    keys = ("homes", "dwellings", *_SHARES)
    # health-based classes beside the reuse classes
    h_rank = health_ranks(
        flags(zones, ("exceeds_intervention_value",)),
        zones.number("lead_mg_kg", valid=LEAD_RANGE),
        float(params["lead_health_limit_mg_kg"]),
        float(params["lead_intervention_value_mg_kg"]),
    )
    h_worst = worst_class_per_home(homes.geometries, zones.geometries, h_rank)
    h_names = list(HEALTH_CLASSES)
    h_bad = np.array([False, True, True])
    feature["health_class"] = [h_names[r] if r >= 0 else None for r in h_worst.tolist()]
    feature["above_health_limit"] = booleans(np.where(h_worst >= 0, (h_worst >= 1) * 1.0, np.nan))
    h_tab = class_table(h_worst, dwellings, everywhere, 1, h_names, h_bad)
    health_keys = {
        "share_homes_on_contaminated_soil": "share_homes_above_health_limit",
        "share_dwellings_on_contaminated_soil": "share_dwellings_above_health_limit",
    }
    if not (h_rank >= 0).any():
        ctx.warn(
            "no-health-values",
            "contamination_zones",
            "no zone has `exceeds_intervention_value` or `lead_mg_kg`: the health-based "
            "shares are empty (the reuse classes say nothing about health risk)",
        )
    known_health = bool((h_rank >= 0).any())
    classes: dict[str, Any] = {
        "class_order": names,
        "contaminated_classes": [nm for nm, c in zip(names, contaminated, strict=True) if c],
        "overall": per_class(tab, 0, names),
        "health": {
            "class_order": h_names,
            "above_health_limit": h_names[1:],
            "lead_health_limit_mg_kg": float(params["lead_health_limit_mg_kg"]),
            "lead_intervention_value_mg_kg": float(params["lead_intervention_value_mg_kg"]),
            "sources": [f"{src.label}: {src.citation}" for src in HEALTH_SOURCES],
            "overall": per_class(h_tab, 0, h_names),
        },
    }
    overall = {k: tab[k][0] for k in keys}
    for src, dst in health_keys.items():
        overall[dst] = h_tab[src][0] if known_health else np.nan
    area: dict[str, Any] = {}
    if hoods is not None and ctx.groups is not None:
        in_area = np.where(home, ctx.groups.index, -1)
        per = class_table(worst, dwellings, in_area, ctx.groups.n, names, contaminated)
        area = {k: per[k] for k in keys}
        h_per = class_table(h_worst, dwellings, in_area, ctx.groups.n, h_names, h_bad)
        for src, dst in health_keys.items():
            area[dst] = h_per[src] if known_health else np.full(ctx.groups.n, np.nan)
        classes["neighbourhoods"] = [
            {"area_id": key, "classes": per_class(per, i, names)}
            for i, key in enumerate(area_keys(hoods))
        ]
    return Metrics(
        feature=feature,
        area=area,
        overall=overall,
        outputs={"classes": classes},
    )


_OTHER = {"contamination_zones": "buildings", "buildings": "contamination_zones"}


def lone_contamination_input(homes: bool, zones: bool) -> str | None:
    """Return the input missing to go with a lone ``buildings`` or ``contamination_zones``.

    Examples
    --------
    >>> lone_contamination_input(True, False), lone_contamination_input(False, True)
    ('contamination_zones', 'buildings')
    >>> lone_contamination_input(True, True), lone_contamination_input(False, False)
    (None, None)
    """
    if homes == zones:
        return None
    return "contamination_zones" if homes else "buildings"


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute sealed shares and homes per soil-contamination class.

    Each part runs when its inputs are given. A lone ``buildings`` (a design's homes,
    given for other indicators) or ``contamination_zones`` is warned about and left
    out when ``surfaces`` is given; with nothing to assess, soil is refused with a
    reason naming what it needs.
    """
    surfaces, hoods = layers.get("surfaces"), layers.get("neighbourhoods")
    homes, zones = layers.get("buildings"), layers.get("contamination_zones")
    lone = lone_contamination_input(homes is not None, zones is not None)
    if surfaces is None and (homes is None or zones is None):
        raise InputError(
            lone or "surfaces",
            "soil is not assessed: it needs `surfaces` (the sealed share) or "
            "`contamination_zones` with `buildings` (homes on contaminated soil)"
            + (f"; `{lone}` is missing to go with the `{_OTHER[lone]}` given" if lone else ""),
        )
    if lone is not None:  # the sealed share is computed; the other input is not used
        ctx.warn(
            "input-unused",
            _OTHER[lone],
            f"`{_OTHER[lone]}` is not used: homes on contaminated soil need "
            f"`{lone}` too; only the sealed share is assessed",
        )
    overall: dict[str, Any] = {}
    area: dict[str, Any] = {}
    if surfaces is not None:
        ctx.progress(0.1, "sealed share")
        overall, area = sealed_shares(surfaces, hoods, ctx)
    result = Metrics()
    if homes is not None and zones is not None:
        ctx.progress(0.5, "homes on contamination zones")
        result = contamination(homes, zones, hoods, params, ctx)
    result.overall = overall | result.overall
    result.area = area | result.area
    given = params["ges_by_class"] is not None
    result.outputs["ges"] = {
        "contamination": {
            "available": given,
            "source": "ges_by_class (user supplied)" if given else None,
            "note": GES_NOTE_SOIL,
        },
        "sealed_share": {"available": False, "note": GES_NOTE_SEALED},
    }
    return result


_BOTH: tuple[Level, ...] = ("area", "overall")

METRICS = (
    metric(
        "surface_area_m2",
        "Oppervlak",
        "Surface area",
        "m²",
        levels=_BOTH,
        digits=1,
        description="Area of the surfaces with a known `sealed` / `paved` value.",
    ),
    metric("sealed_area_m2", "Verhard oppervlak", "Sealed area", "m²", levels=_BOTH, digits=1),
    metric(
        "sealed_share",
        "Aandeel verhard",
        "Sealed share",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="Sealed area ÷ surface area.",
    ),
    metric(
        "surface_coverage",
        "Dekking oppervlakken",
        "Surface coverage",
        "ratio",
        levels=("area",),
        digits=4,
        description="Surface area inside the neighbourhood ÷ its area (above 1: overlaps).",
    ),
    metric("homes", "Woningen", "Homes", "count", levels=_BOTH, digits=0),
    metric(
        "dwellings",
        "Wooneenheden",
        "Dwellings",
        "count",
        levels=_BOTH,
        digits=3,
        description="Sum of `dwellings` (default 1 per home).",
    ),
    metric(
        "share_homes_on_contaminated_soil",
        "Aandeel woningen op verontreinigde bodem",
        "Share of homes on contaminated soil",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="Homes whose worst zone class is not in `fit_for_housing` ÷ homes.",
    ),
    metric(
        "share_dwellings_on_contaminated_soil",
        "Aandeel wooneenheden op verontreinigde bodem",
        "Share of dwellings on contaminated soil",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="As the homes share, weighted by `dwellings`.",
    ),
    metric(
        "share_homes_above_health_limit",
        "Aandeel woningen boven een gezondheidskundige grens",
        "Share of homes above a health-based limit",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="Homes on a zone above the intervention value or with lead at or above "
        "`lead_health_limit_mg_kg` ÷ homes (empty when no zone has health values).",
    ),
    metric(
        "share_dwellings_above_health_limit",
        "Aandeel wooneenheden boven een gezondheidskundige grens",
        "Share of dwellings above a health-based limit",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="As the homes share, weighted by `dwellings`.",
    ),
    metric(
        "health_class",
        "Gezondheidskundige klasse",
        "Health-based class",
        "class",
        levels=("feature",),
        description="Worst health-based class of the zones the home touches: "
        "below-health-limits, lead-above-health-limit, above-intervention-value (null: "
        "no health values).",
    ),
    metric(
        "above_health_limit",
        "Boven gezondheidskundige grens",
        "Above a health-based limit",
        "boolean",
        levels=("feature",),
        description="The home's health-based class is lead-above-health-limit or "
        "above-intervention-value.",
    ),
    metric(
        "soil_class",
        "Bodemklasse",
        "Soil class",
        "class",
        levels=("feature",),
        description="Worst class of the zones the home touches (null: none).",
    ),
    metric(
        "on_contaminated_soil",
        "Op verontreinigde bodem",
        "On contaminated soil",
        "boolean",
        levels=("feature",),
        description="The home's class is not in `fit_for_housing`.",
    ),
    metric(
        "ges_soil",
        "GES-score bodem",
        "GES score, soil",
        "score",
        levels=("feature",),
        direction="lower_is_better",
        digits=0,
        description="From the user-supplied `ges_by_class` (only when given).",
    ),
)


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
        version="3.0.2",
        uses=("water",),
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
            "Classes not in `fit_for_housing` count as contaminated — these are the reuse "
            "classes of the Besluit bodemkwaliteit (where soil may be moved to), not health "
            "limits. So beside them (3.0.0) each home gets a **health-based class** from the "
            "zones it touches: `above-intervention-value` where a zone has "
            "`exceeds_intervention_value` true (a case of serious contamination: above the "
            "intervention value in more than 25 m³ of soil, Circulaire bodemsanering 2013) or "
            "`lead_mg_kg` at or above `lead_intervention_value_mg_kg` (530, the intervention "
            "value for lead in standard soil, annex 1 of the Circulaire); "
            "`lead-above-health-limit` where `lead_mg_kg` is at or above "
            "`lead_health_limit_mg_kg` (388 mg/kg: RIVM 2017-0174 table 2, 'wonen met tuin' "
            "without use advice; no safe level exists for lead, so GGDs advise ALARA); "
            "`below-health-limits` where a value is known and none is exceeded; shares "
            "`share_*_above_health_limit` over all homes. Counts and shares of homes "
            "and dwellings (`dwellings`, default 1) per class, per neighbourhood (by the home's "
            "representative point; each home gets the neighbourhood's `area_id`) and overall, "
            "in the output `classes` (`classes.health` for the health-based classes, with the "
            "limits and sources). Shares are fractions 0–1. Scores 1–10 for sealed_share, "
            "the contaminated shares and the health-based shares come from the norm profile "
            "per area type (`score_<metric>` per neighbourhood). The **headline** `score` is "
            "the worst of sealed_share, share_dwellings_on_contaminated_soil and "
            "share_dwellings_above_health_limit (nl-default `headline: [...]`, 3.0.0): a "
            "neighbourhood with little paving but many dwellings on contaminated soil no "
            "longer scores 10; `summary.scorecard.headline` names the metric that set it. "
            "GES: the handbook's "
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
                ranges={"dwellings": DWELLINGS_RANGE},
                properties={"dwellings": "number of dwellings (default 1)"},
            ),
            GeoInput(
                "contamination_zones",
                "Soil-contamination zones",
                "Polygons of the soil-quality map (bodemkwaliteitskaart) or contamination cases.",
                POLYGONS,
                required=False,
                ranges={"lead_mg_kg": LEAD_RANGE},
                properties={
                    "class": "soil-quality (reuse) class, e.g. achtergrondwaarde, wonen, industrie",
                    "exceeds_intervention_value": "true: a case of serious contamination "
                    "(above the intervention value in > 25 m³ of soil)",
                    "lead_mg_kg": "lead in the topsoil, mg/kg dry matter",
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
                default=list(DEFAULT_CLASS_ORDER),
                schema={"items": {"type": "string"}, "minItems": 1},
            ),
            Parameter(
                "fit_for_housing",
                "Classes fit for housing",
                "Classes that do not count as contaminated for the scored shares.",
                "array",
                default=list(DEFAULT_FIT_FOR_HOUSING),
                schema={"items": {"type": "string"}},
            ),
            Parameter(
                "lead_health_limit_mg_kg",
                "Lead: health-based limit",
                "Lead in soil at or above which a home counts as above a health-based "
                "limit: 388 mg/kg, RIVM 2017-0174 table 2 ('wonen met tuin', no use "
                "advice). A municipality's own lead policy (e.g. with use advice) may set "
                "another figure.",
                "number",
                default=LEAD_HEALTH_LIMIT_MG_KG,
                minimum=0.0,
                maximum=10000.0,
                unit="mg/kg",
            ),
            Parameter(
                "lead_intervention_value_mg_kg",
                "Lead: intervention value",
                "Intervention value for lead in standard soil: 530 mg/kg (Circulaire "
                "bodemsanering 2013, annex 1).",
                "number",
                default=LEAD_INTERVENTION_MG_KG,
                minimum=0.0,
                maximum=10000.0,
                unit="mg/kg",
            ),
            Parameter(
                "ges_by_class",
                "GES score per class",
                "Optional GES score 0–8 per soil class, from the local GGD's assessment "
                "(no public class table exists to default to).",
                "object",
                default=None,
                nullable=True,
                annotation=GesByClass,
                schema={
                    k: v
                    for k, v in pydantic.TypeAdapter(GesByClass).json_schema().items()
                    if k != "type"
                },
            ),
        ),
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        outputs=(
            Output(
                "classes",
                "Homes per class",
                "The class order used, the classes counted as contaminated, and homes, "
                "dwellings and their shares per class overall and per neighbourhood "
                "(`area_id`).",
            ),
            Output(
                "ges",
                "GES",
                "Whether GES scores are given (contamination: only from `ges_by_class`; "
                "sealing: no GES module) and why.",
            ),
        ),
        sources=(
            *HEALTH_SOURCES,
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
