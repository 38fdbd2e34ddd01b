"""Seeded synthetic cities for tests and benchmarks.

:func:`city` lays out a grid city in EPSG:28992 (RD New, around Amsterdam): square
blocks separated by streets, neighbourhoods of k × k blocks that tile the plane along
street centre lines, homes in residential blocks, parks in park blocks, trees along
the streets, in gardens and in clumps in parks, canopy crowns around most trees (the
clumps overlap), facilities, cool places and play areas. Everything is drawn with
numpy from one seed, so the same arguments always give the same city, and sizes scale
with ``n_buildings`` (defaults give, for 100,000 buildings, ~300,000 trees,
~270,000 crowns, 2,000 parks, ~500 neighbourhoods and ~100,000 network edges).

Geometry layout (block pitch ``P = block_m + street_m``)::

    street centre lines at x = X0 + i·P and y = Y0 + j·P
    block (i, j) spans [X0 + i·P + street_m/2, X0 + i·P + street_m/2 + block_m]
    footpaths cross each block through its centre and meet the streets at the
    midpoints of the street segments (shared vertices: a clean graph)

This module generates data; it does no I/O.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gsl_indicators.core.examples import rd_collection

__all__ = ["FACILITY_TYPES", "LAYERS", "X0", "Y0", "city"]

X0 = 120_000.0
Y0 = 480_000.0
FACILITY_TYPES: dict[str, float] = {
    # facilities per 1,000 buildings
    "supermarkt": 1.0,
    "huisarts": 1.0,
    "apotheek": 0.5,
    "zorgpunt": 0.5,
    "school": 1.0,
}
LAYERS = (
    "buildings",
    "trees",
    "canopy",
    "parks",
    "neighbourhoods",
    "network",
    "facilities",
    "cool_places",
    "play_areas",
)


def _boxes(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> list[Any]:
    """Return GeoJSON Polygon coordinate lists of axis-aligned boxes (rounded to mm)."""
    ring = np.stack(
        [
            np.stack([x0, y0], -1),
            np.stack([x1, y0], -1),
            np.stack([x1, y1], -1),
            np.stack([x0, y1], -1),
            np.stack([x0, y0], -1),
        ],
        axis=1,
    )
    return np.round(ring, 3)[:, None, :, :].tolist()


def _collection(
    kind: str, coords: list[Any], props: list[dict[str, Any]], prefix: str
) -> dict[str, Any]:
    feats = [
        {
            "type": "Feature",
            "id": f"{prefix}{i}",
            "geometry": {"type": kind, "coordinates": c},
            "properties": p,
        }
        for i, (c, p) in enumerate(zip(coords, props, strict=True))
    ]
    return rd_collection(feats)


def city(
    n_buildings: int = 1000,
    seed: int = 0,
    *,
    trees_per_building: float = 3.0,
    crowns_per_tree: float = 0.9,
    parks_per_building: float = 0.02,
    buildings_per_neighbourhood: float = 200.0,
    other_block_share: float = 0.08,
    split_park_share: float = 0.3,
    missing_dwellings_share: float = 0.0,
    building_points: bool = False,
    block_m: float = 100.0,
    street_m: float = 20.0,
    street_split: int = 4,
) -> dict[str, dict[str, Any]]:
    """Generate a seeded synthetic city as GeoJSON FeatureCollections in EPSG:28992.

    Parameters
    ----------
    n_buildings : int
        Number of homes (16 per residential block, 4 × 4).
    seed : int
        Random seed; the same arguments always give the same city.
    trees_per_building : float
        Tree points per building (half along streets, 30 % in park clumps, 20 % in
        gardens).
    crowns_per_tree : float
        Share of trees that get a canopy crown (a 16-gon of radius 2–6 m); crowns in
        park clumps overlap.
    parks_per_building : float
        Parks per building (one park per park block, 50–140 m a side, so about half
        reach 1 ha; some spill over a street).
    buildings_per_neighbourhood : float
        Sets the neighbourhood size (k × k blocks).
    other_block_share : float
        Share of blocks without homes or parks (offices, water).
    split_park_share : float
        Share of parks drawn as 2–3 touching strips (one park, several polygons).
    missing_dwellings_share : float
        Share of buildings without a ``dwellings`` property.
    building_points : bool
        Give buildings as points (their centroids, like address points) instead of
        footprints.
    block_m, street_m : float
        Block side and street width (street centre line to centre line: their sum).
    street_split : int
        Pieces per street segment between crossings (rounded up to an even number so
        that footpaths meet the streets at a vertex).

    Returns
    -------
    dict
        Keys ``buildings`` (footprints, ``dwellings``), ``trees`` (points), ``canopy``
        (crown polygons), ``parks`` (polygons; ``park_id`` shared by the strips of a
        split park), ``neighbourhoods`` (polygons, ``code``), ``network``
        (LineStrings, ``highway`` footway/residential), ``facilities`` (points,
        ``type``), ``cool_places`` and ``play_areas`` (polygons); each a
        FeatureCollection with the legacy ``crs`` member for EPSG:28992.

    Examples
    --------
    >>> c = city(200, seed=1)
    >>> sorted(c) == sorted(LAYERS)
    True
    >>> len(c["buildings"]["features"])
    200
    >>> city(200, seed=1)["trees"] == c["trees"]
    True
    """
    rng = np.random.default_rng(seed)
    n_buildings = int(n_buildings)
    pitch = block_m + street_m
    half = street_m / 2
    per_block = 16
    n_res = max(1, math.ceil(n_buildings / per_block))
    n_parks = max(1, round(n_buildings * parks_per_building))
    n_other = round((n_res + n_parks) * other_block_share / max(1e-9, 1 - other_block_share))
    n_blocks = n_res + n_parks + n_other
    g = math.ceil(math.sqrt(n_blocks))
    order = rng.permutation(g * g)
    res_blocks = np.sort(order[:n_res])
    park_blocks = np.sort(order[n_res : n_res + n_parks])
    bi, bj = np.divmod(np.arange(g * g), g)  # column, row of every block
    bx = X0 + bi * pitch + half  # block lower-left corner
    by = Y0 + bj * pitch + half

    # --- buildings: 4 × 4 per residential block, 25 m pitch, gap on the centre line
    k = np.arange(n_buildings)
    blk = res_blocks[k // per_block]
    a, b = np.divmod(k % per_block, 4)
    cell = block_m / 4
    w = cell * 0.72 - rng.uniform(0, cell * 0.16, n_buildings)
    h = cell * 0.56 - rng.uniform(0, cell * 0.16, n_buildings)
    jx = rng.uniform(-1.0, 1.0, n_buildings) * (cell * 0.06)
    jy = rng.uniform(-1.0, 1.0, n_buildings) * (cell * 0.06)
    x0 = bx[blk] + a * cell + cell * 0.14 + jx
    y0 = by[blk] + b * cell + cell * 0.2 + jy
    x1 = x0 + w
    y1 = y0 + h
    kind = rng.random(n_buildings)
    dwellings = np.where(
        kind < 0.7,
        1,
        np.where(kind < 0.9, rng.integers(2, 9, n_buildings), rng.integers(10, 61, n_buildings)),
    )
    missing = rng.random(n_buildings) < missing_dwellings_share
    b_props: list[dict[str, Any]] = [
        {} if m else {"dwellings": int(d)}
        for d, m in zip(dwellings.tolist(), missing.tolist(), strict=True)
    ]
    if building_points:
        b_coords = np.round(np.stack([(x0 + x1) / 2, (y0 + y1) / 2], -1), 3).tolist()
        buildings = _collection("Point", b_coords, b_props, "b")
    else:
        buildings = _collection("Polygon", _boxes(x0, y0, x1, y1), b_props, "b")

    # --- parks: one per park block, 50–140 m a side, some split into touching strips
    pw = rng.uniform(50, 140, n_parks)
    ph = rng.uniform(50, 140, n_parks)
    pcx = bx[park_blocks] + block_m / 2 + rng.uniform(-10, 10, n_parks)
    pcy = by[park_blocks] + block_m / 2 + rng.uniform(-10, 10, n_parks)
    px0, px1 = pcx - pw / 2, pcx + pw / 2
    py0, py1 = pcy - ph / 2, pcy + ph / 2
    nstrips = np.where(rng.random(n_parks) < split_park_share, rng.integers(2, 4, n_parks), 1)
    owner = np.repeat(np.arange(n_parks), nstrips)
    strip = np.arange(len(owner)) - np.repeat(np.cumsum(nstrips) - nstrips, nstrips)
    sw = pw[owner] / nstrips[owner]
    sx0 = px0[owner] + strip * sw
    sx1 = np.where(strip == nstrips[owner] - 1, px1[owner], sx0 + sw)
    parks = _collection(
        "Polygon",
        _boxes(sx0, py0[owner], sx1, py1[owner]),
        [
            {"park_id": int(o), "part": int(s)}
            for o, s in zip(owner.tolist(), strip.tolist(), strict=True)
        ],
        "p",
    )

    # --- trees: street trees, park clumps, garden trees
    n_trees = round(n_buildings * trees_per_building)
    tx, ty, kinds = _tree_positions(
        rng,
        n_trees=n_trees,
        blocks=(bx, by, g, block_m, cell),
        parks=(px0, py0, px1, py1),
        res_blocks=res_blocks,
    )
    tkind = np.repeat(["street", "park", "garden"], kinds)
    trees = _collection(
        "Point",
        np.round(np.stack([tx, ty], -1), 3).tolist(),
        [{"kind": str(s)} for s in tkind.tolist()],
        "t",
    )

    # --- canopy crowns around a subset of trees (16-gons)
    n_crowns = round(n_trees * crowns_per_tree)
    ci = np.sort(rng.choice(n_trees, size=min(n_crowns, n_trees), replace=False))
    r = rng.uniform(2, 6, len(ci))
    ang = np.linspace(0, 2 * np.pi, 17)
    ang[-1] = 0.0
    cx = tx[ci][:, None] + r[:, None] * np.cos(ang)[None, :]
    cy = ty[ci][:, None] + r[:, None] * np.sin(ang)[None, :]
    crowns = np.round(np.stack([cx, cy], -1), 3)
    crowns[:, -1] = crowns[:, 0]
    canopy = _collection(
        "Polygon",
        crowns[:, None].tolist(),
        [{"tree": f"t{i}", "radius_m": round(float(v), 2)} for i, v in zip(ci, r, strict=True)],
        "c",
    )

    # --- neighbourhoods: k × k blocks, along street centre lines
    kk = max(1, round(math.sqrt(g * g / max(1.0, n_buildings / buildings_per_neighbourhood))))
    nn = math.ceil(g / kk)
    ni, nj = np.divmod(np.arange(nn * nn), nn)
    nx0 = X0 + ni * kk * pitch
    ny0 = Y0 + nj * kk * pitch
    nx1 = np.minimum(nx0 + kk * pitch, X0 + g * pitch)
    ny1 = np.minimum(ny0 + kk * pitch, Y0 + g * pitch)
    neighbourhoods = _collection(
        "Polygon",
        _boxes(nx0, ny0, nx1, ny1),
        [{"code": f"BU{i:04d}", "name": f"Buurt {i}"} for i in range(nn * nn)],
        "n",
    )

    # --- network: streets split into pieces, footpaths crossing every block
    split = max(2, street_split + (street_split % 2))
    frac = np.arange(split + 1) / split
    line_idx = np.arange(g + 1)
    seg_idx = np.arange(g)
    li2d, si2d = np.meshgrid(line_idx, seg_idx, indexing="ij")
    li, si = li2d.ravel(), si2d.ravel()
    # vertical streets: x fixed, y from seg start to end, split into pieces
    ys = Y0 + (si[:, None] + frac[None, :]) * pitch
    xs = np.broadcast_to((X0 + li * pitch)[:, None], ys.shape)
    v_pts = np.stack([xs, ys], -1)
    h_pts = v_pts[..., ::-1] - np.array([Y0 - X0, X0 - Y0])
    street_pts = np.concatenate([v_pts, h_pts])
    street_lines = np.stack([street_pts[:, :-1], street_pts[:, 1:]], axis=2).reshape(-1, 2, 2)
    cxb = X0 + bi * pitch + pitch / 2
    cyb = Y0 + bj * pitch + pitch / 2
    centre = np.stack([cxb, cyb], -1)
    ends = np.stack(
        [
            np.stack([cxb, cyb - pitch / 2], -1),
            np.stack([cxb, cyb + pitch / 2], -1),
            np.stack([cxb - pitch / 2, cyb], -1),
            np.stack([cxb + pitch / 2, cyb], -1),
        ],
        axis=1,
    )
    path_lines = np.stack([ends, np.broadcast_to(centre[:, None, :], ends.shape)], axis=2)
    path_lines = path_lines.reshape(-1, 2, 2)
    all_lines = np.round(np.concatenate([street_lines, path_lines]), 3)
    highway = ["residential"] * len(street_lines) + ["footway"] * len(path_lines)
    network = _collection(
        "LineString", all_lines.tolist(), [{"highway": hw} for hw in highway], "e"
    )

    # --- facilities: points just inside a block edge
    f_types: list[str] = []
    for name, per_1000 in FACILITY_TYPES.items():
        f_types += [name] * max(1, round(n_buildings * per_1000 / 1000))
    nf = len(f_types)
    fb = order[: n_res + n_parks + n_other][rng.integers(0, n_res + n_parks + n_other, nf)]
    fx = bx[fb] + rng.uniform(3, block_m - 3, nf)
    fy = by[fb] + np.where(rng.random(nf) < 0.5, 3.0, block_m - 3.0)
    facilities = _collection(
        "Point",
        np.round(np.stack([fx, fy], -1), 3).tolist(),
        [{"type": s, "name": f"{s} {i}"} for i, s in enumerate(f_types)],
        "f",
    )

    # --- cool places (8–25 m a side, so some are below 200 m²), mostly in parks
    n_cool = max(2, n_buildings // 100)
    cp = rng.integers(0, n_parks, n_cool)
    cs = rng.uniform(8, 25, n_cool)
    ccx0 = rng.uniform(px0[cp], np.maximum(px0[cp], px1[cp] - cs))
    ccy0 = rng.uniform(py0[cp], np.maximum(py0[cp], py1[cp] - cs))
    cool_places = _collection(
        "Polygon",
        _boxes(ccx0, ccy0, ccx0 + cs, ccy0 + cs),
        [{"kind": "park shade"} for _ in range(n_cool)],
        "k",
    )

    # --- play areas (8–30 m a side), in parks and along the footpaths of home blocks
    n_play = max(2, n_buildings // 50)
    pp = rng.integers(0, n_parks, n_play)
    ps = rng.uniform(8, 30, n_play)
    plx0 = rng.uniform(px0[pp], np.maximum(px0[pp], px1[pp] - ps))
    ply0 = rng.uniform(py0[pp], np.maximum(py0[pp], py1[pp] - ps))
    play_areas = _collection(
        "Polygon",
        _boxes(plx0, ply0, plx0 + ps, ply0 + ps),
        [{"kind": "speeltuin"} for _ in range(n_play)],
        "s",
    )
    return {
        "buildings": buildings,
        "trees": trees,
        "canopy": canopy,
        "parks": parks,
        "neighbourhoods": neighbourhoods,
        "network": network,
        "facilities": facilities,
        "cool_places": cool_places,
        "play_areas": play_areas,
    }


def province(
    n_homes: int = 650_000,
    seed: int = 0,
    *,
    n_trees: int | None = None,
    n_crowns: int | None = None,
    n_neighbourhoods: int | None = None,
    parks_per_home: float = 0.005,
    block_m: float = 100.0,
    street_m: float = 20.0,
) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Generate a seeded synthetic province as columns (shapely arrays), vectorised.

    The layout of :func:`city` (16 homes per residential block, park blocks, trees along
    streets, in park clumps and gardens, crowns around trees) at province size, without
    one Python object per feature besides the geometries: 650,000 homes, 2,000,000 trees,
    1,500,000 crowns and 1,500 neighbourhoods by default, generated in seconds. Counts
    other than homes scale with ``n_homes`` unless given. Neighbourhoods are a 5 × 3
    ratio grid of equal rectangles over the province that ignores the blocks, so their
    edges cut through blocks and parks (as tiles do).

    Parameters
    ----------
    n_homes : int
        Homes (footprints, property ``dwellings``).
    seed : int
        Random seed; the same arguments always give the same province.
    n_trees, n_crowns, n_neighbourhoods : int, optional
        Default ``n_homes`` × 2,000,000 / 650,000, × 1,500,000 / 650,000 and
        × 1,500 / 650,000 (at least 1).
    parks_per_home : float
        Park blocks per home (a park of 50–140 m a side each, 30 % split into strips).
    block_m, street_m : float
        Block side and street width.

    Returns
    -------
    dict
        ``buildings``, ``trees``, ``canopy``, ``parks``, ``neighbourhoods``: each
        ``(geometries, columns)`` in EPSG:28992 — a numpy array of shapely geometries
        and a dict of numpy property columns (``id``, ``dwellings`` for homes; ``kind``
        for trees; ``park_id`` for parks; ``code`` for neighbourhoods).

    Examples
    --------
    >>> p = province(1300, seed=3)
    >>> {k: len(v[0]) for k, v in p.items()}
    {'buildings': 1300, 'trees': 4000, 'canopy': 3000, 'parks': 7, 'neighbourhoods': 3}
    >>> bool((province(1300, seed=3)["trees"][0] == p["trees"][0]).all())
    True
    """
    import shapely

    rng = np.random.default_rng(seed)
    scale = n_homes / 650_000
    n_trees = max(1, round(2_000_000 * scale)) if n_trees is None else n_trees
    n_crowns = max(1, round(1_500_000 * scale)) if n_crowns is None else n_crowns
    n_nbh = max(1, round(1_500 * scale)) if n_neighbourhoods is None else n_neighbourhoods
    pitch = block_m + street_m
    half = street_m / 2
    per_block = 16
    n_res = max(1, math.ceil(n_homes / per_block))
    n_parks = max(1, round(n_homes * parks_per_home))
    n_other = round((n_res + n_parks) * 0.08 / 0.92)
    g = math.ceil(math.sqrt(n_res + n_parks + n_other))
    order = rng.permutation(g * g)
    res_blocks = np.sort(order[:n_res])
    park_blocks = np.sort(order[n_res : n_res + n_parks])
    bi, bj = np.divmod(np.arange(g * g), g)
    bx = X0 + bi * pitch + half
    by = Y0 + bj * pitch + half

    # homes: 4 × 4 per residential block
    k = np.arange(n_homes)
    blk = res_blocks[k // per_block]
    a, b = np.divmod(k % per_block, 4)
    cell = block_m / 4
    w = cell * 0.72 - rng.uniform(0, cell * 0.16, n_homes)
    h = cell * 0.56 - rng.uniform(0, cell * 0.16, n_homes)
    x0 = bx[blk] + a * cell + cell * 0.14 + rng.uniform(-1, 1, n_homes) * cell * 0.06
    y0 = by[blk] + b * cell + cell * 0.2 + rng.uniform(-1, 1, n_homes) * cell * 0.06
    kind = rng.random(n_homes)
    dwellings = np.where(
        kind < 0.7,
        1,
        np.where(kind < 0.9, rng.integers(2, 9, n_homes), rng.integers(10, 61, n_homes)),
    )
    homes = shapely.box(np.round(x0, 3), np.round(y0, 3), np.round(x0 + w, 3), np.round(y0 + h, 3))
    home_ids = np.char.add("b", k.astype(str)).astype(object)

    # parks: one per park block, some split into touching strips
    pw, ph = rng.uniform(50, 140, n_parks), rng.uniform(50, 140, n_parks)
    pcx = bx[park_blocks] + block_m / 2 + rng.uniform(-10, 10, n_parks)
    pcy = by[park_blocks] + block_m / 2 + rng.uniform(-10, 10, n_parks)
    px0, px1, py0, py1 = pcx - pw / 2, pcx + pw / 2, pcy - ph / 2, pcy + ph / 2
    nstrips = np.where(rng.random(n_parks) < 0.3, rng.integers(2, 4, n_parks), 1)
    owner = np.repeat(np.arange(n_parks), nstrips)
    strip = np.arange(len(owner)) - np.repeat(np.cumsum(nstrips) - nstrips, nstrips)
    sw = pw[owner] / nstrips[owner]
    sx0 = px0[owner] + strip * sw
    sx1 = np.where(strip == nstrips[owner] - 1, px1[owner], sx0 + sw)
    parks = shapely.box(
        np.round(sx0, 3), np.round(py0[owner], 3), np.round(sx1, 3), np.round(py1[owner], 3)
    )

    # trees: half along streets, 30 % in park clumps, 20 % in gardens
    tx, ty, kinds = _tree_positions(
        rng,
        n_trees=n_trees,
        blocks=(bx, by, g, block_m, cell),
        parks=(px0, py0, px1, py1),
        res_blocks=res_blocks,
    )
    tx, ty = np.round(tx, 3), np.round(ty, 3)
    trees = shapely.points(tx, ty)
    tkind = np.repeat(np.array(["street", "park", "garden"], dtype=object), kinds)

    # crowns: 12-gons of radius 2–6 m around a random subset of trees (in chunks)
    ci = np.sort(rng.choice(n_trees, size=min(n_crowns, n_trees), replace=False))
    r = rng.uniform(2, 6, len(ci))
    ang = np.linspace(0, 2 * np.pi, 13)
    cos, sin = np.cos(ang), np.sin(ang)
    parts = []
    for s in range(0, len(ci), 250_000):
        cx = tx[ci[s : s + 250_000], None] + r[s : s + 250_000, None] * cos
        cy = ty[ci[s : s + 250_000], None] + r[s : s + 250_000, None] * sin
        ring = np.round(np.stack([cx, cy], -1), 3)
        ring[:, -1] = ring[:, 0]
        parts.append(shapely.polygons(ring))
    crowns = np.concatenate(parts) if parts else np.empty(0, dtype=object)

    # neighbourhoods: an nx × ny grid of equal rectangles over the province
    ny = max(1, round(math.sqrt(n_nbh * 3 / 5)))
    nx = math.ceil(n_nbh / ny)
    side_m = g * pitch
    ni, nj = np.divmod(np.arange(n_nbh), ny)
    wx, wy = side_m / nx, side_m / ny
    nbh = shapely.box(X0 + ni * wx, Y0 + nj * wy, X0 + (ni + 1) * wx, Y0 + (nj + 1) * wy)
    # the last column may be short of rows: stretch its cells to the top edge
    last = ni == ni.max()
    if last.any() and (rows := int(last.sum())) < ny:
        top = Y0 + (nj[last] + 1) * (side_m / rows)
        nbh[last] = shapely.box(
            X0 + ni[last] * wx, Y0 + nj[last] * (side_m / rows), X0 + (ni[last] + 1) * wx, top
        )
    codes = np.char.add("BU", np.char.zfill(np.arange(n_nbh).astype(str), 5)).astype(object)
    return {
        "buildings": (homes, {"id": home_ids, "dwellings": dwellings.astype(np.int32)}),
        "trees": (trees, {"kind": tkind}),
        "canopy": (crowns, {}),
        "parks": (parks, {"park_id": owner.astype(np.int32)}),
        "neighbourhoods": (nbh, {"code": codes}),
    }


def _tree_positions(
    rng: np.random.Generator,
    *,
    n_trees: int,
    blocks: tuple[np.ndarray, np.ndarray, int, float, float],
    parks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    res_blocks: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int]]:
    """Draw tree positions: half along streets, 30 % in park clumps, 20 % in gardens.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator (draws in a fixed order, so a seed gives the same trees).
    n_trees : int
        Number of trees.
    blocks : tuple
        ``(bx, by, g, block_m, cell)``: block corners, blocks per side, block size and
        the width of a home's plot.
    parks : tuple of numpy.ndarray
        Park bounds ``(px0, py0, px1, py1)``.
    res_blocks : numpy.ndarray
        Indices of the residential blocks (gardens).

    Returns
    -------
    tuple
        x, y and the counts (street, park, garden), in that order of the arrays.
    """
    bx, by, g, block_m, cell = blocks
    px0, py0, px1, py1 = parks
    n_street, n_park_t = n_trees // 2, (n_trees * 3) // 10
    n_garden = n_trees - n_street - n_park_t
    sb = rng.integers(0, g * g, n_street)
    side = rng.integers(0, 4, n_street)
    t = rng.uniform(0, block_m, n_street)
    off = rng.uniform(2, 7, n_street)
    sx = np.select(
        [side == 0, side == 1, side == 2],
        [bx[sb] + t, bx[sb] + t, bx[sb] - off],
        bx[sb] + block_m + off,
    )
    sy = np.select(
        [side == 0, side == 1, side == 2],
        [by[sb] - off, by[sb] + block_m + off, by[sb] + t],
        by[sb] + t,
    )
    n_clumps = max(1, n_park_t // 6)
    clump_park = rng.integers(0, len(px0), n_clumps)
    ccx = rng.uniform(px0[clump_park], px1[clump_park])
    ccy = rng.uniform(py0[clump_park], py1[clump_park])
    tc = rng.integers(0, n_clumps, n_park_t)
    tp = clump_park[tc]
    ptx = np.clip(ccx[tc] + rng.normal(0, 5, n_park_t), px0[tp] + 0.5, px1[tp] - 0.5)
    pty = np.clip(ccy[tc] + rng.normal(0, 5, n_park_t), py0[tp] + 0.5, py1[tp] - 0.5)
    gb = res_blocks[rng.integers(0, len(res_blocks), n_garden)]
    gx = bx[gb] + rng.integers(0, 4, n_garden) * cell + rng.uniform(0, cell * 0.12, n_garden)
    gy = by[gb] + rng.uniform(0, block_m, n_garden)
    return (
        np.concatenate([sx, ptx, gx]),
        np.concatenate([sy, pty, gy]),
        (n_street, n_park_t, n_garden),
    )
