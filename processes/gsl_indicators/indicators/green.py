"""Green indicators: ``green-3-30-300`` and ``green-per-dwelling``.

The kernels are pure functions over shapely 2 arrays and numpy (no loop per feature):

* :func:`trees_within` — trees within a distance of each home (``STRtree`` with the
  ``dwithin`` predicate, in threads);
* :func:`park_groups` / :func:`park_distance` — parks merged where they touch, judged
  by size, and the distance from each home to the nearest qualifying one
  (``STRtree.query_nearest``; or over the walking network via
  :mod:`gsl_indicators.core.network`);
* :func:`gsl_indicators.core.canopy.canopy_area` — the union of crowns per neighbourhood;
* :func:`green_3_30_300_arrays` — all of the above, the part the benchmark times;
* :func:`green_available` — public green within reach of a neighbourhood's homes and
  the dwellings sharing it (used by the housing-capacity indicator).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.canopy import canopy_area, chunked_map, dissolve_groups, overlap_groups
from gsl_indicators.core.examples import box, box_feature, feature, point, rd_collection
from gsl_indicators.core.geo import Layer, feature_collection, representative_points, zone_index
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

SCORED_3_30_300: tuple[str, ...] = (
    "share_dwellings_meeting_all_three",
    "share_meeting_all_three",
    "share_buildings_meeting_all_three",
    "canopy_share",
    "share_buildings_meeting_3",
    "share_dwellings_meeting_3",
    "share_buildings_meeting_300",
    "share_dwellings_meeting_300",
)
"""Metrics of ``green-3-30-300`` scored with the norm profile (headline first)."""

SCORED_PER_DWELLING: tuple[str, ...] = (
    "green_per_dwelling_m2",
    "share_buildings_meeting_norm",
    "share_dwellings_meeting_norm",
)
"""Metrics of ``green-per-dwelling`` scored with the norm profile (headline first)."""

# --------------------------------------------------------------------------- kernels


def trees_within(
    homes: np.ndarray, trees: np.ndarray, distance_m: float, workers: int | None = None
) -> np.ndarray:
    """Return the number of trees within ``distance_m`` of each home (footprint or point).

    Trees inside a footprint count (distance 0).

    Examples
    --------
    >>> homes = np.array([shapely.box(0, 0, 10, 10), shapely.Point(100, 100)])
    >>> trees = shapely.points([(15, 5), (40, 5), (5, 5), (100, 129)])
    >>> trees_within(homes, trees, 30).tolist()   # 5, 30 and 0 m; 29 m
    [3, 1]
    """
    if not len(homes) or not len(trees):
        return np.zeros(len(homes), dtype=np.int64)
    tree = shapely.STRtree(trees)

    def job(start: int, chunk: np.ndarray) -> np.ndarray:
        # box candidates, then exact distances: faster than the dwithin predicate,
        # which prepares every footprint
        h, t = tree.query(expanded_boxes(chunk, distance_m))
        near = shapely.distance(chunk[h], trees[t]) <= distance_m
        return np.bincount(h[near], minlength=len(chunk))

    return np.concatenate(chunked_map(job, len(homes), homes, workers=workers)).astype(np.int64)


def expanded_boxes(geoms: np.ndarray, distance_m: float) -> np.ndarray:
    """Return each geometry's bounding box grown by ``distance_m`` on every side.

    Examples
    --------
    >>> shapely.bounds(expanded_boxes(np.array([shapely.Point(0, 0)]), 5)).tolist()
    [[-5.0, -5.0, 5.0, 5.0]]
    """
    b = shapely.bounds(geoms)
    d = float(distance_m)
    return shapely.box(b[:, 0] - d, b[:, 1] - d, b[:, 2] + d, b[:, 3] + d)


def park_groups(
    parks: np.ndarray, merge_touching: bool = True, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Group parks that touch or overlap and return ``(label per park, area per group)``.

    A park drawn as several touching polygons is one park when its size is judged;
    overlapping parts count once. Without ``merge_touching`` every feature is its own
    park (a MultiPolygon feature is always one park).

    Examples
    --------
    >>> parks = np.array([shapely.box(0, 0, 60, 100), shapely.box(60, 0, 120, 100),
    ...                   shapely.box(500, 0, 550, 50)])
    >>> labels, area = park_groups(parks)
    >>> labels.tolist(), area.tolist()   # 6,000 + 6,000 m² merged; 2,500 m²
    ([0, 0, 1], [12000.0, 2500.0])
    >>> park_groups(parks, merge_touching=False)[1].tolist()
    [6000.0, 6000.0, 2500.0]
    """
    n = len(parks)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0)
    if not merge_touching:
        return np.arange(n, dtype=np.int64), np.asarray(shapely.area(parks), dtype=float)
    left, right = shapely.STRtree(parks).query(parks, predicate="intersects")
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    labels = np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)
    merged = dissolve_groups(parks, labels, workers)
    return labels, np.asarray(shapely.area(merged), dtype=float)


def park_distance(
    homes: np.ndarray, parks: np.ndarray, reach_m: float = 300.0, workers: int | None = None
) -> np.ndarray:
    """Return the straight-line distance from each home to the nearest park (0 inside).

    ``inf`` when there is no park. Parks within ``reach_m`` are found by box
    candidates and exact distances (fast); only homes with none within reach fall back
    to ``STRtree.query_nearest``.

    Examples
    --------
    >>> park_distance(np.array([shapely.Point(0, 0), shapely.Point(150, 50)]),
    ...               np.array([shapely.box(100, 0, 200, 100)]), reach_m=50).tolist()
    [100.0, 0.0]
    """
    out = np.full(len(homes), np.inf)
    if not len(homes) or not len(parks):
        return out
    tree = shapely.STRtree(parks)

    def job(start: int, chunk: np.ndarray) -> np.ndarray:
        res = np.full(len(chunk), np.inf)
        h, p = tree.query(expanded_boxes(chunk, reach_m))
        np.minimum.at(res, h, shapely.distance(chunk[h], parks[p]))
        res[res > reach_m] = np.inf
        miss = np.flatnonzero(np.isinf(res))
        if len(miss):
            (m, _), d = tree.query_nearest(chunk[miss], return_distance=True, all_matches=False)
            res[miss[m]] = d
        return res

    return np.concatenate(chunked_map(job, len(homes), homes, workers=workers))


def _shares(meets: np.ndarray, weight: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Weighted share of ``meets`` (1/0, NaN unknown) per group; NaN where nothing is known."""
    known = ~np.isnan(meets) & (group >= 0)
    g = group[known]
    num = np.bincount(g, weights=(meets[known] * weight[known]), minlength=n_groups)
    den = np.bincount(g, weights=weight[known], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _share(meets: np.ndarray, weight: np.ndarray) -> float:
    known = ~np.isnan(meets)
    den = float(weight[known].sum())
    return float((meets[known] * weight[known]).sum() / den) if den > 0 else math.nan


@dataclass
class CanopyZones:
    """Neighbourhoods as seen by the canopy data.

    Attributes
    ----------
    zones : numpy.ndarray
        Each neighbourhood clipped to the canopy extent (the neighbourhood itself where
        it lies wholly inside, or where no extent is given).
    coverage : numpy.ndarray
        Share of each neighbourhood's area inside the extent (or, without an extent,
        inside the canopy data's bounding box).
    extent : str
        ``"canopy_extent"`` or ``"canopy bounding box"``.
    """

    zones: np.ndarray
    coverage: np.ndarray
    extent: str


def canopy_zones(
    neighbourhoods: np.ndarray, crowns: np.ndarray, extent: np.ndarray | None
) -> CanopyZones:
    """Clip neighbourhoods to the canopy extent and measure their coverage.

    Examples
    --------
    >>> nb = np.array([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)])
    >>> cz = canopy_zones(nb, np.array([shapely.box(10, 10, 20, 20)]),
    ...                   np.array([shapely.box(0, 0, 150, 100)]))
    >>> cz.coverage.tolist(), shapely.area(cz.zones).tolist()
    ([1.0, 0.5], [10000.0, 5000.0])
    """
    area = shapely.area(neighbourhoods)
    if extent is not None and len(extent):
        ext = shapely.union_all(extent)
        shapely.prepare(ext)
        inside = shapely.contains(ext, neighbourhoods)
        zones = np.asarray(neighbourhoods, dtype=object).copy()
        part = ~inside
        if part.any():
            zones[part] = shapely.intersection(neighbourhoods[part], ext)
        cov = np.where(area > 0, shapely.area(zones) / np.where(area > 0, area, 1.0), 0.0)
        return CanopyZones(zones, cov, "canopy_extent")
    if len(crowns):
        bbox = shapely.box(*shapely.total_bounds(crowns))
        inside = shapely.contains(bbox, neighbourhoods)
        cov = np.ones(len(neighbourhoods))
        part = ~inside
        if part.any():
            a = shapely.area(shapely.intersection(neighbourhoods[part], bbox))
            cov[part] = a / np.where(area[part] > 0, area[part], 1.0)
    else:
        cov = np.zeros(len(neighbourhoods))
    return CanopyZones(np.asarray(neighbourhoods, dtype=object), cov, "canopy bounding box")


def green_3_30_300_arrays(
    homes: np.ndarray,
    dwellings: np.ndarray,
    neighbourhoods: np.ndarray,
    parks: np.ndarray,
    params: Mapping[str, Any],
    trees: np.ndarray | None = None,
    crowns: np.ndarray | None = None,
    extent: np.ndarray | None = None,
    network_lines: np.ndarray | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Compute the 3-30-300 rule on geometry arrays (the kernel the benchmark times).

    Parameters
    ----------
    homes : numpy.ndarray
        Footprints or points (metric CRS).
    dwellings : numpy.ndarray of float
        Dwellings per home.
    neighbourhoods, parks : numpy.ndarray
        Polygons.
    params : Mapping
        ``tree_distance_m``, ``min_trees``, ``canopy_target``, ``park_distance_m``,
        ``min_park_area_m2``, ``merge_touching_parks``, ``distance_mode`` and, in network
        mode, ``network_cutoff_m``, ``snap_limit_m``, ``entrance_tolerance_m``.
    trees : numpy.ndarray of Point, optional
        Tree points; without them each crown counts as one tree at its
        ``point_on_surface``.
    crowns : numpy.ndarray, optional
        Canopy polygons (overlaps count once).
    extent : numpy.ndarray, optional
        Where the canopy data is complete.
    network_lines : numpy.ndarray, optional
        Walkable lines (network mode).
    workers : int, optional
        Threads.

    Returns
    -------
    dict
        Per home: ``trees_within``, ``meets_3``, ``park_distance_m`` (inf: no qualifying
        park / beyond the network cut-off; NaN: not on the network), ``meets_300``
        (1/0/NaN), ``neighbourhood`` (index, -1 outside), ``meets_30`` and
        ``meets_all_three`` (1/0/NaN). Per neighbourhood: ``canopy_area_m2``,
        ``zone_area_m2``, ``canopy_coverage``, ``canopy_share``, ``meets_30``. Parks:
        ``park_group``, ``park_group_area``, ``park_qualifies``. Network stages in
        ``network``.
    """
    n_home = len(homes)
    n_nb = len(neighbourhoods)
    out: dict[str, Any] = {}
    # --- 3
    tree_pts = trees
    if tree_pts is None and crowns is not None:
        tree_pts = shapely.point_on_surface(crowns)
    if tree_pts is not None:
        count = trees_within(homes, tree_pts, float(params["tree_distance_m"]), workers)
        out["trees_within"] = count
        out["meets_3"] = (count >= int(params["min_trees"])).astype(float)
    else:
        out["trees_within"] = None
        out["meets_3"] = np.full(n_home, np.nan)
    # --- 300
    labels, group_area = park_groups(parks, bool(params["merge_touching_parks"]), workers)
    qualifies_group = group_area >= float(params["min_park_area_m2"])
    qualifies = qualifies_group[labels] if len(labels) else np.zeros(0, bool)
    out["park_group"], out["park_group_area"], out["park_qualifies"] = (
        labels,
        group_area,
        qualifies,
    )
    targets = parks[qualifies]
    reach = float(params["park_distance_m"])
    if params.get("distance_mode", "euclidean") == "network":
        from gsl_indicators.core.network import build_network, network_distances

        net = build_network(
            network_lines if network_lines is not None else np.empty(0, dtype=object)
        )
        cutoff = max(float(params["network_cutoff_m"]), reach)
        nd = network_distances(
            net,
            homes,
            targets,
            cutoff,
            float(params["snap_limit_m"]),
            float(params["entrance_tolerance_m"]),
        )
        dist = np.asarray(nd.distance, dtype=float)
        out["network"] = {"result": nd, "net": net, "cutoff_m": cutoff}
    else:
        dist = park_distance(homes, targets, reach, workers)
    out["park_distance_m"] = dist
    meets_300 = np.where(np.isnan(dist), np.nan, (dist <= reach).astype(float))
    out["meets_300"] = meets_300
    # --- 30
    nb_of = zone_index(homes, neighbourhoods)
    out["neighbourhood"] = nb_of
    if crowns is not None:
        cz = canopy_zones(neighbourhoods, crowns, extent)
        area = canopy_area(crowns, cz.zones, workers)
        zone_area = np.asarray(shapely.area(cz.zones), dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(zone_area > 0, area / np.where(zone_area > 0, zone_area, 1), np.nan)
        meets_30 = np.where(np.isnan(share), np.nan, (share >= params["canopy_target"]) * 1.0)
        out.update(
            canopy_area_m2=area,
            zone_area_m2=zone_area,
            canopy_coverage=cz.coverage,
            canopy_extent=cz.extent,
            canopy_share=share,
            nb_meets_30=meets_30,
        )
    else:
        meets_30 = np.full(n_nb, np.nan)
        out.update(canopy_share=np.full(n_nb, np.nan), nb_meets_30=meets_30)
    home_30 = np.where(nb_of >= 0, meets_30[np.maximum(nb_of, 0)] if n_nb else np.nan, np.nan)
    out["meets_30"] = home_30
    m3 = out["meets_3"]
    all3 = np.where(
        np.isnan(m3) | np.isnan(meets_300) | np.isnan(home_30),
        np.nan,
        m3 * meets_300 * home_30,
    )
    out["meets_all_three"] = all3
    # --- shares per neighbourhood
    w_b = np.ones(n_home)
    w_d = np.asarray(dwellings, dtype=float)
    for tag, m in (("3", m3), ("300", meets_300), ("all_three", all3)):
        out[f"nb_share_buildings_meeting_{tag}"] = _shares(m, w_b, nb_of, n_nb)
        out[f"nb_share_dwellings_meeting_{tag}"] = _shares(m, w_d, nb_of, n_nb)
    out["nb_buildings"] = np.bincount(nb_of[nb_of >= 0], minlength=n_nb)
    out["nb_dwellings"] = np.bincount(nb_of[nb_of >= 0], weights=w_d[nb_of >= 0], minlength=n_nb)
    return out


# ------------------------------------------------------------------ green per dwelling


@dataclass
class GreenAvailability:
    """Public green within reach of each neighbourhood's homes and the dwellings sharing it.

    Attributes
    ----------
    green_m2 : numpy.ndarray
        Area of public green (overlaps once) inside the reach zone of the
        neighbourhood: the union of ``radius_m`` buffers around its homes.
    dwellings_in_zone : numpy.ndarray
        Dwellings of all homes (of any neighbourhood) whose representative point lies in
        that zone: everyone who shares the green.
    dwellings : numpy.ndarray
        Dwellings of the neighbourhood's own homes.
    homes : numpy.ndarray of int
        Homes in the neighbourhood.
    """

    green_m2: np.ndarray
    dwellings_in_zone: np.ndarray
    dwellings: np.ndarray
    homes: np.ndarray

    def per_dwelling(self) -> np.ndarray:
        """Return green m² per dwelling (NaN where no dwelling shares the zone)."""
        d = self.dwellings_in_zone
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, self.green_m2 / np.where(d > 0, d, 1), np.nan)

    def headroom(self, norm_m2: float) -> np.ndarray:
        """Return the dwellings that fit before the norm breaks (negative: the deficit).

        ``floor(green_m2 / norm_m2) - dwellings_in_zone``: adding that many dwellings
        inside the zone keeps ``green_m2 / dwellings_in_zone`` at or above the norm.
        """
        with np.errstate(invalid="ignore"):
            return np.floor(self.green_m2 / norm_m2 + 1e-9) - self.dwellings_in_zone


def _buffers(geoms: np.ndarray, radius_m: float) -> np.ndarray:
    return shapely.buffer(geoms, radius_m, quad_segs=16)


def reach_zones(homes: np.ndarray, group: np.ndarray, n_groups: int, radius_m: float) -> np.ndarray:
    """Return per group the union of the ``radius_m`` buffers of its homes (None: no home).

    Homes at the same place (flats sharing an address point) are buffered once; the
    buffers are unioned per group (``union_all`` of polygons: far faster than
    buffering a MultiPoint, which GEOS does with repeated overlays).

    Examples
    --------
    >>> z = reach_zones(shapely.points([(0, 0), (0, 0), (50, 0)]), np.array([0, 0, 1]), 3, 10)
    >>> [None if g is None else round(float(shapely.area(g))) for g in z]
    [314, 314, None]
    """
    out = np.full(n_groups, None, dtype=object)
    if not len(homes):
        return out
    wkb = shapely.to_wkb(homes)
    keys = [bytes(str(k), "ascii") + b"|" + w for k, w in zip(group.tolist(), wkb, strict=True)]
    _, first = np.unique(np.asarray(keys, dtype=object), return_index=True)
    first = np.sort(first)
    buf = _buffers(homes[first], radius_m)
    g = group[first]
    order = np.argsort(g, kind="stable")
    g, buf = g[order], buf[order]
    cuts = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        out[g[a]] = shapely.union_all(buf[a:b])
    return out


def green_available(
    homes: np.ndarray,
    dwellings: np.ndarray,
    neighbourhoods: np.ndarray,
    green: np.ndarray,
    radius_m: float = 500.0,
    workers: int | None = None,
) -> GreenAvailability:
    """Return public green within ``radius_m`` of each neighbourhood's homes, and who shares it.

    Pure function for the housing-capacity indicator: new dwellings fit in a
    neighbourhood while ``green_m2 / (dwellings_in_zone + new) >= norm``, i.e. up to
    :meth:`GreenAvailability.headroom`. (New dwellings also join the zones of
    neighbouring neighbourhoods that reach them.) Buffers are 64-gons (within 0.6 m
    of the 500 m circle).

    Examples
    --------
    Two homes 100 m apart in one neighbourhood, 1 and 3 dwellings; a 1 ha park 200 m
    away (all inside the 500 m zone):

    >>> ga = green_available(shapely.points([(0, 0), (100, 0)]), np.array([1.0, 3.0]),
    ...                      np.array([shapely.box(-50, -50, 150, 50)]),
    ...                      np.array([shapely.box(300, 0, 400, 100)]))
    >>> ga.green_m2.round(6).tolist(), ga.dwellings_in_zone.tolist(), ga.per_dwelling().tolist()
    ([10000.0], [4.0], [2500.0])
    >>> ga.headroom(75.0).tolist()   # floor(10000 / 75) - 4 = 133 - 4
    [129.0]
    """
    n_nb = len(neighbourhoods)
    nb_of = zone_index(homes, neighbourhoods)
    w = np.asarray(dwellings, dtype=float)
    has = nb_of >= 0
    n_homes = np.bincount(nb_of[has], minlength=n_nb)
    own = np.bincount(nb_of[has], weights=w[has], minlength=n_nb)
    zones = np.full(n_nb, None, dtype=object)
    if has.any():
        zones[:] = reach_zones(homes[has], nb_of[has], n_nb, radius_m)
    filled = np.flatnonzero(n_homes > 0)
    green_m2 = np.zeros(n_nb)
    in_zone = np.zeros(n_nb)
    if len(filled):
        if len(green):
            green_m2[filled] = canopy_area(green, zones[filled], workers)
        reps = representative_points(homes)
        z, h = shapely.STRtree(reps).query(zones[filled], predicate="intersects")
        in_zone[filled] = np.bincount(z, weights=w[h], minlength=len(filled))
    return GreenAvailability(green_m2, in_zone, own, n_homes)


def green_per_home(
    homes: np.ndarray,
    dwellings: np.ndarray,
    green: np.ndarray,
    radius_m: float = 500.0,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per home, public green within ``radius_m`` (m²) and the dwellings within it.

    The reach zone of a home is its ``radius_m`` buffer (footprint or point, 64-gon);
    the dwellings within it are those of every home whose representative point lies in
    the zone (the home's own included).

    Examples
    --------
    >>> g, d = green_per_home(shapely.points([(0, 0), (100, 0), (2000, 0)]),
    ...                       np.array([1.0, 3.0, 2.0]),
    ...                       np.array([shapely.box(300, 0, 400, 100)]))
    >>> g.round(6).tolist(), d.tolist()
    ([10000.0, 10000.0, 0.0], [4.0, 4.0, 2.0])
    """
    n = len(homes)
    w = np.asarray(dwellings, dtype=float)
    if not n:
        return np.zeros(0), np.zeros(0)
    reps = representative_points(homes)
    rtree = shapely.STRtree(reps)
    parts = shapely.get_parts(green) if len(green) else np.empty(0, dtype=object)
    if len(parts):
        # overlapping green counts once: dissolve groups first
        parts = shapely.get_parts(dissolve_groups(parts, overlap_groups(parts, workers), workers))
    gtree = shapely.STRtree(parts) if len(parts) else None

    def job(start: int, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zones = _buffers(chunk, radius_m)
        z, h = rtree.query(zones, predicate="intersects")
        dw = np.bincount(z, weights=w[h], minlength=len(chunk))
        gm = np.zeros(len(chunk))
        if gtree is not None:
            zz, p = gtree.query(zones, predicate="intersects")
            a = shapely.area(shapely.intersection(zones[zz], parts[p]))
            gm = np.bincount(zz, weights=a, minlength=len(chunk))
        return gm, dw

    res = chunked_map(job, n, homes, workers=workers, chunk=2048)
    return np.concatenate([r[0] for r in res]), np.concatenate([r[1] for r in res])


# --------------------------------------------------------------------- declarations

TREE_DISTANCE = Parameter(
    "tree_distance_m",
    "Tree distance",
    "A tree counts for a home when it stands within this distance of the footprint (or "
    "address point). Konijnendijk (2023) leaves it open; 30 m is common practice "
    "(Tygron uses a sight distance of 100 m, the Bologna study 50 m).",
    "number",
    30.0,
    1.0,
    200.0,
    unit="m",
)
MIN_TREES = Parameter(
    "min_trees",
    "Minimum trees",
    "Trees a home must have within `tree_distance_m` (the '3').",
    "integer",
    3,
    1,
    50,
)
CANOPY_TARGET = Parameter(
    "canopy_target",
    "Canopy target",
    "Canopy share a neighbourhood must reach (the '30').",
    "number",
    0.30,
    0.0,
    1.0,
)
PARK_DISTANCE = Parameter(
    "park_distance_m",
    "Park distance",
    "Maximum distance from a home to a qualifying park (the '300').",
    "number",
    300.0,
    50.0,
    2000.0,
    unit="m",
)
MIN_PARK_AREA = Parameter(
    "min_park_area_m2",
    "Minimum park area",
    "Parks smaller than this do not count (Tygron: 1 ha; WHO Europe 2016: 0.5–1 ha; 0 "
    "counts every park).",
    "number",
    10000.0,
    0.0,
    1000000.0,
    unit="m²",
)
MERGE_TOUCHING = Parameter(
    "merge_touching_parks",
    "Merge touching parks",
    "Parks that touch or overlap are one park when their size is judged.",
    "boolean",
    True,
)
_BUILDINGS = GeoInput(
    "buildings",
    "Homes",
    "Homes: building footprints or address points. Property `dwellings` (default 1, "
    "counted in the data-quality section when absent).",
    POINTS + POLYGONS,
    properties={"dwellings": "number of dwellings (default 1)"},
)
_NEIGHBOURHOODS = GeoInput(
    "neighbourhoods",
    "Neighbourhoods",
    "Neighbourhoods (buurten); a home belongs to the one holding its representative point.",
    POLYGONS,
)

_KONIJNENDIJK = Source(
    "Konijnendijk 2023",
    "Konijnendijk, C. C. (2023). Evidence-based guidelines for greener, healthier, more "
    "resilient neighbourhoods: Introducing the 3-30-300 rule. Journal of Forestry Research "
    "34, 821-830.",
    "https://doi.org/10.1007/s11676-022-01523-z",
)
_BROWNING = Source(
    "Browning et al. 2024",
    "Browning, M. H. E. M. et al. (2024). Measuring the 3-30-300 rule to help cities meet "
    "nature access thresholds. Science of the Total Environment 907, 167739.",
    "https://doi.org/10.1016/j.scitotenv.2023.167739",
)
_TYGRON = Source(
    "Tygron 3-30-300",
    "Tygron Platform wiki: 3-30-300 indicator (park ≥ 1 ha, sight distance).",
    "https://support.tygron.com/wiki/3-30-300_(Indicator)",
)
_PBL = Source(
    "PBL 2010",
    "PBL, Balans van de Leefomgeving 2010: beschikbaarheid openbaar groen binnen 500 meter "
    "van de woning; richtlijn 75 m² groen per woning binnen 500 m (Nota Ruimte 2004).",
    "https://themasites.pbl.nl/balansvandeleefomgeving/jaargang-2010/intensivering-"
    "verstedelijking-leefomgevingskwaliteit-en-woonwensen/beleidsevaluatie-stedelijke-"
    "leefomgevingskwaliteit/beleidsdossier-rood-groen-balans-stedelijke-netwerken/"
    "voldoende-groen-in-nieuwbouwwijken",
)
_ALTERRA = Source(
    "Bezemer et al. 2002",
    "Bezemer, V., Visschedijk, P. A. M., Bervaes, J. C. A. M., de Boer, T. A. (2002). Groene "
    "meters; toetsing van de groennorm uit het beoordelingskader Groen in de stad. "
    "Alterra-rapport 584, Wageningen.",
)


def _r(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round floats; inf becomes NaN (JSON null)."""
    v = np.asarray(values, dtype=float).copy()
    v[~np.isfinite(v)] = np.nan
    return np.round(v, decimals)


def _bools(values: np.ndarray) -> list[bool | None]:
    return [None if math.isnan(v) else bool(v) for v in np.asarray(values, float).tolist()]


def _num(v: float, decimals: int = 6) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), decimals)


def _dwellings(layer: Layer, ctx: Context) -> np.ndarray:
    d = layer.number("dwellings", 1.0, ctx)
    bad = d < 0
    if bad.any():
        ctx.warn(
            "negative-dwellings",
            layer.name,
            f"{int(bad.sum())} homes have a negative 'dwellings'; counted as 0",
            int(bad.sum()),
        )
        d = np.where(bad, 0.0, d)
    missing = sum(1 for p in layer.properties if not isinstance(p.get("dwellings"), int | float))
    ctx.note("homes_without_dwellings", missing)
    return d


def _network_lines(layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context) -> Any:
    net = layers.get("network")
    if net is None:
        raise InputError("network", "distance_mode 'network' needs the walking network")
    from gsl_indicators.core.network import DEFAULT_WALKABLE, walkable_lines

    walkable = params.get("walkable_highways") or DEFAULT_WALKABLE
    hw = net.text("highway")
    return walkable_lines(net.geometries, hw, walkable, ctx, "network")


def compute_3_30_300(
    layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """Compute ``green-3-30-300`` (see the indicator's method text)."""
    profile = resolve_profile(params)
    homes = layers["buildings"]
    nbs = layers["neighbourhoods"]
    parks = layers["parks"]
    trees = layers.get("trees")
    canopy = layers.get("canopy")
    extent = layers.get("canopy_extent")
    if trees is None and canopy is None:
        raise InputError("trees", "give tree points (`trees`) and/or crown polygons (`canopy`)")
    if trees is None and canopy is not None:
        ctx.warn(
            "trees-from-canopy",
            "canopy",
            "no tree points given: each crown polygon counts as one tree at a point inside "
            "it; crowns merged in the segmentation undercount trees, so `meets_3` is a "
            "lower bound",
        )
    if canopy is None:
        ctx.warn(
            "no-canopy",
            "canopy",
            "no canopy polygons given: canopy_share, meets_30 and meets_all_three are empty",
        )
    lines = None
    if params["distance_mode"] == "network":
        lines = _network_lines(layers, params, ctx)
    dwellings = _dwellings(homes, ctx)
    ctx.progress(0.1, "trees, parks and canopy")
    res = green_3_30_300_arrays(
        homes.geometries,
        dwellings,
        nbs.geometries,
        parks.geometries,
        params,
        trees=trees.geometries if trees is not None else None,
        crowns=canopy.geometries if canopy is not None else None,
        extent=extent.geometries if extent is not None else None,
        network_lines=lines,
    )
    ctx.progress(0.85, "writing results")
    # data quality: parks
    n_groups = len(res["park_group_area"])
    small = int((res["park_group_area"] < params["min_park_area_m2"]).sum())
    ctx.note(
        "parks",
        {
            "features": len(parks),
            "parks_after_merging": n_groups,
            "qualifying": n_groups - small,
            "excluded_below_min_area": small,
        },
    )
    if small:
        ctx.warn(
            "parks-below-min-area",
            "parks",
            f"{small} of {n_groups} parks (after merging touching parts) are smaller than "
            f"{params['min_park_area_m2']:g} m² and do not count for the '300'",
            small,
        )
    if n_groups - small == 0:
        ctx.warn("no-qualifying-park", "parks", "no park reaches the minimum area")
    if "network" in res:
        from gsl_indicators.core.network import report

        nd = res["network"]["result"]
        report(
            nd, ctx, "buildings", "parks", params["snap_limit_m"], params["entrance_tolerance_m"]
        )
        ctx.note("network_stage_seconds", {k: round(v, 3) for k, v in nd.stage_seconds.items()})
    outside = int((res["neighbourhood"] < 0).sum())
    if outside:
        ctx.warn(
            "homes-outside-neighbourhoods",
            "buildings",
            f"{outside} homes lie in no neighbourhood; they count in the overall '3' and "
            "'300' shares but have no '30'",
            outside,
        )
    n_nb = len(nbs)
    if canopy is not None:
        cov = res["canopy_coverage"]
        partial = int(((cov > 0) & (cov < 1 - 1e-9)).sum())
        outside = int((cov <= 0).sum())
        ctx.note(
            "canopy",
            {
                "extent": res["canopy_extent"],
                "neighbourhoods_partly_covered": partial,
                "neighbourhoods_not_covered": outside,
            },
        )
        if extent is None and partial + outside:
            ctx.warn(
                "canopy-beyond-data",
                "canopy",
                f"{partial + outside} neighbourhoods reach beyond the bounding box of the canopy "
                "data and no `canopy_extent` was given: their canopy share may be too low",
                partial + outside,
            )
        elif extent is not None and partial:
            ctx.warn(
                "canopy-partial-coverage",
                "canopy_extent",
                f"{partial} neighbourhoods lie partly outside `canopy_extent`; their canopy "
                "share is computed over the covered part (see canopy_coverage)",
                partial,
            )
        if extent is not None and outside:
            ctx.warn(
                "canopy-not-covered",
                "canopy_extent",
                f"{outside} neighbourhoods lie wholly outside `canopy_extent`; their canopy "
                "share is empty",
                outside,
            )
    nb_of = res["neighbourhood"]
    nb_ids = nbs.ids
    home_cols: dict[str, Any] = {
        "trees_within": res["trees_within"]
        if res["trees_within"] is not None
        else [None] * len(homes),
        "meets_3": _bools(res["meets_3"]),
        "park_distance_m": _r(res["park_distance_m"], 2),
        "meets_300": _bools(res["meets_300"]),
        "neighbourhood": [nb_ids[i] if i >= 0 else None for i in nb_of.tolist()],
        "meets_30": _bools(res["meets_30"]),
        "meets_all_three": _bools(res["meets_all_three"]),
    }
    nb_cols: dict[str, Any] = {
        "canopy_share": _r(res["canopy_share"], 6),
        "meets_30": _bools(res["nb_meets_30"]),
        "canopy_area_m2": _r(res.get("canopy_area_m2", np.full(n_nb, np.nan)), 2),
        "canopy_coverage": _r(res.get("canopy_coverage", np.full(n_nb, np.nan)), 6),
        "buildings": res["nb_buildings"],
        "dwellings": _r(res["nb_dwellings"], 3),
    }
    for tag in ("3", "300", "all_three"):
        for unit in ("buildings", "dwellings"):
            key = f"share_{unit}_meeting_{tag}"
            nb_cols[key] = _r(res[f"nb_{key}"], 6)
    w_b = np.ones(len(homes))
    summary: dict[str, Any] = {
        "buildings": len(homes),
        "dwellings": _num(float(dwellings.sum()), 3),
        "neighbourhoods": n_nb,
        "neighbourhoods_meeting_30": int(np.nansum(res["nb_meets_30"])),
        "share_neighbourhoods_meeting_30": _num(_share(res["nb_meets_30"], np.ones(n_nb))),
        "canopy_share": _num(
            float(np.nansum(res.get("canopy_area_m2", [np.nan])))
            / float(np.nansum(res.get("zone_area_m2", [np.nan])))
            if canopy is not None and float(np.nansum(res["zone_area_m2"])) > 0
            else math.nan
        ),
    }
    for tag in ("3", "300", "all_three"):
        m = res["meets_all_three"] if tag == "all_three" else res[f"meets_{tag}"]
        summary[f"share_buildings_meeting_{tag}"] = _num(_share(m, w_b))
        summary[f"share_dwellings_meeting_{tag}"] = _num(_share(m, dwellings))
    summary["share_meeting_all_three"] = summary["share_buildings_meeting_all_three"]
    if "network" in res:
        nd = res["network"]["result"]
        summary["homes_not_on_network"] = int(np.asarray(nd.unsnapped).sum())
        summary["network_cutoff_m"] = res["network"]["cutoff_m"]
    ats = area_types_of(nbs, params["area_type"], ctx)
    nb_cols.update(area_score_columns(profile, "green-3-30-300", nb_cols, ats, SCORED_3_30_300))
    summary["canopy_target"] = float(params["canopy_target"])
    summary["scorecard"] = scorecard(
        profile,
        "green-3-30-300",
        pick_metrics(profile, "green-3-30-300", summary, SCORED_3_30_300),
        params["area_type"],
    )
    return {
        "buildings": feature_collection(homes, home_cols),
        "neighbourhoods": feature_collection(nbs, nb_cols),
        "summary": summary,
        "profile": profile.to_dict(indicator="green-3-30-300"),
    }


def compute_green_per_dwelling(
    layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """Compute ``green-per-dwelling`` (see the indicator's method text)."""
    profile = resolve_profile(params)
    homes = layers["buildings"]
    green = layers["green"]
    nbs = layers.get("neighbourhoods")
    radius = float(params["radius_m"])
    norm = float(params["norm_m2_per_dwelling"])
    dwellings = _dwellings(homes, ctx)
    ctx.progress(0.1, "green within reach of each home")
    g, d = green_per_home(homes.geometries, dwellings, green.geometries, radius)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(d > 0, g / np.where(d > 0, d, 1), np.nan)
    meets = np.where(np.isnan(per), np.nan, (per >= norm - 1e-9) * 1.0)
    out: dict[str, Any] = {
        "buildings": feature_collection(
            homes,
            {
                "green_within_m2": _r(g, 2),
                "dwellings_within": _r(d, 3),
                "green_per_dwelling_m2": _r(per, 3),
                "meets_norm": _bools(meets),
            },
        )
    }
    # overall: green within reach of any home / all dwellings
    reps_zone = (
        reach_zones(homes.geometries, np.zeros(len(homes), dtype=np.int64), 1, radius)[0]
        if len(homes)
        else None
    )
    total_green = (
        float(canopy_area(green.geometries, np.array([reps_zone]))[0])
        if reps_zone is not None and len(green)
        else 0.0
    )
    total_d = float(dwellings.sum())
    summary: dict[str, Any] = {
        "buildings": len(homes),
        "dwellings": _num(total_d, 3),
        "green_within_reach_m2": _num(total_green, 2),
        "green_per_dwelling_m2": _num(total_green / total_d if total_d > 0 else math.nan, 3),
        "share_buildings_meeting_norm": _num(_share(meets, np.ones(len(homes)))),
        "share_dwellings_meeting_norm": _num(_share(meets, dwellings)),
        "norm_m2_per_dwelling": norm,
    }
    if nbs is not None:
        ctx.progress(0.6, "green per neighbourhood")
        ga = green_available(homes.geometries, dwellings, nbs.geometries, green.geometries, radius)
        per_nb = ga.per_dwelling()
        head = ga.headroom(norm)
        head[ga.homes == 0] = np.nan
        cols: dict[str, Any] = {
            "homes": ga.homes,
            "dwellings": _r(ga.dwellings, 3),
            "green_within_m2": _r(np.where(ga.homes > 0, ga.green_m2, np.nan), 2),
            "dwellings_sharing": _r(np.where(ga.homes > 0, ga.dwellings_in_zone, np.nan), 3),
            "green_per_dwelling_m2": _r(per_nb, 3),
            "meets_norm": _bools(np.where(np.isnan(per_nb), np.nan, (per_nb >= norm - 1e-9) * 1.0)),
            "dwelling_headroom": _r(head, 0),
        }
        ats = area_types_of(nbs, params["area_type"], ctx)
        cols.update(
            area_score_columns(profile, "green-per-dwelling", cols, ats, SCORED_PER_DWELLING)
        )
        out["neighbourhoods"] = feature_collection(nbs, cols)
        empty = int((ga.homes == 0).sum())
        if empty:
            ctx.warn(
                "neighbourhood-without-homes",
                "neighbourhoods",
                f"{empty} neighbourhoods hold no home; their values are empty",
                empty,
            )
    summary["scorecard"] = scorecard(
        profile,
        "green-per-dwelling",
        pick_metrics(profile, "green-per-dwelling", summary, SCORED_PER_DWELLING),
        params["area_type"],
    )
    out["summary"] = summary
    out["profile"] = profile.to_dict(indicator="green-per-dwelling")
    return out


def _example_3_30_300() -> dict[str, Any]:
    x, y = 121000.0, 487000.0
    homes = [
        box_feature(x + 40 * i, y, x + 40 * i + 15, y + 10, f"h{i}", dwellings=d)
        for i, d in enumerate((1, 4, 1, 12))
    ]
    trees = [feature(point(x + 20 * i, y + 20)) for i in range(7)]
    crowns = [feature(box(x + 20 * i - 4, y + 16, x + 20 * i + 4, y + 24)) for i in range(7)]
    return {
        "buildings": rd_collection(homes),
        "trees": rd_collection(trees),
        "canopy": rd_collection(crowns),
        "neighbourhoods": rd_collection(
            [box_feature(x - 50, y - 50, x + 200, y + 100, "BU01", name="Voorbeeldbuurt")]
        ),
        "parks": rd_collection(
            [
                feature(box(x, y + 150, x + 60, y + 250), "park-a"),
                feature(box(x + 60, y + 150, x + 120, y + 250), "park-b"),
            ]
        ),
    }


_EX = _example_3_30_300()

INDICATORS = (
    Indicator(
        id="green-3-30-300",
        version="1.3.0",
        title={"nl": "3-30-300-regel voor groen", "en": "3-30-300 rule for urban green"},
        description={
            "nl": "Per woning: minstens 3 bomen in zicht en een park binnen 300 m; per buurt: "
            "30 % kroonbedekking. Aandelen woningen en woningen (dwellings) die voldoen.",
            "en": "Per home: at least 3 trees nearby and a park within 300 m; per "
            "neighbourhood: 30 % canopy cover. Shares of buildings and dwellings that meet "
            "each part and all three.",
        },
        theme="green",
        method=(
            "**3** — per home, the trees (points) standing within `tree_distance_m` of the "
            "footprint or address point (inside the footprint counts) are counted; "
            "`meets_3` when at least `min_trees`. Without `trees`, each `canopy` polygon "
            "counts as one tree at a point inside it, with a warning: segmentations merge "
            "touching crowns, so that count is a lower bound. "
            "**30** — per neighbourhood, the union of all crown polygons (overlapping crowns "
            "count once) clipped to the neighbourhood, divided by the neighbourhood's area; "
            "`meets_30` when at least `canopy_target`. With `canopy_extent`, both areas are "
            "taken inside the extent only and `canopy_coverage` gives the share of the "
            "neighbourhood inside it (share empty where 0); without it, `canopy_coverage` is "
            "the share inside the canopy data's bounding box and neighbourhoods reaching "
            "beyond it get a warning. "
            "**300** — parks that touch or overlap are merged (`merge_touching_parks`) and "
            "judged by their merged area; those of at least `min_park_area_m2` qualify. "
            "`park_distance_m` is the distance from the home to the nearest qualifying park: "
            "straight line from the footprint (0 inside) or, with `distance_mode` 'network', "
            "the walk over the network (home snapped to the nearest path, snap distance "
            "added, parks entered where their edge is within `entrance_tolerance_m` of a "
            "path; empty beyond `network_cutoff_m`, and empty with a warning for homes more "
            "than `snap_limit_m` from any path). `meets_300` when at most `park_distance_m`. "
            "A home belongs to the neighbourhood holding its representative point; "
            "`meets_all_three` combines its 3, its 300 and its neighbourhood's 30. Shares "
            "are over homes (buildings) and over dwellings (property `dwellings`, default 1), "
            "leaving out homes whose value is unknown. "
            "**Scores** 1–10 come from the norm profile per area type (`area_type` parameter, "
            "else the neighbourhood's `area_type` or `urbanity_class`), overall and per "
            "neighbourhood, for the shares meeting 3, 300 and all three and for "
            "`canopy_share` (headline: `share_dwellings_meeting_all_three`). The parameters "
            "and the profile play different parts: `min_trees`, `canopy_target`, "
            "`park_distance_m` and `min_park_area_m2` decide the meets_* flags (and so the "
            "shares); the profile's band judges the shares. `canopy_target` (30 %) is the "
            "canopy band's *ambition* in nl-default: `meets_30` is true exactly where "
            "`canopy_share` scores 10, and the indicative minimum (20 %, 10 % in the inner "
            "city) scores 6. Changing `canopy_target` moves the flag, not the band; the "
            "summary shows `canopy_target` beside the band in the scorecard."
        ),
        compute=compute_3_30_300,
        inputs=(
            _BUILDINGS,
            GeoInput(
                "trees",
                "Trees",
                "Tree points (e.g. the municipal tree register).",
                POINTS,
                required=False,
            ),
            GeoInput(
                "canopy",
                "Canopy",
                "Tree-crown polygons (overlaps count once).",
                POLYGONS,
                required=False,
            ),
            _NEIGHBOURHOODS,
            GeoInput("parks", "Parks", "Public green-space polygons.", POLYGONS),
            GeoInput(
                "canopy_extent",
                "Canopy extent",
                "Where the canopy data is complete (e.g. the tile); canopy shares are "
                "computed inside it.",
                POLYGONS,
                required=False,
            ),
            GeoInput(
                "network",
                "Walking network",
                "Walking paths and streets (distance_mode 'network'); lines need not be "
                "split at junctions.",
                LINES,
                required=False,
                properties={"highway": "OpenStreetMap highway value (filtered)"},
            ),
        ),
        parameters=(
            TREE_DISTANCE,
            MIN_TREES,
            CANOPY_TARGET,
            PARK_DISTANCE,
            MIN_PARK_AREA,
            MERGE_TOUCHING,
            *walking_parameters(),
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input homes with `trees_within`, `meets_3`, `park_distance_m`, `meets_300`, "
                "`neighbourhood`, `meets_30`, `meets_all_three`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "Input neighbourhoods with `canopy_share`, `meets_30`, `canopy_area_m2`, "
                "`canopy_coverage`, `buildings`, `dwellings` and the shares of buildings and "
                "dwellings meeting 3, 300 and all three, `area_type`, `score` (of "
                "`share_dwellings_meeting_all_three`, 1–10) and `scorecard`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall shares (buildings and dwellings) meeting 3, 300 and all three "
                "(`share_meeting_all_three`), neighbourhoods meeting 30, overall canopy share, "
                "`canopy_target` and the overall scorecard.",
            ),
            Output(
                "profile",
                "Profile",
                "The norm profile used (green-3-30-300 part).",
                {"type": "object"},
            ),
        ),
        norms=(
            Norm(
                "min_trees",
                3,
                "trees",
                "trees in view of every home",
                "Konijnendijk 2023",
                "min_trees",
            ),
            Norm(
                "canopy_target",
                0.30,
                "share",
                "canopy cover per neighbourhood",
                "Konijnendijk 2023",
                "canopy_target",
            ),
            Norm(
                "park_distance_m",
                300,
                "m",
                "to the nearest park",
                "Konijnendijk 2023",
                "park_distance_m",
            ),
            Norm(
                "min_park_area_m2",
                10000,
                "m²",
                "park size that counts",
                "Tygron 3-30-300",
                "min_park_area_m2",
            ),
        ),
        sources=(_KONIJNENDIJK, _BROWNING, _TYGRON),
        keywords=("3-30-300", "trees", "canopy", "parks", "groen"),
        example=_EX,
    ),
    Indicator(
        id="green-per-dwelling",
        version="1.1.0",
        title={"nl": "Openbaar groen per woning", "en": "Public green per dwelling"},
        description={
            "nl": "Openbaar groen binnen 500 m per woning, getoetst aan 75 m² per woning.",
            "en": "Public green within 500 m per dwelling, tested against 75 m² per dwelling.",
        },
        theme="green",
        method=(
            "After PBL (Balans van de Leefomgeving 2010) and Alterra's *Groene meters*: the "
            "public green within `radius_m` of the homes, divided by every dwelling within "
            "that same reach (new dwellings nearby lower the figure, as PBL notes). "
            "**Per home**: the green area (overlapping green counts once) inside the home's "
            "`radius_m` buffer, divided by the dwellings of all homes whose representative "
            "point lies in that buffer (its own included). "
            "**Per neighbourhood**: the green inside the union of its homes' buffers, "
            "divided by the dwellings of all homes (of any neighbourhood) inside that union; "
            "`dwelling_headroom` = floor(green ÷ norm) − those dwellings: how many dwellings "
            "fit before the norm breaks (negative: the deficit). **Overall**: the green "
            "within reach of any home ÷ all dwellings, and the shares of homes and dwellings "
            "whose own figure meets `norm_m2_per_dwelling`. Buffers are 64-gons (within "
            "0.6 m of the circle). **Scores** 1–10 come from the norm profile per area type "
            "(`area_type` parameter, else the neighbourhood's `area_type` or "
            "`urbanity_class`), overall and per neighbourhood, for `green_per_dwelling_m2` "
            "(headline) and, overall, the shares meeting the norm. The parameter and the "
            "profile play different parts: `norm_m2_per_dwelling` decides `meets_norm` and "
            "`dwelling_headroom`; the profile's band gives the score. In nl-default the band's "
            "minimum is the same 75 m² (score 6; ambition 100 m² scores 10), so with the "
            "defaults a figure that just meets the norm scores 6. A profile may set another "
            "minimum per area type (ggo-utrecht-example: 40 m² in the inner city); the flag "
            "then still follows the parameter, and both are shown (`summary."
            "norm_m2_per_dwelling`, the band in each scorecard)."
        ),
        compute=compute_green_per_dwelling,
        inputs=(
            _BUILDINGS,
            GeoInput(
                "green",
                "Public green",
                "Public green polygons: parks, plantsoenen, woods, day-recreation areas.",
                POLYGONS,
            ),
            GeoInput(
                "neighbourhoods",
                "Neighbourhoods",
                "Neighbourhoods for the per-neighbourhood figures and dwelling headroom.",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(
            Parameter(
                "radius_m",
                "Reach",
                "Green counts within this distance of a home (PBL: 500 m).",
                "number",
                500.0,
                50.0,
                3000.0,
                unit="m",
            ),
            Parameter(
                "norm_m2_per_dwelling",
                "Norm",
                "Public green per dwelling required (Nota Ruimte / PBL: 75 m²).",
                "number",
                75.0,
                0.0,
                1000.0,
                unit="m²",
            ),
            *PROFILE_PARAMETERS,
        ),
        outputs=(
            Output(
                "buildings",
                "Homes",
                "Input homes with `green_within_m2`, `dwellings_within`, "
                "`green_per_dwelling_m2`, `meets_norm`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "neighbourhoods",
                "Neighbourhoods",
                "With `neighbourhoods`: `homes`, `dwellings`, `green_within_m2`, "
                "`dwellings_sharing`, `green_per_dwelling_m2`, `meets_norm`, "
                "`dwelling_headroom`, `area_type`, `score` (of `green_per_dwelling_m2`, 1–10) and "
                "`scorecard`.",
                {"type": "object", "contentMediaType": "application/geo+json"},
            ),
            Output(
                "summary",
                "Summary",
                "Overall green per dwelling, shares meeting the norm, and the overall scorecard.",
            ),
            Output(
                "profile",
                "Profile",
                "The norm profile used (green-per-dwelling part).",
                {"type": "object"},
            ),
        ),
        norms=(
            Norm(
                "norm_m2_per_dwelling",
                75,
                "m²/dwelling",
                "public green within 500 m per dwelling",
                "Nota Ruimte 2004; PBL 2010",
                "norm_m2_per_dwelling",
            ),
        ),
        sources=(_PBL, _ALTERRA),
        keywords=("groen per woning", "public green", "75 m²"),
        example={
            "buildings": _EX["buildings"],
            "green": _EX["parks"],
            "neighbourhoods": _EX["neighbourhoods"],
        },
    ),
)
