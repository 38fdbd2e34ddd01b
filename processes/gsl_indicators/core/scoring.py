"""Norm profiles per area type, and scores 1–10 from them (the GGO "mixing panel").

A **norm profile** maps each indicator metric to a **band** per area type: the legal
minimum (or the guideline that acts as one) and the ambition. A value is turned into a
score from 1 to 10 by a piecewise-linear rule that is the same for every metric:

* at or beyond the ambition: ``score_at_ambition`` (10);
* at the minimum: ``score_at_minimum`` (6, "sufficient" — meeting the legal minimum
  is a pass, not a top mark);
* between minimum and ambition: linear from 6 to 10;
* beyond the minimum on the wrong side: linear from 6 down to ``score_at_floor`` (1)
  at the band's ``floor``, and 1 beyond it. Without an explicit ``floor`` it lies one
  band width beyond the minimum (``floor = minimum - (ambition - minimum)``).

Direction matters: for ``lower_is_better`` metrics (noise, air, sealed share) the
ambition lies below the minimum; for ``higher_is_better`` ones (green, shade, storage)
above it. The three scores (10 / 6 / 1) are part of the profile (``scoring``), so a
province can choose, say, 5.5 for the minimum.

**Area types** are the five CBS urbanity classes (``"1"`` .. ``"5"``, from the
``urbanity-class`` process) and the GGO types ``binnenstad``, ``stedelijk-wonen``,
``dorps-wonen``, ``buitengebied`` and ``werkgebied``. A metric's bands hold a
``default`` band and any per-type bands; a type without a band of its own falls back
along the profile's ``area_types[type].fallback`` chain (e.g. CBS class 1 →
``binnenstad``), then to ``default``. A per-type band may be partial: missing
``minimum`` / ``ambition`` come from the metric's ``default`` band (a ``floor`` is never
inherited).

Profiles are YAML files in :mod:`gsl_indicators.catalog` (``nl-default``,
``ggo-utrecht-example``). A request names one (``profile``) and may send a full or
partial profile inline (``profile_override``) that is deep-merged over it (mappings
merge key by key, other values replace, ``null`` deletes a key); the merged profile is
validated with pydantic and shown in the result.

Examples
--------
>>> profile = resolve_profile({"profile": "nl-default"})
>>> card = scorecard(profile, "water", {"paved_share": 0.6}, "stedelijk-wonen")
>>> card["scores"]["paved_share"]["band"]
{'minimum': 0.7, 'ambition': 0.5, 'floor': None}
>>> card["scores"]["paved_share"]["score"]  # 6 + 4 * (0.7 - 0.6) / (0.7 - 0.5)
8.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gsl_indicators import catalog
from gsl_indicators.core.ogc_schema import partial_schema
from gsl_indicators.core.spec import InputError, Parameter
from gsl_indicators.core.wording import counted

if TYPE_CHECKING:
    from gsl_indicators.core.geo import Layer
    from gsl_indicators.core.spec import Context

__all__ = [
    "AREA_TYPES",
    "CBS_AREA_TYPES",
    "DEFAULT_BAND",
    "DEFAULT_PROFILE",
    "GGO_AREA_TYPES",
    "PROFILE_PARAMETERS",
    "AreaTypeInfo",
    "Band",
    "Direction",
    "IndicatorNorms",
    "MetricNorm",
    "Profile",
    "ScoringRule",
    "area_types_of",
    "band_of",
    "band_scores",
    "deep_merge",
    "headline_score",
    "load_profile",
    "normalise_area_type",
    "raw_profile",
    "resolve_profile",
    "scorecard",
    "scorecards",
]

Direction = Literal["lower_is_better", "higher_is_better"]

CBS_AREA_TYPES: tuple[str, ...] = ("1", "2", "3", "4", "5")
GGO_AREA_TYPES: tuple[str, ...] = (
    "binnenstad",
    "stedelijk-wonen",
    "dorps-wonen",
    "buitengebied",
    "werkgebied",
)
AREA_TYPES: tuple[str, ...] = CBS_AREA_TYPES + GGO_AREA_TYPES
DEFAULT_BAND = "default"
DEFAULT_PROFILE = "nl-default"

_ALIASES = {
    "stedelijk": "stedelijk-wonen",
    "dorps": "dorps-wonen",
    "dorp": "dorps-wonen",
    "centrum": "binnenstad",
    "werkgebieden": "werkgebied",
    "bedrijventerrein": "werkgebied",
    "landelijk": "buitengebied",
}


def normalise_area_type(value: Any) -> str | None:
    """Return the canonical area type for ``value``, ``None`` for no value.

    CBS classes may be given as numbers (``1``, ``2.0``) or strings; GGO types are
    matched case-insensitively with spaces or underscores for hyphens, and a few
    common Dutch aliases (``dorps``, ``centrum``, ``bedrijventerrein``).

    Raises
    ------
    ValueError
        When ``value`` is not a known area type.

    Examples
    --------
    >>> normalise_area_type(2), normalise_area_type("Stedelijk wonen"), normalise_area_type("")
    ('2', 'stedelijk-wonen', None)
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(f"not an area type: {value!r}")
    if isinstance(value, int | float):
        if math.isfinite(value) and float(value).is_integer() and 1 <= value <= 5:
            return str(int(value))
        raise ValueError(f"not a CBS urbanity class 1–5: {value!r}")
    text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    if not text:
        return None
    if text.endswith(".0") and text[:-2] in CBS_AREA_TYPES:
        text = text[:-2]
    text = _ALIASES.get(text, text)
    if text not in AREA_TYPES:
        raise ValueError(f"unknown area type {value!r}; known: {list(AREA_TYPES)}")
    return text


# --------------------------------------------------------------------------- model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    """The band of one metric for one area type: minimum → ambition (and the floor)."""

    minimum: float = Field(description="Legal minimum (or the guideline acting as one): scores 6.")
    ambition: float = Field(description="Ambition: scores 10 (and beyond it, still 10).")
    floor: float | None = Field(
        None,
        description="Value that scores 1, beyond the minimum; default one band width beyond it.",
    )

    @field_validator("minimum", "ambition", "floor")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    def effective_floor(self) -> float:
        """Return the floor, derived when not given (one band width beyond the minimum)."""
        if self.floor is not None:
            return self.floor
        return self.minimum - (self.ambition - self.minimum)


class MetricNorm(_Strict):
    """The norm of one metric: direction, unit, source and its bands per area type."""

    title: str | None = None
    unit: str | None = None
    direction: Direction
    basis: Literal["legal", "guideline", "policy", "indicative"] | None = Field(
        None,
        description="What the minimum rests on: a law, a health guideline, a policy "
        "target or an indicative project choice (to be replaced by local figures).",
    )
    source: str | None = None
    bands: dict[str, Band]

    @model_validator(mode="before")
    @classmethod
    def _inherit_default(cls, data: Any) -> Any:
        """Fill missing minimum/ambition of per-type bands from the default band."""
        if not isinstance(data, Mapping):
            return data
        bands = data.get("bands")
        if not isinstance(bands, Mapping) or not isinstance(bands.get(DEFAULT_BAND), Mapping):
            return data
        base = bands[DEFAULT_BAND]
        filled: dict[str, Any] = {}
        for key, band in bands.items():
            if key != DEFAULT_BAND and isinstance(band, Mapping):
                band = {
                    **{k: base[k] for k in ("minimum", "ambition") if k in base},
                    **band,
                }
            filled[key] = band
        return {**data, "bands": filled}

    @model_validator(mode="after")
    def _check_bands(self) -> MetricNorm:
        if DEFAULT_BAND not in self.bands:
            raise ValueError(f"bands: a '{DEFAULT_BAND}' band is required")
        for key, band in self.bands.items():
            if key != DEFAULT_BAND and key not in AREA_TYPES:
                raise ValueError(
                    f"bands.{key}: unknown area type; known: {[DEFAULT_BAND, *AREA_TYPES]}"
                )
            sign = 1.0 if self.direction == "higher_is_better" else -1.0
            if not sign * band.ambition > sign * band.minimum:
                rel = "above" if sign > 0 else "below"
                raise ValueError(
                    f"bands.{key}: for {self.direction} the ambition ({band.ambition}) "
                    f"must lie {rel} the minimum ({band.minimum})"
                )
            if band.floor is not None and not sign * band.floor < sign * band.minimum:
                rel = "below" if sign > 0 else "above"
                raise ValueError(
                    f"bands.{key}: the floor ({band.floor}) must lie {rel} the minimum "
                    f"({band.minimum})"
                )
        return self


class IndicatorNorms(_Strict):
    """The norms of one indicator: its scored metrics and, optionally, a headline metric."""

    title: str | None = None
    headline: str | list[str] | None = Field(
        None,
        description="The metric that scores the indicator, or a list of metrics: then the "
        "worst of their scores is the headline (so one good figure cannot hide a bad one).",
    )
    metrics: dict[str, MetricNorm]

    @model_validator(mode="after")
    def _check_headline(self) -> IndicatorNorms:
        for h in self.headlines():
            if h not in self.metrics:
                raise ValueError(f"headline: '{h}' is not one of the metrics")
        if isinstance(self.headline, list) and not self.headline:
            raise ValueError("headline: an empty list")
        return self

    def headlines(self) -> list[str]:
        """Return the headline metric(s) as a list (empty without a headline)."""
        if self.headline is None:
            return []
        return [self.headline] if isinstance(self.headline, str) else list(self.headline)


class ScoringRule(_Strict):
    """The scores at the ambition, the minimum and the floor (linear in between)."""

    score_at_ambition: float = 10.0
    score_at_minimum: float = 6.0
    score_at_floor: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> ScoringRule:
        if not (
            1.0 <= self.score_at_floor < self.score_at_minimum < self.score_at_ambition <= 10.0
        ):
            raise ValueError(
                "scores must satisfy 1 <= score_at_floor < score_at_minimum < "
                "score_at_ambition <= 10"
            )
        return self


_DEFAULT_RULE = ScoringRule()


class AreaTypeInfo(_Strict):
    """Title of an area type and the area type whose bands it uses when it has none."""

    title: str | None = None
    fallback: str | None = None


class Profile(_Strict):
    """A validated norm profile (see the module docstring)."""

    kind: Literal["norm-profile"] = "norm-profile"
    name: str = Field(min_length=1)
    version: str | None = None
    title: str | None = None
    description: str | None = None
    example: bool = Field(False, description="True for an example to be replaced by real figures.")
    notice: str | None = None
    based_on: str | None = Field(
        None, description="Catalog profile this one was merged onto (extends, or an override)."
    )
    scoring: ScoringRule = ScoringRule()
    area_types: dict[str, AreaTypeInfo] = Field(default_factory=dict)
    default_area_type: str | None = Field(
        None, description="Area type used where none is given; null = the 'default' bands."
    )
    sources: list[str] = Field(default_factory=list)
    indicators: dict[str, IndicatorNorms]

    @model_validator(mode="after")
    def _check_area_types(self) -> Profile:
        for key, info in self.area_types.items():
            if key not in AREA_TYPES:
                raise ValueError(f"area_types.{key}: unknown area type; known: {list(AREA_TYPES)}")
            if info.fallback is not None and info.fallback not in AREA_TYPES:
                raise ValueError(f"area_types.{key}.fallback: unknown area type {info.fallback!r}")
        if self.default_area_type is not None and self.default_area_type not in AREA_TYPES:
            raise ValueError(f"default_area_type: unknown area type {self.default_area_type!r}")
        # fallback chains must end (no cycles)
        for start, first in self.area_types.items():
            seen = {start}
            nxt = first.fallback
            while nxt is not None:
                if nxt in seen:
                    raise ValueError(f"area_types.{start}.fallback: the fallback chain loops")
                seen.add(nxt)
                step = self.area_types.get(nxt)
                nxt = step.fallback if step else None
        return self

    # ------------------------------------------------------------------ lookups

    def band_key(self, norm: MetricNorm, area_type: str | None) -> str:
        """Return the key of the band that applies to ``area_type`` (after fallbacks)."""
        at = area_type if area_type is not None else self.default_area_type
        while at is not None:
            if at in norm.bands:
                return at
            info = self.area_types.get(at)
            at = info.fallback if info else None
        return DEFAULT_BAND

    def metric(self, indicator_id: str, metric: str) -> MetricNorm | None:
        """Return the norm of ``metric`` of ``indicator_id``, ``None`` when not in the profile."""
        ind = self.indicators.get(indicator_id)
        return ind.metrics.get(metric) if ind else None

    def score(
        self, indicator_id: str, metric: str, values: Any, area_type: str | None = None
    ) -> np.ndarray:
        """Return the scores of ``values`` of one metric for one area type (vectorised).

        NaN values (and metrics the profile does not score) give NaN.

        Examples
        --------
        >>> p = resolve_profile({})
        >>> p.score("water", "paved_share", [0.4, 0.5, 0.7, 0.9, 1.0], "stedelijk-wonen").tolist()
        [10.0, 10.0, 6.0, 1.0, 1.0]
        """
        arr = np.asarray(values, dtype=float)
        norm = self.metric(indicator_id, metric)
        if norm is None:
            return np.full(arr.shape, np.nan)
        band = norm.bands[self.band_key(norm, area_type)]
        return band_scores(arr, band, norm.direction, self.scoring)

    def to_dict(self, indicator: str | None = None) -> dict[str, Any]:
        """Return the profile as plain JSON data (only one indicator's norms if given)."""
        data = self.model_dump(mode="json")
        if indicator is not None:
            data["indicators"] = {k: v for k, v in data["indicators"].items() if k == indicator}
        return data


def band_scores(
    values: np.ndarray, band: Band, direction: Direction, rule: ScoringRule | None = None
) -> np.ndarray:
    """Return the score 1–10 of each value for one band (NaN stays NaN).

    Parameters
    ----------
    values : numpy.ndarray
        Metric values.
    band : Band
        The band (minimum, ambition, optional floor).
    direction : {"lower_is_better", "higher_is_better"}
        Which side of the minimum is better.
    rule : ScoringRule, optional
        The scores at ambition, minimum and floor (default 10 / 6 / 1).

    Examples
    --------
    >>> b = Band(minimum=0.5, ambition=1.0)  # floor derived: 0.0
    >>> band_scores(np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.2]), b, "higher_is_better").tolist()
    [1.0, 3.5, 6.0, 8.0, 10.0, 10.0]
    """
    rule = rule or _DEFAULT_RULE
    sign = 1.0 if direction == "higher_is_better" else -1.0
    xp = sign * np.array([band.effective_floor(), band.minimum, band.ambition])
    fp = np.array([rule.score_at_floor, rule.score_at_minimum, rule.score_at_ambition])
    x = sign * np.asarray(values, dtype=float)
    out = np.interp(x, xp, fp)
    out[np.isnan(x)] = np.nan
    return np.round(out, 6)


# ----------------------------------------------------------------- profiles


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in (mappings merge; ``None`` deletes).

    Examples
    --------
    >>> deep_merge({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 5}, "d": None})
    {'a': {'b': 5, 'c': 2}}
    """
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _error_path(err: pydantic.ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def raw_profile(name: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return catalog profile ``name`` as a dict, with its ``extends`` chain merged in.

    A catalog profile may start from another one (``extends: nl-default``) and list
    only its own accents; they are deep-merged like an inline override.

    Raises
    ------
    InputError
        Naming ``profile`` when the catalog has no such profile.
    """
    try:
        raw = catalog.load_profile(name)
    except KeyError:
        raise InputError(
            "profile", f"unknown profile {name!r}; known: {list(catalog.profile_names())}"
        ) from None
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if parent in (*_seen, name):
        raise ValueError(f"catalog profile {name!r}: 'extends' loops")
    merged = deep_merge(raw_profile(str(parent), (*_seen, name)), raw)
    merged.setdefault("based_on", str(parent))
    return merged


def load_profile(name: str) -> Profile:
    """Return the validated catalog profile ``name``.

    Raises
    ------
    InputError
        Naming ``profile`` when the catalog has no such profile.
    """
    return Profile.model_validate(raw_profile(name))


def check_override_ids(override: Any, requested_by: str) -> None:
    """Refuse an override of an indicator that does not exist (it was merged and never read).

    ``requested_by``: the indicator of the request (it may be one of its own, outside the
    registry). An override for another registered indicator is kept: one override
    serves a municipality's requests to every process.

    Examples
    --------
    >>> check_override_ids({"indicators": {"noise": {}}}, "air-quality")
    >>> check_override_ids({"indicators": {"air_quality": {}}}, "air-quality")
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'profile_override': indicators.air_quality: no indicator of that id; known: [...]
    """
    from gsl_indicators.core.spec import registry

    indicators = override.get("indicators") if isinstance(override, Mapping) else None
    if not isinstance(indicators, Mapping):
        return
    known = {ind.id for ind in registry()} | {requested_by}
    for key in indicators:
        if key not in known:
            raise InputError(
                "profile_override",
                f"indicators.{key}: no indicator of that id; known: {sorted(known)}",
            )


def resolve_profile(params: Mapping[str, Any]) -> Profile:
    """Return the profile a request asks for: the named one, with any inline override.

    Parameters
    ----------
    params : Mapping
        The request parameters; reads ``profile`` (default ``nl-default``) and
        ``profile_override`` (a full or partial profile, or ``None``).

    Raises
    ------
    InputError
        Naming ``profile`` for an unknown name, or ``profile_override`` and the path of
        the problem for an invalid override.

    Examples
    --------
    >>> p = resolve_profile({"profile": "nl-default", "profile_override": {
    ...     "indicators": {"water": {"metrics": {"paved_share": {
    ...         "bands": {"binnenstad": {"minimum": 0.9}}}}}}}})
    >>> p.name, p.metric("water", "paved_share").bands["binnenstad"].minimum
    ('nl-default+override', 0.9)
    >>> resolve_profile({"profile_override": {"scoring": {"score_at_minimum": 11}}})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'profile_override': scoring: scores must satisfy 1 <= score_at_floor < score_at_minimum < score_at_ambition <= 10
    """
    name = params.get("profile") or DEFAULT_PROFILE
    override = params.get("profile_override")
    if override is None:
        return load_profile(str(name))
    if not isinstance(override, Mapping):
        raise InputError("profile_override", "must be an object (a full or partial profile)")
    merged = deep_merge(raw_profile(str(name)), override)
    if "name" not in override:
        merged["name"] = f"{name}+override"
    merged["based_on"] = str(name)
    try:
        return Profile.model_validate(merged)
    except pydantic.ValidationError as err:
        raise InputError("profile_override", _error_path(err)) from None


# ---------------------------------------------------------------- scorecards


def _jsonable(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def scorecard(
    profile: Profile,
    indicator_id: str,
    metrics: Mapping[str, float | None],
    area_type: str | None = None,
) -> dict[str, Any]:
    """Score the metric values of one area (a neighbourhood, or the whole plan).

    Parameters
    ----------
    profile : Profile
        From :func:`resolve_profile`.
    indicator_id : str
        The indicator whose norms apply (``"noise"``, ``"water"`` ...).
    metrics : Mapping[str, float]
        Metric name to value; ``None``/NaN values get no score.
    area_type : str, optional
        An area type (normalised with :func:`normalise_area_type`); ``None`` uses the
        profile's ``default_area_type``, else the ``default`` bands.

    Returns
    -------
    dict
        ``{"profile", "area_type", "scores": {metric: {"value", "score", "band",
        "band_area_type", "direction", "unit"}}, "unscored": [...]}`` and, when the
        profile names a headline metric for the indicator, ``"score"`` (its score).

    Raises
    ------
    InputError
        Naming ``area_type`` when it is not a known area type.

    Examples
    --------
    >>> p = resolve_profile({})
    >>> card = scorecard(p, "soil", {"sealed_share": 0.95, "homes": 12}, "2")
    >>> card["scores"]["sealed_share"]["score"], card["scores"]["sealed_share"]["band_area_type"]
    (1.0, 'stedelijk-wonen')
    >>> card["unscored"]
    ['homes']
    """
    try:
        at = normalise_area_type(area_type)
    except ValueError as err:
        raise InputError("area_type", str(err)) from None
    ind = profile.indicators.get(indicator_id)
    scores: dict[str, Any] = {}
    unscored: list[str] = []
    for name, value in metrics.items():
        norm = ind.metrics.get(name) if ind else None
        if norm is None:
            unscored.append(name)
            continue
        key = profile.band_key(norm, at)
        band = norm.bands[key]
        v = float("nan") if value is None or isinstance(value, bool | str) else float(value)
        s = float(band_scores(np.array([v]), band, norm.direction, profile.scoring)[0])
        scores[name] = {
            "value": _jsonable(v),
            "score": None if math.isnan(s) else round(s, 2),
            "band": {"minimum": band.minimum, "ambition": band.ambition, "floor": band.floor},
            "band_area_type": key,
            "direction": norm.direction,
            "unit": norm.unit,
        }
    card: dict[str, Any] = {"profile": profile.name, "area_type": at, "scores": scores}
    if unscored:
        card["unscored"] = unscored
    if ind is None:
        card["note"] = f"profile '{profile.name}' has no norms for '{indicator_id}'"
    elif ind.headline is not None:
        card.update(headline_score(ind.headlines(), scores))
    return card


def headline_score(candidates: Sequence[str], scores: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``headline`` (the metric) and ``score``: the worst scored candidate.

    With one candidate it is that metric (its score, or ``None``). With several, the
    candidate with the lowest score is the headline (candidates without a score are
    passed over; the first candidate when none has one), and ``headline_rule`` names
    the rule and the candidates.

    Examples
    --------
    >>> headline_score(["a", "b"], {"a": {"score": 10.0}, "b": {"score": 3.2}})
    {'headline': 'b', 'score': 3.2, 'headline_rule': {'worst_of': ['a', 'b']}}
    >>> headline_score(["a", "b"], {"a": {"score": 7.0}, "b": {"score": None}})["headline"]
    'a'
    >>> headline_score(["a"], {})
    {'headline': 'a', 'score': None}
    """
    scored = [
        (scores[c]["score"], c)
        for c in candidates
        if (scores.get(c) or {}).get("score") is not None
    ]
    if scored:
        score, head = min(scored, key=lambda t: t[0])
    else:
        score, head = None, candidates[0]
    out: dict[str, Any] = {"headline": head, "score": score}
    if len(candidates) > 1:
        out["headline_rule"] = {"worst_of": list(candidates)}
    return out


def area_types_of(
    layer: Layer, area_type: str | None = None, ctx: Context | None = None
) -> list[str | None]:
    """Return the area type of each feature of ``layer`` (neighbourhoods).

    ``area_type`` (the request parameter), when given, applies to every feature (the
    features' own ``area_type`` is then not read: said in an ``area-type-overridden``
    warning). Otherwise a feature's ``area_type`` property is
    used, else its ``urbanity_class`` (as the ``urbanity-class`` process writes it),
    else ``None`` (the profile default). Unknown values are reported in an
    ``unknown-area-type`` warning and treated as ``None``.
    """
    if area_type is not None:
        try:
            at = normalise_area_type(area_type)
        except ValueError as err:
            raise InputError("area_type", str(err)) from None
        # (an urbanity_class may still be read otherwise: parking's norms per class)
        own = sum(1 for props in layer.properties if props.get("area_type") not in (None, ""))
        if own and ctx is not None:
            ctx.warn(
                "area-type-overridden",
                layer.name,
                f"the area_type parameter '{at}' applies to every feature: the own "
                f"'area_type' of {counted(own, 'feature is', 'features are')} not used",
                own,
            )
        return [at] * len(layer)
    out: list[str | None] = []
    bad = 0
    for props in layer.properties:
        raw = props.get("area_type")
        if raw is None or raw == "":
            raw = props.get("urbanity_class")
        try:
            out.append(normalise_area_type(raw))
        except ValueError:
            bad += 1
            out.append(None)
    if bad and ctx is not None:
        ctx.warn(
            "unknown-area-type",
            layer.name,
            f"{counted(bad, 'feature has', 'features have')} an unknown 'area_type'/'urbanity_class'; the profile "
            "default applies to them",
            bad,
        )
    return out


def scorecards(
    profile: Profile,
    indicator_id: str,
    columns: Mapping[str, Sequence[float] | np.ndarray],
    area_types: Sequence[str | None],
) -> list[dict[str, Any]]:
    """Return one :func:`scorecard` per row of metric ``columns`` (one row per area)."""
    names = list(columns)
    cols = [np.asarray(columns[n], dtype=float) for n in names]
    return [
        scorecard(profile, indicator_id, {n: c[i] for n, c in zip(names, cols, strict=True)}, at)
        for i, at in enumerate(area_types)
    ]


def _profile_parameters() -> tuple[Parameter, ...]:
    names = catalog.profile_names()
    return (
        Parameter(
            "profile",
            "Norm profile",
            "Catalog norm profile that turns metric values into scores 1–10 per area type "
            "(nl-default: WHO and national figures; ggo-utrecht-example: an example to be "
            "replaced by the province's own figures).",
            "string",
            DEFAULT_PROFILE,
            enum=names,
        ),
        Parameter(
            "profile_override",
            "Profile override",
            "A full or partial norm profile deep-merged over the named one (a "
            "municipality's own accents): mappings merge key by key, other values "
            'replace, null deletes. Example: {"indicators": {"noise": {"metrics": '
            '{"<metric>": {"bands": {"binnenstad": {"minimum": 0.3}}}}}}}. The result '
            "shows the profile actually used.",
            "object",
            default=None,
            nullable=True,
            schema={
                k: v
                for k, v in partial_schema(Profile).items()
                if k not in ("type", "title", "description")
            },
        ),
        Parameter(
            "area_type",
            "Area type",
            "Area type whose bands apply: a CBS urbanity class '1'..'5' or a GGO type. "
            "null: per neighbourhood from its 'area_type' or 'urbanity_class' property, "
            "else the profile default.",
            "string",
            None,
            enum=(*AREA_TYPES, None),
            nullable=True,
        ),
    )


PROFILE_PARAMETERS: tuple[Parameter, ...] = _profile_parameters()


def band_of(
    profile: Profile, indicator_id: str, metric: str, area_type: str | None = None
) -> dict[str, Any] | None:
    """Return the band of ``metric`` that applies to ``area_type`` (``None`` if unscored).

    Used to show an indicator parameter (a meets/alarm threshold) beside the profile
    band that gives the score, so that the two can be compared.

    Examples
    --------
    >>> band_of(resolve_profile({}), "parking-pressure", "pressure", "1")
    {'minimum': 0.9, 'ambition': 0.75, 'floor': 1.05, 'band_area_type': 'binnenstad', 'direction': 'lower_is_better'}
    """
    norm = profile.metric(indicator_id, metric)
    if norm is None:
        return None
    try:
        at = normalise_area_type(area_type)
    except ValueError as err:
        raise InputError("area_type", str(err)) from None
    key = profile.band_key(norm, at)
    band = norm.bands[key]
    return {
        "minimum": band.minimum,
        "ambition": band.ambition,
        "floor": band.floor,
        "band_area_type": key,
        "direction": norm.direction,
    }
