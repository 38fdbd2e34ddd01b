"""OGC input forms (qualified values, references for every input), subscriber checks,
date-only job filters, self links that keep the query, and description keywords."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient

from api.helpers import assert_problem, wait_for_job
from geojson_helpers import fc, feature, point
from gsl_service.app import create_app
from results import values

# RD (121000, 487000) and (121050, 487000): the local grid starts at RD_ORIGIN
ADDRESSES = fc(feature(point(1000, 0), fid=1), feature(point(1050, 0), fid=2))


class _Docs(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        docs = {
            "/msg.json": (orjson.dumps("by reference"), "application/json"),
            "/pause.json": (b"0.0", "application/json"),
            "/page.html": (b"<html></html>", "text/html"),
        }
        body, ctype = docs.get(self.path, (b"{}", "application/json"))
        self.send_response(200 if self.path in docs else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def docs_server() -> Iterator[str]:
    """A local server with JSON documents (127.0.0.1 is allow-listed in the API settings)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Docs)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _echo(client: TestClient, inputs: dict, **headers: str):
    return client.post("/processes/echo/execution", json={"inputs": inputs}, headers=headers)


# ------------------------------------------------------------------ qualified values


@pytest.mark.parametrize(
    "message",
    [
        {"value": "hi"},
        {"value": "hi", "mediaType": "text/plain"},
        {"value": "hi", "mediaType": "application/json", "encoding": "utf-8", "schema": {}},
    ],
)
def test_qualified_value_for_a_parameter(client, message):
    r = _echo(client, {"message": message, "pause": {"value": 0}})
    assert r.status_code == 200, r.text
    assert values(r.json())["echo"] == "hi"


def test_qualified_value_async(client):
    text = uuid.uuid4().hex
    r = _echo(client, {"message": {"value": text}}, Prefer="respond-async")
    assert r.status_code == 201, r.text
    assert wait_for_job(client, r.headers["location"])["status"] == "successful"
    assert values(client.get(r.headers["location"] + "/results").json())["echo"] == text


def test_qualified_value_for_a_geo_input(client):
    inline = client.post(
        "/processes/urbanity-class/execution", json={"inputs": {"addresses": ADDRESSES}}
    )
    qualified = client.post(
        "/processes/urbanity-class/execution",
        json={"inputs": {"addresses": {"value": ADDRESSES, "mediaType": "application/geo+json"}}},
    )
    assert inline.status_code == qualified.status_code == 200, qualified.text
    a, b = values(inline.json()), values(qualified.json())
    assert a["provenance"]["cache"]["key"] == b["provenance"]["cache"]["key"]
    assert a["summary"] == b["summary"]
    assert a["summary"]["addresses"] == 2


def test_object_with_a_value_member_and_more_is_not_unwrapped(client):
    # not exactly a qualified value: stays an object, so the string parameter refuses it
    doc = assert_problem(
        _echo(client, {"message": {"value": "hi", "unit": "m"}}), 400, "invalid-parameter-value"
    )
    assert doc["input"] == "message"


# ------------------------------------------------------- references for parameters


def test_parameter_by_reference(client, docs_server):
    ref = {"href": f"{docs_server}/msg.json", "type": "application/json"}
    r = _echo(client, {"message": ref, "pause": {"href": f"{docs_server}/pause.json"}})
    assert r.status_code == 200, r.text
    byref = values(r.json())
    assert byref["echo"] == "by reference"
    # the fetched content is what is keyed: the inline request is the same cache entry
    inline = values(_echo(client, {"message": "by reference", "pause": 0.0}).json())
    assert inline["provenance"]["cache"]["key"] == byref["provenance"]["cache"]["key"]
    assert inline["provenance"]["cache"]["hit"] is True


def test_parameter_by_reference_async(client, docs_server):
    r = _echo(client, {"message": {"href": f"{docs_server}/msg.json"}}, Prefer="respond-async")
    assert r.status_code == 201, r.text
    assert wait_for_job(client, r.headers["location"])["status"] == "successful"
    assert values(client.get(r.headers["location"] + "/results").json())["echo"] == "by reference"


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ({"href": "/page.html"}, "did not return JSON"),
        ({"href": "/msg.json", "type": "text/csv"}, "not supported"),
        ({"href": "/nothing.json"}, "HTTP 404"),
        ({"href": "http://10.0.0.1/msg.json"}, "not public"),
        ({"href": "/msg.json", "bbox": [1, 2, 3, 4]}, "a bbox selects features of a layer"),
    ],
)
def test_parameter_reference_errors_name_the_input(client, docs_server, ref, reason):
    href = ref["href"] if ref["href"].startswith("http") else docs_server + ref["href"]
    r = _echo(client, {"message": {**ref, "href": href}})
    doc = assert_problem(r, 400, "invalid-parameter-value", reason)
    assert doc["input"] == "message"


# -------------------------------------------------------------------------- subscriber


@pytest.fixture(scope="module")
def strict_client(api_settings, tmp_path_factory) -> Iterator[TestClient]:
    """An app without an allowlist: only public addresses may be called back."""
    settings = api_settings.model_copy(
        update={"data_dir": tmp_path_factory.mktemp("strict"), "fetch_allowlist": ()}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("prefer", [None, "respond-async"])
@pytest.mark.parametrize("key", ["successUri", "inProgressUri", "failedUri"])
def test_private_callback_refused_at_request_time(strict_client, key, prefer):
    body = {"inputs": {"message": "x"}, "subscriber": {key: "http://127.0.0.1:1/cb"}}
    headers = {"Prefer": prefer} if prefer else {}
    r = strict_client.post("/processes/echo/execution", json=body, headers=headers)
    doc = assert_problem(r, 400, "invalid-parameter-value", key, "127.0.0.1", "not public")
    assert doc["input"] == "subscriber"


def test_callback_allowlist_honoured(client):
    # 10.0.0.0/8 is not in the API tests' allowlist; 127.0.0.1 is
    body = {"inputs": {"message": "x"}, "subscriber": {"successUri": "http://10.1.2.3/cb"}}
    r = client.post("/processes/echo/execution", json=body)
    assert_problem(r, 400, "invalid-parameter-value", "subscriber", "10.1.2.3")
    body["subscriber"] = {"successUri": "http://127.0.0.1:1/cb"}
    assert client.post("/processes/echo/execution", json=body).status_code == 200


def test_callback_host_not_resolvable_now_is_accepted(strict_client):
    body = {"inputs": {"message": "x"}, "subscriber": {"successUri": "https://cb.invalid/x"}}
    assert strict_client.post("/processes/echo/execution", json=body).status_code == 200


# ------------------------------------------------------------- job list and links


def _jobs(client: TestClient, **params: object) -> list[str]:
    doc = client.get("/jobs", params={"processID": "echo", "limit": 1000, **params}).json()
    return [j["jobID"] for j in doc["jobs"]]


def test_date_only_datetime_is_the_whole_utc_day(client):
    r = _echo(client, {"message": uuid.uuid4().hex}, Prefer="respond-async")
    info = wait_for_job(client, r.headers["location"])
    job_id = info["jobID"]
    day = datetime.fromisoformat(info["created"]).date()
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    assert job_id in _jobs(client, datetime=day.isoformat())
    assert job_id in _jobs(client, datetime=f"{day}/{day}")
    assert job_id in _jobs(client, datetime=f"{before}/{day}")  # end: the end of that day
    assert job_id in _jobs(client, datetime=f"../{day}")
    assert job_id in _jobs(client, datetime=f"{day}/..")
    assert job_id not in _jobs(client, datetime=before.isoformat())
    assert job_id not in _jobs(client, datetime=after.isoformat())
    assert job_id not in _jobs(client, datetime=f"{after}/..")
    assert job_id not in _jobs(client, datetime=f"../{before}")
    assert isinstance(day, date)


def test_bad_date_is_a_400(client):
    r = client.get("/jobs", params={"datetime": "2026-02-30"})
    assert assert_problem(r, 400, "invalid-parameter-value", "2026-02-30")["input"] == "datetime"


@pytest.mark.parametrize("path", ["/processes", "/jobs"])
def test_self_link_keeps_the_query(client, path):
    doc = client.get(path, params={"limit": 2, "offset": 1, "f": "json"}).json()
    links = {link["rel"]: link["href"] for link in doc["links"]}
    for rel, fmt in (("self", "json"), ("alternate", "html")):
        query = parse_qs(urlsplit(links[rel]).query)
        assert query == {"limit": ["2"], "offset": ["1"], "f": [fmt]}, links[rel]


def test_description_keywords_have_no_repeats(client):
    doc = client.get("/processes/echo").json()
    assert doc["keywords"] == ["test"]  # theme "test" plus keyword "test": once
    for pid in [p["id"] for p in client.get("/processes").json()["processes"]]:
        kw = client.get(f"/processes/{pid}").json()["keywords"]
        assert len(kw) == len(set(kw)), (pid, kw)
