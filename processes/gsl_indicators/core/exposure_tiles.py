"""Exposure sampling in tiles (``air-quality``, ``noise``): the parent checks, tiles sample.

The parent does what is global, in the one-piece order (:func:`prepare_exposure`): the
homes, the per-layer value checks and their warnings, and the grid — one vectorised
read at every home, with its nodata/outside counts (:func:`~gsl_indicators.core.
exposure.plan_exposure`). Each tile samples the zones and receptor points at its core
homes (:func:`exposure_tile_kernel`); the merge puts the per-home values back in place
and the indicator's report derives every share and mean from them
(:func:`~gsl_indicators.core.exposure.finish_exposure`), never from tile values.

Windows: a tile's window holds its core homes' footprints, so every zone a home's point
lies in (or its footprint touches) meets it; grown by ``point_radius_m`` (the reach), it
holds every receptor point within the radius of a core home. Zones and receptors keep
their order in a window, so ``zone_overlap="first"``, ties of the nearest receptor (the
first) and the IDW sums (added in receptor order) come out as in one piece.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.exposure import (
    ExposureLayer,
    Quantity,
    finish_exposure,
    plan_exposure,
    sample_layer,
)
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import Homes
from gsl_indicators.core.metrics import Metrics
from gsl_indicators.core.spec import Context
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling

__all__ = ["SAMPLING_PARAMETERS", "exposure_tile_kernel", "exposure_tiling", "prepare_exposure"]

SAMPLING_PARAMETERS = (
    "zone_overlap",
    "home_sampling",
    "point_radius_m",
    "point_method",
    "idw_power",
)
"""The parameters a tile's sampling reads (sent to it as JSON)."""


def prepare_exposure(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    homes: Homes,
    quantities: Sequence[Quantity],
    *,
    kernel: str,
    report: Callable[[dict[str, np.ndarray]], Metrics],
) -> Prepared:
    """Return the parent's part of a tiled exposure run.

    Parameters
    ----------
    layers, params, ctx
        The request, as for ``compute``.
    homes : Homes
        The homes (read in the parent, with their warnings).
    quantities : sequence of Quantity
        The quantities sampled (as for :func:`~gsl_indicators.core.exposure.collect_exposure`).
    kernel : str
        ``"module:function"`` of the indicator's tile kernel (an indicator module's name
        for :func:`exposure_tile_kernel`).
    report : callable
        ``found -> Metrics``: what ``compute`` does with ``collect_exposure``'s values.
    """
    plan = plan_exposure(layers, params, ctx, homes, quantities)
    keys = [q.key for q in quantities]

    def finish(merged: Merged) -> Metrics:
        sampled = {
            layer.name: {keys[j]: merged.feature[f"{layer.name}:{keys[j]}"] for j in layer.columns}
            for layer in plan.layers
        }
        return report(finish_exposure(plan, sampled, homes, ctx))

    tile_params: dict[str, Any] = {k: params[k] for k in SAMPLING_PARAMETERS if k in params}
    tile_params.update(keys=keys, columns={la.name: list(la.columns) for la in plan.layers})
    return Prepared(
        kernel=kernel,
        features=homes.layer.geometries,
        finish=finish,
        windowed={layer.name: layer.geoms for layer in plan.layers},
        windowed_values={layer.name: layer.values for layer in plan.layers},
        per_feature={"x": homes.xy[:, 0], "y": homes.xy[:, 1]},
        params=tile_params,
    )


def exposure_tile_kernel(tile: TileData) -> TilePart:
    """Sample the zones and receptor points of a tile's window at its core homes.

    Returns per-feature arrays named ``"<layer>:<quantity key>"``
    (``"exposure_points:no2"``), one value per core home (NaN: none).
    """
    p = tile.params
    keys: list[str] = p["keys"]
    xy = np.column_stack((tile.per_feature["x"], tile.per_feature["y"])).astype(float)
    points = shapely.points(xy) if len(xy) else np.empty(0, object)
    feature: dict[str, np.ndarray] = {}
    for name, columns in p["columns"].items():
        values = np.asarray(tile.windowed_values[name], dtype=float).reshape(-1, len(keys))
        layer = ExposureLayer(name, tile.windowed[name], values, tuple(columns))
        got = sample_layer(layer, keys, p, points=points, xy=xy, footprints=tile.features)
        feature.update({f"{name}:{k}": v for k, v in got.items()})
    return TilePart(tile.tile, tile.core, feature)


def exposure_tiling(
    prepare: Callable[[Mapping[str, Layer], dict[str, Any], Context], Prepared],
) -> Tiling:
    """Return the :class:`~gsl_indicators.core.tiling.Tiling` of an exposure indicator.

    The reach is ``point_radius_m``: receptor points within it of a home must be in its
    tile's window. Zones need none beyond the window (it holds the core homes'
    footprints); the grid is sampled in the parent.
    """
    return Tiling(
        reach=lambda params: float(params.get("point_radius_m", 100.0)),
        reach_text="point_radius_m for receptor points (zones: the home's own footprint; "
        "the grid is sampled per home in the parent)",
        whole=("neighbourhoods",),
        prepare=prepare,
    )
