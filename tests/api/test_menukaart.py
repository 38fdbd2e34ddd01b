"""The menu card and the norm profiles over HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.helpers import assert_problem
from gsl_indicators.core.spec import registry


def test_menu_card_lists_every_indicator_once_by_theme(client: TestClient) -> None:
    r = client.get("/menukaart")
    assert r.status_code == 200
    card = r.json()
    ids = [e["id"] for t in card["themes"] for e in t["indicators"]]
    expected = sorted(i.id for i in registry() if i.theme != "test")
    assert sorted(ids) == expected
    assert len(ids) == len(set(ids))
    assert card["themes"][0]["theme"] == "green"
    green = next(e for t in card["themes"] for e in t["indicators"] if e["id"] == "green-3-30-300")
    tree = next(p for p in green["parameters"] if p["name"] == "tree_distance_m")
    assert tree["default"] == 30.0 and tree["unit"] == "m"
    assert green["links"][0]["href"].endswith("/processes/green-3-30-300")
    assert green["sources"] and green["method"]
    names = {p["name"]: p for p in card["profiles"]}
    assert names["ggo-utrecht-example"]["example"] is True
    assert names["nl-default"]["example"] is False
    assert "example" in card["parking_norm_tables"]


def test_profile_detail_and_unknown_profile(client: TestClient) -> None:
    card = client.get("/menukaart").json()
    href = next(p["href"] for p in card["profiles"] if p["name"] == "nl-default")
    r = client.get(urlsplit(href).path)
    assert r.status_code == 200
    assert r.json()["name"] == "nl-default"
    r = client.get("/menukaart/profiles/no-such")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "nl-default" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "headers", "named"),
    [
        ("/menukaart", {"f": "csv"}, {}, "f"),
        ("/menukaart", {"f": "xml"}, {}, "f"),
        ("/menukaart", {}, {"Accept": "text/csv"}, "Accept"),
        ("/menukaart/profiles/ggo-utrecht-example", {"f": "csv"}, {}, "f"),
        ("/menukaart/profiles/ggo-utrecht-example", {}, {"Accept": "text/csv"}, "Accept"),
        ("/menukaart/ggo-light", {"f": "xml"}, {}, "f"),
        ("/menukaart/ggo-light", {}, {"Accept": "application/xml"}, "Accept"),
    ],
)
def test_a_format_the_menu_card_is_not_in_is_a_problem_not_json(
    client: TestClient, path: str, params: dict[str, str], headers: dict[str, str], named: str
) -> None:
    doc = assert_problem(
        client.get(path, params=params, headers=headers), 406, "invalid-parameter-value"
    )
    assert doc["input"] == named


def test_the_menu_card_formats_it_is_in_still_answer(client: TestClient) -> None:
    assert client.get("/menukaart", params={"f": "json"}).json()["themes"]
    assert client.get("/menukaart", headers={"Accept": "*/*"}).json()["themes"]
    page = client.get("/menukaart", headers={"Accept": "application/xml;q=1, text/html;q=0.5"})
    assert page.headers["content-type"].startswith("text/html")
    csv_text = client.get("/menukaart/ggo-light", headers={"Accept": "text/csv"}).text
    assert csv_text.startswith("theme,indicator")
    profile = client.get("/menukaart/profiles/ggo-utrecht-example", params={"f": "json"})
    assert profile.status_code == 200 and profile.json()
