"""Inputs checked for sense over HTTP: CRS mistakes, several missing inputs, far-apart layers."""

from __future__ import annotations

import copy
from typing import Any

from api.helpers import assert_problem
from gsl_indicators.core.spec import registry
from gsl_service.results import unwrap

RD_URN = "urn:ogc:def:crs:EPSG::28992"


def _example(process: str) -> dict[str, Any]:
    return copy.deepcopy(registry().get(process).describe()["example"])


def _shift(fc: dict[str, Any], dx: float, dy: float) -> None:
    def move(c: Any) -> Any:
        if isinstance(c[0], list):
            return [move(x) for x in c]
        return [c[0] + dx, c[1] + dy]

    for f in fc["features"]:
        f["geometry"]["coordinates"] = move(f["geometry"]["coordinates"])


def test_wgs84_declared_as_rd_new_is_a_400(client: Any) -> None:
    body = _example("play-space")
    nb = body["inputs"]["neighbourhoods"]
    for f in nb["features"]:  # the squares as degrees: 4.89 … 4.90 E, 52.37 … 52.38 N
        f["geometry"]["coordinates"] = [
            [[4.89 + (x - 121000) / 1e5, 52.37 + (y - 486900) / 1e5] for x, y in ring]
            for ring in f["geometry"]["coordinates"]
        ]
    assert nb["crs"]["properties"]["name"] == RD_URN
    r = client.post("/processes/play-space/execution", json=body)
    doc = assert_problem(r, 400, "invalid-parameter-value", "EPSG:28992", "degrees", "x 4.89")
    assert doc["input"] == "neighbourhoods"


def test_rd_new_declared_as_web_mercator_is_a_400(client: Any) -> None:
    body = _example("play-space")
    body["inputs"]["play_areas"]["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    r = client.post("/processes/play-space/execution", json=body)
    doc = assert_problem(r, 400, "invalid-parameter-value", "EPSG:3857", "far from the Netherlands")
    assert doc["input"] == "play_areas"


def test_several_missing_inputs_are_listed_together(client: Any) -> None:
    r = client.post("/processes/green-3-30-300/execution", json={"inputs": {}})
    assert_problem(r, 400, "invalid-parameter-value", "buildings", "neighbourhoods", "parks")


def test_layers_far_apart_are_a_data_quality_warning(client: Any) -> None:
    body = _example("play-space")
    _shift(body["inputs"]["play_areas"], dx=0, dy=25_000)  # 25 km north of the neighbourhoods
    r = client.post("/processes/play-space/execution", json=body)
    assert r.status_code == 200, r.text
    warnings = unwrap(r.json()["data_quality"])["warnings"]
    warnings = [w for w in warnings if w["code"] == "no-overlap"]
    # neighbourhoods y 486 900 … 487 100; play areas moved to y 511 910 … 512 030:
    # gap 511 910 − 487 100 = 24 810 m → 24.8 km
    assert [w["input"] for w in warnings] == ["play_areas"]
    assert "24.8 km" in warnings[0]["message"]


def test_explicit_threshold_against_explicit_profile_source_is_a_400(client: Any) -> None:
    # issue 13: the request sets threshold 0.85 and norm_source 'profile' — two different
    # parking norms; the problem names the parameter and both ways out
    body = _example("housing-capacity")
    body["inputs"].update(threshold=0.85, norm_source="profile")
    r = client.post("/processes/housing-capacity/execution", json=body)
    doc = assert_problem(
        r, 400, "invalid-parameter-value", "drop 'threshold'", "norm_source 'parameters'"
    )
    assert doc["input"] == "threshold"


def test_explicit_threshold_wins_and_provenance_says_why(client: Any) -> None:
    body = _example("housing-capacity")
    body["inputs"]["threshold"] = 0.8
    r = client.post("/processes/housing-capacity/execution", json=body)
    assert r.status_code == 200, r.text
    prov = unwrap(r.json()["provenance"])["norms"]["parking-pressure"]
    assert prov["values"] == {"parameter": 0.8} and "request" in prov["reason"]


def test_an_explicit_default_is_not_served_from_the_implicit_one_s_cache(client: Any) -> None:
    # threshold 0.85 is the default: the same value, but set by the request it is the
    # norm (and with norm_source 'profile' a 400) — the cache must not answer for it
    body = _example("housing-capacity")
    body["inputs"]["norm_source"] = "profile"
    assert client.post("/processes/housing-capacity/execution", json=body).status_code == 200
    body["inputs"]["threshold"] = 0.85
    r = client.post("/processes/housing-capacity/execution", json=body)
    assert r.status_code == 400, r.text


def _ignored(doc: dict[str, Any]) -> list[str]:
    warnings = doc["data_quality"].get("warnings", [])
    return [w["input"] for w in warnings if w["code"] == "input-ignored"]


def test_an_ignored_setting_s_warning_is_not_served_to_a_request_without_it(
    client: Any,
) -> None:
    # network_cutoff_m at its default with straight-line distances is reported as
    # ignored; the same values without it were a cache hit carrying that warning about
    # an input the request never sent (and the other way round)
    body = _example("green-3-30-300")
    body["inputs"]["distance_mode"] = "euclidean"
    given = copy.deepcopy(body)
    given["inputs"]["network_cutoff_m"] = 1000.0  # the default
    docs = []
    for b in (body, given, body, given):
        r = client.post("/processes/green-3-30-300/execution", json=b)
        assert r.status_code == 200, r.text
        docs.append({k: unwrap(v) for k, v in r.json().items()})
    assert [_ignored(d) for d in docs] == [[], ["network_cutoff_m"], [], ["network_cutoff_m"]]
    keys = [d["provenance"]["cache"]["key"] for d in docs]
    assert keys[0] == keys[2] != keys[1] == keys[3]
    assert [d["provenance"]["cache"]["hit"] for d in docs[2:]] == [True, True]
    assert docs[0]["summary"] == docs[1]["summary"]


# ------------------------------------------------------------------ RD New's bounds
# RD_BOUNDS = x −7 000 … 300 000, y 289 000 … 629 000 (EPSG:28992's area of use)


def _first_vertices(fc: dict[str, Any]) -> list[list[float]]:
    out = []
    for f in fc["features"]:
        c = f["geometry"]["coordinates"]
        while isinstance(c[0], list):
            c = c[0]
        out.append(c)
    return out


def test_moved_to_the_east_edge_of_rd_new_gives_the_same_numbers(client: Any) -> None:
    # every layer moved east until the easternmost vertex lies on x = 300 000: still
    # RD New, and a translation changes no area, share or score
    body = _example("play-space")
    base = client.post("/processes/play-space/execution", json=body)
    assert base.status_code == 200, base.text
    layers = [body["inputs"][k] for k in ("neighbourhoods", "play_areas")]
    east = max(x for fc in layers for x, _ in _all_vertices(fc))
    for fc in layers:
        _shift(fc, dx=300_000 - east, dy=0)
    r = client.post("/processes/play-space/execution", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["summary"] == base.json()["summary"]


def test_one_metre_past_the_east_edge_is_a_400_naming_the_input(client: Any) -> None:
    body = _example("play-space")
    play = body["inputs"]["play_areas"]
    first = _first_vertices(play)
    west = min(x for x, _ in first)
    _shift(play, dx=300_001 - west, dy=0)  # every play area's first vertex east of x 300 000
    xs = [x for x, _ in _first_vertices(play)]
    ys = [y for _, y in first]
    r = client.post("/processes/play-space/execution", json=body)
    doc = assert_problem(
        r,
        400,
        "invalid-parameter-value",
        "the 'crs' member declares EPSG:28992",
        f"{len(xs)} of {len(xs)} sampled coordinates",
        f"(x {min(xs):.0f} … {max(xs):.0f}, y {min(ys):.0f} … {max(ys):.0f})",
        "outside RD New's bounds (x −7000 … 300000, y 289000 … 629000)",
    )
    assert doc["input"] == "play_areas" and min(xs) == 300_001


def test_a_local_grid_declared_as_rd_new_is_a_400(client: Any) -> None:
    # the example moved to a local grid around (0, 0): what tests used to send
    body = _example("play-space")
    for name in ("neighbourhoods", "play_areas"):
        _shift(body["inputs"][name], dx=-121_000, dy=-487_000)
    r = client.post("/processes/play-space/execution", json=body)
    doc = assert_problem(r, 400, "invalid-parameter-value", "EPSG:28992", "outside RD New's bounds")
    assert doc["input"] in {"neighbourhoods", "play_areas"}
    assert f"input '{doc['input']}'" in doc["detail"]


def test_web_mercator_far_from_the_netherlands_is_a_400(client: Any) -> None:
    # Manhattan in Web Mercator metres (−73.98°, 40.75°), declared so
    body = _example("play-space")
    play = body["inputs"]["play_areas"]
    play["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    (x0, y0), *_ = _first_vertices(play)
    _shift(play, dx=-8_235_500 - x0, dy=4_975_300 - y0)
    r = client.post("/processes/play-space/execution", json=body)
    doc = assert_problem(
        r, 400, "invalid-parameter-value", "EPSG:3857", "x -73.98", "far from the Netherlands"
    )
    assert doc["input"] == "play_areas"


def _all_vertices(fc: dict[str, Any]) -> list[list[float]]:
    out: list[list[float]] = []

    def walk(c: Any) -> None:
        if isinstance(c[0], list):
            for x in c:
                walk(x)
        else:
            out.append(c)

    for f in fc["features"]:
        walk(f["geometry"]["coordinates"])
    return out
