"""Input files for tests: FlatGeobuf and GeoParquet written from GeoJSON, and a local HTTP store.

Where a test needs a layer as a file (by reference, as a province sends it) it writes
the collection with GDAL (:func:`write_fgb`) or pyarrow (:func:`write_gpq`); where a
worker must fetch it, the test serves it from 127.0.0.1 (:func:`serving`; allow-list
``127.0.0.1``), recording the requests so a test can count the fetches.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from pyogrio.raw import read, write

from gsl_indicators.core import sources


def write_fgb(
    path: Path, fc: dict[str, Any], *, crs: str = "EPSG:28992", index: bool = True
) -> None:
    """Write a GeoJSON FeatureCollection as a FlatGeobuf file (GDAL, via pyogrio).

    ``index``: with the packed R-tree (GDAL then orders the features along it); a file
    with a feature without geometry is written without (GDAL refuses one with it).
    """
    meta, _, geoms, fields = read(orjson.dumps(fc))
    kinds = {g.geom_type for g in shapely.from_wkb(geoms) if g is not None}
    write(
        str(path),
        geometry=geoms,
        field_data=fields,
        fields=meta["fields"],
        driver="FlatGeobuf",
        geometry_type=kinds.pop() if len(kinds) == 1 else "Unknown",
        crs=crs,
        spatial_index=index and all(g is not None for g in geoms),
    )


def write_gpq(
    path: Path,
    fc: dict[str, Any],
    *,
    crs: str | None = "EPSG:28992",
    row_group_size: int = 64,
    covering: bool = True,
    covering_shift: tuple[float, float] = (0.0, 0.0),
    covering_name: str = "bbox",
) -> None:
    """Write a GeoJSON FeatureCollection as GeoParquet 1.1 (pyarrow), features in order.

    WKB geometry (``None`` for a feature without one), the properties as columns, the
    CRS as PROJJSON (``None``: no ``crs`` member, which means OGC:CRS84), rows in row
    groups of ``row_group_size``; ``covering``: with a ``bbox`` struct column (null for a
    feature without geometry) named as the ``bbox`` covering of the ``geo`` metadata,
    moved by ``covering_shift`` (a covering that lies off its geometries), and named in
    the metadata as ``covering_name`` (another name: a covering the file lacks).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyproj import CRS

    meta, _, wkb, fields = read(orjson.dumps(fc))
    geoms = shapely.from_wkb(wkb)
    data: dict[str, Any] = {str(k): v for k, v in zip(meta["fields"], fields, strict=True)}
    data["geometry"] = pa.array(list(wkb), type=pa.binary())
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": sorted({g.geom_type for g in geoms if g is not None}),
    }
    if crs is not None:
        column["crs"] = CRS.from_user_input(crs).to_json_dict()
    if covering:
        present = ~shapely.is_missing(geoms)
        b = np.full((len(geoms), 4), np.nan)
        if present.any():
            b[present] = shapely.bounds(geoms[present])
        b += np.asarray([*covering_shift, *covering_shift])
        data["bbox"] = pa.StructArray.from_arrays(
            [pa.array(b[:, k]) for k in range(4)],
            names=["xmin", "ymin", "xmax", "ymax"],
            mask=pa.array(~present),
        )
        column["covering"] = {
            "bbox": {k: [covering_name, k] for k in ("xmin", "ymin", "xmax", "ymax")}
        }
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
    table = pa.table(data).replace_schema_metadata({b"geo": orjson.dumps(geo)})
    pq.write_table(table, path, row_group_size=row_group_size)


def send(
    handler: BaseHTTPRequestHandler,
    data: bytes | None,
    content_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    length: bool = True,
) -> None:
    """Answer a GET with ``data`` (200) or, when it is ``None``, a bare 404.

    ``headers``: more headers to send; ``length``: send ``Content-Length`` (without it, an
    HTTP/1.0 answer ends when the connection closes).
    """
    if data is None:
        handler.send_response(404)
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class Files:
    """FlatGeobuf or GeoParquet files by reference in a folder, found by sha256 (the spool's part).

    ``fmt``: the format :meth:`add` writes unless told (``geoparquet``: row groups of
    ``row_group_size`` features, with a ``bbox`` covering column when ``covering``).
    """

    def __init__(
        self,
        folder: Path,
        fmt: str = "flatgeobuf",
        row_group_size: int = 64,
        covering: bool = True,
    ) -> None:
        self.folder = folder
        self.fmt = fmt
        self.row_group_size = row_group_size
        self.covering = covering
        self.paths: dict[str, str] = {}
        sources.set_locator(lambda name, value: self.paths[value["sha256"]])

    def add(
        self,
        name: str,
        fc: dict,
        *,
        crs: str = "EPSG:28992",
        index: bool = True,
        fmt: str | None = None,
    ) -> dict:
        """Write a GeoJSON FeatureCollection as ``name.fgb`` or ``name.parquet``; return its source.

        ``index`` (FlatGeobuf only): with the packed R-tree, which orders the features
        along it; a GeoParquet keeps them as given.
        """
        fmt = fmt or self.fmt
        if fmt == "geoparquet":
            path = self.folder / f"{name}.parquet"
            write_gpq(path, fc, crs=crs, row_group_size=self.row_group_size, covering=self.covering)
        else:
            path = self.folder / f"{name}.fgb"
            write_fgb(path, fc, crs=crs, index=index)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        self.paths[sha] = str(path)
        return sources.file_source(fmt=fmt, href=str(path), bbox=None, sha256=sha)


class Watch:
    """A tile runner that records, per attempt (round), which layers the tiles read from files."""

    def __init__(self) -> None:
        self.attempts: list[set[str]] = []

    def __call__(self, payloads, on_tile):
        from gsl_indicators.core.tiling import decode_tile, run_one_by_one

        self.attempts.append({k for p in payloads for k in decode_tile(p).files})
        return run_one_by_one(payloads, on_tile)
