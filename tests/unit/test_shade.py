"""Sun position and shadows: hand-computed cases and a brute-force reference."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.shade import (
    building_shadows,
    parse_date,
    parse_solar_time,
    shaded_area,
    shadow_offsets,
    solar_declination,
    solar_position,
)
from hypothesis_profiles import examples

JUNE21 = dt.date(2025, 6, 21)


def test_declination_at_solstices_and_equinox() -> None:
    assert solar_declination(JUNE21) == pytest.approx(23.44, abs=0.01)
    assert solar_declination(dt.date(2025, 12, 21)) == pytest.approx(-23.44, abs=0.01)
    assert abs(solar_declination(dt.date(2025, 3, 20))) < 0.5


def test_solar_noon_elevation_at_52n_on_21_june() -> None:
    # 90 − 52 + 23.44 = 61.44°, sun due south.
    e, a = solar_position(52.0, JUNE21)
    assert e == pytest.approx(61.44, abs=0.01)
    assert a == pytest.approx(180.0)


def test_sun_moves_from_east_to_west() -> None:
    e9, a9 = solar_position(52.0, JUNE21, 9.0)
    e15, a15 = solar_position(52.0, JUNE21, 15.0)
    assert a9 < 180.0 < a15
    assert a9 == pytest.approx(360.0 - a15)  # symmetric around solar noon
    assert e9 == pytest.approx(e15) and e9 < 61.44
    # Midnight: below the horizon.
    assert solar_position(52.0, JUNE21, 0.0)[0] < 0


def test_box_shadow_at_45_degrees_is_20_m() -> None:
    # A 10 × 10 m box 20 m high, sun at 45° in the south: the shadow reaches
    # 20 / tan 45° = 20 m north of the box: union bounds 0..10 × 0..30, area 300 m².
    pieces = building_shadows(np.array([shapely.box(0, 0, 10, 10)]), np.array([20.0]), 45.0, 180.0)
    s = shapely.union_all(pieces)
    assert s.area == pytest.approx(300.0)
    assert s.bounds == pytest.approx((0.0, 0.0, 10.0, 30.0))


def test_box_shadow_to_the_north_west_in_the_afternoon() -> None:
    # Sun in the south-west (azimuth 225°), elevation 45°: shadow vector of length 10
    # towards the north-east: (10 sin 45°, 10 cos 45°) = (7.071, 7.071).
    dx, dy = shadow_offsets(np.array([10.0]), 45.0, 225.0)[0]
    assert (dx, dy) == pytest.approx((7.0711, 7.0711), abs=1e-4)
    s = shapely.union_all(
        building_shadows(np.array([shapely.box(0, 0, 10, 10)]), np.array([10.0]), 45.0, 225.0)
    )
    # Hexagon: box + translated box + two parallelograms: 100 + 2 · 10 · 7.071 = 241.42
    assert s.area == pytest.approx(100 + 2 * 10 * 10 / math.sqrt(2))


def _brute_force_shadow(poly: shapely.Polygon, dx: float, dy: float) -> shapely.Geometry:
    """Exact Minkowski sum with a segment: the polygon, its copy and every swept edge."""
    moved = shapely.affinity.translate(poly, dx, dy)
    ring = np.asarray(poly.exterior.coords)
    quads = [
        shapely.Polygon([a, b, (b[0] + dx, b[1] + dy), (a[0] + dx, a[1] + dy)]).buffer(0)
        for a, b in itertools.pairwise(ring)
    ]
    return shapely.union_all([poly, moved, *quads])


@settings(max_examples=examples(25), deadline=None)
@given(
    st.floats(5, 40),
    st.floats(15, 80),
    st.floats(0, 359),
)
def test_non_convex_shadow_matches_brute_force(height: float, elev: float, az: float) -> None:
    # An L-shaped (non-convex) footprint.
    L = shapely.Polygon([(0, 0), (20, 0), (20, 8), (8, 8), (8, 20), (0, 20)])
    got = shapely.union_all(building_shadows(np.array([L]), np.array([height]), elev, az))
    dx, dy = shadow_offsets(np.array([height]), elev, az)[0]
    ref = _brute_force_shadow(L, dx, dy)
    assert got.symmetric_difference(ref).area < 1e-6 * ref.area + 1e-6


def test_buildings_without_height_cast_no_shadow() -> None:
    fp = np.array(
        [shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10), shapely.box(40, 0, 50, 10)]
    )
    pieces = building_shadows(fp, np.array([np.nan, 0.0, 10.0]), 45.0, 180.0)
    s = shapely.union_all(pieces)
    assert s.bounds == pytest.approx((40.0, 0.0, 50.0, 20.0))
    with pytest.raises(ValueError):
        building_shadows(fp, np.ones(3), -1.0, 180.0)


def test_multipolygon_footprint() -> None:
    mp = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(30, 0, 40, 10)])
    s = shapely.union_all(building_shadows(np.array([mp]), np.array([10.0]), 45.0, 180.0))
    assert s.area == pytest.approx(2 * 200.0)


def test_shaded_area_counts_overlapping_shade_once() -> None:
    shade = shapely.union_all([shapely.box(0, 0, 6, 10), shapely.box(4, 0, 8, 10)])
    t = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10)])
    assert shaded_area(t, shade).tolist() == pytest.approx([80.0, 30.0])
    assert shaded_area(t, shapely.Polygon()).tolist() == [0.0, 0.0]


def test_parse_date_and_time() -> None:
    assert parse_date("06-21") == JUNE21
    assert parse_solar_time("solar_noon") == 12.0
    assert parse_solar_time("9:45") == 9.75
    for bad in ("noon", "25:00", "12:75"):
        with pytest.raises(ValueError):
            parse_solar_time(bad)
