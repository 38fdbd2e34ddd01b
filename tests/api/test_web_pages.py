"""Pages and static files through the ASGI app (the browser tests look at them for real)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.helpers import assert_problem, wait_for_job
from gsl_indicators.core.spec import registry
from gsl_service.web.assets import VENDOR_FILES


def test_static_files_are_served(client: Any) -> None:
    assert client.get("/static/gsl.css").status_code == 200
    for path in VENDOR_FILES:  # from npm, installed by make install
        r = client.get(f"/static/vendor/{path}")
        assert r.status_code == 200, path


def test_landing_links_only_what_exists(client: Any) -> None:
    links = client.get("/").json()["links"]
    hrefs = [lk["href"] for lk in links]
    assert not any("collections" in h or "TileMatrixSets" in h for h in hrefs)
    assert any(h.endswith("/menukaart?f=html") for h in hrefs)
    base = "http://127.0.0.1:5000"
    for h in hrefs:
        if h.startswith(base):
            assert client.get(h[len(base) :] or "/").status_code == 200, h


@pytest.mark.parametrize(
    ("headers", "query", "title"),
    [
        ({}, "", "Menukaart"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "", "Menu card"),
        ({"Accept-Language": "en"}, "&lang=nl", "Menukaart"),
        ({}, "&lang=en", "Menu card"),
    ],
)
def test_menu_card_language(client: Any, headers: dict[str, str], query: str, title: str) -> None:
    r = client.get(f"/menukaart?f=html{query}", headers=headers)
    assert r.status_code == 200
    assert f"<h1>{title}</h1>" in r.text


def test_browser_accept_gets_pages_and_clients_get_json(client: Any) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert client.get("/menukaart", headers=browser).headers["content-type"].startswith("text/html")
    assert client.get("/menukaart").headers["content-type"].startswith("application/json")
    assert client.get("/processes/play-space").json()["id"] == "play-space"


def test_menu_card_shows_norms_sources_and_parameters(client: Any) -> None:
    html = client.get("/menukaart?f=html&lang=en").text
    assert 'id="play-space"' in html
    assert 'href="https://jantjebeton.nl/"' in html  # sources as links
    assert "<code>norm_share</code>" in html  # parameters
    assert "stedelijk wonen" in html  # a band per area type (nl-default, indicative bands)


def test_process_page_has_the_example_to_run(client: Any) -> None:
    html = client.get("/processes/play-space?f=html").text
    assert 'id="run-form"' in html and "BU01" in html
    assert "0.03" in html and "0.2" in html  # default and maximum of norm_share


def test_an_analysis_form_asks_for_its_target_before_the_layers(client: Any) -> None:
    # a sensitivity analysis's layers are its target's: which of the 33 matter depends
    # on `process`, so the form starts with it; an indicator's form starts with its layers
    html = client.get("/processes/sensitivity?f=html").text
    assert 0 < html.index('class="run-params"') < html.index('class="run-layers"')
    assert html.index('id="param-inputs"') < html.index('class="run-layers"')
    html = client.get("/processes/green-3-30-300?f=html").text
    assert 0 < html.index('class="run-layers"') < html.index('class="run-params"')


def test_html_errors_are_pages(client: Any) -> None:
    r = client.get("/processes/nope?f=html")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "nope" in r.text
    assert_problem(client.get("/processes/nope"), 404, "no-such-process", "nope")


def test_job_page_scorecard_from_the_hand_checked_example(client: Any) -> None:
    body = registry().get("play-space").describe()["example"]
    r = client.post(
        "/processes/play-space/execution", json=body, headers={"Prefer": "respond-async"}
    )
    job = wait_for_job(client, r.headers["location"])
    html = client.get(f"/jobs/{job['jobID']}?f=html&lang=en").text
    # overall 500 / 20 000 = 2.5 % → 1 + 0.025 / 0.03 × 5 = 5.17; Noord 4 % → 10; Zuid 1 % → 2.67
    assert 'id="headline-score">5.17<' in html
    assert 'class="score score-good" data-metric="play_share" data-score="10.0"' in html
    assert 'class="score score-bad" data-metric="play_share" data-score="2.67"' in html
    assert "2.5 %" in html
    # the downloads per layer are introduced where there are layers
    assert "Per layer as GeoJSON" in html


def test_job_page_without_layers_offers_the_whole_result_alone(client: Any) -> None:
    # mkba has no layer: no "per layer as …" sentence over nothing, no features API
    body = registry().get("mkba").describe()["example"]
    r = client.post("/processes/mkba/execution", json=body, headers={"Prefer": "respond-async"})
    job = wait_for_job(client, r.headers["location"])
    html = client.get(f"/jobs/{job['jobID']}?f=html&lang=en").text
    assert 'id="downloads"' in html and "Whole result (JSON)" in html
    assert "Per layer as" not in html and 'id="features-api"' not in html


def test_a_failed_jobs_page_names_the_input_once(client: Any) -> None:
    """The detail of an input error names its input itself: the page said it twice."""
    body = copy.deepcopy(registry().get("heat").describe()["example"])
    body["inputs"]["buildings"]["features"][0]["properties"]["height"] = -9999
    r = client.post("/processes/heat/execution", json=body, headers={"Prefer": "respond-async"})
    job = wait_for_job(client, r.headers["location"])
    assert job["status"] == "failed"
    html = client.get(f"/jobs/{job['jobID']}?f=html&lang=en").text
    assert html.count("input &#39;buildings&#39;") == 1, html
    assert "&#39;height&#39; outside -10–1000 (such as -9999)" in html
