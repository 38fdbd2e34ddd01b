"""A per-feature output read for paging: its GeoParquet file as an Arrow table.

Every layer the result features API serves is read from the output's GeoParquet file —
the one stored beside a large result (:mod:`gsl_service.result_parts`, made once by the
worker) or, for an output inline in its document, the same export of it — so a page of
650,000 homes never parses the output's JSON: the API holds the file's columns (tens of
MB), takes the page's rows, and makes GeoJSON of those alone. A page's features carry
the file's columns, as the GeoParquet download does (nested values as JSON text, a
feature's own ``id`` as ``feature_id``); a feature's id in the API is its position in
the output (0, 1, …).

Layers are kept in a small cache by the digest of their job's stored document and the
output's name (a stored result never changes; the job is still looked up on every
request, so a dismissed job's layers are not served), and so are the positions a
``bbox`` selected, so a client paging through one box reads, parses and filters once.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from gsl_indicators.core.geo import transformer
from gsl_indicators.core.geojson_dicts import geometry_dicts
from gsl_indicators.core.sources import geoparquet_crs
from gsl_service.results import CRS84


class _Lru[K, V]:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may make it once each
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


@dataclass
class Layer:
    """One output's GeoParquet file, read for paging.

    Attributes
    ----------
    key : str
        The file's sha256.
    crs : str
        Its CRS (``EPSG:n`` or ``OGC:CRS84``).
    table : pyarrow.Table
        The file's rows.
    bounds : numpy.ndarray
        Each feature's box (n × 4) in ``crs``; NaN for a feature without geometry.
    properties : list of str
        The property columns (every column but the geometry and its box).
    """

    key: str
    crs: str
    table: Any
    bounds: np.ndarray
    properties: list[str]

    @property
    def n(self) -> int:
        """Number of features."""
        return int(self.table.num_rows)

    def extent(self) -> list[float] | None:
        """Return the layer's box in CRS84 (longitude/latitude), or ``None`` when empty."""
        b = self.bounds
        ok = ~np.isnan(b).any(axis=1)
        if not ok.any():
            return None
        box = (b[ok, 0].min(), b[ok, 1].min(), b[ok, 2].max(), b[ok, 3].max())
        if self.crs == CRS84:
            return [float(v) for v in box]
        tr = transformer(self.crs, CRS84)
        return [float(v) for v in tr.transform_bounds(*box, densify_pts=21)]

    def geometries(self, rows: np.ndarray) -> np.ndarray:
        """Return the shapely geometries of ``rows`` (``None`` where there is none)."""
        column = self.table.column("geometry").take(rows)
        return shapely.from_wkb(np.asarray(column.to_pylist(), dtype=object))

    def matching(self, boxes: Sequence[tuple[float, float, float, float]], crs: str) -> np.ndarray:
        """Return the positions of the features whose geometry meets any of ``boxes`` (in ``crs``).

        A box in another CRS than the layer's (CRS84) is first cut to the layer CRS's area
        of use (beyond it a projection folds: a whole-world box would select nothing),
        then taken to the layer's CRS as a shape with densified edges, so it selects what
        it covers on the map, not its corners' rectangle. A feature's box prefilters, its
        geometry decides. A box of no width or height is a line or a point.
        """
        shapes = []
        for given in boxes:
            box = self._within_use(given) if crs != self.crs else given
            if box is not None:
                shapes.append(_shape(box, densify=crs != self.crs))
        if crs != self.crs and shapes:
            tr = transformer(crs, self.crs)
            shapes = [
                shapely.transform(s, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
                for s in shapes
            ]
        if not shapes:
            return np.zeros(0, dtype=np.int64)
        area = shapely.union_all(shapes)
        if area.is_empty or not np.isfinite(shapely.bounds(area)).all():
            return np.zeros(0, dtype=np.int64)
        x0, y0, x1, y1 = shapely.bounds(area)
        b = self.bounds
        with np.errstate(invalid="ignore"):
            near = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        rows = np.flatnonzero(near)
        if len(rows) == 0:
            return rows.astype(np.int64)
        shapely.prepare(area)
        return rows[shapely.intersects(area, self.geometries(rows))].astype(np.int64)

    def _within_use(
        self, box: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float] | None:
        """Return a CRS84 box cut to this layer's CRS's area of use (``None``: outside it)."""
        use = CRS.from_user_input(self.crs).area_of_use
        if use is None:
            return box
        x0, y0 = max(box[0], use.west), max(box[1], use.south)
        x1, y1 = min(box[2], use.east), min(box[3], use.north)
        return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else None

    def features(self, rows: np.ndarray, target: str) -> list[dict[str, Any]]:
        """Return the GeoJSON features at ``rows``, in CRS ``target`` (axis order as it defines)."""
        part = self.table.take(rows)
        props = part.select(self.properties).to_pylist()
        geoms = shapely.from_wkb(np.asarray(part.column("geometry").to_pylist(), dtype=object))
        if target != self.crs:
            # the target's own axis order (EPSG:4326 is not offered: CRS84 is lon/lat)
            tr = transformer(self.crs, target)
            present = np.asarray([g is not None for g in geoms], dtype=bool)
            if present.any():
                geoms[present] = shapely.transform(
                    geoms[present],
                    lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])),
                )
        return [
            {"type": "Feature", "id": int(i), "geometry": g, "properties": p}
            for i, g, p in zip(rows.tolist(), geometry_dicts(geoms), props, strict=True)
        ]


def _shape(box: tuple[float, float, float, float], densify: bool) -> Any:
    """Return a box as a polygon (edges cut in 64 when ``densify``), a line or a point.

    Examples
    --------
    >>> _shape((1.0, 2.0, 1.0, 2.0), True).wkt, _shape((1.0, 2.0, 3.0, 2.0), False).wkt
    ('POINT (1 2)', 'LINESTRING (1 2, 3 2)')
    >>> len(shapely.get_coordinates(_shape((0.0, 0.0, 1.0, 1.0), True)))
    257
    """
    x0, y0, x1, y1 = box
    if x0 == x1 and y0 == y1:
        return shapely.Point(x0, y0)
    if x0 == x1 or y0 == y1:
        line = shapely.LineString([(x0, y0), (x1, y1)])
        return shapely.segmentize(line, max(x1 - x0, y1 - y0) / 64) if densify else line
    polygon = shapely.box(x0, y0, x1, y1)
    return shapely.segmentize(polygon, max(x1 - x0, y1 - y0) / 64) if densify else polygon


def parquet_crs(data: bytes) -> str:
    """Return the CRS a GeoParquet file's ``geo`` metadata names (absent or unknown: CRS84)."""
    import pyarrow.parquet as pq

    return geoparquet_crs(pq.read_schema(io.BytesIO(data))) or CRS84


def read_layer(data: bytes, key: str | None = None) -> Layer:
    """Return the layer of a GeoParquet file written by :func:`gsl_service.exports.to_geoparquet`."""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    box = table.column("bbox").combine_chunks()
    bounds = (
        np.column_stack(
            [
                np.asarray(box.field(k).to_numpy(zero_copy_only=False), dtype=float)
                for k in ("xmin", "ymin", "xmax", "ymax")
            ]
        )
        if table.num_rows
        else np.zeros((0, 4))
    )
    if table.num_rows and box.null_count:
        bounds[~np.asarray(box.is_valid().to_numpy(zero_copy_only=False), dtype=bool)] = np.nan
    names = [c for c in table.column_names if c not in ("geometry", "bbox")]
    return Layer(
        key=key or hashlib.sha256(data).hexdigest(),
        crs=geoparquet_crs(table.schema) or CRS84,
        table=table,
        bounds=bounds,
        properties=names,
    )


_LAYERS: _Lru[str, Layer] = _Lru(4)
_MATCHES: _Lru[tuple[Any, ...], np.ndarray] = _Lru(16)


def cached_layer(key: str, make: Callable[[], Layer]) -> Layer:
    """Return the layer kept as ``key``, made by ``make`` the first time (four are kept)."""
    return _LAYERS.get(key, make)


def cached_matching(
    layer: Layer, boxes: Sequence[tuple[float, float, float, float]], crs: str
) -> np.ndarray:
    """Return :meth:`Layer.matching`, kept for the next page of the same box."""
    return _MATCHES.get((layer.key, tuple(boxes), crs), lambda: layer.matching(boxes, crs))
