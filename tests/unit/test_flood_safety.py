"""flood-safety: depths from zones and grids, thresholds, dry floors (hand-computed)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from geojson_helpers import box, fc, feature, point, rd
from gsl_indicators.core.exposure import whole
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.indicators.flood_safety import flood_stats, threshold_tag
from hypothesis_profiles import examples
from results import execute

IND = registry().get("flood-safety")


def tiff(values: np.ndarray, x0: float = 1000.0, y0: float = 2000.0, cell: float = 10.0) -> bytes:
    """Write a small GeoTIFF in memory (origin = top-left corner, nodata -9999).

    ``x0, y0`` are local grid metres, placed at ``RD_ORIGIN`` like the homes of ``fc()``.
    """
    x0, y0 = rd(x0, y0)
    profile = {
        "driver": "GTiff",
        "height": values.shape[0],
        "width": values.shape[1],
        "count": 1,
        "dtype": "float32",
        "transform": from_origin(x0, y0, cell, cell),
        "crs": "EPSG:28992",
        "nodata": -9999.0,
    }
    with rasterio.MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(values.astype("float32"), 1)
        return mem.read()


def homes(*items):
    return fc(*(feature(point(x, y), hid, **props) for hid, x, y, props in items))


def by_id(result):
    return {f["id"]: f["properties"] for f in result["buildings"]["features"]}


# Zones: x 0..100 depth 0.5 (exactly on a threshold), x 100..200 depth 2.0, x 200..300 depth 0.81
ZONES = fc(
    feature(box(0, 0, 100, 100), "z1", depth=0.5),
    feature(box(100, 0, 200, 100), "z2", depth=2.0),
    feature(box(200, 0, 300, 100), "z3", depth=0.81),
)
HOMES = homes(
    ("a", 50, 50, {"dwellings": 2}),  # 0.5 m
    ("b", 150, 50, {"dwellings": 1}),  # 2.0 m
    ("c", 250, 50, {"dwellings": 1, "floor_height_m": 0.9}),  # 0.81 m, own floor 0.9
    ("d", 500, 50, {"dwellings": 4}),  # in no zone: dry
    ("shop", 60, 50, {"dwellings": 0}),  # not a home
)


def test_depth_on_a_threshold_is_not_above_it() -> None:
    r = execute(IND, {"buildings": HOMES, "exposure_zones": ZONES, "floor_height_m": 0.5})
    s = r["summary"]
    # 4 homes with a depth: 0.5, 2.0, 0.81, 0 (dwellings 2, 1, 1, 4 = 8)
    assert s["homes_with_depth"] == 4
    # above 0.2: a, b, c → 3/4; dwellings (2+1+1)/8 = 0.5
    assert s["share_homes_depth_above_0_2m"] == 0.75
    assert s["share_dwellings_depth_above_0_2m"] == 0.5
    # above 0.5: b, c (a is exactly 0.5, not above) → 2/4; dwellings 2/8
    assert s["share_homes_depth_above_0_5m"] == 0.5
    assert s["share_dwellings_depth_above_0_5m"] == 0.25
    # above 0.8: b (2.0) and c (0.81) → 2/4
    assert s["share_homes_depth_above_0_8m"] == 0.5
    # above 2.0: none (b is exactly 2.0)
    assert s["share_homes_depth_above_2m"] == 0.0 and s["homes_depth_above_2m"] == 0
    # dwelling-weighted mean depth: (2·0.5 + 1·2.0 + 1·0.81 + 4·0) / 8 = 3.81 / 8
    assert s["mean_flood_depth_m"] == round(3.81 / 8, 2)
    assert s["max_flood_depth_m"] == 2.0


def test_dry_floor_with_parameter_and_own_property() -> None:
    r = execute(IND, {"buildings": HOMES, "exposure_zones": ZONES, "floor_height_m": 0.5})
    p = by_id(r)
    # a: 0.5 ≤ 0.5 dry (water exactly at the floor); b: 2.0 > 0.5 wet by 1.5 m;
    # c: 0.81 ≤ its own 0.9 dry; d: 0 dry
    assert [p[h]["floor_dry"] for h in "abcd"] == [True, False, True, True]
    assert p["b"]["water_above_floor_m"] == 1.5
    assert p["c"]["floor_height_m"] == 0.9 and p["a"]["floor_height_m"] == 0.5
    assert p["shop"]["floor_dry"] is None and p["shop"]["flood_depth_m"] is None
    s = r["summary"]
    assert s["share_homes_floor_dry"] == 0.75  # 3 of 4
    assert s["share_dwellings_floor_dry"] == 0.875  # (2 + 1 + 4) / 8
    assert s["homes_floor_wet"] == 1


def test_default_floor_is_the_first_floor() -> None:
    r = execute(IND, {"buildings": HOMES, "exposure_zones": ZONES})
    # 2.65 m: every depth here (≤ 2.0; c has its own 0.9 ≥ 0.81) leaves it dry
    assert r["summary"]["share_homes_floor_dry"] == 1.0


def test_no_value_means_dry_or_unknown() -> None:
    r = execute(IND, {"buildings": HOMES, "exposure_zones": ZONES, "dry_where_no_value": False})
    assert r["summary"]["homes_with_depth"] == 3  # d is left out
    assert by_id(r)["d"]["flood_depth_m"] is None
    codes = {w["code"] for w in r["data_quality"]["warnings"]}
    assert "home-without-exposure" in codes


def test_grid_cells_nodata_dry_and_outside_unknown() -> None:
    # 2 × 3 grid of 10 m cells, top-left (1000, 2000): row 0 = y 1990..2000
    grid = np.array([[0.3, -9999.0, 1.2], [2.5, 0.0, 0.5]])
    data = {"base64": base64.b64encode(tiff(grid)).decode()}
    h = homes(
        ("g1", 1005, 1995, {}),  # 0.3
        ("g2", 1015, 1995, {}),  # nodata inside the grid → dry 0
        ("g3", 1025, 1995, {}),  # 1.2
        ("g4", 1005, 1985, {}),  # 2.5
        ("g5", 1025, 1985, {}),  # 0.5, on the threshold
        ("out", 5000, 5000, {}),  # outside the grid → unknown
    )
    r = execute(IND, {"buildings": h, "exposure_grid": data, "floor_height_m": 1.0})
    p = by_id(r)
    assert [p[f"g{i}"]["flood_depth_m"] for i in range(1, 6)] == [0.3, 0.0, 1.2, 2.5, 0.5]
    assert p["out"]["flood_depth_m"] is None
    s = r["summary"]
    assert s["homes_with_depth"] == 5
    # above 0.5: 1.2 and 2.5 → 2/5; above 2: 2.5 → 1/5; dry floor (≤ 1.0): 0.3, 0, 0.5 → 3/5
    assert s["share_homes_depth_above_0_5m"] == 0.4
    assert s["share_homes_depth_above_2m"] == 0.2
    assert s["share_homes_floor_dry"] == 0.6
    assert "grid-outside" in {w["code"] for w in r["data_quality"]["warnings"]}


def test_zone_and_grid_together_keep_the_deeper() -> None:
    grid = np.array([[1.0]])
    data = {"base64": base64.b64encode(tiff(grid, x0=0, y0=100, cell=100)).decode()}
    r = execute(IND, {"buildings": HOMES, "exposure_zones": ZONES, "exposure_grid": data})
    # a lies in the grid cell (1.0) and in zone z1 (0.5): 1.0
    assert by_id(r)["a"]["flood_depth_m"] == 1.0


def test_custom_thresholds_name_their_metrics_and_are_unscored() -> None:
    r = execute(
        IND, {"buildings": HOMES, "exposure_zones": ZONES, "depth_thresholds_m": [1.5, 0.25]}
    )
    s = r["summary"]
    assert s["share_homes_depth_above_1_5m"] == 0.25  # b (2.0) of 4
    assert s["share_homes_depth_above_0_25m"] == 0.75
    assert "share_homes_depth_above_0_2m" not in s
    assert "share_homes_depth_above_1_5m" in s["scorecard"]["unscored"]


def test_per_neighbourhood_shares_and_scores() -> None:
    nbh = fc(
        feature(box(0, 0, 200, 100), "west", area_type="stedelijk-wonen"),
        feature(box(200, 0, 600, 100), "east", area_type="buitengebied"),
    )
    r = execute(
        IND,
        {"buildings": HOMES, "exposure_zones": ZONES, "neighbourhoods": nbh, "floor_height_m": 0.5},
    )
    areas = {f["id"]: f["properties"] for f in r["neighbourhoods"]["features"]}
    # west: a (0.5, dry) and b (2.0, wet) → dry 1/2; east: c (dry), d (dry) → 1
    assert areas["west"]["share_homes_floor_dry"] == 0.5
    assert areas["east"]["share_homes_floor_dry"] == 1.0
    # nl-default stedelijk-wonen (default band): minimum 0.9 → 6, floor 0.5 → 1: 0.5 scores 1
    assert areas["west"]["score_share_homes_floor_dry"] == 1.0
    assert areas["east"]["score_share_homes_floor_dry"] == 10.0


def test_negative_floor_height_is_refused() -> None:
    bad = homes(("x", 50, 50, {"floor_height_m": -1}))
    with pytest.raises(InputError):
        execute(IND, {"buildings": bad, "exposure_zones": ZONES})


def test_threshold_tags() -> None:
    assert [threshold_tag(t) for t in (0.2, 0.8, 2.0, 10)] == ["0_2m", "0_8m", "2m", "10m"]


@settings(max_examples=examples(60), deadline=None)
@given(
    depths=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=30),
    t1=st.floats(0, 5),
    t2=st.floats(0, 5),
)
def test_a_higher_threshold_never_has_a_larger_share(depths, t1, t2) -> None:
    d = np.array(depths)
    s = flood_stats(d, np.full(len(d), 1.0), np.ones(len(d)), sorted([t1, t2]), whole(len(d)))
    lo, hi = (threshold_tag(t) for t in sorted([t1, t2]))
    assert s[f"share_homes_depth_above_{hi}"][0] <= s[f"share_homes_depth_above_{lo}"][0]
