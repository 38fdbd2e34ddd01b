"""A job's per-feature outputs as OGC API – Features collections (``/jobs/{id}/features``).

An app stores outputs of more than 5 features as parts (``GSL_STORED_FEATURES_MAX=5``):
green-3-30-300 on a seeded city of 60 homes in a few neighbourhoods gives ``buildings``
as a stored GeoParquet part and ``neighbourhoods`` inline. Every page is checked
against the output as the results route gives it in GeoJSON (the document's JSON, not
the GeoParquet file the collections read), with shapely and pyproj computing what a
box should select and where CRS84 puts each corner. A real ``gsl serve`` is then read
by GDAL's OGC API – Features driver (``OAPIF:``), an independent client that pages and
picks the storage CRS as QGIS does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import orjson
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from api.conftest import make_settings
from api.helpers import assert_problem, wait_for_job
from gsl_indicators.core import synthetic
from gsl_service.app import create_app
from gsl_service.ogc.features_query import CRS84_URI, MAX_LIMIT

CITY = synthetic.city(60, seed=3, buildings_per_neighbourhood=20)
INPUTS = {k: CITY[k] for k in ("buildings", "trees", "parks", "neighbourhoods")}
RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
TO_LONLAT = Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(
        Path(tmp_path_factory.mktemp("features")), inline_features_max=5, stored_features_max=5
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def job(app: TestClient) -> str:
    r = app.post(
        "/processes/green-3-30-300/execution",
        json={"inputs": INPUTS},
        headers={"Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    assert wait_for_job(app, r.headers["Location"])["status"] == "successful"
    return r.headers["Location"].rsplit("/", 1)[1]


def _reference(app: TestClient, job: str, name: str) -> list[dict]:
    r = app.get(f"/jobs/{job}/results/{name}?f=geojson")
    assert r.status_code == 200
    return orjson.loads(r.content)["features"]


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _expected_properties(feature: dict) -> dict:
    """The properties a page holds: the GeoParquet file's columns (``id`` as ``feature_id``)."""
    props = dict(feature["properties"])
    if "id" in feature:
        props["feature_id"] = feature["id"]
    return props


def test_the_landing_page_conformance_and_collections(app, job) -> None:
    stored = app.app.state.engine.store.get_result(job)  # type: ignore[attr-defined]
    assert b"gsl-part:" in stored  # buildings is stored as a part, neighbourhoods inline
    base = f"http://127.0.0.1:5000/jobs/{job}/features"
    # the job's status and its result's link to the large output lead here
    status = app.get(f"/jobs/{job}").json()
    assert any(link["rel"] == "service" and link["href"] == base for link in status["links"])
    link = app.get(f"/jobs/{job}/results").json()["buildings"]
    assert f"{base}/collections/buildings/items" in link["title"]
    landing = app.get(f"/jobs/{job}/features").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert rels["data"] == f"{base}/collections" and rels["conformance"] == f"{base}/conformance"
    assert app.get(_path(rels["service-desc"])).status_code == 200
    conf = app.get(f"/jobs/{job}/features/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    docs = app.get(f"/jobs/{job}/features/collections").json()["collections"]
    assert [c["id"] for c in docs] == ["buildings", "neighbourhoods"]
    for doc in docs:
        assert doc == app.get(f"/jobs/{job}/features/collections/{doc['id']}").json()
        assert doc["storageCrs"] == RD and doc["crs"] == [CRS84_URI, RD]
        # the extent: the output's box in longitude/latitude, computed here with pyproj
        geoms = shapely.from_geojson(
            [orjson.dumps(f["geometry"]).decode() for f in _reference(app, job, doc["id"])]
        )
        box = TO_LONLAT.transform_bounds(*shapely.total_bounds(geoms), densify_pts=21)
        assert doc["extent"]["spatial"]["bbox"][0] == pytest.approx(list(box), abs=1e-9)
        downloads = [link for link in doc["links"] if link["rel"] == "enclosure"]
        assert {urlsplit(link["href"]).query for link in downloads} >= {"f=geoparquet", "f=gpkg"}
        for link in downloads:
            assert app.get(_path(link["href"])).status_code == 200


@pytest.mark.parametrize("name", ["buildings", "neighbourhoods"])
def test_paging_through_every_feature_gives_the_output(app, job, name) -> None:
    reference = _reference(app, job, name)
    path = f"/jobs/{job}/features/collections/{name}/items?limit=7&crs={RD}"
    got: list[dict] = []
    while path:
        r = app.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        assert r.headers["content-crs"] == f"<{RD}>"
        page = r.json()
        assert page["numberMatched"] == len(reference)
        assert page["numberReturned"] == len(page["features"]) <= 7
        got += page["features"]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        path = _path(nxt[0]) if nxt else ""
    assert [f["id"] for f in got] == list(range(len(reference)))
    for mine, ref in zip(got, reference, strict=True):
        assert mine["geometry"] == ref["geometry"]  # the storage CRS: the very coordinates
        assert mine["properties"] == _expected_properties(ref)
    one = app.get(f"/jobs/{job}/features/collections/{name}/items/3?crs={RD}").json()
    assert one["geometry"] == reference[3]["geometry"] and one["id"] == 3


def test_crs84_by_default_each_corner_where_pyproj_puts_it(app, job) -> None:
    reference = _reference(app, job, "buildings")
    r = app.get(f"/jobs/{job}/features/collections/buildings/items?offset=10&limit=5")
    assert r.headers["content-crs"] == f"<{CRS84_URI}>"
    page = r.json()
    assert [f["id"] for f in page["features"]] == [10, 11, 12, 13, 14]
    for f in page["features"]:
        ring = np.asarray(reference[f["id"]]["geometry"]["coordinates"][0])
        lon, lat = TO_LONLAT.transform(ring[:, 0], ring[:, 1])
        assert np.asarray(f["geometry"]["coordinates"][0]) == pytest.approx(
            np.column_stack([lon, lat]), abs=1e-12
        )
    rels = {link["rel"]: _path(link["href"]) for link in page["links"]}
    assert "offset=15" in rels["next"] and "offset=5" in rels["prev"]


def _selected(app, job: str, query: str) -> list[int]:
    r = app.get(f"/jobs/{job}/features/collections/buildings/items?limit={MAX_LIMIT}&{query}")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["numberMatched"] == page["numberReturned"]
    return [f["id"] for f in page["features"]]


def test_bbox_selects_the_features_whose_geometry_meets_it(app, job) -> None:
    reference = _reference(app, job, "buildings")
    rd = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in reference])
    x0, y0, x1, y1 = shapely.total_bounds(rd)
    box = (x0 + 0.3 * (x1 - x0), y0 + 0.2 * (y1 - y0), x0 + 0.7 * (x1 - x0), y0 + 0.6 * (y1 - y0))
    expected = np.flatnonzero(shapely.intersects(rd, shapely.box(*box))).tolist()
    assert 0 < len(expected) < len(reference)
    text = ",".join(map(str, box))
    assert _selected(app, job, f"bbox={text}&bbox-crs={RD}") == expected
    # the same question in longitude/latitude: the homes moved to CRS84 by pyproj, and a
    # box there (what a map in degrees shows), decided on their CRS84 shapes
    lonlat = shapely.transform(
        rd, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1]))
    )
    a0, b0, a1, b1 = shapely.total_bounds(lonlat)
    deg = (
        a0 + 0.25 * (a1 - a0),
        b0 + 0.25 * (b1 - b0),
        a0 + 0.6 * (a1 - a0),
        b0 + 0.75 * (b1 - b0),
    )
    expected_deg = np.flatnonzero(shapely.intersects(lonlat, shapely.box(*deg))).tolist()
    assert 0 < len(expected_deg) < len(reference)
    assert _selected(app, job, "bbox=" + ",".join(map(str, deg))) == expected_deg
    # paging within a box: its pages are its features in order
    first = app.get(
        f"/jobs/{job}/features/collections/buildings/items?limit=2&bbox={text}&bbox-crs={RD}"
    )
    assert [f["id"] for f in first.json()["features"]] == expected[:2]
    rest = app.get(
        f"/jobs/{job}/features/collections/buildings/items?bbox={text}&bbox-crs={RD}&offset=2"
    ).json()
    assert [f["id"] for f in rest["features"]] == expected[2:12]
    assert rest["numberMatched"] == len(expected)
    # far away, and across the antimeridian: nothing, not an error
    assert _selected(app, job, "bbox=170,-10,-170,10") == []
    assert _selected(app, job, "bbox=0,0,1,1") == []


def test_points_lines_the_whole_world_and_huge_numbers_as_boxes(app, job) -> None:
    reference = _reference(app, job, "buildings")
    rd = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in reference])
    n = len(reference)
    # a box of no size: what is at that point (the middle of home 7), in RD and in lon/lat
    x, y = shapely.get_coordinates(shapely.point_on_surface(rd[7]))[0]
    at = np.flatnonzero(shapely.intersects(rd, shapely.Point(x, y))).tolist()
    assert 7 in at
    assert _selected(app, job, f"bbox={x},{y},{x},{y}&bbox-crs={RD}") == at
    lon, lat = TO_LONLAT.transform(x, y)
    assert 7 in _selected(app, job, f"bbox={lon},{lat},{lon},{lat}")
    # a line: the homes it crosses
    y0, y1 = shapely.total_bounds(rd)[1], shapely.total_bounds(rd)[3]
    crossed = np.flatnonzero(
        shapely.intersects(rd, shapely.LineString([(x, y0), (x, y1)]))
    ).tolist()
    assert _selected(app, job, f"bbox={x},{y0},{x},{y1}&bbox-crs={RD}") == crossed
    # the whole world in lon/lat (a web map zoomed out), and numbers far beyond any map
    assert _selected(app, job, "bbox=-180,-90,180,90") == list(range(n))
    assert _selected(app, job, "bbox=-180,-85.05,180,85.05") == list(range(n))
    assert _selected(app, job, f"bbox=-1e300,0,1e300,1e300&bbox-crs={RD}") == list(range(n))
    assert _selected(app, job, f"bbox=1e300,1e300,1e301,1e301&bbox-crs={RD}") == []


def test_a_latitude_first_crs_is_offered_as_crs84_alone(tmp_path) -> None:
    """Part 2 gives a CRS's own axis order: EPSG:4258 (latitude first) is not offered."""
    from gsl_service.exports import FORMATS, export
    from gsl_service.ogc.features import _offered
    from gsl_service.ogc.features_layer import read_layer

    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [5.1, 52.1]},
                "properties": {},
            }
        ],
    }
    assert _offered(read_layer(export(fc, FORMATS["geoparquet"], "EPSG:4258", "x"))) == [
        "OGC:CRS84"
    ]
    assert _offered(read_layer(export(fc, FORMATS["geoparquet"], "EPSG:28992", "x"))) == [
        "OGC:CRS84",
        "EPSG:28992",
    ]


def test_limits_offsets_and_datetime(app, job) -> None:
    n = len(_reference(app, job, "buildings"))
    huge = app.get(f"/jobs/{job}/features/collections/buildings/items?limit=1000000000000")
    assert [f["id"] for f in huge.json()["features"]] == list(range(n))  # above the maximum: it
    r = app.get(f"/jobs/{job}/features/collections/buildings/items?offset={2**63}").json()
    assert r["numberReturned"] == 0 and r["numberMatched"] == n
    assert not [link for link in r["links"] if link["rel"] == "next"]
    assert _selected(app, job, "datetime=2026-01-01T00:00:00Z/..") == list(range(n))


@pytest.mark.parametrize(
    ("query", "name", "words"),
    [
        ("limit=0", "limit", "below 1"),
        ("limit=ten", "limit", "not an integer"),
        ("limit=1&limit=2", "limit", "once"),
        ("offset=-1", "offset", "below 0"),
        ("bbox=1,2,3", "bbox", "4 numbers"),
        ("bbox=1,2,x,4", "bbox", "not a number"),
        ("bbox=1,nan,3,4", "bbox", "finite"),
        ("bbox=1,5,3,4", "bbox", "lower y"),
        ("bbox=130000,480000,120000,490000&bbox-crs=" + RD, "bbox", "lower x"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:4326", "bbox-crs", "not a CRS of this collection"),
        ("bbox-crs=" + RD, "bbox-crs", "without bbox"),
        ("crs=EPSG:3857", "crs", "not a CRS of this collection"),
        ("datetime=yesterday", "datetime", "RFC 3339"),
        ("datetime=2026-02-01/2026-01-01", "datetime", "ends before it starts"),
        ("filter=dwellings>1", "filter", "not a query parameter"),
        ("bbox=-180,-91,180,91", "bbox", "±90"),
        ("bbox=4,52,181,53", "bbox", "±180"),
        ("bbox=4,52,5,53&bbox-crs=", "bbox-crs", "not a CRS of this collection"),
    ],
)
def test_bad_parameters_are_400_naming_them(app, job, query, name, words) -> None:
    r = app.get(f"/jobs/{job}/features/collections/buildings/items?{query}")
    doc = assert_problem(r, 400, "invalid-parameter-value", words)
    assert doc["input"] == name


def test_what_is_not_there_is_404_and_a_format_not_offered_406(app, job) -> None:
    base = f"/jobs/{job}/features"
    doc = assert_problem(app.get(f"{base}/collections/summary"), 404, "not-found", "buildings")
    assert doc["input"] == "collectionId"
    for fid in ("60", "-1", "x", "9" * 40, "²", "٣", "3 "):
        doc = assert_problem(app.get(f"{base}/collections/buildings/items/{fid}"), 404, "not-found")
        assert doc["input"] == "featureId"
    assert_problem(app.get("/jobs/no-such-job/features"), 404, "no-such-job")
    assert_problem(
        app.get(f"{base}/collections/buildings/items?f=xlsx"),
        406,
        "invalid-parameter-value",
        "xlsx",
    )
    assert_problem(
        app.get(f"{base}/collections?limit=3"),
        400,
        "invalid-parameter-value",
        "not a query parameter",
    )
    running = (
        app.post(
            "/processes/echo/execution",
            json={"inputs": {"message": "wait", "pause": 5}},
            headers={"Prefer": "respond-async"},
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    assert_problem(app.get(f"/jobs/{running}/features/collections"), 404, "result-not-ready")
    app.delete(f"/jobs/{running}")


def test_gdal_reads_the_collections_over_http(tmp_path) -> None:
    """GDAL's OAPIF driver against a real ``gsl serve``: every feature, in EPSG:28992."""
    from e2e.conftest import Server

    server = Server(
        {
            "GSL_DATA_DIR": str(tmp_path),
            "GSL_INLINE_FEATURES_MAX": "5",
            "GSL_STORED_FEATURES_MAX": "5",
        },
        tmp_path / "server.log",
    )
    try:
        import httpx

        r = httpx.post(
            f"{server.url}/processes/green-3-30-300/execution",
            json={"inputs": INPUTS},
            headers={"Prefer": "respond-async"},
            timeout=60,
        )
        assert wait_for_job(_Http(server.url), r.headers["Location"])["status"] == "successful"
        job = r.headers["Location"].rsplit("/", 1)[1]
        url = f"OAPIF:{server.url}/jobs/{job}/features"
        assert [str(n) for n, _ in pyogrio.list_layers(url)] == ["buildings", "neighbourhoods"]
        whole = orjson.loads(httpx.get(f"{server.url}/jobs/{job}/results/buildings").content)
        info = pyogrio.read_info(url, layer="buildings")
        assert info["crs"] == "EPSG:28992" and info["features"] == len(whole["features"])
        meta, table = pyogrio.read_arrow(url, layer="buildings")
        geoms = shapely.from_wkb(
            table[meta["geometry_name"] or "wkb_geometry"].to_numpy(zero_copy_only=False)
        )
        ref = shapely.from_geojson(
            [orjson.dumps(f["geometry"]).decode() for f in whole["features"]]
        )
        assert len(geoms) == len(ref)
        # GDAL may return the pages in any order: matched by their trees_within and shape
        assert sorted(shapely.to_wkt(geoms, rounding_precision=3)) == sorted(
            shapely.to_wkt(ref, rounding_precision=3)
        )
        assert sorted(table["trees_within"].to_pylist()) == sorted(
            f["properties"]["trees_within"] for f in whole["features"]
        )
        x0, y0, x1, y1 = shapely.total_bounds(ref)
        box = (x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
        _, part = pyogrio.read_arrow(url, layer="buildings", bbox=box)
        assert part.num_rows == int(shapely.intersects(ref, shapely.box(*box)).sum()) > 0
    finally:
        server.stop()


class _Http:
    """The polling helper's ``get`` over real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str):
        import httpx

        return httpx.get(path if path.startswith("http") else self.base + path, timeout=30)
