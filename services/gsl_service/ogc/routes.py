"""FastAPI routes of OGC API - Processes, each delegating to a pygeoapi-style handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pygeoapi.api import APIRequest
from starlette.concurrency import run_in_threadpool

from gsl_service.contract import ExecutionEngine, get_engine
from gsl_service.limits import check_json_media_type
from gsl_service.ogc import handlers
from gsl_service.ogc import route_parameters as known
from gsl_service.ogc.api import GslAPI
from gsl_service.ogc.execute import execute
from gsl_service.ogc.results_export import refuse_output_on_page, results_response
from gsl_service.web import pages
from gsl_service.web.render import wants_html

router = APIRouter()


#: The engine, handed to a route by FastAPI (tests override ``get_engine``).
EngineDep = Annotated[ExecutionEngine, Depends(get_engine)]


def to_response(headers: dict[str, Any], status: int, content: Any) -> Response:
    """Return a Starlette response for pygeoapi's ``(headers, status, content)``."""
    if int(status) == 204:
        content = b""
    return Response(content=content, status_code=int(status), headers=dict(headers))


async def call(request: Request, handler: Callable[..., Any], *args: Any) -> Response:
    """Run a pygeoapi-style handler in the thread pool and wrap its answer."""
    api: GslAPI = request.app.state.api
    api_request = await APIRequest.from_starlette(request, api.locales)
    if not api_request.is_valid():
        return to_response(*api.get_format_exception(api_request))
    headers, status, content = await run_in_threadpool(handler, api, api_request, *args)
    return to_response(headers, status, content)


@router.get("/", include_in_schema=False)
async def landing_page(request: Request) -> Response:
    """Landing page: a page for people, JSON links (without pygeoapi's foreign ones)."""
    known.require_known(request, known.DOCUMENT)
    if wants_html(request):
        return await pages.landing(request)
    return await call(request, handlers.landing_page)


@router.get("/conformance", include_in_schema=False)
async def conformance(request: Request) -> Response:
    """Conformance declaration: all eight OGC API - Processes classes."""
    known.require_known(request, known.DOCUMENT)
    if wants_html(request):
        return await pages.conformance(
            request, sorted({*handlers.COMMON_CONFORMANCE, *handlers.PROCESSES_CONFORMANCE})
        )
    return await call(request, handlers.conformance)


@router.get("/openapi", include_in_schema=False)
async def openapi(request: Request) -> Response:
    """Return the API definition as JSON, or Swagger UI (served by the service itself)."""
    known.require_known(request, known.OPENAPI)
    if wants_html(request):
        return await pages.docs(request)
    api: GslAPI = request.app.state.api
    if not api.openapi:
        from gsl_service.ogc.openapi import build_openapi, dump_openapi

        doc = await run_in_threadpool(build_openapi, request.app.state.settings)
        # a string, so pygeoapi serves it as is (its to_json escapes < and >)
        api.openapi = dump_openapi(doc)
    return await call(request, handlers.openapi)


@router.get("/processes", include_in_schema=False)
async def list_processes(request: Request) -> Response:
    """Process list with paging."""
    known.require_known(request, known.PROCESS_LIST)
    if wants_html(request):
        return await pages.processes(request)
    return await call(request, handlers.list_processes)


@router.get("/processes/{process_id}", include_in_schema=False)
async def describe_process(request: Request, process_id: str) -> Response:
    """Process description; as a page with a run form."""
    known.require_known(request, known.DOCUMENT)
    if wants_html(request):
        return await pages.process(request, process_id)
    return await call(request, handlers.describe_process, process_id)


@router.post("/processes/{process_id}/execution", include_in_schema=False)
async def execute_process(request: Request, process_id: str, engine: EngineDep) -> Response:
    """Execute: sync by default, ``Prefer: respond-async`` for a job.

    A body that is not JSON is a 415 before it is read; its size is bounded while
    it streams in (:class:`~gsl_service.limits.BodyLimit`, 413).
    """
    known.require_known(request, known.EXECUTE)
    known.require_json_format(request)
    state = request.app.state
    check_json_media_type(request.headers.get("content-type"))
    body = await request.body()
    status, headers, content = await run_in_threadpool(
        execute,
        engine,
        state.registry,
        state.api.base_url,
        process_id,
        body,
        request.headers.getlist("prefer"),
    )
    return Response(content=content, status_code=status, headers=dict(headers))


@router.get("/jobs", include_in_schema=False)
async def list_jobs(request: Request, engine: EngineDep) -> Response:
    """Job list with the OGC job-list filters."""
    known.require_known(request, known.JOB_LIST)
    if wants_html(request):
        api: GslAPI = request.app.state.api
        api_request = await APIRequest.from_starlette(request, api.locales)
        return await pages.jobs(request, handlers.job_filter(api, api_request))
    return await call(request, handlers.list_jobs, engine)


@router.get("/jobs/{job_id}", include_in_schema=False)
async def get_job(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Job status (statusInfo); as a page with the results once the job is done."""
    known.require_known(request, known.DOCUMENT)
    if wants_html(request):
        return await pages.job(request, job_id)
    return await call(request, handlers.get_job, engine, job_id)


@router.delete("/jobs/{job_id}", include_in_schema=False)
async def dismiss_job(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Dismiss a job."""
    known.require_known(request, known.DOCUMENT)
    return await call(request, handlers.dismiss_job, engine, job_id)


@router.get("/jobs/{job_id}/results", include_in_schema=False)
async def get_results(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Job results: the document (JSON), the job page (HTML), or one layer as a file.

    ``f=geojson|csv|gpkg|flatgeobuf|geoparquet`` (or the matching ``Accept``) with ``output=<name>`` answers
    one per-feature output as a file, as ``/jobs/{id}/results/{output}`` does; any
    other format is a 406 problem document.
    """
    if wants_html(request):
        await refuse_output_on_page(request, job_id)
        return await pages.job(request, job_id)
    return await results_response(
        request,
        job_id,
        None,
        call_json=lambda: call(request, handlers.get_results, engine, job_id),
    )


@router.get("/jobs/{job_id}/results/{output}", include_in_schema=False)
async def get_result_output(request: Request, job_id: str, output: str) -> Response:
    """One output of a job: GeoJSON, CSV or GeoPackage for a layer, JSON for the others."""
    return await results_response(request, job_id, output, call_json=None)
