"""Geo inputs from files read as columns (``core.sources``) and the layers made from them."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pyogrio.raw import write

from gsl_indicators.core import sources
from gsl_indicators.core.geo import GEO_IN, RD_NEW, read_layers
from gsl_indicators.core.spec import Context, GeoInput, InputError

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
    if cached:
        assert homes.properties == [{"name": "a", "score": 1.0}, {"name": "b", "score": 2.0}]


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
