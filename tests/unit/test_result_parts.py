"""Splitting large per-feature outputs out of a result document and putting them back."""

from __future__ import annotations

import hypothesis.strategies as st
import orjson
from hypothesis import given, settings

from gsl_indicators.core.canonical import canonical_json
from gsl_service import result_parts
from hypothesis_profiles import examples

_props = st.dictionaries(
    st.sampled_from(["a", "trees_within", "x", "naam"]),
    st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6), st.booleans(), st.none()),
    max_size=3,
)  # fmt: skip
_feature = st.builds(
    lambda i, x, y, p: {"type": "Feature", "id": f"b{i}", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": p},
    st.integers(0, 99), st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), _props,
)  # fmt: skip


def _doc(homes: list, areas: list) -> bytes:
    fc = {"type": "FeatureCollection", "features": homes}
    return canonical_json(
        {
            "buildings": {"mediaType": "application/geo+json", "value": fc},
            "neighbourhoods": {"mediaType": "application/geo+json", "value": {"type": "FeatureCollection", "features": areas}},
            "summary": {"mediaType": "application/json", "value": {"note": "gsl-part:not-a-part", "n": len(homes)}},
            "provenance": {"mediaType": "application/json", "value": {"inputs": {"buildings": {"crs": "EPSG:28992"}}}},
        }
    )  # fmt: skip


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(_feature, max_size=12), st.lists(_feature, max_size=3), st.integers(1, 6))
def test_split_then_hydrate_gives_the_same_bytes(homes, areas, limit) -> None:
    body = _doc(homes, areas)
    assert len(body) >= 6 * 51  # long enough to be looked at for every limit drawn
    stored, blobs = result_parts.split(body, limit)
    assert result_parts.hydrate(stored, blobs.get) == body
    # exactly the per-feature outputs with more than `limit` features are moved out
    doc = orjson.loads(stored)
    for name, n in (("buildings", len(homes)), ("neighbourhoods", len(areas))):
        part = result_parts.placeholder_value(doc, name)
        assert (part is not None) == (n > limit)
        if part is not None:
            assert part.features == n and part.sha256 + ".parquet" in blobs  # file made too
    assert doc["summary"]["value"]["note"] == "gsl-part:not-a-part"  # left alone


def test_a_missing_part_is_a_lookup_error() -> None:
    body = _doc([{"type": "Feature", "geometry": None, "properties": {}}] * 3, [])
    stored, _ = result_parts.split(body, 2)
    try:
        result_parts.hydrate(stored, lambda name: None)
    except LookupError as err:
        assert "no longer stored" in str(err)
    else:
        raise AssertionError("hydrate without the part must fail")


def test_compress_round_trips_and_shrinks_json() -> None:
    text = canonical_json(
        {"features": [{"properties": {"trees_within": k % 7}} for k in range(5000)]}
    )
    blob = result_parts.compress(text)
    assert result_parts.decompress(blob) == text
    assert len(blob) < len(text) / 10  # repetitive JSON: zstd takes off > 90 %
