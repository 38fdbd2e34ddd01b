"""Job results in the format asked for: the JSON document, or one layer as a GIS file.

- ``GET /jobs/{id}/results`` — the result document (JSON, as the request shaped it);
  ``f=geojson|csv|gpkg|flatgeobuf|geoparquet`` or ``Accept: application/geo+json |
  text/csv | application/geopackage+sqlite3 | application/flatgeobuf |
  application/vnd.apache.parquet`` answers one per-feature output as a file: the one
  named by ``output=``, or the only one.
- ``GET /jobs/{id}/results/{output}`` — one output: a per-feature output as GeoJSON
  (default), CSV, GeoPackage, FlatGeobuf or GeoParquet; a text output declared
  ``text/csv`` (e.g. the ``csv`` of ``scenario-compare``) as that CSV (``f=json``: as a
  JSON string); any other output as JSON. This is where a result document's reference
  (``transmissionMode: reference``) points.
- ``crs=EPSG:4326`` (or another EPSG code) reprojects a layer; by default it keeps
  the CRS of its input. On ``/jobs/{id}/results`` it reprojects every per-feature
  output of the document (:func:`reproject_document`).

An unsupported format is a 406 problem document naming ``f`` or ``Accept``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pyproj import CRS
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from gsl_service import part_downloads, result_parts
from gsl_service.errors import InvalidInput, ServiceError
from gsl_service.exports import FORMATS, NotAcceptable, export, negotiate, reproject_collection
from gsl_service.ogc.features_layer import parquet_crs
from gsl_service.ogc.features_query import crs_uri
from gsl_service.ogc.route_parameters import require_known
from gsl_service.results import (
    CRS84,
    feature_outputs,
    is_feature_collection,
    normalise_crs,
    output_crs,
    outputs_of,
)

#: Query parameters of ``/jobs/{id}/results`` and of one output (any other is a 400).
RESULTS_PARAMETERS = frozenset({"f", "output", "crs", "lang"})
OUTPUT_PARAMETERS = frozenset({"f", "crs", "lang"})

#: Formats of a per-feature output, the first is the default.
FILE_FORMATS = ("geojson", "csv", "gpkg", "flatgeobuf", "geoparquet")


class NoSuchOutput(ServiceError):
    """The job's result has no output of that name (404)."""

    status = 404
    ogc_type = "not-found"
    title = "No such output"


def target_crs(raw: str | None) -> str | None:
    """Return the CRS a ``crs`` query parameter asks for (``None``: keep the input's).

    Examples
    --------
    >>> target_crs("EPSG:4326"), target_crs("http://www.opengis.net/def/crs/EPSG/0/28992")
    ('OGC:CRS84', 'EPSG:28992')
    >>> target_crs("EPSG:999999")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: crs: 'EPSG:999999' is not a CRS known by an EPSG code (e.g. EPSG:28992 or EPSG:4326)
    """
    if raw is None or not raw.strip():
        return None
    name = normalise_crs(raw)
    try:
        ok = name == CRS84 or CRS.from_user_input(name).to_epsg() is not None
    except Exception:
        ok = False
    if not ok:
        raise InvalidInput(
            f"crs: {raw!r} is not a CRS known by an EPSG code (e.g. EPSG:28992 or EPSG:4326)",
            input_name="crs",
        )
    return name


def _load(request: Request, job_id: str, hydrate: bool = True) -> Any:
    engine = request.app.state.engine
    if engine is None:
        raise ServiceError("the execution engine is not running")
    _, body = engine.get_job_result(job_id, hydrate=hydrate)
    return orjson.loads(body)


def _part_download(
    request: Request, document: Any, name: str, key: str, job_id: str
) -> Response | None:
    """Answer a download of output ``name`` made from its stored forms, when it is stored as a part.

    ``None`` unless output ``name`` is stored as a part (:mod:`gsl_service.result_parts`)
    and its forms are still stored; then the caller puts the document back together.
    The output is never loaded whole (:mod:`gsl_service.part_downloads`): GeoParquet in
    its own CRS is the stored file as it is; FlatGeobuf and GeoPackage are written by
    GDAL from it to a temporary file, streamed and then removed; GeoJSON and CSV are
    streamed from the stored JSON.
    """
    part = result_parts.parts_of(document).get(name)
    if part is None or key not in FORMATS:
        return None
    engine = request.app.state.engine
    fmt = FORMATS[key]
    target = target_crs(request.query_params.get("crs"))
    headers = {
        "Content-Type": fmt.media_type,
        "Content-Disposition": f'attachment; filename="{job_id[:8]}-{name}.{fmt.extension}"',
    }
    if fmt.key in ("geojson", "csv"):
        blob = engine.get_blob(part.sha256)
        if blob is None:
            return None
        source = part_downloads.json_crs(blob, output_crs(document, name))
        headers["Content-Crs"] = f"<{crs_uri(target or source)}>"
        write = part_downloads.csv_chunks if fmt.key == "csv" else part_downloads.geojson_chunks
        chunks = write(blob, source_crs=source, target_crs=target or source)
        return StreamingResponse(chunks, headers=headers)
    parquet = engine.get_blob(part.sha256 + result_parts.PARQUET)
    if parquet is None:
        return None
    stored_crs = parquet_crs(parquet)
    headers["Content-Crs"] = f"<{crs_uri(target or stored_crs)}>"
    if fmt.key == "geoparquet":
        if target is not None and target != stored_crs:
            parquet = part_downloads.reprojected_geoparquet(parquet, target)
        return Response(content=parquet, headers=headers)
    folder = Path(tempfile.mkdtemp(prefix=part_downloads.DOWNLOAD_PREFIX))
    try:
        path = part_downloads.gdal_file(parquet, fmt, layer=name, target_crs=target, folder=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if path is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return FileResponse(
        path,
        headers=headers,
        media_type=fmt.media_type,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _choose_layer(document: Any, output: str | None) -> str:
    """Return the output to answer: ``output``, or the only per-feature one (parts included)."""
    layers = [*feature_outputs(document), *result_parts.parts_of(document)]
    if output is None:
        if len(layers) == 1:
            return layers[0]
        raise InvalidInput(
            "output: name the per-feature output to download with output=; "
            f"this result has {layers or 'none'}",
            input_name="output",
        )
    if output not in outputs_of(document):
        raise NoSuchOutput(
            f"the result has no output '{output}'; outputs: {list(outputs_of(document))}",
            input_name="output",
        )
    return output


async def _answerable(request: Request, job_id: str, stored: Any, name: str) -> Any:
    """Return the document to answer output ``name`` from.

    The stored one, its parts as placeholders; put back together only when ``name`` is
    itself a part (its stored forms could not make the file): a small output of a
    province's result never reads the large one.
    """
    if name in result_parts.parts_of(stored):
        return await run_in_threadpool(_load, request, job_id)
    return stored


def csv_text_output(document: Any, output: str) -> str | None:
    """Return the text of an output declared ``text/csv`` (a qualified value), else ``None``.

    Examples
    --------
    >>> csv_text_output({"csv": {"mediaType": "text/csv", "value": "a,b;1,2"}}, "csv")
    'a,b;1,2'
    >>> csv_text_output({"csv": "a,b"}, "csv") is None
    True
    """
    raw = document.get(output) if isinstance(document, Mapping) else None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("value"), str):
        return None
    media = str(raw.get("mediaType") or "").split(";")[0].strip().lower()
    return raw["value"] if media == "text/csv" else None


def reproject_document(document: Any, target: str, crs_param: str) -> Any:
    """Return a result document with every FeatureCollection output reprojected to ``target``.

    Each output goes from its own CRS (:func:`gsl_service.results.output_crs`) as
    ``/jobs/{id}/results/{output}?crs=`` does (:func:`reproject_collection`); a
    qualified value keeps its wrapper. An output given by reference (a link to
    ``/jobs/{id}/results/{output}``) gets ``crs=`` on its link, so the file it points to
    is in ``target`` too.
    """
    if is_feature_collection(document):
        return reproject_collection(document, output_crs(document, "result"), target)
    if not isinstance(document, Mapping):
        return document
    out = dict(document)
    layers = feature_outputs(document)
    for name, raw in document.items():
        if name in layers:
            moved = reproject_collection(layers[name], output_crs(document, name), target)
            out[name] = {**raw, "value": moved} if raw is not layers[name] else moved
        elif isinstance(raw, Mapping) and "/results/" in str(raw.get("href", "")):
            sep = "&" if "?" in raw["href"] else "?"
            out[name] = {**raw, "href": f"{raw['href']}{sep}{urlencode({'crs': crs_param})}"}
    return out


def render_output(
    document: Any, output: str, key: str, crs_param: str | None, job_id: str
) -> tuple[bytes, dict[str, str]]:
    """Return ``(content, headers)`` of one output of ``document`` in format ``key``."""
    value = outputs_of(document)[output]
    text = csv_text_output(document, output)
    if text is not None and key == "csv":
        return text.encode(), {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{job_id[:8]}-{output}.csv"',
        }
    if not is_feature_collection(value):
        return orjson.dumps(value), {"Content-Type": "application/json"}
    fmt = FORMATS[key]
    source = output_crs(document, output)
    target = target_crs(crs_param) or source
    fc = value if target == source else reproject_collection(value, source, target)
    content = export(fc, fmt, target, output)
    filename = f"{job_id[:8]}-{output}.{fmt.extension}"
    return content, {
        "Content-Type": fmt.media_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Crs": f"<{crs_uri(target)}>",
    }


def _refuse_output(stored: Any, job_id: str, chosen: str | None) -> None:
    """Refuse ``output=`` on the whole results (JSON or the page): it picks a file's layer.

    It gave the whole document, even for an output the result does not have.
    """
    if chosen is None:
        return
    _choose_layer(stored, chosen)  # an unknown one is a 404, as for a file
    raise InvalidInput(
        "output: selects the layer of a file download (f=geojson, csv, gpkg, flatgeobuf, "
        f"geoparquet); for one output as JSON ask /jobs/{job_id}/results/{chosen}",
        input_name="output",
    )


async def refuse_output_on_page(request: Request, job_id: str) -> None:
    """Refuse ``output=`` on the results page as on the JSON document (see ``_refuse_output``)."""
    if (chosen := request.query_params.get("output")) is not None:
        stored = await run_in_threadpool(_load, request, job_id, False)
        _refuse_output(stored, job_id, chosen)


async def results_response(
    request: Request,
    job_id: str,
    output: str | None,
    call_json: Callable[[], Awaitable[Response]] | None,
) -> Response:
    """Answer ``/jobs/{id}/results`` (``output`` None) or ``/jobs/{id}/results/{output}``."""
    require_known(request, RESULTS_PARAMETERS if output is None else OUTPUT_PARAMETERS)
    f = request.query_params.get("f")
    accept = request.headers.get("accept")
    stored = await run_in_threadpool(_load, request, job_id, False)  # parts as placeholders
    if output is None and call_json is not None:
        key = negotiate(f, accept, ["json", "html", *FILE_FORMATS])
        if key in (None, "json", "html"):
            _refuse_output(stored, job_id, request.query_params.get("output"))
            crs_param = request.query_params.get("crs")
            target = target_crs(crs_param)
            response = await call_json()
            media = response.headers.get("content-type", "")
            if target is None or crs_param is None or response.status_code != 200:
                return response
            if "json" not in media:  # a raw non-JSON output holds no FeatureCollection
                return response
            moved = await run_in_threadpool(
                reproject_document, orjson.loads(response.body), target, crs_param
            )
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            return Response(content=orjson.dumps(moved), status_code=200, headers=headers)
        name = _choose_layer(stored, request.query_params.get("output"))
        part = await run_in_threadpool(_part_download, request, stored, name, key, job_id)
        if part is not None:
            return part
        document = await _answerable(request, job_id, stored, name)
        value = outputs_of(document)[name]
        if not is_feature_collection(value) and not (
            key == "csv" and csv_text_output(document, name) is not None
        ):
            raise NotAcceptable(
                f"format {key!r} is not available for output '{name}', which is not a "
                "per-feature layer; ask for it as JSON (f=json)",
                input_name="f",
            )
    else:
        wanted = negotiate(f, accept, [*FILE_FORMATS, "json"]) or "geojson"
        name = _choose_layer(stored, output)
        key = "geojson" if wanted == "json" else wanted
        part = await run_in_threadpool(_part_download, request, stored, name, key, job_id)
        if part is not None:
            return part
        document = await _answerable(request, job_id, stored, name)
        is_layer = is_feature_collection(outputs_of(document)[name])
        is_csv = csv_text_output(document, name) is not None
        offered = [*FILE_FORMATS, "json"] if is_layer else ["csv", "json"] if is_csv else ["json"]
        key = negotiate(f, accept, offered) or offered[0]
        if key == "json" and is_layer:
            key = "geojson"
    content, headers = await run_in_threadpool(
        render_output, document, name, key, request.query_params.get("crs"), job_id
    )
    return Response(content=content, status_code=200, headers=headers)
