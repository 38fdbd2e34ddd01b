"""Geo inputs from files read as columns (``core.sources``) and the layers made from them."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyogrio.raw import write

from gsl_indicators.core import sources
from gsl_indicators.core.geo import GEO_IN, RD_NEW, read_layers
from gsl_indicators.core.spec import Context, GeoInput, InputError
from hypothesis_profiles import examples

POINTS = GeoInput("homes", "Homes", "", ("Point",))


def _fgb(geoms: list, fields: dict, crs: str, geometry_type: str = "Point") -> bytes:
    """Write a FlatGeobuf with GDAL (pyogrio) and return its bytes."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.fgb"
        wkb = np.asarray([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
        write(
            str(path),
            geometry=wkb,
            field_data=list(fields.values()),
            fields=list(fields),
            driver="FlatGeobuf",
            geometry_type=geometry_type,
            crs=crs,
            spatial_index=False,  # keep the order: the test reads features by position
        )
        return path.read_bytes()


def _source(data: bytes, fmt: str, bbox=None) -> dict:
    return sources.file_source(
        data=data, fmt=fmt, href=f"x.{fmt}", bbox=bbox, sha256=hashlib.sha256(data).hexdigest()
    )


def test_a_wgs84_file_is_reprojected_and_its_columns_read() -> None:
    # the Amersfoort origin of RD New (155000, 463000) and a point 0.01° east of it
    data = _fgb(
        [shapely.Point(5.38721, 52.15517), shapely.Point(5.39721, 52.15517)],
        {"dwellings": np.array([3.0, np.nan]), "name": np.array(["a", "b"], dtype=object)},
        "EPSG:4326",
    )
    ctx = Context()
    layers, crs = read_layers([POINTS], {"homes": _source(data, "flatgeobuf")}, ctx)
    homes = layers["homes"]
    assert crs == RD_NEW and homes.source_crs == "OGC:CRS84"
    x, y = shapely.get_x(homes.geometries), shapely.get_y(homes.geometries)
    assert np.round(x[0]) == 155_000 and np.round(y[0]) == 463_000
    # 0.01° of longitude at 52.155° N is 111.32 km × cos(52.155°) / 100 ≈ 683 m
    assert 675 < x[1] - x[0] < 690
    # NaN is a missing value: the default, counted in a warning
    assert homes.number("dwellings", 1.0, ctx).tolist() == [3.0, 1.0]
    assert [w["count"] for w in ctx.warnings if w["code"] == "missing-property"] == [1]
    assert homes.properties == [{"dwellings": 3.0, "name": "a"}, {"dwellings": None, "name": "b"}]
    first = homes.features[0]  # made on demand, geometry as read (lon/lat)
    assert first["geometry"] == {"type": "Point", "coordinates": [5.38721, 52.15517]}
    assert homes.ids == [0, 1]  # no id member or property: the position


def _parquet(geoms: list, ids: list, covering: bool, crs: dict | None = None) -> bytes:
    """Write GeoParquet by hand with pyarrow (optionally without a bbox covering column)."""
    wkb = pa.array([None if g is None else shapely.to_wkb(g) for g in geoms], type=pa.binary())
    column: dict = {"encoding": "WKB", "geometry_types": ["Point"]}
    if crs is not None:
        column["crs"] = crs
    arrays, names = [pa.array(ids), wkb], ["id", "geometry"]
    if covering:
        b = shapely.bounds(np.asarray(geoms, dtype=object))
        arrays.append(
            pa.StructArray.from_arrays(
                [pa.array(b[:, k]) for k in range(4)], names=["xmin", "ymin", "xmax", "ymax"]
            )
        )
        names.append("bbox")
        column["covering"] = {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    import orjson

    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
    table = pa.table(arrays, names=names).replace_schema_metadata({b"geo": orjson.dumps(geo)})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=3)
    return buf.getvalue()


@pytest.mark.parametrize("covering", [True, False])
def test_geoparquet_bbox_keeps_the_features_it_meets(covering: bool) -> None:
    from pyproj import CRS

    # points at x = 0, 100, …, 900 (y 0): a box x 150 … 420 meets 200, 300 and 400
    pts = [shapely.Point(100 * i, 0) for i in range(10)]
    data = _parquet(
        pts, [f"p{i}" for i in range(10)], covering, CRS.from_epsg(28992).to_json_dict()
    )
    table = sources.read_table("homes", _source(data, "geoparquet", bbox=[150, -1, 420, 1]))
    assert table.columns["id"].tolist() == ["p2", "p3", "p4"]
    assert table.crs == "EPSG:28992"
    assert "bbox" not in table.columns  # the covering column is not a property


def test_geoparquet_without_crs_is_lon_lat_and_null_geometries_are_dropped() -> None:
    data = _parquet(
        [shapely.Point(5.0, 52.0), None, shapely.Point(5.1, 52.1)], ["a", "b", "c"], False
    )
    ctx = Context()
    layers, _ = read_layers([GEO_IN], {"example": _source(data, "geoparquet")}, ctx)
    layer = layers["example"]
    assert layer.source_crs == "OGC:CRS84"  # the specification's default
    assert layer.given == 3 and len(layer) == 2 and layer.index.tolist() == [0, 2]
    assert [p["id"] for p in layer.properties] == ["a", "c"]
    dropped = [w for w in ctx.warnings if w["code"] == "features-dropped"]
    assert dropped and dropped[0]["count"] == 1


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        (b"PAR1" + b"\x00" * 20 + b"PAR1", "geoparquet", "not a readable GeoParquet"),
        (b"fgb\x03fgb\x00" + b"\x01" * 40, "flatgeobuf", "not a readable FlatGeobuf"),
        (b'{"type": "FeatureCollection", "features": [', "geojson", "not a readable GeoJSON"),
    ],
)
def test_an_unreadable_file_names_the_input(data: bytes, fmt: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as err:
        sources.read_table("trees", _source(data, fmt))
    assert err.value.input_name == "trees"


def test_a_parquet_file_without_geo_metadata_is_refused() -> None:
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}), buf)
    with pytest.raises(InputError, match="not GeoParquet"):
        sources.read_table("trees", _source(buf.getvalue(), "geoparquet"))


def test_the_digest_follows_content_format_and_bbox_not_the_url() -> None:
    a = _source(b"fgb\x03fgb\x00abc", "flatgeobuf")
    assert sources.source_digest(a) == sources.source_digest({**a, "href": "elsewhere"})
    assert sources.source_digest(a) != sources.source_digest({**a, "bbox": [0, 0, 1, 1]})
    b = _source(b"fgb\x03fgb\x00abd", "flatgeobuf")
    assert sources.source_digest(a) != sources.source_digest(b)


def test_reading_a_file_leaves_no_wkb_alive_while_the_collector_is_paused() -> None:
    # A run pauses the cyclic collector (geo.paused_gc) from reading to its result, and
    # pyogrio leaves the arrays it returns in a reference cycle: read_table must free
    # the WKB itself. 20,000 points: each WKB is a bytes object of 21 bytes of data
    # (1 byte order + 4 type + 2 × 8 coordinates) plus the object header, so the WKB
    # array alone would keep 20,000 × sys.getsizeof(wkb) ≈ 1.1 MB traced to pyogrio.
    import gc
    import sys
    import tracemalloc

    n = 20_000
    x = 155000.0 + np.arange(n, dtype=float)
    data = _fgb(list(shapely.points(x, x + 308000.0)), {}, "EPSG:28992")
    wkb_bytes = n * sys.getsizeof(shapely.to_wkb(shapely.Point(0, 0)))
    was = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        table = sources.read_table("homes", _source(data, "flatgeobuf"))
        snap = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
        if was:
            gc.enable()
    assert len(table) == n
    kept = sum(
        s.size
        for s in snap.filter_traces([tracemalloc.Filter(True, "*pyogrio*")]).statistics("filename")
    )
    assert wkb_bytes > 1_000_000
    assert kept < wkb_bytes / 10, (kept, wkb_bytes)


@pytest.mark.parametrize("cached", [False, True])
def test_a_file_layers_output_features_are_its_properties_plus_the_columns(cached: bool) -> None:
    # Two RD points with a 'name' and a 'score' that the output column overrides; the
    # output is the same whether or not the layer cached its properties first, and a
    # cached properties list is left as it was.
    from gsl_indicators.core.geo import feature_collection

    data = _fgb(
        [shapely.Point(155000, 463000), shapely.Point(155010, 463000)],
        {"name": np.array(["a", "b"], dtype=object), "score": np.array([1.0, 2.0])},
        "EPSG:28992",
    )
    layers, _ = read_layers([POINTS], {"homes": _source(data, "flatgeobuf")})
    homes = layers["homes"]
    if cached:
        assert homes.properties == [{"name": "a", "score": 1.0}, {"name": "b", "score": 2.0}]
    fc = feature_collection(homes, {"score": np.array([0.5, np.nan]), "n": [3, 4]})
    assert fc == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [155000.0, 463000.0]},
                "properties": {"name": "a", "score": 0.5, "n": 3},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [155010.0, 463000.0]},
                "properties": {"name": "b", "score": None, "n": 4},
            },
        ],
    }
    assert fc == {"type": "FeatureCollection", "features": list(homes.features)} | {
        "features": [
            {**f, "properties": {**f["properties"], **extra}}
            for f, extra in zip(
                homes.features, [{"score": 0.5, "n": 3}, {"score": None, "n": 4}], strict=True
            )
        ]
    }
    # the keys in the order an update per feature gives: the file's (a column replacing
    # one in its place), then the new columns
    assert [list(f["properties"]) for f in fc["features"]] == [["name", "score", "n"]] * 2
    if cached:
        assert homes.properties == [{"name": "a", "score": 1.0}, {"name": "b", "score": 2.0}]
    with pytest.raises(ValueError, match="column 'n' has 1 values for 2 features"):
        feature_collection(homes, {"n": [3]})


# --- GDAL's Arrow stream: the same table as the plain read ------------------------


def _fgb_any(geoms: list, fields: dict) -> bytes:
    """A FlatGeobuf in EPSG:28992 of any geometry kinds (:func:`_fgb`)."""
    return _fgb(geoms, fields, "EPSG:28992", geometry_type="Unknown")


def _tables_equal(a: sources.FeatureTable, b: sources.FeatureTable) -> None:
    assert a.crs == b.crs
    assert [None if g is None else shapely.to_wkb(g) for g in a.geometries] == [
        None if g is None else shapely.to_wkb(g) for g in b.geometries
    ]
    assert list(a.columns) == list(b.columns)
    for k in a.columns:
        x, y = a.columns[k], b.columns[k]
        assert x.dtype == y.dtype, k
        assert [v if v == v else "nan" for v in x.tolist()] == [
            v if v == v else "nan" for v in y.tolist()
        ], k


@pytest.mark.parametrize("null_geometry", [False, True])
@pytest.mark.parametrize("where", ["bytes", "path"])
def test_the_arrow_stream_reads_what_the_plain_read_does(
    where, null_geometry, tmp_path, monkeypatch
) -> None:
    """Numbers (with NaN), text (with nulls), a polygon, a null geometry, a bbox.

    GDAL streams a FlatGeobuf's null geometry as a corrupt value: such a file takes
    the plain road (the stream is tried, then left), with the same table.
    """
    geoms = [
        shapely.Point(121000, 487000),
        None if null_geometry else shapely.Point(121005, 487005),
        shapely.box(121010, 487010, 121020, 487030),
        shapely.Point(125000, 490000),
    ]
    fields = {
        "n32": np.array([1, 2, 3, 4], dtype=np.int32),
        "n64": np.array([2**40, -1, 0, 7], dtype=np.int64),
        "x": np.array([1.5, np.nan, -0.0, 1e300]),
        "name": np.array(["a", None, "ç€", ""], dtype=object),
    }
    data = _fgb_any(geoms, fields)
    taken = []
    real = sources._read_arrow
    monkeypatch.setattr(sources, "_read_arrow", lambda *a: taken.append(real(*a)) or taken[-1])

    def read(bbox=None) -> sources.FeatureTable:
        if where == "path":
            p = tmp_path / "x.fgb"
            p.write_bytes(data)
            return sources._read_gdal(str(p), bbox)
        return sources._read_gdal(io.BytesIO(data), bbox)

    for bbox in (None, (120990, 486990, 121015, 487015)):
        fast = read(bbox)
        with monkeypatch.context() as m:
            m.setattr(sources, "_ARROW_SAFE", frozenset())  # the plain road
            plain = read(bbox)
        _tables_equal(fast, plain)
    # the stream was read both times, and used unless a null geometry spoiled it
    assert len(taken) == 2 and (taken[0] is not None) == (not null_geometry)
    assert null_geometry or all(got is not None for got in taken)
    assert len(read((120990, 486990, 121015, 487015)).geometries) == 3 - null_geometry


def test_booleans_and_dates_keep_the_plain_read(monkeypatch) -> None:
    fields = {
        "ok": np.array([True, False]),
        "when": np.array(["2020-01-01T00:00:00", "2021-06-01T12:00:00"], dtype="datetime64[ms]"),
    }
    data = _fgb_any([shapely.Point(121000, 487000), shapely.Point(121001, 487001)], fields)
    monkeypatch.setattr(sources, "_read_arrow", lambda *a: pytest.fail("arrow road taken"))
    table = sources._read_gdal(io.BytesIO(data), None)
    assert table.columns["ok"].tolist() == [True, False]
    assert table.columns["when"].dtype.kind == "M"


def test_a_field_named_like_the_streams_geometry_column_is_read(monkeypatch) -> None:
    data = _fgb_any([shapely.Point(121000, 487000)], {"wkb_geometry": np.array([5])})
    table = sources._read_gdal(io.BytesIO(data), None)
    assert table.columns["wkb_geometry"].tolist() == [5]
    assert shapely.get_x(table.geometries[0]) == 121000.0


# --- GeoParquet: row groups skipped by the covering column, rows' positions ------------


def _gpq(
    geoms: list,
    columns: dict | None = None,
    *,
    covering: bool = True,
    row_group_size: int = 4,
) -> bytes:
    """GeoParquet 1.1 in EPSG:28992 of any geometries (``None``: none) and pyarrow columns."""
    import orjson
    from pyproj import CRS

    wkb = pa.array([None if g is None else shapely.to_wkb(g) for g in geoms], type=pa.binary())
    data = {**(columns or {}), "geometry": wkb}
    spec: dict = {
        "encoding": "WKB",
        "geometry_types": [],
        "crs": CRS.from_epsg(28992).to_json_dict(),
    }
    if covering:
        present = np.asarray([g is not None for g in geoms], dtype=bool)
        b = np.full((len(geoms), 4), np.nan)
        if present.any():
            b[present] = shapely.bounds(np.asarray(geoms, dtype=object)[present])
        data["bbox"] = pa.StructArray.from_arrays(
            [pa.array(b[:, k], type=pa.float64()) for k in range(4)],
            names=["xmin", "ymin", "xmax", "ymax"],
            mask=pa.array(~present, type=pa.bool_()),
        )
        spec["covering"] = {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": spec}}
    table = pa.table(data).replace_schema_metadata({b"geo": orjson.dumps(geo)})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size)
    return buf.getvalue()


def _positions_meeting(geoms: list, bbox) -> list[int]:
    """The oracle of positions: every feature with a geometry whose box meets ``bbox``."""
    if bbox is None:
        return list(range(len(geoms)))
    x0, y0, x1, y1 = bbox
    return [
        i
        for i, g in enumerate(geoms)
        if g is not None and (b := g.bounds)[0] <= x1 and b[2] >= x0 and b[1] <= y1 and b[3] >= y0
    ]


def _read_as_before(data: bytes, bbox) -> sources.FeatureTable:
    """GeoParquet as ``sources`` read it before row positions (commit 869c685), the reference.

    The whole file through ``pq.read_table``, rows filtered by the covering columns (a
    dataset filter), then by each geometry's box. A column's dtype follows the rows the
    filter keeps (an integer column with nulls among them becomes float), so the
    reading by row groups must filter the same rows before converting.
    """
    import pyarrow.compute as pc

    filters = None
    if bbox is not None and "bbox" in pq.read_schema(io.BytesIO(data)).names:  # covering
        x0, y0, x1, y1 = bbox
        f = {k: pc.field("bbox", k) for k in ("xmin", "ymin", "xmax", "ymax")}
        filters = (f["xmin"] <= x1) & (f["xmax"] >= x0) & (f["ymin"] <= y1) & (f["ymax"] >= y0)
    table = pq.read_table(io.BytesIO(data), filters=filters)
    geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    keep = np.ones(len(geoms), dtype=bool)
    if bbox is not None:
        keep[:] = False
        keep[_positions_meeting(list(geoms), bbox)] = True
    columns = {
        k: table.column(k).to_numpy(zero_copy_only=False)[keep]
        for k in table.column_names
        if k not in ("geometry", "bbox")
    }
    return sources.FeatureTable(np.asarray(geoms, dtype=object)[keep], columns, "EPSG:28992")


_FEATURE = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 100), st.integers(0, 100), st.integers(0, 15), st.integers(0, 15)),
)


def _shape(f):
    if f is None:
        return None
    x, y, w, h = f
    return shapely.Point(x, y) if w == h == 0 else shapely.box(x, y, x + w, y + h)


@settings(max_examples=examples(150), deadline=None)
@given(
    feats=st.lists(_FEATURE, max_size=60),
    row_group_size=st.integers(1, 25),
    covering=st.booleans(),
    sort=st.booleans(),
    box=st.none() | st.tuples(*[st.integers(-10, 120)] * 4),
)
def test_geoparquet_rows_keep_their_positions_in_the_file(
    feats, row_group_size, covering, sort, box
) -> None:
    """Any row groups, box and file: the rows and positions reading everything gives."""
    if sort:  # row groups with narrow statistics, so that some are skipped
        feats = sorted(feats, key=lambda f: (-1, -1) if f is None else (f[0], f[1]))
    geoms = [_shape(f) for f in feats]
    data = _gpq(
        geoms,
        {"n": pa.array(range(len(geoms)), pa.int64())},
        covering=covering,
        row_group_size=row_group_size,
    )
    bbox = (
        None
        if box is None
        else [min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])]
    )
    positions = _positions_meeting(geoms, bbox)
    got = sources.read_table("trees", _source(data, "geoparquet", bbox=bbox), fids=True)
    assert got.fids is not None and got.fids.dtype == np.int64
    assert got.fids.tolist() == positions
    assert got.columns["n"].tolist() == positions  # each row's own number: its position
    assert [None if g is None else g.wkt for g in got.geometries] == [
        None if geoms[i] is None else geoms[i].wkt for i in positions
    ]
    plain = sources.read_table("trees", _source(data, "geoparquet", bbox=bbox))
    assert plain.fids is None
    _tables_equal(plain, _read_as_before(data, bbox))
    _tables_equal(got, plain)


def _recording_row_groups(monkeypatch) -> list[list[int]]:
    reads: list[list[int]] = []
    original = pq.ParquetFile.read_row_groups

    def record(self, row_groups, *args, **kwargs):
        reads.append(list(row_groups))
        return original(self, row_groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", record)
    return reads


@pytest.mark.parametrize("covering", [True, False])
def test_a_geoparquet_bbox_reads_only_the_row_groups_it_may_meet(covering, monkeypatch) -> None:
    # points at x = 0 … 99 (y = x % 7), ten to a row group: group g holds x = 10 g … 10 g + 9
    pts = [shapely.Point(x, x % 7) for x in range(100)]
    data = _gpq(pts, covering=covering, row_group_size=10)
    reads = _recording_row_groups(monkeypatch)
    got = sources.read_table("trees", _source(data, "geoparquet", bbox=[25, 0, 34.5, 3]), fids=True)
    # x 25 … 34 with y = x % 7 ≤ 3: 28 (0), 29 (1), 30 (2), 31 (3)
    assert got.fids.tolist() == [28, 29, 30, 31]
    assert shapely.get_x(got.geometries).tolist() == [28.0, 29.0, 30.0, 31.0]
    assert reads == [[2, 3] if covering else list(range(10))]


def test_a_box_that_meets_no_row_group_reads_none() -> None:
    data = _gpq([shapely.Point(x, 0) for x in range(20)], row_group_size=5)
    got = sources.read_table("trees", _source(data, "geoparquet", bbox=[50, 0, 60, 1]), fids=True)
    assert len(got) == 0 and got.fids.tolist() == []


def test_geoparquet_columns_read_as_before() -> None:
    """Numbers with nulls, text, booleans, times: the columns read as before, row groups or not."""
    import datetime as dt

    n = 13
    geoms = [None if i == 4 else shapely.box(10 * i, 0, 10 * i + 5, 5) for i in range(n)]
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    columns = {
        "i": pa.array(range(n), pa.int64()),
        "i_null": pa.array([None if i % 3 == 0 else i for i in range(n)], pa.int32()),
        "f": pa.array([None if i % 4 == 1 else i / 3 for i in range(n)], pa.float64()),
        "s": pa.array([None if i % 5 == 2 else f"s{i}" for i in range(n)], pa.string()),
        "b": pa.array([None if i == 7 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "t": pa.array([t0 + dt.timedelta(hours=i) for i in range(n)], pa.timestamp("ms", "UTC")),
    }
    for covering in (True, False):
        data = _gpq(geoms, columns, covering=covering, row_group_size=3)
        # [71, 1, 81, 2]: rows 7 and 8 of the row group 6 … 8, whose "i_null" is null at
        # 6: read as before, the column is int32 (no null among the rows kept), not float
        for bbox in (None, [22, 1, 71, 2], [71, 1, 81, 2], [1000, 0, 1001, 1]):
            got = sources.read_table("trees", _source(data, "geoparquet", bbox=bbox))
            _tables_equal(got, _read_as_before(data, bbox))
            assert list(got.columns) == ["i", "i_null", "f", "s", "b", "t"]
    # 22 … 71 meets the boxes 20 … 25 to 70 … 75, but the fifth feature has no geometry
    box = [22, 1, 71, 2]
    got = sources.read_table("trees", _source(_gpq(geoms, columns), "geoparquet", bbox=box))
    assert got.columns["i"].tolist() == [2, 3, 5, 6, 7]
