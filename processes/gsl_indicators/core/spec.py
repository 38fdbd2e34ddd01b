"""Indicator definition model and registry.

An indicator is declared once, as an :class:`Indicator`: id, version, titles (nl, en),
theme, method text, geo inputs, parameters with defaults and plausible ranges,
outputs, norms and sources, plus the pure compute function. Everything else — the
OGC process description, the pydantic validation model, the OpenAPI document, the
menu card — is generated from that declaration.

A compute function has the signature ``compute(layers, params, ctx) -> dict`` where
``layers`` maps each geo input name to a parsed :class:`~gsl_indicators.core.geo.Layer`
(absent optional inputs are missing from the mapping), ``params`` is the dict of all
parameters after defaults, and ``ctx`` is a :class:`Context` for progress,
data-quality notes and the areas' grouping. It returns a
:class:`~gsl_indicators.core.metrics.Metrics` — named values per feature, per area and
overall — which the one assembler (:mod:`gsl_indicators.core.assemble`) turns into the
result document.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import pydantic

from gsl_indicators.core.metrics import AreaGroups, Metric, Metrics
from gsl_indicators.core.ogc_schema import to_ogc_schema

if TYPE_CHECKING:
    from gsl_indicators.core.geo import Layer
    from gsl_indicators.core.tiling import TileOptions, Tiling

ParamType = Literal["number", "integer", "boolean", "string", "object", "array"]
GeometryType = Literal[
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"
]
POINTS: tuple[GeometryType, ...] = ("Point", "MultiPoint")
LINES: tuple[GeometryType, ...] = ("LineString", "MultiLineString")
POLYGONS: tuple[GeometryType, ...] = ("Polygon", "MultiPolygon")
ANY_GEOMETRY: tuple[GeometryType, ...] = POINTS + LINES + POLYGONS

_PY_TYPES: dict[str, Any] = {
    "number": float,
    "integer": int,
    "boolean": bool,
    "string": str,
    "object": dict[str, Any],
    "array": list[Any],
}


class InputError(ValueError):
    """A request input is wrong; the message names the input and the reason.

    Kernels raise it for problems that only show during computation (a polygon
    layer given where points are needed, an unknown profile name, ...). The service
    turns it into a 400 problem document of type ``invalid-parameter-value``.

    Parameters
    ----------
    input_name : str
        The name of the offending input (``"buildings"``, ``"tree_distance_m"``).
    reason : str
        What is wrong with it, in words a user can act on.
    """

    def __init__(self, input_name: str, reason: str) -> None:
        super().__init__(f"input '{input_name}': {reason}")
        self.input_name = input_name
        self.reason = reason

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        """Pickle by the two arguments (a tile's error crosses a process pool).

        Examples
        --------
        >>> import pickle
        >>> pickle.loads(pickle.dumps(InputError("trees", "unreadable"))).reason
        'unreadable'
        """
        return (type(self), (self.input_name, self.reason))


def _number_text(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def range_text(low: float, high: float) -> str:
    """Return an inclusive range in words (an infinite end is left open).

    Examples
    --------
    >>> range_text(0, 1e6), range_text(-math.inf, 100), range_text(0.5, math.inf)
    ('0 to 1,000,000', 'at most 100', 'at least 0.5')
    """
    if not math.isfinite(low):
        return f"at most {_number_text(high)}"
    if not math.isfinite(high):
        return f"at least {_number_text(low)}"
    return f"{_number_text(low)} to {_number_text(high)}"


def unused_by(used_when: Mapping[str, Any] | None, params: Mapping[str, Any]) -> str | None:
    """Return why ``params`` leave unread what is read only ``used_when`` (``None``: read).

    A condition on a list parameter holds when the list includes the value
    (``{"constraints": "parking-pressure"}``).

    Examples
    --------
    >>> unused_by({"distance_mode": "network"}, {"distance_mode": "euclidean"})
    "read only when distance_mode is 'network' (it is 'euclidean')"
    >>> unused_by(None, {}) is None
    True
    >>> unused_by({"constraints": "a"}, {"constraints": ["a", "b"]}) is None
    True
    >>> unused_by({"constraints": "c"}, {"constraints": ["a", "b"]})
    "read only when constraints includes 'c' (it is ['a', 'b'])"
    """
    for key, value in (used_when or {}).items():
        got = params.get(key)
        if isinstance(got, list | tuple):
            if value not in got:
                return f"read only when {key} includes {value!r} (it is {list(got)!r})"
        elif got != value:
            return f"read only when {key} is {value!r} (it is {got!r})"
    return None


def unread_without_any(names: Sequence[str], raw: Mapping[str, Any]) -> str | None:
    """Return why ``raw`` leaves unread what is read only with one of ``names``.

    ``None``: it is read (one of them was given, or ``names`` is empty).

    Examples
    --------
    >>> unread_without_any(("value_property", "exposure_grid"), {})
    'read only with value_property or exposure_grid, neither of which was given'
    >>> unread_without_any(("value_property", "exposure_grid"), {"exposure_grid": {}}) is None
    True
    """
    if not names or any(raw.get(name) is not None for name in names):
        return None
    return f"read only with {' or '.join(names)}, neither of which was given"


def unread_without(read_with: Sequence[str], raw: Mapping[str, Any]) -> str | None:
    """Return why ``raw`` leaves unread what is read only with all of ``read_with``.

    ``None``: it is read (every one of them was given).

    Examples
    --------
    >>> unread_without(("exposure_points",), {})
    'read only with exposure_points, which was not given'
    """
    missing = [name for name in read_with if raw.get(name) is None]
    if not missing:
        return None
    were = "was" if len(missing) == 1 else "were"
    return f"read only with {' and '.join(missing)}, which {were} not given"


@dataclass(frozen=True)
class Parameter:
    """A scalar or structured parameter, exposed as an OGC input of its own.

    Parameters
    ----------
    name : str
        Input name (snake_case, part of the public API).
    title : str
        Short English title.
    description : str
        What it controls and where its default comes from.
    type : {"number", "integer", "boolean", "string", "object", "array"}
        JSON type.
    default : Any
        Value used when the request leaves it out. ``None`` with ``required=True``
        makes the input mandatory.
    minimum, maximum : float, optional
        Valid range (inclusive): requests outside it are refused.
    plausible : tuple of float, optional
        The range a value realistically takes, ``(low, high)`` inside the valid range
        (tree distance: 10–50 m, while 1–200 m is valid). ``sensitivity`` sweeps it; a
        parameter without one is swept over its valid range.
    enum : tuple, optional
        Allowed values.
    unit : str, optional
        Unit of the value (``"m"``, ``"µg/m³"``, ``"dB"``).
    schema : dict, optional
        Extra JSON-schema keywords for object/array parameters (``items``,
        ``properties``, ``oneOf`` ...). Merged into the generated schema.
    required : bool
        Whether the request must give it.
    nullable : bool
        Whether ``null`` is an accepted value (then ``default`` may be ``None``).
    """

    name: str
    title: str
    description: str
    type: ParamType
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[Any, ...] | None = None
    unit: str | None = None
    schema: Mapping[str, Any] | None = None
    required: bool = False
    nullable: bool = False
    # Python annotation for validation where ``type`` alone is too narrow (a catalog
    # name *or* an inline table: ``str | list[Any]``); give the JSON type in ``schema``.
    annotation: Any = None
    plausible: tuple[float, float] | None = None
    used_when: Mapping[str, Any] | None = None
    """Parameter values under which this one is read at all (network settings only with
    ``{"distance_mode": "network"}``); given otherwise, it is reported as ignored."""
    read_with: tuple[str, ...] = ()
    """Inputs without which this one is not read (``grid_band`` without
    ``exposure_grid``); given without them, it is reported as ignored."""
    read_with_any: tuple[str, ...] = ()
    """Inputs of which at least one must be given for this one to be read
    (``value_quantity`` with ``value_property`` or ``exposure_grid``)."""
    unread_if: Callable[[Mapping[str, Any]], str | None] | None = None
    """Why the other parameters' values leave this one unread, where that takes more
    than ``used_when`` (``walking_speed_m_s`` with no profile given in minutes)."""

    def ignored_by(self, params: Mapping[str, Any], raw: Mapping[str, Any]) -> str | None:
        """Return why ``params`` and the inputs given leave this parameter unread.

        ``None``: it is read.

        Examples
        --------
        >>> cut = Parameter("network_cutoff_m", "C", "", "number", 1000.0,
        ...                 used_when={"distance_mode": "network"})
        >>> cut.ignored_by({"distance_mode": "euclidean"}, {})
        "read only when distance_mode is 'network' (it is 'euclidean')"
        """
        return (
            unused_by(self.used_when, params)
            or unread_without(self.read_with, raw)
            or unread_without_any(self.read_with_any, raw)
            or (self.unread_if(params) if self.unread_if is not None else None)
        )

    def __post_init__(self) -> None:
        if self.plausible is None:
            return
        lo, hi = self.plausible
        if not lo < hi:
            raise ValueError(f"parameter '{self.name}': plausible low must lie below high")
        if (self.minimum is not None and lo < self.minimum) or (
            self.maximum is not None and hi > self.maximum
        ):
            raise ValueError(f"parameter '{self.name}': plausible range outside the valid range")

    @property
    def sweep_range(self) -> tuple[float, float] | None:
        """Return the range to sweep: ``plausible``, else ``(minimum, maximum)`` when both exist.

        Examples
        --------
        >>> Parameter("d", "D", "d", "number", 30.0, 1.0, 200.0, plausible=(10.0, 50.0)).sweep_range
        (10.0, 50.0)
        >>> Parameter("d", "D", "d", "number", 30.0, 1.0, 200.0).sweep_range
        (1.0, 200.0)
        """
        if self.plausible is not None:
            return (float(self.plausible[0]), float(self.plausible[1]))
        if self.minimum is not None and self.maximum is not None:
            return (float(self.minimum), float(self.maximum))
        return None

    def json_schema(self) -> dict[str, Any]:
        """Return the JSON schema of this parameter, with default, range and enum."""
        out: dict[str, Any] = {"type": self.type}
        if self.nullable:  # OpenAPI 3.0 / OGC schema.yaml: `type` is one name, never a list
            out["nullable"] = True
        if not self.required:
            out["default"] = self.default
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.schema:
            out.update(dict(self.schema))
        return to_ogc_schema(out)

    def field(self) -> tuple[Any, Any]:
        """Return the ``(annotation, FieldInfo)`` pair for pydantic's ``create_model``."""
        annotation: Any = _PY_TYPES[self.type] if self.annotation is None else self.annotation
        if self.enum is not None:
            annotation = Literal[tuple(self.enum)]
        elif self.annotation is None and self.type in ("number", "integer"):
            # lax mode reads JSON true as 1; a numeric string (Tygron's query values) stays
            annotation = Annotated[annotation, pydantic.BeforeValidator(_not_a_boolean)]
        if self.nullable:
            annotation = annotation | None
        kwargs: dict[str, Any] = {"description": self.description}
        # pydantic refuses `strict` on union / Literal annotations (nullable, enum, custom)
        if self.annotation is None and self.enum is None and not self.nullable:
            kwargs["strict"] = False
        if self.minimum is not None:
            kwargs["ge"] = self.minimum
        if self.maximum is not None:
            kwargs["le"] = self.maximum
        default = ... if self.required else self.default
        return annotation, pydantic.Field(default, **kwargs)


def _not_a_boolean(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is asked for (pydantic reads them as 1/0).

    Examples
    --------
    >>> _not_a_boolean(3.5)
    3.5
    >>> _not_a_boolean(True)
    Traceback (most recent call last):
    ...
    ValueError: a boolean is not a number
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return value


_SIMPLE_KEYWORDS = {"type", "enum", "minimum", "maximum", "description", "title"}
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == v,
    "integer": lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and v == v and float(v).is_integer()
    ),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _member_error(schema: Mapping[str, Any], value: Any) -> str | None:
    """Return why ``value`` breaks a simple member ``schema`` (type, enum, range), else None.

    Schemas with other keywords (``oneOf``, ``properties`` ...) are not judged here.

    Examples
    --------
    >>> _member_error({"type": "number", "minimum": 0}, -1)
    'is below the minimum 0'
    >>> _member_error({"type": "string", "enum": ["a"]}, "b")
    "is not one of ['a']"
    >>> _member_error({"oneOf": []}, None) is None
    True
    """
    if not set(schema) <= _SIMPLE_KEYWORDS:
        return None
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_JSON_TYPES.get(t, lambda v: True)(value) for t in names):
            return f"is not of type {' or '.join(names)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"is not one of {list(schema['enum'])}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if schema.get("minimum") is not None and value < schema["minimum"]:
            return f"is below the minimum {schema['minimum']}"
        if schema.get("maximum") is not None and value > schema["maximum"]:
            return f"is above the maximum {schema['maximum']}"
    return None


def check_members(p: Parameter, value: Any) -> None:
    """Check the items (``items``) or members (``additionalProperties``) of a value.

    pydantic checks a structured parameter only as a list or dict; the simple
    member schemas declared in ``Parameter.schema`` are enforced here.

    Raises
    ------
    InputError
        Naming the parameter, the item or member, and the reason.

    Examples
    --------
    >>> p = Parameter("w", "W", "weights", "object", schema={"additionalProperties": {"type": "number"}})
    >>> check_members(p, {"a": "x"})
    Traceback (most recent call last):
    ...
    gsl_indicators.core.spec.InputError: input 'w': member 'a' is not of type number (got 'x')
    """
    schema = p.schema or {}
    items, members = schema.get("items"), schema.get("additionalProperties")
    if isinstance(value, list) and isinstance(items, Mapping):
        for i, item in enumerate(value):
            if (why := _member_error(items, item)) is not None:
                raise InputError(p.name, f"item {i} {why} (got {item!r})")
    if isinstance(value, Mapping) and isinstance(members, Mapping):
        for key, member in value.items():
            if (why := _member_error(members, member)) is not None:
                raise InputError(p.name, f"member {key!r} {why} (got {member!r})")


@dataclass(frozen=True)
class GeoInput:
    """A GeoJSON FeatureCollection input (inline, or by reference with ``href``).

    Parameters
    ----------
    name : str
        Input name (part of the public API).
    title, description : str
        Human text.
    geometry_types : tuple of str
        Geometry types accepted.
    required : bool
        Whether the request must give it.
    properties : Mapping[str, str]
        Feature properties the indicator reads, with their meaning (documentation and
        menu card; a missing property is reported in the data-quality section).
    used_when : Mapping[str, Any], optional
        Parameter values under which the input is read at all (``network`` only with
        ``{"distance_mode": "network"}``); given otherwise, it is reported as ignored.
    read_with : tuple of str
        Other inputs without which this one is not read (heat's ``canopy`` shades its
        ``public_space``); given without them, it is reported as ignored.
    ranges : Mapping[str, tuple of float]
        The range (inclusive; an end may be infinite) a numeric property's values must
        lie in, as the kernel enforces it (``Layer.number(..., valid=...)``): a value
        outside it is refused with a 400. Shown in the description (``x-property-ranges``
        and beside each property's meaning), so a platform knows before it sends.
    """

    name: str
    title: str
    description: str
    geometry_types: tuple[GeometryType, ...]
    required: bool = True
    properties: Mapping[str, str] = field(default_factory=dict)
    used_when: Mapping[str, Any] | None = None
    read_with: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for prop, (lo, hi) in self.ranges.items():
            if not lo < hi:
                raise ValueError(f"input '{self.name}': range of '{prop}' is empty")

    def property_notes(self) -> dict[str, str]:
        """Return each property's meaning, with the range its values must lie in.

        A ranged property not described otherwise (an exposure quantity, documented
        as ``<quantity>``) gets an entry of its own.

        Examples
        --------
        >>> GeoInput("b", "B", "", ("Polygon",), properties={"height": "in m"},
        ...          ranges={"height": (-10, 1000), "no2": (0, math.inf)}).property_notes()
        {'height': 'in m (accepted: -10 to 1,000)', 'no2': 'accepted: at least 0'}
        """
        notes = dict(self.properties)
        for prop, (lo, hi) in self.ranges.items():
            text = f"accepted: {range_text(lo, hi)}"
            notes[prop] = f"{notes[prop]} ({text})" if prop in notes else text
        return notes

    def range_schema(self) -> dict[str, dict[str, float]]:
        """Return ``{property: {"minimum", "maximum"}}`` (an infinite end left out).

        Examples
        --------
        >>> GeoInput("z", "Z", "", ("Polygon",), ranges={"depth": (-math.inf, 1e4)}).range_schema()
        {'depth': {'maximum': 10000.0}}
        """
        out: dict[str, dict[str, float]] = {}
        for prop, (lo, hi) in self.ranges.items():
            ends = {"minimum": float(lo), "maximum": float(hi)}
            out[prop] = {k: v for k, v in ends.items() if math.isfinite(v)}
        return out

    def ignored_by(self, params: Mapping[str, Any]) -> str | None:
        """Return why ``params`` make this input unused (``None``: it is read).

        Examples
        --------
        >>> net = GeoInput("network", "N", "lines", ("LineString",), required=False,
        ...                used_when={"distance_mode": "network"})
        >>> net.ignored_by({"distance_mode": "euclidean"})
        "read only when distance_mode is 'network' (it is 'euclidean')"
        >>> net.ignored_by({"distance_mode": "network"}) is None
        True
        """
        return unused_by(self.used_when, params)

    def ignored_without(self, raw: Mapping[str, Any]) -> str | None:
        """Return why the inputs given (``raw``) leave this one unread (``None``: it is read).

        Examples
        --------
        >>> canopy = GeoInput("canopy", "C", "crowns", ("Polygon",), required=False,
        ...                   read_with=("public_space",))
        >>> canopy.ignored_without({"canopy": {}})
        'read only with public_space, which was not given'
        >>> canopy.ignored_without({"canopy": {}, "public_space": {}}) is None
        True
        """
        return unread_without(self.read_with, raw)

    def json_schema(self) -> dict[str, Any]:
        """Return the JSON schema of a FeatureCollection with the accepted geometries."""
        return {
            "type": "object",
            "contentMediaType": "application/geo+json",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "geometry"],
                        "properties": {
                            "type": {"type": "string", "enum": ["Feature"]},
                            "geometry": {
                                "type": "object",
                                "nullable": True,
                                "properties": {
                                    "type": {"type": "string", "enum": list(self.geometry_types)}
                                },
                            },
                            "properties": {"type": "object", "nullable": True},
                        },
                    },
                },
            },
        }


@dataclass(frozen=True)
class Output:
    """One output of an indicator."""

    name: str
    title: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    media_type: str = "application/json"


@dataclass(frozen=True)
class Norm:
    """A norm or guideline value the indicator tests against (and its parameter)."""

    name: str
    value: Any
    unit: str
    description: str
    source: str
    parameter: str | None = None


@dataclass(frozen=True)
class Source:
    """A literature or data source the method rests on."""

    label: str
    citation: str
    url: str | None = None


ProgressFn = Callable[[float, str], None]


@dataclass
class Context:
    """Per-run context handed to a compute function.

    Attributes
    ----------
    warnings : list of dict
        Data-quality warnings (``code``, ``input``, ``message``, optional ``count``).
    notes : dict
        Further data-quality facts (repairs, dropped features, reprojections ...).
    """

    on_progress: ProgressFn | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    groups: AreaGroups | None = None
    """The indicator's features grouped by its areas (built once by the runner)."""
    provenance: dict[str, Any] = field(default_factory=dict)
    """Further provenance facts (merged into the result's ``provenance``)."""
    input_digests: Mapping[str, str] = field(default_factory=dict)
    """The sha256 of each geo input as given (composite processes key their parts by them)."""
    part_cache: PartCache | None = None
    """Where composite processes (scoreboard, scenarios) keep each indicator's part."""
    features_as_columns: bool = False
    """The per-feature output is kept as columns (a composite's part): no feature dicts
    are made ahead while tiles run."""
    tiles: TileOptions | None = None
    """How the run's large parts may run in tiles (set by the runner; ``None``: whole).

    A composite process (scoreboard, scenarios) hands it to its parts, so a province's
    card runs each large tileable indicator in tiles, one after the other.
    """
    explicit: frozenset[str] = frozenset()
    """The parameters the request set itself (the others hold their defaults).

    A kernel that can take a norm from the profile or from a parameter uses this to let
    an explicit parameter win for the request (never silently overruled by the profile).
    """

    def progress(self, fraction: float, message: str) -> None:
        """Report that ``fraction`` (0..1) of the work is done, at stage ``message``."""
        if self.on_progress is not None:
            self.on_progress(max(0.0, min(1.0, fraction)), message)

    def warn(
        self, code: str, input_name: str | None, message: str, count: int | None = None
    ) -> None:
        """Record a data-quality warning (shown in the result, never silently dropped).

        The same warning again (a layer read twice, e.g. parking's dwellings for the
        demand and for the urbanity class) is recorded once.
        """
        w: dict[str, Any] = {"code": code, "input": input_name, "message": message}
        if count is not None:
            w["count"] = int(count)
        if w not in self.warnings:
            self.warnings.append(w)

    def note(self, key: str, value: Any) -> None:
        """Record a data-quality fact under ``key`` (merged into ``data_quality``)."""
        self.notes[key] = value


class PartCache(Protocol):
    """A store of computed parts (one indicator's outputs) by key, for composite processes.

    Every run uses an in-process memo (:mod:`gsl_indicators.core.parts`); a store
    shared between processes would have to serialise a part's outputs, whose
    per-feature output is a :class:`~gsl_indicators.core.collection_columns.FeatureValues`
    (columns, not JSON).
    """

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the part stored under ``key``, else ``None``."""

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` under ``key``."""


NO_UNCERTAINTY_THEMES: tuple[str, ...] = ("test", "scoreboard", "uncertainty")
"""Themes without the ``uncertainty`` parameter: test processes, composites whose parts
are cached by key (scoreboards, scenario comparisons: sample their indicators one by
one instead) and the analyses themselves (``sensitivity`` has a ``monte-carlo`` method)."""

ComputeFn = Callable[[Mapping[str, "Layer"], dict[str, Any], Context], Metrics]


@dataclass(frozen=True)
class Indicator:
    """The single declaration of an indicator; everything else is generated from it.

    Parameters
    ----------
    id : str
        Process id (part of the public API), e.g. ``"green-3-30-300"``.
    version : str
        Semantic version of the method; a new version never serves an old cached result.
    title, description : Mapping[str, str]
        Keys ``"nl"`` and ``"en"``.
    theme : str
        Menu-card theme (``"green"``, ``"proximity"``, ``"air"``, ...).
    method : str
        How the value is computed, in plain words (no black boxes).
    compute : callable
        The pure kernel, see the module docstring.
    inputs : tuple of GeoInput
        Geo inputs.
    parameters : tuple of Parameter
        Parameters, each an OGC input of its own.
    outputs : tuple of Output
        Outputs.
    norms, sources : tuple
        Norms tested against and the sources of method and figures.
    keywords : tuple of str
        Extra keywords for the process description.
    geo : bool
        ``False`` for non-spatial processes (``echo``): no provenance CRS, no layers.
    example : Mapping, optional
        A small, complete ``inputs`` object that runs in well under a second. It is the
        example in the process description and the OpenAPI document, and the API tests
        execute it for every registered indicator (sync, async and cached).
    metrics : tuple of Metric
        The metrics the kernel returns (:mod:`gsl_indicators.core.metrics`). When any
        is ``scored``, the norm-profile parameters (``profile``, ``profile_override``,
        ``area_type``) are added to ``parameters`` by the declaration itself.
    metric_templates : callable, optional
        ``params -> tuple of Metric``: the metrics whose names depend on the request
        (see :meth:`metrics_for`).
    scores : bool
        Whether the indicator is scored although its static metrics are not (its
        scored metrics all come from ``metric_templates``).
    alternatives : tuple of tuple of str
        Groups of optional geo inputs of which at least one must be given (``("trees",
        "canopy")``): declared in the description, checked with the required inputs.
    explicit_parameters : tuple of str
        Parameters whose being set by the request (not only their value) changes the
        result — an explicit ``threshold`` wins over the profile in ``housing-capacity``;
        which of them a request set is part of its cache key.
    uncertainty : bool
        Whether the optional ``uncertainty`` parameter (Monte-Carlo bands,
        :mod:`gsl_indicators.core.uncertainty`) is added; every indicator on the metric
        model has it, except composites whose parts are cached (scoreboards) and test
        processes.
    features : str, optional
        The geo input whose features carry the per-feature metrics (``"buildings"``);
        the output of that name is its FeatureCollection.
    areas : str, optional
        The geo input whose features carry the per-area metrics (``"neighbourhoods"``);
        the runner groups ``features`` by it once (``Context.groups``).
    tiling : Tiling, optional
        Its reach and how it runs in tiles (:mod:`gsl_indicators.core.tiling`); without
        it the indicator always runs whole (the description's ``x-gsl.tiling`` says so).
    part_files : callable, optional
        A composite's ``(params, given input names) -> input names`` its parts' tiles may
        read from their own files: inputs that only parts running in tiles read, and that
        their indicators' :attr:`Tiling.files` name (:func:`~gsl_indicators.core.run.deferred_inputs`).
    check : callable, optional
        ``(parameters, inputs)``: checks of the validated parameters (and of which geo
        inputs the request gives) that their schemas cannot make (a composite's menu
        card and the area layer it scores, its variants, a nested request), run whenever
        a request is prepared
        (:func:`~gsl_indicators.core.run.prepare`) — before a job is made, so a request
        that cannot run is answered 400 rather than accepted and failed. Raises
        :class:`InputError`.
    runs_others : bool
        Whether it runs other indicators' kernels (a scoreboard, a scenario comparison,
        a sensitivity analysis): its cache key then carries their versions too
        (:func:`~gsl_indicators.core.run.key_version`).
    uses : tuple of str
        The ids of the indicators whose code its kernel runs (soil runs water's overlay,
        housing capacity runs parking pressure's): every module of theirs it imports.
        Its cache and part keys carry their versions, so a fix released as a new
        version of ``water`` is never served from a soil result computed before it. A
        test keeps the list equal to the imports.
    reads_inputs : bool
        Its kernel parses its geo inputs itself: the runner hands them over as given
        (FeatureCollections, files by reference) instead of parsed layers, and leaves
        their provenance to the kernel. A sensitivity analysis parses the layers given
        to it with its target's declarations, together with those inline in its
        ``inputs``, as a request to the target would.
    """

    id: str
    version: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    theme: str
    method: str
    compute: ComputeFn
    inputs: tuple[GeoInput, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    outputs: tuple[Output, ...] = ()
    norms: tuple[Norm, ...] = ()
    sources: tuple[Source, ...] = ()
    keywords: tuple[str, ...] = ()
    geo: bool = True
    example: Mapping[str, Any] | None = None
    metrics: tuple[Metric, ...] = ()
    features: str | None = None
    areas: str | None = None
    metric_templates: Callable[[Mapping[str, Any]], tuple[Metric, ...]] | None = None
    scores: bool = False
    alternatives: tuple[tuple[str, ...], ...] = ()
    explicit_parameters: tuple[str, ...] = ()
    uncertainty: bool = True
    tiling: Tiling | None = None
    part_files: Callable[[Mapping[str, Any], frozenset[str]], tuple[str, ...]] | None = None
    check: Callable[[Mapping[str, Any], Mapping[str, Any]], None] | None = None
    runs_others: bool = False
    uses: tuple[str, ...] = ()
    reads_inputs: bool = False

    def __post_init__(self) -> None:
        if (self.scores or any(m.scored for m in self.metrics)) and not any(
            p.name == "profile" for p in self.parameters
        ):
            from gsl_indicators.core.scoring import PROFILE_PARAMETERS

            object.__setattr__(self, "parameters", (*self.parameters, *PROFILE_PARAMETERS))
        if self.has_uncertainty and not any(p.name == "uncertainty" for p in self.parameters):
            from gsl_indicators.core.uncertainty import UNCERTAINTY_PARAMETER

            object.__setattr__(self, "parameters", (*self.parameters, UNCERTAINTY_PARAMETER))
        ids = [m.id for m in self.metrics]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate metric ids")
        names = [i.name for i in self.inputs] + [p.name for p in self.parameters]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"{self.id}: duplicate input names {sorted(dupes)}")

    @property
    def has_uncertainty(self) -> bool:
        """Return whether requests may ask for Monte-Carlo ``uncertainty`` bands."""
        return self.uncertainty and bool(self.metrics) and self.theme not in NO_UNCERTAINTY_THEMES

    @property
    def scored_metrics(self) -> tuple[str, ...]:
        """Return the ids of the metrics the norm profile scores."""
        return tuple(m.id for m in self.metrics if m.scored)

    def metrics_for(self, params: Mapping[str, Any]) -> tuple[Metric, ...]:
        """Return the metrics of one request: the declared ones and the templates' expansion.

        Some metric names depend on the request — ``proximity-facilities`` reports
        ``<facility type>_share_<mobility profile>`` for the profiles the request names.
        ``metric_templates(params)`` declares those for the request at hand, with the
        same fields as any metric; the assembler accepts exactly these.
        """
        extra = self.metric_templates(params) if self.metric_templates is not None else ()
        return (*self.metrics, *extra)

    @property
    def uses_metric_model(self) -> bool:
        """Return whether the kernel returns :class:`Metrics` (assembled by the runner)."""
        return bool(self.metrics)

    @cached_property
    def all_outputs(self) -> tuple[Output, ...]:
        """Return every output a result document has: declared, generated, and the meta ones.

        An indicator on the metric model declares only its further outputs; the
        FeatureCollections of ``features`` and ``areas``, ``summary``, ``metrics`` and
        (when scored) ``profile`` are generated here, and ``provenance`` and
        ``data_quality`` are on every result.
        """
        out = {o.name: o for o in self.outputs}
        if self.uses_metric_model:
            fc = {"type": "object", "contentMediaType": "application/geo+json"}
            for name, what in ((self.features, "per feature"), (self.areas, "per area")):
                if name and name not in out:
                    gi = next((i for i in self.inputs if i.name == name), None)
                    title = gi.title if gi else name
                    out[name] = Output(
                        name,
                        title,
                        f"The input {title.lower()} with their metrics {what} (see `metrics`).",
                        fc,
                        "application/geo+json",
                    )
            generated = [
                Output("summary", "Summary", "Metrics for the whole request and the scorecard."),
                Output(
                    "metrics",
                    "Metrics",
                    "Declarations of the metrics (id, titles, unit, levels, direction).",
                    {"type": "array"},
                ),
            ]
            if self.scored_metrics or self.scores:
                generated.append(Output("profile", "Profile", "The norm profile used."))
            if self.has_uncertainty:
                from gsl_indicators.core.uncertainty import UNCERTAINTY_OUTPUT

                generated.append(UNCERTAINTY_OUTPUT)
            for o in generated:
                out.setdefault(o.name, o)
        out.setdefault(
            "provenance",
            Output(
                "provenance",
                "Provenance",
                "How the result was made: indicator version, parameters after defaults, "
                "input digests, CRS, cache.",
            ),
        )
        out.setdefault(
            "data_quality",
            Output("data_quality", "Data quality", "Warnings and repairs of the inputs."),
        )
        return tuple(out.values())

    @cached_property
    def params_model(self) -> type[pydantic.BaseModel]:
        """Pydantic model validating all parameters (geo inputs are parsed by ``geo``)."""
        fields = {p.name: p.field() for p in self.parameters}
        model_name = "Params_" + self.id.replace("-", "_")
        return pydantic.create_model(  # type: ignore[call-overload]
            model_name, __config__=pydantic.ConfigDict(extra="ignore"), **fields
        )

    def input(self, name: str) -> GeoInput | Parameter:
        """Return the declared input or parameter called ``name``."""
        items: list[GeoInput | Parameter] = [*self.inputs, *self.parameters]
        for item in items:
            if item.name == name:
                return item
        raise KeyError(name)

    def validate_parameters(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the parameter inputs of a request and fill in the defaults.

        Parameters
        ----------
        raw : Mapping
            The request's ``inputs`` (geo inputs and unknown keys are ignored here).

        Returns
        -------
        dict
            Every parameter, after defaults, in declaration order.

        Raises
        ------
        InputError
            Naming the first invalid parameter and the reason.
        """
        geo_names = {i.name for i in self.inputs}
        declared = {p.name for p in self.parameters} | geo_names
        unknown = sorted(set(raw) - declared)
        if unknown:
            raise InputError(
                unknown[0],
                f"not an input of process '{self.id}'; known inputs: {sorted(declared)}",
            )
        values = {k: v for k, v in raw.items() if k not in geo_names}
        try:
            model = self.params_model.model_validate(values)
        except pydantic.ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "inputs"
            name = str(first["loc"][0]) if first["loc"] else "inputs"
            reason = first["msg"]
            if loc != name:
                reason = f"{loc}: {reason}"
            raise InputError(name, f"{reason} (got {first.get('input')!r})") from None
        dumped = model.model_dump()
        for p in self.parameters:
            check_members(p, dumped[p.name])
        return {p.name: dumped[p.name] for p in self.parameters}

    def check_geo_inputs(self, raw: Mapping[str, Any]) -> None:
        """Raise :class:`InputError` for missing required geo inputs, all named together.

        A group of :attr:`alternatives` of which none is given counts as missing too.

        Examples
        --------
        >>> ind = Indicator("x", "1", {"nl": "x", "en": "x"}, {"nl": "", "en": ""}, "t", "", None,
        ...     inputs=(GeoInput("a", "A", "", ("Point",)), GeoInput("t", "T", "", ("Point",), False),
        ...             GeoInput("c", "C", "", ("Polygon",), False)), alternatives=(("t", "c"),))
        >>> ind.check_geo_inputs({})
        Traceback (most recent call last):
        ...
        gsl_indicators.core.spec.InputError: input 'a': required inputs are missing: a; and one of t or c
        """
        missing = [gi.name for gi in self.inputs if gi.required and raw.get(gi.name) is None]
        groups = [g for g in self.alternatives if all(raw.get(n) is None for n in g)]
        if not missing and not groups:
            return
        parts = [", ".join(missing)] if missing else []
        parts += ["one of " + " or ".join(g) for g in groups]
        first = missing[0] if missing else groups[0][0]
        if len(parts) == 1 and len(missing) == 1:
            raise InputError(first, "required input is missing")
        raise InputError(first, "required inputs are missing: " + "; and ".join(parts))

    def ignored_inputs(self, params: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, str]:
        """Return the given inputs that ``params`` leave unread, with the reason.

        Geo inputs, and parameters the request set itself (``network_cutoff_m`` with
        ``distance_mode`` ``euclidean``): a default is not something a user sent.
        """
        layers = {
            gi.name: why
            for gi in self.inputs
            if raw.get(gi.name) is not None
            and (why := gi.ignored_by(params) or gi.ignored_without(raw)) is not None
        }
        settings = {
            p.name: why
            for p in self.parameters
            if p.name in raw and (why := p.ignored_by(params, raw)) is not None
        }
        return {**layers, **settings}

    def describe(self) -> dict[str, Any]:
        """Return the OGC API - Processes 1.0 process description (without links)."""
        inputs: dict[str, Any] = {}
        for gi in self.inputs:
            inputs[gi.name] = {
                "title": gi.title,
                "description": gi.description,
                "schema": gi.json_schema(),
                "minOccurs": 1 if gi.required else 0,
                "maxOccurs": 1,
                "keywords": ["geojson", *gi.geometry_types],
            }
            if gi.properties or gi.ranges:
                inputs[gi.name]["x-properties"] = gi.property_notes()
            if gi.ranges:
                inputs[gi.name]["x-property-ranges"] = gi.range_schema()
            if gi.used_when:
                inputs[gi.name]["x-used-when"] = dict(gi.used_when)
            if gi.read_with:
                inputs[gi.name]["x-read-with"] = list(gi.read_with)
            group = next((g for g in self.alternatives if gi.name in g), None)
            if group:
                inputs[gi.name]["x-alternatives"] = list(group)
                inputs[gi.name]["description"] += (
                    f" At least one of {' or '.join(group)} must be given."
                )
        for p in self.parameters:
            inputs[p.name] = {
                "title": p.title,
                "description": p.description,
                "schema": p.json_schema(),
                "minOccurs": 1 if p.required else 0,
                "maxOccurs": 1,
                "keywords": ["parameter"],
            }
            if p.unit:  # beside the schema: OGC's schema.yaml admits no `x-` keywords
                inputs[p.name]["x-unit"] = p.unit
            if p.plausible is not None:
                inputs[p.name]["x-plausible"] = list(p.plausible)
            if p.used_when:
                inputs[p.name]["x-used-when"] = dict(p.used_when)
            if p.read_with:
                inputs[p.name]["x-read-with"] = list(p.read_with)
            if p.read_with_any:
                inputs[p.name]["x-read-with-any"] = list(p.read_with_any)
        outputs = {
            o.name: {
                "title": o.title,
                "description": o.description,
                "schema": {**dict(o.schema), "contentMediaType": o.media_type},
            }
            for o in self.all_outputs
        }
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title["en"],
            "description": self.description["en"],
            "keywords": list(dict.fromkeys([self.theme, *self.keywords])),  # no repeats
            "jobControlOptions": ["sync-execute", "async-execute"],
            "outputTransmission": ["value", "reference"],
            "inputs": inputs,
            "outputs": outputs,
            "links": [
                {"rel": "cite-as", "href": s.url, "title": s.citation, "type": "text/html"}
                for s in self.sources
                if s.url
            ],
            "x-gsl": self.menu_entry(),
            **({"example": {"inputs": dict(self.example)}} if self.example else {}),
        }

    def menu_entry(self) -> dict[str, Any]:
        """Return the menu-card entry: titles, theme, method, norms, sources, defaults."""
        return {
            "id": self.id,
            "version": self.version,
            "title": dict(self.title),
            "description": dict(self.description),
            "theme": self.theme,
            "method": self.method,
            "inputs": [
                {
                    "name": gi.name,
                    "title": gi.title,
                    "geometry_types": list(gi.geometry_types),
                    "required": gi.required,
                    "properties": gi.property_notes(),
                    "used_when": dict(gi.used_when) if gi.used_when else None,
                    "alternatives": next(
                        (list(g) for g in self.alternatives if gi.name in g), None
                    ),
                }
                for gi in self.inputs
            ],
            "parameters": [
                {
                    "name": p.name,
                    "title": p.title,
                    "default": p.default,
                    "minimum": p.minimum,
                    "maximum": p.maximum,
                    "plausible": list(p.plausible) if p.plausible is not None else None,
                    "enum": list(p.enum) if p.enum else None,
                    "unit": p.unit,
                }
                for p in self.parameters
            ],
            "norms": [
                {
                    "name": n.name,
                    "value": n.value,
                    "unit": n.unit,
                    "description": n.description,
                    "source": n.source,
                    "parameter": n.parameter,
                }
                for n in self.norms
            ],
            "sources": [
                {"label": s.label, "citation": s.citation, "url": s.url} for s in self.sources
            ],
            "metrics": [m.declaration() for m in self.metrics],
            "features": self.features,
            "areas": self.areas,
            "uses": list(self.uses),
            "tiling": self.tiling.description()
            if self.tiling is not None
            else {"tileable": False, "runs_whole": "no reach declared"},
        }


ENTRY_POINT_GROUP = "gsl_indicators.indicators"
"""The entry-point group that publishes indicators: ``name = "module:INDICATORS"``."""


def declared_indicators(skip: str | Collection[str] | None = None) -> Iterator[Indicator]:
    """Yield the indicators published in the :data:`ENTRY_POINT_GROUP` entry points.

    Each entry point names a module's ``INDICATORS`` tuple, so only the indicator
    modules are imported (not every module of the package), and another distribution
    can publish indicators of its own the same way.

    Parameters
    ----------
    skip : str or collection of str, optional
        Entry-point names to leave out (``sensitivity`` asks for every other one).
    """
    skipped = {skip} if isinstance(skip, str) else set(skip or ())
    for ep in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if ep.name not in skipped:
            yield from ep.load()


class Registry:
    """All indicators, found through the :data:`ENTRY_POINT_GROUP` entry points.

    A module declares its indicators in a module-level ``INDICATORS`` tuple and names
    it in ``pyproject.toml``; that is all it takes to publish a new process.
    """

    def __init__(self, indicators: Sequence[Indicator] = ()) -> None:
        self._by_id: dict[str, Indicator] = {}
        for ind in indicators:
            self.add(ind)

    def add(self, indicator: Indicator) -> None:
        """Register ``indicator``; ids must be unique."""
        if indicator.id in self._by_id:
            raise ValueError(f"indicator '{indicator.id}' registered twice")
        self._by_id[indicator.id] = indicator

    def get(self, indicator_id: str) -> Indicator:
        """Return the indicator with ``indicator_id`` (``KeyError`` when unknown)."""
        return self._by_id[indicator_id]

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._by_id

    def __iter__(self) -> Iterator[Indicator]:
        return iter(sorted(self._by_id.values(), key=lambda i: i.id))

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        """Return the sorted indicator ids."""
        return sorted(self._by_id)


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """Return the registry of every indicator declared in this package (cached)."""
    global _REGISTRY
    if _REGISTRY is None:
        reg = Registry(list(declared_indicators()))
        for ind in reg:  # a key made of an unknown indicator's version cannot be made
            unknown = [u for u in ind.uses if u not in reg]
            if unknown:
                raise ValueError(f"{ind.id}: `uses` names no indicator: {unknown}")
        _REGISTRY = reg
    return _REGISTRY


def _likely_entry_points(indicator_id: str) -> list[importlib.metadata.EntryPoint]:
    """Return the entry points whose name starts the id (``green`` for ``green-3-30-300``).

    Longest name first, so ``green_per_dwelling`` is tried before ``green`` for
    ``green-per-dwelling``.
    """
    key = indicator_id.replace("-", "_")
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(
        (ep for ep in eps if key == ep.name or key.startswith(ep.name + "_")),
        key=lambda ep: -len(ep.name),
    )


def find_indicator(indicator_id: str) -> Indicator:
    """Return one indicator, importing only the module that likely declares it.

    ``gsl run`` needs one indicator, not all eighteen modules (importing them all and
    building the registry takes about a second). The entry points whose names start
    the id are loaded first; when none of them declares it, the whole registry is
    built, so the answer is always the registry's.

    Raises
    ------
    KeyError
        When no indicator has this id.

    Examples
    --------
    >>> find_indicator("green-3-30-300").id
    'green-3-30-300'
    """
    if _REGISTRY is None:
        for ep in _likely_entry_points(indicator_id):
            for ind in ep.load():
                if ind.id == indicator_id:
                    return ind
    return registry().get(indicator_id)
