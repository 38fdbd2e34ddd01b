"""Tiles that read their windows from the input files (core/tile_files.py).

Trees and crowns given as FlatGeobuf files by reference are not read by the parent of
a tiled run: each tile reads its own window (trees) and its whole crown groups from the
file. The document must be the one-piece document whatever the tiles, and a file the
tiles cannot take as it is (an invalid crown, a tree without geometry, another CRS, a
layer far from the homes) must make the run start again reading every layer whole —
with the very warnings one piece gives.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from file_store import Files, Watch, write_gpq
from gsl_indicators.core import sources, synthetic, tile_files
from gsl_indicators.core.examples import (
    box,
    box_feature,
    feature,
    point,
    point_feature,
    rd_collection,
)
from gsl_indicators.core.spec import registry
from gsl_indicators.core.tiling import TileOptions
from hypothesis_profiles import examples
from results import execute, same_but_tiles

GREEN = registry().get("green-3-30-300")
X, Y = 121000.0, 487000.0


@pytest.fixture
def files(tmp_path: Path):
    yield Files(tmp_path)
    sources.set_locator(None)


def tiled(per_tile: int, watch: Watch) -> TileOptions:
    return TileOptions(features_per_tile=per_tile, threshold=0, runner=watch)


# ------------------------------------------------------------------- the same document


@settings(max_examples=examples(10), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(150, 600),
    per_tile=st.integers(25, 140),
    points=st.booleans(),
    index=st.booleans(),
)
def test_tiles_reading_files_give_the_one_piece_document(
    tmp_path_factory, seed, n, per_tile, points, index
) -> None:
    f = Files(tmp_path_factory.mktemp("files"))
    try:
        c = synthetic.city(n, seed=seed, building_points=points, missing_dwellings_share=0.1)
        many = _tiles_read_the_files(f, c, per_tile, index=index)
        assert many["provenance"]["inputs"]["canopy"]["features"] == len(c["canopy"]["features"])
    finally:
        sources.set_locator(None)


def _tiles_read_the_files(f: Files, c: dict, per_tile: int, **add) -> dict:
    """Run ``c`` with trees and crowns as files, whole and tiled; check both; return tiled."""
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs["trees"] = f.add("trees", c["trees"], **add)
    inputs["canopy"] = f.add("canopy", c["canopy"], **add)
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(per_tile, watch))
    assert many["provenance"]["tiles"] >= 2
    assert watch.attempts == [{"trees", "canopy"}]  # read by the tiles, at once
    same_but_tiles(one, many)
    return many


@settings(max_examples=examples(6), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(150, 500),
    per_tile=st.integers(25, 140),
    row_group_size=st.integers(1, 400),
    covering=st.booleans(),
)
def test_tiles_reading_geoparquet_give_the_one_piece_document(
    tmp_path_factory, seed, n, per_tile, row_group_size, covering
) -> None:
    """The same with GeoParquet files: any row groups, with a covering column or without."""
    f = Files(tmp_path_factory.mktemp("files"), "geoparquet", row_group_size, covering)
    try:
        _tiles_read_the_files(f, synthetic.city(n, seed=seed), per_tile)
    finally:
        sources.set_locator(None)


def _edge_city() -> dict:
    """Homes on both sides of a tile edge at y = 105 m; a crown chain 400 m long across it."""
    homes = [
        box_feature(X + x0, Y + y0, X + x0 + 10, Y + y0 + 10, name, dwellings=1)
        for name, x0, y0 in (("A", 0, 0), ("B", 40, 0), ("C", 0, 100), ("D", 40, 100))
    ]
    trees = [feature(point(X + x, Y + y)) for x, y in ((5, 80), (6, 80), (7, 80), (45, 125))]
    # 40 crowns of 12 × 12 m, each 10 m on from the last (2 m overlaps): one group from
    # y = -150 to y = 252, much wider than a tile's first read (its cell + 50 m)
    chain = [feature(box(X + 60, Y - 150 + 10 * k, X + 72, Y - 138 + 10 * k)) for k in range(40)]
    lone = feature(box(X - 40, Y - 40, X - 30, Y - 30))
    return {
        "buildings": rd_collection(homes),
        "trees": rd_collection(trees),
        "canopy": rd_collection([*chain[20:], lone, *chain[:20]]),  # first crown mid-chain
        "neighbourhoods": rd_collection([box_feature(X - 50, Y - 200, X + 100, Y + 300, "BU01")]),
        "parks": rd_collection([feature(box(X + 200, Y, X + 300, Y + 100), "P1")]),
    }


def test_a_crown_chain_across_tiles_is_read_whole_by_one_tile(files) -> None:
    city = _edge_city()
    inputs = {**city, "trees": files.add("trees", city["trees"])}
    inputs["canopy"] = files.add("canopy", city["canopy"])
    watch = Watch()
    one = execute(GREEN, inputs)
    two = execute(GREEN, inputs, tiles=tiled(2, watch))
    assert two["provenance"]["tiles"] == 2 and watch.attempts == [{"trees", "canopy"}]
    same_but_tiles(one, two)
    # the chain: 12 m wide, from y = -150 to -138 + 390 = 252: 12 × 402 = 4,824 m²;
    # the lone crown 100 m²: 4,924 m² of 150 × 500 = 75,000 m² = 0.0657
    nb = two["neighbourhoods"]["features"][0]["properties"]
    assert nb["canopy_area_m2"] == pytest.approx(4924, abs=0.01)
    assert nb["canopy_share"] == pytest.approx(4924 / 75000, abs=1e-4)
    props = [f["properties"] for f in two["buildings"]["features"]]
    assert [p["trees_within"] for p in props] == [0, 0, 3, 1]


def test_whole_groups_grow_until_the_owned_group_is_complete(files) -> None:
    city = _edge_city()
    src = files.add("canopy", city["canopy"], index=False)  # positions as written
    desc = tile_files.file_of(tile_files.DeferredLayer("canopy", src, ("Polygon", "MultiPolygon")))
    # the cell holding the chain's first crown in the file (k = 20: y = 50 … 62)
    below = (-math.inf, -math.inf, math.inf, Y + 40)
    above = (-math.inf, Y + 40, math.inf, math.inf)
    got = {}
    for name, cell in (("below", below), ("above", above)):
        crowns, keys, report = tile_files.whole_groups(desc, cell)
        got[name] = (len(crowns), sorted(keys.tolist()), report)
    # the chain (40 crowns, first in the file at position 0: y = 50, above) goes whole
    # to "above"; the lone crown (position 20, at y = -40) to "below"
    assert got["above"][0] == 40 and got["above"][1] == [*range(20), *range(21, 41)]
    assert got["below"][0] == 1 and got["below"][1] == [20]
    # owned by box centre: crowns k ≥ 19 (centre y ≥ 46 > 40) above, the others below
    assert got["above"][2].owned + got["below"][2].owned == 41
    assert got["above"][2].header == got["below"][2].header == 41


def _descriptions(files: Files, name: str, fc: dict, kinds: tuple[str, ...]) -> list[dict]:
    """The file descriptions a tile gets of ``fc`` as FlatGeobuf (in order) and GeoParquet."""
    return [
        tile_files.file_of(
            tile_files.DeferredLayer(name, files.add(name, fc, index=False, fmt=fmt), kinds)
        )
        for fmt in ("flatgeobuf", "geoparquet")
    ]


def _cells(fc: dict, k: int) -> list[tuple[float, float, float, float]]:
    """A k × k grid of cells over the bounds of ``fc``, opened at the world's edge."""
    b = shapely.total_bounds([shapely.geometry.shape(f["geometry"]) for f in fc["features"]])
    xs, ys = np.linspace(b[0], b[2], k + 1), np.linspace(b[1], b[3], k + 1)
    world = tuple(float(v) for v in b)
    return [
        tile_files.open_cell(
            (float(xs[i]), float(ys[j]), float(xs[i + 1]), float(ys[j + 1])), world
        )
        for i in range(k)
        for j in range(k)
    ]


def _wkb(geoms) -> list[bytes]:
    return [shapely.to_wkb(g) for g in geoms]


@pytest.mark.parametrize(("row_group_size", "covering"), [(7, True), (50, True), (16, False)])
def test_geoparquet_windows_and_groups_are_those_of_flatgeobuf(
    tmp_path, row_group_size, covering
) -> None:
    """The same features, positions and reports from both formats, for every cell."""
    f = Files(tmp_path, "geoparquet", row_group_size, covering)
    try:
        c = synthetic.city(400, seed=21)
        trees = _descriptions(f, "trees", c["trees"], ("Point", "MultiPoint"))
        crowns = _descriptions(f, "canopy", c["canopy"], ("Polygon", "MultiPolygon"))
        seen_trees, seen_crowns = [], []
        for cell in _cells(c["trees"], 3):
            box = tile_files._finite(tile_files._grown(cell, 30.0))
            fgb, gpq = (tile_files.read_window(d, box, cell) for d in trees)
            assert gpq.fids.tolist() == fgb.fids.tolist()
            assert _wkb(gpq.geometries) == _wkb(fgb.geometries)
            assert gpq.report == fgb.report
            seen_trees.extend(gpq.fids.tolist())
            (g_fgb, k_fgb, r_fgb), (g_gpq, k_gpq, r_gpq) = (
                tile_files.whole_groups(d, cell) for d in crowns
            )
            assert k_gpq.tolist() == k_fgb.tolist() and _wkb(g_gpq) == _wkb(g_fgb)
            assert r_gpq == r_fgb
            seen_crowns.extend(k_gpq.tolist())
        # every crown is in exactly one tile's groups, at its position in the collection
        n_crowns = len(c["canopy"]["features"])
        assert sorted(seen_crowns) == list(range(n_crowns))
        assert r_gpq.header == n_crowns and gpq.report.header == len(c["trees"]["features"])
        assert len(set(seen_trees)) == len(c["trees"]["features"])  # windows overlap
    finally:
        sources.set_locator(None)


def _description(source: dict, name: str) -> dict:
    return tile_files.file_of(tile_files.DeferredLayer(name, source, ("Point", "MultiPoint")))


def _gpq_source(path: Path, fc: dict, **kw) -> dict:
    write_gpq(path, fc, **kw)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    sources.set_locator(lambda name, value: str(path))
    return sources.file_source(fmt="geoparquet", href=str(path), bbox=None, sha256=sha)


def test_a_covering_off_its_geometries_makes_a_window_irregular(tmp_path) -> None:
    """A tile keeps rows by their covering box: one 300 m off could hide a tree from it.

    Off by 300 m (more than the 100 m read margin) the tile reports the file irregular,
    so the run starts again reading it whole; off by 50 m the grown read box still finds
    every tree, and the window is the true one.
    """
    c = synthetic.city(300, seed=5)
    cell = (-math.inf, -math.inf, math.inf, math.inf)
    b = shapely.total_bounds(
        [shapely.geometry.shape(f["geometry"]) for f in c["trees"]["features"]]
    )
    box = (float(b[0]), float(b[1]), float((b[0] + b[2]) / 2), float(b[3]))
    try:
        true = _gpq_source(tmp_path / "true.parquet", c["trees"])
        want = tile_files.read_window(_description(true, "trees"), box, cell)
        assert want.report.irregular == "" and len(want.fids)
        for shift, bad in ((300.0, True), (50.0, False)):
            src = _gpq_source(
                tmp_path / f"off{shift}.parquet", c["trees"], covering_shift=(0, shift)
            )
            got = tile_files.read_window(_description(src, "trees"), box, cell)
            assert bool(got.report.irregular) is bad, got.report.irregular
            if not bad:
                assert got.fids.tolist() == want.fids.tolist()
    finally:
        sources.set_locator(None)


def test_a_covering_the_file_lacks_is_no_covering(tmp_path) -> None:
    """The metadata names a covering column the file does not have: read without it, exactly."""
    c = synthetic.city(200, seed=6)
    try:
        src = _gpq_source(tmp_path / "t.parquet", c["trees"], covering_name="nope")
        b = shapely.total_bounds(
            [shapely.geometry.shape(f["geometry"]) for f in c["trees"]["features"]]
        )
        box = [float(b[0]), float(b[1]), float((b[0] + b[2]) / 2), float(b[3])]
        got = sources.read_table("trees", {**src, "bbox": box}, fids=True)
        pts = np.asarray([shapely.geometry.shape(f["geometry"]) for f in c["trees"]["features"]])
        inside = np.flatnonzero(shapely.intersects(pts, shapely.box(*box)))
        assert got.fids.tolist() == inside.tolist()
    finally:
        sources.set_locator(None)


def _province_like(
    path: Path, n: int, *, ordered: bool, row_group_size: int, covering: bool
) -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform([120000, 480000], [140000, 500000], size=(n, 2))
    if ordered:  # strips of 1 km, then y within: compact row groups
        xy = xy[np.lexsort((xy[:, 1], xy[:, 0] // 1000))]
    fc = rd_collection([point_feature(float(x), float(y)) for x, y in xy])
    write_gpq(path, fc, row_group_size=row_group_size, covering=covering)


@pytest.mark.parametrize(
    ("ordered", "row_group_size", "covering", "expected"),
    [
        (True, 10_000, True, True),  # compact row groups with statistics
        (False, 10_000, True, False),  # every row group spans the file
        (True, 10_000, False, False),  # no covering: every tile would decode every row
        (True, 200_000, True, False),  # one row group of all rows
    ],
)
def test_only_a_geoparquet_whose_windows_read_cheaply_is_left_to_the_tiles(
    tmp_path, ordered, row_group_size, covering, expected
) -> None:
    n = sources.WINDOW_ROW_GROUP_MAX + 20_000
    path = tmp_path / "big.parquet"
    _province_like(path, n, ordered=ordered, row_group_size=row_group_size, covering=covering)
    assert sources.windowable(str(path), "geoparquet") is expected
    small = tmp_path / "small.parquet"  # a small file is read whole by each tile: cheap
    _province_like(small, 500, ordered=False, row_group_size=500, covering=False)
    assert sources.windowable(str(small), "geoparquet") is True


def test_a_long_chain_of_crowns_is_read_once_not_once_per_step(files, monkeypatch) -> None:
    """200 crowns overlapping in a 2 km chain across four cells: the owner reads each about once.

    The read box grows 50 m past what it has read at each step (~40 steps); reading only
    what a step adds, the crowns read in all stay near 200 (reading the whole grown box
    each step read ~4,000). The owner gets the whole chain, the other cells none of it.
    """
    chain = [feature(box(X + 10 * i, Y, X + 10 * i + 12, Y + 5)) for i in range(200)]
    source = files.add("canopy", rd_collection(chain), index=False)
    file = tile_files.file_of(tile_files.DeferredLayer("canopy", source, ("Polygon",)))
    read: list[int] = []
    real = tile_files.read_window

    def counted(f, bbox, cell):
        win = real(f, bbox, cell)
        read.append(len(win.fids))
        return win

    monkeypatch.setattr(tile_files, "read_window", counted)
    cuts = [-math.inf, X + 500, X + 1000, X + 1500, math.inf]
    got = []
    for a, b in itertools.pairwise(cuts):
        read.clear()
        _, fids, report = tile_files.whole_groups(file, (a, -math.inf, b, math.inf))
        got.append((fids.tolist(), sum(read), report.owned))
    owner_fids, owner_read, _ = got[0]  # crown 0's box centre lies in the first cell
    assert owner_fids == list(range(200))
    assert owner_read <= 2 * 200
    assert all(fids == [] for fids, _, _ in got[1:])
    assert sum(owned for _, _, owned in got) == 200  # each crown owned once, by box centre


# -------------------------------------------------------------- files taken as they are


def _bowtie() -> dict:
    ring = [
        [X + 500, Y + 500],
        [X + 510, Y + 510],
        [X + 510, Y + 500],
        [X + 500, Y + 510],
        [X + 500, Y + 500],
    ]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {},
    }


def _lonlat(fc: dict) -> dict:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    feats = []
    for f in fc["features"]:
        x, y = f["geometry"]["coordinates"]
        lon, lat = t.transform(x, y)
        feats.append({**f, "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    return {"type": "FeatureCollection", "features": feats}


IRREGULAR = {
    # what the file holds -> (which layer, the warning code one piece gives)
    "an invalid crown": ("canopy", "geometries-repaired"),
    "a tree without geometry": ("trees", "features-dropped"),
    "trees in another CRS": ("trees", None),
    "crowns 5 km away": ("canopy", "no-overlap"),
}


@pytest.mark.parametrize("fmt", ["flatgeobuf", "geoparquet"])
@pytest.mark.parametrize("case", sorted(IRREGULAR))
def test_an_irregular_file_is_read_whole_with_the_one_piece_warnings(
    files, case, fmt, monkeypatch
) -> None:
    from gsl_indicators.core import run

    collected: list[int] = []  # the first attempt's frozen garbage, before the second
    monkeypatch.setattr(run, "collect_frozen", lambda: collected.append(1))
    files.fmt = fmt
    c = synthetic.city(300, seed=7)
    trees, canopy = c["trees"], c["canopy"]
    crs = "EPSG:28992"
    if case == "an invalid crown":
        canopy = {**canopy, "features": [*canopy["features"], _bowtie()]}
    elif case == "a tree without geometry":
        trees = {
            **trees,
            "features": [
                *trees["features"],
                {"type": "Feature", "geometry": None, "properties": {}},
            ],
        }
    elif case == "trees in another CRS":
        trees, crs = _lonlat(trees), "EPSG:4326"
    elif case == "crowns 5 km away":
        canopy = {
            **canopy,
            "features": [
                {
                    **f,
                    "geometry": shapely.geometry.mapping(
                        shapely.affinity.translate(shapely.geometry.shape(f["geometry"]), xoff=8000)
                    ),
                }
                for f in canopy["features"]
            ],
        }
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs["trees"] = files.add(
        "trees", trees, crs=crs if case == "trees in another CRS" else "EPSG:28992"
    )
    inputs["canopy"] = files.add("canopy", canopy)
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(60, watch))
    assert watch.attempts == [{"trees", "canopy"}, set()]  # tried, then read whole
    assert collected == [1]
    same_but_tiles(one, many)
    layer, code = IRREGULAR[case]
    if code is not None:
        assert any(
            w["code"] == code and w["input"] == layer for w in many["data_quality"]["warnings"]
        )
    if case == "trees in another CRS":
        assert many["data_quality"]["reprojected"]["trees"]["from"] == "OGC:CRS84"


def test_deferral_needs_files_by_reference_and_every_tree(files) -> None:
    c = synthetic.city(200, seed=3)
    base = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    trees, canopy = files.add("trees", c["trees"]), files.add("canopy", c["canopy"])
    for inputs, expected in (
        ({**base, "trees": trees, "canopy": canopy}, {"trees", "canopy"}),
        ({**base, "trees": c["trees"], "canopy": canopy}, {"canopy"}),
        ({**base, "trees": trees, "canopy": c["canopy"]}, {"trees"}),
        ({**base, "canopy": canopy}, set()),  # crowns stand in for trees: the parent reads them
        (
            {
                **base,
                "trees": trees,
                "canopy": canopy,
                "min_tree_size_m": 5.0,
                "tree_size_property": "height",
            },
            {"canopy"},
        ),
        (
            {**base, "trees": sources.with_bbox(trees, (0, 0, 1e6, 1e6)), "canopy": canopy},
            {"canopy"},
        ),
    ):
        watch = Watch()
        one = execute(GREEN, inputs)
        many = execute(GREEN, inputs, tiles=tiled(50, watch))
        assert watch.attempts == [expected]
        same_but_tiles(one, many)


def test_a_request_that_is_not_tiled_reads_its_files_whole(files) -> None:
    c = synthetic.city(200, seed=5)
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs["trees"], inputs["canopy"] = (
        files.add("trees", c["trees"]),
        files.add("canopy", c["canopy"]),
    )
    one = execute(GREEN, inputs)
    watch = Watch()
    small = execute(
        GREEN, inputs, tiles=TileOptions(features_per_tile=50, threshold=10**6, runner=watch)
    )
    assert watch.attempts == [] and "tiles" not in small["provenance"]
    assert small == one


# ------------------------------------------------------------------------ the pieces


def test_open_cells_partition_the_plane() -> None:
    world = (0.0, 0.0, 10.0, 10.0)
    cells = [(0.0, 0.0, 5.0, 10.0), (5.0, 0.0, 10.0, 4.0), (5.0, 4.0, 10.0, 10.0)]
    opened = [tile_files.open_cell(c, world) for c in cells]
    xy = np.array([[-1e9, 3.0], [5.0, 4.0], [5.0, 3.999], [1e9, 1e9], [4.999, -7.0]])
    owners = np.array([tile_files._in_cell(xy, c) for c in opened])
    assert owners.sum(axis=0).tolist() == [1] * len(xy)
    assert owners.argmax(axis=0).tolist() == [0, 2, 1, 2, 0]


def test_settle_refuses_a_shortfall_and_adds_up_the_rest() -> None:
    layer = tile_files.DeferredLayer("trees", {}, ("Point",))
    parts = [
        {
            "files": {
                "trees": {
                    "owned": 2,
                    "bounds": [0, 0, 1, 1],
                    "header": 5,
                    "irregular": "",
                    "extent": 1,
                }
            }
        },
        {
            "files": {
                "trees": {
                    "owned": 3,
                    "bounds": [2, -1, 3, 0],
                    "header": 5,
                    "irregular": "",
                    "extent": 0,
                }
            }
        },
    ]
    tile_files.settle([layer], parts, (0, 0, 3, 1))
    assert (layer.features, layer.given, layer.bounds) == (5, 5, (0.0, -1.0, 3.0, 1.0))
    parts[0]["files"]["trees"]["extent"] = 101  # a feature wider than the read margin
    with pytest.raises(tile_files.Undefer, match="beyond the read margin"):
        tile_files.settle([layer], parts, (0, 0, 3, 1))
    parts[0]["files"]["trees"]["extent"] = 1
    parts[1]["files"]["trees"]["owned"] = 2  # a feature no tile read: null or empty
    with pytest.raises(tile_files.Undefer, match="without a box"):
        tile_files.settle([layer], parts, (0, 0, 3, 1))


def test_the_parent_makes_the_outputs_dicts_while_the_tiles_run(files, monkeypatch) -> None:
    """Homes from a file: their output dicts are made once every tile is handed out."""
    c = synthetic.city(400, seed=9)
    inputs = {k: c[k] for k in ("parks", "neighbourhoods")}
    for name in ("buildings", "trees", "canopy"):
        inputs[name] = files.add(name, c[name])
    events: list[str] = []
    made = sources.TableFeatures.make_ready

    def spy(self) -> None:
        events.append("ready")
        made(self)

    monkeypatch.setattr(sources.TableFeatures, "make_ready", spy)

    class Runner(Watch):
        def __call__(self, payloads, on_tile):
            for i in range(len(payloads)):
                _ = payloads[i]  # the runner hands the tile out
                events.append(f"tile {i} out")
            events.append("tiles run")
            return super().__call__(payloads, on_tile)

    runner = Runner()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(60, runner))
    n = many["provenance"]["tiles"]
    # made once, as the last tile is handed out, before the tiles run (and not again)
    assert events.index("ready") == n - 1 and events.count("ready") == 1
    assert events[-1] == "tiles run" and runner.attempts == [{"trees", "canopy"}]
    same_but_tiles(one, many)


def _corner_city(files: Files, canopy: list) -> dict:
    """16 homes in four groups, so four tiles meet at (X + 250, Y + 250) ± a little."""
    homes = [
        point_feature(X + dx, Y + dy, dwellings=1)
        for dx in (-300, -250, 250, 300)
        for dy in (-300, -250, 250, 300)
    ]
    return {
        "buildings": rd_collection(homes),
        "neighbourhoods": rd_collection(
            [box_feature(X - 1000, Y - 1000, X + 1000, Y + 1000, "BU01")]
        ),
        "parks": rd_collection([feature(box(X + 2000, Y, X + 2100, Y + 100), "P1")]),
        "trees": files.add("trees", rd_collection([feature(point(X + 5, Y + 5))])),
        "canopy": files.add("canopy", rd_collection(canopy), index=False),
    }


def test_a_crown_whose_box_but_not_shape_meets_a_tile_is_still_grouped(files) -> None:
    """GDAL reads by shape, groups go by box: an L-shaped crown around a tile's read box.

    Four tiles meet at (xc, yc); the lower left one first reads its cell grown by 50 m,
    up to (xc + 50, yc + 50). C (first in the file, its centre in the upper right cell)
    is a 2 m wide L with arms at y = yc + 51 … 53 and x = xc + 51 … 53: its shape stays
    outside that box, but its box (xc - 10 … xc + 53) overlaps M's (xc - 10 … xc - 2),
    so {C, M} is one group, the upper right tile's. Read by shape alone, the lower left
    tile would take {M} for a whole group of its own and count M twice. Canopy: C
    63 × 2 + 2 × 61 = 248 m², M 8 × 8 = 64 m²: 312 m².
    """
    xc, yc = X + 250, Y + 250
    ell = [
        [xc - 10, yc + 51],
        [xc + 51, yc + 51],
        [xc + 51, yc - 10],
        [xc + 53, yc - 10],
        [xc + 53, yc + 53],
        [xc - 10, yc + 53],
    ]
    c = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[*ell, ell[0]]]},
        "properties": {},
    }
    m = feature(box(xc - 10, yc - 10, xc - 2, yc - 2))
    inputs = _corner_city(files, [c, m])
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(4, watch))
    assert many["provenance"]["tiles"] == 4 and watch.attempts == [{"trees", "canopy"}]
    same_but_tiles(one, many)
    area = many["neighbourhoods"]["features"][0]["properties"]["canopy_area_m2"]
    assert area == pytest.approx(312, abs=0.01)


def test_a_crown_wider_than_the_read_margin_sends_the_file_to_the_parent(files) -> None:
    big = feature(box(X - 200, Y - 200, X + 200, Y + 200))  # 400 m: beyond READ_MARGIN_M
    inputs = _corner_city(files, [big, feature(box(X + 240, Y + 240, X + 250, Y + 250))])
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(4, watch))
    assert watch.attempts == [{"trees", "canopy"}, set()]  # tried, then read whole
    same_but_tiles(one, many)


@pytest.mark.parametrize("extent", ["empty", "half"])
def test_a_canopy_extent_with_crowns_read_by_the_tiles(files, extent) -> None:
    c = synthetic.city(300, seed=4)
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs["trees"], inputs["canopy"] = (
        files.add("trees", c["trees"]),
        files.add("canopy", c["canopy"]),
    )
    b = shapely.total_bounds(
        [shapely.geometry.shape(f["geometry"]) for f in c["buildings"]["features"]]
    )
    half = box(b[0], b[1], (b[0] + b[2]) / 2, b[3])
    inputs["canopy_extent"] = rd_collection([] if extent == "empty" else [feature(half)])
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(60, watch))
    assert watch.attempts == [{"trees", "canopy"}]
    same_but_tiles(one, many)
    covered = [f["properties"]["canopy_coverage"] for f in many["neighbourhoods"]["features"]]
    assert (min(covered) < 1.0) == (extent == "half")


def test_multipoint_trees_are_read_by_the_tiles(files) -> None:
    c = synthetic.city(300, seed=8)
    pts = [shapely.geometry.shape(f["geometry"]) for f in c["trees"]["features"]]
    pairs = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": shapely.geometry.mapping(shapely.MultiPoint([a, b])),
        }
        for a, b in zip(pts[::2], pts[1::2], strict=False)
    ]
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs["trees"] = files.add("trees", rd_collection(pairs))
    inputs["canopy"] = files.add("canopy", c["canopy"])
    watch = Watch()
    one = execute(GREEN, inputs)
    many = execute(GREEN, inputs, tiles=tiled(60, watch))
    assert watch.attempts[0] == {"trees", "canopy"}
    same_but_tiles(one, many)
