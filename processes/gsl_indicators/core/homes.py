"""One definition of a home for every indicator (issue 13).

A feature of a homes input (``buildings`` or ``dwellings``) carries the property
``dwellings``:

* absent or not a number → **1** (one dwelling), counted in
  ``data_quality.homes_without_dwellings`` (with a ``missing-property`` warning);
* **0** → the feature is **not a home** (a shop, a shed, an office): it stays on the
  map (and blocks the view in line-of-sight mode) but is left out of every count and
  share of homes and dwellings, counted in ``data_quality.not_homes``;
* negative → a 400 naming the input (a count cannot be negative).

:func:`read_dwellings` is the one reader of the property; :func:`is_home` the one test.
:class:`Homes` (representative points, footprints and dwellings) serves the exposure
indicators (air, noise, heat) and is built by :func:`read_homes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gsl_indicators.core.geo import Layer
from gsl_indicators.core.spec import Context, InputError
from gsl_indicators.core.wording import counted

__all__ = ["HOME_INPUTS", "Homes", "is_home", "read_dwellings", "read_homes"]

HOME_INPUTS = frozenset({"buildings", "dwellings"})
"""The names of the homes inputs (their data-quality notes go under the plain keys)."""


def is_home(dwellings: np.ndarray) -> np.ndarray:
    """Return which features are homes: ``dwellings`` > 0.

    Examples
    --------
    >>> is_home(np.array([1.0, 0.0, 12.0])).tolist()
    [True, False, True]
    """
    return np.asarray(dwellings, dtype=float) > 0


#: most dwellings one feature may hold (beyond it the figure is an error: 1e308 overflowed sums)
MAX_DWELLINGS = 100_000
# What a feature's `dwellings` may be (0 marks a non-home); shown in the descriptions.
DWELLINGS_RANGE = (0.0, float(MAX_DWELLINGS))


def read_dwellings(layer: Layer, ctx: Context | None, default: float = 1.0) -> np.ndarray:
    """Return ``dwellings`` per feature (``default`` where absent); 0 marks a non-home.

    Records ``homes_without_dwellings`` (absent or not numeric, counted as ``default``)
    and ``not_homes`` (``dwellings`` 0) in the data quality (prefixed with the layer's
    name for a layer other than the homes input, e.g. ``plan_not_homes``).

    Raises
    ------
    InputError
        Naming the layer when a feature has a negative ``dwellings``.

    Examples
    --------
    >>> from gsl_indicators.core.geo import RD_NEW, parse_layer
    >>> from gsl_indicators.core.spec import POINTS, GeoInput
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121000, 487000]},
    ...      "properties": {"dwellings": d}} for d in (2, 0, None)]}
    >>> ctx = Context()
    >>> layer = parse_layer(GeoInput("buildings", "Homes", "homes", POINTS), fc, RD_NEW)
    >>> read_dwellings(layer, ctx).tolist()
    [2.0, 0.0, 1.0]
    >>> ctx.notes["homes_without_dwellings"], ctx.notes["not_homes"]
    (1, 1)
    """
    raw = layer.number("dwellings")
    absent = np.isnan(raw)
    d = np.where(absent, default, raw)
    negative = int((d < 0).sum())
    if negative:
        raise InputError(
            layer.name,
            f"{counted(negative, 'feature has', 'features have')} a negative 'dwellings' (0 marks a non-home)",
        )
    huge = d > MAX_DWELLINGS
    if huge.any():
        raise InputError(
            layer.name,
            f"{counted(int(huge.sum()), 'feature has', 'features have')} more than "
            f"{MAX_DWELLINGS:,} 'dwellings' (such as {d[huge][0]:g})",
        )
    if ctx is not None:
        missing = int(absent.sum())
        if missing:
            ctx.warn(
                "missing-property",
                layer.name,
                f"{missing} of {len(layer)} features have no numeric 'dwellings'; the "
                f"default {default!r} is used",
                missing,
            )
        # the homes input itself ("buildings", "dwellings") under the plain keys; other
        # layers with dwellings (a plan) under their own name
        pre = "" if layer.name in HOME_INPUTS else f"{layer.name}_"
        ctx.note(f"{pre}homes_without_dwellings", missing)
        ctx.note(f"{pre}not_homes", int((d == 0).sum()))
    return d


@dataclass
class Homes:
    """The homes of a request: representative points, footprints and dwellings.

    Attributes
    ----------
    layer : Layer
        The ``buildings`` layer (all features, homes and non-homes).
    mask : numpy.ndarray of bool
        Which features are homes (``dwellings`` > 0, :func:`is_home`).
    points : numpy.ndarray of shapely Points
        Representative point per feature.
    xy : numpy.ndarray, shape (n, 2)
        Coordinates of ``points``.
    dwellings : numpy.ndarray
        Dwellings per feature (0 for non-homes).
    """

    layer: Layer
    mask: np.ndarray
    points: np.ndarray
    xy: np.ndarray
    dwellings: np.ndarray

    def __len__(self) -> int:
        return len(self.layer)


def read_homes(layer: Layer, ctx: Context) -> Homes:
    """Return the homes of ``layer`` (see :func:`read_dwellings`)."""
    dwellings = read_dwellings(layer, ctx)
    points = layer.representative_points()
    xy = shapely.get_coordinates(points).reshape(-1, 2)
    return Homes(layer, is_home(dwellings), points, xy, dwellings)
