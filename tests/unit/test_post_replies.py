"""Posts whose reply only counts by its status (:func:`gsl_service.http_reads.post_status`).

A subscriber's callback and a Tygron editor event are POSTs whose answer matters only
by its status. Against a real HTTP/1.1 server on 127.0.0.1 (the standard library's):

* one that answers 200 (or 503) declaring a gibibyte of body, then sends 1 KiB and
  stalls: a poster that read the body would wait for its read timeout and fail; one
  that reads only the status line and headers is done at once, and its memory never
  holds the body;
* one that answers a small body: it is read to its end, so posts share one connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from file_store import serving
from gsl_service.adapters.tygron import TygronSession, TygronUnavailable
from gsl_service.callbacks import CallbackPoster
from gsl_service.inputs import AddressGuard

RELEASE = threading.Event()  # set at the end: the stalled answers end
POSTED: list[tuple[str, bytes]] = []
PORTS: list[int] = []  # the client's port of each post: one per connection


class _Stalling(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections kept between requests

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        POSTED.append((self.path, body))
        PORTS.append(self.client_address[1])
        if self.path.startswith("/small"):
            status, reply = (204, b"") if self.path.endswith("/none") else (200, b'{"ok":true}')
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            return
        self.send_response(503 if self.path.endswith("/busy/") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(2**30))
        self.end_headers()
        self.wfile.write(b"[" + b" " * 1023)
        self.wfile.flush()
        RELEASE.wait(30)  # the rest never comes while the test runs


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    RELEASE.clear()
    with serving(_Stalling) as url:
        try:
            yield url
        finally:
            RELEASE.set()


def _guard() -> AddressGuard:
    return AddressGuard(["127.0.0.1/32"])


def test_a_callback_is_done_at_the_status_whatever_body_follows(base: str) -> None:
    POSTED.clear()
    poster = CallbackPoster(_guard(), retries=0, timeout_s=2.0)
    try:
        # reading the body would end in a read timeout after 2 s: a failed post
        assert poster.post_now(f"{base}/done", b'{"status":"successful"}') is True
    finally:
        poster.close()
    assert POSTED == [("/done", b'{"status":"successful"}')]


def test_a_tygron_event_is_done_at_the_status_and_a_refusal_still_named(base: str) -> None:
    POSTED.clear()
    session = TygronSession(f"{base}", "token", _guard(), max_bytes=2**20, timeout_s=2.0)
    try:
        session.post_event("EditorIndicatorEventType/SET_ATTRIBUTES", [1, "x"])
        with pytest.raises(TygronUnavailable, match="HTTP 503"):
            session.post_event("busy", [])
    finally:
        session.close()
    assert [p for p, _ in POSTED] == [
        "/api/session/event/EditorIndicatorEventType/SET_ATTRIBUTES/",
        "/api/session/event/busy/",
    ]
    assert POSTED[0][1] == b'[1,"x"]'


def test_a_small_reply_is_read_so_posts_share_a_connection(base: str) -> None:
    POSTED.clear()
    PORTS.clear()
    poster = CallbackPoster(_guard(), retries=0, timeout_s=2.0)
    try:
        for path in ("/small/1", "/small/none", "/small/2"):
            assert poster.post_now(f"{base}{path}", b"{}") is True
    finally:
        poster.close()
    assert [p for p, _ in POSTED] == ["/small/1", "/small/none", "/small/2"]
    assert len(set(PORTS)) == 1  # one connection; unread, each reply would have closed it
    session = TygronSession(f"{base}/small", "token", _guard(), max_bytes=2**20, timeout_s=2.0)
    PORTS.clear()
    try:
        session.post_event("a", [])
        session.post_event("b", [])
    finally:
        session.close()
    assert len(PORTS) == 2 and len(set(PORTS)) == 1
