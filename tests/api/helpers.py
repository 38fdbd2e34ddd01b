"""Helpers for API and end-to-end tests (polling jobs, checking problem documents)."""

from __future__ import annotations

import time
from typing import Any

TERMINAL = {"successful", "failed", "dismissed"}
OGC_EXC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"


def wait_for_job(client: Any, location: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job's status until it is final; return the statusInfo."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(location)
        assert r.status_code == 200, r.text
        info = r.json()
        if info["status"] in TERMINAL:
            return info
        assert time.monotonic() < deadline, f"job not finished in {timeout}s: {info}"
        time.sleep(0.05)


def wait_for_status(
    client: Any, location: str, wanted: str, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll a job until it reaches ``wanted`` (or a final state)."""
    deadline = time.monotonic() + timeout
    while True:
        info = client.get(location).json()
        if info["status"] == wanted or info["status"] in TERMINAL:
            return info
        assert time.monotonic() < deadline, f"job never {wanted} in {timeout}s: {info}"
        time.sleep(0.05)


def assert_problem(r: Any, status: int, ogc_type: str, *words: str) -> dict[str, Any]:
    """Assert an RFC 7807 problem document with the OGC type and words in its detail."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    doc = r.json()
    assert doc["type"] == OGC_EXC + ogc_type
    assert doc["status"] == status
    for w in words:
        assert w in doc["detail"], (w, doc)
    return doc
