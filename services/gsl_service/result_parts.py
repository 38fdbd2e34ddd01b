"""Large per-feature outputs stored as parts beside a small result document.

A province's per-home output (650,000 features) is not kept as one giant inline JSON
collection in the job store and the result cache. When a job's result is stored,
every per-feature output with more than ``GSL_STORED_FEATURES_MAX`` features is moved
out of the document (:func:`split`):

* the document keeps a placeholder string in the output's place,
  ``"gsl-part:<sha256>:<features>"``; the stored document and the cache entry are
  small;
* the job store keeps, by content (sha256), the output's canonical JSON compressed
  (zstd), and the output as a **GeoParquet file** produced once, by the worker that
  computed it (``<sha256>.parquet``).

:func:`hydrate` puts the parts back byte for byte (the placeholder sits exactly where
the output's JSON was, keys being sorted), so every reader that wants the whole
document — ``transmissionMode: value``, callbacks, the result pages — gets the very
bytes a document without parts has. The download routes serve the stored GeoParquet
file as it is, and the result document links to it without the parts ever being read
(:mod:`gsl_service.ogc.results_export`, :func:`gsl_service.ogc.execute.shape_response`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson

from gsl_indicators.core import sources
from gsl_indicators.core.canonical import canonical_json

#: A part's placeholder in a stored document: ``"gsl-part:<sha256>:<features>"``.
PLACEHOLDER = re.compile(rb'"gsl-part:([0-9a-f]{64}):([0-9]+)"')
_PREFIX = "gsl-part:"
#: Suffix of the stored GeoParquet file of a part.
PARQUET = ".parquet"


def _prepare_export(rows: sources.TableFeatures) -> None:
    """Make the GeoParquet file's columns of a file's rows ahead (a tiled run's parent, meanwhile)."""
    from gsl_service.exports import prepare_rows

    prepare_rows(rows)


sources.READY_HOOKS.append(_prepare_export)


@dataclass(frozen=True)
class Part:
    """A per-feature output moved out of a document."""

    sha256: str
    features: int


def part_of(value: Any) -> Part | None:
    """Return the part a placeholder value names (``None`` for any other value).

    Examples
    --------
    >>> part_of("gsl-part:" + "ab" * 32 + ":650000").features
    650000
    >>> part_of("gsl-part:xyz:1") is None, part_of({"type": "FeatureCollection"}) is None
    (True, True)
    """
    if not isinstance(value, str) or not value.startswith(_PREFIX):
        return None
    m = PLACEHOLDER.fullmatch(b'"' + value.encode() + b'"')
    return Part(m.group(1).decode(), int(m.group(2))) if m else None


def parts_in(body: bytes) -> list[Part]:
    """Return the parts a stored document's bytes name (none: a whole document).

    Examples
    --------
    >>> parts_in(b'{"a":{"value":"gsl-part:' + b"0f" * 32 + b':3"}}')[0].features
    3
    >>> parts_in(b'{"a":1}')
    []
    """
    if b'"gsl-part:' not in body:
        return []
    return [Part(m.group(1).decode(), int(m.group(2))) for m in PLACEHOLDER.finditer(body)]


def compress(data: bytes) -> bytes:
    """Return ``data`` zstd-compressed with its length in front (pyarrow's codec)."""
    import pyarrow as pa

    return len(data).to_bytes(8, "little") + pa.compress(data, codec="zstd", asbytes=True)


def decompress(blob: bytes) -> bytes:
    """Inverse of :func:`compress`."""
    import pyarrow as pa

    size = int.from_bytes(blob[:8], "little")
    out: bytes = pa.decompress(blob[8:], decompressed_size=size, codec="zstd", asbytes=True)
    return out


def split_document(
    doc: dict[str, Any],
    max_features: int,
    crs_of: Callable[[Any, str], str] | None = None,
    moved: list[Any] | None = None,
) -> dict[str, bytes]:
    """Move the per-feature outputs with more than ``max_features`` features out of ``doc``.

    ``doc`` (a parsed result document) gets placeholders in their place; returned are
    the blobs to store: ``<sha256>`` (the output's canonical JSON, compressed) and
    ``<sha256>.parquet`` (the output as a GeoParquet file in its CRS,
    :func:`gsl_service.results.output_crs` by default). ``max_features`` 0 moves nothing.
    An output made from a file's columns (a run's own document, not a parsed one) is
    exported from those columns, to the same file (:func:`gsl_service.exports._table`;
    650,000 homes, one CPU: the export 5.6 → 2.3 s, its columns 4.6 → 1.4 s).

    Each output's digest and compression run beside its GeoParquet export
    (:func:`_stored_forms`).

    ``moved``: a list that receives the outputs moved out, so that the caller decides
    when they are freed — a job after it is marked successful: freeing the dicts of
    650,000 features takes ~0.8 s, which its client need not wait for.
    """
    if max_features <= 0:
        return {}
    from gsl_service.results import output_crs

    crs_of = crs_of or output_crs
    blobs: dict[str, bytes] = {}
    for name, item in doc.items():
        value = item.get("value") if isinstance(item, dict) and "mediaType" in item else None
        if not isinstance(value, dict) or value.get("type") != "FeatureCollection":
            continue
        features = value.get("features")
        if not isinstance(features, list) or len(features) <= max_features:
            continue
        sha, text_blob, parquet = _stored_forms(value, crs=crs_of(doc, name), layer=name)
        blobs[sha] = text_blob
        blobs[sha + PARQUET] = parquet
        if moved is not None:
            moved.append(value)
        item["value"] = f"{_PREFIX}{sha}:{len(features)}"
    return blobs


def _stored_forms(value: dict[str, Any], *, crs: str, layer: str) -> tuple[str, bytes, bytes]:
    """Return an output's sha256, its canonical JSON compressed and its GeoParquet file.

    The digest and the compression release the GIL: one thread makes them while this
    one exports the GeoParquet file (650,000 homes in a worker's work horse: 1.77 →
    1.42 s on two cores, the same ~1.7 s on one). The JSON text is then alive beside
    the export's columns (the horse's resident peak 30–50 MB higher, 2.29 GB).
    """
    from gsl_service.exports import FORMATS, export

    text = canonical_json(value)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gsl-part") as pool:
        digested = pool.submit(_digest_and_compress, text)
        del text  # freed when the thread is done with it
        parquet = export(value, FORMATS["geoparquet"], crs, layer)
        sha, text_blob = digested.result()
    return sha, text_blob, parquet


def _digest_and_compress(text: bytes) -> tuple[str, bytes]:
    """Return ``text``'s sha256 (hex) and ``text`` compressed (:func:`compress`)."""
    return hashlib.sha256(text).hexdigest(), compress(text)


def split(body: bytes, max_features: int) -> tuple[bytes, dict[str, bytes]]:
    """Return ``body`` with its large per-feature outputs moved out, and their blobs.

    The bytes form of :func:`split_document`; ``hydrate(split(b)[0], ...) == b``.
    """
    if max_features <= 0 or len(body) < max_features * 51:  # too short to hold such a layer
        return body, {}
    doc = orjson.loads(body)
    blobs = split_document(doc, max_features) if isinstance(doc, dict) else {}
    return (canonical_json(doc), blobs) if blobs else (body, {})


def hydrate(body: bytes, get_blob: Callable[[str], bytes | None]) -> bytes:
    """Return the whole document: every placeholder in ``body`` replaced by its output's JSON.

    Raises
    ------
    LookupError
        When a part is no longer stored.
    """
    parts = parts_in(body)
    if not parts:
        return body
    out = body
    for part in parts:
        blob = get_blob(part.sha256)
        if blob is None:
            raise LookupError(f"part {part.sha256} of the result is no longer stored")
        placeholder = f'"{_PREFIX}{part.sha256}:{part.features}"'.encode()
        out = out.replace(placeholder, decompress(blob))
    return out


def placeholder_value(doc: Mapping[str, Any], name: str) -> Part | None:
    """Return the part of output ``name`` of a parsed stored document (``None``: inline)."""
    item = doc.get(name)
    return part_of(item.get("value")) if isinstance(item, Mapping) else None


def parts_of(doc: Any) -> dict[str, Part]:
    """Return the outputs of a parsed stored document that are stored as parts, in order.

    Examples
    --------
    >>> sha = "ab" * 32
    >>> parts = parts_of({"homes": {"value": f"gsl-part:{sha}:9"}, "summary": {"value": 1}})
    >>> {name: part.features for name, part in parts.items()}
    {'homes': 9}
    """
    if not isinstance(doc, Mapping):
        return {}
    found = {name: placeholder_value(doc, name) for name in doc}
    return {name: part for name, part in found.items() if part is not None}
