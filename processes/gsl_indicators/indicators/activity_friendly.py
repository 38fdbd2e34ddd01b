"""``activity-friendly``: an activity-friendly environment (*beweegvriendelijke omgeving*).

The national *beweegvriendelijke omgeving* (Kenniscentrum Sport & Bewegen: a living
environment that facilitates, invites and challenges people to walk, cycle, play and
do sports) is measured from what the service already reads, per neighbourhood and
overall:

``intersection_density_per_km2``
    Walkable intersections per km²: nodes of the walking graph
    (:func:`gsl_indicators.core.network.build_network`, lines noded at shared vertices
    and crossings) where at least ``min_intersection_degree`` (default 3) path pieces
    meet, counted in the neighbourhood holding them, ÷ its area. Street connectivity is
    "typically measured as the density of intersections of three or more streets"
    (e.g. the Australian Urban Observatory walkability index); Cerin et al. (2022,
    IPEN Adult) report about 100 intersections per km² as the lower threshold for an
    80 % probability of any walking for transport. Lines that cross without a junction
    (bridges, tunnels) count as intersections: the graph knows no levels.
``share_homes_near_play`` / ``share_homes_near_sport``
    Homes with a play area (``play_areas``) within ``play_reach_m`` and a sports
    facility (``sport_facilities``) within ``sport_reach_m`` — straight-line or
    walking-network distance (``distance_mode``, as in ``proximity-facilities``).
``green_play_share_public_space``
    The part of the public space (``public_space``) that is green (``green``) or
    playable (``play_areas`` polygons): area of (green ∪ play) ∩ public space ÷ area of
    public space, inside each neighbourhood (overlaps count once).
``cycle_density_km_per_km2`` (when ``cycle_network`` is given)
    Length of the cycle network inside the neighbourhood (overlapping lines once), in
    km ÷ its area in km².

Every metric is scored per area type by the norm profile; the profile marks each
band's basis (intersection density: Cerin et al. 2022 in urban area types; the others
``indicative``: no national norm exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from gsl_indicators.core.canopy import chunked_map
from gsl_indicators.core.class_union import class_union_by_area, disjoint_classes
from gsl_indicators.core.examples import box_feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    AREA_OVERALL,
    BUILDINGS,
    HOME_METRICS,
    count_metric,
    flag_metric,
    home_counts,
    level_metrics,
    metric,
    read_homes,
    share_metric,
)
from gsl_indicators.core.geo import Layer, zone_index
from gsl_indicators.core.metrics import AreaGroups, Direction, Metrics
from gsl_indicators.core.network import (
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
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.indicators.proximity import distances_by_mode, euclidean_nearest

__all__ = [
    "BOUND_SLACK_M",
    "CERTIFY_SAMPLE",
    "CERTIFY_SHARE",
    "DENSIFY_M",
    "GROUP_CHUNK",
    "HIGHER",
    "INDICATORS",
    "METRICS",
    "NODE_DECIMALS",
    "OVERLAY_CHUNK",
    "PAIR_CHUNK",
    "PARAMETERS",
    "PLAY_REACH_M",
    "SPORT_REACH_M",
    "area_metrics",
    "compute",
    "count_in_areas",
    "disjoint_pieces",
    "dissolve_runs",
    "interior_overlaps",
    "intersecting_pairs",
    "intersection_in_box",
    "intersection_nodes",
    "length_in_areas",
    "nearest_distance",
    "overlap_flags",
    "pairwise",
    "polygons_of",
    "reach_flags",
    "union_area_within",
    "union_by_area",
    "unique_points",
    "walk_lines",
]

HIGHER: Direction = "higher_is_better"
NODE_DECIMALS = 3
"""Node coordinates are merged at 1 mm, as in the walking graph."""


def intersection_nodes(lines: np.ndarray, min_degree: int = 3) -> np.ndarray:
    """Return the coordinates of the walking graph's nodes of degree ``min_degree`` or more.

    Examples
    --------
    A cross (two lines crossing without a shared vertex) and a T-junction of two ways
    sharing a vertex; the way ends are of degree 1, the shared ends of degree 2:

    >>> lines = np.array([shapely.LineString([(0, 5), (10, 5)]),
    ...                   shapely.LineString([(5, 0), (5, 10)]),
    ...                   shapely.LineString([(20, 0), (30, 0)]),
    ...                   shapely.LineString([(30, 0), (40, 0)]),
    ...                   shapely.LineString([(30, 0), (30, 10)])])
    >>> intersection_nodes(lines).tolist()
    [[5.0, 5.0], [30.0, 0.0]]
    """
    geoms = np.asarray(lines, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))] if len(geoms) else geoms
    parts = shapely.get_parts(geoms) if len(geoms) else np.empty(0, dtype=object)
    parts = parts[shapely.get_type_id(parts) == 1] if len(parts) else parts
    if not len(parts):
        return np.zeros((0, 2))
    # The same noding as the walking graph (core.network.build_network): every shared
    # vertex and crossing becomes a node; each piece adds 1 to the degree of both ends.
    edges = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    edges = edges[shapely.length(edges) > 0]
    xy, of = shapely.get_coordinates(edges, return_index=True)
    change = of[1:] != of[:-1]
    ends = np.vstack([xy[np.r_[True, change]], xy[np.r_[change, True]]])
    node_xy, degree = unique_points(ends, NODE_DECIMALS)
    return node_xy[degree >= min_degree]


def unique_points(xy: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct points of ``xy`` rounded to ``decimals`` (sorted by x, y) and counts.

    The same as ``np.unique(np.round(xy, decimals), axis=0, return_counts=True)``, on one
    int64 key per point (the rounded coordinates as integers) when they fit in 31 + 32
    bits — about 15 times faster than the row-wise unique.

    Examples
    --------
    >>> unique_points(np.array([[1.0, 2.0], [0.5, 9.0], [1.0004, 2.0]]), 3)
    (array([[0.5, 9. ],
           [1. , 2. ]]), array([1, 2]))
    """
    scale = 10.0**decimals
    q = np.rint(np.asarray(xy, dtype=float) * scale)
    if not len(q):
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    lo = q.min(axis=0)
    span = q.max(axis=0) - lo
    if not (np.isfinite(span).all() and span[0] < 2.0**31 and span[1] < 2.0**32):
        return np.unique(np.round(xy, decimals), axis=0, return_counts=True)
    k = (q - lo).astype(np.int64)
    key, counts = np.unique((k[:, 0] << 32) | k[:, 1], return_counts=True)
    ints = np.column_stack([(key >> 32) + lo[0], (key & 0xFFFFFFFF) + lo[1]])
    return ints / scale, counts


def count_in_areas(xy: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Return the number of points in each area (a point on a shared edge: the first area).

    Examples
    --------
    >>> areas = shapely.box([0, 10], 0, [10, 20], 10)
    >>> count_in_areas(np.array([[5.0, 5.0], [10.0, 5.0], [15.0, 5.0], [50.0, 5.0]]), areas).tolist()
    [2, 1]
    """
    idx = zone_index(shapely.points(xy) if len(xy) else np.empty(0, dtype=object), areas)
    return np.bincount(idx[idx >= 0], minlength=len(areas))


def union_by_area(geoms: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Return, per area, the union of ``geoms`` clipped to it (an empty geometry where none).

    The geometries are clipped to the areas they touch first (one vectorised
    intersection of small pieces), then dissolved area by area: no giant union of the
    whole city is ever built or intersected.

    Examples
    --------
    >>> areas = shapely.box([0, 10], 0, [10, 20], 10)
    >>> u = union_by_area(np.array([shapely.box(5, 0, 15, 10), shapely.box(8, 0, 12, 10)]), areas)
    >>> shapely.area(u).tolist()  # 5 + 2 overlapping → 5 in the first; 5 in the second
    [50.0, 50.0]
    """
    out = np.array([shapely.GeometryCollection()] * len(areas), dtype=object)
    if not len(geoms) or not len(areas):
        return out
    ai, gi = shapely.STRtree(geoms).query(areas, predicate="intersects")
    if not len(ai):
        return out
    clipped = pairwise(shapely.intersection, geoms[gi], areas[ai])
    keys, unions = dissolve_runs(ai, clipped)
    out[keys] = unions
    return out


GROUP_CHUNK = 16
"""Groups dissolved per thread task in :func:`dissolve_runs` (fixed: results do not
depend on the thread count)."""
PAIR_CHUNK = 4096
"""Pairs per thread task in :func:`pairwise` and points per task in :func:`nearest_distance`."""
OVERLAY_CHUNK = 512
"""Pairs per thread task in :func:`intersection_in_box` (overlays: far more work per pair)."""


def pairwise(fn: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the vectorised ``fn(a, b)`` computed over fixed chunks in threads.

    Examples
    --------
    >>> pairwise(shapely.intersects, shapely.points([[0, 0], [5, 5]]),
    ...          np.array([shapely.box(-1, -1, 1, 1)] * 2)).tolist()
    [True, False]
    """
    if len(a) <= PAIR_CHUNK:
        return np.asarray(fn(a, b))
    parts = chunked_map(lambda _s, x, y: fn(x, y), len(a), a, b, chunk=PAIR_CHUNK)
    return np.concatenate(parts)


def dissolve_runs(keys: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct ``keys`` (in order of appearance) and the union of each run.

    ``keys`` is grouped: equal keys are consecutive. The unions (``shapely.union_all``,
    one per run) are independent, so they run over fixed chunks of runs in threads
    (:func:`gsl_indicators.core.canopy.chunked_map`; GEOS releases the GIL).

    Examples
    --------
    >>> k, u = dissolve_runs(np.array([3, 3, 1]), shapely.box([0, 1, 9], 0, [2, 3, 10], 1))
    >>> k.tolist(), shapely.area(u).tolist()
    ([3, 1], [3.0, 1.0])
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]

    def job(_s: int, st: np.ndarray, en: np.ndarray) -> list[Any]:
        return [shapely.union_all(geoms[i:j]) for i, j in zip(st, en, strict=True)]

    runs = chunked_map(job, len(starts), starts, ends, chunk=GROUP_CHUNK)
    out = np.empty(len(starts), dtype=object)
    out[:] = [u for part in runs for u in part]
    return keys[starts], out


def intersecting_pairs(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs ``i < j`` of geometries that intersect (touching included).

    Examples
    --------
    >>> b = shapely.box([0, 10, 15, 30], 0, [10, 20, 25, 40], 10)  # 0|1 touch, 1 & 2 overlap
    >>> [a.tolist() for a in intersecting_pairs(b)]
    [[0, 1], [1, 2]]
    """
    if len(geoms) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return i[i < j], j[i < j]


def interior_overlaps(geoms: np.ndarray) -> np.ndarray:
    """Return per polygon whether its interior meets another one's (touching is no overlap).

    Examples
    --------
    >>> b = shapely.box([0, 10, 15, 30], 0, [10, 20, 25, 40], 10)  # 1|2 touch, 2 & 3 overlap
    >>> interior_overlaps(b).tolist()
    [False, True, True, False]
    """
    return overlap_flags(geoms, *intersecting_pairs(geoms))


def overlap_flags(geoms: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Return per geometry whether its interior meets another's, given the intersecting pairs.

    Interiors meet ⟺ they intersect and do not merely touch (DE-9IM ``T********``; GEOS's
    ``touches`` stops early where ``relate`` builds the whole matrix, 4× faster). A flag
    needs one such pair, so the pairs are tested in two rounds: first one pair of each
    geometry, then only the pairs that can still set a flag (streets that cross many
    others: one test each instead of one per crossing).

    Examples
    --------
    >>> b = shapely.box([0, 10, 15, 30], 0, [10, 20, 25, 40], 10)
    >>> overlap_flags(b, np.array([0, 1]), np.array([1, 2])).tolist()
    [False, True, True, False]
    """
    out = np.zeros(len(geoms), dtype=bool)
    if not len(i):
        return out
    _, first = np.unique(np.concatenate([i, j]), return_index=True)
    tested = np.zeros(len(i), dtype=bool)
    tested[np.unique(first % len(i))] = True
    for first_round in (True, False):
        sel = np.flatnonzero(tested == first_round)
        sel = sel[~(out[i[sel]] & out[j[sel]])]  # both flagged already: nothing to learn
        inner = ~pairwise(shapely.touches, geoms[i[sel]], geoms[j[sel]])
        out[i[sel][inner]] = True
        out[j[sel][inner]] = True
    return out


def intersection_in_box(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Return ``small ∩ large`` pairwise, cutting ``large`` to ``small``'s bounding box first.

    ``large ∩ box(small) ⊇ large ∩ small``, so the result is the same; the cut
    (``clip_by_rect``, a fast rectangle clip) hands the overlay a small polygon instead of
    a whole area's public space (half the time). The clip's output is used only where it
    is valid; elsewhere ``large`` itself.

    Examples
    --------
    >>> ring = shapely.box(0, 0, 100, 100).difference(shapely.box(10, 10, 90, 90))
    >>> shapely.area(intersection_in_box(np.array([shapely.box(-5, 40, 20, 60)]),
    ...                                  np.array([ring]))).tolist()  # 10 × 20
    [200.0]
    """

    def job(_s: int, sm: np.ndarray, lg: np.ndarray) -> np.ndarray:
        near = np.empty(len(lg), dtype=object)
        for k, (geom, box_) in enumerate(zip(lg, shapely.bounds(sm).tolist(), strict=True)):
            near[k] = shapely.clip_by_rect(geom, *box_)
        return np.asarray(shapely.intersection(sm, np.where(shapely.is_valid(near), near, lg)))

    if not len(small):
        return np.empty(0, dtype=object)
    return np.concatenate(chunked_map(job, len(small), small, large, chunk=OVERLAY_CHUNK))


def union_area_within(geoms: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Return, per ``within`` polygon, the area of the union of ``geoms`` inside it.

    ``area((∪ geoms) ∩ within[a])``, without building the union: each geometry is clipped
    to the polygons it meets (one vectorised intersection), and the clipped areas are
    summed — exact for geometries whose interiors meet no other's (found once,
    :func:`interior_overlaps`). Only the overlapping ones are dissolved, per polygon.

    Examples
    --------
    >>> within = shapely.box([0, 10], 0, [10, 20], 10)
    >>> geoms = shapely.box([5, 8, 18], 0, [15, 12, 19], [10, 10, 1])  # 1 & 2 overlap
    >>> union_area_within(geoms, within).tolist()  # 5·10; 5·10 + 1·1
    [50.0, 51.0]
    """
    n = len(within)
    out = np.zeros(n)
    if not len(geoms) or not n:
        return out
    wi, gi = shapely.STRtree(geoms).query(within, predicate="intersects")
    if not len(wi):
        return out
    pieces = intersection_in_box(geoms[gi], within[wi])
    overlapping = interior_overlaps(geoms)[gi]
    out += np.bincount(wi[~overlapping], weights=shapely.area(pieces[~overlapping]), minlength=n)
    if overlapping.any():
        wo, po = wi[overlapping], pieces[overlapping]
        order = np.argsort(wo, kind="stable")
        keys, unions = dissolve_runs(wo[order], po[order])
        out[keys] += shapely.area(unions)
    return out


def disjoint_pieces(geoms: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the union of ``geoms`` inside each area as interior-disjoint pieces, and their area.

    A geometry whose interior meets no other's (:func:`interior_overlaps`; a public-space
    layer that partitions the ground) is only clipped to the areas it meets; the
    overlapping ones are dissolved per area from classes of mutually disjoint polygons
    (:func:`gsl_indicators.core.class_union.class_union_by_area`: each class is already
    its own union, so an area costs a few binary overlays of whole classes instead of a
    cascade over every polygon). Pieces without area are left out. The pieces of an area
    together are ``(∪ geoms) ∩ area``.

    Examples
    --------
    >>> areas = shapely.box([0, 10], 0, [10, 20], 10)
    >>> g = shapely.box([5, 12, 13], 0, [12, 14, 16], 10)  # 1 touches 2; 2 and 3 overlap
    >>> pieces, of = disjoint_pieces(g, areas)
    >>> shapely.area(pieces).tolist(), of.tolist()  # 1 clipped: 5·10, 2·10; 2 ∪ 3: 4·10
    ([50.0, 20.0, 40.0], [0, 1, 1])
    """
    none = (np.empty(0, dtype=object), np.zeros(0, dtype=np.int64))
    if not len(geoms) or not len(areas):
        return none
    i, j = intersecting_pairs(geoms)
    overlapping = overlap_flags(geoms, i, j)
    single = geoms[~overlapping]
    ai, gi = shapely.STRtree(single).query(areas, predicate="intersects")
    pieces = [pairwise(shapely.intersection, single[gi], areas[ai])] if len(single) else []
    of = [ai] if len(single) else []
    if overlapping.any():
        # the overlapping ones in classes of mutually disjoint polygons (two that meet,
        # touching included, never share one): per area, each class is a valid
        # MultiPolygon and the union is a few binary overlays of whole classes
        idx = np.flatnonzero(overlapping)
        both = overlapping[i] & overlapping[j]
        at = np.cumsum(overlapping) - 1
        classes = disjoint_classes(len(idx), at[i[both]], at[j[both]])
        merged, merged_of = class_union_by_area(
            geoms[idx],
            classes,
            areas,
            intersection=lambda a, b: pairwise(shapely.intersection, a, b),
        )
        pieces.append(merged)
        of.append(merged_of)
    if not pieces:
        return none
    p, o = np.concatenate(pieces), np.concatenate(of)
    keep = shapely.area(p) > 0
    return p[keep], o[keep]


def length_in_areas(lines: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Return the length (m) of the union of ``lines`` inside each area.

    Overlapping lines count once; a line on a shared edge counts in both areas.

    Examples
    --------
    >>> areas = shapely.box([0, 100], 0, [100, 200], 100)
    >>> lines = np.array([shapely.LineString([(50, 50), (150, 50)]),
    ...                   shapely.LineString([(60, 50), (70, 50)])])  # inside the first
    >>> length_in_areas(lines, areas).tolist()
    [50.0, 50.0]
    """
    return np.asarray(shapely.length(union_by_area(lines, areas)), dtype=float)


def polygons_of(layer: Layer | None) -> np.ndarray:
    """Return the polygonal geometries of a layer (empty when absent)."""
    if layer is None or not len(layer):
        return np.empty(0, dtype=object)
    g = layer.geometries
    return g[np.isin(shapely.get_type_id(g), (3, 6))]


def walk_lines(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context
) -> np.ndarray | None:
    """Return the walkable lines of ``network`` (``None`` without a network)."""
    layer = layers.get("network")
    if layer is None or not len(layer):
        return None
    has_highway = any("highway" in p for p in layer.properties)
    return walkable_lines(
        layer.geometries,
        layer.text("highway") if has_highway else None,
        walkable_from(params),
        ctx,
    )


DENSIFY_M = 20.0
"""Vertex spacing of the target outlines in :func:`nearest_distance`'s upper bound."""
BOUND_SLACK_M = 1e-6
"""Added to that bound: GEOS's ``dwithin`` may judge a distance of exactly the bound as beyond."""


CERTIFY_SHARE = 0.5
"""The centre test of :func:`nearest_distance` is used when it settles at least this share
of a sample of the points (small targets far apart); otherwise the outline vertices bound
every point."""
CERTIFY_SAMPLE = 1024
"""About this many points (every k-th) decide between the two bounds."""


def nearest_distance(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Return the exact straight-line distance from each origin to its nearest target.

    Points to points: one KD-tree query. Points to polygons or lines, in fixed chunks of
    ``PAIR_CHUNK`` points on threads (the same numbers for any thread count), one of two
    exact roads, chosen on a sample of the points (:data:`CERTIFY_SHARE`):

    * **centre test** (small targets, far apart): a KD-tree over the targets' bounding-box
      centres gives each point the two nearest centres. The exact distance ``d0`` to the
      target of the nearest centre (``shapely.distance``) is the answer when
      ``d0 ≤ e2 − R`` (``e2`` the second-nearest centre's distance, ``R`` the largest
      bounding-box half-diagonal): every other target lies at least ``e2 − R`` away, since
      each of its points is within its half-diagonal of its centre. The points this does
      not settle take the next road with the bound ``d0``.
    * **vertex bound**: the outlines are densified to vertices at most ``DENSIFY_M`` apart
      and put in a KD-tree; a point's nearest vertex lies at ``d_v`` and, a vertex being a
      point of its target, the nearest distance is ``d ≤ d_v``. The targets within ``d_v``
      (one bulk ``STRtree`` query with predicate ``dwithin``) hold the nearest one — a
      point inside a polygon finds it at 0 — and the least of their exact distances is
      ``d``.

    Both give the least of the exact GEOS distances, to the bit. For footprint origins
    GEOS's nearest-neighbour search is used
    (:func:`gsl_indicators.indicators.proximity.euclidean_nearest`). ``inf`` without targets.

    Examples
    --------
    >>> nearest_distance(shapely.points([[0, 0], [3, 4]]), shapely.points([[0, 0]])).tolist()
    [0.0, 5.0]
    >>> boxes = np.array([shapely.box(3, -1, 5, 1), shapely.box(-50, -50, -40, 50)])
    >>> nearest_distance(shapely.points([[0, 0], [4, 0], [100, 0]]), boxes).tolist()
    [3.0, 0.0, 95.0]
    """
    n = len(origins)
    out = np.full(n, np.inf)
    if not n or not len(targets):
        return out
    types = shapely.get_type_id
    if (types(origins) != 0).any():
        return euclidean_nearest(origins, targets)
    xy = shapely.get_coordinates(origins)
    if (types(targets) == 0).all():
        d, _ = cKDTree(shapely.get_coordinates(targets)).query(xy)
        return np.asarray(d, dtype=float)
    present = np.flatnonzero(~(shapely.is_missing(targets) | shapely.is_empty(targets)))
    if not len(present):
        return out
    tree = shapely.STRtree(targets)

    def within_bound(pts: np.ndarray, bound: np.ndarray) -> np.ndarray:
        oi, ti = tree.query(pts, predicate="dwithin", distance=bound + BOUND_SLACK_M)
        d = np.full(len(pts), np.inf)
        np.minimum.at(d, oi, shapely.distance(pts[oi], targets[ti]))
        return d

    box = shapely.bounds(targets[present])
    centres = cKDTree((box[:, :2] + box[:, 2:]) / 2)
    reach = float(np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]).max()) / 2

    def centre_test(pts: np.ndarray, pxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e, ci = centres.query(pxy, k=2)  # a lone target: e[:, 1] is inf
        d0 = np.asarray(shapely.distance(pts, targets[present[ci[:, 0]]]), dtype=float)
        return d0, d0 <= e[:, 1] - reach - BOUND_SLACK_M

    sample = slice(None, None, max(1, n // CERTIFY_SAMPLE))
    if centre_test(origins[sample], xy[sample])[1].mean() >= CERTIFY_SHARE:

        def job(_s: int, pts: np.ndarray, pxy: np.ndarray) -> np.ndarray:
            d, settled = centre_test(pts, pxy)
            rest = np.flatnonzero(~settled)
            if len(rest):
                d[rest] = within_bound(pts[rest], d[rest])
            return d

    else:
        polygonal = shapely.get_dimensions(targets) == 2
        outline = np.where(polygonal, shapely.boundary(targets), targets)
        vertices = cKDTree(shapely.get_coordinates(shapely.segmentize(outline, DENSIFY_M)))

        def job(_s: int, pts: np.ndarray, pxy: np.ndarray) -> np.ndarray:
            return within_bound(pts, vertices.query(pxy)[0])

    return np.concatenate(chunked_map(job, n, origins, xy, chunk=PAIR_CHUNK))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def area_metrics(
    layers: Mapping[str, Layer], params: Mapping[str, Any], ctx: Context
) -> dict[str, np.ndarray]:
    """Return the per-neighbourhood sums behind the area metrics (and their ratios).

    Keys: ``area_km2``, ``intersections``, ``public_space_m2``, ``green_play_m2``,
    ``cycle_km`` (each one value per neighbourhood, NaN where the input is missing).
    """
    areas = layers["neighbourhoods"].geometries
    n = len(areas)
    out: dict[str, np.ndarray] = {"area_km2": shapely.area(areas) / 1e6}
    lines = walk_lines(layers, params, ctx)
    if lines is None:
        ctx.warn("no-network", "network", "no walking network: intersection density is empty")
        out["intersections"] = np.full(n, np.nan)
    cycle = layers.get("cycle_network")
    # The noding (one GEOS call) and the cycle lengths run in a thread beside the
    # public-space work; the context is touched in this thread only, in the same order.
    with ThreadPoolExecutor(max_workers=1) as ex:
        counts = (
            ex.submit(_count_intersections, lines, int(params["min_intersection_degree"]), areas)
            if lines is not None
            else None
        )
        km = (
            ex.submit(length_in_areas, cycle.geometries, areas)
            if cycle is not None and len(cycle)
            else None
        )
        _public_space(layers, areas, out, ctx)
        if counts is not None:
            out["intersections"] = counts.result()
            ctx.note("intersections", int(out["intersections"].sum()))
        if km is None:
            ctx.note("cycle_network", "not given: cycle-network density is empty")
            out["cycle_km"] = np.full(n, np.nan)
        else:
            out["cycle_km"] = km.result() / 1000.0
    return out


def _count_intersections(lines: np.ndarray, min_degree: int, areas: np.ndarray) -> np.ndarray:
    """Return the walkable intersections per area (float, for the density)."""
    return count_in_areas(intersection_nodes(lines, min_degree), areas).astype(float)


def _public_space(
    layers: Mapping[str, Layer], areas: np.ndarray, out: dict[str, np.ndarray], ctx: Context
) -> None:
    """Put the public space and its green-or-playable part per area (m²) into ``out``."""
    n = len(areas)
    public = polygons_of(layers.get("public_space"))
    if not len(public):
        ctx.warn(
            "no-public-space",
            "public_space",
            "no public-space polygons: the green-or-playable share of public space is empty",
        )
        out["public_space_m2"] = np.full(n, np.nan)
        out["green_play_m2"] = np.full(n, np.nan)
    else:
        pieces, of = disjoint_pieces(public, areas)
        gp = np.concatenate(
            [polygons_of(layers.get("green")), polygons_of(layers.get("play_areas"))]
        )
        out["public_space_m2"] = np.bincount(of, weights=shapely.area(pieces), minlength=n)
        # area of (green ∪ play) ∩ (public space ∩ area): green and play clipped to each
        # piece of public space, summed where they overlap nothing, dissolved where they do
        out["green_play_m2"] = np.bincount(of, weights=union_area_within(gp, pieces), minlength=n)


def _ratios(sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "area_km2": sums["area_km2"],
        "intersections": sums["intersections"],
        "intersection_density_per_km2": _ratio(sums["intersections"], sums["area_km2"]),
        "green_play_share_public_space": _ratio(sums["green_play_m2"], sums["public_space_m2"]),
        "cycle_density_km_per_km2": _ratio(sums["cycle_km"], sums["area_km2"]),
    }


def _overall(sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    # NaN stays NaN (input missing): np.sum, not nansum.
    return _ratios({k: np.array([np.sum(v)]) for k, v in sums.items()})


def reach_flags(distance: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (known, within) per home: a finite or infinite distance is known.

    Examples
    --------
    >>> k, w = reach_flags(np.array([100.0, 400.0, np.inf, np.nan]), 400.0)
    >>> k.tolist(), w.tolist()
    ([True, True, True, False], [True, True, False, False])
    """
    known = ~np.isnan(distance)
    return known, known & (np.nan_to_num(distance, nan=np.inf) <= reach)


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Intersection density, reach of play and sport, green-or-playable public space, cycling."""
    buildings = layers["buildings"]
    targets: dict[str, np.ndarray] = {}
    for kind, name in (("play", "play_areas"), ("sport", "sport_facilities")):
        layer = layers.get(name)
        targets[kind] = layer.geometries if layer is not None else np.empty(0, dtype=object)
    reach = {"play": float(params["play_reach_m"]), "sport": float(params["sport_reach_m"])}
    euclidean = params["distance_mode"] == "euclidean"
    # The straight-line distances read geometries only and touch no context: they run in a
    # thread beside the rest (the work of each is fixed, so the results are too).
    with ThreadPoolExecutor(max_workers=1) as ex:
        futures = (
            {k: ex.submit(nearest_distance, buildings.geometries, g) for k, g in targets.items()}
            if euclidean
            else {}
        )
        homes = read_homes(buildings, ctx)
        ctx.progress(0.1, "distances to play and sport")
        for kind, name in (("play", "play_areas"), ("sport", "sport_facilities")):
            if not len(targets[kind]):
                ctx.warn(
                    f"no-{name.replace('_', '-')}",
                    name,
                    f"no {name.replace('_', ' ')}: no home is within reach",
                )
        if euclidean:
            ctx.progress(0.3, "area metrics")
            sums = area_metrics(layers, params, ctx)
            dist = {k: f.result() for k, f in futures.items()}
            info: dict[str, Any] = {"distance_mode": "euclidean"}
        else:
            dist, info = distances_by_mode(
                homes.layer,
                targets,
                layers,
                params,
                ctx,
                max(reach.values()),
                "play_areas / sport_facilities",
            )
            ctx.progress(0.6, "area metrics")
            sums = area_metrics(layers, params, ctx)
    ctx.note("distances", info)
    flags = {k: reach_flags(dist[k], reach[k]) for k in targets}

    def stats(g: AreaGroups) -> dict[str, np.ndarray]:
        out = home_counts(homes, g)
        for k, (known, within) in flags.items():
            out[f"share_homes_near_{k}"] = g.share(within, where=homes.mask & known)
            out[f"share_dwellings_near_{k}"] = g.share(
                within, weights=homes.dwellings, where=homes.mask & known
            )
        return out

    result = level_metrics(METRICS, ctx.groups, len(homes), stats)
    if ctx.groups is not None:
        result.area.update(_ratios(sums))
    result.overall.update({k: float(v[0]) for k, v in _overall(sums).items()})
    result.feature = {}
    for k, (known, within) in flags.items():
        d = np.where(homes.mask, dist[k], np.nan)
        result.feature[f"distance_to_{k}_m"] = np.where(np.isinf(d), np.nan, d)
        near = np.full(len(homes), None, dtype=object)  # null: not a home, or unknown
        near[homes.mask & known] = within[homes.mask & known]  # stored as Python bools
        result.feature[f"near_{k}"] = near.tolist()
    return result


def _share(kind: str, nl: str, en: str, reach: str) -> tuple[Any, ...]:
    return (
        share_metric(f"share_homes_near_{kind}", f"Aandeel woningen nabij {nl}",
                     f"Share of homes near {en}",
                     f"Homes with {en} within `{reach}` ÷ homes with a known distance.",
                     scored=True, direction=HIGHER),
        share_metric(f"share_dwellings_near_{kind}", f"Aandeel wooneenheden nabij {nl}",
                     f"Share of dwellings near {en}", "The same, by dwellings.",
                     direction=HIGHER),
        metric(f"distance_to_{kind}_m", f"Afstand tot {nl}", f"Distance to {en}", "m",
               levels=("feature",), digits=1, direction="lower_is_better",
               description="Distance to the nearest one (empty: none within the search, or unknown)."),
        flag_metric(f"near_{kind}", f"Nabij {nl}", f"Near {en}",
                    f"Within `{reach}` (null: not a home, or the distance is unknown)."),
    )  # fmt: skip


METRICS = (
    *HOME_METRICS,
    metric("area_km2", "Oppervlakte", "Area", "km²", levels=AREA_OVERALL, digits=4),
    count_metric("intersections", "Kruispunten", "Intersections", AREA_OVERALL),
    metric("intersection_density_per_km2", "Kruispuntdichtheid", "Intersection density",
           "1/km²", levels=AREA_OVERALL, direction=HIGHER, digits=1, scored=True,
           description="Walkable intersections (degree ≥ `min_intersection_degree`) per km²."),
    *_share("play", "speelplek", "a play area", "play_reach_m"),
    *_share("sport", "sportvoorziening", "a sports facility", "sport_reach_m"),
    share_metric("green_play_share_public_space", "Aandeel groen of bespeelbaar in openbare ruimte",
                 "Green or playable share of public space",
                 "Area of (green ∪ play) ∩ public space ÷ area of public space.",
                 scored=True, direction=HIGHER),
    metric("cycle_density_km_per_km2", "Dichtheid fietsnetwerk", "Cycle-network density",
           "km/km²", levels=AREA_OVERALL, direction=HIGHER, digits=2, scored=True,
           description="Km of cycle network inside the area ÷ its area in km² (empty without "
           "`cycle_network`)."),
)  # fmt: skip

PLAY_REACH_M = 400.0
SPORT_REACH_M = 1000.0

PARAMETERS = (
    Parameter(
        "play_reach_m",
        "Reach of play areas",
        "A home is near play when a play area lies within this distance. Default 400 m: the "
        "distance for children aged 6–11 in the NUSO / Jantje Beton guideline for outdoor play "
        "space as municipal play policies apply it (100 m for ages 0–5, 400 m for 6–11, "
        "1000 m for 12–14).",
        "number",
        default=PLAY_REACH_M,
        minimum=50.0,
        maximum=3000.0,
        unit="m",
    ),
    Parameter(
        "sport_reach_m",
        "Reach of sports facilities",
        "A home is near sport when a sports facility lies within this distance. Default "
        "1000 m (indicative: no national norm; the play guideline's distance for ages 12–14, "
        "whose facilities are sports fields and courts).",
        "number",
        default=SPORT_REACH_M,
        minimum=100.0,
        maximum=10000.0,
        unit="m",
    ),
    Parameter(
        "min_intersection_degree",
        "Minimum intersection degree",
        "A node of the walking graph is an intersection when at least this many path pieces "
        "meet (3: a T-junction; walkability indices use three or more).",
        "integer",
        default=3,
        minimum=3,
        maximum=6,
    ),
    *walking_parameters(),
)

_SOURCES = (
    Source(
        "Beweegvriendelijke omgeving",
        "Kenniscentrum Sport & Bewegen: Beweegvriendelijke Omgeving (BVO) model and "
        "'Argumenten voor een beweegvriendelijke omgeving' (Rauws, Noordzij et al., 2023): an "
        "environment that facilitates, invites and challenges walking, cycling, play and sport "
        "(green, routes, play and sports facilities).",
        "https://www.kenniscentrumsportenbewegen.nl/",
    ),
    Source(
        "Cerin et al. 2022",
        "Cerin, E., Sallis, J.F., Salvo, D. et al. (2022). Determining thresholds for spatial "
        "urban design and transport features that support walking to create healthy and "
        "sustainable cities: findings from the IPEN Adult study. Lancet Glob Health "
        "10(6):e895–e906 (street intersection density threshold).",
        "https://doi.org/10.1016/S2214-109X(22)00068-7",
    ),
    Source(
        "AUO street connectivity",
        "Australian Urban Observatory, walkability index: street connectivity as the number of "
        "intersections of three or more streets per km².",
        "https://auo.org.au/portal/metadata/walkability/street-connectivity/",
    ),
    Source(
        "NUSO / Jantje Beton",
        "NUSO and Jantje Beton, guideline for outdoor play space (richtlijn buitenspeelruimte; "
        "RIVM Atlas Leefomgeving 'Speelruimte'), distances as applied in e.g. Beleidsplan "
        "Spelen Midden-Drenthe 2011–2020.",
        "https://www.atlasleefomgeving.nl/meer-weten/groen/speelruimte",
    ),
)


def _example() -> dict[str, Any]:
    x0, y0 = 136000.0, 455000.0
    lines = [
        [[x0, y0 + 100], [x0 + 200, y0 + 100]],
        [[x0 + 100, y0], [x0 + 100, y0 + 200]],
        [[x0 + 50, y0 + 100], [x0 + 50, y0 + 150]],
    ]
    return {
        "neighbourhoods": rd_collection([box_feature(x0, y0, x0 + 200, y0 + 200, "BU01")]),
        "buildings": rd_collection(
            [
                point_feature(x0 + 40, y0 + 110, "h1", dwellings=2),
                point_feature(x0 + 160, y0 + 30, "h2", dwellings=1),
            ]
        ),
        "network": rd_collection(
            [
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": c},
                    "properties": {"highway": "residential"},
                }
                for c in lines
            ]
        ),
        "play_areas": rd_collection([box_feature(x0 + 20, y0 + 120, x0 + 40, y0 + 140, "p1")]),
        "sport_facilities": rd_collection([point_feature(x0 + 190, y0 + 190, "s1")]),
        "green": rd_collection([box_feature(x0 + 110, y0 + 110, x0 + 190, y0 + 190, "g1")]),
        "public_space": rd_collection(
            [
                box_feature(x0, y0 + 90, x0 + 200, y0 + 110, "street"),
                box_feature(x0 + 110, y0 + 110, x0 + 200, y0 + 200, "park"),
            ]
        ),
    }


INDICATORS = (
    Indicator(
        id="activity-friendly",
        version="1.0.1",
        uses=("proximity-facilities",),
        title={"nl": "Beweegvriendelijke omgeving", "en": "Activity-friendly environment"},
        description={
            "nl": "Beweegvriendelijkheid per buurt: kruispuntdichtheid van het looppadennet, "
            "woningen nabij speel- en sportvoorzieningen, groen of bespeelbaar deel van de "
            "openbare ruimte en (indien gegeven) dichtheid van het fietsnetwerk.",
            "en": "Activity-friendliness per neighbourhood: intersection density of the walking "
            "network, homes near play and sports facilities, green or playable share of public "
            "space and (when given) cycle-network density.",
        },
        theme="activity",
        method=(
            "Intersection density: the walking network (`network`, filtered on "
            "`walkable_highways`) is noded at shared vertices and crossings; a node where at "
            "least `min_intersection_degree` pieces meet is an intersection, counted in the "
            "neighbourhood holding it (on a shared edge: the first), ÷ the neighbourhood's area "
            "in km² (crossings without a junction, such as bridges, count too). Homes near play "
            "and sport: the distance from each home to the nearest `play_areas` and "
            "`sport_facilities` feature (straight line, or walking network with "
            "`distance_mode` 'network'), within `play_reach_m` (default 400 m, NUSO / Jantje "
            "Beton for ages 6–11) and `sport_reach_m` (default 1000 m, indicative); shares of "
            "homes and dwellings with a known distance. Green or playable share of public space: "
            "the area of (`green` ∪ `play_areas` polygons) ∩ `public_space` ÷ the area of "
            "`public_space`, inside each neighbourhood, overlaps once. Cycle-network density: km "
            "of `cycle_network` (union, overlaps once) inside the neighbourhood ÷ its km² "
            "(empty when not given). Overall: the totals' ratios. Scores 1–10 per area type "
            "from the norm profile (headline `intersection_density_per_km2`; its minimum 100 "
            "per km² in urban area types follows Cerin et al. 2022, every other band is "
            "indicative and says so)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        inputs=(
            BUILDINGS,
            GeoInput(
                "neighbourhoods",
                "Neighbourhoods",
                "Areas the densities and shares are computed for (required: densities need an "
                "area).",
                POLYGONS,
                properties={"area_type": "GGO area type or CBS urbanity class used for scoring"},
            ),
            GeoInput(
                "network",
                "Walking network",
                "Walkable lines (OpenStreetMap ways or a twin's road layer).",
                LINES,
                required=False,
                properties={
                    "highway": "OpenStreetMap highway value; filtered with walkable_highways"
                },
            ),
            GeoInput(
                "play_areas",
                "Play areas",
                "Play areas and playgrounds (polygons or points).",
                POLYGONS + POINTS,
                required=False,
            ),
            GeoInput(
                "sport_facilities",
                "Sports facilities",
                "Sports fields, courts, halls, outdoor fitness (polygons or points).",
                POLYGONS + POINTS,
                required=False,
            ),
            GeoInput(
                "green",
                "Green",
                "Public green (parks, lawns, planted areas): the green or playable share of "
                "`public_space` (read only with it).",
                POLYGONS,
                required=False,
                read_with=("public_space",),
            ),
            GeoInput(
                "public_space",
                "Public space",
                "Public space (streets, squares, parks): the denominator of the green or "
                "playable share.",
                POLYGONS,
                required=False,
            ),
            GeoInput(
                "cycle_network",
                "Cycle network",
                "Cycle paths and cycle streets.",
                LINES,
                required=False,
            ),
        ),
        parameters=PARAMETERS,
        norms=(
            Norm(
                "intersection_density_per_km2",
                100,
                "1/km²",
                "about 100 walkable intersections per km² for an 80 % probability of walking "
                "for transport",
                "Cerin et al. 2022 (IPEN Adult)",
                None,
            ),
            Norm(
                "play_reach_m",
                PLAY_REACH_M,
                "m",
                "play area within 400 m (ages 6–11)",
                "NUSO / Jantje Beton richtlijn buitenspeelruimte",
                "play_reach_m",
            ),
        ),
        sources=_SOURCES,
        keywords=("beweegvriendelijk", "walkability", "sport", "spelen", "fietsnetwerk", "GGO"),
        example=_example(),
    ),
)
