"""Definition → OGC process description and execute-request schema, for every indicator."""

from __future__ import annotations

import jsonschema
import pytest

from gsl_indicators.core.spec import Indicator, Output, Parameter, registry
from gsl_service.ogc.openapi import execute_request_schema, oas30_schema
from gsl_service.ogc.processor import IndicatorProcessor

IDS = registry().ids()


def _toy() -> Indicator:
    return Indicator(
        id="toy",
        version="2.1.0",
        title={"nl": "Speelgoed", "en": "Toy"},
        description={"nl": "Een test.", "en": "A test."},
        theme="test",
        method="Adds one.",
        compute=lambda layers, params, ctx: {"y": params["x"] + 1},
        parameters=(
            Parameter("x", "X", "The number.", "number", 1.5, 0.0, 10.0, unit="m"),
            Parameter("mode", "Mode", "How.", "string", "fast", enum=("fast", "slow")),
            Parameter("name", "Name", "Who.", "string", required=True),
        ),
        outputs=(Output("y", "Y", "x + 1.", {"type": "number"}),),
        keywords=("toy",),
        geo=False,
        example={"name": "n"},
    )


def test_toy_description_by_hand():
    d = _toy().describe()
    assert d["id"] == "toy" and d["version"] == "2.1.0"
    assert d["title"] == "Toy" and d["description"] == "A test."
    assert d["keywords"] == ["test", "toy"]
    assert d["jobControlOptions"] == ["sync-execute", "async-execute"]
    assert d["outputTransmission"] == ["value", "reference"]  # value and reference (links)
    assert d["inputs"]["x"]["schema"] == {
        "type": "number",
        "default": 1.5,
        "minimum": 0.0,
        "maximum": 10.0,
    }
    assert d["inputs"]["x"]["x-unit"] == "m"  # beside the schema: schema.yaml has no x- keys
    assert d["inputs"]["x"]["minOccurs"] == 0 and d["inputs"]["x"]["maxOccurs"] == 1
    assert d["inputs"]["mode"]["schema"]["enum"] == ["fast", "slow"]
    assert d["inputs"]["name"]["minOccurs"] == 1
    assert "default" not in d["inputs"]["name"]["schema"]
    assert d["outputs"]["y"]["schema"]["type"] == "number"
    assert d["example"] == {"inputs": {"name": "n"}}


def test_toy_execute_request_schema():
    s = execute_request_schema(_toy())
    assert s["required"] == ["inputs"]
    inputs = s["properties"]["inputs"]
    assert inputs["required"] == ["name"]
    assert inputs["additionalProperties"] is False
    v = jsonschema.Draft7Validator(s)
    assert v.is_valid({"inputs": {"name": "a", "x": 3}})
    assert not v.is_valid({"inputs": {"name": "a", "x": 11}})  # above maximum
    assert not v.is_valid({"inputs": {"name": "a", "mode": "medium"}})  # not in enum
    assert not v.is_valid({"inputs": {"x": 1}})  # name missing


@pytest.mark.parametrize("pid", IDS)
def test_every_parameter_is_an_input_with_its_schema(pid):
    ind = registry().get(pid)
    d = ind.describe()
    assert d["id"] == pid and d["version"] == ind.version
    assert d["jobControlOptions"] == ["sync-execute", "async-execute"]
    assert ind.theme in d["keywords"]
    assert set(d["inputs"]) == {i.name for i in ind.inputs} | {p.name for p in ind.parameters}
    for p in ind.parameters:
        schema = d["inputs"][p.name]["schema"]
        assert p.required or "default" in schema, p.name
        assert (
            p.required
            or p.type in ("object", "array", "boolean")
            or p.enum is not None
            or "minimum" in schema
            or p.type == "string"
        ), f"{pid}.{p.name} has neither a range nor an enum"
    for link in d["links"]:
        assert link["rel"] == "cite-as" and link["href"].startswith("http")


@pytest.mark.parametrize("pid", IDS)
def test_example_satisfies_generated_request_schema(pid):
    ind = registry().get(pid)
    if not ind.example:
        pytest.skip(f"{pid} declares no example")
    schema = execute_request_schema(ind)
    jsonschema.Draft7Validator(schema).validate({"inputs": dict(ind.example)})


@pytest.mark.parametrize("pid", IDS)
def test_processor_plugin_carries_the_description(pid):
    proc = IndicatorProcessor({"name": "gsl", "indicator": pid})
    assert proc.metadata == registry().get(pid).describe()


def test_oas30_schema_conversion():
    s = {
        "type": ["number", "null"],
        "exclusiveMinimum": 0,
        "contentMediaType": "application/json",
        "properties": {"type": {"type": "string"}},
    }
    assert oas30_schema(s) == {
        "type": "number",
        "nullable": True,
        "minimum": 0,
        "exclusiveMinimum": True,
        "x-contentMediaType": "application/json",
        "properties": {"type": {"type": "string"}},
    }
