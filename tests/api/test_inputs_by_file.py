"""Geo inputs by reference as FlatGeobuf, GeoParquet and GeoJSON files, read as columns.

The files are written in the test (GDAL through pyogrio for FlatGeobuf and GeoJSON,
pyarrow through GeoPandas for GeoParquet), served by a local HTTP server (127.0.0.1 is
allow-listed in the API settings) and fetched by the service under its guard.

The city: six 10 × 10 m homes ``b0`` … ``b5`` in a row, 100 m apart (x = 121000 +
100·i, y = 487000), with ``dwellings`` = i + 1 (21 in all); one tree 5 m east of each
home's east side, three more beside ``b0``; a 1.44 ha park and one neighbourhood
around everything.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import orjson
import pytest
import shapely

from api.helpers import assert_problem
from file_store import serving
from geojson_helpers import RD_CRS, box, fc, feature
from results import values

X0, Y0 = 121_000.0, 487_000.0
HOMES = gpd.GeoDataFrame(
    {"id": [f"b{i}" for i in range(6)], "dwellings": [i + 1 for i in range(6)]},
    geometry=[shapely.box(X0 + 100 * i, Y0, X0 + 100 * i + 10, Y0 + 10) for i in range(6)],
    crs="EPSG:28992",
)
# one tree 5 m east of every home; three more 5 m west of b0: b0 has 4 trees within 30 m
TREES = gpd.GeoDataFrame(
    geometry=[shapely.Point(X0 + 100 * i + 15, Y0 + 5) for i in range(6)]
    + [shapely.Point(X0 - 5, Y0 + 2 * k) for k in range(3)],
    crs="EPSG:28992",
)
PARK = shapely.box(X0, Y0 + 40, X0 + 120, Y0 + 160)  # 120 × 120 m = 1.44 ha
AREA = shapely.box(X0 - 200, Y0 - 200, X0 + 800, Y0 + 400)


def _geojson(frame: gpd.GeoDataFrame) -> dict:
    return orjson.loads(frame.to_json(to_wgs84=False))


def _file(frame: gpd.GeoDataFrame, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "parquet":
        frame.to_parquet(buf, write_covering_bbox=True)
    else:
        frame.to_file(
            buf, driver={"fgb": "FlatGeobuf", "geojson": "GeoJSON"}[fmt], engine="pyogrio"
        )
    return buf.getvalue()


FILES = {f"/homes.{fmt}": _file(HOMES, fmt) for fmt in ("fgb", "parquet", "geojson")} | {
    "/trees.fgb": _file(TREES, "fgb"),
    # no extension and a generic type: only the magic bytes tell
    "/data/homes-fgb": _file(HOMES, "fgb"),
    "/data/homes-parquet": _file(HOMES, "parquet"),
    "/broken.fgb": b"fgb\x03fgb\x00" + b"\x00" * 64,
    # cut short inside its last feature: GDAL would read it as fewer homes, or none
    "/truncated.fgb": _file(HOMES, "fgb")[:-10],
}
SEEN: list[str] = []


class _Files(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        SEEN.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/collections/homes/items":  # OGC API – Features, bbox in degrees
            body = _geojson(HOMES.to_crs("OGC:CRS84"))
            box = parse_qs(parts.query).get("bbox")
            if box:
                x0, y0, x1, y1 = (float(v) for v in box[0].split(","))
                sel = shapely.box(x0, y0, x1, y1)
                body["features"] = [
                    f
                    for f in body["features"]
                    if shapely.from_geojson(orjson.dumps(f["geometry"])).intersects(sel)
                ]
            data, ctype = orjson.dumps(body), "application/geo+json"
        elif parts.path in FILES:
            data, ctype = FILES[parts.path], "application/octet-stream"
        else:
            data, ctype = b"{}", "application/json"
        self.send_response(200 if data != b"{}" else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    with serving(_Files) as url:
        yield url


def _inputs(homes: object, trees: object | None = None) -> dict:
    return {
        "buildings": homes,
        "trees": trees if trees is not None else {**_geojson(TREES), "crs": RD_CRS},
        "parks": fc(feature(box(*PARK.bounds)), origin=None),  # RD New already
        "neighbourhoods": fc(feature(box(*AREA.bounds), code="BU01"), origin=None),
    }


def _run(client, inputs: dict):
    return client.post("/processes/green-3-30-300/execution", json={"inputs": inputs})


def _by_id(doc: dict) -> dict[str, dict]:
    return {f["properties"]["id"]: f["properties"] for f in values(doc)["buildings"]["features"]}


@pytest.mark.parametrize(
    "ref",
    [
        {"href": "/homes.fgb", "type": "application/flatgeobuf"},
        {"href": "/homes.parquet", "type": "application/vnd.apache.parquet"},
        {"href": "/data/homes-fgb"},  # sniffed: the magic bytes "fgb\x03fgb"
        {"href": "/data/homes-parquet"},  # sniffed: "PAR1"
    ],
)
def test_homes_from_a_file_give_the_inline_answer(client, files, ref) -> None:
    r = _run(client, _inputs({**ref, "href": files + ref["href"]}))
    assert r.status_code == 200, r.text
    inline = _run(client, _inputs({**_geojson(HOMES), "crs": RD_CRS}))
    got, want = _by_id(r.json()), _by_id(inline.json())
    assert got == want
    # by hand: b0 has its own tree 5 m east and three 5 m west (4); the others one each
    assert [got[f"b{i}"]["trees_within"] for i in range(6)] == [4, 1, 1, 1, 1, 1]
    summary = values(r.json())["summary"]
    assert summary["dwellings"] == 21  # 1 + 2 + … + 6
    prov = values(r.json())["provenance"]["inputs"]["buildings"]
    assert prov["features"] == prov["features_given"] == 6
    assert prov["crs"] == "EPSG:28992"


def test_bbox_reads_only_the_features_it_meets(client, files) -> None:
    # x 120950 … 121250 meets b0 (121000–121010), b1 (121100–…), b2 (121200–121210) only
    box = [120_950, 486_950, 121_250, 487_050]
    for path in ("/homes.fgb", "/homes.parquet", "/homes.geojson"):
        r = _run(client, _inputs({"href": files + path, "bbox": box}))
        assert r.status_code == 200, (path, r.text)
        assert sorted(_by_id(r.json())) == ["b0", "b1", "b2"], path
        assert values(r.json())["summary"]["dwellings"] == 6  # 1 + 2 + 3


def test_a_file_and_its_bbox_make_the_cache_key(client, files) -> None:
    ref = {"href": files + "/homes.fgb", "type": "application/flatgeobuf"}
    a = values(_run(client, _inputs(ref)).json())["provenance"]["inputs"]["buildings"]["digest"]
    b = values(_run(client, _inputs({**ref, "bbox": [0, 0, 1e6, 1e6]})).json())
    assert a != b["provenance"]["inputs"]["buildings"]["digest"]


def test_two_inputs_from_files(client, files) -> None:
    r = _run(client, _inputs({"href": files + "/homes.fgb"}, {"href": files + "/trees.fgb"}))
    assert r.status_code == 200, r.text
    assert _by_id(r.json())["b0"]["trees_within"] == 4


def test_ogc_api_features_gets_the_bbox_as_query(client, files) -> None:
    # in degrees: a box around b0 and b1 only (RD x 120990 … 121150 at y ≈ 487000)
    lon0, lat0 = _lonlat(120_990, 486_990)
    lon1, lat1 = _lonlat(121_150, 487_020)
    SEEN.clear()
    r = _run(
        client,
        _inputs({"href": files + "/collections/homes/items", "bbox": [lon0, lat0, lon1, lat1]}),
    )
    assert r.status_code == 200, r.text
    assert sorted(_by_id(r.json())) == ["b0", "b1"]
    assert any("bbox=" in p for p in SEEN)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True).transform(x, y)


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ({"href": "/broken.fgb", "type": "application/flatgeobuf"}, ("not a readable FlatGeobuf",)),
        ({"href": "/truncated.fgb"}, ("not a readable FlatGeobuf", "a truncated file")),
        ({"href": "/truncated.fgb", "bbox": list(AREA.bounds)}, ("a truncated file",)),
        ({"href": "/homes.fgb", "crs": "EPSG:28992"}, ("a reference takes the members", "'crs'")),
        ({"href": "/homes.fgb", "bbox": [1, 2, 0, 3]}, ("bbox must be",)),
        ({"href": "/homes.fgb", "bbox": "all"}, ("bbox must be",)),
        ({"href": "/homes.fgb", "type": "image/png"}, ("media type 'image/png'",)),
    ],
)
def test_a_bad_file_is_a_400_naming_the_input(client, files, ref, words) -> None:
    r = _run(client, _inputs({**ref, "href": files + ref["href"]}))
    problem = assert_problem(r, 400, "invalid-parameter-value", *words)
    assert problem["input"] == "buildings"


# -- a sensitivity analysis reads the layers given to it, by reference too -------------

SENSITIVITY = {
    "process": "green-3-30-300",
    "parameters": ["park_distance_m", "min_park_area_m2"],
    "steps": 3,
}


def _sensitivity(client, inputs: dict):
    return client.post("/processes/sensitivity/execution", json={"inputs": inputs})


def test_a_sensitivity_analysis_reads_its_layers_by_reference(client, files) -> None:
    layers = _inputs(
        {"href": files + "/homes.fgb", "type": "application/flatgeobuf"},
        {"href": files + "/trees.fgb"},
    )
    r = _sensitivity(client, {**SENSITIVITY, "inputs": {}, **layers})
    assert r.status_code == 200, r.text
    got = values(r.json())
    share = {
        name: got["sensitivity"][name]["metrics"]["share_buildings_meeting_300"]
        for name in SENSITIVITY["parameters"]
    }
    # by hand: the 1.44 ha park lies 30 m north of b0 and b1; b2 … b5 are 85.4, 182.5,
    # 281.6 and 381.2 m from its corner (dx 80, 180, 280, 380; dy 30). Within 200, 350
    # and 500 m: 4, 5 and 6 of 6 homes (the baseline 300 m: 5)
    assert share["park_distance_m"]["values"] == pytest.approx([4 / 6, 5 / 6, 1.0])
    assert share["park_distance_m"]["baseline"] == pytest.approx(5 / 6)
    # the park counts from 5,000 and 12,500 m², not from 20,000 m² (it has 14,400)
    assert share["min_park_area_m2"]["values"] == pytest.approx([5 / 6, 5 / 6, 0.0])
    assert [row["parameter"] for row in got["tornado"]["share_buildings_meeting_300"]] == [
        "min_park_area_m2",
        "park_distance_m",
    ]
    prov = got["provenance"]
    assert prov["inputs"]["buildings"]["features"] == 6
    assert prov["inputs"]["trees"]["features"] == 9
    assert prov["crs"] == "EPSG:28992"
    # the same analysis with every layer inline in `inputs`
    inline = _inputs({**_geojson(HOMES), "crs": RD_CRS})
    want = values(_sensitivity(client, {**SENSITIVITY, "inputs": inline}).json())
    assert got["sensitivity"] == want["sensitivity"]
    assert got["tornado"] == want["tornado"]
    assert got["baseline"] == want["baseline"]


@pytest.mark.parametrize(
    ("extra", "name", "words"),
    [
        # a layer the target does not read is refused, never ignored
        ({"addresses": "HOMES"}, "addresses", ("'green-3-30-300' does not read 'addresses'",)),
        # given both ways
        ({"inputs": {"parks": "PARK"}}, "parks", ("given twice", "inputs.parks")),
        # a reference inside `inputs` names where it may go instead
        (
            {"inputs": {"parks": {"href": "/homes.fgb"}}, "parks": None},
            "inputs",
            ("not fetched inside `inputs`", "this process's input 'parks'"),
        ),
    ],
)
def test_a_sensitivity_analysis_refuses_layers_it_cannot_use(
    client, files, extra, name, words
) -> None:
    layers = _inputs({"href": files + "/homes.fgb"})
    body = {**SENSITIVITY, "inputs": {}, **layers}
    for key, value in extra.items():
        named = {"HOMES": layers["buildings"], "PARK": layers["parks"]}
        body[key] = named.get(value, value) if isinstance(value, str) else value
    body = {k: v for k, v in body.items() if v is not None}
    for prefer in ({}, {"Prefer": "respond-async"}):
        r = client.post("/processes/sensitivity/execution", json={"inputs": body}, headers=prefer)
        assert assert_problem(r, 400, "invalid-parameter-value", *words)["input"] == name


def test_a_sensitivity_analysis_names_the_layers_missing_either_way(client, files) -> None:
    body = {**SENSITIVITY, "inputs": {}, "buildings": {"href": files + "/homes.fgb"}}
    r = _sensitivity(client, body)
    doc = assert_problem(
        r, 400, "invalid-parameter-value", "neighbourhoods, parks", "inline in `inputs`"
    )
    assert doc["input"] == "neighbourhoods"
