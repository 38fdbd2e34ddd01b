"""Reading a result document defensively, for the export formats and the result pages.

A result document maps output names to values. Two shapes are read:

- the metric model (issue 8): every output is an OGC qualified value
  ``{"mediaType": ..., "value": ...}``; per-area scores are flat ``score_<metric>``
  properties; the metric declarations are the ``metrics`` output;
- the older shape: every output is a bare object; per-area scores sit in a nested
  ``scorecard`` property (``{"scores": {metric: {"score": ...}}}``).

Nothing here computes an indicator; it only finds things in a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyproj import CRS

from gsl_indicators.core.assemble import AREA_ID_PROPERTIES, AREA_NAME_PROPERTIES

#: The CRS of a FeatureCollection without ``crs`` member (RFC 7946).
CRS84 = "OGC:CRS84"
#: Outputs that are never per-feature layers or metric values.
META_OUTPUTS = ("provenance", "data_quality", "profile", "metrics")


def unwrap(value: Any) -> Any:
    """Return the bare value of an output: a qualified value's ``value``, else itself.

    Examples
    --------
    >>> unwrap({"mediaType": "application/json", "value": {"a": 1}})
    {'a': 1}
    >>> unwrap({"a": 1})
    {'a': 1}
    >>> unwrap({"value": 3, "unit": "m"})  # a member called value alone is no qualified value
    {'value': 3, 'unit': 'm'}
    """
    if isinstance(value, Mapping) and "value" in value and "mediaType" in value:
        return value["value"]
    return value


def is_feature_collection(value: Any) -> bool:
    """Return whether ``value`` is a GeoJSON FeatureCollection.

    Examples
    --------
    >>> is_feature_collection({"type": "FeatureCollection", "features": []})
    True
    >>> is_feature_collection({"type": "Feature"})
    False
    """
    return (
        isinstance(value, Mapping)
        and value.get("type") == "FeatureCollection"
        and isinstance(value.get("features"), list)
    )


def outputs_of(document: Any) -> dict[str, Any]:
    """Return ``{output name: bare value}`` of a result document (any shape).

    A bare FeatureCollection (``response=raw`` of one output) becomes ``{"result": fc}``.

    Examples
    --------
    >>> outputs_of({"summary": {"mediaType": "application/json", "value": {"n": 2}}})
    {'summary': {'n': 2}}
    """
    if is_feature_collection(document):
        return {"result": document}
    if not isinstance(document, Mapping):
        return {}
    return {str(k): unwrap(v) for k, v in document.items()}


def feature_outputs(document: Any) -> dict[str, dict[str, Any]]:
    """Return the outputs that are FeatureCollections, in document order."""
    return {k: v for k, v in outputs_of(document).items() if is_feature_collection(v)}


def crs_name(fc: Mapping[str, Any]) -> str | None:
    """Return the ``crs`` member's name of a FeatureCollection as ``EPSG:n`` (or as given).

    Examples
    --------
    >>> crs_name({"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}})
    'EPSG:28992'
    >>> crs_name({"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}})
    'OGC:CRS84'
    >>> crs_name({}) is None
    True
    """
    crs = fc.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else crs
    if not isinstance(name, str) or not name.strip():
        return None
    return normalise_crs(name)


def normalise_crs(name: str) -> str:
    """Return ``EPSG:n`` for a CRS name pyproj knows by an EPSG code; CRS84 for lon/lat.

    ``urn:ogc:def:crs:EPSG::4326`` in GeoJSON means longitude/latitude in practice
    (GDAL writes it that way), so it is read as CRS84.

    Examples
    --------
    >>> normalise_crs("http://www.opengis.net/def/crs/EPSG/0/28992")
    'EPSG:28992'
    >>> normalise_crs("EPSG:4326")
    'OGC:CRS84'
    """
    text = name.strip()
    low = text.lower()
    if low.endswith(("crs84", ":4326", "/4326")):
        return CRS84
    try:
        epsg = CRS.from_user_input(text).to_epsg()
    except Exception:
        return text
    return f"EPSG:{epsg}" if epsg else text


def output_crs(document: Any, output: str) -> str:
    """Return the CRS of one FeatureCollection output.

    Its ``crs`` member wins; else the CRS its input of the same name was given in
    (``provenance.inputs.<output>.crs``; output features keep their input
    geometries); else CRS84 (RFC 7946).
    """
    outs = outputs_of(document)
    fc = outs.get(output)
    if isinstance(fc, Mapping):
        named = crs_name(fc)
        if named:
            return named
    prov = outs.get("provenance")
    if isinstance(prov, Mapping):
        given = (prov.get("inputs") or {}).get(output)
        if isinstance(given, Mapping) and isinstance(given.get("crs"), str):
            return normalise_crs(given["crs"])
    return CRS84


# ----------------------------------------------------------------------- scorecards


@dataclass
class MetricInfo:
    """What the pages know about one metric (declared, or found in a scorecard)."""

    id: str
    title: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    direction: str | None = None
    digits: int | None = None

    def label(self, lang: str) -> str:
        """Return the title in ``lang`` (else any title, else the id)."""
        return self.title.get(lang) or next(iter(self.title.values()), None) or self.id


@dataclass
class ScoreRow:
    """One row of a scorecard table: an area (or the whole request) and its scores."""

    label: str
    area_type: str | None
    headline: float | None
    scores: dict[str, float | None]
    values: dict[str, Any]


def metric_declarations(document: Any, described: Any = None) -> dict[str, MetricInfo]:
    """Return the declared metrics: the ``metrics`` output, else ``x-gsl.metrics``."""
    found: dict[str, MetricInfo] = {}
    sources = [outputs_of(document).get("metrics")]
    if isinstance(described, Mapping):
        sources.append((described.get("x-gsl") or {}).get("metrics"))
    for decl in sources:
        if not isinstance(decl, list):
            continue
        for m in decl:
            if isinstance(m, Mapping) and isinstance(m.get("id"), str) and m["id"] not in found:
                title = m.get("title")
                found[m["id"]] = MetricInfo(
                    id=m["id"],
                    title=dict(title) if isinstance(title, Mapping) else {"en": str(title or "")},
                    unit=m.get("unit"),
                    direction=m.get("direction"),
                    digits=m.get("digits") if isinstance(m.get("digits"), int) else None,
                )
    return found


def summary_of(document: Any) -> dict[str, Any]:
    """Return the ``summary`` output (empty when absent)."""
    summary = outputs_of(document).get("summary")
    return dict(summary) if isinstance(summary, Mapping) else {}


def overall_scorecard(document: Any) -> dict[str, Any] | None:
    """Return the overall scorecard (``summary.scorecard``), or ``None``."""
    card = summary_of(document).get("scorecard")
    return dict(card) if isinstance(card, Mapping) and card.get("scores") is not None else None


def scored_metrics(document: Any) -> list[str]:
    """Return the ids of the scored metrics, in the overall scorecard's order.

    Without an overall scorecard, the ``score_<metric>`` properties of the first area
    layer are used.
    """
    card = overall_scorecard(document)
    if card and isinstance(card.get("scores"), Mapping):
        return [str(k) for k in card["scores"]]
    for fc in feature_outputs(document).values():
        for feat in fc["features"][:1]:
            props = feat.get("properties") or {}
            flat = [k[6:] for k in props if k.startswith("score_")]
            if flat:
                return flat
    return []


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def area_scores(props: Mapping[str, Any], metrics: list[str]) -> dict[str, float | None]:
    """Return ``{metric: score}`` of one area: flat ``score_<metric>`` or nested ``scorecard``.

    Examples
    --------
    >>> area_scores({"score_play_share": 2.67}, ["play_share"])
    {'play_share': 2.67}
    >>> area_scores({"scorecard": {"scores": {"play_share": {"score": 10.0}}}}, ["play_share"])
    {'play_share': 10.0}
    >>> area_scores({}, ["play_share"])
    {'play_share': None}
    """
    nested = props.get("scorecard")
    scores = nested.get("scores") if isinstance(nested, Mapping) else None
    out: dict[str, float | None] = {}
    for m in metrics:
        flat = props.get(f"score_{m}")
        if flat is None and isinstance(scores, Mapping) and isinstance(scores.get(m), Mapping):
            flat = scores[m].get("score")
        out[m] = _score(flat)
    return out


def area_label(feature: Mapping[str, Any], position: int) -> str:
    """Return an area's name for a table: name and code (or id), else its position.

    Examples
    --------
    >>> area_label({"properties": {"Buurt": "Leliegracht e.o.", "CBS_Buurtcode": "BU0363AC02"}}, 0)
    'Leliegracht e.o. (BU0363AC02)'
    >>> area_label({"id": "BU01", "properties": {"name": "Noord"}}, 0)
    'Noord (BU01)'
    >>> area_label({"properties": {}}, 4)
    '#5'
    """
    props = feature.get("properties") or {}
    name = next((str(props[k]) for k in _NAME_KEYS if props.get(k) not in (None, "")), None)
    code = feature.get("id")
    if code in (None, ""):
        code = next((props[k] for k in _CODE_KEYS if props.get(k) not in (None, "")), None)
    if name and code not in (None, "") and str(code) != name:
        return f"{name} ({code})"
    if name:
        return name
    return str(code) if code not in (None, "") else f"#{position + 1}"


def area_key(feature: Mapping[str, Any], position: int) -> str:
    """Return an area feature's id as the indicators key its areas, as text.

    A code property first (:data:`~gsl_indicators.core.assemble.AREA_ID_PROPERTIES`:
    ``CBS_Buurtcode``, ...), else the feature's ``id``, else its position: the
    ``area_id`` of the scoreboard's ``area_themes`` rows
    (:func:`gsl_indicators.core.assemble.area_keys`), so a row meets its area. The one
    case it cannot mirror: areas with neither code nor id whose layer lost a feature
    (no geometry) before them, as the indicators count positions in the input; the grid
    matches the rows in order first (:func:`gsl_service.web.board_view._area_row_keys`).

    Examples
    --------
    >>> area_key({"id": 7, "properties": {"CBS_Buurtcode": "BU0363AC02"}}, 0)
    'BU0363AC02'
    >>> area_key({"id": "BU01", "properties": {"name": "Noord"}}, 0), area_key({}, 4)
    ('BU01', '4')
    """
    props = feature.get("properties") or {}
    key = next((props[k] for k in AREA_ID_PROPERTIES if props.get(k) not in (None, "")), None)
    if key is None:
        key = feature.get("id")
    return str(position if key in (None, "") else key)


#: Properties that name an area: the indicator library's list (one list for both).
_NAME_KEYS = AREA_NAME_PROPERTIES
#: Properties that identify an area when the feature has no id.
_CODE_KEYS = ("area_id", "CBS_Buurtcode", "BU_CODE", "buurtcode", "code")


def area_rows(document: Any) -> tuple[str | None, list[ScoreRow]]:
    """Return ``(output name, rows)`` of the first layer whose features carry scores."""
    metrics = scored_metrics(document)
    if not metrics:
        return None, []
    for name, fc in feature_outputs(document).items():
        feats = fc["features"]
        if not feats:
            continue
        if not carries_scores(feats[0].get("properties") or {}, metrics):
            continue
        rows = []
        for i, feat in enumerate(feats):
            props = feat.get("properties") or {}
            rows.append(
                ScoreRow(
                    label=area_label(feat, i),
                    area_type=None if props.get("area_type") is None else str(props["area_type"]),
                    headline=_score(props.get("score")),
                    scores=area_scores(props, metrics),
                    values={m: props.get(m) for m in metrics},
                )
            )
        return name, rows
    return None, []


def carries_scores(props: Mapping[str, Any], metrics: Iterable[str]) -> bool:
    """Return whether a feature's properties carry scores (an area layer's first feature).

    Examples
    --------
    >>> carries_scores({"score_play": 7.1}, ["play"]), carries_scores({"n": 1}, ["play"])
    (True, False)
    """
    return "scorecard" in props or "score" in props or any(f"score_{m}" in props for m in metrics)


def overall_row(document: Any, label: str) -> ScoreRow | None:
    """Return the overall scorecard as a table row (``None`` without one)."""
    card = overall_scorecard(document)
    if card is None:
        return None
    scores = card.get("scores") or {}
    summary = summary_of(document)

    def value(m: str, s: Any) -> Any:
        # the metric as the summary gives it (rounded to its digits), so the row and the
        # summary read alike; the scorecard's own value is unrounded
        shown = summary.get(m)
        if _score(shown) is not None:
            return shown
        return s.get("value") if isinstance(s, Mapping) else None

    return ScoreRow(
        label=label,
        area_type=None if card.get("area_type") is None else str(card["area_type"]),
        headline=_score(card.get("score")),
        scores={
            str(m): _score(s.get("score")) if isinstance(s, Mapping) else None
            for m, s in scores.items()
        },
        values={str(m): value(str(m), s) for m, s in scores.items()},
    )


def score_band(score: float | None) -> str:
    """Return the GGO colour band of a 1–10 score: ``bad`` < 6 ≤ ``fair`` < 8 ≤ ``good``.

    Examples
    --------
    >>> [score_band(s) for s in (1.0, 5.99, 6.0, 7.99, 8.0, 10.0, None)]
    ['bad', 'bad', 'fair', 'fair', 'good', 'good', 'none']
    """
    if score is None:
        return "none"
    if score < 6:
        return "bad"
    return "fair" if score < 8 else "good"
