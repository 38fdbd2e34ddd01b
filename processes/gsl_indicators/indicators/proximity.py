"""``proximity-facilities`` (the *zorgcirkel*), and the reach machinery it shares.

``proximity-facilities`` and ``cool-place-distance`` (and anything else that asks "is
the nearest X within d metres of each home?") share the same steps: measure the
distance from every home to its nearest target (straight line or over the walking
network, :mod:`gsl_indicators.core.network`), compare it with a reach, and count homes and
dwellings per neighbourhood and overall. Those steps and their parameters come first
in this module; the zorgcirkel indicator follows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import line_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer, feature_collection, zone_index
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
from gsl_indicators.core.scoring import (
    PROFILE_PARAMETERS,
    area_score_columns,
    area_types_of,
    pick_metrics,
    resolve_profile,
    scorecard,
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

BUILDINGS = GeoInput(
    "buildings",
    "Homes",
    "Homes: building footprints or address points (EPSG:28992 or WGS84).",
    POINTS + POLYGONS,
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


def json_distance(d: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Round distances for output; ``inf`` and NaN become NaN (JSON ``null``)."""
    out = np.round(np.asarray(d, dtype=float), decimals)
    out[~np.isfinite(out)] = np.nan
    return out


def within_column(d: np.ndarray, reach: float) -> list[bool | None]:
    """Return True/False per distance against ``reach``; ``None`` where the distance is unknown."""
    known = ~np.isnan(d)
    inside = d <= reach
    return [bool(w) if k else None for w, k in zip(inside.tolist(), known.tolist(), strict=True)]


def shares(
    within: np.ndarray,
    known: np.ndarray,
    dwellings: np.ndarray,
    area: np.ndarray | None = None,
    n_areas: int = 0,
) -> dict[str, np.ndarray]:
    """Count homes and dwellings within reach, overall or per area.

    Parameters
    ----------
    within : numpy.ndarray of bool
        Per home: within reach.
    known : numpy.ndarray of bool
        Per home: the distance is known (homes off the network are left out).
    dwellings : numpy.ndarray of float
        Dwellings per home.
    area : numpy.ndarray of int, optional
        Area index per home (``-1``: none). Without it, one overall group.
    n_areas : int
        Number of areas.

    Returns
    -------
    dict
        ``homes``, ``homes_within``, ``share_homes``, ``dwellings``,
        ``dwellings_within``, ``share_dwellings`` (arrays; NaN shares for empty groups).

    Examples
    --------
    >>> s = shares(np.array([True, False, True]), np.array([True, True, False]),
    ...            np.array([1.0, 3.0, 2.0]))
    >>> float(s["share_homes"][0]), float(s["share_dwellings"][0])  # 1/2 and 1/4
    (0.5, 0.25)
    """
    if area is None:
        area = np.zeros(len(within), dtype=np.int64)
        n_areas = 1
    sel = known & (area >= 0)
    a = area[sel]
    w = within[sel].astype(float)
    dw = dwellings[sel]
    homes = np.bincount(a, minlength=n_areas).astype(float)
    homes_in = np.bincount(a, weights=w, minlength=n_areas)
    dwell = np.bincount(a, weights=dw, minlength=n_areas)
    dwell_in = np.bincount(a, weights=dw * w, minlength=n_areas)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "homes": homes,
            "homes_within": homes_in,
            "share_homes": np.where(homes > 0, homes_in / np.maximum(homes, 1), np.nan),
            "dwellings": dwell,
            "dwellings_within": dwell_in,
            "share_dwellings": np.where(
                dwell > 0, dwell_in / np.where(dwell > 0, dwell, 1), np.nan
            ),
        }


def rounded(x: float, decimals: int = 4) -> float | None:
    """Round a scalar for JSON; NaN and inf become ``None``."""
    x = float(x)
    return round(x, decimals) if math.isfinite(x) else None


# ---------------------------------------------------------------------------
# proximity-facilities: the zorgcirkel
# ---------------------------------------------------------------------------

DEFAULT_PROFILES: dict[str, Any] = {
    "standard": {"distance_m": 300.0},
    "reduced": {"distance_m": 150.0},
}
DEFAULT_VISIT_WEIGHTS: dict[str, float] = {"supermarkt": 52.0, "huisarts": 12.0, "apotheek": 12.0}
_MAX_REACH_M = 20000.0


def profile_reaches(profiles: Mapping[str, Any], walking_speed_m_s: float) -> dict[str, float]:
    """Return the reach in metres of each mobility profile.

    A profile is a number of metres, ``{"distance_m": d}``, or ``{"minutes": t}`` with an
    optional ``"speed_m_s"`` or ``"speed_km_h"`` (default: ``walking_speed_m_s``).

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
    if not profiles:
        raise InputError(name, "give at least one profile")
    out: dict[str, float] = {}
    for key, spec in profiles.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(name, "profile names must be non-empty strings")
        reach: float
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            reach = float(spec)
        elif isinstance(spec, Mapping) and "distance_m" in spec:
            reach = _num(spec["distance_m"], f"{key}.distance_m")
        elif isinstance(spec, Mapping) and "minutes" in spec:
            minutes = _num(spec["minutes"], f"{key}.minutes")
            if "speed_m_s" in spec:
                speed = _num(spec["speed_m_s"], f"{key}.speed_m_s")
            elif "speed_km_h" in spec:
                speed = _num(spec["speed_km_h"], f"{key}.speed_km_h") / 3.6
            else:
                speed = float(walking_speed_m_s)
            if not 0 < speed <= 3:
                raise InputError(
                    name, f"profile '{key}': walking speed {speed:g} m/s is not in (0, 3]"
                )
            reach = minutes * 60.0 * speed
        else:
            raise InputError(
                name,
                f"profile '{key}' must be metres, {{\"distance_m\": d}} or "
                f'{{"minutes": t, "speed_m_s"|"speed_km_h": v}}',
            )
        if not 0 < reach <= _MAX_REACH_M:
            raise InputError(
                name, f"profile '{key}': reach {reach:g} m is not in (0, {_MAX_REACH_M:g}]"
            )
        out[key] = round(reach, 6)
    return out


def _num(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError("mobility_profiles", f"{where} must be a number (got {v!r})")
    return float(v)


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
        names = list(dict.fromkeys(str(t).strip() for t in wanted))
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


def compute_facilities(
    layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """Compute the zorgcirkel: per home and facility type, distance and reach per profile."""
    norm_profile = resolve_profile(params)
    reaches = profile_reaches(params["mobility_profiles"], params["walking_speed_m_s"])
    # the metrics scored with the norm profile: every home reaches all types, per profile
    scored = [f"all{u}_share_{p}" for p in reaches for u in ("", "_dwelling")]
    homes = layers["buildings"]
    groups = facility_groups(layers["facilities"], params["facility_types"], ctx)
    if not groups:
        if params["facility_types"] == []:
            raise InputError("facility_types", "the list is empty; give types, or null for all")
        raise InputError("facilities", "no facility has a 'type'; nothing to measure")
    dwellings = homes.number("dwellings", 1.0, ctx)
    dist, info = distances_by_mode(
        homes, groups, layers, params, ctx, max(reaches.values()), "facilities"
    )
    ctx.progress(0.8, "counting homes within reach")
    weights = params["visit_weights"]
    weighted = {t: float(w) for t, w in (weights or {}).items() if float(w) > 0}
    missing_w = [t for t in weighted if t not in dist]
    if missing_w:
        ctx.warn(
            "visit-weight-type-absent",
            "visit_weights",
            f"weighted types {missing_w} are not among the facility types measured; they count "
            "as out of reach in visit_share",
            len(missing_w),
        )
    total_w = sum(weighted.values())
    known = ~np.isnan(next(iter(dist.values())))
    nbh = layers.get("neighbourhoods")
    area = zone_index(homes.geometries, nbh.geometries) if nbh is not None else None
    n_area = len(nbh) if nbh is not None else 0

    columns: dict[str, Any] = {}
    area_cols: dict[str, Any] = {}
    by_type: dict[str, Any] = {}
    within: dict[tuple[str, str], np.ndarray] = {}
    for t, d in dist.items():
        columns[f"{t}_distance_m"] = json_distance(d)
        for p, reach in reaches.items():
            w = np.nan_to_num(d, nan=np.inf) <= reach
            within[t, p] = w
            columns[f"{t}_within_{p}"] = within_column(d, reach)
        finite = d[np.isfinite(d)]
        by_type[t] = {
            "facilities": len(groups[t]),
            "mean_distance_m": rounded(finite.mean(), 2) if len(finite) else None,
            "median_distance_m": rounded(np.median(finite), 2) if len(finite) else None,
            "homes_beyond_search": int(np.isinf(d).sum()),
            "profiles": {},
        }
    summary_profiles: dict[str, Any] = {}
    for p, reach in reaches.items():
        all_in = np.logical_and.reduce([within[t, p] for t in dist])
        n_in = np.sum([within[t, p] for t in dist], axis=0)
        columns[f"types_within_{p}"] = np.where(known, n_in, -1)
        columns[f"all_within_{p}"] = [
            bool(a) if k else None for a, k in zip(all_in.tolist(), known.tolist(), strict=True)
        ]
        visit: np.ndarray | None = None
        if weighted:
            acc = np.zeros(len(homes))
            for t, wt in weighted.items():
                if t in dist:
                    acc += wt * within[t, p]
            visit = np.where(known, acc / total_w, np.nan)
            columns[f"visit_share_{p}"] = np.round(visit, 4)
        for t in dist:
            s = shares(within[t, p], known, dwellings)
            by_type[t]["profiles"][p] = _share_summary(s, reach)
            if area is not None:
                sa = shares(within[t, p], known, dwellings, area, n_area)
                area_cols[f"{t}_share_{p}"] = np.round(sa["share_homes"], 4)
                area_cols[f"{t}_dwelling_share_{p}"] = np.round(sa["share_dwellings"], 4)
        s_all = shares(all_in, known, dwellings)
        summary_profiles[p] = {"reach_m": reach, "all_types": _share_summary(s_all, reach)}
        if visit is not None:
            summary_profiles[p]["mean_visit_share"] = (
                rounded(np.nanmean(visit)) if known.any() else None
            )
        if area is not None:
            sa = shares(all_in, known, dwellings, area, n_area)
            area_cols[f"all_share_{p}"] = np.round(sa["share_homes"], 4)
            area_cols[f"all_dwelling_share_{p}"] = np.round(sa["share_dwellings"], 4)
            if visit is not None:
                sel = known & (area >= 0)
                cnt = np.bincount(area[sel], minlength=n_area)
                tot = np.bincount(area[sel], weights=visit[sel], minlength=n_area)
                with np.errstate(invalid="ignore", divide="ignore"):
                    area_cols[f"mean_visit_share_{p}"] = np.round(
                        np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan), 4
                    )
    out: dict[str, Any] = {"buildings": feature_collection(homes, columns)}
    if nbh is not None and area is not None:
        base = shares(np.zeros(len(homes), bool), known, dwellings, area, n_area)
        ats = area_types_of(nbh, params["area_type"], ctx)
        area_cols.update(
            area_score_columns(norm_profile, "proximity-facilities", area_cols, ats, scored)
        )
        out["neighbourhoods"] = feature_collection(
            nbh,
            {"homes": base["homes"].astype(int), "dwellings": base["dwellings"], **area_cols},
        )
        outside = int((area < 0).sum())
        if outside:
            ctx.warn(
                "homes-outside-neighbourhoods",
                "buildings",
                f"{outside} homes lie in no neighbourhood (counted overall only)",
                outside,
            )
    out["summary"] = {
        **info,
        "homes": len(homes),
        "homes_with_distance": int(known.sum()),
        "dwellings": rounded(dwellings.sum(), 3),
        "profiles": summary_profiles,
        "by_type": by_type,
        **({"visit_weights": weighted} if weighted else {}),
    }
    overall: dict[str, Any] = {}
    for p in reaches:
        overall[f"all_share_{p}"] = summary_profiles[p]["all_types"]["share_homes"]
        overall[f"all_dwelling_share_{p}"] = summary_profiles[p]["all_types"]["share_dwellings"]
        for t in dist:
            overall[f"{t}_share_{p}"] = by_type[t]["profiles"][p]["share_homes"]
            overall[f"{t}_dwelling_share_{p}"] = by_type[t]["profiles"][p]["share_dwellings"]
    out["summary"]["scorecard"] = scorecard(
        norm_profile,
        "proximity-facilities",
        pick_metrics(norm_profile, "proximity-facilities", overall, scored),
        params["area_type"],
    )
    out["profile"] = norm_profile.to_dict(indicator="proximity-facilities")
    return out


def _share_summary(s: Mapping[str, np.ndarray], reach: float) -> dict[str, Any]:
    return {
        "reach_m": reach,
        "homes_within": int(s["homes_within"][0]),
        "share_homes": rounded(s["share_homes"][0]),
        "dwellings_within": rounded(s["dwellings_within"][0], 3),
        "share_dwellings": rounded(s["share_dwellings"][0]),
    }


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


INDICATORS = (
    Indicator(
        id="proximity-facilities",
        version="1.2.0",
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
            "most the reach. Shares of homes and of dwellings (property `dwellings`, default 1) "
            "within reach are given per type and profile, for all types together, per "
            "neighbourhood (the one containing the home's representative point) and overall. "
            "With `visit_weights` (Geroscoop: supermarket 52, GP 12, pharmacy 12 visits a year), "
            "`visit_share` is the share of a year's visits whose facility type is within reach. "
            "Scores 1–10 come from the **norm profile** (`profile`; not to be confused with "
            "the mobility profiles) per area type (`area_type` parameter, else the "
            "neighbourhood's `area_type` or `urbanity_class`), overall and per neighbourhood, "
            "for `all_share_<mobility profile>` and `all_dwelling_share_<mobility profile>`: "
            "the share of homes (dwellings) with every facility type within reach. nl-default "
            "has bands for the mobility profiles `standard` and `reduced` (headline "
            "`all_share_standard`; e.g. 60 % scores 6 and 95 % scores 10 by default, 80 % and "
            "100 % in the inner city); shares of other mobility profiles are listed as "
            "unscored unless a `profile_override` adds bands for them. The reach decides "
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
                schema={
                    "additionalProperties": {
                        "oneOf": [
                            {"type": "number", "exclusiveMinimum": 0},
                            {
                                "type": "object",
                                "properties": {
                                    "distance_m": {"type": "number", "exclusiveMinimum": 0},
                                    "minutes": {"type": "number", "exclusiveMinimum": 0},
                                    "speed_m_s": {"type": "number", "exclusiveMinimum": 0},
                                    "speed_km_h": {"type": "number", "exclusiveMinimum": 0},
                                },
                            },
                        ]
                    },
                    "minProperties": 1,
                },
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
                schema={"additionalProperties": {"type": "number", "minimum": 0}},
            ),
            *walking_parameters(),
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input homes with `<type>_distance_m`, `<type>_within_<profile>`, "
                "`types_within_<profile>`, `all_within_<profile>` and `visit_share_<profile>`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Input neighbourhoods with `homes`, `dwellings`, `<type>_share_<profile>`, "
                "`<type>_dwelling_share_<profile>`, `all_share_<profile>`, "
                "`all_dwelling_share_<profile>`, `area_type`, `score` (of `all_share_standard`, "
                "1–10) and `scorecard` (only with `neighbourhoods`).",
                {"type": "object"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall shares per type and profile, for all types together, the mean visit "
                "share, and the overall scorecard.",
                {"type": "object"},
            ),
            Output(
                "profile",
                "Norm profile",
                "The norm profile used (proximity-facilities part).",
                {"type": "object"},
            ),
        ),
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
