"""Geometry dicts from coordinate arrays equal GEOS's GeoJSON text parsed back.

``core.geojson_dicts.geometry_texts`` writes the same geometries as canonical text (an
output feature's geometry): the very bytes canonical JSON writes for the dicts.

``core.geojson_dicts.geometry_dicts`` builds the GeoJSON dicts of points, polygons and
multipolygons straight from their coordinates; every output feature read from a file
gets its geometry this way. The reference is the plain road (``shapely.to_geojson``
then ``orjson.loads``). Compared as canonical JSON bytes, so even the sign of a zero
and the last bit of a float must agree.
"""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.canonical import RawJSON, canonical_json
from gsl_indicators.core.geojson_dicts import (
    geometry_dicts,
    geometry_texts,
    plain_geometry_dicts,
    plain_shapes,
    shapes,
)
from hypothesis_profiles import examples

coord = st.one_of(
    st.floats(-1e7, 1e7, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-300, 121000.0, 487000.123456789, 0.1 + 0.2]),
)


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Polygon:
    x, y = draw(coord), draw(coord)
    w, h = draw(st.floats(0.001, 1e4)), draw(st.floats(0.001, 1e4))
    shell = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    holes = []
    if draw(st.booleans()):
        holes = [[(x + w / 4, y + h / 4), (x + w / 2, y + h / 4), (x + w / 2, y + h / 2)]]
    if draw(st.booleans()):  # a second hole
        holes.append(
            [(x + w * 0.6, y + h * 0.6), (x + w * 0.8, y + h * 0.6), (x + w * 0.8, y + h * 0.8)]
        )
    polygon = shapely.Polygon(shell, holes)
    if draw(st.booleans()):  # an empty hole among them
        polygon = shapely.from_wkt(polygon.wkt[:-1] + ", EMPTY)")
    return polygon


geometry = st.one_of(
    st.none(),
    st.builds(shapely.Point, coord, coord),
    st.builds(shapely.Point, coord, coord, coord),  # 3-D: the plain road
    polygons(),
    st.lists(polygons(), min_size=1, max_size=3).map(shapely.MultiPolygon),
    st.lists(st.tuples(coord, coord), min_size=2, max_size=4).map(shapely.LineString),
    st.sampled_from(
        [
            shapely.Point(),
            shapely.Polygon(),
            shapely.MultiPolygon(),
            shapely.GeometryCollection([shapely.Point(1, 2)]),
            shapely.Point(float("nan"), 1.0),
        ]
    ),
)


@settings(max_examples=examples(150), deadline=None)
@given(geoms=st.lists(geometry, max_size=12))
def test_dicts_equal_geos_text(geoms: list) -> None:
    arr = np.array([*geoms, None], dtype=object)[:-1]  # keep an object array of len(geoms)
    got = geometry_dicts(arr)
    want = plain_geometry_dicts(arr)
    assert canonical_json(got) == canonical_json(want)


@settings(max_examples=examples(150), deadline=None)
@given(geoms=st.lists(geometry, max_size=12))
def test_texts_are_the_canonical_json_of_the_dicts(geoms: list) -> None:
    """Each text, and a list of them, is written as canonical JSON writes the dicts."""
    arr = np.array([*geoms, None], dtype=object)[:-1]
    texts = geometry_texts(arr)
    dicts = plain_geometry_dicts(arr)
    assert canonical_json(texts) == canonical_json(dicts)
    for t, d in zip(texts, dicts, strict=True):
        assert (t is None) == (d is None)
        if t is not None:
            assert t.text == canonical_json(d)
            assert t == d  # and it reads as its dict


@settings(max_examples=examples(300), deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_orjson_writes_numpy_floats_as_python_floats(values: list[float]) -> None:
    """The texts rest on it: a float64 array's numbers are written as the floats' own."""
    assert orjson.dumps(np.array(values, dtype=float), option=orjson.OPT_SERIALIZE_NUMPY) == (
        orjson.dumps(values)
    )


def test_texts_of_rings_that_are_empty_or_many() -> None:
    """Empty holes, several holes, single rings and multipolygons mixed in one layer."""
    g = np.array(
        [
            shapely.from_wkt("POLYGON ((0 0, 1 0, 1 1, 0 0), EMPTY)"),
            shapely.from_wkt("POLYGON ((0 0, 9 0, 9 9, 0 0), (1 1, 2 1, 2 2, 1 1), EMPTY)"),
            shapely.box(121000.5, 487000.25, 121010.0, 487012.0),
            shapely.from_wkt(
                "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), EMPTY))"
            ),
            shapely.Point(-0.0, 1e-300),
            None,
        ],
        dtype=object,
    )
    texts = geometry_texts(g)
    assert [None if t is None else t.text for t in texts] == [
        None if d is None else canonical_json(d) for d in plain_geometry_dicts(g)
    ]
    assert (
        texts[0].text
        == b'{"coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,0.0]],[]],"type":"Polygon"}'
    )
    assert texts[4].text == b'{"coordinates":[-0.0,1e-300],"type":"Point"}'


def test_shapes_read_texts_as_their_dicts() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform([0, 300_000], [280_000, 620_000], (200, 2))
    g = np.concatenate([shapely.points(xy[:50]), shapely.buffer(shapely.points(xy), 5.0), [None]])
    via_texts, via_dicts = shapes(geometry_texts(g)), shapes(geometry_dicts(g))
    assert [None if x is None else shapely.to_wkb(x) for x in via_texts] == [
        None if x is None else shapely.to_wkb(x) for x in via_dicts
    ]
    assert (
        plain_shapes([RawJSON(b'{"coordinates":[1.0,2.0],"type":"Point"}')])[0].wkt == "POINT (1 2)"
    )


def test_canonical_json_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        canonical_json({"a": object()})


def test_a_large_layer_takes_the_fast_road_and_agrees() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform([0, 300_000], [280_000, 620_000], (5_000, 2))
    homes = shapely.buffer(shapely.points(xy), 6.0, quad_segs=2)
    mixed = np.concatenate([shapely.points(xy[:100]), homes, [None]])
    assert canonical_json(geometry_dicts(mixed)) == canonical_json(plain_geometry_dicts(mixed))
    assert canonical_json(geometry_texts(mixed)) == canonical_json(plain_geometry_dicts(mixed))


@settings(max_examples=examples(150), deadline=None)
@given(geoms=st.lists(geometry, max_size=12))
def test_shapes_equal_geos_reading_the_text(geoms: list) -> None:
    """The way back: dicts to geometries, the same WKB as GEOS reading each dict's text."""
    dicts = plain_geometry_dicts(np.array([*geoms, None], dtype=object)[:-1])
    try:
        want = plain_shapes(dicts)
    except shapely.errors.GEOSException:  # GEOS cannot read its own NaN back (null)
        with pytest.raises(shapely.errors.GEOSException):
            shapes(dicts)
        return
    got = shapes(dicts)
    assert [None if g is None else shapely.to_wkb(g) for g in got] == [
        None if g is None else shapely.to_wkb(g) for g in want
    ]


def test_shapes_read_odd_dicts_as_geos_does() -> None:
    """Empty parts, open rings and mixed dimensions leave the fast road, not the answer."""
    odd = [
        {"type": "Polygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], []]},
        {"type": "Point", "coordinates": [1, 2, 3]},
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 0]]]},
    ]
    for i in range(len(odd)):
        for group in ([odd[i]], [odd[i], odd[-1]], [odd[-2], odd[i]]):
            got, want = shapes(group), plain_shapes(group)
            assert [shapely.to_wkb(g) for g in got] == [shapely.to_wkb(g) for g in want]


def test_measures_and_empty_parts_are_written_as_geos_does() -> None:
    """M values are left out (not a height) and an empty part stays ``[[]]``."""
    g = np.array(
        [
            shapely.from_wkt("POINT M (155000 463000 7)"),
            shapely.from_wkt("POLYGON M ((0 0 1, 1 0 1, 1 1 1, 0 0 1))"),
            shapely.from_wkt("MULTIPOLYGON (EMPTY, ((0 0, 1 0, 1 1, 0 0)))"),
        ],
        dtype=object,
    )
    got = geometry_dicts(g)
    assert got[0]["coordinates"] == [155000.0, 463000.0]
    assert canonical_json(got) == canonical_json(plain_geometry_dicts(g))


def test_shapes_refuse_what_geos_refuses() -> None:
    for odd in (
        {"type": "Point", "coordinates": ["1", "2"]},
        {"type": "Point", "coordinates": [True, False]},
        {"type": ["Point"], "coordinates": [1, 2]},
    ):
        with pytest.raises(shapely.errors.GEOSException):
            plain_shapes([odd])
        with pytest.raises(shapely.errors.GEOSException):
            shapes([odd])


def test_the_geojson_writer_writes_texts() -> None:
    """An output collection whose geometries are texts is written as the same GeoJSON (no TypeError)."""
    from gsl_service.exports import to_geojson

    g = np.array([shapely.Point(121000.5, 487000.0), shapely.box(0, 0, 1, 1)], dtype=object)

    def collection(geoms: list) -> dict:
        feats = [
            {"type": "Feature", "geometry": x, "properties": {"i": i}} for i, x in enumerate(geoms)
        ]
        return {"type": "FeatureCollection", "features": feats}

    via_texts = to_geojson(collection(geometry_texts(g)), "EPSG:28992")
    via_dicts = to_geojson(collection(geometry_dicts(g)), "EPSG:28992")
    assert orjson.loads(via_texts) == orjson.loads(via_dicts)  # keys in another order
    assert orjson.loads(via_texts)["features"][0]["geometry"]["coordinates"] == [121000.5, 487000.0]
