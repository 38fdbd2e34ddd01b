"""The query parameters each route of the service takes; any other is a 400.

A parameter the service does not know would otherwise be ignored without a word — a
misspelt ``procesID=`` filter answering every job, a ``limt=5`` answering the default
page — so it is refused with a problem document naming it and the parameters the
resource takes (as OGC API – Features, /req/core/query-param-unknown, asks of its
resources; the features API and the results routes check theirs the same way).

``f`` (the format) and ``lang`` (the page's language) are taken by every page and
document; what ``f`` may be is checked by each route (pygeoapi's request, or
:func:`gsl_service.exports.negotiate`).
"""

from __future__ import annotations

from fastapi import Request

from gsl_service.ogc.features_query import check_parameters

#: A document or page with nothing to choose but its format and language.
DOCUMENT = frozenset({"f", "lang"})
#: ``/openapi``: pygeoapi's ``ui=swagger|redoc`` picks the page's viewer.
OPENAPI = DOCUMENT | {"ui"}
#: ``/processes``: paged.
PROCESS_LIST = DOCUMENT | {"limit", "offset"}
#: ``/jobs``: paged, with the OGC job-list filters (Part 1, job-list class).
JOB_LIST = PROCESS_LIST | {
    "type",
    "processID",
    "status",
    "datetime",
    "minDuration",
    "maxDuration",
}
#: ``POST /processes/{id}/execution``: everything is in the body and ``Prefer``.
EXECUTE: frozenset[str] = frozenset()
#: ``/menukaart`` as a page: the norm profile whose bands it shows (its JSON lists every
#: profile, so there it takes :data:`DOCUMENT`).
MENUKAART = DOCUMENT | {"profile"}


def require_known(request: Request, known: frozenset[str]) -> None:
    """Raise a 400 naming the first query parameter of ``request`` not in ``known``.

    Raises
    ------
    gsl_service.errors.InvalidInput
        ``input`` names the parameter; the detail lists the ones the resource takes.
    """
    check_parameters(request.query_params.keys(), known)
