"""Metric ids are snake_case everywhere a process or theme id becomes a name.

Theme and process ids are kebab-case (``external-safety``); their score columns are
``score_external_safety`` in the scoreboard, the scenario comparison, its CSV, the CSV
export and the Tygron attributes. The design is the scenario-compare one (see
``test_scenario_compare``) with the green theme renamed ``green-space``:
green n1 7.14, n2 1.0, overall 5.17; noise 10 everywhere; variant A-bomen lifts green
in n2 from 1 to 7.14.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.metrics import Metric, name_of, score_name
from gsl_indicators.core.parts import MemoPartCache
from gsl_indicators.core.spec import InputError, registry
from gsl_service.adapters.tygron import result_attributes
from gsl_service.exports import flat_properties
from hypothesis_profiles import examples
from results import execute
from scenario_design import CARD, scenario_inputs

SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=30))
def test_name_of_is_snake_case_and_idempotent(ident: str) -> None:
    name = name_of(ident)
    assert name == "" or SNAKE.fullmatch(name) or name[0].isdigit()
    assert name_of(name) == name
    assert "-" not in name and "__" not in name
    assert not name.startswith("_") and not name.endswith("_")


def test_name_of_examples() -> None:
    assert name_of("external-safety") == "external_safety"
    assert score_name("external-safety") == "score_external_safety"
    assert score_name("green-3-30-300") == "score_green_3_30_300"
    assert score_name("share_dwellings_meeting_3") == "score_share_dwellings_meeting_3"


def test_every_declared_metric_is_snake_case() -> None:
    ids = [m.id for ind in registry() for m in ind.metrics]
    assert ids and all(SNAKE.fullmatch(i) for i in ids), [i for i in ids if not SNAKE.fullmatch(i)]
    board = {m.id for m in registry().get("scoreboard").metrics}
    assert "score_external_safety" in board and "score_external-safety" not in board


def test_a_hyphenated_metric_id_is_refused() -> None:
    with pytest.raises(ValueError, match="score_external_safety"):
        Metric("score_external-safety", {"nl": "x", "en": "x"}, "score")


def _card() -> dict[str, Any]:
    card = copy.deepcopy(CARD)
    card["themes"][0]["id"] = "green-space"
    return card


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    inputs = scenario_inputs()
    inputs.pop("variants")
    inputs["card"] = _card()
    return execute(registry().get("scoreboard"), inputs, part_cache=MemoPartCache())


def test_scoreboard_columns_of_a_hyphenated_theme(board: dict[str, Any]) -> None:
    assert board["summary"]["score_green_space"] == 5.17
    props = [f["properties"] for f in board["neighbourhoods"]["features"]]
    assert [p["score_green_space"] for p in props] == [7.14, 1.0]
    assert all(SNAKE.fullmatch(k) for p in props for k in p)
    declared = {m["id"] for m in board["metrics"]}
    assert "score_green_space" in declared  # declared for the card's own theme
    # the theme keeps its id where it is a value
    assert [t["theme"] for t in board["themes"]] == ["green-space", "noise"]
    # the CSV export's columns are the property names
    assert "score_green_space" in flat_properties(props[0])


def test_tygron_attributes_of_a_hyphenated_theme(board: dict[str, Any]) -> None:
    attrs = result_attributes("scoreboard", board, {})
    assert attrs.globals["GSL_SCORE_GREEN_SPACE"] == 5.17
    assert attrs.globals["GSL_SCORE_NOISE"] == 10.0


def test_scenario_comparison_of_a_hyphenated_theme() -> None:
    # a cache of its own: the parts are test_scenario_compare's, which counts its misses
    out = execute(
        registry().get("scenario-compare"),
        {**scenario_inputs(), "card": _card()},
        part_cache=MemoPartCache(),
    )
    rows = [
        r
        for r in out["comparison"]
        if (r["scenario"], r["area_id"], r["metric"]) == ("A-bomen", "n2", "score_green_space")
    ]
    assert len(rows) == 1 and rows[0]["theme"] == "green-space"
    assert rows[0]["delta"] == 6.14  # 1 → 7.14
    texts = {(t["scenario"], t["theme"]): t["text"] for t in out["themes"]}
    assert texts[("A-bomen", "green-space")] == "A-bomen: green-space better in 1 of 2 areas"
    metrics = {r["metric"] for r in csv.DictReader(io.StringIO(out["csv"]))}
    assert "score_green_space" in metrics and not any("-" in m for m in metrics)


def test_two_themes_with_one_column_are_refused() -> None:
    card = _card()
    card["themes"][1] = {**card["themes"][1], "id": "green_space"}
    inputs = scenario_inputs()
    inputs.pop("variants")
    with pytest.raises(InputError, match="score_green_space"):
        execute(registry().get("scoreboard"), {**inputs, "card": card}, part_cache=MemoPartCache())
