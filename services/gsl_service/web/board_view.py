"""What the job page shows of the menu-card processes: scoreboard, GGO-light, scenario-compare.

The job page picks a layout by process id (:data:`LAYOUTS`); each function here reads
a result document defensively (an output that is missing or has another shape gives an
empty part, never an error) and returns what the layout's template needs:

- ``scoreboard``: the area × theme grid (themes as columns, areas as rows, the overall
  row first), cells coloured the GGO way, "not assessed" cells naming the missing input,
  the number of themes below 6 per area; the theme scores for the chart;
- ``ggo-light``: the same grid for the plan areas, every theme labelled *light*, and the
  rules of thumb with their assumptions and sources;
- ``scenario-compare``: per theme and area the baseline and every variant side by side
  with the delta and better / worse; the per-metric rows; the summary per variant and
  theme; the deltas per variant for the chart; the ``health_money`` part per variant.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gsl_indicators.core.metrics import score_name
from gsl_indicators.core.wording import one_or_many
from gsl_service.results import (
    area_key,
    area_label,
    feature_outputs,
    metric_declarations,
    outputs_of,
    score_band,
    summary_of,
)
from gsl_service.web.i18n import pick, theme_title
from gsl_service.web.job_view import StoredLayer
from gsl_service.web.render import Page

#: The job page's layout per process id (every other process: the generic scorecard).
LAYOUTS = {"scoreboard": "scoreboard", "ggo-light": "ggo_light", "scenario-compare": "scenario"}
#: A theme scoring below this fails the band's minimum (the GGO red).
PASS_SCORE = 6.0
#: Areas shown in the grids at most (the map and downloads hold every area).
MAX_ROWS = 600


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _count(given: Any, cells: Sequence[Cell]) -> int:
    """Return the result's own count of themes below 6, else the count of ``cells``."""
    n = _num(given)
    return int(n) if n is not None else _below(cells)


@dataclass
class Cell:
    """One cell of a grid: a theme's score in one area (or overall)."""

    theme: str
    score: float | None
    status: str
    missing: list[str] = field(default_factory=list)
    detail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def band(self) -> str:
        """Return the GGO colour band (``bad``, ``fair``, ``good``, ``none``)."""
        return score_band(self.score)


@dataclass
class GridRow:
    """One row of a grid: an area (or the overall row) with a cell per theme."""

    key: str
    label: str
    area_type: str | None
    cells: list[Cell]
    below: int
    overall: bool = False


@dataclass
class Grid:
    """An area × theme grid with its column headers."""

    themes: list[dict[str, Any]] = field(default_factory=list)
    rows: list[GridRow] = field(default_factory=list)
    total_rows: int = 0
    light: bool = False


def theme_label(theme: str, title: Any, page: Page) -> str:
    """Return a theme's title in the page's language (its own title, else the known one)."""
    text = pick(title, page.lang) if title else ""
    return text or theme_title(theme, page.lang)


def _below(cells: Sequence[Cell]) -> int:
    return sum(1 for c in cells if c.score is not None and c.score < PASS_SCORE)


def _carries_scores(feats: Sequence[Mapping[str, Any]]) -> bool:
    return bool(feats) and any(k.startswith("score_") for k in (feats[0].get("properties") or {}))


def _area_layer(
    document: Any, name: str | None, stored: Mapping[str, StoredLayer] | None = None
) -> tuple[list[Any], int]:
    """Return the area layer's features (its first where stored as parts) and its count.

    The layer named ``name``, else the first whose features carry scores; an output in
    the document first, then one stored as parts.
    """
    layers = feature_outputs(document)
    stored = stored or {}
    if name and name in layers:
        return layers[name]["features"], len(layers[name]["features"])
    if name and name in stored:
        return stored[name].sample, stored[name].count
    for fc in layers.values():
        if _carries_scores(fc["features"]):
            return fc["features"], len(fc["features"])
    for layer in stored.values():
        if _carries_scores(layer.sample):
            return layer.sample, layer.count
    return [], 0


def _area_row_keys(rows: Any, feats: Sequence[Mapping[str, Any]], count: int) -> list[str]:
    """Return the ``area_id`` of each of ``feats`` (the area layer's first features).

    The scoreboard writes its ``area_themes`` rows theme by theme, each theme's rows in
    the area layer's order, so the n-th ``area_id`` met is the n-th area's, whatever the
    indicators keyed it by (a code, the feature id, or its position in the input, which
    differs from its position in the output when an area without geometry was dropped).
    Where the rows do not name as many areas as the layer has, each area's own key
    (:func:`gsl_service.results.area_key`) stands in.

    Examples
    --------
    >>> rows = [{"area_id": a, "theme": t} for t in ("g", "h") for a in ("1", "2")]
    >>> _area_row_keys(rows, [{}, {}], 2)  # the layer lost its first area: 1, 2 not 0, 1
    ['1', '2']
    >>> _area_row_keys(rows[:1], [{"id": "x"}, {}], 2)
    ['x', '1']
    """
    met = list(
        dict.fromkeys(
            str(r["area_id"])
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, Mapping) and r.get("area_id") is not None
        )
    )
    if len(met) == count:
        return met[: len(feats)]
    return [area_key(f, i) for i, f in enumerate(feats)]


def _band_text(band: Any, unit: str | None, page: Page) -> str:
    if not isinstance(band, Mapping):
        return ""
    parts = [
        f"{page.t(k)} {page.num(band.get(k), unit)}"
        for k in ("floor", "minimum", "ambition")
        if band.get(k) is not None
    ]
    where = band.get("band_area_type")
    return ("; ".join(parts) + (f" ({where})" if where else "")).strip()


def scoreboard_grid(
    document: Any,
    page: Page,
    units: Mapping[str, str | None] | None = None,
    stored: Mapping[str, StoredLayer] | None = None,
) -> Grid:
    """Return the area × theme grid of a ``scoreboard`` result.

    Parameters
    ----------
    document : Any
        The result document (either shape, see :mod:`gsl_service.results`).
    page : Page
        The page (language, number format).
    units : mapping, optional
        Metric id → unit, for the values behind the scores.
    stored : mapping, optional
        The document's outputs stored as parts, by name
        (:func:`gsl_service.web.job_view.stored_layers`, read as far as :data:`MAX_ROWS`):
        where the area layer is one, its areas' names, types and counts come from its
        first features.
    """
    outputs = outputs_of(document)
    units = units or {}
    themes_out = outputs.get("themes")
    themes_out = (
        [t for t in themes_out if isinstance(t, Mapping)] if isinstance(themes_out, list) else []
    )
    grid = Grid()
    for t in themes_out:
        tid = str(t.get("theme"))
        grid.themes.append(
            {
                "id": tid,
                "label": theme_label(tid, t.get("title"), page),
                "status": t.get("status"),
                "missing": [str(m) for m in t.get("missing") or []],
                "score": _num(t.get("score")),
                "indicators": [i for i in t.get("indicators") or [] if isinstance(i, Mapping)],
            }
        )
    card = outputs.get("card") if isinstance(outputs.get("card"), Mapping) else {}
    feats, count = _area_layer(document, card.get("areas") if card else None, stored)
    feats = feats[:MAX_ROWS]
    rows_out = outputs.get("area_themes")
    keys = _area_row_keys(rows_out, feats, count)
    labels = {keys[i]: area_label(f, i) for i, f in enumerate(feats)}
    types = {keys[i]: (f.get("properties") or {}).get("area_type") for i, f in enumerate(feats)}
    below_given = {
        keys[i]: (f.get("properties") or {}).get("themes_below_minimum")
        for i, f in enumerate(feats)
    }

    by_area: dict[str, dict[str, Cell]] = {}
    for r in rows_out if isinstance(rows_out, list) else []:
        if not isinstance(r, Mapping) or r.get("area_id") is None:
            continue
        detail = []
        for d in r.get("indicators") or []:
            if not isinstance(d, Mapping):
                continue
            unit = units.get(str(d.get("metric")))
            detail.append(
                {
                    "indicator": d.get("indicator"),
                    "metric": d.get("metric"),
                    "value": page.num(d.get("value"), unit) if d.get("value") is not None else None,
                    "score": _num(d.get("score")),
                    "band": _band_text(d.get("band"), unit, page),
                }
            )
        by_area.setdefault(str(r["area_id"]), {})[str(r.get("theme"))] = Cell(
            theme=str(r.get("theme")),
            score=_num(r.get("score")),
            status=str(r.get("status") or ""),
            missing=[str(m) for m in r.get("missing") or []],
            detail=detail,
        )

    ids = [str(t["id"]) for t in grid.themes]
    overall_cells = [
        Cell(
            theme=t["id"],
            score=t["score"],
            status=str(t["status"] or ""),
            missing=t["missing"],
            detail=[
                {
                    "indicator": i.get("indicator"),
                    "metric": i.get("headline"),
                    "value": page.num(i.get("value"), units.get(str(i.get("headline"))))
                    if i.get("value") is not None
                    else None,
                    "score": _num(i.get("score")),
                    "band": "",
                }
                for i in t["indicators"]
            ],
        )
        for t in grid.themes
    ]
    summary = summary_of(document)
    given = summary.get("themes_below_minimum")
    grid.rows.append(
        GridRow(
            key="overall",
            label=page.t("overall"),
            area_type=None,
            cells=overall_cells,
            below=_count(given, overall_cells),
            overall=True,
        )
    )
    order = list(labels) + [a for a in by_area if a not in labels]
    # areas past the first MAX_ROWS are counted, not listed (a layer stored as parts is
    # read no further; its area_themes rows are of its areas)
    grid.total_rows = max(len(order), count)
    for key in order[:MAX_ROWS]:
        cells_by = by_area.get(key, {})
        cells = [
            cells_by.get(tid) or Cell(theme=tid, score=None, status="not assessed") for tid in ids
        ]
        given = below_given.get(key)
        grid.rows.append(
            GridRow(
                key=key,
                label=labels.get(key, key),
                area_type=None if types.get(key) is None else str(types[key]),
                cells=cells,
                below=_count(given, cells),
            )
        )
    return grid


def light_grid(
    document: Any, page: Page, stored: Mapping[str, StoredLayer] | None = None
) -> tuple[Grid, list[dict[str, Any]]]:
    """Return the plan area × theme grid of a ``ggo-light`` result, and its rules of thumb.

    A theme without a score names the context input its rules need (``needs`` of the
    ``rules`` output) when that input was not given. ``stored``: as for
    :func:`scoreboard_grid` (the plan areas stored as parts).
    """
    outputs = outputs_of(document)
    rules_out = outputs.get("rules")
    rules = (
        [dict(r) for r in rules_out if isinstance(r, Mapping)]
        if isinstance(rules_out, list)
        else []
    )
    prov = outputs.get("provenance") if isinstance(outputs.get("provenance"), Mapping) else {}
    given_inputs = set((prov or {}).get("inputs") or {})
    themes: list[str] = []
    for r in rules:
        if r.get("theme") and str(r["theme"]) not in themes:
            themes.append(str(r["theme"]))
    feats, count = _area_layer(document, "plan_areas", stored)
    if not themes and feats:
        props0 = feats[0].get("properties") or {}
        themes = [k[6:] for k in props0 if k.startswith("score_") and "_" not in k[6:]]
    needs: dict[str, list[str]] = {}
    for r in rules:
        need = r.get("needs")
        if need and str(need) not in given_inputs:
            lst = needs.setdefault(str(r.get("theme")), [])
            if str(need) not in lst:
                lst.append(str(need))
    rule_metrics: dict[str, list[str]] = {}
    for r in rules:
        rule_metrics.setdefault(str(r.get("theme")), []).append(str(r.get("metric")))

    units = {m.id: m.unit for m in metric_declarations(document).values()}

    def cells_of(props: Mapping[str, Any]) -> list[Cell]:
        out = []
        for tid in themes:
            s = _num(props.get(score_name(tid)))
            detail = [
                {
                    "indicator": "light",
                    "metric": m,
                    "value": page.num(props[m], units.get(m)) if props.get(m) is not None else None,
                    "score": _num(props.get(f"score_{m}")),
                    "band": "",
                }
                for m in rule_metrics.get(tid, [])
            ]
            out.append(
                Cell(
                    theme=tid,
                    score=s,
                    status="assessed" if s is not None else "not assessed",
                    missing=needs.get(tid, []) if s is None else [],
                    detail=detail,
                )
            )
        return out

    grid = Grid(light=True)
    grid.themes = [
        {"id": t, "label": theme_title(t, page.lang), "status": None, "missing": needs.get(t, [])}
        for t in themes
    ]
    summary = summary_of(document)
    overall_cells = cells_of(summary)
    grid.rows.append(
        GridRow(
            key="overall",
            label=page.t("overall"),
            area_type=None,
            cells=overall_cells,
            below=_below(overall_cells),
            overall=True,
        )
    )
    grid.total_rows = count
    for i, f in enumerate(feats[:MAX_ROWS]):
        props = f.get("properties") or {}
        cells = cells_of(props)
        grid.rows.append(
            GridRow(
                key=area_key(f, i),
                label=area_label(f, i),
                area_type=None if props.get("area_type") is None else str(props["area_type"]),
                cells=cells,
                below=_below(cells),
            )
        )
    return grid, rules


# ------------------------------------------------------------------ scenario-compare


@dataclass
class ScenarioView:
    """The scenario-compare page: variants side by side, sentences, deltas, health and money."""

    baseline: str = "baseline"
    variants: list[str] = field(default_factory=list)
    theme_rows: list[dict[str, Any]] = field(default_factory=list)
    metric_rows: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    deltas: dict[str, Any] = field(default_factory=dict)
    health: list[dict[str, Any]] = field(default_factory=list)
    themes_not_assessed: list[str] = field(default_factory=list)
    """Themes without a score in any area of any scenario (named once, not listed)."""
    metrics_without_values: list[str] = field(default_factory=list)
    """Metrics without a value in any area of any scenario (named once, not listed)."""


def listed_rows(
    rows: list[dict[str, Any]],
    group: Callable[[Mapping[str, Any]], Any],
    shown: Callable[[Mapping[str, Any]], bool],
    limit: int,
    areas: Collection[str] | None = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Return the rows a comparison table lists, and the groups it has nothing to list of.

    Rows are grouped (by theme, or by metric) in the order their groups first appear,
    each group's overall row first. A group with nothing to show in any row is left out
    and returned. Of the others, the rows with nothing to show (an area not assessed in
    any scenario) are left out and counted — against ``areas``, every area of the
    comparison, when given, since a comparison leaves such areas' rows out itself. The
    groups share ``limit`` evenly (what a small group does not need goes to the others;
    each keeps at least its overall row and one more), so that one theme's many areas
    do not push the next themes off the page. A group that left rows out ends in a row
    ``{"more": True, "group": key, "unscored": n, "over": m}`` (with the group's
    ``theme``, ``theme_label``, ``indicator`` and ``metric``).

    Examples
    --------
    >>> rows = [{"t": t, "area": a, "overall": a == "all", "v": v}
    ...         for t, a, v in [("air", "all", None), ("air", "A", None), ("noise", "A", 3),
    ...                         ("noise", "all", 2), ("noise", "B", None), ("noise", "C", 4)]]
    >>> kept, empty = listed_rows(rows, lambda r: r["t"], lambda r: r["v"] is not None, 2)
    >>> [(r.get("area"), r.get("group"), r.get("unscored"), r.get("over")) for r in kept], empty
    ([('all', None, None, None), ('A', None, None, None), (None, 'noise', 1, 1)], ['air'])
    >>> more = rows + [{"t": "heat", "area": a, "overall": a == "all", "v": 1} for a in "ABCDE"]
    >>> kept, _ = listed_rows(more, lambda r: r["t"], lambda r: r["v"] is not None, 8)
    >>> [(r["t"] if "t" in r else r["group"], r.get("area")) for r in kept]  # heat takes noise's spare
    [('noise', 'all'), ('noise', 'A'), ('noise', 'C'), ('noise', None), ('heat', 'A'), ('heat', 'B'), ('heat', 'C'), ('heat', 'D'), ('heat', 'E')]
    """
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(group(r), []).append(r)
    empty = [k for k, g in groups.items() if not any(shown(r) for r in g)]
    live = {k: g for k, g in groups.items() if k not in empty}
    keeps: dict[Any, list[dict[str, Any]]] = {}
    for key, g in live.items():
        g.sort(key=lambda r: not r["overall"])
        keeps[key] = [r for r in g if r["overall"] or shown(r)]
    share: dict[Any, int] = {}
    left = limit
    for i, key in enumerate(sorted(keeps, key=lambda k: len(keeps[k]))):
        share[key] = min(len(keeps[key]), max(2, left // (len(keeps) - i)))
        left -= share[key]
    out: list[dict[str, Any]] = []
    for key, g in live.items():
        keep = keeps[key]
        listed = {r.get("area") for r in keep if not r["overall"]}
        if not any(not r["overall"] for r in g):
            unscored = 0  # a metric given overall only (parking per zone): no area to miss
        elif areas is not None:
            unscored = len(set(areas) - listed)
        else:
            unscored = len(g) - len(keep)
        over = max(0, len(keep) - share[key])
        out.extend(keep[: share[key]])
        if unscored or over:
            first = g[0]
            out.append(
                {
                    **{
                        k: first[k]
                        for k in ("theme", "theme_label", "indicator", "metric")
                        if k in first
                    },
                    "group": key,
                    "more": True,
                    "overall": False,
                    "unscored": unscored,
                    "over": over,
                }
            )
    return out, empty


def sentence(entry: Mapping[str, Any], page: Page, theme: str) -> str:
    """Return a variant's summary for one theme in the page's language.

    The English text is the process's own sentence (``themes[].text``) when given.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> nl = SimpleNamespace(lang="nl")
    >>> sentence({"scenario": "B", "better": 2, "worse": 1, "areas": 3}, nl, "hitte")
    'B: hitte beter in 2 van 3 gebieden, hitte slechter in 1 van 3 gebieden'
    >>> sentence({"scenario": "B", "better": 0, "worse": 0, "areas": 2}, nl, "groen")
    'B: groen ongewijzigd in alle 2 gebieden'
    >>> sentence({"scenario": "B", "better": 1, "worse": 0, "areas": 1}, nl, "groen")
    'B: groen beter in 1 van 1 gebied'
    >>> sentence({"scenario": "B", "better": 0, "worse": 0, "areas": 1}, nl, "groen")
    'B: groen ongewijzigd in het ene gebied'
    """
    if page.lang == "en" and isinstance(entry.get("text"), str):
        return str(entry["text"])
    scn, total = entry.get("scenario"), entry.get("areas") or 0
    nl = page.lang != "en"
    area = one_or_many(total, "gebied", "gebieden") if nl else one_or_many(total, "area", "areas")
    better, worse, of = (
        ("beter in", "slechter in", "van") if nl else ("better in", "worse in", "of")
    )
    parts = []
    if entry.get("better"):
        parts.append(f"{theme} {better} {entry['better']} {of} {total} {area}")
    if entry.get("worse"):
        parts.append(f"{theme} {worse} {entry['worse']} {of} {total} {area}")
    if parts:
        text = ", ".join(parts)
    elif total == 1:
        text = f"{theme} " + (
            "ongewijzigd in het ene gebied" if nl else "unchanged in the one area"
        )
    else:
        text = f"{theme} " + (
            f"ongewijzigd in alle {total} gebieden" if nl else f"unchanged in all {total} areas"
        )
    return f"{scn}: {text}"


def money(value: Any, lang: str) -> str:
    """Return an amount in euros with thousands separators (Dutch: dots and a comma).

    Examples
    --------
    >>> money(15647.921, "nl"), money(-5926.9069, "en"), money(0, "nl"), money(None, "en")
    ('€ 15.647,92', '€ -5,926.91', '€ 0', '–')
    """
    n = _num(value)
    if n is None:
        return "–"
    text = f"{n:,.2f}" if round(n, 2) != round(n) else f"{round(n):,}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"€ {text}"


def significant(value: Any, lang: str, digits: int = 4) -> str:
    """Return a small quantity (DALYs a year) with ``digits`` significant digits.

    Examples
    --------
    >>> significant(0.005476383999, "nl"), significant(0.0146144, "en"), significant(0.0, "en")
    ('0,005476', '0.01461', '0')
    """
    n = _num(value)
    if n is None:
        return "–"
    text = f"{n:.{digits}g}"
    return text.replace(".", ",") if lang == "nl" else text


def _verdict_mark(verdict: Any) -> str:
    return {"better": "▲", "worse": "▼", "unchanged": "="}.get(str(verdict), "")


def scenario_view(
    document: Any,
    page: Page,
    units: Mapping[str, str | None] | None = None,
    theme_titles: Mapping[str, Any] | None = None,
) -> ScenarioView:
    """Return the scenario page's view of a ``scenario-compare`` result."""
    outputs = outputs_of(document)
    units = units or {}
    theme_titles = theme_titles or {}
    view = ScenarioView()
    prov = outputs.get("provenance") if isinstance(outputs.get("provenance"), Mapping) else {}
    params = (prov or {}).get("parameters") or {}
    if isinstance(params, Mapping) and isinstance(params.get("baseline_name"), str):
        view.baseline = params["baseline_name"]
    names_out = outputs.get("area_names")
    names = names_out if isinstance(names_out, Mapping) else {}

    def alabel(area: str) -> str:
        if area == "overall":
            return page.t("overall")
        name = names.get(area)
        return f"{name} ({area})" if name and name != area else area

    rows_out = outputs.get("comparison")
    rows = [r for r in rows_out if isinstance(r, Mapping)] if isinstance(rows_out, list) else []
    for r in rows:
        scn = str(r.get("scenario"))
        if scn != view.baseline and scn not in view.variants:
            view.variants.append(scn)

    def tlabel(theme: str) -> str:
        return theme_label(theme, theme_titles.get(theme), page)

    def fmt(v: Any, unit: str | None) -> str:
        return page.num(v, unit)

    def fmt_delta(v: Any, unit: str | None) -> str:
        n = _num(v)
        if n is None:
            return "–"
        text = page.num(abs(n), unit)
        if unit in ("fraction", "share"):
            text = text.replace(" %", " %-punt" if page.lang == "nl" else " pp")
        return ("+" if n > 0 else "−" if n < 0 else "±") + text

    # theme scores: one row per theme × area, the baseline and every variant side by side
    grouped: dict[tuple[str, str, str, str, str], dict[str, Mapping[str, Any]]] = {}
    for r in rows:
        theme = str(r.get("theme"))
        metric = str(r.get("metric"))
        kind = "theme" if not r.get("indicator") and metric == score_name(theme) else "metric"
        key = (kind, theme, str(r.get("indicator") or ""), metric, str(r.get("area_id")))
        grouped.setdefault(key, {})[str(r.get("scenario"))] = r
    for (kind, theme, indicator, metric, area), by_scn in grouped.items():
        unit = "score" if kind == "theme" else units.get(metric)
        base = by_scn.get(view.baseline) or next(iter(by_scn.values()))
        cols: list[dict[str, Any]] = []
        for v in view.variants:
            vr = by_scn.get(v)
            if vr is None:
                cols.append({"variant": v, "text": "–", "delta": "–", "verdict": None, "mark": ""})
                continue
            cols.append(
                {
                    "variant": v,
                    "value": _num(vr.get("value")),
                    "score": _num(vr.get("score")),
                    "text": fmt(vr.get("value"), unit),
                    "delta": fmt_delta(vr.get("delta"), unit),
                    "delta_value": _num(vr.get("delta")),
                    "verdict": vr.get("verdict"),
                    "mark": _verdict_mark(vr.get("verdict")),
                    "band": score_band(_num(vr.get("score"))),
                }
            )
        row = {
            "theme": theme,
            "theme_label": tlabel(theme),
            "indicator": indicator,
            "metric": metric,
            "area": area,
            "area_label": alabel(area),
            "overall": area == "overall",
            "baseline": fmt(base.get("baseline_value"), unit),
            "baseline_value": _num(base.get("baseline_value")),
            "baseline_score": _num(base.get("baseline_score")),
            "baseline_band": score_band(_num(base.get("baseline_score"))),
            "variants": cols,
        }
        (view.theme_rows if kind == "theme" else view.metric_rows).append(row)
    # A card's themes without their inputs are "not assessed" in every area: named once,
    # not listed (12 themes × 518 buurten listed them first and cut the assessed ones
    # off). The areas left unlisted are counted against every area of the comparison,
    # which leaves out the rows of areas without any value.
    every_area = {str(a) for a in names} | {
        str(r.get("area_id")) for r in rows if r.get("area_id") != "overall"
    }
    view.theme_rows, unassessed = listed_rows(
        view.theme_rows,
        lambda r: r["theme"],
        lambda r: (
            r["baseline_score"] is not None
            or any(c.get("score") is not None for c in r["variants"])
        ),
        MAX_ROWS,
        every_area,
    )
    view.themes_not_assessed = [tlabel(str(t)) for t in unassessed]
    for i, r in enumerate(view.theme_rows):
        first = i == 0 or view.theme_rows[i - 1]["theme"] != r["theme"]
        r["span"] = sum(1 for x in view.theme_rows[i:] if x["theme"] == r["theme"]) if first else 0
    view.metric_rows, valueless = listed_rows(
        view.metric_rows,
        lambda r: (r["theme"], r["indicator"], r["metric"]),
        lambda r: (
            r["baseline_value"] is not None
            or any(c.get("value") is not None for c in r["variants"])
        ),
        MAX_ROWS,
        every_area,
    )
    view.metrics_without_values = [f"{i}.{m}" if i else m for _, i, m in valueless]

    themes_out = outputs.get("themes")
    for t in themes_out if isinstance(themes_out, list) else []:
        if isinstance(t, Mapping):
            view.sentences.append(
                {
                    "scenario": t.get("scenario"),
                    "theme": t.get("theme"),
                    "better": t.get("better") or 0,
                    "worse": t.get("worse") or 0,
                    "text": sentence(t, page, tlabel(str(t.get("theme"))).lower()),
                }
            )

    # the chart: per variant, the change of each theme's overall score
    theme_ids = list(dict.fromkeys(r["theme"] for r in view.theme_rows if r["overall"]))
    overall_by = {(r["theme"]): r for r in view.theme_rows if r["overall"]}
    if theme_ids and view.variants:
        view.deltas = {
            "labels": [tlabel(t) for t in theme_ids],
            "themes": theme_ids,
            "datasets": [
                {
                    "label": v,
                    "data": [
                        next(
                            (
                                c.get("delta_value")
                                for c in overall_by[t]["variants"]
                                if c["variant"] == v
                            ),
                            None,
                        )
                        for t in theme_ids
                    ],
                }
                for v in view.variants
            ],
        }

    hm = outputs.get("health_money")
    if isinstance(hm, Mapping):
        for variant, entry in hm.items():
            if not isinstance(entry, Mapping):
                continue
            derivation = []
            for d in entry.get("derivation") or []:
                if not isinstance(d, Mapping):
                    continue
                daly = _num(d.get("daly_per_year"))
                derivation.append(
                    {
                        "effect": d.get("effect"),
                        "daly": daly,
                        "daly_text": ("+" if daly and daly > 0 else "")
                        + significant(daly, page.lang),
                        "baseline_daly": significant(d.get("baseline_daly"), page.lang),
                        "variant_daly": significant(d.get("variant_daly"), page.lang),
                        "homes": d.get("homes_newly_meeting_3_30_300"),
                        "home_value": money(d.get("mean_home_value_eur"), page.lang)
                        if d.get("mean_home_value_eur") is not None
                        else None,
                        "source": d.get("source"),
                    }
                )
            mkba = entry.get("mkba") if isinstance(entry.get("mkba"), Mapping) else None
            summary = (mkba or {}).get("summary") if mkba else None
            view.health.append(
                {
                    "variant": str(variant),
                    "effects": [e for e in entry.get("effects") or [] if isinstance(e, Mapping)],
                    "green_premium": entry.get("green_premium"),
                    "derivation": derivation,
                    "mkba": dict(summary) if isinstance(summary, Mapping) else None,
                    "money": {
                        k: money(summary.get(k), page.lang)
                        for k in ("pv_costs", "pv_benefits", "npv")
                    }
                    if isinstance(summary, Mapping)
                    else {},
                    "mkba_parameters": dict((mkba or {}).get("parameters") or {}),
                }
            )
    return view
