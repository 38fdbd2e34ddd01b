"""Our pygeoapi ``API`` subclass: RFC 7807 problem documents and the attached engine."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
from pygeoapi.api import API, SYSTEM_LOCALE
from pygeoapi.formats import F_HTML, FORMAT_TYPES
from pygeoapi.util import render_j2_template

from gsl_service.ogc.problems import PROBLEM_JSON, from_exception, problem, type_for_code

if TYPE_CHECKING:
    from gsl_service.engine import Engine


class GslAPI(API):
    """pygeoapi's API object with problem documents and our engine.

    Parameters
    ----------
    config : dict
        The pygeoapi configuration (:func:`gsl_service.ogc.config.pygeoapi_config`).
    openapi : dict
        The OpenAPI document served at ``/openapi`` (may be filled in later).
    engine : Engine, optional
        The execution engine; attached to the process manager as well.
    """

    def __init__(
        self, config: dict[str, Any], openapi: dict[str, Any], engine: Engine | None = None
    ) -> None:
        super().__init__(config, openapi)
        # pygeoapi warns about every schema key of a process description that is not
        # a locale ("unknown locale 'enum'") when it translates the description.
        logging.getLogger("pygeoapi.l10n").setLevel(logging.ERROR)
        self.engine: Engine | None = None
        if engine is not None:
            self.attach_engine(engine)

    def attach_engine(self, engine: Engine) -> None:
        """Attach ``engine`` to this API and to its process manager."""
        self.engine = engine
        self.manager.engine = engine

    def get_exception(
        self, status: int, headers: dict[str, Any], format_: str | None, code: str, description: str
    ) -> tuple[dict[str, Any], int, str | bytes]:
        """Return an RFC 7807 problem document instead of pygeoapi's bare code.

        ``code`` (``NoSuchProcess``, ``InvalidParameterValue`` ...) becomes the OGC
        exception URI; HTML is rendered through pygeoapi's exception template.
        """
        doc = problem(int(status), type_for_code(code), str(description))
        return self.render_problem(doc, headers, format_)

    def render_problem(
        self, doc: dict[str, Any], headers: dict[str, Any], format_: str | None
    ) -> tuple[dict[str, Any], int, str | bytes]:
        """Return ``(headers, status, content)`` for a problem document."""
        status = int(doc["status"])
        if format_ == F_HTML:
            headers["Content-Type"] = FORMAT_TYPES[F_HTML]
            data = {"code": doc["type"], "type": doc["type"], "description": doc["detail"]}
            content: str | bytes = render_j2_template(
                self.tpl_config,
                self.config["server"]["templates"],
                "exception.html",
                data,
                SYSTEM_LOCALE,
            )
        else:
            headers["Content-Type"] = PROBLEM_JSON
            content = orjson.dumps(doc)
        return headers, status, content

    def exception_response(
        self, err: Exception, headers: dict[str, Any], format_: str | None, instance: str | None
    ) -> tuple[dict[str, Any], int, str | bytes]:
        """Return ``(headers, status, content)`` for a raised exception."""
        return self.render_problem(from_exception(err, instance), headers, format_)
