"""API keys: which routes need one, scopes, job ownership, rate limit, keys kept secret."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.conftest import make_settings
from api.helpers import assert_problem, wait_for_job
from gsl_service.app import create_app
from gsl_service.auth import KeyRing, RateLimiter, hash_key

OGC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
# keys of at least 16 characters (entries of GSL_API_KEYS: id:scopes:key)
ALICE = "alice-key-0123456789"  # read + execute
BOB = "bob-key-0123456789ab"  # read + execute
READER = "reader-key-01234567"  # read
OPS = "ops-key-0123456789abc"  # admin (from the hashed key file)
KEYS = f"alice:read+execute:{ALICE},bob:read+execute:{BOB},reader:read:{READER}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("auth")
    key_file = tmp / "keys.yaml"
    key_file.write_text(f"keys:\n  - id: ops\n    scopes: [admin]\n    sha256: {hash_key(OPS)}\n")
    settings = make_settings(
        tmp, api_keys=KEYS, api_keys_file=key_file, rate_limit_per_min=6000, rate_limit_burst=500
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/", "/conformance", "/health"])
def test_public_routes_need_no_key(secured, path) -> None:
    assert secured.get(path).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/processes"),
        ("GET", "/processes/echo"),
        ("GET", "/jobs"),
        ("GET", "/jobs/x"),
        ("GET", "/openapi"),
        ("GET", "/metrics"),
        ("POST", "/processes/echo/execution"),
        ("DELETE", "/jobs/x"),
    ],
)
def test_every_other_route_needs_a_key(secured, method, path) -> None:
    r = secured.request(method, path)
    doc = assert_problem(r, 401, "unauthorized", "API key is required")
    assert doc["type"] == OGC + "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = secured.request(method, path, headers=bearer("not-a-configured-key-at-all"))
    assert_problem(r, 401, "unauthorized", "not valid")


def test_both_header_forms_are_accepted(secured) -> None:
    assert secured.get("/processes", headers=bearer(ALICE)).status_code == 200
    assert secured.get("/processes", headers={"X-API-Key": ALICE}).status_code == 200
    assert secured.get("/processes", headers={"X-API-Key": OPS}).status_code == 200  # hashed file


def test_scopes(secured) -> None:
    body = {"inputs": {"message": "scoped"}}
    r = secured.post("/processes/echo/execution", json=body, headers=bearer(READER))
    doc = assert_problem(r, 403, "forbidden", "'reader'", "'execute'")
    assert READER not in json.dumps(doc)  # the id is named, never the key
    assert (
        secured.post("/processes/echo/execution", json=body, headers=bearer(ALICE)).status_code
        == 200
    )
    assert (
        secured.post("/processes/echo/execution", json=body, headers=bearer(OPS)).status_code == 200
    )


def _submit(client, key: str) -> str:
    r = client.post(
        "/processes/echo/execution",
        json={"inputs": {"message": uuid.uuid4().hex}},
        headers={**bearer(key), "Prefer": "respond-async"},
    )
    assert r.status_code == 201, r.text
    return r.json()["jobID"]


def test_jobs_belong_to_the_key_that_created_them(secured) -> None:
    mine = _submit(secured, ALICE)
    theirs = _submit(secured, BOB)
    wait_for_job(_Keyed(secured, ALICE), f"/jobs/{mine}")
    alice_ids = {
        j["jobID"] for j in secured.get("/jobs?limit=1000", headers=bearer(ALICE)).json()["jobs"]
    }
    assert mine in alice_ids and theirs not in alice_ids
    listed = secured.get("/jobs?limit=1000", headers=bearer(ALICE)).json()
    assert listed["numberMatched"] == len(alice_ids)  # counted within the key's own jobs
    for path in (
        f"/jobs/{theirs}",
        f"/jobs/{theirs}/results",
        f"/jobs/{theirs}/features",
        f"/jobs/{theirs}/features/collections/result/items",
    ):
        assert_problem(secured.get(path, headers=bearer(ALICE)), 404, "no-such-job")
    assert_problem(secured.delete(f"/jobs/{theirs}", headers=bearer(ALICE)), 404, "no-such-job")
    # admin sees and may dismiss any job
    admin_ids = {
        j["jobID"] for j in secured.get("/jobs?limit=1000", headers=bearer(OPS)).json()["jobs"]
    }
    assert {mine, theirs} <= admin_ids
    assert secured.get(f"/jobs/{mine}/results", headers=bearer(ALICE)).status_code == 200
    assert secured.get(f"/jobs/{mine}/features", headers=bearer(ALICE)).status_code == 200
    wait_for_job(_Keyed(secured, BOB), f"/jobs/{theirs}")
    assert secured.get(f"/jobs/{theirs}/features", headers=bearer(OPS)).status_code == 200
    r = secured.delete(f"/jobs/{theirs}", headers=bearer(OPS))
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    r = secured.delete(f"/jobs/{mine}", headers=bearer(ALICE))
    assert r.status_code == 200 and r.json()["status"] == "dismissed"


class _Keyed:
    """A client that sends one key with every GET (for the polling helper)."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client, self.key = client, key

    def get(self, path: str):
        return self.client.get(path, headers=bearer(self.key))


def test_key_id_is_stored_as_owner_and_the_key_nowhere(secured, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    job_id = _submit(secured, ALICE)
    wait_for_job(_Keyed(secured, ALICE), f"/jobs/{job_id}")
    settings = secured.app.state.settings
    db = sqlite3.connect(settings.sqlite_path)
    (owner,) = db.execute("SELECT owner FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    dump = "\n".join(str(row) for row in db.execute("SELECT * FROM jobs"))
    db.close()
    assert owner == "alice"
    for secret in (ALICE, BOB, OPS, hash_key(ALICE)):
        assert secret not in dump
        assert secret not in caplog.text
    access = [r for r in caplog.records if r.name == "gsl_service.access"]
    assert access and {getattr(r, "client_id", None) for r in access} == {"alice"}
    result = secured.get(f"/jobs/{job_id}/results", headers=bearer(ALICE)).text
    assert ALICE not in result  # provenance
    assert "api_keys" not in settings.model_dump(mode="json")  # job payloads, workers


def test_rate_limit_per_key_is_429_with_retry_after(tmp_path) -> None:
    settings = make_settings(tmp_path, api_keys=KEYS, rate_limit_per_min=6, rate_limit_burst=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.get("/processes", headers=bearer(ALICE)).status_code == 200
        assert c.get("/processes", headers=bearer(ALICE)).status_code == 200
        r = c.get("/processes", headers=bearer(ALICE))
        assert_problem(r, 429, "too-many-requests", "'alice'")
        # 6 a minute = one token per 10 s; the bucket is empty, so 10 s until the next one
        assert r.headers["retry-after"] == "10"
        assert c.get("/processes", headers=bearer(BOB)).status_code == 200  # per key
        assert c.get("/health").status_code == 200  # public routes are not limited


def test_keys_off_by_default(client) -> None:
    assert client.get("/jobs").status_code == 200


def test_rate_limiter_refills_at_its_rate() -> None:
    rl = RateLimiter(per_min=120, burst=3)  # 2 tokens a second
    assert [rl.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rl.take("k", now=0.0) == 0.5  # (1 - 0 tokens) / 2 per s
    assert rl.take("k", now=0.25) == 0.25  # 0.5 token back, 0.5 missing
    assert rl.take("k", now=0.75) == 0.0  # 0.5 + 0.5 * 2 = 1.5 tokens: granted


def test_bad_key_configuration_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="shorter than 16"):
        KeyRing.parse_env("a:read:short")
    with pytest.raises(ValueError, match="scopes"):
        KeyRing.parse_env("a:write:0123456789abcdef")
    bad = tmp_path / "k.json"
    bad.write_text(json.dumps([{"id": "x", "scopes": ["read"], "sha256": "nothex"}]))
    with pytest.raises(ValueError, match="64 hex"):
        KeyRing.load_file(bad)
    good = tmp_path / "g.json"
    digest = hashlib.sha256(b"0123456789abcdef").hexdigest()
    good.write_text(json.dumps([{"id": "x", "scopes": "read+execute", "sha256": digest}]))
    key = KeyRing.load_file(good).authenticate("0123456789abcdef")
    assert key is not None and key.id == "x" and not key.admin
