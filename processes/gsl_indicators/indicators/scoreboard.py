"""``scoreboard``: a menu card run on one design — scores per area and theme (the GGO way).

The card (:mod:`gsl_indicators.core.cards`) names the indicators, their pinned
parameters, the themes and the norm profile. The design's layers are parsed once; each
indicator gets the layers it reads and runs as a **part** of its own, cached under its
own key (:mod:`gsl_indicators.core.parts`), so a re-run in which one layer changed
recomputes only the indicators that read it. Parts run in parallel threads; on a large
design (tiling on), a part whose indicator tiles runs in tiles over every worker, one such
part at a time.

Per area × theme: the theme's score is the **lowest** headline score of its indicators
in that area (a theme is as good as its weakest indicator; e.g. heat with PET classes
and distance to cool places), with the metric behind each score, the band used and a
status (``assessed``, or ``not assessed`` naming the missing input). Per theme overall
the same from the indicators' overall scores; per area the number of themes scoring
below 6 (the minimum). Themes stand side by side: there is no total that sums health.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pydantic

from gsl_indicators.core.assemble import area_keys, area_names
from gsl_indicators.core.canonical import digest
from gsl_indicators.core.cards import MenuCard, resolve_card
from gsl_indicators.core.examples import box_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.health import HealthParameters
from gsl_indicators.core.metrics import Metric, Metrics, score_name
from gsl_indicators.core.ogc_schema import partial_schema
from gsl_indicators.core.parts import Part, layer_digest, make_part, run_parts, union_inputs
from gsl_indicators.core.scoring import band_of, normalise_area_type, resolve_profile
from gsl_indicators.core.spec import (
    Context,
    GeoInput,
    Indicator,
    InputError,
    Output,
    Parameter,
    declared_indicators,
)
from gsl_indicators.core.wording import one_or_many

__all__ = [
    "PASS_SCORE",
    "THEMES",
    "card_parts",
    "theme_table",
    "union_inputs",
]

COMPOSITES = ("scoreboard", "sensitivity")
"""Entry points that are not single indicators (left out of the input union)."""

PASS_SCORE = 6.0
"""The score at a band's minimum: a theme below it fails the minimum."""

THEMES: dict[str, tuple[str, str]] = {
    "air": ("Luchtkwaliteit", "Air quality"),
    "noise": ("Geluid", "Noise"),
    "odour": ("Geur", "Odour"),
    "external-safety": ("Externe veiligheid", "External safety"),
    "emf": ("Elektromagnetische velden", "Electromagnetic fields"),
    "heat": ("Hitte", "Heat"),
    "water": ("Wateroverlast", "Waterlogging"),
    "flood": ("Waterveiligheid", "Flood safety"),
    "green": ("Groen", "Green"),
    "activity": ("Beweegvriendelijkheid", "Activity-friendly environment"),
    "soil": ("Bodem", "Soil"),
    "proximity": ("Nabijheid voorzieningen", "Proximity of facilities"),
    "mobility": ("Parkeerdruk", "Parking pressure"),
    "housing": ("Woningbouwcapaciteit", "Housing capacity"),
}


def _digests(layers: Mapping[str, Layer], given: Mapping[str, str]) -> dict[str, str]:
    """Return a digest per layer: the input's own (the runner's), else the parsed layer's."""
    return {name: given.get(name) or layer_digest(layer) for name, layer in layers.items()}


def card_parts(
    card: MenuCard, layers: Mapping[str, Layer], digests: Mapping[str, str], area_type: Any
) -> list[tuple[str, Part]]:
    """Return (theme id, part) for every indicator of the card, on the given layers."""
    parts = []
    for theme, entry in card.entries():
        from gsl_indicators.core.spec import registry

        ind = registry().get(entry.indicator)
        params = {"profile": card.profile, **entry.parameters}
        if area_type is not None and any(p.name == "area_type" for p in ind.parameters):
            params["area_type"] = area_type
        try:
            part = make_part(ind, params, layers, digests)
        except InputError as err:
            raise InputError("card", f"{entry.indicator}: {err}") from None
        parts.append((theme.id, part))
    return parts


def _headline(part: Part) -> str | None:
    card = (part.outputs.get("summary") or {}).get("scorecard") or {}
    return card.get("headline")


def _theme_score(part: Part, theme: str, row: Mapping[str, Any] | None = None) -> Any:
    """Return a part's score for ``theme`` (overall, or of one area ``row``).

    An indicator that scores themes directly (``ggo-light``) gives its own
    ``score_<theme>`` (:func:`~gsl_indicators.core.metrics.score_name`); any other its
    headline score.
    """
    name = score_name(theme)
    if row is not None:
        return row.get(name, row.get("score"))
    summary = part.outputs.get("summary") or {}
    if name in summary:
        return summary[name]
    return (summary.get("scorecard") or {}).get("score")


def _unused_notes(part: Part) -> dict[str, list[str]]:
    """Return ``{"notes": [...]}`` for the inputs a part left out (``input-unused``), if any.

    A part assessed on what it could use (soil on ``surfaces`` while the design's
    ``buildings`` have no ``contamination_zones``) says what it did not assess.
    """
    notes = [str(w["message"]) for w in part.warnings if w.get("code") == "input-unused"]
    return {"notes": notes} if notes else {}


def _area_rows(part: Part, areas: str, n: int) -> list[dict[str, Any]] | None:
    """Return the part's per-area properties when its areas are the scoreboard's areas."""
    if part.indicator.areas != areas or areas not in part.outputs:
        return None
    rows = [f.get("properties") or {} for f in part.outputs[areas]["features"]]
    return rows if len(rows) == n else None


def _min_score(scores: Sequence[float | None]) -> float | None:
    vals = [s for s in scores if s is not None and math.isfinite(s)]
    return min(vals) if vals else None


def theme_table(
    card: MenuCard,
    parts: Sequence[tuple[str, Part]],
    area_layer: Layer,
    area_types: Sequence[str | None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, np.ndarray], dict[str, Any]]:
    """Return the per-theme summary, the area × theme rows, and the score columns.

    Returns
    -------
    themes : list of dict
        Per theme: status, missing inputs, overall score and one entry per indicator.
    rows : list of dict
        Per area × theme: area id, score, status, the indicators' headline metric,
        value, score and band.
    area_scores : dict
        ``score_<theme>`` (:func:`~gsl_indicators.core.metrics.score_name`: snake_case,
        ``score_external_safety``) → one score per area (NaN where not assessed).
    overall : dict
        ``score_<theme>`` → the overall score (``None`` where not assessed).
    """
    profile = resolve_profile({"profile": card.profile})
    keys = area_keys(area_layer)
    n = len(area_layer)
    themes_out: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    area_scores: dict[str, np.ndarray] = {}
    overall: dict[str, Any] = {}
    for theme in card.themes:
        tparts = [p for t, p in parts if t == theme.id]
        entries: list[dict[str, Any]] = []
        per_area = np.full((len(tparts), n), np.nan)
        for k, part in enumerate(tparts):
            head = _headline(part)
            summary = part.outputs.get("summary") or {}
            score = _theme_score(part, theme.id)
            entries.append(
                {
                    "indicator": part.indicator.id,
                    "version": part.indicator.version,
                    "status": "not assessed" if part.missing else "assessed",
                    "missing": part.missing,
                    "headline": head,
                    "value": summary.get(head) if head else None,
                    "score": score,
                    "cache": part.cache,
                    **({"reason": part.error} if part.error else {}),
                    **_unused_notes(part),
                }
            )
            arows = _area_rows(part, area_layer.name, n)
            if arows is not None:
                scores = [_theme_score(part, theme.id, r) for r in arows]
                per_area[k] = [np.nan if v is None else v for v in scores]
        for e, part in zip(entries, tparts, strict=True):
            if e["status"] == "assessed" and e["score"] is None:
                # ran, but gave no score for this theme: say why in its own words (its
                # "no …" warnings) and name the inputs it went without that those name —
                # not every optional input (odour named built_up_area and
                # concentration_areas, whose absence changes no score, when its exposure
                # layers held no odour value); without such a warning, every one
                e["status"] = "not assessed"
                absent = [gi.name for gi in part.indicator.inputs if gi.name not in part.layers]
                why = list(
                    dict.fromkeys(
                        str(w["message"])
                        for w in part.warnings
                        if str(w.get("code") or "").startswith("no-") and w.get("message")
                    )
                )
                named = [n for n in absent if any(re.search(rf"\b{n}\b", m) for m in why)]
                e["missing"] = named if why else absent
                if why and "reason" not in e:
                    e["reason"] = "; ".join(why)
        assessed = [e for e in entries if e["status"] == "assessed"]
        missing = sorted({m for e in entries for m in e["missing"]})
        t_score = _min_score([e["score"] for e in assessed])
        themes_out.append(
            {
                "theme": theme.id,
                "title": dict(theme.title),
                "status": "assessed" if assessed else "not assessed",
                "missing": missing if not assessed else [],
                "score": t_score,
                "indicators": entries,
            }
        )
        overall[score_name(theme.id)] = t_score
        col = column_min(per_area)
        area_scores[score_name(theme.id)] = col
        for i in range(n):
            detail = []
            for k, part in enumerate(tparts):
                head = _headline(part)
                arows = _area_rows(part, area_layer.name, n)
                value = arows[i].get(head) if (arows is not None and head) else None
                detail.append(
                    {
                        "indicator": part.indicator.id,
                        "metric": head,
                        "value": value,
                        "score": None if np.isnan(per_area[k, i]) else float(per_area[k, i]),
                        "band": band_of(profile, part.indicator.id, head, area_types[i])
                        if head
                        else None,
                    }
                )
            s = col[i]
            rows.append(
                {
                    "area_id": keys[i],
                    "theme": theme.id,
                    "score": None if np.isnan(s) else round(float(s), 2),
                    "status": "assessed" if not np.isnan(s) else "not assessed",
                    "missing": missing if np.isnan(s) else [],
                    "indicators": detail,
                }
            )
    return themes_out, rows, area_scores, overall


def _areas(card: MenuCard, layers: Mapping[str, Layer]) -> Layer:
    """Return the card's areas layer (``InputError`` naming it when absent)."""
    if card.areas not in layers:
        raise InputError(
            card.areas, f"required input is missing: card '{card.id}' scores per {card.areas}"
        )
    return layers[card.areas]


def column_min(scores: np.ndarray) -> np.ndarray:
    """Return the lowest finite score in each column (NaN where a column has none).

    Examples
    --------
    >>> column_min(np.array([[6.0, np.nan, np.nan], [4.0, 7.0, np.nan]])).tolist()
    [4.0, 7.0, nan]
    >>> column_min(np.empty((0, 2))).tolist()
    [nan, nan]
    """
    if not len(scores):
        return np.full(scores.shape[1], np.nan)
    filled = np.where(np.isnan(scores), np.inf, scores).min(axis=0)
    return np.where(np.isinf(filled), np.nan, filled)


def _area_types(layer: Layer, area_type: Any) -> list[str | None]:
    from gsl_indicators.core.scoring import area_types_of

    return area_types_of(layer, area_type)


def _tiles_of(part: Part) -> dict[str, Any]:
    """Return how a large part ran, for the provenance (nothing for a small one)."""
    if part.tiles is None:
        return {}
    return {"tiles": part.tiles} | (
        {"tiles_reason": part.tiles_reason} if part.tiles_reason else {}
    )


def part_files(params: Mapping[str, Any], given: frozenset[str]) -> tuple[str, ...]:
    """Return the inputs only the card's parts in tiles read, from files their tiles read.

    An input qualifies when every indicator of the card that would run on these inputs
    (its required inputs given) and reads it declares it in its
    :attr:`~gsl_indicators.core.tiling.Tiling.files` under the card's parameters. With the
    GGO card and the province's layers: the trees (green-3-30-300 alone reads them), not
    the crowns (heat reads them whole). A part that then runs whole after all (too few
    homes) starts the run again reading every layer (:class:`~gsl_indicators.core.tile_files.Undefer`).

    Examples
    --------
    >>> given = frozenset({"buildings", "trees", "canopy", "parks", "neighbourhoods"})
    >>> part_files({"card": "ggo-utrecht-example"}, given)
    ('trees',)
    >>> part_files({"card": "nieuwegein-woningbouwmonitor-example"}, given)  # no heat
    ('canopy', 'trees')
    >>> part_files({"card": "no-such-card"}, frozenset({"trees"}))
    ()
    """
    from gsl_indicators.core.spec import registry
    from gsl_indicators.core.tiling import file_layers

    try:
        card = resolve_card(params["card"])
        runs = []
        for _, entry in card.entries():
            ind = registry().get(entry.indicator)
            if all(gi.name in given for gi in ind.inputs if gi.required):
                runs.append(
                    (ind, ind.validate_parameters({"profile": card.profile, **entry.parameters}))
                )
    except (InputError, KeyError, ValueError):
        return ()  # the run itself says what is wrong with the card
    out = []
    for name in sorted(given):
        readers = [(ind, p) for ind, p in runs if any(gi.name == name for gi in ind.inputs)]
        if readers and all(name in file_layers(ind.tiling, p, given) for ind, p in readers):
            out.append(name)
    return tuple(out)


def _checked_area_type(params: Mapping[str, Any]) -> Any:
    area_type = params.get("area_type")
    if area_type is not None:
        try:
            normalise_area_type(area_type)
        except ValueError as err:
            raise InputError("area_type", str(err)) from None
    return area_type


def check_board(params: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> None:
    """Refuse an unknown or invalid menu card or area type when the request comes in.

    With the request's ``inputs``: also a request without the layer the card scores per
    (its ``areas``, the neighbourhoods by default).

    Examples
    --------
    >>> check_board({"card": "ggo-utrecht-example", "area_type": None})
    >>> check_board({"card": "nope", "area_type": None})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'card': unknown menu card 'nope'; known: [...]
    """
    card = resolve_card(params["card"])
    _checked_area_type(params)
    if inputs is not None and inputs.get(card.areas) is None:
        raise InputError(
            card.areas, f"required input is missing: card '{card.id}' scores per {card.areas}"
        )


def warn_unread(
    card: MenuCard,
    layers: Mapping[str, Any],
    ctx: Context,
    variants: Mapping[str, Any] | None = None,
) -> None:
    """Warn about each given layer that no indicator on the card reads (``input-ignored``).

    The process declares every layer any indicator reads; a twin platform may send them
    all. A layer this card leaves unread — given, or in a variant — is said, never
    dropped in silence.
    """
    from gsl_indicators.core.spec import registry

    reads = {card.areas}
    for _, entry in card.entries():
        reads |= {gi.name for gi in registry().get(entry.indicator).inputs}
    why = f"no indicator on the card '{card.id}' reads it"
    for name in layers:
        if name not in reads:
            ctx.warn("input-ignored", name, f"'{name}' was given but not used: {why}")
    for vname, variant in (variants or {}).items():
        for where, gi, _, _ in _variant_collections(vname, variant):
            if gi.name not in reads:
                ctx.warn("input-ignored", "variants", f"{where} was given but not used: {why}")


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Run the card's indicators on the design and score every area per theme."""
    card = resolve_card(params["card"])
    area_type = _checked_area_type(params)
    warn_unread(card, layers, ctx)
    digests = _digests(layers, ctx.input_digests)
    parts = card_parts(card, layers, digests, area_type)
    ctx.progress(0.1, f"running {len(parts)} indicators")
    run_parts([p for _, p in parts], cache=ctx.part_cache, tiles=ctx.tiles, progress=ctx.progress)
    areas = _areas(card, layers)
    types = _area_types(areas, area_type)
    themes, rows, area_scores, overall = theme_table(card, parts, areas, types)
    for _, part in parts:
        ctx.warnings.extend(part.warnings)
    below = np.zeros(len(areas))
    for col in area_scores.values():
        below += np.nan_to_num(col, nan=np.inf) < PASS_SCORE
    ctx.provenance["card"] = {
        "id": card.id,
        "version": card.version,
        "digest": digest(card.model_dump()),
    }
    ctx.provenance["parts"] = [
        {"indicator": p.indicator.id, "theme": t, "cache": p.cache, "key": p.key or None}
        | _tiles_of(p)
        for t, p in parts
    ]
    assessed = [t for t in themes if t["status"] == "assessed"]
    area_cols = {**area_scores, "themes_below_minimum": below}
    own = areas.name == "neighbourhoods"  # else the card's areas are a further output
    return Metrics(
        area=area_cols if own else {},
        collections={} if own else {areas.name: (areas, area_cols)},
        overall={
            **overall,
            "themes_assessed": len(assessed),
            "themes_below_minimum": sum(
                1 for t in assessed if t["score"] is not None and t["score"] < PASS_SCORE
            ),
        },
        outputs={
            "themes": themes,
            "area_themes": rows,
            "card": card.model_dump(),
        },
    )


def _theme_score_metric(theme_id: str, nl: str, en: str) -> Metric:
    return Metric(
        score_name(theme_id),
        {"nl": f"Score {nl.lower()}", "en": f"{en} score"},
        "score",
        levels=("area", "overall"),
        direction="higher_is_better",
        digits=2,
        description=f"Lowest headline score (1–10) of the card's {en.lower()} indicators.",
    )


def card_theme_metrics(params: Mapping[str, Any]) -> tuple[Metric, ...]:
    """Declare the scores of a card's own themes (ids not in :data:`THEMES`).

    An inline card may bring themes of its own; their ``score_<theme>`` columns are
    declared per request (``metric_templates``), named like every other theme score.
    """
    try:
        card = resolve_card(params.get("card", CARD_PARAMETER.default))
    except Exception:  # an unusable card is refused where it is resolved, with its reason
        return ()
    known = {score_name(t) for t in THEMES}
    return tuple(
        _theme_score_metric(t.id, t.title.get("nl", t.id), t.title.get("en", t.id))
        for t in card.themes
        if score_name(t.id) not in known
    )


def _theme_metrics() -> tuple[Metric, ...]:
    out = [_theme_score_metric(tid, nl, en) for tid, (nl, en) in THEMES.items()]
    out += [
        Metric(
            "themes_below_minimum",
            {"nl": "Thema's onder het minimum", "en": "Themes below the minimum"},
            "count",
            levels=("area", "overall"),
            direction="lower_is_better",
            digits=0,
            description="Themes scoring below 6 (the band's minimum).",
        ),
        Metric(
            "themes_assessed",
            {"nl": "Beoordeelde thema's", "en": "Themes assessed"},
            "count",
            digits=0,
        ),
    ]
    return tuple(out)


CARD_PARAMETER = Parameter(
    "card",
    "Menu card",
    "A menu card of the catalog by id (ggo-utrecht-example, "
    "nieuwegein-woningbouwmonitor-example) or an inline card: a full card, or "
    '{"extends": "<card>", "id": "<local id>", "accents": {"<indicator>": {"<parameter>": value}}} '
    "for a municipality's accents within the card's adjustable ranges.",
    "string",
    default="ggo-utrecht-example",
    annotation=str | dict[str, Any],
    schema={
        **{k: v for k, v in partial_schema(MenuCard).items() if k not in ("title", "description")},
        "type": ["string", "object"],
    },
)
AREA_TYPE_PARAMETER = Parameter(
    "area_type",
    "Area type",
    "Area type whose bands apply to every area; null: per area from its `area_type` or "
    "`urbanity_class` property, else the profile default.",
    "string",
    default=None,
    nullable=True,
)


def _example() -> dict[str, Any]:
    return {
        "card": {
            "id": "speelkaart",
            "title": {"nl": "Speelruimte", "en": "Play space"},
            "version": "1",
            "publisher": "example",
            "profile": "nl-default",
            "themes": [
                {
                    "id": "green",
                    "title": {"nl": "Groen", "en": "Green"},
                    "indicators": [{"indicator": "play-space"}],
                },
                {
                    "id": "heat",
                    "title": {"nl": "Hitte", "en": "Heat"},
                    "indicators": [{"indicator": "cool-place-distance"}],
                },
            ],
        },
        "neighbourhoods": rd_collection(
            [
                box_feature(121000, 487000, 121100, 487100, "BU01", name="Noord"),
                box_feature(121000, 486900, 121100, 487000, "BU02", name="Zuid"),
            ]
        ),
        "play_areas": rd_collection(
            [
                box_feature(121010, 487010, 121030, 487030, "p1"),
                box_feature(121010, 486910, 121020, 486920, "p2"),
            ]
        ),
        "buildings": rd_collection([point_feature(121050, 487050, "w1", dwellings=1)]),
    }


def _declare() -> tuple[Indicator, ...]:
    members = [i for i in declared_indicators(skip=COMPOSITES) if i.theme != "test"]
    return (
        Indicator(
            id="scoreboard",
            version="1.0.2",
            title={"nl": "Scorebord (menukaart)", "en": "Scoreboard (menu card)"},
            description={
                "nl": "Een menukaart op één ontwerp: scores 1–10 per gebied en thema, naast "
                "elkaar, met de metriek en de band achter elke score.",
                "en": "A menu card run on one design: scores 1–10 per area and theme, side by "
                "side, with the metric and band behind every score.",
            },
            theme="scoreboard",
            method=__doc__ or "",
            compute=compute,
            inputs=union_inputs(members),
            part_files=part_files,
            check=check_board,
            runs_others=True,
            parameters=(CARD_PARAMETER, AREA_TYPE_PARAMETER),
            outputs=(
                Output("themes", "Themes", "Per theme: status, missing inputs, score, indicators."),
                Output(
                    "area_themes",
                    "Area × theme",
                    "Per area and theme: score, status, the metric, value, score and band of "
                    "each indicator.",
                    {"type": "array"},
                ),
                Output("card", "Card", "The resolved menu card, with local deviations."),
            ),
            metrics=_theme_metrics(),
            metric_templates=card_theme_metrics,
            areas="neighbourhoods",  # the output's name for the default; cards may choose
            keywords=("GGO", "scorebord", "menukaart"),
            example=_example(),
        ),
    )


INDICATORS = _declare()


# ------------------------------------------------------------------ scenario comparison

SCENARIO_OUTPUT_COLUMNS = (
    "scenario",
    "area_id",
    "theme",
    "indicator",
    "metric",
    "value",
    "score",
    "baseline_value",
    "baseline_score",
    "delta",
    "delta_score",
    "verdict",
)
"""The columns of the comparison table (and of its CSV), one row per area × metric × scenario."""

_EPS = 1e-9


def verdict(delta: float | None, direction: str | None) -> str | None:
    """Return ``better``, ``worse`` or ``unchanged`` for a change, by the metric's direction.

    Examples
    --------
    >>> verdict(0.1, "higher_is_better"), verdict(0.1, "lower_is_better"), verdict(0.0, None)
    ('better', 'worse', 'unchanged')
    >>> verdict(None, "higher_is_better") is None, verdict(2.0, None) is None
    (True, True)
    """
    if delta is None or not math.isfinite(delta):
        return None
    if abs(delta) <= _EPS:
        return "unchanged"
    if direction is None:
        return None
    up = delta > 0
    return "better" if up == (direction == "higher_is_better") else "worse"


def _variant_collections(
    name: str, variant: Any
) -> list[tuple[str, GeoInput, bool, Mapping[str, Any]]]:
    """Return a variant's layers as ``(where, input, add, FeatureCollection)``, checked."""
    if not isinstance(variant, Mapping) or not variant:
        raise InputError("variants", f"variant {name!r}: must be an object of layers")
    out = []
    for layer_name, value in variant.items():
        where = f"variants.{name}.{layer_name}"
        gi = _SCENARIO_SPECS.get(layer_name.removeprefix("+"))
        if gi is None:
            raise InputError("variants", f"{where}: not an input; known: {sorted(_SCENARIO_SPECS)}")
        add = isinstance(value, Mapping) and set(value) == {"add"}
        fc = value["add"] if add else value
        if not isinstance(fc, Mapping) or fc.get("type") != "FeatureCollection":
            raise InputError("variants", f"{where}: expected a FeatureCollection or {{'add': …}}")
        out.append((where, gi, add, fc))
    return out


def check_scenarios(params: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> None:
    """Refuse a request whose card, area type or variants cannot run, when it comes in.

    The variants' layers are checked by name and shape here; their geometries when the
    job parses them.

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": []}
    >>> ok = {"card": "ggo-utrecht-example", "area_type": None, "baseline_name": "baseline"}
    >>> check_scenarios({**ok, "variants": {"A": {"parks": {"add": fc}}}})
    >>> check_scenarios({**ok, "variants": {"A": {"parkz": fc}}})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'variants': variants.A.parkz: not an input; known: [...]
    """
    check_board(params, inputs)
    variants = _checked_variants(params)
    if params.get("health") is not None:
        _health_parameters(params["health"], list(variants))


def _checked_variants(params: Mapping[str, Any]) -> Mapping[str, Any]:
    baseline, variants = params["baseline_name"], params["variants"]
    if not isinstance(variants, Mapping) or not variants:
        raise InputError("variants", "give at least one named variant")
    if baseline in variants:
        raise InputError("variants", f"a variant may not be called {baseline!r} (the baseline)")
    for name, variant in variants.items():
        _variant_collections(name, variant)
    return variants


def _variant_layers(base: Mapping[str, Layer], name: str, variant: Any) -> dict[str, Layer]:
    """Return the baseline layers with a variant's layers replaced or added to."""
    from gsl_indicators.core.geo import detect_crs, parse_layer

    layers = dict(base)
    target = next(iter(base.values())).crs if base else "EPSG:28992"
    for where, gi, add, fc in _variant_collections(name, variant):
        if add and gi.name in base:
            fc = {**fc, "features": [*base[gi.name].features, *(fc.get("features") or [])]}
            fc.setdefault("crs", _crs_member_of(base[gi.name]))
        try:
            layers[gi.name] = parse_layer(gi, fc, detect_crs(gi.name, fc), target)
        except InputError as err:
            raise InputError("variants", f"{where}: {err.reason}") from None
    return layers


def _crs_member_of(layer: Layer) -> dict[str, Any] | None:
    from gsl_indicators.core.assemble import crs_member

    return crs_member(layer)


def _scored(part: Part) -> list[tuple[str, str | None]]:
    """Return the (metric, direction) pairs of a part that a comparison reports."""
    card = (part.outputs.get("summary") or {}).get("scorecard") or {}
    declared = {m.id: m.direction for m in part.indicator.metrics}
    return [
        (m, declared.get(m) or s.get("direction")) for m, s in (card.get("scores") or {}).items()
    ]


def _values(part: Part, metric: str, areas: str, n: int) -> tuple[list[Any], Any, Any]:
    summary = part.outputs.get("summary") or {}
    card = summary.get("scorecard") or {}
    overall = (summary.get(metric), (card.get("scores") or {}).get(metric, {}).get("score"))
    rows = _area_rows(part, areas, n)
    per_area = (
        [(r.get(metric), r.get(f"score_{metric}", r.get("score"))) for r in rows]
        if rows is not None
        else []
    )
    return per_area, overall[0], overall[1]


def _delta(a: Any, b: Any) -> float | None:
    """Return ``a - b`` rounded to 6 decimals (no float noise in the table), else ``None``."""
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return None
    try:
        return round(float(a) - float(b), 6) + 0.0
    except (TypeError, ValueError):
        return None


def compare_rows(
    scenarios: Mapping[str, Sequence[tuple[str, Part]]],
    baseline: str,
    area_layer: Layer,
    theme_scores: Mapping[str, tuple[dict[str, np.ndarray], dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Return one row per scenario × area (and ``overall``) × metric, with deltas and verdicts.

    An area row where neither the scenario nor the baseline has a value or a score (a
    theme whose inputs are missing, an area without homes) is left out; the ``overall``
    row of every metric is always there. On 518 buurten with a twelve-theme card, 70 %
    of the rows were such empty rows (13.5 of 17 MB of the result).
    """
    keys = area_keys(area_layer)
    n = len(area_layer)
    rows: list[dict[str, Any]] = []
    base_parts = {p.indicator.id: p for _, p in scenarios[baseline]}

    def add(
        scn: str,
        area: Any,
        theme: str,
        ind: str,
        metric: str,
        direction: str | None,
        value: Any,
        score: Any,
        bvalue: Any,
        bscore: Any,
    ) -> None:
        if area != "overall" and all(x is None for x in (value, score, bvalue, bscore)):
            return
        d = _delta(value, bvalue)
        rows.append(
            dict(
                zip(
                    SCENARIO_OUTPUT_COLUMNS,
                    (
                        scn,
                        area,
                        theme,
                        ind,
                        metric,
                        value,
                        score,
                        bvalue,
                        bscore,
                        d,
                        _delta(score, bscore),
                        verdict(d, direction),
                    ),
                    strict=True,
                )
            )
        )

    for scn, parts in scenarios.items():
        for theme, part in parts:
            base = base_parts[part.indicator.id]
            if part.missing or base.missing:
                continue
            for metric, direction in _scored(part):
                per, ov, ovs = _values(part, metric, area_layer.name, n)
                bper, bov, bovs = _values(base, metric, area_layer.name, n)
                add(scn, "overall", theme, part.indicator.id, metric, direction, ov, ovs, bov, bovs)
                for i, ((v, s), (bv, bs)) in enumerate(zip(per, bper, strict=False)):
                    add(scn, keys[i], theme, part.indicator.id, metric, direction, v, s, bv, bs)
        cols, overall = theme_scores[scn]
        bcols, boverall = theme_scores[baseline]
        theme_of = {score_name(t): t for t, _ in parts}  # the theme keeps its own id
        for name, col in cols.items():
            theme = theme_of.get(name, name.removeprefix("score_"))
            add(
                scn,
                "overall",
                theme,
                "",
                name,
                "higher_is_better",
                overall.get(name),
                overall.get(name),
                boverall.get(name),
                boverall.get(name),
            )
            for i in range(n):
                v = None if np.isnan(col[i]) else round(float(col[i]), 2)
                b = None if np.isnan(bcols[name][i]) else round(float(bcols[name][i]), 2)
                add(scn, keys[i], theme, "", name, "higher_is_better", v, v, b, b)
    return rows


def theme_summary(rows: Sequence[Mapping[str, Any]], baseline: str) -> list[dict[str, Any]]:
    """Return per variant and theme how many areas got better, worse or stayed, with a sentence.

    Counted on the theme scores (rows with ``metric == score_name(theme)``) per area.

    Examples
    --------
    >>> rows = [{"scenario": "B", "area_id": a, "theme": "heat", "indicator": "",
    ...          "metric": "score_heat", "verdict": v} for a, v in
    ...         [("n1", "better"), ("n2", "better"), ("n3", "unchanged")]]
    >>> theme_summary(rows, "baseline")[0]["text"]
    'B: heat better in 2 of 3 areas'
    """
    out = []
    by: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        if r["scenario"] == baseline or r["indicator"] or r["area_id"] == "overall":
            continue
        if r["metric"] != score_name(r["theme"]) or r["verdict"] is None:
            continue
        c = by.setdefault((r["scenario"], r["theme"]), {"better": 0, "worse": 0, "unchanged": 0})
        c[r["verdict"]] += 1
    for (scn, theme), c in by.items():
        total = sum(c.values())
        parts = []
        areas = one_or_many(total, "area", "areas")
        if c["better"]:
            parts.append(f"{theme} better in {c['better']} of {total} {areas}")
        if c["worse"]:
            parts.append(f"{theme} worse in {c['worse']} of {total} {areas}")
        same = "in the one area" if total == 1 else f"in all {total} areas"
        text = f"{scn}: " + (", ".join(parts) if parts else f"{theme} unchanged {same}")
        out.append({"scenario": scn, "theme": theme, **c, "areas": total, "text": text})
    return out


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return the comparison rows as CSV (``SCENARIO_OUTPUT_COLUMNS``, empty for null)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SCENARIO_OUTPUT_COLUMNS)
    for r in rows:
        w.writerow(["" if r[c] is None else r[c] for c in SCENARIO_OUTPUT_COLUMNS])
    return buf.getvalue()


def compute_scenarios(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Run one card on a baseline and its variants; deltas per area, metric and variant."""
    card = resolve_card(params["card"])
    baseline = params["baseline_name"]
    variants = _checked_variants(params)
    area_type = _checked_area_type(params)
    warn_unread(card, layers, ctx, variants)
    scenario_layers = {baseline: dict(layers)}
    for name, variant in variants.items():
        scenario_layers[name] = _variant_layers(layers, name, variant)
    base = _digests(layers, ctx.input_digests)
    scenarios: dict[str, list[tuple[str, Part]]] = {}
    for name, lyr in scenario_layers.items():
        # a layer shared with the baseline keeps its digest; a variant's own is digested
        d = {
            ln: base[ln] if layers.get(ln) is layer else layer_digest(layer)
            for ln, layer in lyr.items()
        }
        scenarios[name] = card_parts(card, lyr, d, area_type)
    ctx.progress(0.1, f"running {sum(len(p) for p in scenarios.values())} parts")
    run_parts(
        [p for parts in scenarios.values() for _, p in parts],
        cache=ctx.part_cache,
        tiles=ctx.tiles,
        progress=ctx.progress,
    )
    areas = _areas(card, layers)
    types = _area_types(areas, area_type)
    theme_scores = {}
    for name, parts in scenarios.items():
        _, _, cols, overall = theme_table(card, parts, areas, types)
        theme_scores[name] = (cols, overall)
    rows = compare_rows(scenarios, baseline, areas, theme_scores)
    ctx.provenance["card"] = {"id": card.id, "version": card.version}
    ctx.provenance["parts"] = [
        {"scenario": s, "indicator": p.indicator.id, "cache": p.cache} | _tiles_of(p)
        for s, parts in scenarios.items()
        for _, p in parts
    ]
    computed = {p.key for parts in scenarios.values() for _, p in parts if p.cache == "miss"}
    ctx.note("parts_computed", len(computed))
    names = {str(k): n for k, n in zip(area_keys(areas), area_names(areas), strict=True) if n}
    outputs: dict[str, Any] = {
        "comparison": rows,
        "themes": theme_summary(rows, baseline),
        "csv": rows_csv(rows),
        "area_names": names,
    }
    if params.get("health") is not None:
        outputs["health_money"] = health_money(scenarios, baseline, params, ctx)
    return Metrics(
        overall={"scenarios": len(scenarios), "parts_computed": len(computed)},
        outputs=outputs,
    )


def _health_parameters(raw: Any, variants: Sequence[str]) -> Any:
    """Return the validated ``health`` input, its costs given for variants only."""
    from gsl_indicators.core.health import HealthParameters

    try:
        hp = HealthParameters.model_validate(raw)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError("health", f"{where}: {first['msg']}") from None
    unknown = sorted(set(hp.costs) - set(variants))
    if unknown:
        raise InputError(
            "health",
            f"costs: {unknown} are not variants (costs go with a variant: {list(variants)})",
        )
    from gsl_indicators.core.spec import registry

    mkba = registry().get("mkba")
    for name, costs in hp.costs.items():  # each variant's costs as mkba effects
        try:
            mkba.validate_parameters({"effects": list(costs)})
        except InputError as err:
            raise InputError("health", f"costs of {name!r}: {err.reason}") from None
    return hp


def health_money(
    scenarios: Mapping[str, list[tuple[str, Part]]],
    baseline: str,
    params: Mapping[str, Any],
    ctx: Context,
) -> dict[str, Any]:
    """Per variant: health effects and green premium from the deltas, through ``mkba``.

    The derived effects (:func:`gsl_indicators.core.health.derive_effects`) and the
    variant's own costs (``health.costs``) run through the same ``mkba`` calculation as
    a request to that process would, with its defaults for discounting and QALY value.
    """
    from gsl_indicators.core.health import derive_effects
    from gsl_indicators.core.run import compute_outputs
    from gsl_indicators.core.spec import registry

    hp = _health_parameters(params["health"], [n for n in scenarios if n != baseline])
    mkba = registry().get("mkba")
    out: dict[str, Any] = {}
    for name, parts in scenarios.items():
        if name == baseline:
            continue
        effects, premium, derivation = derive_effects(scenarios[baseline], parts, hp)
        costs = hp.costs.get(name, [])
        entry: dict[str, Any] = {
            "effects": effects,
            "green_premium": premium,
            "derivation": derivation,
        }
        if effects or costs or premium:
            request = {"effects": [*effects, *costs], "green_premium": premium}
            try:
                checked = mkba.validate_parameters(request)
            except InputError as err:
                raise InputError("health", f"costs of {name!r}: {err.reason}") from None
            result = compute_outputs(mkba, {}, checked, Context())
            entry["mkba"] = {
                "summary": result["summary"],
                "stakeholders": result["stakeholders"],
                "parameters": {
                    k: v for k, v in checked.items() if k not in ("effects", "green_premium")
                },
            }
        else:
            entry["mkba"] = None
            ctx.warn(
                "no-mkba-effects", "health", f"variant {name!r}: no health or money effect derived"
            )
        out[name] = entry
    return out


SCENARIO_INPUTS = INDICATORS[0].inputs
_SCENARIO_SPECS = {gi.name: gi for gi in SCENARIO_INPUTS}
HEALTH_SCHEMA = HealthParameters.model_json_schema()


def _scenario_example() -> dict[str, Any]:
    ex = _example()
    return {
        "card": ex["card"],
        "neighbourhoods": ex["neighbourhoods"],
        "play_areas": ex["play_areas"],
        "buildings": ex["buildings"],
        "variants": {
            "meer-speelruimte": {
                "play_areas": {
                    "add": rd_collection([box_feature(121040, 486940, 121070, 486970, "p3")])
                }
            }
        },
    }


INDICATORS = (
    *INDICATORS,
    Indicator(
        id="scenario-compare",
        version="1.1.1",
        title={"nl": "Scenario's vergelijken (ZOUT)", "en": "Scenario comparison (ZOUT)"},
        description={
            "nl": "Een basisontwerp en varianten door één menukaart: per gebied, metriek en "
            "variant de waarde, score, het verschil met de basis en beter/slechter.",
            "en": "A baseline design and variants through one menu card: per area, metric and "
            "variant the value, score, delta against the baseline and better/worse.",
        },
        theme="scoreboard",
        method=(
            "The baseline is the design's layers; each variant replaces layers (a layer "
            'given as a FeatureCollection) or adds features to them (`{"add": …}`), e.g. '
            "plan buildings, trees planted, a new noise map. Every scenario runs through the "
            "card like the `scoreboard` process. Layers shared between scenarios are parsed "
            "and digested once; an indicator whose layers and parameters are unchanged is "
            "computed once and reused (its part key is the same). Per scenario, area (and "
            "overall) and scored metric: value, score, delta against the baseline, and "
            "better / worse / unchanged by the metric's direction; theme scores (the lowest "
            "indicator score of the theme) likewise, and per variant and theme how many "
            "areas got better or worse. Also as CSV, one row per area × metric × scenario."
        ),
        compute=compute_scenarios,
        inputs=SCENARIO_INPUTS,
        check=check_scenarios,
        runs_others=True,
        parameters=(
            CARD_PARAMETER,
            AREA_TYPE_PARAMETER,
            Parameter(
                "variants",
                "Variants",
                'Named variants: {"<name>": {"<layer>": FeatureCollection (replaces) or '
                '{"add": FeatureCollection} (adds features)}}.',
                "object",
                required=True,
            ),
            Parameter(
                "baseline_name",
                "Baseline name",
                "The name of the baseline scenario in the output.",
                "string",
                default="baseline",
            ),
            Parameter(
                "health",
                "Health and money",
                "Derive mkba effects from each variant's deltas: road-noise annoyance and sleep "
                "disturbance (WHO 2018 exposure–response, WHO 2011 disability weights), PM2.5 "
                "mortality (Chen & Hoek 2020), the green house-value premium for homes newly "
                "meeting 3-30-300 (with `mean_home_value_eur`); `costs` per variant join them in "
                "an mkba run per variant. null: not derived.",
                "object",
                default=None,
                nullable=True,
                schema=HEALTH_SCHEMA,
            ),
        ),
        outputs=(
            Output(
                "comparison",
                "Comparison",
                "One row per scenario × area × metric: value, score, baseline, delta, "
                "verdict. Areas where neither the scenario nor the baseline has a value or "
                "score for the metric are left out; each metric's `overall` row is always "
                "there.",
                {"type": "array"},
            ),
            Output(
                "themes",
                "Themes",
                "Per variant and theme: areas better, worse, unchanged.",
                {"type": "array"},
            ),
            Output(
                "csv",
                "CSV",
                "The comparison as CSV (the same rows).",
                {"type": "string"},
                "text/csv",
            ),
            Output(
                "area_names",
                "Area names",
                "Area id (`area_id` of the rows) → the area's name, for areas whose layer "
                "names them (`name`, `naam`, `buurtnaam`, `CBS_Buurtnaam`, …).",
                {"type": "object", "additionalProperties": {"type": "string"}},
            ),
            Output(
                "health_money",
                "Health and money",
                "Per variant (when `health` is given): the derived mkba effects with their "
                "derivation and sources, and the mkba summary.",
            ),
        ),
        metrics=(
            Metric("scenarios", {"nl": "Scenario's", "en": "Scenarios"}, "count", digits=0),
            Metric(
                "parts_computed",
                {"nl": "Berekende delen", "en": "Parts computed"},
                "count",
                digits=0,
                description="Indicator runs computed (unchanged ones are reused).",
            ),
        ),
        keywords=("ZOUT", "scenario", "variant"),
        example=_scenario_example(),
    ),
)
