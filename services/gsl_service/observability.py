"""Request ids, structured logs and ``GET /metrics`` (Prometheus).

* **Request id.** Every request gets one: the client's ``X-Request-ID`` when it is a
  plain token (letters, digits, ``.``, ``_``, ``-``; at most 128), else a new uuid4
  hex. It is sent back as ``X-Request-ID``, set for the request's log lines and
  stored in the job record a request creates (:mod:`gsl_service.context`).
* **Logs.** With ``GSL_LOG_FORMAT=json`` (the default; ``gsl serve`` and ``gsl worker``
  apply :func:`logging_config`) every log line is one JSON
  object: ``ts``, ``level``, ``logger``, ``message``, ``request_id`` (when in a
  request), the exception when there is one, and the access-log fields of a request
  (method, route template, status, duration, the API key **id** when keys are on).
  Request headers are never logged, so API keys are not either.
* **Metrics.** ``gsl_http_requests_total{method,route,status}`` and
  ``gsl_http_request_seconds{method,route}`` by route *template*
  (``/jobs/{job_id}``, never the id; ``unmatched`` for unknown paths), the engine's
  counters (:mod:`gsl_service.observer`), and at scrape time ``gsl_jobs{status}``
  (jobs in the store by status) and ``gsl_queue_length`` (jobs waiting to run:
  accepted). Turn ``/metrics`` off with ``GSL_METRICS_ENABLED=false``; with API keys
  it needs the ``read`` scope.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from gsl_service import context
from gsl_service.observer import REGISTRY

if TYPE_CHECKING:
    from gsl_service.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("gsl_service.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

HTTP_REQUESTS = Counter(
    "gsl_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "gsl_http_request_seconds",
    "HTTP request duration by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """Return the client's ``X-Request-ID`` when it is a plain token, else a new id.

    Examples
    --------
    >>> request_id_of([(b"x-request-id", b"abc-123")])
    'abc-123'
    >>> len(request_id_of([(b"x-request-id", b"bad id!")]))
    32
    """
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the current request id.

    Examples
    --------
    >>> rec = logging.LogRecord("gsl", logging.INFO, __file__, 1, "hi %s", ("there",), None)
    >>> doc = json.loads(JsonFormatter().format(rec))
    >>> doc["message"], doc["level"], doc["logger"]
    ('hi there', 'info', 'gsl')
    """

    #: LogRecord attributes that are not extra fields (and uvicorn's coloured copy).
    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
        "message",
        "color_message",
    }

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = context.current_request_id()
        if rid:
            doc["request_id"] = rid
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


def logging_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """Return a ``logging.config.dictConfig`` dict: every line to stderr, JSON or text.

    Given to uvicorn as ``log_config`` (applied in each of its worker processes) and
    applied by ``gsl worker``. uvicorn's own access log is off: the middleware writes
    one line per request (``gsl_service.access``) with the request id.

    Examples
    --------
    >>> logging_config("debug")["root"]
    {'handlers': ['stderr'], 'level': 'DEBUG'}
    """
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


class ObservabilityMiddleware:
    """ASGI middleware: request id in and out, access log line, request metrics."""

    def __init__(self, app: ASGIApp, routes: Callable[[], list[Any]]) -> None:
        self.app = app
        self.routes = routes

    def _route(self, scope: Scope) -> str:
        """Return the template of the route ``scope`` matches (``unmatched``: none)."""
        for route in self.routes():
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", "unmatched"))
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag the request, pass it on, count and log it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope.get("headers") or [])
        token = context.request_id.set(rid)
        start = time.perf_counter()
        status = 500
        header = (b"x-request-id", rid.encode())

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            method = str(scope.get("method", "GET"))
            method = method if method in _METHODS else "other"
            route = self._route(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(seconds)
            log.info(
                "%s %s %s",
                method,
                scope.get("path", ""),
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client_id": (scope.get("state") or {}).get("gsl_client_id"),
                },
            )
            context.request_id.reset(token)


def _scrape_registry(engine: Any) -> CollectorRegistry:
    """Return a registry with the scrape-time gauges: jobs by status, queue length."""
    from gsl_service.jobs.model import JobFilter, JobStatus

    reg = CollectorRegistry(auto_describe=True)
    jobs = Gauge("gsl_jobs", "Jobs in the job store by status", ["status"], registry=reg)
    queue = Gauge("gsl_queue_length", "Jobs waiting to run (accepted)", registry=reg)
    for status in JobStatus:
        # owner=None: the whole store, whichever key scrapes
        _, matched = engine.list_jobs(JobFilter(statuses=[status], limit=0, owner=None))
        jobs.labels(status.value).set(matched)
        if status is JobStatus.accepted:
            queue.set(matched)
    return reg


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Serve the metrics in the Prometheus text format."""
    body = generate_latest(REGISTRY)
    engine = getattr(request.app.state, "engine", None)
    if engine is not None:
        try:
            body += generate_latest(await run_in_threadpool(_scrape_registry, engine))
        except Exception:  # the job store is away: serve what the process knows
            logging.getLogger(__name__).warning("job gauges unavailable", exc_info=True)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _leaf_routes(routes: list[Any]) -> list[Any]:
    """Return the routes with a path template, looking into included routers."""
    out: list[Any] = []
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:  # FastAPI's wrapper of an included router
            out.extend(_leaf_routes(list(inner)))
        elif getattr(route, "path", None):
            out.append(route)
    return out


def install(app: Any, settings: Settings) -> None:
    """Add the middleware (request ids, access log, metrics) and ``/metrics``."""
    flat: list[Any] = []

    def routes() -> list[Any]:
        if not flat:
            flat.extend(_leaf_routes(app.router.routes))
        return flat

    if settings.metrics_enabled:
        app.include_router(router)
    app.add_middleware(ObservabilityMiddleware, routes=routes)
