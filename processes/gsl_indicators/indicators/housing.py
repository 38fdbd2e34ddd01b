"""``housing-capacity``: the housing monitor and how many dwellings fit before a norm breaks.

Two things per neighbourhood (the *woningbouwmonitor* of a municipality's twin):

* the **monitor**: existing dwellings, and the plan pipeline by status (planned, under
  construction, stopped) and year, per neighbourhood and overall — stopped plans
  included, so construction stops stay visible;
* the **capacity**: for each enabled constraint (an indicator whose norm can be
  expressed per dwelling) the number of dwellings that can be *added* to the
  neighbourhood before its norm breaks, which constraint binds first, and the headroom
  left once the pipeline (planned + under construction, parameter) is built.

**Norms** (parameter ``norm_source``): ``profile`` (default) takes, per neighbourhood,
the chosen norm profile's band minimum for the neighbourhood's area type (DOMAIN:
"norms from the chosen profile", differing between inner city and rural areas);
``parameters`` takes the indicator parameters (``threshold``,
``norm_m2_per_dwelling``, ``proximity_min_share``) everywhere. See
:func:`constraint_norms`.

Capacities are per neighbourhood, each computed as if only that neighbourhood grows.
Where the indicator is linear in dwellings the answer is exact (parking:
(norm × supply − demand) ÷ places per new dwelling; green per dwelling:
green ÷ norm − dwellings); otherwise it is found by a bisection on the number of added
dwellings that runs for all neighbourhoods at once (one kernel evaluation per step).
The output says which ("method").

**Where added dwellings go** (parameter ``placement``): ``existing`` (default) spreads
them like the neighbourhood's existing dwellings (a neighbourhood without any: at its
point on surface); ``plan`` puts them where the neighbourhood's pipeline is (else as
``existing``); ``centroid`` at the neighbourhood's point on surface. The choice matters
for location-dependent constraints (parking zones, facility proximity).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.assemble import area_keys
from gsl_indicators.core.examples import id_box_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer, zone_index
from gsl_indicators.core.metrics import FRACTION, AreaGroups, Metric, Metrics, finite, metric
from gsl_indicators.core.prepared import prepared_copy
from gsl_indicators.core.scoring import (
    PROFILE_PARAMETERS,
    Profile,
    area_types_of,
    band_of,
    resolve_profile,
)
from gsl_indicators.core.spec import (
    ANY_GEOMETRY,
    LINES,
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
from gsl_indicators.core.wording import counted
from gsl_indicators.indicators import parking

__all__ = [
    "CONSTRAINTS",
    "CONSTRAINT_IDS",
    "EXAMPLE",
    "HOUSING_PARAMETERS",
    "INDICATORS",
    "METRICS",
    "NORM_DIRECTIONS",
    "NORM_SOURCES",
    "PROFILE_NORMS",
    "REASONS",
    "STATUSES",
    "UNKNOWN",
    "Capacity",
    "Norms",
    "Site",
    "Unavailable",
    "binding",
    "bisect_capacity",
    "compute",
    "constraint_metrics",
    "constraint_norms",
    "constraint_report",
    "effective_norm_source",
    "floor_fit",
    "green_constraint",
    "group_min",
    "monitor_metrics",
    "monitor_output",
    "norm_columns",
    "pair_fit",
    "parking_constraint",
    "placement",
    "prefix",
    "profile_norm",
    "proximity_constraint",
    "read_site",
    "status_code",
    "status_metric",
    "zone_demand",
    "zone_shares",
]

STATUSES: tuple[str, ...] = ("planned", "under-construction", "stopped")
_STATUS_ALIASES = {  # keys lower case, "-" and "_" read as spaces
    "planned": "planned",
    "plan": "planned",
    "gepland": "planned",
    "in voorbereiding": "planned",
    "under construction": "under-construction",
    "construction": "under-construction",
    "in aanbouw": "under-construction",
    "aanbouw": "under-construction",
    "stopped": "stopped",
    "stop": "stopped",
    "gestopt": "stopped",
    "bouwstop": "stopped",
    "cancelled": "stopped",
}
UNKNOWN = "unknown"
# A plan feature's year of completion, refused outside it (the description shows it).
YEAR_RANGE = (1800.0, 2300.0)
CONSTRAINT_IDS: tuple[str, ...] = (
    "parking-pressure",
    "green-per-dwelling",
    "proximity-facilities",
)


def status_code(value: Any) -> str:
    """Return the canonical plan status (Dutch aliases allowed), else ``"unknown"``.

    Examples
    --------
    >>> [status_code(v) for v in ("planned", "In aanbouw", "bouwstop", None, "x")]
    ['planned', 'under-construction', 'stopped', 'unknown', 'unknown']
    """
    if not isinstance(value, str):
        return UNKNOWN
    key = " ".join(value.lower().replace("_", " ").replace("-", " ").split())
    return _STATUS_ALIASES.get(key, UNKNOWN)


# --------------------------------------------------------------------------- search


def floor_fit(k: np.ndarray) -> np.ndarray:
    """Return whole dwellings that fit from a real-valued break point (NaN-safe).

    Examples
    --------
    >>> floor_fit(np.array([2.9999999999, 3.5, -0.5, np.inf])).tolist()
    [3.0, 3.0, -1.0, inf]
    """
    return np.floor(np.asarray(k, dtype=float) + 1e-6)


def bisect_capacity(
    fits: Callable[[np.ndarray], np.ndarray], n: int, upper: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the largest whole number of added dwellings that still fits, per group.

    ``fits(k)`` takes an array of added dwellings (one per group) and returns whether
    each group still meets its norm; it must be monotone (true up to a point, then
    false). All groups are searched at once, so the kernel runs about log2(upper) times.

    Returns
    -------
    k : numpy.ndarray
        Largest k in [0, upper] that fits (0 where even 0 does not).
    broken : numpy.ndarray of bool
        The norm is broken before anything is added.
    unbounded : numpy.ndarray of bool
        Even ``upper`` added dwellings fit.

    Examples
    --------
    >>> k, broken, unbounded = bisect_capacity(lambda k: k <= np.array([7, -1, 50, 1e9]), 4, 1000)
    >>> k.tolist(), broken.tolist(), unbounded.tolist()
    ([7.0, 0.0, 50.0, 1000.0], [False, True, False, False], [False, False, False, True])
    """
    ok0 = np.asarray(fits(np.zeros(n)), dtype=bool)
    ok_u = np.asarray(fits(np.full(n, float(upper))), dtype=bool)
    lo = np.zeros(n)
    hi = np.full(n, float(upper))
    active = ok0 & ~ok_u
    while active.any():
        mid = np.floor((lo + hi) / 2)
        r = np.asarray(fits(np.where(active, mid, lo)), dtype=bool)
        lo = np.where(active & r, mid, lo)
        hi = np.where(active & ~r, mid, hi)
        active &= hi - lo > 1
    k = np.where(ok_u, float(upper), np.where(ok0, lo, 0.0))
    return k, ~ok0, ok_u


def group_min(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Return the minimum of ``values`` per group index (``inf`` for empty groups).

    Examples
    --------
    >>> group_min(np.array([0, 0, 2]), np.array([5.0, 3.0, 1.0]), 3).tolist()
    [3.0, inf, 1.0]
    """
    out = np.full(n, np.inf)
    np.minimum.at(out, groups, values)
    return out


# --------------------------------------------------------------------------- inputs


@dataclass
class Site:
    """Homes, plan and neighbourhoods located once, shared by every constraint."""

    nbh: Layer
    n: int
    home_pts: np.ndarray
    home_dwellings: np.ndarray
    home_types: list[str | None]
    home_floor: np.ndarray
    home_nbh: np.ndarray
    plan_pts: np.ndarray
    plan_dwellings: np.ndarray
    plan_types: list[str | None]
    plan_floor: np.ndarray
    plan_nbh: np.ndarray
    plan_status: np.ndarray
    plan_year: list[int | None]
    pipeline: np.ndarray  # bool per plan feature: counted in the headroom
    place_pts: np.ndarray  # where added dwellings go
    place_w: np.ndarray  # weight, summing to 1 per neighbourhood
    place_nbh: np.ndarray
    placement_used: list[str] = field(default_factory=list)

    @property
    def homes(self) -> AreaGroups:
        """The existing homes grouped by neighbourhood."""
        return AreaGroups(self.home_nbh, self.n)

    @property
    def plans(self) -> AreaGroups:
        """The plan features grouped by neighbourhood."""
        return AreaGroups(self.plan_nbh, self.n)


def _years(layer: Layer) -> list[int | None]:
    out: list[int | None] = []
    for v in layer.number("year", math.nan, valid=YEAR_RANGE).tolist():
        out.append(int(v) if finite(v) and float(v).is_integer() else None)
    return out


def placement(
    nbh_geoms: np.ndarray,
    mode: str,
    home_pts: np.ndarray,
    home_w: np.ndarray,
    home_nbh: np.ndarray,
    plan_pts: np.ndarray,
    plan_w: np.ndarray,
    plan_nbh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Return where added dwellings go: points, weights (sum 1 per neighbourhood), groups.

    ``mode`` is ``existing``, ``plan`` or ``centroid``; neighbourhoods without the
    chosen kind of feature fall back (plan → existing → centroid). The fourth value says
    which rule each neighbourhood got.

    Examples
    --------
    >>> nb = shapely.box([0, 10], 0, [10, 20], 10)
    >>> pts, w, g, used = placement(nb, "existing", shapely.points([[1, 1], [2, 2]]),
    ...     np.array([1.0, 3.0]), np.array([0, 0]), np.empty(0, object), np.empty(0),
    ...     np.empty(0, np.int64))
    >>> w.tolist(), g.tolist(), used
    ([0.25, 0.75, 1.0], [0, 0, 1], ['existing', 'centroid'])
    """
    n = len(nbh_geoms)
    used = np.full(n, "", dtype=object)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def take(pts: np.ndarray, w: np.ndarray, g: np.ndarray, label: str) -> None:
        ok = (g >= 0) & (w > 0)
        tot = np.bincount(g[ok], weights=w[ok], minlength=n)
        sel = ok & (used[np.where(g >= 0, g, 0)] == "") & (tot[np.where(g >= 0, g, 0)] > 0)
        if sel.any():
            chunks.append((pts[sel], w[sel] / tot[g[sel]], g[sel]))
            used[np.unique(g[sel])] = label

    if mode == "plan":
        take(plan_pts, plan_w, plan_nbh, "plan")
    if mode in ("plan", "existing"):
        take(home_pts, home_w, home_nbh, "existing")
    rest = np.flatnonzero(used == "")
    if len(rest):
        chunks.append((shapely.point_on_surface(nbh_geoms[rest]), np.ones(len(rest)), rest))
        used[rest] = "centroid"
    pts = np.concatenate([c[0] for c in chunks]) if chunks else np.empty(0, dtype=object)
    w = np.concatenate([c[1] for c in chunks]) if chunks else np.empty(0)
    g = np.concatenate([c[2] for c in chunks]).astype(np.int64) if chunks else np.empty(0, np.int64)
    return pts, w, g, [str(u) for u in used.tolist()]


def read_site(layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context) -> Site:
    """Read homes, plan and neighbourhoods; locate them; decide where added dwellings go."""
    nbh = layers["neighbourhoods"]
    if not len(nbh):
        raise InputError("neighbourhoods", "no neighbourhoods given; capacity is per neighbourhood")
    geoms = prepared_copy(nbh.geometries)  # never the shared layer's own (core/prepared.py)
    tree = shapely.STRtree(geoms)
    hp, hd, ht, hf = parking.read_homes(layers["dwellings"], ctx)
    home_nbh = zone_index(hp, tree)
    plan = layers.get("plan")
    if plan is not None and len(plan):
        pp, pd, pt, pf = parking.read_homes(plan, ctx)
        status = np.asarray([status_code(s) for s in plan.text("status")], dtype=object)
        years = _years(plan)
        plan_nbh = zone_index(pp, tree)
    else:
        pp, pd, pt, pf = np.empty(0, object), np.empty(0), [], np.empty(0)
        status, years, plan_nbh = np.empty(0, object), [], np.empty(0, np.int64)
    unknown = int((status == UNKNOWN).sum())
    if unknown:
        ctx.warn(
            "plan-status-unknown",
            "plan",
            f"{unknown} plan features have no status of {list(STATUSES)}; they are shown as "
            "'unknown' in the monitor and left out of the pipeline",
            unknown,
        )
    pipeline_statuses = {status_code(s) for s in params["pipeline_statuses"]}
    pipeline = np.isin(status, list(pipeline_statuses)) if len(status) else np.zeros(0, bool)
    for name, idx in (("dwellings", home_nbh), ("plan", plan_nbh)):
        out = int((idx < 0).sum())
        if out:
            ctx.warn(
                "outside-neighbourhoods",
                name,
                f"{counted(out, 'feature lies', 'features lie')} in no neighbourhood; counted in the overall monitor only",
                out,
            )
    pts, w, g, used = placement(
        geoms,
        params["placement"],
        hp,
        hd,
        home_nbh,
        pp[pipeline] if len(pp) else pp,
        pd[pipeline] if len(pd) else pd,
        plan_nbh[pipeline] if len(plan_nbh) else plan_nbh,
    )
    return Site(
        nbh=nbh,
        n=len(nbh),
        home_pts=hp,
        home_dwellings=hd,
        home_types=ht,
        home_floor=hf,
        home_nbh=home_nbh,
        plan_pts=pp,
        plan_dwellings=pd,
        plan_types=pt,
        plan_floor=pf,
        plan_nbh=plan_nbh,
        plan_status=status,
        plan_year=years,
        pipeline=pipeline,
        place_pts=pts,
        place_w=w,
        place_nbh=g,
        placement_used=used,
    )


# --------------------------------------------------------------------------- monitor


def status_metric(status: str) -> str:
    """Return the metric id of the dwellings of a plan status.

    Examples
    --------
    >>> status_metric("under-construction"), status_metric("unknown")
    ('under_construction_dwellings', 'unknown_dwellings')
    """
    return f"{status.replace('-', '_')}_dwellings"


def monitor_metrics(site: Site) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the monitor's metrics per neighbourhood and overall.

    Existing dwellings, plan dwellings of each status (``unknown`` included) and the
    pipeline (the plan statuses counted as built for the headroom). Overall counts
    every feature, also those in no neighbourhood.

    Examples
    --------
    >>> site = Site(nbh=None, n=2, home_pts=None, home_dwellings=np.array([7.0, 3.0]),
    ...     home_types=[], home_floor=None, home_nbh=np.array([0, 1]), plan_pts=None,
    ...     plan_dwellings=np.array([10.0, 4.0, 1.0]), plan_types=[], plan_floor=None,
    ...     plan_nbh=np.array([0, 0, -1]),
    ...     plan_status=np.array(["planned", "stopped", "stopped"], dtype=object),
    ...     plan_year=[2026, 2025, 2024], pipeline=np.array([True, False, False]),
    ...     place_pts=None, place_w=None, place_nbh=None)
    >>> area, overall = monitor_metrics(site)
    >>> area["stopped_dwellings"].tolist(), overall["stopped_dwellings"], overall["pipeline_dwellings"]
    ([4.0, 0.0], 5.0, 10.0)
    """
    area: dict[str, Any] = {"existing_dwellings": site.homes.sum(site.home_dwellings)}
    overall: dict[str, Any] = {
        "neighbourhoods": site.n,
        "existing_dwellings": float(site.home_dwellings.sum()),
    }
    for status in (*STATUSES, UNKNOWN, "pipeline"):
        sel = site.pipeline if status == "pipeline" else site.plan_status == status
        area[status_metric(status)] = site.plans.sum(site.plan_dwellings, where=sel)
        overall[status_metric(status)] = float(site.plan_dwellings[sel].sum())
    return area, overall


def monitor_output(site: Site) -> dict[str, Any]:
    """Return the ``monitor`` output: the plan pipeline by status and year.

    ``by_neighbourhood`` is a table (one row per neighbourhood, status and year, with the
    neighbourhood's ``area_id``); ``by_status_year`` and ``by_year`` are the overall
    cross tables, ``outside_neighbourhoods`` the plans in no neighbourhood.
    """
    keys = area_keys(site.nbh)
    cells: dict[tuple[int, str, str], float] = {}
    for status, year, d, g in zip(
        site.plan_status.tolist(),
        site.plan_year,
        site.plan_dwellings.tolist(),
        site.plan_nbh.tolist(),
        strict=True,
    ):
        key = (g, str(status), str(year) if year is not None else UNKNOWN)
        cells[key] = cells.get(key, 0.0) + d
    overall: dict[str, dict[str, float]] = {}
    outside: dict[str, dict[str, float]] = {}
    rows = []
    for (g, s, y), d in sorted(cells.items(), key=lambda c: (c[0][0] < 0, c[0])):
        cell = overall.setdefault(s, {})
        cell[y] = cell.get(y, 0.0) + d
        if g < 0:
            outside.setdefault(s, {})[y] = round(d, 3)
        else:
            yr = None if y == UNKNOWN else int(y)
            rows.append({"area_id": keys[g], "status": s, "year": yr, "dwellings": round(d, 3)})
    by_year: dict[str, dict[str, float]] = {}
    for s, years in overall.items():
        for y in years:
            years[y] = round(years[y], 3)
            by_year.setdefault(y, {})[s] = years[y]
    return {
        "pipeline_statuses": sorted({str(s) for s in site.plan_status[site.pipeline].tolist()}),
        "by_neighbourhood": rows,
        "by_status_year": _sorted(overall),
        "by_year": _sorted(by_year),
        "outside_neighbourhoods": _sorted(outside),
    }


def _sorted(m: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {s: dict(sorted(m[s].items())) for s in sorted(m)}


PROFILE_NORMS: dict[str, tuple[str, str]] = {
    "parking-pressure": ("threshold", "pressure"),
    "green-per-dwelling": ("norm_m2_per_dwelling", "green_per_dwelling_m2"),
    "proximity-facilities": ("proximity_min_share", "all_dwelling_share_{proximity_profile}"),
}
"""Per constraint: the parameter that sets its norm, and the norm-profile metric it matches."""


def profile_norm(
    profile: Profile,
    constraint: str,
    params: Mapping[str, Any],
    area_types: list[str | None],
    used: str | None = None,
) -> dict[str, Any]:
    """Show a constraint's norm parameter beside the profile band of the same norm.

    The profile's band minimum (score 6) is what the scoreboard calls the legal or
    agreed minimum, per area type; the parameter is one value for every neighbourhood.
    ``norm_source`` decides which of the two the capacity uses (see
    :func:`constraint_norms`). This names both, per band that applies to the
    neighbourhoods, and whether they agree, so two stakeholders can see where they
    differ.

    Examples
    --------
    >>> from gsl_indicators.core.scoring import resolve_profile
    >>> d = profile_norm(resolve_profile({}), "parking-pressure", {"threshold": 0.85}, ["2", "1"])
    >>> d["profile_minimum"], d["agrees_with_profile"]
    ({'default': 0.85, 'binnenstad': 0.9}, False)
    """
    param, metric = PROFILE_NORMS[constraint]
    metric = metric.format(proximity_profile=params.get("proximity_profile"))
    value = float(params[param])
    out: dict[str, Any] = {
        "parameter": param,
        "value": value,
        "profile": profile.name,
        "profile_metric": f"{constraint}.{metric}",
    }
    minimum: dict[str, float] = {}
    for at in dict.fromkeys(area_types):
        band = band_of(profile, constraint, metric, at)
        if band is None:
            out["profile_minimum"] = None
            out["agrees_with_profile"] = None
            out["note"] = f"profile '{profile.name}' has no band for {constraint}.{metric}"
            return out
        minimum[band["band_area_type"]] = band["minimum"]
    out["profile_minimum"] = minimum
    out["agrees_with_profile"] = all(math.isclose(m, value) for m in minimum.values())
    if used == "request":
        out["note"] = (
            f"the capacity uses the parameter '{param}' = {value:g} set in the request "
            "(an explicit parameter wins over the profile for its request); the "
            "profile's band minimum (score 6) per area type is shown beside it and still "
            "gives the scores"
        )
    elif (used or params.get("norm_source", "parameters")) == "profile":
        out["note"] = (
            "the capacity uses the profile's band minimum (score 6) of each "
            f"neighbourhood's area type; the parameter '{param}' = {value:g} is shown "
            "beside it and not used"
        )
    else:
        out["note"] = (
            f"the capacity uses the parameter '{param}' = {value:g} in every neighbourhood "
            "(norm_source 'parameters'); the profile's band minimum (score 6) per area type "
            "is shown beside it"
        )
    return out


NORM_DIRECTIONS: dict[str, str] = {
    "parking-pressure": "lower_is_better",
    "green-per-dwelling": "higher_is_better",
    "proximity-facilities": "higher_is_better",
}
"""Per constraint: on which side of its norm a neighbourhood is fine.

Parking pressure must stay at or below the norm; green per dwelling and the share of
dwellings within reach at or above it. A profile metric of the other direction cannot
be a capacity norm.
"""

NORM_SOURCES: tuple[str, ...] = ("profile", "parameters")


@dataclass
class Norms:
    """The norm of one constraint in each neighbourhood, and where each value came from.

    Attributes
    ----------
    values : numpy.ndarray
        The norm per neighbourhood (pressure limit, m² per dwelling, or share).
    source : list of str
        ``"profile"`` (the band minimum) or ``"parameters"`` per neighbourhood.
    band_area_type : list of str or None
        The profile band applied (after the profile's fallbacks, ``"default"`` for the
        default band); ``None`` where the parameter applies.
    parameter : str
        The indicator parameter of this norm (``threshold`` ...).
    metric : str
        The profile metric of this norm (``parking-pressure.pressure`` ...).
    reason : str
        Why this source: ``"request"`` (the request set the parameter itself, so it
        wins for this request), ``"norm_source"`` (``norm_source`` chose it, or its
        default ``profile``) or ``"profile-norm-missing"`` (the profile has no band).
    """

    values: np.ndarray
    source: list[str]
    band_area_type: list[str | None]
    parameter: str
    metric: str
    reason: str = "norm_source"

    def used(self) -> dict[str, float]:
        """Return the distinct norms applied: band area type (or ``"parameter"``) → value.

        Examples
        --------
        >>> Norms(np.array([0.9, 0.85, 0.9]), ["profile"] * 3,
        ...       ["binnenstad", "default", "binnenstad"], "threshold", "p.pressure").used()
        {'binnenstad': 0.9, 'default': 0.85}
        """
        out: dict[str, float] = {}
        for key, v in zip(self.band_area_type, self.values.tolist(), strict=True):
            out.setdefault("parameter" if key is None else key, float(v))
        return out


def effective_norm_source(
    constraint: str,
    params: Mapping[str, Any],
    explicit: frozenset[str],
    *,
    profile_has_band: bool = True,
) -> tuple[str, str]:
    """Return ``(norm source, reason)`` of one constraint: an explicit parameter wins.

    A parameter the request set itself (``threshold`` ...) is never silently overruled
    by the profile: without an explicit ``norm_source`` it is used for this constraint
    (reason ``"request"``); together with an explicit ``norm_source: "profile"`` the
    request asks for two different norms, and a 400 names the parameter and both
    choices (not when the profile has no band for the metric: then only the parameter
    can apply). Otherwise ``norm_source`` decides (reason ``"norm_source"``).

    Raises
    ------
    InputError
        Naming the norm parameter when ``norm_source`` ``"profile"`` and the parameter
        are both set by the request.

    Examples
    --------
    >>> effective_norm_source("parking-pressure", {"norm_source": "profile"}, frozenset())
    ('profile', 'norm_source')
    >>> effective_norm_source("parking-pressure", {"norm_source": "profile"},
    ...                       frozenset({"threshold"}))
    ('parameters', 'request')
    >>> try:
    ...     effective_norm_source("parking-pressure", {"norm_source": "profile",
    ...                           "threshold": 0.85}, frozenset({"threshold", "norm_source"}))
    ... except InputError as err:
    ...     print(err.input_name)
    threshold
    """
    param = PROFILE_NORMS[constraint][0]
    source = str(params.get("norm_source", "parameters"))
    if param in explicit:
        if source == "profile" and "norm_source" in explicit and profile_has_band:
            raise InputError(
                param,
                f"'{param}' = {float(params[param]):g} and norm_source 'profile' ask for "
                f"two different {constraint} norms: drop '{param}' to use the profile's "
                f"band minimum per area type, or set norm_source 'parameters' (or leave it "
                f"out) to use {float(params[param]):g}",
            )
        return "parameters", "request"
    return source, "norm_source"


def constraint_norms(
    profile: Profile,
    constraint: str,
    params: Mapping[str, Any],
    area_types: list[str | None],
    ctx: Context | None = None,
) -> Norms:
    """Return the norm of ``constraint`` in each neighbourhood.

    A norm parameter the request set itself wins over the profile for that request
    (see :func:`effective_norm_source`; ``ctx.explicit`` names what the request set).

    With ``norm_source`` ``"profile"`` each neighbourhood gets the band **minimum**
    (score 6: the legal minimum or the maximum tolerable value) of its area type in the
    chosen profile (per-type band, else along the profile's fallback chain, else the
    ``default`` band). The capacity is then the number of dwellings until the indicator
    reaches that minimum: parking pressure rises up to it (lower is better), green per
    dwelling and the share within reach fall down to it (higher is better). With
    ``"parameters"`` the indicator parameter applies everywhere. A profile without the
    metric (say a ``proximity_profile`` it has no band for) leaves the parameter in
    place, with a ``profile-norm-missing`` warning.

    Raises
    ------
    InputError
        Naming ``profile_override`` (or ``profile``) when the profile's metric has the
        wrong direction for a capacity norm.

    Examples
    --------
    >>> from gsl_indicators.core.scoring import resolve_profile
    >>> params = {"norm_source": "profile", "threshold": 0.85}
    >>> n = constraint_norms(resolve_profile({}), "parking-pressure", params,
    ...                      ["1", "dorps-wonen", None])
    >>> n.values.tolist(), n.band_area_type, n.source[0]
    ([0.9, 0.85, 0.85], ['binnenstad', 'default', 'default'], 'profile')
    >>> p = constraint_norms(resolve_profile({}), "parking-pressure",
    ...                      {**params, "norm_source": "parameters"}, ["1"])
    >>> p.values.tolist(), p.band_area_type, p.used()
    ([0.85], [None], {'parameter': 0.85})
    """
    param, metric = PROFILE_NORMS[constraint]
    metric = metric.format(proximity_profile=params.get("proximity_profile"))
    n = len(area_types)
    value = float(params[param])

    def from_parameter(reason: str) -> Norms:
        return Norms(np.full(n, value), ["parameters"] * n, [None] * n, param, metric, reason)

    norm = profile.metric(constraint, metric)
    explicit = ctx.explicit if ctx is not None else frozenset()
    if norm is None and params.get("norm_source", "parameters") == "profile":
        source, reason = "profile", "norm_source"
    else:
        source, reason = effective_norm_source(
            constraint, params, explicit, profile_has_band=norm is not None
        )
    if source != "profile":
        return from_parameter(reason)
    if norm is None:
        if ctx is not None:
            ctx.warn(
                "profile-norm-missing",
                "profile",
                f"profile '{profile.name}' has no band for {constraint}.{metric}; the "
                f"{constraint} capacity uses the parameter '{param}' = {value:g}",
            )
        return from_parameter("profile-norm-missing")
    if norm.direction != NORM_DIRECTIONS[constraint]:
        raise InputError(
            "profile_override" if params.get("profile_override") else "profile",
            f"indicators.{constraint}.metrics.{metric}: direction {norm.direction} cannot "
            f"be a capacity norm ({constraint} needs {NORM_DIRECTIONS[constraint]})",
        )
    keys = {at: profile.band_key(norm, at) for at in dict.fromkeys(area_types)}
    band_keys: list[str | None] = [keys[at] for at in area_types]
    values = np.array([norm.bands[str(k)].minimum for k in band_keys], dtype=float)
    return Norms(values, ["profile"] * n, band_keys, param, metric, reason)


# --------------------------------------------------------------------------- constraints


class Unavailable(Exception):
    """A constraint cannot be evaluated (indicator not built, or an input missing)."""


@dataclass
class Capacity:
    """Result of one constraint: dwellings that fit, before and after the pipeline."""

    fit: np.ndarray  # real-valued break point (exact) or whole k (bisection); may be < 0
    fit_after_plan: np.ndarray
    method: str  # "exact" | "bisection"
    norm: dict[str, Any]
    broken: np.ndarray | None = None  # bisection: broken before adding anything
    broken_after_plan: np.ndarray | None = None
    unbounded: np.ndarray | None = None
    unbounded_after_plan: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def whole(self, after_plan: bool = False) -> np.ndarray:
        """Return the whole dwellings that fit, at least 0; ``inf`` where unbounded.

        Examples
        --------
        >>> cap = Capacity(np.array([2.5, -3.0, np.inf]), np.zeros(3), "exact", {})
        >>> cap.whole().tolist(), cap.is_broken().tolist()
        ([2.0, 0.0, inf], [False, True, False])
        """
        k = np.maximum(floor_fit(self.fit_after_plan if after_plan else self.fit), 0.0)
        unbounded = self.unbounded_after_plan if after_plan else self.unbounded
        return k if unbounded is None else np.where(unbounded, np.inf, k)

    def is_broken(self, after_plan: bool = False) -> np.ndarray:
        """Return where the norm is broken before anything is added."""
        broken = self.broken_after_plan if after_plan else self.broken
        if broken is not None:
            return broken
        return (self.fit_after_plan if after_plan else self.fit) < -1e-9

    def columns(self, prefix: str) -> dict[str, Any]:
        """Return the per-neighbourhood metrics of this constraint (ids ``<prefix>_...``).

        Capacities are NaN (null) where unbounded; the exact method adds the real-valued
        margins, and array ``details`` become columns of their own.
        """
        cols: dict[str, Any] = {}
        for after, name in ((False, "capacity"), (True, "headroom_after_plan")):
            k = self.whole(after)
            cols[f"{prefix}_{name}"] = np.where(np.isinf(k), np.nan, k)
        cols[f"{prefix}_broken"] = self.is_broken()
        cols[f"{prefix}_broken_after_plan"] = self.is_broken(after_plan=True)
        if self.method == "exact":
            for fit, name in (
                (self.fit, "margin_dwellings"),
                (self.fit_after_plan, "margin_after_plan"),
            ):
                cols[f"{prefix}_{name}"] = np.where(np.isinf(fit), np.nan, fit)
        for detail, v in self.details.items():
            if isinstance(v, np.ndarray):
                cols[f"{prefix}_{detail}"] = v
        return cols


def zone_demand(homes: parking.LocatedHomes, n: int) -> np.ndarray:
    """Return the parking demand per zone: Σ dwellings × places per dwelling.

    Computed here from the parking kernel's per-home norms (:func:`parking.homes_norms`)
    with :class:`AreaGroups`, so the capacity needs no part of parking's report.
    """
    return AreaGroups(homes.zone, n).sum(homes.dwellings * homes.places)


def zone_shares(
    place_nbh: np.ndarray, place_zone: np.ndarray, place_w: np.ndarray, n_zones: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the (neighbourhood, zone) pairs of the placement and each pair's share.

    Placement points in no zone (``place_zone`` -1) are left out.

    Examples
    --------
    >>> g, z, w = zone_shares(np.array([0, 0, 0, 1]), np.array([2, 2, 0, -1]),
    ...                       np.array([0.5, 0.25, 0.25, 1.0]), 3)
    >>> g.tolist(), z.tolist(), w.tolist()
    ([0, 0], [0, 2], [0.25, 0.75])
    """
    ok = place_zone >= 0
    keys, inv = np.unique(place_nbh[ok] * n_zones + place_zone[ok], return_inverse=True)
    w = np.bincount(inv, weights=place_w[ok])
    return keys // max(n_zones, 1), keys % max(n_zones, 1), w


def pair_fit(
    limit: np.ndarray, supply: np.ndarray, demand: np.ndarray, places: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """Return the dwellings a neighbourhood can add before one zone's pressure exceeds ``limit``.

    Per (neighbourhood, zone) pair: ``(limit × supply − demand) ÷ places per new
    dwelling ÷ the share of the added dwellings going to the zone``
    (:func:`parking.dwellings_that_fit` with the neighbourhood's own limit); ``inf``
    where new dwellings need no places.

    Examples
    --------
    >>> pair_fit(np.array([0.8, 0.8, 0.8]), np.array([50.0, 20, 10]), np.array([30.0, 10, 5]),
    ...          np.array([1.0, 1.0, 0.0]), np.array([0.75, 0.25, 1.0])).round(2).tolist()
    [13.33, 24.0, inf]
    """
    margin = limit * supply - demand
    with np.errstate(divide="ignore", invalid="ignore"):
        per_zone = np.where(places > 0, margin / np.where(places > 0, places, 1.0), np.inf)
        per_pair = per_zone / share
    return np.where(np.isnan(per_pair), np.inf, per_pair)


def parking_constraint(
    site: Site,
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    norm: np.ndarray,
) -> Capacity:
    """Dwellings that fit before parking pressure exceeds the norm (exact).

    Zones are the ``zones`` input, else the neighbourhoods themselves. Added dwellings
    of ``new_dwelling_type`` go to the zones of the neighbourhood's placement points;
    the neighbourhood's capacity is the smallest over those zones of
    ``(norm × supply − demand) ÷ (share of the added dwellings in the zone ×
    places per new dwelling there)``, with the pressure limit ``norm`` of the
    neighbourhood (one value per neighbourhood, see :func:`constraint_norms`).
    """
    if layers.get("parking") is None:
        raise Unavailable("input 'parking' is not given")
    zones_layer = layers.get("zones") or site.nbh
    table = parking.norm_table(params["norm_table"])
    zones, home_zone = parking.prepare_zones(
        zones_layer, site.home_pts, site.home_dwellings, layers["parking"], params, ctx
    )
    nz = len(zones_layer)
    default_type = params["default_dwelling_type"]
    homes, unknown = parking.homes_norms(
        table,
        zones,
        home_zone,
        site.home_dwellings,
        site.home_types,
        site.home_floor,
        default_type,
    )
    parking.warn_type_default_unread(ctx, any_defaulted=unknown > 0)
    demand = zone_demand(homes, nz)
    if table.example:
        ctx.warn(
            "example-norm-table",
            "norm_table",
            f"norm table '{table.name}' is an EXAMPLE with illustrative figures, not CROW "
            "parkeerkencijfers; supply your municipality's own table",
        )
    new_type = params["new_dwelling_type"] or table.default_dwelling_type
    if new_type not in table.types:
        raise InputError(
            "new_dwelling_type",
            f"'{new_type}' is not a dwelling type of norm table '{table.name}' "
            f"(types: {list(table.types)})",
        )
    # plan features without their own type are of the new dwelling type
    ptypes = [t if t in table.types else new_type for t in site.plan_types]
    sel = site.pipeline
    plan_zone = zone_index(site.plan_pts[sel], zones.tree) if sel.any() else np.empty(0, int)
    plan_h, _ = parking.homes_norms(
        table,
        zones,
        plan_zone,
        site.plan_dwellings[sel],
        [t for t, s in zip(ptypes, sel.tolist(), strict=True) if s],
        site.plan_floor[sel],
        new_type,
    )
    demand_plan = demand + zone_demand(plan_h, nz)
    t_new, _ = table.type_index([new_type], new_type)
    places_new = (
        table.norms(np.full(nz, t_new[0]), zones.urbanity_class, zones.location)[0]
        if nz
        else np.zeros(0)
    )
    pz = zone_index(site.place_pts, zones.tree)
    g, z, w = zone_shares(site.place_nbh, pz, site.place_w, nz)
    lost = np.bincount(site.place_nbh[pz < 0], minlength=site.n) > 0
    if lost.any():
        ctx.warn(
            "placement-outside-zones",
            "zones",
            f"in {counted(int(lost.sum()), 'neighbourhood', 'neighbourhoods')} some added dwellings would lie in no parking "
            "zone; they are left out of the parking constraint",
            int(lost.sum()),
        )

    empty = (zones.supply[z] <= 0) & (places_new[z] > 0)
    if empty.any():
        # Parking data that covers part of the area (one district's count) would bind
        # every other neighbourhood at 0, each for the same reason: say so.
        held = np.bincount(g[empty], minlength=site.n) > 0
        ctx.warn(
            "no-parking-supply",
            "parking",
            f"in {counted(int(held.sum()), 'neighbourhood', 'neighbourhoods')} added dwellings "
            "would go to a parking zone without any place in 'parking', so none fit under "
            "the parking constraint there; give the parking places of those zones (or "
            "leave parking-pressure out of 'constraints')",
            int(held.sum()),
        )

    limit = np.asarray(norm, dtype=float)[g]  # the pressure limit of each pair's neighbourhood

    def fit(dem: np.ndarray) -> np.ndarray:
        per_pair = pair_fit(limit, zones.supply[z], dem[z], places_new[z], w)
        return group_min(g, per_pair, site.n)

    return Capacity(
        fit=fit(demand),
        fit_after_plan=fit(demand_plan),
        method="exact",
        norm={
            "norm_table": table.name,
            "norm_table_example": table.example,
            "new_dwelling_type": new_type,
            "zones": "zones" if layers.get("zones") is not None else "neighbourhoods",
        },
        details={"dwelling_type_defaulted": unknown},
    )


def proximity_constraint(
    site: Site,
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    norm: np.ndarray,
) -> Capacity:
    """Dwellings that fit before the share within reach of every facility type drops.

    The norm: the share of the neighbourhood's dwellings that have every facility type
    within the reach of mobility profile ``proximity_profile`` stays at or above
    ``norm`` (one minimum share per neighbourhood, see :func:`constraint_norms`). Distances come from the ``proximity-facilities`` kernel
    (same modes and parameters). Adding k dwellings at the placement points changes the
    share to (A + k·f) ÷ (B + k); the largest k that keeps the norm is found by
    bisection over all neighbourhoods at once.
    """
    try:
        from gsl_indicators.indicators import proximity
    except ImportError as err:  # pragma: no cover - built in this version
        raise Unavailable(f"the proximity-facilities indicator is not available: {err}") from None
    if layers.get("facilities") is None:
        raise Unavailable("input 'facilities' is not given")
    reaches = proximity.profile_reaches(params["mobility_profiles"], params["walking_speed_m_s"])
    prof = params["proximity_profile"]
    if prof not in reaches:
        raise InputError("proximity_profile", f"not one of the mobility profiles {list(reaches)}")
    reach = reaches[prof]
    groups = proximity.facility_groups(layers["facilities"], params["facility_types"], ctx)
    if not groups:
        raise Unavailable("no facility has a 'type'")
    origins_geoms = np.concatenate([site.home_pts, site.plan_pts, site.place_pts])
    origins = Layer(
        name="dwellings",
        geometries=origins_geoms,
        features=[],
        index=np.arange(len(origins_geoms)),
        source_crs=site.nbh.source_crs,
        crs=site.nbh.crs,
    )
    dist, info = proximity.distances_by_mode(
        origins, groups, layers, params, ctx, reach, "facilities"
    )
    d = np.stack(list(dist.values()))
    known = ~np.isnan(d).any(axis=0)
    within = (np.nan_to_num(d, nan=np.inf) <= reach).all(axis=0)
    nh, npl = len(site.home_pts), len(site.plan_pts)
    n = site.n

    def sums(
        w_in: np.ndarray, wt: np.ndarray, grp: np.ndarray, kn: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sel = (grp >= 0) & kn
        return (
            np.bincount(grp[sel], weights=wt[sel] * w_in[sel], minlength=n),
            np.bincount(grp[sel], weights=wt[sel], minlength=n),
        )

    a0, b0 = sums(within[:nh], site.home_dwellings, site.home_nbh, known[:nh])
    pin = slice(nh, nh + npl)
    pl = site.pipeline
    ap, bp = sums(within[pin][pl], site.plan_dwellings[pl], site.plan_nbh[pl], known[pin][pl])
    place_in = within[nh + npl :] & known[nh + npl :]
    f = np.bincount(site.place_nbh, weights=site.place_w * place_in, minlength=n)
    unknown_place = int((~known[nh + npl :]).sum())
    if unknown_place:
        ctx.warn(
            "placement-without-distance",
            "network",
            f"{unknown_place} placement points have no network distance; added dwellings "
            "there count as out of reach",
            unknown_place,
        )
    min_share = np.asarray(norm, dtype=float)
    upper = int(params["max_added_dwellings"])

    def fits_from(a: np.ndarray, b: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        def fits(k: np.ndarray) -> np.ndarray:
            tot = b + k
            share = np.divide(a + k * f, tot, out=np.ones(n), where=tot > 0)
            return share >= min_share - 1e-12

        return fits

    k0, broken0, unb0 = bisect_capacity(fits_from(a0, b0), n, upper)
    k1, broken1, unb1 = bisect_capacity(fits_from(a0 + ap, b0 + bp), n, upper)
    return Capacity(
        fit=k0,
        fit_after_plan=k1,
        method="bisection",
        norm={
            "proximity_profile": prof,
            "reach_m": reach,
            "facility_types": sorted(groups),
            "distance_mode": info.get("distance_mode"),
            "max_added_dwellings": upper,
        },
        broken=broken0,
        broken_after_plan=broken1,
        unbounded=unb0,
        unbounded_after_plan=unb1,
        details={
            "share_now": np.divide(a0, b0, out=np.full(n, np.nan), where=b0 > 0),
            "share_after_plan": np.divide(
                a0 + ap, b0 + bp, out=np.full(n, np.nan), where=(b0 + bp) > 0
            ),
            "placement_share_within": f,
        },
    )


def green_constraint(
    site: Site,
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    norm: np.ndarray,
) -> Capacity:
    """Dwellings that fit before public green per dwelling drops below the norm (exact).

    ``norm`` is the minimum m² per dwelling of each neighbourhood (see
    :func:`constraint_norms`); where it is 0 or less the norm cannot break (unbounded).

    Uses the ``green-per-dwelling`` kernel (:func:`gsl_indicators.indicators.green_per_dwelling.green_available`):
    the neighbourhood's green is the public green inside the union of ``radius_m``
    buffers around its homes — and around the placement points of added dwellings
    (counted with 0 dwellings, so a neighbourhood without homes has a zone too) — shared
    by every dwelling inside that zone. Linear in dwellings: green ÷ norm − dwellings
    sharing it. After the plan, the pipeline's homes join the homes.
    """
    try:
        from gsl_indicators.indicators import green_per_dwelling as green
    except ImportError as err:  # pragma: no cover - built in this version
        raise Unavailable(f"the green-per-dwelling indicator is not available: {err}") from None
    if layers.get("green") is None:
        raise Unavailable("input 'green' is not given")
    radius = float(params["radius_m"])
    m2 = np.asarray(norm, dtype=float)
    if not (m2 > 0).any():
        raise Unavailable("the norm of green per dwelling is 0: the norm cannot break")
    pos = m2 > 0
    ggeoms = layers["green"].geometries
    nb = site.nbh.geometries
    pl = site.pipeline

    def fit(pts: list[np.ndarray], dw: list[np.ndarray]) -> np.ndarray:
        ga = green.green_available(
            np.concatenate([*pts, site.place_pts]),
            np.concatenate([*dw, np.zeros(len(site.place_pts))]),
            nb,
            ggeoms,
            radius,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pos, ga.green_m2 / np.where(pos, m2, 1.0), np.inf) - (
                ga.dwellings_in_zone
            )

    return Capacity(
        fit=fit([site.home_pts], [site.home_dwellings]),
        fit_after_plan=fit(
            [site.home_pts, site.plan_pts[pl]], [site.home_dwellings, site.plan_dwellings[pl]]
        ),
        method="exact",
        norm={"radius_m": radius},
    )


CONSTRAINTS: dict[
    str,
    Callable[[Site, Mapping[str, Layer], Mapping[str, Any], Context, np.ndarray], Capacity],
] = {
    "parking-pressure": parking_constraint,
    "green-per-dwelling": green_constraint,
    "proximity-facilities": proximity_constraint,
}


# --------------------------------------------------------------------------- the process


def prefix(constraint: str) -> str:
    """Return the metric-id prefix of a constraint.

    Examples
    --------
    >>> prefix("parking-pressure")
    'parking_pressure'
    """
    return constraint.replace("-", "_")


def norm_columns(constraint: str, norms: Norms) -> dict[str, Any]:
    """Return the per-neighbourhood norm metrics: value, source and profile band used."""
    p = prefix(constraint)
    return {
        f"{p}_norm": norms.values,
        f"{p}_norm_source": norms.source,
        f"{p}_band_area_type": norms.band_area_type,
    }


REASONS: dict[str, str] = {
    "request": "the request set the norm parameter itself; it wins for this request",
    "norm_source": "chosen by norm_source",
    "profile-norm-missing": "the profile has no band for this metric; the parameter applies",
}
"""Why a constraint's norm came from where it did (``norm.reason`` and the provenance)."""


def constraint_report(
    constraint: str,
    cap: Capacity,
    norms: Norms,
    params: Mapping[str, Any],
    profile_norm_: dict[str, Any],
) -> dict[str, Any]:
    """Return one constraint's entry of the ``constraints`` output (method, norms used)."""
    used: dict[str, Any] = {
        "norm_source": norms.source[0] if norms.source else params["norm_source"],
        "reason": REASONS[norms.reason],
        "metric": f"{constraint}.{norms.metric}",
        "values": norms.used(),
    }
    if "parameters" in norms.source:
        used[norms.parameter] = float(params[norms.parameter])
    return {
        "status": "available",
        "method": cap.method,
        "norm": {**used, **cap.norm},
        "profile_norm": profile_norm_,
        **{k: v for k, v in cap.details.items() if not isinstance(v, np.ndarray)},
    }


def binding(results: Mapping[str, Capacity], n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the binding constraint per neighbourhood (area metrics) and its counts (overall).

    The binding constraint has the smallest capacity; where every constraint is
    unbounded (or none was evaluated) the capacity is NaN and none binds.

    Examples
    --------
    >>> a = Capacity(np.array([5.0, np.inf]), np.array([1.0, np.inf]), "exact", {})
    >>> b = Capacity(np.array([9.0, 3.0]), np.array([0.0, 2.0]), "exact", {})
    >>> area, overall = binding({"x": a, "y": b}, 2)
    >>> area["capacity"].tolist(), area["binding_constraint"], area["binding_after_plan"]
    ([5.0, 3.0], ['x', 'y'], ['y', 'y'])
    >>> overall
    {'neighbourhoods_without_headroom_after_plan': 1, 'neighbourhoods_bound_by_x': 1, 'neighbourhoods_bound_by_y': 1}
    """
    ids = list(results)

    def pick(after_plan: bool) -> tuple[np.ndarray, list[str | None]]:
        if not ids:
            return np.full(n, np.nan), [None] * n
        m = np.stack([results[c].whole(after_plan) for c in ids])
        best, arg = m.min(axis=0), m.argmin(axis=0)
        names = [None if math.isinf(v) else ids[i] for i, v in zip(arg, best, strict=True)]
        return np.where(np.isinf(best), np.nan, best), names

    cap, bound = pick(after_plan=False)
    head, bound_after = pick(after_plan=True)
    area = {
        "capacity": cap,
        "binding_constraint": bound,
        "headroom_after_plan": head,
        "binding_after_plan": bound_after,
    }
    overall = {"neighbourhoods_without_headroom_after_plan": int(np.sum(head == 0))}
    overall.update({f"neighbourhoods_bound_by_{prefix(c)}": bound.count(c) for c in ids})
    return area, overall


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute the monitor and, per enabled constraint, the capacity per neighbourhood."""
    profile = resolve_profile(params)
    ctx.progress(0.05, "reading homes, plan and neighbourhoods")
    site = read_site(layers, params, ctx)
    area_types = area_types_of(site.nbh, params["area_type"], ctx)
    area, overall = monitor_metrics(site)
    enabled = list(dict.fromkeys(params["constraints"]))
    results: dict[str, Capacity] = {}
    report: dict[str, Any] = {}
    for i, cid in enumerate(enabled):
        ctx.progress(0.1 + 0.8 * i / len(enabled), f"constraint {cid}")
        try:
            if layers.get(needed := CONSTRAINT_INPUTS[cid]) is None:  # before its norms
                raise Unavailable(f"input '{needed}' is not given")
            norms = constraint_norms(profile, cid, params, area_types, ctx)
            cap = CONSTRAINTS[cid](site, layers, params, ctx, norms.values)
        except Unavailable as why:
            report[cid] = {"status": "unavailable", "reason": str(why)}
            ctx.warn("constraint-unavailable", None, f"constraint '{cid}' not evaluated: {why}")
            continue
        results[cid] = cap
        area.update(cap.columns(prefix(cid)) | norm_columns(cid, norms))
        source_used = (
            "request" if norms.reason == "request" else norms.source[0] if norms.source else None
        )
        norm_vs_profile = profile_norm(profile, cid, params, area_types, source_used)
        report[cid] = constraint_report(cid, cap, norms, params, norm_vs_profile)
        ctx.provenance.setdefault("norms", {})[cid] = {
            "parameter": norms.parameter,
            "source": norms.source[0] if norms.source else params["norm_source"],
            "values": norms.used(),
            "reason": REASONS[norms.reason],
        }
    ctx.progress(0.9, "finding the binding constraint")
    bound_area, bound_overall = binding(results, site.n)
    area |= bound_area | {"placement": site.placement_used, "area_type": area_types}
    differ = [
        c
        for c, d in report.items()
        if d.get("profile_norm", {}).get("agrees_with_profile") is False
    ]
    ctx.note("norms_differing_from_profile", differ)
    used = profile.to_dict()
    used["indicators"] = {k: v for k, v in used["indicators"].items() if k in enabled}
    return Metrics(
        area=area,
        overall=overall | bound_overall,
        outputs={"monitor": monitor_output(site), "constraints": report, "profile": used},
    )


# --------------------------------------------------------------------------- declaration


def _green_parameters() -> tuple[Parameter, ...]:
    try:
        from gsl_indicators.indicators import green_per_dwelling as green
    except ImportError:  # pragma: no cover
        return ()
    ind = next(i for i in green.INDICATORS if i.id == "green-per-dwelling")
    return ind.parameters


def _proximity_parameters() -> tuple[Parameter, ...]:
    try:
        from gsl_indicators.indicators import proximity
    except ImportError:  # pragma: no cover
        return ()
    skip = {"visit_weights"}
    return tuple(p for p in proximity.INDICATORS[0].parameters if p.name not in skip)


_BOTH: tuple[Any, ...] = ("area", "overall")
_STATUS_TITLES = {
    "planned": ("Geplande woningen", "Planned dwellings"),
    "under-construction": ("Woningen in aanbouw", "Dwellings under construction"),
    "stopped": ("Gestopte woningen", "Stopped dwellings"),
    UNKNOWN: ("Woningen met onbekende status", "Dwellings of unknown status"),
    "pipeline": ("Woningen in de pijplijn", "Pipeline dwellings"),
}
_CONSTRAINT_TITLES = {
    "parking-pressure": ("parkeerdruk", "parking pressure", FRACTION),
    "green-per-dwelling": ("groen per woning", "green per dwelling", "m²/dwelling"),
    "proximity-facilities": ("voorzieningen", "facilities", FRACTION),
}
_DWELLINGS = "Dwellings (may be fractional when the input's `dwellings` are)."


def constraint_metrics(constraint: str) -> tuple[Metric, ...]:
    """Return the per-neighbourhood metrics of one constraint (ids ``<prefix>_...``)."""
    p = prefix(constraint)
    nl, en, norm_unit = _CONSTRAINT_TITLES[constraint]
    area: tuple[Any, ...] = ("area",)
    out = [
        metric(
            f"{p}_capacity",
            f"Capaciteit ({nl})",
            f"Capacity ({en})",
            "count",
            levels=area,
            direction="higher_is_better",
            digits=0,
            description=f"Whole dwellings that can be added before the {en} norm breaks, as if "
            "only this neighbourhood grows; null: unbounded.",
        ),
        metric(
            f"{p}_headroom_after_plan",
            f"Ruimte na de plannen ({nl})",
            f"Headroom after the plan ({en})",
            "count",
            levels=area,
            direction="higher_is_better",
            digits=0,
            description="The same, with the pipeline built first; null: unbounded.",
        ),
        metric(
            f"{p}_broken",
            f"Norm nu overschreden ({nl})",
            f"Norm broken now ({en})",
            "boolean",
            levels=area,
            description="The norm is broken before any dwelling is added.",
        ),
        metric(
            f"{p}_broken_after_plan",
            f"Norm overschreden na de plannen ({nl})",
            f"Norm broken after the plan ({en})",
            "boolean",
            levels=area,
            description="The norm is broken once the pipeline is built.",
        ),
        metric(
            f"{p}_norm",
            f"Norm ({nl})",
            f"Norm ({en})",
            norm_unit,
            levels=area,
            digits=4,
            description="The norm applied in the neighbourhood (profile band minimum or parameter).",
        ),
        metric(
            f"{p}_norm_source",
            f"Herkomst norm ({nl})",
            f"Norm source ({en})",
            "class",
            levels=area,
            description="'profile' (the band minimum) or 'parameters'.",
        ),
        metric(
            f"{p}_band_area_type",
            f"Profielband ({nl})",
            f"Profile band ({en})",
            "class",
            levels=area,
            description="The profile band applied (after fallbacks; 'default'); null: the parameter.",
        ),
    ]
    if constraint != "proximity-facilities":  # exact methods: the real-valued break points
        out += [
            metric(
                f"{p}_margin_dwellings",
                f"Marge in woningen ({nl})",
                f"Margin in dwellings ({en})",
                "count",
                levels=area,
                digits=3,
                description="Real-valued dwellings until the norm breaks (negative: broken).",
            ),
            metric(
                f"{p}_margin_after_plan",
                f"Marge na de plannen ({nl})",
                f"Margin after the plan ({en})",
                "count",
                levels=area,
                digits=3,
                description="The same after the pipeline.",
            ),
        ]
    else:
        shares = (
            ("share_now", "Aandeel nu binnen bereik", "Share within reach now", "Dwellings"),
            ("share_after_plan", "Aandeel na de plannen", "Share after the plan", "Dwellings"),
            (
                "placement_share_within",
                "Aandeel toegevoegd binnen bereik",
                "Share of added dwellings within reach",
                "Added dwellings",
            ),
        )
        out += [
            metric(
                f"{p}_{k}",
                t_nl,
                t_en,
                FRACTION,
                levels=area,
                direction="higher_is_better",
                digits=4,
                description=f"{who} with every facility type within reach.",
            )
            for k, t_nl, t_en, who in shares
        ]
    out.append(
        metric(
            f"neighbourhoods_bound_by_{p}",
            f"Buurten begrensd door {nl}",
            f"Neighbourhoods bound by {en}",
            "count",
            digits=0,
            description="Neighbourhoods where this constraint has the smallest capacity.",
        )
    )
    return tuple(out)


METRICS: tuple[Metric, ...] = (
    metric("neighbourhoods", "Buurten", "Neighbourhoods", "count", digits=0),
    metric(
        "existing_dwellings",
        "Bestaande woningen",
        "Existing dwellings",
        "count",
        levels=_BOTH,
        digits=3,
        description=_DWELLINGS,
    ),
    *(
        metric(
            status_metric(s),
            nl,
            en,
            "count",
            levels=_BOTH,
            digits=3,
            description=f"{_DWELLINGS} Plan features of status '{s}'"
            + (" (`pipeline_statuses`)." if s == "pipeline" else "."),
        )
        for s, (nl, en) in _STATUS_TITLES.items()
    ),
    metric(
        "capacity",
        "Capaciteit",
        "Capacity",
        "count",
        levels=("area",),
        direction="higher_is_better",
        digits=0,
        description="Whole dwellings that fit before the first norm breaks (the binding "
        "constraint), as if only this neighbourhood grows; capacities do not add up to a "
        "city-wide capacity where constraints are shared. Null: unbounded or none evaluated.",
    ),
    metric(
        "binding_constraint",
        "Bepalende randvoorwaarde",
        "Binding constraint",
        "class",
        levels=("area",),
        description="The constraint with the smallest capacity.",
    ),
    metric(
        "headroom_after_plan",
        "Ruimte na de plannen",
        "Headroom after the plan",
        "count",
        levels=("area",),
        direction="higher_is_better",
        digits=0,
        description="The capacity once the pipeline is built.",
    ),
    metric(
        "binding_after_plan",
        "Bepalende randvoorwaarde na de plannen",
        "Binding constraint after the plan",
        "class",
        levels=("area",),
        description="The constraint with the smallest headroom after the plan.",
    ),
    metric(
        "neighbourhoods_without_headroom_after_plan",
        "Buurten zonder ruimte na de plannen",
        "Neighbourhoods without headroom after the plan",
        "count",
        direction="lower_is_better",
        digits=0,
    ),
    metric(
        "placement",
        "Plaatsing",
        "Placement",
        "class",
        levels=("area",),
        description="Where the neighbourhood's added dwellings went: existing, plan or centroid.",
    ),
    metric(
        "area_type",
        "Gebiedstype",
        "Area type",
        "class",
        levels=("area",),
        description="The area type whose profile bands give the norms.",
    ),
    *(m for c in CONSTRAINT_IDS for m in constraint_metrics(c)),
)


HOUSING_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "constraints",
        "Constraints",
        "Indicator ids whose norms the capacity respects. A constraint whose inputs are "
        "missing (or whose indicator is not built) is reported as unavailable.",
        "array",
        default=list(CONSTRAINT_IDS),
        schema={"items": {"type": "string", "enum": list(CONSTRAINT_IDS)}, "uniqueItems": True},
    ),
    Parameter(
        "new_dwelling_type",
        "New dwelling type",
        "Dwelling type (of the parking norm table) of the dwellings added; also used for "
        "plan features without `dwelling_type`. Null: the table's default type.",
        "string",
        default=None,
        nullable=True,
    ),
    Parameter(
        "placement",
        "Placement of added dwellings",
        "Where added dwellings go: 'existing' spreads them like the neighbourhood's existing "
        "dwellings; 'plan' at its pipeline features (else as 'existing'); 'centroid' at its "
        "point on surface. Neighbourhoods without homes fall back to their point on surface.",
        "string",
        default="existing",
        enum=("existing", "plan", "centroid"),
    ),
    Parameter(
        "pipeline_statuses",
        "Pipeline statuses",
        "Plan statuses whose dwellings count as built for the headroom after the plan.",
        "array",
        default=["planned", "under-construction"],
        schema={"items": {"type": "string", "enum": list(STATUSES)}},
    ),
    Parameter(
        "max_added_dwellings",
        "Search limit",
        "Upper bound of the bisection search of the proximity-facilities capacity (the "
        "others are solved directly); more fitting dwellings are reported as unbounded "
        "(null).",
        "integer",
        default=100000,
        minimum=1,
        maximum=10_000_000,
    ),
    Parameter(
        "norm_source",
        "Source of the capacity norms",
        "Where each constraint's norm comes from. 'profile' (default): the chosen norm "
        "profile's band minimum (score 6: the legal minimum, or the maximum tolerable "
        "value) for each neighbourhood's area type, so the capacity follows the profile "
        "and its profile_override, per area type (inner city vs. rural) — what a "
        "municipality that chose a profile expects. 'parameters': the indicator "
        "parameters (threshold, norm_m2_per_dwelling, proximity_min_share), one value "
        "for every neighbourhood. A norm parameter the request sets itself always wins "
        "for its constraint (the profile's band still scores); setting it together with "
        "norm_source 'profile' is refused as ambiguous.",
        "string",
        default="profile",
        enum=NORM_SOURCES,
    ),
    Parameter(
        "proximity_min_share",
        "Minimum share within reach",
        "proximity-facilities constraint, with norm_source 'parameters' (or when the "
        "profile has no band for the proximity profile): share of dwellings with every "
        "facility type within reach that must remain. No national norm exists: an "
        "indicative default, to be set by the municipality.",
        "number",
        default=0.5,
        minimum=0.0,
        maximum=1.0,
        unit=FRACTION,
    ),
    Parameter(
        "proximity_profile",
        "Mobility profile for the constraint",
        "proximity-facilities constraint: which mobility profile's reach applies.",
        "string",
        default="standard",
    ),
)


def _dedupe(*groups: tuple[Parameter, ...]) -> tuple[Parameter, ...]:
    seen: dict[str, Parameter] = {}
    for group in groups:
        for p in group:
            seen.setdefault(p.name, p)
    return tuple(seen.values())


# Parking's homes, whose floor area nothing here sums (its range is still checked).
DWELLINGS_INPUT = dataclasses.replace(
    parking.DWELLINGS_INPUT,
    properties={
        k: v for k, v in parking.DWELLINGS_INPUT.properties.items() if k != "floor_area_m2"
    },
)
# The input each constraint cannot run without (else it is reported unavailable).
CONSTRAINT_INPUTS = {
    "parking-pressure": "parking",
    "green-per-dwelling": "green",
    "proximity-facilities": "facilities",
}


def constraint_owners() -> dict[str, str]:
    """Return the constraint that alone reads each parameter it brings (name → constraint).

    The parameters of the parking, green and proximity indicators, and this process's
    ``new_dwelling_type``, ``proximity_*`` and ``max_added_dwellings`` (only the
    proximity capacity is searched by bisection); not the profile's nor ``uncertainty``,
    which every constraint shares.
    """
    shared = {p.name for p in PROFILE_PARAMETERS} | {"uncertainty"}
    groups = {
        "parking-pressure": [p.name for p in parking.PARKING_PARAMETERS] + ["new_dwelling_type"],
        "green-per-dwelling": [p.name for p in _green_parameters()],
        "proximity-facilities": [p.name for p in _proximity_parameters()]
        + ["proximity_min_share", "proximity_profile", "max_added_dwellings"],
    }
    owners: dict[str, str] = {}
    for constraint, names in groups.items():
        for name in set(names) - shared:
            if owners.setdefault(name, constraint) != constraint:
                raise ValueError(f"parameter '{name}' is read by two constraints")
    return owners


def read_by_constraint(params: tuple[Parameter, ...]) -> tuple[Parameter, ...]:
    """Return ``params`` with each one constraint alone reads marked as read only by it.

    Given with that constraint left out of ``constraints``, or without its input, it is
    reported as ``input-ignored`` (``x-used-when``, ``x-read-with`` in the description).
    """
    owners = constraint_owners()
    return tuple(
        dataclasses.replace(
            p,
            used_when={**(p.used_when or {}), "constraints": owners[p.name]},
            read_with=(*p.read_with, CONSTRAINT_INPUTS[owners[p.name]]),
        )
        if p.name in owners
        else p
        for p in params
    )


EXAMPLE: dict[str, Any] = {
    "dwellings": rd_collection(
        [
            point_feature(121000, 488900, dwellings=40, dwelling_type="apartment-mid"),
            point_feature(121050, 488950, dwellings=10, dwelling_type="terraced"),
            point_feature(121300, 488950, dwellings=30, dwelling_type="social-rent"),
        ]
    ),
    "plan": rd_collection(
        [
            point_feature(121100, 489000, dwellings=20, status="planned", year=2026),
            point_feature(121320, 488980, dwellings=12, status="under-construction", year=2025),
            point_feature(121350, 488900, dwellings=8, status="stopped", year=2025),
        ]
    ),
    "neighbourhoods": rd_collection(
        [
            id_box_feature(
                "west", 120950, 488850, 121150, 489050, urbanity_class=1, location="centre-fringe"
            ),
            id_box_feature("east", 121200, 488850, 121400, 489050, urbanity_class=1),
        ]
    ),
    "parking": rd_collection(
        [point_feature(121020, 488920, capacity=70), point_feature(121300, 488920, capacity=40)]
    ),
    "facilities": rd_collection(
        [
            point_feature(121050, 488900, type="huisarts"),
            point_feature(121250, 489000, type="supermarkt"),
        ]
    ),
    "green": rd_collection([id_box_feature("park", 121160, 489060, 121260, 489160)]),
    "new_dwelling_type": "apartment-mid",
    "placement": "plan",
}

INDICATORS = (
    Indicator(
        id="housing-capacity",
        version="2.1.1",
        uses=("green-per-dwelling", "parking-pressure", "proximity-facilities"),
        explicit_parameters=(
            "threshold",
            "norm_m2_per_dwelling",
            "proximity_min_share",
            "norm_source",
            *parking.ZONE_DEFAULTS,
        ),
        title={"nl": "Woningbouwmonitor en capaciteit", "en": "Housing monitor and capacity"},
        description={
            "nl": "Woningen per status (gepland, in aanbouw, gestopt) en jaar per buurt, en per "
            "buurt hoeveel woningen er nog bij passen voordat een norm breekt.",
            "en": "Dwellings by plan status (planned, under construction, stopped) and year per "
            "neighbourhood, and per neighbourhood how many dwellings fit before a norm breaks.",
        },
        theme="housing",
        method=(
            "Homes and plan features are located in neighbourhoods at their point on surface. "
            "Monitor: existing dwellings and plan dwellings by status and year, per "
            "neighbourhood and overall (stopped included; unknown statuses shown as 'unknown'). "
            "Capacity, per neighbourhood and enabled constraint, as if only that neighbourhood "
            "grows, with the added dwellings placed by `placement`. Norms (`norm_source`): "
            "with 'profile' (the default) each neighbourhood's norm is the chosen profile's "
            "band minimum (score 6: the legal minimum or the maximum tolerable value) for its "
            "area type (`area_type` parameter, else its `area_type` / `urbanity_class` "
            "property, else the profile default; CBS classes follow the profile's fallbacks, "
            "e.g. 1 → binnenstad), so the capacity follows the profile and "
            "`profile_override` and differs between inner city and rural areas, as DOMAIN "
            "asks ('norms from the chosen profile'); with 'parameters' the indicator "
            "parameters `threshold`, `norm_m2_per_dwelling` and `proximity_min_share` apply "
            "in every neighbourhood (the 1.1.0 behaviour). An explicit parameter is never "
            "silently overruled (2.1.0): a norm parameter the request sets itself "
            "(`threshold`, `norm_m2_per_dwelling`, `proximity_min_share`) is that "
            "constraint's norm for the request even when `norm_source` is left at its "
            "default, while the profile's band still gives the scores; setting it together "
            "with an explicit `norm_source` 'profile' is refused (400 naming the parameter "
            "and both choices). `constraints.<c>.norm.reason` and `provenance.norms` say "
            "which value was used and why. Metrics: parking-pressure.pressure "
            "(lower is better: dwellings are added until the pressure reaches the minimum), "
            "green-per-dwelling.green_per_dwelling_m2 and "
            "proximity-facilities.all_dwelling_share_<proximity_profile> (higher is better: "
            "added until the value falls to the minimum); a profile without the metric leaves "
            "the parameter in place, with a warning. Capacities: parking-pressure exactly, "
            "(norm × supply − demand) ÷ places per new dwelling, the smallest over the "
            "parking zones the dwellings go to (zones = `zones`, else the neighbourhoods); "
            "proximity-facilities by bisection on the added dwellings, keeping the share of "
            "dwellings with every facility type within reach at or above the norm "
            "(distances from the proximity-facilities kernel); green-per-dwelling exactly "
            "with its kernel: public green within `radius_m` of the homes (and of the "
            "placement points) ÷ the norm − the dwellings sharing it. The binding constraint "
            "is the one with the smallest capacity. Headroom after the plan: the same with "
            "the pipeline (`pipeline_statuses`) built first at its own locations. "
            "Capacities are whole dwellings; null means unbounded (no supply limit, or more "
            "than `max_added_dwellings`). Each neighbourhood reports, per constraint, the "
            "norm used and where it came from (`<constraint>_norm`, `_norm_source`, "
            "`_band_area_type`, beside `area_type`). Capacities are per neighbourhood and do "
            "not add up to a city-wide capacity where constraints are shared. Monitor "
            "totals and the neighbourhoods bound by each constraint are in `summary`; the "
            "`monitor` output has the pipeline by neighbourhood, status and year (a table "
            "keyed by `area_id`). The result names the profile (the `profile` output) and, "
            "per constraint (`constraints` output), `norm` (source, metric, the "
            "values used) and `profile_norm`: the indicator parameter beside the profile "
            "band minimum for each area type present and whether they agree; "
            "`data_quality.norms_differing_from_profile` lists the constraints where they do not "
            "(nl-default: the parking minimum is 90 % in the inner city; the proximity "
            "minimum 60 % against the indicative `proximity_min_share` of 50 %). Every "
            "parameter used is in the provenance."
        ),
        compute=compute,
        metrics=METRICS,
        areas="neighbourhoods",
        inputs=(
            DWELLINGS_INPUT,
            GeoInput(
                "plan",
                "Plan pipeline",
                "Planned dwellings: points or polygons with `dwellings`, `status` and `year`.",
                POINTS + POLYGONS,
                required=False,
                ranges={**parking.HOME_RANGES, "year": YEAR_RANGE},
                properties={
                    "dwellings": "number of dwellings (default 1)",
                    "status": "planned | under-construction | stopped (Dutch: gepland, in aanbouw, gestopt)",
                    "year": "year of completion (or of the stop)",
                    "dwelling_type": "parking norm type (default new_dwelling_type)",
                },
            ),
            GeoInput(
                "neighbourhoods",
                "Neighbourhoods",
                "Neighbourhoods (buurten) the monitor and the capacity are given for.",
                POLYGONS,
                properties={
                    "area_type": "area type of the profile norms (CBS class or GGO type)",
                    "urbanity_class": "CBS class 1–5 (parking norms, when zones are absent; "
                    "the area type when `area_type` is absent)",
                    "location": "parking location class (when zones are absent)",
                },
            ),
            GeoInput(
                "parking",
                "Parking supply",
                "parking-pressure constraint: parking places with `capacity`.",
                ANY_GEOMETRY,
                required=False,
                ranges={"capacity": parking.CAPACITY_RANGE},
                used_when={"constraints": "parking-pressure"},
            ),
            GeoInput(
                "zones",
                "Parking zones",
                "parking-pressure constraint: zones (default: the neighbourhoods).",
                POLYGONS,
                required=False,
                used_when={"constraints": "parking-pressure"},
                read_with=("parking",),
            ),
            GeoInput(
                "green",
                "Public green",
                "green-per-dwelling constraint: public green polygons.",
                POLYGONS,
                required=False,
                used_when={"constraints": "green-per-dwelling"},
            ),
            GeoInput(
                "facilities",
                "Facilities",
                "proximity-facilities constraint: facility points with `type`.",
                POINTS + POLYGONS,
                required=False,
                used_when={"constraints": "proximity-facilities"},
            ),
            GeoInput(
                "network",
                "Walking network",
                "proximity-facilities constraint, distance_mode 'network'.",
                LINES,
                required=False,
                used_when={"constraints": "proximity-facilities", "distance_mode": "network"},
                read_with=("facilities",),
            ),
        ),
        parameters=read_by_constraint(
            _dedupe(
                HOUSING_PARAMETERS,
                parking.PARKING_PARAMETERS,
                _green_parameters(),
                _proximity_parameters(),
                PROFILE_PARAMETERS,
            )
        ),
        outputs=(
            Output(
                "monitor",
                "Monitor",
                "The plan pipeline by status and year: `by_neighbourhood` (a table of "
                "area_id, status, year, dwellings), `by_status_year` and `by_year` overall, "
                "`outside_neighbourhoods`, and the `pipeline_statuses` counted as built.",
            ),
            Output(
                "constraints",
                "Constraints",
                "Per constraint: status (or the reason it is unavailable), method, `norm` "
                "(norm_source, profile metric, the values used per band area type, other "
                "settings), and `profile_norm` (the norm parameter beside the profile's band "
                "minimum, and whether they agree).",
            ),
            Output(
                "profile",
                "Profile",
                "The norm profile used (the parts of the enabled constraints).",
            ),
        ),
        sources=(
            Source(
                "seed",
                "Users' meeting report: the twin keeps the woningbouwmonitor current (new "
                "construction, construction stops, capacity of the city)",
            ),
        ),
        keywords=("woningbouwmonitor", "capaciteit", "housing", "plan capacity"),
        example=EXAMPLE,
    ),
)
