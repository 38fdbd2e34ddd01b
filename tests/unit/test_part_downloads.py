"""Downloads made from a part's stored forms are the files the whole-document road makes.

A collection with what makes exports differ — null, nested and nullable integer
properties, feature ids on some features, a feature without a geometry, polygons and
multipolygons in one layer (promoted to multi), a property named like a writer's own
column, text beyond ASCII — is stored as the worker stores a large output
(:func:`gsl_service.result_parts._stored_forms`). Each download from the stored forms
(:mod:`gsl_service.part_downloads`) is compared with :func:`gsl_service.exports.export`
of the output as the whole-document road has it (parsed from its canonical JSON, and
reprojected by :func:`~gsl_service.exports.reproject_collection` where another CRS is
asked): GDAL's files read back field by field (GDAL reading both), GeoParquet as the
same table, GeoJSON as the same JSON, CSV byte for byte.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pyogrio
import pytest

from gsl_indicators.core import synthetic
from gsl_indicators.core.canonical import canonical_json
from gsl_service import part_downloads
from gsl_service.exports import FORMATS, crs_member, export, reproject_collection
from gsl_service.result_parts import _stored_forms

RD = "EPSG:28992"


def _collection(n: int = 240) -> dict[str, Any]:
    fc = synthetic.city(n, seed=5)["buildings"]
    for i, feat in enumerate(fc["features"]):
        props = feat["properties"]
        props["nothing"] = None
        props["maybe_int"] = i if i % 3 else None
        props["nested"] = {"a": i, "naam": "Zuidoost-Ü"} if i % 5 == 0 else None
        props["fid"] = f"clash {i}"  # a GDAL name: property_fid in the files
        if i % 7 == 0 and feat["geometry"]["type"] == "Polygon":
            feat["geometry"] = {
                "type": "MultiPolygon",
                "coordinates": [feat["geometry"]["coordinates"]],
            }
        if i % 11 == 0:
            feat["id"] = f"F{i}"
        else:
            feat.pop("id", None)
    fc["features"][4]["geometry"] = None
    fc["crs"] = crs_member(RD)
    return fc


@pytest.fixture(scope="module")
def stored() -> tuple[dict[str, Any], bytes, bytes]:
    fc = _collection()
    _, blob, parquet = _stored_forms(fc, crs=RD, layer="buildings")
    whole = orjson.loads(canonical_json(fc))  # what the document, put back together, holds
    return whole, blob, parquet


def _whole(fc: dict[str, Any], target: str) -> dict[str, Any]:
    return fc if target == RD else reproject_collection(fc, RD, target)


@pytest.mark.parametrize("key", ["flatgeobuf", "gpkg"])
@pytest.mark.parametrize("target", [None, "OGC:CRS84", "EPSG:3035"])
def test_gdal_files_from_the_stored_geoparquet(stored, key, target, tmp_path: Path) -> None:
    whole, _, parquet = stored
    path = part_downloads.gdal_file(parquet, FORMATS[key], layer="buildings", target_crs=target, folder=tmp_path)  # fmt: skip
    assert path is not None and path.parent == tmp_path
    want = io.BytesIO(export(_whole(whole, target or RD), FORMATS[key], target or RD, "buildings"))
    got_info, want_info = pyogrio.read_info(path), pyogrio.read_info(want)
    for item in ("layer_name", "crs", "geometry_type", "features", "total_bounds"):
        assert got_info[item] == want_info[item], item
    assert got_info["geometry_type"] == "MultiPolygon"  # polygons promoted, as on the whole road
    got, ref = pyogrio.read_arrow(path)[1], pyogrio.read_arrow(want)[1]
    # the same fields of the same types; the stored file keeps the indicator's field order,
    # the parsed document its sorted keys
    assert sorted(got.schema, key=lambda f: f.name) == sorted(ref.schema, key=lambda f: f.name)
    assert {"property_fid", "feature_id", "nested", "nothing"} <= set(got.column_names)
    assert got.select(ref.column_names).equals(ref)  # every value and geometry, in order
    stored_order = [n for n in pq.read_schema(io.BytesIO(parquet)).names if n not in ("bbox", "geometry")]  # fmt: skip
    assert [f.name for f in got.schema][
        : len(stored_order)
    ] == stored_order  # the stored file's order


@pytest.mark.parametrize("name", ["bbox", "BBox", "property_bbox"])
def test_a_property_that_may_be_bbox_renamed_reads_the_whole_document(tmp_path: Path, name: str) -> None:  # fmt: skip
    fc = _collection(20)
    for feat in fc["features"]:
        feat["properties"][name] = 1  # renamed in the GeoParquet file alone (bbox, any case)
    _, _, parquet = _stored_forms(fc, crs=RD, layer="buildings")
    assert part_downloads.gdal_file(parquet, FORMATS["gpkg"], layer="b", target_crs=None, folder=tmp_path) is None  # fmt: skip
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["OGC:CRS84", "EPSG:3035"])
def test_geoparquet_in_another_crs(stored, target) -> None:
    whole, _, parquet = stored
    got = part_downloads.reprojected_geoparquet(parquet, target)
    want = export(_whole(whole, target), FORMATS["geoparquet"], target, "buildings")
    got_table, want_table = pq.read_table(io.BytesIO(got)), pq.read_table(io.BytesIO(want))
    assert got_table.schema.metadata[b"geo"] == want_table.schema.metadata[b"geo"]
    assert got_table.select(want_table.column_names).equals(want_table)


@pytest.mark.parametrize("target", [RD, "OGC:CRS84"])
def test_geojson_streamed_from_the_stored_json(stored, target) -> None:
    whole, blob, _ = stored
    assert part_downloads.json_crs(blob, "OGC:CRS84") == RD  # its crs member
    got = b"".join(part_downloads.geojson_chunks(blob, source_crs=RD, target_crs=target))
    want = export(_whole(whole, target), FORMATS["geojson"], target, "buildings")
    assert json.loads(got) == json.loads(want)
    assert ("crs" in json.loads(got)) is (target != "OGC:CRS84")


@pytest.mark.parametrize("target", [RD, "OGC:CRS84"])
def test_csv_streamed_from_the_stored_json(stored, target) -> None:
    whole, blob, _ = stored
    got = b"".join(part_downloads.csv_chunks(blob, source_crs=RD, target_crs=target))
    assert got == export(_whole(whole, target), FORMATS["csv"], target, "buildings")
    assert got.count(b"\r\n") == 241


@pytest.mark.parametrize("late", [None, 3, 200], ids=["same-properties", "late-key-batch-1", "late-key-batch-29"])  # fmt: skip
@pytest.mark.parametrize("target", [RD, "OGC:CRS84"])
def test_csv_in_small_batches_with_a_property_met_late(monkeypatch, late, target) -> None:
    """Read once with the first batch's columns, or twice when a later batch brings one.

    In batches of 7 the first batch of 240 features has ``nested.a`` (feature 0) but a
    property only feature 200 has (batch 29) is met late: the rows spooled so far are
    dropped and the columns read first; at feature 3 (the first batch) it is a column
    from the start. The bytes are the whole road's in every case, spooled on disk too.
    """
    fc = _collection()
    if late is not None:
        fc["features"][late]["properties"]["late"] = "only here"
    _, blob, _ = _stored_forms(fc, crs=RD, layer="buildings")
    whole = orjson.loads(canonical_json(fc))
    monkeypatch.setattr(part_downloads, "JSON_BATCH", 7)
    monkeypatch.setattr(part_downloads, "CSV_SPOOL_MEMORY", 1000)  # on disk after 1 kB
    monkeypatch.setattr(part_downloads, "CSV_CHUNK", 999)
    reads = []
    real = part_downloads.CollectionStream

    def counted(data: bytes) -> Any:
        reads.append(1)
        return real(data)

    monkeypatch.setattr(part_downloads, "CollectionStream", counted)
    chunks = list(part_downloads.csv_chunks(blob, source_crs=RD, target_crs=target))
    got = b"".join(chunks)
    assert got == export(_whole(whole, target), FORMATS["csv"], target, "buildings")
    assert (b",late," in got.split(b"\r\n")[0]) is (late is not None)
    assert len(reads) == (2 if late == 200 else 1)
    if late != 200:  # header, then the spool in chunks of 999 bytes
        assert max(len(c) for c in chunks[1:]) == 999 and len(chunks) > 10


def test_the_csv_spool_is_closed_when_the_client_goes_after_the_header() -> None:
    """Found in review: the header was sent before the spool's ``with``, so a download
    dropped right after it left the spool to the garbage collector."""
    import gc
    import warnings

    _, blob, _ = _stored_forms(_collection(), crs=RD, layer="buildings")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chunks = part_downloads.csv_chunks(blob, source_crs=RD, target_crs=RD)
        assert next(chunks).startswith(b"id,")
        chunks.close()
        del chunks
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_leftover_download_folders_are_swept_when_old(tmp_path: Path) -> None:
    import os
    import time

    old, young, other = (tmp_path / n for n in ("gsl-download-a", "gsl-download-b", "keep-me"))
    for path in (old, young, other):
        path.mkdir()
        (path / "homes.fgb").write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    assert part_downloads.sweep_leftovers(3600, folder=str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gsl-download-b", "keep-me"]
