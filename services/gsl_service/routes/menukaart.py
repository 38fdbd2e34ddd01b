"""``GET /menukaart``: the menu card of indicators; ``/menukaart/profiles/{name}``: a norm profile."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from fastapi import APIRouter, Request, Response

from gsl_indicators.catalog import profile_names
from gsl_indicators.core.canonical import canonical_json
from gsl_indicators.core.cards import card_csv, card_names, resolve_card
from gsl_indicators.core.menukaart import menu_card
from gsl_indicators.core.scoring import load_profile
from gsl_service.errors import ServiceError
from gsl_service.exports import negotiate
from gsl_service.ogc import route_parameters as known
from gsl_service.ogc.features_query import check_parameters
from gsl_service.web import pages
from gsl_service.web.render import wants_html

router = APIRouter()


class NoSuchProfile(ServiceError):
    """Unknown norm profile (404)."""

    status = 404
    ogc_type = "not-found"
    title = "No such profile"


def answer_format(request: Request, offered: Sequence[str]) -> str:
    """Return the format to answer in (``offered[0]`` when none is asked for).

    ``f=`` first, else ``Accept`` (:func:`gsl_service.exports.negotiate`); a format
    this resource is not offered in is a 406 problem document naming ``f`` or ``Accept``.
    """
    # one 406 problem for every route: exports.NotAcceptable (invalid-parameter-value)
    key = negotiate(request.query_params.get("f"), request.headers.get("accept"), offered)
    return key or offered[0]


@router.get("/menukaart", include_in_schema=False)
async def menukaart(request: Request) -> Response:
    """Return the menu card: indicators by theme, their norms, defaults and sources.

    ``f=html`` (or a browser's ``Accept``) answers the page; ``profile=`` picks the
    norm profile whose bands the page shows.
    """
    known.require_known(request, known.MENUKAART)
    if wants_html(request) or answer_format(request, ["json", "html"]) == "html":
        return await pages.menukaart(request)
    # the JSON lists every profile (each with its href): a profile= would change nothing
    check_parameters(request.query_params.keys(), known.DOCUMENT)
    base = request.app.state.settings.base_url.rstrip("/")
    card = menu_card(request.app.state.registry)
    for theme in card["themes"]:
        for entry in theme["indicators"]:
            entry["links"] = [
                {"rel": "process", "href": f"{base}/processes/{entry['id']}"},
                {"rel": "execute", "href": f"{base}/processes/{entry['id']}/execution"},
            ]
    for profile in card["profiles"]:
        profile["href"] = f"{base}/menukaart/profiles/{profile['name']}"
    card["cards"] = [
        {
            "id": c.id,
            "title": c.title,
            "version": c.version,
            "publisher": c.publisher,
            "profile": c.profile,
            "example": c.example,
            "themes": [t.id for t in c.themes],
            "links": [
                {"rel": "self", "type": "application/json", "href": f"{base}/menukaart/{c.id}"},
                {"rel": "alternate", "type": "text/csv", "href": f"{base}/menukaart/{c.id}?f=csv"},
                {"rel": "execute", "href": f"{base}/processes/scoreboard/execution"},
            ],
        }
        for c in (resolve_card(name) for name in card_names())
    ]
    return Response(canonical_json(card), media_type="application/json")


class NoSuchCard(ServiceError):
    """Unknown menu card (404)."""

    status = 404
    ogc_type = "not-found"
    title = "No such menu card"


@router.get("/menukaart/{card_id}", include_in_schema=False)
async def one_card(card_id: str, request: Request) -> Response:
    """Return one menu card of the catalog as JSON, CSV or a page.

    ``?f=csv`` or ``Accept: text/csv`` answers CSV; ``f=html`` or a browser's ``Accept``
    the card's page (:func:`gsl_service.web.pages.card_page`). The CSV has one row per theme × indicator × parameter, with the pinned value, the
    default, the unit and the range a municipality may adjust it in.
    """
    known.require_known(request, known.DOCUMENT)
    if card_id not in card_names():
        raise NoSuchCard(f"no menu card '{card_id}'; known cards: {list(card_names())}")
    fmt = answer_format(request, ["json", "csv", "html"])
    if wants_html(request) or fmt == "html":
        return await pages.card_page(request, card_id)
    card = resolve_card(card_id)
    if fmt == "csv":
        return Response(card_csv(card), media_type="text/csv; charset=utf-8")
    return Response(canonical_json(card.model_dump()), media_type="application/json")


@router.get("/menukaart/profiles/{name}", include_in_schema=False)
async def profile(request: Request, name: str) -> Response:
    """Return one norm profile of the catalog (bands per area type, scoring rule)."""
    known.require_known(request, known.DOCUMENT)
    if name not in profile_names():
        raise NoSuchProfile(f"no norm profile '{name}'; known profiles: {list(profile_names())}")
    if wants_html(request) or answer_format(request, ["json", "html"]) == "html":
        return await pages.profile_page(request, name)
    return Response(orjson.dumps(load_profile(name).to_dict()), media_type="application/json")
