"""``proximity-facilities`` (the *zorgcirkel*), and the reach machinery it shares.

``proximity-facilities`` and ``cool-place-distance`` (and anything else that asks "is
the nearest X within d metres of each home?") share the same steps: measure the
distance from every home to its nearest target (straight line or over the walking
network, :mod:`gsl_indicators.core.network`), compare it with a reach, and count homes and
dwellings per neighbourhood and overall. Those steps and their parameters come first
in this module; the zorgcirkel indicator follows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
import pydantic
import shapely

from gsl_indicators.core.examples import line_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import DWELLINGS_RANGE, is_home, read_dwellings
from gsl_indicators.core.metrics import (
    FRACTION,
    AreaGroups,
    Level,
    Metric,
    Metrics,
    metric,
    overall_share,
    round_value,
)
from gsl_indicators.core.network import (
    NetworkDistances,
    WalkNetwork,
    build_network,
    network_distances_by_type,
    report,
    walkable_from,
    walkable_lines,
    walking_parameters,
)
from gsl_indicators.core.spec import (
    LINES,
    POINTS,
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
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling

__all__ = [
    "BUILDINGS",
    "DEFAULT_PROFILES",
    "DEFAULT_VISIT_WEIGHTS",
    "INDICATORS",
    "METRICS",
    "NEIGHBOURHOODS",
    "NETWORK",
    "DistanceReach",
    "MobilityProfiles",
    "ProfileReach",
    "WalkReach",
    "compute_facilities",
    "distances_by_mode",
    "euclidean_nearest",
    "facility_groups",
    "mobility_profiles_schema",
    "network_from_layers",
    "positive_weights",
    "profile_metrics",
    "profile_reaches",
    "reach_metrics",
    "request_metrics",
    "requested_types",
    "type_metrics",
    "type_table",
    "visit_share",
    "within_column",
]

BUILDINGS = GeoInput(
    "buildings",
    "Homes",
    "Homes: building footprints or address points (EPSG:28992 or WGS84).",
    POINTS + POLYGONS,
    ranges={"dwellings": DWELLINGS_RANGE},
    properties={"dwellings": "number of dwellings in the building (default 1)"},
)
NEIGHBOURHOODS = GeoInput(
    "neighbourhoods",
    "Neighbourhoods",
    "Neighbourhoods (buurten) to aggregate over; a home belongs to the neighbourhood "
    "containing its representative point.",
    POLYGONS,
    required=False,
)
NETWORK = GeoInput(
    "network",
    "Walking network",
    "Walking paths and streets as lines (needed for distance_mode 'network'). Lines need "
    "not be split at junctions: shared vertices and crossings become nodes.",
    LINES,
    required=False,
    properties={"highway": "OpenStreetMap highway value; filtered with walkable_highways"},
    used_when={"distance_mode": "network"},
)


def euclidean_nearest(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Return the straight-line distance from each origin to its nearest target.

    ``inf`` when there are no targets; 0 when the origin touches or lies inside one.

    Examples
    --------
    >>> euclidean_nearest(np.array([shapely.Point(0, 0), shapely.Point(5, 5)]),
    ...                   np.array([shapely.box(3, 3, 10, 10)])).tolist()
    [4.242640687119285, 0.0]
    """
    out = np.full(len(origins), np.inf)
    if not len(origins) or not len(targets):
        return out
    (oi, _), dist = shapely.STRtree(targets).query_nearest(
        origins, return_distance=True, all_matches=False
    )
    out[oi] = dist
    return out


def network_from_layers(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context
) -> WalkNetwork:
    """Build the walking network from the ``network`` input (filtered on ``highway``)."""
    layer = layers.get("network")
    if layer is None:
        raise InputError("network", "distance_mode 'network' needs a walking network")
    has_highway = any("highway" in p for p in layer.properties)
    lines = walkable_lines(
        layer.geometries,
        layer.text("highway") if has_highway else None,
        walkable_from(params),
        ctx,
    )
    if not has_highway:
        ctx.note("network_filter", "no 'highway' property: every line counts as walkable")
    net = build_network(lines, ctx)
    if net.n_edges == 0:
        raise InputError("network", "no walkable lines left (check walkable_highways)")
    return net


def distances_by_mode(
    origins: Layer,
    targets_by_type: Mapping[str, np.ndarray],
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    reach_max_m: float,
    targets_name: str,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Return the distance from each origin to the nearest target of each type.

    Distances are ``inf`` where no target is within reach of the search (network mode:
    beyond the cut-off; either mode: no target at all) and NaN where unknown (home not
    on the network). The second value describes the run (mode, network, seconds).
    """
    mode = params["distance_mode"]
    info: dict[str, Any] = {"distance_mode": mode}
    if mode == "euclidean":
        return (
            {t: euclidean_nearest(origins.geometries, g) for t, g in targets_by_type.items()},
            info,
        )
    ctx.progress(0.1, "building the walking network")
    net = network_from_layers(layers, params, ctx)
    cutoff = max(float(params["network_cutoff_m"]), reach_max_m)
    ctx.progress(0.3, "snapping and shortest paths")
    res = network_distances_by_type(
        net,
        origins.geometries,
        targets_by_type,
        cutoff,
        params["snap_limit_m"],
        params["entrance_tolerance_m"],
    )
    info["network_cutoff_m"] = cutoff
    for i, (t, nd) in enumerate(res.items()):
        # Unsnapped homes are the same for every type: warn once.
        unsnapped = nd.unsnapped if i == 0 else np.zeros_like(nd.unsnapped)
        report(
            NetworkDistances(
                nd.distance, unsnapped, {}, nd.targets_unsnapped, nd.targets_unreachable
            ),
            ctx,
            origins.name,
            f"{targets_name} ({t})" if len(res) > 1 else targets_name,
            params["snap_limit_m"],
            params["entrance_tolerance_m"],
        )
    return {t: nd.distance for t, nd in res.items()}, info


def within_column(d: np.ndarray, reach: float) -> list[bool | None]:
    """Return True/False per distance against ``reach``; ``None`` where the distance is unknown."""
    known = ~np.isnan(d)
    inside = d <= reach
    return [bool(w) if k else None for w, k in zip(inside.tolist(), known.tolist(), strict=True)]


# ---------------------------------------------------------------------------
# proximity-facilities: the zorgcirkel
# ---------------------------------------------------------------------------

DEFAULT_PROFILES: dict[str, Any] = {
    "standard": {"distance_m": 300.0},
    "reduced": {"distance_m": 150.0},
}
DEFAULT_VISIT_WEIGHTS: dict[str, float] = {"supermarkt": 52.0, "huisarts": 12.0, "apotheek": 12.0}
_MAX_REACH_M = 20000.0

_Positive = Annotated[float, pydantic.Field(gt=0, strict=True, allow_inf_nan=False)]


class DistanceReach(pydantic.BaseModel):
    """A mobility profile's reach as a distance: ``{"distance_m": d}``."""

    model_config = pydantic.ConfigDict(extra="forbid")

    distance_m: _Positive = pydantic.Field(description="Reach in metres.")


class WalkReach(pydantic.BaseModel):
    """A mobility profile's reach as a walk: minutes at a speed (default `walking_speed_m_s`)."""

    model_config = pydantic.ConfigDict(extra="forbid")

    minutes: _Positive = pydantic.Field(description="Minutes of walking.")
    speed_m_s: _Positive | None = pydantic.Field(
        default=None, le=3, description="Walking speed in m/s (at most 3)."
    )
    speed_km_h: _Positive | None = pydantic.Field(
        default=None, le=10.8, description="Walking speed in km/h (used without speed_m_s)."
    )

    @pydantic.model_validator(mode="after")
    def _one_speed(self) -> WalkReach:
        if self.speed_m_s is not None and self.speed_km_h is not None:
            raise ValueError("give speed_m_s or speed_km_h, not both")
        return self

    def speed(self, walking_speed_m_s: float) -> float:
        """Return the walking speed in m/s: the profile's own, else ``walking_speed_m_s``."""
        if self.speed_m_s is not None:
            return self.speed_m_s
        if self.speed_km_h is not None:
            return self.speed_km_h / 3.6
        return float(walking_speed_m_s)


def _reach_kind(value: Any) -> str:
    """Return which form a profile takes: ``metres``, ``distance`` or ``walk``."""
    if isinstance(value, DistanceReach) or (isinstance(value, Mapping) and "distance_m" in value):
        return "distance"
    if isinstance(value, WalkReach | Mapping):
        return "walk"
    return "metres"


ProfileReach = Annotated[
    Annotated[_Positive, pydantic.Tag("metres")]
    | Annotated[DistanceReach, pydantic.Tag("distance")]
    | Annotated[WalkReach, pydantic.Tag("walk")],
    pydantic.Discriminator(_reach_kind),
]
"""One mobility profile: metres, ``{"distance_m": d}`` or ``{"minutes": t, ...}``."""

_ProfileName = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, min_length=1)]
MobilityProfiles = pydantic.RootModel[
    Annotated[dict[_ProfileName, ProfileReach], pydantic.Field(min_length=1)]
]
"""The ``mobility_profiles`` parameter: profile name → reach (at least one profile)."""


def mobility_profiles_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``mobility_profiles`` (generated from :data:`MobilityProfiles`).

    Examples
    --------
    >>> s = mobility_profiles_schema()
    >>> s["minProperties"], sorted(s["$defs"]), len(s["additionalProperties"]["oneOf"])
    (1, ['DistanceReach', 'WalkReach'], 3)
    """
    return {k: v for k, v in MobilityProfiles.model_json_schema().items() if k != "title"}


def walking_speed_unread(params: Mapping[str, Any]) -> str | None:
    """Return why ``walking_speed_m_s`` is not read: no profile walks minutes at it.

    Examples
    --------
    >>> walking_speed_unread({"mobility_profiles": {"standard": 300}})
    'no mobility profile is given in minutes without its own speed'
    >>> walking_speed_unread({"mobility_profiles": {"slow": {"minutes": 5}}}) is None
    True
    """
    profiles = params.get("mobility_profiles")
    if not isinstance(profiles, Mapping):
        return None  # refused where it is read
    for spec in profiles.values():
        if (
            isinstance(spec, Mapping)
            and "minutes" in spec
            and spec.get("speed_m_s") is None
            and spec.get("speed_km_h") is None
        ):
            return None
    return "no mobility profile is given in minutes without its own speed"


def profile_reaches(profiles: Mapping[str, Any], walking_speed_m_s: float) -> dict[str, float]:
    """Return the reach in metres of each mobility profile.

    A profile is a number of metres, ``{"distance_m": d}``, or ``{"minutes": t}`` with an
    optional ``"speed_m_s"`` or ``"speed_km_h"`` (default: ``walking_speed_m_s``);
    validated with :data:`MobilityProfiles`.

    Raises
    ------
    InputError
        Naming ``mobility_profiles`` for an empty, malformed or out-of-range profile.

    Examples
    --------
    >>> profile_reaches({"standard": 300, "rollator": {"minutes": 5, "speed_km_h": 1.8},
    ...                  "healthy": {"minutes": 5}}, 1.0)
    {'standard': 300.0, 'rollator': 150.0, 'healthy': 300.0}
    """
    name = "mobility_profiles"
    try:
        parsed = MobilityProfiles.model_validate(profiles).root
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in _BRANCHES)
        raise InputError(name, f"{where or 'profiles'}: {first['msg']}") from None
    out: dict[str, float] = {}
    for key, spec in parsed.items():
        if isinstance(spec, DistanceReach):
            reach = spec.distance_m
        elif isinstance(spec, WalkReach):
            reach = spec.minutes * 60.0 * spec.speed(walking_speed_m_s)
        else:
            reach = float(spec)
        if not reach <= _MAX_REACH_M:
            raise InputError(
                name, f"profile '{key}': reach {reach:g} m is not in (0, {_MAX_REACH_M:g}]"
            )
        out[key] = round(reach, 6)
    return out


#: pydantic's names for the branches of a union in an error location (left out of messages).
_BRANCHES = {"metres", "distance", "walk", "[key]"}


def facility_groups(
    facilities: Layer, wanted: list[str] | None, ctx: Context
) -> dict[str, np.ndarray]:
    """Group facility geometries by their ``type`` property (sorted by type).

    Facilities without a type are left out with a warning; with ``wanted``, only those
    types count, and a wanted type that does not occur gets an empty group and a warning.
    """
    types = [None if t is None or not t.strip() else t.strip() for t in facilities.text("type")]
    untyped = sum(t is None for t in types)
    if untyped:
        ctx.warn(
            "facilities-without-type",
            "facilities",
            f"{untyped} of {len(types)} facilities have no 'type' and were left out",
            untyped,
        )
    arr = np.asarray(types, dtype=object)
    present = sorted({t for t in types if t is not None})
    if wanted is None:
        names = present
    else:
        names = requested_types(wanted)
        absent = [t for t in names if t not in present]
        if absent:
            ctx.warn(
                "facility-type-absent",
                "facilities",
                f"no facility of type {', '.join(repr(t) for t in absent)}; nothing of that "
                "type is within reach",
                len(absent),
            )
        ignored = [t for t in present if t not in names]
        if ignored:
            ctx.note("facility_types_ignored", ignored)
    return {t: facilities.geometries[arr == t] for t in names}


def requested_types(wanted: list[str]) -> list[str]:
    """Return the facility types a request names: stripped, without repeats, in its order.

    Examples
    --------
    >>> requested_types([" huisarts", "apotheek", "huisarts"])
    ['huisarts', 'apotheek']
    """
    return list(dict.fromkeys(str(t).strip() for t in wanted))


#: what a facility type or profile name must be, as it names metrics (``huisarts_distance_m``)
_METRIC_NAME = re.compile(r"[a-z][a-z0-9_]*")


def check_metric_names(params: Mapping[str, Any]) -> None:
    """Refuse facility types and profile names that cannot name a metric.

    A type named in ``facility_types`` gives ``<type>_distance_m``, a profile
    ``types_within_<profile>``: both must be snake_case, as metric ids are.

    Raises
    ------
    InputError
        Naming ``facility_types`` or ``mobility_profiles`` and the name.

    Examples
    --------
    >>> check_metric_names({"facility_types": ["huisarts"], "mobility_profiles": {"rollator": 150}})
    >>> check_metric_names({"facility_types": ["zorg-centrum"], "mobility_profiles": {}})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'facility_types': 'zorg-centrum' names metrics ('zorg-centrum_distance_m', …); use lower-case letters, digits and '_', starting with a letter ('huisarts', 'zorg_centrum'), in the request and in the facilities' `type` alike
    """
    named = {
        "facility_types": (requested_types(params.get("facility_types") or []), "_distance_m"),
        "mobility_profiles": (list(params.get("mobility_profiles") or {}), ""),
    }
    for param, (names, suffix) in named.items():
        for name in names:
            if not _METRIC_NAME.fullmatch(str(name).strip()):
                example = f"{name}{suffix}" if suffix else f"types_within_{name}"
                raise InputError(
                    param,
                    f"{name!r} names metrics ({example!r}, …); use lower-case letters, digits "
                    "and '_', starting with a letter ('huisarts', 'zorg_centrum'), in the "
                    "request and in the facilities' `type` alike",
                )


def positive_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return the visit weights that count (above 0); ``{}`` switches ``visit_share`` off.

    Examples
    --------
    >>> positive_weights({"supermarkt": 52, "bank": 0}), positive_weights(None)
    ({'supermarkt': 52.0}, {})
    """
    return {t: float(w) for t, w in (weights or {}).items() if float(w) > 0}


def visit_share(
    within: Mapping[str, np.ndarray], weights: Mapping[str, float], known: np.ndarray
) -> np.ndarray:
    """Return per home the share of a year's visits whose facility type is within reach.

    A weighted type that was not measured counts as out of reach; NaN where the home's
    distance is unknown.

    Examples
    --------
    >>> visit_share({"supermarkt": np.array([True, False]), "huisarts": np.array([False, True])},
    ...             {"supermarkt": 52.0, "huisarts": 12.0, "apotheek": 12.0},
    ...             np.array([True, False])).round(4).tolist()  # 52/76; unknown
    [0.6842, nan]
    """
    acc = np.zeros(len(known))
    for t, w in weights.items():
        if t in within:
            acc += w * within[t]
    return np.where(known, acc / sum(weights.values()), np.nan)


def type_table(
    dist: Mapping[str, np.ndarray],
    groups: Mapping[str, np.ndarray],
    within: Mapping[tuple[str, str], np.ndarray],
    reaches: Mapping[str, float],
    known: np.ndarray,
    dwellings: np.ndarray,
) -> dict[str, Any]:
    """Return the ``by_type`` output: per facility type (as found in the data) its figures.

    Per type: the number of facilities, the mean and median distance of the homes with
    a finite one, the homes beyond the search, and per mobility profile the homes and
    dwellings within reach with their shares (of the homes with a known distance).

    Examples
    --------
    >>> t = type_table({"gp": np.array([100.0, 400.0])}, {"gp": np.array([None])},
    ...                {("gp", "p"): np.array([True, False])}, {"p": 300.0},
    ...                np.array([True, True]), np.array([3.0, 1.0]))
    >>> t["gp"]["median_distance_m"], t["gp"]["profiles"]["p"]["share_dwellings"]
    (250.0, 0.75)
    """
    out: dict[str, Any] = {}
    for t, d in dist.items():
        fin = d[np.isfinite(d)]
        profiles = {}
        for p, reach in reaches.items():
            w = within[t, p]
            profiles[p] = {
                "reach_m": reach,
                "homes_within": int((w & known).sum()),
                "share_homes": round_value(overall_share(w, where=known), 4),
                "dwellings_within": round_value(float(dwellings[w & known].sum()), 3),
                "share_dwellings": round_value(overall_share(w, dwellings, known), 4),
            }
        out[t] = {
            "facilities": len(groups[t]),
            "mean_distance_m": round_value(fin.mean(), 2) if len(fin) else None,
            "median_distance_m": round_value(np.median(fin), 2) if len(fin) else None,
            "homes_beyond_search": int(np.isinf(d).sum()),
            "profiles": profiles,
        }
    return out


def reach_metrics(
    name: str,
    mask: np.ndarray,
    known: np.ndarray,
    dwellings: np.ndarray,
    groups: AreaGroups | None,
    out: Metrics,
) -> None:
    """Add the shares of homes and dwellings where ``mask`` holds, per area and overall.

    ``name`` is the metric id with ``{}`` for ``""`` (homes) or ``"_dwelling"``: the
    homes with an unknown distance are left out of both shares.
    """
    for infix, weights in (("", None), ("_dwelling", dwellings)):
        metric = name.format(infix)
        out.overall[metric] = overall_share(mask, weights, known)
        if groups is not None:
            out.area[metric] = groups.share(mask, weights, where=known)


def compute_facilities(
    layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context
) -> Metrics:
    """Compute the zorgcirkel: per home and facility type, distance and reach per profile."""
    reaches, groups, dwellings = _facilities_and_homes(layers, params, ctx)
    dist, info = distances_by_mode(
        layers["buildings"], groups, layers, params, ctx, max(reaches.values()), "facilities"
    )
    return facility_metrics(dist, info, groups, reaches, dwellings, params, ctx)


def _facilities_and_homes(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context
) -> tuple[dict[str, float], dict[str, np.ndarray], np.ndarray]:
    """Return the profiles' reaches, the facilities by type and each feature's dwellings."""
    check_metric_names(params)
    reaches = profile_reaches(params["mobility_profiles"], params["walking_speed_m_s"])
    groups = facility_groups(layers["facilities"], params["facility_types"], ctx)
    if not groups:
        if params["facility_types"] == []:
            raise InputError("facility_types", "the list is empty; give types, or null for all")
        raise InputError("facilities", "no facility has a 'type'; nothing to measure")
    return reaches, groups, read_dwellings(layers["buildings"], ctx)


def facility_metrics(
    dist: dict[str, np.ndarray],
    info: Mapping[str, Any],
    groups: Mapping[str, np.ndarray],
    reaches: dict[str, float],
    dwellings: np.ndarray,
    params: Mapping[str, Any],
    ctx: Context,
) -> Metrics:
    """Return the metrics from each home's distance per type (one piece and tiles alike)."""
    home = is_home(dwellings)
    ctx.provenance["reach_m"] = reaches
    if "network_cutoff_m" in info:
        ctx.provenance["network_cutoff_used_m"] = info["network_cutoff_m"]
    ctx.progress(0.8, "counting homes within reach")
    weights = positive_weights(params["visit_weights"])
    if missing := [t for t in weights if t not in dist]:
        ctx.warn(
            "visit-weight-type-absent",
            "visit_weights",
            f"weighted types {missing} are not among the facility types measured; they count "
            "as out of reach in visit_share",
            len(missing),
        )
    known = ~np.isnan(next(iter(dist.values()))) & home
    within = {
        (t, p): np.nan_to_num(d, nan=np.inf) <= r
        for t, d in dist.items()
        for p, r in reaches.items()
    }
    g = ctx.groups
    out = Metrics(
        feature={},
        overall={
            "homes": int(home.sum()),
            "homes_with_distance": int(known.sum()),
            "dwellings": float(dwellings.sum()),
        },
        outputs={"by_type": type_table(dist, groups, within, reaches, known, dwellings)},
    )
    if g is not None:
        out.area.update(
            homes=g.count(home), homes_with_distance=g.count(known), dwellings=g.sum(dwellings)
        )
    named = params["facility_types"] is not None  # per-type metrics only for named types
    for t, d in dist.items():
        if named:
            out.feature[f"{t}_distance_m"] = d
    for p, reach in reaches.items():
        here = {t: within[t, p] for t in dist}
        all_in = np.logical_and.reduce(list(here.values()))
        out.feature[f"types_within_{p}"] = np.where(
            known, np.sum(list(here.values()), axis=0), np.nan
        )
        out.feature[f"all_within_{p}"] = _known_flags(all_in, known)
        reach_metrics(f"all{{}}_share_{p}", all_in, known, dwellings, g, out)
        if weights:
            visit = visit_share(here, weights, known)
            out.feature[f"visit_share_{p}"] = visit
            out.overall[f"mean_visit_share_{p}"] = float(np.nanmean(visit)) if known.any() else None
            if g is not None:
                out.area[f"mean_visit_share_{p}"] = g.mean(visit, where=known)
        for t in dist if named else ():
            out.feature[f"{t}_within_{p}"] = within_column(dist[t], reach)
            reach_metrics(f"{t}{{}}_share_{p}", here[t], known, dwellings, g, out)
    return out


def _known_flags(flags: np.ndarray, known: np.ndarray) -> list[bool | None]:
    return [bool(a) if k else None for a, k in zip(flags.tolist(), known.tolist(), strict=True)]


_AREA_OVERALL: tuple[Level, ...] = ("area", "overall")
METRICS = (
    metric(
        "homes",
        "Woningen",
        "Homes",
        "count",
        levels=_AREA_OVERALL,
        digits=0,
        description="Homes (features of `buildings`), also those without a known distance.",
    ),
    metric(
        "homes_with_distance",
        "Woningen met afstand",
        "Homes with a distance",
        "count",
        levels=_AREA_OVERALL,
        digits=0,
        description="Homes with a known distance (network mode: snapped to a path); the "
        "shares count only these.",
    ),
    metric(
        "dwellings",
        "Wooneenheden",
        "Dwellings",
        "count",
        levels=_AREA_OVERALL,
        digits=3,
        description="Sum of the homes' `dwellings` (default 1 per home).",
    ),
)


def _share(id_: str, nl: str, en: str, description: str, *, scored: bool = False) -> Metric:
    return metric(
        id_,
        nl,
        en,
        FRACTION,
        levels=_AREA_OVERALL,
        direction="higher_is_better",
        digits=4,
        scored=scored,
        description=description,
    )


def profile_metrics(profile: str, weighted: bool) -> tuple[Metric, ...]:
    """Return the metrics of one mobility profile (all facility types together).

    Examples
    --------
    >>> [m.id for m in profile_metrics("standard", weighted=False)]
    ['types_within_standard', 'all_within_standard', 'all_share_standard', 'all_dwelling_share_standard']
    """
    p = profile
    out = [
        metric(
            f"types_within_{p}",
            f"Typen binnen bereik ({p})",
            f"Types within reach ({p})",
            "count",
            levels=("feature",),
            direction="higher_is_better",
            digits=0,
            description="Facility types with the nearest one within the profile's reach.",
        ),
        metric(
            f"all_within_{p}",
            f"Alles binnen bereik ({p})",
            f"All within reach ({p})",
            "boolean",
            levels=("feature",),
            description="Every facility type is within the profile's reach (null: unknown).",
        ),
        _share(
            f"all_share_{p}",
            f"Aandeel woningen met alles binnen bereik ({p})",
            f"Share of homes with every type within reach ({p})",
            "Homes with every facility type within reach ÷ homes with a distance.",
            scored=True,
        ),
        _share(
            f"all_dwelling_share_{p}",
            f"Aandeel wooneenheden met alles binnen bereik ({p})",
            f"Share of dwellings with every type within reach ({p})",
            "Dwellings with every facility type within reach ÷ dwellings with a distance.",
            scored=True,
        ),
    ]
    if weighted:
        out += [
            metric(
                f"visit_share_{p}",
                f"Aandeel bezoeken binnen bereik ({p})",
                f"Share of visits within reach ({p})",
                FRACTION,
                levels=("feature",),
                direction="higher_is_better",
                digits=4,
                description="Share of a year's visits (`visit_weights`) whose type is within reach.",
            ),
            _share(
                f"mean_visit_share_{p}",
                f"Gemiddeld aandeel bezoeken binnen bereik ({p})",
                f"Mean share of visits within reach ({p})",
                "Mean of the homes' `visit_share` (homes with a distance).",
            ),
        ]
    return tuple(out)


def type_metrics(facility_type: str, profiles: list[str]) -> tuple[Metric, ...]:
    """Return the metrics of one facility type named in ``facility_types``.

    Examples
    --------
    >>> [m.id for m in type_metrics("huisarts", ["standard"])]
    ['huisarts_distance_m', 'huisarts_within_standard', 'huisarts_share_standard', 'huisarts_dwelling_share_standard']
    """
    t = facility_type
    out = [
        metric(
            f"{t}_distance_m",
            f"Afstand tot {t}",
            f"Distance to {t}",
            "m",
            levels=("feature",),
            direction="lower_is_better",
            digits=2,
            description="Distance to the nearest facility of the type (null: unknown or "
            "beyond the search).",
        ),
    ]
    for p in profiles:
        out += [
            metric(
                f"{t}_within_{p}",
                f"{t} binnen bereik ({p})",
                f"{t} within reach ({p})",
                "boolean",
                levels=("feature",),
                description="The nearest facility of the type is within the profile's reach.",
            ),
            _share(
                f"{t}_share_{p}",
                f"Aandeel woningen met {t} binnen bereik ({p})",
                f"Share of homes with {t} within reach ({p})",
                "Homes with the type within reach ÷ homes with a distance.",
            ),
            _share(
                f"{t}_dwelling_share_{p}",
                f"Aandeel wooneenheden met {t} binnen bereik ({p})",
                f"Share of dwellings with {t} within reach ({p})",
                "Dwellings with the type within reach ÷ dwellings with a distance.",
            ),
        ]
    return tuple(out)


def request_metrics(params: Mapping[str, Any]) -> tuple[Metric, ...]:
    """Return the metrics whose names the request determines (``metric_templates``).

    Per mobility profile the all-types metrics (and the visit shares when
    ``visit_weights`` weigh something); per facility type *named* in ``facility_types``
    its distance and per-profile metrics. With ``facility_types`` null the types come
    from the data only: their figures are in the ``by_type`` output.

    Examples
    --------
    >>> ids = [m.id for m in request_metrics({"mobility_profiles": {"fit": 500},
    ...     "walking_speed_m_s": 1.0, "visit_weights": None, "facility_types": ["gp"]})]
    >>> ids[:4], len(ids)
    (['types_within_fit', 'all_within_fit', 'all_share_fit', 'all_dwelling_share_fit'], 8)
    """
    profiles = list(profile_reaches(params["mobility_profiles"], params["walking_speed_m_s"]))
    weighted = bool(positive_weights(params["visit_weights"]))
    out = [m for p in profiles for m in profile_metrics(p, weighted)]
    for t in requested_types(params["facility_types"] or []):
        out += type_metrics(t, profiles)
    return tuple(out)


_GEROSCOOP = Source(
    "Geroscoop",
    "Geroscoop / Vilans, visit frequencies of older people: supermarket 52, GP 12, pharmacy 12 per year",
)
_CBS = Source(
    "CBS nabijheid",
    "CBS, Nabijheid voorzieningen (distance over the road to the nearest facility)",
    "https://www.cbs.nl/nl-nl/maatwerk/2024/13/nabijheid-voorzieningen-2023",
)

_EXAMPLE_NET = rd_collection(
    [
        line_feature([[121000, 487000], [121400, 487000]], highway="residential"),
        line_feature([[121200, 486800], [121200, 487200]], highway="footway"),
    ]
)


def _pt_fc(rows: list[tuple[Any, float, float, dict[str, Any]]]) -> dict[str, Any]:
    return rd_collection(point_feature(x, y, fid, **props) for fid, x, y, props in rows)


def tile_kernel(tile: TileData) -> TilePart:
    """Return the straight-line distance from each core home to the nearest facility of each type."""
    feature = {
        f"t{i}": euclidean_nearest(tile.features, tile.shared[f"t{i}"])
        for i in range(len(tile.params["types"]))
    }
    return TilePart(tile.tile, tile.core, feature)


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: the facilities by type, read whole."""
    reaches, groups, dwellings = _facilities_and_homes(layers, params, ctx)
    types = list(groups)

    def finish(merged: Merged) -> Metrics:
        dist = {t: merged.feature[f"t{i}"] for i, t in enumerate(types)}
        info = {"distance_mode": params["distance_mode"]}
        return facility_metrics(dist, info, groups, reaches, dwellings, params, ctx)

    return Prepared(
        kernel=f"{__name__}:tile_kernel",
        features=layers["buildings"].geometries,
        finish=finish,
        shared={f"t{i}": groups[t] for i, t in enumerate(types)},
        params={"types": types},
    )


def _runs_whole(params: Mapping[str, Any]) -> str | None:
    if params.get("distance_mode") == "network":
        return "network distances run whole: the walking graph is not cut into tiles"
    return None


TILING = Tiling(
    reach=lambda params: max(
        profile_reaches(params["mobility_profiles"], float(params["walking_speed_m_s"])).values()
    ),
    reach_text="the longest mobility-profile reach (the facilities are read whole)",
    whole=("facilities", "neighbourhoods"),
    whole_when=_runs_whole,
    prepare=prepare_tiles,
)
"""``proximity-facilities`` in tiles (straight-line distances; network mode runs whole)."""


INDICATORS = (
    Indicator(
        id="proximity-facilities",
        version="2.1.1",
        title={
            "nl": "Zorgcirkel: voorzieningen op loopafstand",
            "en": "Care circle: facilities within walking distance",
        },
        description={
            "nl": "Per woning en per type voorziening (huisarts, apotheek, supermarkt, zorgpunt, "
            "school …) de afstand tot de dichtstbijzijnde en of die binnen bereik ligt, per "
            "mobiliteitsprofiel (standaard 300 m, beperkt 150 m); aandelen per buurt en totaal.",
            "en": "For each home and facility type (GP, pharmacy, supermarket, care point, "
            "school ...) the distance to the nearest one and whether it is within reach, per "
            "mobility profile (standard 300 m, reduced 150 m); shares per neighbourhood and overall.",
        },
        theme="proximity",
        method=(
            "A home is a feature with `dwellings` > 0 (absent: 1); features with 0 are not "
            "homes and are left out of every count and share (`data_quality.not_homes`; "
            "2.1.0: one definition of a home across all indicators, `gsl_indicators.core.homes`). "
            "Facilities are grouped by their `type` property (all types present, or those in "
            "`facility_types`). For every home the distance to the nearest facility of each type "
            "is measured: straight-line from the footprint or address point (0 when inside), or, "
            "with `distance_mode` 'network', over the walking network: the lines are noded at "
            "shared vertices and crossings, homes and facilities are snapped to the nearest point "
            "of a path (the snap distances are walked too), and one multi-source Dijkstra search "
            "per type (scipy.sparse.csgraph, stopped at `network_cutoff_m`) gives every home's "
            "distance. Homes farther than `snap_limit_m` from any path get no distance and a "
            "warning; they are left out of the shares. Each mobility profile has a reach in metres "
            "(or minutes × walking speed); a facility type is within reach when its distance is at "
            "most the reach. Shares (fractions 0–1) of homes and of dwellings (property "
            "`dwellings`, default 1) with every type within reach (`all_share_<profile>`, "
            "`all_dwelling_share_<profile>`) are given per neighbourhood (the one containing the "
            "home's representative point) and overall; homes without a distance count in "
            "`homes` but not in the shares. Metric names follow the request: per mobility "
            "profile always; per facility type (`<type>_distance_m`, `<type>_within_<profile>`, "
            "`<type>_share_<profile>`, `<type>_dwelling_share_<profile>`) only for the types "
            "named in `facility_types`. With `facility_types` null the types come from the data "
            "alone, so their overall figures are in the `by_type` output instead. "
            "With `visit_weights` (Geroscoop: supermarket 52, GP 12, pharmacy 12 visits a year), "
            "`visit_share_<profile>` is the share of a year's visits whose facility type is within "
            "reach (`mean_visit_share_<profile>` per neighbourhood and overall). "
            "Scores 1–10 come from the **norm profile** (`profile`; not to be confused with "
            "the mobility profiles) per area type (`area_type` parameter, else the "
            "neighbourhood's `area_type` or `urbanity_class`), overall and per neighbourhood, "
            "for `all_share_<mobility profile>` and `all_dwelling_share_<mobility profile>`: "
            "the share of homes (dwellings) with every facility type within reach. nl-default "
            "has bands for the mobility profiles `standard` and `reduced` (headline "
            "`all_share_standard`; e.g. 60 % scores 6 and 95 % scores 10 by default, 80 % and "
            "100 % in the inner city); shares of other mobility profiles are listed as "
            "unscored unless a `profile_override` adds bands for them (per-type shares are not "
            "scored). The reach decides "
            "whether a home counts; the profile's band judges the share."
        ),
        compute=compute_facilities,
        inputs=(
            BUILDINGS,
            GeoInput(
                "facilities",
                "Facilities",
                "Facilities as points (polygons are reached at their boundary).",
                POINTS + POLYGONS,
                properties={
                    "type": "facility type, e.g. huisarts, apotheek, supermarkt, zorgpunt, school"
                },
            ),
            NEIGHBOURHOODS,
            NETWORK,
        ),
        parameters=(
            Parameter(
                "mobility_profiles",
                "Mobility profiles",
                'Reach per mobility profile: metres, {"distance_m": d}, or {"minutes": t} with '
                'an optional "speed_m_s" or "speed_km_h". Default: standard 300 m (the '
                "zorgcirkel: ≈ 5 minutes' walk for healthy older people) and reduced 150 m "
                "(walker/rollator, ≈ 5 minutes at 0.5 m/s).",
                "object",
                default=DEFAULT_PROFILES,
                annotation=dict[str, Any],
                schema=mobility_profiles_schema(),
            ),
            Parameter(
                "walking_speed_m_s",
                "Walking speed",
                "Speed for profiles given in minutes without their own speed. Default 1.0 m/s: "
                "300 m in 5 minutes, the zorgcirkel's assumption for healthy older people.",
                "number",
                default=1.0,
                minimum=0.2,
                maximum=2.5,
                unit="m/s",
                # the range the GGO and Nieuwegein cards allow (catalog): slow to brisk walkers
                plausible=(0.6, 1.4),
                unread_if=walking_speed_unread,
            ),
            Parameter(
                "facility_types",
                "Facility types",
                "Facility types to measure (values of the `type` property); null: every type present.",
                "array",
                default=None,
                nullable=True,
                schema={"items": {"type": "string"}},
            ),
            Parameter(
                "visit_weights",
                "Visit weights",
                "Visits a year per facility type, for the weighted `visit_share` (Geroscoop: "
                "supermarkt 52, huisarts 12, apotheek 12); null switches it off.",
                "object",
                default=DEFAULT_VISIT_WEIGHTS,
                nullable=True,
                schema={"additionalProperties": {"type": "number", "minimum": 0, "maximum": 1e6}},
            ),
            *walking_parameters(),
        ),
        outputs=(
            Output(
                "by_type",
                "Per facility type",
                "Per facility type found (or named): facilities, mean and median distance, "
                "homes beyond the search, and per mobility profile homes and dwellings within "
                "reach and their shares (overall).",
            ),
        ),
        metrics=METRICS,
        metric_templates=request_metrics,
        scores=True,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        norms=(
            Norm(
                "standard_reach",
                300,
                "m",
                "zorgcirkel: facilities within 300 m (≈ 5 min walk for healthy older people)",
                "seed (municipal council, zorgcirkel); DOMAIN",
                "mobility_profiles",
            ),
            Norm(
                "reduced_reach",
                150,
                "m",
                "reduced mobility (walker/rollator): half the distance in the same time",
                "DOMAIN (distance per mobility profile)",
                "mobility_profiles",
            ),
        ),
        sources=(_GEROSCOOP, _CBS),
        keywords=("zorgcirkel", "nabijheid", "voorzieningen", "walking distance"),
        example={
            "buildings": _pt_fc(
                [("w1", 121050, 487010, {"dwellings": 2}), ("w2", 121210, 487150, {})]
            ),
            "facilities": _pt_fc(
                [
                    ("f1", 121100, 486995, {"type": "huisarts"}),
                    ("f2", 121195, 486900, {"type": "supermarkt"}),
                    ("f3", 121300, 487004, {"type": "apotheek"}),
                ]
            ),
            "network": _EXAMPLE_NET,
            "distance_mode": "network",
        },
    ),
)
