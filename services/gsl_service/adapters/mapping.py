"""Declared field mappings: how a source's layers and fields become our inputs.

A mapping is YAML in the catalog (``kind: field-mapping``, e.g. ``tygron``,
``pdok``, ``site-example``) or an inline object in a request. It names, per input of
ours, the source layer it comes from, an optional filter, the id and geometry fields,
and our properties with their source field, unit conversion, value map and default::

    kind: field-mapping
    id: pdok
    layers:
      buildings:                      # our input
        from: pand                    # the source layer (request input, Tygron item type)
        where: {field: status, in: [Pand in gebruik]}
        id: identificatie
        fields:
          dwellings: {field: aantal_verblijfsobjecten, default: 1}
          height_m: {field: hoogte_cm, from_unit: cm, unit: m}
          is_home: {field: gebruiksdoel, values: {woonfunctie: 1}, default: 0}

Fields are dotted paths into a feature's ``properties`` (``attributes.UNITS``); a path
through a list collects from every element (``sections.floors``) and ``aggregate``
(``first``, default; ``sum``, ``max``, ``min``, ``mean``) makes one value of them.
Tygron's attribute arrays take their first element. ``geometry`` is ``geometry`` (a
GeoJSON feature's own) or a path whose (Multi)Polygons are merged
(``sections.polygons``).

A field that no feature of a non-empty source layer has, and that is not marked
``optional``, is a 400 problem document naming the mapping, its line (catalog YAML)
or its path (inline), and the field — a typo in a mapping never gives silent defaults.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from gsl_service.errors import InvalidInput
from gsl_service.inputs import Fetcher, unwrap_values

MAPPING_KIND = "field-mapping"

#: Unit conversions a field may declare: ``from_unit`` → ``unit`` by these factors (to SI).
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "mm": ("length", 0.001),
    "cm": ("length", 0.01),
    "dm": ("length", 0.1),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "m2": ("area", 1.0),
    "m²": ("area", 1.0),
    "ha": ("area", 10_000.0),
    "km2": ("area", 1_000_000.0),
    "km²": ("area", 1_000_000.0),
    "%": ("share", 0.01),
    "percent": ("share", 0.01),
    "fraction": ("share", 1.0),
}

AGGREGATES = ("first", "sum", "max", "min", "mean")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Return ``value`` in ``from_unit`` expressed in ``to_unit``.

    Examples
    --------
    >>> convert(250, "cm", "m"), convert(1.5, "ha", "m2"), convert(50, "%", "fraction")
    (2.5, 15000.0, 0.5)
    """
    (kind_a, fa), (kind_b, fb) = UNIT_FACTORS[from_unit], UNIT_FACTORS[to_unit]
    if kind_a != kind_b:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}")
    return value * fa / fb


@dataclass(frozen=True)
class FieldSpec:
    """One of our properties, taken from a source field."""

    name: str
    source: str | None
    where: str  # "line 12" or the path in an inline mapping, for errors
    default: Any = None
    optional: bool = False
    values: Mapping[str, Any] | None = None
    from_unit: str | None = None
    unit: str | None = None
    aggregate: str = "first"


@dataclass(frozen=True)
class Filter:
    """Keep the source features whose ``field`` is in ``values`` (or non-zero)."""

    field: str
    where: str
    values: tuple[Any, ...] | None = None
    nonzero: bool = False


@dataclass(frozen=True)
class LayerSpec:
    """One of our inputs, made from a source layer."""

    name: str
    source: str
    where: str
    id_field: str | None = "id"
    geometry: str = "geometry"
    filter: Filter | None = None
    fields: tuple[FieldSpec, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class FieldMapping:
    """A declared mapping (see the module docstring)."""

    id: str
    layers: tuple[LayerSpec, ...]
    title: str = ""
    example: bool = False
    origin: str = "inline"
    crs: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def sources(self) -> list[str]:
        """Return the source layer names the mapping reads (each once, in order)."""
        return list(dict.fromkeys(layer.source for layer in self.layers))


# --------------------------------------------------------------------- loading


def _lines(text: str) -> dict[tuple[str, ...], int]:
    r"""Return the 1-based line of every mapping key path in a YAML text.

    Examples
    --------
    >>> _lines("a:\n  b: 1\n  c:\n    d: 2\n")[("a", "c", "d")]
    4
    """
    out: dict[tuple[str, ...], int] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                p = (*path, str(k.value))
                out[p] = k.start_mark.line + 1
                walk(v, p)

    walk(yaml.compose(text), ())
    return out


@cache
def _catalog_text(name: str) -> str | None:
    path = resources.files("gsl_indicators.catalog").joinpath(f"{name}.yaml")
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def mapping_names() -> tuple[str, ...]:
    """Return the ids of the field mappings in the catalog."""
    from gsl_indicators import catalog

    return catalog.yaml_names(MAPPING_KIND)


def load_mapping(raw: Any) -> FieldMapping:
    """Return the mapping a request names (catalog id) or gives (inline object).

    Raises
    ------
    InvalidInput
        Unknown name, or a malformed declaration (naming its line or path).
    """
    if isinstance(raw, str):
        text = _catalog_text(raw) if raw in mapping_names() else None
        if text is None:
            raise InvalidInput(
                f"no field mapping '{raw}' in the catalog; known: {list(mapping_names())}",
                input_name="mapping",
            )
        lines = _lines(text)
        return parse_mapping(
            yaml.safe_load(text),
            origin=f"mapping '{raw}'",
            locate=lambda p: f"line {lines.get(p, '?')}",
        )
    if isinstance(raw, Mapping):
        return parse_mapping(raw, origin="inline mapping", locate=lambda p: "at " + ".".join(p))
    raise InvalidInput(
        "'mapping' must be the id of a catalog mapping or a mapping object",
        input_name="mapping",
    )


def parse_mapping(doc: Any, origin: str, locate: Any) -> FieldMapping:
    """Check and read a mapping document (``locate(path)`` names a place for errors)."""

    def bad(path: tuple[str, ...], reason: str) -> InvalidInput:
        return InvalidInput(
            f"{origin} {locate(path)} ({'.'.join(path)}): {reason}", input_name="mapping"
        )

    if not isinstance(doc, Mapping) or not isinstance(doc.get("layers"), Mapping):
        raise bad(("layers",), "a mapping needs 'layers': our input name → its source")
    layers: list[LayerSpec] = []
    for name, spec in doc["layers"].items():
        lp = ("layers", str(name))
        if not isinstance(spec, Mapping) or not isinstance(spec.get("from"), str):
            raise bad(lp, "each layer needs 'from': the source layer it is made of")
        filt = None
        if spec.get("where") is not None:
            w = spec["where"]
            wp = (*lp, "where")
            if not isinstance(w, Mapping) or not isinstance(w.get("field"), str):
                raise bad(wp, "'where' needs 'field' and 'in' (a list) or 'nonzero: true'")
            values = w.get("in")
            if values is not None and not isinstance(values, list):
                raise bad(wp, "'in' must be a list of values")
            filt = Filter(
                field=w["field"],
                where=locate((*wp, "field")),
                values=tuple(values) if values is not None else None,
                nonzero=bool(w.get("nonzero", False)),
            )
        fields: list[FieldSpec] = []
        raw_fields = spec.get("fields") or {}
        if not isinstance(raw_fields, Mapping):
            raise bad((*lp, "fields"), "'fields' must map our property names to sources")
        for fname, fs in raw_fields.items():
            fp = (*lp, "fields", str(fname))
            short = isinstance(fs, str)  # `name: field` for `name: {field: field}`
            if short:
                fs = {"field": fs}
            if not isinstance(fs, Mapping) or ("field" not in fs and "default" not in fs):
                raise bad(fp, "a field needs 'field' (the source field) or a 'default'")
            for unit_key in ("from_unit", "unit"):
                if fs.get(unit_key) is not None and fs[unit_key] not in UNIT_FACTORS:
                    raise bad(fp, f"unknown unit {fs[unit_key]!r}; known: {list(UNIT_FACTORS)}")
            if (fs.get("from_unit") is None) != (fs.get("unit") is None):
                raise bad(fp, "a unit conversion needs both 'from_unit' and 'unit'")
            if fs.get("from_unit") is not None:
                try:
                    convert(1.0, fs["from_unit"], fs["unit"])
                except ValueError as err:
                    raise bad(fp, str(err)) from None
            agg = fs.get("aggregate", "first")
            if agg not in AGGREGATES:
                raise bad(fp, f"'aggregate' must be one of {list(AGGREGATES)}")
            vm = fs.get("values")
            if vm is not None and not isinstance(vm, Mapping):
                raise bad(fp, "'values' must map source values to ours")
            fields.append(
                FieldSpec(
                    name=str(fname),
                    source=fs.get("field"),
                    where=locate((*fp, "field") if "field" in fs and not short else fp),
                    default=fs.get("default"),
                    optional=bool(fs.get("optional", False)),
                    values={str(k): v for k, v in vm.items()} if vm else None,
                    from_unit=fs.get("from_unit"),
                    unit=fs.get("unit"),
                    aggregate=str(agg),
                )
            )
        layers.append(
            LayerSpec(
                name=str(name),
                source=spec["from"],
                where=locate((*lp, "from")),
                id_field=spec.get("id", "id"),
                geometry=str(spec.get("geometry", "geometry")),
                filter=filt,
                fields=tuple(fields),
                optional=bool(spec.get("optional", False)),
            )
        )
    return FieldMapping(
        id=str(doc.get("id", "inline")),
        layers=tuple(layers),
        title=str(doc.get("title", "")),
        example=bool(doc.get("example", False)),
        origin=origin,
        crs=doc.get("crs"),
        parameters=dict(doc.get("parameters") or {}),
    )


# --------------------------------------------------------------------- applying

_MISSING = object()


def lookup(obj: Any, path: str) -> Any:
    """Return the value at a dotted ``path`` (a list on the way collects every element).

    Examples
    --------
    >>> lookup({"a": {"b": [4, 5]}}, "a.b")
    [4, 5]
    >>> lookup({"s": [{"f": 2}, {"f": 3}]}, "s.f")
    [2, 3]
    >>> lookup({"a": 1}, "b") is _MISSING
    True
    """
    current: Any = obj
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(current, list):
            rest = ".".join(parts[i:])
            found = [lookup(x, rest) for x in current]
            found = [x for x in found if x is not _MISSING]
            return found if found else _MISSING
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [y for x in value for y in _flat(x)]
    return [value]


def _scalar(value: Any, aggregate: str) -> Any:
    """Return one value of what a path gave (Tygron's attribute arrays: the first)."""
    if not isinstance(value, list):
        return value
    items = [v for v in _flat(value) if v is not None]
    if not items:
        return None
    if aggregate == "first":
        return items[0]
    nums = [float(v) for v in items if isinstance(v, int | float) and not isinstance(v, bool)]
    if not nums:
        return items[0]
    if aggregate == "sum":
        return sum(nums)
    if aggregate == "max":
        return max(nums)
    if aggregate == "min":
        return min(nums)
    return sum(nums) / len(nums)


def _value(spec: FieldSpec, props: Mapping[str, Any]) -> Any:
    raw = lookup(props, spec.source) if spec.source else _MISSING
    value = None if raw is _MISSING else _scalar(raw, spec.aggregate)
    if value is not None and spec.values is not None:
        value = spec.values.get(str(value), spec.default)
    if value is not None and spec.from_unit is not None and spec.unit is not None:
        try:
            value = convert(float(value), spec.from_unit, spec.unit)
        except (TypeError, ValueError):
            value = None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return spec.default
    return value


def _geometry(feature: Mapping[str, Any], path: str) -> Any:
    if path == "geometry":
        return feature.get("geometry")
    found = lookup(feature.get("properties") or {}, path)
    if found is _MISSING:
        return None
    if isinstance(found, Mapping):
        return found
    polygons: list[Any] = []
    for g in _flat_geoms(found):
        if g.get("type") == "Polygon":
            polygons.append(g["coordinates"])
        elif g.get("type") == "MultiPolygon":
            polygons.extend(g["coordinates"])
    return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None


def _flat_geoms(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _flat_geoms(v)


def _present(features: list[Mapping[str, Any]], path: str) -> bool:
    return any(lookup(f.get("properties") or {}, path) is not _MISSING for f in features)


def _keep(filt: Filter, props: Mapping[str, Any]) -> bool:
    value = _scalar(lookup(props, filt.field), "first")
    if filt.values is not None:
        return value in filt.values or str(value) in {str(v) for v in filt.values}
    if filt.nonzero:
        return isinstance(value, int | float) and value != 0
    return value not in (None, _MISSING)


def apply_mapping(
    mapping: FieldMapping,
    layers: Mapping[str, Mapping[str, Any]],
    crs: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Return our inputs (FeatureCollections) made from the source ``layers``.

    Parameters
    ----------
    mapping : FieldMapping
        The declaration.
    layers : mapping of str to FeatureCollection
        The source layers by name (request inputs; Tygron items turned into features).
    crs : str, optional
        CRS of the sources when they carry no ``crs`` member (Tygron: EPSG:3857).

    Raises
    ------
    InvalidInput
        A required source layer is absent, or a named field is in no feature.

    Examples
    --------
    >>> m = parse_mapping({"layers": {"buildings": {"from": "pand", "id": "code",
    ...     "fields": {"dwellings": {"field": "n", "default": 1}}}}}, "inline", str)
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": None, "properties": {"code": "p1", "n": 4}},
    ...     {"type": "Feature", "geometry": None, "properties": {"code": "p2", "n": None}}]}
    >>> out = apply_mapping(m, {"pand": fc})["buildings"]["features"]
    >>> [(f["id"], f["properties"]["dwellings"]) for f in out]
    [('p1', 4), ('p2', 1)]
    """
    out: dict[str, dict[str, Any]] = {}
    for spec in mapping.layers:
        src = layers.get(spec.source)
        if src is None:
            if spec.optional:
                continue
            raise InvalidInput(
                f"{mapping.origin} {spec.where}: layer '{spec.name}' comes from source "
                f"layer '{spec.source}', which the request does not contain",
                input_name=spec.source,
            )
        features = [f for f in (src.get("features") or []) if isinstance(f, Mapping)]
        if spec.filter is not None:
            if features and not _present(features, spec.filter.field):
                if spec.optional:  # e.g. no Tygron area carries PLAY: no play areas
                    continue
                raise _missing_field(mapping, spec, spec.filter.field, spec.filter.where, features)
            features = [f for f in features if _keep(spec.filter, f.get("properties") or {})]
        if features:
            for fs in spec.fields:
                if fs.source and not fs.optional and not _present(features, fs.source):
                    raise _missing_field(mapping, spec, fs.source, fs.where, features)
        if not features and spec.optional:
            continue
        mapped = []
        for f in features:
            props = f.get("properties") or {}
            ours = {fs.name: _value(fs, props) for fs in spec.fields}
            item: dict[str, Any] = {
                "type": "Feature",
                "geometry": _geometry(f, spec.geometry),
                "properties": ours,
            }
            ident = f.get("id") if spec.id_field in (None, "id") else None
            if spec.id_field not in (None, "id"):
                found = lookup(props, str(spec.id_field))
                ident = None if found is _MISSING else _scalar(found, "first")
            elif ident is None:
                found = lookup(props, "id")
                ident = None if found is _MISSING else found
            if ident is not None:
                item["id"] = ident
            mapped.append(item)
        fc: dict[str, Any] = {"type": "FeatureCollection", "features": mapped}
        member = src.get("crs") or (
            {"type": "name", "properties": {"name": crs or mapping.crs}}
            if (crs or mapping.crs)
            else None
        )
        if member:
            fc["crs"] = member
        out[spec.name] = fc
    return out


def _missing_field(
    mapping: FieldMapping,
    spec: LayerSpec,
    name: str,
    where: str,
    features: list[Mapping[str, Any]],
) -> InvalidInput:
    seen = sorted({k for f in features[:50] for k in (f.get("properties") or {})})
    return InvalidInput(
        f"{mapping.origin} {where}: field '{name}' (for layer '{spec.name}') is not in any "
        f"feature of source layer '{spec.source}'; its fields are {seen}",
        input_name="mapping",
    )


def map_request_inputs(
    fetcher: Fetcher, mapping: FieldMapping, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Return an execute request's inputs with its source layers mapped to ours.

    The inputs named as source layers by ``mapping`` (inline, qualified values or
    references — fetched under the usual guard and limits, OGC API – Features pages
    followed) are replaced by the layers they make; the other inputs (parameters, our
    own layers) pass unchanged. The cache key is that of the mapped inputs, so a
    request through a mapping and one sending the mapped layers share results.
    """
    out = unwrap_values(inputs)
    sources = set(mapping.sources())
    layers: dict[str, Mapping[str, Any]] = {}
    for name in sources & set(out):
        value = out.pop(name)
        if isinstance(value, Mapping) and "href" in value:
            value = fetcher.fetch(name, value)
        if not isinstance(value, Mapping) or value.get("type") != "FeatureCollection":
            raise InvalidInput(
                f"source layer '{name}' of {mapping.origin} must be a GeoJSON "
                "FeatureCollection (inline or by reference)",
                input_name=name,
            )
        layers[name] = value
    mapped = apply_mapping(mapping, layers)
    clash = sorted(set(mapped) & set(out))
    if clash:
        raise InvalidInput(
            f"inputs {clash} are given both directly and through {mapping.origin}",
            input_name=clash[0],
        )
    return {**out, **mapped}
