"""Walking-network distances: hand-computed networks, properties, a brute-force reference."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.network import (
    build_network,
    network_distances,
    network_distances_by_type,
    snap,
    walkable_lines,
    walkable_mask,
)
from gsl_indicators.core.spec import Context
from hypothesis_profiles import examples

L = shapely.LineString
P = shapely.Point


def arr(*geoms):
    return np.array(list(geoms), dtype=object)


def hash_grid():
    """A '#' of 3 horizontal and 3 vertical 200 m lines at 0, 100, 200, sharing vertices."""
    lines = []
    for c in (0.0, 100.0, 200.0):
        lines.append(L([(0, c), (100, c), (200, c)]))
        lines.append(L([(c, 0), (c, 100), (c, 200)]))
    return arr(*lines)


# --- graph building -------------------------------------------------------------


def test_hash_grid_is_noded_at_shared_vertices():
    net = build_network(hash_grid())
    # 3 x 3 nodes, 12 edges of 100 m
    assert net.n_nodes == 9
    assert net.n_edges == 12
    assert np.allclose(net.length, 100.0)
    assert net.summary()["components"] == 1


def test_crossing_without_shared_vertex_becomes_a_node():
    # Two lines crossing at (50, 50) with no vertex there.
    net = build_network(arr(L([(0, 0), (100, 100)]), L([(0, 100), (100, 0)])))
    assert net.n_nodes == 5
    assert net.n_edges == 4
    # From the end (0, 0) to the end (0, 100): 2 half-diagonals of 50·√2 each.
    nd = network_distances(net, arr(P(0, 0)), arr(P(0, 100)), 1000, 10, 5)
    assert nd.distance[0] == pytest.approx(100 * math.sqrt(2))


def test_t_junction_at_an_interior_vertex_and_overlap_counts_once():
    # The stem ends on the bar's interior (no vertex of the bar there); a duplicate of
    # half the bar overlaps it.
    net = build_network(
        arr(L([(0, 0), (200, 0)]), L([(100, 0), (100, 100)]), L([(0, 0), (100, 0)]))
    )
    assert net.n_edges == 3
    assert float(net.length.sum()) == pytest.approx(300.0)


def test_multilinestrings_and_empty_lines():
    net = build_network(
        arr(shapely.MultiLineString([[(0, 0), (10, 0)], [(10, 0), (10, 10)]]), L(), None)
    )
    assert net.n_edges == 2


def test_walkable_filter_and_warning():
    ctx = Context()
    lines = arr(L([(0, 0), (1, 0)]), L([(0, 1), (1, 1)]), L([(0, 2), (1, 2)]), L([(0, 3), (1, 3)]))
    kept = walkable_lines(lines, ["footway", None, "motorway", "construction"], ctx=ctx)
    assert len(kept) == 1
    (w,) = ctx.warnings
    assert w["code"] == "network-lines-excluded" and w["count"] == 3
    assert "motorway 1" in w["message"] and "(none) 1" in w["message"]
    assert walkable_mask(["busway", "cycleway"]).tolist() == [False, True]


# --- snapping -------------------------------------------------------------------


def test_snap_onto_the_middle_of_an_edge():
    net = build_network(hash_grid())
    s = snap(net, arr(P(150, 107), P(40, 40)), 50)
    # (150, 107) lies 7 m above the middle of the edge (100,100)-(200,100); (40, 40) is
    # 40 m from the lines x = 0 and y = 0 alike (either edge will do)
    assert s.distance.tolist() == pytest.approx([7.0, 40.0])
    e = int(s.edge[0])
    assert {tuple(net.node_xy[net.u[e]]), tuple(net.node_xy[net.v[e]])} == {
        (100.0, 100.0),
        (200.0, 100.0),
    }
    assert s.offset[0] == pytest.approx(50.0)


def test_hash_grid_shortest_path_from_the_middle_of_an_edge():
    net = build_network(hash_grid())
    # Home 7 m off the middle of edge (100,100)-(200,100); shop 3 m off (0,50) on x=0.
    # Walk: 7 + 50 (to node 100,100) + 100 (to 0,100) + 50 (down to 0,50) + 3 = 210
    nd = network_distances(net, arr(P(150, 107)), arr(P(-3, 50)), 1000, 20, 5)
    assert nd.distance[0] == pytest.approx(210.0)
    assert not nd.unsnapped[0]
    assert set(nd.stage_seconds) >= {"graph_build", "snapping", "shortest_paths"}


def test_home_and_target_on_the_same_edge_walk_directly():
    net = build_network(arr(L([(0, 0), (1000, 0)])))
    # 2 + |400 - 430| + 1 = 33, not via the edge ends
    nd = network_distances(net, arr(P(400, 2)), arr(P(430, -1)), 5000, 20, 5)
    assert nd.distance[0] == pytest.approx(33.0)


def test_two_targets_on_one_edge_with_different_snap_distances():
    net = build_network(arr(L([(0, 0), (1000, 0)])))
    # Home at 500 (snap 1). Target A at 480, 60 m off the path (1 + 20 + 60 = 81);
    # target B at 600, 1 m off (1 + 100 + 1 = 102): A is nearest.
    nd = network_distances(net, arr(P(500, 1)), arr(P(480, 60), P(600, -1)), 5000, 100, 5)
    assert nd.distance[0] == pytest.approx(81.0)


def test_unsnapped_home_gets_nan_and_a_flag():
    net = build_network(hash_grid())
    nd = network_distances(net, arr(P(100, 100), P(500, 500)), arr(P(0, 0)), 1000, 50, 5)
    assert nd.distance[0] == pytest.approx(200.0)
    assert math.isnan(nd.distance[1]) and bool(nd.unsnapped[1])


def test_cutoff_and_disconnected_parts_give_inf():
    net = build_network(arr(L([(0, 0), (100, 0)]), L([(0, 50), (100, 50)])))
    nd = network_distances(net, arr(P(0, 0), P(0, 49)), arr(P(100, 1)), 50, 10, 5)
    # first: 100 + 1 > cutoff 50; second: its line does not connect to the target's
    assert np.isinf(nd.distance).all()
    nd = network_distances(net, arr(P(0, 0)), arr(P(100, 1)), 200, 10, 5)
    assert nd.distance[0] == pytest.approx(101.0)


def test_point_target_too_far_from_the_network_is_counted():
    net = build_network(arr(L([(0, 0), (100, 0)])))
    nd = network_distances(net, arr(P(0, 0)), arr(P(50, 500), P(100, 0)), 500, 20, 5)
    assert nd.distance[0] == pytest.approx(100.0)
    assert nd.targets_unsnapped == 1


def test_park_is_reached_at_its_entrance():
    # Path along y = 0 from x = 0 to 400; a park 4 m north of it between x = 200 and 300
    # (within the 5 m tolerance), and a second park 50 m away from any path.
    net = build_network(arr(L([(0, 0), (400, 0)])))
    park = shapely.box(200, 4, 300, 100)
    far = shapely.box(0, 60, 50, 100)
    homes = arr(P(10, -3), P(250, -2), P(390, 0), P(260, 50))
    nd = network_distances(net, homes, arr(park, far), 2000, 20, 5)
    # The path is within 5 m of the park's corner (200, 4) from x = 200 - √(5² - 4²) = 197
    # to x = 303. Home 1: 3 + 187 = 190; home 2: 2 (already at an entrance); home 3: 87;
    # home 4 lies inside the park: 0 (although 50 m from the path). The tolerance zone is a
    # polygonal buffer, hence abs=0.1.
    assert nd.distance[:3] == pytest.approx([190.0, 2.0, 87.0], abs=0.1)
    assert bool(nd.unsnapped[3])  # 50 m > the 20 m snapping limit
    nd = network_distances(net, homes, arr(park, far), 2000, 100, 5)
    assert nd.distance[3] == 0.0
    assert nd.targets_unreachable == 1


def test_path_through_a_park_enters_at_the_boundary():
    # A footpath crosses the park; the park's boundary is crossed at x = 100.
    net = build_network(arr(L([(0, 0), (300, 0)])))
    nd = network_distances(net, arr(P(0, 0)), arr(shapely.box(100, -50, 200, 50)), 1000, 10, 0)
    assert nd.distance[0] == pytest.approx(100.0)


def test_footprint_origins_snap_from_their_nearest_point():
    net = build_network(arr(L([(0, 0), (100, 0)])))
    # Footprint 5 m north of the path, nearest point (20, 5); target at (80, 0).
    nd = network_distances(net, arr(shapely.box(10, 5, 20, 15)), arr(P(80, 0)), 500, 20, 5)
    assert nd.distance[0] == pytest.approx(5 + 60)


def test_multi_type_variant_matches_single_calls():
    net = build_network(hash_grid())
    homes = arr(P(10, 20), P(150, 107), P(190, 190))
    targets = {"a": arr(P(0, 0)), "b": arr(P(200, 150), P(50, 100)), "c": arr()}
    multi = network_distances_by_type(net, homes, targets, 1000, 30, 5)
    for k, t in targets.items():
        single = network_distances(net, homes, t, 1000, 30, 5)
        assert np.array_equal(multi[k].distance, single.distance)
    assert np.isinf(multi["c"].distance).all()


# --- brute-force reference on random grids --------------------------------------


def random_grid(rng, n=5, pitch=60.0, drop=0.2):
    """A jittered n x n grid; each kept edge is a line of its own or part of a polyline."""
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1).astype(float)
    xy = xy * pitch + rng.uniform(-12, 12, xy.shape)
    edges = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and rng.random() > drop:
                    edges.append(((i, j), (i + di, j + dj)))
    return xy, edges


def _segment_projection(p, a, b):
    ab = b - a
    t = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1)
    q = a + t * ab
    return float(np.hypot(*(p - q))), float(t * np.hypot(*ab))


def brute_force(xy, edges, origins, targets, snap_limit, cutoff):
    """Per origin: Dijkstra (heapq) over the grid with the origin and targets as extra nodes."""
    coords = {k: xy[k] for e in edges for k in e}

    def snap_pt(p):
        best = None
        for ei, (a, b) in enumerate(edges):
            d, off = _segment_projection(p, coords[a], coords[b])
            if best is None or d < best[0]:
                best = (d, ei, off)
        return best

    tsnaps = [s for s in (snap_pt(np.array(t)) for t in targets) if s[0] <= snap_limit]
    out = []
    for o in origins:
        d0, e0, q0 = snap_pt(np.array(o))
        if d0 > snap_limit:
            out.append(math.nan)
            continue
        adj: dict = {}

        def add(u, v, w, adj=adj):
            adj.setdefault(u, []).append((v, w))
            adj.setdefault(v, []).append((u, w))

        for a, b in edges:
            add(a, b, float(np.hypot(*(coords[a] - coords[b]))))
        a, b = edges[e0]
        length = float(np.hypot(*(coords[a] - coords[b])))
        add("o", a, q0)
        add("o", b, length - q0)
        for k, (dt, et, pt) in enumerate(tsnaps):
            ta, tb = edges[et]
            lt = float(np.hypot(*(coords[ta] - coords[tb])))
            add(("t", k), ta, pt + dt)
            add(("t", k), tb, lt - pt + dt)
            if et == e0:
                add("o", ("t", k), abs(pt - q0) + dt)
        dist = {"o": 0.0}
        heap = [(0.0, 0, "o")]
        seen = set()
        counter = 1
        while heap:
            d, _, u = heapq.heappop(heap)
            if u in seen:
                continue
            seen.add(u)
            for v, w in adj.get(u, []):
                nd = d + w
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    heapq.heappush(heap, (nd, counter, v))
                    counter += 1
        # A target node's own snap is on its edges; do not pass *through* targets: the
        # distance to ("t", k) already includes dt, so paths via it are never shorter than
        # the real edges (w >= dt >= 0 each way).
        best = min((dist.get(("t", k), math.inf) for k in range(len(tsnaps))), default=math.inf)
        total = best + d0
        out.append(total if total <= cutoff else math.inf)
    return np.array(out)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_brute_force_on_random_grids(seed):
    rng = np.random.default_rng(seed)
    xy, edges = random_grid(rng)
    # Give the edges as lines: single edges, and (for even seeds) whole rows as polylines
    # sharing vertices, to exercise the noding.
    lines = [L([xy[a], xy[b]]) for a, b in edges]
    if seed % 2 == 0:
        lines = lines[::2] + lines[1::2]
    origins = rng.uniform(-20, 260, (25, 2))
    targets = rng.uniform(-20, 260, (4, 2))
    snap_limit, cutoff = 25.0, 400.0
    net = build_network(arr(*lines))
    nd = network_distances(
        net, shapely.points(origins), shapely.points(targets), cutoff, snap_limit, 5
    )
    ref = brute_force(xy, edges, origins, targets, snap_limit, cutoff)
    assert np.array_equal(np.isnan(nd.distance), np.isnan(ref))
    finite = np.isfinite(ref)
    assert np.array_equal(np.isfinite(nd.distance), finite)
    assert np.allclose(nd.distance[finite], ref[finite], atol=1e-6)


# --- properties -----------------------------------------------------------------

coords = st.tuples(st.floats(-20, 260), st.floats(-20, 260))


@settings(max_examples=examples(30), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    homes=st.lists(coords, min_size=1, max_size=8),
    targets=st.lists(coords, min_size=1, max_size=4),
    extra=coords,
)
def test_adding_a_target_never_raises_a_distance_and_network_exceeds_euclid(
    seed, homes, targets, extra
):
    rng = np.random.default_rng(seed)
    xy, edges = random_grid(rng)
    net = build_network(arr(*[L([xy[a], xy[b]]) for a, b in edges]))
    h = shapely.points(np.array(homes))
    t = shapely.points(np.array(targets))
    before = network_distances(net, h, t, 600, 40, 5).distance
    t2 = np.append(t, shapely.Point(extra))
    after = network_distances(net, h, t2, 600, 40, 5).distance
    known = ~np.isnan(before)
    assert np.all(after[known] <= before[known] + 1e-9)
    # network distance >= straight-line distance to the nearest target
    eu = shapely.distance(h[:, None], t[None, :]).min(axis=1)
    assert np.all(before[known] >= eu[known] - 1e-9)


# --- footprints: the walk starts from the side that faces the target ------------------


def test_footprint_parallel_to_the_street_leaves_from_the_corner_facing_the_target() -> None:
    # House 0..10 x 0..10, street along y = -10, park 300..400 x 0..100: its edge comes
    # within the 10 m entrance tolerance of the street at (300, -10).
    # Best walk: leave at the east corner (10, 0), 10 m to the street, 290 m east = 300.
    # (The nearest point of the footprint is the whole south wall; starting from its
    # west corner would give 310.)
    net = build_network(arr(L([(-50, -10), (400, -10)])))
    house = shapely.box(0, 0, 10, 10)
    park = shapely.box(300, 0, 400, 100)
    nd = network_distances(net, arr(house), arr(park), 1000, 100, 10)
    assert nd.distance[0] == pytest.approx(300.0)
    # a shop on the street 300 m west of the west wall: 10 m down from (0, 0), 300 m west
    shop = shapely.Point(-300, -10)
    net2 = build_network(arr(L([(-400, -10), (50, -10)])))
    assert network_distances(net2, arr(house), arr(shop), 1000, 100, 10).distance[0] == (
        pytest.approx(310.0)
    )


@settings(max_examples=examples(25), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    corner=coords,
    w=st.floats(2, 30),
    h=st.floats(2, 30),
    targets=st.lists(coords, min_size=1, max_size=3),
)
def test_a_footprint_is_never_farther_than_any_of_its_corners(seed, corner, w, h, targets):
    rng = np.random.default_rng(seed)
    xy, edges = random_grid(rng)
    net = build_network(arr(*[L([xy[a], xy[b]]) for a, b in edges]))
    x, y = corner
    house = shapely.box(x, y, x + w, y + h)
    corners = shapely.points([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
    t = shapely.points(np.array(targets))
    d_house = network_distances(net, arr(house), t, 600, 40, 5).distance[0]
    d_corners = network_distances(net, corners, t, 600, 40, 5).distance
    known = d_corners[~np.isnan(d_corners)]
    if len(known) and not np.isnan(d_house):
        assert d_house <= known.min() + 1e-9
