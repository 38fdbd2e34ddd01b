"""Bundle the OGC API - Processes schemas into the OpenAPI document (no external ``$ref``).

pygeoapi's document points at ``schemas.opengis.net`` (responses and schemas of OGC API
- Processes 1.0, responses of OGC API - Features), which offline tools such as
schemathesis cannot fetch. Here each OGC schema file becomes a component
``#/components/schemas/ogc-<name>`` (``statusInfo.yaml`` → ``ogc-statusInfo``), the
responses the document used from schemas.opengis.net become local components built on
them, and every external reference is rewritten to its local component. A reference
left over is an error, so the document is self-contained or not written at all.

**Source.** The 30 schema files of OGC 18-062r2 as YAML, read from
``GSL_OGC_SCHEMAS_DIR`` or from ``../shared/ogc/processes-1.0`` beside the repository —
when the document is generated (``make openapi``; CI, where that folder exists). At run
time (``GET /openapi`` in a container without it) the bundled components are read back
from the generated ``openapi/openapi.json`` (shipped inside the wheel).

**Errata of the 1.0 files** (see the folder's README), applied while bundling:

* ``subscriber.yaml`` requires ``successUrl`` but defines ``successUri``: it requires
  ``successUri``.
* overlapping ``oneOf`` lists (``type: string`` beside ``binaryInputValue``, ``number``
  beside ``integer``) accept no plain string or integer under strict ``oneOf``: every
  ``oneOf`` is bundled as ``anyOf``.
* ``execute.yaml`` gives ``response`` the default ``[raw]``, a list, where the enum holds
  strings: the default is ``raw``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

OAPIP = "https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi"
FEATURES = "https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/ogcapi-features-1.yaml"
PREFIX = "ogc-"
#: The repository's root (``services/gsl_service/ogc/bundle.py`` → three levels up).
REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "ogc" / "processes-1.0"
PACKAGED = Path(__file__).resolve().parent / "openapi.json"
GENERATED = REPO / "openapi" / "openapi.json"


class SchemasNotFound(FileNotFoundError):
    """The OGC schema files are nowhere to be found."""


def schema_dir() -> Path | None:
    """Return the folder of the OGC schema files (``GSL_OGC_SCHEMAS_DIR``, ../shared)."""
    explicit = os.environ.get("GSL_OGC_SCHEMAS_DIR")
    candidates = [Path(explicit)] if explicit else []
    candidates += [SHARED, Path.cwd().parent / "shared" / "ogc" / "processes-1.0"]
    for path in candidates:
        if (path / "statusInfo.yaml").is_file():
            return path
    return None


def _local(ref: str) -> str:
    """Return the component reference of a schema file name (``link.yaml`` → ogc-link)."""
    name = ref.rsplit("/", 1)[-1].split("#", 1)[0]
    return f"#/components/schemas/{PREFIX}{name.removesuffix('.yaml')}"


def _rewrite(node: Any) -> Any:
    """Return ``node`` with file references made local and ``oneOf`` read as ``anyOf``.

    Examples
    --------
    >>> _rewrite({"oneOf": [{"$ref": "link.yaml"}, {"type": "string"}]})
    {'anyOf': [{'$ref': '#/components/schemas/ogc-link'}, {'type': 'string'}]}
    """
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.endswith(".yaml"):
            out[key] = _local(value)
        elif key == "oneOf":
            out["anyOf"] = _rewrite(value)
        else:
            out[key] = _rewrite(value)
    return out


def load_schemas(directory: Path) -> dict[str, Any]:
    """Return the OGC schema files of ``directory`` as components (errata applied)."""
    schemas: dict[str, Any] = {}
    for path in sorted(directory.glob("*.yaml")):
        schemas[PREFIX + path.stem] = _rewrite(yaml.safe_load(path.read_text(encoding="utf-8")))
    subscriber = schemas[PREFIX + "subscriber"]
    subscriber["required"] = ["successUri"]
    # a string's default written as a list of one (response, transmissionMode): the string
    for schema in (schemas[PREFIX + "execute"]["properties"]["response"], schemas[PREFIX + "transmissionMode"]):  # fmt: skip
        if isinstance(schema.get("default"), list):
            schema["default"] = schema["default"][0]
    return schemas


def _packaged_schemas() -> dict[str, Any] | None:
    for path in (PACKAGED, GENERATED):
        if path.is_file():
            doc = json.loads(path.read_text(encoding="utf-8"))
            found = {k: v for k, v in doc["components"]["schemas"].items() if k.startswith(PREFIX)}
            if found:
                return found
    return None


def ogc_schemas(*, generating: bool = False) -> dict[str, Any]:
    """Return the bundled OGC schema components.

    From the schema files when they are found; otherwise (``generating`` false: a
    running service) from the generated document. Raises :class:`SchemasNotFound`.
    """
    directory = schema_dir()
    if directory is not None:
        return load_schemas(directory)
    if not generating:
        found = _packaged_schemas()
        if found:
            return found
    raise SchemasNotFound(
        "the OGC API - Processes schema files were not found: set GSL_OGC_SCHEMAS_DIR "
        f"or provide {SHARED}"
    )


def _json_content(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{PREFIX}{schema}"}}}


#: The responses the document took from schemas.opengis.net, as local components.
RESPONSES: dict[str, dict[str, Any]] = {
    "ExecuteAsync": {
        "description": "Started asynchronous execution: the job's statusInfo.",
        "headers": {
            "Location": {
                "description": "URL of the job's status (statusInfo).",
                "schema": {"type": "string"},
            }
        },
        "content": _json_content("statusInfo"),
    },
    "Status": {
        "description": "The status of a job (statusInfo).",
        "content": _json_content("statusInfo"),
    },
    "ProcessList": {
        "description": "Information about the available processes.",
        "content": _json_content("processList"),
    },
    "Conformance": {
        "description": "The conformance classes the service implements.",
        "content": _json_content("confClasses"),
    },
    "LandingPage": {
        "description": "The landing page: links to the API definition, conformance, processes.",
        "content": _json_content("landingPage"),
    },
}

#: External reference → local reference.
REFS: dict[str, str] = {
    f"{OAPIP}/responses/ExecuteAsync.yaml": "#/components/responses/ExecuteAsync",
    f"{OAPIP}/responses/Status.yaml": "#/components/responses/Status",
    f"{OAPIP}/responses/ProcessList.yaml": "#/components/responses/ProcessList",
    f"{OAPIP}/responses/NotFound.yaml": "#/components/responses/NotFound",
    f"{FEATURES}#/components/responses/LandingPage": "#/components/responses/LandingPage",
    f"{FEATURES}#/components/responses/InvalidParameter": "#/components/responses/BadRequest",
    f"{FEATURES}#/components/responses/ServerError": "#/components/responses/ServerError",
}


def localise(node: Any) -> Any:
    """Return ``node`` with every external reference replaced by its local component.

    Raises ``ValueError`` naming a reference that has no local component.

    Examples
    --------
    >>> localise({"$ref": OAPIP + "/schemas/statusInfo.yaml"})
    {'$ref': '#/components/schemas/ogc-statusInfo'}
    >>> localise({"$ref": "https://example.org/x.yaml"})
    Traceback (most recent call last):
    ...
    ValueError: no local component for the external reference https://example.org/x.yaml
    """
    if isinstance(node, list):
        return [localise(v) for v in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            if value in REFS:
                value = REFS[value]
            elif value.startswith(f"{OAPIP}/schemas/") and value.endswith(".yaml"):
                value = _local(value)
            else:
                raise ValueError(f"no local component for the external reference {value}")
            out[key] = value
        else:
            out[key] = localise(value)
    return out


def bundle(oas: dict[str, Any], *, generating: bool = False) -> dict[str, Any]:
    """Return ``oas`` self-contained: OGC schemas and responses bundled, refs local."""
    doc = localise(oas)
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update(ogc_schemas(generating=generating))
    responses = components.setdefault("responses", {})
    for name, response in RESPONSES.items():
        responses.setdefault(name, copy.deepcopy(response))
    missing = sorted(_dangling(doc, doc))
    if missing:
        raise ValueError(f"unresolved references in the OpenAPI document: {missing}")
    return doc


def _dangling(node: Any, doc: Mapping[str, Any]) -> set[str]:
    """Return the local references of ``node`` that point at nothing in ``doc``."""
    found: set[str] = set()
    if isinstance(node, list):
        for v in node:
            found |= _dangling(v, doc)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target: Any = doc
                for part in value.removeprefix("#/").split("/"):
                    target = target.get(part) if isinstance(target, Mapping) else None
                if not value.startswith("#") or target is None:
                    found.add(value)
            else:
                found |= _dangling(value, doc)
    return found
