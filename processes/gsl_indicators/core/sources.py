"""Geo inputs read from files as columns: FlatGeobuf, GeoParquet and GeoJSON.

A province's buildings do not come as inline JSON but as files and feature services.
A reference fetched by the service (``{"href": ..., "type": ..., "bbox": ...}``) becomes
a *file source*, a plain dict in one of two forms:

* **by reference** (what the service makes): the file stays where it is, pinned by the
  sha256 of its content at submission, and travels to the worker as a few bytes::

      {"source": "file", "format": "flatgeobuf", "href": "...", "bbox": [x0, y0, x1, y1],
       "sha256": "...", "pin": b"<the 32 bytes of the sha256>", "size": 123456}

  ``pin`` is raw bytes on purpose: no JSON request can make one, so an inline input can
  never pass for a file source (nor name a local ``path``). Where the file is read, a
  *locator* (:func:`set_locator`; the service's spool,
  :mod:`gsl_service.spool`) returns a local copy verified against ``sha256`` (fetched
  once per worker under the service's address guard and limits), and GDAL / pyarrow
  read only what the ``bbox`` needs from it;
* **with its bytes** (tests, benchmarks, a file read in memory)::

      {"source": "file", "format": "flatgeobuf", "href": "...", "bbox": ...,
       "bytes": b"...", "sha256": "..."}

The worker reads either with :func:`read_table`: FlatGeobuf and GeoJSON through GDAL
(pyogrio), GeoParquet through pyarrow (WKB geometry column and the ``geo`` metadata of
the GeoParquet specification). The result is a :class:`FeatureTable` — one geometry
array and one numpy array per property — so memory grows with the features kept, never
with a JSON text, and no per-feature GeoJSON dict exists unless an output asks for one
(:class:`TableFeatures`).

``bbox`` keeps only the features whose bounding box meets it, in the CRS of the
file. FlatGeobuf's packed R-tree lets GDAL decode only those features; GeoParquet
files with a ``bbox`` covering column (GeoParquet 1.1) are filtered per row group by
pyarrow before anything is decoded (from a local file, only those row groups are read).
A tile of a large request is the same source with a narrower ``bbox``
(:func:`with_bbox`).

The digest of a file source (the cache key's input digest) is that of its format,
content (sha256) and bbox: the same file and box always give the same key, in both forms.
"""

from __future__ import annotations

import gc
import io
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import orjson
import shapely

from gsl_indicators.core.canonical import digest
from gsl_indicators.core.fgb_complete import MAGIC, check_complete, check_count
from gsl_indicators.core.geojson_dicts import geometry_dicts, geometry_texts
from gsl_indicators.core.spec import InputError

FLATGEOBUF = "application/flatgeobuf"
GEOPARQUET = "application/vnd.apache.parquet"
GEOJSON = "application/geo+json"
#: Media types of each format read from a file (the first is the canonical one).
MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "flatgeobuf": (FLATGEOBUF, "application/x-flatgeobuf"),
    "geoparquet": (GEOPARQUET, "application/x-parquet", "application/parquet"),
    "geojson": (GEOJSON, "application/json", "application/vnd.geo+json"),
}
#: File name endings of each format (the last resort of :func:`file_format`).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "flatgeobuf": (".fgb",),
    "geoparquet": (".parquet", ".geoparquet"),
    "geojson": (".geojson", ".json"),
}
#: The GeoJSON type names by shapely type id.
TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ],
    dtype=object,
)
Box = tuple[float, float, float, float]


def sniff(data: bytes) -> str | None:
    r"""Return the format the first bytes of a file show (``None``: unknown).

    Examples
    --------
    >>> sniff(b"fgb\x03fgb\x00..."), sniff(b"PAR1....PAR1"), sniff(b'  {"type": "F'), sniff(b"GIF8")
    ('flatgeobuf', 'geoparquet', 'geojson', None)
    """
    if data[:3] == b"fgb" and data[4:7] == b"fgb":
        return "flatgeobuf"
    if data[:4] == b"PAR1":
        return "geoparquet"
    if data.lstrip()[:1] == b"{":
        return "geojson"
    return None


def format_of_media(media: str) -> str | None:
    """Return the format of a media type (parameters ignored; ``None``: not a file format).

    Examples
    --------
    >>> format_of_media("application/flatgeobuf"), format_of_media("image/png")
    ('flatgeobuf', None)
    """
    media = media.split(";")[0].strip().lower()
    return next((fmt for fmt, types in MEDIA_TYPES.items() if media in types), None)


def format_of_path(path: str) -> str | None:
    """Return the format a file name's ending suggests.

    Examples
    --------
    >>> format_of_path("/data/panden.fgb"), format_of_path("/x/bomen.parquet"), format_of_path("/a")
    ('flatgeobuf', 'geoparquet', None)
    """
    path = path.lower()
    return next((fmt for fmt, ends in EXTENSIONS.items() if path.endswith(ends)), None)


def check_bbox(name: str, bbox: Any) -> tuple[float, float, float, float] | None:
    """Return a reference's ``bbox`` as four floats (``None`` when absent).

    Raises
    ------
    InputError
        Unless it is ``[minx, miny, maxx, maxy]``: four finite numbers, min ≤ max.

    Examples
    --------
    >>> check_bbox("b", [0, 1, 2, 3])
    (0.0, 1.0, 2.0, 3.0)
    >>> check_bbox("b", [2, 0, 1, 1])
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'b': bbox must be [minx, miny, maxx, maxy] with minx <= maxx and miny <= maxy, got [2, 0, 1, 1]
    """
    if bbox is None:
        return None
    ok = (
        isinstance(bbox, list | tuple)
        and len(bbox) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
        and all(math.isfinite(float(v)) for v in bbox)
    )
    if not ok or bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        raise InputError(
            name,
            "bbox must be [minx, miny, maxx, maxy] with minx <= maxx and miny <= maxy, "
            f"got {bbox!r}",
        )
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return x0, y0, x1, y1


def file_source(
    *,
    fmt: str,
    href: str,
    bbox: Sequence[float] | None,
    sha256: str,
    data: bytes | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    """Return the resolved value of a geo input read from a file (see the module text).

    With ``data`` the source carries the file's bytes; without, it is a reference pinned
    by ``sha256`` (the file is read where the locator puts it).

    Examples
    --------
    >>> ref = file_source(fmt="flatgeobuf", href="h", bbox=None, sha256="ab" * 32, size=9)
    >>> is_file_source(ref), is_reference(ref), "bytes" in ref
    (True, True, False)
    """
    out: dict[str, Any] = {
        "source": "file",
        "format": fmt,
        "href": href,
        "bbox": list(bbox) if bbox is not None else None,
        "sha256": sha256,
    }
    if data is not None:
        out["bytes"] = data
    else:
        out["pin"] = bytes.fromhex(sha256)
        out["size"] = size
    return out


def is_reference(value: Any) -> bool:
    """Return whether ``value`` is a file source by reference (pinned, without its bytes).

    Examples
    --------
    >>> sha = "0f" * 32
    >>> is_reference({"source": "file", "sha256": sha, "pin": bytes.fromhex(sha)})
    True
    >>> is_reference({"source": "file", "sha256": sha, "pin": sha})  # JSON cannot make it
    False
    """
    if not isinstance(value, Mapping) or value.get("source") != "file":
        return False
    pin, sha = value.get("pin"), value.get("sha256")
    return (
        isinstance(pin, bytes | bytearray)
        and isinstance(sha, str)
        and len(pin) == 32
        and bytes(pin).hex() == sha.lower()
    )


def is_file_source(value: Any) -> bool:
    """Return whether ``value`` is a file source (only the service makes them: raw bytes).

    Examples
    --------
    >>> is_file_source({"source": "file", "bytes": b"x"}), is_file_source({"source": "file", "bytes": "x"})
    (True, False)
    """
    return (
        isinstance(value, Mapping)
        and value.get("source") == "file"
        and isinstance(value.get("bytes"), bytes | bytearray | memoryview)
    ) or is_reference(value)


def with_bbox(value: Mapping[str, Any], bbox: Sequence[float] | None) -> dict[str, Any]:
    """Return the same file source narrowed to ``bbox`` (a tile's part of it).

    Examples
    --------
    >>> with_bbox({"source": "file", "bbox": None, "sha256": "ab"}, (0, 0, 1, 2))["bbox"]
    [0.0, 0.0, 1.0, 2.0]
    """
    return {**value, "bbox": None if bbox is None else [float(v) for v in bbox]}


#: Where a file source by reference is read: ``(input name, source) -> local path``.
Locator = Callable[[str, Mapping[str, Any]], str]
_LOCATOR: list[Locator] = []


def set_locator(locator: Locator | None) -> None:
    """Set (``None``: clear) this process's locator of files by reference.

    The service sets its spool (:mod:`gsl_service.spool`) in every process that runs
    kernels: RQ work horses, pool children and ``gsl run``.
    """
    _LOCATOR.clear()
    if locator is not None:
        _LOCATOR.append(locator)


def local_path(name: str, value: Mapping[str, Any]) -> str:
    """Return the path of a local copy of a file source by reference (see :func:`set_locator`).

    Raises
    ------
    InputError
        Naming the input, when this process has no locator or the locator fails
        (the file cannot be fetched, or its content no longer has the pinned sha256).
    """
    if not _LOCATOR:
        raise InputError(
            name, f"{value.get('href')} is a file by reference, but no spool is set up to read it"
        )
    return _LOCATOR[0](name, value)


def source_digest(value: Mapping[str, Any]) -> str:
    """Return the digest of a file source: format, content (sha256) and bbox.

    Examples
    --------
    >>> a = {"source": "file", "format": "flatgeobuf", "sha256": "ab", "bbox": None, "href": "h1"}
    >>> source_digest(a) == source_digest({**a, "href": "h2"}) != source_digest({**a, "bbox": [0, 0, 1, 1]})
    True
    """
    return digest(
        {
            "source": "file",
            "format": value["format"],
            "sha256": value["sha256"],
            "bbox": value.get("bbox"),
        }
    )


@dataclass
class FeatureTable:
    """Features read as columns.

    Attributes
    ----------
    geometries : numpy.ndarray of shapely geometries (``None`` where a feature has none)
        In the file's CRS, as read.
    columns : dict of str to numpy.ndarray
        One array per property, in the file's column order.
    crs : str or None
        The file's CRS (``EPSG:<code>`` where it has one, else its WKT), ``None`` when
        the file does not say.
    digest : str
        The digest of the file source it was read from (:func:`source_digest`).
    fids : numpy.ndarray or None
        Each feature's id in the file (FlatGeobuf, GeoParquet: its position), when asked for.
    covering_off : float
        GeoParquet read with a ``bbox`` through its covering column: how far (CRS units)
        the covering box of a row it let through lies from the box of the row's
        geometry, at most (0 otherwise). A reader that must see exactly what a whole
        read sees (the tiles, :mod:`~gsl_indicators.core.tile_files`) checks it.
    """

    geometries: np.ndarray
    columns: dict[str, np.ndarray]
    crs: str | None
    digest: str = ""
    fids: np.ndarray | None = None
    covering_off: float = 0.0

    def __len__(self) -> int:
        return len(self.geometries)

    def types(self) -> np.ndarray:
        """Return each feature's GeoJSON geometry type name (``None``: no geometry)."""
        out = np.full(len(self), None, dtype=object)
        present = np.asarray([g is not None for g in self.geometries], dtype=bool)
        if present.any():
            out[present] = TYPE_NAMES[shapely.get_type_id(self.geometries[present])]
        return out

    def sample_xy(self, n: int = 200) -> np.ndarray:
        """Return the first vertex of about ``n`` evenly spread features (for CRS checks)."""
        step = max(1, len(self) // n)
        xy = [
            shapely.get_coordinates(g)[0]
            for g in self.geometries[::step]
            if g is not None and not g.is_empty
        ]
        return np.asarray(xy, dtype=float).reshape(-1, 2)


def python_column(values: np.ndarray) -> list[Any]:
    """Return a column as JSON-ready Python values (NaN and NaT as ``None``)."""
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    if values.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in values]
    if values.dtype.kind == "O":
        return [v.isoformat() if hasattr(v, "isoformat") else v for v in values.tolist()]
    return values.tolist()


#: Work on a file's kept rows that the output needs besides its dicts, done by
#: :meth:`TableFeatures.make_ready` (a hook keeps what it made in ``memo``): the service
#: adds the columns and geometries of the GeoParquet file it stores beside a large result
#: (:mod:`gsl_service.result_parts`).
READY_HOOKS: list[Callable[[TableFeatures], None]] = []


class TableFeatures(Sequence[dict[str, Any]]):
    """The kept features of a :class:`FeatureTable` as GeoJSON Feature dicts, made on demand.

    A :class:`~gsl_indicators.core.geo.Layer` read from a file holds this in place of
    the list of features a GeoJSON input keeps: nothing per feature exists until an
    output FeatureCollection is written, and :meth:`column` reads a property without
    any dict. The geometry is written as read (source CRS), like a GeoJSON input's.
    """

    def __init__(self, table: FeatureTable, rows: np.ndarray) -> None:
        self.table = table
        self.rows = rows
        self._ready: list[dict[str, Any]] | None = None
        #: What the :data:`READY_HOOKS` made of these rows, by the hook's own key.
        self.memo: dict[str, Any] = {}

    def make_ready(self) -> None:
        """Make the output's features now (properties and geometry texts), for :meth:`output_features`.

        What an output collection of these features needs besides the indicator's
        columns; then each of :data:`READY_HOOKS`. The parent of a tiled run makes them
        while other workers run its tiles (:func:`gsl_indicators.core.tiling.run_tiled`),
        instead of after: at 650,000 homes only adding the columns is left (~0.5 s of the
        ~1 s the features take).
        """
        if self._ready is None:
            self._ready = self._output_features(properties=True)
            for hook in READY_HOOKS:
                hook(self)

    def output_features(self, properties: bool = True) -> list[dict[str, Any]]:
        """Return the kept features as fresh Feature dicts, in order, for an output to fill.

        Those :meth:`make_ready` made (given once, then forgotten), else made now (the
        geometries a step at a time). Each geometry is its canonical GeoJSON text
        (:func:`~gsl_indicators.core.geojson_dicts.geometry_texts`), which reads as
        its dict. ``properties=False``: each with properties ``None`` unless made
        ready, for a caller that sets its own.
        """
        ready, self._ready = self._ready, None
        if ready is not None:
            return ready
        return self._output_features(properties)

    def _output_features(self, properties: bool) -> list[dict[str, Any]]:
        props = self.properties() if properties else [None] * len(self)
        return [
            {"type": "Feature", "geometry": g, "properties": p}
            for p, g in zip(props, self.geometry_texts(), strict=True)
        ]

    def __len__(self) -> int:
        return len(self.rows)

    def digest(self) -> str:
        """Return the digest of the file source the rows were read from."""
        return self.table.digest

    def column(self, key: str) -> np.ndarray | None:
        """Return property ``key`` of the kept features (``None`` when there is no such column)."""
        values = self.table.columns.get(key)
        return None if values is None else values[self.rows]

    def property_columns(self) -> dict[str, list[Any]]:
        """Return each property of the kept features as a list of JSON-ready values, in order."""
        return {k: python_column(v[self.rows]) for k, v in self.table.columns.items()}

    def properties(self) -> list[dict[str, Any]]:
        """Return each kept feature's properties as a dict (built once per call)."""
        columns = self.property_columns()
        names = list(columns)
        return (
            [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
            if names
            else [{} for _ in range(len(self))]
        )

    def geometries(self) -> np.ndarray:
        """Return the kept features' geometries as read (shapely; ``None`` for none)."""
        out: np.ndarray = self.table.geometries[self.rows]
        return out

    def _geometries(self, positions: np.ndarray) -> list[Any]:
        return geometry_dicts(self.table.geometries[self.rows[positions]])

    def geometry_dicts(self, step: int = 10_000) -> Iterator[Any]:
        """Yield each kept feature's GeoJSON geometry dict (``None``: none), ``step`` at a time.

        Only one step's dicts exist at once besides those the caller keeps.
        """
        return self._in_steps(geometry_dicts, step)

    def geometry_texts(self, step: int = 10_000) -> Iterator[Any]:
        """Yield each kept feature's geometry as canonical GeoJSON text (``None``: none), ``step`` at a time."""
        return self._in_steps(geometry_texts, step)

    def _in_steps(self, make: Callable[[np.ndarray], list[Any]], step: int) -> Iterator[Any]:
        """Yield what ``make`` makes of the kept geometries, ``step`` of them at a time."""
        for start in range(0, len(self), step):
            yield from make(self.table.geometries[self.rows[start : start + step]])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        props = self.properties()
        for p, g in zip(props, self.geometry_dicts(), strict=True):
            yield {"type": "Feature", "geometry": g, "properties": p}

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        names = list(self.table.columns)
        row = self.rows[i]
        props = {k: python_column(self.table.columns[k][row : row + 1])[0] for k in names}
        geom = self._geometries(np.asarray([i if i >= 0 else len(self) + i]))[0]
        return {"type": "Feature", "geometry": geom, "properties": props}


def read_table(
    name: str, value: Mapping[str, Any], *, fids: bool = False, attributes: bool = True
) -> FeatureTable:
    """Read a file source (see the module text) into a :class:`FeatureTable`.

    A source with its bytes is read from memory; a reference from the local copy its
    locator gives (:func:`local_path`), so GDAL and pyarrow read only the parts of the
    file that the ``bbox`` needs. ``fids``: also each feature's id in the file (a
    FlatGeobuf's and a GeoParquet's are the features' positions in it, from 0).
    ``attributes=False``: the geometries only (no property column is read or decoded).

    Raises
    ------
    InputError
        Naming the input, when the bytes are not a readable file of the format (or a
        reference cannot be located, see :func:`local_path`).
    """
    fmt = str(value.get("format"))
    bbox = value.get("bbox")
    where: str | io.BytesIO
    if isinstance(value.get("bytes"), bytes | bytearray | memoryview):
        where = io.BytesIO(bytes(value["bytes"]))
    else:
        where = local_path(name, value)
    try:
        if fmt == "geoparquet":
            table = _read_parquet(where, bbox, fids=fids, attributes=attributes)
        else:
            table = _read_gdal(where, bbox, fids=fids, attributes=attributes)
        table.digest = source_digest(value)
        return table
    except InputError:
        raise
    except Exception as err:
        what = {"flatgeobuf": "FlatGeobuf", "geoparquet": "GeoParquet", "geojson": "GeoJSON"}
        raise InputError(
            name,
            f"{value.get('href')} is not a readable {what.get(fmt, fmt)} file: "
            f"{type(err).__name__}: {str(err)[:200]}",
        ) from None


def _crs_name(crs: Any) -> str | None:
    """Return ``EPSG:<code>`` for a CRS GDAL or GeoParquet gives, else its text."""
    if not crs:
        return None
    from pyproj import CRS

    parsed = CRS.from_user_input(crs)
    code = parsed.to_epsg()
    if code == 4326 or (parsed.is_geographic and parsed.name in ("WGS 84 (CRS84)", "WGS 84")):
        return "OGC:CRS84"  # GeoJSON, FlatGeobuf and GeoParquet all write lon/lat order
    return f"EPSG:{code}" if code else parsed.to_string()


#: OGR field types whose columns GDAL's Arrow stream gives exactly as ``pyogrio.raw.read``
#: does (numbers as numpy numbers, NaN for a null number, text as ``str`` or ``None``).
_ARROW_SAFE = frozenset(("OFTInteger", "OFTInteger64", "OFTReal", "OFTString"))


def _arrow_safe(where: str | io.BytesIO) -> bool:
    """Return whether a FlatGeobuf's fields all read the same through GDAL's Arrow stream.

    Asked of FlatGeobuf only (the province's format; GeoJSON keeps the plain road, and
    the caller knows the format from :func:`_flatgeobuf_declared`): plain number and text
    fields (no booleans, dates or lists, whose conversions differ).
    """
    from pyogrio import read_info

    info = read_info(where)
    if isinstance(where, io.BytesIO):
        where.seek(0)
    return info.get("driver") == "FlatGeobuf" and all(
        t in _ARROW_SAFE and sub == "OFSTNone"
        for t, sub in zip(info["ogr_types"], info["ogr_subtypes"], strict=True)
    )


def _read_arrow(
    where: str | io.BytesIO,
    bbox: Sequence[float] | None,
    fids: bool = False,
    columns: list[str] | None = None,
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray, list[np.ndarray]] | None:
    """Read a FlatGeobuf through GDAL's Arrow stream: (meta, fids, WKB, fields), or ``None``.

    The same arrays as ``pyogrio.raw.read`` for the fields :func:`_arrow_safe` admits,
    read 2–4× faster (the province's trees: 2.1 → 0.5 s, its homes 0.9 → 0.3 s),
    because no Python object is made per feature and field until the columns are
    converted at once. ``None`` (the caller reads the plain way) when the stream's
    geometry column is not plain WKB for every feature: GDAL 3.x streams a FlatGeobuf's
    null geometry as a corrupt binary value (a negative length) and a bbox that selects
    nothing as 65,536 made-up rows of empty WKB, so such reads take the plain road; so
    does a file with a field named like the stream's geometry column.
    """
    import pyarrow as pa
    from pyogrio.raw import read_arrow

    meta, table = read_arrow(
        where, bbox=tuple(bbox) if bbox else None, return_fids=fids, columns=columns
    )
    if isinstance(where, io.BytesIO):
        where.seek(0)
    names = table.column_names
    if len(set(names)) != len(names):  # a field named like the geometry or id column
        return None
    ids = None
    if fids:
        ids = np.asarray(table.column(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    try:
        storage = [
            c.storage if isinstance(c, pa.ExtensionArray) else c
            for c in table.column(meta.get("geometry_name") or "wkb_geometry").chunks
        ]  # geoarrow.wkb: its binary storage, chunk by chunk (no copy of the whole column)
        if not all(_plain_wkb(s) for s in storage):
            return None
        chunks = [s.to_numpy(zero_copy_only=False) for s in storage]
    except (pa.ArrowException, SystemError, KeyError):
        return None
    wkb = np.asarray(np.concatenate(chunks) if chunks else np.empty(0), dtype=object)
    fields = [table.column(str(k)).to_numpy(zero_copy_only=False) for k in meta["fields"]]
    return meta, ids, wkb, fields


def _plain_wkb(chunk: Any) -> bool:
    """Return whether a binary Arrow array holds a non-empty value in every row.

    No null, no empty and no negative length (a corrupt offset): checked by Arrow's
    kernels, not per value in Python (the province's 2,000,000 trees: 0.35 s less).

    Examples
    --------
    >>> import pyarrow as pa
    >>> [_plain_wkb(pa.array(v, pa.binary())) for v in ([b"a", b"bc"], [b"a", b""], [b"a", None], [])]
    [True, False, False, True]
    """
    import pyarrow.compute as pc

    if not len(chunk):
        return True
    if chunk.null_count:
        return False
    shortest = pc.min(pc.binary_length(chunk)).as_py()
    return shortest is not None and shortest > 0


def _read_gdal(
    where: str | io.BytesIO,
    bbox: Sequence[float] | None,
    fids: bool = False,
    attributes: bool = True,
) -> FeatureTable:
    """Read a FlatGeobuf or GeoJSON file (path or bytes) with GDAL (pyogrio)."""
    from pyogrio.raw import read

    wanted: list[str] | None = None if attributes else []
    declared = _flatgeobuf_declared(where)  # a truncated FlatGeobuf is refused, not read empty
    arrow = declared is not None and _arrow_safe(where)
    got = _read_arrow(where, bbox, fids, wanted) if arrow else None
    if got is not None:
        meta, ids, wkb, fields = got
    else:
        meta, ids, wkb, fields = read(
            where, bbox=tuple(bbox) if bbox else None, return_fids=fids, columns=wanted
        )
    geoms = _from_wkb(wkb) if wkb is not None else np.full(len(fields[0]) if fields else 0, None)
    if declared is not None and not bbox:
        check_count(len(geoms), declared)
    columns = {str(k): np.asarray(v) for k, v in zip(meta["fields"], fields, strict=True)}
    # pyogrio (0.13) leaves the arrays it returns in a reference cycle (a Cython closure
    # of its feature reader), so only the cyclic collector frees them, and a run pauses
    # that collector (geo.paused_gc) until its result is made: every layer's WKB would
    # stay alive for the whole run (measured at 200,000 homes, one piece from files:
    # peak 1,571 MB with, 1,415 MB without). Collect the cycle now: its objects are the
    # youngest, so a collection of the youngest generation finds it (a full one costs
    # ~60 ms on a parent's large heap, for each of the tiles' window reads).
    del wkb, fields
    gc.collect(0)
    return FeatureTable(
        np.asarray(geoms, dtype=object),
        columns,
        _crs_name(meta.get("crs")),
        fids=None if ids is None else np.asarray(ids, dtype=np.int64),
    )


def _flatgeobuf_declared(where: str | io.BytesIO) -> int | None:
    """Return a FlatGeobuf's declared feature count (``None``: another format).

    Raises
    ------
    ValueError
        When the file ends before its last feature does
        (:func:`~gsl_indicators.core.fgb_complete.check_complete`).
    """
    if isinstance(where, io.BytesIO):
        data = where.getbuffer()
        if data[:4].tobytes() != MAGIC:
            return None
        return check_complete(lambda at, n: data[at : at + n].tobytes(), len(data))
    fd = os.open(where, os.O_RDONLY)
    try:
        if os.pread(fd, 4, 0) != MAGIC:
            return None
        return check_complete(lambda at, n: os.pread(fd, n, at), os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _from_wkb(wkb: np.ndarray, step: int = 65_536) -> np.ndarray:
    """Return the geometries of an object array of WKB, emptying it ``step`` at a time.

    Each step's WKB is dropped once its geometries exist, so the WKB and the geometries
    of a whole layer are never alive together, and the memory of the WKB goes back
    (measured at 200,000 homes: the peak while reading 894 → 827 MB).
    """
    out = np.empty(len(wkb), dtype=object)
    for start in range(0, len(wkb), step):
        stop = min(start + step, len(wkb))
        out[start:stop] = shapely.from_wkb(wkb[start:stop])
        wkb[start:stop] = None
    return out


def geoparquet_crs(schema: Any) -> str | None:
    """Return the CRS a GeoParquet schema's ``geo`` metadata names (``None``: unknown).

    Raises
    ------
    ValueError
        When the schema has no ``geo`` metadata or its geometry is not WKB.
    """
    return _spec_crs(_geo_column(schema)[1])


def _spec_crs(spec: Mapping[str, Any]) -> str | None:
    crs = spec.get("crs", "OGC:CRS84")  # absent means OGC:CRS84; null means unknown
    return _crs_name(crs) if crs else None


def _geo_column(schema: Any) -> tuple[str, dict[str, Any]]:
    """Return a GeoParquet file's primary geometry column and its ``geo`` metadata.

    Raises
    ------
    ValueError
        When the file has no ``geo`` metadata or its geometry is not WKB.
    """
    geo_meta = (schema.metadata or {}).get(b"geo")
    if geo_meta is None:
        raise ValueError("no 'geo' metadata: a Parquet file, but not GeoParquet")
    geo = orjson.loads(geo_meta)
    column = str(geo["primary_column"])
    spec: dict[str, Any] = geo["columns"][column]
    if str(spec.get("encoding", "WKB")).upper() != "WKB":
        raise ValueError(f"geometry encoding {spec.get('encoding')!r} (only WKB is read)")
    return column, spec


def _group_may_meet(stats: Mapping[str, Any], bbox: Box) -> bool:
    """Return whether a row group whose covering columns have these statistics may meet ``bbox``.

    ``stats`` maps ``xmin`` … ``ymax`` to their ``(min, max)`` in the group (a key is
    missing where the file has no statistics: the group may meet the box).

    Examples
    --------
    >>> s = {"xmin": (0.0, 5.0), "xmax": (1.0, 6.0), "ymin": (0.0, 1.0), "ymax": (2.0, 3.0)}
    >>> [_group_may_meet(k, (x0, 0, 9, 9)) for k, x0 in ((s, 5.5), (s, 7), ({}, 7))]
    [True, False, True]
    """
    x0, y0, x1, y1 = bbox
    return not (
        ("xmin" in stats and stats["xmin"][0] > x1)
        or ("ymin" in stats and stats["ymin"][0] > y1)
        or ("xmax" in stats and stats["xmax"][1] < x0)
        or ("ymax" in stats and stats["ymax"][1] < y0)
    )


def _covering_stats(meta: Any, covering: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """Return, for each row group, the ``(min, max)`` of each covering column (where known)."""
    paths = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    out: list[dict[str, Any]] = []
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        known: dict[str, Any] = {}
        for key, path in covering.items():
            j = paths.get(".".join(path))
            stats = None if j is None else rg.column(j).statistics
            if stats is not None and stats.has_min_max:
                known[key] = (float(stats.min), float(stats.max))
        out.append(known)
    return out


def _row_groups(
    meta: Any, covering: Mapping[str, Sequence[str]] | None, bbox: Box | None
) -> list[int]:
    """Return the row groups that may hold a feature whose covering box meets ``bbox``.

    Every row group without a ``bbox``, a covering column or statistics of it.
    """
    if bbox is None or not covering:
        return list(range(meta.num_row_groups))
    stats = _covering_stats(meta, covering)
    return [g for g, known in enumerate(stats) if _group_may_meet(known, bbox)]


def _positions(meta: Any, groups: Sequence[int]) -> np.ndarray:
    """Return the position in the file (0-based, over all row groups) of each row of ``groups``.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> meta = N(num_row_groups=3, row_group=lambda g: N(num_rows=[2, 3, 1][g]))
    >>> _positions(meta, [0, 2]).tolist()
    [0, 1, 5]
    """
    sizes = np.asarray([meta.row_group(g).num_rows for g in range(meta.num_row_groups)], np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    parts = [np.arange(starts[g], starts[g + 1], dtype=np.int64) for g in groups]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _covering_values(table: Any, covering: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Return the rows' covering boxes, ``(n, 4)`` as xmin, ymin, xmax, ymax (NaN: null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def values(key: str) -> np.ndarray:
        top, *fields = covering[key]
        col = table.column(top)
        for name in fields:
            col = pc.struct_field(col, [name])
        col = pc.fill_null(pc.cast(col, pa.float64()), math.nan)
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)

    if not table.num_rows:
        return np.zeros((0, 4))
    return np.column_stack([values(k) for k in ("xmin", "ymin", "xmax", "ymax")])


def boxes_meet(bounds: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Return whether each box of ``bounds`` (``(n, 4)``: xmin, ymin, xmax, ymax) meets ``box``.

    Touching counts; a NaN box (``shapely.bounds`` of a missing or empty geometry, a null
    covering value) meets nothing.

    Examples
    --------
    >>> boxes_meet(np.array([[0, 0, 1, 1], [2, 2, 3, 3], [np.nan] * 4]), (1, 1, 1.5, 1.5)).tolist()
    [True, False, False]
    """
    x0, y0, x1, y1 = box
    meets: np.ndarray = (
        (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
    )
    return meets


def _usable_covering(schema: Any, spec: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """Return the ``bbox`` covering of a geometry column when the file has all its columns.

    A covering that names a column or field the file lacks (or is malformed) is no
    covering: the file is read without it, exactly (:func:`_box_meets`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> box = pa.struct([(k, pa.float64()) for k in ("xmin", "ymin", "xmax", "ymax")])
    >>> spec = {"covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}}
    >>> _usable_covering(pa.schema([("bbox", box)]), spec) is not None
    True
    >>> _usable_covering(pa.schema([("geometry", pa.binary())]), spec) is None
    True
    """
    covering = (spec.get("covering") or {}).get("bbox")
    if not isinstance(covering, Mapping):
        return None
    out: dict[str, list[str]] = {}
    for key in ("xmin", "ymin", "xmax", "ymax"):
        path = covering.get(key)
        if not isinstance(path, list | tuple) or not path:
            return None
        field = schema.field(str(path[0])) if str(path[0]) in schema.names else None
        kind = None if field is None else field.type
        for name in path[1:]:
            if kind is None or not hasattr(kind, "get_field_index"):
                return None
            i = kind.get_field_index(str(name))
            kind = None if i < 0 else kind.field(i).type
        if kind is None:
            return None
        out[key] = [str(p) for p in path]
    return out


def _read_parquet(
    where: str | io.BytesIO,
    bbox: Sequence[float] | None,
    *,
    fids: bool = False,
    attributes: bool = True,
) -> FeatureTable:
    """Read a GeoParquet file (path or bytes) with pyarrow: WKB geometry, ``geo`` metadata, bbox.

    With a ``bbox`` and a covering column (GeoParquet 1.1), only the row groups whose
    covering statistics may meet it are read, and only the rows whose covering box
    meets it are decoded (how far those rows' covering lies from their geometry is
    the table's ``covering_off``); then every feature whose own box meets ``bbox`` is
    kept (exact also without a covering column). ``fids``: each kept row's position in
    the file (0-based, over all row groups). ``attributes=False``: the geometry (and
    covering) columns only.
    """
    import pyarrow.parquet as pq

    with pq.ParquetFile(where) as pf:
        column, spec = _geo_column(pf.schema_arrow)
        covering = _usable_covering(pf.schema_arrow, spec)
        box = None if bbox is None else cast(Box, tuple(float(v) for v in bbox))
        groups = _row_groups(pf.metadata, covering, box)
        wanted = None
        if not attributes:
            wanted = list(dict.fromkeys([column, *([covering["xmin"][0]] if covering else [])]))
        table = pf.read_row_groups(groups, columns=wanted)
        rows = _positions(pf.metadata, groups)
    covers = None
    if box is not None and covering:
        covers = _covering_values(table, covering)
        meets = boxes_meet(covers, box)
        table, rows, covers = table.filter(meets), rows[meets], covers[meets]
    skip = {column, *(covering["xmin"][:1] if covering else [])}
    geoms = shapely.from_wkb(table.column(column).to_numpy(zero_copy_only=False))
    columns = {
        k: table.column(k).to_numpy(zero_copy_only=False)
        for k in table.column_names
        if k not in skip
    }
    off = 0.0 if covers is None else _covering_off(covers, geoms)
    if box is not None:  # exact for files without a covering column (and rows in a kept group)
        keep = boxes_meet(shapely.bounds(geoms), box)
        geoms, rows = geoms[keep], rows[keep]
        columns = {k: v[keep] for k, v in columns.items()}
    return FeatureTable(
        np.asarray(geoms, dtype=object),
        columns,
        _spec_crs(spec),
        fids=rows if fids else None,
        covering_off=off,
    )


WINDOW_ROW_GROUP_MAX = 131_072
"""Most rows a GeoParquet row group may hold for a tile to read windows of the file."""


def windowable(path: str, fmt: str) -> bool:
    """Return whether windows of a local file can be read without reading all of it.

    A FlatGeobuf: yes (its packed R-tree; one written without, which GDAL does only
    for a file with a null geometry, is scanned — and such a file is not regular, so
    its run starts again reading it whole). A GeoParquet of at most
    :data:`WINDOW_ROW_GROUP_MAX` rows: yes (a tile reads it all, cheaply); a larger one
    needs a usable ``bbox`` covering column whose statistics cut it into compact row
    groups — at most :data:`WINDOW_ROW_GROUP_MAX` rows each, the median row group's box
    at most a quarter of the file's (rows in a 2-D order). Anything else would be read
    nearly whole by every tile (pyarrow's default row groups hold a million rows): the
    parent reads it once instead.
    """
    if fmt == "flatgeobuf":
        return True
    if fmt != "geoparquet":
        return False
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        meta = pf.metadata
        if meta.num_rows <= WINDOW_ROW_GROUP_MAX:
            return True
        _, spec = _geo_column(pf.schema_arrow)
        covering = _usable_covering(pf.schema_arrow, spec)
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        if covering is None or max(sizes) > WINDOW_ROW_GROUP_MAX:
            return False
        stats = _covering_stats(meta, covering)
    if any(len(known) < 4 for known in stats):
        return False
    boxes = np.asarray(
        [(k["xmin"][0], k["ymin"][0], k["xmax"][1], k["ymax"][1]) for k in stats], dtype=float
    )
    whole = (boxes[:, 2].max() - boxes[:, 0].min()) * (boxes[:, 3].max() - boxes[:, 1].min())
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return bool(whole <= 0 or np.median(areas) <= whole / 4)


def _covering_off(covers: np.ndarray, geoms: np.ndarray) -> float:
    """Return how far the covering boxes lie from their geometries' boxes, at most.

    Rows without a geometry are left out (no box to compare).

    Examples
    --------
    >>> g = np.array([shapely.box(0, 0, 2, 2), None], dtype=object)
    >>> _covering_off(np.array([[0.0, 0.0, 2.0, 2.5], [9.0, 9.0, 9.0, 9.0]]), g)
    0.5
    """
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return 0.0
    diff = np.abs(covers[present] - shapely.bounds(geoms[present]))
    return float(np.nanmax(diff)) if not np.isnan(diff).all() else 0.0
