"""Parts of a composite run: one indicator of a menu card, cached under a key of its own.

The scoreboard and the scenario comparison run several indicators on one set of
parsed layers. Each indicator's **part** is keyed by what it reads — its id, version,
parameters after defaults and the digests of the layers it uses — so a re-run in which
one layer changed recomputes only the indicators that read that layer, and an unchanged
indicator of a variant is never computed twice.

Examples
--------
>>> memo = MemoPartCache(max_entries=2)
>>> memo.put("a", {"x": 1}); memo.put("b", {"x": 2}); memo.put("c", {"x": 3})
>>> memo.get("a") is None, memo.get("c")
(True, {'x': 3})
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gsl_indicators.core.canonical import digest
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.sources import TableFeatures
from gsl_indicators.core.spec import Context, Indicator, InputError, PartCache

__all__ = ["MEMO", "MemoPartCache", "Part", "layer_digest", "part_key", "run_parts"]


class MemoPartCache:
    """An in-process, bounded, thread-safe :class:`~gsl_indicators.core.spec.PartCache`."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the part under ``key`` (most recently used), else ``None``."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value``; the least recently used part goes beyond ``max_entries``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)


MEMO = MemoPartCache(max_entries=32)
"""The process-wide memo used when the caller gives no part cache."""


def layer_digest(layer: Layer) -> str:
    """Return the digest of a parsed layer: its kept features and source CRS."""
    if isinstance(layer.features, TableFeatures):  # read from a file: its rows, not dicts
        return digest(
            {
                "crs": layer.source_crs,
                "table": layer.features.digest(),
                "index": layer.index.tolist(),
            }
        )
    return digest({"crs": layer.source_crs, "features": layer.features})


def part_key(indicator: Indicator, params: Mapping[str, Any], digests: Mapping[str, str]) -> str:
    """Return the key of one indicator's part: id, version, parameters, input digests.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> ind = registry().get("play-space")
    >>> part_key(ind, {"a": 1}, {"n": "d"}) == part_key(ind, {"a": 1}, {"n": "d"})
    True
    >>> part_key(ind, {"a": 1}, {"n": "d"}) != part_key(ind, {"a": 1}, {"n": "e"})
    True
    """
    return digest(
        {
            "part": indicator.id,
            "version": indicator.version,
            "parameters": dict(params),
            "inputs": dict(digests),
        }
    )


@dataclass
class Part:
    """One indicator run of a composite process.

    Attributes
    ----------
    indicator : Indicator
        What runs.
    params : dict
        Its parameters after defaults.
    layers : dict
        The parsed layers it reads (a subset of the composite's).
    missing : list of str
        Required inputs that are absent: the part is not run ("not assessed").
    key : str
        Its cache key (empty when not run).
    outputs : dict
        Its assembled outputs (bare values) once run.
    cache : {"hit", "miss", "not run", "refused"}
        Where the outputs came from (``refused``: the kernel refused the inputs).
    warnings : list of dict
        Its data-quality warnings.
    error : str, optional
        Why the kernel refused the inputs (an :class:`InputError`), naming the input.
    """

    indicator: Indicator
    params: dict[str, Any]
    layers: dict[str, Layer]
    missing: list[str] = field(default_factory=list)
    key: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    cache: str = "not run"
    warnings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def make_part(
    indicator: Indicator,
    params: Mapping[str, Any],
    layers: Mapping[str, Layer],
    digests: Mapping[str, str],
) -> Part:
    """Return the part of ``indicator`` on ``layers``, its missing inputs and its key.

    Raises
    ------
    InputError
        When the parameters do not validate for the indicator.
    """
    checked = indicator.validate_parameters(params)
    used = {gi.name: layers[gi.name] for gi in indicator.inputs if gi.name in layers}
    missing = [gi.name for gi in indicator.inputs if gi.required and gi.name not in layers]
    part = Part(indicator, checked, used, missing)
    if not missing:
        part.key = part_key(indicator, checked, {n: digests[n] for n in used})
    return part


def _compute(part: Part) -> None:
    from gsl_indicators.core.run import compute_outputs

    ctx = Context()
    try:
        part.outputs = compute_outputs(part.indicator, part.layers, dict(part.params), ctx)
    except InputError as err:
        # the layers of a whole design may not suit one of its indicators (soil reads
        # buildings only together with contamination zones): that part is not
        # assessed, and says why; the other parts stand
        part.error, part.missing, part.cache = str(err), [err.input_name], "refused"
        return
    part.warnings = [{**w, "indicator": part.indicator.id} for w in ctx.warnings]
    part.cache = "miss"


def run_parts(parts: Sequence[Part], cache: PartCache | None = None, workers: int = 2) -> None:
    """Compute every runnable part that the cache does not hold, in parallel threads.

    Parts with the same key are computed once. The kernels are numpy and shapely
    code that releases the GIL for most of its work, so two threads use two cores.
    """
    store: PartCache = cache if cache is not None else MEMO
    todo: dict[str, Part] = {}
    for part in parts:
        if part.missing:
            continue
        hit = store.get(part.key)
        if hit is not None:
            part.outputs, part.warnings, part.cache = hit["outputs"], hit["warnings"], "hit"
        elif part.key not in todo:
            todo[part.key] = part
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(_compute, todo.values()))
    for key, done in todo.items():
        if done.error is None:
            store.put(key, {"outputs": done.outputs, "warnings": done.warnings})
    for part in parts:  # duplicates of a computed part share its outputs (or refusal)
        if part.cache == "not run" and part.key in todo:
            src = todo[part.key]
            part.outputs, part.warnings = src.outputs, src.warnings
            part.error, part.missing = src.error, list(src.missing)
            part.cache = "hit" if src.error is None else "refused"
