"""Exposure sampling shared by ``air-quality``, ``noise`` and ``heat``.

A home takes an exposure value (a concentration, a noise level, a PET) from one of
three input forms, all available to every exposure indicator:

``exposure_zones`` (polygons with a value)
    A home takes the value of the zone it lies in. Where zones overlap, parameter
    ``zone_overlap`` decides: ``worst`` (the highest value, default), ``first`` (the
    zone that comes first in the collection) or ``mean``. A point on a zone boundary
    lies in both zones.
``exposure_points`` (receptor points with a value)
    ``point_method="nearest"``: the value of the nearest point within
    ``point_radius_m`` (of equally near points, the first in the collection); ``"idw"``: the inverse-distance weighted mean of all points
    within ``point_radius_m`` (weights ``1 / d ** idw_power``; a point at distance 0
    gives its own value). No point within the radius leaves the home without a value.
``exposure_grid`` (a GeoTIFF)
    Sampled at each home (the cell containing the home's point; band ``grid_band``).
    Over HTTP it is given as ``{"href": "https://…/no2.tif"}``: the *service* fetches
    the href and hands the raster to the kernel, because ``processes/`` does no I/O.
    The kernel accepts the object ``{"bytes": <raw GeoTIFF bytes>}`` (what the
    service passes on, optionally with the original ``"href"``), or
    ``{"base64": "<base64 GeoTIFF>"}`` for small grids sent inline in JSON. Cells
    equal to the raster's nodata value (or masked), and homes outside the raster, get
    no value and are counted in a warning — never a number. A raster without a CRS is
    taken to be in the working CRS (with a warning); otherwise homes are reprojected
    to the raster's CRS. Band scale and offset are applied.

Values are read from feature properties named after the quantity (``no2``,
``pm25``, ``pm10``, ``lden``, ``lnight``, ``pet``, ``hot_nights``, ``tnight``), or,
when ``value_property`` is set, from that property for the quantity
``value_quantity`` (the grid always holds ``value_quantity``). Noise features may
carry a ``source`` (road, rail, aircraft, industry; missing → ``default_source``), or
properties named ``lden_road``, ``lnight_rail`` … directly. A feature without a
usable value is left out of the sampling for that quantity and counted in a warning.

Homes are the features of ``buildings`` (polygons or points) with ``dwellings``
(default 1; a building with ``dwellings`` 0 is not a home). A polygon home samples
at its *representative point* (``shapely.point_on_surface``: always inside the
footprint, unlike the centroid). With ``home_sampling="footprint"`` a home takes the
worst zone touching its footprint instead (zones only; points and grids always use
the representative point).

When several forms give the same quantity for a home, the worst (highest) value is
kept. All exposure quantities here are "higher is worse".

Everything is vectorised: one ``STRtree.query`` of all zones (prepared) against the homes, one
KD-tree query for the receptor points, one windowed raster read for the grid. A home's
answer depends only on the zones and receptors near it, in their collection order (IDW
sums add the receptors in that order), so a tiled run, which sees a window of them, gives
the same values (:mod:`gsl_indicators.core.exposure_tiles`).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
import shapely
from pydantic_core import PydanticCustomError
from scipy.spatial import cKDTree

from gsl_indicators.core.geo import Layer, beyond, outside_range
from gsl_indicators.core.homes import DWELLINGS_RANGE, Homes, read_homes  # noqa: F401
from gsl_indicators.core.metrics import (
    FRACTION,
    AreaGroups,
    Direction,
    Level,
    Metric,
    Metrics,
    metric,
)
from gsl_indicators.core.spec import (
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    InputError,
    Parameter,
)
from gsl_indicators.core.wording import counted

__all__ = [
    "AREA_OVERALL",
    "ASSUMED_METRIC",
    "BUILDINGS",
    "FEATURE",
    "HOME_METRICS",
    "LOWER",
    "NEIGHBOURHOODS",
    "NOISE_SOURCES",
    "ExposureLayer",
    "ExposurePlan",
    "GridSample",
    "Quantity",
    "Sampled",
    "above_flags",
    "assumed_column",
    "collect_exposure",
    "count_metric",
    "exposure_parameters",
    "feature_values",
    "finish_exposure",
    "flag_metric",
    "grid_bytes",
    "home_counts",
    "home_metric",
    "home_values",
    "level_metrics",
    "metric",
    "outside_value_parameter",
    "plan_exposure",
    "point_input",
    "receptor_points",
    "sample_grid",
    "sample_layer",
    "sample_points",
    "sample_zones",
    "share_above",
    "share_metric",
    "weighted_mean",
    "whole",
    "zone_input",
]

NOISE_SOURCES = ("road", "rail", "aircraft", "industry")

# --------------------------------------------------------------------------- inputs

BUILDINGS = GeoInput(
    "buildings",
    "Buildings (homes)",
    "Homes as building footprints or address points. A building with `dwellings` 0 is not a home.",
    POLYGONS + POINTS,
    ranges={"dwellings": DWELLINGS_RANGE},
    properties={
        "dwellings": "number of dwellings (default 1; 0 = not a home)",
        "id": "kept in the output",
    },
)
NEIGHBOURHOODS = GeoInput(
    "neighbourhoods",
    "Neighbourhoods",
    "Areas to report per (a home belongs to the area containing its representative point).",
    POLYGONS,
    required=False,
    properties={
        "area_type": "GGO area type or CBS urbanity class used for scoring (optional)",
        "urbanity_class": "CBS urbanity class 1–5, used when `area_type` is absent",
    },
)


def zone_input(quantities: str, ranged: Sequence[Quantity] = ()) -> GeoInput:
    """Return the ``exposure_zones`` input, documenting the properties read.

    ``ranged``: the quantities read, whose accepted ranges the description shows.
    """
    return GeoInput(
        "exposure_zones",
        "Exposure zones",
        "Polygons with a value (contour bands, zones); a home takes the zone it lies in.",
        POLYGONS,
        required=False,
        properties={"<quantity>": f"value, property named after the quantity: {quantities}"},
        ranges={name: q.valid for q in ranged for name in dict.fromkeys((q.base, q.key))},
    )


def point_input(quantities: str, ranged: Sequence[Quantity] = ()) -> GeoInput:
    """Return the ``exposure_points`` input, documenting the properties read.

    ``ranged``: the quantities read, whose accepted ranges the description shows.
    """
    return GeoInput(
        "exposure_points",
        "Exposure receptor points",
        "Receptor points with a value; a home takes the nearest value within a radius "
        "or an inverse-distance weighted value.",
        POINTS,
        required=False,
        properties={"<quantity>": f"value, property named after the quantity: {quantities}"},
        ranges={name: q.valid for q in ranged for name in dict.fromkeys((q.base, q.key))},
    )


def outside_value_parameter(
    keys: Sequence[str], example: str, minimum: Mapping[str, float] | None = None
) -> Parameter:
    """Return the ``outside_value`` parameter for an indicator's quantity ``keys``.

    ``example``: a JSON object shown in the description (a quantity and a value).
    ``minimum``: the least value of a key that has one (a concentration is not negative).
    Values are JSON numbers as given: ``true`` or ``"50"`` is refused, not read as a number.
    """
    least = dict(minimum or {})

    def at_least(values: dict[str, float]) -> dict[str, float]:
        for k, v in values.items():
            if abs(v) > 1e6:  # no exposure value is a million: 1e308 summed to infinity
                raise PydanticCustomError(
                    "above_maximum",
                    "outside_value.{key}: {value} is beyond ±1e6",
                    {"key": k, "value": f"{v:g}"},
                )
            if k in least and v < least[k]:
                raise PydanticCustomError(
                    "below_minimum",
                    "outside_value.{key}: {value} is below {minimum}",
                    {"key": k, "value": f"{v:g}", "minimum": f"{least[k]:g}"},
                )
        return values

    number = Annotated[float, pydantic.Strict(), pydantic.AllowInfNan(False)]
    return Parameter(
        "outside_value",
        "Value outside the exposure data",
        "Per quantity, the value of a home that no exposure input gives one (outside every "
        "zone, beyond the receptor radius, on nodata or outside the grid), e.g. "
        f"{example}: a background concentration, or what is known below a map's lowest "
        "contour. Without it such homes have no value and are left out of the shares (a "
        "map whose contours start above the limit then puts every home with a value above "
        "it). The homes that take it are counted in an `outside-value` warning. Keys: "
        f"{', '.join(keys)}.",
        "object",
        default=None,
        nullable=True,
        schema={
            "properties": {
                k: {"type": "number", **({"minimum": least[k]} if k in least else {})} for k in keys
            },
            "additionalProperties": False,
        },
        annotation=Annotated[
            dict[Literal[tuple(keys)], number],  # type: ignore[misc]
            pydantic.AfterValidator(at_least),
        ],
    )


def exposure_parameters(
    quantities: Sequence[str],
    keys: Sequence[str] = (),
    example: str = "",
    minimum: Mapping[str, float] | None = None,
) -> tuple[Parameter, ...]:
    """Return the parameters of the three exposure input forms.

    Parameters
    ----------
    quantities : sequence of str
        The base quantities of the indicator; the first is the default of
        ``value_quantity``.
    keys : sequence of str, optional
        The quantity keys the indicator reports (``lden_road``, …): with them, the
        ``outside_value`` parameter (:func:`outside_value_parameter`, ``example``,
        ``minimum``).
    """
    return (
        *((outside_value_parameter(keys, example, minimum),) if keys else ()),
        Parameter(
            "exposure_grid",
            "Exposure grid (GeoTIFF)",
            'A GeoTIFF raster of one quantity (`value_quantity`), by reference: {"href": '
            '"https://…/map.tif"}; the service fetches it. Inline: {"base64": "…"}. '
            "Nodata cells and homes outside the raster get no value (counted in a warning).",
            "object",
            default=None,
            nullable=True,
            schema={
                "properties": {
                    "href": {"type": "string", "format": "uri"},
                    "base64": {"type": "string"},
                }
            },
        ),
        Parameter(
            "grid_band",
            "Grid band",
            "Band of the GeoTIFF to sample (1-based).",
            "integer",
            default=1,
            minimum=1,
            maximum=1000,
            read_with=("exposure_grid",),
        ),
        Parameter(
            "value_property",
            "Value property",
            "Read the value of `value_quantity` from this feature property instead of the "
            "property named after the quantity.",
            "string",
            default=None,
            nullable=True,
            read_with_any=("exposure_zones", "exposure_points"),
        ),
        Parameter(
            "value_quantity",
            "Quantity of value_property and grid",
            "The quantity that `value_property` and `exposure_grid` hold.",
            "string",
            default=quantities[0],
            enum=tuple(quantities),
            read_with_any=("value_property", "exposure_grid"),
        ),
        Parameter(
            "zone_overlap",
            "Overlapping zones",
            "Value of a home lying in several zones: the worst (highest), the first in "
            "the collection, or the mean.",
            "string",
            default="worst",
            enum=("worst", "first", "mean"),
            read_with=("exposure_zones",),
        ),
        Parameter(
            "home_sampling",
            "Home sampling",
            "`point`: a home samples at its representative point (inside the footprint). "
            "`footprint`: the worst zone touching the footprint (zones only).",
            "string",
            default="point",
            enum=("point", "footprint"),
        ),
        Parameter(
            "point_method",
            "Receptor point method",
            "`nearest`: the nearest receptor within the radius; `idw`: inverse-distance "
            "weighted mean of the receptors within the radius.",
            "string",
            default="nearest",
            enum=("nearest", "idw"),
            read_with=("exposure_points",),
        ),
        Parameter(
            "point_radius_m",
            "Receptor search radius",
            "Receptor points farther than this from a home are not used.",
            "number",
            default=100.0,
            minimum=1.0,
            maximum=5000.0,
            unit="m",
            read_with=("exposure_points",),
        ),
        Parameter(
            "idw_power",
            "IDW power",
            "Power of the inverse-distance weights (2 is common practice).",
            "number",
            default=2.0,
            minimum=0.5,
            maximum=5.0,
            used_when={"point_method": "idw"},
            read_with=("exposure_points",),
        ),
    )


# --------------------------------------------------------------------------- homes


# ``Homes`` and ``read_homes`` live in :mod:`gsl_indicators.core.homes` (one definition
# of a home for every indicator); re-exported here for the exposure indicators.


# --------------------------------------------------------------------------- kernels


def _reduce_pairs(
    home_idx: np.ndarray, src_idx: np.ndarray, values: np.ndarray, n: int, how: str
) -> np.ndarray:
    """Reduce (home, source) pairs to one value per home; NaN where a home has no pair."""
    out = np.full(n, np.nan)
    if len(home_idx) == 0:
        return out
    v = values[src_idx]
    if how == "mean":
        count = np.bincount(home_idx, minlength=n)
        total = np.bincount(home_idx, weights=v, minlength=n)
        has = count > 0
        out[has] = total[has] / count[has]
        return out
    if how == "worst":  # one unbuffered ufunc pass instead of a sort of all pairs
        best = np.full(n, -np.inf)
        np.maximum.at(best, home_idx, v)
        has = best > -np.inf
        out[has] = best[has]
        return out
    key = -src_idx.astype(float)
    order = np.lexsort((key, home_idx))
    hs = home_idx[order]
    last = np.r_[hs[1:] != hs[:-1], True]
    out[hs[last]] = v[order][last]
    return out


def sample_zones(
    homes: np.ndarray, zones: np.ndarray, values: np.ndarray, overlap: str = "worst"
) -> np.ndarray:
    """Return, per home geometry, the value of the zone(s) it intersects.

    Parameters
    ----------
    homes : numpy.ndarray of shapely geometries
        Home points (or footprints, for the worst zone touching a footprint).
    zones : numpy.ndarray of shapely polygons
        Zones; only zones with a finite value should be passed.
    values : numpy.ndarray
        One value per zone.
    overlap : {"worst", "first", "mean"}
        How to combine the zones a home lies in.

    Returns
    -------
    numpy.ndarray
        One value per home; NaN for homes in no zone.

    Examples
    --------
    >>> z = np.array([shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10)])
    >>> h = shapely.points([[2, 5], [7, 5], [20, 5]])
    >>> sample_zones(h, z, np.array([50.0, 60.0])).tolist()
    [50.0, 60.0, nan]
    >>> sample_zones(h, z, np.array([50.0, 60.0]), "first").tolist()
    [50.0, 50.0, nan]
    >>> sample_zones(h, z, np.array([50.0, 60.0]), "mean").tolist()
    [50.0, 55.0, nan]
    """
    if overlap not in ("worst", "first", "mean"):
        raise ValueError(f"unknown overlap rule {overlap!r}")
    n = len(homes)
    if n == 0 or len(zones) == 0:
        return np.full(n, np.nan)
    values = np.asarray(values, float)
    # the tree holds the homes and the zones are the queries: shapely prepares each query
    # geometry once, so every zone is tested against its candidate homes prepared
    zone_idx, home_idx = shapely.STRtree(homes).query(zones, predicate="intersects")
    return _reduce_pairs(home_idx, zone_idx, values, n, overlap)


def sample_points(
    home_xy: np.ndarray,
    point_xy: np.ndarray,
    values: np.ndarray,
    radius_m: float,
    method: str = "nearest",
    power: float = 2.0,
) -> np.ndarray:
    """Return, per home, the receptor value: nearest within a radius, or IDW.

    Parameters
    ----------
    home_xy, point_xy : numpy.ndarray, shape (n, 2) and (m, 2)
        Coordinates in metres.
    values : numpy.ndarray
        Finite value per receptor point.
    radius_m : float
        Search radius; receptors farther away are ignored.
    method : {"nearest", "idw"}
        Nearest receptor, or inverse-distance weighted mean of all within the radius.
        The nearest of equally near receptors is the first in the collection.
    power : float
        IDW power (weights ``1 / d ** power``). A receptor at distance 0 gives its
        own value (the mean of several at distance 0). Each home's sums add its
        receptors in one order of their own (by x, y and value) and weigh their excess
        over the home's lowest receptor, so the answer depends neither on the order of
        the receptors in their file (a FlatGeobuf's spatial index reorders them) nor on
        which other receptors the tree holds, and receptors of one value give exactly
        that value (not one unit in the last place above a limit).

    Returns
    -------
    numpy.ndarray
        One value per home; NaN where no receptor lies within the radius.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> homes = np.array([[2.0, 0.0], [0.0, 0.0], [500.0, 0.0]])
    >>> sample_points(homes, pts, np.array([40.0, 60.0]), 50.0).tolist()
    [40.0, 40.0, nan]
    >>> # IDW at x=2: weights 1/2² and 1/8² → (40/4 + 60/64) / (1/4 + 1/64) = 41.18
    >>> np.round(sample_points(homes, pts, np.array([40.0, 60.0]), 50.0, "idw"), 2).tolist()
    [41.18, 40.0, nan]
    """
    n = len(home_xy)
    out = np.full(n, np.nan)
    if n == 0 or len(point_xy) == 0:
        return out
    values = np.asarray(values, float)
    ptree = cKDTree(point_xy)
    if method == "nearest":
        idx = _nearest_first(ptree, home_xy, radius_m)
        found = idx >= 0
        out[found] = values[idx[found]]
        return out
    if method != "idw":
        raise ValueError(f"unknown point method {method!r}")
    pairs = cKDTree(home_xy).sparse_distance_matrix(ptree, radius_m, output_type="ndarray")
    if len(pairs) == 0:
        return out
    # The trees' traversal order is not the points' order: sort the pairs by home, then
    # by the receptors' rank in their own order (x, y, value), so each home's sums add
    # the same terms in the same order however the receptors are ordered in their file
    # or cut (a tile's window holds a subset, ranked alike). One integer sort.
    rank = np.empty(len(point_xy), dtype=np.int64)
    rank[np.lexsort((values, point_xy[:, 1], point_xy[:, 0]))] = np.arange(len(point_xy))
    order = np.argsort(pairs["i"].astype(np.int64) * len(point_xy) + rank[pairs["j"]])
    hi, d = pairs["i"][order].astype(np.intp), pairs["v"][order]
    v = values[pairs["j"][order]]
    far = d > 1e-9
    mean, has = _group_mean(hi[far], v[far], d[far] ** -power, n)
    out[has] = mean[has]
    # Homes with a receptor at distance 0 take (the mean of) those receptors.
    zero = ~far
    mean, has = _group_mean(hi[zero], v[zero], np.ones(int(zero.sum())), n)
    out[has] = mean[has]
    return out


def _group_mean(
    group: np.ndarray, values: np.ndarray, weights: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the weighted mean of ``values`` per group (of ``n``), and which groups have one.

    Taken as the group's lowest value plus the weighted mean of the excess over it, so
    values that are all equal give exactly that value (not one unit in the last place
    above or below it).

    Examples
    --------
    >>> m, has = _group_mean(np.array([0, 0, 2]), np.array([0.1, 0.1, 5.0]),
    ...                      np.array([1.0, 3.0, 1.0]), 3)
    >>> m[has].tolist(), has.tolist()
    ([0.1, 5.0], [True, False, True])
    """
    low = np.full(n, np.inf)
    np.minimum.at(low, group, values)
    wsum = np.bincount(group, weights=weights, minlength=n)
    excess = np.bincount(group, weights=weights * (values - low[group]), minlength=n)
    has = wsum > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return low + excess / wsum, has


def _nearest_first(tree: cKDTree, xy: np.ndarray, radius_m: float) -> np.ndarray:
    """Return the index of each point's nearest tree point within the radius (-1: none).

    Of several at the same distance, the one that comes first (the lowest index), so
    the answer does not depend on how the tree was built or which points it holds.

    Examples
    --------
    >>> t = cKDTree(np.array([[0.0, 30.0], [10.0, 0.0], [-10.0, 0.0], [0.0, 10.0]]))
    >>> _nearest_first(t, np.array([[0.0, 0.0], [0.0, 25.0], [50.0, 0.0]]), 20.0).tolist()
    [1, 0, -1]
    """
    m = tree.n
    dist, idx = tree.query(xy, k=min(2, m), distance_upper_bound=radius_m)
    dist, idx = dist.reshape(len(xy), -1), idx.reshape(len(xy), -1)
    out = np.where(np.isfinite(dist[:, 0]), idx[:, 0], -1)
    k = dist.shape[1]
    rows = np.flatnonzero(np.isfinite(dist[:, 0]) & (dist[:, -1] == dist[:, 0]) & (k > 1))
    while len(rows):  # ties: widen k until the last neighbour is farther (or all are read)
        k = min(2 * k, m)
        d, i = tree.query(xy[rows], k=k, distance_upper_bound=radius_m)
        d, i = d.reshape(len(rows), -1), i.reshape(len(rows), -1)
        tied = d == d[:, :1]
        out[rows] = np.where(tied, i, m).min(axis=1)
        rows = rows[tied[:, -1] & (k < m)]
    return out


@dataclass
class GridSample:
    """Values sampled from a raster, with the counts of homes that got none."""

    values: np.ndarray
    nodata: int
    outside: int
    crs: str | None
    #: Per point: whether it lies inside the raster's extent (nodata cells included).
    inside: np.ndarray | None = None


def grid_bytes(obj: Any) -> bytes:
    """Return the GeoTIFF bytes of an ``exposure_grid`` object.

    Accepts ``{"bytes": b"…"}`` (from the service, which resolved the href),
    ``{"base64": "…"}`` (inline) or raw ``bytes``.

    Raises
    ------
    InputError
        Naming ``exposure_grid`` when neither is present (a bare href cannot be read
        by the kernel: the service must resolve it).
    """
    if isinstance(obj, bytes | bytearray | memoryview):
        return bytes(obj)
    if isinstance(obj, Mapping):
        data = obj.get("bytes")
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        b64 = obj.get("base64")
        if isinstance(b64, str):
            if "href" in obj:
                raise InputError(
                    "exposure_grid", "give the raster by 'href' or inline as 'base64', not both"
                )
            if unknown := sorted(set(obj) - {"base64", "type"}):
                raise InputError(
                    "exposure_grid",
                    f"{unknown[0]!r} is not a member of an inline grid (base64, type)",
                )
            try:
                return base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise InputError("exposure_grid", "'base64' is not valid base64") from None
        if "href" in obj:
            raise InputError(
                "exposure_grid",
                "the href was not resolved to raster bytes (the service fetches hrefs; "
                "a kernel called directly needs {'bytes': …} or {'base64': …})",
            )
    raise InputError("exposure_grid", "expected an object with 'href', 'bytes' or 'base64'")


def sample_grid(data: bytes, xy: np.ndarray, crs: str, band: int = 1) -> GridSample:
    """Sample a GeoTIFF at points: the value of the cell containing each point.

    Parameters
    ----------
    data : bytes
        The GeoTIFF file contents (read with ``rasterio.MemoryFile``, no disk I/O).
    xy : numpy.ndarray, shape (n, 2)
        Point coordinates in ``crs``.
    crs : str
        CRS of ``xy`` (the working CRS). A raster without a CRS is taken to be in it.
    band : int
        1-based band number.

    Returns
    -------
    GridSample
        Values (NaN for nodata/masked cells and points outside the raster) and the
        counts of both cases.

    Raises
    ------
    InputError
        For bytes that are not a readable raster, or a band that does not exist.
    """
    import rasterio
    from pyproj import Transformer
    from rasterio.errors import RasterioIOError
    from rasterio.windows import Window

    n = len(xy)
    try:
        memfile = rasterio.MemoryFile(data)
        ds = memfile.open()
    except (RasterioIOError, ValueError, TypeError) as err:
        raise InputError("exposure_grid", f"not a readable GeoTIFF ({err})") from None
    with memfile, ds:
        if not 1 <= band <= ds.count:
            raise InputError("grid_band", f"band {band} does not exist (the grid has {ds.count})")
        raster_crs = ds.crs.to_string() if ds.crs else None
        x = xy[:, 0].astype(float)
        y = xy[:, 1].astype(float)
        if raster_crs is not None and n:
            tr = Transformer.from_crs(crs, raster_crs, always_xy=True)
            x, y = tr.transform(x, y)
            x, y = np.asarray(x, float), np.asarray(y, float)
        inv = ~ds.transform
        col = np.floor(inv.a * x + inv.b * y + inv.c)
        row = np.floor(inv.d * x + inv.e * y + inv.f)
        inside = (col >= 0) & (col < ds.width) & (row >= 0) & (row < ds.height)
        inside &= np.isfinite(col) & np.isfinite(row)
        values = np.full(n, np.nan)
        nodata = 0
        if inside.any():
            r = row[inside].astype(np.int64)
            c = col[inside].astype(np.int64)
            r0, r1, c0, c1 = int(r.min()), int(r.max()), int(c.min()), int(c.max())
            window = Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1)
            arr = ds.read(band, window=window, masked=True)
            cell = arr[r - r0, c - c0]
            mask = np.ma.getmaskarray(cell)
            vals = np.ma.getdata(cell).astype(float)
            nd = ds.nodatavals[band - 1]
            if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
                mask |= vals == nd
            mask |= ~np.isfinite(vals)
            scale = ds.scales[band - 1] if ds.scales else 1.0
            offset = ds.offsets[band - 1] if ds.offsets else 0.0
            vals = vals * (scale if scale is not None else 1.0) + (offset or 0.0)
            vals[mask] = np.nan
            values[inside] = vals
            nodata = int(mask.sum())
        return GridSample(values, nodata, int((~inside).sum()), raster_crs, inside)


# --------------------------------------------------------------------------- collecting


@dataclass(frozen=True)
class Quantity:
    """One exposure quantity read from the inputs.

    ``key`` is the output name (``"no2"``, ``"lden_road"``); ``base`` the property name
    (``"lden"``); ``source`` the noise source it is restricted to, if any. ``valid``:
    the plausible range of a value (a concentration is not negative; 1e308 dB is no
    measurement): a feature giving one outside it is refused (:func:`check_values`).
    """

    key: str
    base: str
    source: str | None = None
    valid: tuple[float, float] = (-math.inf, math.inf)


def _prop_value(p: Mapping[str, Any], name: str) -> float:
    v = p.get(name)
    if v is None or isinstance(v, bool):
        return math.nan
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


def check_values(
    layer: Layer,
    quantities: Sequence[Quantity],
    values: np.ndarray,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Refuse values outside their quantity's plausible range (``Quantity.valid``).

    The message names the quantity and, with ``value_property`` in ``params``, the
    property read for it. A Monte Carlo sample's values (``layer.sampled``) are clipped
    to the range in place instead: the perturbation crossed it, not the data.

    Raises
    ------
    InputError
        Naming the layer, the property, how many and an example.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...     "geometry": {"type": "Point", "coordinates": [121000, 487000]},
    ...     "properties": {"no2": v}} for v in (20, -5)]}
    >>> layer = parse_layer(GEO_IN, fc, RD_NEW)
    >>> q = [Quantity("no2", "no2", valid=(0.0, 1e6))]
    >>> check_values(layer, q, feature_values(layer, q, {}))
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'example': 1 of 2 features give a no2 outside 0–1e+06 (such as -5)
    """
    vp, vq = (params or {}).get("value_property"), (params or {}).get("value_quantity")
    for j, q in enumerate(quantities):
        column = values[:, j]
        if layer.sampled:
            values[:, j] = np.clip(column, *q.valid)  # NaN stays NaN
            continue
        outside = outside_range(column, q.valid)
        if outside.any():
            read = f" (property '{vp}')" if vp and q.base == vq else ""
            raise InputError(
                layer.name,
                f"{int(outside.sum())} of {len(layer)} features give a {q.key}{read} "
                f"{beyond(*q.valid)} (such as {column[outside][0]:g})",
            )


def check_grid(values: np.ndarray, quantity: Quantity) -> None:
    """Refuse grid values sampled at the homes outside the quantity's plausible range.

    A -9999 without a declared nodata value was a mean of -9999 µg/m³.

    Raises
    ------
    InputError
        Naming ``exposure_grid``, how many homes, an example, and the nodata question.
    """
    outside = outside_range(values, quantity.valid)
    if outside.any():
        raise InputError(
            "exposure_grid",
            f"{int(outside.sum())} of {len(values)} buildings take a {quantity.key} "
            f"{beyond(*quantity.valid)} from the grid (such as {values[outside][0]:g}); if that is its "
            "nodata value, declare it in the GeoTIFF",
        )


def feature_values(
    layer: Layer,
    quantities: Sequence[Quantity],
    params: Mapping[str, Any],
) -> np.ndarray:
    """Return an (n features, n quantities) array of the values each feature gives.

    A feature gives a value for quantity ``q`` from property ``q.key`` (e.g.
    ``lden_rail``), else from ``q.base`` (``lden``) when its ``source`` (default
    ``default_source``) equals ``q.source``. ``value_property`` replaces the base
    property of ``value_quantity``. NaN where the feature gives nothing.
    """
    vp = params.get("value_property")
    vq = params.get("value_quantity")
    default_source = params.get("default_source", "road")
    out = np.full((len(layer), len(quantities)), np.nan)
    for i, p in enumerate(layer.properties):
        src = p.get("source")
        src = default_source if src is None else str(src).strip().lower()
        for j, q in enumerate(quantities):
            v = _prop_value(p, q.key) if q.key != q.base else math.nan
            if math.isnan(v) and (q.source is None or q.source == src):
                prop = vp if (vp and q.base == vq) else q.base
                v = _prop_value(p, prop)
            out[i, j] = v
    return out


@dataclass
class ExposureLayer:
    """An exposure layer checked in the parent: what sampling it per home needs.

    Attributes
    ----------
    name : str
        ``"exposure_zones"`` or ``"exposure_points"``.
    geoms : numpy.ndarray
        The zones, or the receptor points (a MultiPoint as its centroid).
    values : numpy.ndarray, shape (n features, n quantities)
        What each feature gives (:func:`feature_values`; NaN: nothing).
    columns : tuple of int
        The quantities (columns) at least one feature gives, in quantity order.
    """

    name: str
    geoms: np.ndarray
    values: np.ndarray
    columns: tuple[int, ...]


@dataclass
class ExposurePlan:
    """The global part of :func:`collect_exposure`: checked layers and the sampled grid."""

    quantities: tuple[Quantity, ...]
    layers: list[ExposureLayer]
    grid: tuple[str, np.ndarray] | None = None
    """The quantity key the grid gives and its value per building."""
    outside: Mapping[str, float] = field(default_factory=dict)
    """``outside_value``: quantity key to the value of a home no input gives one."""


def receptor_points(geoms: np.ndarray) -> np.ndarray:
    """Return receptor points as points: a MultiPoint becomes its centroid.

    Examples
    --------
    >>> g = np.array([shapely.Point(1, 2), shapely.MultiPoint([(0, 0), (4, 2)])])
    >>> [p.wkt for p in receptor_points(g)]
    ['POINT (1 2)', 'POINT (2 1)']
    """
    xy = shapely.get_coordinates(geoms).reshape(-1, 2)
    if len(xy) != len(geoms):  # MultiPoints: take each one's centroid (a point's is itself)
        xy = shapely.get_coordinates(shapely.centroid(geoms))
    return shapely.points(xy) if len(xy) else np.empty(0, object)


def plan_exposure(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    homes: Homes,
    quantities: Sequence[Quantity],
) -> ExposurePlan:
    """Check the exposure layers and sample the grid: the global part, warnings in order.

    Per layer (zones, then points): a warning when no feature gives a value, or when
    some give none. Then the grid is sampled at every home (one vectorised read) with
    its warnings. What is left — sampling the layers per home (:func:`sample_layer`) —
    depends only on a home's neighbourhood.
    """
    plan = ExposurePlan(tuple(quantities), [], outside=dict(params.get("outside_value") or {}))
    for name in ("exposure_zones", "exposure_points"):
        layer = layers.get(name)
        if layer is None or len(layer) == 0:
            continue
        fv = feature_values(layer, quantities, params)
        check_values(layer, quantities, fv, params)
        given = np.isfinite(fv)
        if not given.any():
            ctx.warn(
                "no-exposure-values",
                name,
                "no feature has a numeric value for any of "
                f"{sorted({q.base for q in quantities})} (set `value_property`?)",
                len(layer),
            )
            continue
        none = int((~given.any(axis=1)).sum())
        if none:
            ctx.warn(
                "missing-exposure-value",
                name,
                f"{none} of {len(layer)} features have no numeric exposure value; left out",
                none,
            )
        geoms = layer.geometries
        if name == "exposure_points":
            geoms = receptor_points(geoms)
        columns = tuple(int(j) for j in np.flatnonzero(given.any(axis=0)))
        plan.layers.append(ExposureLayer(name, geoms, fv, columns))
    grid = params.get("exposure_grid")
    if grid is not None:
        data = grid_bytes(grid)
        vq = params.get("value_quantity")
        src = params.get("default_source")
        targets = [q for q in quantities if q.base == vq and q.source in (None, src)]
        if targets:
            gs = sample_grid(data, homes.xy, homes.layer.crs, int(params.get("grid_band", 1)))
            if gs.crs is None:
                ctx.warn(
                    "grid-crs-assumed",
                    "exposure_grid",
                    f"the grid has no CRS; taken to be in {homes.layer.crs}",
                )
            if gs.nodata:
                ctx.warn(
                    "grid-nodata",
                    "exposure_grid",
                    f"{counted(gs.nodata, 'building lies', 'buildings lie')} on nodata cells of the grid; no value",
                    gs.nodata,
                )
            if gs.outside:
                ctx.warn(
                    "grid-outside",
                    "exposure_grid",
                    f"{counted(gs.outside, 'building lies', 'buildings lie')} outside the grid; no value",
                    gs.outside,
                )
            check_grid(gs.values, targets[0])
            plan.grid = (targets[0].key, gs.values)
    return plan


def sample_layer(
    layer: ExposureLayer,
    keys: Sequence[str],
    params: Mapping[str, Any],
    *,
    points: np.ndarray,
    xy: np.ndarray,
    footprints: np.ndarray,
) -> dict[str, np.ndarray]:
    """Sample one checked layer at the homes: quantity key to one value per home.

    Parameters
    ----------
    layer : ExposureLayer
        Zones or receptor points (all of them, or a tile's window of them in order).
    keys : sequence of str
        The key of each quantity (column of ``layer.values``).
    params : mapping
        ``zone_overlap``, ``home_sampling``, ``point_radius_m``, ``point_method``,
        ``idw_power``.
    points, xy, footprints : numpy.ndarray
        The homes' representative points, their coordinates and their geometries.
    """
    out: dict[str, np.ndarray] = {}
    for j in layer.columns:
        ok = np.isfinite(layer.values[:, j])
        if layer.name == "exposure_zones":
            query = footprints if params.get("home_sampling") == "footprint" else points
            out[keys[j]] = sample_zones(
                query, layer.geoms[ok], layer.values[ok, j], params.get("zone_overlap", "worst")
            )
        else:
            out[keys[j]] = sample_points(
                xy,
                shapely.get_coordinates(layer.geoms[ok]).reshape(-1, 2),
                layer.values[ok, j],
                float(params.get("point_radius_m", 100.0)),
                params.get("point_method", "nearest"),
                float(params.get("idw_power", 2.0)),
            )
    return out


class Sampled(dict[str, np.ndarray]):
    """Quantity key to one value per building, and the homes that took ``outside_value``.

    ``assumed``: quantity key to a mask of the buildings whose value is the given
    ``outside_value`` (no input gave one); shown per home by :func:`assumed_column`.
    """

    assumed: dict[str, np.ndarray]

    def __init__(self) -> None:
        super().__init__()
        self.assumed = {}


def assumed_column(sampled: Mapping[str, np.ndarray], n: int) -> list[str | None]:
    """Return per building the quantities whose value is the given ``outside_value``.

    Comma-separated keys in the indicator's order (``"lden_road,lnight_road"``), ``None``
    where the home's values all came from the data (the ``outside_value_for`` metric).

    Examples
    --------
    >>> s = Sampled()
    >>> s.assumed = {"no2": np.array([True, False, True]), "pm10": np.array([True, False, False])}
    >>> assumed_column(s, 3)
    ['no2,pm10', None, 'no2']
    >>> assumed_column({}, 2)
    [None, None]
    """
    masks = getattr(sampled, "assumed", None) or {}
    col = np.full(n, "", dtype=object)
    for key, mask in masks.items():
        col[mask] = np.where(col[mask] == "", key, col[mask] + "," + key)
    return [v or None for v in col.tolist()]


def finish_exposure(
    plan: ExposurePlan,
    sampled: Mapping[str, Mapping[str, np.ndarray]],
    homes: Homes,
    ctx: Context,
) -> Sampled:
    """Put the sampled layers and the grid together (the worst value) and warn of gaps.

    Parameters
    ----------
    plan : ExposurePlan
        From :func:`plan_exposure`.
    sampled : mapping
        Layer name to :func:`sample_layer`'s values for every building.
    homes : Homes
        The homes (their mask counts the homes without a value).
    ctx : Context
        Takes the ``home-without-exposure`` warnings and the ``exposure`` note.
    """
    found = Sampled()
    pieces = [(k, v) for layer in plan.layers for k, v in sampled[layer.name].items()]
    if plan.grid is not None:
        pieces.append(plan.grid)
    for key, vals in pieces:
        found[key] = np.fmax(found[key], vals) if key in found else vals
    for key, vals in list(found.items()):
        gap = np.isnan(vals) & homes.mask
        missing = int(gap.sum())
        if key in plan.outside:
            if missing:
                found[key] = np.where(gap, plan.outside[key], vals)
                found.assumed[key] = gap
                ctx.warn(
                    "outside-value",
                    "buildings",
                    f"{counted(missing, 'home takes', 'homes take')} outside_value.{key} = "
                    f"{plan.outside[key]:g}: no exposure input gives them a value (outside "
                    "every zone, beyond the receptor radius, on nodata or outside the grid)",
                    missing,
                )
        elif missing:
            ctx.warn(
                "home-without-exposure",
                "buildings",
                f"{counted(missing, 'home got', 'homes got')} no '{key}' value (outside every zone, beyond the "
                "receptor radius, or on nodata); they are left out of the shares"
                " (`outside_value` gives them one)",
                missing,
            )
    for key in plan.outside:
        if key not in found:
            ctx.warn(
                "outside-value-unused",
                "outside_value",
                f"outside_value.{key}: no exposure input gives '{key}', so no home takes it",
            )
    if plan.outside:
        took = {k: int(found.assumed[k].sum()) if k in found.assumed else 0 for k in plan.outside}
        ctx.note("outside_value", {"values": dict(plan.outside), "homes": took})
    if len(homes) and not found:
        ctx.note("exposure", "no exposure input gave a value")
    return found


def collect_exposure(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    homes: Homes,
    quantities: Sequence[Quantity],
) -> Sampled:
    """Sample every quantity at every home from all exposure forms given.

    :func:`plan_exposure` (checks, the grid), :func:`sample_layer` for each layer and
    :func:`finish_exposure`: the road a tiled run takes too, with the sampling in tiles.

    Returns
    -------
    dict
        Quantity key to one value per building feature (NaN where none), for the
        quantities that at least one input form provides.
    """
    plan = plan_exposure(layers, params, ctx, homes, quantities)
    keys = [q.key for q in plan.quantities]
    where = {"points": homes.points, "xy": homes.xy, "footprints": homes.layer.geometries}
    sampled = {layer.name: sample_layer(layer, keys, params, **where) for layer in plan.layers}
    return finish_exposure(plan, sampled, homes, ctx)


# --------------------------------------------------------------------------- reporting


def home_values(homes: Homes, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the sampled values with non-homes (``dwellings`` 0) set to NaN.

    Examples
    --------
    >>> import shapely
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121000, 487000]},
    ...      "properties": {"dwellings": d}} for d in (2, 0)]}
    >>> homes = read_homes(parse_layer(GEO_IN, fc, RD_NEW), Context())
    >>> home_values(homes, {"no2": np.array([20.0, 30.0])})["no2"].tolist()
    [20.0, nan]
    """
    return {k: np.where(homes.mask, v, np.nan) for k, v in values.items()}


def above_flags(values: np.ndarray, limit: float, *, inclusive: bool = False) -> list[bool | None]:
    """Return, per building, whether its value is above ``limit`` (``None``: no value).

    Strictly above by default; at or above with ``inclusive`` (a KNMI tropical night is
    a minimum of 20.0 °C or more).

    Examples
    --------
    >>> above_flags(np.array([53.0, 53.1, np.nan]), 53.0)
    [False, True, None]
    >>> above_flags(np.array([19.9, 20.0]), 20.0, inclusive=True)
    [False, True]
    """
    op = np.greater_equal if inclusive else np.greater
    return [None if not np.isfinite(x) else bool(op(x, limit)) for x in values.tolist()]


def whole(n: int) -> AreaGroups:
    """Return ``n`` features as one group: the overall level of a metric.

    Examples
    --------
    >>> whole(4).share(np.array([True, False, True, True])).tolist()
    [0.75]
    """
    return AreaGroups(np.zeros(n, dtype=np.int64), 1)


def home_counts(homes: Homes, groups: AreaGroups) -> dict[str, np.ndarray]:
    """Return the number of homes and of their dwellings per group."""
    return {
        "homes": groups.count(homes.mask),
        "dwellings": groups.sum(homes.dwellings, where=homes.mask),
    }


def share_above(
    values: np.ndarray,
    dwellings: np.ndarray,
    limit: float,
    groups: AreaGroups | None = None,
    *,
    inclusive: bool = False,
) -> dict[str, np.ndarray]:
    """Count homes and dwellings with a value above ``limit`` (or at it), per group.

    Homes without a value (NaN) and non-homes (``dwellings`` 0) are left out of
    numerator and denominator. Shares are fractions (0–1), NaN without homes.

    Parameters
    ----------
    values, dwellings : numpy.ndarray
        Per building.
    limit : float
        The limit; "above" means ``value > limit`` (``value >= limit`` with
        ``inclusive``).
    groups : AreaGroups, optional
        The areas; without it, one overall group (:func:`whole`).

    Returns
    -------
    dict
        Arrays (one value per group): ``homes`` and ``dwellings`` (with a value),
        ``homes_above``, ``dwellings_above``, ``share_homes``, ``share_dwellings``.

    Examples
    --------
    >>> s = share_above(np.array([5.0, 12.0, np.nan, 30.0]), np.array([1.0, 2, 1, 1]), 10)
    >>> s["homes_above"].tolist(), s["share_homes"].round(4).tolist()  # 2 of 3 homes with a value
    ([2.0], [0.6667])
    >>> s["share_dwellings"].tolist()  # (2 + 1) of 4 dwellings with a value
    [0.75]
    >>> g = AreaGroups(np.array([0, 0, 1, 1]), 2)
    >>> share_above(np.array([12.0, 8.0, 30.0, 9.0]), np.array([1.0, 3, 2, 0]), 10, g)["share_dwellings"].tolist()
    [0.25, 1.0]
    """
    g = whole(len(values)) if groups is None else groups
    dwellings = np.asarray(dwellings, dtype=float)
    ok = np.isfinite(values) & (dwellings > 0)
    v = np.nan_to_num(values, nan=-np.inf)
    above = ok & ((v >= limit) if inclusive else (v > limit))
    return {
        "homes": g.count(ok),
        "dwellings": g.sum(dwellings, where=ok),
        "homes_above": g.count(above),
        "dwellings_above": g.sum(dwellings, where=above),
        "share_homes": g.share(above, where=ok),
        "share_dwellings": g.share(above, weights=dwellings, where=ok),
    }


def weighted_mean(
    values: np.ndarray, dwellings: np.ndarray, groups: AreaGroups | None = None
) -> np.ndarray:
    """Return the dwelling-weighted mean of ``values`` per group (NaN without homes).

    Examples
    --------
    >>> weighted_mean(np.array([10.0, 20.0, np.nan]), np.array([1.0, 3.0, 5.0])).tolist()
    [17.5]
    """
    g = whole(len(values)) if groups is None else groups
    dwellings = np.asarray(dwellings, dtype=float)
    return g.mean(values, weights=dwellings, where=dwellings > 0)


def level_metrics(
    declared: Sequence[Metric],
    groups: AreaGroups | None,
    n: int,
    stats: Callable[[AreaGroups], Mapping[str, np.ndarray]],
) -> Metrics:
    """Return ``stats`` overall and per area, each metric at the levels it is declared at.

    Parameters
    ----------
    declared : sequence of Metric
        The indicator's metric declarations (their ``levels`` pick where a value goes).
    groups : AreaGroups, optional
        The areas (``ctx.groups``); ``None``: overall only.
    n : int
        Number of features.
    stats : callable
        Grouping → metric id → one value per group; called once for the whole request
        and once for the areas.

    Examples
    --------
    >>> m = [Metric("homes", {"nl": "Woningen", "en": "Homes"}, "count", levels=("area", "overall"))]
    >>> res = level_metrics(m, AreaGroups(np.array([0, 1, 1]), 2), 3, lambda g: {"homes": g.count()})
    >>> res.overall, res.area["homes"].tolist()
    ({'homes': 3.0}, [1.0, 2.0])
    """
    levels = {m.id: m.levels for m in declared}
    out = Metrics()
    out.overall = {k: float(v[0]) for k, v in stats(whole(n)).items() if "overall" in levels[k]}
    if groups is not None:
        out.area = {k: v for k, v in stats(groups).items() if "area" in levels[k]}
    return out


# --------------------------------------------------------------------------- declarations


AREA_OVERALL: tuple[Level, ...] = ("area", "overall")
FEATURE: tuple[Level, ...] = ("feature",)
LOWER: Direction = "lower_is_better"


def home_metric(id_: str, nl: str, en: str, unit: str, about: str, digits: int = 1) -> Metric:
    """Return a per-home exposure value ("lower is better")."""
    return metric(
        id_, nl, en, unit, levels=FEATURE, direction=LOWER, digits=digits, description=about
    )


def flag_metric(id_: str, nl: str, en: str, about: str) -> Metric:
    """Return a per-home boolean (``null`` where the home has no value)."""
    return metric(id_, nl, en, "boolean", levels=FEATURE, description=about)


def share_metric(
    id_: str, nl: str, en: str, about: str, scored: bool = False, direction: Direction = LOWER
) -> Metric:
    """Return a share per area and overall: a fraction 0–1, 4 digits."""
    return metric(
        id_,
        nl,
        en,
        FRACTION,
        levels=AREA_OVERALL,
        direction=direction,
        digits=4,
        scored=scored,
        description=about,
    )


def count_metric(
    id_: str, nl: str, en: str, levels: tuple[Level, ...] = ("overall",), digits: int = 0
) -> Metric:
    """Return a count of homes (``digits`` 0) or of dwellings (``digits`` 2)."""
    return metric(id_, nl, en, "count", levels=levels, digits=digits, description=en + ".")


HOME_METRICS = (
    count_metric("homes", "Woningen", "Homes", AREA_OVERALL),
    count_metric("dwellings", "Wooneenheden", "Dwellings", AREA_OVERALL, digits=2),
)
"""The homes (``dwellings`` > 0) and their dwellings per area and overall."""

ASSUMED_METRIC = metric(
    "outside_value_for",
    "Waarde buiten de gegevens",
    "Value outside the data",
    "class",
    levels=FEATURE,
    description="The quantities whose value at this home is the given `outside_value` (no "
    "exposure input gave one), comma-separated; null: every value came from the data.",
)
"""The per-home trace of ``outside_value`` (air, noise, heat, odour)."""
