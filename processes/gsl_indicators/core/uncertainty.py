"""Monte-Carlo uncertainty: how sure an indicator's answer is, given uncertain inputs.

The user declares **distributions for parameters** (walking speed ``normal(1.0, 0.15)``,
tree distance ``uniform(10, 50)``) and **errors on data** per geo input (positional
error of the features in metres, a share of features missing from the data or wrongly
in it, a standard deviation on numeric properties such as exposure values). The engine
draws ``samples`` samples (seeded), perturbs the *parsed* layers and the parameters of
each sample, and runs the indicator's kernel on each — the geo inputs are parsed once,
and the areas' grouping is reused by every sample that leaves the grouped layers alone.
It reads the kernel's unrounded :class:`~gsl_indicators.core.metrics.Metrics` (never
the assembled, rounded document) and reports, for every overall metric, the baseline,
mean, standard deviation and the 5th, 50th and 95th percentiles; for every scored metric
also the score's percentiles and the probability of meeting the norm (the value on the
right side of the profile band's minimum); and the same for the headline score.

One engine, two roads: the optional ``uncertainty`` parameter of every indicator (the
result then has an ``uncertainty`` output) and the ``monte-carlo`` method of the
``sensitivity`` process.

Examples
--------
>>> spec = UncertaintySpec.model_validate(
...     {"parameters": {"d": {"distribution": "uniform", "low": 10, "high": 50}}})
>>> spec.samples, spec.seed
(200, 0)
>>> x = draw(spec.parameters["d"], np.random.default_rng(1), 1000)
>>> bool(x.min() >= 10), bool(x.max() < 50), round(float(x.mean()))  # (10 + 50) / 2
(True, True, 30)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pydantic
import shapely
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gsl_indicators.core.metrics import Metrics, finite
from gsl_indicators.core.shared import shared_work
from gsl_indicators.core.spec import Context, InputError, Output, Parameter

if TYPE_CHECKING:
    from gsl_indicators.core.geo import Layer
    from gsl_indicators.core.spec import Indicator

__all__ = [
    "DEFAULT_SAMPLES",
    "MAX_SAMPLES",
    "UNCERTAINTY_OUTPUT",
    "UNCERTAINTY_PARAMETER",
    "MonteCarlo",
    "UncertaintySpec",
    "draw",
    "parse_spec",
    "summarise",
]

DEFAULT_SAMPLES = 200
MAX_SAMPLES = 2000
PERCENTILES = (5, 50, 95)

#: Parameters that can never carry a distribution (they pick the norms, not the answer).
NOT_SAMPLED = frozenset({"profile", "profile_override", "area_type", "uncertainty"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Normal(_Strict):
    """Normal distribution (clipped to the parameter's valid range)."""

    distribution: Literal["normal"]
    mean: float
    sd: float = Field(ge=0, description="Standard deviation.")


class Uniform(_Strict):
    """Uniform distribution from ``low`` to ``high``."""

    distribution: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError("low must not exceed high")
        return self


class Triangular(_Strict):
    """Triangular distribution from ``low`` over ``mode`` to ``high``."""

    distribution: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self


class Lognormal(_Strict):
    """Log-normal distribution: ``median`` and geometric standard deviation ``gsd`` (≥ 1)."""

    distribution: Literal["lognormal"]
    median: float = Field(gt=0)
    gsd: float = Field(ge=1, description="Geometric standard deviation.")


class Choice(_Strict):
    """A discrete distribution: ``values`` with optional ``weights`` (enums, booleans)."""

    distribution: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        w = self.weights
        if w is not None and (
            len(w) != len(self.values)
            or any(x < 0 or not math.isfinite(x) for x in w)
            or not sum(w) > 0
        ):
            raise ValueError("weights: one non-negative weight per value, not all zero")
        return self


Distribution = Annotated[
    Normal | Uniform | Triangular | Lognormal | Choice, Field(discriminator="distribution")
]


class DataError(_Strict):
    """Errors on one geo input, applied independently in every sample."""

    position_sd_m: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="Positional error: each feature is moved as a whole by a normal offset "
        "with this standard deviation (m) along x and along y.",
    )
    omit_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Share of the features that should not be in the data (each is left out "
        "of a sample with this probability).",
    )
    missing_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Share of the real features the data misses (a tree register that lacks "
        "10 % of the trees: 0.1). Each sample adds n·s/(1−s) features (n features given), "
        "each a copy of a randomly drawn given feature moved by a uniform offset within "
        "`missing_radius_m`: the missing ones are assumed to stand among the known ones.",
    )
    missing_radius_m: float = Field(
        25.0, ge=0, le=1000, description="Radius around a known feature where a missing one stands."
    )
    values: dict[str, float] = Field(
        default_factory=dict,
        description="Property name → standard deviation of a normal error on that numeric "
        "property (exposure values ± σ), per feature.",
    )

    @model_validator(mode="after")
    def _finite(self) -> DataError:
        for k, v in self.values.items():
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"values.{k}: a standard deviation must be finite and >= 0")
        radius = type(self).model_fields["missing_radius_m"].default
        if self.missing_radius_m != radius and not self.missing_share:  # a dump round-trips
            raise ValueError("missing_radius_m is read only with a missing_share above 0")
        return self

    def active(self) -> bool:
        """Whether this error changes anything."""
        return bool(
            self.position_sd_m or self.omit_share or self.missing_share or any(self.values.values())
        )


class UncertaintySpec(_Strict):
    """What is uncertain in a request, and how many samples to draw."""

    samples: int = Field(DEFAULT_SAMPLES, ge=2, le=MAX_SAMPLES, description="Samples to draw.")
    seed: int = Field(0, ge=0, description="Seed of the random draws (same seed, same result).")
    parameters: dict[str, Distribution] = Field(
        default_factory=dict, description="Parameter name → its distribution."
    )
    data: dict[str, DataError] = Field(
        default_factory=dict, description="Geo input name → its errors."
    )
    metrics: list[str] | None = Field(
        None,
        description="Overall metrics to report (default: every one with a direction, "
        "i.e. every metric that can be better or worse, counts only when named; every "
        "numeric one where none has a direction).",
    )


def draw(dist: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` draws of a distribution (numbers as float, choices as objects).

    Examples
    --------
    >>> draw(Normal(distribution="normal", mean=1.0, sd=0.0), np.random.default_rng(0), 2).tolist()
    [1.0, 1.0]
    >>> draw(Choice(distribution="choice", values=[True]), np.random.default_rng(0), 2).tolist()
    [True, True]
    """
    if isinstance(dist, Normal):
        return rng.normal(dist.mean, dist.sd, n)
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    if isinstance(dist, Triangular):
        return rng.triangular(dist.low, dist.mode, dist.high, n)
    if isinstance(dist, Lognormal):
        return np.asarray(dist.median * np.exp(rng.normal(0.0, math.log(dist.gsd), n)))
    p = None if dist.weights is None else np.asarray(dist.weights) / float(sum(dist.weights))
    picks = rng.choice(len(dist.values), size=n, p=p)
    out = np.empty(n, dtype=object)
    out[:] = [dist.values[i] for i in picks]
    return out


def _spec_error(err: pydantic.ValidationError, name: str) -> InputError:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    return InputError(name, f"{loc}: {first['msg']}" if loc else first["msg"])


def parse_spec(
    indicator: Indicator, value: Any, input_name: str = "uncertainty"
) -> UncertaintySpec:
    """Validate an uncertainty request against ``indicator``'s parameters and geo inputs.

    Raises
    ------
    InputError
        Naming ``input_name`` and the offending entry: a parameter the indicator does not
        have (or that picks the norms), a distribution for a parameter that is not a
        number, integer, boolean or enum, a choice value the parameter refuses, a data
        error on an input the indicator does not have.
    """
    try:
        spec = UncertaintySpec.model_validate(value)
    except pydantic.ValidationError as err:
        raise _spec_error(err, input_name) from None
    declared = {p.name: p for p in indicator.parameters}
    for name, dist in spec.parameters.items():
        p = declared.get(name)
        if p is None or name in NOT_SAMPLED:
            ok = sorted(n for n, q in declared.items() if _samplable(q))
            raise InputError(
                input_name,
                f"parameters.{name}: not a parameter of '{indicator.id}' that can vary; "
                f"choose from {ok}",
            )
        if not _samplable(p):
            raise InputError(
                input_name, f"parameters.{name}: a {p.type} cannot carry a distribution"
            )
        if isinstance(dist, Choice):
            for v in dist.values:
                try:
                    indicator.validate_parameters({name: v})
                except InputError as err:
                    raise InputError(
                        input_name, f"parameters.{name}: value {v!r}: {err.reason}"
                    ) from None
        elif p.enum is not None or p.type == "boolean":
            raise InputError(
                input_name, f"parameters.{name}: an enum or boolean takes a 'choice' distribution"
            )
    geo = {gi.name for gi in indicator.inputs}
    for name in spec.data:
        if name not in geo:
            raise InputError(
                input_name,
                f"data.{name}: not a geo input of '{indicator.id}'; geo inputs: {sorted(geo)}",
            )
    if spec.metrics is not None:
        known = {m.id for m in indicator.metrics if "overall" in m.levels}
        for m in spec.metrics:
            if m not in known and indicator.metric_templates is None:
                raise InputError(
                    input_name,
                    f"metrics: '{m}' is not an overall metric of '{indicator.id}'; "
                    f"choose from {sorted(known)}",
                )
    return spec


def check_read(
    indicator: Indicator,
    spec: UncertaintySpec,
    params: Mapping[str, Any],
    raw: Mapping[str, Any],
    input_name: str = "uncertainty",
) -> None:
    """Refuse a distribution or a data error on what this request does not read.

    A distribution on ``idw_power`` without ``exposure_points`` gave samples all alike
    (and a sensitivity of zero); a data error on a layer not given changed nothing.
    A parameter that one of the other distributions' choices makes read (a cut-off
    beside a choice of ``distance_mode``) is sampled.

    Parameters
    ----------
    params : Mapping
        The request's parameters after defaults.
    raw : Mapping
        Its inputs as given (the layers given, by name).

    Raises
    ------
    InputError
        Naming ``input_name``, the entry and why it is not read.
    """
    declared = {p.name: p for p in indicator.parameters}
    choices = [
        {**params, name: v}
        for name, dist in spec.parameters.items()
        if isinstance(dist, Choice)
        for v in dist.values
    ]
    for name in spec.parameters:
        p = declared[name]
        why = p.ignored_by(params, raw)
        if why is not None and all(p.ignored_by(c, raw) is not None for c in choices):
            raise InputError(input_name, f"parameters.{name}: not read by this request: {why}")
    layers = {gi.name: gi for gi in indicator.inputs}
    for name in spec.data:
        gi = layers[name]
        if raw.get(name) is None:
            why = "the layer is not given"
        else:
            why = gi.ignored_without(raw) or gi.ignored_by(params)
            chosen = any(gi.ignored_by(c) is None for c in choices)  # read where chosen so
            if why is not None and gi.ignored_without(raw) is None and chosen:
                why = None
        if why is not None:
            raise InputError(input_name, f"data.{name}: an error on data not read: {why}")


def _samplable(p: Parameter) -> bool:
    return p.name not in NOT_SAMPLED and (
        p.enum is not None or p.type in ("number", "integer", "boolean")
    )


# ----------------------------------------------------------------------- data errors


def _move(geoms: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Move each geometry as a whole by ``(dx[i], dy[i])``.

    Examples
    --------
    >>> out = _move(np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]),
    ...             np.array([1.0, 2.0]), np.array([0.0, -1.0]))
    >>> [g.wkt for g in out]
    ['POINT (1 0)', 'POLYGON ((3 -1, 3 0, 2 0, 2 -1, 3 -1))']
    """
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    coords = coords + np.column_stack([dx[which], dy[which]])
    return np.asarray(shapely.set_coordinates(np.array(geoms, dtype=object, copy=True), coords))


def perturb_layer(layer: Layer, err: DataError, rng: np.random.Generator) -> Layer:
    """Return one sample of ``layer`` under ``err`` (the parsed layer is not changed).

    Draws, in this order: the omitted features, the added missing ones (source feature,
    offset angle and radius), the positional offsets of every feature, the value errors
    (property by property, in the order given).
    """
    n = len(layer)
    keep = np.arange(n)
    if err.omit_share > 0:
        keep = keep[rng.random(n) >= err.omit_share]
    geoms = layer.geometries[keep]
    features = [layer.features[i] for i in keep.tolist()]
    index = layer.index[keep]
    if err.missing_share > 0 and n:
        k = round(n * err.missing_share / (1.0 - err.missing_share))
        src = rng.integers(0, n, k)
        angle = rng.uniform(0.0, 2.0 * math.pi, k)
        radius = err.missing_radius_m * np.sqrt(rng.random(k))  # uniform over the disk
        added = _move(layer.geometries[src], radius * np.cos(angle), radius * np.sin(angle))
        geoms = np.concatenate([geoms, added])
        features += [layer.features[i] for i in src.tolist()]
        index = np.concatenate([index, layer.index[src]])
    if err.position_sd_m > 0 and len(geoms):
        m = len(geoms)
        geoms = _move(
            geoms, rng.normal(0.0, err.position_sd_m, m), rng.normal(0.0, err.position_sd_m, m)
        )
    if err.values:
        props = [dict(f.get("properties") or {}) for f in features]
        for name, sd in err.values.items():
            noise = rng.normal(0.0, sd, len(props))
            for p, e in zip(props, noise.tolist(), strict=True):
                v: Any = p.get(name)
                if finite(v):
                    p[name] = float(v) + e
        features = [{**f, "properties": p} for f, p in zip(features, props, strict=True)]
    return replace(
        layer,
        geometries=geoms,
        features=features,
        index=index,
        _props=None,
        sampled=layer.sampled or bool(err.values),
    )


# ---------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class Sample:
    """One sample's parameter values and kernel result (``None`` with ``error`` when refused)."""

    index: int
    params: dict[str, Any]
    overall: dict[str, float] | None
    error: InputError | None = None


KernelFn = Callable[[Mapping[str, "Layer"], dict[str, Any], Context], Metrics]


class MonteCarlo:
    """Run an indicator's kernel on samples of uncertain parameters and data.

    Parameters
    ----------
    indicator : Indicator
        The indicator (its kernel runs once per sample).
    layers : Mapping[str, Layer]
        Its geo inputs, parsed once.
    params : dict
        The parameters after defaults (the baseline).
    spec : UncertaintySpec
        What is uncertain (from :func:`parse_spec`).
    workers : int, optional
        Samples run in this many threads (default: the CPUs, at most 8; 1 runs inline).
        The kernels' own vectorised shapely and numpy work releases the GIL. Results do
        not depend on ``workers``: each sample draws from its own seeded stream.
    """

    def __init__(
        self,
        indicator: Indicator,
        layers: Mapping[str, Layer],
        params: Mapping[str, Any],
        spec: UncertaintySpec,
        workers: int | None = None,
    ) -> None:
        self.indicator = indicator
        self.layers = dict(layers)
        self.params = dict(params)
        self.spec = spec
        from gsl_indicators.core.canopy import default_workers

        self.workers = default_workers() if workers is None else max(1, int(workers))
        self._groups: Any = None
        self.clipped: dict[str, int] = {}
        self._check_values_present()

    def _check_values_present(self) -> None:
        """Refuse a value error on a property no feature of its layer has (nothing to vary)."""
        for name, err in self.spec.data.items():
            layer = self.layers.get(name)
            if layer is None or not err.values:
                continue
            for prop in err.values:
                if not any(prop in p for p in layer.properties):
                    raise InputError(
                        "uncertainty",
                        f"data.{name}.values.{prop}: no feature of '{name}' has a '{prop}' to vary",
                    )

    # -- the baseline's grouping, shared by samples that leave the grouped layers alone
    def _grouped_layers(self) -> tuple[str | None, str | None]:
        return self.indicator.features, self.indicator.areas

    def _base_groups(self) -> Any:
        from gsl_indicators.core.assemble import area_groups

        if self._groups is None:
            f_name, a_name = self._grouped_layers()
            features, areas = self.layers.get(f_name or ""), self.layers.get(a_name or "")
            if features is not None and areas is not None and features is not areas:
                self._groups = area_groups(features, areas)
        return self._groups

    def draw_parameters(self) -> list[dict[str, Any]]:
        """Return the parameters of every sample (drawn from one stream per parameter).

        A draw outside the parameter's valid range is clipped to it (counted in
        ``clipped``); integer parameters are rounded to whole numbers.
        """
        n = self.spec.samples
        declared = {p.name: p for p in self.indicator.parameters}
        columns: dict[str, list[Any]] = {}
        seeds = np.random.SeedSequence([self.spec.seed, 1])
        for (name, dist), child in zip(
            self.spec.parameters.items(), seeds.spawn(len(self.spec.parameters)), strict=True
        ):
            p = declared[name]
            values = draw(dist, np.random.default_rng(child), n)
            if not isinstance(dist, Choice):
                lo = -np.inf if p.minimum is None else float(p.minimum)
                hi = np.inf if p.maximum is None else float(p.maximum)
                arr = np.asarray(values, dtype=float)
                self.clipped[name] = int(((arr < lo) | (arr > hi)).sum())
                arr = np.clip(arr, lo, hi)
                columns[name] = (
                    [round(v) for v in arr.tolist()] if p.type == "integer" else arr.tolist()
                )
            else:
                columns[name] = list(values)
        return [{**self.params, **{k: v[i] for k, v in columns.items()}} for i in range(n)]

    def run_sample(self, i: int, params: dict[str, Any]) -> Sample:
        """Run the kernel on sample ``i`` (its data errors drawn from stream ``(seed, 2, i)``)."""
        from gsl_indicators.core.assemble import area_groups

        rng = np.random.default_rng(np.random.SeedSequence([self.spec.seed, 2, i]))
        layers = dict(self.layers)
        for name in sorted(self.spec.data):
            err = self.spec.data[name]
            if name in layers and err.active():
                layers[name] = perturb_layer(layers[name], err, rng)
        ctx = Context()
        f_name, a_name = self._grouped_layers()
        features, areas = layers.get(f_name or ""), layers.get(a_name or "")
        if features is not None and areas is not None and features is not areas:
            same = features is self.layers.get(f_name or "") and areas is self.layers.get(
                a_name or ""
            )
            ctx.groups = self._base_groups() if same else area_groups(features, areas)
        try:
            result = self.indicator.compute(layers, dict(params), ctx)
        except InputError as err:
            return Sample(i, params, None, err)
        overall = {k: float(v) for k, v in result.overall.items() if finite(v) or _is_nan(v)}
        return Sample(i, params, overall)

    def run(self, on_progress: Callable[[int], None] | None = None) -> list[Sample]:
        """Run every sample (in threads when ``workers`` > 1), in sample order.

        The samples share work (:mod:`gsl_indicators.core.shared`): what a kernel
        memoises on layers a sample leaves alone is computed once for all samples.
        """
        plan = self.draw_parameters()
        self._base_groups()  # once, before the threads share it
        with shared_work():
            if self.workers == 1:
                out = []
                for i, p in enumerate(plan):
                    out.append(self.run_sample(i, p))
                    if on_progress is not None:
                        on_progress(i + 1)
                return out
            done = [0]

            def job(i: int) -> Sample:
                s = self.run_sample(i, plan[i])
                done[0] += 1
                if on_progress is not None:
                    on_progress(done[0])
                return s

            # each thread runs in a copy of this context: the same shared-work memo
            contexts = [copy_context() for _ in plan]
            with ThreadPoolExecutor(max_workers=self.workers) as ex:
                return list(ex.map(lambda i: contexts[i].run(job, i), range(len(plan))))


def _is_nan(v: Any) -> bool:
    return isinstance(v, float | np.floating) and math.isnan(float(v))


# --------------------------------------------------------------------------- summary


def _stats(values: np.ndarray, digits: int | None) -> dict[str, Any]:
    """Return mean, sd and the percentiles of the finite ``values`` (rounded to ``digits``).

    Percentiles by linear interpolation between order statistics (numpy's default).

    Examples
    --------
    >>> _stats(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), 3)
    {'n': 4, 'mean': 2.5, 'sd': 1.291, 'p5': 1.15, 'p50': 2.5, 'p95': 3.85}
    """
    v = values[np.isfinite(values)]
    if not len(v):
        return {"n": 0, "mean": None, "sd": None, **{f"p{q}": None for q in PERCENTILES}}

    def r(x: float) -> float:
        return float(x) if digits is None else round(float(x), digits)

    pct = np.percentile(v, PERCENTILES)
    return {
        "n": len(v),
        "mean": r(v.mean()),
        "sd": r(v.std(ddof=1)) if len(v) > 1 else 0.0,
        **{f"p{q}": r(x) for q, x in zip(PERCENTILES, pct.tolist(), strict=True)},
    }


def summarise(
    indicator: Indicator,
    params: Mapping[str, Any],
    baseline: Mapping[str, Any],
    samples: Sequence[Sample],
    spec: UncertaintySpec,
    clipped: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Return the ``uncertainty`` report of a run (see the module docstring).

    Parameters
    ----------
    indicator : Indicator
        The indicator.
    params : Mapping
        The baseline parameters (profile, override and area type pick the norms).
    baseline : Mapping
        The baseline's unrounded overall metrics.
    samples : sequence of Sample
        From :meth:`MonteCarlo.run`.
    spec : UncertaintySpec
        The request.
    clipped : Mapping, optional
        Per parameter, the draws clipped to its valid range.
    """
    from gsl_indicators.core.scoring import band_of, resolve_profile

    declared = {m.id: m for m in indicator.metrics_for(params)}
    valid = [s for s in samples if s.overall is not None]
    names = spec.metrics
    if names is None:  # the metrics that can be better or worse (not the counts) ...
        numeric = [k for k, v in baseline.items() if k in declared and (finite(v) or _is_nan(v))]
        names = [k for k in numeric if declared[k].direction is not None]
        names = names or numeric  # ... else, where none has a direction, every number
    scored = [m for m in names if declared.get(m) is not None and declared[m].scored]
    profile = resolve_profile(params) if scored else None
    area_type = params.get("area_type")
    report: dict[str, Any] = {}
    # per scored metric and sample: its score, and whether it meets the norm (NaN: unknown)
    per_sample: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        metric = declared.get(name)
        digits = None if metric is None else metric.digits + 2
        vals = np.asarray(
            [np.nan if s.overall is None else s.overall.get(name, np.nan) for s in valid],
            dtype=float,
        )
        b: Any = baseline.get(name)
        entry: dict[str, Any] = {
            "baseline": round(float(b), digits) if finite(b) and digits is not None else None,
            **_stats(vals, digits),
        }
        if profile is not None and name in scored:
            band = band_of(profile, indicator.id, name, area_type)
            if band is not None:
                scores = profile.score(indicator.id, name, vals, area_type)
                sign = 1.0 if band["direction"] == "higher_is_better" else -1.0
                known = np.isfinite(vals)
                meets = sign * (vals[known] - band["minimum"]) >= 0
                entry["score"] = {
                    "baseline": _score(profile, indicator.id, name, b, area_type),
                    **_stats(scores, 2),
                }
                entry["norm"] = {
                    "minimum": band["minimum"],
                    "band_area_type": band["band_area_type"],
                    "direction": band["direction"],
                }
                entry["probability_meeting_norm"] = (
                    round(float(meets.mean()), 4) if known.any() else None
                )
                met = np.full(len(vals), np.nan)
                met[known] = meets
                per_sample[name] = (np.asarray(scores, dtype=float), met)
        report[name] = entry
    out: dict[str, Any] = {
        "method": "monte-carlo",
        "samples": len(samples),
        "valid_samples": len(valid),
        "seed": spec.seed,
        "parameters": {
            name: {**dist.model_dump(), "clipped": int((clipped or {}).get(name, 0))}
            for name, dist in spec.parameters.items()
        },
        "data": {name: err.model_dump(exclude_defaults=True) for name, err in spec.data.items()},
        "metrics": report,
    }
    if profile is not None:
        ind = profile.indicators.get(indicator.id)
        heads = ind.headlines() if ind is not None else []
        if ind is not None and isinstance(ind.headline, str):
            head = ind.headline
            if head in per_sample:
                out["headline"] = {
                    "metric": head,
                    "score": report[head]["score"],
                    "probability_meeting_norm": report[head]["probability_meeting_norm"],
                }
        elif all(h in report for h in heads) and any(h in per_sample for h in heads):
            # a list, every one of them summarised: the worst of their scores, sample by sample
            out["headline"] = _worst_headline(heads, per_sample, report)
    refused = [s for s in samples if s.error is not None]
    if refused:
        out["invalid"] = [
            {"sample": s.index, "input": s.error.input_name, "reason": s.error.reason}
            for s in refused[:10]
            if s.error is not None
        ]
    return out


def _worst_headline(
    heads: Sequence[str],
    per_sample: Mapping[str, tuple[np.ndarray, np.ndarray]],
    report: Mapping[str, Any],
) -> dict[str, Any]:
    """Return the ``headline`` of a profile whose headline is a list of metrics.

    As the scorecard's headline (:func:`~gsl_indicators.core.scoring.headline_score`):
    in each sample the worst score of the metrics that have one (those with a norm band,
    in ``per_sample``; the others are passed over); it meets the norm when every metric
    known in that sample does. ``baseline`` is the worst baseline score; ``metric`` and
    ``headline_rule`` name every candidate.

    Examples
    --------
    >>> per = {"a": (np.array([7.0, 2.0, np.nan]), np.array([1.0, 0.0, np.nan])),
    ...        "b": (np.array([5.0, 9.0, np.nan]), np.array([0.0, 1.0, np.nan]))}
    >>> rep = {"a": {"score": {"baseline": 7.0}}, "b": {"score": {"baseline": 5.5}}}
    >>> h = _worst_headline(["a", "b"], per, rep)
    >>> h["metric"], h["score"]["baseline"], h["score"]["n"], h["score"]["mean"]
    (['a', 'b'], 5.5, 2, 3.5)
    >>> h["probability_meeting_norm"]
    0.0
    >>> _worst_headline(["a", "c"], per, {**rep, "c": {}})["score"]["mean"]  # c: no band
    4.5
    """
    scored = [h for h in heads if h in per_sample]
    scores = np.vstack([per_sample[h][0] for h in scored])
    met = np.vstack([per_sample[h][1] for h in scored])
    has = np.isfinite(scores).any(axis=0)
    worst = np.full(scores.shape[1], np.nan)
    worst[has] = np.nanmin(scores[:, has], axis=0)
    known = ~np.isnan(met)
    meets = np.where(known, met, 1.0).min(axis=0)[known.any(axis=0)]
    baselines = [report[h]["score"]["baseline"] for h in scored]
    present = [b for b in baselines if b is not None]
    return {
        "metric": list(heads),
        "headline_rule": {"worst_of": list(heads)},
        "score": {"baseline": min(present) if present else None, **_stats(worst, 2)},
        "probability_meeting_norm": round(float(meets.mean()), 4) if len(meets) else None,
    }


def _score(
    profile: Any, indicator_id: str, metric: str, value: Any, area_type: Any
) -> float | None:
    if not finite(value):
        return None
    s = float(profile.score(indicator_id, metric, [float(value)], area_type)[0])
    return None if math.isnan(s) else round(s, 2)


def uncertainty_report(
    indicator: Indicator,
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    baseline: Metrics,
    spec: UncertaintySpec,
    ctx: Context | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run the Monte-Carlo samples of one request and return its ``uncertainty`` report.

    Parameters
    ----------
    baseline : Metrics
        The kernel's result at the baseline parameters (the plain run).
    ctx : Context, optional
        Receives progress and an ``uncertainty-invalid-samples`` warning when the
        indicator refused some samples.
    """
    mc = MonteCarlo(indicator, layers, params, spec, workers=workers)
    n = spec.samples

    def progress(done: int) -> None:
        if ctx is not None:
            ctx.progress(0.5 + 0.45 * done / n, f"uncertainty sample {done} of {n}")

    samples = mc.run(progress)
    report = summarise(indicator, params, baseline.overall, samples, spec, mc.clipped)
    bad = n - report["valid_samples"]
    if bad and ctx is not None:
        ctx.warn(
            "uncertainty-invalid-samples",
            "uncertainty",
            f"{bad} of {n} samples were refused by '{indicator.id}' (see "
            "`uncertainty.invalid`); the statistics are over the others",
            bad,
        )
    return report


# ------------------------------------------------------------------ the declaration

UNCERTAINTY_PARAMETER = Parameter(
    "uncertainty",
    "Uncertainty",
    "Monte-Carlo uncertainty of the answer (optional; see docs/uncertainty.md): "
    "`parameters` maps a parameter name to a distribution (`normal` mean/sd, `uniform` "
    "low/high, `triangular` low/mode/high, `lognormal` median/gsd, `choice` values/"
    "weights), `data` maps a geo input to its errors (`position_sd_m`, `omit_share`, "
    "`missing_share` with `missing_radius_m`, `values`: property → σ); `samples` "
    f"(default {DEFAULT_SAMPLES}, at most {MAX_SAMPLES}) and `seed` (default 0). The result "
    "then has an `uncertainty` output: per overall metric the baseline, mean, sd, p5, p50, "
    "p95 and, for scored metrics, the score's percentiles and the probability of meeting "
    "the norm (the profile band's minimum).",
    "object",
    None,
    nullable=True,
    schema={k: v for k, v in UncertaintySpec.model_json_schema().items() if k != "title"},
)

UNCERTAINTY_OUTPUT = Output(
    "uncertainty",
    "Uncertainty",
    "Present when `uncertainty` is asked: samples drawn and valid, the distributions and "
    "data errors used, and per overall metric the baseline, mean, sd, p5, p50, p95 (and for "
    "scored metrics the score's percentiles, the norm and the probability of meeting it).",
)
