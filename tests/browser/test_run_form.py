"""The run form of a process page, in a real browser: from files to the result page.

A new user picks the Amsterdam kit's files (``set_input_files``, as a person would in
the file dialog), runs ``green-3-30-300`` and lands on the job's result page. The
scores the page shows are compared with those the API gives for the same request,
posted here independently of the page (and of the form's JavaScript).

The kit is read from ``$GSL_AMSTERDAM_KIT`` or ``../shared/data/amsterdam`` beside the
repository; the tests that need it are skipped with the reason when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from browser.kit import KIT, LAYERS, needs_kit

pytestmark = pytest.mark.e2e


def _kit(name: str) -> Path:
    return KIT / f"{name}.geojson"


def _without_expected_400(tab: Any) -> None:
    """Drop the browser's own log line of a 400 answer (an expected outcome here)."""
    tab.console_errors = [e for e in tab.console_errors if "status of 400" not in e]


def test_form_is_generated_from_the_description(tab: Any, server: Any) -> None:
    """Per geo input a file picker and a URL; per parameter a field with default and range."""
    desc = httpx.get(f"{server.url}/processes/green-3-30-300", timeout=30).json()
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    geo = [n for n, i in desc["inputs"].items() if "contentMediaType" in i["schema"]]
    # buildings, trees, canopy, neighbourhoods, parks, canopy_extent, network
    assert len(geo) == 7
    for name in geo:
        assert page.locator(f"#file-{name}[type=file]").count() == 1
        assert page.locator(f"#url-{name}[type=url]").count() == 1
    # numbers carry the schema's range and default: tree_distance_m 1 … 200, default 30
    td = page.locator("#param-tree_distance_m")
    assert (td.get_attribute("min"), td.get_attribute("max"), td.input_value()) == (
        "1.0",
        "200.0",
        "30",
    )
    assert page.locator("#param-min_trees").get_attribute("step") == "1"
    # a boolean is a check box, an enum a list, a structured parameter a JSON box
    assert page.locator("#param-merge_touching_parks").is_checked()
    options = page.locator("#param-park_unit option").all_inner_texts()
    assert options == ["feature", "part"]
    page.locator("details.run-structured summary").click()
    highways = json.loads(page.locator("#param-walkable_highways").input_value())
    assert highways == desc["inputs"]["walkable_highways"]["schema"]["default"]
    # the example's layers are filled in: the play-space-free 3-30-300 example has homes
    example = desc["example"]["inputs"]
    n_homes = len(example["buildings"]["features"])
    assert page.locator("#info-buildings").get_attribute("data-features") == str(n_homes)
    # the form and the JSON editor stay in sync, both ways
    page.fill("#param-tree_distance_m", "45")
    page.locator("#advanced summary").click()
    sent = json.loads(page.locator("#request-body").input_value())
    assert sent["inputs"]["tree_distance_m"] == 45
    sent["inputs"]["min_trees"] = 5
    sent["inputs"]["park_unit"] = "part"
    page.fill("#request-body", json.dumps(sent))
    page.wait_for_function("document.getElementById('param-min_trees').value === '5'")
    assert page.locator("#param-park_unit").input_value() == '"part"'
    # a value back at its default leaves the request
    page.fill("#param-min_trees", "3")
    assert "min_trees" not in json.loads(page.locator("#request-body").input_value())["inputs"]
    tab.assert_clean()


def test_english_form(tab: Any, server: Any) -> None:
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html&lang=en", wait_until="networkidle")
    assert page.locator("#run").inner_text() == "Run with your own layers"
    assert page.locator("label[for=url-parks]").inner_text() == "or a URL"
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    assert page.locator("#run").inner_text() == "Uitvoeren met eigen lagen"
    tab.assert_clean()


def test_menu_card_links_to_the_form(tab: Any, server: Any) -> None:
    page = tab.page
    page.goto(f"{server.url}/menukaart?f=html&lang=en", wait_until="networkidle")
    page.locator("article#green-3-30-300 a.run-link").click()
    page.wait_for_url("**/processes/green-3-30-300?*#run")
    assert page.locator("#run-form").is_visible()
    assert "lang=en" in page.url
    tab.assert_clean()


@needs_kit
def test_amsterdam_kit_from_files_to_scorecard(tab: Any, server: Any) -> None:
    """Pick the four kit files, run, land on the result page: map and scorecard as the API."""
    homes = json.loads(_kit("homes_1000").read_text())
    n_homes = len(homes["features"])  # 1000 address points
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    # the example's own layers are cleared first: the kit has no trees, only canopy
    for name in ("trees", "canopy_extent", "network"):
        page.click(f"button[data-clear={name}]")
    for name, file in LAYERS.items():
        page.set_input_files(f"#file-{name}", str(_kit(file)))
        page.wait_for_function(
            f"document.getElementById('info-{name}').dataset.features !== ''", timeout=30_000
        )
    info = page.locator("#info-buildings")
    assert info.get_attribute("data-features") == str(n_homes)
    assert info.get_attribute("data-crs") == "EPSG:28992"
    assert "Point × 1000" in info.inner_text()
    assert page.locator("#info-neighbourhoods").get_attribute("data-features") == "518"
    assert "Polygon × 86" in page.locator("#info-parks").inner_text()  # and 37 MultiPolygon
    page.evaluate("document.getElementById('run').scrollIntoView()")
    tab.screenshot("run-form-amsterdam")

    page.click("#run-button")
    page.wait_for_url("**/jobs/**", timeout=180_000)
    page.wait_for_selector('#map[data-ready="1"]', timeout=180_000)
    job_id = page.url.split("/jobs/")[1].split("?")[0]
    sent = httpx.get(f"{server.url}/jobs/{job_id}", timeout=30).json()
    assert sent["status"] == "successful"

    # the map: the per-home layer draws one feature per home in the file
    page.select_option("#map-layer", "1")
    page.wait_for_function("document.getElementById('map').dataset.layer === 'buildings'")
    assert page.locator("#map").get_attribute("data-drawn") == str(n_homes)
    # under 3000 features the map draws SVG: one circle marker (a path) per home
    assert page.locator("#map path.leaflet-interactive").count() == n_homes

    # the scorecard: the API's scores for the same request, posted here without the page
    body = {"inputs": {n: json.loads(_kit(f).read_text()) for n, f in LAYERS.items()}}
    r = httpx.post(f"{server.url}/processes/green-3-30-300/execution", json=body, timeout=300)
    assert r.status_code == 200, r.text[:500]
    card = r.json()["summary"]["value"]["scorecard"]
    expected = {m: s["score"] for m, s in card["scores"].items() if s.get("score") is not None}
    overall = page.locator("#scorecard-table tbody tr").first
    shown = {
        td.get_attribute("data-metric"): float(td.get_attribute("data-score"))
        for td in overall.locator("td[data-metric]").all()
        if td.get_attribute("data-score")
    }
    assert len(expected) >= 4  # canopy_share and the shares meeting 3, 300 and all three
    assert shown == pytest.approx(expected)
    # one row per neighbourhood under the overall row
    assert page.locator("#scorecard-table tbody tr").count() == 1 + 518
    tab.assert_clean()


@needs_kit
def test_wrong_file_is_refused_next_to_the_input(tab: Any, server: Any, tmp_path: Path) -> None:
    """Parks picked as homes: polygons where points or footprints... are fine; lines are not."""
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    # homes picked for the tree layer: points are right, so it is taken
    page.set_input_files("#file-trees", str(_kit("homes_1000")))
    page.wait_for_function("document.getElementById('info-trees').dataset.features === '1000'")
    # neighbourhood polygons picked for the tree layer: wrong geometry type, said at the field
    page.set_input_files("#file-trees", str(_kit("buurten")))
    error = page.locator("#error-trees")
    error.wait_for(state="visible")
    text = error.inner_text()
    assert "buurten.geojson" in text and "Polygon × 518" in text and "Point, MultiPoint" in text
    assert page.locator("#info-trees").get_attribute("data-features") == ""
    # the kit's README is not GeoJSON at all
    page.set_input_files("#file-parks", str(KIT / "README.md"))
    page.locator("#error-parks").wait_for(state="visible")
    assert "README.md" in page.locator("#error-parks").inner_text()
    assert "JSON" in page.locator("#error-parks").inner_text()
    # nothing is sent while a field is wrong
    requests_before = len(tab.requests)
    page.click("#run-button")
    assert page.locator("#run-status").inner_text() == "Verbeter eerst de gemarkeerde velden."
    assert len(tab.requests) == requests_before
    page.evaluate("document.getElementById('field-trees').scrollIntoView()")
    tab.screenshot("run-form-wrong-file")
    tab.assert_clean()


def test_problem_document_shown_next_to_the_inputs_named(tab: Any, server: Any) -> None:
    """A 400 from the service: every input it names is marked, the page stays put."""
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    for name in ("buildings", "parks", "trees", "canopy"):
        page.click(f"button[data-clear={name}]")
    page.click("#run-button")
    page.locator("#error-buildings").wait_for(state="visible")
    # the service lists all missing inputs: buildings, parks; and one of trees or canopy
    for name in ("buildings", "parks", "trees", "canopy"):
        assert "missing" in page.locator(f"#error-{name}").inner_text(), name
    assert page.locator("#error-neighbourhoods").is_hidden()
    assert "/processes/green-3-30-300" in page.url
    # a parameter out of range: named by the service, shown at its field
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    page.fill("#param-tree_distance_m", "500")
    page.click("#run-button")
    page.locator("#error-tree_distance_m").wait_for(state="visible")
    assert "tree_distance_m" in page.locator("#run-error").inner_text()
    _without_expected_400(tab)
    tab.assert_clean()


@needs_kit
def test_flatgeobuf_file_is_read_in_the_browser(tab: Any, server: Any, tmp_path: Path) -> None:
    """The kit's homes written as FlatGeobuf by GDAL: same count, CRS from the header."""
    import pyogrio

    fgb = tmp_path / "homes.fgb"
    meta, table = pyogrio.read_arrow(_kit("homes_1000"))
    pyogrio.write_arrow(
        table,
        fgb,
        driver="FlatGeobuf",
        geometry_name=meta["geometry_name"] or "wkb_geometry",
        geometry_type="Point",
        crs=meta["crs"],
        encoding="UTF-8",
    )
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    page.set_input_files("#file-buildings", str(fgb))
    page.wait_for_function(
        "document.getElementById('info-buildings').dataset.features === '1000'", timeout=30_000
    )
    assert page.locator("#info-buildings").get_attribute("data-crs") == "EPSG:28992"
    page.locator("#advanced summary").click()
    sent = json.loads(page.locator("#request-body").input_value())["inputs"]["buildings"]
    homes = json.loads(_kit("homes_1000").read_text())
    assert len(sent["features"]) == len(homes["features"]) == 1000
    assert sent["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::28992"
    # the same points by home id (GDAL's spatial index reorders the features; 3 decimals)
    got = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in sent["features"]}
    want = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in homes["features"]}
    assert got.keys() == want.keys()
    assert all(got[k] == pytest.approx(want[k], abs=1e-9) for k in want)
    tab.assert_clean()


def test_url_is_sent_as_a_reference(tab: Any, server: Any) -> None:
    """A URL becomes {"href": ...}; the service's refusal is shown at that layer."""
    page = tab.page
    page.goto(f"{server.url}/processes/green-3-30-300?f=html", wait_until="networkidle")
    url = "http://127.0.0.1:9/homes.geojson"  # loopback: not fetched unless allowlisted
    page.fill("#url-buildings", url)
    page.dispatch_event("#url-buildings", "change")
    page.locator("#advanced summary").click()
    sent = json.loads(page.locator("#request-body").input_value())
    assert sent["inputs"]["buildings"] == {"href": url}
    page.click("#run-button")
    page.locator("#error-buildings").wait_for(state="visible")
    assert "127.0.0.1" in page.locator("#error-buildings").inner_text()
    _without_expected_400(tab)
    tab.assert_clean()


def test_every_process_page_draws_its_form(tab: Any, server: Any) -> None:
    """Each process's form: one field per input, the example in the editor, no error."""
    listing = httpx.get(f"{server.url}/processes", timeout=30).json()["processes"]
    page = tab.page
    for p in listing:
        desc = httpx.get(f"{server.url}/processes/{p['id']}", timeout=30).json()
        page.goto(f"{server.url}/processes/{p['id']}?f=html", wait_until="networkidle")
        assert page.locator("#run-form .field").count() == len(desc["inputs"]), p["id"]
        sent = json.loads(page.locator("#request-body").input_value())
        assert sent == (desc.get("example") or {"inputs": {}}), p["id"]
    assert len(listing) >= 20
    tab.assert_clean()


def test_progress_is_shown_then_the_result_page_opens(tab: Any, server: Any) -> None:
    """A job that takes 2 s: the form shows it running, then opens its page."""
    page = tab.page
    page.goto(f"{server.url}/processes/echo?f=html&lang=en", wait_until="networkidle")
    page.fill("#param-message", "hoi")
    page.fill("#param-pause", "2")
    page.click("#run-button")
    page.wait_for_selector('#run-status[data-status="running"]', timeout=30_000)
    assert page.locator("#run-progress").is_visible()
    assert page.locator("#run-status").inner_text().startswith("Running…")
    page.wait_for_url("**/jobs/*?f=html&lang=en", timeout=60_000)
    assert page.locator("#job-status").get_attribute("data-status") == "successful"
    tab.assert_clean()


def test_editor_with_broken_json_sends_nothing(tab: Any, server: Any) -> None:
    page = tab.page
    page.goto(f"{server.url}/processes/play-space?f=html", wait_until="networkidle")
    page.locator("#advanced summary").click()
    page.fill("#request-body", '{"inputs": {')
    page.locator("#editor-error").wait_for(state="visible")
    before = len(tab.requests)
    page.click("#run-button")
    assert len(tab.requests) == before
    assert page.locator("#editor-error").inner_text().startswith("Geen geldige JSON")
    tab.assert_clean()
