"""/metrics (Prometheus), request ids (header, logs, job record) and JSON log lines."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import uuid

from prometheus_client.parser import text_string_to_metric_families

from api.helpers import wait_for_job
from gsl_service.observability import JsonFormatter


def _samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _get(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_request_metrics_by_route_template(client) -> None:
    before = _samples(client)
    job = str(uuid.uuid4())
    for _ in range(3):
        assert client.get(f"/jobs/{job}").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = _samples(client)
    key = {"method": "GET", "route": "/jobs/{job_id}", "status": "404"}
    assert (
        _get(after, "gsl_http_requests_total", **key)
        - _get(before, "gsl_http_requests_total", **key)
        == 3
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert _get(after, "gsl_http_requests_total", **unmatched) >= 1
    text = client.get("/metrics").text
    assert job not in text  # no job ids in labels


def test_cache_jobs_and_execution_metrics(client) -> None:
    body = {"inputs": {"message": uuid.uuid4().hex}}
    before = _samples(client)
    assert client.post("/processes/echo/execution", json=body).status_code == 200  # miss
    assert client.post("/processes/echo/execution", json=body).status_code == 200  # hit
    after = _samples(client)
    hits = _get(after, "gsl_cache_lookups_total", result="hit") - _get(
        before, "gsl_cache_lookups_total", result="hit"
    )
    misses = _get(after, "gsl_cache_lookups_total", result="miss") - _get(
        before, "gsl_cache_lookups_total", result="miss"
    )
    assert (hits, misses) == (1, 1)
    n = "gsl_execution_seconds_count"
    assert (
        _get(after, n, process="echo", mode="sync") - _get(before, n, process="echo", mode="sync")
        == 1
    )
    assert _get(after, "gsl_jobs", status="successful") >= 2  # both recorded as jobs
    assert ("gsl_queue_length", ()) in after


def test_request_id_is_echoed_and_stored_with_the_job(client, api_settings) -> None:
    rid = "drill-" + uuid.uuid4().hex[:8]
    r = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": uuid.uuid4().hex}},
        headers={"X-Request-ID": rid, "Prefer": "respond-async"},
    )
    assert r.status_code == 201 and r.headers["x-request-id"] == rid
    job_id = r.json()["jobID"]
    wait_for_job(client, f"/jobs/{job_id}")
    db = sqlite3.connect(api_settings.sqlite_path)
    (stored,) = db.execute("SELECT request_id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    db.close()
    assert stored == rid
    fresh = client.get("/processes", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])


def test_access_log_is_json_with_the_request_id(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="gsl_service.access")
    client.get("/processes", headers={"X-Request-ID": "log-check-1"})
    records = [r for r in caplog.records if r.name == "gsl_service.access"]
    assert records
    doc = json.loads(JsonFormatter().format(records[-1]))
    assert doc["route"] == "/processes" and doc["status"] == 200 and doc["method"] == "GET"
    assert doc["level"] == "info" and doc["ts"].endswith("Z")
