"""Posts whose reply only counts by its status: the reply's body is never read.

A subscriber's callback and a Tygron editor event are POSTs whose answer matters only
by its status. Against a real HTTP server on 127.0.0.1 (the standard library's) that
answers 200 (or 503) declaring a gibibyte of body and then sends 1 KiB and stalls: a
poster that read the body would wait for its read timeout and fail; one that reads
only the status line and headers is done at once, and its memory never holds the body.
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


class _Stalling(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        POSTED.append((self.path, body))
        self.send_response(503 if self.path.endswith("/busy/") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(2**30))
        self.end_headers()
        self.wfile.write(b"[" + b" " * 1023)
        self.wfile.flush()
        RELEASE.wait(30)  # the rest never comes while the test runs


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
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
