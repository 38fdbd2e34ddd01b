"""Schemathesis against the committed, self-contained ``openapi/openapi.json``.

Every operation (41, execute endpoints included) gets a few generated requests,
derandomized (``make test`` is repeatable); each response is checked for server errors
(``not_a_server_error``: no 5xx) and against its documented schema
(``response_schema_conformance``). The app runs on an embedded engine in a temp folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.conftest import make_settings
from gsl_service.app import create_app
from hypothesis_profiles import examples

DOC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
#: Bounded: the schema's own example of each operation and a few generated requests;
#: no coverage phase (its hundreds of boundary cases per operation belong in `make fuzz`).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}}}
)
SCHEMA = schemathesis.openapi.from_path(DOC, config=CONFIG)


def test_the_document_is_valid_openapi_3_0() -> None:
    """openapi-spec-validator's check of the OpenAPI 3.0 document and its schemas (found
    with it: the OGC ``transmissionMode`` default written as a list, a string's default)."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    doc = json.loads(DOC.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.0")
    validate(doc)
    broken = json.loads(DOC.read_text(encoding="utf-8"))
    broken["components"]["schemas"]["ogc-transmissionMode"]["default"] = ["value"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # the validator would see the erratum the bundle mends


def test_the_document_has_no_external_reference() -> None:
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    refs.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(DOC.read_text()))
    assert refs and all(r.startswith("#/") for r in refs)
    operations = list(SCHEMA.get_all_operations())
    paths = json.loads(DOC.read_text())["paths"]
    assert len(operations) == sum(len(ops) for ops in paths.values())
    assert all(isinstance(op, Ok) for op in operations)  # every one loads: none unresolvable


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[object]:
    """The app with its engine running (the lifespan of a TestClient held open)."""
    the_app = create_app(make_settings(tmp_path_factory.mktemp("schemathesis")))
    with TestClient(the_app, raise_server_exceptions=False):
        yield the_app


@SCHEMA.parametrize()
@settings(
    max_examples=examples(3),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case, app) -> None:
    case.operation.schema.app = app  # schemathesis calls it in-process (its ASGI transport)
    case.call_and_validate(
        app=app,
        base_url="http://127.0.0.1:5000",
        checks=[not_a_server_error, response_schema_conformance],
    )
