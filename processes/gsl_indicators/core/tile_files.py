"""Tiles that read their own windows of large layers straight from the input files.

A province's trees (2,000,000 points) and crowns (1,500,000 polygons) are most of its
bytes. In the plain tiled road (:mod:`gsl_indicators.core.tiling`) the parent job
fetches, reads and validates them whole, then cuts a window for every tile, encodes it
and ships it through Redis — all serial work in one process, which bounds what more
workers can gain. Here the parent leaves such a layer unread (a :class:`DeferredLayer`)
and every tile reads what it needs from the file itself, through the same locator
(the worker's spool: fetched once per worker, verified by its sha256). Such a layer is
a FlatGeobuf or GeoParquet file by reference, whole (no ``bbox``: :func:`deferrable`),
and a tile reads its windows by the file's own index: a FlatGeobuf's packed R-tree, a
GeoParquet's row groups skipped by the statistics of its ``bbox`` covering column
(GeoParquet 1.1). Only a file whose windows read cheaply is left to the tiles
(:func:`indexed`): a large GeoParquet without a covering column, or in row groups that
each span the file (rows not in a 2-D order, pyarrow's default million-row groups),
would be read nearly whole by every tile, so the parent reads it once instead. A tile
reads only the geometries (and covering), of

* a **windowed** layer (tree points): the features whose box meets the tile's window
  (its cell, open to infinity at the edge of the world, and its core features' bounds,
  grown by the reach) — the same window the parent would have cut;
* a **grouped** layer (crowns): every connected group of overlapping crowns whose first
  crown (lowest position in the file) has its box centre in the tile's cell, whole
  (:func:`whole_groups`: the read box grows until no owned group touches its edge), with
  each crown's position in the file (a FlatGeobuf's feature id, a GeoParquet's row
  index over all its row groups: both count from 0 in file order) as its order key —
  exactly the groups and keys the parent would have sent.

**Exactness.** The answer is the one-piece answer only when the file is *regular*: in
EPSG:28992 (the working CRS), every feature with a non-empty valid geometry of an
allowed type, its first vertex inside the RD New bounds — then the parent, reading it
whole, would have dropped, repaired, reprojected and warned about nothing, and the
tiles' windows equal its cuts. Each tile checks what it reads and reports, for the
features it *owns* (box centre in its cell: the cells partition the plane, so every
feature with a box is owned once), their number and bounds (:class:`FileReport`), and
whether a GeoParquet's covering box of a row it let through lies more than the read
margin off the row's geometry (a tile keeps rows by their covering: a wrong one could
hide a tree from the tile that needs it).
The parent adds them up (:func:`settle`): the owned counts must add up to the file's
feature count (a null or empty geometry has no box, is read by no tile and shows as a
shortfall), and the layer must not lie apart from the homes (the ``no-overlap``
warning). If anything is irregular, :class:`Undefer` is raised and the run starts again
reading every layer whole — the plain road, with its warnings, repairs and checks —
so the document is always the one-piece document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.canopy import overlap_groups
from gsl_indicators.core.geo import NO_OVERLAP_GAP_M, RD_BOUNDS, RD_NEW
from gsl_indicators.core.sources import (
    TYPE_NAMES,
    boxes_meet,
    is_reference,
    local_path,
    read_table,
    windowable,
    with_bbox,
)
from gsl_indicators.core.tiling import box_centres

__all__ = [
    "FAR",
    "DeferredLayer",
    "FileReport",
    "Undefer",
    "deferrable",
    "file_of",
    "indexed",
    "open_cell",
    "read_window",
    "settle",
    "source_of",
    "whole_groups",
]

Box = tuple[float, float, float, float]

FAR = 1.0e12
"""A coordinate beyond any RD New coordinate: the open side of an outer cell, as a bbox."""

GROUP_MARGIN_M = 50.0
"""How far beyond its cell a tile first reads a grouped layer (it grows as needed)."""

READ_MARGIN_M = 100.0
"""How far beyond the box it needs a tile reads a file (see :func:`read_window`).

A file with a feature whose box is wider or higher (a crown polygon of a whole park)
is read whole by the parent instead: the tiles could not be sure to have read it."""


DEFERRABLE_FORMATS = ("flatgeobuf", "geoparquet")
"""The formats whose files the tiles read by window, with each feature's position."""


class Undefer(RuntimeError):
    """A deferred layer is not regular (or the request is not tiled): read every layer whole."""


@dataclass
class DeferredLayer:
    """A geo input left unread by the parent: its tiles read it from its file.

    ``features`` and ``given`` are known once the tiles have reported (:func:`settle`),
    which sets ``settled``: a run in which no tile read the layer (a composite's part
    taken from its cache, or refused) cannot report it and starts again reading it.
    """

    name: str
    source: Mapping[str, Any]
    geometry_types: tuple[str, ...]
    features: int = 0
    given: int = 0
    source_crs: str = RD_NEW
    bounds: Box | None = None
    margin_m: float = READ_MARGIN_M
    settled: bool = False

    def __len__(self) -> int:
        return self.features


def deferrable(value: Any) -> bool:
    """Return whether an input may be left to the tiles: a FlatGeobuf or GeoParquet file, whole.

    The file must be by reference (pinned) and without a ``bbox``. Both formats give
    each feature's position in the file, which a tile needs as its order key
    (:func:`read_window`); GeoJSON has no index to read a window by.

    Examples
    --------
    >>> sha = "ab" * 32
    >>> ref = {"source": "file", "format": "flatgeobuf", "sha256": sha, "pin": bytes.fromhex(sha),
    ...        "bbox": None, "href": "h"}
    >>> deferrable(ref), deferrable({**ref, "bbox": [0, 0, 1, 1]}), deferrable({**ref, "format": "geojson"})
    (True, False, False)
    >>> gpq = {**ref, "format": "geoparquet"}
    >>> deferrable(gpq), deferrable({**gpq, "bbox": [0, 0, 1, 1]}), deferrable({**gpq, "pin": sha})
    (True, False, False)
    """
    return (
        is_reference(value)
        and value.get("format") in DEFERRABLE_FORMATS
        and value.get("bbox") is None
    )


def indexed(name: str, value: Mapping[str, Any]) -> bool:
    """Return whether a :func:`deferrable` file lets a tile read a window of it cheaply.

    Looks at the local copy (:func:`~gsl_indicators.core.sources.local_path`: the
    worker's spool, which its own tiles read too) through
    :func:`~gsl_indicators.core.sources.windowable`.
    """
    return windowable(local_path(name, value), str(value.get("format")))


def file_of(layer: DeferredLayer) -> dict[str, Any]:
    """Return what a tile needs to read a deferred layer (JSON: no raw bytes)."""
    s = layer.source
    return {
        "name": layer.name,
        "format": s["format"],
        "href": s["href"],
        "sha256": s["sha256"],
        "size": s.get("size"),
        "geometry_types": list(layer.geometry_types),
        "margin_m": layer.margin_m,
    }


def source_of(file: Mapping[str, Any]) -> dict[str, Any]:
    """Return the file source (by reference) of :func:`file_of`'s description.

    The parent made the description from a source the service had pinned; the pin is
    made again from its sha256, so the spool verifies the very same content.
    """
    return {
        "source": "file",
        "format": file["format"],
        "href": file["href"],
        "bbox": None,
        "sha256": file["sha256"],
        "pin": bytes.fromhex(file["sha256"]),
        "size": file.get("size"),
    }


def open_cell(cell: Box, world: Box) -> Box:
    """Return ``cell`` with the sides on the world's edge pushed out to infinity.

    Examples
    --------
    >>> open_cell((0.0, 0.0, 5.0, 10.0), (0.0, 0.0, 10.0, 10.0))
    (-inf, -inf, 5.0, inf)
    """
    x0, y0, x1, y1 = cell
    return (
        -math.inf if x0 <= world[0] else x0,
        -math.inf if y0 <= world[1] else y0,
        math.inf if x1 >= world[2] else x1,
        math.inf if y1 >= world[3] else y1,
    )


def _finite(box: Box) -> Box:
    """Return ``box`` with infinite sides at :data:`FAR` (GDAL takes finite boxes)."""
    return (
        max(box[0], -FAR),
        max(box[1], -FAR),
        min(box[2], FAR),
        min(box[3], FAR),
    )


def _in_cell(xy: np.ndarray, cell: Box) -> np.ndarray:
    """Return whether points lie in an open cell (half-open: low side in, high side out).

    The same rule as :func:`gsl_indicators.core.tiling.cells_of` (an infinite side
    takes every value), so the open cells partition the plane.
    """
    x0, y0, x1, y1 = cell
    return (xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)


@dataclass
class FileReport:
    """What a tile saw of a deferred layer (summed over tiles by :func:`settle`).

    Attributes
    ----------
    owned : int
        Features read whose box centre lies in the tile's cell.
    bounds : list of float or None
        The bounds of those features.
    header : int
        The file's feature count.
    irregular : str
        Why the file is not regular ("" when it is, as far as this tile saw).
    extent : float
        The largest width or height of those features' boxes.
    """

    owned: int = 0
    bounds: list[float] | None = None
    header: int = 0
    irregular: str = ""
    extent: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Return the report for a tile part's ``extra``."""
        return {
            "owned": self.owned,
            "bounds": self.bounds,
            "header": self.header,
            "irregular": self.irregular,
            "extent": self.extent,
        }


@dataclass
class Window:
    """Features of a deferred layer read by a tile, in file order, with their positions."""

    geometries: np.ndarray
    fids: np.ndarray
    report: FileReport = field(default_factory=FileReport)


_COUNTS: dict[str, int] = {}
"""Feature counts of files read in this process, by content (sha256): a file is pinned."""


def _header_count(file: Mapping[str, Any]) -> int:
    """Return the number of features a deferred file holds (from its header, once per file).

    A FlatGeobuf's header count (GDAL); a GeoParquet's number of rows (its footer's
    metadata: GDAL may have no Parquet driver).
    """
    sha = str(file["sha256"])
    if sha not in _COUNTS:
        path = local_path(str(file["name"]), source_of(file))
        _COUNTS[sha] = _feature_count(path, str(file["format"]))
    return _COUNTS[sha]


def _feature_count(path: str, fmt: str) -> int:
    """Return the number of features in a local FlatGeobuf or GeoParquet file."""
    if fmt == "geoparquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as pf:
            return int(pf.metadata.num_rows)
    from pyogrio import read_info

    return int(read_info(path)["features"])


def _first_vertices(geoms: np.ndarray) -> np.ndarray:
    """Return each geometry's first coordinate, as the CRS check samples it (x, y).

    Examples
    --------
    >>> g = np.array([shapely.MultiPoint([(3, 4), (5, 6)]), shapely.box(0, 0, 1, 1)])
    >>> _first_vertices(g).tolist()
    [[3.0, 4.0], [1.0, 0.0]]
    """
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    _, first = np.unique(owner, return_index=True)
    return np.asarray(coords[first], dtype=float).reshape(-1, 2)


def _irregular(
    file: Mapping[str, Any], geoms: np.ndarray, crs: str | None, owned: np.ndarray
) -> str:
    """Return why the features a tile owns in a deferred file would not be taken as they are.

    Only the *owned* features are looked at (box centre in the tile's cell): every
    feature with a box is owned by exactly one tile, which reads it, so each is checked
    once over all tiles — not once for every tile whose window it lies in, nor again on
    each of a crown group's re-reads (the province's crowns: ``is_valid`` 1.4 → 0.6 s
    of a run). A feature without a box (null or empty geometry) is owned by none and
    shows as a shortfall of the owned counts (:func:`settle`).
    """
    if crs != RD_NEW:
        return f"its CRS is {crs}, not {RD_NEW}"
    mine = geoms[owned]
    if not len(mine):
        return ""
    allowed = set(file.get("geometry_types") or ())
    kinds = {str(TYPE_NAMES[k]) for k in set(shapely.get_type_id(mine).tolist())}
    if allowed and not kinds <= allowed:
        return "a geometry of a type the input does not take"
    if shapely.is_empty(mine).any() or shapely.has_z(mine).any():
        return "an empty or 3-D geometry"
    if not shapely.is_valid(mine).all():
        return "an invalid geometry (it would be repaired)"
    xy = _first_vertices(mine)
    x0, y0, x1, y1 = RD_BOUNDS
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    if not inside.all():
        return "coordinates outside the RD New bounds"
    return ""


def _covering_wrong(table: Any, margin_m: float) -> str:
    """Return why a GeoParquet's covering column cannot be trusted for windows ("" if it can).

    A tile keeps a row when its covering box meets the read box, so a covering more
    than the read margin away from its geometry could hide a feature from a tile that
    needs it; within the margin the grown read box still finds it (:func:`read_window`).
    """
    off = float(getattr(table, "covering_off", 0.0))
    if off > margin_m:
        return f"its bbox covering column lies up to {off:.0f} m off its geometries"
    return ""


def read_window(file: Mapping[str, Any], bbox: Box, cell: Box) -> Window:
    """Read a deferred layer's features whose box meets ``bbox``; report those owned by ``cell``.

    GDAL keeps the features whose *geometry* meets a filter box, not their box (a thin
    diagonal crown whose box meets it is left out; GeoParquet is read by box, exactly).
    So the file is read with ``bbox``
    grown by ``file["margin_m"]`` and the features whose box meets ``bbox`` are kept:
    every feature whose box is at most ``margin_m`` wide and high and meets ``bbox``
    lies inside the grown box, so it is read. The report's ``extent`` (the largest box
    side among the owned features) lets the parent check that margin for every feature
    (:func:`settle`).

    Returns the features in file order with their positions in the file (FlatGeobuf
    feature ids, GeoParquet row indices), and the tile's :class:`FileReport`.
    """
    margin = float(file.get("margin_m", 0.0))
    source = with_bbox(source_of(file), _finite(_grown(bbox, margin)))
    table = read_table(str(file["name"]), source, fids=True, attributes=False)
    geoms = np.asarray(table.geometries, dtype=object)
    fids = np.asarray(table.fids, dtype=np.int64)
    present = ~shapely.is_missing(geoms)
    b = shapely.bounds(geoms)  # NaN for a missing or empty geometry
    keep = boxes_meet(b, bbox) | ~present  # a feature without geometry stays, to be found irregular
    order = np.argsort(fids[keep], kind="stable")
    geoms, fids, b = geoms[keep][order], fids[keep][order], b[keep][order]
    present = ~shapely.is_missing(geoms)
    owned = np.zeros(len(geoms), dtype=bool)
    if present.any():
        centres = np.column_stack(((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2))
        owned[present] = _in_cell(centres[present], cell)
    report = FileReport(
        owned=int(owned.sum()),
        bounds=[float(v) for v in shapely.total_bounds(geoms[owned])] if owned.any() else None,
        header=_header_count(file),
        irregular=_irregular(file, geoms, table.crs, owned) or _covering_wrong(table, margin),
        extent=float(np.max(np.maximum(b[owned, 2] - b[owned, 0], b[owned, 3] - b[owned, 1])))
        if owned.any()
        else 0.0,
    )
    return Window(geoms, fids, report)


def _grown(box: Box, d: float) -> Box:
    return (box[0] - d, box[1] - d, box[2] + d, box[3] + d)


def _ring(inner: Box, outer: Box) -> list[Box]:
    """Return rectangles that cover ``outer`` outside ``inner`` (``inner`` inside ``outer``).

    Examples
    --------
    >>> _ring((0, 0, 10, 10), (-5, 0, 10, 12))
    [(-5, 0, 0, 12), (0, 10, 10, 12)]
    >>> _ring((-math.inf, 0, 10, 10), (-math.inf, 0, 10, 10))
    []
    """
    x0, y0, x1, y1 = inner
    X0, Y0, X1, Y1 = outer
    strips = [
        (X0, Y0, x0, Y1),  # left, full height
        (x1, Y0, X1, Y1),  # right, full height
        (x0, Y0, x1, y0),  # below, between them
        (x0, y1, x1, Y1),  # above, between them
    ]
    return [r for r in strips if r[0] < r[2] and r[1] < r[3]]


def whole_groups(
    file: Mapping[str, Any], cell: Box, margin_m: float = GROUP_MARGIN_M
) -> tuple[np.ndarray, np.ndarray, FileReport]:
    """Return the crowns of the groups a tile owns, whole, with their file positions.

    A group (crowns connected by overlapping boxes, :func:`overlap_groups`) belongs to
    the tile whose cell holds the box centre of its first crown. The tile reads the
    crowns whose box meets its cell grown by ``margin_m``; a group whose members' boxes
    all lie strictly inside that box is complete (any crown overlapping a member would
    meet the box, so it was read). While an owned group is not complete, the box grows
    over it and only what the grown box adds is read (the strips around the old box),
    so a long chain of crowns — a canal's trees across a city — is read once, not once
    per step. The report is that of the first read (the cell's own crowns and their
    bounds).
    """
    box = _grown(cell, margin_m)
    win = read_window(file, box, cell)
    report = win.report
    geoms, fids = win.geometries, win.fids
    while True:
        if report.irregular:
            return np.empty(0, dtype=object), np.zeros(0, np.int64), report
        if not len(geoms):
            return geoms, fids, report
        labels = overlap_groups(geoms)
        n_groups = int(labels.max()) + 1
        first = np.full(n_groups, len(geoms), dtype=np.int64)
        np.minimum.at(first, labels, np.arange(len(geoms)))
        owned = _in_cell(box_centres(geoms[first]), cell)
        b = shapely.bounds(geoms)
        lo_x = np.full(n_groups, np.inf)
        lo_y = np.full(n_groups, np.inf)
        hi_x = np.full(n_groups, -np.inf)
        hi_y = np.full(n_groups, -np.inf)
        np.minimum.at(lo_x, labels, b[:, 0])
        np.minimum.at(lo_y, labels, b[:, 1])
        np.maximum.at(hi_x, labels, b[:, 2])
        np.maximum.at(hi_y, labels, b[:, 3])
        complete = (lo_x > box[0]) & (lo_y > box[1]) & (hi_x < box[2]) & (hi_y < box[3])
        open_groups = owned & ~complete
        if not open_groups.any():
            keep = owned[labels]
            return geoms[keep], fids[keep], report
        grown = _grown(
            (
                min(box[0], float(lo_x[open_groups].min())),
                min(box[1], float(lo_y[open_groups].min())),
                max(box[2], float(hi_x[open_groups].max())),
                max(box[3], float(hi_y[open_groups].max())),
            ),
            margin_m,
        )
        added = [read_window(file, strip, cell) for strip in _ring(box, grown)]
        report.irregular = next((w.report.irregular for w in added if w.report.irregular), "")
        geoms, fids = _union_by_position([(geoms, fids), *((w.geometries, w.fids) for w in added)])
        box = grown


def _union_by_position(
    reads: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Return the features of several reads once each, in file order (by position).

    Examples
    --------
    >>> g, k = _union_by_position([(np.array(["a", "c"]), np.array([0, 2])),
    ...                            (np.array(["c", "b"]), np.array([2, 1]))])
    >>> g.tolist(), k.tolist()
    (['a', 'b', 'c'], [0, 1, 2])
    """
    geoms = np.concatenate([g for g, _ in reads])
    fids = np.concatenate([k for _, k in reads]).astype(np.int64)
    fids, first = np.unique(fids, return_index=True)
    return geoms[first], fids


def settle(
    deferred: Sequence[DeferredLayer],
    extras: Sequence[Mapping[str, Any]],
    reference_bounds: Sequence[float] | None,
) -> None:
    """Add up the tiles' reports of the deferred layers; raise :class:`Undefer` if irregular.

    On success each :class:`DeferredLayer` knows its features, count as given and
    bounds — what reading it whole would have given — and nothing needs a warning.
    """
    for layer in deferred:
        reports = [e["files"][layer.name] for e in extras if layer.name in e.get("files", {})]
        bad = next((r["irregular"] for r in reports if r["irregular"]), "")
        if bad:
            raise Undefer(f"{layer.name}: {bad}")
        headers = {int(r["header"]) for r in reports}
        owned = sum(int(r["owned"]) for r in reports)
        if len(headers) != 1 or owned != next(iter(headers)):
            raise Undefer(f"{layer.name}: features without a box (null or empty geometries)")
        if owned == 0:
            raise Undefer(f"{layer.name}: no features")
        extent = max(float(r["extent"]) for r in reports)
        if extent > layer.margin_m:
            raise Undefer(f"{layer.name}: a feature {extent:g} m wide, beyond the read margin")
        boxes = np.asarray([r["bounds"] for r in reports if r["bounds"] is not None])
        bounds = (
            float(boxes[:, 0].min()),
            float(boxes[:, 1].min()),
            float(boxes[:, 2].max()),
            float(boxes[:, 3].max()),
        )
        if reference_bounds is not None:
            rx0, ry0, rx1, ry1 = reference_bounds
            dx = max(0.0, bounds[0] - rx1, rx0 - bounds[2])
            dy = max(0.0, bounds[1] - ry1, ry0 - bounds[3])
            if math.hypot(dx, dy) > NO_OVERLAP_GAP_M:
                raise Undefer(f"{layer.name}: it lies apart from the homes")
        layer.features = layer.given = owned
        layer.bounds = bounds
        layer.settled = True
