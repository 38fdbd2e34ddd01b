"""Input files for tests: FlatGeobuf written from GeoJSON, and a local HTTP store.

Where a test needs a layer as a file (by reference, as a province sends it) it writes
the collection with GDAL (:func:`write_fgb`); where a worker must fetch it, the test
serves it from 127.0.0.1 (:func:`serving`; allow-list ``127.0.0.1``), recording the
requests so a test can count the fetches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import shapely
from pyogrio.raw import read, write


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


def send(handler: BaseHTTPRequestHandler, data: bytes | None, content_type: str) -> None:
    """Answer a GET with ``data`` (200) or, when it is ``None``, a bare 404."""
    if data is None:
        handler.send_response(404)
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
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
