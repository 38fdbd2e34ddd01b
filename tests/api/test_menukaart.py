"""The menu card and the norm profiles over HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.testclient import TestClient

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
