"""A file by reference is read from its socket 1 MiB at a time, not httpcore's 64 KiB.

Against a real HTTP server on 127.0.0.1 (the standard library's), through the
:class:`~gsl_service.inputs.Fetcher` the API and the workers fetch with.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from httpcore._async.http11 import AsyncHTTP11Connection
from httpcore._backends.sync import SyncStream
from httpcore._sync.http11 import HTTP11Connection

from gsl_service import http_reads
from gsl_service.errors import FetchError
from gsl_service.inputs import AddressGuard, Fetcher

BODY = bytes(range(256)) * (3 * 2**20 // 256 + 17)  # a little over 3 MiB


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/flatgeobuf")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/file.fgb"
    server.shutdown()


def test_httpcore_reads_a_mebibyte_at_a_time_once_inputs_is_imported() -> None:
    assert http_reads.READ_SIZE == 2**20
    assert HTTP11Connection.READ_NUM_BYTES == AsyncHTTP11Connection.READ_NUM_BYTES == 2**20


def test_raising_it_never_lowers_it() -> None:
    assert http_reads.read_responses_in_larger_chunks(size=4096)
    assert HTTP11Connection.READ_NUM_BYTES == 2**20


def test_a_fetch_asks_the_socket_for_a_mebibyte_and_gets_the_file_whole(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    read = SyncStream.read

    def spy(self: SyncStream, max_bytes: int, timeout: float | None = None) -> bytes:
        asked.append(max_bytes)
        return read(self, max_bytes, timeout)

    monkeypatch.setattr(SyncStream, "read", spy)
    sink = io.BytesIO()
    fetcher = Fetcher(AddressGuard(["127.0.0.1/32"]))
    try:
        fetcher.fetch_to("buildings", url, sink)
    finally:
        fetcher.close()
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(BODY).digest()
    assert asked and set(asked) == {2**20}  # headers and body alike


def test_the_size_limit_still_stops_a_body_within_one_read(url: str) -> None:
    fetcher = Fetcher(AddressGuard(["127.0.0.1/32"]), max_bytes=2**20)
    sink: Any = io.BytesIO()
    try:
        with pytest.raises(FetchError, match="larger than the limit of 1048576 bytes"):
            fetcher.fetch_to("buildings", url, sink)
    finally:
        fetcher.close()
    assert len(sink.getvalue()) <= 2**20  # nothing past the limit was written


def test_without_the_attribute_it_says_so_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(AsyncHTTP11Connection, "READ_NUM_BYTES")
    assert not http_reads.read_responses_in_larger_chunks(size=2**21)
    assert HTTP11Connection.READ_NUM_BYTES == 2**20
    assert "READ_NUM_BYTES" in caplog.text
