"""The Helm chart lints and renders: api, worker, optional Redis, config checksum, probes.

Uses ../shared/tools/helm (a Helm 3 binary for chart checks); skipped where it is absent.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT.parent / "shared" / "tools" / "helm"
CHART = ROOT / "helm" / "gsl-indicators"

pytestmark = pytest.mark.skipif(not HELM.exists(), reason=f"no helm wrapper at {HELM}")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(HELM), *args], capture_output=True, text=True, timeout=300, check=False
    )


def render(*sets: str) -> list[dict]:
    args = ["template", "t", str(CHART)]
    for s in sets:
        args += ["--set", s]
    out = helm(*args)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def test_lint() -> None:
    out = helm("lint", str(CHART))
    assert out.returncode == 0, out.stdout + out.stderr


def test_default_release_has_api_worker_and_redis() -> None:
    docs = render()
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert ("Deployment", "t-gsl-indicators-api") in kinds
    assert ("Deployment", "t-gsl-indicators-worker") in kinds
    assert ("Deployment", "t-gsl-indicators-redis") in kinds
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert config["data"]["GSL_REDIS_URL"] == "redis://t-gsl-indicators-redis:6379/0"
    api = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-api")
    )
    pod = api["spec"]["template"]
    assert len(pod["metadata"]["annotations"]["checksum/config"]) == 64
    container = pod["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    worker = next(d for d in docs if d["metadata"]["name"] == "t-gsl-indicators-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]


def test_external_redis_and_scaled_workers() -> None:
    docs = render(
        "redis.enabled=false", "redis.externalUrl=redis://cache:6379/2", "worker.replicas=5"
    )
    assert not any(d["metadata"]["name"].endswith("-redis") for d in docs)
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert config["data"]["GSL_REDIS_URL"] == "redis://cache:6379/2"
    worker = next(d for d in docs if d["metadata"]["name"] == "t-gsl-indicators-worker")
    assert worker["spec"]["replicas"] == 5


def test_schema_rejects_missing_external_redis() -> None:
    out = helm("template", "t", str(CHART), "--set", "redis.enabled=false")
    assert out.returncode != 0
    assert "externalUrl" in out.stderr
