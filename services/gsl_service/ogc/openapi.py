"""The OpenAPI document: pygeoapi's ``get_oas`` plus what our service adds.

Additions: the job-list filters, ``offset`` paging of /processes, RFC 7807 problem
responses, a request schema per process (generated from the indicator declaration:
every input and parameter with its schema, default and range), DELETE answering the
dismissed statusInfo, and /health. Written deterministically (sorted keys, the
default base URL, no timestamps) so CI can tell when the committed file is stale.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pygeoapi.openapi import get_oas

from gsl_indicators.core.spec import Indicator, Registry, registry
from gsl_service.ogc.bundle import OAPIP, bundle
from gsl_service.ogc.config import pygeoapi_config
from gsl_service.ogc.features_openapi import features_paths

PROBLEM_JSON = "application/problem+json"


#: The answer to ``response: raw`` with every selected output by reference (OGC
#: /req/core/job-creation-sync-raw-ref, /req/core/job-results-async-raw-ref).
LINKS_ONLY: dict[str, Any] = {
    "description": (
        "`response: raw` with every selected output `transmissionMode: reference`: no "
        'content; a `Link` header per output (`rel="enclosure"`, its file\'s type, '
        "`title` the output's name)"
    ),
    "headers": {"Link": {"schema": {"type": "string"}}},
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 7807 problem details; `type` is the OGC API - Processes exception URI.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "input": {"type": "string", "description": "The offending input, where there is one."},
        "instance": {"type": "string"},
    },
}


def _path(name: str) -> dict[str, Any]:
    """Return a required path parameter ``name`` (a string)."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(
    name: str, description: str, schema: dict[str, Any], explode: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": explode,
    }


LIMIT = _query(
    "limit", "Page size.", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}
)
PROCESS_LIMIT = _query(
    "limit",
    "Page size (default: every process).",
    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000},
)
OFFSET = _query(
    "offset", "Items to skip (paging).", {"type": "integer", "minimum": 0, "default": 0}
)
F = {"$ref": "#/components/parameters/f"}
LANG = {"$ref": "#/components/parameters/lang"}
#: What ``lang`` does here: the language of the pages (documents are in English).
LANG_PARAMETER = _query(
    "lang",
    "Language of a page: nl or en, or a tag of theirs such as en-GB (default from "
    "Accept-Language, else nl); any other is a 400. JSON documents are in English "
    "whatever is asked.",
    {"type": "string", "pattern": "^([nN][lL]|[eE][nN])([-_].*)?$"},
)

RESULTS_F = _query(
    "f",
    "json (the result document), html (the job page), or geojson, csv, gpkg, flatgeobuf, "
    "geoparquet: one per-feature output as a file (name it with `output` when there are "
    "several).",
    {
        "type": "string",
        "enum": ["json", "html", "geojson", "csv", "gpkg", "flatgeobuf", "geoparquet"],
    },
)
RESULTS_LAYER_F = _query(
    "f",
    "Format of a per-feature output (where an output by reference points).",
    {"type": "string", "enum": ["geojson", "csv", "gpkg", "flatgeobuf", "geoparquet", "json"]},
)
RESULTS_OUTPUT = _query(
    "output",
    "The per-feature output to download with f=geojson|csv|gpkg|flatgeobuf|geoparquet.",
    {"type": "string"},
)
RESULTS_CRS = _query(
    "crs",
    "Reproject a per-feature output, e.g. EPSG:4326 (longitude/latitude); default: the "
    "CRS of its input.",
    {"type": "string"},
)

JOB_LIST_PARAMETERS = [
    F,
    _query(
        "processID", "Only jobs of these processes.", {"type": "array", "items": {"type": "string"}}
    ),
    _query(
        "status",
        "Only jobs in these states.",
        {
            "type": "array",
            "items": {
                "type": "string",
                "enum": ["accepted", "running", "successful", "failed", "dismissed"],
            },
        },
    ),
    _query(
        "datetime",
        "Only jobs created at this instant or in this interval (RFC 3339, `..` open).",
        {"type": "string"},
    ),
    _query(
        "minDuration",
        "Only jobs that ran at least this many seconds.",
        {"type": "number", "minimum": 0},
    ),
    _query(
        "maxDuration",
        "Only jobs that ran at most this many seconds.",
        {"type": "number", "minimum": 0},
    ),
    _query(
        "type",
        "Only jobs of this type (`process`).",
        {"type": "array", "items": {"type": "string"}},
    ),
    LIMIT,
    OFFSET,
]


HREF_SCHEMA = {
    "type": "object",
    "description": "The input by reference (fetched by the service under size and time limits).",
    "required": ["href"],
    "properties": {"href": {"type": "string", "format": "uri"}, "type": {"type": "string"}},
}
SUBSCRIBER_SCHEMA = {
    "type": "object",
    "description": "Callback URLs, posted to when the job succeeds, progresses or fails.",
    "properties": {
        name: {"type": "string", "format": "uri"}
        for name in ("successUri", "inProgressUri", "failedUri")
    },
}


def execute_request_schema(indicator: Indicator) -> dict[str, Any]:
    """Return the JSON schema of an execute request body for ``indicator``.

    Examples
    --------
    >>> s = execute_request_schema(registry().get("echo"))
    >>> s["properties"]["inputs"]["required"], s["properties"]["inputs"]["properties"]["pause"]["default"]
    (['message'], 0.0)
    """
    desc = indicator.describe()
    props: dict[str, Any] = {}
    for name, spec in desc["inputs"].items():
        schema = copy.deepcopy(spec["schema"])
        if any(gi.name == name for gi in indicator.inputs):
            schema = {"oneOf": [schema, HREF_SCHEMA]}
        schema["description"] = spec["description"]
        props[name] = schema
    required = [n for n, spec in desc["inputs"].items() if spec["minOccurs"] > 0]
    inputs: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        inputs["required"] = required
    out: dict[str, Any] = {
        "type": "object",
        "properties": {
            "inputs": inputs,
            "outputs": {
                "type": "object",
                "description": "Select outputs, and how each is transmitted: "
                "`transmissionMode` `value` (inline) or `reference` (a link to "
                "/jobs/{id}/results/{output}, per-feature outputs only; the default for one "
                "of more than GSL_INLINE_FEATURES_MAX features), with `format.mediaType` "
                "naming the linked file's format.",
                "additionalProperties": {"type": "object"},
            },
            "response": {"type": "string", "enum": ["document", "raw"], "default": "document"},
            "subscriber": SUBSCRIBER_SCHEMA,
        },
    }
    if required:
        out["required"] = ["inputs"]
    return out


def build_openapi(
    settings: Any = None, reg: Registry | None = None, *, generating: bool = False
) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of the service for ``settings``, self-contained.

    Parameters
    ----------
    settings : Settings, optional
        ``None`` gives the embedded defaults (base URL http://127.0.0.1:5000), which
        is what ``openapi/openapi.json`` is written with.
    reg : Registry, optional
        The indicator registry.
    generating : bool
        Bundle the OGC schemas from their files only (``gsl openapi``), never from a
        previously generated document (:mod:`gsl_service.ogc.bundle`).
    """
    reg = registry() if reg is None else reg
    oas: dict[str, Any] = get_oas(pygeoapi_config(settings, reg))
    paths: dict[str, Any] = oas["paths"]
    paths.pop("/collections", None)
    oas["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
    responses = oas["components"]["responses"]
    responses["BadRequest"] = _problem_response("Invalid input (invalid-parameter-value)")
    responses["NotFound"] = _problem_response("No such process / job, or result not ready")
    responses["ServerError"] = _problem_response("Server error")
    bad, missing, error = (
        {"$ref": "#/components/responses/BadRequest"},
        {"$ref": "#/components/responses/NotFound"},
        {"$ref": "#/components/responses/ServerError"},
    )

    # pygeoapi documents /conformance with the landing page's response
    paths["/conformance"]["get"]["responses"]["200"] = {
        "$ref": "#/components/responses/Conformance"
    }
    # a query parameter a route does not take is a 400 (route_parameters)
    oas["components"]["parameters"]["lang"] = LANG_PARAMETER
    paths["/openapi"]["get"]["responses"]["400"] = bad
    paths["/processes"]["get"]["parameters"] = [F, LANG, PROCESS_LIMIT, OFFSET]
    paths["/processes"]["get"]["responses"]["400"] = bad
    for ind in reg:
        describe = paths[f"/processes/{ind.id}"]["get"]
        describe["parameters"] = [F, LANG]
        describe["responses"]["400"] = bad
        describe["responses"]["404"] = missing
        post = paths[f"/processes/{ind.id}/execution"]["post"]
        post["parameters"][0]["schema"] = {"type": "string"}
        post["parameters"][0]["description"] = (
            "RFC 7240 preferences; `respond-async` asks for asynchronous execution "
            "(201, Location, statusInfo). Synchronous by default."
        )
        post["parameters"] = [
            post["parameters"][0],
            _query(
                "f",
                "json only (what the execution answers; a raw output comes in the media "
                "type its request asks for). No other query parameter is taken.",
                {"type": "string", "enum": ["json"]},
            ),
        ]
        body = post["requestBody"]["content"]["application/json"]
        body["schema"] = oas30_schema(execute_request_schema(ind))
        if ind.example:
            body["example"] = {"inputs": dict(ind.example)}
        post["responses"].update({"400": bad, "404": missing, "500": error})
        post["responses"]["200"] = {
            "description": (
                "The result document: the outputs, provenance and data quality; with "
                "`response: raw` the selected output's value itself (any JSON value)"
            ),
            "content": {"application/json": {"schema": {}}},
        }
        if any("geo+json" in str(o.media_type) for o in ind.all_outputs):
            post["responses"]["204"] = LINKS_ONLY

    jobs = paths["/jobs"]["get"]
    jobs["parameters"] = [*JOB_LIST_PARAMETERS, LANG]
    jobs["responses"]["400"] = bad
    job = paths["/jobs/{jobId}"]
    job["get"]["parameters"] = [*job["get"]["parameters"], LANG]
    job["get"]["responses"]["400"] = bad
    job["get"]["responses"]["404"] = missing
    job["delete"]["parameters"] = [*job["delete"]["parameters"], F, LANG]
    job["delete"]["responses"] = {
        "200": {"$ref": f"{OAPIP}/responses/Status.yaml"},
        "400": bad,
        "404": missing,
        "default": {"$ref": "#/components/responses/default"},
    }
    job["delete"]["summary"] = job["delete"]["description"] = (
        "Dismiss a job (stops it when running)"
    )
    results = paths["/jobs/{jobId}/results"]["get"]
    results["responses"]["404"] = missing
    results["responses"]["500"] = error
    results["parameters"] = [
        *[p for p in results.get("parameters", []) if p.get("name") != "f" and p != F],
        RESULTS_F,
        RESULTS_OUTPUT,
        RESULTS_CRS,
        LANG,
    ]
    results["responses"]["400"] = bad
    results["responses"]["406"] = _problem_response("The format asked for is not available")
    results["responses"]["204"] = LINKS_ONLY
    paths["/jobs/{jobId}/results/{outputId}"] = {
        "get": {
            "summary": "One output of a job, a per-feature output as a GIS file",
            "description": (
                "A per-feature output (FeatureCollection) as GeoJSON (default), CSV (WKT "
                "geometry, x/y for points) or GeoPackage, by `f` or `Accept`, in the CRS of "
                "its input unless `crs` asks for another; any other output as JSON. An "
                "unsupported format is a 406 problem document."
            ),
            "tags": ["jobs"],
            "operationId": "getResultOutput",
            "parameters": [
                _path("jobId"),
                _path("outputId"),
                RESULTS_LAYER_F,
                RESULTS_CRS,
                LANG,
            ],
            "responses": {
                "200": {
                    "description": "The output",
                    "content": {
                        "application/geo+json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}},
                        "application/geopackage+sqlite3": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                        "application/flatgeobuf": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                        "application/vnd.apache.parquet": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                        "application/json": {"schema": {}},
                    },
                },
                "400": bad,
                "404": missing,
                "406": _problem_response("The format asked for is not available"),
            },
        }
    }

    not_acceptable = _problem_response("The format asked for is not available")
    paths.update(features_paths(bad, missing, not_acceptable))
    paths["/health"] = {
        "get": {
            "summary": "Liveness and readiness",
            "description": "Whether the service and its engine are up.",
            "tags": ["server"],
            "operationId": "getHealth",
            "responses": {"200": {"description": "The service is up"}},
        }
    }
    paths["/menukaart"] = {
        "get": {
            "summary": "The menu card",
            "description": (
                "Every indicator by theme with its method, parameters and defaults, norms "
                "and sources (generated from the indicator declarations), the norm profiles "
                "and parking norm tables of the catalog."
            ),
            "tags": ["server"],
            "operationId": "getMenukaart",
            "parameters": [
                _query("f", "json (default) or html (the page).", {"enum": ["json", "html"]}),
                LANG,
                _query(
                    "profile",
                    "The page only (f=html): the norm profile whose bands it shows; the "
                    "JSON lists every profile, so there it is a 400.",
                    {"type": "string"},
                ),
            ],
            "responses": {
                "200": {"description": "The menu card (JSON)"},
                "400": bad,
                "404": _problem_response("No such profile"),
                "406": not_acceptable,
            },
        }
    }
    paths["/menukaart/{cardId}"] = {
        "get": {
            "summary": "One menu card of the catalog",
            "description": (
                "A province's or municipality's pinned choice of indicators, parameters and "
                "norm profile: JSON, CSV (one row per theme, indicator and parameter) or its "
                "page."
            ),
            "tags": ["server"],
            "operationId": "getMenuCard",
            "parameters": [
                _path("cardId"),
                _query("f", "json (default), csv or html.", {"enum": ["json", "csv", "html"]}),
                LANG,
            ],
            "responses": {
                "200": {
                    "description": "The card",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                "400": bad,
                "404": _problem_response("No such menu card"),
                "406": not_acceptable,
            },
        }
    }
    paths["/menukaart/profiles/{name}"] = {
        "get": {
            "summary": "A norm profile",
            "description": "Bands per area type (legal minimum to ambition) and the scoring rule.",
            "tags": ["server"],
            "operationId": "getProfile",
            "parameters": [
                _path("name"),
                _query("f", "json (default) or html (the page).", {"enum": ["json", "html"]}),
                LANG,
            ],
            "responses": {
                "200": {"description": "The profile (JSON)"},
                "400": bad,
                "404": _problem_response("No such profile"),
                "406": not_acceptable,
            },
        }
    }
    return bundle(oas, generating=generating)


_OAS30_KEYWORDS = {
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "enum", "type", "not", "allOf", "oneOf",
    "anyOf", "items", "properties", "additionalProperties", "description", "format",
    "default", "nullable", "discriminator", "readOnly", "writeOnly", "example",
    "externalDocs", "deprecated", "xml", "$ref",
}  # fmt: skip


def oas30_schema(schema: Any) -> Any:
    """Rewrite a JSON schema into an OpenAPI 3.0 schema object.

    ``"type": [T, "null"]`` becomes ``type: T, nullable: true``; keywords OpenAPI 3.0
    does not know (``contentMediaType``, ``x-unit`` ...) are kept as ``x-`` extensions.

    Examples
    --------
    >>> oas30_schema({"properties": {"type": {"type": ["object", "null"]}},
    ...               "contentMediaType": "application/geo+json"})
    {'properties': {'type': {'type': 'object', 'nullable': True}}, 'x-contentMediaType': 'application/geo+json'}
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: oas30_schema(v) for name, v in value.items()}
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            out[key] = oas30_schema(value)
        elif key in ("allOf", "oneOf", "anyOf") and isinstance(value, list):
            out[key] = [oas30_schema(v) for v in value]
        elif key == "type" and isinstance(value, list):
            rest = [t for t in value if t != "null"]
            if len(rest) == 1:
                out["type"] = rest[0]
            else:
                out["anyOf"] = [{"type": t} for t in rest]
            if "null" in value:
                out["nullable"] = True
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key in _OAS30_KEYWORDS or key.startswith("x-"):
            out[key] = value
        else:
            out["x-" + key] = value
    return out


def dump_openapi(oas: dict[str, Any]) -> str:
    """Serialise the document deterministically (sorted keys, two-space indent, newline)."""
    return json.dumps(oas, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
