"""``GET /menukaart``: the menu card of indicators; ``/menukaart/profiles/{name}``: a norm profile."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from gsl_indicators.catalog import profile_names
from gsl_indicators.core.canonical import canonical_json
from gsl_indicators.core.menukaart import menu_card
from gsl_indicators.core.scoring import load_profile
from gsl_service.errors import ServiceError
from gsl_service.web import pages
from gsl_service.web.render import wants_html

router = APIRouter()


class NoSuchProfile(ServiceError):
    """Unknown norm profile (404)."""

    status = 404
    ogc_type = "not-found"
    title = "No such profile"


@router.get("/menukaart", include_in_schema=False)
async def menukaart(request: Request) -> Response:
    """Return the menu card: indicators by theme, their norms, defaults and sources.

    ``f=html`` (or a browser's ``Accept``) answers the page; ``profile=`` picks the
    norm profile whose bands the page shows.
    """
    if wants_html(request):
        return await pages.menukaart(request)
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
    return Response(canonical_json(card), media_type="application/json")


@router.get("/menukaart/profiles/{name}", include_in_schema=False)
async def profile(request: Request, name: str) -> Response:
    """Return one norm profile of the catalog (bands per area type, scoring rule)."""
    if name not in profile_names():
        raise NoSuchProfile(f"no norm profile '{name}'; known profiles: {list(profile_names())}")
    if wants_html(request):
        return await pages.profile_page(request, name)
    return Response(orjson.dumps(load_profile(name).to_dict()), media_type="application/json")
