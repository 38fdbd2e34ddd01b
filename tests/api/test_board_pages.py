"""The scoreboard, GGO-light and scenario-compare job pages and the menu card pages (ASGI).

The browser tests (tests/browser/test_board_pages.py) look at the same pages for real.

Hand-checked scoreboard example (inline card: green = play-space, heat =
cool-place-distance; nl-default band of ``play_share``: floor 0 → 1, minimum 0.03 → 6,
ambition 0.04 → 10, linear in between):

- BU01 Noord: 400 m² play / 10 000 m² = 0.04 → 10 (green); BU02 Zuid: 0.01 →
  1 + 0.01 / 0.03 × 5 = 2.67 (red); overall 500 / 20 000 = 0.025 → 1 + 0.025 / 0.03 × 5
  = 5.17 (red);
- heat: no ``cool_places`` given → "not assessed", naming ``cool_places``;
- themes below 6: Noord 0, Zuid 1 (green 2.67), overall 1 (green 5.17).
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re
from typing import Any

from api.helpers import wait_for_job
from gsl_indicators.core.spec import registry


def _run(client: Any, process: str, inputs: dict[str, Any]) -> str:
    r = client.post(
        f"/processes/{process}/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    return str(wait_for_job(client, r.headers["location"])["jobID"])


def _cell(html: str, area: str, theme: str) -> str:
    row = re.search(rf'<tr class="[^"]*" data-area="{area}">(.*?)</tr>', html, re.S)
    assert row, area
    cell = re.search(rf'<td class="[^"]*" data-theme="{theme}"[^>]*>', row.group(1))
    assert cell, (area, theme)
    return cell.group(0)


def test_scoreboard_grid_from_the_hand_checked_example(client: Any) -> None:
    job = _run(client, "scoreboard", registry().get("scoreboard").example)
    html = client.get(f"/jobs/{job}?f=html&lang=en").text
    assert 'id="board-table"' in html and 'id="scorecard-table"' not in html
    assert 'class="score score-good" data-theme="green" data-score="10.0"' in _cell(
        html, "BU01", "green"
    )
    assert 'class="score score-bad" data-theme="green" data-score="2.67"' in _cell(
        html, "BU02", "green"
    )
    assert 'data-score="5.17"' in _cell(html, "overall", "green")
    heat = _cell(html, "BU01", "heat")
    assert 'data-status="not assessed"' in heat and 'data-missing="cool_places"' in heat
    below = dict(re.findall(r'data-area="(\w+)">.*?data-below="(\d+)"', html, re.S))
    assert below == {"overall": "1", "BU01": "0", "BU02": "1"}
    assert 'id="chart-themes"' in html  # scores per theme (green only: heat has none)


def test_ggo_light_grid_is_labelled_light_and_names_the_context_input(client: Any) -> None:
    job = _run(client, "ggo-light", registry().get("ggo-light").example)
    html = client.get(f"/jobs/{job}?f=html&lang=en").text
    assert 'id="board-table"' in html and 'class="tag light"' in html
    # plan area A: heat from shade 15 trees × 50 m² / (10 000 − 2 000) m² = 0.0938 → 2.56
    assert 'data-score="2.56"' in _cell(html, "A", "heat")
    noise = _cell(html, "A", "noise")
    assert 'data-status="not assessed"' in noise and 'data-missing="exposure_zones"' in noise
    assert 'id="rules"' in html and "<code>heat.shade_share_public_space</code>" in html


def _scenario_inputs() -> dict[str, Any]:
    return dict(registry().get("scenario-compare").example)


def test_scenario_page_side_by_side_with_deltas_sentences_and_csv(client: Any) -> None:
    job = _run(client, "scenario-compare", _scenario_inputs())
    html = client.get(f"/jobs/{job}?f=html&lang=en").text
    assert 'id="scenario-table"' in html
    assert "meer-speelruimte: green better in 1 of 2 areas" in html
    assert 'data-variant="meer-speelruimte" data-verdict="better"' in html
    assert 'id="chart-deltas"' in html
    nl = client.get(f"/jobs/{job}?f=html").text
    assert "meer-speelruimte: groen beter in 1 van 2 gebieden" in nl
    # the CSV download is CSV, one row per area × metric × scenario
    link = re.search(r'id="download-csv" download href="([^"]+)"', html)
    assert link
    r = client.get(link.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    doc = client.get(f"/jobs/{job}/results/comparison").json()
    assert len(rows) == len(doc) and rows[0]["scenario"] == "baseline"
    # f=json keeps the output as a JSON string
    assert client.get(f"/jobs/{job}/results/csv?f=json").json().startswith("scenario,")
    assert client.get(f"/jobs/{job}/results/csv?f=gpkg").status_code == 406
    # another JSON output is still JSON, and CSV is not offered for it
    assert client.get(f"/jobs/{job}/results/themes?f=csv").status_code == 406


def test_card_list_and_card_page(client: Any) -> None:
    html = client.get("/menukaart?f=html&lang=en").text
    for card in ("ggo-utrecht-example", "ggo-light", "nieuwegein-woningbouwmonitor-example"):
        assert f'data-card="{card}"' in html
        assert f'href="/menukaart/{card}?f=html' in html
    assert 'id="play-space"' in html  # the indicator menu is still there
    page = client.get("/menukaart/ggo-utrecht-example?f=html&lang=en")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert 'data-theme="heat"' in text and 'data-indicator="cool-place-distance"' in text
    # pinned reach_m 300, adjustable 200 … 500 (ggo-utrecht-example-card.yaml)
    row = re.search(r'<tr data-parameter="reach_m">(.*?)</tr>', text, re.S)
    assert row and "<strong>300</strong>" in row.group(1) and "200 … 500" in row.group(1)
    assert 'href="/menukaart/profiles/ggo-utrecht-example?f=html' in text
    assert '"card": "ggo-utrecht-example"' in html_lib.unescape(text)
    assert "/processes/scoreboard/execution" in text
    # the JSON and CSV answers are unchanged
    assert client.get("/menukaart/ggo-light").json()["id"] == "ggo-light"
    assert client.get("/menukaart/ggo-light?f=csv").text.startswith("theme,indicator")
    assert client.get("/menukaart/nope?f=html").status_code == 404


def test_run_this_card_request_is_accepted(client: Any) -> None:
    """The card pages' prefilled requests run (ggo-light on plan areas, the others on
    the scoreboard example's neighbourhoods)."""
    for card in ("ggo-utrecht-example", "ggo-light"):
        text = client.get(f"/menukaart/{card}?f=html").text
        body = re.search(r'<textarea id="request-body"[^>]*>(.*?)</textarea>', text, re.S)
        assert body
        request = json.loads(html_lib.unescape(body.group(1)))
        assert request["inputs"]["card"] == card
        job = _run(client, "scoreboard", request["inputs"])
        assert client.get(f"/jobs/{job}?f=html").status_code == 200


def test_scenario_page_names_the_areas_and_counts_one_area_in_the_singular(client: Any) -> None:
    job = _run(client, "scenario-compare", _scenario_inputs())
    # the example's neighbourhoods carry `name`: BU01 Noord, BU02 Zuid
    assert client.get(f"/jobs/{job}/results/area_names").json() == {
        "BU01": "Noord",
        "BU02": "Zuid",
    }
    html = client.get(f"/jobs/{job}?f=html&lang=en").text
    cells = re.findall(r'data-area="(BU0\d)">.*?<td>([^<]*)</td>', html, re.S)
    assert ("BU01", "Noord (BU01)") in cells and ("BU02", "Zuid (BU02)") in cells
    # one area only: Zuid (BU02) gets the added playground p3 (y 486 940–486 970 lies
    # in BU02's 486 900–487 000), so green is better in 1 of 1 area; Noord (BU01) stays
    # at 10, unchanged — singular in both languages
    for area, en_text, nl_text in [
        ("BU02", "green better in 1 of 1 area<", "groen beter in 1 van 1 gebied<"),
        ("BU01", "green unchanged in the one area<", "groen ongewijzigd in het ene gebied<"),
    ]:
        inputs = _scenario_inputs()
        feats = [f for f in inputs["neighbourhoods"]["features"] if f.get("id") == area]
        inputs["neighbourhoods"] = {**inputs["neighbourhoods"], "features": feats}
        one = _run(client, "scenario-compare", inputs)
        assert [t["areas"] for t in client.get(f"/jobs/{one}/results/themes").json()] == [1]
        en = client.get(f"/jobs/{one}?f=html&lang=en").text
        nl = client.get(f"/jobs/{one}?f=html").text
        assert en_text in en and "1 areas" not in en, area
        assert nl_text in nl and "1 gebieden" not in nl, area


def test_scenario_page_counts_the_areas_it_does_not_list(client: Any) -> None:
    # A third neighbourhood n3 without homes: no noise value in any scenario, so the
    # comparison has no noise row for it; the page says so under the theme, in both
    # languages (the empty areas would otherwise vanish without a word).
    from geojson_helpers import box, fc, feature
    from scenario_design import scenario_inputs

    inputs = scenario_inputs()
    inputs["neighbourhoods"] = fc(
        feature(box(0, 0, 100, 100), "n1"),
        feature(box(100, 0, 200, 100), "n2"),
        feature(box(300, 0, 400, 100), "n3"),
    )
    job = _run(client, "scenario-compare", inputs)
    rows = client.get(f"/jobs/{job}/results/comparison").json()
    assert not [r for r in rows if r["area_id"] == "n3" and r["theme"] == "noise"]
    en = client.get(f"/jobs/{job}?f=html&lang=en").text
    nl = client.get(f"/jobs/{job}?f=html").text
    more = re.search(r'<tr class="more" data-theme="noise">.*?</tr>', en, re.S)
    assert more and "1 area not listed: not assessed in any scenario" in more.group(0)
    assert "1 gebied niet getoond: in geen scenario beoordeeld" in nl
    # green has no theme score in n3 either (no homes), but its canopy share has a
    # value: the metric table lists n3 for it
    assert 'data-theme="green" data-area="n3"' not in en
    assert '<tr class="more" data-theme="green">' in en
    assert 'data-metric="canopy_share" data-area="n3"' in en
    # every row of the per-metric table spans its columns: metric, area, baseline and
    # two per variant — its "more" rows too (they were one cell short)
    table = re.search(r'<details id="scenario-metrics">.*?</table>', en, re.S)
    assert table
    width = len(
        re.findall(r"<th[ >]", re.search(r"<thead>.*?</thead>", table.group(0), re.S).group(0))
    )
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S).group(1)
    rows = body.split("</tr>")[:-1]
    assert any('class="more"' in row for row in rows)
    for row in rows:
        spans = [int(c) for c in re.findall(r'colspan="(\d+)"', row)]
        assert len(re.findall(r"<t[dh][ >]", row)) - len(spans) + sum(spans) == width, row[:200]
