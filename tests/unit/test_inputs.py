"""Href inputs: fetching, paging, limits and the address (SSRF) guard, on a local server."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from geojson_helpers import fc, feature, point
from gsl_service.engine import Engine
from gsl_service.errors import FetchError
from gsl_service.inputs import (
    AddressGuard,
    Fetcher,
    UnresolvableHost,
    UnsafeURL,
    has_href,
    unwrap_values,
)
from gsl_service.settings import Settings

# RD (121000, 487000) and (121050, 487000): the local grid starts at RD_ORIGIN
FC = fc(feature(point(1000, 0), fid=1), feature(point(1050, 0), fid=2))
PAGES = {
    "/page1": {
        **fc(FC["features"][0], origin=None),
        "links": [{"rel": "next", "href": "/page2?x=1"}],
    },
    "/page2?x=1": {
        **fc(FC["features"][1], origin=None),
        "links": [{"rel": "self", "href": "/page2"}],
    },
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def send(self, body: bytes, ctype: str = "application/geo+json", code: int = 200, **h) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in h.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        p = self.path
        if p == "/fc.json":
            self.send(orjson.dumps(FC))
        elif p in PAGES:
            self.send(orjson.dumps(PAGES[p]))
        elif p == "/crs":
            self.send(
                orjson.dumps(fc(*FC["features"], crs=None)),
                Content_Crs="<http://www.opengis.net/def/crs/EPSG/0/28992>",
            )
        elif p == "/feature":
            self.send(orjson.dumps(FC["features"][0]))
        elif p == "/big":
            self.send(b" " * 5000 + orjson.dumps(FC))
        elif p == "/big-chunked":  # no Content-Length: the stream is cut off
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b" " * 100)
        elif p == "/slow":
            time.sleep(1.5)
            self.send(orjson.dumps(FC))
        elif p == "/msg.json":
            self.send(orjson.dumps("hi"), "application/json")
        elif p == "/obj.json":
            self.send(orjson.dumps({"a": [1, 2]}), "application/json")
        elif p == "/tif":
            self.send(b"II*\x00fake-tiff", "image/tiff")
        elif p == "/html":
            self.send(b"<html></html>", "text/html")
        elif p == "/to-metadata":
            self.send(b"", code=302, Location="http://169.254.169.254/latest/meta-data")
        elif p == "/to-fc":
            self.send(b"", code=301, Location="/fc.json")
        else:
            self.send(b"{}", code=404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(AddressGuard(["127.0.0.0/8"]), max_bytes=2000, timeout_s=0.5)
    yield f
    f.close()


def test_fetch_feature_collection(server, fetcher) -> None:
    got = fetcher.fetch("addresses", {"href": server + "/fc.json", "type": "application/geo+json"})
    assert got == FC


def test_pages_are_followed_and_merged(server, fetcher) -> None:
    got = fetcher.fetch("addresses", {"href": server + "/page1"})
    assert got == FC  # links dropped, features of both pages in order


def test_content_crs_header_becomes_crs_member(server, fetcher) -> None:
    got = fetcher.fetch("addresses", {"href": server + "/crs"})
    assert got["crs"]["properties"]["name"] == "http://www.opengis.net/def/crs/EPSG/0/28992"


def test_single_feature_is_wrapped_and_redirects_followed(server, fetcher) -> None:
    assert fetcher.fetch("a", {"href": server + "/feature"})["features"] == FC["features"][:1]
    assert fetcher.fetch("a", {"href": server + "/to-fc"}) == FC


def test_geotiff_is_handed_over_as_bytes(server, fetcher) -> None:
    got = fetcher.fetch("canopy", {"href": server + "/tif", "type": "image/tiff"})
    assert got["bytes"] == b"II*\x00fake-tiff" and len(got["sha256"]) == 64


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/big", "larger than the limit"),
        ("/big-chunked", "larger than the limit"),
        ("/slow", "took longer than"),
        ("/html", "did not return JSON"),
        ("/nothing", "HTTP 404"),
        ("/to-metadata", "169.254.169.254 is not public"),
    ],
)
def test_fetch_errors_name_the_input_and_reason(server, fetcher, path, reason) -> None:
    with pytest.raises(FetchError) as err:
        fetcher.fetch("addresses", {"href": server + path})
    assert err.value.input_name == "addresses"
    assert "addresses" in err.value.detail and reason in err.value.detail
    assert err.value.status == 400


def test_unsupported_media_type(server, fetcher) -> None:
    with pytest.raises(FetchError, match="not supported"):
        fetcher.fetch("a", {"href": server + "/fc.json", "type": "text/csv"})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://0.0.0.0/x",
        "file:///etc/passwd",
        "gopher://example.org/",
    ],
)
def test_private_addresses_are_refused_without_allowlist(url) -> None:
    with pytest.raises(UnsafeURL):
        AddressGuard().check(url)


def test_allowlist_by_host_name_and_cidr() -> None:
    AddressGuard(["localhost"]).check("http://localhost:8000/x")
    AddressGuard(["10.0.0.0/8"]).check("http://10.1.2.3/x")
    with pytest.raises(UnsafeURL):
        AddressGuard(["10.0.0.0/16"]).check("http://10.1.2.3/x")


class StubGuard(AddressGuard):
    def __init__(self, answers: list[str], allowlist=()) -> None:
        super().__init__(allowlist)
        self.answers = answers

    def resolve(self, host, port):
        return [ipaddress.ip_address(a) for a in self.answers]


def test_every_resolved_address_must_be_public() -> None:
    StubGuard(["93.184.216.34"]).check("https://example.org/x")
    with pytest.raises(UnsafeURL, match=r"10\.0\.0\.5"):
        StubGuard(["93.184.216.34", "10.0.0.5"]).check("https://example.org/x")


def test_refused_without_allowlist_through_the_fetcher(server) -> None:
    f = Fetcher(AddressGuard(), timeout_s=0.5)
    with pytest.raises(FetchError, match="not public"):
        f.fetch("addresses", {"href": server + "/fc.json"})
    f.close()


def test_engine_resolves_href_with_the_same_key_as_inline(server, tmp_path) -> None:
    engine = Engine(Settings(data_dir=tmp_path, fetch_allowlist="127.0.0.1"))
    try:
        inline = engine.prepare("urbanity-class", {"addresses": FC})
        byref = engine.prepare("urbanity-class", {"addresses": {"href": server + "/page1"}})
        assert byref.fetched == ["addresses"] and byref.key == inline.key
        assert byref.inputs["addresses"] == FC
    finally:
        engine.close()
    engine = Engine(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(FetchError):
            engine.prepare("urbanity-class", {"addresses": {"href": server + "/fc.json"}})
    finally:
        engine.close()


# ------------------------------------------------- qualified values, non-geo references


def test_qualified_values_are_unwrapped_only_when_exactly_qualified() -> None:
    got = unwrap_values(
        {
            "message": {"value": "hi", "mediaType": "text/plain"},
            "weights": [{"value": 1}, {"value": 2, "encoding": "utf-8"}],
            "override": {"value": 1, "unit": "m"},  # an object parameter: left alone
            "empty": {"mediaType": "application/json"},  # no value: left alone
            "plain": 3,
        }
    )
    assert got == {
        "message": "hi",
        "weights": [1, 2],
        "override": {"value": 1, "unit": "m"},
        "empty": {"mediaType": "application/json"},
        "plain": 3,
    }


def test_only_exact_links_are_references() -> None:
    assert has_href({"m": {"href": "http://x/a", "type": "application/json", "rel": "r"}})
    assert has_href({"m": {"value": {"href": "http://x/a"}}}) is True  # unwrapped first
    assert not has_href({"m": {"href": "http://x/a", "label": "an object parameter"}})
    assert not has_href({"m": {"href": "http://x/a", "features": []}})


def test_resolve_fetches_parameters_as_json_values(server, fetcher) -> None:
    inputs = {
        "message": {"href": server + "/msg.json", "type": "application/json"},
        "options": {"href": server + "/obj.json"},
        "many": [{"href": server + "/msg.json"}, {"href": server + "/obj.json"}],
        "addresses": {"href": server + "/fc.json"},
        "pause": {"value": 0.5, "mediaType": "application/json"},
        "labelled": {"href": server + "/msg.json", "label": "kept"},
    }
    got, fetched = fetcher.resolve(inputs, geo={"addresses"})
    assert got == {
        "message": "hi",
        "options": {"a": [1, 2]},
        "many": ["hi", {"a": [1, 2]}],
        "addresses": FC,
        "pause": 0.5,
        "labelled": {"href": server + "/msg.json", "label": "kept"},
    }
    assert fetched == ["message", "options", "many", "addresses"]


def test_resolve_of_a_geotiff_parameter_still_gives_bytes(server, fetcher) -> None:
    got, _ = fetcher.resolve({"grid": {"href": server + "/tif"}}, geo=())
    assert got["grid"]["bytes"] == b"II*\x00fake-tiff" and len(got["grid"]["sha256"]) == 64


def test_geo_reference_must_still_be_geojson(server, fetcher) -> None:
    with pytest.raises(FetchError, match="did not return a GeoJSON FeatureCollection"):
        fetcher.resolve({"addresses": {"href": server + "/obj.json"}}, geo={"addresses"})


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ({"href": "/html"}, "did not return JSON"),
        ({"href": "/msg.json", "type": "text/csv"}, "media type 'text/csv' is not supported"),
        ({"href": "/big"}, "larger than the limit of 2000 bytes"),
        ({"href": "/slow"}, "took longer than 0.5 s"),
        ({"href": "/to-metadata"}, "169.254.169.254 is not public"),
        ({"href": "/missing"}, "answered HTTP 404"),
    ],
)
def test_parameter_references_keep_limits_and_guard(server, fetcher, ref, reason) -> None:
    ref = {**ref, "href": server + ref["href"]}
    with pytest.raises(FetchError, match=reason) as err:
        fetcher.resolve({"message": ref}, geo={"addresses"})
    assert err.value.input_name == "message"


def test_parameter_reference_refused_without_allowlist(server) -> None:
    f = Fetcher(AddressGuard(), timeout_s=0.5)
    try:
        with pytest.raises(FetchError, match="not public"):
            f.resolve({"message": {"href": server + "/msg.json"}}, geo=())
    finally:
        f.close()


def test_unresolvable_host_is_told_apart() -> None:
    with pytest.raises(UnresolvableHost):
        AddressGuard().check("http://no-such-host.invalid/cb")


@pytest.mark.parametrize("ref", [{"type": "image/tiff"}, {}])
def test_a_bbox_on_a_geotiff_is_refused_not_ignored(server, fetcher, ref) -> None:
    """A GeoTIFF is read whole: a bbox given with it is a 400 naming the input."""
    with pytest.raises(FetchError, match="a GeoTIFF is read whole") as err:
        fetcher.fetch("depth", {"href": server + "/depth.tif", "bbox": [1, 2, 3, 4], **ref})
    assert err.value.input_name == "depth"
