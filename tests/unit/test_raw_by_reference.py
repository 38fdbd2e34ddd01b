"""``response: raw`` with every selected output by reference: links alone, or the value.

OGC /req/core/job-creation-sync-raw-ref wants a 204 with a ``Link`` header per output.
Where an output cannot be linked — absent from the document, or stored in the older
bare shape (a FeatureCollection, not a qualified value) — the answer is the value as
before, never a 204 that leaves the output out.
"""

from __future__ import annotations

import orjson

from gsl_indicators.core.spec import registry
from gsl_service.ogc.execute import ExecuteRequest, ResultLinks, shape_response

FC = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {"n": 1}}]}  # fmt: skip
LINKS = ResultLinks("http://h", "j1", inline_max=10)
GREEN = registry().get("green-3-30-300")


def _raw(*names: str) -> ExecuteRequest:
    outputs = {n: {"transmissionMode": "reference"} for n in names}
    return ExecuteRequest(inputs={}, outputs=outputs, response="raw", subscriber=None, asynchronous=False)  # fmt: skip


def test_qualified_outputs_are_links_alone() -> None:
    doc = {n: {"mediaType": "application/geo+json", "value": FC} for n in ("buildings", "neighbourhoods")}  # fmt: skip
    answer = shape_response(GREEN, _raw("buildings", "neighbourhoods"), orjson.dumps(doc), LINKS)
    assert answer.content == b""
    assert answer.links == (
        '<http://h/jobs/j1/results/buildings?f=flatgeobuf>; rel="enclosure"; type="application/flatgeobuf"; title="buildings"',
        '<http://h/jobs/j1/results/neighbourhoods?f=flatgeobuf>; rel="enclosure"; type="application/flatgeobuf"; title="neighbourhoods"',
    )  # fmt: skip


def test_an_output_that_cannot_be_linked_is_answered_as_before() -> None:
    bare = {"buildings": FC}  # a result stored before outputs were qualified values
    answer = shape_response(GREEN, _raw("buildings"), orjson.dumps(bare), LINKS)
    assert answer.links == () and orjson.loads(answer.content) == FC
    absent = {"neighbourhoods": {"mediaType": "application/geo+json", "value": FC}}
    answer = shape_response(GREEN, _raw("buildings", "neighbourhoods"), orjson.dumps(absent), LINKS)
    assert answer.links == () and answer.content  # the document, no link left out


def test_without_a_recorded_job_there_is_nothing_to_link() -> None:
    doc = {"buildings": {"mediaType": "application/geo+json", "value": FC}}
    answer = shape_response(GREEN, _raw("buildings"), orjson.dumps(doc), None)
    assert answer.links == () and orjson.loads(answer.content) == FC
