"""``urbanity-class``: CBS *stedelijkheid* from the address density around each address."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from gsl_indicators.core.examples import box_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import Metrics, metric
from gsl_indicators.core.spec import (
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Norm,
    Parameter,
    Source,
)
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling
from gsl_indicators.core.wording import counted

__all__ = [
    "CLASS_NAMES",
    "DENSITY",
    "INDICATORS",
    "METRICS",
    "address_density",
    "class_names",
    "class_of",
    "classify",
    "compute",
    "overall_metrics",
]

CLASS_NAMES = {
    1: "zeer sterk stedelijk",
    2: "sterk stedelijk",
    3: "matig stedelijk",
    4: "weinig stedelijk",
    5: "niet stedelijk",
}


def address_density(xy: np.ndarray, radius_m: float = 1000.0) -> np.ndarray:
    """Return, for each address, the addresses within ``radius_m`` per km² of that circle.

    The address itself is included, so a lone address has density 1 / (π r²).
    Neighbour counts come from one KD-tree ball query over all points at once
    (``return_length``: no pair list is materialised, so a dense city of 100,000
    addresses needs no more memory than the points themselves).

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Address coordinates in metres. Flats sharing one point count separately.
    radius_m : float
        Radius of the circle (CBS: 1 km).

    Returns
    -------
    numpy.ndarray
        Addresses per km².

    Examples
    --------
    >>> d = address_density(np.array([[0.0, 0.0], [500.0, 0.0], [3000.0, 0.0]]))
    >>> np.round(d, 4).tolist()  # 2, 2 and 1 addresses in a circle of π km²
    [0.6366, 0.6366, 0.3183]
    """
    if len(xy) == 0:
        return np.zeros(0)
    tree = cKDTree(xy)
    counts = tree.query_ball_point(xy, r=radius_m, return_length=True)
    area_km2 = math.pi * (radius_m / 1000.0) ** 2
    return np.asarray(counts, dtype=float) / area_km2


def classify(density: np.ndarray, limits: tuple[float, float, float, float]) -> np.ndarray:
    """Return the urbanity class 1–5 for each density (addresses per km²).

    ``limits`` are the lower bounds of classes 1..4, descending; class 5 is below the last.

    Examples
    --------
    >>> classify(np.array([2500.0, 2499.9, 1500.0, 999.0, 500.0, 10.0]),
    ...          (2500, 1500, 1000, 500)).tolist()
    [1, 2, 2, 4, 4, 5]
    """
    lims = np.asarray(limits, dtype=float)
    # number of limits the density falls below → class - 1
    return (1 + np.sum(density[:, None] < lims[None, :], axis=1)).astype(int)


def _limits(params: Mapping[str, Any]) -> tuple[float, float, float, float]:
    lims = (
        params["class_1_min"],
        params["class_2_min"],
        params["class_3_min"],
        params["class_4_min"],
    )
    names = ("class_1_min", "class_2_min", "class_3_min", "class_4_min")
    for above, name, a, b in zip(names[:-1], names[1:], lims[:-1], lims[1:], strict=True):
        if not b < a:
            raise InputError(name, f"class limits must descend, but {b} is not below {above} = {a}")
    return lims


def class_of(density: np.ndarray, limits: tuple[float, float, float, float]) -> np.ndarray:
    """Return the class 1–5 of each density as floats, NaN where the density is NaN.

    Examples
    --------
    >>> class_of(np.array([600.0, np.nan]), (2500, 1500, 1000, 500)).tolist()
    [4.0, nan]
    """
    d = np.asarray(density, dtype=float)
    ok = np.isfinite(d)
    return np.where(ok, classify(np.where(ok, d, 0.0), limits), np.nan)


def class_names(classes: np.ndarray) -> list[str | None]:
    """Return the CBS name of each class (``None`` where there is none).

    Examples
    --------
    >>> class_names(np.array([1.0, np.nan, 5.0]))
    ['zeer sterk stedelijk', None, 'niet stedelijk']
    """
    return [CLASS_NAMES[int(c)] if np.isfinite(c) else None for c in np.asarray(classes, float)]


def overall_metrics(
    density: np.ndarray, limits: tuple[float, float, float, float]
) -> dict[str, Any]:
    """Return the overall metrics: counts per class and the class of the mean density.

    Examples
    --------
    >>> m = overall_metrics(np.array([600.0, 3000.0]), (2500, 1500, 1000, 500))
    >>> m["mean_address_density"], m["urbanity_class"], m["addresses_class_4"]
    (1800.0, 2.0, 1)
    """
    classes = classify(density, limits)
    mean = float(density.mean()) if len(density) else math.nan
    cls = float(class_of(np.array([mean]), limits)[0])
    out: dict[str, Any] = {
        "addresses": len(density),
        "mean_address_density": mean,
        "urbanity_class": cls,
        "urbanity_class_name": class_names(np.array([cls]))[0],
    }
    for c in CLASS_NAMES:
        out[f"addresses_class_{c}"] = int((classes == c).sum())
    return out


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute address densities, classes per address and, with ``areas``, per area."""
    _limits(params)
    addresses = layers["addresses"]
    xy = shapely.get_coordinates(shapely.centroid(addresses.geometries))
    ctx.progress(0.1, "counting addresses within the radius")
    return urbanity_metrics(address_density(xy, params["radius_m"]), params, ctx)


def urbanity_metrics(density: np.ndarray, params: Mapping[str, Any], ctx: Context) -> Metrics:
    """Return the metrics from each address's density (one piece and tiles alike)."""
    limits = _limits(params)
    result = Metrics(
        feature={"address_density": density, "urbanity_class": classify(density, limits)},
        overall=overall_metrics(density, limits),
    )
    if ctx.groups is not None:
        count = ctx.groups.count()
        empty = int((count == 0).sum())
        if empty:
            ctx.warn(
                "area-without-addresses",
                "areas",
                f"{counted(empty, 'area contains', 'areas contain')} no address; their class is left empty",
                empty,
            )
        mean = ctx.groups.mean(density)
        area_class = class_of(mean, limits)
        result.area = {
            "address_count": count,
            "mean_address_density": mean,
            "urbanity_class": area_class,
            "urbanity_class_name": class_names(area_class),
        }
    return result


def tile_kernel(tile: TileData) -> TilePart:
    """Count, for each core address of a tile, the addresses within ``radius_m``.

    The window holds every address within ``radius_m`` of a core address (the reach),
    so the count is the one-piece count.
    """
    core = shapely.get_coordinates(tile.features)
    near = shapely.get_coordinates(tile.windowed["addresses"])
    counts = np.zeros(len(core), dtype=np.int64)
    if len(core) and len(near):
        r = float(tile.params["radius_m"])
        counts = np.asarray(cKDTree(near).query_ball_point(core, r=r, return_length=True))
    return TilePart(tile.tile, tile.core, {"count": counts.astype(np.int64)})


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run: the address points, cut with a ``radius_m`` halo."""
    _limits(params)  # the same checks, in the same order, as :func:`compute`
    points = shapely.centroid(layers["addresses"].geometries)
    radius = float(params["radius_m"])
    ctx.progress(0.1, "counting addresses within the radius")

    def finish(merged: Merged) -> Metrics:
        area_km2 = math.pi * (radius / 1000.0) ** 2
        density = np.asarray(merged.feature["count"], dtype=float) / area_km2
        return urbanity_metrics(density, params, ctx)

    return Prepared(
        kernel=f"{__name__}:tile_kernel",
        features=points,
        finish=finish,
        windowed={"addresses": points},
        params={"radius_m": radius},
    )


TILING = Tiling(
    reach=lambda params: float(params["radius_m"]),
    reach_text="radius_m",
    whole=("areas",),
    prepare=prepare_tiles,
)
"""``urbanity-class`` in tiles: halo ``radius_m`` (1 km by default)."""


DENSITY = "addresses/km²"
METRICS = (
    metric(
        "address_density",
        "Omgevingsadressendichtheid",
        "Address density",
        DENSITY,
        levels=("feature",),
        digits=3,
        description="Addresses within `radius_m` (itself included) per km² of the circle.",
    ),
    metric(
        "mean_address_density",
        "Gemiddelde omgevingsadressendichtheid",
        "Mean address density",
        DENSITY,
        levels=("area", "overall"),
        digits=3,
        description="Mean of the address densities of the addresses in the area (or all).",
    ),
    metric(
        "urbanity_class",
        "Stedelijkheidsklasse",
        "Urbanity class",
        "class",
        levels=("feature", "area", "overall"),
        digits=0,
        description="CBS class 1 (very strongly urban) to 5 (not urban) of the (mean) density; "
        "empty for an area without addresses.",
    ),
    metric(
        "urbanity_class_name",
        "Naam stedelijkheidsklasse",
        "Urbanity class name",
        "class",
        levels=("area", "overall"),
        description="The CBS name of the class (zeer sterk stedelijk ... niet stedelijk).",
    ),
    metric("address_count", "Adressen", "Addresses", "count", levels=("area",), digits=0),
    metric("addresses", "Adressen", "Addresses", "count", digits=0),
    *(
        metric(
            f"addresses_class_{c}",
            f"Adressen in klasse {c}",
            f"Addresses in class {c}",
            "count",
            digits=0,
            description=f"Addresses whose own density is of class {c} ({name}).",
        )
        for c, name in CLASS_NAMES.items()
    ),
)


_LIMIT_SRC = "CBS, Stedelijkheid (omgevingsadressendichtheid)"

INDICATORS = (
    Indicator(
        id="urbanity-class",
        version="2.0.0",
        title={"nl": "Stedelijkheid (CBS)", "en": "Urbanity class (CBS)"},
        description={
            "nl": "Omgevingsadressendichtheid per adres en gemiddeld per gebied, met de CBS-klasse 1–5.",
            "en": "Address density around each address, averaged per area, with the CBS class 1–5.",
        },
        theme="context",
        method=(
            "For each address: the number of addresses within `radius_m` (the address itself "
            "included) divided by the circle's area in km² (π km² for 1 km). With `areas`, the "
            "densities of the addresses inside each area are averaged. Classes: 1 at or above "
            "`class_1_min`, 2 at or above `class_2_min`, 3 at or above `class_3_min`, 4 at or "
            "above `class_4_min`, else 5. Addresses near the edge of the data count only the "
            "neighbours given, so give addresses up to `radius_m` beyond the study area. "
            "Each address belongs to the area holding it (where areas overlap, the first); "
            "addresses in no area count overall only. Overall: the class of the mean density "
            "of all addresses, and the addresses per class of their own density "
            "(`addresses_class_1` … `addresses_class_5`)."
        ),
        compute=compute,
        metrics=METRICS,
        features="addresses",
        areas="areas",
        tiling=TILING,
        inputs=(
            GeoInput(
                "addresses",
                "Addresses",
                "Address points (BAG verblijfsobjecten); flats sharing a point count each.",
                POINTS,
            ),
            GeoInput(
                "areas",
                "Areas",
                "Areas (neighbourhoods) to average over.",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(
            Parameter(
                "radius_m",
                "Radius",
                "Radius of the circle around each address.",
                "number",
                default=1000.0,
                minimum=100.0,
                maximum=5000.0,
                unit="m",
            ),
            Parameter(
                "class_1_min",
                "Class 1 lower limit",
                "Very strongly urban at or above.",
                "number",
                default=2500.0,
                minimum=0.0,
                maximum=100000.0,
                unit="addresses/km²",
            ),
            Parameter(
                "class_2_min",
                "Class 2 lower limit",
                "Strongly urban at or above.",
                "number",
                default=1500.0,
                minimum=0.0,
                maximum=100000.0,
                unit="addresses/km²",
            ),
            Parameter(
                "class_3_min",
                "Class 3 lower limit",
                "Moderately urban at or above.",
                "number",
                default=1000.0,
                minimum=0.0,
                maximum=100000.0,
                unit="addresses/km²",
            ),
            Parameter(
                "class_4_min",
                "Class 4 lower limit",
                "Hardly urban at or above.",
                "number",
                default=500.0,
                minimum=0.0,
                maximum=100000.0,
                unit="addresses/km²",
            ),
        ),
        norms=(
            Norm(
                "class_1_min",
                2500,
                "addresses/km²",
                "zeer sterk stedelijk",
                _LIMIT_SRC,
                "class_1_min",
            ),
            Norm(
                "class_2_min", 1500, "addresses/km²", "sterk stedelijk", _LIMIT_SRC, "class_2_min"
            ),
            Norm(
                "class_3_min", 1000, "addresses/km²", "matig stedelijk", _LIMIT_SRC, "class_3_min"
            ),
            Norm(
                "class_4_min", 500, "addresses/km²", "weinig stedelijk", _LIMIT_SRC, "class_4_min"
            ),
        ),
        sources=(
            Source(
                "CBS",
                "CBS, Begrippen: Stedelijkheid (van een gebied)",
                "https://www.cbs.nl/nl-nl/onze-diensten/methoden/begrippen/stedelijkheid--van-een-gebied--",
            ),
        ),
        keywords=("stedelijkheid", "CBS", "address density"),
        example={
            "addresses": rd_collection(
                point_feature(121000.0 + 300 * i, 487000.0, f"a{i}") for i in range(5)
            ),
            "areas": rd_collection(
                [box_feature(120900, 486900, 121500, 487100, "buurt-west", name="West")]
            ),
        },
    ),
)
