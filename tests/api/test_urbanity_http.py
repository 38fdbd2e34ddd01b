"""``urbanity-class`` over HTTP: hand-computed small cases and the Amsterdam addresses."""

from __future__ import annotations

import math

import pytest

from geojson_helpers import box, fc, feature, point
from results import values


def _run(client, inputs):
    r = client.post("/processes/urbanity-class/execution", json={"inputs": inputs})
    assert r.status_code == 200, r.text
    return values(r.json())


def test_hand_computed_densities_and_classes(client):
    # Three addresses: a and b 500 m apart, c 3 km away.
    # radius 1 km → circle area π km²; a and b count 2 each, c counts itself only.
    # densities 2/π = 0.637 and 1/π = 0.318 per km² → class 5 (below 500).
    doc = _run(
        client,
        {
            "addresses": fc(
                feature(point(0, 0), "a"), feature(point(500, 0), "b"), feature(point(3000, 0), "c")
            )
        },
    )
    props = {f["id"]: f["properties"] for f in doc["addresses"]["features"]}
    assert props["a"]["address_density"] == pytest.approx(2 / math.pi, abs=1e-3)
    assert props["c"]["address_density"] == pytest.approx(1 / math.pi, abs=1e-3)
    assert {p["urbanity_class"] for p in props.values()} == {5}
    # With class limits scaled down to 0.5 / 0.4 / 0.3 / 0.2 per km²:
    # a, b at 0.637 → class 1; c at 0.318 → class 3 (≥ 0.3, < 0.4).
    doc = _run(
        client,
        {
            "addresses": fc(
                feature(point(0, 0), "a"), feature(point(500, 0), "b"), feature(point(3000, 0), "c")
            ),
            "class_1_min": 0.5,
            "class_2_min": 0.4,
            "class_3_min": 0.3,
            "class_4_min": 0.2,
        },
    )
    classes = {f["id"]: f["properties"]["urbanity_class"] for f in doc["addresses"]["features"]}
    assert classes == {"a": 1, "b": 1, "c": 3}


def test_area_averages(client):
    # 1600 addresses on a 40 × 40 grid with 10 m spacing (a 390 m square): every
    # address has all 1600 within 1 km → 1600/π = 509.3 per km² → class 4.
    pts = [feature(point(x * 10.0, y * 10.0)) for x in range(40) for y in range(40)]
    areas = fc(
        feature(box(-5, -5, 395, 395), "grid"), feature(box(5000, 5000, 5100, 5100), "empty")
    )
    doc = _run(client, {"addresses": fc(*pts), "areas": areas})
    by_id = {f["id"]: f["properties"] for f in doc["areas"]["features"]}
    assert by_id["grid"]["address_count"] == 1600
    assert by_id["grid"]["mean_address_density"] == pytest.approx(1600 / math.pi, abs=1e-3)
    assert by_id["grid"]["urbanity_class"] == 4
    assert by_id["empty"]["urbanity_class"] is None
    codes = {w["code"] for w in doc["data_quality"]["warnings"]}
    assert "area-without-addresses" in codes


def test_amsterdam_addresses_exact(client, load_amsterdam):
    # The 1836 addresses lie within ~650 m of each other, so each counts all 1836
    # within 1 km: density 1836/π = 584.4 per km² → class 4 (500 ≤ d < 1000).
    addresses = load_amsterdam("addresses")
    n = len(addresses["features"])
    doc = _run(client, {"addresses": addresses})
    expected = n / math.pi
    dens = [f["properties"]["address_density"] for f in doc["addresses"]["features"]]
    assert len(dens) == n
    assert min(dens) == pytest.approx(expected, abs=1e-3)
    assert max(dens) == pytest.approx(expected, abs=1e-3)
    assert doc["summary"]["addresses_class_4"] == n
    assert doc["summary"]["urbanity_class"] == 4
    assert doc["provenance"]["crs"] == "EPSG:28992"
