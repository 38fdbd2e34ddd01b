"""Prefer parsing, problem documents and the execute envelope, without HTTP."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.spec import InputError, registry
from gsl_service.errors import InvalidInput, NoSuchJob
from gsl_service.ogc.execute import parse_execute_request
from gsl_service.ogc.prefer import parse_prefer, wants_async
from gsl_service.ogc.problems import from_exception, type_for_code
from hypothesis_profiles import examples

OGC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("respond-async", True),
        ("respond-async, wait=10", True),
        ("wait=10,respond-async", True),
        ("  RESPOND-ASYNC ; x=1", True),
        (["return=minimal", "respond-async"], True),
        ("respond-sync", False),
        ("wait=100", False),
        ("", False),
        (None, False),
    ],
)
def test_wants_async(header, expected):
    assert wants_async(header) is expected


token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(token, st.one_of(st.none(), token)), max_size=5), st.booleans())
def test_respond_async_found_among_any_preferences(prefs, include):
    items = [name if val is None else f"{name}={val}" for name, val in prefs]
    if include:
        items.insert(len(items) // 2, "respond-async")
    header = ", ".join(items)
    names = {name for name, _ in prefs}
    assert wants_async(header) is (include or "respond-async" in names)
    assert set(parse_prefer(header)) == names | ({"respond-async"} if include else set())


@pytest.mark.parametrize(
    ("code", "suffix"),
    [
        ("NoSuchProcess", "no-such-process"),
        ("NoSuchJob", "no-such-job"),
        ("ResultNotReady", "result-not-ready"),
        ("InvalidParameterValue", "invalid-parameter-value"),
        ("MissingParameterValue", "invalid-parameter-value"),
        ("SomethingElse", "something-else"),
    ],
)
def test_bare_codes_become_uris(code, suffix):
    assert type_for_code(code) == OGC + suffix


def test_problem_from_exceptions():
    doc = from_exception(InputError("radius_m", "too small"), "/x")
    assert doc["type"] == OGC + "invalid-parameter-value"
    assert doc["status"] == 400 and doc["input"] == "radius_m" and "too small" in doc["detail"]
    assert from_exception(NoSuchJob("gone"))["status"] == 404
    boom = from_exception(RuntimeError("secret path /etc"))
    assert boom["status"] == 500 and "secret" not in boom["detail"]


def test_execute_envelope_defaults():
    req = parse_execute_request(registry().get("echo"), b'{"inputs": {"message": "m"}}', None)
    assert req.response == "document" and req.outputs is None and req.subscriber is None
    assert req.asynchronous is False
    req = parse_execute_request(
        registry().get("echo"),
        b'{"inputs": {"message": "m"}, "subscriber": {"successUri": "https://example.org/ok"}}',
        "respond-async",
    )
    assert req.subscriber is not None and req.subscriber.success_uri == "https://example.org/ok"
    with pytest.raises(InvalidInput):
        parse_execute_request(registry().get("echo"), b"null", None)
