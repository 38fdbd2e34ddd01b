"""A per-feature output that can also give the columns it was made from.

A layer read from a file (:class:`~gsl_indicators.core.sources.TableFeatures`) is
columns and geometries; its output FeatureCollection is made from them as GeoJSON
Feature dicts, each geometry its canonical text
(:func:`gsl_indicators.core.geo.feature_collection`). The exports that want
columns again — the GeoParquet file stored beside a large result
(:mod:`gsl_service.result_parts`), FlatGeobuf and GeoPackage — would otherwise read the
650,000 dicts of a province back into columns (4.5 s at 650,000 homes). The
collection is therefore a :class:`ColumnCollection`: a plain ``dict`` (orjson and the
canonical JSON see nothing else) with the columns beside it. A copy (``dict(fc)``,
``{**fc}``) is a plain dict and loses them; :func:`columns_of` gives them only while
the collection still holds the very features list they were made with.

A composite's part (scoreboard, scenarios) keeps its per-feature output as
:class:`FeatureValues` instead: its columns and the layer's properties, no features.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gsl_indicators.core.sources import TableFeatures, python_column

if TYPE_CHECKING:
    from gsl_indicators.core.geo import Layer

__all__ = ["ColumnCollection", "FeatureColumns", "FeatureValues", "columns_of"]


@dataclass(frozen=True, eq=False)
class FeatureColumns:
    """The columns of a FeatureCollection made from a file's features.

    Attributes
    ----------
    features : list of dict
        The collection's features list, as made (the columns describe these features).
    rows : TableFeatures
        The kept rows of the file: its property columns and geometries as read.
    added : dict of str to list
        The columns the output added, one JSON value per feature, in order; a name
        that is also a file column replaces that column's values in its place.
    arrays : dict of str to numpy.ndarray
        Some of :attr:`added` as the typed arrays an export's table holds for them,
        made with them (a metric's numbers:
        :func:`~gsl_indicators.core.metrics.rounded_column`); an export types the
        others itself.
    """

    features: list[dict[str, Any]]
    rows: TableFeatures
    added: dict[str, list[Any]]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class ColumnCollection(dict[str, Any]):
    """A FeatureCollection dict that also gives its :class:`FeatureColumns` (``columns``).

    Examples
    --------
    >>> fc = ColumnCollection({"type": "FeatureCollection", "features": []}, None)
    >>> fc == {"type": "FeatureCollection", "features": []}, type(dict(fc)) is dict
    (True, True)
    """

    def __init__(self, members: Mapping[str, Any], columns: FeatureColumns | None) -> None:
        super().__init__(members)
        self.columns = columns


def columns_of(fc: Mapping[str, Any]) -> FeatureColumns | None:
    """Return the columns ``fc`` was made from, ``None`` when it gives none (or not any more).

    Only a :class:`ColumnCollection` that still holds the features list its columns were
    made with, of as many features, gives them.

    Examples
    --------
    >>> columns_of({"type": "FeatureCollection", "features": []}) is None
    True
    """
    columns = getattr(fc, "columns", None) if isinstance(fc, ColumnCollection) else None
    if not isinstance(columns, FeatureColumns):
        return None
    features = fc.get("features")
    if features is not columns.features or len(features) != len(columns.rows):
        return None
    return columns


class FeatureValues:
    """A per-feature output kept as its columns, not as features (a composite's part).

    The scoreboard and the scenario comparison read of a part's per-feature output only
    some properties (:func:`gsl_indicators.core.health.home_column`); at a province's
    650,000 homes the features' dicts took ~1 GB a part. :meth:`values` answers as the
    features would: the indicator's column, else the input property (``None`` where
    absent). It keeps the layer's properties, not the layer: a part held by the part
    cache after its job holds no geometries.

    Examples
    --------
    >>> import numpy as np
    >>> from gsl_indicators.core.geo import Layer
    >>> layer = Layer("homes", np.empty(2, dtype=object),
    ...               [{"properties": {"dwellings": 3}}, {"properties": {}}], np.arange(2), "EPSG:28992")
    >>> fv = FeatureValues(layer, {"score": [7.5, None]})
    >>> len(fv), fv.values("score"), fv.values("dwellings"), fv.values("none")
    (2, [7.5, None], [3, None], [None, None])
    """

    def __init__(self, layer: Layer, columns: dict[str, list[Any]]) -> None:
        self.columns = columns
        self._n = len(layer)
        # the input properties only, not the layer: a part kept in the part cache holds
        # no geometries (a file's property columns are copied, a GeoJSON's dicts shared)
        self._file: dict[str, Any] | None = None
        self._props: list[dict[str, Any]] | None = None
        if isinstance(layer.features, TableFeatures) and layer._props is None:
            table = layer.features
            self._file = {k: table.column(k) for k in table.table.columns}
        else:
            self._props = layer.properties

    def __len__(self) -> int:
        return self._n

    def values(self, name: str) -> list[Any]:
        """Return property ``name`` of every feature, as in the output's features."""
        if name in self.columns:
            return self.columns[name]
        if self._file is not None:  # a file's column, not every feature's dict
            column = self._file.get(name)
            return [None] * self._n if column is None else python_column(column)
        assert self._props is not None
        return [p.get(name) for p in self._props]
