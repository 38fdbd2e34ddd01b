"""Fuzzing the HTTP API with bad input: never a 5xx, never a lost job.

Requests are built by mutating each registered process's ``example`` inputs (a
required input dropped, a parameter of the wrong type or out of range, a geo input
that is not GeoJSON or has odd geometries, unknown input names) and by breaking the
execute envelope (``inputs``, ``outputs``, ``response``, ``subscriber``, the JSON
bytes). Every answer must be below 500; a 4xx must be an RFC 7807 problem document
with the OGC exception type and a detail (naming the input where one is at fault);
an asynchronous job must end ``successful`` or ``failed``, and a failure must be a
problem document naming the input, not a Python traceback. The job endpoints get
random ids and random job-list filters.

The catalogues of bad values are plain lists (``GEO_JUNK``, ``PARAM_JUNK``) so a
failing case is easy to read and to replay.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geojson_helpers
from api.helpers import OGC_EXC, TERMINAL
from geojson_helpers import box, feature, point
from gsl_indicators.core.spec import Indicator, Parameter, registry
from gsl_service.ogc import route_parameters
from hypothesis_profiles import examples

BASE = "http://127.0.0.1:5000"
PROCESSES = [ind for ind in registry() if ind.example]
PROCESS_IDS = [ind.id for ind in PROCESSES]
FUZZ = settings(
    max_examples=examples(80),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JOB_TIMEOUT_S = 60.0

# ------------------------------------------------------------------ bad geo inputs

X, Y = 121000.0, 487000.0  # RD New, where the examples are
#: The cases below write RD New positions (X, Y), not local grid metres.
fc = partial(geojson_helpers.fc, origin=None)
_RING_OPEN = [[X, Y], [X + 10, Y], [X + 10, Y + 10], [X, Y + 10]]

#: (label, value) pairs: things given where a GeoJSON FeatureCollection is expected.
GEO_JUNK: list[tuple[str, Any]] = [
    ("number", 42),
    ("string", "FeatureCollection"),
    ("list", [1, 2, 3]),
    ("true", True),
    ("empty object", {}),
    ("no features", {"type": "FeatureCollection"}),
    ("features null", {"type": "FeatureCollection", "features": None}),
    ("features a string", {"type": "FeatureCollection", "features": "abc"}),
    ("features an object", {"type": "FeatureCollection", "features": {"a": 1}}),
    ("empty collection", fc()),
    ("a Feature", feature(point(X, Y))),
    ("a bare geometry", point(X, Y)),
    ("features not objects", fc(1, "x", None)),  # type: ignore[arg-type]
    ("feature without geometry", fc({"type": "Feature", "properties": {}})),
    ("null geometry", fc(feature(None))),
    ("null and good geometry", fc(feature(None), feature(point(X, Y)))),
    ("geometry a list", fc({"type": "Feature", "geometry": [X, Y], "properties": {}})),
    ("geometry a string", fc({"type": "Feature", "geometry": "POINT(1 2)", "properties": {}})),
    ("unknown geometry type", fc(feature({"type": "Blob", "coordinates": [X, Y]}))),
    ("geometry type missing", fc(feature({"coordinates": [X, Y]}))),
    ("geometry type a number", fc(feature({"type": 7, "coordinates": [X, Y]}))),
    ("empty point", fc(feature({"type": "Point", "coordinates": []}))),
    ("point without coordinates", fc(feature({"type": "Point"}))),
    ("empty polygon", fc(feature({"type": "Polygon", "coordinates": []}))),
    ("empty multipolygon", fc(feature({"type": "MultiPolygon", "coordinates": []}))),
    ("empty linestring", fc(feature({"type": "LineString", "coordinates": []}))),
    ("empty geometry collection", fc(feature({"type": "GeometryCollection", "geometries": []}))),
    (
        "geometry collection",
        fc(feature({"type": "GeometryCollection", "geometries": [point(X, Y)]})),
    ),
    ("coordinates as strings", fc(feature({"type": "Point", "coordinates": [str(X), str(Y)]}))),
    (
        "strings, no crs",
        fc(feature({"type": "Point", "coordinates": ["a", "b"]}), crs=None),
    ),
    ("geometry a list, no crs", fc({"type": "Feature", "geometry": [1, 2]}, crs=None)),
    ("coordinates null", fc(feature({"type": "Point", "coordinates": None}))),
    ("coordinates a number", fc(feature({"type": "Point", "coordinates": 5}))),
    ("coordinates nested too deep", fc(feature({"type": "Point", "coordinates": [[X, Y]]}))),
    ("one coordinate", fc(feature({"type": "Point", "coordinates": [X]}))),
    ("3D point", fc(feature({"type": "Point", "coordinates": [X, Y, 3.0]}))),
    (
        "3D polygon",
        fc(
            feature(
                {"type": "Polygon", "coordinates": [[[*p, 1.0] for p in [*_RING_OPEN, [X, Y]]]]}
            )
        ),
    ),
    (
        "mixed 2D/3D points",
        fc(feature(point(X, Y)), feature({"type": "Point", "coordinates": [X, Y, 1]})),
    ),
    ("unclosed ring", fc(feature({"type": "Polygon", "coordinates": [_RING_OPEN]}))),
    ("ring of two points", fc(feature({"type": "Polygon", "coordinates": [[[X, Y], [X, Y]]]}))),
    ("polygon of strings", fc(feature({"type": "Polygon", "coordinates": [["a", "b", "c", "a"]]}))),
    (
        "self-intersecting ring",
        fc(
            feature(
                {
                    "type": "Polygon",
                    "coordinates": [[[X, Y], [X + 10, Y + 10], [X + 10, Y], [X, Y + 10], [X, Y]]],
                }
            )
        ),
    ),
    (
        "zero-area polygon",
        fc(
            feature(
                {"type": "Polygon", "coordinates": [[[X, Y], [X + 10, Y], [X + 20, Y], [X, Y]]]}
            )
        ),
    ),
    ("linestring of one point", fc(feature({"type": "LineString", "coordinates": [[X, Y]]}))),
    ("polygons", fc(feature(box(X, Y, X + 20, Y + 20), dwellings=3))),
    ("points", fc(feature(point(X, Y), dwellings=3), feature(point(X + 5, Y + 5)))),
    ("lines", fc(feature({"type": "LineString", "coordinates": [[X, Y], [X + 50, Y]]}))),
    (
        "WGS84 in Australia",
        fc(feature(point(150.0, -30.0)), feature(point(150.1, -30.1)), crs=None),
    ),
    ("WGS84 Null Island", fc(feature(point(0.0, 0.0)), crs=None)),
    ("WGS84 out of range", fc(feature(point(400.0, 100.0)), crs=None)),
    ("RD far away", fc(feature(point(9e6, -9e6)))),
    ("huge coordinates", fc(feature(point(1e300, 1e300)))),
    ("mixed CRS guesses", fc(feature(point(4.9, 52.3)), feature(point(X, Y)), crs=None)),
    (
        "unknown crs",
        {
            **fc(feature(point(X, Y))),
            "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
        },
    ),
    ("crs a string", {**fc(feature(point(X, Y))), "crs": "EPSG:28992"}),
    ("crs without name", {**fc(feature(point(X, Y))), "crs": {"type": "name", "properties": {}}}),
    ("properties a list", fc({"type": "Feature", "geometry": point(X, Y), "properties": [1]})),
    (
        "odd property values",
        fc(feature(point(X, Y), dwellings="many", dwelling_type=5, type={"a": 1})),
    ),
    ("negative dwellings", fc(feature(point(X, Y), dwellings=-5))),
    ("huge dwellings", fc(feature(point(X, Y), dwellings=1e300))),
    (
        "id an object",
        fc({"type": "Feature", "id": {"a": 1}, "geometry": point(X, Y), "properties": {}}),
    ),
    ("href to nowhere", {"href": "http://127.0.0.1:9/nothing.geojson"}),
    ("href not a URL", {"href": "not a url"}),
    ("href a number", {"href": 5}),
    ("href file", {"href": "file:///etc/passwd"}),
    ("value wrapper", {"value": fc(feature(point(X, Y)))}),
]

# ------------------------------------------------------------------ bad parameters

#: (label, value) pairs given in place of a parameter's value.
PARAM_JUNK: list[tuple[str, Any]] = [
    ("text", "abc"),
    ("empty string", ""),
    ("NaN string", "NaN"),
    ("nan string", "nan"),
    ("Infinity string", "Infinity"),
    ("-inf string", "-inf"),
    ("huge number", 1e308),
    ("huge negative", -1e308),
    ("big integer", 2**62),
    ("negative", -1),
    ("zero", 0),
    ("fraction", 0.5),
    ("true", True),
    ("null", None),
    ("list", [1, [2]]),
    ("empty list", []),
    ("nested object", {"a": {"b": [1, {"c": None}]}}),
    ("empty object", {}),
    ("number string", "12"),
    ("unicode", "\u00e9\u2603\x00"),
]


def _bounds_junk(p: Parameter) -> list[tuple[str, Any]]:
    """Values just outside the declared range and enum of ``p``."""
    out: list[tuple[str, Any]] = []
    if p.minimum is not None:
        out.append(("below minimum", p.minimum - 1))
    if p.maximum is not None:
        out.append(("above maximum", p.maximum * 10 + 1))
    if p.enum is not None:
        out.append(("not in enum", "no-such-value"))
    if p.type in ("array", "object"):
        out += [
            ("array of junk", [None, 1, "x", {"a": []}]),
            ("object of junk", {"x": None, "y": [1], "z": {"w": "NaN"}}),
        ]
    return out


def _structured_junk(p: Parameter) -> list[tuple[str, Any]]:
    """Odd items inside a valid-looking array/object default of ``p``."""
    d = p.default
    out: list[tuple[str, Any]] = []
    if isinstance(d, list) and d:
        out.append(("list item replaced", [{"x": 1}, *d[1:]]))
        out.append(("list item null", [None, *d[1:]]))
    if isinstance(d, dict) and d:
        k = next(iter(d))
        out.append(("object member null", {**d, k: None}))
        out.append(("object member text", {**d, k: "abc"}))
        out.append(("object member nested", {**d, k: {"deep": {"er": [1, 2]}}}))
    return out


# ------------------------------------------------------------------ mutations


Mutation = tuple[str, str | None, dict[str, Any]]  # (what, input at fault, inputs)
#: Parameters whose valid values make a run slow on purpose (echo's pause in seconds).
SLOW = {"pause"}


def _slow_but_valid(p: Parameter, value: Any) -> bool:
    """Whether ``value`` would pass validation and make ``p`` (in SLOW) wait."""
    if p.name not in SLOW or isinstance(value, list | dict) or value is None:
        return False
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return 0 < v <= (p.maximum if p.maximum is not None else math.inf)


def _example(ind: Indicator) -> dict[str, Any]:
    return copy.deepcopy(dict(ind.example or {}))


def mutations(ind: Indicator) -> list[Mutation]:
    """Every deterministic bad-input mutation of ``ind``'s example."""
    out: list[Mutation] = []
    for gi in ind.inputs:
        if gi.required:
            ex = _example(ind)
            ex.pop(gi.name, None)
            out.append((f"drop {gi.name}", gi.name, ex))
            ex = _example(ind)
            ex[gi.name] = None
            out.append((f"{gi.name} null", gi.name, ex))
        for label, junk in GEO_JUNK:
            ex = _example(ind)
            ex[gi.name] = copy.deepcopy(junk)
            out.append((f"{gi.name}: {label}", gi.name, ex))
    for p in ind.parameters:
        if p.required:
            ex = _example(ind)
            ex.pop(p.name, None)
            out.append((f"drop {p.name}", p.name, ex))
        for label, junk in PARAM_JUNK + _bounds_junk(p) + _structured_junk(p):
            if _slow_but_valid(p, junk):
                continue
            ex = _example(ind)
            ex[p.name] = copy.deepcopy(junk)
            out.append((f"{p.name}: {label}", p.name, ex))
    for name in ("no_such_input", "Buildings", "", "inputs", "__proto__"):
        ex = _example(ind)
        ex[name] = 1
        out.append((f"unknown input {name!r}", name, ex))
    return out


def _geo_names(ind: Indicator) -> list[str]:
    return [gi.name for gi in ind.inputs]


# ------------------------------------------------------------------ assertions


def _path(url: str) -> str:
    return url.removeprefix(BASE)


def check_problem(r: Any, fault: str | None, what: str) -> dict[str, Any]:
    """Assert a 4xx problem document (OGC type, detail, the input at fault)."""
    assert 400 <= r.status_code < 500, (what, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), (what, r.headers)
    doc = r.json()
    return check_problem_doc(doc, fault, what, r.status_code)


def check_problem_doc(
    doc: dict[str, Any], fault: str | None, what: str, status: int | None = None
) -> dict[str, Any]:
    """Assert the members of a problem document (also a failed job's results)."""
    assert isinstance(doc.get("type"), str), (what, doc)
    assert doc["type"].startswith(OGC_EXC), (what, doc)
    assert isinstance(doc.get("detail"), str) and doc["detail"].strip(), (what, doc)
    assert "Traceback" not in doc["detail"], (what, doc)
    if status is not None:
        assert doc["status"] == status, (what, doc)
    if fault is not None and doc["status"] == 400 and doc["type"].endswith("parameter-value"):
        # the input at fault is named; where a rule ties two inputs (class limits must
        # descend, walkable_highways leaving no network) the other may be `input`
        assert isinstance(doc.get("input"), str), (what, doc)
        assert doc["input"] == fault or fault in doc["detail"], (what, doc)
    return doc


def post(client: Any, pid: str, body: Any, asynchronous: bool = False) -> Any:
    """POST an execute request; ``body`` bytes are sent as they are."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": "application/json"}
    if asynchronous:
        headers["Prefer"] = "respond-async"
    return client.post(f"/processes/{pid}/execution", content=content, headers=headers)


def wait_final(client: Any, location: str, what: str) -> dict[str, Any]:
    """Poll a job until it is final; fail if it stays accepted/running too long."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        r = client.get(location)
        assert r.status_code == 200, (what, r.text)
        info = r.json()
        if info["status"] in TERMINAL:
            return info
        assert time.monotonic() < deadline, (what, f"job still {info['status']}", info)
        time.sleep(0.02)


def check_answer(
    client: Any, r: Any, fault: str | None, what: str, asynchronous: bool = False
) -> None:
    """The contract for any answer to a (possibly bad) execute request."""
    assert r.status_code < 500, (what, r.status_code, r.text)
    if r.status_code >= 400:
        check_problem(r, fault, what)
        return
    if not asynchronous:
        assert r.status_code == 200, (what, r.status_code, r.text)
        return
    assert r.status_code == 201, (what, r.status_code, r.text)
    location = _path(r.headers["location"])
    info = wait_final(client, location, what)
    assert info["status"] in ("successful", "failed"), (what, info)
    res = client.get(location + "/results")
    if info["status"] == "successful":
        assert res.status_code == 200, (what, res.text)
        return
    assert res.status_code < 500, (what, info, res.text)
    assert res.headers["content-type"].startswith("application/problem+json"), (what, res.headers)
    check_problem_doc(res.json(), fault, what)


def run_mutation(client: Any, pid: str, m: Mutation, asynchronous: bool = False) -> None:
    what, fault, inputs = m
    what = f"{pid} {'async' if asynchronous else 'sync'}: {what}"
    r = post(client, pid, {"inputs": inputs}, asynchronous)
    check_answer(client, r, fault, what, asynchronous)


# ------------------------------------------------------------------ the tests

ALL_MUTATIONS = [(ind.id, m) for ind in PROCESSES for m in mutations(ind)]


@settings(FUZZ, max_examples=examples(150))
@given(case=st.sampled_from(ALL_MUTATIONS))
def test_mutated_inputs_sync(client: Any, case: tuple[str, Mutation]) -> None:
    """A mutated example executed synchronously: 200 or a 4xx problem naming the input."""
    pid, m = case
    run_mutation(client, pid, m)


@FUZZ
@given(case=st.sampled_from(ALL_MUTATIONS))
def test_mutated_inputs_async(client: Any, case: tuple[str, Mutation]) -> None:
    """A mutated example executed asynchronously: 4xx at once, or a job that ends."""
    pid, m = case
    run_mutation(client, pid, m, asynchronous=True)


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_json = st.recursive(
    _json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _random_value_case(draw: Callable[..., Any]) -> tuple[str, Mutation]:
    ind = draw(st.sampled_from(PROCESSES))
    names = [*_geo_names(ind), *(p.name for p in ind.parameters if p.name not in SLOW)]
    name = draw(st.sampled_from(names))
    value = draw(_json)
    inputs = _example(ind)
    inputs[name] = value
    return ind.id, (f"{name} = {value!r}", name, inputs)


@FUZZ
@given(case=_random_value_case(), asynchronous=st.booleans())
def test_random_values(client: Any, case: tuple[str, Mutation], asynchronous: bool) -> None:
    """Any JSON value in place of any input (geo or parameter)."""
    pid, m = case
    run_mutation(client, pid, m, asynchronous)


# ------------------------------------------------------------------ regressions

_ZERO_AREA = fc(feature({"type": "Polygon", "coordinates": [[[X, Y], [X + 9, Y], [X, Y]]]}))

#: Bad inputs that gave a 500 (or a failure naming the wrong input) before they were
#: fixed: (process, input, value, the input the 400 must name).
REGRESSIONS: list[tuple[str, str, Any, str]] = [
    ("urbanity-class", "addresses", {"type": "FeatureCollection", "features": {}}, "addresses"),
    ("green-per-dwelling", "buildings", dict(GEO_JUNK)["properties a list"], "buildings"),
    ("urbanity-class", "addresses", dict(GEO_JUNK)["strings, no crs"], "addresses"),
    ("urbanity-class", "addresses", dict(GEO_JUNK)["geometry a list, no crs"], "addresses"),
    ("heat", "public_space", _ZERO_AREA, "public_space"),
    ("parking-pressure", "zones", _ZERO_AREA, "zones"),
    ("housing-capacity", "neighbourhoods", _ZERO_AREA, "neighbourhoods"),
    ("housing-capacity", "neighbourhoods", fc(), "neighbourhoods"),
    ("housing-capacity", "constraints", [None], "constraints"),
    ("housing-capacity", "constraints", [["parking-pressure"]], "constraints"),
    ("housing-capacity", "new_dwelling_type", "castle", "new_dwelling_type"),
    ("proximity-facilities", "visit_weights", {"supermarket": "often"}, "visit_weights"),
    ("proximity-facilities", "visit_weights", {"supermarket": None}, "visit_weights"),
    ("proximity-facilities", "facility_types", [], "facility_types"),
    ("urbanity-class", "class_1_min", 0, "class_2_min"),
]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("pid", "name", "value", "named"),
    REGRESSIONS,
    ids=[f"{r[0]}-{r[1]}-{i}" for i, r in enumerate(REGRESSIONS)],
)
def test_regressions(
    client: Any, pid: str, name: str, value: Any, named: str, asynchronous: bool
) -> None:
    """Each once a 500 or a traceback: now a 400 (or failed job) naming the input."""
    ind = registry().get(pid)
    inputs = {**_example(ind), name: value}
    r = post(client, pid, {"inputs": inputs}, asynchronous)
    if asynchronous and r.status_code == 201:
        location = _path(r.headers["location"])
        info = wait_final(client, location, pid)
        assert info["status"] == "failed", info
        r = client.get(location + "/results")
    assert r.status_code == 400, r.text
    doc = check_problem(r, name, pid)
    assert doc["type"] == OGC_EXC + "invalid-parameter-value"
    assert doc["input"] == named, doc
    assert name in doc["detail"], doc


# ------------------------------------------------------------------ the envelope

ENVELOPES: list[tuple[str, str | None, Any]] = [
    ("inputs a list", "inputs", {"inputs": [1, 2]}),
    ("inputs a string", "inputs", {"inputs": "x"}),
    ("inputs a number", "inputs", {"inputs": 3}),
    ("body a list", "inputs", [{"inputs": {}}]),
    ("body a string", "inputs", "inputs"),
    ("body null", "inputs", None),
    ("outputs unknown id", "outputs", {"outputs": {"no_such_output": {}}}),
    ("outputs a string", "outputs", {"outputs": "everything"}),
    ("outputs a number", "outputs", {"outputs": 5}),
    ("outputs list of junk", "outputs", {"outputs": [None, {"a": 1}]}),
    (
        "outputs reference mode",
        "outputs",
        {"outputs": {"__first__": {"transmissionMode": "reference"}}},
    ),
    ("outputs mode junk", "outputs", {"outputs": {"__first__": {"transmissionMode": [1]}}}),
    ("outputs format junk", "outputs", {"outputs": {"__first__": {"format": 5}}}),
    ("response odd", "response", {"response": "everything"}),
    ("response number", "response", {"response": 1}),
    ("response null", "response", {"response": None}),
    ("response list", "response", {"response": ["raw"]}),
    ("response raw", None, {"response": "raw"}),
    ("subscriber a string", "subscriber", {"subscriber": "http://example.org"}),
    ("subscriber a list", "subscriber", {"subscriber": ["http://example.org"]}),
    ("subscriber ftp", "subscriber", {"subscriber": {"successUri": "ftp://x/y"}}),
    ("subscriber number", "subscriber", {"subscriber": {"successUri": 5}}),
    ("subscriber no scheme", "subscriber", {"subscriber": {"failedUri": "example.org/cb"}}),
    ("subscriber unicode host", "subscriber", {"subscriber": {"successUri": "http://\u2603\x00/"}}),
    (
        "subscriber bad port",
        "subscriber",
        {"subscriber": {"successUri": "http://127.0.0.1:99999/x"}},
    ),
    ("subscriber empty host", "subscriber", {"subscriber": {"inProgressUri": "http:///x"}}),
    ("subscriber empty", None, {"subscriber": {}}),
    ("mode unknown", None, {"mode": "sideways"}),
]

MALFORMED_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("blank", b"  \n"),
    ("truncated", b'{"inputs": {"message": '),
    ("trailing comma", b'{"inputs": {},}'),
    ("single quotes", b"{'inputs': {}}"),
    ("NaN literal", b'{"inputs": {"pause": NaN}}'),
    ("Infinity literal", b'{"inputs": {"radius_m": Infinity}}'),
    ("huge integer", b'{"inputs": {"radius_m": 1' + b"0" * 40 + b"}}"),
    ("deep nesting", b'{"inputs": ' + b"[" * 2000 + b"]" * 2000 + b"}"),
    ("invalid utf-8", b'{"inputs": {"message": "\xff\xfe"}}'),
    ("utf-16 BOM", "\ufeff{}".encode("utf-16")),
    ("lone surrogate", b'{"inputs": {"message": "\\ud800"}}'),
    ("binary", bytes(range(256))),
    ("duplicate keys", b'{"inputs": {}, "inputs": 5}'),
]


def _envelope_body(ind: Indicator, extra: Any) -> Any:
    if not isinstance(extra, dict):
        return extra
    body: dict[str, Any] = {"inputs": _example(ind), **copy.deepcopy(extra)}
    outputs = body.get("outputs")
    if isinstance(outputs, dict) and "__first__" in outputs:
        body["outputs"] = {ind.all_outputs[0].name: outputs["__first__"]}
    return body


@FUZZ
@given(
    ind=st.sampled_from(PROCESSES),
    case=st.sampled_from(ENVELOPES),
    asynchronous=st.booleans(),
)
def test_bad_envelope(
    client: Any, ind: Indicator, case: tuple[str, str | None, Any], asynchronous: bool
) -> None:
    """``inputs`` not an object, unknown ``outputs``, odd ``response``, bad ``subscriber``."""
    what, fault, extra = case
    r = post(client, ind.id, _envelope_body(ind, extra), asynchronous)
    check_answer(client, r, fault, f"{ind.id}: {what}", asynchronous)


@pytest.mark.parametrize("asynchronous", [False, True])
@pytest.mark.parametrize(("what", "body"), MALFORMED_BODIES, ids=[m[0] for m in MALFORMED_BODIES])
def test_malformed_json(client: Any, what: str, body: bytes, asynchronous: bool) -> None:
    """Bytes that are not a JSON execute request: a 400 problem document at once."""
    r = post(client, "echo", body, asynchronous)
    assert r.status_code < 500, (what, r.text)
    if r.status_code != 201:
        check_problem(r, None, what)
    else:
        check_answer(client, r, None, what, asynchronous)


@FUZZ
@given(body=st.binary(max_size=64), pid=st.sampled_from(["echo", *PROCESS_IDS[:3]]))
def test_random_bytes(client: Any, body: bytes, pid: str) -> None:
    """Random bytes as the request body."""
    r = post(client, pid, body)
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        check_problem(r, None, repr(body))


# ------------------------------------------------------------------ job endpoints

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=24,
)
_job_ids = st.one_of(
    _text.filter(lambda s: s.strip() and "/" not in s and s not in (".", "..")),
    st.uuids().map(str),
    st.just("0" * 32),
    st.just("a" * 5000),
)


@FUZZ
@given(job_id=_job_ids, suffix=st.sampled_from(["", "/results", "?f=html", "?f=xml"]))
def test_random_job_ids(client: Any, job_id: str, suffix: str) -> None:
    """Unknown job ids: 404 ``no-such-job`` (or a problem document), never a 5xx."""
    for method in ("GET", "DELETE"):
        r = client.request(method, f"/jobs/{quote(job_id, safe='')}{suffix}")
        assert r.status_code < 500, (method, job_id, suffix, r.text)
        if r.status_code >= 400 and "html" not in suffix:
            check_problem(r, None, f"{method} {job_id!r}{suffix}")


_instant = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.just(".."),
    st.just(""),
    _text,
    st.sampled_from(["2024-13-45T99:99:99Z", "9999-12-31T23:59:59Z", "0001-01-01", "now"]),
)
_number_text = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(str),
    _text,
    st.sampled_from(["", "-1", "0", "NaN", "inf", "1e999", "0x10", "PT5S"]),
)
_filters = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(
            st.sampled_from(["accepted", "running", "successful", "failed", "dismissed"]),
            _text,
        ),
        "processID": st.one_of(st.sampled_from(PROCESS_IDS), _text),
        "type": st.one_of(st.just("process"), _text),
        "datetime": st.one_of(
            _instant,
            st.tuples(_instant, _instant).map("/".join),
            st.tuples(_instant, _instant, _instant).map("/".join),
        ),
        "minDuration": _number_text,
        "maxDuration": _number_text,
        "limit": _number_text,
        "offset": _number_text,
        "f": st.sampled_from(["json", "html", "xml", "", "JSON"]),
    },
)


@FUZZ
@given(params=_filters)
def test_job_list_filters(client: Any, params: dict[str, str]) -> None:
    """``/jobs`` with random filter and paging values: 200 or a 400 problem document."""
    r = client.get("/jobs", params=params)
    assert r.status_code < 500, (params, r.text)
    html = params.get("f") == "html"  # an HTML client gets an HTML error page
    if r.status_code >= 400 and not html:
        check_problem(r, None, repr(params))
    elif r.status_code == 200 and params.get("f", "json") in ("json", "JSON", ""):
        doc = r.json()
        assert isinstance(doc["jobs"], list)
        limit = params.get("limit", "")
        if limit.isdigit() and 0 < int(limit) < 10_000:
            assert len(doc["jobs"]) <= int(limit)


def test_every_process_has_mutations() -> None:
    """Sanity: the catalogues cover every process, geo input and parameter."""
    covered = {(pid, m[1]) for pid, m in ALL_MUTATIONS}
    for ind in PROCESSES:
        for name in [*_geo_names(ind), *(p.name for p in ind.parameters)]:
            assert (ind.id, name) in covered


HUGE_DWELLINGS = [
    (pid, m)
    for pid, m in ALL_MUTATIONS
    if m[0] in ("buildings: huge dwellings", "dwellings: huge dwellings")
]


@pytest.mark.parametrize(("pid", "mutation"), HUGE_DWELLINGS, ids=[p for p, _ in HUGE_DWELLINGS])
def test_a_home_of_1e300_dwellings_answers_without_a_500(
    client: Any, pid: str, mutation: Mutation
) -> None:
    """Found by ``make fuzz``: a count beyond the 64-bit integers once reached canonical
    JSON as an int (which it cannot write: a 500); such whole numbers are floats."""
    run_mutation(client, pid, mutation)
    if pid == "green-per-dwelling":
        run_mutation(client, pid, mutation, asynchronous=True)


def test_the_huge_dwellings_cases_are_there() -> None:
    assert len(HUGE_DWELLINGS) >= 5 and "green-per-dwelling" in dict(HUGE_DWELLINGS)


_ROUTES_AND_PARAMETERS = [
    ("/", route_parameters.DOCUMENT),
    ("/processes", route_parameters.PROCESS_LIST),
    (f"/processes/{PROCESS_IDS[0]}", route_parameters.DOCUMENT),
    ("/jobs", route_parameters.JOB_LIST),
    ("/jobs/no-such-job", route_parameters.DOCUMENT),
    ("/menukaart", route_parameters.DOCUMENT),
]


@FUZZ
@given(
    route=st.sampled_from(_ROUTES_AND_PARAMETERS),
    name=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30),
    value=_text,
)
def test_a_query_parameter_a_route_does_not_take(
    client: Any, route: tuple[str, frozenset[str]], name: str, value: str
) -> None:
    """Any name a route does not take is a 400 whose ``input`` names it, never ignored."""
    path, known = route
    r = client.get(path, params={name: value})
    if name in known:
        assert r.status_code < 500, (path, name, r.text)
        return
    doc = check_problem(r, None, f"{path}?{name}=")
    assert r.status_code == 400, (path, name, doc)
    assert doc["input"] == name[:60], (path, name, doc)
