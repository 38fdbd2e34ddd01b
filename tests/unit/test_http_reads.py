"""Response bodies: read from the socket 1 MiB at a time, decoded with a bound.

Against a real HTTP server on 127.0.0.1 (the standard library's), through the
:class:`~gsl_service.inputs.Fetcher` the API and the workers fetch with.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import sys
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from httpcore._async.http11 import AsyncHTTP11Connection
from httpcore._backends.sync import SyncStream
from httpcore._sync.http11 import HTTP11Connection

from file_store import send, serving
from gsl_service import http_reads
from gsl_service.errors import FetchError
from gsl_service.inputs import AddressGuard, Fetcher

BODY = bytes(range(256)) * (3 * 2**20 // 256 + 17)  # a little over 3 MiB
BOMB = gzip.compress(bytes(64 * 2**20), compresslevel=9)  # 64 MiB of zeros in ~64 KiB
_RAW_DEFLATE = zlib.compressobj(wbits=-zlib.MAX_WBITS)
#: path -> (Content-Encoding or None, body sent, whether Content-Length is sent)
ROUTES: dict[str, tuple[str | None, bytes, bool]] = {
    "/file.fgb": (None, BODY, True),
    "/no-length.fgb": (None, BODY, False),  # ended by closing the connection
    "/bomb.fgb": ("gzip", BOMB, True),
    "/file.gzip": ("gzip", gzip.compress(BODY), True),
    "/file.x-gzip": ("x-gzip", gzip.compress(BODY), False),
    "/file.deflate": ("deflate", zlib.compress(BODY), True),
    "/file.raw-deflate": ("deflate", _RAW_DEFLATE.compress(BODY) + _RAW_DEFLATE.flush(), True),
    "/file.br": ("br", b"\x0b\x02\x80hello\x03", True),
    "/file.gzip-gzip": ("gzip, gzip", gzip.compress(gzip.compress(BODY)), True),
    "/broken.gzip": ("gzip", b"\x1f\x8b\x08\x00" + bytes(200), True),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        encoding, body, length = ROUTES[self.path]
        extra = {"Content-Encoding": encoding} if encoding else {}
        send(self, body, "application/flatgeobuf", headers=extra, length=length)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def _fetch(url: str, max_bytes: int = 100 * 2**20) -> io.BytesIO:
    sink = io.BytesIO()
    fetcher = Fetcher(AddressGuard(["127.0.0.1/32"]), max_bytes=max_bytes)
    try:
        fetcher.fetch_to("buildings", url, sink)
    finally:
        fetcher.close()
    return sink


def test_httpcore_reads_a_mebibyte_at_a_time_once_inputs_is_imported() -> None:
    assert http_reads.READ_SIZE == 2**20
    assert HTTP11Connection.READ_NUM_BYTES == AsyncHTTP11Connection.READ_NUM_BYTES == 2**20


def test_raising_it_never_lowers_it() -> None:
    assert http_reads.read_responses_in_larger_chunks(size=4096)
    assert HTTP11Connection.READ_NUM_BYTES == 2**20


def test_a_fetch_asks_the_socket_for_a_mebibyte_and_gets_the_file_whole(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    read = SyncStream.read

    def spy(self: SyncStream, max_bytes: int, timeout: float | None = None) -> bytes:
        asked.append(max_bytes)
        return read(self, max_bytes, timeout)

    monkeypatch.setattr(SyncStream, "read", spy)
    sink = _fetch(f"{base}/file.fgb")
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(BODY).digest()
    assert asked and set(asked) == {2**20}  # headers and body alike


def test_the_size_limit_stops_a_body_of_no_declared_length_within_one_read(base: str) -> None:
    with pytest.raises(FetchError, match="larger than the limit of 1048576 bytes"):
        _fetch(f"{base}/no-length.fgb", max_bytes=2**20)
    # what was written before the limit was passed: nothing past it
    sink = io.BytesIO()
    fetcher = Fetcher(AddressGuard(["127.0.0.1/32"]), max_bytes=2 * 2**20 + 1)
    with pytest.raises(FetchError, match="larger than the limit"):
        fetcher.fetch_to("buildings", f"{base}/no-length.fgb", sink)
    fetcher.close()
    assert 0 < len(sink.getvalue()) <= 2 * 2**20 + 1
    assert sink.getvalue() == BODY[: len(sink.getvalue())]


@pytest.mark.parametrize("route", ["gzip", "x-gzip", "deflate", "raw-deflate"])
def test_a_compressed_body_arrives_decoded(base: str, route: str) -> None:
    sink = _fetch(f"{base}/file.{route}")
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(BODY).digest()


def test_a_gzip_bomb_is_decoded_a_step_at_a_time_and_stopped_at_the_limit(base: str) -> None:
    with httpx.Client() as client, client.stream("GET", f"{base}/bomb.fgb") as resp:
        sizes = []
        for chunk in http_reads.body_chunks(resp):
            sizes.append(len(chunk))
            assert chunk.count(0) == len(chunk)
            if sum(sizes) > 8 * 2**20:
                break
    assert max(sizes) <= 2**20  # httpx's own decoding gives a read's worth at once
    assert sum(sizes) > 8 * 2**20
    with pytest.raises(FetchError, match="larger than the limit of 4194304 bytes"):
        _fetch(f"{base}/bomb.fgb", max_bytes=4 * 2**20)


class _Writes(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.sizes.append(len(chunk))
        return super().write(chunk)


def test_a_fetch_decodes_a_compressed_file_a_mebibyte_at_most_at_a_time(base: str) -> None:
    sink = _Writes()
    fetcher = Fetcher(AddressGuard(["127.0.0.1/32"]))
    try:
        fetcher.fetch_to("buildings", f"{base}/bomb.fgb", sink)  # within the 100 MiB limit
    finally:
        fetcher.close()
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(bytes(64 * 2**20)).digest()
    assert max(sink.sizes) <= 2**20 and len(sink.sizes) >= 64


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ("file.br", "content encoding br is not accepted"),
        ("file.gzip-gzip", "content encoding gzip, gzip is not accepted"),
        ("broken.gzip", "the body is not valid gzip data"),
    ],
)
def test_a_body_it_cannot_decode_is_refused_naming_why(base: str, route: str, reason: str) -> None:
    with pytest.raises(FetchError, match=f"input 'buildings': fetching .* failed: .*{reason}"):
        _fetch(f"{base}/{route}")


def test_without_the_attribute_it_says_so_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(AsyncHTTP11Connection, "READ_NUM_BYTES")
    with caplog.at_level(logging.WARNING, logger="gsl_service.http_reads"):
        assert not http_reads.read_responses_in_larger_chunks(size=2**21)
    assert HTTP11Connection.READ_NUM_BYTES == 2**20
    assert "no READ_NUM_BYTES" in caplog.text


def test_without_the_module_it_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "httpcore._sync.http11", None)  # import raises ImportError
    with caplog.at_level(logging.WARNING, logger="gsl_service.http_reads"):
        assert not http_reads.read_responses_in_larger_chunks(size=2**21)
    assert "no http11 module" in caplog.text
    assert HTTP11Connection.READ_NUM_BYTES == 2**20
