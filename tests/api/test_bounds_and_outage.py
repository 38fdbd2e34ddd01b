"""Bounds on what a client controls, degradation without Redis, the monitor link, inputs
by reference in their schema's media types, and the engine as a swappable dependency."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import make_settings
from api.helpers import assert_problem, wait_for_job
from geojson_helpers import fc, feature, point
from gsl_service.app import create_app
from gsl_service.contract import get_engine
from gsl_service.errors import ServiceUnavailable
from results import values

ECHO = "/processes/echo/execution"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app with small bounds: 2,000-byte bodies, depth 8, 2 features, 1 s sync limit."""
    settings = make_settings(
        tmp_path_factory.mktemp("bounded"),
        max_body_bytes=2000,
        max_json_depth=8,
        max_features=2,
        sync_timeout_s=1.0,
        job_timeout_s=1,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


# ---------------------------------------------------------------------- body size


def test_declared_body_over_the_bound_is_413(bounded):
    body = b'{"inputs": {"message": "' + b"x" * 2000 + b'"}}'
    r = bounded.post(ECHO, content=body, headers={"Content-Type": "application/json"})
    doc = assert_problem(r, 413, "payload-too-large", "2027 bytes", "limit of 2000 bytes")
    # {"inputs": {"message": " is 24 bytes, "}} 3: 24 + 2,000 + 3 = 2,027
    assert doc["input"] == "inputs"


def test_streamed_body_over_the_bound_is_413_before_it_is_read(bounded):
    def chunks() -> Iterator[bytes]:
        yield b'{"inputs": {"message": "'
        for _ in range(100):  # 100 x 100 bytes, no Content-Length: counted as it arrives
            yield b"x" * 100
        yield b'"}}'

    r = bounded.post(ECHO, content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "payload-too-large", "at least", "limit of 2000 bytes")
    assert "content-length" not in {k.lower() for k in r.request.headers}  # chunked


def test_body_within_the_bound_is_served(bounded):
    r = bounded.post(ECHO, json={"inputs": {"message": "x" * 1900}})
    assert r.status_code == 200, r.text


# -------------------------------------------------------------- media type, depth, features


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_non_json_execute_is_415(bounded, ctype):
    r = bounded.post(ECHO, content=b'{"inputs": {"message": "a"}}', headers={"Content-Type": ctype})
    doc = assert_problem(r, 415, "unsupported-media-type", ctype)
    assert doc["input"] == "Content-Type"


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "application/geo+json"])
def test_json_media_types_are_accepted(bounded, ctype):
    r = bounded.post(ECHO, content=b'{"inputs": {"message": "a"}}', headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text


def test_json_nested_deeper_than_the_bound_is_400(bounded):
    # {"inputs": {"message": [[[[[[[1]]]]]]]}}: 2 objects + 7 arrays = depth 9 > 8
    body = '{"inputs": {"message": ' + "[" * 7 + "1" + "]" * 7 + "}}"
    r = bounded.post(ECHO, content=body, headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid-parameter-value", "nests 9 levels deep", "limit is 8")
    # brackets inside a string do not count: depth 2
    ok = bounded.post(ECHO, json={"inputs": {"message": "[" * 50}})
    assert ok.status_code == 200, ok.text


def test_more_features_than_the_bound_is_400(bounded):
    pts = [feature(point(1000 + 10 * i, 0), fid=i) for i in range(3)]  # RD 121000 + 10·i
    r = bounded.post(
        "/processes/urbanity-class/execution", json={"inputs": {"addresses": fc(*pts)}}
    )
    doc = assert_problem(r, 400, "invalid-parameter-value", "has 3 features", "limit is 2")
    assert doc["input"] == "addresses"
    two = bounded.post(
        "/processes/urbanity-class/execution", json={"inputs": {"addresses": fc(*pts[:2])}}
    )
    assert two.status_code == 200, two.text


# -------------------------------------------------------------------- time limits


@pytest.mark.slow
def test_sync_execution_over_the_time_limit_is_stopped_and_recorded_failed(bounded):
    msg = uuid.uuid4().hex
    r = bounded.post(ECHO, json={"inputs": {"message": msg, "pause": 30}})
    doc = assert_problem(r, 422, "job-failed", "time limit of 1 s")
    assert doc["title"] == "Time limit exceeded"
    jobs = bounded.get("/jobs", params={"processID": "echo", "status": "failed"}).json()["jobs"]
    assert any("time limit of 1 s" in (j.get("message") or "") for j in jobs), jobs
    # the child was stopped and replaced: the next execution is served
    again = bounded.post(ECHO, json={"inputs": {"message": msg, "pause": 0}})
    assert again.status_code == 200, again.text
    assert values(again.json())["echo"] == msg


@pytest.mark.slow
def test_embedded_job_over_the_time_limit_fails_with_the_reason(bounded):
    r = bounded.post(
        ECHO,
        json={"inputs": {"message": uuid.uuid4().hex, "pause": 30}},
        headers={"Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    info = wait_for_job(bounded, r.headers["location"], timeout=30)
    assert info["status"] == "failed"
    assert info["message"].startswith("time limit exceeded: the job ran longer than 1 s")
    res = bounded.get(r.headers["location"] + "/results")
    assert "GSL_JOB_TIMEOUT_S" in res.json()["detail"]


# --------------------------------------------------------------------- paging bounds


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"offset": str(2**63)}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_paging_out_of_range_is_400(client, query, name):
    r = client.get("/jobs", params=query)
    doc = assert_problem(r, 400, "invalid-parameter-value")
    assert doc["input"] == name


# -------------------------------------------------------------- monitor link, readiness


def test_sync_execution_links_to_its_job(client):
    r = client.post(ECHO, json={"inputs": {"message": uuid.uuid4().hex}})
    assert r.status_code == 200, r.text
    link = r.headers["link"]
    assert link.endswith(">; rel=monitor")
    url = link[1 : link.index(">")]
    job = client.get(url)
    assert job.status_code == 200 and job.json()["status"] == "successful"
    # a cache hit (the request-memo road) is recorded and linked too
    hit = client.post(ECHO, content=r.request.content, headers={"Content-Type": "application/json"})
    assert hit.headers["link"] != link and "rel=monitor" in hit.headers["link"]


def test_ready_and_health_embedded(client):
    assert client.get("/health").json()["status"] == "ok"
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"engine": True}


# ----------------------------------------------------------- inputs by reference


class _Refs(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        docs = {
            "/msg.txt": (b"hallo wereld\n", "text/plain; charset=utf-8"),
            "/crlf.txt": (b"regel\r\n", "text/plain"),
            "/latin1.txt": ("caf\u00e9".encode("latin-1"), "text/plain"),
            "/pause.json": (b"0.0", "application/json"),
            "/pause.txt": (b"0.0", "text/plain"),
        }
        body, ctype = docs[self.path]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def refs() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Refs)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("path", "typ", "expected"),
    [
        ("/msg.txt", "text/plain", "hallo wereld"),  # the file's final line break is not kept
        ("/msg.txt", None, "hallo wereld"),  # untyped: served as text/plain
        ("/crlf.txt", "text/plain", "regel"),
    ],
)
def test_string_input_by_reference_as_text(client, refs, path, typ, expected):
    ref: dict[str, Any] = {"href": refs + path}
    if typ:
        ref["type"] = typ
    r = client.post(
        ECHO, json={"inputs": {"message": ref, "pause": {"href": refs + "/pause.json"}}}
    )
    assert r.status_code == 200, r.text
    assert values(r.json())["echo"] == expected


def test_text_reference_errors_name_the_input(client, refs):
    bad = client.post(ECHO, json={"inputs": {"message": {"href": refs + "/latin1.txt"}}})
    assert_problem(bad, 400, "invalid-parameter-value", "not UTF-8")
    # a number is JSON by reference, never text
    num = client.post(
        ECHO,
        json={
            "inputs": {
                "message": "a",
                "pause": {"href": refs + "/pause.txt", "type": "text/plain"},
            }
        },
    )
    doc = assert_problem(num, 400, "invalid-parameter-value", "text/plain", "application/json")
    assert doc["input"] == "pause"


# --------------------------------------------------- the engine as a dependency


class _AwayEngine:
    """An engine whose job store is away (every query raises ServiceUnavailable)."""

    def list_jobs(self, flt: Any) -> Any:
        raise ServiceUnavailable("the job store is away (test double)")

    def get_job(self, job_id: str) -> Any:
        raise ServiceUnavailable("the job store is away (test double)")


def test_routes_take_the_engine_from_the_dependency(client):
    app = client.app
    app.dependency_overrides[get_engine] = _AwayEngine  # type: ignore[attr-defined]
    try:
        r = client.get("/jobs")
        assert_problem(r, 503, "server-error", "test double")
        assert r.headers["retry-after"] == "5"
    finally:
        app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert client.get("/jobs").status_code == 200


# ------------------------------------------------------------- Redis away (no server)


@pytest.fixture(scope="module")
def no_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A distributed app whose Redis URL points at a port where nothing listens."""
    settings = make_settings(
        tmp_path_factory.mktemp("no-redis"),
        redis_url=f"redis://127.0.0.1:{_free_port()}/0",
        redis_timeout_s=0.5,
        reconcile_interval_s=0.2,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_without_redis_sync_executions_are_computed_unrecorded(no_redis):
    msg = uuid.uuid4().hex
    for _ in range(2):  # both computed: nothing could be cached
        r = no_redis.post(ECHO, json={"inputs": {"message": msg}})
        assert r.status_code == 200, r.text
        assert values(r.json())["echo"] == msg
        assert values(r.json())["provenance"]["cache"]["hit"] is False
        assert "link" not in r.headers  # no job could be recorded


def test_without_redis_job_routes_are_503_with_retry_after(no_redis):
    async_ = no_redis.post(
        ECHO, json={"inputs": {"message": "a"}}, headers={"Prefer": "respond-async"}
    )
    for r in (
        async_,
        no_redis.get("/jobs"),
        no_redis.get(f"/jobs/{uuid.uuid4()}"),
        no_redis.get(f"/jobs/{uuid.uuid4()}/results"),
        no_redis.delete(f"/jobs/{uuid.uuid4()}"),
    ):
        assert_problem(r, 503, "server-error", "try again")
        assert r.headers["retry-after"] == "5"


def test_without_redis_not_ready_but_alive(no_redis):
    t = time.monotonic()
    r = no_redis.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"] == {"engine": True, "redis": False}
    assert time.monotonic() - t < 5  # refused at once, never a hanging probe
    assert no_redis.get("/health").status_code == 200
    assert no_redis.get("/processes").status_code == 200
