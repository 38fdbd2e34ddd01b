"""The FastAPI application: ``create_app(settings)`` (no work at import time).

Serve it with ``gsl serve`` or ``uvicorn --factory gsl_service.app:create_app``;
``gsl_service.app:app`` also works (built on first access).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
import redis
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from gsl_indicators import __version__
from gsl_indicators.core.spec import InputError, registry
from gsl_service import auth, observability
from gsl_service.errors import OGC_EXCEPTION, ServiceError, ServiceUnavailable
from gsl_service.limits import BodyLimit
from gsl_service.ogc.api import GslAPI
from gsl_service.ogc.config import pygeoapi_config
from gsl_service.ogc.features import router as features_router
from gsl_service.ogc.problems import PROBLEM_JSON, from_exception, problem
from gsl_service.ogc.routes import router as ogc_router
from gsl_service.routes.health import router as health_router
from gsl_service.routes.menukaart import router as menukaart_router
from gsl_service.routes.tygron import router as tygron_router
from gsl_service.web import pages
from gsl_service.web.assets import mount_static
from gsl_service.web.render import wants_html

if TYPE_CHECKING:
    from gsl_service.settings import Settings

log = logging.getLogger(__name__)


def _problem_response(doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(doc), status_code=int(doc["status"]), media_type=PROBLEM_JSON, headers=headers
    )


def _answer_problem(
    request: Request, doc: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """Return the problem as a page when the request asked for one, else as JSON."""
    if wants_html(request) and not request.url.path.startswith("/static/"):
        return pages.problem(request, doc)
    return _problem_response(doc, headers)


async def _service_error(request: Request, exc: Exception) -> Response:
    headers = exc.headers() if isinstance(exc, ServiceError) else None
    return _answer_problem(request, from_exception(exc, request.url.path), headers)


async def _redis_away(request: Request, exc: Exception) -> Response:
    """Redis errors that reach a route: 503 with ``Retry-After`` (see README, Redis outage)."""
    err = ServiceUnavailable(
        f"the job store cannot be reached ({type(exc).__name__}); try again shortly"
    )
    return await _service_error(request, err)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """Anything else: a 500 problem document (Starlette logs the traceback)."""
    return _answer_problem(request, from_exception(exc, request.url.path))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = "not-found" if exc.status_code == 404 else "invalid-request"
    doc = problem(exc.status_code, OGC_EXCEPTION + kind, str(exc.detail), instance=request.url.path)
    return _answer_problem(request, doc)


def create_app(settings: Settings | None = None, *, engine: Any = None) -> FastAPI:
    """Return the service's FastAPI app.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to ``Settings()`` (environment, prefix ``GSL_``).
    engine : Engine, optional
        A ready engine to use (its owner starts and closes it). By default the app
        creates ``Engine(settings)`` in its lifespan, starts it and closes it.

    Returns
    -------
    FastAPI
        The app; nothing is started before its lifespan runs.
    """
    if settings is None:
        from gsl_service.settings import Settings

        settings_cls: Any = Settings  # every field has a default (read from GSL_* env)
        settings = settings_cls()
    reg = registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from gsl_service.part_downloads import sweep_leftovers

        await run_in_threadpool(sweep_leftovers)  # what a killed process left in /tmp
        own = engine is None
        if own:
            from gsl_service.engine import Engine

            eng = await run_in_threadpool(Engine, settings)
            await run_in_threadpool(eng.start)
        else:
            eng = engine
        app.state.api.attach_engine(eng)
        app.state.engine = eng
        try:
            yield
        finally:
            app.state.engine = None
            if own:
                await run_in_threadpool(eng.close)

    app = FastAPI(
        title="GSL indicator service",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.registry = reg
    app.state.engine = None
    app.state.api = GslAPI(pygeoapi_config(settings, reg), {})
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(InputError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(redis.RedisError, _redis_away)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(menukaart_router)
    app.include_router(tygron_router)
    app.include_router(ogc_router)
    app.include_router(features_router)
    mount_static(app, settings.assets_dir)
    # API keys inside, request ids / metrics / access log outside (they see 401 and 429)
    auth.install(app, settings)
    observability.install(app, settings)
    return app


def __getattr__(name: str) -> Any:
    """Build ``app`` on first access (``uvicorn gsl_service.app:app``)."""
    if name == "app":
        return create_app()
    raise AttributeError(name)
