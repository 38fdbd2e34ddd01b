"""Canopy area per zone: the union of tree crowns, clipped to each zone, fast.

Crown polygons overlap (a crown segmentation, or crowns drawn around tree points);
overlapping crowns must count once. The textbook road — overlay every crown with the
neighbourhoods, then dissolve per neighbourhood — clips and unions every crown. This
module does only the work the answer needs:

1. **Groups.** Crowns whose bounding boxes overlap form connected groups (``STRtree``
   self-query, then ``scipy.sparse.csgraph.connected_components``). Only groups of two or more crowns
   are dissolved (one GEOS union per group, vectorised as ``buffer(collection, 0)``);
   a lone crown is its own piece. The pieces are disjoint, so areas add.
2. **Crossing pieces.** Zone boundaries are cut into short segments; a piece that
   intersects a segment crosses a zone edge and is clipped
   (``intersection(piece, zone)``) against each zone its box meets.
3. **Inner pieces.** Every other piece lies wholly inside the zone(s) holding its
   first vertex (or outside all zones): its area is credited whole, no clipping.

All steps run over fixed-size chunks in a thread pool (shapely 2 releases the GIL in
its vectorised calls and ``STRtree.query``), so both cores work; chunking is fixed, so
the result does not depend on the number of threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gsl_indicators.core.cpus import kernel_threads

__all__ = [
    "CHUNK",
    "canopy_area",
    "chunked_map",
    "default_workers",
    "dissolve_groups",
    "overlap_groups",
]

CHUNK = 8192
_SEGMENT_M = 50.0


def default_workers() -> int:
    """Return the number of worker threads to use.

    The CPUs this process may use (affinity and its container's CPU limit), at most 8,
    or ``GSL_KERNEL_THREADS`` (:func:`gsl_indicators.core.cpus.kernel_threads`).
    """
    return kernel_threads()


def chunked_map(
    fn: Callable[..., Any],
    n: int,
    *arrays: np.ndarray,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> list[Any]:
    """Apply ``fn`` to consecutive fixed-size slices of ``arrays``, in threads.

    Parameters
    ----------
    fn : callable
        Called as ``fn(start, *slices)``; its results are returned in slice order.
    n : int
        Length of the arrays.
    arrays : numpy.ndarray
        Arrays sliced together.
    workers : int, optional
        Thread count (default :func:`default_workers`); 1 runs inline.
    chunk : int
        Slice length. Fixed, so the results do not depend on ``workers``.

    Examples
    --------
    >>> chunked_map(lambda s, a: int(a.sum()), 5, np.arange(5), chunk=2)
    [1, 5, 4]
    """
    starts = list(range(0, n, chunk))
    workers = default_workers() if workers is None else max(1, int(workers))

    def run(s: int) -> Any:
        return fn(s, *(a[s : s + chunk] for a in arrays))

    if workers == 1 or len(starts) <= 1:
        return [run(s) for s in starts]
    with ThreadPoolExecutor(max_workers=min(workers, len(starts))) as ex:
        return list(ex.map(run, starts))


def _pairs(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int64),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
    )


def overlap_groups(geoms: np.ndarray, workers: int | None = None) -> np.ndarray:
    """Return a group label per geometry: connected groups of overlapping bounding boxes.

    Boxes, not exact shapes: an exact ``intersects`` test costs more than the few
    extra members it would keep out of a group, and a group's union is the same
    either way (disjoint members stay separate parts, their areas add).

    Examples
    --------
    >>> g = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3),
    ...               shapely.box(10, 10, 11, 11), shapely.box(2.5, 2.5, 4, 4)])
    >>> overlap_groups(g).tolist()
    [0, 0, 1, 0]
    """
    n = len(geoms)
    if n == 0:
        return np.zeros(0, np.int64)
    tree = shapely.STRtree(geoms)

    def job(start: int, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        left, right = tree.query(chunk)
        left = left + start
        keep = left < right
        return left[keep], right[keep]

    left, right = _pairs(chunked_map(job, n, geoms, workers=workers))
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


def dissolve_groups(
    geoms: np.ndarray, labels: np.ndarray, workers: int | None = None
) -> np.ndarray:
    """Return one geometry per label: the union of its members (lone members as they are).

    Examples
    --------
    >>> g = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)])
    >>> shapely.area(dissolve_groups(g, np.array([0, 0, 1]))).tolist()
    [7.0, 1.0]
    """
    n_groups = int(labels.max()) + 1 if len(labels) else 0
    size = np.bincount(labels, minlength=n_groups)
    out = np.empty(n_groups, dtype=object)
    single = size[labels] == 1
    out[labels[single]] = geoms[single]
    multi = np.flatnonzero(~single)
    if len(multi):
        order = multi[np.argsort(labels[multi], kind="stable")]
        lab = labels[order]
        # cut the sorted members at group boundaries into chunks of whole groups
        starts = np.r_[0, np.flatnonzero(np.diff(lab)) + 1]
        bounds = [*starts[:: max(1, CHUNK // 8)].tolist(), len(order)]

        def job(k: int) -> tuple[np.ndarray, np.ndarray]:
            a, b = bounds[k], bounds[k + 1]
            ids, inv = np.unique(lab[a:b], return_inverse=True)
            coll = shapely.geometrycollections(geoms[order[a:b]], indices=inv)
            return ids, shapely.buffer(coll, 0.0)

        w = default_workers() if workers is None else max(1, int(workers))
        ks = range(len(bounds) - 1)
        if w == 1 or len(ks) == 1:
            results = [job(k) for k in ks]
        else:
            with ThreadPoolExecutor(max_workers=w) as ex:
                results = list(ex.map(job, ks))
        for ids, unions in results:
            out[ids] = unions
    return out


def _boundary_segments(zones: np.ndarray) -> np.ndarray:
    """Return the zones' boundaries cut into straight segments of at most ~50 m."""
    rings = shapely.segmentize(shapely.boundary(zones), _SEGMENT_M)
    xy, idx = shapely.get_coordinates(shapely.get_parts(rings), return_index=True)
    if len(xy) < 2:
        return np.empty(0, dtype=object)
    same = idx[1:] == idx[:-1]
    seg = np.stack([xy[:-1][same], xy[1:][same]], axis=1)
    return shapely.linestrings(seg)


def canopy_area(crowns: np.ndarray, zones: np.ndarray, workers: int | None = None) -> np.ndarray:
    """Return the area of the union of ``crowns`` inside each of ``zones`` (m²).

    Overlapping crowns count once. Zones may overlap each other (each gets its own
    share) and need not cover the crowns (crowns outside every zone count nowhere).
    Within an analysis (:func:`gsl_indicators.core.shared.shared_work`) the result for
    the same crown and zone arrays is computed once.

    Parameters
    ----------
    crowns : numpy.ndarray of Polygon/MultiPolygon
        Valid crown polygons.
    zones : numpy.ndarray of Polygon/MultiPolygon
        Valid zones (neighbourhoods, possibly clipped to the canopy extent).
    workers : int, optional
        Threads (default: the CPUs available).

    Examples
    --------
    Two overlapping 2 × 2 crowns (union 7 m²) inside zone 0, and a 2 × 2 crown
    straddling the edge between zone 0 and zone 1 (2 m² each side):

    >>> crowns = np.array([shapely.box(1, 1, 3, 3), shapely.box(2, 2, 4, 4),
    ...                    shapely.box(9, 5, 11, 7)])
    >>> zones = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    >>> canopy_area(crowns, zones).tolist()
    [9.0, 2.0]
    """
    from gsl_indicators.core.shared import memoised

    return memoised(
        "canopy_area", (crowns, zones), (), lambda: _canopy_area(crowns, zones, workers)
    )


def _canopy_area(crowns: np.ndarray, zones: np.ndarray, workers: int | None) -> np.ndarray:
    """Compute :func:`canopy_area` (no memo)."""
    return sum_canopy_parts(canopy_parts(crowns, zones, workers), len(zones))


@dataclass
class CanopyParts:
    """The terms of :func:`canopy_area`'s sums, each with its order key.

    A dissolved piece's key is the smallest key of its crowns (their position in the
    whole crown layer); ``inner_*`` are pieces credited whole to a zone, ``cross_*``
    pieces clipped against a zone. Summed in key order (:func:`sum_canopy_parts`) they
    give the same floats whether they come from one run or from tiles.
    """

    inner_key: np.ndarray
    inner_zone: np.ndarray
    inner_area: np.ndarray
    cross_key: np.ndarray
    cross_zone: np.ndarray
    cross_area: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[CanopyParts]) -> CanopyParts:
        """Return the terms of several parts together."""
        names = [f.name for f in fields(cls)]
        if not parts:  # keys and zones are integers, areas floats: as every part has them
            return cls(*(np.zeros(0, float if n.endswith("area") else np.int64) for n in names))
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))


def sum_canopy_parts(parts: CanopyParts, n_zones: int) -> np.ndarray:
    """Return the canopy area per zone: inner terms, then crossing terms, in key order.

    Examples
    --------
    >>> parts = CanopyParts(np.array([3, 1]), np.array([0, 0]), np.array([2.0, 1.0]),
    ...                     np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    >>> sum_canopy_parts(parts, 2).tolist()
    [3.0, 0.0]
    """
    out = np.zeros(n_zones)
    for key, zone, area in (
        (parts.inner_key, parts.inner_zone, parts.inner_area),
        (parts.cross_key, parts.cross_zone, parts.cross_area),
    ):
        order = np.lexsort((zone, key))  # deterministic summation order
        out += np.bincount(zone[order].astype(np.int64), weights=area[order], minlength=n_zones)
    return out


def _first_vertices(geoms: np.ndarray, step: int = CHUNK) -> np.ndarray:
    """Return the first vertex of each geometry's first polygon's shell, as points.

    ``step`` geometries at a time: their first polygons and shells are copies (GEOS
    clones them), and made for every piece at once they held as much memory as the
    pieces themselves (measured at 200,000 homes, one piece: the peak while computing
    1,254 → 1,045 MB).

    Examples
    --------
    A box's shell starts at its (xmax, ymin) corner; a MultiPolygon's first polygon counts:

    >>> g = np.array([shapely.box(0, 0, 1, 1),
    ...               shapely.MultiPolygon([shapely.box(5, 5, 6, 7), shapely.box(0, 0, 1, 1)]),
    ...               shapely.box(2, 3, 4, 5)])
    >>> shapely.get_coordinates(_first_vertices(g, step=2)).tolist()
    [[1.0, 0.0], [6.0, 5.0], [4.0, 3.0]]
    """
    out = np.empty(len(geoms), dtype=object)
    for start in range(0, len(geoms), step):
        part = shapely.get_geometry(geoms[start : start + step], 0)
        out[start : start + step] = shapely.get_point(shapely.get_exterior_ring(part), 0)
    return out


def canopy_parts(
    crowns: np.ndarray,
    zones: np.ndarray,
    workers: int | None = None,
    keys: np.ndarray | None = None,
    credit: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> CanopyParts:
    """Return the terms of :func:`canopy_area` (see :class:`CanopyParts`).

    Parameters
    ----------
    crowns, zones, workers
        As :func:`canopy_area`.
    keys : numpy.ndarray of int, optional
        Each crown's position in the whole layer (default: its position here); must
        increase along ``crowns``.
    credit : callable, optional
        ``(pieces, first_crown) -> bool mask``: the pieces whose terms to keep (a tile
        keeps the pieces it owns); default all.
    """
    empty = CanopyParts.concat([])
    if not len(crowns) or not len(zones):
        return empty
    keys = np.arange(len(crowns)) if keys is None else np.asarray(keys, dtype=np.int64)
    labels = overlap_groups(crowns, workers)
    pieces = dissolve_groups(crowns, labels, workers)
    first = np.full(len(pieces), len(crowns), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(crowns)))
    piece_key = keys[first]
    kept = np.ones(len(pieces), dtype=bool) if credit is None else credit(pieces, first)
    piece_area = shapely.area(pieces)
    # pieces crossing a zone edge
    segments = _boundary_segments(zones)
    crossing = np.zeros(len(pieces), dtype=bool)
    if len(segments):
        ptree = shapely.STRtree(pieces)

        def cross_job(start: int, segs: np.ndarray) -> np.ndarray:
            return np.asarray(ptree.query(segs, predicate="intersects")[1], dtype=np.int64)

        hits = chunked_map(cross_job, len(segments), segments, workers=workers)
        if hits:
            crossing[np.concatenate(hits)] = True
    ztree = shapely.STRtree(zones)
    # inner pieces: credited whole to the zone(s) holding their first vertex
    inner = np.flatnonzero(~crossing & kept)
    first_xy = _first_vertices(pieces[inner])

    def inner_job(start: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, z = ztree.query(pts, predicate="intersects")
        return p + start, z

    p, z = _pairs(chunked_map(inner_job, len(inner), first_xy, workers=workers))
    # crossing pieces: clipped against every zone their box meets
    cross = np.flatnonzero(crossing & kept)
    cp, cz, areas = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    if len(cross):
        cp, cz = ztree.query(pieces[cross])
        order = np.lexsort((cz, cp))
        cp, cz = cross[cp[order]], cz[order]

        def clip_job(start: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.asarray(shapely.area(shapely.intersection(pieces[a], zones[b])))

        parts = chunked_map(clip_job, len(cp), cp, cz, workers=workers, chunk=2048)
        areas = np.concatenate(parts) if parts else np.zeros(0)
    return CanopyParts(
        inner_key=piece_key[inner[p]],
        inner_zone=np.asarray(z, dtype=np.int64),
        inner_area=np.asarray(piece_area[inner[p]], dtype=float),
        cross_key=piece_key[cp],
        cross_zone=np.asarray(cz, dtype=np.int64),
        cross_area=np.asarray(areas, dtype=float),
    )
