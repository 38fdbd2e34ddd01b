"""``GET|POST /tygron/trigger``: the URL a Tygron project configures as an API Trigger.

See :mod:`gsl_service.adapters.trigger` for what a call does. The reply is a flat
JSON object (``application/json``) of numbers (TQL) or event parameters (EVENT);
a refused call is an RFC 7807 problem document (403 for a server that is not allowed,
400 for a bad query, 502 when the session cannot be read). The token is read from the
query and goes nowhere else but to the session named by the Referer.
"""

from __future__ import annotations

import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response

from gsl_service.adapters.trigger import TriggerService
from gsl_service.contract import ExecutionEngine, get_engine

router = APIRouter()
EngineDep = Annotated[ExecutionEngine, Depends(get_engine)]
TRIGGER_PATH = "/tygron/trigger"


def trigger_service(request: Request, engine: EngineDep) -> TriggerService:
    """FastAPI dependency: the app's trigger service (one per engine)."""
    service: TriggerService | None = getattr(request.app.state, "tygron", None)
    if service is None or service.engine is not engine:
        service = request.app.state.tygron = TriggerService(engine)
    return service


@router.api_route(TRIGGER_PATH, methods=["GET", "POST"], include_in_schema=False)
def tygron_trigger(
    request: Request, service: Annotated[TriggerService, Depends(trigger_service)]
) -> Response:
    """Answer a Tygron API trigger within its budget (see the module docstring)."""
    started = time.monotonic()
    reply, job = service.handle(
        dict(request.query_params), request.headers.get("referer"), started=started
    )
    headers = {"Content-Type": "application/json"}
    if job is not None:
        base = str(request.app.state.settings.base_url).rstrip("/")
        headers["Link"] = f"<{base}/jobs/{job.job_id}>; rel=monitor"
    return Response(orjson.dumps(reply), headers=headers)
