"""Validate documents against the OGC API – Processes 1.0 schemas bundled in ../shared/ogc.

The 30 YAML files refer to each other by relative name. They are read as written, with
the known errata of the 1.0 files applied (``../shared/ogc/README.md``): overlapping
``oneOf`` lists are evaluated as ``anyOf``, ``subscriber`` requires ``successUri``, and
the OpenAPI 3.0 dialect is honoured (``nullable: true`` admits ``null``; boolean
``exclusiveMinimum``/``exclusiveMaximum`` as in draft 4). Nothing is fetched.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OGC_DIR = Path(__file__).resolve().parents[2] / "shared" / "ogc" / "processes-1.0"


def _errata(node: Any, names: bool = False) -> Any:
    """Apply the errata to a schema (``names``: ``node`` maps property names to schemas)."""
    if isinstance(node, dict):
        out = {k: _errata(v, names=(k == "properties" and not names)) for k, v in node.items()}
        if names:
            return out
        if isinstance(out.get("oneOf"), list):
            out["anyOf"] = out.pop("oneOf")
        if out.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_errata(v) for v in node]
    return node


@cache
def _registry() -> Registry:
    if not OGC_DIR.is_dir():
        pytest.skip(f"OGC schemas not found at {OGC_DIR} (needs ../shared beside the repo)")
    resources = []
    for path in sorted(OGC_DIR.glob("*.yaml")):
        schema = _errata(yaml.safe_load(path.read_text()))
        if path.name == "subscriber.yaml":  # erratum: requires the field it defines
            schema["required"] = ["successUri"]
        resources.append((path.name, Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


def validate(document: Any, schema_file: str) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` is valid under ``schema_file``."""
    registry = _registry()
    schema = registry.contents(schema_file)
    validator = jsonschema.Draft4Validator(schema, registry=registry)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise error


def errors(document: Any, schema_file: str) -> list[str]:
    """Return every validation error as ``path: message`` (empty when valid)."""
    registry = _registry()
    validator = jsonschema.Draft4Validator(registry.contents(schema_file), registry=registry)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]
