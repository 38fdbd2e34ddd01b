"""The metric model: every indicator's numbers in one shape.

An indicator declares its **metrics** (:class:`Metric`): id, titles (nl, en), unit,
the levels it is reported at (per feature, per area, overall), the direction in which it
is better, the digits it is rounded to and whether the norm profile scores it. Its
kernel returns the values as named arrays (:class:`Metrics`), never a document; one
assembler (:mod:`gsl_indicators.core.assemble`) turns them into FeatureCollections,
scorecards and the result document. The scoreboard, scenario deltas, web pages, CSV
exports, Tygron attributes and tiling all read this one model.

Metric ids are snake_case (``[a-z][a-z0-9_]*``): they are property, CSV column and
(upper-cased) Tygron attribute names. Process and theme ids are kebab-case
(``external-safety``); where one becomes part of a name (a theme's or process's
score) it goes through :func:`name_of` / :func:`score_name`, so the scoreboard,
scenario comparison, CSV export and Tygron attributes all say
``score_external_safety`` for the theme or process ``external-safety``.

Units are plain strings. Shares are always fractions from 0 to 1 (unit ``"fraction"``),
never percentages, everywhere.

Areas (neighbourhoods, zones) are grouped once per request: :class:`AreaGroups` maps
each feature to the area holding its representative point, and aggregates per area
(counts, sums, shares, weighted means) in the momepy way — one object built once and
handed to every metric.

Examples
--------
>>> groups = AreaGroups(np.array([0, 0, 1, -1]), 2)
>>> groups.share(np.array([True, False, True, True])).tolist()  # feature 3 is in no area
[0.5, 1.0]
>>> groups.count().tolist(), groups.sum(np.array([1.0, 2.0, 3.0, 4.0])).tolist()
([2.0, 1.0], [3.0, 3.0])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "FRACTION",
    "AreaGroups",
    "Direction",
    "Level",
    "Metric",
    "Metrics",
    "booleans",
    "finite",
    "metric",
    "name_of",
    "round_value",
    "round_values",
    "score_name",
]

Level = Literal["feature", "area", "overall"]
Direction = Literal["higher_is_better", "lower_is_better"]
FRACTION = "fraction"
"""The unit of every share: a fraction from 0 to 1."""

_LEVELS: tuple[Level, ...] = ("feature", "area", "overall")
_SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def name_of(ident: str) -> str:
    """Return a process or theme id as a snake_case metric name.

    Lower case; every run of other characters than letters and digits becomes one
    ``_``.

    Examples
    --------
    >>> name_of("external-safety"), name_of("green-3-30-300"), name_of("heat")
    ('external_safety', 'green_3_30_300', 'heat')
    """
    return re.sub(r"[^a-z0-9]+", "_", ident.lower()).strip("_")


def score_name(ident: str) -> str:
    """Return the name of the score (1–10) of a metric, theme or process.

    Examples
    --------
    >>> score_name("external-safety"), score_name("share_green_300m")
    ('score_external_safety', 'score_share_green_300m')
    """
    return "score_" + name_of(ident)


def finite(value: Any) -> bool:
    """Return whether ``value`` is a finite real number (not bool, NaN or infinity).

    The one "finite number" check of the package.

    Examples
    --------
    >>> finite(1), finite(2.5), finite(float("nan")), finite(True), finite("1"), finite(None)
    (True, True, False, False, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(float(value))


@dataclass(frozen=True)
class Metric:
    """The declaration of one metric of an indicator.

    Parameters
    ----------
    id : str
        Name (snake_case, part of the public API: property and CSV column name).
    title : Mapping[str, str]
        Keys ``"nl"`` and ``"en"``.
    unit : str
        ``"fraction"`` for shares (0–1), else ``"m"``, ``"m²"``, ``"count"``, ``"dB"``,
        ``"µg/m³"``, ``"°C"``, ``"mm"``, ``"EUR"``, ``"boolean"``, ``"class"``, ...
    levels : tuple of {"feature", "area", "overall"}
        Where the metric is reported.
    direction : {"higher_is_better", "lower_is_better"}, optional
        Which way is better; ``None`` for descriptive numbers (counts, areas).
    digits : int
        Decimals kept in the output (``0`` gives integers).
    scored : bool
        Whether the norm profile scores it (1–10).
    description : str
        What it is, in a sentence.
    """

    id: str
    title: Mapping[str, str]
    unit: str
    levels: tuple[Level, ...] = ("overall",)
    direction: Direction | None = None
    digits: int = 2
    scored: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not _SNAKE.fullmatch(self.id):
            raise ValueError(
                f"metric '{self.id}': ids are snake_case ([a-z][a-z0-9_]*); "
                f"a process or theme id becomes {name_of(self.id)!r} through name_of()"
            )
        bad = [lv for lv in self.levels if lv not in _LEVELS]
        if bad or not self.levels:
            raise ValueError(f"metric '{self.id}': levels must be some of {_LEVELS}, got {bad}")
        if set(self.title) != {"nl", "en"}:
            raise ValueError(f"metric '{self.id}': title needs keys 'nl' and 'en'")
        if self.scored and self.direction is None:
            raise ValueError(f"metric '{self.id}': a scored metric needs a direction")

    def declaration(self) -> dict[str, Any]:
        """Return the metric as JSON (process description, menu card, result document).

        Examples
        --------
        >>> Metric("homes", {"nl": "Woningen", "en": "Homes"}, "count", digits=0).declaration()
        {'id': 'homes', 'title': {'nl': 'Woningen', 'en': 'Homes'}, 'unit': 'count', 'levels': ['overall'], 'direction': None, 'digits': 0, 'scored': False, 'description': ''}
        """
        return {
            "id": self.id,
            "title": dict(self.title),
            "unit": self.unit,
            "levels": list(self.levels),
            "direction": self.direction,
            "digits": self.digits,
            "scored": self.scored,
            "description": self.description,
        }


def round_value(value: Any, digits: int) -> Any:
    """Return one metric value for output: rounded, ``None`` when not finite.

    Booleans and strings pass unchanged; ``digits`` 0 gives an ``int`` (a ``float``
    beyond the signed 64-bit integers: orjson writes no integer past 2**64 − 1, GDAL
    and Arrow none past 2**63 − 1); a number too large for a float is not finite.

    Examples
    --------
    >>> round_value(0.123456, 4), round_value(float("nan"), 2), round_value(3.0, 0), round_value(True, 2)
    (0.1235, None, 3, True)
    >>> round_value(-0.00001, 2)  # no negative zero
    0.0
    >>> round_value(1e300, 0), round_value(10**400, 0)  # beyond int64 a float; beyond floats
    (1e+300, None)
    """
    if value is None or isinstance(value, bool | str | np.bool_):
        return bool(value) if isinstance(value, np.bool_) else value
    try:
        v = float(value)
    except OverflowError:  # an int beyond any float
        return None
    except (TypeError, ValueError):
        return value
    if not math.isfinite(v):
        return None
    if digits <= 0:
        whole = round(v)
        return whole if -(2**63) <= whole < 2**63 else float(whole)
    return round(v, digits) + 0.0


_NONE = type(None)
_UNROUNDED = frozenset({bool, str, _NONE})


def round_values(values: Any, digits: int) -> list[Any]:
    """Return a column of metric values for output (see :func:`round_value`), vectorised.

    Examples
    --------
    >>> round_values(np.array([1.23456, np.nan, -0.0]), 2)
    [1.23, None, 0.0]
    >>> round_values(np.array([2.0, 3.6]), 0)
    [2, 4]
    >>> round_values([True, None], 2)
    [True, None]
    >>> round_values([np.True_, None, 2.5], 0)
    [True, None, 2]
    """
    return rounded_column(values, digits)[0]


def rounded_column(values: Any, digits: int) -> tuple[list[Any], np.ndarray | None]:
    """Return :func:`round_values` and, where it is numbers, the same column as one array.

    The array (made from the same rounding, no look per value) is what a table of
    typed columns holds for those values: ``float64`` with ``NaN`` for ``None`` when
    they are floats; ``int64`` when they are integers, ``bool`` for flags — both
    masked where the value is ``None`` (a nullable field in GDAL, nulls in Arrow).
    It is ``None`` for anything else: no value at all (empty, or every one ``None``),
    words, or values rounded one by one. An export of a
    large output takes it instead of typing 650,000 values again
    (:attr:`~gsl_indicators.core.collection_columns.FeatureColumns.arrays`).

    Examples
    --------
    >>> rounded_column(np.array([1.234, np.nan]), 1)
    ([1.2, None], array([1.2, nan]))
    >>> rounded_column(np.array([2.0, 3.6]), 0)
    ([2, 4], array([2, 4]))
    >>> listed, typed = rounded_column(np.array([2.0, np.inf]), 0)
    >>> listed, typed.dtype.name, typed.tolist()
    ([2, None], 'int64', [2, None])
    >>> rounded_column(np.array([2.0, 1e19, np.nan]), 0)  # beyond int64: a float
    ([2, 1e+19, None], array([2.e+00, 1.e+19,    nan]))
    >>> rounded_column(np.array([np.nan]), 0), rounded_column(["a"], 0)
    (([None], None), (['a'], None))
    >>> rounded_column([True, False], 2)
    ([True, False], array([ True, False]))
    >>> listed, typed = rounded_column([True, None], 2)
    >>> listed, typed.dtype.name, typed.tolist()
    ([True, None], 'bool', [True, None])
    >>> rounded_column([None, None], 2)
    ([None, None], None)
    """
    if isinstance(values, list):
        kinds = set(map(type, values))
        if kinds <= _UNROUNDED:  # flags and words pass as they are (one type look per value)
            if kinds == {bool}:
                return values[:], np.asarray(values, dtype=bool)
            return values[:], with_nulls(values, bool) if kinds == {bool, _NONE} else None
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind in "fiu":
        a = arr.astype(float)
        ok = np.isfinite(a)
        r = np.round(a, max(digits, 0)) + 0.0
        typed: np.ndarray
        if digits <= 0 and ((r[ok] >= 2.0**63) | (r[ok] < -(2.0**63))).any():
            # some beyond int64: those floats, the others ints, value by value as
            # round_value gives them; typed as floats (as an export types such a column)
            listed = [
                (int(x) if -(2.0**63) <= x < 2.0**63 else x) if k else None
                for x, k in zip(r.tolist(), ok.tolist(), strict=True)
            ]
            return listed, np.where(ok, r, np.nan)
        if digits <= 0:
            ints = np.where(ok, r, 0).astype(np.int64)
            out = ints.astype(object)  # Python ints
            typed = ints if ok.all() else np.ma.MaskedArray(ints, mask=~ok)
        else:
            out = r.astype(object)
            typed = np.where(ok, r, np.nan)
        out[~ok] = None
        return out.tolist(), typed if ok.any() else None
    if arr.dtype.kind == "b":
        return [bool(x) for x in arr.tolist()], arr.astype(bool) if len(arr) else None
    listed = [
        round_value(x, digits) for x in (values.tolist() if hasattr(values, "tolist") else values)
    ]
    return listed, None


def with_nulls(values: Sequence[Any], dtype: Any) -> np.ndarray:
    """Return flags or integers with ``None`` among them as a masked array of ``dtype``.

    Masked where the value is ``None`` (its data there ``0``/``False``); a plain array
    when no value is ``None``. What a table of typed columns holds for such a column
    (a nullable field in GDAL, nulls in Arrow): :func:`rounded_column` and the exports
    (:func:`gsl_service.exports._typed`) make it alike.

    Examples
    --------
    >>> m = with_nulls([True, None, False], bool)
    >>> m.data.tolist(), m.mask.tolist()
    ([True, False, False], [False, True, False])
    >>> type(with_nulls([1, 2], np.int64)).__name__
    'ndarray'
    """
    listed = np.asarray(values, dtype=object)
    mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if not mask.any():
        return listed.astype(dtype)
    listed[mask] = 0
    return np.ma.MaskedArray(listed.astype(dtype), mask=mask)


def metric(id_: str, nl: str, en: str, unit: str, **kw: Any) -> Metric:
    """Return a :class:`Metric` declaration with its Dutch and English titles.

    Examples
    --------
    >>> metric("homes", "Woningen", "Homes", "count", digits=0).title
    {'nl': 'Woningen', 'en': 'Homes'}
    """
    return Metric(id_, {"nl": nl, "en": en}, unit, **kw)


@dataclass
class Metrics:
    """What a kernel returns: metric values by level, plus any further outputs.

    Attributes
    ----------
    feature : dict
        Metric id to one value per feature of the indicator's ``features`` layer.
    area : dict
        Metric id to one value per area of the indicator's ``areas`` layer.
    overall : dict
        Metric id to one value for the whole request.
    outputs : dict
        Further outputs (JSON data: GES tables, class distributions, a cash-flow
        table), passed through as they are (non-finite numbers become ``null``).
    collections : dict
        Further per-feature outputs: output name to ``(layer, columns)``; the columns
        are declared metrics or plain values, assembled like the main layers.
    """

    feature: dict[str, Any] = field(default_factory=dict)
    area: dict[str, Any] = field(default_factory=dict)
    overall: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    collections: dict[str, tuple[Any, Mapping[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaGroups:
    """Features grouped by area, built once per request and shared by every metric.

    Parameters
    ----------
    index : numpy.ndarray of int
        Per feature, the area holding its representative point (``-1``: none).
    n : int
        Number of areas.
    """

    index: np.ndarray
    n: int

    def _select(self, where: np.ndarray | None) -> np.ndarray:
        sel = self.index >= 0
        return sel if where is None else sel & np.asarray(where, dtype=bool)

    def count(self, where: np.ndarray | None = None) -> np.ndarray:
        """Return the number of features per area (only those ``where`` is true)."""
        sel = self._select(where)
        return np.bincount(self.index[sel], minlength=self.n).astype(float)

    def sum(self, values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """Return the sum of ``values`` per area (NaN values count as 0)."""
        sel = self._select(where)
        v = np.nan_to_num(np.asarray(values, dtype=float)[sel])
        return np.bincount(self.index[sel], weights=v, minlength=self.n)

    def share(
        self,
        mask: np.ndarray,
        weights: np.ndarray | None = None,
        where: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return, per area, the (weighted) fraction of features where ``mask`` is true.

        Parameters
        ----------
        mask : numpy.ndarray of bool
            The condition per feature.
        weights : numpy.ndarray, optional
            Weight per feature (dwellings); default 1.
        where : numpy.ndarray of bool, optional
            The population: only these features count, in numerator and denominator.

        Returns
        -------
        numpy.ndarray
            Fractions 0–1; NaN for an area without (weighted) features.

        Examples
        --------
        >>> g = AreaGroups(np.array([0, 0, 0, 1]), 3)
        >>> g.share(np.array([True, False, True, False]), weights=np.array([1.0, 2, 1, 1])).tolist()
        [0.5, 0.0, nan]
        """
        w = np.ones(len(self.index)) if weights is None else np.asarray(weights, dtype=float)
        sel = self._select(where)
        total = np.bincount(self.index[sel], weights=w[sel], minlength=self.n)
        hit = sel & np.asarray(mask, dtype=bool)
        part = np.bincount(self.index[hit], weights=w[hit], minlength=self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, part / np.where(total > 0, total, 1.0), np.nan)

    def mean(
        self, values: np.ndarray, weights: np.ndarray | None = None, where: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the (weighted) mean of the finite ``values`` per area (NaN: none).

        Examples
        --------
        >>> AreaGroups(np.array([0, 0, 1]), 2).mean(np.array([10.0, 20.0, np.nan]),
        ...                                          weights=np.array([1.0, 3.0, 1.0])).tolist()
        [17.5, nan]
        """
        v = np.asarray(values, dtype=float)
        w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
        sel = self._select(where) & np.isfinite(v)
        total = np.bincount(self.index[sel], weights=w[sel], minlength=self.n)
        s = np.bincount(self.index[sel], weights=w[sel] * v[sel], minlength=self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, s / np.where(total > 0, total, 1.0), np.nan)

    def maximum(self, values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """Return the largest finite value per area (NaN: none).

        Examples
        --------
        >>> AreaGroups(np.array([0, 0, 1, 1]), 3).maximum(np.array([1.0, 5.0, np.nan, 2.0])).tolist()
        [5.0, 2.0, nan]
        """
        v = np.asarray(values, dtype=float)
        sel = self._select(where) & np.isfinite(v)
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, self.index[sel], v[sel])
        return np.where(np.isinf(out), np.nan, out)


def overall_share(
    mask: np.ndarray, weights: np.ndarray | None = None, where: np.ndarray | None = None
) -> float:
    """Return the (weighted) fraction of features where ``mask`` is true (NaN: none).

    Examples
    --------
    >>> overall_share(np.array([True, False, True]), where=np.array([True, True, False]))
    0.5
    """
    return float(AreaGroups(np.zeros(len(mask), dtype=np.int64), 1).share(mask, weights, where)[0])


def declarations(metrics: Sequence[Metric]) -> list[dict[str, Any]]:
    """Return the JSON declarations of ``metrics`` (in declaration order)."""
    return [m.declaration() for m in metrics]


def booleans(values: Any) -> list[bool | None]:
    """Return flags given as 1/0/NaN (or booleans) as ``True``/``False``/``None``.

    The values of a metric of unit ``"boolean"`` whose answer may be unknown (a home
    off the walking network, a neighbourhood without canopy data).

    Examples
    --------
    >>> booleans(np.array([1.0, 0.0, np.nan]))
    [True, False, None]
    >>> booleans([True, 0.5, -1.0, 0.0])
    [True, True, True, False]
    """
    arr = np.asarray(values, dtype=float)
    out: list[bool | None] = (arr != 0).tolist()  # numpy's loop: ~10× faster than per value
    for i in np.flatnonzero(np.isnan(arr)).tolist():
        out[i] = None
    return out
