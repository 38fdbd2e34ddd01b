"""OGC API - Processes handlers in pygeoapi's style: ``(api, request, ...) -> (headers, status, content)``.

pygeoapi's own functions serve the landing page, the API definition and the process
descriptions. These handlers cover what pygeoapi lacks: the conformance declaration of
all eight classes, paging of ``/processes``, the job-list filters, job status with
progress, results and dismiss through the engine — each error a problem document.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from http import HTTPStatus
from typing import Any

import orjson
import pygeoapi.api as core_api
import pygeoapi.api.processes as processes_api
from pygeoapi.api import APIRequest, evaluate_limit
from pygeoapi.formats import F_HTML, F_JSON, FORMAT_TYPES
from pygeoapi.util import DATETIME_FORMAT, render_j2_template

from gsl_service.contract import ExecutionEngine
from gsl_service.errors import InvalidInput, NoSuchProcess, ServiceError
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus
from gsl_service.ogc.api import GslAPI
from gsl_service.ogc.config import MAX_LIMIT, MAX_OFFSET
from gsl_service.ogc.instants import parse_interval

Result = tuple[dict[str, Any], int, Any]

CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
#: The eight OGC API - Processes 1.0 conformance classes we declare and pass.
PROCESSES_CONFORMANCE = [
    CONF + name
    for name in (
        "core",
        "ogc-process-description",
        "json",
        "html",
        "oas30",
        "job-list",
        "callback",
        "dismiss",
    )
]
COMMON_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
]
REL_RESULTS = "http://www.opengis.net/def/rel/ogc/1.0/results"
REL_JOB_LIST = "http://www.opengis.net/def/rel/ogc/1.0/job-list"
REL_EXECUTE = "http://www.opengis.net/def/rel/ogc/1.0/execute"
#: Landing-page links pygeoapi always adds that point to resources we do not serve.
_FOREIGN_RELS = {"data", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"}

JSON = FORMAT_TYPES[F_JSON]
HTML = FORMAT_TYPES[F_HTML]


def problems(fn: Callable[..., Result]) -> Callable[..., Result]:
    """Turn a :class:`ServiceError` raised by a handler into a problem document."""

    @wraps(fn)
    def wrapper(api: GslAPI, request: APIRequest, *args: Any) -> Result:
        try:
            return fn(api, request, *args)
        except ServiceError as err:
            headers = request.get_response_headers(**api.api_headers)
            headers.update(err.headers())  # Retry-After
            return api.exception_response(err, headers, request.format, f"/{request.path_info}")

    return wrapper


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _html(api: GslAPI, request: APIRequest, template: str, data: Any) -> str:
    return str(
        render_j2_template(
            api.tpl_config, api.config["server"]["templates"], template, data, request.locale
        )
    )


def _limit_offset(api: GslAPI, request: APIRequest, default: int | None = None) -> tuple[int, int]:
    limits = dict(api.config["server"].get("limits", {}))
    if default is not None:
        limits["default_items"] = default
    try:
        limit = evaluate_limit(request.params.get("limit"), limits, {})
    except ValueError as err:
        raise InvalidInput(f"limit: {err}", input_name="limit") from None
    raw = request.params.get("offset")
    try:
        offset = int(raw) if raw not in (None, "") else 0
    except ValueError:
        raise InvalidInput(
            f"offset must be a non-negative integer, got {raw!r}", input_name="offset"
        ) from None
    if offset < 0:
        raise InvalidInput(f"offset must not be negative, got {offset}", input_name="offset")
    if offset > MAX_OFFSET:
        # the job stores page with 64-bit integers (SQLite OFFSET, Redis ZRANGE)
        raise InvalidInput(
            f"offset must be at most {MAX_OFFSET}, got {offset}", input_name="offset"
        )
    return limit, offset


def _paging_links(
    url: str, request: APIRequest, limit: int, offset: int, returned: int, matched: int
) -> list[dict[str, Any]]:
    keep = [(k, v) for k, v in _multi_items(request.params) if k not in ("offset", "f")]
    links = []
    if offset > 0:
        query = urllib.parse.urlencode([*keep, ("offset", max(0, offset - limit))])
        links.append(
            {"href": f"{url}?{query}", "rel": "prev", "type": JSON, "title": "Previous page"}
        )
    if offset + returned < matched:
        query = urllib.parse.urlencode([*keep, ("offset", offset + limit)])
        links.append({"href": f"{url}?{query}", "rel": "next", "type": JSON, "title": "Next page"})
    return links


def _format_link(url: str, request: APIRequest, fmt: str) -> str:
    """Return ``url`` with the request's query (paging, filters) and ``f=fmt``.

    Examples
    --------
    >>> class R:
    ...     params = {"limit": "2", "offset": "4", "f": "html"}
    >>> _format_link("http://h/jobs", R(), "json")
    'http://h/jobs?limit=2&offset=4&f=json'
    """
    keep = [(k, v) for k, v in _multi_items(request.params) if k != "f"]
    return f"{url}?{urllib.parse.urlencode([*keep, ('f', fmt)])}"


def _multi_items(params: Any) -> list[tuple[str, str]]:
    if hasattr(params, "multi_items"):
        return list(params.multi_items())
    return list(params.items())


def _multi(params: Any, name: str) -> list[str]:
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    out: list[str] = []
    for v in values:
        if v:
            out.extend(s.strip() for s in str(v).split(",") if s.strip())
    return out


# --------------------------------------------------------------------------- server


def landing_page(api: GslAPI, request: APIRequest) -> Result:
    """Return pygeoapi's landing page without links to resources we do not serve."""
    headers, status, content = core_api.landing_page(api, request)
    if request.format in (None, F_JSON) and status == HTTPStatus.OK:
        doc = orjson.loads(content)
        links = [lk for lk in doc["links"] if lk.get("rel") not in _FOREIGN_RELS]
        for lk in links:
            if lk.get("type") == HTML and "hreflang" in lk:
                lk["hreflang"] = "nl"  # the pages are Dutch first (English with ?lang=en)
        url = f"{api.base_url}/menukaart"
        links += [
            {"rel": "describedby", "type": JSON, "title": "Menu card (menukaart)", "href": url},
            {
                "rel": "describedby",
                "type": HTML,
                "title": "Menu card (menukaart) as HTML",
                "href": f"{url}?f=html",
                "hreflang": "nl",
            },
        ]
        doc["links"] = links
        content = _dumps(doc)
    return headers, status, content


def conformance(api: GslAPI, request: APIRequest) -> Result:
    """Declare OGC API - Common and all eight OGC API - Processes conformance classes."""
    doc = {"conformsTo": sorted({*COMMON_CONFORMANCE, *PROCESSES_CONFORMANCE})}
    headers = request.get_response_headers(**api.api_headers)
    if request.format == F_HTML:
        return headers, HTTPStatus.OK, _html(api, request, "conformance.html", doc)
    return headers, HTTPStatus.OK, _dumps(doc)


def openapi(api: GslAPI, request: APIRequest) -> Result:
    """Return the API definition (JSON, or Swagger UI / ReDoc HTML) through pygeoapi."""
    return core_api.openapi_(api, request)


# ------------------------------------------------------------------------ processes


@problems
def list_processes(api: GslAPI, request: APIRequest) -> Result:
    """Return the process list (summaries) with ``limit``/``offset`` paging links.

    Without ``limit`` every process is listed (clients such as OWSLib do not page).
    """
    limit, offset = _limit_offset(api, request, default=MAX_LIMIT)
    ids = list(api.manager.processes)
    page = ids[offset : offset + limit]
    summaries = [process_summary(api, request, pid) for pid in page]
    url = f"{api.base_url}/processes"
    doc = {
        "processes": summaries,
        "links": [
            {
                "href": _format_link(url, request, "json"),
                "rel": request.get_linkrel(F_JSON),
                "type": JSON,
                "title": "This document as JSON",
            },
            {
                "href": _format_link(url, request, "html"),
                "rel": request.get_linkrel(F_HTML),
                "type": HTML,
                "title": "This document as HTML",
            },
            *_paging_links(url, request, limit, offset, len(page), len(ids)),
        ],
        "numberMatched": len(ids),
        "numberReturned": len(page),
    }
    headers = request.get_response_headers(**api.api_headers)
    if request.format == F_HTML:
        return headers, HTTPStatus.OK, _html(api, request, "processes/index.html", doc)
    return headers, HTTPStatus.OK, _dumps(doc)


def _process_links(api: GslAPI, process_id: str, md: dict[str, Any]) -> list[dict[str, Any]]:
    url = f"{api.base_url}/processes/{process_id}"
    jobs = f"{api.base_url}/jobs"
    return [
        *md.get("links", []),
        {
            "href": f"{url}?f=json",
            "rel": "self",
            "type": JSON,
            "title": "Process description as JSON",
        },
        {
            "href": f"{url}?f=html",
            "rel": "alternate",
            "type": HTML,
            "title": "Process description as HTML",
        },
        {"href": f"{url}/execution", "rel": REL_EXECUTE, "type": JSON, "title": "Execute"},
        {"href": f"{jobs}?f=json", "rel": REL_JOB_LIST, "type": JSON, "title": "Jobs list as JSON"},
        {"href": f"{jobs}?f=html", "rel": REL_JOB_LIST, "type": HTML, "title": "Jobs list as HTML"},
    ]


def process_summary(api: GslAPI, request: APIRequest, process_id: str) -> dict[str, Any]:
    """Return the summary of one process (its description without inputs and outputs)."""
    md = api.manager.get_processor(process_id).metadata
    out = {k: v for k, v in md.items() if k not in ("inputs", "outputs", "example", "x-gsl")}
    out["links"] = _process_links(api, process_id, md)
    return out


@problems
def describe_process(api: GslAPI, request: APIRequest, process_id: str) -> Result:
    """Return one process description: HTML through pygeoapi, JSON as generated.

    pygeoapi's JSON serialiser escapes ``<`` and ``>`` as HTML entities, which would
    change the text of the descriptions, so the JSON is written here (same links).
    """
    if process_id not in api.manager.processes:
        raise NoSuchProcess(
            f"no process '{process_id}'; known processes: {sorted(api.manager.processes)}"
        )
    if request.format == F_HTML:
        return processes_api.describe_processes(api, request, process_id)
    md = api.manager.get_processor(process_id).metadata
    doc = {**md, "links": _process_links(api, process_id, md)}
    headers = request.get_response_headers(**api.api_headers)
    return headers, HTTPStatus.OK, _dumps(doc)


# ----------------------------------------------------------------------------- jobs


def status_document(base_url: str, job: JobInfo) -> dict[str, Any]:
    """Return the OGC statusInfo document of ``job`` (with progress, message, links)."""
    url = f"{base_url}/jobs/{job.job_id}"
    doc = job.status_info()
    links = [
        {"href": f"{url}?f=json", "rel": "self", "type": JSON, "title": "Job status as JSON"},
        {"href": f"{url}?f=html", "rel": "alternate", "type": HTML, "title": "Job status as HTML"},
        {"href": f"{base_url}/jobs", "rel": "up", "type": JSON, "title": "The job list"},
    ]
    if job.status in (JobStatus.successful, JobStatus.failed):
        links.append(
            {"href": f"{url}/results", "rel": REL_RESULTS, "type": JSON, "title": "Job results"}
        )
    if job.status is JobStatus.successful:
        links.append(
            {
                "href": f"{url}/features",
                "rel": "service",
                "type": JSON,
                "title": "Its per-feature outputs as OGC API – Features collections (QGIS, GDAL)",
            }
        )
    doc["links"] = links
    return doc


def _duration(params: Any, name: str) -> float | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a number of seconds, got {raw!r}", input_name=name
        ) from None
    if value < 0:
        raise InvalidInput(f"{name} must not be negative, got {raw!r}", input_name=name)
    return value


def job_filter(api: GslAPI, request: APIRequest) -> JobFilter:
    """Parse the job-list query (processID, status, datetime, min/maxDuration, paging).

    Raises
    ------
    InvalidInput
        Naming the query parameter and the reason.
    """
    params = request.params
    limit, offset = _limit_offset(api, request)
    flt = JobFilter(limit=limit, offset=offset)
    flt.process_ids = _multi(params, "processID") or None
    statuses = _multi(params, "status")
    if statuses:
        valid = [s.value for s in JobStatus]
        bad = [s for s in statuses if s not in valid]
        if bad:
            raise InvalidInput(f"status {bad[0]!r} is not one of {valid}", input_name="status")
        flt.statuses = [JobStatus(s) for s in statuses]
    interval = params.get("datetime")
    if interval:
        flt.created_after, flt.created_before = parse_interval(interval)
    flt.min_duration_s = _duration(params, "minDuration")
    flt.max_duration_s = _duration(params, "maxDuration")
    return flt


@problems
def list_jobs(api: GslAPI, request: APIRequest, engine: ExecutionEngine) -> Result:
    """Return the job list, filtered and paged by the engine (OGC job-list class)."""
    flt = job_filter(api, request)
    types = _multi(request.params, "type")
    if types and "process" not in types:
        jobs: list[JobInfo] = []
        matched = 0
    else:
        jobs, matched = engine.list_jobs(flt)
    url = f"{api.base_url}/jobs"
    doc = {
        "jobs": [status_document(api.base_url, j) for j in jobs],
        "links": [
            {
                "href": _format_link(url, request, "json"),
                "rel": request.get_linkrel(F_JSON),
                "type": JSON,
                "title": "Job list as JSON",
            },
            {
                "href": _format_link(url, request, "html"),
                "rel": request.get_linkrel(F_HTML),
                "type": HTML,
                "title": "Job list as HTML",
            },
            *_paging_links(url, request, flt.limit, flt.offset, len(jobs), matched),
        ],
        "numberMatched": matched,
        "numberReturned": len(jobs),
    }
    headers = request.get_response_headers(**api.api_headers)
    if request.format == F_HTML:
        data = {
            "jobs": doc,
            "offset": flt.offset,
            "now": datetime.now(UTC).strftime(DATETIME_FORMAT),
        }
        return headers, HTTPStatus.OK, _html(api, request, "jobs/index.html", data)
    return headers, HTTPStatus.OK, _dumps(doc)


@problems
def get_job(api: GslAPI, request: APIRequest, engine: ExecutionEngine, job_id: str) -> Result:
    """Return a job's statusInfo (progress 0-100 and message)."""
    doc = status_document(api.base_url, engine.get_job(job_id))
    headers = request.get_response_headers(**api.api_headers)
    if request.format == F_HTML:
        doc["parameters"] = None
        data = {"jobs": doc, "now": datetime.now(UTC).strftime(DATETIME_FORMAT)}
        return headers, HTTPStatus.OK, _html(api, request, "jobs/job.html", data)
    return headers, HTTPStatus.OK, _dumps(doc)


@problems
def get_results(api: GslAPI, request: APIRequest, engine: ExecutionEngine, job_id: str) -> Result:
    """Return a finished job's results, shaped as its request asked.

    ``response=raw`` and ``outputs`` of an async request apply here. 404
    ``result-not-ready`` while the job is accepted or running; a failed job's results
    are its problem document (with the failure's status).
    """
    from gsl_service.ogc.execute import ResultLinks, shape_job_result  # imports this module

    html = request.format == F_HTML
    job, body = engine.get_job_result(job_id, hydrate=html)  # parts stay links unless asked
    headers = request.get_response_headers(**api.api_headers)
    if html:
        data = {"job": {"id": job_id}, "result": orjson.loads(body)}
        return headers, HTTPStatus.OK, _html(api, request, "jobs/results/index.html", data)
    links = ResultLinks(api.base_url, job_id, engine.settings.inline_features_max)

    def whole(stored: bytes) -> bytes:
        return engine.get_job_result(job_id)[1]

    answer = shape_job_result(engine.registry, job, body, links, hydrate=whole)
    if answer.links:  # response raw, every output by reference: links alone
        headers.pop("Content-Type", None)
        headers["Link"] = ", ".join(answer.links)
        return headers, HTTPStatus.NO_CONTENT, b""
    headers["Content-Type"] = answer.media
    return headers, HTTPStatus.OK, answer.content


@problems
def dismiss_job(api: GslAPI, request: APIRequest, engine: ExecutionEngine, job_id: str) -> Result:
    """Dismiss a job (stops it when running) and return its statusInfo."""
    job = engine.dismiss(job_id)
    headers = request.get_response_headers(**api.api_headers)
    headers["Content-Type"] = JSON
    return headers, HTTPStatus.OK, _dumps(status_document(api.base_url, job))
