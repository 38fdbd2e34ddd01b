"""Menu cards as data: which indicators, with which pinned parameters, grouped into themes.

A **menu card** (*menukaart*) is what a province standardises on: an id, title,
version and publisher; the norm profile that scores it; its themes, each with the
indicators it contains, their pinned parameters and the parameters a municipality may
adjust within a range. Cards are YAML files in the catalog (``kind: menu-card``) or
inline in a request.

A municipality's **local accents** are a card that ``extends`` another and sets
``accents`` (indicator → parameter → value): they must lie within the base card's
``adjustable`` ranges, and the resolved card lists them as ``deviations`` (parameter,
card value, local value) — never silently merged. Such a card takes the base card's
themes: ``themes`` beside ``extends`` are refused unless they are the base card's, as
is or with the accents applied (a resolved card sent back); so is a card without themes
or a theme without indicators (it would score nothing), ``accents`` without ``extends``,
and extending a card that itself extends. ``deviations`` are worked out, never taken.

A bad card is an :class:`~gsl_indicators.core.spec.InputError` naming the place in the
card (``card.themes[1].indicators[0].parameters.tree_distance_m``), which the service
answers as a 400 problem document.

Examples
--------
>>> card = resolve_card("ggo-utrecht-example")
>>> card.profile, [t.id for t in card.themes][:3]
('ggo-utrecht-example', ['air', 'noise', 'odour'])
>>> local = resolve_card({"extends": "ggo-utrecht-example", "id": "stad-x",
...     "accents": {"green-3-30-300": {"tree_distance_m": 50}}})
>>> [(d.indicator, d.parameter, d.card_value, d.local_value) for d in local.deviations]
[('green-3-30-300', 'tree_distance_m', 30, 50)]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gsl_indicators import catalog
from gsl_indicators.core.metrics import score_name
from gsl_indicators.core.scoring import resolve_profile
from gsl_indicators.core.spec import (
    Indicator,
    InputError,
    Parameter,
    Registry,
    registry,
    unused_by,
)

__all__ = [
    "CARD_KIND",
    "CardIndicator",
    "CardTheme",
    "Deviation",
    "MenuCard",
    "card_csv",
    "card_names",
    "resolve_card",
]

CARD_KIND = "menu-card"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """The range within which a municipality may set a parameter (inclusive)."""

    minimum: float | None = None
    maximum: float | None = None
    values: list[Any] | None = Field(None, description="Allowed values, for non-numbers.")

    def admits(self, value: Any) -> bool:
        """Return whether ``value`` lies in this range."""
        if self.values is not None:
            return value in self.values
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        lo_ok = self.minimum is None or value >= self.minimum
        return lo_ok and (self.maximum is None or value <= self.maximum)


class CardIndicator(_Strict):
    """One indicator on a card: its pinned parameters and what may be adjusted."""

    indicator: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    adjustable: dict[str, Range] = Field(default_factory=dict)


class CardTheme(_Strict):
    """A theme of the card (air, noise, heat, ...) with its indicators."""

    id: str
    title: dict[str, str]
    indicators: list[CardIndicator] = Field(min_length=1)


class Deviation(_Strict):
    """A local accent: a parameter whose local value differs from the card's."""

    indicator: str
    parameter: str
    card_value: Any
    local_value: Any


class MenuCard(_Strict):
    """A menu card (see the module docstring)."""

    kind: Literal["menu-card"] = "menu-card"
    id: str
    title: dict[str, str]
    version: str
    publisher: str
    description: str = ""
    example: bool = False
    profile: str = "nl-default"
    areas: str = Field("neighbourhoods", description="The input whose features are scored.")
    extends: str | None = None
    themes: list[CardTheme] = Field(min_length=1)
    accents: dict[str, dict[str, Any]] = Field(default_factory=dict)
    deviations: list[Deviation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _theme_columns_differ(self) -> MenuCard:
        """Refuse two themes whose score columns would coincide (``a-b`` and ``a_b``)."""
        seen: dict[str, str] = {}
        for theme in self.themes:
            name = score_name(theme.id)
            if name in seen:
                raise ValueError(
                    f"themes '{seen[name]}' and '{theme.id}' would share the score column "
                    f"'{name}' (theme ids become snake_case column names)"
                )
            seen[name] = theme.id
        return self

    def entries(self) -> list[tuple[CardTheme, CardIndicator]]:
        """Return every (theme, indicator entry) pair in card order."""
        return [(t, e) for t in self.themes for e in t.indicators]

    def parameters_of(self, indicator: str) -> dict[str, Any]:
        """Return the pinned parameters of ``indicator`` (with the card's profile)."""
        for _, e in self.entries():
            if e.indicator == indicator:
                return {"profile": self.profile, **e.parameters}
        raise KeyError(indicator)


@cache
def _card_files() -> dict[str, str]:
    """Return card id → catalog file name (a card's id may equal a profile's name)."""
    return {catalog.load_yaml(n)["id"]: n for n in catalog.yaml_names(CARD_KIND)}


def card_names() -> tuple[str, ...]:
    """Return the ids of the menu cards in the catalog, sorted."""
    return tuple(sorted(_card_files()))


def _error_place(err: pydantic.ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    return f"card{loc}", first["msg"]


def _load(raw: Any) -> MenuCard:
    if isinstance(raw, str):
        if raw not in card_names():
            raise InputError("card", f"unknown menu card {raw!r}; known: {list(card_names())}")
        raw = catalog.load_yaml(_card_files()[raw])
    if not isinstance(raw, Mapping):
        raise InputError("card", "must be a menu-card name or an object")
    data = dict(raw)
    data.pop("deviations", None)  # worked out from the accents, never taken as given
    own_themes: Any = _NO_THEMES
    if data.get("extends"):
        own_themes = data.pop("themes", _NO_THEMES)
        loaded = _load(data["extends"])
        if loaded.extends:  # its accents would be lost under this card's
            raise InputError(
                "card",
                f"card.extends: {loaded.id!r} extends {loaded.extends!r} itself; extend "
                f"{loaded.extends!r} with all the accents",
            )
        base = loaded.model_dump()
        accents = data.get("accents") or {}
        merged = {**base, **data}
        merged["accents"] = accents
        data = merged
    elif data.get("accents"):
        raise InputError(
            "card",
            "card.accents: accents adjust a card this one extends (`extends`); in a card of "
            "your own, set the indicators' parameters",
        )
    try:
        card = MenuCard.model_validate(data)
    except pydantic.ValidationError as err:
        place, why = _error_place(err)
        raise InputError("card", f"{place}: {why}") from None
    if own_themes is not _NO_THEMES:
        _check_own_themes(card, own_themes)
    return card


_NO_THEMES = object()
"""No ``themes`` key at all (``themes: null`` beside ``extends`` is a 400, not absent)."""


def _check_own_themes(card: MenuCard, own: Any) -> None:
    """Refuse themes given beside ``extends`` unless they are the card's own (a round trip).

    A card that extends another takes its themes and adjusts them with ``accents``; its
    own ``themes`` were dropped without a word. A resolved card sent back (a scoreboard's
    ``card`` output) carries the base card's themes with its accents applied: those
    are the same card, and pass.
    """
    base = [t.model_dump() for t in card.themes]
    applied = [t.model_dump() for t in _apply_accents(card.model_copy(deep=True)).themes]
    try:
        given = [CardTheme.model_validate(t).model_dump() for t in own]
    except (pydantic.ValidationError, TypeError):
        given = None
    if given not in (base, applied):
        raise InputError(
            "card",
            "card.themes: a card that extends another takes its themes; it adjusts them "
            "with `accents` (within the base card's `adjustable` ranges). Leave `themes` "
            "out, or drop `extends` for a card of your own",
        )


def _check(card: MenuCard, reg: Registry) -> None:
    from gsl_indicators.catalog import profile_names

    if card.profile not in profile_names():
        raise InputError(
            "card",
            f"card.profile: unknown norm profile {card.profile!r}; known: {list(profile_names())}",
        )
    for ti, theme in enumerate(card.themes):
        for ii, entry in enumerate(theme.indicators):
            place = f"card.themes[{ti}].indicators[{ii}]"
            if entry.indicator not in reg or reg.get(entry.indicator).theme == "test":
                raise InputError(
                    "card", f"{place}.indicator: unknown indicator {entry.indicator!r}"
                )
            ind = reg.get(entry.indicator)
            names = {p.name for p in ind.parameters}
            for name in [*entry.parameters, *entry.adjustable]:
                if name not in names or name == "profile":
                    raise InputError(
                        "card",
                        f"{place}.parameters.{name}: not a parameter of {entry.indicator!r}",
                    )
            for where in ("parameters", "adjustable"):
                if "uncertainty" in getattr(entry, where):
                    raise InputError(
                        "card",
                        f"{place}.{where}.uncertainty: a card sets how an indicator is "
                        "computed, not an uncertainty analysis; ask for one per request with "
                        "the indicator's own process (its `uncertainty` input)",
                    )
            try:
                checked = ind.validate_parameters(entry.parameters)
                if entry.parameters.get("profile_override") is not None:
                    resolve_profile({**checked, "profile": card.profile})
            except InputError as err:
                raise InputError(
                    "card", f"{place}.parameters.{err.input_name}: {err.reason}"
                ) from None
            for name, rng in entry.adjustable.items():
                _check_range(entry, _parameter(ind, name), rng, f"{place}.adjustable.{name}")
            _check_pins_read(entry, ind, checked, place)


def _check_pins_read(
    entry: CardIndicator, ind: Indicator, checked: Mapping[str, Any], place: str
) -> None:
    """Refuse a pinned or adjustable parameter the entry's other values leave unread.

    ``network_cutoff_m`` pinned beside the default straight-line distances, or a
    walking speed a municipality may adjust while every mobility profile is a distance,
    would never be read; unless a municipality may switch what it depends on
    (``distance_mode`` among the entry's ``adjustable``).
    """
    for where, names in (("parameters", entry.parameters), ("adjustable", entry.adjustable)):
        for name in names:
            p = _parameter(ind, name)
            why = None
            if not any(key in entry.adjustable for key in p.used_when or {}):
                why = unused_by(p.used_when, checked)
            if why is None and p.unread_if is not None:
                why = p.unread_if(checked)
            if why is not None:
                raise InputError(
                    "card",
                    f"{place}.{where}.{name}: never read with the card's other values: {why}",
                )


def _parameter(ind: Indicator, name: str) -> Parameter:
    item = ind.input(name)
    assert isinstance(item, Parameter)  # _check refused any other name
    return item


def _check_range(entry: CardIndicator, param: Parameter, rng: Range, place: str) -> None:
    """Refuse an ``adjustable`` range that admits values its parameter refuses.

    Its bounds (or listed values) must be valid values of the parameter (an accent
    within the range would otherwise be refused later, or a range of 0–9 for a share
    admits nothing the card can say); a range of numbers needs a number parameter, and
    ``values`` do not go with ``minimum``/``maximum`` (those would be ignored).
    """
    bounded = rng.minimum is not None or rng.maximum is not None
    if rng.values is not None and bounded:
        raise InputError("card", f"{place}: give `values` or `minimum`/`maximum`, not both")
    if rng.values is None and bounded and param.type not in ("number", "integer"):
        raise InputError(
            "card", f"{place}: '{param.name}' is a {param.type}; give its allowed `values`"
        )
    if rng.minimum is not None and rng.maximum is not None and rng.minimum > rng.maximum:
        raise InputError("card", f"{place}: minimum {rng.minimum} lies above maximum {rng.maximum}")
    if rng.values is not None:
        ends = [(f"values[{i}]", v) for i, v in enumerate(rng.values)]
    else:
        ends = [
            (k, v) for k, v in (("minimum", rng.minimum), ("maximum", rng.maximum)) if v is not None
        ]
    ind = registry().get(entry.indicator)
    for label, value in ends:
        try:
            ind.validate_parameters({**entry.parameters, param.name: value})
        except InputError as err:
            raise InputError("card", f"{place}.{label}: {err.reason}") from None


def _apply_accents(card: MenuCard) -> MenuCard:
    """Set the accents into the card's entries and list them as deviations.

    An indicator on the card more than once (GGO-light scores several themes) takes an
    accent in every entry that lets it be adjusted; it is refused when none does or
    when it lies outside the range of one that does.
    """
    card.deviations = []
    if not card.accents:
        return card
    deviations: list[Deviation] = []
    for indicator, values in card.accents.items():
        entries = [e for _, e in card.entries() if e.indicator == indicator]
        if not entries:
            raise InputError("card", f"card.accents.{indicator}: not an indicator of the card")
        for name, value in values.items():
            place = f"card.accents.{indicator}.{name}"
            adjustable = [e for e in entries if name in e.adjustable]
            if not adjustable:
                raise InputError(
                    "card",
                    f"{place}: the card does not let a municipality adjust this parameter "
                    f"(adjustable: {sorted({k for e in entries for k in e.adjustable})})",
                )
            ind = registry().get(indicator)
            default = next(p.default for p in ind.parameters if p.name == name)
            for entry in adjustable:
                rng = entry.adjustable[name]
                if not rng.admits(value):
                    bounds = rng.values if rng.values is not None else [rng.minimum, rng.maximum]
                    raise InputError(
                        "card", f"{place}: {value!r} is outside the allowed range {bounds}"
                    )
                deviation = Deviation(
                    indicator=indicator,
                    parameter=name,
                    card_value=entry.parameters.get(name, default),
                    local_value=value,
                )
                if deviation not in deviations:
                    deviations.append(deviation)
                entry.parameters[name] = value
    card.deviations = deviations
    return card


def resolve_card(raw: Any, reg: Registry | None = None) -> MenuCard:
    """Return the card ``raw`` (a catalog name or an inline object), checked and resolved.

    Raises
    ------
    InputError
        Input ``card``, naming the place in the card and the reason: an unknown
        indicator, a parameter outside its range or not adjustable, an unknown profile.
    """
    card = _load(raw)
    card = _apply_accents(card)
    _check(card, reg or registry())
    return card


def card_csv(card: MenuCard, reg: Registry | None = None) -> str:
    """Return the card as CSV: one row per theme × indicator × parameter.

    Columns: ``theme, indicator, version, parameter, value, default, unit, adjustable_min,
    adjustable_max, adjustable_values, local``.
    """
    reg = reg or registry()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "theme",
            "indicator",
            "version",
            "parameter",
            "value",
            "default",
            "unit",
            "adjustable_min",
            "adjustable_max",
            "adjustable_values",
            "local",
        ]
    )
    local = {(d.indicator, d.parameter) for d in card.deviations}
    for theme, entry in card.entries():
        ind = reg.get(entry.indicator)
        for p in ind.parameters:
            if p.name in ("profile", "profile_override"):
                continue
            rng = entry.adjustable.get(p.name)
            value = entry.parameters.get(p.name, p.default)
            w.writerow(
                [
                    theme.id,
                    ind.id,
                    ind.version,
                    p.name,
                    value if not isinstance(value, dict | list) else str(value),
                    p.default if not isinstance(p.default, dict | list) else str(p.default),
                    p.unit or "",
                    "" if rng is None or rng.minimum is None else rng.minimum,
                    "" if rng is None or rng.maximum is None else rng.maximum,
                    "" if rng is None or rng.values is None else "|".join(map(str, rng.values)),
                    "yes" if (ind.id, p.name) in local else "",
                ]
            )
    return out.getvalue()
