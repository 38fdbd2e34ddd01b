"""Downloads of a large output stored as parts, made without loading the output whole.

A per-feature output stored as a part (:mod:`gsl_service.result_parts`) has two stored
forms: its canonical JSON, compressed, and a GeoParquet file. Each download is made
from the form that carries what the format needs, a batch at a time:

* **GeoParquet** in its own CRS: the stored file as it is; in another CRS: the stored
  file's geometries reprojected (:func:`reprojected_geoparquet`);
* **FlatGeobuf and GeoPackage**: the stored file's columns written by GDAL from an Arrow
  stream (:func:`gdal_file`). The stored file has the very columns and types the
  exports write (:func:`gsl_service.exports._table`), and ``bbox`` besides;
* **GeoJSON and CSV**: the stored JSON read as a stream of features
  (:class:`~gsl_service.stored_collection.CollectionStream`): GeoJSON keeps nested
  property values as they are, which the GeoParquet file holds as JSON text. A CSV
  reads the stream once, its rows spooled until its columns are known (twice when a
  later feature brings a property the first batch had not).

Each gives the file the whole-document road gives (:func:`gsl_service.exports.export`
of the output): GeoJSON the same members and features (in another member order), CSV
the same bytes, FlatGeobuf and GeoPackage the same layer (fields, types, values,
geometries, feature order), GeoParquet the same table. One difference: the fields of
GDAL's files and of a reprojected GeoParquet file keep the stored file's order (the
order the indicator gave them), where the whole document's follow its sorted keys. On
650,000 homes the API process holds a batch instead of the whole output (GeoParquet in
another CRS: the stored table, its geometries moved a batch at a time; see
``benchmarks/bench_part_downloads.py``).
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import shapely

from gsl_indicators.core.geo import reproject
from gsl_indicators.core.sources import geoparquet_crs
from gsl_service.exports import (
    FLATGEOBUF,
    GPKG,
    ExportFormat,
    bbox_column,
    csv_header,
    csv_keys,
    csv_rows,
    flat_properties,
    gdal_layer_options,
    geojson_features,
    geojson_head,
    geojson_tail,
    geoparquet_metadata,
    layer_geometry_type,
    reproject_collection,
    srs_wkt,
)
from gsl_service.results import CRS84, crs_name
from gsl_service.stored_collection import CollectionStream

#: Features per batch read from the stored JSON (larger batches cost the garbage
#: collector more than they save: 650,000 homes read in 4.1 s by 1,000, 7.2 s by 10,000).
JSON_BATCH = 1_000
#: A CSV's rows kept in memory up to this many bytes before its columns are known, then
#: on disk (an unlinked temporary file: nothing left behind whatever ends the process).
CSV_SPOOL_MEMORY = 16 * 1024 * 1024
#: Bytes a CSV is sent in from its spool.
CSV_CHUNK = 1024 * 1024
#: Rows per batch read from the stored GeoParquet file.
PARQUET_BATCH = 50_000
#: A column that may be a property named ``bbox`` (any case) renamed for GeoParquet alone.
_MAY_BE_BBOX = re.compile(r"(property_)+bbox", re.IGNORECASE)


#: Prefix of the temporary folder a GDAL download is written into (removed once sent).
DOWNLOAD_PREFIX = "gsl-download-"


def sweep_leftovers(max_age_s: float = 3600.0, folder: str | None = None) -> int:
    """Remove download folders older than ``max_age_s`` that a stopped process left behind.

    A folder is removed once its file is sent, or when writing it fails; a process
    killed in between leaves it (in a pod's ``/tmp``, an ``emptyDir`` with a size limit).
    Called when the app starts; a folder younger than ``max_age_s`` may be another
    process's download in flight and is left alone. Returns how many were removed.
    """
    import shutil
    import tempfile
    import time

    root = Path(folder or tempfile.gettempdir())
    removed = 0
    for path in root.glob(f"{DOWNLOAD_PREFIX}*"):
        try:
            old = time.time() - path.stat().st_mtime > max_age_s
        except OSError:
            continue
        if old and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def json_crs(blob: bytes, default: str) -> str:
    """Return the CRS of a stored JSON output: its ``crs`` member, else ``default``."""
    return crs_name(CollectionStream(blob).head) or default


def geojson_chunks(blob: bytes, *, source_crs: str, target_crs: str) -> Iterator[bytes]:
    """Yield a stored output as GeoJSON in ``target_crs``, a batch of features at a time."""
    stream = CollectionStream(blob)
    if source_crs == target_crs:  # the features as stored, and the members after them
        yield geojson_head(stream.head, target_crs, typed=False)
        for text in stream.text_after_head():
            yield text.encode()
        return
    yield geojson_head(stream.head, target_crs)
    first = True
    for batch in stream.batches(JSON_BATCH):
        yield geojson_features(batch, first=first, source_crs=source_crs, target_crs=target_crs)
        first = False
    yield geojson_tail(stream.tail)


def csv_chunks(blob: bytes, *, source_crs: str, target_crs: str) -> Iterator[bytes]:
    """Yield a stored output as CSV (:func:`gsl_service.exports.to_csv`) in ``target_crs``.

    A CSV's columns come before its first row, and they are every property any feature
    has. The stored JSON is read once: the first batch's properties are taken as the
    columns and the rows written to a spool (in memory up to :data:`CSV_SPOOL_MEMORY`,
    then an unlinked temporary file), sent after the header. A per-feature output's
    features mostly share their properties; when a later batch brings one the first did
    not have, the spool is dropped, the rest of that read only gathers the columns, and
    the rows come from a second read. The bytes are the same either way.
    """
    keys, spool = _csv_columns_and_rows(blob, source_crs=source_crs, target_crs=target_crs)
    if spool is not None:
        with spool:  # closed however the sending ends (a client gone after the header too)
            yield csv_header(keys)
            while chunk := spool.read(CSV_CHUNK):
                yield chunk
        return
    yield csv_header(keys)
    for batch in CollectionStream(blob).batches(JSON_BATCH):
        if source_crs != target_crs:
            batch = reproject_collection({"features": batch}, source_crs, target_crs)["features"]
        yield csv_rows(batch, keys)


def _csv_columns_and_rows(
    blob: bytes, *, source_crs: str, target_crs: str
) -> tuple[list[str], IO[bytes] | None]:
    """Return the CSV's columns and its rows spooled, read back from their start.

    The spool is ``None`` when a batch after the first had a property the first had not.
    """
    # handed to the caller, who closes it once sent (closed here if anything goes wrong)
    spool: IO[bytes] | None = tempfile.SpooledTemporaryFile(max_size=CSV_SPOOL_MEMORY)  # noqa: SIM115
    keys: dict[str, None] = {}
    try:
        for number, batch in enumerate(CollectionStream(blob).batches(JSON_BATCH)):
            if spool is None:  # the columns alone from here on
                csv_keys(batch, keys)
                continue
            rows = [flat_properties(f.get("properties")) for f in batch]
            if number > 0 and any(k not in keys for row in rows for k in row):
                spool.close()
                spool = None
            for row in rows:
                keys.update(dict.fromkeys(row))
            if spool is None:
                continue
            if source_crs != target_crs:
                batch = reproject_collection({"features": batch}, source_crs, target_crs)["features"]  # fmt: skip
            spool.write(csv_rows(batch, list(keys), rows))
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    if spool is not None:
        spool.seek(0)
    return list(keys), spool


def _parquet(data: bytes) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.ParquetFile(pa.BufferReader(data))


def _geometry_types(schema: Any) -> list[str]:
    geo = orjson.loads((schema.metadata or {})[b"geo"])
    kinds: list[str] = geo["columns"][geo["primary_column"]].get("geometry_types") or []
    return kinds


def _mover(source_crs: str, target_crs: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return a function reprojecting an array of geometries (``None``: same CRS)."""
    if source_crs == target_crs:
        return None
    return functools.partial(reproject, source_crs=source_crs, target_crs=target_crs)


_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}


def _promoted(geoms: np.ndarray) -> np.ndarray:
    """Return ``geoms`` with every single point, line or polygon made a multi-part of one.

    What GDAL's writers get from pyogrio's ``promote_to_multi`` on the exports' road.
    """
    kinds = shapely.get_type_id(geoms)
    out = geoms.copy()
    for kind, make in _MULTI.items():
        at = np.flatnonzero(kinds == kind)
        if len(at):
            out[at] = make(geoms[at], indices=np.arange(len(at)))
    return out


def gdal_file(
    parquet: bytes, fmt: ExportFormat, *, layer: str, target_crs: str | None, folder: Path
) -> Path | None:
    """Write a stored GeoParquet file as FlatGeobuf or GeoPackage in ``folder``; return its path.

    ``None`` when the stored file may differ from the export: it has a column
    ``property_bbox`` (any case, the prefix repeated or not), which may be a property
    ``bbox`` renamed for GeoParquet alone.
    """
    import pyarrow as pa
    from pyogrio import write_arrow

    assert fmt is FLATGEOBUF or fmt is GPKG
    source = _parquet(parquet)
    schema = source.schema_arrow
    if any(_MAY_BE_BBOX.fullmatch(name) for name in schema.names):
        return None
    crs = geoparquet_crs(schema) or CRS84
    target = target_crs or crs
    gtype, promote = layer_geometry_type(_geometry_types(schema))
    move = _mover(crs, target)
    fields = [f for f in schema if f.name != "bbox"]
    out_schema = pa.schema(
        [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in fields]
    )

    def batches() -> Iterator[Any]:
        for batch in source.iter_batches(PARQUET_BATCH, columns=[f.name for f in fields]):
            columns = [
                column.cast(pa.string()) if pa.types.is_null(column.type) else column
                for column in batch.columns
            ]
            if move is not None or promote:
                at = batch.schema.get_field_index("geometry")
                geoms = shapely.from_wkb(columns[at].to_numpy(zero_copy_only=False))
                geoms = move(geoms) if move is not None else geoms
                geoms = _promoted(geoms) if promote else geoms
                columns[at] = pa.array(shapely.to_wkb(geoms), type=pa.binary())
            yield pa.RecordBatch.from_arrays(columns, schema=out_schema)

    xmin = source.read(columns=["bbox"]).column("bbox").flatten()[0]  # null: no geometry
    all_placed = xmin.null_count == 0
    path = folder / f"{layer}.{fmt.extension}"
    write_arrow(
        pa.RecordBatchReader.from_batches(out_schema, batches()),
        str(path),
        layer=layer,
        driver="GPKG" if fmt is GPKG else "FlatGeobuf",
        geometry_name="geometry",
        geometry_type=gtype,
        crs=srs_wkt(target),
        layer_options=gdal_layer_options(fmt, all_placed=all_placed),
    )
    return path


def reprojected_geoparquet(parquet: bytes, target_crs: str) -> bytes:
    """Return a stored GeoParquet file with its geometries, boxes and ``geo`` metadata in ``target_crs``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _parquet(parquet).read()
    move = _mover(geoparquet_crs(table.schema) or CRS84, target_crs)
    wkb = table.column("geometry")
    moved, boxes, presence = [], [], []
    for start in range(0, len(wkb), PARQUET_BATCH):
        geoms = shapely.from_wkb(wkb.slice(start, PARQUET_BATCH).to_numpy(zero_copy_only=False))
        geoms = move(geoms) if move is not None else geoms
        moved.append(pa.array(shapely.to_wkb(geoms), type=pa.binary()))
        boxes.append(shapely.bounds(geoms))
        presence.append(~shapely.is_missing(geoms))
    bounds = np.concatenate(boxes) if boxes else np.empty((0, 4))
    present = np.concatenate(presence) if presence else np.empty(0, dtype=bool)
    table = table.set_column(
        table.schema.get_field_index("geometry"), "geometry", pa.chunked_array(moved, pa.binary())
    )
    table = table.set_column(
        table.schema.get_field_index("bbox"), "bbox", bbox_column(bounds, present)
    )
    geo = geoparquet_metadata(_geometry_types(table.schema), bounds, present, target_crs)
    table = table.replace_schema_metadata({b"geo": geo})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()
