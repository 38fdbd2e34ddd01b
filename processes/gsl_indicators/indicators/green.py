"""``green-3-30-300``: trees in view, canopy cover and a park nearby (Konijnendijk 2023).

The kernels are pure functions over shapely 2 arrays and numpy (no loop per feature):

* :func:`trees_within` / :func:`rule_3` — trees within a distance of each home
  (``STRtree`` box candidates and exact distances, in threads);
* :func:`park_groups` / :func:`park_distance` / :func:`rule_300` — parks merged where
  they touch, judged by size, and the distance from each home to the nearest qualifying
  one (``STRtree.query_nearest``; or over the walking network via
  :mod:`gsl_indicators.core.network`);
* :func:`canopy_zones` / :func:`rule_30` — the union of crowns per neighbourhood
  (:func:`gsl_indicators.core.canopy.canopy_area`);
* :func:`green_3_30_300_arrays` — all of the above, the part the benchmark times.

:func:`compute` turns them into metrics (:data:`METRICS`); the one assembler writes the
FeatureCollections, scorecards and summary. ``green-per-dwelling`` is in
:mod:`gsl_indicators.indicators.green_per_dwelling`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core import homes as homes_module
from gsl_indicators.core import tile_files
from gsl_indicators.core.canopy import (
    CanopyParts,
    canopy_area,
    canopy_parts,
    chunked_map,
    dissolve_groups,
    overlap_groups,
    sum_canopy_parts,
)
from gsl_indicators.core.examples import box, box_feature, feature, point, rd_collection
from gsl_indicators.core.geo import Layer, zone_index
from gsl_indicators.core.homes import DWELLINGS_RANGE
from gsl_indicators.core.metrics import (
    FRACTION,
    AreaGroups,
    Metric,
    Metrics,
    booleans,
    metric,
    overall_share,
)
from gsl_indicators.core.network import walking_parameters
from gsl_indicators.core.spec import (
    LINES,
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.core.tile_files import DeferredLayer
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling
from gsl_indicators.core.wording import counted

__all__ = [
    "BUILDINGS",
    "INDICATORS",
    "METRICS",
    "CanopyZones",
    "canopy_zones",
    "compute",
    "expanded_boxes",
    "green_3_30_300_arrays",
    "park_distance",
    "park_groups",
    "read_dwellings",
    "rule_3",
    "rule_30",
    "rule_300",
    "trees_within",
]

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


def trees_in_sight(
    homes: np.ndarray,
    trees: np.ndarray,
    distance_m: float,
    obstacles: np.ndarray,
    workers: int | None = None,
) -> np.ndarray:
    """Return the number of trees within ``distance_m`` of each home that it can see.

    A tree is seen when the sight line — the shortest segment from the home's façade
    (its footprint's boundary; the point itself for an address point) to the tree —
    crosses no footprint in ``obstacles`` other than the home's own (when ``obstacles`` is
    ``homes`` itself; touching a wall or a corner does not block, passing through a
    building does). Trees inside the footprint are seen.
    Vectorised: the candidate pairs of :func:`trees_within`, their segments by
    ``shapely.shortest_line``, and one ``STRtree.query(segments, "crosses")`` per chunk.

    Examples
    --------
    >>> home = shapely.box(0, 0, 10, 10)
    >>> wall = shapely.box(20, -5, 22, 25)          # a building east of the home
    >>> trees = shapely.points([(30, 5), (5, 20), (15, 5)])
    >>> homes = np.array([home, wall])
    >>> trees_in_sight(homes, trees, 30, homes).tolist()  # (30, 5) behind the wall
    [2, 3]
    >>> trees_within(homes, trees, 30).tolist()
    [3, 3]
    """
    if not len(homes) or not len(trees):
        return np.zeros(len(homes), dtype=np.int64)
    tree = shapely.STRtree(trees)
    walls = np.asarray(obstacles, dtype=object)
    is_polygon = shapely.get_type_id(walls) >= 3
    wall_index = np.flatnonzero(is_polygon)
    wall_tree = shapely.STRtree(walls[wall_index])
    own = np.full(len(homes), -1, dtype=np.int64)
    if obstacles is homes:
        # a home's own footprint never blocks its view (the shortest segment from a
        # footprint leaves it at once; this guards against degenerate geometry)
        own = np.where(is_polygon, np.arange(len(homes)), -1)

    def job(start: int, chunk: np.ndarray) -> np.ndarray:
        h, t = tree.query(expanded_boxes(chunk, distance_m))
        near = shapely.distance(chunk[h], trees[t]) <= distance_m
        h, t = h[near], t[near]
        if not len(h) or not len(wall_index):
            return np.bincount(h, minlength=len(chunk))
        lines = shapely.shortest_line(chunk[h], trees[t])
        seg, w = wall_tree.query(lines, predicate="crosses")
        hit = wall_index[w] != own[start + h[seg]]
        blocked = np.zeros(len(h), dtype=bool)
        blocked[seg[hit]] = True
        return np.bincount(h[~blocked], minlength=len(chunk))

    return np.concatenate(chunked_map(job, len(homes), homes, workers=workers)).astype(np.int64)


def tree_size_filter(sizes: np.ndarray, minimum_m: float) -> tuple[np.ndarray, int, int]:
    """Return ``(keep, excluded, unknown)``: trees at least ``minimum_m`` (unknown size kept).

    Trees without a size (NaN) are kept — the benefit of the doubt — and counted, so
    the result can report how many were not judged.

    Examples
    --------
    >>> keep, excluded, unknown = tree_size_filter(np.array([2.0, 6.0, np.nan, 5.0]), 5.0)
    >>> keep.tolist(), excluded, unknown
    ([False, True, True, True], 1, 1)
    """
    unknown = np.isnan(sizes)
    keep = unknown | (sizes >= minimum_m)
    return keep, int((~keep).sum()), int(unknown.sum())


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
    parks: np.ndarray,
    merge_touching: bool = True,
    workers: int | None = None,
    gap_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Group parks that touch, overlap or lie within ``gap_m``; return labels and areas.

    A park drawn as several touching polygons is one park when its size is judged;
    overlapping parts count once. With ``gap_m`` > 0 parks closer than that (a path
    drawn as its own polygon between two lawns) are one park too; the gap itself is
    not added to the area. Without ``merge_touching`` and without a gap every element
    is its own park.

    Examples
    --------
    >>> parks = np.array([shapely.box(0, 0, 60, 100), shapely.box(60, 0, 120, 100),
    ...                   shapely.box(500, 0, 550, 50)])
    >>> labels, area = park_groups(parks)
    >>> labels.tolist(), area.tolist()   # 6,000 + 6,000 m² merged; 2,500 m²
    ([0, 0, 1], [12000.0, 2500.0])
    >>> park_groups(parks, merge_touching=False)[1].tolist()
    [6000.0, 6000.0, 2500.0]
    >>> split = np.array([shapely.box(0, 0, 60, 100), shapely.box(63, 0, 123, 100)])
    >>> park_groups(split)[1].tolist(), park_groups(split, gap_m=5)[1].tolist()  # a 3 m path
    ([6000.0, 6000.0], [12000.0])
    """
    n = len(parks)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0)
    if not merge_touching and gap_m <= 0:
        return np.arange(n, dtype=np.int64), np.asarray(shapely.area(parks), dtype=float)
    if gap_m > 0:
        left, right = shapely.STRtree(parks).query(parks, predicate="dwithin", distance=gap_m)
    else:
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
    if extent is not None and len(extent):
        area = shapely.area(neighbourhoods)
        ext = shapely.union_all(extent)
        shapely.prepare(ext)
        inside = shapely.contains(ext, neighbourhoods)
        zones = np.asarray(neighbourhoods, dtype=object).copy()
        part = ~inside
        if part.any():
            zones[part] = shapely.intersection(neighbourhoods[part], ext)
        cov = np.where(area > 0, shapely.area(zones) / np.where(area > 0, area, 1.0), 0.0)
        return CanopyZones(zones, cov, "canopy_extent")
    bounds = shapely.total_bounds(crowns) if len(crowns) else None
    return bbox_zones(neighbourhoods, bounds)


def bbox_zones(neighbourhoods: np.ndarray, bounds: Any) -> CanopyZones:
    """Return the zones without a ``canopy_extent``: coverage by the crowns' bounding box.

    ``bounds`` is the crowns' ``total_bounds`` (``None``: no crowns), known in the
    parent of a tiled run only once its tiles have read the crowns.

    Examples
    --------
    >>> bbox_zones(np.array([shapely.box(0, 0, 10, 10)]), (0, 0, 5, 10)).coverage.tolist()
    [0.5]
    """
    area = shapely.area(neighbourhoods)
    if bounds is not None:
        bbox = shapely.box(*bounds)
        inside = shapely.contains(bbox, neighbourhoods)
        cov = np.ones(len(neighbourhoods))
        part = ~inside
        if part.any():
            a = shapely.area(shapely.intersection(neighbourhoods[part], bbox))
            cov[part] = a / np.where(area[part] > 0, area[part], 1.0)
    else:
        cov = np.zeros(len(neighbourhoods))
    return CanopyZones(np.asarray(neighbourhoods, dtype=object), cov, "canopy bounding box")


def both(*flags: np.ndarray) -> np.ndarray:
    """Return the product of 1/0/NaN flags: NaN where any is unknown.

    Examples
    --------
    >>> both(np.array([1.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, np.nan, np.nan])).tolist()
    [1.0, 0.0, nan, nan]
    """
    out = np.ones(len(flags[0]))
    for f in flags:
        out = out * np.asarray(f, dtype=float)
    return out


def rule_3(
    homes: np.ndarray,
    trees: np.ndarray | None,
    crowns: np.ndarray | None,
    params: Mapping[str, Any],
    workers: int | None = None,
    obstacles: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Return the trees within ``tree_distance_m`` of each home and ``meets_3`` (1/0/NaN).

    Without tree points each crown counts as one tree at its ``point_on_surface``;
    without either, the count is ``None`` and the flag unknown. With
    ``tree_visibility`` ``"line_of_sight"`` only trees in sight count
    (:func:`trees_in_sight`; ``obstacles`` default: the homes themselves).

    Examples
    --------
    >>> homes = np.array([shapely.Point(0, 0), shapely.Point(500, 0)])
    >>> count, meets = rule_3(homes, shapely.points([(1, 0), (2, 0), (3, 0)]), None,
    ...                       {"tree_distance_m": 30, "min_trees": 3})
    >>> count.tolist(), meets.tolist()
    ([3, 0], [1.0, 0.0])
    >>> rule_3(homes, None, None, {})[1].tolist()
    [nan, nan]
    """
    points = trees
    if points is None and crowns is not None:
        points = shapely.point_on_surface(crowns)
    if points is None:
        return None, np.full(len(homes), np.nan)
    d = float(params["tree_distance_m"])
    if params.get("tree_visibility", "distance") == "line_of_sight":
        walls = homes if obstacles is None else obstacles
        count = trees_in_sight(homes, points, d, walls, workers)
    else:
        count = trees_within(homes, points, d, workers)
    return count, (count >= int(params["min_trees"])).astype(float)


@dataclass
class Parks:
    """The parks after merging: ``group`` per park, ``group_area`` and ``qualifies`` per park.

    ``elements`` is the number of parks judged before merging: features, or their
    connected parts with ``park_unit`` ``"part"``.
    """

    group: np.ndarray
    group_area: np.ndarray
    qualifies: np.ndarray
    elements: int = 0


def park_elements(parks: np.ndarray, unit: str) -> np.ndarray:
    """Return the parks to judge: the features, or (``unit`` ``"part"``) their parts.

    Examples
    --------
    >>> multi = shapely.multipolygons([shapely.box(0, 0, 100, 100), shapely.box(900, 0, 950, 50)])
    >>> shapely.area(park_elements(np.array([multi]), "part")).tolist()
    [10000.0, 2500.0]
    >>> len(park_elements(np.array([multi]), "feature"))
    1
    """
    if unit == "part" and len(parks):
        return np.asarray(shapely.get_parts(parks), dtype=object)
    return parks


def rule_300(
    homes: np.ndarray,
    parks: np.ndarray,
    params: Mapping[str, Any],
    network_lines: np.ndarray | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, Parks, dict[str, Any] | None]:
    """Return ``park_distance_m``, ``meets_300`` (1/0/NaN), the parks and the network run.

    Distances are ``inf`` where no qualifying park is within reach of the search and NaN
    where the home is not on the network; the network run (``None`` in euclidean mode)
    holds ``result`` (:class:`~gsl_indicators.core.network.NetworkDistances`), ``net`` and
    ``cutoff_m``.

    Examples
    --------
    >>> parks = np.array([shapely.box(100, 0, 200, 100), shapely.box(200, 0, 300, 100)])
    >>> p = {"merge_touching_parks": True, "min_park_area_m2": 15000, "park_distance_m": 300}
    >>> d, m, pk, _ = rule_300(np.array([shapely.Point(0, 0), shapely.Point(0, 900)]), parks, p)
    >>> d.round(1).tolist(), m.tolist(), pk.group_area.tolist()  # 2 ha after merging
    ([100.0, 806.2], [1.0, 0.0], [20000.0])
    """
    pk, targets = park_targets(parks, params, workers)
    reach = float(params["park_distance_m"])
    network = None
    if params.get("distance_mode", "euclidean") == "network":
        from gsl_indicators.core.network import build_network, network_distances

        lines = network_lines if network_lines is not None else np.empty(0, dtype=object)
        net = build_network(lines)
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
        network = {"result": nd, "net": net, "cutoff_m": cutoff}
    else:
        dist = park_distance(homes, targets, reach, workers)
    return dist, meets_park(dist, reach), pk, network


def park_targets(
    parks: np.ndarray, params: Mapping[str, Any], workers: int | None = None
) -> tuple[Parks, np.ndarray]:
    """Return the parks after merging and the qualifying ones (the targets of the 300).

    Examples
    --------
    >>> parks = np.array([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100),
    ...                   shapely.box(900, 0, 950, 50)])
    >>> p = {"merge_touching_parks": True, "min_park_area_m2": 15000}
    >>> pk, targets = park_targets(parks, p)
    >>> pk.group_area.tolist(), len(targets)   # 2 ha after merging; 2,500 m² too small
    ([20000.0, 2500.0], 2)
    """
    parks = park_elements(parks, str(params.get("park_unit", "feature")))
    labels, group_area = park_groups(
        parks,
        bool(params["merge_touching_parks"]),
        workers,
        gap_m=float(params.get("park_merge_gap_m", 0.0)),
    )
    qualifies = (group_area >= float(params["min_park_area_m2"]))[labels]
    targets = parks[qualifies] if len(labels) else parks[:0]
    return Parks(labels, group_area, qualifies, len(parks)), targets


def meets_park(dist: np.ndarray, reach_m: float) -> np.ndarray:
    """Return ``meets_300`` (1/0, NaN where the distance is unknown).

    Examples
    --------
    >>> meets_park(np.array([100.0, 400.0, np.inf, np.nan]), 300).tolist()
    [1.0, 0.0, 0.0, nan]
    """
    return np.where(np.isnan(dist), np.nan, (dist <= reach_m).astype(float))


def rule_30(
    neighbourhoods: np.ndarray,
    crowns: np.ndarray | None,
    extent: np.ndarray | None,
    canopy_target: float,
    workers: int | None = None,
) -> dict[str, Any]:
    """Return the canopy per neighbourhood and ``meets_30`` (1/0/NaN).

    Keys ``canopy_area_m2``, ``zone_area_m2``, ``canopy_coverage``, ``canopy_share``,
    ``meets_30`` (arrays per neighbourhood; NaN without crowns) and ``canopy_extent``.

    Examples
    --------
    >>> nb = np.array([shapely.box(0, 0, 100, 100)])
    >>> r = rule_30(nb, np.array([shapely.box(0, 0, 60, 50)]), None, 0.3)
    >>> r["canopy_share"].tolist(), r["meets_30"].tolist()  # 3,000 of 10,000 m²
    ([0.3], [1.0])
    >>> rule_30(nb, None, None, 0.3)["meets_30"].tolist()
    [nan]
    """
    n = len(neighbourhoods)
    if crowns is None:
        empty = np.full(n, np.nan)
        return {
            "canopy_area_m2": empty,
            "zone_area_m2": empty,
            "canopy_coverage": empty,
            "canopy_share": empty,
            "meets_30": empty,
            "canopy_extent": None,
        }
    cz = canopy_zones(neighbourhoods, crowns, extent)
    return canopy_result(cz, canopy_area(crowns, cz.zones, workers), canopy_target)


def canopy_result(cz: CanopyZones, area: np.ndarray, canopy_target: float) -> dict[str, Any]:
    """Return :func:`rule_30`'s arrays from the zones and the canopy area inside each.

    Examples
    --------
    >>> cz = CanopyZones(np.array([shapely.box(0, 0, 100, 100)]), np.ones(1), "canopy bounding box")
    >>> canopy_result(cz, np.array([2500.0]), 0.3)["meets_30"].tolist()   # 25 % < 30 %
    [0.0]
    """
    zone_area = np.asarray(shapely.area(cz.zones), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(zone_area > 0, area / np.where(zone_area > 0, zone_area, 1), np.nan)
    return {
        "canopy_area_m2": area,
        "zone_area_m2": zone_area,
        "canopy_coverage": cz.coverage,
        "canopy_share": share,
        "meets_30": np.where(np.isnan(share), np.nan, (share >= canopy_target) * 1.0),
        "canopy_extent": cz.extent,
    }


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
    groups: AreaGroups | None = None,
    obstacles: np.ndarray | None = None,
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
    groups : AreaGroups, optional
        The homes grouped by neighbourhood (the runner's); built here when not given.
    obstacles : numpy.ndarray, optional
        Footprints that block the view (``tree_visibility`` ``"line_of_sight"``);
        default ``homes`` (element ``i`` is home ``i``'s own footprint).

    Shares count homes only (``dwellings`` > 0, :func:`gsl_indicators.core.homes.is_home`)
    and, for the 3, the 300 and all three alike, only homes inside a neighbourhood
    (outside one the 30 is unknown), so the three shares have one population.

    Returns
    -------
    dict
        Per home: ``trees_within`` (``None`` without trees and crowns), ``meets_3``,
        ``park_distance_m`` (inf: no qualifying park / beyond the network cut-off; NaN:
        not on the network), ``meets_300``, ``neighbourhood`` (index, -1 outside),
        ``meets_30`` and ``meets_all_three`` (flags 1/0/NaN). Per neighbourhood (see
        :func:`rule_30`): ``canopy_area_m2``, ``zone_area_m2``, ``canopy_coverage``,
        ``canopy_share``, ``nb_meets_30``, and ``nb_buildings``, ``nb_dwellings``,
        ``nb_share_{buildings,dwellings}_meeting_{3,300,all_three}``. Parks:
        ``park_group``, ``park_group_area``, ``park_qualifies``. The network run (network
        mode) in ``network``.
    """
    if groups is None:
        groups = AreaGroups(zone_index(homes, neighbourhoods), len(neighbourhoods))
    count, meets_3 = rule_3(homes, trees, crowns, params, workers, obstacles=obstacles)
    dist, meets_300, pk, network = rule_300(homes, parks, params, network_lines, workers)
    canopy = rule_30(neighbourhoods, crowns, extent, float(params["canopy_target"]), workers)
    return combine_3_30_300(
        groups=groups,
        dwellings=dwellings,
        trees_within=count,
        meets_3=meets_3,
        park_distance_m=dist,
        meets_300=meets_300,
        parks=pk,
        canopy=canopy,
        network=network,
    )


def combine_3_30_300(
    *,
    groups: AreaGroups,
    dwellings: np.ndarray,
    trees_within: np.ndarray | None,
    meets_3: np.ndarray,
    park_distance_m: np.ndarray,
    meets_300: np.ndarray,
    parks: Parks,
    canopy: Mapping[str, Any],
    network: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return :func:`green_3_30_300_arrays`'s result from the three rules' arrays.

    The one place the rules meet: one piece and tiles alike
    (:mod:`gsl_indicators.core.tiling`) end here, so their shares are made the same way.
    """
    out: dict[str, Any] = {"neighbourhood": groups.index}
    out["trees_within"], out["meets_3"] = trees_within, meets_3
    dist, pk = park_distance_m, parks
    out.update(
        park_distance_m=dist,
        meets_300=meets_300,
        park_group=pk.group,
        park_group_area=pk.group_area,
        park_qualifies=pk.qualifies,
        park_elements=pk.elements,
    )
    if network is not None:
        out["network"] = network
    out.update({k: v for k, v in canopy.items() if k != "meets_30"}, nb_meets_30=canopy["meets_30"])
    nb = groups.index
    nb_meets = canopy["meets_30"]
    out["meets_30"] = (
        np.where(nb >= 0, nb_meets[np.maximum(nb, 0)], np.nan)
        if len(nb_meets)
        else np.full(len(nb), np.nan)
    )
    out["meets_all_three"] = both(out["meets_3"], meets_300, out["meets_30"])
    w = np.asarray(dwellings, dtype=float)
    home = w > 0
    out["population"] = home & (nb >= 0)
    for tag in ("3", "300", "all_three"):
        m = out[f"meets_{tag}"]
        known = ~np.isnan(m) & home
        out[f"nb_share_buildings_meeting_{tag}"] = groups.share(m == 1, where=known)
        out[f"nb_share_dwellings_meeting_{tag}"] = groups.share(m == 1, weights=w, where=known)
    out["nb_buildings"] = groups.count(where=home)
    out["nb_dwellings"] = groups.sum(w)
    return out


def read_dwellings(layer: Layer, ctx: Context) -> np.ndarray:
    """Return the ``dwellings`` of each feature: the one definition of a home.

    See :func:`gsl_indicators.core.homes.read_dwellings` (default 1, counted in
    ``data_quality.homes_without_dwellings``; 0 is not a home, counted in
    ``data_quality.not_homes``; negative is a 400).
    """
    return homes_module.read_dwellings(layer, ctx)


# ---------------------------------------------------------------- data quality


def _check_tree_inputs(trees: Layer | None, canopy: Layer | None, ctx: Context) -> None:
    if trees is None and canopy is None:
        raise InputError("trees", "give tree points (`trees`) and/or crown polygons (`canopy`)")
    if trees is None:
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


def _network_lines(layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context) -> Any:
    net = layers.get("network")
    if net is None:
        raise InputError("network", "distance_mode 'network' needs the walking network")
    from gsl_indicators.core.network import DEFAULT_WALKABLE, walkable_lines

    walkable = params.get("walkable_highways") or DEFAULT_WALKABLE
    return walkable_lines(net.geometries, net.text("highway"), walkable, ctx, "network")


def _report_parks(
    group_area: np.ndarray,
    *,
    n_parks: int,
    min_area_m2: float,
    ctx: Context,
    elements: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> None:
    n_groups = len(group_area)
    small = int((group_area < min_area_m2).sum())
    note: dict[str, Any] = {"features": n_parks}
    if params is not None:
        note["park_unit"] = params.get("park_unit", "feature")
        note["park_merge_gap_m"] = params.get("park_merge_gap_m", 0.0)
        note["parks_judged"] = n_parks if elements is None else elements
    note.update(
        parks_after_merging=n_groups,
        qualifying=n_groups - small,
        excluded_below_min_area=small,
    )
    ctx.note("parks", note)
    if small:
        ctx.warn(
            "parks-below-min-area",
            "parks",
            f"{small} of {n_groups} parks (after merging touching parts) are smaller than "
            f"{min_area_m2:g} m² and do not count for the '300'",
            small,
        )
    if n_groups - small == 0:
        ctx.warn("no-qualifying-park", "parks", "no park reaches the minimum area")


def _report_population(population: np.ndarray, dwellings: np.ndarray, ctx: Context) -> None:
    """Count the homes outside every neighbourhood (left out of every share)."""
    outside = int(((dwellings > 0) & ~population).sum())
    ctx.note("homes_outside_neighbourhoods", outside)
    if outside:
        ctx.warn(
            "homes-outside-neighbourhoods",
            "buildings",
            f"{counted(outside, 'home lies', 'homes lie')} in no neighbourhood: their 30 is unknown, so they are left "
            "out of the shares of the 3, the 300 and all three alike (their own flags are "
            "in the features)",
            outside,
        )


def _sized_trees(
    trees: Layer | None, canopy: Layer | None, params: Mapping[str, Any], ctx: Context
) -> np.ndarray | None:
    """Return the tree points that count for the 3: at least ``min_tree_size_m``.

    The size is the trees' ``crown_diameter`` or ``height`` property
    (``tree_size_property``); trees without it count and are reported
    (``data_quality.trees_by_size``). Without tree points the crowns stand in: a crown's
    diameter is that of the circle of its area, its height the crown's ``height``.
    """
    minimum = float(params.get("min_tree_size_m", 0.0))
    if trees is None and canopy is None:
        return None
    if minimum <= 0:
        return trees.geometries if trees is not None else None
    prop = str(params.get("tree_size_property", "crown_diameter"))
    if trees is not None:
        layer, points = trees, trees.geometries
        sizes = trees.number(prop, valid=TREE_SIZE_M)
    else:
        assert canopy is not None
        layer, points = canopy, shapely.point_on_surface(canopy.geometries)
        sizes = (
            2.0 * np.sqrt(shapely.area(canopy.geometries) / np.pi)
            if prop == "crown_diameter"
            else canopy.number(prop, valid=TREE_SIZE_M)
        )
    keep, excluded, unknown = tree_size_filter(np.asarray(sizes, dtype=float), minimum)
    ctx.note(
        "trees_by_size",
        {
            "property": prop,
            "min_tree_size_m": minimum,
            "trees": len(keep),
            "counted": int(keep.sum()),
            "excluded_below_min_size": excluded,
            "counted_without_size": unknown,
        },
    )
    if unknown:
        ctx.warn(
            "trees-without-size",
            layer.name,
            f"{unknown} of {len(keep)} trees have no numeric '{prop}': they count for the 3 "
            f"as if at least {minimum:g} m",
            unknown,
        )
    return np.asarray(points, dtype=object)[keep]


def _report_network(network: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> None:
    from gsl_indicators.core.network import report

    nd = network["result"]
    report(nd, ctx, "buildings", "parks", params["snap_limit_m"], params["entrance_tolerance_m"])
    ctx.note("network_cutoff_m", network["cutoff_m"])
    ctx.note("network_stage_seconds", {k: round(v, 3) for k, v in nd.stage_seconds.items()})


def _report_canopy(coverage: np.ndarray, *, extent: str, has_extent: bool, ctx: Context) -> None:
    partial = int(((coverage > 0) & (coverage < 1 - 1e-9)).sum())
    outside = int((coverage <= 0).sum())
    ctx.note(
        "canopy",
        {
            "extent": extent,
            "neighbourhoods_partly_covered": partial,
            "neighbourhoods_not_covered": outside,
        },
    )
    if not has_extent and partial + outside:
        ctx.warn(
            "canopy-beyond-data",
            "canopy",
            f"{counted(partial + outside, 'neighbourhood reaches', 'neighbourhoods reach')} beyond the bounding box of the canopy "
            "data and no `canopy_extent` was given: their canopy share may be too low",
            partial + outside,
        )
    elif has_extent and partial:
        ctx.warn(
            "canopy-partial-coverage",
            "canopy_extent",
            f"{counted(partial, 'neighbourhood lies', 'neighbourhoods lie')} partly outside `canopy_extent`; their canopy "
            "share is computed over the covered part (see canopy_coverage)",
            partial,
        )
    if has_extent and outside:
        ctx.warn(
            "canopy-not-covered",
            "canopy_extent",
            f"{counted(outside, 'neighbourhood lies', 'neighbourhoods lie')} wholly outside `canopy_extent`; their canopy "
            "share is empty",
            outside,
        )


# --------------------------------------------------------------------- metrics


def _overall(res: Mapping[str, Any], dwellings: np.ndarray) -> dict[str, Any]:
    """Return the overall metrics from the arrays of :func:`green_3_30_300_arrays`.

    The shares of the 3, the 300 and all three are over one population: homes inside a
    neighbourhood (``res["population"]``).
    """
    zone_area = float(np.nansum(res["zone_area_m2"]))
    nb_meets = res["nb_meets_30"]
    population = res["population"]
    out: dict[str, Any] = {
        "buildings": int((dwellings > 0).sum()),
        "dwellings": float(dwellings.sum()),
        "neighbourhoods": len(nb_meets),
        "neighbourhoods_meeting_30": int(np.nansum(nb_meets)),
        "share_neighbourhoods_meeting_30": overall_share(nb_meets == 1, where=~np.isnan(nb_meets)),
        "canopy_share": float(np.nansum(res["canopy_area_m2"])) / zone_area
        if zone_area > 0
        else np.nan,
    }
    for tag in ("3", "300", "all_three"):
        m = res[f"meets_{tag}"]
        known = ~np.isnan(m) & population
        out[f"share_buildings_meeting_{tag}"] = overall_share(m == 1, where=known)
        out[f"share_dwellings_meeting_{tag}"] = overall_share(m == 1, dwellings, where=known)
    out["share_meeting_all_three"] = out["share_buildings_meeting_all_three"]
    if "network" in res:
        out["homes_not_on_network"] = int(np.asarray(res["network"]["result"].unsnapped).sum())
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute ``green-3-30-300`` (see the indicator's method text)."""
    homes, nbs, parks = layers["buildings"], layers["neighbourhoods"], layers["parks"]
    trees, canopy, extent = (layers.get(k) for k in ("trees", "canopy", "canopy_extent"))
    _check_tree_inputs(trees, canopy, ctx)
    lines = _network_lines(layers, params, ctx) if params["distance_mode"] == "network" else None
    dwellings = read_dwellings(homes, ctx)
    ctx.progress(0.1, "trees, parks and canopy")
    tree_points = _sized_trees(trees, canopy, params, ctx)
    res = green_3_30_300_arrays(
        homes.geometries,
        dwellings,
        nbs.geometries,
        parks.geometries,
        params,
        trees=tree_points,
        crowns=canopy.geometries if canopy is not None else None,
        extent=extent.geometries if extent is not None else None,
        network_lines=lines,
        groups=ctx.groups,
    )
    return metrics_of(layers, params, ctx, res, dwellings)


def metrics_of(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    res: Mapping[str, Any],
    dwellings: np.ndarray,
) -> Metrics:
    """Report on the inputs and return the :class:`Metrics` of :func:`green_3_30_300_arrays`.

    The last step of one piece and of tiles alike (:mod:`gsl_indicators.core.tiling`).
    """
    homes, parks = layers["buildings"], layers["parks"]
    canopy, extent = layers.get("canopy"), layers.get("canopy_extent")
    ctx.progress(0.85, "writing results")
    _report_parks(
        res["park_group_area"],
        n_parks=len(parks),
        min_area_m2=float(params["min_park_area_m2"]),
        ctx=ctx,
        elements=res["park_elements"],
        params=params,
    )
    _report_population(res["population"], dwellings, ctx)
    if "network" in res:
        _report_network(res["network"], params, ctx)
    if canopy is not None:
        _report_canopy(
            res["canopy_coverage"],
            extent=res["canopy_extent"],
            has_extent=extent is not None,
            ctx=ctx,
        )
    trees_count = res["trees_within"]
    feature = {
        "trees_within": np.full(len(homes), np.nan) if trees_count is None else trees_count,
        "meets_3": booleans(res["meets_3"]),
        "park_distance_m": res["park_distance_m"],
        "meets_300": booleans(res["meets_300"]),
        "meets_30": booleans(res["meets_30"]),
        "meets_all_three": booleans(res["meets_all_three"]),
    }
    area = {
        "canopy_share": res["canopy_share"],
        "meets_30": booleans(res["nb_meets_30"]),
        "canopy_area_m2": res["canopy_area_m2"],
        "canopy_coverage": res["canopy_coverage"],
        "buildings": res["nb_buildings"],
        "dwellings": res["nb_dwellings"],
        **{k[3:]: v for k, v in res.items() if k.startswith("nb_share_")},
    }
    return Metrics(feature=feature, area=area, overall=_overall(res, dwellings))


# --------------------------------------------------------------------------- tiles


def _tile_reach(params: Mapping[str, Any]) -> float:
    """Return the halo of a tile: trees count within ``tree_distance_m`` (parks are whole)."""
    return float(params["tree_distance_m"])


def _runs_whole(params: Mapping[str, Any]) -> str | None:
    if params.get("distance_mode") == "network":
        return "network distances run whole: the walking graph is not cut into tiles"
    if params.get("tree_visibility") == "line_of_sight":
        return "line of sight runs whole: a sight line may be blocked by any building"
    return None


def tile_kernel(tile: TileData) -> TilePart:
    """Run one tile of ``green-3-30-300`` (see :mod:`gsl_indicators.core.tiling`).

    Per core home: ``trees_within`` (the windowed trees reach every tree within
    ``tree_distance_m`` of it) and ``park_distance_m`` (to the qualifying parks, sent
    whole). Canopy: the terms of :func:`~gsl_indicators.core.canopy.canopy_area` for
    the crown groups this tile holds whole, keyed by their first crown, so the parent
    sums them in the one-piece order.
    """
    p = tile.params
    homes = tile.features
    feature: dict[str, np.ndarray] = {
        "park_distance_m": park_distance(homes, tile.shared["targets"], float(p["park_distance_m"]))
    }
    reports: dict[str, Any] = {}
    cell = tile_files.open_cell(tile.cell, tile.world)
    if p["has_trees"]:
        if "trees" in tile.files:  # read from the file: the window the parent would cut
            win = tile_files.read_window(tile.files["trees"], _tree_window(tile, cell), cell)
            trees, reports["trees"] = win.geometries, win.report.as_json()
        else:
            trees = tile.windowed["trees"]
        feature["trees_within"] = trees_within(homes, trees, float(p["tree_distance_m"]))
    terms: dict[str, np.ndarray] = {}
    if p["has_crowns"]:
        # this tile's crowns are whole groups of overlapping crowns (Prepared.grouped, or
        # read whole from the file): each group is dissolved here as in one piece,
        # keyed by its first crown
        if "canopy" in tile.files:
            crowns, keys, report = tile_files.whole_groups(tile.files["canopy"], cell)
            reports["canopy"] = report.as_json()
        else:
            crowns, keys = tile.windowed["crowns"], tile.windowed_index["crowns"]
        parts = canopy_parts(crowns, tile.shared["zones"], keys=keys)
        terms = {f"canopy_{f.name}": getattr(parts, f.name) for f in fields(parts)}
    extra = {"files": reports} if reports else {}
    return TilePart(tile.tile, tile.core, feature, terms=terms, extra=extra)


def _tree_window(tile: TileData, cell: tuple[float, float, float, float]) -> Any:
    """Return the box of the trees a tile reads: its open cell and core homes, grown by the reach."""
    d = float(tile.params["tree_distance_m"])
    x0, y0, x1, y1 = cell
    if len(tile.features):
        b = shapely.total_bounds(tile.features)
        x0, y0, x1, y1 = min(x0, b[0]), min(y0, b[1]), max(x1, b[2]), max(y1, b[3])
    return (x0 - d, y0 - d, x1 + d, y1 + d)


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: what :func:`compute` does around the kernel.

    The same checks and reports in the same order as :func:`compute` (so the data-quality
    section is the same); park groups and the canopy zones are made once here and sent
    whole; tree points are cut to each tile's window, crowns go by whole overlap groups.
    """
    homes, nbs, parks = layers["buildings"], layers["neighbourhoods"], layers["parks"]
    trees, canopy, extent = (layers.get(k) for k in ("trees", "canopy", "canopy_extent"))
    _check_tree_inputs(trees, canopy, ctx)
    dwellings = read_dwellings(homes, ctx)
    ctx.progress(0.1, "trees, parks and canopy")
    given: Mapping[str, Any] = layers  # a layer left to the tiles is a DeferredLayer
    files: dict[str, DeferredLayer] = {  # layers the tiles read from their files (tile_files)
        k: given[k] for k in ("trees", "canopy") if isinstance(given.get(k), DeferredLayer)
    }
    points = None if "trees" in files else _sized_trees(trees, canopy, params, ctx)
    crowns = canopy.geometries if canopy is not None and "canopy" not in files else None
    if points is None and crowns is not None and trees is None:
        points = shapely.point_on_surface(crowns)
    pk, targets = park_targets(parks.geometries, params)
    ext = extent.geometries if extent is not None else None
    cz = None
    if crowns is not None:
        cz = canopy_zones(nbs.geometries, crowns, ext)
    elif "canopy" in files and ext is not None and len(ext):  # an empty extent: the bbox
        cz = canopy_zones(nbs.geometries, np.empty(0, dtype=object), ext)
    zones = nbs.geometries if "canopy" in files and cz is None else None
    groups = ctx.groups
    if groups is None:
        groups = AreaGroups(zone_index(homes.geometries, nbs.geometries), len(nbs))
    empty = np.empty(0, dtype=object)

    def finish(merged: Merged) -> Metrics:
        count = merged.feature.get("trees_within")
        meets_3 = (
            np.full(merged.n, np.nan)
            if count is None
            else (count >= int(params["min_trees"])).astype(float)
        )
        dist = merged.feature["park_distance_m"]
        target = float(params["canopy_target"])
        if files:  # raises Undefer (read whole, start again) when a file is irregular
            tile_files.settle(
                list(files.values()), merged.extras, shapely.total_bounds(homes.geometries)
            )
        zoned = cz
        if zoned is None and "canopy" in files:  # no extent: the crowns' bounding box
            zoned = bbox_zones(nbs.geometries, files["canopy"].bounds)
        if zoned is None:
            canopy_arrays = rule_30(nbs.geometries, None, None, target)
        else:
            terms = CanopyParts(*(merged.terms[f"canopy_{f.name}"] for f in fields(CanopyParts)))
            canopy_arrays = canopy_result(zoned, sum_canopy_parts(terms, len(nbs)), target)
        res = combine_3_30_300(
            groups=groups,
            dwellings=dwellings,
            trees_within=count,
            meets_3=meets_3,
            park_distance_m=dist,
            meets_300=meets_park(dist, float(params["park_distance_m"])),
            parks=pk,
            canopy=canopy_arrays,
        )
        return metrics_of(layers, params, ctx, res, dwellings)

    grouped = {}
    if crowns is not None:  # each group of overlapping crowns goes whole to one tile
        labels = overlap_groups(crowns)
        first = np.full(int(labels.max()) + 1 if len(labels) else 0, len(crowns))
        np.minimum.at(first, labels, np.arange(len(crowns)))
        grouped["crowns"] = (crowns, first[labels])
    shared_zones = cz.zones if cz is not None else zones if zones is not None else empty
    return Prepared(
        kernel=f"{__name__}:tile_kernel",
        features=homes.geometries,
        finish=finish,
        shared={"targets": targets, "zones": shared_zones},
        windowed={"trees": points if points is not None else empty},
        grouped=grouped,
        params={
            "tree_distance_m": float(params["tree_distance_m"]),
            "park_distance_m": float(params["park_distance_m"]),
            "has_trees": points is not None or "trees" in files,
            "has_crowns": crowns is not None or "canopy" in files,
        },
        n_areas=len(nbs),
        files={k: tile_files.file_of(v) for k, v in files.items()},
    )


def _file_layers(params: Mapping[str, Any], given: frozenset[str]) -> tuple[str, ...]:
    """Return the layers tiles may read from their files (see :mod:`~gsl_indicators.core.tile_files`).

    Tree points when every tree counts (``min_tree_size_m`` 0: no sizes to read and
    report); crowns when tree points are given (else the crowns stand in for trees,
    which needs them in the parent).
    """
    out = []
    if "trees" in given and float(params.get("min_tree_size_m", 0.0)) <= 0:
        out.append("trees")
    if "canopy" in given and "trees" in given:
        out.append("canopy")
    return tuple(out)


#: plausible tree heights and crown diameters (m): the tallest trees stand ~115 m
TREE_SIZE_M = (0.0, 150.0)

TILING = Tiling(
    reach=_tile_reach,
    reach_text="tree_distance_m (parks, their groups and the areas are read whole)",
    whole=("parks", "neighbourhoods", "canopy_extent"),
    whole_when=_runs_whole,
    prepare=prepare_tiles,
    files=_file_layers,
)
"""``green-3-30-300`` in tiles: halo ``tree_distance_m``; parks and areas whole."""


# --------------------------------------------------------------------- declaration

TREE_DISTANCE = Parameter(
    "tree_distance_m",
    "Tree distance",
    "A tree counts for a home when it stands within this distance of the footprint (or "
    "address point). Konijnendijk (2023) leaves it open; 30 m is common practice "
    "(Tygron uses a sight distance of 100 m, the Bologna study 50 m).",
    "number",
    default=30.0,
    minimum=1.0,
    maximum=200.0,
    unit="m",
    plausible=(10.0, 50.0),  # the distances used in practice (cited above), not 1–200 m
)
MIN_TREES = Parameter(
    "min_trees",
    "Minimum trees",
    "Trees a home must have within `tree_distance_m` (the '3').",
    "integer",
    default=3,
    minimum=1,
    maximum=50,
)
CANOPY_TARGET = Parameter(
    "canopy_target",
    "Canopy target",
    "Canopy share a neighbourhood must reach (the '30').",
    "number",
    default=0.30,
    minimum=0.0,
    maximum=1.0,
    unit=FRACTION,
)
PARK_DISTANCE = Parameter(
    "park_distance_m",
    "Park distance",
    "Maximum distance from a home to a qualifying park (the '300').",
    "number",
    default=300.0,
    minimum=50.0,
    maximum=2000.0,
    unit="m",
    plausible=(200.0, 500.0),  # the range of park distances studied around the 300 m
)
MIN_PARK_AREA = Parameter(
    "min_park_area_m2",
    "Minimum park area",
    "Parks smaller than this do not count (Tygron: 1 ha; WHO Europe 2016: 0.5–1 ha; 0 "
    "counts every park).",
    "number",
    default=10000.0,
    minimum=0.0,
    maximum=1000000.0,
    unit="m²",
    plausible=(5000.0, 20000.0),  # 0.5–2 ha: WHO Europe 0.5–1 ha, larger thresholds in studies
)


def _merge_touching_unread(params: Mapping[str, Any]) -> str | None:
    if float(params.get("park_merge_gap_m") or 0.0) > 0:
        return "a park_merge_gap_m above 0 merges touching parks whatever this says"
    return None


def _tree_size_unread(params: Mapping[str, Any]) -> str | None:
    if float(params.get("min_tree_size_m") or 0.0) <= 0:
        return "min_tree_size_m is 0: every tree counts, whatever its size"
    return None


MERGE_TOUCHING = Parameter(
    "merge_touching_parks",
    "Merge touching parks",
    "Parks that touch or overlap are one park when their size is judged.",
    "boolean",
    default=True,
    unread_if=_merge_touching_unread,
)
PARK_UNIT = Parameter(
    "park_unit",
    "Park unit",
    "What one park is when its size is judged: 'feature' (default, as before 2.1.0: a "
    "MultiPolygon feature is one park, however far apart its parts) or 'part' (each "
    "connected part of a feature is judged alone).",
    "string",
    default="feature",
    enum=("feature", "part"),
)
PARK_MERGE_GAP = Parameter(
    "park_merge_gap_m",
    "Park merge gap",
    "Parks closer than this are one park when their size is judged (a footpath or ditch "
    "drawn as its own polygon between two lawns). 0 (default) merges only touching "
    "parks (with `merge_touching_parks`). For BGT data 5 m is recommended (BGT draws "
    "paths, cycle tracks and ditches inside parks as separate polygons, typically "
    "2–4 m wide); see docs/green.md for the Amsterdam figures.",
    "number",
    default=0.0,
    minimum=0.0,
    maximum=50.0,
    unit="m",
)
TREE_VISIBILITY = Parameter(
    "tree_visibility",
    "Tree visibility",
    "'distance' (default): every tree within `tree_distance_m` counts for the 3. "
    "'line_of_sight': only trees the home can see — the shortest segment from the home's "
    "façade (footprint boundary; the address point itself) to the tree crosses no other "
    "footprint of the `buildings` input (non-homes with `dwellings` 0 block the view too).",
    "string",
    default="distance",
    enum=("distance", "line_of_sight"),
)
MIN_TREE_SIZE = Parameter(
    "min_tree_size_m",
    "Minimum tree size",
    "Trees smaller than this do not count for the 3 (0, the default, counts every tree). "
    "The size is the tree property named by `tree_size_property`; trees without it count "
    "and are reported in `data_quality.trees_by_size`.",
    "number",
    default=0.0,
    minimum=0.0,
    maximum=50.0,
    unit="m",
)
TREE_SIZE_PROPERTY = Parameter(
    "tree_size_property",
    "Tree size property",
    "Which tree property is the size for `min_tree_size_m`: 'crown_diameter' (m; for "
    "crowns without tree points, the diameter of the circle of the crown's area) or "
    "'height' (m).",
    "string",
    default="crown_diameter",
    enum=("crown_diameter", "height"),
    unread_if=_tree_size_unread,
)
BUILDINGS = GeoInput(
    "buildings",
    "Homes",
    "Homes: building footprints or address points. Property `dwellings` (default 1, "
    "counted in the data-quality section when absent; 0: not a home — left out of the "
    "shares, counted in `data_quality.not_homes`, still blocking the view in "
    "line-of-sight mode).",
    POINTS + POLYGONS,
    ranges={"dwellings": DWELLINGS_RANGE},
    properties={"dwellings": "number of dwellings (default 1)"},
)
NEIGHBOURHOODS = GeoInput(
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


def _share_metrics(tag: str, nl: str, en: str) -> tuple[Metric, ...]:
    return tuple(
        metric(
            f"share_{unit}_meeting_{tag}",
            f"Aandeel {unl} dat voldoet aan {nl}",
            f"Share of {unit} meeting {en}",
            FRACTION,
            levels=("area", "overall"),
            direction="higher_is_better",
            digits=4,
            scored=True,
            description=f"{uen.capitalize()} meeting {en} ÷ {uen} whose answer is known.",
        )
        for unit, unl, uen in (
            ("buildings", "woningen", "homes"),
            ("dwellings", "wooneenheden", "dwellings"),
        )
    )


METRICS: tuple[Metric, ...] = (
    metric(
        "trees_within",
        "Bomen in de buurt",
        "Trees nearby",
        "count",
        levels=("feature",),
        direction="higher_is_better",
        digits=0,
        description="Trees within `tree_distance_m` of the home (empty without trees and canopy).",
    ),
    metric(
        "meets_3",
        "Voldoet aan 3",
        "Meets the 3",
        "boolean",
        levels=("feature",),
        description="At least `min_trees` trees nearby.",
    ),
    metric(
        "park_distance_m",
        "Afstand tot park",
        "Distance to a park",
        "m",
        levels=("feature",),
        direction="lower_is_better",
        digits=2,
        description="To the nearest qualifying park (empty: none within the network cut-off, "
        "or the home is not on the network).",
    ),
    metric(
        "meets_300",
        "Voldoet aan 300",
        "Meets the 300",
        "boolean",
        levels=("feature",),
        description="A qualifying park within `park_distance_m`.",
    ),
    metric(
        "meets_30",
        "Voldoet aan 30",
        "Meets the 30",
        "boolean",
        levels=("feature", "area"),
        description="The (home's) neighbourhood has at least `canopy_target` canopy.",
    ),
    metric(
        "meets_all_three",
        "Voldoet aan 3-30-300",
        "Meets 3-30-300",
        "boolean",
        levels=("feature",),
        description="The home's 3, its 300 and its neighbourhood's 30.",
    ),
    metric(
        "canopy_share",
        "Kroonbedekking",
        "Canopy share",
        FRACTION,
        levels=("area", "overall"),
        direction="higher_is_better",
        digits=4,
        scored=True,
        description="Union of crowns ÷ area (inside `canopy_extent` when given).",
    ),
    metric(
        "canopy_area_m2",
        "Kroonoppervlak",
        "Canopy area",
        "m²",
        levels=("area",),
        digits=2,
        description="Union of crowns inside the neighbourhood (and the extent).",
    ),
    metric(
        "canopy_coverage",
        "Dekking boomkroondata",
        "Canopy data coverage",
        FRACTION,
        levels=("area",),
        digits=4,
        description="Share of the neighbourhood inside `canopy_extent` (else inside the "
        "canopy data's bounding box).",
    ),
    metric("buildings", "Woningen", "Homes", "count", levels=("area", "overall"), digits=0),
    metric(
        "dwellings",
        "Wooneenheden",
        "Dwellings",
        "count",
        levels=("area", "overall"),
        digits=3,
        description="Sum of the homes' `dwellings` (default 1).",
    ),
    *_share_metrics("3", "3", "the 3"),
    *_share_metrics("300", "300", "the 300"),
    *_share_metrics("all_three", "3-30-300", "all three"),
    metric(
        "share_meeting_all_three",
        "Aandeel woningen dat voldoet aan 3-30-300",
        "Share of homes meeting all three",
        FRACTION,
        direction="higher_is_better",
        digits=4,
        scored=True,
        description="The same as `share_buildings_meeting_all_three` (kept for its band in "
        "the profiles).",
    ),
    metric("neighbourhoods", "Buurten", "Neighbourhoods", "count", digits=0),
    metric(
        "neighbourhoods_meeting_30",
        "Buurten die voldoen aan 30",
        "Neighbourhoods meeting the 30",
        "count",
        digits=0,
    ),
    metric(
        "share_neighbourhoods_meeting_30",
        "Aandeel buurten dat voldoet aan 30",
        "Share of neighbourhoods meeting the 30",
        FRACTION,
        direction="higher_is_better",
        digits=4,
        description="Of the neighbourhoods with a known canopy share.",
    ),
    metric(
        "homes_not_on_network",
        "Woningen niet op het netwerk",
        "Homes not on the network",
        "count",
        direction="lower_is_better",
        digits=0,
        description="Network mode: homes farther than `snap_limit_m` from any path.",
    ),
)


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


EXAMPLE = _example_3_30_300()
"""The example request (its homes, parks and neighbourhood serve ``green-per-dwelling`` too)."""

INDICATORS = (
    Indicator(
        id="green-3-30-300",
        version="2.1.1",
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
            "With `tree_visibility` 'line_of_sight' (2.1.0) a tree counts only when the "
            "shortest segment from the home's façade (footprint boundary, or the address "
            "point) to the tree crosses no other footprint of `buildings` (touching a wall "
            "or corner does not block; the home's own footprint never does). With "
            "`min_tree_size_m` > 0 only trees whose `tree_size_property` (crown diameter or "
            "height, m) reaches it count; trees without the property count and are "
            "reported (`data_quality.trees_by_size`, warning `trees-without-size`). "
            "**30** — per neighbourhood, the union of all crown polygons (overlapping crowns "
            "count once) clipped to the neighbourhood, divided by the neighbourhood's area; "
            "`meets_30` when at least `canopy_target`. With `canopy_extent`, both areas are "
            "taken inside the extent only and `canopy_coverage` gives the share of the "
            "neighbourhood inside it (share empty where 0); without it, `canopy_coverage` is "
            "the share inside the canopy data's bounding box and neighbourhoods reaching "
            "beyond it get a warning. "
            "**300** — a park is a feature, or with `park_unit` 'part' (2.1.0) each "
            "connected part of a (Multi)Polygon feature; parks that touch or overlap are "
            "merged (`merge_touching_parks`), and parks closer than `park_merge_gap_m` "
            "(default 0; 5 m recommended for BGT, whose paths are polygons of their own) "
            "too, and judged by their merged area (gaps not added); those of at least "
            "`min_park_area_m2` qualify (counts in `data_quality.parks`). "
            "`park_distance_m` is the distance from the home to the nearest qualifying park: "
            "straight line from the footprint (0 inside) or, with `distance_mode` 'network', "
            "the walk over the network (home snapped to the nearest path, snap distance "
            "added, parks entered where their edge is within `entrance_tolerance_m` of a "
            "path; empty beyond `network_cutoff_m`, and empty with a warning for homes more "
            "than `snap_limit_m` from any path, counted in `homes_not_on_network`). "
            "`meets_300` when at most `park_distance_m`. "
            "A home belongs to the neighbourhood holding its representative point (its "
            "`area_id`); `meets_all_three` combines its 3, its 300 and its neighbourhood's "
            "30. Shares are fractions 0–1 over homes (buildings) and over dwellings "
            "(property `dwellings`, default 1), leaving out homes whose value is unknown. "
            "A home is a feature with `dwellings` > 0 (features with 0 are not homes: no "
            "share counts them, `data_quality.not_homes`). Since 2.1.0 the overall shares "
            "of the 3, the 300 and all three have one population, the homes inside a "
            "neighbourhood (outside one the 30 is unknown; "
            "`data_quality.homes_outside_neighbourhoods`). "
            "**Scores** 1–10 come from the norm profile per area type (`area_type` parameter, "
            "else the neighbourhood's `area_type` or `urbanity_class`), overall and per "
            "neighbourhood (flat `score_<metric>` columns), for the shares meeting 3, 300 and "
            "all three and for `canopy_share` (headline: `share_dwellings_meeting_all_three`). "
            "The parameters and the profile play different parts: `min_trees`, "
            "`canopy_target`, `park_distance_m` and `min_park_area_m2` decide the meets_* "
            "flags (and so the shares); the profile's band judges the shares. "
            "`canopy_target` (0.30) is the canopy band's *ambition* in nl-default: `meets_30` "
            "is true exactly where `canopy_share` scores 10, and the indicative minimum (0.20, "
            "0.10 in the inner city) scores 6. Changing `canopy_target` moves the flag, not "
            "the band; the result shows both (`canopy_target` in the provenance parameters, "
            "the band in the scorecard)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        alternatives=(("trees", "canopy"),),
        inputs=(
            BUILDINGS,
            GeoInput(
                "trees",
                "Trees",
                "Tree points (e.g. the municipal tree register).",
                POINTS,
                required=False,
                properties={
                    "crown_diameter": "crown diameter in m (`min_tree_size_m`)",
                    "height": "tree height in m (`min_tree_size_m`)",
                },
                ranges={"crown_diameter": TREE_SIZE_M, "height": TREE_SIZE_M},
            ),
            GeoInput(
                "canopy",
                "Canopy",
                "Tree-crown polygons (overlaps count once).",
                POLYGONS,
                required=False,
                properties={
                    "height": "crown height in m (`min_tree_size_m` with `tree_size_property` "
                    "height, when no tree points are given)"
                },
                ranges={"height": TREE_SIZE_M},
            ),
            NEIGHBOURHOODS,
            GeoInput("parks", "Parks", "Public green-space polygons.", POLYGONS),
            GeoInput(
                "canopy_extent",
                "Canopy extent",
                "Where the canopy data is complete (e.g. the tile); canopy shares are "
                "computed inside it (read only with `canopy`).",
                POLYGONS,
                required=False,
                read_with=("canopy",),
            ),
            GeoInput(
                "network",
                "Walking network",
                "Walking paths and streets (distance_mode 'network'); lines need not be "
                "split at junctions.",
                LINES,
                required=False,
                properties={"highway": "OpenStreetMap highway value (filtered)"},
                used_when={"distance_mode": "network"},
            ),
        ),
        parameters=(
            TREE_DISTANCE,
            MIN_TREES,
            CANOPY_TARGET,
            PARK_DISTANCE,
            MIN_PARK_AREA,
            MERGE_TOUCHING,
            PARK_UNIT,
            PARK_MERGE_GAP,
            TREE_VISIBILITY,
            MIN_TREE_SIZE,
            TREE_SIZE_PROPERTY,
            *walking_parameters(),
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
        example=EXAMPLE,
    ),
)
