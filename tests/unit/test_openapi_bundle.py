"""The OGC schemas bundled into the OpenAPI document: errata applied, no external $ref,
and a running service without the schema files reads them from the generated document."""

from __future__ import annotations

import json

import pytest

from gsl_service.ogc import bundle
from gsl_service.ogc.openapi import build_openapi


def _walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


@pytest.fixture(scope="module")
def schemas():
    directory = bundle.schema_dir()
    if directory is None:
        pytest.skip("no OGC schema files (../shared/ogc/processes-1.0)")
    return bundle.load_schemas(directory)


def test_every_schema_file_is_a_component_with_local_references(schemas) -> None:
    assert len(schemas) == 30  # the 30 files of OGC 18-062r2
    refs = list(_walk(schemas, "$ref"))
    assert refs and all(
        r.startswith("#/components/schemas/ogc-") for r in refs if isinstance(r, str)
    )
    for ref in refs:
        if isinstance(ref, str):
            assert ref.removeprefix("#/components/schemas/") in schemas


def test_errata(schemas) -> None:
    assert schemas["ogc-subscriber"]["required"] == ["successUri"]  # 1.0 said successUrl
    assert not list(_walk(schemas, "oneOf"))  # overlapping oneOf read as anyOf
    value = schemas["ogc-inputValueNoObject"]["anyOf"]
    assert {"type": "string"} in value and {"type": "integer"} in value
    assert schemas["ogc-execute"]["properties"]["response"]["default"] == "raw"


def test_the_document_is_self_contained() -> None:
    doc = build_openapi(generating=True)
    refs = list(_walk(doc, "$ref"))
    assert all(r.startswith("#/") for r in refs if isinstance(r, str))
    assert bundle._dangling(doc, doc) == set()
    post = doc["paths"]["/processes/echo/execution"]["post"]
    assert post["responses"]["201"] == {"$ref": "#/components/responses/ExecuteAsync"}
    async_schema = doc["components"]["responses"]["ExecuteAsync"]["content"]["application/json"]
    assert async_schema["schema"] == {"$ref": "#/components/schemas/ogc-statusInfo"}


def test_a_service_without_the_files_reads_the_generated_document(monkeypatch) -> None:
    monkeypatch.setattr(bundle, "schema_dir", lambda: None)
    with pytest.raises(bundle.SchemasNotFound):
        bundle.ogc_schemas(generating=True)  # generation never copies an older document
    found = bundle.ogc_schemas()
    committed = json.loads(bundle.GENERATED.read_text())["components"]["schemas"]
    assert found == {k: v for k, v in committed.items() if k.startswith("ogc-")}
    assert len(found) == 30


def test_an_unknown_external_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="no local component"):
        bundle.bundle({"paths": {"/x": {"$ref": "https://example.org/other.yaml"}}})
