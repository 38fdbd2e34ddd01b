"""One exception hierarchy for the service, each with its HTTP status and OGC type URI.

The app turns every :class:`ServiceError` into an RFC 7807 problem document
(``application/problem+json``) whose ``type`` is the OGC API - Processes exception URI.
"""

from __future__ import annotations

OGC_EXCEPTION = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"


class ServiceError(Exception):
    """Base class: ``status`` (HTTP), ``ogc_type`` (last part of the OGC URI), ``title``."""

    status = 500
    ogc_type = "server-error"
    title = "Internal server error"
    #: Seconds a client should wait before trying again (``Retry-After``), if any.
    retry_after: int | None = None

    def __init__(self, detail: str, *, input_name: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.input_name = input_name

    def headers(self) -> dict[str, str]:
        """Return the response headers the error asks for (``Retry-After``)."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    @property
    def type_uri(self) -> str:
        """Return the full OGC exception type URI."""
        return OGC_EXCEPTION + self.ogc_type

    def problem(self, instance: str | None = None) -> dict[str, object]:
        """Return the RFC 7807 problem document."""
        doc: dict[str, object] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.input_name is not None:
            doc["input"] = self.input_name
        if instance:
            doc["instance"] = instance
        return doc


class InvalidInput(ServiceError):
    """A request input is invalid (400, invalid-parameter-value)."""

    status = 400
    ogc_type = "invalid-parameter-value"
    title = "Invalid parameter value"


class NoSuchProcess(ServiceError):
    """Unknown process id (404)."""

    status = 404
    ogc_type = "no-such-process"
    title = "No such process"


class NoSuchJob(ServiceError):
    """Unknown job id (404)."""

    status = 404
    ogc_type = "no-such-job"
    title = "No such job"


class ResultNotReady(ServiceError):
    """The job has not finished (404, result-not-ready)."""

    status = 404
    ogc_type = "result-not-ready"
    title = "Result not ready"


class JobFailed(ServiceError):
    """The job failed; its results carry the reason (the failed job's own problem type)."""

    status = 500
    ogc_type = "job-failed"
    title = "Job failed"

    def __init__(
        self,
        detail: str,
        *,
        status: int = 500,
        ogc_type: str | None = None,
        input_name: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail, input_name=input_name)
        self.status = status
        if ogc_type:
            self.ogc_type = ogc_type
        if title:
            self.title = title

    @classmethod
    def from_problem(cls, problem: dict[str, object], default: str) -> JobFailed:
        """Rebuild the error from a failed job's stored problem document.

        Keeps its status, type, title and the ``input`` it names.

        Examples
        --------
        >>> e = JobFailed.from_problem({"status": 400, "input": "a", "detail": "input 'a': no",
        ...     "type": OGC_EXCEPTION + "invalid-parameter-value"}, "failed")
        >>> e.status, e.ogc_type, e.input_name
        (400, 'invalid-parameter-value', 'a')
        """
        name = problem.get("input")
        title = problem.get("title")
        return cls(
            str(problem.get("detail") or default),
            status=int(str(problem.get("status") or 500)),
            ogc_type=str(problem.get("type", "")).rsplit("/", 1)[-1] or None,
            input_name=name if isinstance(name, str) else None,
            title=title if isinstance(title, str) else None,
        )


class FetchError(InvalidInput):
    """An input given by reference (href) could not be fetched or is not allowed."""

    title = "Input reference could not be used"


class InvalidTransition(ServiceError):
    """A job state change that the state machine forbids (409)."""

    status = 409
    ogc_type = "invalid-transition"
    title = "Invalid job state transition"


class ServiceUnavailable(ServiceError):
    """A backing service (Redis) is away; try again later (503 with ``Retry-After``)."""

    status = 503
    ogc_type = "server-error"
    title = "Service unavailable"
    retry_after = 5


class PayloadTooLarge(ServiceError):
    """The request body is larger than ``GSL_MAX_BODY_BYTES`` (413)."""

    status = 413
    ogc_type = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(ServiceError):
    """The request body is not JSON (415)."""

    status = 415
    ogc_type = "unsupported-media-type"
    title = "Unsupported media type"


class TimeLimitExceeded(JobFailed):
    """An execution ran longer than its time limit; its worker process was stopped (422)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, status=422, title="Time limit exceeded")


class Unauthorized(ServiceError):
    """No API key, or an unknown one, where keys are required (401)."""

    status = 401
    ogc_type = "unauthorized"
    title = "Unauthorized"


class Forbidden(ServiceError):
    """The API key lacks the scope the route needs (403)."""

    status = 403
    ogc_type = "forbidden"
    title = "Forbidden"


class TooManyRequests(ServiceError):
    """The API key's rate limit is spent (429, with ``Retry-After``)."""

    status = 429
    ogc_type = "too-many-requests"
    title = "Too many requests"
