"""Large per-feature outputs of jobs are stored as parts: compressed JSON and a GeoParquet file.

Two apps run the same async green-3-30-300 job on a seeded city of 40 homes in one
neighbourhood: ``parts`` stores outputs of more than 5 features beside the document
(``GSL_STORED_FEATURES_MAX=5``), ``whole`` never does (0). The stored document of
``parts`` is small and holds a placeholder; put back together it is byte for byte the
document ``whole`` stores, and the link in the results answers the GeoParquet file
the worker made, unchanged.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import orjson
import pyarrow.parquet as pq
import pyogrio
import pytest
from fastapi.testclient import TestClient
from pyproj import CRS

from api.conftest import make_settings
from api.helpers import wait_for_job
from gsl_indicators.core import synthetic
from gsl_indicators.core.canonical import canonical_json
from gsl_service import part_downloads, result_parts
from gsl_service.app import create_app

CITY = synthetic.city(40, seed=3)
INPUTS = {k: CITY[k] for k in ("buildings", "trees", "parks", "neighbourhoods")}
URL = "/processes/green-3-30-300/execution"


def _app(tmp: Path, stored: int) -> TestClient:
    settings = make_settings(tmp, inline_features_max=5, stored_features_max=stored)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        _app(Path(tmp_path_factory.mktemp("parts")), 5) as parts,
        _app(Path(tmp_path_factory.mktemp("whole")), 0) as whole,
    ):
        yield parts, whole


def _job(client: TestClient, outputs: dict | None = None) -> str:
    body: dict = {"inputs": INPUTS} | ({"outputs": outputs} if outputs else {})
    r = client.post(URL, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 201, r.text
    assert wait_for_job(client, r.headers["Location"])["status"] == "successful"
    return r.headers["Location"].rsplit("/", 1)[1]


def _engine(client: TestClient):
    return client.app.state.engine  # type: ignore[attr-defined]


def test_the_stored_document_is_small_and_whole_again_byte_for_byte(apps) -> None:
    parts, whole = apps
    a, b = _job(parts), _job(whole)
    stored = _engine(parts).store.get_result(a)
    (part,) = result_parts.parts_in(stored)  # buildings: 40 > 5; neighbourhoods: 1
    assert part.features == 40
    full = _engine(whole).get_result(b)
    assert result_parts.parts_in(full) == []
    # the stored document is the whole one with the output's JSON replaced by the placeholder
    fc = orjson.loads(full)["buildings"]["value"]
    placeholder = f'"gsl-part:{part.sha256}:40"'
    assert len(stored) == len(full) - len(canonical_json(fc)) + len(placeholder)
    # put back, it is the very document that was never split (same key, hit false)
    assert _engine(parts).get_result(a) == full
    # the part is the canonical JSON of the output, compressed
    blob = _engine(parts).store.get_blob(part.sha256)
    assert result_parts.decompress(blob) == canonical_json(fc)


def test_the_link_answers_the_stored_geoparquet_file(apps) -> None:
    parts, _ = apps
    job = _job(parts)
    doc = parts.get(f"/jobs/{job}/results").json()
    link = doc["buildings"]
    assert link["type"] == "application/vnd.apache.parquet"
    assert link["href"].endswith(f"/jobs/{job}/results/buildings?f=geoparquet")
    assert link["title"].startswith("buildings: 40 features")
    assert len(doc["neighbourhoods"]["value"]["features"]) == 1  # small: inline
    got = parts.get("/" + link["href"].split("/", 3)[3])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/vnd.apache.parquet"
    assert got.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/28992>"
    (part,) = result_parts.parts_in(_engine(parts).store.get_result(job))
    assert got.content == _engine(parts).store.get_blob(part.sha256 + ".parquet")  # made once
    frame = gpd.read_parquet(io.BytesIO(got.content))
    inline = {f["id"]: f["properties"] for f in orjson.loads(_engine(parts).get_result(job))["buildings"]["value"]["features"]}  # fmt: skip
    assert len(frame) == 40 == len(inline)
    for row in frame.itertuples():
        want = inline[row.feature_id]
        assert row.trees_within == want["trees_within"]
        assert bool(row.meets_300) == want["meets_300"]
        assert row.park_distance_m == pytest.approx(want["park_distance_m"], abs=1e-9)


def test_other_formats_and_values_read_the_parts(apps) -> None:
    parts, whole = apps
    job = _job(parts, {"buildings": {"transmissionMode": "value"}})
    doc = parts.get(f"/jobs/{job}/results").json()
    want = orjson.loads(_engine(whole).get_result(_job(whole)))["buildings"]["value"]
    assert doc["buildings"]["value"] == want  # asked by value: inline, put back
    fgb = parts.get(f"/jobs/{job}/results/buildings?f=flatgeobuf")
    assert fgb.status_code == 200 and fgb.headers["content-type"] == "application/flatgeobuf"
    assert len(gpd.read_file(io.BytesIO(fgb.content), engine="pyogrio")) == 40
    wgs = parts.get(f"/jobs/{job}/results/buildings?f=geoparquet&crs=EPSG:4326")
    assert wgs.status_code == 200
    assert gpd.read_parquet(io.BytesIO(wgs.content)).crs == CRS("OGC:CRS84")  # reprojected
    # a synchronous request answered from the job's cache entry gets the whole document
    sync = parts.post(URL, json={"inputs": INPUTS, "outputs": {"buildings": {"transmissionMode": "value"}}})  # fmt: skip
    assert sync.status_code == 200, sync.text
    assert sync.json()["buildings"]["value"] == want
    assert sync.json()["provenance"]["value"]["cache"]["hit"] is True


def _files_equal(key: str, got: bytes, want: bytes) -> None:
    """Assert that two downloads hold the same layer (field order aside for GDAL's formats)."""
    if key == "geojson":
        assert orjson.loads(got) == orjson.loads(want)
    elif key == "csv":
        assert got == want
    elif key == "geoparquet":
        a, b = pq.read_table(io.BytesIO(got)), pq.read_table(io.BytesIO(want))
        assert a.schema.metadata[b"geo"] == b.schema.metadata[b"geo"]
        assert a.select(b.column_names).equals(b)
    else:
        a, b = pyogrio.read_arrow(io.BytesIO(got))[1], pyogrio.read_arrow(io.BytesIO(want))[1]
        assert sorted(a.column_names) == sorted(b.column_names)
        assert a.select(b.column_names).equals(b)


@pytest.mark.parametrize("key", ["geojson", "csv", "gpkg", "flatgeobuf", "geoparquet"])
@pytest.mark.parametrize("crs", [None, "EPSG:4326"])
def test_every_download_of_a_part_is_the_whole_documents(
    apps, key, crs, tmp_path, monkeypatch
) -> None:
    """Made from the stored forms (never the output parsed whole), each file is the one the
    whole document gives; GDAL's temporary file is gone once the answer is sent."""
    parts, whole = apps
    a, b = _job(parts), _job(whole)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    query = f"f={key}" + (f"&crs={crs}" if crs else "")
    for path in (f"results/buildings?{query}", f"results?output=buildings&{query}"):
        got = parts.get(f"/jobs/{a}/{path}")
        want = whole.get(f"/jobs/{b}/{path}")
        assert got.status_code == want.status_code == 200, got.text
        for header in ("content-type", "content-disposition", "content-crs"):
            assert got.headers[header].replace(a[:8], b[:8]) == want.headers[header], header
        _files_equal(key, got.content, want.content)
    assert list(tmp_path.iterdir()) == []


def test_downloads_of_a_part_do_not_read_the_output_whole(apps, monkeypatch) -> None:
    parts, _ = apps
    job = _job(parts)

    def no_whole_document(*args, **kwargs):
        raise AssertionError("the output was put back together")

    monkeypatch.setattr(result_parts, "hydrate", no_whole_document)
    for key in ("geojson", "csv", "gpkg", "flatgeobuf", "geoparquet"):
        got = parts.get(f"/jobs/{job}/results/buildings?f={key}&crs=EPSG:3035")
        assert got.status_code == 200, (key, got.text)
    assert (
        parts.get(f"/jobs/{job}/results/buildings").headers["content-type"]
        == "application/geo+json"
    )
    # a small output beside a part, and any other output, from the stored document as it is
    for path in (
        "results/neighbourhoods?f=geojson&crs=EPSG:4326",
        "results/neighbourhoods?f=csv",
        "results?output=neighbourhoods&f=gpkg",
        "results/summary",
    ):
        small = parts.get(f"/jobs/{job}/{path}")
        assert small.status_code == 200, (path, small.text)
    assert len(parts.get(f"/jobs/{job}/results/neighbourhoods").json()["features"]) == 1
    # so is the job page (its map pages through the features API)
    page = parts.get(f"/jobs/{job}?f=html")
    assert page.status_code == 200, page.text
    data = json.loads(page.text.split('id="job-data">', 1)[1].split("</script>", 1)[0])
    (layer,) = [lyr for lyr in data["layers"] if lyr["name"] == "buildings"]
    assert layer["paged"] is True and layer["count"] == 40
    assert layer["itemsUrl"].endswith(f"/jobs/{job}/features/collections/buildings/items")
    assert "gsl-part:" not in page.text  # no placeholder shown as an output


def test_a_failed_gdal_write_leaves_no_temporary_folder(apps, tmp_path, monkeypatch) -> None:
    parts, _ = apps
    job = _job(parts)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def fails(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(part_downloads, "gdal_file", fails)
    got = parts.get(f"/jobs/{job}/results/buildings?f=gpkg")
    assert got.status_code == 500
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_name_is_no_output(apps) -> None:
    parts, _ = apps
    job = _job(parts)
    got = parts.get(f"/jobs/{job}/results?output=&f=csv")
    assert got.status_code == 404, got.text
    assert got.json()["input"] == "output"


def test_raw_with_a_part_by_reference_is_a_link_to_its_stored_file(apps, monkeypatch) -> None:
    """OGC raw + reference: 204 with a Link to the stored GeoParquet file, the part never read."""
    parts, _ = apps
    body = {"inputs": INPUTS, "outputs": {"buildings": {"transmissionMode": "reference"}}, "response": "raw"}  # fmt: skip
    r = parts.post(URL, json=body, headers={"Prefer": "respond-async"})
    assert wait_for_job(parts, r.headers["Location"])["status"] == "successful"
    job = r.headers["Location"].rsplit("/", 1)[1]

    def no_whole_document(*args, **kwargs):
        raise AssertionError("the output was put back together")

    monkeypatch.setattr(result_parts, "hydrate", no_whole_document)
    got = parts.get(f"/jobs/{job}/results")
    assert got.status_code == 204, got.text
    href = got.headers["link"].split(">", 1)[0].lstrip("<")
    assert href.endswith(f"/jobs/{job}/results/buildings?f=geoparquet")
    assert 'type="application/vnd.apache.parquet"' in got.headers["link"]
    assert len(gpd.read_parquet(io.BytesIO(parts.get("/" + href.split("/", 3)[3]).content))) == 40
