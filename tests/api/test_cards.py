"""Menu cards as data (GET /menukaart, /menukaart/{card}) and the scoreboard over HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from api.helpers import assert_problem
from geojson_helpers import box, fc, feature, point
from gsl_indicators.core import run
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.cards import resolve_card
from gsl_indicators.core.spec import registry
from results import values

CARDS = ("ggo-light", "ggo-utrecht-example", "nieuwegein-woningbouwmonitor-example")


def test_menukaart_lists_the_cards(client: Any) -> None:
    doc = client.get("/menukaart").json()
    assert [c["id"] for c in doc["cards"]] == list(CARDS)
    ggo = doc["cards"][1]
    assert ggo["profile"] == "ggo-utrecht-example" and ggo["example"] is True
    assert ggo["themes"] == [
        "air",
        "noise",
        "odour",
        "external-safety",
        "emf",
        "heat",
        "green",
        "water",
        "flood",
        "activity",
        "soil",
        "proximity",
    ]
    assert any(link["type"] == "text/csv" for link in ggo["links"])


@pytest.mark.parametrize("card_id", CARDS)
def test_one_card_json(client: Any, card_id: str) -> None:
    r = client.get(f"/menukaart/{card_id}")
    assert r.status_code == 200
    card = r.json()
    assert card["id"] == card_id and card["kind"] == "menu-card"
    for theme in card["themes"]:
        for entry in theme["indicators"]:
            assert entry["indicator"] in registry()


def test_one_card_csv(client: Any) -> None:
    r = client.get("/menukaart/nieuwegein-woningbouwmonitor-example", params={"f": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    tree = next(x for x in rows if x["parameter"] == "tree_distance_m")
    assert tree["theme"] == "green" and tree["indicator"] == "green-3-30-300"
    assert float(tree["value"]) == 30 and float(tree["default"]) == 30
    assert float(tree["adjustable_min"]) == 30 and float(tree["adjustable_max"]) == 100
    same = client.get(
        "/menukaart/nieuwegein-woningbouwmonitor-example", headers={"Accept": "text/csv"}
    )
    assert same.text == r.text


def test_unknown_card_and_format(client: Any) -> None:
    assert_problem(client.get("/menukaart/nope"), 404, "not-found")
    doc = assert_problem(
        client.get(f"/menukaart/{CARDS[1]}", params={"f": "xml"}), 406, "invalid-parameter-value"
    )
    assert doc["input"] == "f"


@pytest.mark.parametrize(
    ("card", "place"),
    [
        (
            {
                "extends": CARDS[1],
                "id": "x",
                "accents": {"green-3-30-300": {"tree_distance_m": 20}},
            },
            "card.accents.green-3-30-300.tree_distance_m: 20 is outside the allowed range",
        ),
        ({"extends": CARDS[1], "id": "x", "profile": "nope"}, "card.profile: unknown norm profile"),
        (
            {
                "id": "x",
                "title": {"nl": "x", "en": "x"},
                "version": "1",
                "publisher": "p",
                "themes": [
                    {
                        "id": "g",
                        "title": {"nl": "g", "en": "g"},
                        "indicators": [{"indicator": "nee"}],
                    }
                ],
            },
            "card.themes[0].indicators[0].indicator: unknown indicator 'nee'",
        ),
        # a card that scores nothing was a 200 with an empty scoreboard
        (
            {"id": "x", "title": {"nl": "x"}, "version": "1", "publisher": "p", "themes": []},
            "card.themes: List should have at least 1 item",
        ),
        (
            {
                "id": "x",
                "title": {"nl": "x"},
                "version": "1",
                "publisher": "p",
                "themes": [{"id": "g", "title": {"nl": "g"}, "indicators": []}],
            },
            "card.themes[0].indicators: List should have at least 1 item",
        ),
        # an extending card's own themes were dropped without a word
        (
            {"extends": CARDS[1], "id": "x", "themes": []},
            "card.themes: a card that extends another takes its themes",
        ),
        (
            {"extends": CARDS[1], "id": "x", "themes": None},
            "card.themes: a card that extends another takes its themes",
        ),
        # accents without a card to adjust were applied again on every round trip
        (
            {
                "id": "x",
                "title": {"nl": "x"},
                "version": "1",
                "publisher": "p",
                "themes": [
                    {
                        "id": "g",
                        "title": {"nl": "g"},
                        "indicators": [
                            {
                                "indicator": "play-space",
                                "adjustable": {"norm_share": {"minimum": 0, "maximum": 0.1}},
                            }
                        ],
                    }
                ],
                "accents": {"play-space": {"norm_share": 0.05}},
            },
            "card.accents: accents adjust a card this one extends",
        ),
        # the accents of a card that extends would be lost under the next one's
        (
            {
                "extends": {
                    "extends": CARDS[1],
                    "id": "mid",
                    "accents": {"green-3-30-300": {"tree_distance_m": 50}},
                },
                "id": "x",
            },
            "card.extends: 'mid' extends 'ggo-utrecht-example' itself",
        ),
    ],
)
def test_bad_cards_are_400_naming_the_place(client: Any, card: dict[str, Any], place: str) -> None:
    _refused(client, card, place)


def _refused(client: Any, card: dict[str, Any], place: str) -> None:
    inputs = dict(registry().get("scoreboard").example or {})
    inputs["card"] = card
    doc = assert_problem(
        client.post("/processes/scoreboard/execution", json={"inputs": inputs}),
        400,
        "invalid-parameter-value",
    )
    assert doc["input"] == "card" and place in doc["detail"]


def _one_entry(indicator: str, **entry: Any) -> dict[str, Any]:
    theme = {"id": "g", "title": {"nl": "g"}, "indicators": [{"indicator": indicator, **entry}]}
    return {"id": "x", "title": {"nl": "x"}, "version": "1", "publisher": "p", "themes": [theme]}


@pytest.mark.parametrize(
    ("indicator", "entry", "place"),
    [
        # each was accepted and then ignored: no analysis, or a range nothing could meet
        (
            "play-space",
            {"parameters": {"uncertainty": {"samples": 10}}},
            "indicators[0].parameters.uncertainty: a card sets how an indicator is computed",
        ),
        (
            "play-space",
            {"adjustable": {"uncertainty": {"values": [None]}}},
            "indicators[0].adjustable.uncertainty: a card sets how",
        ),
        (
            "play-space",
            {"adjustable": {"norm_share": {"minimum": -5, "maximum": 9}}},
            "indicators[0].adjustable.norm_share.minimum: Input should be greater than or equal to 0",
        ),
        (
            "play-space",
            {"adjustable": {"norm_share": {"minimum": 0.0, "maximum": 9}}},
            "indicators[0].adjustable.norm_share.maximum: Input should be less than or equal to 0.2",
        ),
        (
            "play-space",
            {"adjustable": {"norm_share": {"values": ["a"]}}},
            "indicators[0].adjustable.norm_share.values[0]: Input should be a valid number",
        ),
        (
            "play-space",
            {"adjustable": {"norm_share": {"values": [0.03], "minimum": 0.0}}},
            "indicators[0].adjustable.norm_share: give `values` or `minimum`/`maximum`, not both",
        ),
        (
            "play-space",
            {"adjustable": {"norm_share": {"minimum": 0.1, "maximum": 0.05}}},
            "indicators[0].adjustable.norm_share: minimum 0.1 lies above maximum 0.05",
        ),
        (
            "green-3-30-300",
            {"adjustable": {"distance_mode": {"minimum": 1}}},
            "indicators[0].adjustable.distance_mode: 'distance_mode' is a string; give its allowed `values`",
        ),
        (
            "green-3-30-300",
            {"adjustable": {"distance_mode": {"values": ["euclidean", "by-bike"]}}},
            "indicators[0].adjustable.distance_mode.values[1]: Input should be 'euclidean' or 'network'",
        ),
        # a pin the entry's other values never read (the default distances are straight)
        (
            "green-3-30-300",
            {"parameters": {"network_cutoff_m": 500}},
            "indicators[0].parameters.network_cutoff_m: never read with the card's other "
            "values: read only when distance_mode is 'network' (it is 'euclidean')",
        ),
        # a speed a municipality could set while every mobility profile is a distance
        (
            "proximity-facilities",
            {"adjustable": {"walking_speed_m_s": {"minimum": 0.6, "maximum": 1.4}}},
            "indicators[0].adjustable.walking_speed_m_s: never read with the card's other "
            "values: no mobility profile is given in minutes",
        ),
        # refused only when the scoreboard ran it: the theme was "not assessed" (a 200)
        (
            "play-space",
            {"parameters": {"profile_override": {"bands": {}}}},
            "indicators[0].parameters.profile_override: bands: Extra inputs are not permitted",
        ),
    ],
)
def test_card_entries_nothing_could_honour_are_400(
    client: Any, indicator: str, entry: dict[str, Any], place: str
) -> None:
    _refused(client, _one_entry(indicator, **entry), "card.themes[0]." + place)


def test_a_pin_read_once_a_municipality_switches_what_it_depends_on_is_kept() -> None:
    entry = {
        "parameters": {"network_cutoff_m": 500},
        "adjustable": {"distance_mode": {"values": ["euclidean", "network"]}},
    }
    card = resolve_card(_one_entry("green-3-30-300", **entry))
    assert card.themes[0].indicators[0].parameters == {"network_cutoff_m": 500}


def test_a_card_entry_s_valid_profile_override_scores_it(client: Any) -> None:
    # play-space overall 0.025 (500 m² / 20,000 m²) below the minimum 0.03: 1 + 5 ×
    # 0.025 / 0.03 = 5.17 with the default scores; with score_at_minimum 7 the band
    # runs 1 → 7: 1 + 6 × 0.025 / 0.03 = 6.0
    inputs = dict(registry().get("scoreboard").example or {})
    override = {"scoring": {"score_at_minimum": 7}}
    inputs["card"] = _one_entry("play-space", parameters={"profile_override": override})
    r = client.post("/processes/scoreboard/execution", json={"inputs": inputs})
    assert r.status_code == 200, r.text
    assert values(r.json())["summary"]["score_g"] == 6.0


def test_scoreboard_example_by_hand(client: Any) -> None:
    inputs = dict(registry().get("scoreboard").example or {})
    r = client.post("/processes/scoreboard/execution", json={"inputs": inputs})
    assert r.status_code == 200, r.text
    doc = values(r.json())
    # play-space on 2 × 10,000 m²: Noord 400 m² = 0.04 → 10 (ambition); Zuid 100 m² = 0.01
    # → 1 + 5 × 0.01 / 0.03 = 2.67; overall 500 / 20,000 = 0.025 → 5.17
    p = [f["properties"] for f in doc["neighbourhoods"]["features"]]
    assert [x["score_green"] for x in p] == [10.0, 2.67]
    assert [x["themes_below_minimum"] for x in p] == [0, 1]
    assert doc["summary"]["score_green"] == 5.17 and doc["summary"]["score_heat"] is None
    heat = next(t for t in doc["themes"] if t["theme"] == "heat")
    assert heat["status"] == "not assessed" and heat["missing"] == ["cool_places"]
    row = next(x for x in doc["area_themes"] if x["area_id"] == "BU02" and x["theme"] == "green")
    assert row["indicators"][0]["band"]["minimum"] == 0.03 and row["score"] == 2.67


def _green_card() -> dict[str, Any]:
    return {
        "id": "groen",
        "title": {"nl": "Groen", "en": "Green"},
        "version": "1",
        "publisher": "test",
        "themes": [
            {
                "id": "green",
                "title": {"nl": "Groen", "en": "Green"},
                "indicators": [{"indicator": "play-space"}, {"indicator": "green-per-dwelling"}],
            }
        ],
    }


def test_rerun_with_one_layer_changed_recomputes_only_its_readers() -> None:
    x0 = 100_000 + uuid.uuid4().int % 50_000  # fresh geometry: nothing cached from before
    nbh = fc(feature(box(x0, 400_000, x0 + 100, 400_100), "n1"), origin=None)
    inputs = {
        "card": _green_card(),
        "neighbourhoods": nbh,
        "buildings": fc(feature(point(x0 + 50, 400_050), "w", dwellings=2), origin=None),
        "green": fc(feature(box(x0, 400_000, x0 + 30, 400_030), "g"), origin=None),
        "play_areas": fc(feature(box(x0 + 60, 400_060, x0 + 70, 400_070), "p"), origin=None),
    }
    sb = registry().get("scoreboard")
    first = output_values(run.execute(sb, inputs))
    assert [p["cache"] for p in first["provenance"]["parts"]] == ["miss", "miss"]
    inputs["play_areas"] = fc(feature(box(x0 + 60, 400_060, x0 + 80, 400_080), "p"), origin=None)
    second = output_values(run.execute(sb, inputs))
    # play-space reads play_areas: computed again; green-per-dwelling does not: reused
    assert [p["cache"] for p in second["provenance"]["parts"]] == ["miss", "hit"]
    # 100 → 400 m² of play area on 10,000 m²: 0.01 → 0.04
    shares = [t["indicators"][0]["value"] for t in (first["themes"][0], second["themes"][0])]
    assert shares == [0.01, 0.04]


def test_a_resolved_card_sent_back_is_the_same_card(client: Any) -> None:
    # a scoreboard's `card` output (extends, the base's themes with the accents applied,
    # deviations) is a card a client may send again: it resolves to itself
    inputs = dict(registry().get("scoreboard").example or {})
    inputs["card"] = {
        "extends": CARDS[1],
        "id": "stad-x",
        "accents": {"green-3-30-300": {"tree_distance_m": 50}},
    }
    first = values(client.post("/processes/scoreboard/execution", json={"inputs": inputs}).json())
    again = client.post(
        "/processes/scoreboard/execution", json={"inputs": {**inputs, "card": first["card"]}}
    )
    assert again.status_code == 200, again.text
    card = values(again.json())["card"]
    assert card == first["card"]
    assert [(d["parameter"], d["card_value"], d["local_value"]) for d in card["deviations"]] == [
        ("tree_distance_m", 30, 50)
    ]


def test_a_layer_no_indicator_on_the_card_reads_is_said(client: Any) -> None:
    # the scoreboard declares every layer any indicator reads (a twin sends them all);
    # one the card leaves unread was dropped without a word
    inputs = dict(registry().get("scoreboard").example or {})
    parks = fc(feature(box(121000, 487000, 121100, 487100), "p"), origin=None)
    doc = values(
        client.post(
            "/processes/scoreboard/execution", json={"inputs": {**inputs, "parks": parks}}
        ).json()
    )
    ignored = [w for w in doc["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    assert [(w["input"], "no indicator on the card" in w["message"]) for w in ignored] == [
        ("parks", True)
    ]
    doc = values(client.post("/processes/scoreboard/execution", json={"inputs": inputs}).json())
    assert not [w for w in doc["data_quality"]["warnings"] if w["code"] == "input-ignored"]


def test_an_indicator_on_a_card_twice_takes_an_accent_where_it_may() -> None:
    # GGO-light scores seven themes with one indicator; only the canopy theme lets a
    # municipality set crown_area_m2 (20-150 m²). Only the last entry was looked at, so
    # no accent of GGO-light could be set. Given deviations are worked out, not taken.
    from gsl_indicators.core.cards import resolve_card

    card = resolve_card(
        {"extends": "ggo-light", "id": "x", "accents": {"ggo-light": {"crown_area_m2": 40}}}
    )
    set_in = [e.parameters.get("crown_area_m2") for _, e in card.entries()]
    assert set_in.count(40) == 1 and len(set_in) == 7
    assert [(d.parameter, d.local_value) for d in card.deviations] == [("crown_area_m2", 40)]
    again = resolve_card(
        {
            **card.model_dump(),
            "deviations": [
                {"indicator": "noise", "parameter": "p", "card_value": 1, "local_value": 2}
            ],
        }
    )
    assert again.model_dump() == card.model_dump()
