"""``GET /health`` (liveness) and ``GET /ready`` (readiness) for probes.

* ``/health`` answers 200 while the process serves HTTP and its engine runs — it
  does not look at Redis, so a Redis outage never gets the API restarted (it keeps
  answering: see the README, "Redis outage").
* ``/ready`` answers 200 only when the engine runs and every backing service answers
  (distributed: Redis PING within ``GSL_REDIS_TIMEOUT_S``), else 503 with the
  failing check, so a load balancer sends no traffic to a pod that cannot record
  jobs. It turns false within one probe of Redis going away and true again with
  the first probe after it is back.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gsl_indicators import __version__

router = APIRouter()


def _mode(request: Request) -> str:
    return "distributed" if getattr(request.app.state.settings, "redis_url", None) else "embedded"


@router.get("/health", include_in_schema=False)
async def health(request: Request) -> Response:
    """Return 200 with the version, mode and process count; 503 before the engine runs."""
    state = request.app.state
    ready = getattr(state, "engine", None) is not None
    body = {
        "status": "ok" if ready else "starting",
        "version": __version__,
        "mode": _mode(request),
        "processes": len(state.registry),
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/ready", include_in_schema=False)
async def ready(request: Request) -> Response:
    """Return 200 when the service can take executions and jobs, else 503 naming why."""
    engine = getattr(request.app.state, "engine", None)
    checks: dict[str, bool] = {"engine": engine is not None}
    if engine is not None:
        checks.update(await run_in_threadpool(engine.readiness))
    ok = all(checks.values())
    body = {"status": "ready" if ok else "not ready", "mode": _mode(request), "checks": checks}
    headers = None if ok else {"Retry-After": "5", "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=200 if ok else 503, headers=headers)
