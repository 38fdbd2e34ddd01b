"""/processes (paging) and /processes/{id} (descriptions generated from the declarations)."""

from __future__ import annotations

import pytest

from api.helpers import assert_problem
from gsl_indicators.core.spec import registry

IDS = registry().ids()


def test_process_list_has_every_indicator(client):
    doc = client.get("/processes", params={"limit": 1000}).json()
    assert [p["id"] for p in doc["processes"]] == sorted(IDS)
    assert doc["numberMatched"] == len(IDS)
    for p in doc["processes"]:
        assert "inputs" not in p and "outputs" not in p
        assert p["jobControlOptions"] == ["sync-execute", "async-execute"]
        assert any(link["rel"] == "self" for link in p["links"])


def test_process_list_paging_links(client):
    seen = []
    r = client.get("/processes", params={"limit": 1})
    while True:
        doc = r.json()
        assert len(doc["processes"]) <= 1
        seen += [p["id"] for p in doc["processes"]]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        if not nxt:
            break
        r = client.get(nxt[0].removeprefix("http://127.0.0.1:5000"))
    assert seen == sorted(IDS)
    last = client.get("/processes", params={"limit": 1, "offset": len(IDS) - 1}).json()
    assert any(link["rel"] == "prev" for link in last["links"])


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "x"}, {"offset": -1}, {"offset": "y"}])
def test_process_list_bad_paging(client, params):
    name = next(iter(params))
    doc = assert_problem(client.get("/processes", params=params), 400, "invalid-parameter-value")
    assert doc["input"] == name


@pytest.mark.parametrize("pid", IDS)
def test_description_generated_from_declaration(client, pid):
    ind = registry().get(pid)
    r = client.get(f"/processes/{pid}")
    assert r.status_code == 200
    d = r.json()
    assert d["id"] == pid
    assert d["version"] == ind.version
    assert d["jobControlOptions"] == ["sync-execute", "async-execute"]
    assert ind.theme in d["keywords"]
    assert set(d["outputs"]) == {o.name for o in ind.all_outputs}
    for gi in ind.inputs:
        assert d["inputs"][gi.name]["minOccurs"] == (1 if gi.required else 0)
        assert d["inputs"][gi.name]["schema"]["properties"]["type"]["enum"] == ["FeatureCollection"]
    for p in ind.parameters:
        spec = d["inputs"][p.name]
        schema = spec["schema"]
        if not p.required:
            assert schema["default"] == p.default, p.name
        if p.minimum is not None:
            assert schema["minimum"] == p.minimum
        if p.maximum is not None:
            assert schema["maximum"] == p.maximum
        if p.enum is not None:
            assert schema["enum"] == list(p.enum)
        assert spec["minOccurs"] == (1 if p.required else 0)
    rels = {link["rel"] for link in d["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/execute" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/job-list" in rels


def test_unknown_process_description(client):
    assert_problem(client.get("/processes/no-such"), 404, "no-such-process", "no-such")
