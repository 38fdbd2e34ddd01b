"""A stored part read as a stream gives the collection's members and features as parsed whole.

The reference is ``json.loads`` of the whole text. Collections are drawn with members
before and after ``features``, text that is not ASCII, numbers at any place, and read
a few bytes at a time, so that features, members, numbers and UTF-8 characters are cut
across reads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsl_indicators.core.canonical import canonical_json
from gsl_service.result_parts import compress
from gsl_service.stored_collection import CollectionStream

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),  # what the canonical text holds
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),  # any code point, escaped or not
)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)  # fmt: skip
_features = st.lists(
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "properties": st.dictionaries(st.text(max_size=4), _values, max_size=4)},
        optional={"id": st.integers(0, 10**6) | st.text(max_size=3), "geometry": st.none()},
    ),
    max_size=12,
)  # fmt: skip
_members = st.dictionaries(st.sampled_from(["bbox", "crs", "name", "numberMatched", "type", "zz"]), _values, max_size=4)  # fmt: skip


def _read(text: bytes, chunk: int, size: int) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    stream = CollectionStream(compress(text), chunk=chunk)
    batches = list(stream.batches(size))
    assert all(0 < len(b) <= size for b in batches)
    return stream.head, [f for b in batches for f in b], stream.tail


@given(features=_features, members=_members, chunk=st.integers(1, 64), size=st.integers(1, 5))
def test_canonical_text_read_in_pieces_is_the_collection(features, members, chunk, size) -> None:
    text = canonical_json({**members, "features": features})  # keys sorted: some before, some after
    head, got, tail = _read(text, chunk, size)
    assert got == json.loads(text)["features"]
    assert head == {k: v for k, v in members.items() if k < "features"}
    assert tail == {k: v for k, v in members.items() if k > "features"}


@given(features=_features, members=_members, chunk=st.integers(1, 64))
def test_text_with_whitespace_and_any_member_order(features, members, chunk) -> None:
    doc = {"features": features, **members}  # features first
    text = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    head, got, tail = _read(text, chunk, 3)
    assert (head, got, tail) == ({}, json.loads(text)["features"], members)


def test_a_number_cut_at_the_end_of_a_read_is_read_whole() -> None:
    text = b'{"a":1234567,"b":-1.25e-3,"c":2E+2,"features":[],"n":76543210987654321098765}'
    want = ({"a": 1234567, "b": -1.25e-3, "c": 200.0}, [], {"n": 76543210987654321098765})
    for chunk in range(1, len(text) + 1):  # every place a read can end
        assert _read(text, chunk, 1) == want


@pytest.mark.parametrize(
    "text",
    [
        b'{"features":[{"a":1},{"a":2}',  # cut short
        b'{"features":[{"a":1} {"a":2}]}',  # no comma
        b'{"features":[1,2]}',  # features that are not objects
        b'{"type":"FeatureCollection"}',  # no features
        b'[{"features":[]}]',  # not an object
        b'{"features":[]} {}',  # text after the end
        b'{"features":[],"a":}',  # a member without a value
    ],
)
def test_text_that_is_not_such_a_collection_is_refused(text: bytes) -> None:
    with pytest.raises(ValueError, match="a stored collection"):
        stream = CollectionStream(compress(text), chunk=5)
        list(stream.batches(10))
