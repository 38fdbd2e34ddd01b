"""Exposure sampling: zones, receptor points, GeoTIFF grids (hand-computed cases)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from geojson_helpers import RD_ORIGIN, box, fc, feature, point, rd
from gsl_indicators.core.exposure import (
    grid_bytes,
    sample_grid,
    sample_points,
    sample_zones,
    share_above,
    weighted_mean,
)
from gsl_indicators.core.metrics import AreaGroups
from gsl_indicators.core.spec import InputError, registry
from hypothesis_profiles import examples
from results import execute

AIR = registry().get("air-quality")


def tiff(
    values: np.ndarray,
    x0: float = 1000.0,
    y0: float = 2000.0,
    cell: float = 10.0,
    crs: str | None = "EPSG:28992",
    nodata: float | None = -9999.0,
    dtype: str = "float32",
) -> bytes:
    """Write a small GeoTIFF in memory (origin = top-left corner).

    In RD New (or without a CRS) ``x0, y0`` are local grid metres, placed at
    ``RD_ORIGIN`` like :func:`geojson_helpers.fc` places the homes; degrees stay as given.
    """
    rows, cols = values.shape
    if crs in ("EPSG:28992", None):
        x0, y0 = rd(x0, y0)
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": 1,
        "dtype": dtype,
        "transform": from_origin(x0, y0, cell, cell),
    }
    if crs:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(values.astype(dtype), 1)
        return mem.read()


# ----------------------------------------------------------------------------- zones


def test_zones_worst_first_mean_by_hand() -> None:
    zones = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10)])
    vals = np.array([50.0, 60.0])
    # x=2 only in zone 0; x=7 in both; x=10 on the boundary of zone 0, inside zone 1;
    # x=20 in none.
    homes = shapely.points([[2, 5], [7, 5], [10, 5], [20, 5]])
    assert sample_zones(homes, zones, vals, "worst").tolist()[:3] == [50.0, 60.0, 60.0]
    assert sample_zones(homes, zones, vals, "first").tolist()[:3] == [50.0, 50.0, 50.0]
    assert sample_zones(homes, zones, vals, "mean").tolist()[:3] == [50.0, 55.0, 55.0]
    assert np.isnan(sample_zones(homes, zones, vals)[3])


def test_zones_first_follows_collection_order_not_value() -> None:
    zones = np.array([shapely.box(0, 0, 10, 10), shapely.box(0, 0, 10, 10)])
    home = shapely.points([[5, 5]])
    assert sample_zones(home, zones, np.array([70.0, 40.0]), "first").tolist() == [70.0]
    assert sample_zones(home, zones[::-1], np.array([40.0, 70.0]), "first").tolist() == [40.0]


def test_zones_agree_with_per_feature_loop() -> None:
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 1000, (60, 2))
    zones = shapely.buffer(shapely.points(centres), rng.uniform(20, 120, 60))
    vals = rng.uniform(40, 75, 60)
    pts = rng.uniform(0, 1000, (400, 2))
    homes = shapely.points(pts)
    got = sample_zones(homes, zones, vals, "worst")
    for h, g in zip(homes, got, strict=True):
        inside = [v for z, v in zip(zones, vals, strict=True) if z.intersects(h)]
        assert (np.isnan(g) and not inside) or g == max(inside)


def test_home_footprint_takes_worst_touching_zone() -> None:
    # Footprint a (1..4) lies in zone 0 only. Footprint b (8..9.5) has its
    # representative point at x=8.75, in zone 0, but touches zone 1 (from x=9).
    inputs = {
        "buildings": fc(feature(box(1, 1, 4, 4), "a"), feature(box(8, 1, 9.5, 4), "b")),
        "exposure_zones": fc(
            feature(box(0, 0, 9, 10), no2=20.0), feature(box(9, 0, 20, 10), no2=35.0)
        ),
    }
    by_point = execute(AIR, inputs)["buildings"]["features"]
    assert [f["properties"]["no2"] for f in by_point] == [20.0, 20.0]
    fp = execute(AIR, {**inputs, "home_sampling": "footprint"})["buildings"]["features"]
    # Footprint b (8..9.5) touches zone 1 (from x=9): worst = 35.
    assert [f["properties"]["no2"] for f in fp] == [20.0, 35.0]


# ----------------------------------------------------------------------------- points


def test_points_nearest_within_radius() -> None:
    pts = np.array([[0.0, 0.0], [30.0, 0.0]])
    homes = np.array([[10.0, 0.0], [20.0, 0.0], [100.0, 0.0]])
    got = sample_points(homes, pts, np.array([50.0, 60.0]), 50.0)
    assert got[:2].tolist() == [50.0, 60.0]
    assert np.isnan(got[2])  # 70 m from the nearest receptor


def test_points_idw_by_hand() -> None:
    pts = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 0.0]])
    vals = np.array([50.0, 60.0, 54.0])
    homes = np.array([[10.0, 0.0], [0.0, 0.0]])
    got = sample_points(homes, pts, vals, 100.0, "idw", 2.0)
    # Home at x=10: d = 10, 20, 10 → w = 1/100, 1/400, 1/100
    # (50/100 + 60/400 + 54/100) / (2/100 + 1/400) = 1.19 / 0.0225 = 52.888…
    assert got[0] == pytest.approx(1.19 / 0.0225)
    # Home at x=0: two receptors at distance 0 → their mean (50 + 54) / 2.
    assert got[1] == pytest.approx(52.0)
    # power 1: (50/10 + 60/20 + 54/10) / (0.1 + 0.05 + 0.1) = 13.4 / 0.25
    assert sample_points(homes[:1], pts, vals, 100.0, "idw", 1.0)[0] == pytest.approx(53.6)


def test_points_agree_with_per_feature_loop() -> None:
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 500, (80, 2))
    vals = rng.uniform(10, 40, 80)
    homes = rng.uniform(0, 500, (300, 2))
    got = sample_points(homes, pts, vals, 60.0, "nearest")
    for h, g in zip(homes, got, strict=True):
        d = np.hypot(*(pts - h).T)
        assert (np.isnan(g) and d.min() > 60) or g == vals[np.argmin(d)]
    idw = sample_points(homes, pts, vals, 60.0, "idw", 2.0)
    for h, g in zip(homes, idw, strict=True):
        d = np.hypot(*(pts - h).T)
        near = d <= 60
        if not near.any():
            assert np.isnan(g)
        else:
            w = d[near] ** -2.0
            assert g == pytest.approx((w * vals[near]).sum() / w.sum())


@settings(max_examples=examples(60), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), level=st.floats(0.1, 200.0))
def test_idw_is_the_same_whatever_the_receptor_order(seed: int, level: float) -> None:
    # Found comparing a run on GeoJSON with one on the same receptors as FlatGeobuf
    # (GDAL's spatial index writes them in another order): homes' PM10 "above the WHO
    # value" flipped where every receptor near them held exactly 15.0 µg/m³, the
    # weighted mean one unit in the last place above or below it by summation order.
    rng = np.random.default_rng(seed)
    pts = np.round(rng.uniform(0, 300, (60, 2)), 1)
    vals = np.where(rng.random(60) < 0.5, level, np.round(rng.uniform(0, 2 * level, 60), 1))
    homes = rng.uniform(0, 300, (40, 2))
    perm = rng.permutation(60)
    a = sample_points(homes, pts, vals, 80.0, "idw", 2.0)
    b = sample_points(homes, pts[perm], vals[perm], 80.0, "idw", 2.0)
    np.testing.assert_array_equal(a, b)
    # receptors of one value give exactly that value, near or on a home
    same = sample_points(homes, pts, np.full(60, level), 80.0, "idw", 2.0)
    assert set(same[~np.isnan(same)].tolist()) <= {level}
    on = sample_points(pts[:3], pts, np.full(60, level), 80.0, "idw", 2.0)
    assert on.tolist() == [level] * 3


# ----------------------------------------------------------------------------- grid


def test_grid_cell_values_nodata_and_outside() -> None:
    # 2 rows x 3 columns of 10 m cells; top-left corner (1000, 2000).
    data = tiff(np.array([[10.0, 20.0, -9999.0], [40.0, 50.0, 60.0]]))
    xy = (
        np.array(
            [
                [1005.0, 1995.0],  # row 0, col 0 → 10
                [1015.0, 1985.0],  # row 1, col 1 → 50
                [1025.0, 1995.0],  # row 0, col 2 → nodata
                [1010.0, 1990.0],  # on the corner of 4 cells → the cell right/below: row 1, col 1
                [1100.0, 1995.0],  # east of the raster
            ]
        )
        + RD_ORIGIN
    )  # the raster lies at RD_ORIGIN too
    gs = sample_grid(data, xy, "EPSG:28992")
    assert gs.values[:2].tolist() == [10.0, 50.0]
    assert np.isnan(gs.values[2]) and np.isnan(gs.values[4])
    assert gs.values[3] == 50.0
    assert (gs.nodata, gs.outside) == (1, 1)


def test_grid_reprojects_homes_to_raster_crs() -> None:
    # A lon/lat raster of 0.01° cells around Amsterdam; the home is given in RD New.
    data = tiff(np.array([[1.0, 2.0], [3.0, 4.0]]), x0=4.88, y0=52.38, cell=0.01, crs="EPSG:4326")
    # RD (121700, 487500) ≈ lon 4.8953, lat 52.3734 → column 1, row 0 → value 2.
    gs = sample_grid(data, np.array([[121700.0, 487500.0]]), "EPSG:28992")
    assert gs.values.tolist() == [2.0]


def test_grid_through_indicator_with_warnings() -> None:
    data = tiff(np.array([[12.0, -9999.0], [25.0, 31.0]]))
    inputs = {
        "buildings": fc(
            feature(point(1005, 1995), "a"),
            feature(point(1015, 1995), "b"),  # nodata
            feature(point(1015, 1985), "c"),
            feature(point(900, 1995), "d"),  # outside
        ),
        "exposure_grid": {"base64": base64.b64encode(data).decode()},
    }
    res = execute(AIR, inputs)
    no2 = [f["properties"].get("no2") for f in res["buildings"]["features"]]
    assert no2 == [12.0, None, 31.0, None]
    codes = {w["code"]: w for w in res["data_quality"]["warnings"]}
    assert codes["grid-nodata"]["count"] == 1
    assert codes["grid-outside"]["count"] == 1
    assert codes["home-without-exposure"]["count"] == 2
    # The shares count only homes with a value: 31 > 10 and 12 > 10 → 2 of 2 = 1.0.
    assert res["summary"]["share_homes_above_who_no2"] == 1.0
    assert res["summary"]["homes_with_no2"] == 2


def test_grid_bytes_forms_and_errors() -> None:
    data = tiff(np.array([[1.0]]))
    assert grid_bytes({"bytes": data, "href": "https://x/y.tif"}) == data
    assert grid_bytes({"base64": base64.b64encode(data).decode()}) == data
    assert grid_bytes(data) == data
    with pytest.raises(InputError) as err:
        grid_bytes({"href": "https://example.org/no2.tif"})
    assert err.value.input_name == "exposure_grid"
    with pytest.raises(InputError):
        grid_bytes({"base64": "not base64!"})
    with pytest.raises(InputError, match="GeoTIFF"):
        sample_grid(b"not a tiff", np.zeros((1, 2)), "EPSG:28992")
    with pytest.raises(InputError) as err:
        sample_grid(data, np.zeros((1, 2)), "EPSG:28992", band=2)
    assert err.value.input_name == "grid_band"


def test_grid_without_crs_warns_and_uses_working_crs() -> None:
    data = tiff(np.array([[7.0]]), crs=None)
    res = execute(
        AIR,
        {"buildings": fc(feature(point(1005, 1995))), "exposure_grid": {"bytes": data}},
    )
    assert res["buildings"]["features"][0]["properties"]["no2"] == 7.0
    assert "grid-crs-assumed" in {w["code"] for w in res["data_quality"]["warnings"]}


def test_grid_holds_value_quantity() -> None:
    data = tiff(np.array([[8.0]]))
    res = execute(
        AIR,
        {
            "buildings": fc(feature(point(1005, 1995))),
            "exposure_grid": {"bytes": data},
            "value_quantity": "pm25",
        },
    )
    props = res["buildings"]["features"][0]["properties"]
    assert props["pm25"] == 8.0 and "no2" not in props


# ----------------------------------------------------------------------------- values


def test_missing_values_are_warned_not_numbers() -> None:
    res = execute(
        AIR,
        {
            "buildings": fc(feature(point(5, 5), "a"), feature(point(15, 5), "b")),
            "exposure_zones": fc(
                feature(box(0, 0, 10, 10), no2=30.0),
                feature(box(10, 0, 20, 10), no2="n/a"),
            ),
        },
    )
    feats = res["buildings"]["features"]
    assert feats[0]["properties"]["no2"] == 30.0
    assert feats[1]["properties"]["no2"] is None
    codes = {w["code"]: w.get("count") for w in res["data_quality"]["warnings"]}
    assert codes["missing-exposure-value"] == 1
    assert codes["home-without-exposure"] == 1


def test_value_property_is_read_for_value_quantity() -> None:
    res = execute(
        AIR,
        {
            "buildings": fc(feature(point(5, 5))),
            "exposure_zones": fc(feature(box(0, 0, 10, 10), conc=17.5)),
            "value_property": "conc",
            "value_quantity": "pm10",
        },
    )
    assert res["buildings"]["features"][0]["properties"]["pm10"] == 17.5


def test_several_forms_keep_the_worst() -> None:
    res = execute(
        AIR,
        {
            "buildings": fc(feature(point(5, 5))),
            "exposure_zones": fc(feature(box(0, 0, 10, 10), no2=18.0)),
            "exposure_points": fc(feature(point(6, 5), no2=26.0)),
        },
    )
    assert res["buildings"]["features"][0]["properties"]["no2"] == 26.0


# ----------------------------------------------------------------------------- shares


def test_share_above_by_group() -> None:
    vals = np.array([12.0, 8.0, 30.0, np.nan, 25.0])
    dw = np.array([1.0, 3.0, 2.0, 1.0, 0.0])  # the last is not a home
    groups = AreaGroups(np.array([0, 0, 1, 1, 1]), 2)
    s = share_above(vals, dw, 10.0, groups)
    # group 0: 1 of 2 homes above (1 of 4 dwellings); group 1: 1 of 1 home with a value.
    assert s["share_homes"].tolist() == [0.5, 1.0]
    assert s["share_dwellings"].tolist() == [0.25, 1.0]
    assert s["homes"].tolist() == [2.0, 1.0] and s["dwellings_above"].tolist() == [1.0, 2.0]
    assert weighted_mean(vals, dw, groups).tolist() == [(12 + 24) / 4, 30.0]
    # Overall (no groups): 2 of 3 homes with a value above, 3 of 6 dwellings.
    overall = share_above(vals, dw, 10.0)
    assert overall["share_homes"].tolist() == [2 / 3]
    assert overall["share_dwellings"].tolist() == [0.5]


def test_share_of_one_in_four_homes_is_a_fraction() -> None:
    # The check: 1 of 4 homes above the limit gives 0.25, not 25.0.
    s = share_above(np.array([54.0, 50.0, 52.0, 53.0]), np.ones(4), 53.0)
    assert s["share_homes"].tolist() == [0.25]


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30),
    st.floats(0, 100),
    st.floats(0, 20),
)
def test_raising_a_limit_never_raises_the_share(
    values: list[float], limit: float, delta: float
) -> None:
    v = np.asarray(values)
    dw = np.ones(len(v))
    low = share_above(v, dw, limit)
    high = share_above(v, dw, limit + delta)
    assert high["share_homes"][0] <= low["share_homes"][0]
    assert high["share_dwellings"][0] <= low["share_dwellings"][0]
    assert 0.0 <= high["share_homes"][0] <= 1.0


def test_amsterdam_homes_in_buurten_zones_match_brute_force(load_amsterdam) -> None:  # type: ignore[no-untyped-def]
    buurten = load_amsterdam("buurten")
    homes = load_amsterdam("homes_1000")
    for i, f in enumerate(buurten["features"]):
        f["properties"]["no2"] = 10.0 + (i % 30)
    res = execute(AIR, {"buildings": homes, "exposure_zones": buurten})
    got = [f["properties"].get("no2") for f in res["buildings"]["features"]]
    zones = shapely.from_geojson([json.dumps(f["geometry"]) for f in buurten["features"]])
    vals = [f["properties"]["no2"] for f in buurten["features"]]
    for f, g in zip(homes["features"], got, strict=True):
        p = shapely.Point(f["geometry"]["coordinates"])
        inside = [v for z, v in zip(zones, vals, strict=True) if z.intersects(p)]
        assert (g is None and not inside) or g == max(inside)


def test_grid_bytes_from_the_service_give_json_provenance() -> None:
    from gsl_indicators.core.canonical import canonical_json

    data = tiff(np.array([[7.0]]))
    grid = {"href": "https://example.org/no2.tif", "type": "image/tiff", "bytes": data}
    res = execute(AIR, {"buildings": fc(feature(point(1005, 1995))), "exposure_grid": grid})
    canonical_json(res)  # no raw bytes left in the document
    rec = res["provenance"]["parameters"]["exposure_grid"]
    assert rec["href"] == grid["href"] and rec["bytes"]["size"] == len(data)


def test_a_grid_value_beyond_the_quantitys_range_is_refused() -> None:
    """-9999 without a declared nodata was a mean of -9999 µg/m³ (the zones' check did
    not reach the grid)."""
    data = tiff(np.array([[-9999.0]]), nodata=None)
    with pytest.raises(InputError) as err:
        execute(
            AIR, {"buildings": fc(feature(point(1005, 1995))), "exposure_grid": {"bytes": data}}
        )
    assert err.value.input_name == "exposure_grid"
    assert "no2 outside 0–1e+06" in err.value.reason and "nodata" in err.value.reason
