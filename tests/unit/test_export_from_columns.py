"""Exports of a file layer's output made from its columns: the same bytes as from its features.

A layer read from a file gives an output collection that also carries the columns it
was made from (``core.collection_columns``); the exports then skip reading the
features back (``exports._table_of_columns``). Whatever the properties and
geometries, the table and the GeoParquet file are those of the features, byte for
byte; where the columns might not tell the same, the features are read.
"""

from __future__ import annotations

import copy
import datetime
import io
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core.collection_columns import columns_of
from gsl_indicators.core.geo import RD_NEW, Layer, feature_collection
from gsl_indicators.core.sources import FeatureTable, TableFeatures
from gsl_service import exports, result_parts
from gsl_service.exports import Table, to_geoparquet
from hypothesis_profiles import examples

_NAMES = ["a", "b", "geometry", "GEOMETRY", "fid", "bbox", "geom", "feature_id", "property_fid"]
_coord = st.floats(-1e7, 1e7, allow_nan=False).map(lambda v: v + 0.0)  # no -0.0 subtleties


@st.composite
def _polygon(draw: st.DrawFn) -> shapely.Polygon:
    x, y = draw(_coord), draw(_coord)
    w, h = draw(st.floats(0.5, 1e4)), draw(st.floats(0.5, 1e4))
    shell = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    holes = [[(x + w / 4, y + h / 4), (x + w / 2, y + h / 4), (x + w / 2, y + h / 2)]]
    return shapely.Polygon(shell, holes if draw(st.booleans()) else [])


def _nan_hole() -> shapely.Polygon:
    """A polygon with finite bounds and a NaN coordinate in its hole."""
    with np.errstate(invalid="ignore"):
        return shapely.Polygon(
            [(0, 0), (2, 0), (2, 2), (0, 0)], holes=[[(1, 1), (np.nan, 1), (1.5, 1.5), (1, 1)]]
        )


#: Geometries whose GeoJSON dicts read back as they are: the columns are used.
_plain_geometry = st.one_of(
    st.none(),
    st.builds(shapely.Point, _coord, _coord),
    _polygon(),
    st.lists(_polygon(), min_size=1, max_size=3).map(shapely.MultiPolygon),
)
#: Anything else: the features are read.
_odd_geometry = st.sampled_from(
    [
        shapely.Point(1.0, 2.0, 3.0),
        shapely.Point(),
        shapely.Polygon(),
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.Point(float("nan"), 1.0),
        shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)], holes=[[]]),
        _nan_hole(),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.Polygon()]),
        shapely.GeometryCollection([shapely.Point(1, 2)]),
    ]
)


def _objects(values: list[Any]) -> np.ndarray:
    """An object array of ``values`` (numpy would not make one of some lists)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _file_column(kind: str, n: int, draw: st.DrawFn) -> np.ndarray:
    """A column as a file gives it: typed numpy, NaN or ``None`` for a missing value."""
    if kind == "float":
        floats = st.one_of(st.floats(), st.sampled_from([0.5, 2.0, -0.0]))
        return np.asarray(draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    if kind == "int":
        ints = st.integers(-(2**63), 2**63 - 1)
        return np.asarray(draw(st.lists(ints, min_size=n, max_size=n)), dtype=np.int64)
    if kind == "int32":
        ints = st.integers(-(2**31), 2**31 - 1)
        return np.asarray(draw(st.lists(ints, min_size=n, max_size=n)), dtype=np.int32)
    if kind == "bool":
        return np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "date":
        dates = st.one_of(st.none(), st.dates(datetime.date(1900, 1, 1)))
        return _objects(draw(st.lists(dates, min_size=n, max_size=n)))
    texts = st.one_of(st.none(), st.text(max_size=4))
    return _objects(draw(st.lists(texts, min_size=n, max_size=n)))


_json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=3),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=4,
)
_added_values = {
    "float": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    "int": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    "bool": st.one_of(st.none(), st.booleans()),
    "mixed": _json_value,
}


@st.composite
def _case(draw: st.DrawFn, odd: bool) -> tuple[Layer, dict[str, list[Any]]]:
    """A file layer (some rows kept) and the columns an output adds to it."""
    geometry = st.one_of(_plain_geometry, _odd_geometry) if odd else _plain_geometry
    n = draw(st.integers(1, 8))
    geoms = _objects(draw(st.lists(geometry, min_size=n, max_size=n)))
    kinds = ["float", "int", "int32", "bool", "date", "text"]
    names = draw(st.lists(st.sampled_from(_NAMES), unique=True, max_size=4))
    columns = {k: _file_column(draw(st.sampled_from(kinds)), n, draw) for k in names}
    rows = np.flatnonzero(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    table = FeatureTable(geoms, columns, RD_NEW)
    layer = Layer("homes", geoms[rows], TableFeatures(table, rows), rows, RD_NEW)
    added_names = draw(st.lists(st.sampled_from([*_NAMES, "score"]), unique=True, max_size=4))
    if odd and draw(st.booleans()):
        added_names.append("scorecard")
    added = {}
    for name in added_names:
        values = _added_values[draw(st.sampled_from(sorted(_added_values)))]
        if name == "scorecard":
            values = st.one_of(st.none(), st.just({"scores": {"play": {"score": 2.5}}}))
        added[name] = draw(st.lists(values, min_size=len(rows), max_size=len(rows)))
    return layer, added


def _as_lists(t: Table) -> dict[str, Any]:
    """A table as comparable values (NaN as a marker, dtypes kept)."""
    return {
        "names": t.names,
        "dtypes": [d.dtype.str for d in t.data],
        "data": [[v if v == v else "nan" for v in d.tolist()] for d in t.data],
        "wkb": t.wkb,
        "bounds": np.nan_to_num(t.bounds, nan=-7.0).tolist(),
        "present": t.present.tolist(),
        "kinds": t.kinds,
    }


def _crs_member() -> dict[str, Any]:
    return {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN coordinates among the odd ones
@settings(max_examples=examples(120), deadline=None)
@given(
    case=st.one_of(_case(odd=False), _case(odd=True)),
    step=st.integers(1, 3),
    ready=st.booleans(),
)
def test_the_columns_give_the_table_and_file_the_features_give(case, step, ready) -> None:
    # ``ready``: the rows were made ready first, as a tiled run's parent does while its
    # tiles run, so the export's part of the rows was made then (exports.prepare_rows)
    layer, added = case
    if ready:
        unready = feature_collection(layer, added, crs=_crs_member())
        assert result_parts.sources.READY_HOOKS  # registered by result_parts
        layer.features.make_ready()
        assert "export-table" in layer.features.memo
    fc = feature_collection(layer, added, crs=_crs_member())
    if ready:  # the features made ready are those made after
        assert fc == unready
    plain = dict(fc)  # a copy: the features only
    assert columns_of(plain) is None
    for also in ((), ("bbox",)):
        got = _or_error(_table_lists, fc, also, step)
        assert got == _or_error(_table_lists, plain, also, step)
    assert _or_error(to_geoparquet, fc, RD_NEW) == _or_error(to_geoparquet, plain, RD_NEW)


def _table_lists(fc: dict[str, Any], also: tuple[str, ...], step: int) -> dict[str, Any]:
    return _as_lists(exports._table(fc, also=also, step=step))


def _or_error(make: Any, *args: Any) -> Any:
    """What ``make(*args)`` gives, or the text of the GEOS error it raises (a NaN point)."""
    try:
        return make(*args)
    except shapely.errors.GEOSException as err:
        return f"error: {err}"


@settings(max_examples=examples(60), deadline=None)
@given(case=_case(odd=False))
def test_plain_columns_take_the_column_road(case) -> None:
    # Points, polygons and multipolygons read from a file, any properties (but no
    # scorecard object): the table is made from the columns, never from the features.
    layer, added = case
    fc = feature_collection(layer, added)
    columns = columns_of(fc)
    assert columns is not None
    if len(layer):
        assert exports._table_of_columns(columns, ("bbox",), 2) is not None


def test_a_province_like_output_is_exported_from_its_columns(monkeypatch) -> None:
    # 1,000 footprints with an id text and a dwellings count, plus the output's columns;
    # reading the features is not allowed: the stored GeoParquet comes from the columns.
    n = 1000
    x = 155000.0 + 20.0 * np.arange(n)
    geoms = shapely.box(x, 463000.0, x + 10.0, 463012.5)
    columns = {
        "id": np.asarray([f"h{i}" for i in range(n)], dtype=object),
        "dwellings": np.arange(n, dtype=np.int64) % 3,
    }
    rows = np.arange(n)
    layer = Layer(
        "homes", geoms, TableFeatures(FeatureTable(geoms, columns, RD_NEW), rows), rows, RD_NEW
    )
    added = {
        "trees_within": [i % 7 for i in range(n)],
        "park_distance_m": [i / 3 for i in range(n)],
    }
    fc = feature_collection(layer, added, crs=_crs_member())
    want = to_geoparquet(dict(fc), RD_NEW)

    def no_features(*args: Any) -> Table:
        raise AssertionError("the features were read")

    monkeypatch.setattr(exports, "_table_of_features", no_features)
    doc = {"homes": {"mediaType": "application/geo+json", "value": fc}}
    moved: list[Any] = []
    blobs = result_parts.split_document(doc, 10, crs_of=lambda d, name: RD_NEW, moved=moved)
    (parquet,) = (v for k, v in blobs.items() if k.endswith(result_parts.PARQUET))
    assert parquet == want
    # the output moved out is handed to the caller, who frees it when it likes
    assert len(moved) == 1 and moved[0] is fc
    assert isinstance(doc["homes"]["value"], str)


def test_rows_made_ready_give_the_export_its_part_of_the_rows(monkeypatch) -> None:
    # A tiled run's parent makes the rows ready while its tiles run; the GeoParquet file
    # is then made without typing the file's columns or writing its geometries again.
    n = 50
    geoms = shapely.box(np.arange(n), 0.0, np.arange(n) + 0.5, 1.0)
    rows = np.arange(n)
    # the file has a column the output replaces: the output's values go to the file
    # and one whose name GDAL reserves, kept as ``property_geometry``
    file_columns = {
        "id": np.arange(n, dtype=np.int64),
        "geometry": np.array([f"g{i}" for i in range(n)], dtype=object),
        "trees_within": np.full(n, 9.5),
    }
    table = FeatureTable(geoms, file_columns, RD_NEW)
    layer = Layer("homes", geoms, TableFeatures(table, rows), rows, RD_NEW)
    added = {"trees_within": [i % 4 for i in range(n)]}
    want = to_geoparquet(dict(feature_collection(layer, added)), RD_NEW)
    import pyarrow.parquet as pq

    written = pq.read_table(io.BytesIO(want))
    assert written["trees_within"].to_pylist() == added["trees_within"]
    assert written["property_geometry"].to_pylist()[:2] == ["g0", "g1"]
    layer.features.make_ready()
    fc = feature_collection(layer, added)
    monkeypatch.setattr(exports, "_rows_part_of", lambda *a: pytest.fail("rows read again"))
    assert to_geoparquet(fc, RD_NEW) == want
    assert "export-table" not in layer.features.memo  # given once: its memory goes too


@pytest.mark.parametrize(
    "change",
    [
        lambda fc: fc["features"].append(fc["features"][0]),
        lambda fc: fc.__setitem__("features", list(fc["features"])),
    ],
)
def test_a_changed_collection_gives_no_columns(change) -> None:
    geoms = shapely.points([[0.0, 0.0], [1.0, 1.0]])
    rows = np.arange(2)
    table = FeatureTable(geoms, {"a": np.array([1.0, 2.0])}, RD_NEW)
    fc = feature_collection(Layer("homes", geoms, TableFeatures(table, rows), rows, RD_NEW), {})
    assert columns_of(fc) is not None
    assert columns_of(copy.copy(fc)) is not None  # the same features list: still true
    change(fc)
    assert columns_of(fc) is None


def test_a_layer_with_cached_properties_gives_no_columns() -> None:
    # A run may have replaced a layer's cached properties (parking zones' area_type):
    # only the features tell then.
    geoms = shapely.points([[0.0, 0.0], [1.0, 1.0]])
    rows = np.arange(2)
    table = FeatureTable(geoms, {"a": np.array([1.0, 2.0])}, RD_NEW)
    layer = Layer("zones", geoms, TableFeatures(table, rows), rows, RD_NEW)
    layer._props = [{"a": 1.0, "area_type": "x"}, {"a": 2.0, "area_type": "y"}]
    for ready in (False, True):  # made ready or not, the cached properties count
        if ready:
            layer.features.make_ready()
        fc = feature_collection(layer, {"n": [1, 2]})
        assert columns_of(fc) is None
        assert fc["features"][0]["properties"] == {"a": 1.0, "area_type": "x", "n": 1}
        assert fc["features"][1]["properties"] == {"a": 2.0, "area_type": "y", "n": 2}


def test_an_assembled_metrics_numbers_go_to_the_export_as_typed_when_made(monkeypatch) -> None:
    # The assembler keeps a metric's numbers and flags as the arrays it rounded them in
    # (FeatureColumns.arrays); the export takes those and types only the other columns
    # (the area ids), and its file is the one the features give, byte for byte.
    from gsl_indicators.core.assemble import _collection
    from gsl_indicators.core.metrics import metric

    n = 200
    x = 155000.0 + 20.0 * np.arange(n)
    geoms = shapely.box(x, 463000.0, x + 10.0, 463012.5)
    rows = np.arange(n)
    columns = {"id": np.asarray([f"h{i}" for i in range(n)], dtype=object)}
    layer = Layer(
        "homes", geoms, TableFeatures(FeatureTable(geoms, columns, RD_NEW), rows), rows, RD_NEW
    )
    trees = (np.arange(n) % 7).astype(float)
    trees[3] = np.nan  # one home without a value: a count masked there (a null, not 0)
    declared = {
        "trees_within": metric("trees_within", "Bomen", "Trees", "count", digits=0),
        "park_distance_m": metric("park_distance_m", "Park", "Park", "m", digits=1),
        "meets_3": metric("meets_3", "3", "3", "flag", digits=0),
    }
    added = {
        "trees_within": trees,
        "park_distance_m": np.arange(n) / 3.0,
        "meets_3": np.arange(n) % 2 == 0,
        "area_id": [f"BU{i % 3}" for i in range(n)],
    }
    fc = _collection(layer, added, declared)
    made = columns_of(fc)
    assert made is not None
    assert sorted(made.arrays) == ["meets_3", "park_distance_m", "trees_within"]
    assert made.arrays["trees_within"].dtype == np.int64
    assert made.arrays["trees_within"].tolist()[3:5] == [None, 4]
    assert fc["features"][3]["properties"]["trees_within"] is None
    assert fc["features"][4]["properties"]["trees_within"] == 4
    want = to_geoparquet(dict(fc), RD_NEW)  # a plain dict: from the features
    typed_here: list[str] = []
    flat = exports._flat_column

    def counted(key: str, values: list[Any]) -> Any:
        typed_here.append(key)
        return flat(key, values)

    monkeypatch.setattr(exports, "_flat_column", counted)
    assert to_geoparquet(fc, RD_NEW) == want
    assert typed_here == ["id", "area_id"]
