"""RFC 7807 problem documents with OGC API - Processes exception type URIs."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import orjson

from gsl_indicators.core.spec import InputError
from gsl_service.errors import OGC_EXCEPTION, InvalidInput, ServiceError

PROBLEM_JSON = "application/problem+json"

#: pygeoapi's bare exception codes → the last part of the OGC exception URI.
CODE_TO_TYPE = {
    "NoSuchProcess": "no-such-process",
    "NoSuchJob": "no-such-job",
    "ResultNotReady": "result-not-ready",
    "InvalidParameterValue": "invalid-parameter-value",
    "MissingParameterValue": "invalid-parameter-value",
    "JobResultNotFound": "no-such-job",
    "NoApplicableCode": "server-error",
    "InternalError": "server-error",
}


def type_for_code(code: str) -> str:
    """Return the OGC exception URI for one of pygeoapi's bare codes.

    Known codes map through :data:`CODE_TO_TYPE`; others are kebab-cased.

    Examples
    --------
    >>> type_for_code("NoSuchProcess")
    'http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process'
    >>> type_for_code("NotFound").rsplit("/", 1)[1]
    'not-found'
    """
    if code.startswith("http"):
        return code
    name = CODE_TO_TYPE.get(code) or re.sub(r"(?<!^)(?=[A-Z])", "-", code).lower()
    return OGC_EXCEPTION + name


def problem(
    status: int, type_uri: str, detail: str, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Return an RFC 7807 problem document.

    Examples
    --------
    >>> problem(404, type_for_code("NoSuchJob"), "no job 'x'")["title"]
    'Not Found'
    """
    doc: dict[str, Any] = {
        "type": type_uri,
        "title": title or HTTPStatus(status).phrase,
        "status": int(status),
        "detail": detail,
    }
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def from_exception(err: Exception, instance: str | None = None) -> dict[str, Any]:
    """Return the problem document of any exception (500 for unexpected ones)."""
    if isinstance(err, InputError):
        err = InvalidInput(str(err), input_name=err.input_name)
    if isinstance(err, ServiceError):
        return err.problem(instance)
    return problem(
        500,
        OGC_EXCEPTION + "server-error",
        f"internal error ({type(err).__name__}); see the server log",
        instance=instance,
    )


def problem_bytes(doc: dict[str, Any]) -> bytes:
    """Serialise a problem document."""
    return orjson.dumps(doc)
