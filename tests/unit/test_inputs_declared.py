"""Inputs a mode ignores are reported; alternatives are declared and checked together."""

from __future__ import annotations

import pytest

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.spec import InputError, registry
from results import execute

GREEN = registry().get("green-3-30-300")
HOMES = fc(feature(point(10, 10), "h"))
NBH = fc(feature(box(0, 0, 100, 100), "n"))
PARKS = fc(feature(box(200, 0, 300, 100), "p"))


def test_network_with_euclidean_distance_is_reported_as_ignored() -> None:
    net = fc(feature(line((0, 0), (100, 0)), highway="footway"))
    r = execute(
        GREEN,
        {"buildings": HOMES, "neighbourhoods": NBH, "parks": PARKS, "trees": fc(), "network": net},
    )
    ignored = [w for w in r["data_quality"]["warnings"] if w["code"] == "input-ignored"]
    assert ignored == [
        {
            "code": "input-ignored",
            "input": "network",
            "message": "'network' was given but not used: read only when distance_mode is "
            "'network' (it is 'euclidean')",
        }
    ]


def test_no_warning_when_the_network_is_used() -> None:
    prox = registry().get("proximity-facilities")
    net = fc(feature(line((0, 10), (200, 10)), highway="footway"))
    facs = fc(feature(point(150, 10), type="huisarts"))
    r = execute(
        prox,
        {"buildings": HOMES, "facilities": facs, "network": net, "distance_mode": "network"},
    )
    assert not [w for w in r["data_quality"]["warnings"] if w["code"] == "input-ignored"]


def test_trees_or_canopy_declared_and_missing_together() -> None:
    d = GREEN.describe()["inputs"]
    assert d["trees"]["x-alternatives"] == ["trees", "canopy"] == d["canopy"]["x-alternatives"]
    assert "At least one of trees or canopy" in d["trees"]["description"]
    with pytest.raises(InputError) as err:
        execute(GREEN, {"buildings": HOMES})
    # every missing input in one answer: the required ones and the alternatives
    assert err.value.input_name == "neighbourhoods"
    assert err.value.reason == (
        "required inputs are missing: neighbourhoods, parks; and one of trees or canopy"
    )


def test_one_missing_input_keeps_the_short_message() -> None:
    with pytest.raises(InputError) as err:
        execute(GREEN, {"buildings": HOMES, "neighbourhoods": NBH, "trees": fc()})
    assert (err.value.input_name, err.value.reason) == ("parks", "required input is missing")


def _ignored(r: dict) -> list[dict]:
    return [w for w in r["data_quality"]["warnings"] if w["code"] == "input-ignored"]


def test_canopy_without_public_space_is_reported_as_ignored_by_heat() -> None:
    """Found on the Amsterdam kit: heat read the canopy only as shade of public space, so
    given without it the canopy changed nothing and nothing said so."""
    heat = registry().get("heat")
    crowns = fc(feature(box(5, 5, 15, 15), "c"))
    r = execute(heat, {"buildings": HOMES, "neighbourhoods": NBH, "canopy": crowns})
    assert _ignored(r) == [
        {
            "code": "input-ignored",
            "input": "canopy",
            "message": "'canopy' was given but not used: read only with public_space, "
            "which was not given",
        }
    ]
    assert heat.describe()["inputs"]["canopy"]["x-read-with"] == ["public_space"]
    public = fc(feature(box(0, 0, 50, 50), "ps"))
    r = execute(heat, {"buildings": HOMES, "neighbourhoods": NBH, "canopy": crowns, "public_space": public})  # fmt: skip
    assert not _ignored(r)
    assert r["summary"]["shade_share_public_space"] > 0  # the crown shades it


def test_green_without_public_space_is_reported_as_ignored_by_activity_friendly() -> None:
    """Found by giving each optional input of every example alone: activity-friendly
    reads ``green`` only for the green or playable share of ``public_space``."""
    act = registry().get("activity-friendly")
    green = fc(feature(box(20, 20, 40, 40), "g"))
    r = execute(act, {"buildings": HOMES, "neighbourhoods": NBH, "green": green})
    why = "read only with public_space, which was not given"
    assert [(w["input"], w["message"]) for w in _ignored(r)] == [
        ("green", f"'green' was given but not used: {why}")
    ]
    public = fc(feature(box(0, 0, 100, 100), "ps"))
    r = execute(act, {"buildings": HOMES, "neighbourhoods": NBH, "green": green, "public_space": public})  # fmt: skip
    assert not _ignored(r)
    assert r["summary"]["green_play_share_public_space"] == pytest.approx(400 / 10_000)


def test_canopy_extent_without_canopy_is_reported_as_ignored() -> None:
    extent = fc(feature(box(0, 0, 100, 100), "x"))
    trees = fc(feature(point(20, 20), "t"))
    inputs = {"buildings": HOMES, "neighbourhoods": NBH, "parks": PARKS, "trees": trees}
    r = execute(GREEN, {**inputs, "canopy_extent": extent})
    assert [w["input"] for w in _ignored(r)] == ["canopy_extent"]
    crowns = fc(feature(box(10, 10, 30, 30), "c"))
    assert not _ignored(execute(GREEN, {**inputs, "canopy": crowns, "canopy_extent": extent}))
