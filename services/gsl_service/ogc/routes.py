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
from gsl_service.ogc.api import GslAPI
from gsl_service.ogc.execute import execute

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
    """Landing page (pygeoapi)."""
    return await call(request, handlers.landing_page)


@router.get("/conformance", include_in_schema=False)
async def conformance(request: Request) -> Response:
    """Conformance declaration: all eight OGC API - Processes classes."""
    return await call(request, handlers.conformance)


@router.get("/openapi", include_in_schema=False)
async def openapi(request: Request) -> Response:
    """Return the API definition, JSON or HTML (Swagger UI / ReDoc via pygeoapi)."""
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
    return await call(request, handlers.list_processes)


@router.get("/processes/{process_id}", include_in_schema=False)
async def describe_process(request: Request, process_id: str) -> Response:
    """Process description (pygeoapi)."""
    return await call(request, handlers.describe_process, process_id)


@router.post("/processes/{process_id}/execution", include_in_schema=False)
async def execute_process(request: Request, process_id: str, engine: EngineDep) -> Response:
    """Execute: sync by default, ``Prefer: respond-async`` for a job.

    A body that is not JSON is a 415 before it is read; its size is bounded while
    it streams in (:class:`~gsl_service.limits.BodyLimit`, 413).
    """
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
    return await call(request, handlers.list_jobs, engine)


@router.get("/jobs/{job_id}", include_in_schema=False)
async def get_job(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Job status (statusInfo)."""
    return await call(request, handlers.get_job, engine, job_id)


@router.delete("/jobs/{job_id}", include_in_schema=False)
async def dismiss_job(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Dismiss a job."""
    return await call(request, handlers.dismiss_job, engine, job_id)


@router.get("/jobs/{job_id}/results", include_in_schema=False)
async def get_results(request: Request, job_id: str, engine: EngineDep) -> Response:
    """Job results."""
    return await call(request, handlers.get_results, engine, job_id)
