"""Who and which request a piece of work belongs to, as context variables.

The HTTP middlewares set them per request (:mod:`gsl_service.auth` the client's key
id, :mod:`gsl_service.observability` the request id); they follow the request into
the thread pool (Starlette copies the context) and are read where a job record is
made (:class:`~gsl_service.jobs.model.JobInfo` takes them as defaults) and where a
log line is written. Outside a request both are ``None``.
"""

from __future__ import annotations

from contextvars import ContextVar

#: Id of the API key of the current request (never the key itself); ``None`` when
#: API keys are off or outside a request.
client_id: ContextVar[str | None] = ContextVar("gsl_client_id", default=None)
#: The owner a job list of the current request is limited to: the key id of a key
#: without ``admin`` scope (``None``: every job).
owner_scope: ContextVar[str | None] = ContextVar("gsl_owner_scope", default=None)
#: Request id of the current request (``X-Request-ID``).
request_id: ContextVar[str | None] = ContextVar("gsl_request_id", default=None)


def current_client_id() -> str | None:
    """Return the key id of the current request (``None`` outside one)."""
    return client_id.get()


def current_owner_scope() -> str | None:
    """Return the owner the current request's job lists are limited to (``None``: all)."""
    return owner_scope.get()


def current_request_id() -> str | None:
    """Return the request id of the current request (``None`` outside one)."""
    return request_id.get()
