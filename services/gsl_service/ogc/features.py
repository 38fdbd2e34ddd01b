"""A job's per-feature outputs as OGC API – Features collections (Parts 1 and 2).

Every finished job offers its per-feature outputs (the homes of green-3-30-300, the
neighbourhoods of a scorecard, …) as collections a GIS pages through, beside the file
downloads of ``/jobs/{id}/results/{output}``:

* ``GET /jobs/{id}/features`` — landing page (QGIS: *Add WFS / OGC API – Features
  layer* with this URL; GDAL: ``OAPIF:<this URL>``);
* ``…/features/conformance`` — Part 1 core, GeoJSON, OpenAPI 3.0, Part 2 CRS;
* ``…/features/collections`` and ``…/collections/{output}`` — one collection per
  per-feature output, with its extent, its storage CRS and its downloads;
* ``…/collections/{output}/items`` — a page of features: ``limit`` (default 10, at most
  10,000), ``offset``, ``bbox`` with ``bbox-crs``, ``crs`` (CRS84, the default, or the
  output's own CRS), ``datetime``; ``numberMatched``, ``numberReturned`` and ``next`` /
  ``prev`` links;
* ``…/items/{featureId}`` — one feature, by its position in the output.

The collections are read from the outputs' GeoParquet files
(:mod:`gsl_service.ogc.features_layer`), never from their JSON. A job that is not
finished answers 404 ``result-not-ready``, a failed one its problem, as its results do;
the job's owner (or an admin key) alone sees them, as its results
(:func:`gsl_service.auth.job_of_path`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from gsl_service import result_parts
from gsl_service.errors import ServiceError
from gsl_service.exports import FORMATS, export, negotiate
from gsl_service.ogc import features_query as q
from gsl_service.ogc.features_layer import CRS84, Layer, cached_layer, cached_matching, read_layer
from gsl_service.ogc.route_parameters import check_repeats
from gsl_service.results import feature_outputs, output_crs

router = APIRouter()

PART1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE = [
    PART1 + "core",
    PART1 + "geojson",
    PART1 + "oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GEOJSON = "application/geo+json"
JSON = "application/json"
#: The downloads a collection links to (the results route's formats).
DOWNLOADS = ("geoparquet", "flatgeobuf", "gpkg", "geojson", "csv")


class NotFound(ServiceError):
    """No such collection or feature (404)."""

    status = 404
    ogc_type = "not-found"
    title = "Not found"


def _engine(request: Request) -> Any:
    engine = request.app.state.engine
    if engine is None:
        raise ServiceError("the execution engine is not running")
    return engine


def _root(request: Request) -> str:
    return str(request.app.state.api.base_url).rstrip("/")


def _finished(engine: Any, job_id: str) -> bytes:
    """Return a finished job's stored document (its errors: no such job, not ready, failed)."""
    body: bytes = engine.get_job_result(job_id, hydrate=False)[1]
    return body


def _sources(body: bytes) -> dict[str, Any]:
    """Return ``{output: part or (FeatureCollection, CRS)}`` of a stored document."""
    document = orjson.loads(body)
    out: dict[str, Any] = {}
    if isinstance(document, Mapping):
        inline = feature_outputs(document)
        parts = result_parts.parts_of(document)
        for name in document:
            if name in parts:
                out[name] = parts[name]
            elif name in inline:
                out[name] = (inline[name], output_crs(document, name))
    return out


def _layer(engine: Any, job_id: str, name: str) -> Layer:
    """Return output ``name`` of job ``job_id`` as a layer (404 when it has none of that name).

    The job is looked up on every call (a dismissed job is gone at once); its layer is
    kept by the digest of its stored document, so a page after the first neither parses
    the document nor reads the file again.
    """
    body = _finished(engine, job_id)
    key = f"{hashlib.sha256(body).hexdigest()}:{name}"

    def make() -> Layer:
        sources = _sources(body)
        source = sources.get(name)
        if source is None:
            raise NotFound(
                f"job '{job_id}' has no per-feature output '{name}'; it has {sorted(sources)}",
                input_name="collectionId",
            )
        return _read(engine, job_id, name, source, key)

    return cached_layer(key, make)


def _read(engine: Any, job_id: str, name: str, source: Any, key: str) -> Layer:
    """Return the layer of one output (``key``: the name it is kept by)."""
    if isinstance(source, result_parts.Part):
        data = engine.get_blob(source.sha256 + result_parts.PARQUET)
        if data is None:
            raise NotFound(f"output '{name}' of job '{job_id}' is no longer stored")
        return read_layer(bytes(data), key)
    fc, crs = source  # an inline output: its GeoParquet export
    return read_layer(export(fc, FORMATS["geoparquet"], crs, name), key)


def _json(doc: Any, media: str = JSON, headers: Mapping[str, str] | None = None) -> Response:
    return Response(content=orjson.dumps(doc), media_type=media, headers=dict(headers or {}))


def _check(request: Request, known: frozenset[str], offered: list[str]) -> str | None:
    q.check_parameters(request.query_params.keys(), known)
    check_repeats(request.query_params)
    return negotiate(request.query_params.get("f"), request.headers.get("accept"), offered)


def _offered(layer: Layer) -> list[str]:
    """Return the CRSs a layer is offered in: CRS84, and its own when its axes are x, y.

    Part 2 gives coordinates in a CRS's own axis order; an output kept in a CRS whose
    first axis is not east (EPSG:4258: latitude first) is offered in CRS84 alone.
    """
    if layer.crs == CRS84 or not _x_first(layer.crs):
        return [CRS84]
    return [CRS84, layer.crs]


def _x_first(crs: str) -> bool:
    from pyproj import CRS

    axes = CRS.from_user_input(crs).axis_info
    return bool(axes) and axes[0].direction.lower() in ("east", "west")


def collection_document(root: str, job_id: str, name: str, layer: Layer) -> dict[str, Any]:
    """Return the collection document of output ``name``."""
    base = f"{root}/jobs/{job_id}/features/collections/{name}"
    doc: dict[str, Any] = {
        "id": name,
        "title": name,
        "description": (
            f"Output '{name}' of job {job_id}: {layer.n} features, their properties the "
            "columns of its GeoParquet file. A feature's id is its position in the output. "
            "A result carries no time: datetime is checked and every feature matches it."
        ),
        "itemType": "feature",
        "crs": [q.crs_uri(c) for c in _offered(layer)],
        "links": [
            {"href": base, "rel": "self", "type": JSON, "title": "this collection"},
            {"href": f"{base}/items", "rel": "items", "type": GEOJSON, "title": "its features"},
            *[
                {
                    "href": f"{root}/jobs/{job_id}/results/{name}?f={k}",
                    "rel": "enclosure",
                    "type": FORMATS[k].media_type,
                    "title": f"all {layer.n} features as one {k} file",
                }
                for k in DOWNLOADS
            ],
        ],
    }
    if layer.crs in _offered(layer):
        doc["storageCrs"] = q.crs_uri(layer.crs)
    extent = layer.extent()
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [extent], "crs": q.CRS84_URI}}
    return doc


@router.get("/jobs/{job_id}/features", include_in_schema=False)
async def landing(request: Request, job_id: str) -> Response:
    """Answer the landing page of a job's features API."""
    _check(request, q.OTHER_PARAMETERS, ["json"])
    await run_in_threadpool(_finished, _engine(request), job_id)  # 404 unless finished
    root = _root(request)
    base = f"{root}/jobs/{job_id}/features"
    return _json(
        {
            "title": f"The per-feature outputs of job {job_id}",
            "description": (
                "This job's per-feature outputs as OGC API – Features collections: page "
                "through them, or open this URL in QGIS (Add WFS / OGC API – Features "
                "layer) or GDAL (OAPIF:<this URL>)."
            ),
            "links": [
                {"href": base, "rel": "self", "type": JSON, "title": "this document"},
                {
                    "href": f"{root}/openapi",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                    "title": "the API definition",
                },
                {"href": f"{base}/conformance", "rel": "conformance", "type": JSON},
                {"href": f"{base}/collections", "rel": "data", "type": JSON},
                {"href": f"{root}/jobs/{job_id}", "rel": "up", "type": JSON, "title": "the job"},
            ],
        }
    )


@router.get("/jobs/{job_id}/features/conformance", include_in_schema=False)
async def conformance(request: Request, job_id: str) -> Response:
    """Answer the conformance classes of the features API."""
    _check(request, q.OTHER_PARAMETERS, ["json"])
    await run_in_threadpool(_finished, _engine(request), job_id)
    return _json({"conformsTo": CONFORMANCE})


@router.get("/jobs/{job_id}/features/collections", include_in_schema=False)
async def collections(request: Request, job_id: str) -> Response:
    """Answer every per-feature output of the job as a collection."""
    _check(request, q.OTHER_PARAMETERS, ["json"])
    engine, root = _engine(request), _root(request)

    def make() -> dict[str, Any]:
        body = _finished(engine, job_id)
        digest = hashlib.sha256(body).hexdigest()

        def layer_of(name: str, source: Any) -> Layer:
            key = f"{digest}:{name}"
            return cached_layer(key, lambda: _read(engine, job_id, name, source, key))

        return {
            "links": [
                {
                    "href": f"{root}/jobs/{job_id}/features/collections",
                    "rel": "self",
                    "type": JSON,
                }
            ],
            "collections": [
                collection_document(root, job_id, name, layer_of(name, source))
                for name, source in _sources(body).items()
            ],
        }

    return _json(await run_in_threadpool(make))


@router.get("/jobs/{job_id}/features/collections/{name}", include_in_schema=False)
async def collection(request: Request, job_id: str, name: str) -> Response:
    """Answer one per-feature output as a collection."""
    _check(request, q.OTHER_PARAMETERS, ["json"])
    layer = await run_in_threadpool(_layer, _engine(request), job_id, name)
    return _json(collection_document(_root(request), job_id, name, layer))


def _page_links(
    request: Request, base: str, offset: int, limit: int, matched: int
) -> list[dict[str, str]]:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]

    def at(start: int) -> str:
        return f"{base}/items?" + urlencode([*kept, ("offset", str(start))])

    links = [
        {"href": at(offset), "rel": "self", "type": GEOJSON, "title": "this page"},
        {"href": base, "rel": "collection", "type": JSON, "title": "the collection"},
    ]
    if offset + limit < matched:
        links.append({"href": at(offset + limit), "rel": "next", "type": GEOJSON})
    if offset > 0:
        links.append(
            {"href": at(max(0, min(offset, matched) - limit)), "rel": "prev", "type": GEOJSON}
        )
    return links


@router.get("/jobs/{job_id}/features/collections/{name}/items", include_in_schema=False)
async def items(request: Request, job_id: str, name: str) -> Response:
    """Answer a page of an output's features (see the module text for the parameters)."""
    _check(request, q.ITEMS_PARAMETERS, ["geojson", "json"])
    query = request.query_params
    limit = q.parse_limit(q.single(query, "limit"))
    offset = q.parse_offset(q.single(query, "offset"))
    box = q.parse_bbox(q.single(query, "bbox"))
    q.parse_datetime(q.single(query, "datetime"))
    crs_raw, bbox_crs_raw = q.single(query, "crs"), q.single(query, "bbox-crs")
    engine, root = _engine(request), _root(request)

    def make() -> tuple[dict[str, Any], str]:
        import numpy as np

        layer = _layer(engine, job_id, name)
        offered = _offered(layer)
        target = q.crs_name(crs_raw, offered, "crs") if crs_raw is not None else CRS84
        if bbox_crs_raw is not None and box is None:
            raise q.InvalidInput("bbox-crs: given without bbox", input_name="bbox-crs")
        if box is None:
            matched = np.arange(layer.n, dtype=np.int64)
        else:
            box_crs = (
                q.crs_name(bbox_crs_raw, offered, "bbox-crs") if bbox_crs_raw is not None else CRS84
            )
            if box_crs == CRS84:
                q.check_lonlat(box)
            matched = cached_matching(layer, q.bbox_parts(box, box_crs), box_crs)
        rows = matched[offset : offset + limit] if offset < len(matched) else matched[:0]
        base = f"{root}/jobs/{job_id}/features/collections/{name}"
        doc = {
            "type": "FeatureCollection",
            "features": layer.features(rows, target),
            "numberMatched": len(matched),
            "numberReturned": len(rows),
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": _page_links(request, base, offset, limit, len(matched)),
        }
        return doc, target

    doc, target = await run_in_threadpool(make)
    return _json(doc, GEOJSON, {"Content-Crs": f"<{q.crs_uri(target)}>"})


@router.get(
    "/jobs/{job_id}/features/collections/{name}/items/{feature_id}", include_in_schema=False
)
async def item(request: Request, job_id: str, name: str, feature_id: str) -> Response:
    """Answer one feature of an output, by its position."""
    _check(request, q.ITEM_PARAMETERS, ["geojson", "json"])
    crs_raw = q.single(request.query_params, "crs")
    engine, root = _engine(request), _root(request)

    def make() -> tuple[dict[str, Any], str]:
        import numpy as np

        layer = _layer(engine, job_id, name)
        target = q.crs_name(crs_raw, _offered(layer), "crs") if crs_raw is not None else CRS84
        text = feature_id
        if not re.fullmatch(r"[0-9]{1,18}", text) or int(text) >= layer.n:
            raise NotFound(
                f"collection '{name}' has no feature '{feature_id[:40]}'; its ids are "
                f"0 to {layer.n - 1}",
                input_name="featureId",
            )
        (feature,) = layer.features(np.array([int(text)], dtype=np.int64), target)
        base = f"{root}/jobs/{job_id}/features/collections/{name}"
        feature["links"] = [
            {"href": f"{base}/items/{int(text)}", "rel": "self", "type": GEOJSON},
            {"href": base, "rel": "collection", "type": JSON},
        ]
        return feature, target

    doc, target = await run_in_threadpool(make)
    return _json(doc, GEOJSON, {"Content-Crs": f"<{q.crs_uri(target)}>"})
