"""The fields of a process page's run form, generated from the process description.

Each OGC input of the description becomes one field of a kind the page knows how to
draw (``static/form.js`` builds the request from them):

- ``geo``: a GeoJSON input (``contentMediaType: application/geo+json``): a file picker
  (GeoJSON or FlatGeobuf, read in the browser) or a URL sent as ``{"href": ...}``;
- ``boolean``: a check box; ``enum``: a list to pick from; ``number`` and ``integer``:
  a number field with the schema's minimum and maximum; ``text``: a line of text;
- ``json``: anything structured (objects, arrays, alternatives): a JSON box prefilled
  with the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

GEOJSON = "application/geo+json"


def _geometry_types(schema: Mapping[str, Any]) -> list[str]:
    """Return the geometry types a FeatureCollection schema allows (empty: any).

    Examples
    --------
    >>> s = {"properties": {"features": {"items": {"properties": {"geometry": {
    ...     "properties": {"type": {"enum": ["Point", "MultiPoint"]}}}}}}}}
    >>> _geometry_types(s)
    ['Point', 'MultiPoint']
    >>> _geometry_types({})
    []
    """
    node: Any = schema
    for key in ("properties", "features", "items", "properties", "geometry", "properties", "type"):
        node = node.get(key) if isinstance(node, Mapping) else None
    enum = node.get("enum") if isinstance(node, Mapping) else None
    return [str(t) for t in enum] if isinstance(enum, list) else []


def field_kind(schema: Mapping[str, Any]) -> str:
    """Return the form field kind of an input's JSON schema.

    Examples
    --------
    >>> field_kind({"type": "object", "contentMediaType": "application/geo+json"})
    'geo'
    >>> field_kind({"type": "string", "enum": ["a", "b"]}), field_kind({"type": "boolean"})
    ('enum', 'boolean')
    >>> field_kind({"type": "integer"}), field_kind({"type": "number"}), field_kind({"type": "string"})
    ('integer', 'number', 'text')
    >>> field_kind({"type": "array"}), field_kind({"anyOf": [{"type": "string"}]})
    ('json', 'json')
    """
    if schema.get("contentMediaType") == GEOJSON:
        return "geo"
    if "enum" in schema:
        return "enum"
    kind = schema.get("type")
    if kind in ("boolean", "integer", "number"):
        return str(kind)
    if kind == "string":
        return "text"
    return "json"


def _json_text(value: Any) -> str:
    return "" if value is None else orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def form_fields(description: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the run form's fields for a process description, geo inputs first.

    Parameters
    ----------
    description : Mapping
        The OGC process description (``inputs`` with their ``schema``, ``minOccurs``,
        ``x-alternatives``, ``x-used-when``, ``x-unit`` and ``x-plausible``).

    Returns
    -------
    list of dict
        Per input: ``name``, ``title``, ``description``, ``kind``, ``required``,
        ``default`` (JSON value), ``default_text`` (for JSON boxes), ``minimum``,
        ``maximum``, ``step``, ``options`` (enum values), ``nullable``,
        ``geometry_types``, ``alternatives``, ``used_when``, ``unit``, ``plausible`` and
        ``rows`` (of a JSON box).

    Examples
    --------
    >>> d = {"inputs": {
    ...     "n": {"title": "N", "schema": {"type": "integer", "default": 3, "minimum": 1}},
    ...     "homes": {"title": "Homes", "minOccurs": 1, "schema": {
    ...         "type": "object", "contentMediaType": "application/geo+json"}},
    ...     "mode": {"minOccurs": 0, "schema": {"type": "string", "enum": ["a", None]}}}}
    >>> [(f["name"], f["kind"], f["required"]) for f in form_fields(d)]
    [('homes', 'geo', True), ('n', 'integer', False), ('mode', 'enum', False)]
    >>> f = form_fields(d)[1]
    >>> f["default"], f["minimum"], f["maximum"], f["step"]
    (3, 1, None, '1')
    >>> form_fields(d)[2]["options"]
    ['a', None]
    """
    geo: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for name, spec in (description.get("inputs") or {}).items():
        schema = spec.get("schema") or {}
        kind = field_kind(schema)
        default = schema.get("default")
        field = {
            "name": name,
            "title": spec.get("title") or name,
            "description": spec.get("description") or schema.get("description") or "",
            "kind": kind,
            "required": int(spec.get("minOccurs", 1 if "default" not in schema else 0)) > 0,
            "default": default,
            "default_text": _json_text(default) if kind == "json" else "",
            "minimum": schema.get("minimum"),
            "maximum": schema.get("maximum"),
            "step": "1" if kind == "integer" else "any",
            "options": list(schema.get("enum") or []),
            "nullable": bool(schema.get("nullable")),
            "geometry_types": _geometry_types(schema) if kind == "geo" else [],
            "alternatives": list(spec.get("x-alternatives") or []),
            "used_when": spec.get("x-used-when"),
            "unit": spec.get("x-unit") or "",
            "plausible": spec.get("x-plausible"),
        }
        field["rows"] = min(12, max(3, field["default_text"].count("\n") + 1))
        (geo if kind == "geo" else other).append(field)
    return geo + other
