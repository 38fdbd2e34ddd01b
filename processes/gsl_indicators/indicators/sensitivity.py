"""``sensitivity``: how much an indicator's answer moves when its parameters move.

Two methods on any other registered indicator, the geo inputs parsed once:

* ``one-at-a-time`` (OAT): the target's kernel runs once at the baseline (its defaults,
  or the values given), then once for each value of each varied parameter across its
  plausible range (the ``plausible`` range of its declaration, else its valid
  ``minimum``/``maximum``, or its ``enum``), every other parameter at the baseline;
* ``monte-carlo``: the uncertainty engine (:mod:`gsl_indicators.core.uncertainty`, the
  same one as every indicator's ``uncertainty`` parameter) draws samples of the declared
  parameter distributions and data errors.

Both read the kernel's unrounded metric values, never the assembled document rounded to
the declared digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gsl_indicators.core import geo
from gsl_indicators.core.examples import point_feature, rd_collection
from gsl_indicators.core.metrics import Metric, Metrics
from gsl_indicators.core.parts import union_inputs
from gsl_indicators.core.shared import shared_work
from gsl_indicators.core.spec import (
    Context,
    Indicator,
    InputError,
    Output,
    Parameter,
    Source,
    declared_indicators,
)
from gsl_indicators.core.uncertainty import (
    MAX_SAMPLES,
    UNCERTAINTY_OUTPUT,
    UNCERTAINTY_PARAMETER,
)

__all__ = [
    "INDICATORS",
    "METRICS",
    "PROCESS_ID",
    "SMALL_ENUM",
    "Baseline",
    "Sweep",
    "baseline_parameters",
    "compute",
    "compute_monte_carlo",
    "compute_one_at_a_time",
    "default_metrics",
    "default_parameters",
    "elasticity",
    "metric_value",
    "record",
    "resolve_target",
    "run_baseline",
    "sweep_parameter",
    "sweep_values",
    "sweepable",
    "tornado_of",
    "tracked_metrics",
]

PROCESS_ID = "sensitivity"

#: Enums with at most this many values are varied by default (larger ones, e.g. a long
#: list of catalog names, only when named in ``parameters``).
SMALL_ENUM = 8


#: values per numeric parameter of a one-at-a-time sweep, unless the request says
STEPS_DEFAULT = 5


def _targets() -> list[Indicator]:
    """Return the indicators this process can analyse.

    The registry cannot be asked while it is importing this module, so the other
    entry points are loaded here (the registry loads them anyway). Test processes
    (theme ``test``: ``echo``, whose only number is a pause of up to 600 s) are left out.
    """
    return [ind for ind in declared_indicators(skip=PROCESS_ID) if ind.theme != "test"]


# ----------------------------------------------------------------------- sweep plan


@dataclass(frozen=True)
class Sweep:
    """The values one parameter takes in the analysis.

    Attributes
    ----------
    name : str
        Parameter name.
    kind : {"range", "enum", "boolean"}
        How the values were chosen.
    values : tuple
        The values, ascending for ranges.
    range_from : {"plausible", "valid"}, optional
        For ranges: the declared plausible range, or (without one) the valid range.
    """

    name: str
    kind: str
    values: tuple[Any, ...]
    range_from: str | None = None


def sweepable(p: Parameter) -> bool:
    """Whether ``p`` has a range to sweep: numeric with a plausible range or both bounds, boolean or enum.

    Examples
    --------
    >>> sweepable(Parameter("r", "R", "radius", "number", default=1.0, minimum=0.0, maximum=2.0))
    True
    >>> sweepable(Parameter("t", "T", "table", "object", default={}))
    False
    """
    if p.enum is not None:
        return len(p.enum) > 0
    if p.type == "boolean":
        return True
    return p.type in ("number", "integer") and p.sweep_range is not None


def default_parameters(indicator: Indicator) -> list[str]:
    """Return the parameters varied by default: ranged numbers, booleans and small enums.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> default_parameters(registry().get("urbanity-class"))
    ['radius_m', 'class_1_min', 'class_2_min', 'class_3_min', 'class_4_min']
    """
    return [
        p.name
        for p in indicator.parameters
        if sweepable(p) and (p.enum is None or len(p.enum) <= SMALL_ENUM)
    ]


def sweep_values(p: Parameter, steps: int) -> Sweep:
    """Return the values of ``p`` to run: ``steps`` evenly spaced over its range, or every value.

    The range is the declared ``plausible`` one, else the valid ``minimum``–``maximum``.
    Integer parameters are rounded to whole numbers (duplicates dropped).

    Parameters
    ----------
    p : Parameter
        A :func:`sweepable` parameter.
    steps : int
        Points across a numeric range, both ends included.

    Returns
    -------
    Sweep

    Examples
    --------
    >>> sweep_values(Parameter("d", "D", "distance", "number", default=30.0, minimum=10.0, maximum=50.0), 5).values
    (10.0, 20.0, 30.0, 40.0, 50.0)
    >>> sweep_values(Parameter("n", "N", "count", "integer", default=3, minimum=1, maximum=4), 5).values
    (1, 2, 3, 4)
    >>> sweep_values(Parameter("b", "B", "flag", "boolean", default=True), 5).values
    (False, True)
    >>> sweep_values(Parameter("d", "D", "d", "number", 30.0, 1.0, 200.0, plausible=(10.0, 50.0)), 3)
    Sweep(name='d', kind='range', values=(10.0, 30.0, 50.0), range_from='plausible')
    """
    if p.enum is not None:
        return Sweep(p.name, "enum", tuple(p.enum))
    if p.type == "boolean":
        return Sweep(p.name, "boolean", (False, True))
    bounds = p.sweep_range
    assert bounds is not None
    source = "plausible" if p.plausible is not None else "valid"
    grid = np.linspace(bounds[0], bounds[1], steps)
    if p.type == "integer":
        return Sweep(p.name, "range", tuple(sorted({round(float(v)) for v in grid})), source)
    return Sweep(p.name, "range", tuple(float(v) for v in grid), source)


def _same(a: Any, b: Any) -> bool:
    """Whether two parameter values are the same run (numbers compared as floats)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


# --------------------------------------------------------------------------- metrics


def _number(value: Any) -> float | None:
    """Return ``value`` when it is a finite number, else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def metric_value(summary: Mapping[str, Any], path: str) -> Any:
    """Return the summary entry at ``path`` (dots step into nested objects), else None.

    Examples
    --------
    >>> metric_value({"a": {"1": 4}, "b": 2.5}, "a.1"), metric_value({"b": 2.5}, "c")
    (4, None)
    """
    if path in summary:
        return summary[path]
    node: Any = summary
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _has_path(summary: Mapping[str, Any], path: str) -> bool:
    if path in summary:
        return True
    node: Any = summary
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def default_metrics(summary: Mapping[str, Any], echoes: Sequence[str] = ()) -> list[str]:
    """Return the names of the numeric scalars of ``summary`` (top level, not booleans).

    Entries named in ``echoes`` (the target's parameter names: a summary that repeats
    a parameter, like ``canopy_target``, only mirrors the input) are left out.

    Examples
    --------
    >>> default_metrics({"n": 3, "share": 0.5, "ok": True, "name": "x", "per": {"a": 1}})
    ['n', 'share']
    >>> default_metrics({"n": 3, "radius_m": 10.0}, echoes=["radius_m"])
    ['n']
    """
    return [k for k, v in summary.items() if _number(v) is not None and k not in echoes]


def elasticity(
    values: Sequence[Any], results: Sequence[float | None], p0: Any, m0: float | None
) -> float | None:
    """Return the arc elasticity of a metric at the baseline, or None where undefined.

    With ``lo`` the largest swept value below the baseline ``p0`` and ``hi`` the
    smallest above it (each replaced by the baseline itself when there is none, or
    its run was invalid or empty):
    ``((M(hi) - M(lo)) / M0) / ((hi - lo) / p0)`` — the relative change of the metric
    per relative change of the parameter around the baseline. Undefined for
    non-numeric parameters and where ``p0`` or ``M0`` is zero.

    Examples
    --------
    >>> elasticity([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 2.0, 20.0)  # proportional: 1
    1.0
    >>> elasticity([0.0, 10.0], [5.0, 5.0], 4.0, 5.0)
    0.0
    >>> elasticity([1.0, 3.0], [1.0, 2.0], 2.0, 0.0) is None
    True
    """
    p = _number(p0)
    if p is None or m0 is None or p == 0 or m0 == 0:
        return None
    lo: tuple[float, float] = (p, m0)
    hi: tuple[float, float] = (p, m0)
    for v, m in zip(values, results, strict=True):
        x = _number(v)
        if x is None or m is None:
            continue
        if x < p and (lo[0] == p or x > lo[0]):
            lo = (x, m)
        if x > p and (hi[0] == p or x < hi[0]):
            hi = (x, m)
    if hi[0] == lo[0]:
        return None
    return ((hi[1] - lo[1]) / m0) / ((hi[0] - lo[0]) / p)


# ------------------------------------------------------------------------ the kernel


def _nested_error(err: InputError) -> InputError:
    """Return ``err`` of the target re-addressed to this process's ``inputs`` input."""
    return InputError("inputs", f"inputs.{err.input_name}: {err.reason}")


def _check_inline(inputs: Mapping[str, Any]) -> None:
    for name, value in inputs.items():
        if isinstance(value, Mapping) and "href" in value and "features" not in value:
            raise InputError(
                "inputs",
                f"inputs.{name}: inputs by reference (href) are not fetched inside `inputs`; "
                f"give the reference as this process's input '{name}', or the layer inline",
            )


def read_parameters(
    target: Indicator,
    names: Sequence[str] | None,
    base_params: Mapping[str, Any],
    raw: Mapping[str, Any],
) -> list[str]:
    """Return the parameters to vary: ``names``, or the default ones this request reads.

    A parameter the request does not read (``idw_power`` without ``exposure_points``)
    would be reported insensitive, swing 0: named, it is refused; by default, left out.

    Raises
    ------
    InputError
        Input ``parameters``, naming one the target's request leaves unread and why.
    """
    declared = {p.name: p for p in target.parameters}
    if names is None:
        return [
            n
            for n in default_parameters(target)
            if declared[n].ignored_by(base_params, raw) is None
        ]
    for name in names:
        p = declared.get(name)
        if p is not None and (why := p.ignored_by(base_params, raw)) is not None:
            raise InputError(
                "parameters",
                f"'{name}' is not read by this request of '{target.id}' ({why}): varying it "
                "would show no effect",
            )
    return list(names)


def _plan(target: Indicator, names: Sequence[str] | None, steps: int) -> list[Sweep]:
    declared = {p.name: p for p in target.parameters}
    ok = [p.name for p in target.parameters if sweepable(p)]
    if names is None:
        names = default_parameters(target)
    plan: list[Sweep] = []
    for name in dict.fromkeys(names):
        p = declared.get(name)
        if p is None:
            raise InputError(
                "parameters",
                f"'{name}' is not a parameter of process '{target.id}'; parameters with a "
                f"range: {ok}",
            )
        if not sweepable(p):
            raise InputError(
                "parameters",
                f"'{name}' of process '{target.id}' has no plausible range (minimum and "
                f"maximum, or enum) to vary; parameters with a range: {ok}",
            )
        plan.append(sweep_values(p, steps))
    return plan


def _runs_needed(plan: Sequence[Sweep], baseline: Mapping[str, Any]) -> int:
    """Return the kernel runs of a plan: the baseline plus every value not equal to it."""
    return 1 + sum(sum(1 for v in s.values if not _same(v, baseline.get(s.name))) for s in plan)


def _run(
    target: Indicator, layers: Mapping[str, geo.Layer], params: dict[str, Any]
) -> tuple[Mapping[str, Any], list[dict[str, Any]]]:
    """Run the target's kernel through the runner; return its unrounded summary and warnings."""
    from gsl_indicators.core.assemble import summary_of
    from gsl_indicators.core.run import compute_metrics

    run_ctx = Context()
    result = compute_metrics(target, layers, params, run_ctx)
    return summary_of(target, params, result, rounded=False), run_ctx.warnings


def _stats(
    sweep: Sweep,
    results: Sequence[Mapping[str, Any] | None],
    metric: str,
    p0: Any,
    m0: float | None,
) -> dict[str, Any]:
    vals = [None if r is None else _number(metric_value(r, metric)) for r in results]
    seen = [v for v in [m0, *vals] if v is not None]
    lo = min(seen) if seen else None
    hi = max(seen) if seen else None
    return {
        "values": vals,
        "baseline": m0,
        "min": lo,
        "max": hi,
        "swing": None if lo is None or hi is None else hi - lo,
        "elasticity": elasticity(sweep.values, vals, p0, m0) if sweep.kind == "range" else None,
    }


@dataclass
class Baseline:
    """The target, its inputs parsed once, and its baseline run."""

    target: Indicator
    given: dict[str, Any]
    params: dict[str, Any]
    layers: dict[str, geo.Layer]
    crs: str | None
    summary: Mapping[str, Any]
    ctx: Context
    metrics: Metrics


def resolve_target(
    params: Mapping[str, Any], given: Collection[str] = ()
) -> tuple[Indicator, Mapping[str, Any]]:
    """Return the indicator to analyse and its raw inputs (refusing what cannot run).

    ``given``: the geo inputs given to this process itself (inline or by reference),
    which the target reads beside those inline in ``inputs``.
    """
    from gsl_indicators.core.spec import registry

    process = params["process"]
    if process == PROCESS_ID or process not in registry():
        raise InputError("process", f"unknown process {process!r}; choose one of {_TARGETS}")
    target = registry().get(process)
    if not any(o.name == "summary" for o in target.all_outputs):
        raise InputError("process", f"process '{process}' has no `summary` output to track")
    raw = params["inputs"]
    if not isinstance(raw, Mapping):
        raise InputError("inputs", "must be an object of the inputs of `process`")
    _check_inline(raw)
    _check_given(target, raw, given)
    return target, raw


def _check_given(target: Indicator, raw: Mapping[str, Any], given: Collection[str]) -> None:
    """Refuse a layer given to this process that the target does not read, or given twice."""
    reads = [gi.name for gi in target.inputs]
    for name in given:
        if name not in reads:
            raise InputError(
                name,
                f"'{target.id}' does not read '{name}'"
                + (f"; its geo inputs: {reads}" if reads else "; it has no geo inputs"),
            )
        if raw.get(name) is not None:
            raise InputError(
                name,
                f"given twice: as this input and as inputs.{name}; give the layer once",
            )


def baseline_parameters(
    target: Indicator, raw: Mapping[str, Any], given: Collection[str] = ()
) -> dict[str, Any]:
    """Return the target's parameters after defaults (its errors re-addressed to ``inputs``).

    ``given``: the geo inputs given to this process itself, present for the target too.
    """
    present = {**raw, **dict.fromkeys(given, True)}
    try:
        params = target.validate_parameters(raw)
    except InputError as err:
        raise _nested_error(err) from None
    try:
        target.check_geo_inputs(present)
    except InputError as err:  # a layer: named as this process's input, either way works
        what = err.reason.removeprefix("required inputs are missing: ")
        if what == "required input is missing":
            what = err.input_name
        raise InputError(
            err.input_name,
            f"layers that '{target.id}' needs are missing: {what}; give each as an input "
            "of this process (inline or by reference) or inline in `inputs`",
        ) from None
    try:
        if target.check is not None:  # a scoreboard's card, a comparison's variants
            target.check(params, present)
    except InputError as err:
        raise _nested_error(err) from None
    return params


def run_baseline(
    target: Indicator,
    raw: Mapping[str, Any],
    params: dict[str, Any],
    ctx: Context,
    given: Mapping[str, Any] | None = None,
    varied: Sequence[Mapping[str, Any]] = (),
) -> Baseline:
    """Parse the target's geo inputs once and run it at the baseline ``params`` (unrounded).

    ``given``: the geo inputs given to this process itself, as given (inline, or files
    by reference): parsed together with those inline in ``inputs``, with the target's
    own declarations — one working CRS, the same repairs, drops and warnings as a
    request to the target. An error about one of them names it; one about a layer in
    ``inputs`` names ``inputs``. ``varied``: the parameter sets the analysis will run;
    a layer the baseline leaves unread is reported (``input-ignored``) unless one of
    them reads it.
    """
    from gsl_indicators.core.assemble import summary_of
    from gsl_indicators.core.run import compute_metrics, warn_ignored

    geo_names = {gi.name for gi in target.inputs}
    given = dict(given or {})
    merged = {**raw, **given}
    base_ctx = Context()
    try:
        ctx.progress(0.0, "reading inputs")
        layers, crs = geo.read_layers(target.inputs, merged, base_ctx) if target.geo else ({}, None)
        warn_ignored(target, params, merged, base_ctx, varied)
        ctx.progress(0.05, "baseline run")
        result = compute_metrics(target, layers, dict(params), base_ctx)
    except InputError as err:
        if err.input_name in given:  # a layer given to this process: its own name
            raise
        raise _nested_error(err) from None
    return Baseline(
        target=target,
        given={k: v for k, v in raw.items() if k not in geo_names},
        params=params,
        layers=layers,
        crs=crs,
        summary=summary_of(target, params, result, rounded=False),
        ctx=base_ctx,
        metrics=result,
    )


def tracked_metrics(base: Baseline, names: Sequence[str] | None) -> list[str]:
    """Return the summary entries to track: ``names``, else every numeric top-level one."""
    if names is None:
        return default_metrics(base.summary, [p.name for p in base.target.parameters])
    metrics = list(dict.fromkeys(names))
    for m in metrics:
        if not _has_path(base.summary, m):
            raise InputError(
                "metrics",
                f"'{m}' is not in the summary of '{base.target.id}'; numeric entries: "
                f"{default_metrics(base.summary)} (dots step into nested objects)",
            )
    return metrics


def sweep_parameter(
    base: Baseline, sweep: Sweep, metrics: Sequence[str], progress: Callable[[str], None]
) -> dict[str, Any]:
    """Run the target once per value of ``sweep`` (the baseline value reuses the baseline)."""
    p0 = base.params.get(sweep.name)
    m0 = {m: _number(metric_value(base.summary, m)) for m in metrics}
    base_codes = {w["code"] for w in base.ctx.warnings}
    results: list[Mapping[str, Any] | None] = []
    rejected: list[dict[str, Any]] = []
    new_codes: set[str] = set()
    for value in sweep.values:
        if _same(value, p0):
            results.append(base.summary)
            continue
        progress(sweep.name)
        try:
            varied = base.target.validate_parameters({**base.given, sweep.name: value})
            summary, warnings = _run(base.target, base.layers, varied)
        except InputError as err:
            results.append(None)
            rejected.append({"value": value, "input": err.input_name, "reason": err.reason})
            continue
        results.append(summary)
        new_codes |= {w["code"] for w in warnings} - base_codes
    return {
        "kind": sweep.kind,
        **({"range_from": sweep.range_from} if sweep.range_from else {}),
        "baseline": p0,
        "values": list(sweep.values),
        "invalid": rejected,
        "new_warnings": sorted(new_codes),
        "metrics": {m: _stats(sweep, results, m, p0, m0[m]) for m in metrics},
    }


def tornado_of(
    sensitivity: Mapping[str, Mapping[str, Any]], metrics: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Return, per metric, the parameters by descending swing (with min and max).

    Examples
    --------
    >>> s = {"a": {"metrics": {"m": {"swing": 1.0, "min": 0.0, "max": 1.0}}},
    ...      "b": {"metrics": {"m": {"swing": 3.0, "min": 0.0, "max": 3.0}}}}
    >>> [r["parameter"] for r in tornado_of(s, ["m"])["m"]]
    ['b', 'a']
    """
    tornado: dict[str, list[dict[str, Any]]] = {}
    for m in metrics:
        rows = [
            {
                "parameter": name,
                "swing": s["metrics"][m]["swing"],
                "min": s["metrics"][m]["min"],
                "max": s["metrics"][m]["max"],
            }
            for name, s in sensitivity.items()
            if s["metrics"][m]["swing"] is not None
        ]
        tornado[m] = sorted(rows, key=lambda r: -r["swing"])
    return tornado


def record(
    base: Baseline, ctx: Context, runs: int, invalid: int, given: Collection[str] = ()
) -> None:
    """Pass the baseline's data quality through and note the target analysed.

    ``given``: the names of the layers given to this process itself (its provenance's
    ``inputs``).
    """
    ctx.warnings.extend(base.ctx.warnings)
    # the target's working CRS (of the layers given here and in `inputs`; none for mkba),
    # and the layers given to this process as a request records its inputs
    ctx.provenance["crs"] = base.crs
    digests = ctx.input_digests
    ctx.provenance["inputs"] = {
        name: {
            "features": len(layer.features),
            "features_given": layer.given,
            "crs": layer.source_crs,
            "digest": digests.get(name),
        }
        for name, layer in base.layers.items()
        if name in given
    }
    if base.ctx.notes:
        ctx.note("baseline", base.ctx.notes)
    ctx.note(
        "target",
        {
            "process": base.target.id,
            "version": base.target.version,
            "crs": base.crs,
            "inputs": {name: len(layer) for name, layer in base.layers.items()},
        },
    )
    if invalid:
        ctx.warn(
            "invalid-combinations",
            "parameters",
            f"{invalid} of {runs - 1} varied runs were rejected by '{base.target.id}' (see "
            "`sensitivity.<parameter>.invalid`); their metric values are empty",
            invalid,
        )


def compute(layers: Mapping[str, Any], params: dict[str, Any], ctx: Context) -> Metrics:
    """Run the sensitivity analysis by the requested ``method`` (see the method text).

    ``layers``: the geo inputs given to this process, as given (``reads_inputs``: the
    target's declarations parse them, :func:`run_baseline`).
    """
    if params["method"] == "monte-carlo":
        return compute_monte_carlo(params, ctx, layers)
    return compute_one_at_a_time(params, ctx, layers)


def check_request(params: Mapping[str, Any], inputs: Mapping[str, Any] | None = None) -> None:
    """Refuse an analysis that cannot run when the request comes in, not in its job.

    The target process, its inputs (inline, its parameters, its required layers — in
    ``inputs`` or given to this process), the layers given to this process (read by the
    target, not twice), the parameters to vary or the distributions, and the runs
    against ``max_runs``: what the kernel checks before its first run. The geometries
    are parsed in the job.
    """
    given = _given_names(inputs or {})
    if params["method"] == "monte-carlo":
        _monte_carlo_plan(params, given)
    else:
        _one_at_a_time_plan(params, given)


def _given_names(inputs: Mapping[str, Any]) -> list[str]:
    """Return the names of the geo inputs given to this process itself."""
    return [gi.name for gi in GEO_INPUTS if inputs.get(gi.name) is not None]


def _monte_carlo_plan(
    params: Mapping[str, Any], given: Collection[str] = ()
) -> tuple[Indicator, Mapping[str, Any], Any, dict[str, Any]]:
    """Return the target, its raw inputs, the parsed uncertainty and the baseline parameters."""
    from gsl_indicators.core.uncertainty import check_read, parse_spec

    target, raw = resolve_target(params, given)
    if params["uncertainty"] is None:
        raise InputError(
            "uncertainty",
            "method 'monte-carlo' needs `uncertainty`: the distributions of parameters and "
            "the errors on data of the target (see docs/uncertainty.md)",
        )
    for name, unused in (("parameters", None), ("steps", STEPS_DEFAULT)):
        if params.get(name) != unused:  # what only one-at-a-time reads: never ignored
            raise InputError(
                name,
                f"`{name}` is read by method 'one-at-a-time' only; with 'monte-carlo' the "
                "parameters varied and how are the distributions in `uncertainty`",
            )
    spec = parse_spec(target, params["uncertainty"])
    base_params = baseline_parameters(target, raw, given)
    check_read(target, spec, base_params, {**raw, **dict.fromkeys(given, True)})
    if params["metrics"] is not None and spec.metrics is None:
        try:
            spec = parse_spec(target, {**params["uncertainty"], "metrics": params["metrics"]})
        except InputError as err:
            raise InputError("metrics", err.reason.removeprefix("metrics: ")) from None
    if spec.samples + 1 > params["max_runs"]:
        raise InputError(
            "uncertainty",
            f"samples: {spec.samples} samples and the baseline need {spec.samples + 1} runs, "
            f"more than max_runs = {params['max_runs']}; lower `samples` or raise `max_runs`",
        )
    return target, raw, spec, base_params


def compute_monte_carlo(
    params: dict[str, Any], ctx: Context, layers: Mapping[str, Any] | None = None
) -> Metrics:
    """Run the Monte-Carlo analysis: the uncertainty engine on the target (parsed once).

    ``layers``: those given to this process itself (see :func:`run_baseline`).
    """
    from gsl_indicators.core.uncertainty import uncertainty_report

    layers = layers or {}
    target, raw, spec, base_params = _monte_carlo_plan(params, list(layers))
    varied = [
        {**base_params, name: value}
        for name, dist in spec.parameters.items()
        for value in getattr(dist, "values", ())
    ]
    base = run_baseline(target, raw, base_params, ctx, layers, varied)
    try:
        report = uncertainty_report(target, base.layers, base_params, base.metrics, spec, ctx)
    except InputError as err:
        raise _nested_error(err) from None
    record(base, ctx, 1 + spec.samples, 0, layers)
    ctx.progress(1.0, "done")
    return Metrics(
        overall={
            "runs": 1 + spec.samples,
            "invalid_runs": spec.samples - report["valid_samples"],
            "parameters_varied": len(spec.parameters),
            "metrics_tracked": len(report["metrics"]),
        },
        outputs={
            "baseline": {
                "parameters": {name: base.params.get(name) for name in spec.parameters},
                "summary": dict(base.summary),
            },
            "uncertainty": report,
        },
    )


def _one_at_a_time_plan(
    params: Mapping[str, Any], given: Collection[str] = ()
) -> tuple[Indicator, Mapping[str, Any], dict[str, Any], list[Sweep], int]:
    """Return the target, its raw inputs, the baseline parameters, the sweeps and the runs."""
    if params["uncertainty"] is not None:
        raise InputError(
            "uncertainty", "distributions are used by method 'monte-carlo' only; set `method`"
        )
    target, raw = resolve_target(params, given)
    steps = int(params["steps"])
    base_params = baseline_parameters(target, raw, given)
    names = read_parameters(
        target, params["parameters"], base_params, {**raw, **dict.fromkeys(given, True)}
    )
    plan = _plan(target, names, steps)
    needed = _runs_needed(plan, base_params)
    if needed > params["max_runs"]:
        raise InputError(
            "steps" if any(s.kind == "range" for s in plan) else "parameters",
            f"{len(plan)} parameters at up to {steps} steps need {needed} runs, more than "
            f"max_runs = {params['max_runs']}; lower `steps`, name fewer `parameters`, or "
            "raise `max_runs`",
        )
    return target, raw, base_params, plan, needed


def compute_one_at_a_time(
    params: dict[str, Any], ctx: Context, layers: Mapping[str, Any] | None = None
) -> Metrics:
    """Run the one-at-a-time sensitivity analysis.

    ``layers``: those given to this process itself (see :func:`run_baseline`).
    """
    layers = layers or {}
    target, raw, base_params, plan, needed = _one_at_a_time_plan(params, list(layers))
    varied = [{**base_params, s.name: v} for s in plan for v in s.values]
    base = run_baseline(target, raw, base_params, ctx, layers, varied)
    metrics = tracked_metrics(base, params["metrics"])
    runs = [1]

    def progress(name: str) -> None:
        ctx.progress(0.05 + 0.95 * runs[0] / needed, f"run {runs[0] + 1} of {needed}: {name}")
        runs[0] += 1

    with shared_work():  # what no swept parameter changes is computed once
        sensitivity = {s.name: sweep_parameter(base, s, metrics, progress) for s in plan}
    invalid = sum(len(s["invalid"]) for s in sensitivity.values())
    record(base, ctx, runs[0], invalid, layers)
    tornado = tornado_of(sensitivity, metrics)
    ctx.progress(1.0, "done")
    return Metrics(
        overall={
            "runs": runs[0],
            "invalid_runs": invalid,
            "parameters_varied": len(plan),
            "metrics_tracked": len(metrics),
        },
        outputs={
            "most_sensitive": {
                m: rows[0]["parameter"] if rows and rows[0]["swing"] > 0 else None
                for m, rows in tornado.items()
            },
            "baseline": {
                "parameters": {s.name: base.params.get(s.name) for s in plan},
                "summary": dict(base.summary),
            },
            "sensitivity": sensitivity,
            "tornado": tornado,
        },
    )


def _m(id_: str, nl: str, en: str, **kw: Any) -> Metric:
    return Metric(id_, {"nl": nl, "en": en}, "count", digits=0, **kw)


METRICS = (
    _m("runs", "Runs", "Runs", description="Kernel runs made, the baseline included."),
    _m(
        "invalid_runs",
        "Ongeldige runs",
        "Invalid runs",
        description="Varied runs the target rejected (invalid parameter combinations).",
    ),
    _m("parameters_varied", "Gevarieerde parameters", "Parameters varied"),
    _m("metrics_tracked", "Gevolgde metrieken", "Metrics tracked"),
)

_OTHERS = _targets()
_TARGETS = tuple(sorted(ind.id for ind in _OTHERS))

GEO_INPUTS = union_inputs([ind for ind in _OTHERS if not ind.runs_others])
"""The layers the targets read, as this process's own optional geo inputs: given here
(inline or by reference — GeoJSON, FlatGeobuf, GeoParquet, OGC API – Features, under
the service's limits) instead of inline in ``inputs``."""

INDICATORS = (
    Indicator(
        id=PROCESS_ID,
        version="3.1.0",
        title={"nl": "Gevoeligheidsanalyse", "en": "Sensitivity analysis"},
        description={
            "nl": "Hoeveel verandert de uitkomst van een indicator als de parameters binnen "
            "hun plausibele bereik variëren? Eén-voor-één-analyse met tornado-rangorde.",
            "en": "How much does an indicator's answer move when its parameters move within "
            "their plausible ranges? One-at-a-time analysis with a tornado ranking.",
        },
        theme="uncertainty",
        method=(
            "One-at-a-time (OAT) analysis of the indicator `process` on `inputs` (its inputs; "
            "its geo inputs inline there, or given to this process by name, inline or by "
            "reference, since 3.1.0). The geo inputs are parsed once; the kernel then runs at the "
            "baseline (the parameters given in `inputs`, else the defaults) and once for each "
            "value of each varied parameter with every other parameter at the baseline: "
            "`steps` evenly spaced values across the parameter's declared plausible range (else its "
            "valid minimum to maximum; `range_from` says which) "
            "(integers rounded, duplicates dropped), every value of an enum, false and true of "
            "a boolean. A value equal to the baseline reuses the baseline run. Each value is "
            "validated by the target's own parameter model and cross-field checks; a run the "
            "target rejects is reported as an invalid combination (empty metric values), not "
            "as a failure. For every varied parameter and tracked metric (by default the numeric "
            "top-level entries of the target's `summary`, except those that only repeat a "
            "parameter; `metrics` may name others, dotted names reaching nested entries) the result gives the "
            "metric value per parameter value, its min, max and swing (max - min over the "
            "baseline and the valid runs), and the arc elasticity at the baseline "
            "((M(hi) - M(lo)) / M0) / ((hi - lo) / p0) with lo and hi the swept values next "
            "below and above the baseline p0 (the baseline itself where there is none; empty "
            "where p0 or M0 is 0 or for enums). The tornado lists, per metric, the parameters "
            "by descending swing. The baseline run's data-quality warnings are passed through. "
            "The summary gives the counts (runs, invalid runs, parameters varied, metrics "
            "tracked); the sweep tables (`sensitivity`, `tornado`, `baseline`, "
            "`most_sensitive`) are further outputs. "
            "OAT shows each parameter's own effect, not interactions between parameters. "
            "With `method` 'monte-carlo' the parameters vary together instead: `uncertainty` "
            "declares distributions for parameters and errors on the geo inputs, and the "
            "uncertainty engine (the same as every indicator's `uncertainty` parameter, "
            "docs/uncertainty.md) draws its seeded samples on the layers parsed once; the "
            "`uncertainty` output gives per overall metric the baseline, mean, sd, p5, p50, "
            "p95, and for scored metrics the score's percentiles and the probability of "
            "meeting the norm (the band's minimum). Both methods read the kernel's unrounded "
            "values (since 3.0.0; before, the values rounded to the declared digits, which "
            "leaked into elasticities), and sweep a parameter's declared plausible range "
            "where it has one (since 3.0.0; e.g. tree distance 10–50 m, not the valid 1–200 m)."
        ),
        compute=compute,
        check=check_request,
        runs_others=True,
        inputs=GEO_INPUTS,
        reads_inputs=True,
        parameters=(
            Parameter(
                "method",
                "Method",
                "'one-at-a-time': sweep each parameter alone over its plausible range; "
                "'monte-carlo': draw samples of the distributions and data errors in "
                "`uncertainty`.",
                "string",
                default="one-at-a-time",
                enum=("one-at-a-time", "monte-carlo"),
            ),
            replace(
                UNCERTAINTY_PARAMETER,
                description="Method 'monte-carlo': what is uncertain in `inputs` — the same "
                "object as every indicator's own `uncertainty` input (docs/uncertainty.md).",
            ),
            Parameter(
                "process",
                "Process",
                "Id of the indicator to analyse.",
                "string",
                required=True,
                enum=_TARGETS,
            ),
            Parameter(
                "inputs",
                "Inputs",
                "The inputs of `process`, as in its own execute request. Parameters given "
                "here are the baseline. Its geo inputs either inline here "
                "(FeatureCollections), or as inputs of this process (inline or by "
                "reference: GeoJSON, FlatGeobuf, GeoParquet, OGC API – Features), not both.",
                "object",
                required=True,
            ),
            Parameter(
                "parameters",
                "Parameters to vary",
                "Names of parameters of `process` to vary. Default: every numeric parameter "
                f"with a minimum and maximum, every boolean, and enums of at most {SMALL_ENUM} "
                "values.",
                "array",
                default=None,
                nullable=True,
                schema={"items": {"type": "string"}},
            ),
            Parameter(
                "steps",
                "Steps",
                "Values per numeric parameter, evenly spaced from its minimum to its maximum.",
                "integer",
                default=STEPS_DEFAULT,
                minimum=2,
                maximum=21,
            ),
            Parameter(
                "metrics",
                "Metrics",
                "Summary entries of `process` to track (dots reach nested entries, e.g. "
                "`addresses_per_class.1`). Default: every numeric top-level entry.",
                "array",
                default=None,
                nullable=True,
                schema={"items": {"type": "string"}},
            ),
            Parameter(
                "max_runs",
                "Maximum runs",
                "Upper bound on kernel runs (baseline included; in 'monte-carlo' the samples "
                "and the baseline); a larger plan is refused.",
                "integer",
                default=250,
                minimum=1,
                maximum=MAX_SAMPLES + 1,
            ),
        ),
        metrics=METRICS,
        outputs=(
            Output(
                "most_sensitive",
                "Most sensitive",
                "Per tracked metric: the parameter with the largest swing (null: none moves it).",
            ),
            Output(
                "baseline",
                "Baseline",
                "The varied parameters' baseline values and the target's baseline `summary`.",
            ),
            Output(
                "sensitivity",
                "Sensitivity",
                "Per parameter: kind, baseline, swept `values`, `invalid` runs, warnings new to "
                "the sweep, and per metric the `values`, `baseline`, `min`, `max`, `swing` and "
                "`elasticity`.",
            ),
            Output(
                "tornado",
                "Tornado",
                "Per metric: the parameters ordered by descending swing, with min and max.",
            ),
            replace(
                UNCERTAINTY_OUTPUT,
                description="Method 'monte-carlo': " + UNCERTAINTY_OUTPUT.description,
            ),
        ),
        sources=(
            Source(
                "Saltelli et al. 2008",
                "Saltelli, A. et al. (2008). Global Sensitivity Analysis: The Primer. Wiley.",
                "https://doi.org/10.1002/9780470725184",
            ),
            Source(
                "Mitelsztedt et al. 2025; Croeser et al. 2024",
                "Mitelsztedt et al. (2025) and Croeser et al. (2024) show the '3' of 3-30-300 "
                "to be sensitive to method and parameters (cited in the GSL domain notes).",
            ),
        ),
        keywords=("sensitivity", "uncertainty", "tornado", "one-at-a-time"),
        geo=True,
        example={
            "process": "urbanity-class",
            "inputs": {
                "addresses": rd_collection(
                    point_feature(121000.0 + x, 487000.0, f"a{i}")
                    for i, x in enumerate((0.0, 1000.0, 3000.0))
                )
            },
            "parameters": ["radius_m"],
            "steps": 5,
        },
    ),
)
