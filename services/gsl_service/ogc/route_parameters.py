"""The query parameters each route of the service takes; any other is a 400.

A parameter the service does not know would otherwise be ignored without a word — a
misspelt ``procesID=`` filter answering every job, a ``limt=5`` answering the default
page — so it is refused with a problem document naming it and the parameters the
resource takes (as OGC API – Features, /req/core/query-param-unknown, asks of its
resources; the features API and the results routes check theirs the same way).

``f`` (the format) and ``lang`` (the page's language) are taken by every page and
document; what ``f`` may be is checked by each route (pygeoapi's request, or
:func:`gsl_service.exports.negotiate`), ``lang`` here: a language the pages speak (``nl``,
``en``, or a tag of theirs such as ``en-GB``). A parameter given twice is a 400 too (the
last one would win unseen), except the job list's filters, which take several values.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from gsl_service.errors import InvalidInput
from gsl_service.ogc.features_query import check_parameters
from gsl_service.web.i18n import LANGUAGES

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
#: ``POST /processes/{id}/execution``: everything is in the body and ``Prefer``; ``f=json``
#: (what generic OGC clients may add) is let through, as the answer is JSON.
EXECUTE = frozenset({"f"})
#: Parameters that may be given more than once (the job list's filters: any of them).
REPEATABLE = frozenset({"processID", "status", "type"})
#: ``/menukaart`` as a page: the norm profile whose bands it shows (its JSON lists every
#: profile, so there it takes :data:`DOCUMENT`).
MENUKAART = DOCUMENT | {"profile"}


def require_known(request: Request, known: frozenset[str]) -> None:
    """Raise a 400 for a query parameter not in ``known``, given twice, or a strange ``lang``.

    ``lang`` must be a language the pages speak; only :data:`REPEATABLE` may repeat.

    Raises
    ------
    gsl_service.errors.InvalidInput
        ``input`` names the parameter; the detail says why (for an unknown one, the
        parameters the resource takes).
    """
    params = request.query_params
    check_parameters(params.keys(), known)
    check_repeats(params)
    lang = params.get("lang")
    if lang is not None:
        check_lang(lang)


def check_repeats(params: Any) -> None:
    """Raise a 400 for a parameter given more than once, unless :data:`REPEATABLE`.

    ``params``: a request's query parameters (anything with ``keys`` and ``getlist``).

    Examples
    --------
    >>> from starlette.datastructures import QueryParams
    >>> check_repeats(QueryParams("status=a&status=b&f=json"))
    >>> check_repeats(QueryParams("f=json&f=html"))
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: f: given 2 times; give it once
    """
    for name in dict.fromkeys(params.keys()):
        given = len(params.getlist(name))
        if given > 1 and name not in REPEATABLE:
            raise InvalidInput(f"{name}: given {given} times; give it once", input_name=name)


def require_json_format(request: Request) -> None:
    """Raise a 400 for an ``f`` other than ``json`` on the execution.

    Its answer is JSON, or a raw output in the media type its request asked for.
    """
    f = request.query_params.get("f")
    if f is not None and f.strip().lower() != "json":
        raise InvalidInput(
            f"f: the execution answers JSON (a raw output in the media type its request "
            f"asks for in outputs.format); f={f[:40]!r} is not offered",
            input_name="f",
        )


def check_lang(lang: str) -> None:
    """Raise a 400 unless ``lang`` is a language the pages speak, or a tag of one (``en-GB``).

    Examples
    --------
    >>> check_lang("en-GB"), check_lang("NL"), check_lang("nl_BE")
    (None, None, None)
    >>> check_lang("de")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: lang: 'de' is not a language of this service; it speaks ['nl', 'en']
    """
    code, _, _ = lang.lower().replace("_", "-").partition("-")
    if code not in LANGUAGES:
        raise InvalidInput(
            f"lang: {lang[:40]!r} is not a language of this service; it speaks {list(LANGUAGES)}",
            input_name="lang",
        )
