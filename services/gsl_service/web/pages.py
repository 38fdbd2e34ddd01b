"""The HTML pages: landing, menu card, norm profiles, processes, jobs, API docs, problems.

Each function answers one page for a request that asked for HTML (``f=html`` or an
``Accept`` preferring ``text/html``); the JSON answers stay with their own handlers.
The pages use only files the service serves itself (``/static``), never a CDN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from gsl_indicators.catalog import profile_names
from gsl_indicators.core.menukaart import menu_card
from gsl_indicators.core.scoring import load_profile
from gsl_service.errors import NoSuchProcess
from gsl_service.jobs.model import JobFilter, JobStatus
from gsl_service.web import board_view
from gsl_service.web.board_view import (
    LAYOUTS,
    light_grid,
    scenario_view,
    scoreboard_grid,
)
from gsl_service.web.i18n import pick, theme_title
from gsl_service.web.job_view import (
    JobView,
    StoredLayer,
    job_view,
    stored_layers,
)
from gsl_service.web.render import Page
from gsl_service.web.run_form import form_fields

#: Texts of the run form's script (``static/form.js``), in the page's language.
FORM_TEXTS = (
    "reading",
    "features",
    "crs_none",
    "not_json",
    "not_geojson",
    "wrong_geometry",
    "fgb_failed",
    "example_layer",
    "from_editor",
    "by_reference",
    "json_invalid",
    "fix_fields",
    "sending",
    "accepted",
    "running",
    "opening_result",
    "run_failed",
)

#: Menu-card profile shown unless ``?profile=`` picks another.
DEFAULT_PROFILE = "nl-default"


def _default_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def parameter_rows(parameters: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the menu entry's parameters with their default as text for the tables."""
    return [{**p, "default_text": _default_text(p.get("default"))} for p in parameters]


def band_rows(profile: Mapping[str, Any], indicator: str) -> list[dict[str, Any]]:
    """Return one indicator's norm bands of ``profile``: per metric, a row per area type.

    Examples
    --------
    >>> p = load_profile("nl-default").to_dict()
    >>> rows = band_rows(p, "play-space")
    >>> rows[0]["id"], rows[0]["headline"], rows[0]["rows"][0]
    ('play_share', True, {'area_type': 'default', 'minimum': 0.03, 'ambition': 0.04, 'floor': 0.0})
    """
    part = (profile.get("indicators") or {}).get(indicator)
    if not isinstance(part, Mapping):
        return []
    area_titles = {k: v.get("title", k) for k, v in (profile.get("area_types") or {}).items()}
    out = []
    for mid, m in (part.get("metrics") or {}).items():
        rows = [
            {
                "area_type": "default" if at == "default" else area_titles.get(at, at),
                "minimum": band.get("minimum"),
                "ambition": band.get("ambition"),
                "floor": band.get("floor"),
            }
            for at, band in (m.get("bands") or {}).items()
        ]
        out.append(
            {
                "id": mid,
                "title": m.get("title", ""),
                "unit": m.get("unit"),
                "direction": m.get("direction"),
                "basis": m.get("basis"),
                "source": m.get("source"),
                "headline": mid == part.get("headline"),
                "rows": rows,
            }
        )
    return out


def _themes(request: Request, page: Page, profile: Mapping[str, Any] | None) -> list[Any]:
    card = menu_card(request.app.state.registry)
    themes = []
    for theme in card["themes"]:
        indicators = []
        for entry in theme["indicators"]:
            indicators.append(
                {
                    **entry,
                    "parameters": parameter_rows(entry.get("parameters", [])),
                    "bands": band_rows(profile, entry["id"]) if profile else [],
                }
            )
        themes.append(
            {
                "theme": theme["theme"],
                "title": theme_title(theme["theme"], page.lang),
                "indicators": indicators,
            }
        )
    return themes


async def landing(request: Request) -> HTMLResponse:
    """Return the landing page: what exists (menu card, processes, jobs, API docs)."""
    page = Page(request)
    return page.render(
        "landing.html",
        themes=_themes(request, page, None),
        n_processes=len(request.app.state.api.manager.processes),
    )


async def menukaart(request: Request) -> HTMLResponse:
    """Return the menu card: themes, indicators, method, norms per area type, sources."""
    from gsl_service.routes.menukaart import NoSuchProfile

    page = Page(request)
    name = request.query_params.get("profile") or DEFAULT_PROFILE
    if name not in profile_names():
        raise NoSuchProfile(
            f"no norm profile '{name}'; known profiles: {list(profile_names())}",
            input_name="profile",
        )
    profile = load_profile(name).to_dict()
    profiles = [
        {"name": n, "title": load_profile(n).title, "example": bool(load_profile(n).example)}
        for n in profile_names()
    ]
    return page.render(
        "menukaart.html",
        cards=card_summaries(page),
        themes=_themes(request, page, profile),
        profile=profile,
        profiles=profiles,
    )


def card_summaries(page: Page) -> list[dict[str, Any]]:
    """Return the catalog's menu cards for the menu card page (title, version, themes, link)."""
    from gsl_indicators.core.cards import card_names, resolve_card

    out = []
    for name in card_names():
        card = resolve_card(name)
        out.append(
            {
                "id": card.id,
                "title": page.pick(card.title),
                "version": card.version,
                "publisher": card.publisher,
                "profile": card.profile,
                "example": card.example,
                "description": card.description,
                "themes": [page.pick(t.title) for t in card.themes],
                "indicators": len({e.indicator for _, e in card.entries()}),
                "url": page.url(f"/menukaart/{card.id}", f="html"),
                "csv": page.url(f"/menukaart/{card.id}", f="csv"),
            }
        )
    return out


def _range_text(rng: Any) -> str:
    if rng is None:
        return ""
    if rng.values is not None:
        return " · ".join(str(v) for v in rng.values)
    lo = "–" if rng.minimum is None else f"{rng.minimum:g}"
    hi = "–" if rng.maximum is None else f"{rng.maximum:g}"
    return f"{lo} … {hi}"


def card_example_request(card: Any, reg: Any) -> dict[str, Any]:
    """Return a ``scoreboard`` request running ``card`` on a small example design.

    The design is the ``scoreboard`` process's own example (its layers, not its inline
    card); when the card scores other areas (``ggo-light``: ``plan_areas``), the layers
    of the example of the card's indicator that reads those areas.
    """
    inputs = {k: v for k, v in (reg.get("scoreboard").example or {}).items() if k not in ("card",)}
    if card.areas not in inputs:
        for _, entry in card.entries():
            ind = reg.get(entry.indicator)
            if any(gi.name == card.areas for gi in ind.inputs) and ind.example:
                inputs = {
                    k: v for k, v in ind.example.items() if any(gi.name == k for gi in ind.inputs)
                }
                break
    return {"inputs": {"card": card.id, **inputs}}


async def card_page(request: Request, card_id: str) -> HTMLResponse:
    """Return one menu card: themes, indicators, pinned parameters, adjustable ranges.

    Also its norm profile and local accents, and a form that runs it as a scoreboard.
    """
    from gsl_indicators.core.cards import resolve_card

    page = Page(request)
    reg = request.app.state.registry
    card = resolve_card(card_id, reg)
    profile = load_profile(card.profile).to_dict()
    themes = []
    for theme in card.themes:
        indicators = []
        for entry in theme.indicators:
            ind = reg.get(entry.indicator)
            params = []
            for p in ind.parameters:
                if p.name in ("profile", "profile_override"):
                    continue
                pinned = p.name in entry.parameters
                rng = entry.adjustable.get(p.name)
                if not (pinned or rng is not None):
                    continue
                value = entry.parameters.get(p.name, p.default)
                params.append(
                    {
                        "name": p.name,
                        "title": p.title,
                        "value": _default_text(value),
                        "default": _default_text(p.default),
                        "unit": p.unit or "",
                        "pinned": pinned,
                        "allowed": _range_text(rng),
                        "own_range": (
                            f"{'–' if p.minimum is None else f'{p.minimum:g}'} … "
                            f"{'–' if p.maximum is None else f'{p.maximum:g}'}"
                            if p.minimum is not None or p.maximum is not None
                            else ""
                        ),
                    }
                )
            indicators.append(
                {
                    "id": ind.id,
                    "title": pick(ind.title, page.lang),
                    "description": pick(ind.description, page.lang),
                    "version": ind.version,
                    "parameters": params,
                    "bands": band_rows(profile, ind.id),
                }
            )
        themes.append({"id": theme.id, "title": page.pick(theme.title), "indicators": indicators})
    api = request.app.state.api
    example = card_example_request(card, reg)
    return page.render(
        "card.html",
        card=card,
        card_title=page.pick(card.title),
        themes=themes,
        profile=profile,
        deviations=[d.model_dump() for d in card.deviations],
        example=orjson.dumps(example, option=orjson.OPT_INDENT_2).decode(),
        execute_url=f"{api.base_url}/processes/scoreboard/execution",
        request_json_url=page.url(f"/menukaart/{card.id}", f="json"),
    )


async def profile_page(request: Request, name: str) -> HTMLResponse:
    """Return one norm profile: area types and, per indicator, the bands per area type."""
    page = Page(request)
    profile = load_profile(name).to_dict()
    indicators = [
        {"id": ind_id, "title": part.get("title", ind_id), "bands": band_rows(profile, ind_id)}
        for ind_id, part in (profile.get("indicators") or {}).items()
    ]
    return page.render("profile.html", profile=profile, indicators=indicators)


async def processes(request: Request) -> HTMLResponse:
    """Return the process list."""
    page = Page(request)
    rows = []
    for ind in request.app.state.registry:
        rows.append(
            {
                "id": ind.id,
                "title": pick(ind.title, page.lang),
                "description": pick(ind.description, page.lang),
                "theme": theme_title(ind.theme, page.lang),
                "version": ind.version,
            }
        )
    return page.render("processes.html", processes=rows)


def _menu_entry(request: Request, process_id: str) -> dict[str, Any]:
    for ind in request.app.state.registry:
        if ind.id == process_id:
            return dict(ind.menu_entry())
    raise NoSuchProcess(f"no process '{process_id}'")


async def process(request: Request, process_id: str) -> HTMLResponse:
    """Return a process page: inputs, parameters with defaults and ranges, a run form."""
    page = Page(request)
    api = request.app.state.api
    if process_id not in api.manager.processes:
        raise NoSuchProcess(
            f"no process '{process_id}'; known processes: {sorted(api.manager.processes)}"
        )
    md = api.manager.get_processor(process_id).metadata
    entry = _menu_entry(request, process_id)
    params_described = md.get("inputs", {})
    parameters = parameter_rows(entry.get("parameters", []))
    for p in parameters:
        p["description"] = (params_described.get(p["name"]) or {}).get("description", "")
    example = md.get("example") or {"inputs": {}}
    outputs = [
        {"name": k, "title": v.get("title", k), "description": v.get("description", "")}
        for k, v in (md.get("outputs") or {}).items()
    ]
    return page.render(
        "process.html",
        pid=process_id,
        version=md.get("version", ""),
        title=pick(entry.get("title") or md.get("title"), page.lang),
        description=pick(entry.get("description") or md.get("description"), page.lang),
        method=entry.get("method") or "",
        inputs=entry.get("inputs", []),
        parameters=parameters,
        outputs=outputs,
        sources=entry.get("sources", []),
        example=orjson.dumps(example, option=orjson.OPT_INDENT_2).decode(),
        execute_url=f"{api.base_url}/processes/{process_id}/execution",
        fields=form_fields(md),
        # an analysis whose layers are its target's: the target and its parameters first
        layers_last=request.app.state.registry.get(process_id).reads_inputs,
        js_texts={k: page.t(k) for k in FORM_TEXTS},
    )


async def jobs(request: Request, flt: JobFilter) -> HTMLResponse:
    """Return the job list (newest first), paged like ``/jobs``."""
    from gsl_service.ogc.handlers import status_document

    page = Page(request)
    api = request.app.state.api
    found, matched = await run_in_threadpool(api.engine.list_jobs, flt)
    docs = [status_document(api.base_url, j) for j in found]
    prev_url = (
        page.url("/jobs", f="html", offset=max(0, flt.offset - flt.limit), limit=flt.limit)
        if flt.offset > 0
        else None
    )
    next_url = (
        page.url("/jobs", f="html", offset=flt.offset + flt.limit, limit=flt.limit)
        if flt.offset + len(found) < matched
        else None
    )
    return page.render(
        "jobs.html",
        jobs=docs,
        matched=matched,
        offset=flt.offset,
        prev_url=prev_url,
        next_url=next_url,
    )


def metric_units(reg: Any) -> dict[str, str | None]:
    """Return metric id → unit over every indicator of the registry."""
    units: dict[str, str | None] = {}
    for ind in reg:
        for m in getattr(ind, "metrics", ()) or ():
            units.setdefault(m.id, m.unit)
    return units


def _card_theme_titles(document: Any) -> dict[str, Any]:
    """Return theme id → title of the card a comparison ran (inline or from the catalog)."""
    from gsl_indicators.core.cards import resolve_card
    from gsl_indicators.core.spec import InputError
    from gsl_service.results import outputs_of

    prov = outputs_of(document).get("provenance")
    card = ((prov or {}).get("parameters") or {}).get("card") if isinstance(prov, Mapping) else None
    themes: Any = None
    if isinstance(card, Mapping):
        themes = card.get("themes")
    elif isinstance(card, str):
        try:
            themes = resolve_card(card).model_dump()["themes"]
        except InputError:  # a card no longer in the catalog: the known theme titles serve
            themes = None
    out: dict[str, Any] = {}
    for t in themes if isinstance(themes, list) else []:
        if isinstance(t, Mapping) and t.get("id"):
            out[str(t["id"])] = t.get("title")
    return out


#: The layouts with an area × theme grid.
GRID_LAYOUTS = ("scoreboard", "ggo_light")


def board_parts(
    layout: str,
    document: Any,
    page: Page,
    reg: Any,
    view: JobView,
    stored: Mapping[str, StoredLayer] | None = None,
) -> dict[str, Any]:
    """Return the layout's own parts of a job page and add its charts to ``view``.

    ``scoreboard`` and ``ggo_light``: the area × theme grid (and the rules of thumb);
    ``scenario``: the variants side by side, sentences, deltas and health and money.
    Outputs the layout shows are left out of the "other outputs" list. ``stored``: the
    outputs stored as parts (:func:`stored_layers`, read as far as the grid's rows), for
    an area layer of more than ``GSL_STORED_FEATURES_MAX`` areas.
    """
    shown: set[str] = set()
    parts: dict[str, Any] = {}
    if layout in GRID_LAYOUTS:
        if layout == "scoreboard":
            grid = scoreboard_grid(document, page, metric_units(reg), stored)
            shown = {"themes", "area_themes"}
        else:
            grid, rules = light_grid(document, page, stored)
            parts["rules"] = rules
            shown = {"rules"}
        parts["grid"] = grid
        # the theme scores are the grid's overall row: the summary keeps the counts
        view.summary = [r for r in view.summary if not r["key"].startswith("score_")]
        overall = grid.rows[0] if grid.rows and grid.rows[0].overall else None
        if overall is not None:
            bars = [
                {"label": th["label"], "score": c.score}
                for th, c in zip(grid.themes, overall.cells, strict=False)
                if c.score is not None
            ]
            if bars:
                view.charts["themes"] = bars
    elif layout == "scenario":
        scn = scenario_view(document, page, metric_units(reg), _card_theme_titles(document))
        parts["scenario"] = scn
        if scn.deltas:
            view.charts["deltas"] = scn.deltas
        shown = {"comparison", "themes", "csv", "health_money"}
    if shown:
        view.other = [(name, text) for name, text in view.other if name not in shown]
    view.js_data["charts"] = view.charts
    return parts


async def job(request: Request, job_id: str) -> HTMLResponse:
    """Return a job page: status; when done, summary, scorecard, map, charts, downloads."""
    from gsl_service.ogc.handlers import status_document

    page = Page(request)
    api = request.app.state.api
    info = await run_in_threadpool(api.engine.get_job, job_id)
    doc = status_document(api.base_url, info)
    title = info.process_id
    description = None
    if info.process_id in api.manager.processes:
        description = api.manager.get_processor(info.process_id).metadata
        title = pick(_menu_entry(request, info.process_id).get("title"), page.lang) or title
    view = None
    problem_text = ""
    layout = LAYOUTS.get(info.process_id, "generic")
    board: dict[str, Any] = {}
    if info.status == JobStatus.successful:
        # large outputs stay stored: their maps page through the features API
        _, body = await run_in_threadpool(api.engine.get_job_result, job_id, False)
        document = await run_in_threadpool(orjson.loads, body)
        # a grid lists an area layer's first MAX_ROWS areas: read that far
        scan = board_view.MAX_ROWS if layout in GRID_LAYOUTS else 0
        stored = await run_in_threadpool(stored_layers, document, api.engine.get_blob, scan)
        view = job_view(document, description, page, job_id, stored)
        board = board_parts(layout, document, page, request.app.state.registry, view, stored)
    elif info.status == JobStatus.failed:
        err = info.error or {}
        problem_text = str(err.get("detail") or info.message or "")
        named = f"input '{err['input']}'" if err.get("input") else ""
        if named and not problem_text.startswith(named):  # a detail names it itself
            problem_text = f"{named}: {problem_text}"
    return page.render(
        "job.html",
        job=doc,
        process_title=title,
        view=view,
        layout=layout if view else "generic",
        board=board,
        problem_text=problem_text,
        base_map={"url": getattr(page.settings, "base_map_url", None)},
    )


async def conformance(request: Request, classes: list[str]) -> HTMLResponse:
    """Return the conformance classes."""
    return Page(request).render("conformance.html", classes=classes)


async def docs(request: Request) -> HTMLResponse:
    """Return Swagger UI on the service's own OpenAPI document (served from ``/static``)."""
    return Page(request).render("docs.html")


def problem(request: Request, doc: Mapping[str, Any]) -> HTMLResponse:
    """Return a problem document as a page (same status)."""
    return Page(request).render("problem.html", status=int(doc["status"]), problem=dict(doc))
