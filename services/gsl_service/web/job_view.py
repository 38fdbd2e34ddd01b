"""What the job page shows of a result document: summary, scorecard, map layers, charts."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from gsl_service import result_parts
from gsl_service.results import (
    MetricInfo,
    ScoreRow,
    area_rows,
    carries_scores,
    crs_name,
    feature_outputs,
    metric_declarations,
    output_crs,
    outputs_of,
    overall_row,
    overall_scorecard,
    scored_metrics,
    summary_of,
)
from gsl_service.stored_collection import CollectionStream
from gsl_service.web.render import Page

#: Property names that are identifiers or labels, never a metric to colour by.
_NOT_METRICS = {"id", "fid", "area_id", "neighbourhood", "zone", "name", "naam"}
#: Outputs shown as text (collapsed) at most this large, in characters.
_OTHER_MAX_CHARS = 20_000
#: Features scanned for the numeric properties a map can colour by.
_SCAN = 200


@dataclass
class JobView:
    """The parts of the job page, ready for the template."""

    headline: dict[str, Any] | None = None
    profile: str | None = None
    summary: list[dict[str, str]] = field(default_factory=list)
    score_metrics: list[dict[str, Any]] = field(default_factory=list)
    score_rows: list[ScoreRow] = field(default_factory=list)
    has_overall: bool = False
    layers: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    areas_stored: dict[str, Any] | None = None
    """The area layer when it is stored as parts: its rows are on the map, not in the table."""
    other: list[tuple[str, str]] = field(default_factory=list)
    js_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredLayer:
    """A per-feature output stored as parts: what the page shows of it without reading it whole.

    Its map is drawn from the job's features API, the features in view a page at a
    time (``paged`` in the page's data), never from the whole output.
    """

    count: int
    crs: str
    sample: list[dict[str, Any]]
    """Its first features: the properties the map can colour by are found in them, and
    the areas a scoreboard's or GGO-light's grid lists (:func:`stored_layers`' ``scan``)."""
    ranges: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per numeric column of its GeoParquet file: the map's class breaks over the whole
    layer (:func:`number_ranges`), so a colour means the same wherever the map is moved."""


def stored_layers(
    document: Any, get_blob: Callable[[str], bytes | None], scan: int = _SCAN
) -> dict[str, StoredLayer]:
    """Return the per-feature outputs of a stored document that are stored as parts.

    Each part's stored JSON is read as far as its first ``scan`` features (at least
    :data:`_SCAN`; a page with a grid asks for the rows it lists). A part no longer
    stored is left out.
    """
    found: dict[str, StoredLayer] = {}
    for name, part in result_parts.parts_of(document).items():
        blob = get_blob(part.sha256)
        if blob is None:
            continue
        stream = CollectionStream(blob)
        crs = crs_name(stream.head) or output_crs(document, name)
        sample = next(stream.batches(max(_SCAN, scan)), [])
        found[name] = StoredLayer(part.features, crs, sample, _ranges_of(part.sha256, get_blob))
    return found


#: The colour classes of the parts seen last, by digest (a part's content never changes).
_RANGES: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
_RANGES_KEPT = 16
_RANGES_LOCK = threading.Lock()


def _ranges_of(sha256: str, get_blob: Callable[[str], bytes | None]) -> dict[str, dict[str, Any]]:
    """Return :func:`number_ranges` of a part's GeoParquet file, worked out once per part.

    650,000 homes: 0.28 s, then none for the next views of the page.
    """
    with _RANGES_LOCK:
        if sha256 in _RANGES:
            _RANGES.move_to_end(sha256)
            return _RANGES[sha256]
    parquet = get_blob(sha256 + result_parts.PARQUET)
    ranges = number_ranges(parquet) if parquet is not None else {}
    with _RANGES_LOCK:  # page views run in threads
        _RANGES[sha256] = ranges
        while len(_RANGES) > _RANGES_KEPT:
            _RANGES.popitem(last=False)
    return ranges


def number_ranges(parquet: bytes) -> dict[str, dict[str, Any]]:
    """Return the map's classes of every numeric column of a GeoParquet file, over all its rows.

    ``{"min", "max", "breaks"}``: the four breaks at the fifths of the sorted finite values,
    the rule the page's map applies to the features it holds (``job.js``).

    Examples
    --------
    >>> import io, pyarrow as pa, pyarrow.parquet as pq
    >>> buf = io.BytesIO()
    >>> pq.write_table(pa.table({"d": [float(v) for v in range(10)], "ok": [True] * 10}), buf)
    >>> number_ranges(buf.getvalue())
    {'d': {'min': 0.0, 'max': 9.0, 'breaks': [2.0, 4.0, 6.0, 8.0]}}
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = pq.ParquetFile(pa.BufferReader(parquet))
    numeric = [
        f.name
        for f in file.schema_arrow
        if (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)) and f.name != "bbox"
    ]
    out: dict[str, dict[str, Any]] = {}
    if not numeric:
        return out
    table = file.read(columns=numeric)
    for name in numeric:
        values = table.column(name).to_numpy(zero_copy_only=False).astype(float)
        values = np.sort(values[np.isfinite(values)])
        if not len(values):
            continue
        at = [min(len(values) - 1, k * len(values) // 5) for k in (1, 2, 3, 4)]
        out[name] = {
            "min": float(values[0]),
            "max": float(values[-1]),
            "breaks": [float(values[i]) for i in at],
        }
    return out


def profile_metrics(outputs: Mapping[str, Any]) -> dict[str, MetricInfo]:
    """Return what the ``profile`` output says of the scored metrics (title, unit, direction).

    Used where the result declares no metrics (results before the metric model).
    """
    profile = outputs.get("profile")
    found: dict[str, MetricInfo] = {}
    if not isinstance(profile, Mapping):
        return found
    for part in (profile.get("indicators") or {}).values():
        for mid, m in ((part or {}).get("metrics") or {}).items():
            if isinstance(m, Mapping):
                title = m.get("title")
                found[str(mid)] = MetricInfo(
                    id=str(mid),
                    title=dict(title) if isinstance(title, Mapping) else {"en": str(title or mid)},
                    unit=m.get("unit"),
                    direction=m.get("direction"),
                )
    return found


def _metric(decl: dict[str, MetricInfo], mid: str, card: Mapping[str, Any] | None) -> MetricInfo:
    if mid in decl:
        return decl[mid]
    info = MetricInfo(id=mid)
    entry = ((card or {}).get("scores") or {}).get(mid)
    if isinstance(entry, Mapping):
        info.unit = entry.get("unit")
        info.direction = entry.get("direction")
    return info


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def map_metrics(
    fc: Mapping[str, Any], decl: dict[str, MetricInfo], page: Page
) -> list[dict[str, Any]]:
    """Return the properties a map of ``fc`` can be coloured by (numbers and booleans).

    Scores first (``score``, ``score_<metric>``, coloured the GGO way), then the
    declared metrics, then the other numeric properties.
    """
    kinds: dict[str, str] = {}
    for feat in fc["features"][:_SCAN]:
        for k, v in (feat.get("properties") or {}).items():
            if k in _NOT_METRICS or v is None:
                continue
            kind = "boolean" if isinstance(v, bool) else "number" if _is_number(v) else "other"
            if kinds.get(k, kind) != kind:
                kind = "other"
            kinds[k] = kind
    usable = [k for k, kind in kinds.items() if kind != "other"]

    def order(k: str) -> tuple[int, int]:
        if k == "score":
            return (0, 0)
        if k.startswith("score_"):
            return (1, usable.index(k))
        return (2 if k in decl else 3, usable.index(k))

    out = []
    for k in sorted(usable, key=order):
        is_score = k == "score" or k.startswith("score_")
        info = decl.get(k[6:] if k.startswith("score_") else k)
        label = k
        if info is not None:
            label = info.label(page.lang) + (f" ({page.t('score').lower()})" if is_score else "")
        elif k in decl:  # a declared score of its own (a scoreboard's theme score)
            label = decl[k].label(page.lang)
        elif k == "score":
            label = page.t("score")
        out.append(
            {
                "id": k,
                "label": label,
                "kind": "score" if is_score else kinds[k],
                "unit": None if is_score or info is None else info.unit,
                "direction": (
                    "higher_is_better" if is_score else (info.direction if info else None)
                ),
            }
        )
    return out


def _summary_rows(
    summary: Mapping[str, Any], decl: dict[str, MetricInfo], page: Page
) -> list[dict[str, str]]:
    rows = []
    for k, v in summary.items():
        if isinstance(v, Mapping | list) or k == "scorecard":
            continue
        info = decl.get(k)
        title = info.label(page.lang) if info else ""
        rows.append(
            {
                "key": k,
                "label": k.replace("_", " "),
                "title": "" if title == k else title,
                "text": page.num(v, info.unit if info else None),
            }
        )
    return rows


def _tornado(outputs: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]] | None:
    """Return ``{metric: [{parameter, min, max, baseline}]}`` of a sensitivity result."""
    tornado = outputs.get("tornado")
    if not isinstance(tornado, Mapping) or not tornado:
        return None
    sens = outputs.get("sensitivity") if isinstance(outputs.get("sensitivity"), Mapping) else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for metric, bars in tornado.items():
        if not isinstance(bars, list):
            continue
        rows = []
        for bar in bars:
            if not isinstance(bar, Mapping) or not (
                _is_number(bar.get("min")) and _is_number(bar.get("max"))
            ):
                continue
            param = str(bar.get("parameter"))
            entry = (sens.get(param) or {}) if isinstance(sens, Mapping) else {}
            base = ((entry.get("metrics") or {}).get(metric) or {}).get("baseline")
            rows.append(
                {
                    "parameter": param,
                    "min": bar["min"],
                    "max": bar["max"],
                    "baseline": base if _is_number(base) else None,
                }
            )
        if rows:
            out[str(metric)] = rows
    return out or None


def job_view(
    document: Any,
    description: Mapping[str, Any] | None,
    page: Page,
    job_id: str,
    stored: Mapping[str, StoredLayer] | None = None,
) -> JobView:
    """Return the job page's view of a result document (either shape, see :mod:`results`).

    ``stored``: the document's outputs stored as parts (:func:`stored_layers`); the
    document holds their placeholders.
    """
    stored = stored or {}
    outputs = outputs_of(document)
    decl = {**profile_metrics(outputs), **metric_declarations(document, description)}
    view = JobView()
    card = overall_scorecard(document)
    summary = summary_of(document)
    if card is not None:
        headline = card.get("headline")
        info = _metric(decl, str(headline), card) if headline else None
        if _is_number(card.get("score")):
            view.headline = {
                "score": card["score"],
                "label": info.label(page.lang) if info else page.t("score"),
            }
        view.profile = card.get("profile")
    view.summary = _summary_rows(summary, decl, page)

    area_output, areas = area_rows(document)
    if area_output is None:  # an area layer stored as parts: named, not read whole
        metrics = scored_metrics(document)
        for name, layer in stored.items():
            if (
                metrics
                and layer.sample
                and carries_scores(layer.sample[0].get("properties") or {}, metrics)
            ):
                area_output = name
                view.areas_stored = {"name": name, "count": layer.count}
                break
    overall = overall_row(document, page.t("overall"))
    metric_ids: list[str] = []
    for row in [overall, *areas]:
        for m in row.scores if row else ():
            if m not in metric_ids:
                metric_ids.append(m)
    view.score_metrics = [
        {"id": m, "label": (info := _metric(decl, m, card)).label(page.lang), "unit": info.unit}
        for m in metric_ids
    ]
    view.has_overall = overall is not None
    view.score_rows = ([overall] if overall else []) + areas

    for name, fc in feature_outputs(document).items():
        view.layers.append(
            {
                "name": name,
                "count": len(fc["features"]),
                "crs": output_crs(document, name),
                "url": page.url(f"/jobs/{job_id}/results/{name}", f="geojson", crs="EPSG:4326"),
                "metrics": map_metrics(fc, decl, page),
            }
        )
    features_api = f"{page.root}/jobs/{job_id}/features/collections"
    for name, layer in stored.items():
        view.layers.append(
            {
                "name": name,
                "count": layer.count,
                "crs": layer.crs,
                "url": page.url(f"/jobs/{job_id}/results/{name}", f="geojson", crs="EPSG:4326"),
                "paged": True,
                "collectionUrl": f"{features_api}/{name}",
                "itemsUrl": f"{features_api}/{name}/items",
                "metrics": [
                    {**m, **layer.ranges[m["id"]]}
                    if m["kind"] == "number" and m["id"] in layer.ranges
                    else m
                    for m in map_metrics({"features": layer.sample}, decl, page)
                ],
            }
        )
    layer_order = {area_output: 0}
    view.layers.sort(key=lambda lyr: layer_order.get(lyr["name"], 1))

    if overall and any(s is not None for s in overall.scores.values()):
        view.charts["scores"] = [
            {"label": m["label"], "score": overall.scores.get(m["id"])}
            for m in view.score_metrics
            if overall.scores.get(m["id"]) is not None
        ]
    if len(areas) > 1 and any(r.headline is not None for r in areas):
        view.charts["areas"] = [
            {"label": r.label, "score": r.headline} for r in areas if r.headline is not None
        ][:60]
    tornado = _tornado(outputs)
    if tornado:
        view.charts["tornado"] = tornado

    dq = outputs.get("data_quality")
    if isinstance(dq, Mapping) and isinstance(dq.get("warnings"), list):
        view.warnings = [dict(w) for w in dq["warnings"] if isinstance(w, Mapping)]

    parted = result_parts.parts_of(document)
    shown = {"summary", "data_quality", *feature_outputs(document), *parted}
    for name, value in outputs.items():
        if name in shown:
            continue
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
        if len(text) <= _OTHER_MAX_CHARS:
            view.other.append((name, text))

    settings = page.settings
    view.js_data = {
        "layers": view.layers,
        "charts": view.charts,
        "baseMap": {
            "url": getattr(settings, "base_map_url", None),
            "attribution": getattr(settings, "base_map_attribution", ""),
        },
        "lang": page.lang,
        "mapPage": getattr(settings, "map_page_features", 5000),
        "texts": {
            "score": page.t("score"),
            "yes": page.t("yes"),
            "no": page.t("no"),
            "tooMany": page.t("map_too_many"),
        },
    }
    return view
