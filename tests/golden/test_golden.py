"""Golden outputs: the metric model changed shapes and units, never the numbers.

``tests/golden/<id>.json`` holds each indicator's example inputs and its result as
computed *before* the metric model (``record.py``). Here the stored inputs run through
today's code and every metric of the new result is found in the old one:

* by default at the same name in the same place (overall metrics in ``summary``,
  area and feature metrics as properties of the output of the same name);
* else where ``changes.MOVED`` says (the documented changes of shape), times the
  documented unit factor (percentages became fractions: 0.01);
* or listed in ``changes.NEW`` as a metric that did not exist before.

Values agree to the metric's declared digits. Scores (per area and overall) must be
the same as before, and the features (ids, geometries, order) too. An indicator not on
the metric model yet must give its old document unchanged.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest

from golden.changes import MOVED, NEW, SCORE_CHANGES, Old
from gsl_indicators.core import run
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.canonical import canonical_json
from gsl_indicators.core.spec import Indicator, registry

HERE = Path(__file__).resolve().parent
GOLDEN = sorted(HERE.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())


def _new_result(ind: Indicator, inputs: dict[str, Any]) -> dict[str, Any]:
    doc = run.execute(ind, inputs)
    return orjson.loads(canonical_json(output_values(doc)))


def _get(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def _close(new: Any, old: Any, digits: int, scale: float) -> bool:
    if old is None or new is None or isinstance(new, bool | str) or isinstance(old, bool | str):
        return new == old
    tol = 0.5 * 10.0 ** (-digits) + 1e-12
    return math.isclose(float(new), float(old) * scale, abs_tol=tol)


def _props(fc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f.get("properties") or {} for f in fc["features"]]


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden(path: Path) -> None:
    rec = _load(path)
    ind = registry().get(rec["id"])
    old = rec["output"]
    new = _new_result(ind, rec["inputs"])
    assert ind.uses_metric_model, f"{ind.id} is not on the metric model"
    assert ind.version != rec["version"], "outputs changed shape: bump the version"
    moved = MOVED.get(ind.id, {})
    added = NEW.get(ind.id, set())
    checked = 0
    # the request's metrics: the declared ones and those the metric templates name for it
    for metric in ind.metrics_for(new["provenance"]["parameters"]):
        for level in metric.levels:
            key = (level, metric.id)
            if key in added or metric.id in added:
                continue
            spec = moved.get(key) or moved.get(metric.id) or Old.default(ind, level, metric.id)
            if level == "overall":
                if metric.id not in new["summary"]:
                    continue  # not computed for this example (e.g. a source without data)
                value = new["summary"][metric.id]
                assert _close(value, spec.value(old), metric.digits, spec.scale), (
                    ind.id,
                    key,
                    value,
                    spec,
                )
                checked += 1
                continue
            layer = ind.features if level == "feature" else ind.areas
            assert layer is not None
            if layer not in new:
                continue
            rows = _props(new[layer])
            if not rows or metric.id not in rows[0]:
                continue
            olds = spec.column(old, len(rows))
            for i, (row, o) in enumerate(zip(rows, olds, strict=True)):
                assert _close(row[metric.id], o, metric.digits, spec.scale), (
                    ind.id,
                    key,
                    i,
                    row[metric.id],
                    o,
                    spec,
                )
            checked += 1
    assert checked, f"{ind.id}: no metric compared with the golden output"
    _check_scores(ind, old, new)
    _check_features(ind, old, new)


def _check_scores(ind: Indicator, old: dict[str, Any], new: dict[str, Any]) -> None:
    if ind.id in SCORE_CHANGES:
        return
    old_card = old.get("summary", {}).get("scorecard")
    new_card = new.get("summary", {}).get("scorecard")
    if old_card is not None:
        assert new_card is not None
        assert new_card.get("score") == old_card.get("score")
        for name, s in new_card["scores"].items():
            old_name = MOVED.get(ind.id, {}).get(("score", name), name)
            assert s["score"] == old_card["scores"][old_name]["score"], (ind.id, name)
    if ind.areas and ind.areas in old and ind.areas in new:
        for o, n in zip(_props(old[ind.areas]), _props(new[ind.areas]), strict=True):
            if "score" in o:
                assert n["score"] == o["score"]
            for name, s in (o.get("scorecard") or {}).get("scores", {}).items():
                new_name = {v: k[1] for k, v in MOVED.get(ind.id, {}).items() if k[0] == "score"}
                assert n[f"score_{new_name.get(name, name)}"] == s["score"], (ind.id, name)


def _check_features(ind: Indicator, old: dict[str, Any], new: dict[str, Any]) -> None:
    for layer in {ind.features, ind.areas} - {None}:
        assert layer is not None
        if layer in old and layer in new:
            o, n = old[layer]["features"], new[layer]["features"]
            assert [f.get("id") for f in n] == [f.get("id") for f in o]
            assert [f["geometry"] for f in n] == [f["geometry"] for f in o]


#: Processes added after the golden files were recorded (nothing to compare with).
ADDED_SINCE = {
    "scoreboard",
    "scenario-compare",
    "ggo-light",
    "flood-safety",
    "activity-friendly",
    "odour",
    "external-safety",
    "emf",
}


def test_every_indicator_has_a_golden_file() -> None:
    have = {p.stem for p in GOLDEN}
    assert {ind.id for ind in registry() if ind.example} - ADDED_SINCE <= have
