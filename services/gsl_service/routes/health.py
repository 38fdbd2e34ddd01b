"""``GET /health``: liveness and readiness for probes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gsl_indicators import __version__

router = APIRouter()


@router.get("/health", include_in_schema=False)
async def health(request: Request) -> Response:
    """Return 200 with the version, mode and process count; 503 before the engine runs."""
    state = request.app.state
    ready = getattr(state, "engine", None) is not None
    body = {
        "status": "ok" if ready else "starting",
        "version": __version__,
        "mode": "distributed" if getattr(state.settings, "redis_url", None) else "embedded",
        "processes": len(state.registry),
    }
    return JSONResponse(body, status_code=200 if ready else 503)
