"""activity-friendly: intersections, reach of play and sport, green share, cycling (by hand)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import gsl_indicators.core.canopy as canopy
import gsl_indicators.core.class_union as class_union
import gsl_indicators.indicators.activity_friendly as af
from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.class_union import class_union_by_area, disjoint_classes
from gsl_indicators.core.network import build_network
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.activity_friendly import (
    count_in_areas,
    disjoint_pieces,
    dissolve_runs,
    interior_overlaps,
    intersection_nodes,
    length_in_areas,
    nearest_distance,
    pairwise,
    union_area_within,
    unique_points,
)
from hypothesis_profiles import examples
from results import execute

IND = registry().get("activity-friendly")

# Two neighbourhoods of 500 × 500 m (0.25 km² each): west x 0..500, east x 500..1000.
NBH = fc(
    feature(box(0, 0, 500, 500), "west", area_type="stedelijk-wonen"),
    feature(box(500, 0, 1000, 500), "east", area_type="buitengebied"),
)
# Walking network: a street along y = 250 from x 0 to 1000 (one way, not split), crossed by
# streets at x = 100 and x = 300 (crossings without a shared vertex: 4-way, degree 4), a
# side street from (200, 250) north (T: degree 3), and a dead end at x = 700 south
# (T at (700, 250): degree 3). The motorway at x = 400 is not walkable: no crossing there.
NETWORK = fc(
    feature(line((0, 250), (1000, 250)), "main", highway="residential"),
    feature(line((100, 0), (100, 500)), "c1", highway="residential"),
    feature(line((300, 0), (300, 500)), "c2", highway="footway"),
    feature(line((200, 250), (200, 400)), "t1", highway="residential"),
    feature(line((700, 250), (700, 100)), "t2", highway="path"),
    feature(line((400, 0), (400, 500)), "mw", highway="motorway"),
)
HOMES = fc(
    feature(point(50, 50), "h1", dwellings=1),
    feature(point(450, 450), "h2", dwellings=3),
    feature(point(900, 50), "h3", dwellings=1),
)


def areas(result):
    return {f["id"]: f["properties"] for f in result["neighbourhoods"]["features"]}


def test_intersection_count_and_density_by_hand() -> None:
    r = execute(IND, {"buildings": HOMES, "neighbourhoods": NBH, "network": NETWORK})
    a = areas(r)
    # west: (100,250) degree 4, (200,250) degree 3, (300,250) degree 4 → 3 intersections;
    # the line ends (degree 1) do not count. 3 / 0.25 km² = 12 per km².
    assert a["west"]["intersections"] == 3
    assert a["west"]["intersection_density_per_km2"] == 12.0
    # east: (700,250) degree 3 → 1 / 0.25 = 4 per km²
    assert a["east"]["intersections"] == 1
    assert a["east"]["intersection_density_per_km2"] == 4.0
    # overall: 4 / 0.5 km² = 8
    assert r["summary"]["intersection_density_per_km2"] == 8.0
    codes = {w["code"] for w in r["data_quality"]["warnings"]}
    assert "network-lines-excluded" in codes  # the motorway


def test_minimum_degree_four_keeps_only_crossings() -> None:
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "neighbourhoods": NBH,
            "network": NETWORK,
            "min_intersection_degree": 4,
        },
    )
    assert areas(r)["west"]["intersections"] == 2 and areas(r)["east"]["intersections"] == 0


def test_reach_of_play_and_sport_euclidean() -> None:
    play = fc(
        feature(box(40, 420, 60, 440), "p1")
    )  # h1 (50,50): 370 m; h2 (450,450): hypot(390, 10) = 390.1 m
    sport = fc(feature(point(950, 450), "s1"))  # h3: 403.1 m, h2: 500 m, h1: 984.9 m
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "neighbourhoods": NBH,
            "play_areas": play,
            "sport_facilities": sport,
            "play_reach_m": 380,
            "sport_reach_m": 960,
        },
    )
    p = {f["id"]: f["properties"] for f in r["buildings"]["features"]}
    assert p["h1"]["distance_to_play_m"] == 370.0 and p["h1"]["near_play"] is True
    assert p["h2"]["distance_to_play_m"] == 390.1 and p["h2"]["near_play"] is False
    # h1 → sport: hypot(900, 400) = 984.9 > 960 → not near; h2: 500, h3: hypot(50, 400) = 403.1
    assert p["h1"]["near_sport"] is False and p["h3"]["distance_to_sport_m"] == 403.1
    s = r["summary"]
    assert s["share_homes_near_play"] == 0.3333  # h1 of 3
    assert s["share_dwellings_near_play"] == 0.2  # 1 of 5 dwellings
    assert s["share_homes_near_sport"] == 0.6667  # h2, h3
    assert s["share_dwellings_near_sport"] == 0.8  # (3 + 1) / 5


def test_green_or_playable_share_of_public_space() -> None:
    public = fc(
        feature(box(0, 200, 500, 300), "street-w"),  # 50,000 m² in west
        feature(box(500, 200, 1000, 300), "street-e"),  # 50,000 m² in east
    )
    green = fc(
        feature(box(0, 200, 100, 300), "g1"),  # 10,000 m², all public
        feature(box(50, 150, 150, 250), "g2"),  # public part x 50..150 y 200..250 = 5,000;
        # overlapping g1 on x 50..100 (2,500): the union adds 2,500
    )
    play = fc(feature(box(600, 280, 700, 320), "p1"))  # public part 100 × 20 = 2,000 in east
    r = execute(
        IND,
        {
            "buildings": HOMES,
            "neighbourhoods": NBH,
            "public_space": public,
            "green": green,
            "play_areas": play,
        },
    )
    a = areas(r)
    assert a["west"]["green_play_share_public_space"] == 0.25  # 12,500 / 50,000
    assert a["east"]["green_play_share_public_space"] == 0.04  # 2,000 / 50,000
    assert r["summary"]["green_play_share_public_space"] == 0.145  # 14,500 / 100,000


def test_cycle_density_when_given_and_empty_otherwise() -> None:
    cycle = fc(
        feature(line((0, 100), (1000, 100)), "f1"),  # 500 m in each
        feature(line((200, 100), (400, 100)), "dup"),  # overlaps f1: counts once
        feature(line((800, 0), (800, 500)), "f2"),  # 500 m in east
    )
    r = execute(IND, {"buildings": HOMES, "neighbourhoods": NBH, "cycle_network": cycle})
    a = areas(r)
    assert a["west"]["cycle_density_km_per_km2"] == 2.0  # 0.5 km / 0.25 km²
    assert a["east"]["cycle_density_km_per_km2"] == 4.0  # 1.0 km / 0.25 km²
    assert r["summary"]["cycle_density_km_per_km2"] == 3.0  # 1.5 / 0.5
    r2 = execute(IND, {"buildings": HOMES, "neighbourhoods": NBH})
    assert r2["summary"]["cycle_density_km_per_km2"] is None
    assert r2["summary"]["intersection_density_per_km2"] is None
    assert {"no-network", "no-public-space"} <= {w["code"] for w in r2["data_quality"]["warnings"]}


def test_scores_per_area_type() -> None:
    r = execute(IND, {"buildings": HOMES, "neighbourhoods": NBH, "network": NETWORK})
    a = areas(r)
    # stedelijk-wonen: minimum 100 (6), floor 0 (1): 12 → 1 + 5 × 12 / 100 = 1.6
    assert a["west"]["score_intersection_density_per_km2"] == 1.6
    # buitengebied: minimum 20, floor 0: 4 → 1 + 5 × 4 / 20 = 2.0
    assert a["east"]["score_intersection_density_per_km2"] == 2.0


def test_network_distance_mode() -> None:
    play = fc(feature(point(300, 260), "p1"))
    r = execute(
        IND,
        {
            "buildings": fc(feature(point(100, 240), "h", dwellings=1)),
            "neighbourhoods": NBH,
            "network": NETWORK,
            "play_areas": play,
            "distance_mode": "network",
        },
    )
    # home snaps 10 m to y = 250 at x 100, walks 200 m, play point snaps 10 m: 220 m
    p = r["buildings"]["features"][0]["properties"]
    assert p["distance_to_play_m"] == 220.0 and p["near_play"] is True


def test_play_exactly_at_the_reach_is_near() -> None:
    # h1 (50, 50) to the play box [40, 60] × [420, 440]: straight up to its bottom edge,
    # 420 − 50 = 370 m. With play_reach_m 370 it is near (within: ≤); with 369.9 it is not.
    play = fc(feature(box(40, 420, 60, 440), "p1"))
    inputs = {"buildings": HOMES, "neighbourhoods": NBH, "play_areas": play}
    for reach, near in ((370, True), (369.9, False)):
        r = execute(IND, {**inputs, "play_reach_m": reach})
        p = r["buildings"]["features"][0]["properties"]
        assert p["distance_to_play_m"] == 370.0 and p["near_play"] is near


def test_helpers_by_hand() -> None:
    lines = np.array([shapely.LineString([(0, 0), (10, 0)]), shapely.LineString([(5, -5), (5, 5)])])
    assert intersection_nodes(lines).tolist() == [[5.0, 0.0]]
    areas_ = shapely.box([0, 10], 0, [10, 20], 10)
    assert count_in_areas(np.zeros((0, 2)), areas_).tolist() == [0, 0]
    assert length_in_areas(np.empty(0, dtype=object), areas_).tolist() == [0.0, 0.0]


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(*(st.integers(0, 20) for _ in range(4))).filter(lambda t: t[:2] != t[2:]),
        min_size=1,
        max_size=15,
    )
)
def test_intersections_agree_with_the_walking_graph(segments) -> None:
    lines = np.array(
        [shapely.LineString([(a * 10, b * 10), (c * 10, d * 10)]) for a, b, c, d in segments]
    )
    net = build_network(lines)
    degree = np.bincount(net.u, minlength=net.n_nodes) + np.bincount(net.v, minlength=net.n_nodes)
    want = net.node_xy[degree >= 3]
    got = intersection_nodes(lines)
    assert np.array_equal(got[np.lexsort(got.T)], want[np.lexsort(want.T)])


@settings(max_examples=examples(40), deadline=None)
@given(
    homes=st.lists(st.tuples(st.floats(-50, 250), st.floats(-50, 250)), min_size=1, max_size=40),
    boxes=st.lists(
        st.tuples(st.floats(0, 200), st.floats(0, 200), st.floats(0.5, 120), st.floats(0.5, 60)),
        min_size=1,
        max_size=12,
    ),
)
def test_nearest_distance_is_exact(homes, boxes) -> None:
    origins = shapely.points(np.array(homes))
    targets = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    lines = np.array([shapely.LineString([(x, y), (x + w, y + h)]) for x, y, w, h in boxes])
    for t in (targets, lines, np.concatenate([targets, shapely.points([[5.0, 5.0]])])):
        want = shapely.distance(origins[:, None], t[None, :]).min(axis=1)
        # the least exact distance of a candidate set holding the nearest: the same number,
        # by the road the sample picks, by the centre test always, and by the vertex bound
        assert np.array_equal(nearest_distance(origins, t), want)
        for share in (0.0, 2.0):
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(af, "CERTIFY_SHARE", share)
                assert np.array_equal(nearest_distance(origins, t), want)


def test_nearest_distance_centre_test_by_hand() -> None:
    # Two 2 × 2 boxes, centres (1, 1) and (101, 1), half-diagonal √2. From (0, 30): the
    # nearest centre is (1, 1), d0 = 28 (to the top edge y = 2); the other centre lies at
    # e2 = √(101² + 29²) ≈ 105.1 ≥ 28 + √2: settled, 28. From (51, 1), halfway: d0 = 49 >
    # e2 − √2 = 50 − √2, not settled; the bound d0 finds 49. (1, 1) lies inside: 0. An
    # empty target is left out; with a lone target every point is settled (e2 = inf).
    boxes = np.array([shapely.box(0, 0, 2, 2), shapely.box(100, 0, 102, 2), shapely.Polygon()])
    pts = shapely.points([[0, 30], [51, 1], [1, 1]])
    # A long bar [10, 210] × [25, 35] (centre (110, 30), half-diagonal √(200² + 10²)/2 ≈
    # 100.1) next to the first box: from (0, 30) its centre is far (110) but its end only
    # 10 away. Its half-diagonal keeps the point unsettled (28 > 110 − 100.1): 10, not 28.
    bar = np.array([boxes[0], shapely.box(10, 25, 210, 35)])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(af, "CERTIFY_SHARE", 0.0)
        assert nearest_distance(pts, boxes).tolist() == [28.0, 49.0, 0.0]
        assert nearest_distance(pts, boxes[:1]).tolist() == [28.0, 49.0, 0.0]
        assert nearest_distance(pts, boxes[2:]).tolist() == [np.inf] * 3
        assert nearest_distance(pts[:1], bar).tolist() == [10.0]


def test_nearest_distance_at_a_vertex_by_hand() -> None:
    # Box [3, 10] × [4, 10]. From (0, 0) the nearest point is the corner (3, 4), a vertex:
    # the distance is the bound itself, √(3² + 4²) = 5. From (13, 0): the corner (10, 4),
    # √(3² + 4²) = 5. (5, 5) lies inside: 0. (6.5, 0) lies straight below the bottom edge
    # y = 4, between densified vertices: 4.
    box_ = np.array([shapely.box(3, 4, 10, 10)])
    got = nearest_distance(shapely.points([[0, 0], [13, 0], [5, 5], [6.5, 0]]), box_)
    assert got.tolist() == [5.0, 5.0, 0.0, 4.0]


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1e5, 1e5, allow_subnormal=False), st.sampled_from([0.0, 1e-4, 0.5])),
        min_size=1,
        max_size=30,
    )
)
def test_unique_points_is_numpys_unique(values) -> None:
    # points on a few x values, some 0.1 mm apart (merged at 1 mm), negative ones too
    xy = np.array([[x + dx, -x] for x, dx in values])
    got_xy, got_n = unique_points(xy, 3)
    want_xy, want_n = np.unique(np.round(xy, 3), axis=0, return_counts=True)
    assert np.array_equal(got_xy, want_xy) and np.array_equal(got_n, want_n)


def test_union_area_within_by_hand() -> None:
    # within: two 10 × 10 squares side by side. Geometries: A = [5, 15] × [0, 10] over the
    # edge; B = [8, 12] × [0, 10] overlapping A; C = [18, 19] × [0, 1] alone in the second.
    # First: A ∪ B inside [0, 10] = [5, 10] × [0, 10] = 50. Second: [10, 15] × [0, 10] = 50
    # plus C = 1 → 51. interior_overlaps: A and B overlap, C does not.
    within = shapely.box([0, 10], 0, [10, 20], 10)
    geoms = shapely.box([5, 8, 18], 0, [15, 12, 19], [10, 10, 1])
    assert interior_overlaps(geoms).tolist() == [True, True, False]
    assert union_area_within(geoms, within).tolist() == [50.0, 51.0]
    # touching squares do not overlap: [0, 5] and [5, 10] → 25 + 25 in the first square
    touching = shapely.box([0, 5], 0, [5, 10], 5)
    assert interior_overlaps(touching).tolist() == [False, False]
    assert union_area_within(touching, within).tolist() == [50.0, 0.0]


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 15), st.integers(1, 15)),
        min_size=1,
        max_size=12,
    )
)
def test_union_area_within_is_the_area_of_the_union(boxes) -> None:
    geoms = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    within = np.array([shapely.box(0, 0, 20, 20), shapely.box(20, 0, 45, 20),
                       shapely.Polygon([(0, 20), (45, 20), (0, 45)]),
                       shapely.GeometryCollection(),
                       shapely.box(0, 0, 45, 45).difference(shapely.box(5, 5, 40, 40))])  # fmt: skip
    want = shapely.area(shapely.intersection(shapely.union_all(geoms), within))
    assert np.allclose(union_area_within(geoms, within), want, rtol=1e-12, atol=1e-9)
    # the same union as interior-disjoint pieces per area: their areas add up to it
    pieces, of = disjoint_pieces(geoms, within[:3])
    assert not interior_overlaps(pieces[of == 0]).any()
    got = np.bincount(of, weights=shapely.area(pieces), minlength=3)
    assert np.allclose(got, want[:3], rtol=1e-12, atol=1e-9)


def test_green_share_of_a_partitioned_public_space_by_hand() -> None:
    # Public space as a partition (no overlaps: clipped, never dissolved): west street
    # [0, 500] × [240, 260] (10,000 m²) and, touching it, a square [200, 300] × [260, 360]
    # (10,000 m²); east street [500, 1000] × [240, 260] (10,000 m²). Green [250, 600] ×
    # [200, 300] covers in the west 250..500 × 240..260 = 5,000 m² of the street and
    # 250..300 × 260..300 = 2,000 m² of the square → 7,000 / 20,000 = 0.35; in the east
    # 500..600 × 240..260 = 2,000 / 10,000 = 0.2; a play area [260, 280] × [280, 290]
    # inside the green adds nothing (overlaps once).
    public = fc(
        feature(box(0, 240, 1000, 260), "street"),
        feature(box(200, 260, 300, 360), "square"),
    )
    green = fc(feature(box(250, 200, 600, 300), "g"))
    play = fc(feature(box(260, 280, 280, 290), "p"))
    r = execute(
        IND,
        {"buildings": HOMES, "neighbourhoods": NBH, "public_space": public, "green": green,
         "play_areas": play},
    )  # fmt: skip
    a = areas(r)
    assert a["west"]["green_play_share_public_space"] == 0.35
    assert a["east"]["green_play_share_public_space"] == 0.2


def test_dissolve_runs_by_hand() -> None:
    # Runs of keys 5, 5 | 2 | 5 (a key may come back: each run is its own union).
    # Run 1: [0, 4] × [0, 1] ∪ [2, 6] × [0, 1] = [0, 6] × [0, 1] → 6 (overlap 2 once);
    # run 2: [10, 13] × [0, 2] → 6; run 3: [0, 1] × [0, 1] → 1.
    keys = np.array([5, 5, 2, 5])
    geoms = shapely.box([0, 2, 10, 0], 0, [4, 6, 13, 1], [1, 1, 2, 1])
    got_keys, unions = dissolve_runs(keys, geoms)
    assert got_keys.tolist() == [5, 2, 5]
    assert shapely.area(unions).tolist() == [6.0, 6.0, 1.0]
    k0, u0 = dissolve_runs(np.zeros(0, dtype=np.int64), np.empty(0, dtype=object))
    assert len(k0) == 0 and len(u0) == 0
    # pairwise: the vectorised call, chunk by chunk → [0, 4] ∩ [2, 6] = [2, 4] → 2
    assert shapely.area(pairwise(shapely.intersection, geoms[:1], geoms[1:2])).tolist() == [2.0]


def _pieces(geoms: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pieces, of = disjoint_pieces(geoms, areas)
    return of, shapely.area(pieces)


@settings(max_examples=examples(25), deadline=None)
@given(
    homes=st.lists(st.tuples(st.floats(-50, 250), st.floats(-50, 250)), min_size=1, max_size=30),
    boxes=st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(1, 80), st.integers(1, 40)),
        min_size=1,
        max_size=12,
    ),
    workers=st.sampled_from([1, 2, 3]),
)
def test_threaded_chunks_do_not_change_results(homes, boxes, workers) -> None:
    # The same numbers with the default chunks, with chunks of 2 or 3 (so every call is
    # split over several thread tasks) and with 1–3 threads: exact equality.
    origins = shapely.points(np.array(homes))
    targets = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    areas = shapely.box([0, 100], 0, [100, 250], 250)
    base = (
        nearest_distance(origins, targets),
        union_area_within(targets, areas),
        shapely.area(af.union_by_area(targets, areas)),
        length_in_areas(shapely.boundary(targets), areas),
        *_pieces(targets, areas),
        nearest_distance(origins, shapely.centroid(targets)),
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(af, "PAIR_CHUNK", 2)
        mp.setattr(af, "OVERLAY_CHUNK", 2)
        mp.setattr(af, "GROUP_CHUNK", 1)
        mp.setattr(class_union, "FOLD_CHUNK", 1)
        mp.setattr(canopy, "default_workers", lambda: workers)
        small = (
            nearest_distance(origins, targets),
            union_area_within(targets, areas),
            shapely.area(af.union_by_area(targets, areas)),
            length_in_areas(shapely.boundary(targets), areas),
            *_pieces(targets, areas),
            nearest_distance(origins, shapely.centroid(targets)),
        )
    for a, b in zip(base, small, strict=True):
        assert np.array_equal(a, b)
    # and the distances are the exact least distances (the brute-force minimum)
    assert np.array_equal(base[0], shapely.distance(origins[:, None], targets[None, :]).min(axis=1))


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(1, 5), st.integers(1, 5)),
        min_size=2,
        max_size=15,
    )
)
def test_interior_overlaps_is_the_de9im_pattern(boxes) -> None:
    # Boxes on an integer grid: many share an edge or a corner only (touching, no overlap).
    # interior_overlaps (intersects ∧ ¬touches) agrees with the DE-9IM test, pair by pair.
    g = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    i, j = np.triu_indices(len(g), k=1)
    inner = shapely.relate_pattern(g[i], g[j], "T********")
    want = np.zeros(len(g), dtype=bool)
    want[i[inner]] = True
    want[j[inner]] = True
    assert np.array_equal(interior_overlaps(g), want)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 12), st.integers(1, 12)),
        min_size=1,
        max_size=14,
    )
)
def test_class_union_is_the_union(boxes) -> None:
    # Boxes on an integer grid (many touch along an edge). The greedy classes keep every
    # intersecting pair apart, so each class is a valid MultiPolygon; the union per area
    # built from them equals GEOS's union of all boxes clipped to the area.
    g = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    i, j = af.intersecting_pairs(g)
    classes = disjoint_classes(len(g), i, j)
    assert not (classes[i] == classes[j]).any()
    for c in np.unique(classes):
        assert shapely.is_valid(shapely.multipolygons(g[classes == c]))
    areas = np.array([shapely.box(0, 0, 20, 20), shapely.Polygon([(0, 20), (45, 20), (0, 45)]),
                      shapely.box(0, 0, 45, 45).difference(shapely.box(5, 5, 40, 40))])  # fmt: skip
    unions, of = class_union_by_area(g, classes, areas)
    want = shapely.area(shapely.intersection(shapely.union_all(g), areas))
    got = np.bincount(of, weights=shapely.area(unions), minlength=len(areas))
    assert np.allclose(got, want, rtol=1e-12, atol=1e-9)
    assert len(set(of.tolist())) == len(of) and shapely.is_valid(unions).all()
