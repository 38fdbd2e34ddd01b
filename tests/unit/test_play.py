"""play-space: hand-computed shares, the built-up option, Amsterdam."""

from __future__ import annotations

import pytest

from geojson_helpers import box, fc, feature
from gsl_indicators.core.spec import registry
from results import execute

IND = registry().get("play-space")


def props(result):
    return {
        f.get("id", i): f["properties"] for i, f in enumerate(result["neighbourhoods"]["features"])
    }


NBH = fc(feature(box(0, 0, 100, 100), "n1"), feature(box(100, 0, 200, 100), "n2"))
PLAY = fc(
    feature(box(10, 10, 30, 30), "p1"),  # 400 m² in n1
    feature(box(20, 20, 40, 40), "p2"),  # overlaps p1 by 100 m²: the union adds 300
    feature(box(95, 50, 105, 60), "p3"),  # 100 m², half in each
)


def test_hand_computed_neighbourhood_area():
    r = execute(IND, {"neighbourhoods": NBH, "play_areas": PLAY})
    p = props(r)
    # n1: 400 + 300 + 50 = 750 of 10,000 m² = 7.5 %; n2: 50 of 10,000 = 0.5 %
    assert p["n1"]["play_area_m2"] == 750.0 and p["n1"]["play_share"] == 0.075
    assert p["n1"]["meets_norm"] is True and p["n1"]["play_deficit_m2"] == 0.0
    assert p["n2"]["play_share"] == 0.005 and p["n2"]["meets_norm"] is False
    assert p["n2"]["play_deficit_m2"] == 250.0  # 3 % of 10,000 = 300, minus 50
    s = r["summary"]
    assert s["play_share"] == 0.04  # 800 / 20,000
    assert s["neighbourhoods_meeting_norm"] == 1
    assert r["data_quality"]["built_up_basis"] == "neighbourhood area"


def test_built_up_input_and_norm_parameter():
    built = fc(feature(box(0, 0, 100, 20), "b1"), feature(box(0, 10, 100, 30), "b2"))
    r = execute(
        IND, {"neighbourhoods": NBH, "play_areas": PLAY, "built_up": built, "norm_share": 0.2}
    )
    p = props(r)
    # built-up in n1: the union 0..30 × 100 = 3,000 m² (overlap once); n2 has none
    assert p["n1"]["built_up_area_m2"] == 3000.0
    assert p["n1"]["play_share"] == 0.25 and p["n1"]["meets_norm"] is True
    assert p["n2"]["play_share"] is None and p["n2"]["meets_norm"] is None
    assert "no-built-up-area" in {w["code"] for w in r["data_quality"]["warnings"]}


def test_without_play_areas_everything_is_zero():
    r = execute(IND, {"neighbourhoods": NBH})
    assert all(v["play_share"] == 0.0 for v in props(r).values())
    assert "no-play-areas" in {w["code"] for w in r["data_quality"]["warnings"]}


@pytest.mark.slow
def test_amsterdam_parks_as_play_areas_upper_bound(load_amsterdam):
    # No play-area layer in the kit: parks give an upper bound (they are not all play space).
    r = execute(
        IND, {"neighbourhoods": load_amsterdam("buurten"), "play_areas": load_amsterdam("parks")}
    )
    s = r["summary"]
    assert s["neighbourhoods"] == 518
    assert s["built_up_area_m2"] == pytest.approx(243.6e6, rel=0.01)  # README: 243.6 km²
    assert 0.01 < s["play_share"] < 0.3


def test_informal_play_space_counts_beside_formal_play_areas():
    # n2 has 50 m² of formal play (half of p3), 0.5 %. Informal play: a square 120..170 ×
    # 10..40 (1,500 m²) and a lawn 100..110 × 50..70 (200 m²) that overlaps p3's n2 half
    # (100..105 × 50..60 = 50 m²): union in n2 = 50 + 1,500 + 200 − 50 = 1,700 m² → 17 %.
    # informal beyond formal = 1,700 − 50 = 1,650 m².
    informal = fc(feature(box(120, 10, 170, 40), "square"), feature(box(100, 50, 110, 70), "lawn"))
    r = execute(IND, {"neighbourhoods": NBH, "play_areas": PLAY, "informal_play": informal})
    p = props(r)
    assert p["n2"]["formal_play_area_m2"] == 50.0 and p["n2"]["formal_play_share"] == 0.005
    assert p["n2"]["informal_play_area_m2"] == 1650.0
    assert p["n2"]["play_area_m2"] == 1700.0 and p["n2"]["play_share"] == 0.17
    assert p["n2"]["meets_norm"] is True
    assert p["n1"]["play_area_m2"] == 750.0 and p["n1"]["informal_play_area_m2"] == 0.0
    assert "informal" in r["data_quality"]["play_basis"]
    # without informal play the share is formal only, and said to be a lower bound
    r0 = execute(IND, {"neighbourhoods": NBH, "play_areas": PLAY})
    assert props(r0)["n2"]["play_share"] == 0.005
    assert "lower bound" in r0["data_quality"]["play_basis"]
