"""The spool: content-addressed, verified, bounded; files by reference read from it.

The fetch is a stand-in callable here (the HTTP path, guard and limits are those of
``Fetcher`` and are tested with a real server in tests/engine/test_files_by_reference.py).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
import shapely

from gsl_indicators.core import sources
from gsl_indicators.core.spec import InputError
from gsl_service.errors import FetchError
from gsl_service.spool import Spool


def _server(files: dict[str, bytes], calls: list[str]) -> Any:
    def fetch(name: str, url: str, sink: Any) -> tuple[bytes, httpx.Headers, str]:
        calls.append(url)
        if url not in files:
            raise FetchError(f"input '{name}': {url} answered HTTP 404", input_name=name)
        data = files[url]
        for k in range(0, len(data), 7):  # streamed in small chunks
            sink.write(data[k : k + 7])
        return b"", httpx.Headers({"content-type": "application/octet-stream"}), url

    return fetch


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_download_is_named_by_its_sha256_and_sniffable(tmp_path: Path) -> None:
    data = b"fgb\x03fgb\x00" + bytes(range(100))
    spool = Spool(tmp_path, max_bytes=10**6)
    got = spool.download(lambda sink: _server({"u": data}, [])("x", "u", sink))
    assert got.sha256 == _sha(data) and got.size == 108 == len(data)
    assert got.path == tmp_path / _sha(data) and got.path.read_bytes() == data
    assert sources.sniff(got.head) == "flatgeobuf"
    assert [p.name for p in tmp_path.iterdir()] == [_sha(data)]  # no part file left


def test_locate_reuses_a_spooled_file_and_fetches_a_missing_one_once(tmp_path: Path) -> None:
    data = b"PAR1" + b"z" * 50
    calls: list[str] = []
    spool = Spool(tmp_path, max_bytes=10**6, fetch=_server({"http://h/a": data}, calls))
    ref = sources.file_source(fmt="geoparquet", href="http://h/a", bbox=None, sha256=_sha(data))
    first = spool.locate("homes", ref)
    again = spool.locate("homes", sources.with_bbox(ref, [0, 0, 1, 1]))  # a tile of it
    assert first == again == str(tmp_path / _sha(data))
    assert calls == ["http://h/a"]  # fetched once, then reused
    assert Path(first).read_bytes() == data


def test_a_changed_file_is_a_digest_mismatch_naming_the_input(tmp_path: Path) -> None:
    pinned, now = b"PAR1 version one", b"PAR1 version two"
    spool = Spool(tmp_path, max_bytes=10**6, fetch=_server({"http://h/a": now}, []))
    ref = sources.file_source(fmt="geoparquet", href="http://h/a", bbox=None, sha256=_sha(pinned))
    with pytest.raises(InputError, match="changed since the job was submitted") as err:
        spool.locate("homes", ref)
    assert err.value.input_name == "homes"
    assert "digest mismatch" in str(err.value) and _sha(now) in str(err.value)
    assert not (tmp_path / _sha(pinned)).exists()  # nothing stored under the pinned name


def test_a_refused_fetch_names_the_input(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**6, fetch=_server({}, []))
    ref = sources.file_source(fmt="flatgeobuf", href="http://h/gone", bbox=None, sha256="0" * 64)
    with pytest.raises(InputError, match="HTTP 404") as err:
        spool.locate("trees", ref)
    assert err.value.input_name == "trees"


def test_the_spool_stays_under_its_bound_least_recently_used_first(tmp_path: Path) -> None:
    blobs = [bytes([k]) * 400 for k in range(4)]  # 400 bytes each
    spool = Spool(tmp_path, max_bytes=1000)  # room for two
    paths = []
    for k, blob in enumerate(blobs[:2]):
        paths.append(spool.download(lambda s, b=blob: (s.write(b), (b"", httpx.Headers(), ""))[1]))
        os.utime(paths[-1].path, (1000 + k, 1000 + k))  # b0 older than b1
    ref0 = sources.file_source(fmt="geoparquet", href="u", bbox=None, sha256=_sha(blobs[0]))
    spool.locate("a", ref0)  # b0 used now: b1 is the least recently used
    spool.download(lambda s: (s.write(blobs[2]), (b"", httpx.Headers(), ""))[1])
    # 3 × 400 = 1200 > 1000: one file goes, the least recently used (b1)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([_sha(blobs[0]), _sha(blobs[2])])
    assert spool.size() == 800


def test_a_reference_is_read_with_its_bbox_from_the_located_copy(tmp_path: Path) -> None:
    homes = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]},
        geometry=[shapely.box(100 * i, 0, 100 * i + 10, 10) for i in range(3)],
        crs="EPSG:28992",
    )
    buf = io.BytesIO()
    homes.to_file(buf, driver="FlatGeobuf", engine="pyogrio")
    data = buf.getvalue()
    spool = Spool(tmp_path, max_bytes=10**6, fetch=_server({"http://h/h.fgb": data}, []))
    ref = sources.file_source(
        fmt="flatgeobuf", href="http://h/h.fgb", bbox=[95, -1, 150, 1], sha256=_sha(data)
    )
    sources.set_locator(spool.locate)
    try:
        table = sources.read_table("homes", ref)
    finally:
        sources.set_locator(None)
    assert table.columns["id"].tolist() == ["b"]  # only x 100–110 meets x 95–150
    in_memory = sources.file_source(
        fmt="flatgeobuf", href="h", bbox=[95, -1, 150, 1], sha256=_sha(data), data=data
    )
    assert table.digest == sources.read_table("homes", in_memory).digest  # same key either way
    with pytest.raises(InputError, match="no spool"):
        sources.read_table("homes", ref)  # no locator in this process now


def test_json_cannot_pass_for_a_file_reference() -> None:
    sha = "ab" * 32
    forged = {"source": "file", "format": "flatgeobuf", "sha256": sha, "pin": sha, "path": "/etc"}
    assert not sources.is_file_source(forged)
    assert sources.is_file_source({**forged, "pin": bytes.fromhex(sha)})
