"""Tiled execution: one large request split into tiles with a halo, merged exactly.

An indicator whose answer for a feature depends only on what lies within a bounded
distance of it declares that distance, its **reach** (:class:`Tiling` on
:class:`~gsl_indicators.core.spec.Indicator`). A large request is then run as tiles:

1. **Plan** (:func:`plan_cells`). The plane is cut into rectangular cells with about
   ``features_per_tile`` of the primary features (``Indicator.features``) each: columns
   at quantiles of the features' box centres in x, then rows at quantiles in y within
   each column. The outermost cells reach to the edge of the *world* (the bounds of
   every layer), so the cells partition everything: each feature, crown or tree belongs
   to exactly one cell (its box centre, half-open intervals).
2. **Prepare** (the indicator's ``prepare``, in the parent). What is cheap or global is
   done once and sent whole to every tile (park groups and their targets — a park
   group read by a window could shrink — the neighbourhoods clipped to the canopy
   extent); the heavy per-feature work is cut: each tile gets its **core** features (the
   cell's) and each windowed layer's features whose box meets the tile's **window** —
   its cell and its core features' bounds, grown by the reach — with the values those
   features carry (``windowed_values``: exposure levels). A *grouped* layer goes
   to tiles by whole groups: each connected group of overlapping crowns to the tile
   holding its first crown, so no group is ever cut. Large layers given as files by
   reference need not pass through the parent at all: an indicator may name layers its
   tiles read from the files themselves (``Tiling.files``; the same windows and whole
   groups, :mod:`gsl_indicators.core.tile_files`), and the parent never reads them.
3. **Run** (:func:`run_tile`, in any process). The tile kernel returns per-feature
   arrays for its core features and **additive** terms (canopy: the area of each of
   its crown groups' union inside each neighbourhood, with the group's order key). Tiles
   and their parts cross process boundaries as ``.npz`` bytes (geometry as coordinate
   arrays or WKB, numeric arrays and a JSON header; never pickle).
4. **Merge** (:func:`merge_parts`). Per-feature arrays are scattered back to the
   features' positions (exact: each value was computed from the same candidates as in
   one piece); terms are put together and summed in the one-piece order. The indicator's ``finish``
   then derives areas and overall shares from the per-feature values — never averages
   of tile values — and the ONE assembler writes the document.

Per-feature values are identical to the one-piece run, and so are the sums of terms
(same terms, same order): the documents are byte-identical but for provenance's
``tiles``.
"""

from __future__ import annotations

import gc
import importlib
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import shapely

from gsl_indicators.core.sources import boxes_meet

if TYPE_CHECKING:
    from gsl_indicators.core.geo import Layer
    from gsl_indicators.core.metrics import Metrics
    from gsl_indicators.core.spec import Context

__all__ = [
    "DEFAULT_FEATURES_PER_TILE",
    "DEFAULT_THRESHOLD",
    "Merged",
    "Prepared",
    "TileData",
    "TileOptions",
    "TilePart",
    "TilePayloads",
    "TileRunner",
    "Tiling",
    "box_centres",
    "cells_of",
    "decode_part",
    "decode_tile",
    "encode_part",
    "encode_tile",
    "file_layers",
    "merge_parts",
    "plan_cells",
    "run_one_by_one",
    "run_tile",
    "run_tiled",
    "tile_payloads",
    "whole_reason",
    "whole_reason_at",
]

DEFAULT_FEATURES_PER_TILE = 20_000
"""Primary features per tile (``GSL_TILE_FEATURES`` in the service)."""
DEFAULT_THRESHOLD = 50_000
"""Requests with fewer primary features run in one piece (``GSL_TILE_THRESHOLD``)."""

Box = tuple[float, float, float, float]
TileRunner = Callable[[Sequence[bytes], Callable[[int, int], None]], list[bytes]]


# ----------------------------------------------------------------------- declaration


@dataclass(frozen=True)
class Tiling:
    """How an indicator may run in tiles (declared on the indicator).

    Parameters
    ----------
    reach : callable
        ``params -> metres``: how far from a feature the inputs that decide its answer
        may lie (the halo). ``green-3-30-300``: ``tree_distance_m``.
    reach_text : str
        The reach in words, for the description (``"tree_distance_m"``).
    whole : tuple of str
        Layers every tile reads whole (park groups, areas): what a window could cut
        short.
    whole_when : callable, optional
        ``params -> reason or None``: parameter values under which the indicator runs
        whole (network distances: the graph is not cut).
    prepare : callable, optional
        ``(layers, params, ctx) -> Prepared``: the parent's part. ``None``: the reach is
        declared but no merge is written yet, so it runs whole (``reason`` says so).
    reason : str
        Why it runs whole when ``prepare`` is ``None``.
    files : callable, optional
        ``(params, given input names) -> layer names``: the layers the tiles may read
        from their own files (:mod:`gsl_indicators.core.tile_files`) under these
        parameters, so the parent never reads them; ``prepare`` then finds a
        :class:`~gsl_indicators.core.tile_files.DeferredLayer` in their place.
    """

    reach: Callable[[Mapping[str, Any]], float]
    reach_text: str = ""
    whole: tuple[str, ...] = ()
    whole_when: Callable[[Mapping[str, Any]], str | None] | None = None
    prepare: Callable[[Mapping[str, Layer], dict[str, Any], Context], Prepared] | None = None
    reason: str = ""
    files: Callable[[Mapping[str, Any], frozenset[str]], tuple[str, ...]] | None = None

    def description(self) -> dict[str, Any]:
        """Return the ``tiling`` member of the description's ``x-gsl``."""
        out: dict[str, Any] = {
            "tileable": self.prepare is not None,
            "reach": self.reach_text,
            "whole_layers": list(self.whole),
        }
        if self.prepare is None:
            out["runs_whole"] = self.reason
        return out


@dataclass
class Prepared:
    """The parent's part of a tiled run (from the indicator's ``prepare``).

    Attributes
    ----------
    kernel : str
        ``"module:function"`` of the tile kernel, ``(TileData) -> TilePart`` (imported by
        name in the process that runs the tile).
    features : numpy.ndarray
        The primary features' geometries (whose values are per feature).
    shared : dict
        Geometry arrays every tile gets whole.
    windowed : dict
        Geometry arrays cut to each tile's window.
    windowed_values : dict
        Numeric arrays aligned with a windowed layer of the same name (one row per
        feature), cut with it: the values its features carry (exposure zones' levels).
    grouped : dict
        ``name -> (geometries, anchor)``: layers whose elements go to exactly one tile
        with their whole group — the tile whose cell holds the box centre of element
        ``anchor[i]`` (the first member of ``i``'s group). Crowns: a connected group of
        overlapping crowns is dissolved in one tile, however wide it is.
    per_feature : dict
        Numeric arrays aligned with ``features`` (each tile gets its core's values).
    params : dict
        JSON parameters for the tile kernel.
    n_areas : int
        Length of the per-area partial sums.
    finish : callable
        ``(merged) -> Metrics`` in the parent: from the merged parts to the metrics.
    files : dict
        ``name -> description`` (:func:`~gsl_indicators.core.tile_files.file_of`): layers
        each tile reads from the file itself.
    """

    kernel: str
    features: np.ndarray
    finish: Callable[[Merged], Metrics]
    shared: dict[str, np.ndarray] = field(default_factory=dict)
    windowed: dict[str, np.ndarray] = field(default_factory=dict)
    windowed_values: dict[str, np.ndarray] = field(default_factory=dict)
    grouped: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    per_feature: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    n_areas: int = 0
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class TileOptions:
    """When and how to tile (the service fills it from its settings).

    Attributes
    ----------
    features_per_tile : int
        Target primary features per tile.
    threshold : int
        Requests with fewer primary features run in one piece.
    runner : callable, optional
        ``(payloads, on_tile) -> parts`` (bytes in, bytes out, in order; ``on_tile(done,
        total)`` after each tile): the RQ sub-jobs. Default
        :func:`run_one_by_one`, in this process.
    """

    features_per_tile: int = DEFAULT_FEATURES_PER_TILE
    threshold: int = DEFAULT_THRESHOLD
    runner: TileRunner | None = None


def whole_reason(tiling: Tiling | None, params: Mapping[str, Any]) -> str | None:
    """Return why a request runs whole (``None``: it may be tiled).

    Examples
    --------
    >>> whole_reason(None, {})
    'the indicator declares no reach'
    >>> t = Tiling(reach=lambda p: 30.0, prepare=lambda *a: None,
    ...            whole_when=lambda p: "network" if p.get("mode") == "network" else None)
    >>> whole_reason(t, {"mode": "network"}), whole_reason(t, {"mode": "euclidean"})
    ('network', None)
    """
    if tiling is None:
        return "the indicator declares no reach"
    if tiling.prepare is None:
        return tiling.reason or "no tile merge is written for this indicator"
    if params.get("uncertainty") is not None:
        return "uncertainty samples re-run the whole kernel"
    if tiling.whole_when is not None:
        return tiling.whole_when(params)
    return None


def whole_reason_at(
    tiling: Tiling | None, params: Mapping[str, Any], n_features: int, options: TileOptions
) -> str | None:
    """Return why a request of ``n_features`` (at least the threshold) runs whole, else ``None``.

    :func:`whole_reason`, or a request that one tile would hold.

    Examples
    --------
    >>> t = Tiling(reach=lambda p: 30.0, prepare=lambda *a: None)
    >>> whole_reason_at(t, {}, 500, TileOptions(features_per_tile=400)) is None
    True
    >>> whole_reason_at(t, {}, 400, TileOptions(features_per_tile=400))
    'at most 400 features: one tile'
    """
    reason = whole_reason(tiling, params)
    if reason is None and n_features <= options.features_per_tile:
        reason = f"at most {options.features_per_tile} features: one tile"
    return reason


def file_layers(
    tiling: Tiling | None, params: Mapping[str, Any], given: frozenset[str]
) -> tuple[str, ...]:
    """Return the layers an indicator's tiles may read from their own files (``Tiling.files``).

    None when the indicator cannot run in tiles with these parameters.

    Examples
    --------
    >>> file_layers(None, {}, frozenset({"trees"}))
    ()
    """
    if tiling is None or tiling.files is None or whole_reason(tiling, params) is not None:
        return ()
    return tiling.files(params, given)


# --------------------------------------------------------------------------- planning


def box_centres(geoms: np.ndarray) -> np.ndarray:
    """Return the centre of each geometry's bounding box, as an ``(n, 2)`` array."""
    b = shapely.bounds(geoms)
    return np.column_stack(((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2))


def _cuts(values: np.ndarray, parts: int) -> list[float]:
    """Return up to ``parts - 1`` increasing cut values at quantiles of ``values``."""
    if parts <= 1 or not len(values):
        return []
    v = np.sort(values)
    qs = v[np.arange(1, parts) * len(v) // parts]  # about len/parts values below each cut
    return sorted({float(q) for q in qs if q > v[0]})


def plan_cells(features: np.ndarray, world: Box, features_per_tile: int) -> list[Box]:
    """Return cells (boxes) that partition ``world``, each with about ``features_per_tile``.

    Columns are cut at quantiles of the features' box centres in x, rows at quantiles in
    y within each column; a cut lies *at* a centre value, and a centre on a cut belongs
    to the cell above it (:func:`cells_of`).

    Examples
    --------
    >>> pts = shapely.points([(x, y) for x in range(4) for y in range(4)])
    >>> cells = plan_cells(pts, (-1, -1, 4, 4), 4)
    >>> len(cells), cells[0]
    (4, (-1.0, -1.0, 2.0, 2.0))
    """
    n = len(features)
    x0, y0, x1, y1 = (float(v) for v in world)
    tiles = max(1, math.ceil(n / max(1, features_per_tile)))
    if tiles == 1 or n == 0:
        return [(x0, y0, x1, y1)]
    c = box_centres(features)
    n_cols = max(1, round(math.sqrt(tiles)))
    xs = [x0, *_cuts(c[:, 0], n_cols), x1]
    cells: list[Box] = []
    for a, b in pairwise(xs):
        last = b == x1
        inside = (c[:, 0] >= a) & ((c[:, 0] <= b) if last else (c[:, 0] < b))
        rows = max(1, math.ceil(int(inside.sum()) / max(1, features_per_tile)))
        ys = [y0, *_cuts(c[inside, 1], rows), y1]
        cells.extend((a, lo, b, hi) for lo, hi in pairwise(ys))
    return cells


def cells_of(geoms: np.ndarray, cells: Sequence[Box], world: Box) -> np.ndarray:
    """Return the cell of each geometry's box centre (half-open, closed at the world's edge).

    Examples
    --------
    >>> cells = [(0.0, 0.0, 1.0, 2.0), (1.0, 0.0, 2.0, 2.0)]
    >>> cells_of(shapely.points([(0.5, 1), (1, 1), (2, 2)]), cells, (0, 0, 2, 2)).tolist()
    [0, 1, 1]
    """
    out = np.full(len(geoms), -1, dtype=np.int64)
    if not len(geoms):
        return out
    c = box_centres(geoms)
    for i, (a, b, x, y) in enumerate(cells):
        right = c[:, 0] <= x if x >= world[2] else c[:, 0] < x
        top = c[:, 1] <= y if y >= world[3] else c[:, 1] < y
        out[(out < 0) & (c[:, 0] >= a) & right & (c[:, 1] >= b) & top] = i
    return out


def _world(arrays: Iterable[np.ndarray]) -> Box:
    bounds = [shapely.total_bounds(a) for a in arrays if len(a)]
    bounds = [b for b in bounds if np.isfinite(b).all()]
    if not bounds:
        return (0.0, 0.0, 1.0, 1.0)
    b = np.asarray(bounds)
    # one metre beyond everything, so no feature lies on the world's edge by chance
    return (
        float(b[:, 0].min() - 1),
        float(b[:, 1].min() - 1),
        float(b[:, 2].max() + 1),
        float(b[:, 3].max() + 1),
    )


# ----------------------------------------------------------------------- tile bytes


@dataclass
class TileData:
    """What one tile's kernel reads (see :func:`encode_tile`)."""

    tile: int
    cell: Box
    core: np.ndarray
    features: np.ndarray
    shared: dict[str, np.ndarray]
    windowed: dict[str, np.ndarray]
    per_feature: dict[str, np.ndarray]
    params: dict[str, Any]
    kernel: str
    n_areas: int
    window: Box = (-math.inf, -math.inf, math.inf, math.inf)
    """The cell and the core features' bounds, grown by the reach."""
    world: Box = (-math.inf, -math.inf, math.inf, math.inf)
    """The bounds of every layer (the cells partition it)."""
    windowed_index: dict[str, np.ndarray] = field(default_factory=dict)
    """Each windowed feature's position in its whole layer."""
    windowed_values: dict[str, np.ndarray] = field(default_factory=dict)
    """The rows of :attr:`Prepared.windowed_values` of the windowed features, in order."""
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The layers this tile reads from their files (:attr:`Prepared.files`)."""

    def owns(self, geoms: np.ndarray) -> np.ndarray:
        """Return whether each geometry's box centre lies in this tile's cell."""
        return cells_of(geoms, [self.cell], self.world) == 0


@dataclass
class TilePart:
    """What one tile returns: per-feature values of its core and per-area partial sums."""

    tile: int
    core: np.ndarray
    feature: dict[str, np.ndarray] = field(default_factory=dict)
    area: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    terms: dict[str, np.ndarray] = field(default_factory=dict)
    """Arrays of any length, concatenated in tile order by the merge (terms of a sum)."""


_RAGGED_KINDS = (0, 3)  # points and polygons: made back from coordinates 4-10x faster than WKB


def _ragged(geoms: np.ndarray) -> bool:
    """Return whether a layer travels as coordinate arrays: one kind, 2-D, none missing."""
    if not len(geoms) or shapely.is_missing(geoms).any():
        return False
    kinds = shapely.get_type_id(geoms)
    return (
        int(kinds[0]) in _RAGGED_KINDS
        and bool((kinds == kinds[0]).all())
        and not shapely.is_empty(geoms).any()
        and not shapely.has_z(geoms).any()
        and not shapely.has_m(geoms).any()
    )


def _put_geoms(arrays: dict[str, np.ndarray], key: str, geoms: np.ndarray) -> None:
    """Store a geometry layer: as coordinate arrays (points, polygons) or as WKB.

    Points and polygons of one kind go as their coordinates and offsets
    (``shapely.to_ragged_array``; the province's 2,000,000 tree points: encoded and
    decoded in 0.3 s instead of 2.1 s), anything else as WKB; both give back the
    very geometries (the same WKB).
    """
    geoms = np.asarray(geoms, dtype=object)
    if _ragged(geoms):
        kind, coords, offsets = shapely.to_ragged_array(geoms)
        arrays[f"{key}:rag"] = np.asarray(coords, dtype=float)
        arrays[f"{key}:kind"] = np.asarray([int(kind)], dtype=np.int64)
        for j, o in enumerate(offsets):
            arrays[f"{key}:off{j}"] = np.asarray(o, dtype=np.int64)
        return
    wkb = shapely.to_wkb(geoms) if len(geoms) else np.empty(0, object)
    sizes = np.fromiter((len(w) for w in wkb), dtype=np.int64, count=len(wkb))
    arrays[f"{key}:wkb"] = np.frombuffer(b"".join(wkb.tolist()), dtype=np.uint8)
    arrays[f"{key}:off"] = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)


def _get_geoms(npz: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    """Return a layer stored by :func:`_put_geoms`.

    Examples
    --------
    >>> layers = {"p": shapely.points([(1, 2), (3, 4)]), "b": np.array([shapely.box(0, 0, 1, 1)]),
    ...           "mixed": np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)])}
    >>> arrays = {}
    >>> for k, g in layers.items():
    ...     _put_geoms(arrays, k, g)
    >>> sorted(a for a in arrays if a.startswith("p:")), sorted(a for a in arrays if a.startswith("mixed:"))
    (['p:kind', 'p:rag'], ['mixed:off', 'mixed:wkb'])
    >>> all((shapely.to_wkb(_get_geoms(arrays, k)) == shapely.to_wkb(g)).all() for k, g in layers.items())
    True
    """
    if f"{key}:rag" in npz:
        offsets: list[np.ndarray] = []
        while f"{key}:off{len(offsets)}" in npz:
            offsets.append(npz[f"{key}:off{len(offsets)}"])
        kind = shapely.GeometryType(int(npz[f"{key}:kind"][0]))
        made = shapely.from_ragged_array(kind, npz[f"{key}:rag"], tuple(offsets) or None)
        return np.asarray(made, dtype=object)
    data = npz[f"{key}:wkb"].tobytes()
    off = npz[f"{key}:off"]
    wkb = [data[a:b] for a, b in zip(off[:-1].tolist(), off[1:].tolist(), strict=True)]
    return np.asarray(shapely.from_wkb(wkb), dtype=object) if wkb else np.empty(0, object)


def _save(arrays: Mapping[str, np.ndarray], header: Mapping[str, Any]) -> bytes:
    buf = io.BytesIO()
    head = np.frombuffer(orjson.dumps(header, option=orjson.OPT_SERIALIZE_NUMPY), np.uint8)
    np.savez(buf, **{"__header__": head, **arrays})  # type: ignore[arg-type]
    return buf.getvalue()


def _load(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, orjson.loads(arrays.pop("__header__").tobytes())


def encode_tile(tile: TileData) -> bytes:
    """Return a tile as ``.npz`` bytes (geometry as coordinates or WKB, numeric arrays, JSON header).

    Examples
    --------
    >>> t = TileData(0, (0.0, 0.0, 1.0, 1.0), np.array([3]), shapely.points([(0.5, 0.5)]),
    ...              {}, {"trees": shapely.points([(0.1, 0.2)])}, {"w": np.array([2.0])},
    ...              {"d": 30.0}, "m:f", 0)
    >>> back = decode_tile(encode_tile(t))
    >>> back.core.tolist(), back.windowed["trees"][0].wkt, back.per_feature["w"].tolist()
    ([3], 'POINT (0.1 0.2)', [2.0])

    Values that travel with a windowed layer's features (a row per feature):

    >>> t.windowed_values = {"trees": np.array([[4.5, np.nan]])}
    >>> decode_tile(encode_tile(t)).windowed_values["trees"].tolist()
    [[4.5, nan]]
    """
    arrays: dict[str, np.ndarray] = {"core": np.asarray(tile.core, dtype=np.int64)}
    _put_geoms(arrays, "features", tile.features)
    for kind, group in (("s", tile.shared), ("w", tile.windowed)):
        for name, geoms in group.items():
            _put_geoms(arrays, f"{kind}:{name}", geoms)
    for name, values in tile.per_feature.items():
        arrays[f"f:{name}"] = np.asarray(values)
    for name, values in tile.windowed_index.items():
        arrays[f"i:{name}"] = np.asarray(values, dtype=np.int64)
    for name, values in tile.windowed_values.items():
        arrays[f"v:{name}"] = np.asarray(values)
    header = {
        "tile": tile.tile,
        "cell": list(tile.cell),
        "window": list(tile.window),
        "world": list(tile.world),
        "params": tile.params,
        "kernel": tile.kernel,
        "n_areas": tile.n_areas,
        "shared": list(tile.shared),
        "windowed": list(tile.windowed),
        "per_feature": list(tile.per_feature),
        "windowed_values": list(tile.windowed_values),
        "files": tile.files,
    }
    return _save(arrays, header)


def _box(values: Sequence[float | None]) -> Box:
    """Return a box from JSON, where ``null`` is an infinite side (JSON has no inf).

    Examples
    --------
    >>> _box([None, 0, 1, None])
    (-inf, 0.0, 1.0, inf)
    """
    sides = (-math.inf, -math.inf, math.inf, math.inf)
    x0, y0, x1, y1 = (sides[i] if v is None else float(v) for i, v in enumerate(values))
    return (x0, y0, x1, y1)


def decode_tile(data: bytes) -> TileData:
    """Return the :class:`TileData` of :func:`encode_tile`'s bytes."""
    arrays, h = _load(data)
    return TileData(
        tile=int(h["tile"]),
        cell=tuple(float(v) for v in h["cell"]),  # type: ignore[arg-type]
        core=arrays["core"],
        features=_get_geoms(arrays, "features"),
        shared={k: _get_geoms(arrays, f"s:{k}") for k in h["shared"]},
        windowed={k: _get_geoms(arrays, f"w:{k}") for k in h["windowed"]},
        per_feature={k: arrays[f"f:{k}"] for k in h["per_feature"]},
        params=h["params"],
        kernel=h["kernel"],
        n_areas=int(h["n_areas"]),
        window=_box(h["window"]),
        world=_box(h["world"]),
        windowed_index={k: arrays[f"i:{k}"] for k in h["windowed"] if f"i:{k}" in arrays},
        windowed_values={k: arrays[f"v:{k}"] for k in h.get("windowed_values", ())},
        files=h.get("files") or {},
    )


def encode_part(part: TilePart) -> bytes:
    """Return a tile's result as ``.npz`` bytes.

    Examples
    --------
    >>> p = TilePart(2, np.array([0, 5]), {"d": np.array([1.5, np.inf])}, {"a": np.ones(3)})
    >>> back = decode_part(encode_part(p))
    >>> back.tile, back.feature["d"].tolist(), back.area["a"].tolist()
    (2, [1.5, inf], [1.0, 1.0, 1.0])
    """
    arrays: dict[str, np.ndarray] = {"core": np.asarray(part.core, dtype=np.int64)}
    arrays.update({f"f:{k}": np.asarray(v) for k, v in part.feature.items()})
    arrays.update({f"a:{k}": np.asarray(v, dtype=float) for k, v in part.area.items()})
    arrays.update({f"t:{k}": np.asarray(v) for k, v in part.terms.items()})
    header = {
        "tile": part.tile,
        "feature": list(part.feature),
        "area": list(part.area),
        "terms": list(part.terms),
    }
    return _save(arrays, {**header, "extra": part.extra})


def decode_part(data: bytes) -> TilePart:
    """Return the :class:`TilePart` of :func:`encode_part`'s bytes."""
    arrays, h = _load(data)
    return TilePart(
        tile=int(h["tile"]),
        core=arrays["core"],
        feature={k: arrays[f"f:{k}"] for k in h["feature"]},
        area={k: arrays[f"a:{k}"] for k in h["area"]},
        extra=h["extra"],
        terms={k: arrays[f"t:{k}"] for k in h["terms"]},
    )


# ------------------------------------------------------------------- split and run


def _grown(box: Box, d: float) -> Box:
    return (box[0] - d, box[1] - d, box[2] + d, box[3] + d)


class TilePayloads(Sequence[bytes]):
    """The tiles of a prepared run, each made as bytes when it is read (steps 1–2).

    ``len()`` is known at once; a tile's bytes are made on access and not kept, so a
    runner that stores or runs them one at a time never holds them all.
    A tile's window is its cell together with the bounds of its core features, grown by
    ``reach_m``: every windowed feature whose box meets it is sent.
    """

    def __init__(
        self,
        prepared: Prepared,
        reach_m: float,
        features_per_tile: int,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        self.prepared = prepared
        self.reach_m = float(reach_m)
        self.meanwhile = meanwhile
        self.froze = False
        """Whether this run froze the heap after ``meanwhile`` (:func:`_freeze_heap`)."""
        feats = prepared.features
        grouped = [g for g, _ in prepared.grouped.values()]
        self.world = _world(
            [feats, *prepared.shared.values(), *prepared.windowed.values(), *grouped]
        )
        self.cells = plan_cells(feats, self.world, features_per_tile)
        self.owner = cells_of(feats, self.cells, self.world)
        self._group_cell = {
            k: cells_of(g, self.cells, self.world)[anchor]
            for k, (g, anchor) in prepared.grouped.items()
        }
        self._fb = shapely.bounds(feats) if len(feats) else np.zeros((0, 4))
        self._wb = {
            k: shapely.bounds(g) if len(g) else np.zeros((0, 4))
            for k, g in prepared.windowed.items()
        }

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        payload = encode_tile(self.tile(int(i) % len(self)))
        if int(i) % len(self) == len(self) - 1 and self.meanwhile is not None:
            # every other tile is handed out: the parent's work that does not wait for
            # the tiles' results runs now, while other workers run them
            meanwhile, self.meanwhile = self.meanwhile, None
            gc.collect()  # what is frozen after it is alive: no garbage cycle waits there
            meanwhile()
            _freeze_heap()
            self.froze = True
        return payload

    def tile(self, i: int) -> TileData:
        """Return tile ``i`` (not encoded)."""
        prepared, cell = self.prepared, self.cells[i]
        core = np.flatnonzero(self.owner == i)
        window = cell
        if len(core):
            b = self._fb[core]
            window = (
                min(cell[0], float(b[:, 0].min())),
                min(cell[1], float(b[:, 1].min())),
                max(cell[2], float(b[:, 2].max())),
                max(cell[3], float(b[:, 3].max())),
            )
        window = _grown(window, self.reach_m)
        chosen = {k: np.flatnonzero(boxes_meet(self._wb[k], window)) for k in prepared.windowed}
        chosen.update({k: np.flatnonzero(c == i) for k, c in self._group_cell.items()})
        layers = {k: g for k, g in prepared.windowed.items()}
        layers.update({k: g for k, (g, _) in prepared.grouped.items()})
        return TileData(
            tile=i,
            cell=cell,
            core=core,
            features=prepared.features[core],
            shared=prepared.shared,
            windowed={k: g[chosen[k]] for k, g in layers.items()},
            per_feature={k: np.asarray(v)[core] for k, v in prepared.per_feature.items()},
            params=prepared.params,
            kernel=prepared.kernel,
            n_areas=prepared.n_areas,
            window=window,
            world=self.world,
            windowed_index=chosen,
            windowed_values={
                k: np.asarray(v)[chosen[k]] for k, v in prepared.windowed_values.items()
            },
            files=prepared.files,
        )


def _freeze_heap() -> None:
    """Move every object alive into the collector's permanent generation.

    What the parent's ``meanwhile`` made (the output's dicts: millions of objects) lives
    until the document is written. The collector is paused meanwhile
    (:func:`~gsl_indicators.core.geo.paused_gc`), so all of it stays in the youngest
    generation, and every collection of that generation walks it again: a tile's file
    read collects it (:func:`~gsl_indicators.core.sources.read_table`), and the first
    collections after the pause. Measured at 650,000 homes, tiled on 2 workers: a 0.42 s
    collection at the parent's first tile and a 0.56 s one after the last, both gone
    when frozen. Frozen objects are still freed when no longer referenced; only a
    reference cycle among them waits for :func:`gc.unfreeze` (the heap is collected
    just before the meanwhile, so none is frozen as garbage, and the meanwhile makes
    plain dicts and lists).

    :func:`run_tiled` unfreezes it after the tiles, into the oldest generation, which
    the collector walks only in a full collection — except where
    :data:`THAW_AFTER_TILES` is ``False``: a work horse of a worker that froze its
    loaded modules (:func:`gsl_service.jobs.worker.run_worker`) exits after its job,
    and unfreezing would put those modules back under the collector, so there the heap
    stays frozen until the horse exits.
    """
    gc.freeze()


def collect_frozen() -> None:
    """Collect the garbage among frozen objects too (a run that starts again, ``Undefer``).

    Where the heap stays frozen after the tiles (:data:`THAW_AFTER_TILES` ``False``), a
    run that starts again reading every layer whole would otherwise keep what its first
    attempt left in reference cycles beside its one-piece peak: the heap is unfrozen,
    collected and frozen again (the worker's modules with it).
    """
    gc.unfreeze()
    gc.collect()
    if not THAW_AFTER_TILES:
        gc.freeze()


THAW_AFTER_TILES = True
"""Whether a tiled run unfreezes the heap after its tiles (see :func:`_freeze_heap`).

``gsl worker`` sets it ``False`` when it freezes its loaded modules: its work horses
inherit both. (A process cannot tell from :func:`gc.get_freeze_count` alone: CPython
3.12 keeps a few hundred objects of its own in the permanent generation.)
"""


def tile_payloads(
    prepared: Prepared,
    reach_m: float,
    features_per_tile: int,
    meanwhile: Callable[[], None] | None = None,
) -> TilePayloads:
    """Return the tiles of a prepared run as bytes, made when read (:class:`TilePayloads`).

    ``meanwhile`` runs once, when the last tile's bytes are made.
    """
    return TilePayloads(prepared, reach_m, features_per_tile, meanwhile)


def run_tile(payload: bytes) -> bytes:
    """Run one tile (bytes in, bytes out): what a pool process or an RQ sub-job calls."""
    tile = decode_tile(payload)
    module, _, name = tile.kernel.partition(":")
    if not module.startswith("gsl_indicators.indicators."):
        # a payload names its kernel; only an indicator module's may run
        raise ValueError(f"tile kernel {tile.kernel!r} is not an indicator's")
    kernel = getattr(importlib.import_module(module), name)
    from gsl_indicators.core.geo import paused_gc

    with paused_gc():  # as the parent's run: no collection walks the tile's heap (~4 %)
        part = kernel(tile)
    if not isinstance(part, TilePart):
        raise TypeError(f"{tile.kernel}: a tile kernel returns TilePart")
    return encode_part(part)


@dataclass
class Merged:
    """The tiles' parts put together (what an indicator's ``finish`` reads)."""

    n: int
    tiles: int
    feature: dict[str, np.ndarray]
    area: dict[str, np.ndarray]
    extras: list[dict[str, Any]]
    terms: dict[str, np.ndarray] = field(default_factory=dict)


def merge_parts(parts: Sequence[bytes], n_features: int) -> Merged:
    """Scatter per-feature values to their positions; sum per-area partials in tile order.

    A per-feature column takes the type that holds every part's values (numpy's
    ``result_type``): one tile's integers (``np.bincount`` of nothing gives int64 zeros)
    never truncate another's floats.

    Examples
    --------
    >>> first = TilePart(0, np.array([1]), {"m2": np.zeros(1, dtype=np.int64)})
    >>> second = TilePart(1, np.array([0, 2]), {"m2": np.array([1708.1, 0.5])})
    >>> merge_parts([encode_part(first), encode_part(second)], 3).feature["m2"].tolist()
    [1708.1, 0.0, 0.5]

    Raises
    ------
    ValueError
        When the parts do not cover every feature exactly once.
    """
    decoded = sorted((decode_part(p) for p in parts), key=lambda p: p.tile)
    seen = np.zeros(n_features, dtype=np.int64)
    kinds: dict[str, list[np.dtype[Any]]] = {}
    for part in decoded:  # a column's type is every part's: a tile's empty sums may be ints
        for k, v in part.feature.items():
            kinds.setdefault(k, []).append(v.dtype)
    feature = {k: np.zeros(n_features, dtype=np.result_type(*d)) for k, d in kinds.items()}
    area: dict[str, np.ndarray] = {}
    for part in decoded:
        seen[part.core] += 1
        for k, v in part.feature.items():
            feature[k][part.core] = v
        for k, v in part.area.items():
            area[k] = area[k] + v if k in area else v.astype(float).copy()
    if n_features and not (seen == 1).all():
        raise ValueError("tile parts do not cover every feature exactly once")
    names = dict.fromkeys(k for p in decoded for k in p.terms)
    terms = {k: np.concatenate([p.terms[k] for p in decoded if k in p.terms]) for k in names}
    return Merged(n_features, len(decoded), feature, area, [p.extra for p in decoded], terms)


def run_one_by_one(payloads: Sequence[bytes], on_tile: Callable[[int, int], None]) -> list[bytes]:
    """Run the tiles one after the other in this process (the default runner)."""
    parts = []
    for i, payload in enumerate(payloads):
        parts.append(run_tile(payload))
        on_tile(i + 1, len(payloads))
    return parts


def run_tiled(
    prepared: Prepared,
    reach_m: float,
    options: TileOptions,
    ctx: Context | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[Metrics, int]:
    """Run a prepared request in tiles; return its metrics and the number of tiles.

    Progress goes from 10 % to 85 % over the tiles (``ctx.progress``); a progress
    report is where a dismissed job stops. ``meanwhile``: the parent's work that needs
    no tile's result (the output's static parts), run once every other tile has been
    handed to the runner — other workers run tiles while the parent does it.
    """
    payloads = tile_payloads(prepared, reach_m, options.features_per_tile, meanwhile)

    def on_tile(done: int, total: int) -> None:
        if ctx is not None:
            ctx.progress(0.1 + 0.75 * done / max(1, total), f"tiles {done}/{total}")

    if ctx is not None:  # the parent's own part is done: from here the tiles run
        ctx.progress(0.1, f"running {len(payloads)} tiles")
    try:
        parts = (options.runner or run_one_by_one)(payloads, on_tile)
    finally:
        if payloads.froze and THAW_AFTER_TILES:  # back in the oldest generation
            gc.unfreeze()
    if len(parts) != len(payloads):
        raise ValueError(f"{len(parts)} tile results for {len(payloads)} tiles")
    merged = merge_parts(parts, len(prepared.features))
    return prepared.finish(merged), len(payloads)
