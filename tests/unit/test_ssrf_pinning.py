"""SSRF guard: IPv6 wrappers of private IPv4 addresses, and connections pinned to the
vetted address (no DNS rebinding between check and connect). Resolver stubs, a real
local HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import orjson
import pytest

from gsl_service.callbacks import CallbackPoster
from gsl_service.errors import FetchError
from gsl_service.inputs import AddressGuard, Fetcher, PinnedTransport, UnsafeURL

FC = {"type": "FeatureCollection", "features": []}


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str]]] = []  # (method, path, Host header)

    def log_message(self, *args) -> None:
        pass

    def _answer(self) -> None:
        Recorder.seen.append((self.command, self.path, self.headers.get("Host", "")))
        if self.path == "/to-private-name":
            self.send_response(302)
            self.send_header("Location", "http://inside.test/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = orjson.dumps(FC)
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


class FlipResolver:
    """Answers ``answers[i]`` on the i-th lookup (the last one afterwards): a rebinding DNS."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]


@pytest.mark.parametrize(
    ("address", "wrapped"),
    [
        ("2002:7f00:1::", "127.0.0.1"),  # 6to4: 0x7f000001 in bits 16..48
        ("2002:a00:1::1", "10.0.0.1"),
        ("2002:a9fe:a9fe::", "169.254.169.254"),
        ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64 well-known prefix, last 32 bits
        ("64:ff9b::c0a8:101", "192.168.1.1"),
        ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible (deprecated)
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo: ~0x80fffffe
    ],
)
def test_ipv6_wrappers_of_private_addresses_are_refused(address, wrapped) -> None:
    literal = f"http://[{address}]/x"
    with pytest.raises(UnsafeURL, match="not public"):
        AddressGuard().check(literal)
    named = AddressGuard(resolver=lambda host, port: [address])
    with pytest.raises(UnsafeURL, match="not public"):
        named.check("https://looks-public.example/x")
    # an allowlisted IPv4 network admits its wrapped forms too
    AddressGuard([wrapped + "/32"]).check(literal)


def test_local_use_nat64_prefix_is_refused_unless_allowlisted() -> None:
    with pytest.raises(UnsafeURL):
        AddressGuard().check("http://[64:ff9b:1::808:808]/x")  # wraps 8.8.8.8, still local-use
    AddressGuard(["64:ff9b:1::/48"]).check("http://[64:ff9b:1::808:808]/x")


@pytest.mark.parametrize("address", ["2002:808:808::", "64:ff9b::808:808"])  # 8.8.8.8
def test_wrappers_of_public_addresses_pass(address) -> None:
    assert str(AddressGuard().vet(f"http://[{address}]/x")) == address


def test_connection_goes_to_the_vetted_address(port) -> None:
    # first lookup (the check) -> 127.0.0.1 (allowlisted); any later lookup would say
    # 10.66.0.1. The name does not exist in real DNS, so a successful fetch proves the
    # connection used the vetted address rather than resolving again.
    resolver = FlipResolver(["127.0.0.1"], ["10.66.0.1"])
    f = Fetcher(AddressGuard(["127.0.0.0/8"], resolver=resolver), timeout_s=2)
    Recorder.seen.clear()
    try:
        got = f.fetch("a", {"href": f"http://rebind.test:{port}/fc.json"})
    finally:
        f.close()
    assert got == FC
    assert resolver.calls == ["rebind.test"]  # resolved once, for the check
    assert Recorder.seen == [("GET", "/fc.json", f"rebind.test:{port}")]  # Host keeps the name


def test_a_rebinding_name_is_refused_on_the_next_request(port) -> None:
    resolver = FlipResolver(["127.0.0.1"], ["10.66.0.1"])
    f = Fetcher(AddressGuard(["127.0.0.0/8"], resolver=resolver), timeout_s=2)
    try:
        f.fetch("a", {"href": f"http://rebind.test:{port}/fc.json"})
        with pytest.raises(FetchError, match=r"10\.66\.0\.1 is not public"):
            f.fetch("a", {"href": f"http://rebind.test:{port}/fc.json"})
    finally:
        f.close()


def test_redirect_to_a_private_name_is_refused(port) -> None:
    def resolver(host: str, _port: int) -> list[str]:
        return {"start.test": ["127.0.0.1"], "inside.test": ["10.0.0.7"]}[host]

    f = Fetcher(AddressGuard(["127.0.0.0/8"], resolver=resolver), timeout_s=2)
    try:
        with pytest.raises(FetchError, match=r"inside\.test/secret: address 10\.0\.0\.7"):
            f.fetch("a", {"href": f"http://start.test:{port}/to-private-name"})
    finally:
        f.close()


def test_https_keeps_the_name_for_sni_and_host() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=FC)

    guard = AddressGuard(resolver=lambda host, port: ["93.184.216.34"])
    client = httpx.Client(transport=PinnedTransport(guard, lambda: httpx.MockTransport(record)))
    client.get("https://data.example.org/fc.json")
    client.close()
    (req,) = sent
    assert req.url.host == "93.184.216.34"
    assert req.url.scheme == "https" and req.url.path == "/fc.json"
    assert req.extensions["sni_hostname"] == "data.example.org"
    assert req.headers["host"] == "data.example.org"


def test_one_connection_pool_per_host_name() -> None:
    made: list[httpx.BaseTransport] = []

    def factory() -> httpx.BaseTransport:
        t = httpx.MockTransport(lambda r: httpx.Response(204))
        made.append(t)
        return t

    guard = AddressGuard(resolver=lambda host, port: ["93.184.216.34"])  # one address, two names
    transport = PinnedTransport(guard, factory, max_hosts=1)
    with httpx.Client(transport=transport) as client:
        client.get("https://a.example/")
        client.get("https://a.example/again")
        client.get("https://b.example/")
    assert len(made) == 2  # a.example's pool reused once, b.example got its own


def test_callbacks_are_pinned_too(port) -> None:
    resolver = FlipResolver(["127.0.0.1"], ["10.66.0.1"])
    poster = CallbackPoster(AddressGuard(["127.0.0.0/8"], resolver=resolver), retries=0)
    Recorder.seen.clear()
    try:
        # post_now checks (lookup 1: 127.0.0.1) and the transport vets again before
        # connecting (lookup 2: 10.66.0.1, refused): the post is dropped, never sent.
        assert poster.post_now(f"http://cb.test:{port}/done", b"{}") is False
        assert Recorder.seen == []
        ok = CallbackPoster(AddressGuard(["127.0.0.0/8"], resolver=lambda h, p: ["127.0.0.1"]))
        assert ok.post_now(f"http://cb.test:{port}/done", b"{}") is True
        assert Recorder.seen == [("POST", "/done", f"cb.test:{port}")]
        ok.close()
    finally:
        poster.close()
