"""Per-feature outputs as GIS files, read back with GDAL itself (pyogrio).

The play-space example (two RD New squares of 100 m × 100 m at x 121000 … 121100,
y 486900 … 487100, in Amsterdam) gives scores 10 (Noord: 400 m² / 10 000 m² = 4 %,
the ambition) and 2.67 (Zuid: 1 %, 1 + 0.01 / 0.03 × 5).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from api.helpers import assert_problem, wait_for_job
from gsl_indicators.core.spec import registry

#: RD New's area of use (x, y in metres): the Netherlands.
RD_NL = (-7_000, 289_000, 300_000, 629_000)


@pytest.fixture(scope="module")
def play_job(client: Any) -> str:
    body = registry().get("play-space").describe()["example"]
    r = client.post(
        "/processes/play-space/execution", json=body, headers={"Prefer": "respond-async"}
    )
    assert r.status_code == 201, r.text
    return str(wait_for_job(client, r.headers["location"])["jobID"])


@pytest.fixture(scope="module")
def green_job(client: Any) -> str:
    body = registry().get("green-3-30-300").describe()["example"]
    r = client.post(
        "/processes/green-3-30-300/execution", json=body, headers={"Prefer": "respond-async"}
    )
    assert r.status_code == 201, r.text
    return str(wait_for_job(client, r.headers["location"])["jobID"])


def _save(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_geopackage_opens_in_gdal_with_rd_new(client: Any, play_job: str, tmp_path: Path) -> None:
    r = client.get(f"/jobs/{play_job}/results/neighbourhoods?f=gpkg")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    assert "attachment" in r.headers["content-disposition"]
    path = _save(tmp_path, "play.gpkg", r.content)
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:28992"
    assert info["features"] == 2
    assert info["geometry_type"] == "Polygon"
    assert "score_play_share" in list(info["fields"])  # the nested scorecard, flattened
    meta, _, geometry, fields = pyogrio.raw.read(path)
    names = list(meta["fields"])
    first = pyogrio.raw.read(path, max_features=1, return_fids=False)
    import shapely

    x0, y0, x1, y1 = shapely.from_wkb(first[2][0]).bounds
    assert RD_NL[0] <= x0 and x1 <= RD_NL[2] and RD_NL[1] <= y0 and y1 <= RD_NL[3]
    assert (x0, y0, x1, y1) == (121000, 487000, 121100, 487100)  # Noord, as sent
    scores = fields[names.index("score_play_share")].tolist()
    assert scores == [10.0, 2.67]
    assert fields[names.index("feature_id")].tolist() == ["BU01", "BU02"]
    assert len(geometry) == 2


def test_csv_has_wkt_and_gdal_reads_it(client: Any, play_job: str, tmp_path: Path) -> None:
    r = client.get(f"/jobs/{play_job}/results?f=csv&output=neighbourhoods")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == ["BU01", "BU02"]
    assert [row["score_play_share"] for row in rows] == ["10.0", "2.67"]
    assert rows[0]["WKT"].startswith("POLYGON ((121000 487000")
    assert "scorecard" not in rows[0]
    path = _save(tmp_path, "play.csv", r.content)
    info = pyogrio.read_info(path)
    assert info["features"] == 2
    assert info["geometry_type"] in ("Polygon", "Unknown")


def test_csv_of_points_has_x_and_y(client: Any, green_job: str) -> None:
    r = client.get(f"/jobs/{green_job}/results/buildings", headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["x"] and row["y"] for row in rows if row["WKT"].startswith("POINT"))


def test_geojson_keeps_the_crs_member(client: Any, play_job: str, tmp_path: Path) -> None:
    r = client.get(f"/jobs/{play_job}/results/neighbourhoods")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert r.json()["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::28992"
    info = pyogrio.read_info(_save(tmp_path, "play.geojson", r.content))
    assert info["crs"] == "EPSG:28992"


def test_geojson_reprojected_to_lon_lat(client: Any, play_job: str) -> None:
    r = client.get(f"/jobs/{play_job}/results/neighbourhoods?f=geojson&crs=EPSG:4326")
    assert r.status_code == 200
    doc = r.json()
    assert "crs" not in doc  # RFC 7946: longitude/latitude
    x, y = doc["features"][0]["geometry"]["coordinates"][0][0]
    # RD (121000, 487000) is in Amsterdam: about 4.88° E, 52.37° N
    assert 4.8 < x < 5.0 and 52.3 < y < 52.45


def test_several_layers_need_output(client: Any, green_job: str) -> None:
    r = client.get(f"/jobs/{green_job}/results?f=gpkg")
    doc = assert_problem(r, 400, "invalid-parameter-value", "output=", "buildings")
    assert doc["input"] == "output"


def test_unsupported_format_is_406_not_json(client: Any, play_job: str) -> None:
    for url, headers in (
        (f"/jobs/{play_job}/results?f=xlsx", {}),
        (f"/jobs/{play_job}/results/neighbourhoods?f=shp", {}),
        (f"/jobs/{play_job}/results/summary?f=csv", {}),
        (f"/jobs/{play_job}/results?f=csv&output=summary", {}),  # was JSON, a 200
        (f"/jobs/{play_job}/results?f=gpkg&output=summary", {}),
        (f"/jobs/{play_job}/results", {"Accept": "application/xml"}),
    ):
        r = client.get(url, headers=headers)
        assert_problem(r, 406, "invalid-parameter-value", "not available")


@pytest.mark.parametrize(
    "query",
    ["limit=10", "bbox=0,0,1,1", "offset=5", "foo=bar", "output=neighbourhoods&filter=x"],
)
def test_a_query_parameter_the_results_do_not_take_is_a_400(
    client: Any, play_job: str, query: str
) -> None:
    """Paging and filters belong to ``/jobs/{id}/features``; here they would be ignored."""
    name = query.split("&")[-1].split("=")[0]
    for path in (f"/jobs/{play_job}/results", f"/jobs/{play_job}/results/neighbourhoods"):
        if path.endswith("neighbourhoods") and query.startswith("output="):
            continue
        r = client.get(f"{path}?{query}")
        doc = assert_problem(r, 400, "invalid-parameter-value", "not a query parameter")
        assert doc["input"] == name
    assert client.get(f"/jobs/{play_job}/results?lang=en&f=json").status_code == 200


def test_json_results_unchanged_by_default(client: Any, play_job: str) -> None:
    r = client.get(f"/jobs/{play_job}/results")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert "neighbourhoods" in r.json()
    r = client.get(f"/jobs/{play_job}/results/summary")
    assert r.json()["play_share"] == 0.025  # 500 m² / 20 000 m²


def test_unknown_output_and_bad_crs(client: Any, play_job: str) -> None:
    assert_problem(client.get(f"/jobs/{play_job}/results/nope"), 404, "not-found", "nope")
    r = client.get(f"/jobs/{play_job}/results/neighbourhoods?crs=EPSG:999999")
    assert assert_problem(r, 400, "invalid-parameter-value", "EPSG:999999")["input"] == "crs"


def test_output_on_the_json_results_is_not_ignored(client: Any, play_job: str) -> None:
    """``?output=`` chooses a file's layer; with JSON (or HTML) it gave the whole document,
    even for an output the result does not have."""
    for fmt in ("", "&f=json"):
        r = client.get(f"/jobs/{play_job}/results?output=nope{fmt}")
        assert assert_problem(r, 404, "not-found", "nope")["input"] == "output"
        r = client.get(f"/jobs/{play_job}/results?output=neighbourhoods{fmt}")
        doc = assert_problem(r, 400, "invalid-parameter-value", "selects the layer of a file")
        assert f"/jobs/{play_job}/results/neighbourhoods" in doc["detail"]
    # the page answers the same problems as pages
    r = client.get(f"/jobs/{play_job}/results?output=nope&f=html")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get(f"/jobs/{play_job}/results?output=neighbourhoods&f=html")
    assert r.status_code == 400 and "selects the layer of a file" in r.text
    r = client.get(f"/jobs/{play_job}/results?output=neighbourhoods&f=geojson")
    assert r.status_code == 200 and len(r.json()["features"]) == 2


def test_results_document_honours_crs(client: Any, play_job: str) -> None:
    """``/jobs/{id}/results?crs=EPSG:4326`` reprojects every layer, as the per-output route does."""
    plain = client.get(f"/jobs/{play_job}/results").json()
    r = client.get(f"/jobs/{play_job}/results?crs=EPSG:4326")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    one = client.get(f"/jobs/{play_job}/results/neighbourhoods?f=geojson&crs=EPSG:4326").json()

    def layer(d: dict[str, Any]) -> dict[str, Any]:
        v = d["neighbourhoods"]
        return v["value"] if "mediaType" in v else v

    assert "crs" not in layer(doc)  # RFC 7946: longitude/latitude
    assert layer(doc)["features"] == one["features"]  # the same as the per-output route
    x, y = layer(doc)["features"][0]["geometry"]["coordinates"][0][0]
    # RD (121000, 487000) in Amsterdam is about 4.88° E, 52.37° N (not 121000 m any more)
    assert 4.8 < x < 5.0 and 52.3 < y < 52.45
    x_rd, y_rd = layer(plain)["features"][0]["geometry"]["coordinates"][0][0]
    assert (x_rd, y_rd) == (121000, 487000)
    assert doc["summary"] == plain["summary"]  # other outputs untouched
    bad = client.get(f"/jobs/{play_job}/results?crs=EPSG:999999")
    assert assert_problem(bad, 400, "invalid-parameter-value", "EPSG:999999")["input"] == "crs"


def test_a_layer_by_reference_gets_crs_on_its_link() -> None:
    from gsl_service.ogc.results_export import reproject_document

    link = {"href": "http://h/jobs/j1/results/buildings?f=flatgeobuf", "rel": "enclosure"}
    out = reproject_document({"buildings": link, "n": 2}, "OGC:CRS84", "EPSG:4326")
    assert out == {
        "buildings": {**link, "href": link["href"] + "&crs=EPSG%3A4326"},
        "n": 2,
    }
