"""urbanity-class 2.0.0 on the metric model: per address, per area, overall, by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from geojson_helpers import RD_CRS, box, fc, feature, point
from gsl_indicators.core.spec import registry
from results import execute

IND = registry().get("urbanity-class")


def _two_areas(**extra: Any) -> dict[str, Any]:
    # Addresses a, b 500 m apart in area W; c 3 km away in area E; d in no area.
    # Limits scaled down to 0.5 / 0.4 / 0.3 / 0.2 per km² (radius 1 km, circle π km²):
    #   a, b: 2 within 1 km (each other; d is 2.5 km away) → 2/π = 0.6366 → class 1
    #   c:    1 → 1/π = 0.3183 → class 3;  d (x = 3000, y = 2000): c is 2 km away → 1/π
    return execute(
        IND,
        {
            "addresses": fc(
                feature(point(0, 0), "a"),
                feature(point(500, 0), "b"),
                feature(point(3000, 0), "c"),
                feature(point(3000, 2000), "d"),
            ),
            "areas": fc(
                feature(box(-100, -100, 1000, 100), "W", CBS_Buurtcode="BU0001"),
                feature(box(2900, -100, 3100, 100), "E"),
                feature(box(9000, 9000, 9100, 9100), "empty"),
            ),
            "class_1_min": 0.5,
            "class_2_min": 0.4,
            "class_3_min": 0.3,
            "class_4_min": 0.2,
            **extra,
        },
    )


def test_areas_by_hand() -> None:
    res = _two_areas()
    w, e, empty = (f["properties"] for f in res["areas"]["features"])
    assert w["address_count"] == 2 and w["mean_address_density"] == round(2 / math.pi, 3)
    assert (w["urbanity_class"], w["urbanity_class_name"]) == (1, "zeer sterk stedelijk")
    assert e["address_count"] == 1 and e["urbanity_class"] == 3
    # no address: the class is empty (null), not 0
    assert empty["address_count"] == 0
    assert empty["mean_address_density"] is None and empty["urbanity_class"] is None
    assert empty["urbanity_class_name"] is None
    codes = {w["code"] for w in res["data_quality"]["warnings"]}
    assert {"area-without-addresses", "features-outside-areas"} <= codes


def test_addresses_carry_their_area_and_the_crs() -> None:
    res = _two_areas()
    addresses = res["addresses"]
    assert addresses["crs"] == RD_CRS  # RD New metres stay RD New in GDAL and QGIS
    area_ids = {f["id"]: f["properties"]["area_id"] for f in addresses["features"]}
    # W's own code (CBS_Buurtcode), E's feature id, none for d
    assert area_ids == {"a": "BU0001", "b": "BU0001", "c": "E", "d": None}
    classes = {f["id"]: f["properties"]["urbanity_class"] for f in addresses["features"]}
    assert classes == {"a": 1, "b": 1, "c": 3, "d": 3}


def test_overall_metrics_are_flat() -> None:
    s = _two_areas()["summary"]
    # mean density (2/π + 2/π + 1/π + 1/π) / 4 = 1.5/π = 0.4775 → class 2 (≥ 0.4)
    assert s["mean_address_density"] == pytest.approx(1.5 / math.pi, abs=1e-3)
    assert (s["urbanity_class"], s["urbanity_class_name"]) == (2, "sterk stedelijk")
    assert s["addresses"] == 4
    counts = [s[f"addresses_class_{c}"] for c in range(1, 6)]
    assert counts == [2, 0, 2, 0, 0]
    assert "addresses_per_class" not in s  # flat since 2.0.0


def test_metrics_are_declared() -> None:
    res = _two_areas()
    declared = {m["id"]: m for m in res["metrics"]}
    assert declared["address_density"]["unit"] == "addresses/km²"
    assert declared["urbanity_class"]["levels"] == ["feature", "area", "overall"]
    assert set(res["summary"]) <= set(declared)
