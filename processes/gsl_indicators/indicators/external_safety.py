"""``external-safety``: homes and (very) vulnerable buildings inside risk contours.

From risk contours the user supplies (``risk_contours``, polygons with a ``kind``):

* ``individual_risk`` — individual-risk (*plaatsgebonden risico*) contours with
  ``risk_per_year`` (e.g. ``1e-6``); a building lies inside the limit contour when it
  intersects a contour whose risk is at least ``ir_limit_per_year`` (default 10⁻⁶ per
  year, the Bkl limit value of art. 5.7 for vulnerable and very vulnerable buildings);
* ``fire``, ``explosion``, ``toxic`` — the *aandachtsgebieden* (areas of concern) for
  fire, explosion and toxic cloud of the Omgevingswet / Bkl.

Each building gets a vulnerability class from its ``function`` property through the
mapping ``function_classes`` (declared here after Bkl art. 5.3 and annex VI: very
vulnerable — schools for minors, childcare, hospitals, care homes, prisons; vulnerable —
buildings with a residential function); a home (``dwellings`` > 0) without a function
counts as vulnerable. Per area and overall: homes and dwellings inside each contour
(counts and shares), the (very) vulnerable buildings inside, and the Bkl rule "no very
vulnerable building inside the limit contour" as a flag.

Group risk (*groepsrisico*) needs source models (substances, quantities, population per
cell); it is out of scope and not a number here (see the method text).

A building is inside a contour when its footprint (or point) intersects it: a building
on the contour line is inside. One STRtree query of all contours (each prepared once, so
a detailed contour is tested in logarithmic time per building) against a tree of the
buildings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import shapely

from gsl_indicators.core.examples import box, feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    AREA_OVERALL,
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    count_metric,
    flag_metric,
    metric,
    read_homes,
    share_metric,
    whole,
)
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import DWELLINGS_RANGE
from gsl_indicators.core.metrics import AreaGroups, Metric, Metrics
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

# A contour's individual risk per year, refused outside it (the description shows it).
RISK_RANGE = (0.0, 1.0)
HAZARDS = ("fire", "explosion", "toxic")
KINDS = ("individual_risk", *HAZARDS)
KIND_ALIASES = {
    "individual_risk": "individual_risk",
    "plaatsgebonden_risico": "individual_risk",
    "pr": "individual_risk",
    "fire": "fire",
    "brand": "fire",
    "explosion": "explosion",
    "explosie": "explosion",
    "toxic": "toxic",
    "gifwolk": "toxic",
}
VulnerabilityClass = Literal["very_vulnerable", "vulnerable", "limited_vulnerable"]
CLASSES: tuple[str, ...] = ("very_vulnerable", "vulnerable", "limited_vulnerable")

DEFAULT_FUNCTION_CLASSES: dict[str, str] = {
    # zeer kwetsbaar (Bkl annex VI): reduced self-reliance
    "kinderopvang": "very_vulnerable",
    "kinderdagverblijf": "very_vulnerable",
    "childcare": "very_vulnerable",
    "school": "very_vulnerable",
    "basisschool": "very_vulnerable",
    "primary_school": "very_vulnerable",
    "onderwijs_minderjarigen": "very_vulnerable",
    "ziekenhuis": "very_vulnerable",
    "hospital": "very_vulnerable",
    "verpleeghuis": "very_vulnerable",
    "care_home": "very_vulnerable",
    "gevangenis": "very_vulnerable",
    "prison": "very_vulnerable",
    # kwetsbaar: residential function with night stay
    "woonfunctie": "vulnerable",
    "wonen": "vulnerable",
    "residential": "vulnerable",
    "home": "vulnerable",
    # beperkt kwetsbaar: the rest, e.g.
    "kantoor": "limited_vulnerable",
    "office": "limited_vulnerable",
    "winkel": "limited_vulnerable",
    "shop": "limited_vulnerable",
    "industrie": "limited_vulnerable",
    "industry": "limited_vulnerable",
}

BKL_57 = (
    "Besluit kwaliteit leefomgeving art. 5.7: limit value for the individual risk of at most "
    "10⁻⁶ per year for vulnerable and very vulnerable buildings and vulnerable locations "
    "(RIVM, Handboek Omgevingsveiligheid, 'Afstanden en gebieden')"
)
BKL_57_URL = (
    "https://www.rivm.nl/omgevingsveiligheid/handboek/toelichtingen-kernbegrippen/"
    "afstanden-en-gebieden"
)
BKL_53 = (
    "Besluit kwaliteit leefomgeving art. 5.3 and annex VI: very vulnerable buildings (reduced "
    "self-reliance: hospitals, care homes, primary schools, day care for people with a "
    "disability, childcare, prisons); vulnerable (residential function with night stay, "
    "large numbers present); limited vulnerable (the rest, e.g. scattered rural homes) "
    "(Register Externe Veiligheid, 'Kwetsbare gebouwen en locaties')"
)
BKL_53_URL = "https://www.registerexterneveiligheid.nl/en/node/3531"
AANDACHT_URL = "https://omgevingsveiligheid.rivm.nl/aandachtsgebieden"


def normalise(text: str | None) -> str | None:
    """Return a property value as a lookup key (lower case, spaces and hyphens as ``_``).

    Examples
    --------
    >>> normalise(" Care-home "), normalise(None)
    ('care_home', None)
    """
    if text is None:
        return None
    return str(text).strip().lower().replace("-", "_").replace(" ", "_") or None


def contour_kinds(layer: Layer, ctx: Context) -> np.ndarray:
    """Return the kind index (into :data:`KINDS`) of each contour, -1 when unknown."""
    out = np.full(len(layer), -1, dtype=np.int64)
    unknown: set[str] = set()
    for i, raw in enumerate(layer.text("kind")):
        k = KIND_ALIASES.get(normalise(raw) or "")
        if k is None:
            unknown.add(str(raw))
        else:
            out[i] = KINDS.index(k)
    if unknown:
        ctx.warn(
            "unknown-contour-kind",
            "risk_contours",
            f"contours of kind {sorted(unknown)} are left out; known kinds: {list(KINDS)}",
            int((out < 0).sum()),
        )
    return out


def contour_membership(
    buildings: np.ndarray, contours: np.ndarray, kind: np.ndarray, risk: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Return per building whether it intersects a contour of each kind, and its highest risk.

    Parameters
    ----------
    buildings, contours : numpy.ndarray of shapely geometries
    kind : numpy.ndarray of int
        Index into :data:`KINDS` per contour (-1: ignored).
    risk : numpy.ndarray
        Individual risk per year per contour (used for ``individual_risk`` ones).

    Returns
    -------
    inside : dict
        Kind → bool per building (a building on the contour line is inside).
    max_risk : numpy.ndarray
        Highest individual risk of the contours a building intersects; NaN for none.

    Examples
    --------
    >>> c = np.array([shapely.box(0, 0, 10, 10), shapely.box(0, 0, 20, 20)])
    >>> b = shapely.points([[5, 5], [20, 5], [30, 5]])
    >>> inside, r = contour_membership(b, c, np.array([0, 1]), np.array([1e-6, np.nan]))
    >>> inside["individual_risk"].tolist(), inside["fire"].tolist(), r.tolist()
    ([True, False, False], [True, True, False], [1e-06, nan, nan])
    """
    n = len(buildings)
    inside = {k: np.zeros(n, dtype=bool) for k in KINDS}
    max_risk = np.full(n, -np.inf)
    use = np.flatnonzero(kind >= 0)
    if n and len(use):
        # a tree of the buildings queried by the contours: each contour is prepared once
        ci, bi = shapely.STRtree(buildings).query(contours[use], predicate="intersects")
        ck = kind[use][ci]
        for j, k in enumerate(KINDS):
            inside[k][bi[ck == j]] = True
        ir = ck == KINDS.index("individual_risk")
        np.maximum.at(max_risk, bi[ir], np.nan_to_num(risk[use][ci[ir]], nan=-np.inf))
    max_risk[~np.isfinite(max_risk)] = np.nan
    return inside, max_risk


def vulnerability(
    functions: Sequence[str | None], is_home: np.ndarray, mapping: Mapping[str, str]
) -> tuple[np.ndarray, list[str]]:
    """Return each building's class index (into :data:`CLASSES`; -1 none) and unmapped functions.

    A home without a (mapped) function counts as vulnerable.

    Examples
    --------
    >>> idx, unmapped = vulnerability(["School", None, "barn", None],
    ...                               np.array([False, True, False, False]),
    ...                               DEFAULT_FUNCTION_CLASSES)
    >>> idx.tolist(), unmapped
    ([0, 1, -1, -1], ['barn'])
    """
    table = {normalise(k): v for k, v in mapping.items()}
    out = np.full(len(functions), -1, dtype=np.int64)
    unmapped: set[str] = set()
    for i, f in enumerate(functions):
        key = normalise(f)
        cls = table.get(key) if key else None
        if cls is not None:
            out[i] = CLASSES.index(cls)
        elif key:
            unmapped.add(key)
        if out[i] < 0 and is_home[i]:
            out[i] = CLASSES.index("vulnerable")
    return out, sorted(unmapped)


def _zone_stats(
    g: AreaGroups,
    home: np.ndarray,
    dwellings: np.ndarray,
    cls: np.ndarray,
    zones: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    vv, vu = cls == 0, cls == 1
    out: dict[str, np.ndarray] = {
        "homes": g.count(home),
        "dwellings": g.sum(dwellings, where=home),
        "very_vulnerable_buildings": g.count(vv),
        "vulnerable_buildings": g.count(vu),
    }
    for name, flag in zones.items():
        h = home & flag
        out[f"homes_in_{name}"] = g.count(h)
        out[f"dwellings_in_{name}"] = g.sum(dwellings, where=h)
        out[f"share_homes_in_{name}"] = g.share(flag, where=home)
        out[f"share_dwellings_in_{name}"] = g.share(flag, weights=dwellings, where=home)
        out[f"very_vulnerable_in_{name}"] = g.count(vv & flag)
        out[f"vulnerable_in_{name}"] = g.count(vu & flag)
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Test every building against every contour; counts, shares and the Bkl flag per area."""
    homes = read_homes(layers["buildings"], ctx)
    contours = layers["risk_contours"]
    kind = contour_kinds(contours, ctx)
    risk = contours.number("risk_per_year", valid=RISK_RANGE)
    limit = float(params["ir_limit_per_year"])
    ir = kind == KINDS.index("individual_risk")
    missing = ir & ~np.isfinite(risk)
    if missing.any():
        ctx.warn(
            "missing-property",
            "risk_contours",
            f"{int(missing.sum())} individual-risk contours have no 'risk_per_year'; they "
            f"are taken to be the limit contour ({limit:g} per year)",
            int(missing.sum()),
        )
        risk = np.where(missing, limit, risk)
    if not ir.any():
        ctx.note("individual_risk", "no individual-risk contour given: nothing inside it")
    ctx.progress(0.2, "testing buildings against contours")
    geoms = homes.layer.geometries
    inside, max_risk = contour_membership(geoms, contours.geometries, kind, risk)
    in_ir = np.nan_to_num(max_risk, nan=-np.inf) >= limit
    cls, unmapped = vulnerability(
        homes.layer.text("function"), homes.mask, params["function_classes"]
    )
    if unmapped:
        ctx.warn(
            "unmapped-function",
            "buildings",
            f"functions {unmapped[:10]} are not in `function_classes`; those buildings count "
            "as not vulnerable unless they are homes",
            len(unmapped),
        )
    zones = {
        "ir_contour": in_ir,
        **{f"{h}_area": inside[h] for h in HAZARDS},
        "attention_area": inside["fire"] | inside["explosion"] | inside["toxic"],
    }
    home, dw = homes.mask, homes.dwellings
    ctx.progress(0.7, "counting")
    overall = _zone_stats(whole(len(homes)), home, dw, cls, zones)
    result = Metrics(overall={k: float(v[0]) for k, v in overall.items()})
    result.overall["bkl_ir_rule_met"] = bool(overall["very_vulnerable_in_ir_contour"][0] == 0)
    if ctx.groups is not None:
        area: dict[str, Any] = dict(_zone_stats(ctx.groups, home, dw, cls, zones))
        area["bkl_ir_rule_met"] = [bool(v == 0) for v in area["very_vulnerable_in_ir_contour"]]
        result.area = area
    result.feature = {
        "vulnerability": [CLASSES[c] if c >= 0 else None for c in cls.tolist()],
        "ir_per_year": max_risk,
        "in_ir_contour": in_ir.tolist(),
        **{f"in_{h}_area": inside[h].tolist() for h in HAZARDS},
    }
    result.outputs["rules"] = {
        "ir_limit_per_year": limit,
        "bkl_ir_rule": "no very vulnerable building inside the individual-risk contour of "
        f"{limit:g} per year",
        "bkl_ir_rule_met": result.overall["bkl_ir_rule_met"],
        "very_vulnerable_in_ir_contour": int(overall["very_vulnerable_in_ir_contour"][0]),
        "vulnerable_in_ir_contour": int(overall["vulnerable_in_ir_contour"][0]),
        "source": BKL_57,
        "note": "the Bkl limit applies to new (very) vulnerable buildings in the omgevingsplan; "
        "lawful existing situations are respected, so a building inside is a finding, not "
        "by itself a breach",
        "group_risk": "out of scope: group risk needs source models (substances, quantities, "
        "scenarios and the population around them); no number is given",
    }
    return result


def _zone_metrics(name: str, nl: str, en: str, scored: bool) -> tuple[Metric, ...]:
    both = AREA_OVERALL
    return (
        count_metric(f"homes_in_{name}", f"Woningen in {nl}", f"Homes in {en}", both),
        count_metric(
            f"dwellings_in_{name}", f"Wooneenheden in {nl}", f"Dwellings in {en}", both, digits=2
        ),
        share_metric(
            f"share_homes_in_{name}",
            f"Aandeel woningen in {nl}",
            f"Share of homes in {en}",
            f"Homes in {en} ÷ homes.",
            scored=scored,
        ),
        share_metric(
            f"share_dwellings_in_{name}",
            f"Aandeel wooneenheden in {nl}",
            f"Share of dwellings in {en}",
            "The same, by dwellings.",
        ),
        count_metric(
            f"very_vulnerable_in_{name}",
            f"Zeer kwetsbare gebouwen in {nl}",
            f"Very vulnerable buildings in {en}",
            both,
        ),
        count_metric(
            f"vulnerable_in_{name}",
            f"Kwetsbare gebouwen in {nl}",
            f"Vulnerable buildings in {en}",
            both,
        ),
    )


METRICS = (
    *HOME_METRICS,
    count_metric(
        "very_vulnerable_buildings",
        "Zeer kwetsbare gebouwen",
        "Very vulnerable buildings",
        AREA_OVERALL,
    ),
    count_metric(
        "vulnerable_buildings", "Kwetsbare gebouwen", "Vulnerable buildings", AREA_OVERALL
    ),
    *_zone_metrics("ir_contour", "PR-contour", "the individual-risk contour", True),
    *_zone_metrics("fire_area", "brandaandachtsgebied", "the fire area of concern", False),
    *_zone_metrics(
        "explosion_area", "explosieaandachtsgebied", "the explosion area of concern", False
    ),
    *_zone_metrics(
        "toxic_area", "gifwolkaandachtsgebied", "the toxic-cloud area of concern", False
    ),
    *_zone_metrics("attention_area", "een aandachtsgebied", "any area of concern", True),
    metric(
        "bkl_ir_rule_met",
        "Voldoet aan Bkl-regel PR",
        "Bkl individual-risk rule met",
        "boolean",
        levels=AREA_OVERALL,
        description="No very vulnerable building inside the individual-risk contour of "
        "`ir_limit_per_year`.",
    ),
    metric(
        "vulnerability",
        "Kwetsbaarheid",
        "Vulnerability",
        "class",
        levels=("feature",),
        description="very_vulnerable / vulnerable / limited_vulnerable (from `function`).",
    ),
    metric(
        "ir_per_year",
        "Plaatsgebonden risico",
        "Individual risk",
        "per year",
        levels=("feature",),
        direction="lower_is_better",
        digits=10,
        description="Highest risk of the individual-risk contours the building lies in.",
    ),
    flag_metric(
        "in_ir_contour",
        "In PR-contour",
        "In the individual-risk contour",
        "Inside a contour of at least `ir_limit_per_year`.",
    ),
    flag_metric(
        "in_fire_area",
        "In brandaandachtsgebied",
        "In the fire area of concern",
        "Intersects a `fire` contour.",
    ),
    flag_metric(
        "in_explosion_area",
        "In explosieaandachtsgebied",
        "In the explosion area of concern",
        "Intersects an `explosion` contour.",
    ),
    flag_metric(
        "in_toxic_area",
        "In gifwolkaandachtsgebied",
        "In the toxic-cloud area of concern",
        "Intersects a `toxic` contour.",
    ),
)


def _example() -> dict[str, Any]:
    x, y = 121000.0, 487000.0
    return {
        "buildings": rd_collection(
            [
                point_feature(x + 50, y + 50, "h1", dwellings=4),
                point_feature(x + 150, y + 50, "h2", dwellings=1),
                point_feature(x + 250, y + 50, "school", dwellings=0, function="school"),
            ]
        ),
        "risk_contours": rd_collection(
            [
                feature(
                    box(x, y, x + 100, y + 100),
                    "pr6",
                    {"kind": "individual_risk", "risk_per_year": 1e-6},
                ),
                feature(box(x, y, x + 300, y + 100), "fire", {"kind": "fire"}),
            ]
        ),
    }


INDICATORS = (
    Indicator(
        id="external-safety",
        version="1.0.1",
        title={"nl": "Externe veiligheid", "en": "External safety"},
        description={
            "nl": "Woningen en (zeer) kwetsbare gebouwen binnen de plaatsgebonden-risico"
            "contour en de aandachtsgebieden brand, explosie en gifwolk; Bkl-regel als vlag.",
            "en": "Homes and (very) vulnerable buildings inside the individual-risk contour "
            "and the areas of concern for fire, explosion and toxic cloud; the Bkl rule as a "
            "flag.",
        },
        theme="external-safety",
        method=(
            "The user supplies the risk contours (`risk_contours`, polygons with `kind` "
            "individual_risk, fire, explosion or toxic; individual-risk ones with "
            "`risk_per_year`). A building is inside a contour when its footprint (or point) "
            "intersects it, so a building on the contour line is inside. It lies inside the "
            "individual-risk contour when it is inside a contour of at least "
            "`ir_limit_per_year` (default 10⁻⁶ per year, Bkl art. 5.7). Each building's "
            "vulnerability class comes from its `function` through `function_classes` (Bkl "
            "art. 5.3, annex VI; a home without a function is vulnerable). Per neighbourhood "
            "(by the building's representative point) and overall: homes and dwellings inside "
            "each contour (counts and shares, fractions 0–1), very vulnerable and vulnerable "
            "buildings inside, and `bkl_ir_rule_met`: no very vulnerable building inside the "
            "individual-risk contour. The Bkl limit applies to new situations; an existing "
            "building inside is reported, not judged. Group risk (groepsrisico) is out of "
            "scope: it needs source models (substances, quantities, scenarios, population) "
            "and is not given as a number. Scores 1–10 of `share_homes_in_ir_contour` "
            "(headline) and `share_homes_in_attention_area` come from the norm profile."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        inputs=(
            GeoInput(
                "buildings",
                BUILDINGS.title,
                "Homes and other buildings (footprints or points). `function` gives the "
                "vulnerability class (see `function_classes`).",
                BUILDINGS.geometry_types,
                ranges={"dwellings": DWELLINGS_RANGE},
                properties={
                    "dwellings": "number of dwellings (default 1; 0 = not a home)",
                    "function": "use of the building, e.g. school, kinderopvang, verpleeghuis",
                },
            ),
            NEIGHBOURHOODS,
            GeoInput(
                "risk_contours",
                "Risk contours",
                "Individual-risk contours and areas of concern (aandachtsgebieden) as "
                "polygons, e.g. from the Register Externe Veiligheid or a QRA.",
                POLYGONS,
                ranges={"risk_per_year": RISK_RANGE},
                properties={
                    "kind": "individual_risk (pr), fire (brand), explosion (explosie) or "
                    "toxic (gifwolk)",
                    "risk_per_year": "individual risk of the contour, e.g. 1e-6",
                },
            ),
        ),
        parameters=(
            Parameter(
                "ir_limit_per_year",
                "Individual-risk limit",
                "Individual risk per year whose contour is tested (Bkl art. 5.7: 10⁻⁶).",
                "number",
                default=1e-6,
                minimum=1e-9,
                maximum=1e-3,
                unit="per year",
            ),
            Parameter(
                "function_classes",
                "Vulnerability per function",
                "Building function → very_vulnerable, vulnerable or limited_vulnerable (Bkl "
                "annex VI). Replaces the default mapping as a whole.",
                "object",
                default=DEFAULT_FUNCTION_CLASSES,
                annotation=dict[str, VulnerabilityClass],
                schema={"additionalProperties": {"type": "string", "enum": list(CLASSES)}},
            ),
        ),
        outputs=(
            Output(
                "rules",
                "Rules",
                "The Bkl individual-risk rule, whether it is met, and why group risk is not given.",
            ),
        ),
        norms=(
            Norm(
                "ir_limit_per_year",
                1e-6,
                "per year",
                "Individual-risk limit value for (very) vulnerable buildings",
                BKL_57,
                "ir_limit_per_year",
            ),
        ),
        sources=(
            Source("Bkl art. 5.7", BKL_57, BKL_57_URL),
            Source("Bkl art. 5.3, annex VI", BKL_53, BKL_53_URL),
            Source(
                "Aandachtsgebieden",
                "RIVM, Handboek Omgevingsveiligheid: areas of concern for fire (heat "
                "radiation), explosion (overpressure) and toxic cloud.",
                AANDACHT_URL,
            ),
        ),
        keywords=("externe veiligheid", "plaatsgebonden risico", "aandachtsgebied", "Bkl", "GGO"),
        example=_example(),
    ),
)
