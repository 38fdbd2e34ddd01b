"""Sun position and building shadows, vectorised over all buildings.

Sun position (:func:`solar_position`): the solar declination on the date follows
the NOAA solar calculator (apparent ecliptic longitude and obliquity from the Julian
century, accurate to about 0.01°); the hour angle is 15° per hour from solar noon in
*true (apparent) solar time*, so "12:00" is solar noon wherever the site lies and no
time zone or equation of time enters. Elevation ``e`` and azimuth ``A`` (clockwise
from north) follow from latitude ``φ``, declination ``δ`` and hour angle ``H``::

    sin e = sin φ sin δ + cos φ cos δ cos H
    A = atan2(sin H, cos H sin φ − tan δ cos φ) + 180°

At solar noon this reduces to ``e = 90° − φ + δ``: at 52° N on 21 June,
90 − 52 + 23.44 = 61.44°.

Shadow of a building (:func:`building_shadows`): a box with footprint ``P`` and
height ``h`` on flat ground casts the Minkowski sum of ``P`` with the segment from 0
to ``v``, where ``v`` points away from the sun and has length ``h / tan(e)``. For a
convex part that is the convex hull of ``P`` and ``P + v``; a non-convex footprint is
split into triangles (``shapely.constrained_delaunay_triangles``) and each triangle
is treated the same way. All hulls are built in one call from stacked coordinate
arrays (``shapely.multipoints(..., indices=...)`` then ``convex_hull``), never in a
per-building Python loop.

Shade share (:func:`shaded_area`): the shadows and the tree canopy are dissolved
into one shade geometry; each public-space polygon's shaded area is the sum of its
intersections with the (disjoint) parts of that geometry, found with one
``STRtree.query``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import shapely

__all__ = [
    "building_shadows",
    "julian_century",
    "parse_date",
    "parse_solar_time",
    "shade_geometry",
    "shaded_area",
    "shadow_offsets",
    "solar_declination",
    "solar_position",
]


def julian_century(date: dt.date, hour_utc: float = 12.0) -> float:
    """Return Julian centuries since J2000.0 for ``date`` at ``hour_utc``.

    Examples
    --------
    >>> julian_century(dt.date(2000, 1, 1))
    0.0
    """
    days = (date - dt.date(2000, 1, 1)).days + (hour_utc - 12.0) / 24.0
    return days / 36525.0


def solar_declination(date: dt.date) -> float:
    """Return the sun's apparent declination in degrees on ``date`` (at noon UTC).

    Examples
    --------
    >>> round(solar_declination(dt.date(2025, 6, 21)), 2)
    23.44
    >>> round(solar_declination(dt.date(2025, 12, 21)), 2)
    -23.44
    """
    t = julian_century(date)
    l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0
    m = math.radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    c = (
        math.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * m) * (0.019993 - 0.000101 * t)
        + math.sin(3 * m) * 0.000289
    )
    omega = math.radians(125.04 - 1934.136 * t)
    lam = math.radians(l0 + c - 0.00569 - 0.00478 * math.sin(omega))
    eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    eps = math.radians(eps0 + 0.00256 * math.cos(omega))
    return math.degrees(math.asin(math.sin(eps) * math.sin(lam)))


def solar_position(latitude: float, date: dt.date, solar_hour: float = 12.0) -> tuple[float, float]:
    """Return the sun's (elevation, azimuth) in degrees at a true solar time.

    Parameters
    ----------
    latitude : float
        Degrees north.
    date : datetime.date
        The day (declination).
    solar_hour : float
        True solar time in hours (12.0 = solar noon).

    Returns
    -------
    tuple of float
        Elevation above the horizon and azimuth clockwise from north.

    Examples
    --------
    >>> e, a = solar_position(52.0, dt.date(2025, 6, 21))
    >>> round(e, 2), round(a, 1)  # 90 - 52 + 23.44
    (61.44, 180.0)
    >>> e, a = solar_position(52.0, dt.date(2025, 6, 21), 9.0)
    >>> a < 180.0  # morning sun in the east-south-east
    True
    """
    phi = math.radians(latitude)
    delta = math.radians(solar_declination(date))
    h = math.radians(15.0 * (solar_hour - 12.0))
    sin_e = math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(h)
    elevation = math.degrees(math.asin(max(-1.0, min(1.0, sin_e))))
    az = math.degrees(
        math.atan2(math.sin(h), math.cos(h) * math.sin(phi) - math.tan(delta) * math.cos(phi))
    )
    return elevation, (az + 180.0) % 360.0


def parse_date(text: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` or ``MM-DD`` (year 2025 assumed).

    Examples
    --------
    >>> parse_date("06-21"), parse_date("2024-03-20")
    (datetime.date(2025, 6, 21), datetime.date(2024, 3, 20))
    """
    if re.fullmatch(r"\d{2}-\d{2}", text):
        text = f"2025-{text}"
    return dt.date.fromisoformat(text)


def parse_solar_time(text: str) -> float:
    """Parse ``solar_noon`` or ``HH:MM`` (true solar time) into hours.

    Examples
    --------
    >>> parse_solar_time("solar_noon"), parse_solar_time("15:30")
    (12.0, 15.5)
    """
    if text == "solar_noon":
        return 12.0
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"expected 'solar_noon' or HH:MM, got {text!r}")
    return int(m.group(1)) + int(m.group(2)) / 60.0


def shadow_offsets(heights: np.ndarray, elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """Return the (dx, dy) shadow vector per building: length h / tan(e), away from the sun.

    Examples
    --------
    >>> (np.round(shadow_offsets(np.array([20.0]), 45.0, 180.0), 6) + 0.0).tolist()  # sun south
    [[0.0, 20.0]]
    """
    length = np.asarray(heights, float) / math.tan(math.radians(elevation_deg))
    az = math.radians(azimuth_deg)
    return np.column_stack([-length * math.sin(az), -length * math.cos(az)])


def _swept_hulls(parts: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Convex hull of each (convex) polygon and its translation by its offset."""
    coords, idx = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    moved = coords + offsets[idx]
    pts = np.vstack([coords, moved])
    ids = np.concatenate([idx, idx])
    order = np.argsort(ids, kind="stable")
    mp = shapely.multipoints(pts[order], indices=ids[order])
    return shapely.convex_hull(mp)


def building_shadows(
    footprints: np.ndarray, heights: np.ndarray, elevation_deg: float, azimuth_deg: float
) -> np.ndarray:
    """Return shadow polygons (pieces, possibly overlapping) of box-shaped buildings.

    Parameters
    ----------
    footprints : numpy.ndarray of shapely (Multi)Polygons
        Building footprints in a metric CRS.
    heights : numpy.ndarray
        Height in metres per building; buildings with a height that is NaN or <= 0
        cast no shadow (and are left out).
    elevation_deg, azimuth_deg : float
        Sun elevation (> 0) and azimuth (clockwise from north).

    Returns
    -------
    numpy.ndarray of shapely Polygons
        Shadow pieces, the footprint included; their union is the shadow.

    Examples
    --------
    >>> box = np.array([shapely.box(0, 0, 10, 10)])
    >>> s = shapely.union_all(building_shadows(box, np.array([20.0]), 45.0, 180.0))
    >>> [round(v, 6) + 0.0 for v in s.bounds], round(s.area, 6)  # 20 m long to the north
    ([0.0, 0.0, 10.0, 30.0], 300.0)
    """
    if elevation_deg <= 0:
        raise ValueError("the sun is below the horizon")
    heights = np.asarray(heights, float)
    ok = np.isfinite(heights) & (heights > 0)
    if not ok.any():
        return np.empty(0, dtype=object)
    offsets = shadow_offsets(heights[ok], elevation_deg, azimuth_deg)
    parts, pidx = shapely.get_parts(footprints[ok], return_index=True)
    parts = shapely.force_2d(parts)
    poff = offsets[pidx]
    hull_area = shapely.area(shapely.convex_hull(parts))
    convex = (shapely.get_num_interior_rings(parts) == 0) & (
        shapely.area(parts) >= hull_area * (1.0 - 1e-9)
    )
    pieces = [_swept_hulls(parts[convex], poff[convex])] if convex.any() else []
    if (~convex).any():
        tris, tidx = shapely.get_parts(
            shapely.constrained_delaunay_triangles(parts[~convex]), return_index=True
        )
        pieces.append(_swept_hulls(tris, poff[~convex][tidx]))
    out = np.concatenate(pieces) if pieces else np.empty(0, dtype=object)
    return out[shapely.get_type_id(out) == 3]  # degenerate hulls (lines) cast no area


def shade_geometry(pieces: np.ndarray, targets: np.ndarray) -> object:
    """Dissolve the shade pieces (shadows, canopy) that touch any target polygon.

    Pieces away from every target cannot shade it; leaving them out of the union
    (one ``STRtree.query``) saves most of its cost in a district with few streets.

    Examples
    --------
    >>> pieces = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2), shapely.box(50, 50, 51, 51)])
    >>> shade_geometry(pieces, np.array([shapely.box(0, 0, 10, 10)])).area
    6.0
    """
    if len(pieces) == 0 or len(targets) == 0:
        return shapely.Polygon()
    hit = np.unique(shapely.STRtree(targets).query(pieces, predicate="intersects")[0])
    return shapely.union_all(pieces[hit])


def shaded_area(targets: np.ndarray, shade: object) -> np.ndarray:
    """Return the area of each target polygon that lies in ``shade``.

    ``shade`` is one (dissolved) geometry; the targets may overlap each other.

    Examples
    --------
    >>> t = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    >>> shaded_area(t, shapely.box(5, 0, 25, 5)).tolist()
    [25.0, 25.0]
    """
    n = len(targets)
    out = np.zeros(n)
    if n == 0 or shade is None or shapely.is_empty(shade):
        return out
    parts = shapely.get_parts(shade)
    ti, pj = shapely.STRtree(parts).query(targets, predicate="intersects")
    if len(ti):
        areas = shapely.area(shapely.intersection(targets[ti], parts[pj]))
        out = np.bincount(ti, weights=areas, minlength=n)
    return out
