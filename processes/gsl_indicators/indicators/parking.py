"""``parking-pressure`` (*parkeerdruk*): parking demand ÷ supply per zone, with norm tables.

Demand is the number of dwellings times a norm in parking places per dwelling, read
from a **norm table** by dwelling type × CBS urbanity class (1–5) × location (centre,
centre fringe, rest of the built-up area, outside it): the structure of the CROW
*parkeerkencijfers*. The CROW figures are licensed, so the project ships only a clearly
labelled example table with made-up round numbers (``catalog/parking/example.yaml``);
a municipality sends its own rows inline or adds a named table to the catalog.

Visitor parking follows the CROW convention: the figure per dwelling *includes* the
visitors' part, and ``visitor_share`` says which fraction of it is for visitors. So
demand = Σ dwellings × ``places_per_dwelling``, and the visitor part
(Σ dwellings × ``places_per_dwelling`` × ``visitor_share``) is reported beside it, never
added on top.

Everything is vectorised: one STRtree over the zones answers the point-in-zone queries
for dwellings, plan and parking, and demand and supply are summed per zone with
``numpy.bincount``; the norm of each dwelling is one fancy-indexing lookup into a dense
(type × class × location) array.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pydantic
import shapely
import yaml
from scipy.spatial import cKDTree

from gsl_indicators.core.examples import (
    id_box_feature,
    line_feature,
    point_feature,
    rd_collection,
)
from gsl_indicators.core.geo import Layer, representative_points, zone_index
from gsl_indicators.core.homes import DWELLINGS_RANGE, read_dwellings
from gsl_indicators.core.metrics import Metric, Metrics
from gsl_indicators.core.prepared import prepared_copy
from gsl_indicators.core.scoring import area_types_of, normalise_area_type
from gsl_indicators.core.spec import (
    ANY_GEOMETRY,
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    InputError,
    Norm,
    Output,
    Parameter,
    Source,
)
from gsl_indicators.core.wording import counted
from gsl_indicators.indicators import urbanity

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_LOCATION_PARAMETER",
    "DEFAULT_TYPE_PARAMETER",
    "DEMAND_BASIS",
    "DWELLINGS_INPUT",
    "EXAMPLE",
    "INDICATORS",
    "LOCATIONS",
    "METRICS",
    "NORM_TABLE_PARAMETER",
    "N_CLASSES",
    "OCCUPANCY_INPUT",
    "PARKING_INPUT",
    "PARKING_PARAMETERS",
    "PLAN_INPUT",
    "THRESHOLD_PARAMETER",
    "URBANITY_PARAMETERS",
    "VISITOR_CONVENTION",
    "ZONES_INPUT",
    "LocatedHomes",
    "NormRow",
    "NormTable",
    "NormTableSpec",
    "Occupancy",
    "Zones",
    "alarm",
    "allocate_supply",
    "catalog_tables",
    "compute",
    "dwellings_that_fit",
    "homes_norms",
    "located_homes",
    "location_code",
    "measured_occupancy",
    "norm_table",
    "norm_table_schema",
    "overall_metrics",
    "prepare_zones",
    "pressure",
    "read_homes",
    "scored_pressure",
    "table_from_rows",
    "used_rows",
    "with_plan",
    "zone_area_types",
    "zone_metrics",
    "zone_sums",
    "zone_urbanity",
]

LOCATIONS: tuple[str, ...] = ("centre", "centre-fringe", "rest-built-up", "outside")
"""Location classes of a zone, in CROW's order (centrum, schil, rest bebouwde kom, buiten)."""

_LOCATION_ALIASES = {
    "centre": "centre",
    "center": "centre",
    "centrum": "centre",
    "centre-fringe": "centre-fringe",
    "centre fringe": "centre-fringe",
    "center-fringe": "centre-fringe",
    "schil": "centre-fringe",
    "schil/overloopgebied centrum": "centre-fringe",
    "overloopgebied": "centre-fringe",
    "rest-built-up": "rest-built-up",
    "rest of built-up area": "rest-built-up",
    "rest bebouwde kom": "rest-built-up",
    "rest": "rest-built-up",
    "outside": "outside",
    "outside built-up area": "outside",
    "buitengebied": "outside",
    "buiten bebouwde kom": "outside",
}
_WILDCARDS = (None, "*", "any", "")
N_CLASSES = 5
DEFAULT_COLUMNS = (
    "dwelling_type",
    "urbanity_class",
    "location",
    "places_per_dwelling",
    "visitor_share",
)
VISITOR_CONVENTION = (
    "CROW convention: places_per_dwelling includes visitor parking; visitor_share is the "
    "fraction of it meant for visitors, reported separately (demand_visitors), not added."
)


def location_code(value: Any) -> int:
    """Return the index of a location name in :data:`LOCATIONS` (aliases allowed), else -1.

    Examples
    --------
    >>> [location_code(v) for v in ("centre", "Schil", "rest bebouwde kom", "outside", "x")]
    [0, 1, 2, 3, -1]
    """
    if not isinstance(value, str):
        return -1
    name = _LOCATION_ALIASES.get(value.strip().lower())
    return LOCATIONS.index(name) if name else -1


def _class_code(value: Any) -> int:
    """Return an urbanity class 1–5 from an int or numeric string, else 0."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0
    return int(f) if f.is_integer() and 1 <= f <= N_CLASSES else 0


# --------------------------------------------------------------------------- norm tables


@dataclass(frozen=True)
class NormTable:
    """A parking norm table as dense arrays over (dwelling type, class, location).

    Attributes
    ----------
    name, title : str
        The table's name (a catalog name, or ``"inline"``) and a description.
    example : bool
        Whether the figures are illustrative only (the shipped example table).
    source : str or None
        Where the figures come from.
    default_dwelling_type : str
        Applied to dwellings whose type is absent or not in the table.
    types : tuple of str
        The dwelling types, in the order of the first axis.
    places, visitor_share : numpy.ndarray, shape (types, 5, 4)
        Places per dwelling and the visitor fraction; NaN where no row applies.
    """

    name: str
    title: str
    example: bool
    source: str | None
    default_dwelling_type: str
    types: tuple[str, ...]
    places: np.ndarray
    visitor_share: np.ndarray

    def type_index(
        self, names: Sequence[str | None], default: str | None = None
    ) -> tuple[np.ndarray, int]:
        """Return the type index of each name and how many fell back to the default type.

        Examples
        --------
        >>> t = norm_table([{"dwelling_type": "a", "places_per_dwelling": 1.0},
        ...                 {"dwelling_type": "b", "places_per_dwelling": 2.0}])
        >>> idx, unknown = t.type_index(["b", None, "zz", "a"])
        >>> idx.tolist(), unknown
        ([1, 0, 0, 0], 2)
        """
        default = default or self.default_dwelling_type
        if default not in self.types:
            raise InputError(
                "default_dwelling_type",
                f"'{default}' is not a dwelling type of norm table '{self.name}' "
                f"(types: {list(self.types)})",
            )
        lookup = {t: i for i, t in enumerate(self.types)}
        d = lookup[default]
        idx = np.fromiter((lookup.get(n, -1) for n in names), dtype=np.int64, count=len(names))  # type: ignore[arg-type]
        unknown = idx < 0
        idx[unknown] = d
        return idx, int(unknown.sum())

    def norms(
        self, type_idx: np.ndarray, urbanity_class: np.ndarray, location: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return places per dwelling and visitor share for each (type, class 1–5, location).

        Raises
        ------
        InputError
            When the table has no row for a combination that occurs.
        """
        places = self.places[type_idx, urbanity_class - 1, location]
        visitors = self.visitor_share[type_idx, urbanity_class - 1, location]
        missing = np.isnan(places)
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise InputError(
                "norm_table",
                f"table '{self.name}' has no row for dwelling type "
                f"'{self.types[int(type_idx[i])]}', urbanity class {int(urbanity_class[i])}, "
                f"location '{LOCATIONS[int(location[i])]}' ({int(missing.sum())} uses lack a "
                "row; add rows, or wildcard rows with urbanity_class/location null)",
            )
        return places, visitors

    def describe(self, used: np.ndarray | None = None) -> dict[str, Any]:
        """Return the table's identity and, with ``used`` (T×5×4 bool), the rows applied."""
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "example": self.example,
            "source": self.source,
            "default_dwelling_type": self.default_dwelling_type,
            "dwelling_types": list(self.types),
            "visitor_convention": VISITOR_CONVENTION,
        }
        if used is not None:
            t, c, loc = np.nonzero(used)
            out["rows_used"] = [
                {
                    "dwelling_type": self.types[a],
                    "urbanity_class": int(b) + 1,
                    "location": LOCATIONS[d],
                    "places_per_dwelling": float(self.places[a, b, d]),
                    "visitor_share": float(self.visitor_share[a, b, d]),
                }
                for a, b, d in zip(t.tolist(), c.tolist(), loc.tolist(), strict=True)
            ]
        return out


class NormRow(pydantic.BaseModel):
    """One row of a parking norm table.

    ``urbanity_class`` or ``location`` null (or ``"*"``) makes the row apply to every
    class or location; where several rows apply, the most specific wins.

    Examples
    --------
    >>> NormRow.model_validate({"dwelling_type": "flat", "location": "Schil",
    ...                         "places_per_dwelling": 1}).location
    'centre-fringe'
    """

    model_config = pydantic.ConfigDict(extra="ignore")

    dwelling_type: str = pydantic.Field(pattern=r"\S", description="Dwelling type.")
    urbanity_class: int | None = pydantic.Field(
        default=None, ge=1, le=N_CLASSES, description="CBS urbanity class 1–5; null: every class."
    )
    location: str | None = pydantic.Field(
        default=None,
        description=f"One of {', '.join(LOCATIONS)} (or a Dutch alias such as 'centrum', "
        "'schil', 'rest bebouwde kom', 'buitengebied'); null: every location.",
    )
    places_per_dwelling: float = pydantic.Field(
        ge=0, le=100, strict=True, description="Parking places per dwelling, visitors included."
    )
    visitor_share: float = pydantic.Field(
        default=0.0, ge=0, le=1, strict=True, description="Visitors' fraction of the places."
    )

    @pydantic.field_validator("urbanity_class", "location", mode="before")
    @classmethod
    def _wildcard(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in _WILDCARDS else value

    @pydantic.field_validator("location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = location_code(value)
        if code < 0:
            raise ValueError(f"must be one of {list(LOCATIONS)} or null, got {value!r}")
        return LOCATIONS[code]


class NormTableSpec(pydantic.BaseModel):
    """A parking norm table: rows plus its identity (inline, or a catalog YAML file).

    Rows are objects (:class:`NormRow`) or arrays of values in the order of ``columns``.

    Examples
    --------
    >>> spec = NormTableSpec.model_validate({"rows": [["a", None, "centre", 1.5]]})
    >>> spec.rows[0].location, spec.rows[0].visitor_share
    ('centre', 0.0)
    """

    model_config = pydantic.ConfigDict(extra="ignore")

    name: str | None = pydantic.Field(default=None, description="The table's name.")
    title: str | None = pydantic.Field(default=None, description="What the table is.")
    example: bool = pydantic.Field(default=False, description="Illustrative figures only.")
    source: str | None = pydantic.Field(default=None, description="Where the figures come from.")
    default_dwelling_type: str | None = pydantic.Field(
        default=None, description="Type for dwellings without a known type (default: the first)."
    )
    columns: list[str] = pydantic.Field(
        default=list(DEFAULT_COLUMNS), description="Column order of rows given as arrays."
    )
    rows: list[NormRow] = pydantic.Field(min_length=1, description="The norm rows.")

    @pydantic.model_validator(mode="before")
    @classmethod
    def _array_rows(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not isinstance(data.get("rows"), list):
            return data
        if not data["rows"]:
            raise ValueError("the table has no rows")
        columns = data.get("columns") or DEFAULT_COLUMNS
        rows = []
        for i, row in enumerate(data["rows"]):
            if isinstance(row, list | tuple):
                if len(row) > len(columns):
                    raise ValueError(f"row {i} has more values than columns {list(columns)}")
                row = dict(zip(columns, row, strict=False))
            rows.append(row)
        return {**data, "rows": rows}


def norm_table_schema() -> dict[str, Any]:
    """Return the JSON Schema of the ``norm_table`` parameter (from the pydantic models).

    A catalog name, an array of rows, or a table object; the row schema is inlined
    (no ``$defs``), so the process description stands on its own.

    Examples
    --------
    >>> s = norm_table_schema()
    >>> s["type"], sorted(s["items"]["anyOf"][0]["required"])
    (['string', 'array', 'object'], ['dwelling_type', 'places_per_dwelling'])
    """
    table = NormTableSpec.model_json_schema()
    row = table.pop("$defs")["NormRow"]
    items = {"anyOf": [row, {"type": "array", "description": "Values in the order of columns."}]}
    props = {**table["properties"], "rows": {**table["properties"]["rows"], "items": items}}
    return {
        "type": ["string", "array", "object"],
        "items": items,
        "properties": props,
        "required": table["required"],
    }


def table_from_rows(
    rows: Sequence[NormRow],
    *,
    name: str = "inline",
    title: str | None = None,
    example: bool = False,
    source: str | None = None,
    default_dwelling_type: str | None = None,
) -> NormTable:
    """Build a :class:`NormTable` from validated rows (the most specific row wins).

    Rank: class and location > class only > location only > neither.

    Raises
    ------
    InputError
        When two rows are for the same type, class and location.

    Examples
    --------
    >>> t = table_from_rows([
    ...     NormRow(dwelling_type="flat", places_per_dwelling=1.0, visitor_share=0.3),
    ...     NormRow(dwelling_type="flat", location="centre", places_per_dwelling=0.5)])
    >>> float(t.places[0, 2, 0]), float(t.places[0, 2, 2])  # class 3, centre vs rest
    (0.5, 1.0)
    """
    types = list(dict.fromkeys(r.dwelling_type for r in rows))
    places = np.full((len(types), N_CLASSES, len(LOCATIONS)), np.nan)
    visitors = np.full_like(places, np.nan)
    seen: set[tuple[str, int | None, str | None]] = set()
    for r in sorted(rows, key=_specificity):
        key = (r.dwelling_type, r.urbanity_class, r.location)
        if key in seen:
            raise InputError(
                "norm_table",
                f"two rows for dwelling type '{r.dwelling_type}', urbanity class "
                f"{r.urbanity_class or 'any'}, location {r.location or 'any'}",
            )
        seen.add(key)
        c, loc = r.urbanity_class, r.location
        cs = slice(None) if c is None else slice(c - 1, c)
        ls = slice(None) if loc is None else slice(LOCATIONS.index(loc), LOCATIONS.index(loc) + 1)
        places[types.index(r.dwelling_type), cs, ls] = r.places_per_dwelling
        visitors[types.index(r.dwelling_type), cs, ls] = r.visitor_share
    return NormTable(
        name=name,
        title=title or f"user-supplied norm table '{name}'",
        example=example,
        source=source,
        default_dwelling_type=default_dwelling_type or types[0],
        types=tuple(types),
        places=places,
        visitor_share=visitors,
    )


def _specificity(row: NormRow) -> int:
    return 2 * (row.urbanity_class is not None) + (row.location is not None)


def catalog_tables() -> list[str]:
    """Return the names of the norm tables shipped in ``catalog/parking/``.

    Examples
    --------
    >>> "example" in catalog_tables()
    True
    """
    folder = resources.files("gsl_indicators") / "catalog" / "parking"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=16)
def _catalog_document(name: str) -> dict[str, Any]:
    if name not in catalog_tables():
        raise InputError(
            "norm_table", f"no norm table '{name}' in the catalog (known: {catalog_tables()})"
        )
    path = resources.files("gsl_indicators") / "catalog" / "parking" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise InputError("norm_table", f"catalog table '{name}' is not a YAML mapping")
    return doc


def norm_table(spec: str | Sequence[Any] | Mapping[str, Any]) -> NormTable:
    """Resolve the ``norm_table`` parameter: a catalog name, inline rows, or a table object.

    Parameters
    ----------
    spec : str, list or dict
        A catalog name (``"example"``); a list of rows (:class:`NormRow`); or a table
        object (:class:`NormTableSpec`). Catalog files are validated by the same models.

    Raises
    ------
    InputError
        Naming ``norm_table`` and the first reason (the row and field in question).

    Examples
    --------
    >>> t = norm_table("example")
    >>> t.example, t.default_dwelling_type, float(t.places[t.types.index("detached"), 2, 2])
    (True, 'apartment-mid', 2.0)
    """
    if isinstance(spec, str):
        doc: Any = _catalog_document(spec)
        default_name = spec
    elif isinstance(spec, Mapping):
        doc, default_name = spec, "inline"
    elif isinstance(spec, Sequence):
        doc, default_name = {"rows": list(spec)}, "inline"
    else:
        raise InputError("norm_table", "expected a catalog name, an array of rows or a table")
    try:
        t = NormTableSpec.model_validate(doc)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            "norm_table", f"{where}: {first['msg']}" if where else first["msg"]
        ) from None
    return table_from_rows(
        t.rows,
        name=t.name or default_name,
        title=t.title,
        example=t.example,
        source=t.source,
        default_dwelling_type=t.default_dwelling_type,
    )


# --------------------------------------------------------------------------- geometry kernels


def allocate_supply(
    tree: shapely.STRtree, zones: np.ndarray, geoms: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, float]:
    """Sum parking capacity per zone; return (supply per zone, capacity outside every zone).

    Points count in the zone that contains them. Lines and polygons that cross zone
    edges are split in proportion to their length or area inside each zone (a street
    with 40 places, 25 % of its length in zone A, gives A 10 places).

    Examples
    --------
    >>> zones = shapely.box([0, 10], 0, [10, 20], 10)
    >>> street = shapely.linestrings([[5, 5], [15, 5]])   # half in each zone
    >>> lot = shapely.box(1, 1, 2, 2)                      # inside zone 0
    >>> s, lost = allocate_supply(shapely.STRtree(zones), zones,
    ...                           np.array([street, lot, shapely.Point(50, 50)]),
    ...                           np.array([40.0, 12.0, 3.0]))
    >>> s.tolist(), lost
    ([32.0, 20.0], 3.0)
    """
    n = len(zones)
    if len(geoms) == 0:
        return np.zeros(n), 0.0
    dim = shapely.get_dimensions(geoms)
    supply = np.zeros(n)
    pts = dim == 0
    if pts.any():
        z = zone_index(geoms[pts], tree, representative=False)
        ok = z >= 0
        supply += np.bincount(z[ok], weights=capacity[pts][ok], minlength=n)
    ext = np.flatnonzero(~pts)
    if len(ext):
        g_idx, z_idx = tree.query(geoms[ext], predicate="intersects")
        g = geoms[ext][g_idx]
        d = dim[ext][g_idx]
        measure = np.where(d == 1, shapely.length(g), shapely.area(g))
        inside = shapely.contains_properly(zones[z_idx], g)
        share = np.ones(len(g))
        cut = np.flatnonzero(~inside)
        if len(cut):
            part = shapely.intersection(g[cut], zones[z_idx[cut]])
            part_m = np.where(d[cut] == 1, shapely.length(part), shapely.area(part))
            with np.errstate(invalid="ignore", divide="ignore"):
                share[cut] = np.where(measure[cut] > 0, part_m / measure[cut], 0.0)
        supply += np.bincount(z_idx, weights=capacity[ext][g_idx] * share, minlength=n)
    lost = float(capacity.sum() - supply.sum())
    return supply, round(max(lost, 0.0), 9)


def pressure(demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Return demand ÷ supply; NaN where there is no supply.

    Examples
    --------
    >>> pressure(np.array([85.0, 10.0, 0.0]), np.array([100.0, 0.0, 0.0])).tolist()
    [0.85, nan, nan]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(supply > 0, demand / np.where(supply > 0, supply, 1.0), np.nan)


def alarm(demand: np.ndarray, supply: np.ndarray, threshold: float) -> np.ndarray:
    """Return whether pressure exceeds ``threshold`` (demand without supply is an alarm).

    Examples
    --------
    >>> alarm(np.array([85.0, 86.0, 1.0, 0.0]), np.array([100.0, 100.0, 0.0, 0.0]), 0.85).tolist()
    [False, True, True, False]
    """
    return demand > threshold * supply + 1e-9


def scored_pressure(demand: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """Return the pressure as it is scored: demand without supply is infinitely bad.

    :func:`pressure` leaves a zone without supply empty; for the score a zone with
    demand and no supply counts as beyond every band (score 1), one without either
    gets no score.

    Examples
    --------
    >>> scored_pressure(np.array([85.0, 10.0, 0.0]), np.array([100.0, 0.0, 0.0])).tolist()
    [0.85, inf, nan]
    """
    p = np.round(pressure(demand, supply), 4)
    return np.where((supply <= 0) & (demand > 0), np.inf, p)


def zone_area_types(
    zones_layer: Layer, urbanity_class: np.ndarray, area_type: Any, ctx: Context | None
) -> list[str | None]:
    """Return the area type of each zone for the norm profile.

    The ``area_type`` parameter, when given, applies to every zone; else a zone's
    ``area_type`` property, else its CBS urbanity class (given or computed from the
    dwellings, see :func:`prepare_zones`).
    """
    if area_type is not None:
        return area_types_of(zones_layer, area_type, ctx)
    out: list[str | None] = []
    bad = 0
    for props, cls in zip(zones_layer.properties, urbanity_class.tolist(), strict=True):
        try:
            at = normalise_area_type(props.get("area_type"))
        except ValueError:
            bad += 1
            at = None
        out.append(at if at is not None else (str(int(cls)) if 1 <= cls <= N_CLASSES else None))
    if bad and ctx is not None:
        ctx.warn(
            "unknown-area-type",
            zones_layer.name,
            f"{bad} zones have an unknown 'area_type'; their urbanity class applies",
            bad,
        )
    return out


def dwellings_that_fit(
    demand: np.ndarray, supply: np.ndarray, threshold: float, places_per_new: np.ndarray
) -> np.ndarray:
    """Return the extra dwellings a zone takes before pressure exceeds ``threshold``.

    Exact, because demand is linear in dwellings:
    ``(threshold × supply − demand) ÷ places per new dwelling``; negative where the norm
    is broken already; ``inf`` where new dwellings need no places.

    Examples
    --------
    >>> dwellings_that_fit(np.array([60.0, 90.0, 5.0]), np.array([100.0, 100.0, 10.0]),
    ...                    0.85, np.array([1.25, 1.0, 0.0])).tolist()
    [20.0, -5.0, inf]
    """
    margin = threshold * supply - demand
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            places_per_new > 0, margin / np.where(places_per_new > 0, places_per_new, 1.0), np.inf
        )


# --------------------------------------------------------------------------- zones


@dataclass
class Zones:
    """Zones with their parking norm context (class and location) and supply."""

    layer: Layer
    tree: shapely.STRtree
    urbanity_class: np.ndarray  # int 1..5
    class_source: list[str]  # "input" | "computed"
    location: np.ndarray  # int index into LOCATIONS
    supply: np.ndarray


@dataclass
class LocatedHomes:
    """Dwelling features located in zones, with their norm lookups.

    Which features are homes and their ``dwellings`` come from
    :func:`gsl_indicators.core.homes.read_dwellings` (the one definition of a home).
    """

    zone: np.ndarray  # zone index per feature, -1 outside
    dwellings: np.ndarray
    type_idx: np.ndarray
    floor_area: np.ndarray
    places: np.ndarray  # places per dwelling (0 outside zones)
    visitors: np.ndarray  # visitor share


URBANITY_PARAMETERS: tuple[Parameter, ...] = tuple(
    dataclasses.replace(
        p,
        name=f"urbanity_{p.name}",
        title=f"Urbanity: {p.title.lower()}",
        description=(
            f"{p.description} Used only for zones without `urbanity_class`, which get the "
            "class of `urbanity-class` computed from the dwellings (each dwelling one address)."
        ),
    )
    for p in urbanity.INDICATORS[0].parameters
    if p.name != "uncertainty"  # urbanity's own Monte Carlo: nothing here reads it
)
URBANITY_NAMES: tuple[str, ...] = tuple(p.name for p in URBANITY_PARAMETERS)
# Read only for zones (and homes) without their own value: given while every one has it, they
# are reported as ignored, so which of them a request set is part of its cache key.
ZONE_DEFAULTS: tuple[str, ...] = (*URBANITY_NAMES, "default_location", "default_dwelling_type")


def _urbanity_limits(params: Mapping[str, Any]) -> tuple[float, float, float, float]:
    lims = tuple(float(params[f"urbanity_class_{k}_min"]) for k in (1, 2, 3, 4))
    for k in (2, 3, 4):
        if not lims[k - 1] < lims[k - 2]:
            raise InputError(
                f"urbanity_class_{k}_min",
                f"class limits must descend, but {lims[k - 1]} is not below "
                f"urbanity_class_{k - 1}_min = {lims[k - 2]}",
            )
    return lims  # type: ignore[return-value]


def zone_urbanity(
    zones: Layer,
    home_xy: np.ndarray,
    home_zone: np.ndarray,
    dwellings: np.ndarray,
    params: Mapping[str, Any],
) -> np.ndarray:
    """Return the CBS urbanity class of each zone computed from the dwellings.

    Uses the ``urbanity-class`` kernel (:func:`gsl_indicators.indicators.urbanity.address_density`
    and :func:`~gsl_indicators.indicators.urbanity.classify`), each dwelling counted as one address
    (a point with 40 flats counts 40 times), and averages the densities of the dwellings
    in each zone. A zone without dwellings takes the density around its representative
    point (dwellings within the radius ÷ circle area).
    """
    radius = float(params["urbanity_radius_m"])
    limits = _urbanity_limits(params)
    reps = np.clip(np.rint(np.nan_to_num(dwellings)), 0, None).astype(np.int64)
    n = len(zones)
    xy = np.repeat(home_xy, reps, axis=0)
    zone_rep = np.repeat(home_zone, reps)
    density = urbanity.address_density(xy, radius)
    ok = zone_rep >= 0
    count = np.bincount(zone_rep[ok], minlength=n)
    total = np.bincount(zone_rep[ok], weights=density[ok], minlength=n)
    mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
    empty = np.flatnonzero(count == 0)
    if len(empty):
        zpts = shapely.get_coordinates(shapely.point_on_surface(zones.geometries[empty]))
        if len(xy):
            near = cKDTree(xy).query_ball_point(zpts, r=radius, return_length=True)
        else:
            near = np.zeros(len(empty))
        mean[empty] = np.asarray(near, dtype=float) / (math.pi * (radius / 1000.0) ** 2)
    return urbanity.classify(mean, limits)


def read_homes(
    layer: Layer, ctx: Context | None, default_dwellings: float = 1.0
) -> tuple[np.ndarray, np.ndarray, list[str | None], np.ndarray]:
    """Return representative points, dwellings, types and floor areas of a dwelling layer."""
    pts = representative_points(layer.geometries)
    dwellings = read_dwellings(layer, ctx, default_dwellings)
    types = layer.text("dwelling_type")
    floor = layer.number("floor_area_m2", math.nan, valid=HOME_RANGES["floor_area_m2"])
    return pts, dwellings, types, floor


def prepare_zones(
    zones: Layer,
    homes_pts: np.ndarray,
    homes_dwellings: np.ndarray,
    parking: Layer | None,
    params: Mapping[str, Any],
    ctx: Context | None,
) -> tuple[Zones, np.ndarray]:
    """Locate the homes in the zones, give every zone its class and location, sum supply.

    Returns
    -------
    zones : Zones
    home_zone : numpy.ndarray
        Zone index of each home (-1 outside every zone).
    """
    n = len(zones)
    geoms = prepared_copy(zones.geometries)  # never the shared layer's own (core/prepared.py)
    tree = shapely.STRtree(geoms)
    home_zone = zone_index(homes_pts, tree)
    given = np.asarray([_class_code(v) for v in zones.text("urbanity_class")], dtype=np.int64)
    missing_cls = given == 0
    cls = given.copy()
    if missing_cls.any():
        computed = zone_urbanity(
            zones, shapely.get_coordinates(homes_pts), home_zone, homes_dwellings, params
        )
        cls[missing_cls] = computed[missing_cls]
        if ctx is not None:
            ctx.note("zones_urbanity_computed", int(missing_cls.sum()))
    loc_raw = zones.text("location")
    loc = np.asarray([location_code(v) for v in loc_raw], dtype=np.int64)
    no_loc = loc < 0
    if ctx is not None:
        unread = [*URBANITY_NAMES] if not missing_cls.any() else []
        unread += ["default_location"] if not no_loc.any() else []
        for name in (n for n in unread if n in ctx.explicit):
            prop = "location" if name == "default_location" else "urbanity_class"
            ctx.warn(
                "input-ignored",
                name,
                f"'{name}' was given but not used: every zone of '{zones.name}' has its "
                f"own valid '{prop}'",
            )
    if no_loc.any():
        loc[no_loc] = LOCATIONS.index(params["default_location"])
        if ctx is not None:
            ctx.warn(
                "location-defaulted",
                zones.name,
                f"{int(no_loc.sum())} of {n} zones have no valid 'location' "
                f"(one of {list(LOCATIONS)}); '{params['default_location']}' is used",
                int(no_loc.sum()),
            )
    supply = np.zeros(n)
    if parking is not None and len(parking):
        capacity = parking.number("capacity", 0.0, ctx, valid=CAPACITY_RANGE)
        if (capacity < 0).any():
            raise InputError("parking", "'capacity' must not be negative")
        supply, lost = allocate_supply(tree, geoms, parking.geometries, capacity)
        if lost > 1e-6 and ctx is not None:
            ctx.warn(
                "parking-outside-zones",
                "parking",
                f"{lost:g} parking places lie outside every zone and are not counted",
                round(lost),
            )
    z = Zones(
        layer=zones,
        tree=tree,
        urbanity_class=cls,
        class_source=["computed" if m else "input" for m in missing_cls.tolist()],
        location=loc,
        supply=supply,
    )
    return z, home_zone


def homes_norms(
    table: NormTable,
    zones: Zones,
    home_zone: np.ndarray,
    dwellings: np.ndarray,
    types: Sequence[str | None],
    floor: np.ndarray,
    default_type: str | None,
) -> tuple[LocatedHomes, int]:
    """Look up each home's norm for its type in its zone; return it and the unknown-type count."""
    type_idx, unknown = table.type_index(types, default_type)
    places = np.zeros(len(home_zone))
    visitors = np.zeros(len(home_zone))
    inside = home_zone >= 0
    if inside.any():
        zi = home_zone[inside]
        places[inside], visitors[inside] = table.norms(
            type_idx[inside], zones.urbanity_class[zi], zones.location[zi]
        )
    return LocatedHomes(home_zone, dwellings, type_idx, floor, places, visitors), unknown


def zone_sums(homes: LocatedHomes, n: int) -> dict[str, np.ndarray]:
    """Sum dwellings, demand, visitor demand and floor area per zone (one bincount each)."""
    ok = homes.zone >= 0
    z = homes.zone[ok]
    d = homes.dwellings[ok]
    demand = d * homes.places[ok]
    return {
        "dwellings": np.bincount(z, weights=d, minlength=n),
        "demand": np.bincount(z, weights=demand, minlength=n),
        "demand_visitors": np.bincount(z, weights=demand * homes.visitors[ok], minlength=n),
        "floor_area_m2": np.bincount(z, weights=np.nan_to_num(homes.floor_area[ok]), minlength=n),
    }


def used_rows(table: NormTable, zones: Zones, *homes: LocatedHomes) -> np.ndarray:
    """Return the (type × class × location) mask of the norm rows applied to ``homes``."""
    used = np.zeros(table.places.shape, dtype=bool)
    for h in homes:
        ok = h.zone >= 0
        zi = h.zone[ok]
        used[h.type_idx[ok], zones.urbanity_class[zi] - 1, zones.location[zi]] = True
    return used


# --------------------------------------------------------------------------- the process


def located_homes(
    layer: Layer,
    table: NormTable,
    zones: Zones,
    home_zone: np.ndarray | None,
    params: Mapping[str, Any],
    ctx: Context,
) -> LocatedHomes:
    """Read a dwelling layer, locate it in the zones and look up each feature's norm.

    ``home_zone`` is given when the features were located already (the dwellings, by
    :func:`prepare_zones`); else they are located here (the plan).
    """
    pts, dwellings, types, floor = read_homes(layer, ctx)
    if home_zone is None:
        home_zone = zone_index(pts, zones.tree)
    default = params["default_dwelling_type"]
    homes, unknown = homes_norms(table, zones, home_zone, dwellings, types, floor, default)
    _report_homes(ctx, layer.name, homes, unknown, table, default)
    return homes


def zone_metrics(
    zones: Zones, sums: Mapping[str, np.ndarray], threshold: float, suffix: str = ""
) -> dict[str, Any]:
    """Return demand, supply, pressure, alarm and headroom per zone (``suffix``: ``_with_plan``).

    Examples
    --------
    >>> z = Zones(None, None, np.array([1]), ["input"], np.array([0]), np.array([40.0]))  # type: ignore[arg-type]
    >>> m = zone_metrics(z, {"demand": np.array([38.0]), "demand_visitors": np.array([9.7])}, 0.85)
    >>> float(m["pressure"][0]), bool(m["alarm"][0]), round(float(m["headroom_places"][0]), 6)
    (0.95, True, -4.0)
    """
    demand, supply = sums["demand"], zones.supply
    return {
        f"demand{suffix}": demand,
        f"demand_visitors{suffix}": sums["demand_visitors"],
        f"pressure{suffix}": scored_pressure(demand, supply),
        f"alarm{suffix}": alarm(demand, supply, threshold),
        f"headroom_places{suffix}": threshold * supply - demand,
    }


def overall_metrics(
    area: Mapping[str, Any], supply: np.ndarray, suffix: str = ""
) -> dict[str, Any]:
    """Return the totals of the zone metrics: demand, pressure of the totals, zones in alarm.

    Examples
    --------
    >>> overall_metrics({"demand": np.array([38.0, 6.0]), "alarm": np.array([True, False])},
    ...                 np.array([40.0, 10.0]))
    {'demand': 44.0, 'pressure': 0.88, 'zones_in_alarm': 1}
    """
    demand = float(np.sum(area[f"demand{suffix}"]))
    total = scored_pressure(np.array([demand]), np.array([float(supply.sum())]))
    return {
        f"demand{suffix}": demand,
        f"pressure{suffix}": float(total[0]),
        f"zones_in_alarm{suffix}": int(np.sum(area[f"alarm{suffix}"])),
    }


def with_plan(
    zones: Zones,
    sums: Mapping[str, np.ndarray],
    plan: LocatedHomes,
    threshold: float,
    base: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the zone and overall metrics with the plan's dwellings added."""
    psums = zone_sums(plan, len(zones.supply))
    added = {k: sums[k] + psums[k] for k in ("demand", "demand_visitors")}
    area = {
        "plan_dwellings": psums["dwellings"],
        "plan_demand": psums["demand"],
        **zone_metrics(zones, added, threshold, "_with_plan"),
    }
    overall = {
        "plan_dwellings": float(psums["dwellings"].sum()),
        **overall_metrics(area, zones.supply, "_with_plan"),
        "zones_newly_in_alarm": int(np.sum(area["alarm_with_plan"] & ~base["alarm"])),
    }
    return area, overall


@dataclass
class Occupancy:
    """Measured parking occupancy per zone (NaN where no count lies in the zone)."""

    occupied: np.ndarray
    counted_at: list[str | None]  # the count time(s) per zone: "t" or "t1 – t2"


def measured_occupancy(
    layer: Layer | None, zones: Zones, n: int, ctx: Context | None = None
) -> Occupancy:
    """Sum the counted parked cars (``occupied``) per zone, with the time of the counts.

    Counts are points (a parking place, a garage, a street segment's count point) or
    polygons (a counted zone), located at their representative point. ``counted_at``
    (an ISO date-time) is kept per zone as the earliest and latest count; counts without
    it, or without a numeric ``occupied``, are warned about (the latter left out).

    Examples
    --------
    >>> x0, y0 = 121_000, 487_000  # RD New
    >>> boxes = [shapely.box(x0, y0, x0 + 10, y0 + 10), shapely.box(x0 + 10, y0, x0 + 20, y0 + 10)]
    >>> z = Zones(None, shapely.STRtree(boxes),  # type: ignore[arg-type]
    ...           np.array([3, 3]), ["input"] * 2, np.array([0, 0]), np.array([40.0, 10.0]))
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x0 + x, y0 + 5]},
    ...      "properties": {"occupied": o, "counted_at": t}}
    ...     for x, o, t in ((2, 20, "2025-03-04T03:00"), (4, 14, "2025-03-05T03:00"))]}
    >>> occ = measured_occupancy(parse_layer(GEO_IN, fc, RD_NEW), z, 2)
    >>> occ.occupied.tolist(), occ.counted_at
    ([34.0, nan], ['2025-03-04T03:00 – 2025-03-05T03:00', None])
    """
    occupied = np.full(n, np.nan)
    counted: list[str | None] = [None] * n
    if layer is None or not len(layer):
        return Occupancy(occupied, counted)
    values = layer.number("occupied", valid=OCCUPIED_RANGE)  # < 0: no count, said below
    ok = np.isfinite(values) & (values >= 0)
    if ctx is not None and (~ok).any():
        ctx.warn(
            "occupancy-without-count",
            layer.name,
            f"{int((~ok).sum())} occupancy features have no usable 'occupied' (parked cars "
            "counted, ≥ 0); they are left out",
            int((~ok).sum()),
        )
    zone = zone_index(representative_points(layer.geometries), zones.tree)
    use = ok & (zone >= 0)
    sums = np.bincount(zone[use], weights=values[use], minlength=n)
    has = np.bincount(zone[use], minlength=n) > 0
    occupied[has] = sums[has]
    times = layer.text("counted_at")
    missing_time = sum(1 for i in np.flatnonzero(use) if not times[i])
    if ctx is not None and missing_time:
        ctx.warn(
            "occupancy-without-time",
            layer.name,
            f"{missing_time} counts have no 'counted_at': occupancy varies by hour and day "
            "(the night count is the residents' demand), so a count needs its time",
            missing_time,
        )
    per: dict[int, list[str]] = {}
    for i in np.flatnonzero(use).tolist():
        if times[i]:
            per.setdefault(int(zone[i]), []).append(str(times[i]))
    for z, ts in per.items():
        lo, hi = min(ts), max(ts)
        counted[z] = lo if lo == hi else f"{lo} – {hi}"
    return Occupancy(occupied, counted)


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute demand, supply, pressure and alarm per zone, with and without the plan."""
    table = norm_table(params["norm_table"])
    threshold = float(params["threshold"])
    zones_layer = layers["zones"]
    ctx.progress(0.1, "reading dwellings")
    pts, dwellings, _, _ = read_homes(layers["dwellings"], ctx)
    ctx.progress(0.2, "locating dwellings and parking in zones")
    zones, home_zone = prepare_zones(
        zones_layer, pts, dwellings, layers.get("parking"), params, ctx
    )
    homes = located_homes(layers["dwellings"], table, zones, home_zone, params, ctx)
    norm_sums = zone_sums(homes, len(zones_layer))
    ctx.progress(0.6, "summing demand per zone")
    occ = measured_occupancy(layers.get("occupancy"), zones, len(zones_layer), ctx)
    measured = np.isfinite(occ.occupied) & (params.get("demand_basis", "auto") == "auto")
    sums = {**norm_sums, "demand": np.where(measured, occ.occupied, norm_sums["demand"])}
    area = {
        "urbanity_class": zones.urbanity_class,
        "urbanity_class_source": zones.class_source,
        "location": [LOCATIONS[i] for i in zones.location.tolist()],
        "dwellings": sums["dwellings"],
        "supply": zones.supply,
        **zone_metrics(zones, sums, threshold),
        "demand_basis": ["measured" if m else "norm" for m in measured.tolist()],
        "norm_demand": norm_sums["demand"],
        "measured_occupancy": occ.occupied,
        "measured_pressure": pressure(occ.occupied, zones.supply),
        "counted_at": occ.counted_at,
    }
    if np.isfinite(homes.floor_area).any():
        area["floor_area_m2"] = sums["floor_area_m2"]
    overall = {
        "zones": len(zones_layer),
        "dwellings": float(sums["dwellings"].sum()),
        "demand_visitors": float(sums["demand_visitors"].sum()),
        "supply": float(zones.supply.sum()),
        **overall_metrics(area, zones.supply),
        "norm_demand": float(norm_sums["demand"].sum()),
        "zones_measured": int(measured.sum()),
    }
    _note_demand_basis(ctx, measured, layers.get("occupancy") is not None, params)
    _warn_without_supply(ctx, sums["demand"], zones.supply)
    all_homes = [homes]
    if (plan_layer := layers.get("plan")) is not None:
        ctx.progress(0.75, "adding the plan")
        plan = located_homes(plan_layer, table, zones, None, params, ctx)
        plan_area, plan_overall = with_plan(zones, sums, plan, threshold, area)
        area.update(plan_area)
        overall.update(plan_overall)
        all_homes.append(plan)
    warn_type_default_unread(ctx, any_defaulted=bool(ctx.notes.get("dwelling_type_defaulted")))
    if table.example:
        ctx.warn(
            "example-norm-table",
            "norm_table",
            f"norm table '{table.name}' is an EXAMPLE with illustrative figures, not CROW "
            "parkeerkencijfers; supply your municipality's own table",
        )
    if params["area_type"] is None:
        _score_by_zone_class(
            zones_layer, zone_area_types(zones_layer, zones.urbanity_class, None, ctx)
        )
    return Metrics(
        area=area,
        overall=overall,
        outputs={
            "norm_table": table.describe(used_rows(table, zones, *all_homes)),
            "demand_by_dwelling_type": _by_type(table, homes),
        },
    )


def _note_demand_basis(
    ctx: Context, measured: np.ndarray, has_counts: bool, params: Mapping[str, Any]
) -> None:
    """Say which demand each zone's pressure used, and what the norm-based one is for."""
    n_measured = int(measured.sum())
    ctx.note(
        "demand_basis",
        {
            "measured_zones": n_measured,
            "norm_zones": int(len(measured) - n_measured),
            "parameter": params.get("demand_basis", "auto"),
            "note": "CROW parking key figures are norms for new construction; for existing "
            "dwellings a measured occupancy (a night count for residents) is the better "
            "basis where one exists. The plan's dwellings are always added by the norm.",
        },
    )
    if not has_counts:
        ctx.warn(
            "demand-from-norms",
            "occupancy",
            "no measured occupancy given: the demand of existing dwellings is norm-based "
            "(CROW figures are meant for new construction); give `occupancy` counts to "
            "measure it",
        )


def _score_by_zone_class(zones: Layer, area_types: Sequence[str | None]) -> None:
    """Let the assembler score each zone by its own area type (given, else its urbanity class).

    The assembler reads a zone's ``area_type`` property; a zone whose class was computed
    from the dwellings has none, so the layer's properties are replaced by copies that
    carry the area type :func:`zone_area_types` found (the request's features are not
    touched; the output's ``area_type`` column is the same value).
    """
    zones._props = [
        {**p, "area_type": at} for p, at in zip(zones.properties, area_types, strict=True)
    ]


def _warn_without_supply(ctx: Context, demand: np.ndarray, supply: np.ndarray) -> None:
    no_supply = int(((supply <= 0) & (demand > 0)).sum())
    if no_supply:
        ctx.warn(
            "zone-without-supply",
            "zones",
            f"{no_supply} zones have demand but no parking supply: pressure is empty, alarm is on",
            no_supply,
        )


def _by_type(table: NormTable, homes: LocatedHomes) -> dict[str, float]:
    ok = homes.zone >= 0
    sums = np.bincount(
        homes.type_idx[ok],
        weights=homes.dwellings[ok] * homes.places[ok],
        minlength=len(table.types),
    )
    return {t: round(float(v), 3) for t, v in zip(table.types, sums, strict=True) if v}


def warn_type_default_unread(ctx: Context, *, any_defaulted: bool) -> None:
    """Say that a ``default_dwelling_type`` the request set was read by no feature."""
    if not any_defaulted and "default_dwelling_type" in ctx.explicit:
        ctx.warn(
            "input-ignored",
            "default_dwelling_type",
            "'default_dwelling_type' was given but not used: every feature has its own "
            "valid 'dwelling_type'",
        )


def _report_homes(
    ctx: Context,
    name: str,
    homes: LocatedHomes,
    unknown: int,
    table: NormTable,
    default: str | None,
) -> None:
    if unknown:
        ctx.warn(
            "dwelling-type-defaulted",
            name,
            f"{unknown} of {len(homes.zone)} features have no 'dwelling_type' of table "
            f"'{table.name}'; the default type '{default or table.default_dwelling_type}' applies",
            unknown,
        )
        ctx.notes.setdefault("dwelling_type_defaulted", {})[name] = unknown
    outside = int((homes.zone < 0).sum())
    if outside:
        ctx.warn(
            "dwellings-outside-zones",
            name,
            f"{counted(outside, 'feature lies', 'features lie')} in no zone; not counted",
            outside,
        )


# --------------------------------------------------------------------------- declaration

NORM_TABLE_PARAMETER = Parameter(
    "norm_table",
    "Parking norm table",
    "A catalog name (`example`: ILLUSTRATIVE round numbers with the structure of the CROW "
    "parkeerkencijfers, not CROW figures), or inline rows `{dwelling_type, urbanity_class "
    "(1–5 or null = any), location (centre | centre-fringe | rest-built-up | outside, or "
    "null = any), places_per_dwelling, visitor_share}`, or an object `{name, rows, "
    "default_dwelling_type, source}`. places_per_dwelling includes visitors (CROW); "
    "visitor_share is the visitors' fraction of it.",
    "string",
    default="example",
    annotation=str | list[Any] | dict[str, Any],
    schema=norm_table_schema(),
)
THRESHOLD_PARAMETER = Parameter(
    "threshold",
    "Pressure alarm threshold",
    "Pressure (demand ÷ supply) above which a zone is in alarm. Many municipalities use "
    "80–85 %; CROW finds about 90 % acceptable in mixed areas.",
    "number",
    default=0.85,
    minimum=0.5,
    maximum=1.0,
    unit="fraction",
)
DEFAULT_TYPE_PARAMETER = Parameter(
    "default_dwelling_type",
    "Default dwelling type",
    "Dwelling type applied where `dwelling_type` is absent or not in the table (counted in "
    "the data-quality section). Null: the table's own default (`apartment-mid` in the "
    "example table; the first row's type for inline rows).",
    "string",
    default=None,
    nullable=True,
)
DEFAULT_LOCATION_PARAMETER = Parameter(
    "default_location",
    "Default zone location",
    "Location class for zones without a valid `location` property (counted).",
    "string",
    default="rest-built-up",
    enum=LOCATIONS,
)
PARKING_PARAMETERS: tuple[Parameter, ...] = (
    NORM_TABLE_PARAMETER,
    THRESHOLD_PARAMETER,
    DEFAULT_TYPE_PARAMETER,
    DEFAULT_LOCATION_PARAMETER,
    *URBANITY_PARAMETERS,
)

# A home's dwellings and floor area (m²), a parking feature's places and a count's
# parked cars (< 0: no count, said), refused outside them (the descriptions show them).
HOME_RANGES = {"dwellings": DWELLINGS_RANGE, "floor_area_m2": (0.0, 1e7)}
CAPACITY_RANGE = (0.0, 1e6)
OCCUPIED_RANGE = (-1e9, 1e6)
DWELLINGS_INPUT = GeoInput(
    "dwellings",
    "Dwellings",
    "Existing homes: address points or building polygons (a polygon counts at its "
    "point on surface).",
    POINTS + POLYGONS,
    ranges=HOME_RANGES,
    properties={
        "dwellings": "number of dwellings (default 1, counted when absent)",
        "dwelling_type": "a dwelling type of the norm table (else the default type)",
        "floor_area_m2": "optional floor area, summed per zone",
    },
)
PARKING_INPUT = GeoInput(
    "parking",
    "Parking supply",
    "Parking places: points, street segments (lines) or lots/garages (polygons); lines "
    "and polygons crossing zone edges are split by length or area.",
    ANY_GEOMETRY,
    ranges={"capacity": CAPACITY_RANGE},
    properties={"capacity": "number of parking places (features without it count 0)"},
)
ZONES_INPUT = GeoInput(
    "zones",
    "Zones",
    "Areas pressure is computed over (parking zones, neighbourhoods).",
    POLYGONS,
    properties={
        "id": "zone id",
        "urbanity_class": "CBS urbanity class 1–5 (computed from the dwellings when absent)",
        "location": "centre | centre-fringe | rest-built-up | outside (default parameter)",
    },
)
PLAN_INPUT = GeoInput(
    "plan",
    "Plan",
    "New dwellings to test, like `dwellings`.",
    POINTS + POLYGONS,
    required=False,
    ranges=HOME_RANGES,
    properties={"dwellings": "number of new dwellings", "dwelling_type": "norm table type"},
)


EXAMPLE: dict[str, Any] = {
    "dwellings": rd_collection(
        [
            point_feature(121000, 488900, dwellings=40, dwelling_type="apartment-mid"),
            point_feature(121050, 488950, dwellings=10, dwelling_type="terraced"),
            point_feature(121300, 488950, dwellings=30, dwelling_type="social-rent"),
            point_feature(121350, 488900, dwellings=5),
        ]
    ),
    "parking": rd_collection(
        [
            point_feature(121020, 488920, capacity=60),
            line_feature([[121250, 488920], [121390, 488920]], capacity=30),
        ]
    ),
    "zones": rd_collection(
        [
            id_box_feature(
                "west", 120950, 488850, 121150, 489050, urbanity_class=1, location="centre-fringe"
            ),
            id_box_feature("east", 121200, 488850, 121400, 489050, urbanity_class=1),
        ]
    ),
    "plan": rd_collection(
        [point_feature(121100, 489000, dwellings=20, dwelling_type="apartment-small")]
    ),
    "norm_table": "example",
    "threshold": 0.85,
}

AREA, BOTH = ("area",), ("area", "overall")


def _m(id_: str, nl: str, en: str, unit: str, levels: tuple[Any, ...] = BOTH, **kw: Any) -> Metric:
    return Metric(id_, {"nl": nl, "en": en}, unit, levels=levels, **kw)


def _pressure(suffix: str, nl: str, en: str) -> tuple[Metric, ...]:
    """Return the metrics given for the dwellings, and again with the plan added."""
    return (
        _m(
            f"demand{suffix}",
            f"Parkeervraag{nl}",
            f"Demand{en}",
            "places",
            digits=3,
            description="Σ dwellings × places_per_dwelling (visitors included).",
        ),
        _m(
            f"demand_visitors{suffix}",
            f"Bezoekersdeel{nl}",
            f"Visitor demand{en}",
            "places",
            levels=AREA if suffix else BOTH,
            digits=3,
            description="The visitors' part of the demand (included in it, not added).",
        ),
        _m(
            f"pressure{suffix}",
            f"Parkeerdruk{nl}",
            f"Parking pressure{en}",
            "ratio",
            direction="lower_is_better",
            digits=4,
            scored=True,
            description="Demand ÷ supply; null without supply (demand without supply scores 1).",
        ),
        _m(
            f"alarm{suffix}",
            f"Alarm{nl}",
            f"Alarm{en}",
            "boolean",
            levels=AREA,
            description="Pressure above `threshold`, or demand without supply.",
        ),
        _m(
            f"zones_in_alarm{suffix}",
            f"Zones in alarm{nl}",
            f"Zones in alarm{en}",
            "count",
            levels=("overall",),
            direction="lower_is_better",
            digits=0,
        ),
        _m(
            f"headroom_places{suffix}",
            f"Ruimte{nl}",
            f"Headroom{en}",
            "places",
            levels=AREA,
            direction="higher_is_better",
            digits=3,
            description="threshold × supply − demand.",
        ),
    )


OCCUPANCY_INPUT = GeoInput(
    "occupancy",
    "Measured occupancy",
    "Parking counts: points (a parking place, garage or count point) or polygons (a "
    "counted zone), each located in the zone holding its representative point.",
    POINTS + POLYGONS,
    required=False,
    ranges={"occupied": OCCUPIED_RANGE},
    properties={
        "occupied": "parked cars counted",
        "counted_at": "time of the count (ISO 8601, e.g. 2025-03-04T03:00)",
    },
)
DEMAND_BASIS = Parameter(
    "demand_basis",
    "Demand basis",
    "'auto' (default): a zone with a count in `occupancy` takes the counted cars as its "
    "demand, other zones the norm-based demand; 'norm': the norm-based demand everywhere "
    "(the counts are still shown beside it).",
    "string",
    default="auto",
    enum=("auto", "norm"),
    read_with=("occupancy",),
)

METRICS: tuple[Metric, ...] = (
    _m("zones", "Zones", "Zones", "count", levels=("overall",), digits=0),
    _m(
        "urbanity_class",
        "Stedelijkheid",
        "Urbanity class",
        "class",
        levels=AREA,
        digits=0,
        description="CBS class 1–5 of the zone: given, else computed from the dwellings.",
    ),
    _m(
        "urbanity_class_source",
        "Bron stedelijkheid",
        "Urbanity class source",
        "text",
        levels=AREA,
        description="'input' or 'computed'.",
    ),
    _m(
        "location",
        "Ligging",
        "Location",
        "text",
        levels=AREA,
        description="centre | centre-fringe | rest-built-up | outside.",
    ),
    _m("dwellings", "Woningen", "Dwellings", "count", digits=3),
    _m("floor_area_m2", "Vloeroppervlak", "Floor area", "m²", levels=AREA, digits=1),
    _m(
        "supply",
        "Parkeeraanbod",
        "Supply",
        "places",
        digits=3,
        description="Σ capacity in the zone (lines and polygons split by length or area).",
    ),
    *_pressure("", "", ""),
    _m(
        "demand_basis",
        "Basis parkeervraag",
        "Demand basis",
        "text",
        levels=AREA,
        description="'measured' (the counted occupancy is the demand) or 'norm' (dwellings × "
        "norm).",
    ),
    _m(
        "norm_demand",
        "Parkeervraag volgens norm",
        "Norm-based demand",
        "places",
        digits=3,
        description="Σ dwellings × places_per_dwelling, whatever the basis used.",
    ),
    _m(
        "measured_occupancy",
        "Gemeten bezetting",
        "Measured occupancy",
        "places",
        levels=AREA,
        digits=3,
        description="Σ `occupied` of the counts in the zone (null: no count).",
    ),
    _m(
        "measured_pressure",
        "Gemeten parkeerdruk",
        "Measured pressure",
        "ratio",
        levels=AREA,
        direction="lower_is_better",
        digits=4,
        description="Measured occupancy ÷ supply (null: no count or no supply).",
    ),
    _m(
        "counted_at",
        "Moment van telling",
        "Counted at",
        "text",
        levels=AREA,
        description="Time of the count(s) in the zone (earliest – latest).",
    ),
    _m(
        "zones_measured",
        "Zones met telling",
        "Zones with a count",
        "count",
        levels=("overall",),
        digits=0,
    ),
    _m("plan_dwellings", "Woningen plan", "Plan dwellings", "count", digits=3),
    _m("plan_demand", "Parkeervraag plan", "Plan demand", "places", levels=AREA, digits=3),
    *_pressure("_with_plan", " met plan", " with plan"),
    _m(
        "zones_newly_in_alarm",
        "Zones nieuw in alarm",
        "Zones newly in alarm",
        "count",
        levels=("overall",),
        direction="lower_is_better",
        digits=0,
    ),
)


INDICATORS = (
    Indicator(
        id="parking-pressure",
        version="2.1.2",
        uses=("urbanity-class",),
        title={"nl": "Parkeerdruk", "en": "Parking pressure"},
        description={
            "nl": "Parkeervraag (woningen × parkeernorm) gedeeld door het aanbod per zone, "
            "met alarm boven een drempel, ook met een plan erbij.",
            "en": "Parking demand (dwellings × parking norm) divided by supply per zone, "
            "with an alarm above a threshold, also with a plan added.",
        },
        theme="mobility",
        method=(
            "Each dwelling feature (a polygon at its point on surface) is located in a zone. "
            "Its norm in places per dwelling is read from the norm table by its "
            "`dwelling_type` (else `default_dwelling_type`), the zone's CBS urbanity class "
            "(the zone's `urbanity_class`, else the class of the mean address density of the "
            "zone's dwellings, each dwelling counted as an address, as in `urbanity-class`) "
            "and the zone's `location`. Demand = Σ dwellings × places_per_dwelling; following "
            "CROW the figure includes visitors, and the visitors' part (× visitor_share) is "
            "reported as demand_visitors, not added. Supply = Σ capacity of the parking "
            "features in the zone (lines and polygons split by length or area). Pressure = "
            "demand ÷ supply; alarm when pressure > `threshold` (demand without supply is an "
            "alarm). With `plan`, the plan's dwellings are added the same way and every "
            "figure is given again with the plan. Measured occupancy (2.1.0): with the "
            "optional `occupancy` input (counts per parking place, garage or zone: "
            "`occupied` parked cars and `counted_at`, the time of the count), a zone with a "
            "count takes the counted cars as its demand (`demand_basis` 'auto', the default; "
            "'norm' keeps the norm-based demand everywhere), and `demand_basis`, "
            "`norm_demand`, `measured_occupancy`, `measured_pressure` and `counted_at` say "
            "which was used and show both; the plan's dwellings are always added by the "
            "norm. CROW key figures are norms for new construction, so for existing "
            "dwellings a count (a night count for residents) is the better basis; without "
            "counts a `demand-from-norms` warning says the demand is norm-based. The result "
            "names the norm table and the rows applied. Scores 1–10 for `pressure` (headline) and `pressure_with_plan` "
            "come from the norm profile per zone and overall; a zone's area type is the "
            "`area_type` parameter, else its `area_type` property, else its urbanity class "
            "(given or computed). Demand without supply scores 1 (value null); a zone without "
            "demand or supply gets no score. The parameter and the profile play different "
            "parts: `threshold` decides `alarm` and `headroom_places`; the profile's band "
            "gives the score. In nl-default the band's minimum is the same 85 % (score 6; "
            "ambition 70 % scores 10, 100 % or more scores 1), but 90 % in the inner city "
            "(binnenstad, CBS class 1: ambition 75 %, 105 % scores 1), where CROW finds "
            "about 90 % acceptable: there a zone at 88 % is in alarm with the default "
            "threshold yet scores above 6. The result shows both (`threshold` in the "
            "provenance parameters, the band in each scorecard); set `threshold` to the "
            "band's minimum to align them. The norm table (a pydantic model, its JSON "
            "Schema in this description) is validated row by row; the further outputs "
            "`norm_table` (the rows applied) and `demand_by_dwelling_type` give the rest."
        ),
        compute=compute,
        explicit_parameters=ZONE_DEFAULTS,
        metrics=METRICS,
        areas="zones",
        inputs=(DWELLINGS_INPUT, PARKING_INPUT, ZONES_INPUT, PLAN_INPUT, OCCUPANCY_INPUT),
        parameters=(*PARKING_PARAMETERS, DEMAND_BASIS),
        outputs=(
            Output("norm_table", "Norm table", "The table used: name, source, rows applied."),
            Output(
                "demand_by_dwelling_type",
                "Demand by dwelling type",
                "Parking demand (places) of the existing dwellings per dwelling type.",
            ),
        ),
        norms=(
            Norm(
                "threshold",
                0.85,
                "fraction",
                "parking pressure alarm (many municipalities 80–85 %, CROW ~90 % in mixed areas)",
                "DOMAIN notes; CROW",
                "threshold",
            ),
        ),
        sources=(
            Source(
                "CROW",
                "CROW, Kencijfers parkeren en verkeersgeneratie (publicatie 381); figures are "
                "licensed and not shipped",
                "https://www.crow.nl/kencijfers-parkeren-en-verkeersgeneratie",
            ),
            Source(
                "CBS",
                "CBS, Begrippen: Stedelijkheid (van een gebied)",
                "https://www.cbs.nl/nl-nl/onze-diensten/methoden/begrippen/stedelijkheid--van-een-gebied--",
            ),
        ),
        keywords=("parkeerdruk", "parkeernorm", "CROW", "parking"),
        example=EXAMPLE,
    ),
)
