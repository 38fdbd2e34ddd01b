"""Landing page, conformance, API definition, health, HTML and generic errors."""

from __future__ import annotations

from api.helpers import assert_problem
from gsl_service.ogc.openapi import build_openapi

CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
EIGHT = [
    "core",
    "ogc-process-description",
    "json",
    "html",
    "oas30",
    "job-list",
    "callback",
    "dismiss",
]


def test_landing_page_links(client):
    r = client.get("/")
    assert r.status_code == 200
    doc = r.json()
    rels = {link["rel"] for link in doc["links"]}
    assert {"service-desc", "service-doc", "conformance"} <= rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/processes" in rels
    assert "http://www.opengis.net/def/rel/ogc/1.0/job-list" in rels
    # pygeoapi's links to collections and tiling schemes are not ours
    assert "data" not in rels
    for link in doc["links"]:
        if link["href"].startswith("http://127.0.0.1:5000"):
            path = link["href"].removeprefix("http://127.0.0.1:5000") or "/"
            assert client.get(path).status_code == 200, link


def test_conformance_declares_all_eight_classes(client):
    doc = client.get("/conformance").json()
    for name in EIGHT:
        assert CONF + name in doc["conformsTo"]


def test_html_everywhere(client):
    job = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": "html"}},
        headers={"Prefer": "respond-async"},
    ).headers["location"]
    job_path = job.removeprefix("http://127.0.0.1:5000")
    from api.helpers import wait_for_job

    wait_for_job(client, job_path)
    for path in [
        "/",
        "/conformance",
        "/processes",
        "/processes/echo",
        "/jobs",
        job_path,
        job_path + "/results",
        "/openapi",
    ]:
        r = client.get(path, params={"f": "html"})
        assert r.status_code == 200, (path, r.text[:200])
        assert r.headers["content-type"].startswith("text/html"), path
    # and through the Accept header
    r = client.get("/processes", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html")


def test_openapi_json_is_generated_document(client, api_settings):
    r = client.get("/openapi")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert doc == build_openapi(api_settings)
    jobs_params = {p.get("name") for p in doc["paths"]["/jobs"]["get"]["parameters"]}
    assert {"processID", "status", "datetime", "minDuration", "maxDuration", "limit"} <= jobs_params
    assert "Problem" in doc["components"]["schemas"]


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_unknown_path_is_a_problem(client):
    assert_problem(client.get("/nowhere"), 404, "not-found")


def test_unknown_format_is_a_problem(client):
    assert_problem(client.get("/processes", params={"f": "xml"}), 400, "invalid-parameter-value")


def test_html_error_page(client):
    r = client.get("/processes/nope", params={"f": "html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "nope" in r.text
