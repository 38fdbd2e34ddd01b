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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gsl_indicators.core.canonical import digest
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.sources import TableFeatures
from gsl_indicators.core.spec import (
    Context,
    GeoInput,
    Indicator,
    InputError,
    PartCache,
    ProgressFn,
)
from gsl_indicators.core.tile_files import Undefer

if TYPE_CHECKING:
    from gsl_indicators.core.tiling import TileOptions

__all__ = ["MEMO", "MemoPartCache", "Part", "in_tiles", "layer_digest", "part_key", "run_parts"]


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
    if not isinstance(layer, Layer):  # a DeferredLayer: its file's digest is the runner's
        raise TypeError(f"layer {getattr(layer, 'name', '?')!r} was not read: no digest of it")
    if isinstance(layer.features, TableFeatures):  # read from a file: its rows, not dicts
        return digest(
            {
                "crs": layer.source_crs,
                "table": layer.features.digest(),
                "index": layer.index.tolist(),
            }
        )
    return digest({"crs": layer.source_crs, "features": layer.features})


def union_inputs(indicators: Sequence[Indicator]) -> tuple[GeoInput, ...]:
    """Return one optional geo input per name any of ``indicators`` reads.

    The geo inputs of a process that runs others (a scoreboard, a sensitivity analysis):
    geometry types and properties are united (a property indicators describe
    differently keeps every text, each named after the indicator that reads it so);
    the description says who reads it.
    """
    by_name: dict[str, list[tuple[Indicator, GeoInput]]] = {}
    for ind in indicators:
        for gi in ind.inputs:
            by_name.setdefault(gi.name, []).append((ind, gi))
    out = []
    for name, uses in by_name.items():
        first = uses[0][1]
        types = tuple(dict.fromkeys(t for _, gi in uses for t in gi.geometry_types))
        texts: dict[str, dict[str, str]] = {}  # property → text → first reader
        for ind, gi in uses:
            for key, about in gi.properties.items():
                texts.setdefault(key, {}).setdefault(about, ind.id)
        # a property read by several, each its own way: every reading, by its reader
        props = {
            key: next(iter(by)) if len(by) == 1 else "; ".join(f"{i}: {t}" for t, i in by.items())
            for key, by in texts.items()
        }
        # a property several check: what every one of them accepts
        ranges: dict[str, tuple[float, float]] = {}
        for _, gi in uses:
            for key, (lo, hi) in gi.ranges.items():
                was = ranges.get(key, (lo, hi))
                ranges[key] = (max(was[0], lo), min(was[1], hi))
        readers = ", ".join(sorted(ind.id for ind, _ in uses))
        out.append(
            GeoInput(
                name,
                first.title,
                f"{first.description} Read by: {readers}.",
                types,
                required=False,
                properties=props,
                ranges=ranges,
            )
        )
    return tuple(out)


def part_key(indicator: Indicator, params: Mapping[str, Any], digests: Mapping[str, str]) -> str:
    """Return the key of one indicator's part: id, version, parameters, input digests.

    The version is its cache key's (:func:`~gsl_indicators.core.run.key_version`): with
    the versions of the indicators it uses.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> ind = registry().get("play-space")
    >>> part_key(ind, {"a": 1}, {"n": "d"}) == part_key(ind, {"a": 1}, {"n": "d"})
    True
    >>> part_key(ind, {"a": 1}, {"n": "d"}) != part_key(ind, {"a": 1}, {"n": "e"})
    True
    """
    from gsl_indicators.core.run import key_version

    return digest(
        {
            "part": indicator.id,
            "version": key_version(indicator),
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
    tiles : int or str, optional
        How a large part ran (:func:`run_parts` with tile options): its number of
        tiles, or ``"run whole"``; ``None`` for a small part, a part run without tile
        options, or one taken from the part cache (a duplicate of a part computed in the
        same run shares its ``tiles``).
    tiles_reason : str, optional
        Why a large part ran whole (the indicator's own words).
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
    tiles: int | str | None = None
    tiles_reason: str | None = None


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


def _compute(
    part: Part, tiles: TileOptions | None = None, on_progress: ProgressFn | None = None
) -> None:
    from gsl_indicators.core.run import compute_outputs

    ctx = Context(on_progress=on_progress)
    try:
        part.outputs = compute_outputs(
            part.indicator, part.layers, dict(part.params), ctx, tiles, features_as_columns=True
        )
    except InputError as err:
        # the layers of a whole design may not suit one of its indicators (soil reads
        # buildings only together with contamination zones): that part is not
        # assessed, and says why; the other parts stand
        part.error, part.missing, part.cache = str(err), [err.input_name], "refused"
        return
    part.warnings = [{**w, "indicator": part.indicator.id} for w in ctx.warnings]
    part.tiles = ctx.provenance.get("tiles")
    part.tiles_reason = ctx.provenance.get("tiles_reason")
    part.cache = "miss"


def in_tiles(part: Part, tiles: TileOptions | None) -> bool:
    """Return whether a part will run in tiles (as its indicator alone would, with ``tiles``).

    At least ``tiles.threshold`` features and no reason to run whole
    (:func:`~gsl_indicators.core.tiling.whole_reason_at`): the test
    :func:`~gsl_indicators.core.run.compute_metrics` makes.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> from gsl_indicators.core.tiling import TileOptions
    >>> part = Part(registry().get("green-3-30-300"), {}, {})
    >>> in_tiles(part, TileOptions(threshold=1)), in_tiles(part, None)
    (False, False)
    """
    from gsl_indicators.core.tiling import whole_reason_at

    if tiles is None:
        return False
    features = part.layers.get(part.indicator.features or "")
    return (
        features is not None
        and len(features) >= tiles.threshold
        and whole_reason_at(part.indicator.tiling, part.params, len(features), tiles) is None
    )


def run_parts(
    parts: Sequence[Part],
    cache: PartCache | None = None,
    workers: int = 2,
    *,
    tiles: TileOptions | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Compute every runnable part that the cache does not hold.

    Parts with the same key are computed once, each with ``tiles`` (so a large part
    runs as its indicator alone would, :func:`~gsl_indicators.core.run.compute_metrics`,
    and says so in its provenance). The parts that run **in tiles** (:func:`in_tiles`)
    go one after the other in this thread — each fans out over every worker, and only
    one is tiled at a time; their progress goes to ``progress`` (10 % to 85 %, named by
    indicator) and a dismissed job stops there. The other parts run meanwhile in
    ``workers`` threads: the kernels are numpy and shapely code that releases the GIL
    for most of its work, so the threads use the cores the tiles leave.
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
    tiled: list[Part] = []
    rest: list[Part] = []
    for part in todo.values():
        (tiled if in_tiles(part, tiles) else rest).append(part)
    unread = sorted({n for p in rest for n in _deferred_in(p)})
    if unread:  # before any part runs: a part that runs whole cannot read them
        raise Undefer(f"{', '.join(unread)}: read by a part that runs whole")
    tiled.sort(key=lambda p: not _deferred_in(p))  # what may start the run again, first
    # the threads' parts get the tile options for their provenance ("run whole" and why),
    # never a runner: one round of tiles at a time, from this thread only
    whole = None if tiles is None else replace(tiles, runner=_no_tiles_here)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gsl-part")
    running: dict[Any, Part] = {}
    ran: list[Part] = []
    try:
        running = {pool.submit(_compute, p, whole): p for p in rest}
        for i, part in enumerate(tiled):
            _compute(part, tiles, _share_of(progress, i, len(tiled), part.indicator.id))
            ran.append(part)
            for future in running:  # a thread's part that failed stops the run now
                if future.done() and future.exception() is not None:
                    future.result()
        for future in running:
            future.result()  # a part's own error (not an InputError) stops the run
    except BaseException as err:
        # stopping (dismissed, failed): answer now, not after the threads' parts; those
        # queued never start, those running finish unseen. Starting again reading every
        # layer (Undefer): the running parts finish first, and every part done that read
        # no layer left to the tiles is kept — the run started again takes it from the
        # cache, and no abandoned part runs beside it
        pool.shutdown(wait=isinstance(err, Undefer), cancel_futures=True)
        finished = ran + [
            p
            for f, p in running.items()
            if f.done() and not f.cancelled() and f.exception() is None
        ]
        for part in finished:
            if part.cache == "miss" and not _deferred_in(part):
                store.put(part.key, {"outputs": part.outputs, "warnings": part.warnings})
        raise
    pool.shutdown(wait=True)
    for key, done in todo.items():
        if done.error is None:
            store.put(key, {"outputs": done.outputs, "warnings": done.warnings})
    for part in parts:  # duplicates of a computed part share its outputs (or refusal)
        if part.cache == "not run" and part.key in todo:
            src = todo[part.key]
            part.outputs, part.warnings = src.outputs, src.warnings
            part.error, part.missing = src.error, list(src.missing)
            part.cache = "hit" if src.error is None else "refused"
            part.tiles, part.tiles_reason = src.tiles, src.tiles_reason


def _deferred_in(part: Part) -> list[str]:
    """Return the layers of a part left unread for the tiles (DeferredLayer)."""
    return [n for n, layer in part.layers.items() if not isinstance(layer, Layer)]


def _no_tiles_here(payloads: Sequence[bytes], on_tile: Callable[[int, int], None]) -> list[bytes]:
    """Refuse to run tiles: the runner of the parts run in threads (see :func:`in_tiles`)."""
    raise RuntimeError("a part run in a thread may not run tiles: in_tiles decides otherwise")


def _share_of(progress: ProgressFn | None, index: int, count: int, name: str) -> ProgressFn | None:
    """Return the progress callback of large part ``index`` of ``count``: its share of 10–85 %.

    Examples
    --------
    >>> said = []
    >>> _share_of(lambda f, m: said.append((round(f, 3), m)), 1, 2, "green")(0.5, "tiles 3/6")
    >>> said
    [(0.662, 'green: tiles 3/6')]
    """
    if progress is None:
        return None

    def report(fraction: float, message: str) -> None:
        progress(0.1 + 0.75 * (index + fraction) / count, f"{name}: {message}")

    return report
