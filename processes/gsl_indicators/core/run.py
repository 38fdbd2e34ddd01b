"""Run an indicator: validate, parse, compute, and wrap the outputs with provenance.

This is the one road every execution takes (``gsl run``, the embedded pool, RQ
workers, tests), so the same inputs always give the same result document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from gsl_indicators import __version__
from gsl_indicators.core.assemble import area_groups, assemble, results_document
from gsl_indicators.core.canonical import digest, digest_bytes
from gsl_indicators.core.geo import RD_NEW, Layer, give_back_memory, paused_gc, read_layers
from gsl_indicators.core.metrics import Metrics
from gsl_indicators.core.scoring import check_override_ids
from gsl_indicators.core.sources import TableFeatures, is_file_source, source_digest
from gsl_indicators.core.spec import Context, Indicator, PartCache, ProgressFn
from gsl_indicators.core.tile_files import DeferredLayer, Undefer, deferrable, indexed
from gsl_indicators.core.tiling import (
    TileOptions,
    collect_frozen,
    file_layers,
    run_tiled,
    whole_reason_at,
)

log = logging.getLogger(__name__)

RELEASE_MIN_FEATURES = 100_000
"""Dropped layers this large are collected and their memory handed back at once."""


def prepare(
    indicator: Indicator, inputs: Mapping[str, Any], *, check: bool = True
) -> dict[str, Any]:
    """Validate a request's inputs; return the parameters after defaults.

    ``check=False`` leaves out the indicator's own check (for a request whose parameters
    are still references, checked again once fetched).

    Raises
    ------
    InputError
        For an unknown input, a parameter outside its schema, a missing geo input, or
        what the indicator's own :attr:`~gsl_indicators.core.spec.Indicator.check` refuses.
    """
    params = indicator.validate_parameters(inputs)
    if params.get("profile_override") is not None:
        check_override_ids(params["profile_override"], indicator.id)
    indicator.check_geo_inputs(inputs)
    if check and indicator.check is not None:
        indicator.check(params, inputs)
    if indicator.has_uncertainty and params.get("uncertainty") is not None:
        from gsl_indicators.core.uncertainty import check_read, parse_spec

        check_read(indicator, parse_spec(indicator, params["uncertainty"]), params, inputs)
    return params


def key_version(indicator: Indicator) -> str:
    """Return the version a result's cache key is made with.

    The indicator's own, then a digest of what else its answer depends on:

    - the catalog (:func:`~gsl_indicators.catalog.catalog_digest`): a norm profile, a
      menu card or a parking-norm table named in a request may change in a release;
    - for one that runs other indicators
      (:attr:`~gsl_indicators.core.spec.Indicator.runs_others`): every other indicator's
      id and version, the other composites too (a sensitivity analysis may run a
      scoreboard), so a new version of a member (a fix in ``water``) never serves a
      scoreboard computed with the old one;
    - for one that :attr:`~gsl_indicators.core.spec.Indicator.uses` another's kernel
      (soil uses water's overlay): those, and what they use in turn;
    - the code (:func:`~gsl_indicators.core.code_digest.code_digest`): the source of
      every module of this package its module imports, transitively (shared code in
      ``core`` included: a fix there is a new key though no version was bumped); for
      one that runs others, theirs too.

    Examples
    --------
    >>> from gsl_indicators.catalog import catalog_digest
    >>> from gsl_indicators.core.spec import registry
    >>> water, soil = registry().get("water"), registry().get("soil")
    >>> key_version(water) == water.version + "+" + digest({
    ...     "catalog": catalog_digest(), "uses": [], "code": code_of(water)})[:16]
    True
    >>> key_version(soil) == soil.version + "+" + digest({"catalog": catalog_digest(),
    ...     "uses": [["water", water.version]], "code": code_of(soil)})[:16]
    True
    """
    from gsl_indicators.catalog import catalog_digest
    from gsl_indicators.core.spec import registry

    if indicator.runs_others:
        members = sorted((i.id, i.version) for i in registry() if i.id != indicator.id)
    else:
        members = sorted((i.id, i.version) for i in _used(indicator))
    made_of = {"catalog": catalog_digest(), "uses": members, "code": code_of(indicator)}
    return f"{indicator.version}+{digest(made_of)[:16]}"


def warm_key_versions() -> None:
    """Work out every indicator's key version once (its code digest reads the sources).

    Called as a process starts (the API, the pools' forkserver, an RQ worker before its
    work horses fork), so no request pays for it.
    """
    from gsl_indicators.core.spec import registry

    for indicator in registry():
        key_version(indicator)


def code_of(indicator: Indicator) -> str:
    """Return the digest of the code ``indicator``'s answers come from.

    Its module's closure (:func:`~gsl_indicators.core.code_digest.code_digest`); for
    one that runs others, every indicator's module's.
    """
    from gsl_indicators.core.code_digest import code_digest
    from gsl_indicators.core.spec import registry

    runs = registry() if indicator.runs_others else [indicator]
    return code_digest(frozenset(i.compute.__module__ for i in [indicator, *runs]))


def _used(indicator: Indicator) -> list[Indicator]:
    """Return the indicators ``indicator`` uses, directly or through another, once each."""
    from gsl_indicators.core.spec import find_indicator

    seen: dict[str, Indicator] = {}
    todo = list(indicator.uses)
    while todo:
        uid = todo.pop()
        if uid in seen or uid == indicator.id:
            continue
        seen[uid] = used = find_indicator(uid)
        todo.extend(used.uses)
    return list(seen.values())


def key_parameters(
    indicator: Indicator, params: Mapping[str, Any], inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the parameters a cache key is made of, with the explicit and ignored ones named.

    The values; which of the indicator's :attr:`~Indicator.explicit_parameters` the
    request set itself; and which settings it gave that the others leave unread (their
    ``input-ignored`` warnings are part of the result). Two requests with the same
    values give the same result unless one set an explicit-sensitive parameter, or a
    setting nothing reads, that the other left to its default.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> ind = registry().get("housing-capacity")
    >>> key_parameters(ind, {"threshold": 0.85}, {"threshold": 0.85})["__explicit__"]
    ['threshold']
    >>> "__explicit__" in key_parameters(ind, {"threshold": 0.85}, {})
    False
    >>> green = registry().get("green-3-30-300")
    >>> p = {"distance_mode": "euclidean", "network_cutoff_m": 1000.0}
    >>> key_parameters(green, p, {"network_cutoff_m": 1000.0})["__ignored__"]
    ['network_cutoff_m']
    >>> "__ignored__" in key_parameters(green, p, {})
    False
    """
    key = dict(params)
    if explicit := sorted(set(indicator.explicit_parameters) & set(inputs)):
        key["__explicit__"] = explicit
    settings = {p.name for p in indicator.parameters}
    if ignored := sorted(set(indicator.ignored_inputs(params, inputs)) & settings):
        key["__ignored__"] = ignored
    return key


def warn_ignored(
    indicator: Indicator,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    ctx: Context,
    varied: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Warn about each given input that the chosen parameters leave unread.

    Nothing a user sent is ignored in silence: ``network`` with ``distance_mode``
    ``euclidean`` is reported as ``input-ignored`` in ``data_quality``. ``varied``:
    further parameter sets the same inputs run with (a sensitivity analysis); an input
    one of them reads is not reported.
    """
    for name, why in indicator.ignored_inputs(params, inputs).items():
        if not any(name not in indicator.ignored_inputs(p, inputs) for p in varied):
            ctx.warn("input-ignored", name, f"'{name}' was given but not used: {why}")


def provenance_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the parameters for provenance: bulky values become their size and digest.

    A GeoTIFF given by reference reaches the kernel as ``{"href", "bytes", ...}``;
    the bytes are not JSON, so provenance records ``{"size", "sha256"}`` instead. A
    GeoJSON FeatureCollection nested in a parameter (the ``inputs`` of ``sensitivity``)
    is recorded as its feature count and digest, like the top-level geo inputs, so the
    result does not repeat the request's geometry.

    Examples
    --------
    >>> provenance_parameters({"grid": {"href": "h", "bytes": b"ab"}, "n": 1})["grid"]["bytes"]["size"]
    2
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]}
    >>> provenance_parameters({"inputs": {"homes": fc}})["inputs"]["homes"]["features"]
    1
    """

    def clean(v: Any) -> Any:
        if isinstance(v, bytes | bytearray | memoryview):
            return {"size": len(v), "sha256": digest_bytes(bytes(v))}
        if isinstance(v, Mapping):
            if v.get("type") == "FeatureCollection" and isinstance(v.get("features"), list):
                return {
                    "type": "FeatureCollection",
                    "features": len(v["features"]),
                    "digest": digest(v),
                }
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return {k: clean(v) for k, v in params.items()}


def input_digests(indicator: Indicator, inputs: Mapping[str, Any]) -> dict[str, str]:
    """Return the sha256 digest of each geo input present.

    A GeoJSON input's is the digest of its canonical JSON; an input read from a file
    (:mod:`gsl_indicators.core.sources`) has that of its format, bytes and bbox.
    """
    return {
        gi.name: source_digest(value) if is_file_source(value) else digest(value)
        for gi in indicator.inputs
        if (value := inputs.get(gi.name)) is not None
    }


class LazyDigests(Mapping[str, str]):
    """Input digests computed in a thread, waited for when first read.

    Digesting serialises every input once more (0.2 s of a 30,000-building
    ``gsl run``); run beside parsing and the kernel, whose GEOS calls release the
    interpreter lock, it costs little wall time. A composite kernel that keys its
    parts by the digests (``scoreboard``) simply waits for them.
    """

    def __init__(self, pending: Future[dict[str, str]]) -> None:
        self._pending = pending

    def _value(self) -> dict[str, str]:
        return self._pending.result()

    def __getitem__(self, key: str) -> str:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())


def compute_metrics(
    indicator: Indicator,
    layers: Mapping[str, Layer],
    params: dict[str, Any],
    ctx: Context,
    tiles: TileOptions | None = None,
) -> Metrics:
    """Run the kernel on parsed layers; return its unrounded :class:`Metrics`.

    Groups the features by area once (``ctx.groups``) when the indicator has both, so
    every road that runs a kernel — a request, a sensitivity sweep, an uncertainty
    sample, a tile — sees the same grouping. Analyses (sensitivity, uncertainty) read
    these values, not the assembled ones rounded to the declared digits.

    With ``tiles`` (tiling switched on), a request of at least ``tiles.threshold``
    features of a tileable indicator runs in tiles (:mod:`gsl_indicators.core.tiling`);
    provenance then says ``tiles``: the number, or ``"run whole"`` and ``tiles_reason``
    (smaller requests run in one piece, as without ``tiles``).
    """
    features = layers.get(indicator.features or "")
    areas = layers.get(indicator.areas or "")
    if features is not None and areas is not None and features is not areas:
        ctx.groups = area_groups(features, areas, ctx)
    result = None
    if tiles is not None:
        ctx.tiles = tiles  # a composite's kernel hands them to its parts
        result = _tiled(indicator, layers, params, ctx, tiles)
    if result is None:
        deferred = any(isinstance(v, DeferredLayer) for v in layers.values())
        if deferred and indicator.part_files is None:  # a composite's parts decide each
            raise Undefer("the request runs in one piece: its kernel reads every layer")
        result = indicator.compute(layers, params, ctx)
    if not isinstance(result, Metrics):
        raise TypeError(f"{indicator.id}: a kernel returns Metrics, got {type(result).__name__}")
    return result


def _tiled(
    indicator: Indicator,
    layers: Mapping[str, Layer],
    params: dict[str, Any],
    ctx: Context,
    tiles: TileOptions,
) -> Metrics | None:
    """Run in tiles and return the metrics, or record why not and return ``None``."""
    features = layers.get(indicator.features or "")
    if features is None or len(features) < tiles.threshold:
        return None  # a small request: one piece, and no word about tiles
    reason = whole_reason_at(indicator.tiling, params, len(features), tiles)
    if reason is not None:
        ctx.provenance.update(tiles="run whole", tiles_reason=reason)
        return None
    assert indicator.tiling is not None and indicator.tiling.prepare is not None
    prepared = indicator.tiling.prepare(layers, params, ctx)
    meanwhile = None
    deferred = any(isinstance(v, DeferredLayer) for v in layers.values())
    if (
        deferred
        and not ctx.features_as_columns
        and isinstance(features.features, TableFeatures)
        and features._props is None
    ):
        # the output's dicts, made while other workers run the tiles; only when the large
        # layers are left to the tiles, so the parent's memory holds no trees or crowns
        meanwhile = features.features.make_ready
    result, n = run_tiled(prepared, indicator.tiling.reach(params), tiles, ctx, meanwhile)
    ctx.provenance["tiles"] = n
    return result


def compute_outputs(
    indicator: Indicator,
    layers: Mapping[str, Layer],
    params: dict[str, Any],
    ctx: Context,
    tiles: TileOptions | None = None,
    *,
    release: bool = False,
    features_as_columns: bool = False,
) -> dict[str, Any]:
    """Run the kernel on parsed layers and assemble its outputs (bare values).

    :func:`compute_metrics`, then the one assembler; with an ``uncertainty`` request,
    the Monte-Carlo samples run on the same parsed layers and their report is the
    ``uncertainty`` output.

    ``release=True`` (``layers`` is the caller's own dict, read for this run): the
    layers the assembler does not read (trees, crowns, …) are dropped from ``layers``
    once the kernel has run, so their memory is free while the document is built —
    at 650,000 homes the assembler's peak is otherwise on top of every parsed layer.
    ``features_as_columns=True``: the per-feature output as its columns
    (:func:`~gsl_indicators.core.assemble.assemble`; a composite's part).
    """
    ctx.features_as_columns = features_as_columns
    result = compute_metrics(indicator, layers, params, ctx, tiles)
    if release and isinstance(layers, dict) and params.get("uncertainty") is None:
        keep = {indicator.features, indicator.areas}
        dropped = [k for k in layers if k not in keep]
        # a layer left to the tiles holds no features here: nothing of it to collect
        size = sum(len(layers[k]) for k in dropped if not isinstance(layers[k], DeferredLayer))
        for name in dropped:
            del layers[name]
        if size >= RELEASE_MIN_FEATURES:  # a collection costs ~0.2 s on a large heap
            give_back_memory()
    outputs = assemble(
        indicator, layers, params, ctx, result, features_as_columns=features_as_columns
    )
    if indicator.has_uncertainty and params.get("uncertainty") is not None:
        from gsl_indicators.core.uncertainty import parse_spec, uncertainty_report

        spec = parse_spec(indicator, params["uncertainty"])
        outputs["uncertainty"] = uncertainty_report(indicator, layers, params, result, spec, ctx)
    return outputs


def deferred_inputs(
    indicator: Indicator,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    tiles: TileOptions | None,
) -> tuple[str, ...]:
    """Return the inputs the tiles may read from their own files (none when not tiling).

    Files by reference (FlatGeobuf or GeoParquet, whole) that the indicator's
    :class:`Tiling` names under these parameters — a composite's: that only its parts
    in tiles read (``Indicator.part_files``) — and whose windows read cheaply
    (:func:`~gsl_indicators.core.tile_files.indexed`; :mod:`gsl_indicators.core.tile_files`).
    """
    if tiles is None:
        return ()
    given = frozenset(k for k, v in inputs.items() if v is not None)
    if indicator.part_files is not None:  # a composite: what only its tiled parts read
        names = indicator.part_files(params, given)
    else:
        names = file_layers(indicator.tiling, params, given)
    return tuple(n for n in names if deferrable(inputs.get(n)) and indexed(n, inputs[n]))


def _compute(
    indicator: Indicator,
    inputs: Mapping[str, Any],
    params: dict[str, Any],
    ctx: Context,
    tiles: TileOptions | None,
    defer: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, tuple[int, int | None, str]], str | None]:
    """Read the layers and compute the outputs; return them, what was read and the CRS.

    Raises
    ------
    Undefer
        When inputs were left to the tiles (``defer``) and the request is not tiled
        after all, or the tiles found those files irregular.
    """
    ctx.progress(0.0, "reading inputs")
    with paused_gc():
        if indicator.reads_inputs:  # parsed by the kernel (a sensitivity analysis)
            layers = {
                gi.name: inputs[gi.name]
                for gi in indicator.inputs
                if inputs.get(gi.name) is not None
            }
            crs = None
        elif indicator.geo:
            layers, crs = read_layers(indicator.inputs, inputs, ctx, defer=defer)
        else:
            layers, crs = {}, None
        deferred = [v for v in layers.values() if isinstance(v, DeferredLayer)]
        if deferred:
            _check_tiled(indicator, layers, crs, tiles)
        read = {  # a kernel that parses its inputs records them itself
            name: (len(layer.features), layer.given, layer.source_crs)
            for name, layer in ({} if indicator.reads_inputs else layers).items()
            if not isinstance(layer, DeferredLayer)
        }
        ctx.progress(0.05, "computing")
        outputs = compute_outputs(
            indicator, layers, params, ctx, tiles, release=not indicator.reads_inputs
        )
    unread = [layer.name for layer in deferred if not layer.settled]
    if unread:  # no tile read it (a composite's part from the cache, or refused)
        raise Undefer(f"{', '.join(unread)}: read by no tile, so not checked or counted")
    for layer in deferred:  # known once the tiles have reported
        read[layer.name] = (layer.features, layer.given, layer.source_crs)
    return outputs, read, crs


def _check_tiled(
    indicator: Indicator, layers: Mapping[str, Any], crs: str | None, tiles: TileOptions | None
) -> None:
    """Raise :class:`Undefer` unless a request with deferred layers will run in tiles.

    A composite's parts decide each for itself: one that runs whole while a layer it
    reads was left to the tiles raises :class:`Undefer` (:func:`compute_metrics`).
    """
    if indicator.part_files is not None:
        if tiles is None or crs != RD_NEW:
            raise Undefer("not tiled (not in RD New)")
        return
    features = layers.get(indicator.features or "")
    if tiles is None or features is None or crs != RD_NEW:
        raise Undefer("not tiled (no features, or not in RD New)")
    if len(features) < tiles.threshold or len(features) <= tiles.features_per_tile:
        raise Undefer(f"{len(features)} features run in one piece")


def execute(
    indicator: Indicator,
    inputs: Mapping[str, Any],
    on_progress: ProgressFn | None = None,
    digests: Mapping[str, str] | None = None,
    part_cache: PartCache | None = None,
    tiles: TileOptions | None = None,
) -> dict[str, Any]:
    """Compute ``indicator`` on ``inputs`` and return the result document.

    Parameters
    ----------
    indicator : Indicator
        The declaration.
    inputs : Mapping
        The request's inputs; geo inputs are FeatureCollections (href inputs already
        resolved by the caller).
    on_progress : callable, optional
        ``(fraction, message)`` callback for progress by stage.
    digests : Mapping, optional
        Digests of the geo inputs when the caller computed them already.
    part_cache : PartCache, optional
        Where composite processes (scoreboard, scenarios) keep each indicator's part;
        default an in-process memo.
    tiles : TileOptions, optional
        Tiling switched on: large requests of tileable indicators run in tiles
        (:mod:`gsl_indicators.core.tiling`); ``None`` (default): always one piece.

    Returns
    -------
    dict
        The OGC results document: the indicator's outputs plus ``provenance`` and
        ``data_quality``, each a qualified value ``{"mediaType", "value"}``
        (:func:`~gsl_indicators.core.assemble.output_values` gives the bare values).
    """
    params = prepare(indicator, inputs)
    defer = deferred_inputs(indicator, params, inputs, tiles)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gsl-digests") as pool:
        if digests is None:  # beside parsing and the kernel: see LazyDigests
            digests = LazyDigests(pool.submit(input_digests, indicator, inputs))
        while True:
            ctx = Context(
                on_progress=on_progress,
                input_digests=digests,
                part_cache=part_cache,
                explicit=frozenset(k for k in inputs if k in params),
            )
            warn_ignored(indicator, params, inputs, ctx)
            try:
                outputs, read, crs = _compute(indicator, inputs, params, ctx, tiles, defer)
                break
            except Undefer as why:
                if not defer:
                    raise
                # a layer left to the tiles is not as regular as the tiles need: start
                # again reading every layer whole (the plain road, with its warnings)
                log.info("%s: reading every layer whole: %s", indicator.id, why)
                defer = ()
            # only after an Undefer, out of its handler (whose traceback holds the first
            # attempt's layers): what that attempt left in cycles goes before the next
            collect_frozen()
        digests = dict(digests)
    ctx.progress(1.0, "done")
    provenance: dict[str, Any] = {
        "indicator": indicator.id,
        "version": indicator.version,
        "engine": f"gsl-indicators {__version__}",
        "parameters": provenance_parameters(params),
    }
    if indicator.geo:
        provenance["crs"] = crs
        provenance["inputs"] = {
            name: {
                "features": n,
                "features_given": given,
                "crs": source_crs,
                "digest": digests.get(name),
            }
            for name, (n, given, source_crs) in read.items()
        }
    provenance.update(ctx.provenance)
    doc = {
        **outputs,
        "provenance": provenance,
        "data_quality": {"warnings": ctx.warnings, **ctx.notes},
    }
    return results_document(indicator, doc)
