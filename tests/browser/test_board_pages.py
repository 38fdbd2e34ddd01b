"""The scoreboard, scenario and menu card pages in a real browser (Debian's Chromium).

Hand-checked scoreboard (the ``scoreboard`` process's declared example; inline card:
green = play-space, heat = cool-place-distance; nl-default band of ``play_share``:
floor 0 → 1, minimum 0.03 → 6, ambition 0.04 → 10, linear in between):

- Noord (BU01): 400 m² / 10 000 m² = 0.04 → 10, green;
- Zuid (BU02): 100 m² / 10 000 m² = 0.01 → 1 + 0.01 / 0.03 × 5 = 2.67, red;
- overall: 500 m² / 20 000 m² = 0.025 → 1 + 0.025 / 0.03 × 5 = 5.17, red;
- heat: no ``cool_places`` → "not assessed", naming ``cool_places``;
- themes below 6: Noord 0, Zuid 1, overall 1.

Scenario (the ``scenario-compare`` example): variant ``meer-speelruimte`` adds a
30 × 30 m play area (900 m²) in Zuid: Zuid 100 + 900 = 1000 m² / 10 000 m² = 0.10 →
above the ambition → 10 (better, +7.33); Noord unchanged (10); so "green better in 1
of 2 areas"; overall 1400 / 20 000 = 0.07 → 10 (+4.83).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gsl_indicators.core.cards import resolve_card
from gsl_indicators.core.spec import registry
from gsl_indicators.indicators.ggo_light import RULES
from scenario_design import scenario_inputs

pytestmark = pytest.mark.e2e

GREEN, RED = "#1a9850", "#d7301f"


def _run_async(server: Any, process: str, inputs: dict[str, Any]) -> str:
    r = httpx.post(
        f"{server.url}/processes/{process}/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["jobID"])


def _cell(page: Any, area: str, theme: str) -> Any:
    return page.locator(f'#board-table tr[data-area="{area}"] td[data-theme="{theme}"]')


def _background(page: Any, locator: Any) -> str:
    return str(
        page.evaluate("el => getComputedStyle(el).backgroundColor", locator.element_handle())
    )


def _painted(page: Any, canvas_id: str) -> int:
    return int(
        page.evaluate(
            """id => { const c = document.getElementById(id);
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
            canvas_id,
        )
    )


def test_scoreboard_grid_map_and_chart(tab: Any, server: Any) -> None:
    job_id = _run_async(server, "scoreboard", dict(registry().get("scoreboard").example))
    page = tab.page
    page.goto(f"{server.url}/jobs/{job_id}?f=html")
    page.wait_for_selector('#map[data-ready="1"]', timeout=120_000)

    # themes as columns (in card order), areas as rows, the overall row first
    heads = page.locator("#board-table thead th[data-theme]").evaluate_all(
        "els => els.map(e => e.dataset.theme)"
    )
    assert heads == ["green", "heat"]
    rows = page.locator("#board-table tbody tr").evaluate_all("els => els.map(e => e.dataset.area)")
    assert rows == ["overall", "BU01", "BU02"]
    assert page.locator('#board-table tr[data-area="BU01"] th').inner_text() == "Noord (BU01)"

    noord, zuid, overall = (_cell(page, a, "green") for a in ("BU01", "BU02", "overall"))
    assert noord.get_attribute("data-score") == "10.0"
    assert zuid.get_attribute("data-score") == "2.67"
    assert overall.get_attribute("data-score") == "5.17"
    assert noord.inner_text().startswith("10")
    assert zuid.inner_text().startswith("2,67")  # Dutch decimal comma
    assert "score-good" in noord.get_attribute("class")
    assert "score-bad" in zuid.get_attribute("class")
    assert "score-bad" in overall.get_attribute("class")
    assert _background(page, noord) != _background(page, zuid)

    for area in ("overall", "BU01", "BU02"):
        heat = _cell(page, area, "heat")
        assert heat.get_attribute("data-status") == "not assessed"
        assert "niet beoordeeld" in heat.inner_text() and "cool_places" in heat.inner_text()
    below = {
        a: page.locator(f'#board-table tr[data-area="{a}"] td.below-count').inner_text()
        for a in ("overall", "BU01", "BU02")
    }
    assert below == {"overall": "1", "BU01": "0", "BU02": "1"}

    # the map: both neighbourhoods, coloured by the green theme's score
    assert page.locator("#map").get_attribute("data-metric") == "score_green"
    assert page.locator("#map").get_attribute("data-drawn") == "2"
    fills = sorted(
        p.get_attribute("fill") for p in page.locator("#map path.leaflet-interactive").all()
    )
    assert fills == [GREEN, RED]  # 10 and 2.67
    # the chart of scores per theme: one bar (heat has no score)
    assert page.locator("#chart-themes").get_attribute("data-rendered") == "1"
    assert _painted(page, "chart-themes") > 500
    tab.screenshot("job-scoreboard", full_page=True)
    tab.assert_clean()


def test_scenario_page_variants_side_by_side(tab: Any, server: Any) -> None:
    job_id = _run_async(
        server, "scenario-compare", dict(registry().get("scenario-compare").example)
    )
    page = tab.page
    page.goto(f"{server.url}/jobs/{job_id}?f=html&lang=en")
    page.wait_for_selector("#chart-deltas[data-rendered]", timeout=120_000)

    sentence = page.locator('#scenario-sentences li[data-scenario="meer-speelruimte"]')
    assert sentence.inner_text() == "meer-speelruimte: green better in 1 of 2 areas"
    zuid = page.locator('#scenario-table tr[data-theme="green"][data-area="BU02"]')
    delta = zuid.locator('td.delta[data-variant="meer-speelruimte"]')
    assert delta.get_attribute("data-verdict") == "better"
    assert delta.get_attribute("data-delta") == "7.33"  # 2.67 → 10
    assert "▲" in delta.inner_text() and "+7.33" in delta.inner_text()
    assert zuid.locator("td.score").first.inner_text() == "2.67"  # the baseline
    noord = page.locator('#scenario-table tr[data-theme="green"][data-area="BU01"]')
    same = noord.locator('td.delta[data-variant="meer-speelruimte"]')
    assert same.get_attribute("data-verdict") == "unchanged"
    assert _background(page, delta) != _background(page, same)
    overall = page.locator('#scenario-table tr[data-theme="green"][data-area="overall"]')
    assert overall.locator("td.delta").get_attribute("data-delta") == "4.83"  # 5.17 → 10

    assert page.locator("#chart-deltas").get_attribute("data-rendered") == "1"
    assert _painted(page, "chart-deltas") > 500
    href = page.locator("#download-csv").get_attribute("href")
    r = httpx.get(server.url + href, timeout=30)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("scenario,area_id,theme,indicator,metric,value")
    tab.assert_clean()


def _health_inputs() -> dict[str, Any]:
    """tests/scenario_design.py's design with the health and money part: B-weg raises n2's
    road noise to 60 dB, A-bomen gives the home at x = 120 three trees (worked out by hand in
    tests/unit/test_scenario_compare.py)."""
    return {**scenario_inputs(), "health": {"mean_home_value_eur": 400000.0}}


def test_scenario_health_and_money(tab: Any, server: Any) -> None:
    """B-weg: annoyance +0.0054764 DALY a year, PV costs €5,926.91, NPV −€5,926.91;
    A-bomen: one home newly meets 3-30-300, PV benefits €15,647.92 (worked out in
    tests/unit/test_scenario_compare.py)."""
    job_id = _run_async(server, "scenario-compare", _health_inputs())
    page = tab.page
    page.goto(f"{server.url}/jobs/{job_id}?f=html&lang=en")
    page.wait_for_selector("#health-money", timeout=120_000)
    texts = {
        s.get_attribute("data-theme") + "/" + s.get_attribute("data-scenario"): s.inner_text()
        for s in page.locator("#scenario-sentences li").all()
    }
    assert texts["noise/B-weg"] == "B-weg: noise worse in 1 of 2 areas"
    assert texts["green/A-bomen"] == "A-bomen: green better in 1 of 2 areas"
    b = page.locator('#health-money article[data-variant="B-weg"]')
    assert b.locator('tr[data-key="npv"] td').inner_text() == "€ -5,926.91"
    annoyance = b.locator("tbody tr").first
    assert annoyance.locator("td.delta").inner_text() == "+0.005476"  # DALY a year
    assert "Guski" in b.inner_text() and "WHO (2011)" in b.inner_text()
    a = page.locator('#health-money article[data-variant="A-bomen"]')
    assert a.locator('tr[data-key="pv_benefits"] td').inner_text() == "€ 15,647.92"
    assert page.locator('#scenario-table td.delta[data-verdict="worse"]').count() >= 1
    page.evaluate("document.getElementById('scenario').scrollIntoView()")
    tab.screenshot("job-scenario")
    page.evaluate("document.getElementById('health-money').scrollIntoView()")
    tab.screenshot("job-scenario-health")
    tab.assert_clean()


def test_menu_cards_to_a_card_and_run_it(tab: Any, server: Any) -> None:
    page = tab.page
    page.goto(f"{server.url}/menukaart?f=html", wait_until="networkidle")
    cards = page.locator("#cards li[data-card]").evaluate_all("els => els.map(e => e.dataset.card)")
    assert sorted(cards) == [
        "ggo-light",
        "ggo-utrecht-example",
        "nieuwegein-woningbouwmonitor-example",
    ]
    assert page.locator("article#play-space").count() == 1  # the indicator menu stays
    page.locator('#cards li[data-card="ggo-utrecht-example"] h3 a').click()
    page.wait_for_selector("#card-title")
    assert page.locator("#card-title").inner_text() == "GGO-scorebord Utrecht – VOORBEELD"
    themes = page.locator("section.card-theme").evaluate_all("els => els.map(e => e.dataset.theme)")
    card = resolve_card("ggo-utrecht-example")  # every GGO theme, in the card's order
    assert themes == [t.id for t in card.themes]
    assert {"odour", "external-safety", "emf", "flood", "activity", "heat"} <= set(themes)
    # cool-place-distance: reach_m pinned at 300, adjustable 200 … 500 (the card's YAML)
    reach = page.locator(
        'article[data-indicator="cool-place-distance"] tr[data-parameter="reach_m"]'
    )
    cells = reach.locator("td").all_inner_texts()
    assert cells[2].startswith("300") and cells[4].startswith("200 … 500")
    assert "ggo-utrecht-example" in page.locator("#card-profile").get_attribute("href")
    tab.screenshot("menukaart-card")
    page.click("#run-button")
    page.wait_for_url("**/jobs/**")
    page.wait_for_selector("#board-table", timeout=120_000)
    # the example design has play areas only: green assessed, air names its missing input
    assert _cell(page, "overall", "green").get_attribute("data-status") == "assessed"
    air = _cell(page, "overall", "air")
    assert air.get_attribute("data-status") == "not assessed"
    assert air.get_attribute("data-missing")
    tab.assert_clean()


def test_ggo_light_card_page_runs_on_plan_areas(tab: Any, server: Any) -> None:
    page = tab.page
    page.goto(f"{server.url}/menukaart/ggo-light?f=html&lang=en")
    assert "plan_areas" in page.locator("#card-facts").inner_text()
    page.click("#run-button")
    page.wait_for_function(
        "location.pathname.startsWith('/jobs/') || !document.getElementById('run-error').hidden",
        timeout=60_000,
    )
    assert "/jobs/" in page.url, page.locator("#run-error").inner_text()
    page.wait_for_selector("#board-table", timeout=120_000)
    assert page.locator("#board-table tbody tr").count() >= 2
    tab.assert_clean()


def test_ggo_light_page(tab: Any, server: Any) -> None:
    """Plan area A of the example: heat from 15 trees × 50 m² crown over 8000 m² of
    public space = 0.094 → 2.56 (red); noise and air not assessed (no exposure_zones)."""
    job_id = _run_async(server, "ggo-light", dict(registry().get("ggo-light").example))
    page = tab.page
    page.goto(f"{server.url}/jobs/{job_id}?f=html&lang=en")
    page.wait_for_selector('#map[data-ready="1"]', timeout=120_000)
    assert page.locator("#board-table thead .tag.light").count() >= 5
    heat = _cell(page, "A", "heat")
    assert heat.get_attribute("data-score") == "2.56" and "score-bad" in heat.get_attribute("class")
    assert "shade_share_public_space 9.38 %" in heat.inner_text()
    noise = _cell(page, "A", "noise")
    assert noise.get_attribute("data-missing") == "exposure_zones"
    page.evaluate("document.getElementById('scoreboard').scrollIntoView()")
    tab.screenshot("job-ggo-light")
    assert page.locator("#rules tbody tr").count() == len(RULES)
    assert (
        page.locator('#rules tr[data-metric="mean_no2"]').inner_text().count("exposure_zones") == 1
    )
    tab.assert_clean()
