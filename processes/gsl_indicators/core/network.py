"""Walking-network distances: a graph from LineStrings, snapping, multi-source Dijkstra.

The walking network arrives as LineStrings (OpenStreetMap ways, a twin's road layer).
Such ways are usually not split at junctions: connected ways share identical vertices,
and some cross without a shared vertex. :func:`build_network` nodes all lines at once
(``shapely.node``: every shared vertex and every true crossing becomes a node), so
each resulting *edge* is a piece of line between two nodes, and builds a symmetric
graph with the edges' lengths as weights.

Distances (:func:`network_distances`) run from the targets, not from the homes: every
target becomes a virtual node on the edge it is snapped to, all of them hang from one
super-source, and one ``scipy.sparse.csgraph.dijkstra`` call with a ``limit`` (the
cut-off) gives the distance of every node to its nearest target. A home snapped onto
edge *e* at offset *q* leaves its piece of edge through one of the piece's two ends, so
its distance is ``min(d[left] + (q - left), d[right] + (right - q))`` plus its snap
distance: exact, and vectorised (no loop over homes or targets).

* Point targets are snapped like homes; their snap distance is added.
* Polygon targets (parks, cool places) are reached at *entrances*: the points of the
  network within ``entrance_tolerance_m`` of the polygon's boundary (or inside it).
  A home whose own snapped point lies in such a zone is at network distance 0 (plus its
  snap distance); a home inside the polygon is at distance 0.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from gsl_indicators.core.spec import Context, Parameter

__all__ = [
    "DEFAULT_WALKABLE",
    "ENTRANCE_TOLERANCE_M",
    "NetworkDistances",
    "Snap",
    "WalkNetwork",
    "build_network",
    "distances_to",
    "network_distances",
    "network_distances_by_type",
    "report",
    "snap",
    "snap_origins",
    "walkable_from",
    "walkable_lines",
    "walkable_mask",
    "walking_parameters",
]

#: OpenStreetMap ``highway`` values that count as walkable by default. Roads with
#: sidewalks (residential ... primary), paths, footways, steps and cycleways (in the
#: Netherlands a pedestrian may use the cycle path where there is no footway, RVV 1990
#: art. 4). Excluded: motorway and trunk (and their links; pedestrians are not allowed
#: on Dutch *autosnelwegen* and *autowegen*), ``construction``, ``proposed``,
#: ``busway``/``bus_guideway``, ``raceway``, ``platform``, ``abandoned``, and lines
#: without a ``highway`` value (railways, waterways, barriers, building outlines).
DEFAULT_WALKABLE: tuple[str, ...] = (
    "footway",
    "pedestrian",
    "path",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "track",
    "cycleway",
    "bridleway",
    "crossing",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
)

_NODE_DECIMALS = 3  # node coordinates are merged at 1 mm

#: Default ``entrance_tolerance_m``: a polygon target (park, cool place, facility) is
#: entered where a walkable path comes this close to its boundary.
ENTRANCE_TOLERANCE_M = 10.0


#: the walking parameters read only over a network (else reported as ignored when given)
NETWORK_ONLY = {"distance_mode": "network"}


def walking_parameters(entrance_tolerance_m: float = ENTRANCE_TOLERANCE_M) -> tuple[Parameter, ...]:
    """Return the walking-distance parameters shared by every network-mode indicator.

    ``distance_mode``, ``network_cutoff_m``, ``snap_limit_m``, ``entrance_tolerance_m``
    and ``walkable_highways``, in that order. Read them with :func:`walkable_from`
    (``walkable_highways``) and pass the numbers to :func:`network_distances`.

    Parameters
    ----------
    entrance_tolerance_m : float
        Default of ``entrance_tolerance_m``.

    Examples
    --------
    >>> [p.name for p in walking_parameters()]  # doctest: +NORMALIZE_WHITESPACE
    ['distance_mode', 'network_cutoff_m', 'snap_limit_m', 'entrance_tolerance_m',
     'walkable_highways']
    >>> walking_parameters()[3].default
    10.0
    """
    return (
        Parameter(
            "distance_mode",
            "Distance mode",
            "'euclidean': straight-line distance from the home (footprint or point) to the "
            "nearest point of the target, 0 when inside. 'network': walking distance over "
            "`network`: the home snapped to the nearest walkable path (snap distance added), "
            "point targets snapped likewise, polygon targets entered where a path comes "
            "within `entrance_tolerance_m` of their boundary.",
            "string",
            "euclidean",
            enum=("euclidean", "network"),
        ),
        Parameter(
            "network_cutoff_m",
            "Network search limit",
            "Network mode: the shortest-path search stops at this distance (or at the "
            "indicator's reach, if larger); farther distances are reported as empty "
            "(beyond the limit).",
            "number",
            1000.0,
            50.0,
            20000.0,
            unit="m",
            used_when=NETWORK_ONLY,
        ),
        Parameter(
            "snap_limit_m",
            "Snapping limit",
            "Network mode: homes (and point targets) farther than this from any walkable "
            "path get no network distance (empty, with a warning) instead of a silent number.",
            "number",
            100.0,
            1.0,
            2000.0,
            unit="m",
            used_when=NETWORK_ONLY,
        ),
        Parameter(
            "entrance_tolerance_m",
            "Entrance tolerance",
            "Network mode: a polygon target is entered where a walkable path comes within "
            "this distance of its boundary (or runs inside it).",
            "number",
            entrance_tolerance_m,
            0.0,
            100.0,
            unit="m",
            used_when=NETWORK_ONLY,
        ),
        Parameter(
            "walkable_highways",
            "Walkable highway values",
            "Network mode: OpenStreetMap `highway` values that count as walkable (lines with "
            "another value, or none while other lines have one, are left out; when no line "
            "has a `highway` value, every line counts). Default (also for null): roads with "
            "sidewalks, footways, paths, steps and cycleways (RVV 1990 art. 4 lets "
            "pedestrians use a cycle path where there is no footway); motorway, trunk, "
            "construction, busway ... are excluded.",
            "array",
            list(DEFAULT_WALKABLE),
            nullable=True,
            schema={"items": {"type": "string"}},
            used_when=NETWORK_ONLY,
        ),
    )


def walkable_from(params: Mapping[str, Any]) -> Sequence[str]:
    """Return the ``walkable_highways`` parameter (the default list when null or absent).

    Examples
    --------
    >>> walkable_from({"walkable_highways": None}) == DEFAULT_WALKABLE
    True
    >>> list(walkable_from({"walkable_highways": ["footway"]}))
    ['footway']
    """
    value = params.get("walkable_highways")
    return DEFAULT_WALKABLE if value is None else value


@dataclass
class WalkNetwork:
    """A walking network as a graph.

    Attributes
    ----------
    edges : numpy.ndarray of LineString
        Pieces of line between two nodes (offsets along them are measured from the start).
    u, v : numpy.ndarray of int
        Start and end node of each edge.
    length : numpy.ndarray of float
        Length of each edge in metres (the edge weight).
    node_xy : numpy.ndarray, shape (n_nodes, 2)
        Node coordinates.
    tree : shapely.STRtree
        Spatial index over ``edges`` (for snapping).
    component : numpy.ndarray of int
        Connected component of each node.
    stage_seconds : dict
        Time spent building (``graph_build``).
    """

    edges: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    node_xy: np.ndarray
    tree: shapely.STRtree
    component: np.ndarray
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Return the number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Return the number of edges."""
        return len(self.edges)

    def summary(self) -> dict[str, Any]:
        """Return counts for the data-quality section (edges, nodes, km, components)."""
        n_comp = int(self.component.max()) + 1 if self.n_nodes else 0
        largest = int(np.bincount(self.component).max()) if self.n_nodes else 0
        return {
            "edges": self.n_edges,
            "nodes": self.n_nodes,
            "length_km": round(float(self.length.sum()) / 1000.0, 3),
            "components": n_comp,
            "largest_component_node_share": round(largest / self.n_nodes, 4)
            if self.n_nodes
            else None,
        }


@dataclass
class Snap:
    """Where geometries meet the network.

    Attributes
    ----------
    edge : numpy.ndarray of int
        Edge snapped to, ``-1`` when farther than the snapping limit.
    offset : numpy.ndarray of float
        Position along the edge (metres from its start), NaN when unsnapped.
    distance : numpy.ndarray of float
        Distance from the geometry to the network, NaN when unsnapped.
    point : numpy.ndarray of Point
        The snapped point on the edge (``None`` when unsnapped).
    """

    edge: np.ndarray
    offset: np.ndarray
    distance: np.ndarray
    point: np.ndarray
    #: Footprint vertices snapped as further ways onto the network (see ``snap_origins``).
    vertices: Snap | None = None
    #: Per vertex: the index of the origin it belongs to.
    vertex_owner: np.ndarray | None = None

    @property
    def snapped(self) -> np.ndarray:
        """Return a boolean mask of the geometries that reached the network."""
        return self.edge >= 0

    def with_vertices(self) -> tuple[Snap, np.ndarray]:
        """Return this snap with the vertex candidates appended, and the owner of each row."""
        own = np.arange(len(self.edge))
        if self.vertices is None or self.vertex_owner is None or not len(self.vertex_owner):
            return self, own
        v = self.vertices
        both = Snap(
            np.concatenate([self.edge, v.edge]),
            np.concatenate([self.offset, v.offset]),
            np.concatenate([self.distance, v.distance]),
            np.concatenate([self.point, v.point]),
        )
        return both, np.concatenate([own, self.vertex_owner])


@dataclass
class NetworkDistances:
    """Network distances from origins to their nearest target.

    Attributes
    ----------
    distance : numpy.ndarray of float
        Per origin: the network distance including the snap distances; ``inf`` beyond
        the cut-off or unreachable; NaN for unsnapped origins.
    unsnapped : numpy.ndarray of bool
        Per origin: farther than the snapping limit from any path.
    stage_seconds : dict
        Seconds per stage (``graph_build``, ``snapping``, ``targets``, ``shortest_paths``).
    targets_unsnapped : int
        Point targets farther than the snapping limit from any path (left out).
    targets_unreachable : int
        Polygon targets with no network within the entrance tolerance (left out).
    """

    distance: np.ndarray
    unsnapped: np.ndarray
    stage_seconds: dict[str, float] = field(default_factory=dict)
    targets_unsnapped: int = 0
    targets_unreachable: int = 0


def walkable_mask(
    highway: Sequence[str | None], walkable: Sequence[str] = DEFAULT_WALKABLE
) -> np.ndarray:
    """Return which lines are walkable given their ``highway`` values.

    When no line has a ``highway`` value at all, every line counts (a plain walking
    network); otherwise lines whose value is missing or not in ``walkable`` are left out.

    Examples
    --------
    >>> walkable_mask(["footway", None, "motorway", "residential"]).tolist()
    [True, False, False, True]
    >>> walkable_mask([None, None]).tolist()
    [True, True]
    """
    values = np.asarray([h if h is None else str(h) for h in highway], dtype=object)
    if not len(values) or all(h is None for h in values):
        return np.ones(len(values), dtype=bool)
    return np.isin(values, np.asarray(list(walkable), dtype=object))


def walkable_lines(
    lines: np.ndarray,
    highway: Sequence[str | None] | None,
    walkable: Sequence[str] = DEFAULT_WALKABLE,
    ctx: Context | None = None,
    input_name: str = "network",
) -> np.ndarray:
    """Return the walkable lines, warning in ``ctx`` about the lines left out.

    Parameters
    ----------
    lines : numpy.ndarray of LineString or MultiLineString
        The network layer's geometries.
    highway : sequence of str or None, optional
        The ``highway`` property per line (``None`` where absent).
    walkable : sequence of str
        ``highway`` values that count as walkable.
    ctx : Context, optional
        Receives a ``network-lines-excluded`` warning with counts per value.
    input_name : str
        Input name for the warning.
    """
    if highway is None:
        return np.asarray(lines, dtype=object)
    keep = walkable_mask(highway, walkable)
    if ctx is not None and not keep.all():
        counts = Counter(
            "(none)" if h is None else str(h)
            for h, k in zip(highway, keep.tolist(), strict=True)
            if not k
        )
        detail = ", ".join(f"{k} {n}" for k, n in counts.most_common())
        ctx.warn(
            "network-lines-excluded",
            input_name,
            f"{int((~keep).sum())} of {len(keep)} lines are not walkable and were left out "
            f"(highway: {detail})",
            int((~keep).sum()),
        )
    return np.asarray(lines, dtype=object)[keep]


def build_network(lines: np.ndarray, ctx: Context | None = None) -> WalkNetwork:
    """Build the walking graph from LineStrings.

    All lines are noded together (``shapely.node``): a node at every line end, every
    shared vertex and every crossing. Overlapping stretches count once. Node
    coordinates are merged at 1 mm.

    Parameters
    ----------
    lines : numpy.ndarray of LineString or MultiLineString
        The walking network (already filtered on walkability).
    ctx : Context, optional
        Receives a ``network`` note (edges, nodes, length, components).

    Returns
    -------
    WalkNetwork

    Examples
    --------
    Two crossing lines without a shared vertex become four edges around one node:

    >>> net = build_network(np.array([shapely.LineString([(0, 5), (10, 5)]),
    ...                               shapely.LineString([(5, 0), (5, 10)])]))
    >>> net.n_nodes, net.n_edges, float(net.length.sum())
    (5, 4, 20.0)
    """
    t0 = time.perf_counter()
    geoms = np.asarray(lines, dtype=object)
    if len(geoms):
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    parts = shapely.get_parts(geoms) if len(geoms) else np.empty(0, dtype=object)
    parts = parts[shapely.get_type_id(parts) == 1] if len(parts) else parts
    if len(parts):
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    else:
        noded = np.empty(0, dtype=object)
    length = shapely.length(noded) if len(noded) else np.zeros(0)
    keep = length > 0
    edges, length = noded[keep], np.asarray(length[keep], dtype=float)
    if len(edges):
        ends = np.vstack(
            [
                shapely.get_coordinates(shapely.get_point(edges, 0)),
                shapely.get_coordinates(shapely.get_point(edges, -1)),
            ]
        )
        node_xy, inverse = np.unique(np.round(ends, _NODE_DECIMALS), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        u, v = inverse[: len(edges)], inverse[len(edges) :]
    else:
        node_xy = np.zeros((0, 2))
        u = v = np.zeros(0, dtype=np.int64)
    n = len(node_xy)
    graph = _csr(u, v, length, n)
    component = connected_components(graph, directed=False)[1] if n else np.zeros(0, int)
    net = WalkNetwork(
        edges=edges,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length=length,
        node_xy=node_xy,
        tree=shapely.STRtree(edges),
        component=np.asarray(component, dtype=np.int64),
    )
    net.stage_seconds["graph_build"] = time.perf_counter() - t0
    if ctx is not None:
        ctx.note("network", net.summary())
        if not len(edges):
            ctx.warn("empty-network", "network", "the walking network has no usable lines")
    return net


def _csr(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int, directed_extra: tuple = ()
) -> sp.csr_matrix:
    """Return a CSR graph with both directions of (u, v, w), plus directed extra edges.

    Duplicate (row, col) pairs keep their smallest weight (scipy would add them up).
    Explicit zero weights are kept as edges (csgraph treats them as edges).
    """
    rows = [u, v]
    cols = [v, u]
    ws = [w, w]
    if directed_extra:
        rows.append(directed_extra[0])
        cols.append(directed_extra[1])
        ws.append(directed_extra[2])
    r = np.concatenate(rows).astype(np.int64)
    c = np.concatenate(cols).astype(np.int64)
    x = np.concatenate(ws).astype(float)
    loop = r == c
    r, c, x = r[~loop], c[~loop], x[~loop]
    order = np.lexsort((x, c, r))
    r, c, x = r[order], c[order], x[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return sp.csr_matrix((x[first], (r[first], c[first])), shape=(n, n))


def snap(net: WalkNetwork, geoms: np.ndarray, snap_limit_m: float) -> Snap:
    """Snap geometries to the nearest point of the network (on an edge, not only nodes).

    Parameters
    ----------
    net : WalkNetwork
        The network.
    geoms : numpy.ndarray of shapely geometries
        Points or polygons (a polygon snaps from its nearest point).
    snap_limit_m : float
        Geometries farther than this from every edge stay unsnapped.

    Examples
    --------
    >>> net = build_network(np.array([shapely.LineString([(0, 0), (100, 0)])]))
    >>> s = snap(net, np.array([shapely.Point(30, 4), shapely.Point(50, 90)]), 25)
    >>> s.edge.tolist(), s.offset.tolist(), s.distance.tolist()
    ([0, -1], [30.0, nan], [4.0, nan])
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    point = np.full(n, None, dtype=object)
    if n == 0 or net.n_edges == 0:
        return Snap(edge, offset, distance, point)
    (gi, ei), dist = net.tree.query_nearest(
        geoms, max_distance=snap_limit_m, return_distance=True, all_matches=False
    )
    near = shapely.get_point(shapely.shortest_line(net.edges[ei], geoms[gi]), 0)
    edge[gi] = ei
    distance[gi] = dist
    point[gi] = near
    offset[gi] = np.clip(shapely.line_locate_point(net.edges[ei], near), 0.0, net.length[ei])
    return Snap(edge, offset, distance, point)


@dataclass
class _Seeds:
    """Targets as positions on edges, with the distance already walked to get there."""

    edge: np.ndarray
    offset: np.ndarray
    init: np.ndarray
    targets_unsnapped: int = 0
    targets_unreachable: int = 0
    polygons: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))


def _target_seeds(
    net: WalkNetwork, targets: np.ndarray, snap_limit_m: float, entrance_tolerance_m: float
) -> _Seeds:
    """Turn targets into seeds: points at their snapped point, polygons at entrances."""
    targets = np.asarray(targets, dtype=object)
    if len(targets):
        targets = targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))]
    parts = shapely.get_parts(targets) if len(targets) else np.empty(0, dtype=object)
    is_point = shapely.get_type_id(parts) == 0 if len(parts) else np.zeros(0, bool)
    edges: list[np.ndarray] = []
    offsets: list[np.ndarray] = []
    inits: list[np.ndarray] = []
    # Points: snapped like homes; the snap distance is walked too.
    pts = parts[is_point]
    p_snap = snap(net, pts, snap_limit_m)
    ok = p_snap.snapped
    edges.append(p_snap.edge[ok])
    offsets.append(p_snap.offset[ok])
    inits.append(p_snap.distance[ok])
    unsnapped_points = int((~ok).sum())
    # Polygons (and lines): entrances where the network is within the tolerance.
    polys = targets[~np.isin(shapely.get_type_id(targets), (0, 4))] if len(targets) else targets
    unreachable = 0
    if len(polys) and net.n_edges:
        pi, ei = net.tree.query(polys, predicate="dwithin", distance=entrance_tolerance_m)
        unreachable = len(polys) - len(np.unique(pi))
        if len(pi):
            # The nearest point of each nearby edge ...
            near = shapely.get_point(shapely.shortest_line(net.edges[ei], polys[pi]), 0)
            # ... and every vertex of the edge's stretch inside the tolerance zone.
            zone = shapely.buffer(polys, entrance_tolerance_m)
            inside = shapely.intersection(net.edges[ei], zone[pi])
            xy, k = shapely.get_coordinates(inside, return_index=True)
            ent_edge = np.concatenate([ei, ei[k]])
            ent_pt = np.concatenate([near, shapely.points(xy)])
            ent_off = shapely.line_locate_point(net.edges[ent_edge], ent_pt)
            edges.append(ent_edge)
            offsets.append(np.clip(ent_off, 0.0, net.length[ent_edge]))
            inits.append(np.zeros(len(ent_edge)))
    return _Seeds(
        edge=np.concatenate(edges).astype(np.int64),
        offset=np.concatenate(offsets).astype(float),
        init=np.concatenate(inits).astype(float),
        targets_unsnapped=unsnapped_points,
        targets_unreachable=unreachable,
        polygons=polys,
    )


def _edge_key(net: WalkNetwork, edge: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Return a sortable key ordering positions by edge, then by offset along it."""
    return edge + offset / (net.length[edge] + 1.0)


def _distances_from_seeds(
    net: WalkNetwork, origin: Snap, seeds: _Seeds, cutoff_m: float
) -> np.ndarray:
    """Network distance of each snapped origin to its nearest seed (see module doc)."""
    n = net.n_nodes
    out = np.full(len(origin.edge), np.nan)
    ok = origin.snapped
    out[ok] = np.inf
    if not len(seeds.edge) or not ok.any():
        return out
    key = _edge_key(net, seeds.edge, seeds.offset)
    order = np.argsort(key, kind="stable")
    se, so, si, key = seeds.edge[order], seeds.offset[order], seeds.init[order], key[order]
    k = len(se)
    virt = n + np.arange(k)
    super_source = n + k
    same_prev = np.zeros(k, dtype=bool)
    same_prev[1:] = se[1:] == se[:-1]
    last = np.ones(k, dtype=bool)
    last[:-1] = se[1:] != se[:-1]
    prev_node = np.where(same_prev, virt - 1, net.u[se])
    prev_off = np.where(same_prev, np.roll(so, 1), 0.0)
    # Chain each split edge: u -> s1 -> s2 ... -> sk -> v; other edges stay as they are.
    split = np.zeros(net.n_edges, dtype=bool)
    split[se] = True
    cu = np.concatenate([net.u[~split], prev_node, virt[last]])
    cv = np.concatenate([net.v[~split], virt, net.v[se[last]]])
    cw = np.concatenate([net.length[~split], so - prev_off, net.length[se[last]] - so[last]])
    graph = _csr(
        cu,
        cv,
        np.maximum(cw, 0.0),
        n + k + 1,
        directed_extra=(np.full(k, super_source), virt, si),
    )
    node_dist = dijkstra(graph, directed=True, indices=super_source, limit=cutoff_m)
    # Each origin leaves its piece of edge through the piece's left or right end.
    oe, oq = origin.edge[ok], origin.offset[ok]
    j = np.searchsorted(key, _edge_key(net, oe, oq), side="right")
    has_left = (j > 0) & (se[np.maximum(j - 1, 0)] == oe)
    has_right = (j < k) & (se[np.minimum(j, k - 1)] == oe)
    left_node = np.where(has_left, n + j - 1, net.u[oe])
    left_off = np.where(has_left, so[np.maximum(j - 1, 0)], 0.0)
    right_node = np.where(has_right, n + j, net.v[oe])
    right_off = np.where(has_right, so[np.minimum(j, k - 1)], net.length[oe])
    d = np.minimum(
        node_dist[left_node] + np.maximum(oq - left_off, 0.0),
        node_dist[right_node] + np.maximum(right_off - oq, 0.0),
    )
    out[ok] = d
    return out


def snap_origins(net: WalkNetwork, origins: np.ndarray, snap_limit_m: float) -> Snap:
    """Snap origins once, to reuse for several target sets (see :func:`distances_to`).

    A footprint meets the network at its nearest point, but where a façade runs
    parallel to the street every point of it is equally near and that point is
    arbitrary (in practice a corner). So the vertices of each snapped footprint are
    snapped as well, and :func:`distances_to` takes, per home, the shortest of
    (snap distance + walk) over its nearest point and its vertices: the walk starts
    from the side of the home that faces the target. Points have no vertices.

    Examples
    --------
    A 10 m house beside a street along y = -10, a shop 300 m east of its east wall:

    >>> net = build_network(np.array([shapely.LineString([(-50, -10), (400, -10)])]))
    >>> house = shapely.box(0, 0, 10, 10)
    >>> nd = network_distances(net, np.array([house]), np.array([shapely.Point(310, -10)]),
    ...                        1000, 100, 10)
    >>> float(nd.distance[0])  # 10 m to the street from the east corner, then 300 m
    310.0
    """
    origins = np.asarray(origins, dtype=object)
    main = snap(net, origins, snap_limit_m)
    footprint = np.flatnonzero(main.snapped & (shapely.get_dimensions(origins) == 2))
    if len(footprint):
        parts, part_owner = shapely.get_parts(origins[footprint], return_index=True)
        xy, idx = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
        main.vertex_owner = footprint[part_owner[idx]]
        main.vertices = snap(net, shapely.points(xy), snap_limit_m)
    return main


def distances_to(
    net: WalkNetwork,
    origins: np.ndarray,
    origin_snap: Snap,
    targets: np.ndarray,
    cutoff_m: float,
    snap_limit_m: float,
    entrance_tolerance_m: float,
) -> NetworkDistances:
    """Network distances from already snapped origins to the nearest of ``targets``.

    See :func:`network_distances` for the meaning of the arguments and the result.
    """
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    seeds = _target_seeds(net, targets, snap_limit_m, entrance_tolerance_m)
    stages["targets"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    candidates, owner = origin_snap.with_vertices()
    candidate_total = _distances_from_seeds(net, candidates, seeds, cutoff_m) + candidates.distance
    total = np.full(len(origin_snap.edge), np.nan)
    ok = origin_snap.snapped
    total[ok] = np.inf
    reached = np.isfinite(candidate_total)
    np.fmin.at(total, owner[reached], candidate_total[reached])
    if len(seeds.polygons) and ok.any():
        # At an entrance already (snapped point within the tolerance) or inside the polygon.
        ptree = shapely.STRtree(seeds.polygons)
        idx = np.flatnonzero(ok)
        at, _ = ptree.query(
            origin_snap.point[idx], predicate="dwithin", distance=entrance_tolerance_m
        )
        at_entrance = idx[np.unique(at)]
        total[at_entrance] = origin_snap.distance[at_entrance]
        inside, _ = ptree.query(np.asarray(origins, dtype=object)[idx], predicate="intersects")
        total[idx[np.unique(inside)]] = 0.0
    total[ok & (total > cutoff_m)] = np.inf
    stages["shortest_paths"] = time.perf_counter() - t0
    return NetworkDistances(
        distance=total,
        unsnapped=~ok,
        stage_seconds=stages,
        targets_unsnapped=seeds.targets_unsnapped,
        targets_unreachable=seeds.targets_unreachable,
    )


def network_distances(
    net: WalkNetwork,
    origins: np.ndarray,
    targets: np.ndarray,
    cutoff_m: float,
    snap_limit_m: float,
    entrance_tolerance_m: float,
) -> NetworkDistances:
    """Network distance from each origin to its nearest target.

    Parameters
    ----------
    net : WalkNetwork
        From :func:`build_network`.
    origins : numpy.ndarray of shapely geometries
        Homes: points or footprint polygons.
    targets : numpy.ndarray of shapely geometries
        Points (snapped to the network, snap distance added) or polygons (reached at
        entrances: network points within ``entrance_tolerance_m`` of the polygon).
    cutoff_m : float
        Distances beyond this are ``inf`` (the shortest-path search stops there).
    snap_limit_m : float
        Origins (and point targets) farther than this from the network are not snapped.
    entrance_tolerance_m : float
        How close the network must come to a polygon target to enter it.

    Returns
    -------
    NetworkDistances

    Examples
    --------
    An L-shaped street; the home is 2 m off the first leg, the shop 3 m off the second:

    >>> net = build_network(np.array([shapely.LineString([(0, 0), (100, 0), (100, 100)])]))
    >>> nd = network_distances(net, np.array([shapely.Point(20, 2)]),
    ...                        np.array([shapely.Point(97, 60)]), 1000, 50, 5)
    >>> float(nd.distance[0])  # 2 + 80 + 60 + 3
    145.0
    """
    t0 = time.perf_counter()
    osnap = snap_origins(net, origins, snap_limit_m)
    snapping = time.perf_counter() - t0
    nd = distances_to(net, origins, osnap, targets, cutoff_m, snap_limit_m, entrance_tolerance_m)
    nd.stage_seconds = {
        "graph_build": net.stage_seconds.get("graph_build", 0.0),
        "snapping": snapping,
        **nd.stage_seconds,
    }
    return nd


def network_distances_by_type(
    net: WalkNetwork,
    origins: np.ndarray,
    targets_by_type: Mapping[str, np.ndarray],
    cutoff_m: float,
    snap_limit_m: float,
    entrance_tolerance_m: float,
) -> dict[str, NetworkDistances]:
    """Network distances to the nearest target of each type; origins are snapped once.

    Examples
    --------
    >>> net = build_network(np.array([shapely.LineString([(0, 0), (100, 0)])]))
    >>> res = network_distances_by_type(
    ...     net, np.array([shapely.Point(10, 1)]),
    ...     {"gp": np.array([shapely.Point(60, 0)]), "shop": np.array([shapely.Point(0, 0)])},
    ...     500, 50, 5)
    >>> {k: float(v.distance[0]) for k, v in res.items()}
    {'gp': 51.0, 'shop': 11.0}
    """
    t0 = time.perf_counter()
    osnap = snap_origins(net, origins, snap_limit_m)
    snapping = time.perf_counter() - t0
    out: dict[str, NetworkDistances] = {}
    for name, targets in targets_by_type.items():
        nd = distances_to(
            net, origins, osnap, targets, cutoff_m, snap_limit_m, entrance_tolerance_m
        )
        nd.stage_seconds = {
            "graph_build": net.stage_seconds.get("graph_build", 0.0),
            "snapping": snapping,
            **nd.stage_seconds,
        }
        out[name] = nd
    return out


def report(
    nd: NetworkDistances,
    ctx: Context,
    origins_name: str,
    targets_name: str,
    snap_limit_m: float,
    entrance_tolerance_m: float,
) -> None:
    """Put the data-quality warnings of a network run into ``ctx``.

    Unsnapped origins (``homes-not-on-network``), point targets too far from the
    network and polygon targets without an entrance.
    """
    n_un = int(nd.unsnapped.sum())
    if n_un:
        ctx.warn(
            "homes-not-on-network",
            origins_name,
            f"{n_un} of {len(nd.unsnapped)} features lie more than {snap_limit_m:g} m from "
            "any walkable path; their network distance is left empty",
            n_un,
        )
    if nd.targets_unsnapped:
        ctx.warn(
            "targets-not-on-network",
            targets_name,
            f"{nd.targets_unsnapped} points lie more than {snap_limit_m:g} m from any "
            "walkable path and cannot be reached over the network",
            nd.targets_unsnapped,
        )
    if nd.targets_unreachable:
        ctx.warn(
            "targets-without-entrance",
            targets_name,
            f"{nd.targets_unreachable} polygons have no walkable path within "
            f"{entrance_tolerance_m:g} m of their boundary and cannot be reached over the network",
            nd.targets_unreachable,
        )
