"""``heat``: PET classes, shade share by hand, hot nights, no GES module."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.shade import solar_position
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.heat import pet_class
from results import execute

HEAT = registry().get("heat")
E52 = solar_position(52.0, dt.date(2025, 6, 21))[0]  # 61.44°
H10 = 10.0 * math.tan(math.radians(E52))  # height that casts a 10 m shadow at noon

# One 10 × 10 m building whose noon shadow covers y 10..20 over x 0..10.
BUILDINGS = fc(feature(box(0, 0, 10, 10), "blk", height=H10, dwellings=0))
# Street 0..20 × 10..20 (200 m²) and an overlapping square 10..20 × 10..20 (100 m²).
PUBLIC = fc(feature(box(0, 10, 20, 20), "street"), feature(box(10, 10, 20, 20), "square"))
CANOPY = fc(feature(box(15, 10, 20, 15)))  # 25 m² of tree crown over the square


def run(**extra):  # type: ignore[no-untyped-def]
    return execute(
        HEAT,
        {
            "buildings": BUILDINGS,
            "public_space": PUBLIC,
            "canopy": CANOPY,
            "latitude": 52.0,
            **extra,
        },
    )


def test_shade_share_by_hand() -> None:
    res = run()
    s = res["summary"]
    assert res["data_quality"]["sun"]["elevation"] == pytest.approx(61.44, abs=0.01)
    # Shadow 10 × 10 = 100 m² + canopy 25 m² = 125 of 200 m² of public space = 0.625.
    assert s["public_space_m2"] == 200.0
    assert s["public_space_shaded_m2"] == pytest.approx(125.0, abs=0.1)
    assert s["shade_share_public_space"] == pytest.approx(0.625, abs=0.0005)
    assert s["meets_shade_target"] is True
    street, square = (f["properties"] for f in res["public_space"]["features"])
    assert street["shade_share"] == pytest.approx(0.625, abs=0.0005)
    assert square["shade_share"] == pytest.approx(0.25, abs=0.0005)  # only the canopy
    assert square["meets_target"] is False
    # band 0.3 → 0.5: 0.625 is past the ambition → 10 (as 62.5 % in 30 → 50 before).
    assert s["scorecard"]["scores"]["shade_share_public_space"]["score"] == 10.0
    assert s["scorecard"]["profile"] == "nl-default"
    assert res["profile"]["name"] == "nl-default"


def test_shade_per_neighbourhood_and_target() -> None:
    areas = fc(feature(box(0, 0, 10, 30), "west"), feature(box(10, 0, 20, 30), "east"))
    res = run(neighbourhoods=areas, shade_target=0.7)
    west, east = (f["properties"] for f in res["neighbourhoods"]["features"])
    assert west["shade_share_public_space"] == pytest.approx(1.0, abs=0.001)
    assert east["shade_share_public_space"] == pytest.approx(0.25, abs=0.001)
    # band 0.3 → 0.5, floor 0: 1.0 → 10; 0.25 → 1 + 5 × 0.25 / 0.3 = 5.17
    assert west["score"] == 10.0 and east["score_shade_share_public_space"] == 5.17
    assert res["summary"]["meets_shade_target"] is False  # 0.625 < 0.7


def test_afternoon_shadow_points_north_east() -> None:
    res = run(time="15:00")
    sun = res["data_quality"]["sun"]
    assert 180 < sun["azimuth"] < 270 and sun["elevation"] < E52
    # Shadow now falls partly east of the building, over the square.
    _street, square = (f["properties"] for f in res["public_space"]["features"])
    assert square["shaded_m2"] > 25.0


def test_bad_time_and_night() -> None:
    for bad, name in (
        ({"time": "noonish"}, "time"),
        ({"date": "21 June"}, "date"),
        ({"time": "01:00"}, "time"),
    ):
        with pytest.raises(InputError) as err:
            run(**bad)
        assert err.value.input_name == name


def test_missing_height_is_warned() -> None:
    res = execute(
        HEAT,
        {"buildings": fc(feature(box(0, 0, 10, 10))), "public_space": PUBLIC, "latitude": 52.0},
    )
    assert res["summary"]["public_space_shaded_m2"] == 0.0
    w = [w for w in res["data_quality"]["warnings"] if w["input"] == "buildings"]
    assert any("height" in x["message"] for x in w)


def test_pet_classes_by_hand() -> None:
    import numpy as np

    lims = np.array([23.0, 29.0, 35.0, 41.0])
    assert pet_class(np.array([18.0, 29.0, 29.5, 41.0, 45.0]), lims).tolist() == [0, 1, 2, 3, 4]
    homes = fc(
        feature(point(5, 5), "a", dwellings=2),
        feature(point(15, 5), "b"),
        feature(point(25, 5), "c"),
    )
    zones = fc(
        feature(box(0, 0, 10, 10), pet=36.0, hot_nights=12, tnight=21.5),
        feature(box(10, 0, 20, 10), pet=30.0, hot_nights=4, tnight=19.0),
        feature(box(20, 0, 30, 10), pet=22.0, hot_nights=0, tnight=18.0),
    )
    res = execute(HEAT, {"buildings": homes, "exposure_zones": zones})
    p = [f["properties"] for f in res["buildings"]["features"]]
    assert [x["pet_class_name"] for x in p] == ["strong", "moderate", "none"]
    assert [x["hot_night"] for x in p] == [True, False, False]
    s = res["summary"]
    # Strong heat stress (PET > 35): home a → 1 of 3 homes, 2 of 4 dwellings.
    assert s["share_homes_strong_heat_stress"] == 0.3333
    assert s["share_dwellings_strong_heat_stress"] == 0.5
    assert res["classes"]["pet"]["strong"] == {"homes": 1, "dwellings": 2.0}
    assert res["classes"]["pet"]["none"] == {"homes": 1, "dwellings": 1.0}
    # Hot nights, dwelling-weighted: (12·2 + 4 + 0) / 4 = 7
    assert s["mean_hot_nights"] == 7.0 and s["max_hot_nights"] == 12.0
    assert s["share_homes_hot_night"] == 0.3333
    assert "shade_share_public_space" not in s
    assert res["data_quality"]["shade"] == "no public_space given; no shade share"
    assert res["ges"]["pet"]["scored"] is False and "heat" in res["ges"]["pet"]["reason"]
    # Raising the 'strong' limit to 37 leaves no home in strong heat stress.
    s2 = execute(HEAT, {"buildings": homes, "exposure_zones": zones, "pet_strong_c": 37.0})
    assert s2["summary"]["share_homes_strong_heat_stress"] == 0.0


def test_pet_limits_must_ascend() -> None:
    with pytest.raises(InputError) as err:
        execute(HEAT, {"buildings": BUILDINGS, "pet_moderate_c": 20.0})
    assert err.value.input_name == "pet_moderate_c"


def test_example_runs() -> None:
    res = execute(HEAT, HEAT.example)
    assert 0 < res["summary"]["shade_share_public_space"] < 1


def test_amsterdam_canopy_tile_shade(load_amsterdam) -> None:  # type: ignore[no-untyped-def]
    canopy = load_amsterdam("canopy")
    # The canopy tile as one public space: its shade share equals the crown cover
    # (32,638 m² of 667 m × 592 m per the data README, about 8.3 %).
    xs = [c[0] for f in canopy["features"] for c in f["geometry"]["coordinates"][0]]
    ys = [c[1] for f in canopy["features"] for c in f["geometry"]["coordinates"][0]]
    tile = fc(feature(box(min(xs), min(ys), max(xs), max(ys)), "tile"), origin=None)
    res = execute(
        HEAT,
        {
            "buildings": fc(feature(point(min(xs), min(ys))), origin=None),
            "public_space": tile,
            "canopy": canopy,
        },
    )
    assert res["summary"]["public_space_shaded_m2"] == pytest.approx(32638, rel=0.002)
    assert res["data_quality"]["sun"]["latitude"] == pytest.approx(52.37, abs=0.01)


def test_a_tropical_night_is_twenty_degrees_or_more() -> None:
    # KNMI: a tropical night has a minimum of 20.0 °C or more (2.1.0; was "> 20").
    # Homes on zones with tnight 19.9, 20.0 and 20.1: 2 of 3 hot → 0.6667.
    homes = fc(*(feature(point(5 + 10 * i, 5), f"h{i}") for i in range(3)))
    zones = fc(
        *(
            feature(box(10 * i, 0, 10 * i + 10, 10), tnight=t)
            for i, t in enumerate((19.9, 20.0, 20.1))
        )
    )
    res = execute(HEAT, {"buildings": homes, "exposure_zones": zones})
    assert [f["properties"]["hot_night"] for f in res["buildings"]["features"]] == [
        False,
        True,
        True,
    ]
    assert res["summary"]["share_homes_hot_night"] == 0.6667


def test_shade_target_and_design_storm_are_marked_indicative() -> None:
    from gsl_indicators.core.spec import registry as reg

    shade = next(n for n in HEAT.norms if n.name == "shade_target")
    assert shade.source.startswith("indicative") and "maatlat" in shade.source.lower()
    storm = next(n for n in reg().get("water").norms if n.name == "storm_mm")
    assert storm.source.startswith("indicative") and "maatlat" in storm.source.lower()
    assert "INDICATIVE" in reg().get("water").input("storm_mm").description
