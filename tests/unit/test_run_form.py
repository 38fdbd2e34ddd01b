"""The run form's fields against every process the registry describes.

Each input of a description gets exactly one field; the kind follows the declaration
(geo inputs → file/URL, enums → a list, numbers and integers → a number field with
the declared range, booleans → a check box, strings → text, the rest → a JSON box),
and required/default/range are the declared ones, not copies.
"""

from __future__ import annotations

import pytest

from gsl_indicators.core.spec import registry
from gsl_service.web.run_form import field_kind, form_fields

INDICATORS = list(registry())


def _expected_kind(p: object) -> str:
    enum = getattr(p, "enum", None)
    ptype = getattr(p, "type", None)
    if enum is not None:
        return "enum"
    if getattr(p, "annotation", None) is not None and getattr(p, "schema", None):
        return "json"  # a name or an inline table: alternatives (anyOf)
    return {"boolean": "boolean", "integer": "integer", "number": "number", "string": "text"}.get(
        str(ptype), "json"
    )


@pytest.mark.parametrize("ind", INDICATORS, ids=[i.id for i in INDICATORS])
def test_one_field_per_input_of_the_declared_kind(ind: object) -> None:
    desc = ind.describe()  # type: ignore[attr-defined]
    fields = form_fields(desc)
    assert [f["name"] for f in fields] == sorted(
        desc["inputs"], key=lambda n: field_kind(desc["inputs"][n]["schema"]) != "geo"
    )
    by_name = {f["name"]: f for f in fields}
    for gi in ind.inputs:  # type: ignore[attr-defined]
        f = by_name[gi.name]
        assert f["kind"] == "geo"
        assert f["geometry_types"] == list(gi.geometry_types)
        assert f["required"] is gi.required
    for p in ind.parameters:  # type: ignore[attr-defined]
        f = by_name[p.name]
        if f["kind"] == "json" and _expected_kind(p) == "text":
            continue  # a string parameter with a structured schema of its own
        assert f["kind"] == _expected_kind(p), p.name
        assert f["required"] is p.required, p.name
        if not p.required:
            assert f["default"] == p.default, p.name
        assert (f["minimum"], f["maximum"]) == (p.minimum, p.maximum), p.name
        if f["kind"] == "enum":
            assert f["options"] == list(p.enum), p.name


def test_green_3_30_300_fields_by_hand() -> None:
    """The 3-30-300 form: 7 layers, then e.g. tree_distance_m 1 … 200 m, default 30."""
    fields = form_fields(registry().get("green-3-30-300").describe())
    geo = [f["name"] for f in fields if f["kind"] == "geo"]
    assert geo == [
        "buildings",
        "trees",
        "canopy",
        "neighbourhoods",
        "parks",
        "canopy_extent",
        "network",
    ]
    by_name = {f["name"]: f for f in fields}
    td = by_name["tree_distance_m"]
    assert (td["kind"], td["default"], td["minimum"], td["maximum"], td["unit"], td["step"]) == (
        "number",
        30.0,
        1.0,
        200.0,
        "m",
        "any",
    )
    assert by_name["min_trees"]["step"] == "1"
    assert by_name["trees"]["alternatives"] == ["trees", "canopy"]
    assert by_name["network"]["used_when"] == {"distance_mode": "network"}
    assert by_name["walkable_highways"]["kind"] == "json"
    assert by_name["walkable_highways"]["default_text"].startswith('[\n  "footway"')
    assert by_name["merge_touching_parks"]["kind"] == "boolean"
