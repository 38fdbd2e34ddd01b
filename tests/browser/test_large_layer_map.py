"""The job page of a job whose per-feature outputs are stored as parts (a province's homes).

The service stores outputs of more than 100 features as parts
(``GSL_STORED_FEATURES_MAX=100``) and its map draws at most 600 features per view
(``GSL_MAP_PAGE_FEATURES=600``), so the Amsterdam kit's 1,000 homes and 518
neighbourhoods take the road a province's 650,000 homes take: the page is made without
reading the outputs whole, and the map pages through the job's OGC API – Features
collection, the features in view. Expected counts are the kit's (518 neighbourhoods,
1,000 homes) and, for a zoomed view, the features API's own ``numberMatched`` for the
box the map shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from browser.kit import KIT, LAYERS, needs_kit
from e2e.conftest import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("browser-parts")
    env = {
        "GSL_DATA_DIR": str(tmp / "var"),
        "GSL_LOG_LEVEL": "warning",
        "GSL_REDIS_URL": "",
        "GSL_STORED_FEATURES_MAX": "100",
        "GSL_MAP_PAGE_FEATURES": "600",
    }
    srv = Server(env, tmp / "serve.log")
    yield srv
    srv.stop()


def _wait_drawn(page: Any, layer: str) -> None:
    page.wait_for_function(
        f"(() => {{ const m = document.getElementById('map');"
        f" return m.dataset.layer === '{layer}' && m.dataset.ready === '1'; }})()",
        timeout=60_000,
    )


@needs_kit
def test_a_map_of_outputs_stored_as_parts_pages_through_the_features_api(tab: Any, server: Any) -> None:  # fmt: skip
    body = {"inputs": {n: json.loads((KIT / f"{f}.geojson").read_text()) for n, f in LAYERS.items()}}  # fmt: skip
    r = httpx.post(f"{server.url}/processes/green-3-30-300/execution", json=body, headers={"Prefer": "respond-async"}, timeout=60)  # fmt: skip
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    page = tab.page
    page.goto(f"{server.url}/jobs/{job_id}?f=html&lang=en")
    page.wait_for_selector('#job-status[data-status="successful"]', timeout=180_000)
    # both layers are parts: the page lists them with their counts, not their features
    options = page.eval_on_selector_all("#map-layer option", "els => els.map(e => e.textContent)")
    assert sorted(options) == ["buildings (1000)", "neighbourhoods (518)"]
    assert page.locator("#other-outputs code", has_text="buildings").count() == 0  # fmt: skip
    # the area layer's rows are not read whole into the table: the page says where they are
    assert page.locator("#scorecard-table tbody tr").count() == 1  # the overall row
    assert "518 areas of neighbourhoods are on the map" in page.locator("#areas-stored").inner_text()  # fmt: skip
    _wait_drawn(page, "neighbourhoods")
    mapel = page.locator("#map")
    assert mapel.get_attribute("data-matched") == "518"  # the whole layer is in view
    assert mapel.get_attribute("data-drawn") == "518"  # within a page: all drawn
    assert page.locator("#map path.leaflet-interactive").count() == 518
    assert page.locator("#map-note").inner_text() == ""
    metrics = page.eval_on_selector_all("#map-metric option", "els => els.map(e => e.value)")
    assert "score" in metrics  # found in the layer's first features
    page.locator("#map-section").scroll_into_view_if_needed()
    tab.screenshot("job-parts-neighbourhoods")

    page.select_option("#map-layer", label="buildings (1000)")
    _wait_drawn(page, "buildings")
    assert mapel.get_attribute("data-matched") == "1000"
    # more than a page in view: none drawn (a page would be an arbitrary part), and said
    assert mapel.get_attribute("data-drawn") == "0"
    note = page.locator("#map-note").inner_text()
    assert note == "1000 features in view, more than the 600 the map draws: zoom in."
    assert page.locator("#map path.layer-extent").count() == 1  # where the homes are
    page.select_option("#map-metric", "park_distance_m")
    assert mapel.get_attribute("data-metric") == "park_distance_m"
    # its colour classes are the whole layer's (every home read from the features API
    # here), not the view's: a colour means the same wherever the map is moved
    homes = httpx.get(f"{server.url}/jobs/{job_id}/features/collections/buildings/items", params={"limit": 1000}, timeout=30).json()  # fmt: skip
    values = sorted(f["properties"]["park_distance_m"] for f in homes["features"])
    assert len(values) == 1000
    want = [values[min(999, k * 1000 // 5)] for k in (1, 2, 3, 4)]
    breaks = [float(v) for v in mapel.get_attribute("data-breaks").split(",")]
    assert breaks == pytest.approx(want, abs=1e-9)

    # zoom in as a user does: the features in the new view come from the features API
    for _ in range(3):
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
    page.wait_for_function(
        "document.getElementById('map').dataset.matched !== '1000'", timeout=30_000
    )
    _wait_drawn(page, "buildings")
    box = mapel.get_attribute("data-bbox")
    items = httpx.get(f"{server.url}/jobs/{job_id}/features/collections/buildings/items", params={"bbox": box, "limit": 1}, timeout=30).json()  # fmt: skip
    matched = int(mapel.get_attribute("data-matched"))
    assert 0 < matched == items["numberMatched"] < 600
    assert int(mapel.get_attribute("data-drawn")) == matched
    assert page.locator("#map-note").inner_text() == ""  # all in view are drawn
    assert [float(v) for v in mapel.get_attribute("data-breaks").split(",")] == breaks  # unchanged
    page.locator("#map-section").scroll_into_view_if_needed()
    tab.screenshot("job-parts-homes-zoomed")

    # every download button answers, made from the stored parts
    links = page.eval_on_selector_all("#downloads a[download]", "els => els.map(e => e.href)")
    formats = {parse_qs(urlsplit(h).query)["f"][0] for h in links if "/results/buildings" in h}
    assert formats == {"geojson", "csv", "gpkg", "flatgeobuf", "geoparquet"}
    for href in links:
        got = httpx.get(href, timeout=60)
        assert got.status_code == 200, (href, got.text[:200])
    tab.assert_clean()
