"""Large per-feature outputs by reference (OGC ``transmissionMode: reference``).

An app with ``GSL_INLINE_FEATURES_MAX=5`` runs green-3-30-300 on a seeded city of 40
buildings in 1 neighbourhood: the buildings output (40 > 5 features) comes as a link
to ``/jobs/{id}/results/buildings?f=flatgeobuf``, the neighbourhoods output (1 ≤ 5)
inline. The linked files are read back (GDAL, pyarrow) and compared feature by
feature with the inline answer that ``transmissionMode: value`` gives.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from api.conftest import make_settings
from api.helpers import assert_problem, wait_for_job
from gsl_indicators.core import synthetic
from gsl_service.app import create_app

CITY = synthetic.city(40, seed=3)
INPUTS = {k: CITY[k] for k in ("buildings", "trees", "parks", "neighbourhoods")}
URL = "/processes/green-3-30-300/execution"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(Path(tmp_path_factory.mktemp("by-ref")), inline_features_max=5)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _inline(client: TestClient) -> dict[str, dict]:
    body = {"inputs": INPUTS, "outputs": {"buildings": {"transmissionMode": "value"}}}
    r = client.post(URL, json=body)
    assert r.status_code == 200, r.text
    feats = r.json()["buildings"]["value"]["features"]
    assert len(feats) == 40  # asked for by value: inline whatever its size
    return {f["id"]: f["properties"] for f in feats}


def _same(frame: gpd.GeoDataFrame, inline: dict[str, dict]) -> None:
    assert len(frame) == 40
    for row in frame.itertuples():
        want = inline[row.feature_id]  # the feature id, a column of the file
        assert row.trees_within == want["trees_within"]
        assert bool(row.meets_300) == want["meets_300"]
        assert row.park_distance_m == pytest.approx(want["park_distance_m"], abs=1e-9)


def test_a_large_output_is_a_link_and_the_link_gives_the_features(small) -> None:
    r = small.post(URL, json={"inputs": INPUTS})
    assert r.status_code == 200, r.text
    doc = r.json()
    link = doc["buildings"]
    assert set(link) == {"href", "type", "rel", "title"}
    assert link["type"] == "application/flatgeobuf"
    assert "/results/buildings?f=flatgeobuf" in link["href"]
    assert link["title"].startswith("buildings: 40 features")
    # one neighbourhood: at most 5 features, inline
    assert len(doc["neighbourhoods"]["value"]["features"]) == 1
    assert doc["summary"]["value"]["buildings"] == 40
    got = small.get("/" + link["href"].split("/", 3)[3])  # the path of the absolute href
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/flatgeobuf"
    frame = gpd.read_file(io.BytesIO(got.content), engine="pyogrio")
    assert frame.crs.to_epsg() == 28992
    _same(frame, _inline(small))


def test_reference_asked_for_a_small_output_in_geoparquet(small) -> None:
    outputs = {
        "neighbourhoods": {
            "transmissionMode": "reference",
            "format": {"mediaType": "application/vnd.apache.parquet"},
        },
        "buildings": {"format": {"mediaType": "application/vnd.apache.parquet"}},
    }
    r = small.post(URL, json={"inputs": INPUTS, "outputs": outputs})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["neighbourhoods"]["href"].endswith("/results/neighbourhoods?f=geoparquet")
    href = doc["buildings"]["href"]
    assert href.endswith("/results/buildings?f=geoparquet")
    assert set(doc) == {"buildings", "neighbourhoods", "provenance", "data_quality"}
    got = small.get("/" + href.split("/", 3)[3])
    assert got.status_code == 200
    frame = gpd.read_parquet(io.BytesIO(got.content))
    assert frame.crs.to_epsg() == 28992
    _same(frame, _inline(small))


def test_async_results_offer_the_link_too(small) -> None:
    r = small.post(URL, json={"inputs": INPUTS}, headers={"Prefer": "respond-async"})
    assert r.status_code == 201, r.text
    wait_for_job(small, r.headers["Location"])
    doc = small.get(r.headers["Location"] + "/results").json()
    assert doc["buildings"]["type"] == "application/flatgeobuf"
    assert len(doc["neighbourhoods"]["value"]["features"]) == 1


def test_the_default_limit_keeps_small_outputs_inline(client) -> None:
    r = client.post(URL, json={"inputs": INPUTS})
    assert r.status_code == 200, r.text
    assert len(r.json()["buildings"]["value"]["features"]) == 40  # 40 ≤ 10,000


def test_descriptions_offer_both_transmission_modes(client) -> None:
    desc = client.get("/processes/green-3-30-300").json()
    assert desc["outputTransmission"] == ["value", "reference"]


@pytest.mark.parametrize(
    ("outputs", "words"),
    [
        ({"buildings": {"transmissionMode": "stream"}}, ("transmissionMode 'stream'",)),
        ({"summary": {"transmissionMode": "reference"}}, ("only per-feature outputs",)),
        ({"buildings": {"format": {"mediaType": "image/png"}}}, ("'image/png' is not offered",)),
        # what was silently ignored before
        (
            {
                "buildings": {
                    "transmissionMode": "value",
                    "format": {"mediaType": "application/vnd.apache.parquet"},
                }
            },
            ("a value is inline GeoJSON",),
        ),
        ({"buildings": "reference"}, ("an output is asked for with an object",)),
        ({"buildings": {"mode": "reference"}}, ("'mode' is not a member",)),
        ({"buildings": {"format": "application/flatgeobuf"}}, ("format is an object",)),
        ({"summary": {"format": {"mediaType": "text/csv"}}}, ("this output is JSON",)),
    ],
)
def test_bad_output_requests_are_400(small, outputs, words) -> None:
    r = small.post(URL, json={"inputs": INPUTS, "outputs": outputs})
    assert_problem(r, 400, "invalid-parameter-value", *words)


def test_an_unknown_member_of_the_request_is_400_naming_it(small) -> None:
    r = small.post(URL, json={"inputs": INPUTS, "output": {"buildings": {}}})
    doc = assert_problem(r, 400, "invalid-parameter-value", "no member 'output'")
    assert doc["input"] == "output"


def test_a_file_format_asks_for_the_file_whatever_the_size(client) -> None:
    """A FlatGeobuf asked of 40 homes (below the inline limit) links the file, not inline JSON."""
    body = {
        "inputs": INPUTS,
        "outputs": {"buildings": {"format": {"mediaType": "application/flatgeobuf"}}},
    }
    r = client.post(URL, json=body)
    assert r.status_code == 200, r.text
    link = r.json()["buildings"]
    assert link["type"] == "application/flatgeobuf" and link["href"].endswith("?f=flatgeobuf")


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w-]+="?[^;,"]*"?)*)')


def _links(header: str) -> dict[str, dict[str, str]]:
    """Return the ``Link`` header's links by their ``title`` (else ``rel``), with their params."""
    found = {}
    for href, params in _LINK.findall(header):
        pairs = (p.strip().split("=", 1) for p in params.split(";") if p.strip())
        attrs = {k: v.strip('"') for k, v in pairs}
        found[attrs.get("title", attrs["rel"])] = {"href": href, **attrs}
    return found


def test_raw_with_every_output_by_reference_is_links_alone(small) -> None:
    """OGC /req/core/job-creation-sync-raw-ref: 204, a Link header per requested output."""
    outputs = {
        "buildings": {"transmissionMode": "reference"},
        "neighbourhoods": {"transmissionMode": "reference", "format": {"mediaType": "application/geo+json"}},
    }  # fmt: skip
    r = small.post(URL, json={"inputs": INPUTS, "outputs": outputs, "response": "raw"})
    assert r.status_code == 204, r.text
    assert r.content == b"" and "content-type" not in r.headers
    links = _links(r.headers["link"])
    assert set(links) == {"buildings", "neighbourhoods", "monitor"}
    job = links["monitor"]["href"].rsplit("/", 1)[1]
    assert links["buildings"]["href"].endswith(f"/jobs/{job}/results/buildings?f=flatgeobuf")
    assert links["buildings"]["type"] == "application/flatgeobuf"
    assert links["buildings"]["rel"] == "enclosure"
    assert links["neighbourhoods"]["type"] == "application/geo+json"
    fgb = small.get("/" + links["buildings"]["href"].split("/", 3)[3])
    _same(gpd.read_file(io.BytesIO(fgb.content), engine="pyogrio"), _inline(small))
    areas = small.get("/" + links["neighbourhoods"]["href"].split("/", 3)[3]).json()
    assert len(areas["features"]) == 1


def test_raw_with_one_output_by_value_is_still_the_value(small) -> None:
    body = {"inputs": INPUTS, "outputs": {"buildings": {"transmissionMode": "value"}}, "response": "raw"}  # fmt: skip
    r = small.post(URL, json=body)
    assert r.status_code == 200
    assert len(r.json()["features"]) == 40  # the value itself


def test_async_raw_with_every_output_by_reference_is_links_alone(small) -> None:
    """OGC /req/core/job-results-async-raw-ref: the job's results answer as the sync request."""
    body = {"inputs": INPUTS, "outputs": {"buildings": {"transmissionMode": "reference"}}, "response": "raw"}  # fmt: skip
    r = small.post(URL, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 201
    assert wait_for_job(small, r.headers["Location"])["status"] == "successful"
    job = r.headers["Location"].rsplit("/", 1)[1]
    got = small.get(f"/jobs/{job}/results")
    assert got.status_code == 204, got.text
    (link,) = _links(got.headers["link"]).values()
    assert link["href"].endswith(f"/jobs/{job}/results/buildings?f=flatgeobuf")
