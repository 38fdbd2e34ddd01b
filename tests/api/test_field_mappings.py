"""Declared field mappings in OGC execute requests; PDOK through a paging stand-in server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gsl_indicators.core.examples import box
from tygron_standin import Served

X, Y = 121000.0, 487000.0


def _f(geom: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geom, "properties": props}


#: PDOK-shaped collections (RD New): 5 addresses (4 homes), 1 buurt, 1 park (BGT)
COLLECTIONS: dict[str, list[dict[str, Any]]] = {
    "verblijfsobject": [
        _f(
            {"type": "Point", "coordinates": [X + 20 * i, Y]},
            identificatie=f"vbo{i}",
            gebruiksdoel="woonfunctie" if i != 2 else "kantoorfunctie",
            oppervlakte=80 + i,
        )
        for i in range(5)
    ],
    "buurten": [
        _f(box(X - 50, Y - 50, X + 200, Y + 100), buurtcode="BU00010001", buurtnaam="Centrum")
    ],
    "begroeidterreindeel": [
        _f(box(X, Y + 50, X + 120, Y + 150), fysiek_voorkomen="groenvoorziening"),
        _f(box(X, Y - 40, X + 5, Y - 35), fysiek_voorkomen="grasland agrarisch"),
    ],
}


def _features_app() -> Starlette:
    """An OGC API – Features stand-in: items paged two at a time through rel=next links."""

    async def items(request: Request) -> JSONResponse:
        feats = COLLECTIONS[request.path_params["c"]]
        offset = int(request.query_params.get("offset", 0))
        page = feats[offset : offset + 2]
        links = []
        if offset + 2 < len(feats):
            links.append(
                {
                    "rel": "next",
                    "href": f"items?offset={offset + 2}&f=json",
                    "type": "application/geo+json",
                }
            )
        return JSONResponse(
            {
                "type": "FeatureCollection",
                "features": page,
                "links": links,
                "numberReturned": len(page),
            },
            media_type="application/geo+json",
            headers={"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/28992>"},
        )

    return Starlette(routes=[Route("/collections/{c}/items", items)])


@pytest.fixture(scope="module")
def features() -> Iterator[Served]:
    served = Served(_features_app())
    yield served
    served.stop()


def _direct_inputs() -> dict[str, Any]:
    """What the pdok mapping makes of COLLECTIONS, written out by hand."""
    crs = {"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/EPSG/0/28992"}}
    homes = [
        {
            "type": "Feature",
            "id": f"vbo{i}",
            "geometry": {"type": "Point", "coordinates": [X + 20 * i, Y]},
            "properties": {"dwellings": 1, "floor_area_m2": 80 + i},
        }
        for i in (0, 1, 3, 4)  # vbo2 is an office
    ]
    return {
        "buildings": {"type": "FeatureCollection", "features": homes, "crs": crs},
        "neighbourhoods": {
            "type": "FeatureCollection",
            "crs": crs,
            "features": [
                {
                    "type": "Feature",
                    "id": "BU00010001",
                    "geometry": COLLECTIONS["buurten"][0]["geometry"],
                    "properties": {
                        "buurtcode": "BU00010001",
                        "name": "Centrum",
                        "urbanity_class": None,
                    },
                }
            ],
        },
        "parks": {
            "type": "FeatureCollection",
            "crs": crs,
            "features": [
                {
                    "type": "Feature",
                    "geometry": COLLECTIONS["begroeidterreindeel"][0]["geometry"],
                    "properties": {},
                }
            ],
        },
    }


def test_pdok_mapping_by_reference_equals_the_mapped_layers(client: TestClient, features: Served):
    refs = {c: {"href": f"{features.url}/collections/{c}/items?f=json"} for c in COLLECTIONS}
    canopy = {"type": "FeatureCollection", "features": [_f(box(X, Y + 10, X + 60, Y + 30))]}
    body = {"inputs": {**refs, "canopy": canopy, "min_park_area_m2": 0}, "mapping": "pdok"}
    r = client.post("/processes/green-3-30-300/execution", json=body)
    assert r.status_code == 200, r.text
    direct = {"inputs": {**_direct_inputs(), "canopy": canopy, "min_park_area_m2": 0}}
    d = client.post("/processes/green-3-30-300/execution", json=direct)
    assert d.status_code == 200, d.text
    mapped, plain = r.json(), d.json()
    # the same inputs after mapping: the same cache key, the same figures
    prov = mapped["provenance"]["value"], plain["provenance"]["value"]
    assert prov[0]["cache"]["key"] == prov[1]["cache"]["key"]
    assert prov[1]["cache"]["hit"] is True
    summary = mapped["summary"]["value"]
    assert summary["buildings"] == 4  # 5 addresses, one office left out by `where`
    # homes 0..3 at y = Y lie 50 m below the park (y ≥ Y + 50): all within 300 m
    assert summary["share_buildings_meeting_300"] == 1.0


def test_mapping_as_input_member_works_too(client: TestClient):
    inline = {
        "layers": {
            "buildings": {"from": "homes", "fields": {"dwellings": {"field": "n"}}},
            "neighbourhoods": {"from": "areas"},
        }
    }
    homes = {
        "type": "FeatureCollection",
        "features": [_f({"type": "Point", "coordinates": [X, Y]}, n=3)],
    }
    areas = {"type": "FeatureCollection", "features": [_f(box(X - 50, Y - 50, X + 50, Y + 50))]}
    parks = {"type": "FeatureCollection", "features": [_f(box(X + 10, Y + 10, X + 200, Y + 200))]}
    body = {
        "inputs": {
            "homes": homes,
            "areas": areas,
            "parks": parks,
            "canopy": parks,
            "mapping": inline,
        }
    }
    r = client.post("/processes/green-3-30-300/execution", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["value"]["dwellings"] == 3


def test_catalog_mapping_naming_a_missing_field_names_its_line(client: TestClient):
    # pdok.yaml: `name: buurtnaam` is on line 24 (a buurt without it is a 400)
    buurt = {"type": "FeatureCollection", "features": [_f(box(X, Y, X + 9, Y + 9), buurtcode="B1")]}
    homes = {
        "type": "FeatureCollection",
        "features": [
            _f(
                {"type": "Point", "coordinates": [X, Y]},
                gebruiksdoel="woonfunctie",
                identificatie="1",
            )
        ],
    }
    body = {
        "inputs": {"verblijfsobject": homes, "buurten": buurt, "parks": buurt, "canopy": buurt},
        "mapping": "pdok",
    }
    r = client.post("/processes/green-3-30-300/execution", json=body)
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "mapping 'pdok' line 24" in detail and "'buurtnaam'" in detail


def test_inline_mapping_naming_a_missing_field_names_its_path(client: TestClient):
    inline = {
        "layers": {"buildings": {"from": "homes", "fields": {"dwellings": {"field": "units"}}}}
    }
    homes = {
        "type": "FeatureCollection",
        "features": [_f({"type": "Point", "coordinates": [X, Y]}, n=3)],
    }
    r = client.post(
        "/processes/green-3-30-300/execution", json={"inputs": {"homes": homes}, "mapping": inline}
    )
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "layers.buildings.fields.dwellings.field" in detail and "'units'" in detail


def test_unknown_mapping_is_a_400(client: TestClient):
    r = client.post("/processes/echo/execution", json={"inputs": {}, "mapping": "nope"})
    assert r.status_code == 400 and "pdok" in r.json()["detail"]
