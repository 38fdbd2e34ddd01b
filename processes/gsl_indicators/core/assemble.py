"""The one assembler: from a kernel's :class:`~gsl_indicators.core.metrics.Metrics` to outputs.

For every indicator alike it

* rounds each metric to its declared digits and turns non-finite values into ``null``;
* writes the per-feature FeatureCollection (each input feature keeps its ``id``,
  geometry and properties, gains its metrics and the ``area_id`` of its area) and the
  per-area FeatureCollection (metrics, ``area_type``, the headline ``score`` and one flat
  ``score_<metric>`` per scored metric — no nested objects, so QGIS shows plain
  columns); both keep the input's CRS member, so GDAL and QGIS place RD New metres
  correctly;
* scores the overall metrics with the request's norm profile (``summary.scorecard``)
  and adds the ``profile`` section;
* lists the metric declarations (``metrics``).

:func:`results_document` then turns the outputs into an OGC API – Processes results
document: every output a qualified value ``{"mediaType", "value"}`` (``results.yaml``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gsl_indicators.core.collection_columns import FeatureValues
from gsl_indicators.core.geo import WGS84, Layer, feature_collection, to_jsonable, zone_index
from gsl_indicators.core.metrics import (
    AreaGroups,
    Metric,
    Metrics,
    round_value,
    rounded_column,
)
from gsl_indicators.core.wording import counted

if TYPE_CHECKING:
    from gsl_indicators.core.spec import Context, Indicator

__all__ = [
    "AREA_ID_PROPERTIES",
    "AREA_NAME_PROPERTIES",
    "area_groups",
    "area_keys",
    "area_names",
    "assemble",
    "crs_member",
    "jsonable",
    "results_document",
    "summary_of",
]

#: Properties that hold an area's own code, in order of preference.
AREA_ID_PROPERTIES: tuple[str, ...] = (
    "CBS_Buurtcode",
    "buurtcode",
    "CBS_Wijkcode",
    "statcode",
    "code",
    "id",
)

#: Properties that name an area (CBS and common spellings), in order of preference.
AREA_NAME_PROPERTIES: tuple[str, ...] = (
    "name",
    "naam",
    "Buurt",
    "buurtnaam",
    "CBS_Buurtnaam",
    "BU_NAAM",
    "Wijk",
    "wijknaam",
    "CBS_Wijknaam",
    "zone",
)

GEOJSON = "application/geo+json"
JSON = "application/json"


def area_keys(layer: Layer) -> list[Any]:
    """Return each area's own id: a code property, else the feature ``id``, else its position.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, WGS84, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e5, 4e5]},
    ...      "properties": {"CBS_Buurtcode": "BU0363AC02"}},
    ...     {"type": "Feature", "id": "n2", "geometry": {"type": "Point", "coordinates": [1e5, 4e5]}},
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e5, 4e5]}}]}
    >>> area_keys(parse_layer(GEO_IN, fc, RD_NEW))
    ['BU0363AC02', 'n2', 2]
    """
    keys: list[Any] = []
    for fid, p, i in zip(layer.feature_ids(), layer.properties, layer.index.tolist(), strict=True):
        key = next((p[k] for k in AREA_ID_PROPERTIES if p.get(k) not in (None, "")), None)
        if key is None:
            key = i if fid is None else fid
        keys.append(key)
    return keys


def area_names(layer: Layer) -> list[str | None]:
    """Return each area's name (the first of :data:`AREA_NAME_PROPERTIES` it has), or ``None``.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, parse_layer
    >>> pt = {"type": "Point", "coordinates": [1e5, 4e5]}
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": pt, "properties": {"CBS_Buurtnaam": "Noord"}},
    ...     {"type": "Feature", "geometry": pt, "properties": {"naam": ""}}]}
    >>> area_names(parse_layer(GEO_IN, fc, RD_NEW))
    ['Noord', None]
    """
    return [
        next((str(p[k]) for k in AREA_NAME_PROPERTIES if p.get(k) not in (None, "")), None)
        for p in layer.properties
    ]


def area_groups(features: Layer, areas: Layer, ctx: Context | None = None) -> AreaGroups:
    """Group ``features`` by the area holding each one's representative point (built once).

    A feature in no area gets ``-1`` and is counted in a ``features-outside-areas``
    warning; where areas overlap, the first one wins.
    """
    index = zone_index(features.representative_points(), areas.geometries, representative=False)
    outside = int((index < 0).sum())
    if outside and ctx is not None:
        ctx.warn(
            "features-outside-areas",
            features.name,
            f"{outside} of {len(features)} features lie in no feature of '{areas.name}'; "
            "they count overall but in no area",
            outside,
        )
    return AreaGroups(index, len(areas))


def crs_member(layer: Layer) -> dict[str, Any] | None:
    """Return the GeoJSON ``crs`` member for a layer's source CRS (``None`` for WGS84).

    RFC 7946 GeoJSON is WGS84 without a member; any other CRS is named the way GDAL
    and QGIS read it (``urn:ogc:def:crs:EPSG::28992``).

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, WGS84, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": []}
    >>> crs_member(parse_layer(GEO_IN, fc, RD_NEW))
    {'type': 'name', 'properties': {'name': 'urn:ogc:def:crs:EPSG::28992'}}
    >>> crs_member(parse_layer(GEO_IN, fc, WGS84, RD_NEW)) is None
    True
    """
    crs = layer.source_crs
    if crs == WGS84:
        return None
    if crs.upper().startswith("EPSG:"):
        return {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs[5:]}"}}
    return {"type": "name", "properties": {"name": crs}}


def jsonable(value: Any) -> Any:
    """Return ``value`` with numpy types made plain and non-finite numbers as ``None``.

    Examples
    --------
    >>> jsonable({"a": np.float64("nan"), "b": [np.int64(2), float("inf")], "c": np.array([1.5])})
    {'a': None, 'b': [2, None], 'c': [1.5]}
    """
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


_PLAIN = frozenset({str, int, bool, type(None)})


def plain_values(values: Any) -> list[Any]:
    """Return a column's values as JSON values: :func:`jsonable`, with a fast road.

    A column of plain values only (``str``, ``int``, ``bool``, ``None``: area ids, names)
    is copied as it is: one type look per value instead of :func:`jsonable`'s recursion
    (650,000 homes' ``area_id``: 1.2 s → 0.02 s).

    Examples
    --------
    >>> plain_values(["a", 1, None, True])
    ['a', 1, None, True]
    >>> plain_values([np.int64(2), float("nan"), "b"])
    [2, None, 'b']
    """
    out = list(values)
    if set(map(type, out)) <= _PLAIN:
        return out
    return [jsonable(v) for v in out]


def _column(
    metric: Metric | None, name: str, values: Any, n: int
) -> tuple[list[Any], np.ndarray | None]:
    """Return an output column's JSON values and, for a metric's numbers, them as one array."""
    if metric is not None:
        out, typed = rounded_column(values, metric.digits)
    else:
        out, typed = plain_values(values), None
    if len(out) != n:
        raise ValueError(
            f"column '{name}' has {len(out)} values for {counted(n, 'feature', 'features')}"
        )
    return out, typed


def _collection(
    layer: Layer, columns: Mapping[str, Any], declared: Mapping[str, Metric]
) -> dict[str, Any]:
    cols: dict[str, list[Any]] = {}
    arrays: dict[str, np.ndarray] = {}
    for k, v in columns.items():
        cols[k], typed = _column(declared.get(k), k, v, len(layer))
        if typed is not None:
            arrays[k] = typed
    return feature_collection(layer, cols, crs=crs_member(layer), arrays=arrays)


def _check_declared(
    metrics: tuple[Metric, ...], indicator: Indicator, level: str, names: Any
) -> None:
    declared = {m.id for m in metrics if level in m.levels}
    unknown = sorted(set(names) - declared)
    if unknown:
        raise ValueError(
            f"{indicator.id}: {level} metrics {unknown} are not declared at level '{level}'"
        )


def assemble(
    indicator: Indicator,
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    result: Metrics,
    *,
    features_as_columns: bool = False,
) -> dict[str, Any]:
    """Return an indicator's outputs from its kernel's metric values.

    Parameters
    ----------
    indicator : Indicator
        The declaration (metrics, ``features`` and ``areas`` layer names).
    layers : Mapping[str, Layer]
        The parsed inputs.
    params : Mapping
        The parameters after defaults (``profile``, ``profile_override``, ``area_type``).
    ctx : Context
        The run's context (its ``groups`` are the areas' grouping, when built).
    result : Metrics
        The kernel's values.
    features_as_columns : bool
        Give the per-feature output (of the ``features`` layer, when it is not the
        areas layer) as its columns, a
        :class:`~gsl_indicators.core.collection_columns.FeatureValues`, instead of a
        FeatureCollection: what a composite's part keeps (the same values, no dicts).

    Returns
    -------
    dict
        Output name to value: the per-feature and per-area FeatureCollections,
        ``summary`` (overall metrics and, when scored, ``scorecard``), ``metrics``,
        ``profile`` when scored, and the kernel's further outputs.

    Raises
    ------
    ValueError
        When the kernel returns a metric its declaration does not have (a programming
        error, caught by the tests of every indicator).
    """
    from gsl_indicators.core.scoring import area_types_of, resolve_profile, scorecards

    metrics = indicator.metrics_for(params)
    declared = {m.id: m for m in metrics}
    for level, values in (("feature", result.feature), ("area", result.area)):
        _check_declared(metrics, indicator, level, values)
    _check_declared(metrics, indicator, "overall", result.overall)
    scored = tuple(m.id for m in metrics if m.scored)
    profile = resolve_profile(params) if scored else None
    out: dict[str, Any] = {}

    features = layers.get(indicator.features) if indicator.features else None
    areas = layers.get(indicator.areas) if indicator.areas else None
    if features is not None and (result.feature or indicator.features == indicator.areas):
        cols: dict[str, Any] = dict(result.feature)
        if areas is not None and ctx.groups is not None and features is not areas:
            keys = area_keys(areas)
            cols["area_id"] = [keys[i] if i >= 0 else None for i in ctx.groups.index.tolist()]
        if features_as_columns and features is not areas:
            out[features.name] = FeatureValues(
                features,
                {
                    k: to_jsonable(_column(declared.get(k), k, v, len(features))[0])
                    for k, v in cols.items()
                },
            )
        else:
            out[features.name] = _collection(features, cols, declared)
    if areas is not None and features is not areas:
        cols = dict(result.area)
        if profile is not None:
            types = area_types_of(areas, params.get("area_type"), ctx)
            values = {
                m: np.asarray([np.nan if v is None else v for v in result.area[m]], float)
                for m in scored
                if m in result.area
            }
            cards = scorecards(profile, indicator.id, values, types)
            cols["area_type"] = types
            cols["score"] = [c.get("score") for c in cards]
            for m in values:
                cols[f"score_{m}"] = [c["scores"].get(m, {}).get("score") for c in cards]
        out[areas.name] = _collection(areas, cols, declared)

    out["summary"] = summary_of(indicator, params, result)
    for name, (layer, columns) in result.collections.items():
        out[name] = _collection(layer, columns, declared)
    out.update(jsonable(result.outputs))
    out["metrics"] = [m.declaration() for m in metrics]
    if profile is not None:
        out["profile"] = profile.to_dict(indicator=indicator.id)
    return out


def summary_of(
    indicator: Indicator, params: Mapping[str, Any], result: Metrics, *, rounded: bool = True
) -> dict[str, Any]:
    """Return the ``summary`` output: the overall metrics and, when scored, the scorecard.

    ``rounded=False`` keeps the kernel's values as computed (non-finite ones as
    ``None``): what analyses read (``sensitivity``), so that rounding to the declared
    digits does not leak into elasticities. The scorecard scores the unrounded values
    either way; rounded, its ``value`` entries are the metric's digits too (15.26 beside
    ``mean_pm10`` 15.26, not 15.256333516012106).
    """
    from gsl_indicators.core.scoring import resolve_profile, scorecard

    metrics = indicator.metrics_for(params)
    declared = {m.id: m for m in metrics}
    if rounded:
        summary = {k: round_value(v, declared[k].digits) for k, v in result.overall.items()}
    else:
        summary = {k: jsonable(v) for k, v in result.overall.items()}
    scored = tuple(m.id for m in metrics if m.scored)
    if scored:
        profile = resolve_profile(params)
        picked = {m: result.overall[m] for m in scored if m in result.overall}
        card = scorecard(profile, indicator.id, picked, params.get("area_type"))
        if rounded:
            for m, entry in (card.get("scores") or {}).items():
                if isinstance(entry, dict) and m in declared:
                    entry["value"] = round_value(entry.get("value"), declared[m].digits)
        summary["scorecard"] = card
    return summary


def results_document(indicator: Indicator, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Return the OGC results document: every output a qualified value with its media type.

    ``results.yaml`` allows an object output only as ``{"value", "mediaType"}`` (or a
    link); numbers, strings and arrays may stand bare, but are qualified too, so that a
    reader finds every output the same way.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> doc = results_document(registry().get("echo"), {"echo": {"message": "x"}, "provenance": {}})
    >>> doc["echo"]["mediaType"], doc["provenance"]
    ('application/json', {'mediaType': 'application/json', 'value': {}})
    """
    media = {o.name: o.media_type for o in indicator.all_outputs}
    doc: dict[str, Any] = {}
    for name, value in outputs.items():
        kind = media.get(name)
        if kind is None:
            kind = GEOJSON if isinstance(value, Mapping) and "features" in value else JSON
        doc[name] = {"mediaType": kind, "value": value}
    return doc


def output_values(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return the bare output values of a results document (the inverse of wrapping).

    Examples
    --------
    >>> output_values({"summary": {"mediaType": "application/json", "value": {"a": 1}}})
    {'summary': {'a': 1}}
    """
    return {
        k: v["value"] if isinstance(v, Mapping) and "value" in v and "mediaType" in v else v
        for k, v in doc.items()
    }
