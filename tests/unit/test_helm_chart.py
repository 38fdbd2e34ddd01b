"""The Helm chart lints and renders with every option: probes (/ready, /health, the
worker heartbeat), security contexts, Secrets for the Redis URL and API keys, the bundled
Redis's memory policy, the worker grace period, PodDisruptionBudgets, NetworkPolicies.

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

#: Values that switch every option on (api keys, external Redis from a Secret, network
#: policies, Redis persistence is covered separately as it needs the bundled Redis).
EVERY_OPTION = (
    "auth.enabled=true",
    "auth.existingSecret=gsl-keys",
    "networkPolicy.enabled=true",
    "networkPolicy.ingressFrom[0].namespaceSelector.matchLabels.team=twin",
    "image.digest=sha256:" + "ab" * 32,
    "config.jobTimeoutS=1200",
)


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


def refused(*sets: str) -> str:
    args = ["template", "t", str(CHART)]
    for s in sets:
        args += ["--set", s]
    out = helm(*args)
    assert out.returncode != 0, out.stdout
    return out.stderr


def one(docs: list[dict], kind: str, name: str) -> dict:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def pod_specs(docs: list[dict]) -> list[dict]:
    return [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"]


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def test_lint() -> None:
    out = helm("lint", str(CHART))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    "sets",
    [
        (),
        EVERY_OPTION,
        ("redis.persistence.enabled=true", "networkPolicy.enabled=true"),
        ("worker.autoscaling.enabled=true", "networkPolicy.enabled=true"),
    ],
)
def test_lint_with_options(sets) -> None:
    args = ["lint", str(CHART)]
    for s in sets:
        args += ["--set", s]
    out = helm(*args)
    assert out.returncode == 0, out.stdout + out.stderr


def test_default_release_has_api_worker_and_redis() -> None:
    docs = render()
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    for name in ("t-gsl-indicators-api", "t-gsl-indicators-worker", "t-gsl-indicators-redis"):
        assert ("Deployment", name) in kinds
    config = one(docs, "ConfigMap", "t-gsl-indicators-config")
    assert "GSL_REDIS_URL" not in config["data"]  # the URL sits in a Secret
    secret = one(docs, "Secret", "t-gsl-indicators-redis-url")
    assert secret["stringData"]["redis-url"] == "redis://t-gsl-indicators-redis:6379/0"
    api = one(docs, "Deployment", "t-gsl-indicators-api")
    pod = api["spec"]["template"]
    assert len(pod["metadata"]["annotations"]["checksum/config"]) == 64
    assert len(pod["metadata"]["annotations"]["checksum/redis-url"]) == 64
    container = pod["spec"]["containers"][0]
    assert container["image"] == "gsl-indicators:0.1.0"
    probes = {
        p: container[p]["httpGet"]["path"]
        for p in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes == {
        "startupProbe": "/health",
        "readinessProbe": "/ready",
        "livenessProbe": "/health",
    }
    ref = env_of(container)["GSL_REDIS_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "t-gsl-indicators-redis-url", "key": "redis-url"}
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    wc = worker["spec"]["template"]["spec"]["containers"][0]
    assert wc["args"] == ["worker"]
    assert wc["livenessProbe"]["exec"]["command"] == ["gsl", "worker", "--check"]
    assert "GSL_API_KEYS_FILE" not in env_of(wc)  # keys off by default
    assert env_of(wc)["GSL_WORKER_METRICS_PORT"]["value"] == "9100"
    assert wc["ports"] == [{"name": "metrics", "containerPort": 9100}]


def test_every_container_is_locked_down() -> None:
    for sets in ((), EVERY_OPTION):
        docs = render(*sets)
        for spec in pod_specs(docs):
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert spec["automountServiceAccountToken"] is False
            volumes = {v["name"]: v for v in spec["volumes"]}
            assert "emptyDir" in volumes["tmp"]
            for c in spec["containers"]:
                sc = c["securityContext"]
                assert sc["readOnlyRootFilesystem"] is True
                assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False
                assert sc["capabilities"] == {"drop": ["ALL"]}
                assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
                assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}


def test_bundled_redis_is_for_development_with_a_memory_bound_and_no_eviction() -> None:
    docs = render()
    redis = one(docs, "Deployment", "t-gsl-indicators-redis")
    assert redis["metadata"]["annotations"]["gsl/purpose"] == "development-only"
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    flags = dict(zip(args[::2], args[1::2], strict=True))
    assert flags == {
        "--appendonly": "yes",
        "--dir": "/data",
        "--maxmemory": "768mb",
        "--maxmemory-policy": "noeviction",
    }
    volumes = {v["name"]: v for v in redis["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes["data"]  # the append-only file has a volume
    assert "noeviction" in refused("redis.maxmemoryPolicy=allkeys-lru")
    persisted = render("redis.persistence.enabled=true", "redis.persistence.size=5Gi")
    pvc = one(persisted, "PersistentVolumeClaim", "t-gsl-indicators-redis")
    assert pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_external_redis_url_from_a_secret_and_scaled_workers() -> None:
    docs = render(
        "redis.enabled=false",
        "externalRedis.existingSecret=prod-redis",
        "externalRedis.secretKey=url",
        "worker.replicas=5",
    )
    assert not any(d["metadata"]["name"].endswith("-redis") for d in docs)
    assert not any(d["kind"] == "Secret" for d in docs)  # the operator's Secret is used
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert worker["spec"]["replicas"] == 5
    ref = env_of(worker["spec"]["template"]["spec"]["containers"][0])["GSL_REDIS_URL"]
    assert ref["valueFrom"]["secretKeyRef"] == {"name": "prod-redis", "key": "url"}
    # or the URL given as a value: the chart makes the Secret, still not the ConfigMap
    docs = render("redis.enabled=false", "externalRedis.url=rediss://cache:6380/2")
    secret = one(docs, "Secret", "t-gsl-indicators-redis-url")
    assert secret["stringData"]["redis-url"] == "rediss://cache:6380/2"
    assert "rediss://" not in str(one(docs, "ConfigMap", "t-gsl-indicators-config"))


def test_schema_rejects_missing_external_redis() -> None:
    assert "externalRedis" in refused("redis.enabled=false")


def test_worker_grace_period_covers_the_job_time_limit() -> None:
    docs = render()
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 3630  # 3600 + 30
    config = one(docs, "ConfigMap", "t-gsl-indicators-config")
    assert config["data"]["GSL_JOB_TIMEOUT_S"] == "3600"
    docs = render("config.jobTimeoutS=600", "worker.terminationGracePeriodSeconds=900")
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 900
    err = refused("worker.terminationGracePeriodSeconds=60")
    assert "must be at least config.jobTimeoutS (3600)" in err


def test_pod_disruption_budgets() -> None:
    docs = render()
    for component in ("api", "worker"):
        pdb = one(docs, "PodDisruptionBudget", f"t-gsl-indicators-{component}")
        assert pdb["spec"]["minAvailable"] == 1
        assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == component
    docs = render(
        "api.podDisruptionBudget.enabled=false", "worker.podDisruptionBudget.enabled=false"
    )
    assert not any(d["kind"] == "PodDisruptionBudget" for d in docs)


def test_every_option_together() -> None:
    docs = render(*EVERY_OPTION)
    api = one(docs, "Deployment", "t-gsl-indicators-api")
    spec = api["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["image"] == "gsl-indicators@sha256:" + "ab" * 32
    assert env_of(container)["GSL_API_KEYS_FILE"]["value"] == "/etc/gsl/keys/keys.yaml"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["api-keys"]["secret"]["secretName"] == "gsl-keys"
    assert {"name": "api-keys", "mountPath": "/etc/gsl/keys", "readOnly": True} in container[
        "volumeMounts"
    ]
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 1230
    policies = {d["metadata"]["name"]: d for d in docs if d["kind"] == "NetworkPolicy"}
    assert set(policies) == {
        "t-gsl-indicators-api",
        "t-gsl-indicators-egress",
        "t-gsl-indicators-redis",
    }
    ingress = policies["t-gsl-indicators-api"]["spec"]["ingress"][0]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"team": "twin"}}}]
    egress = policies["t-gsl-indicators-egress"]["spec"]["egress"]
    fetch = egress[-1]["to"][0]["ipBlock"]
    assert fetch["cidr"] == "0.0.0.0/0" and "169.254.0.0/16" in fetch["except"]
    redis_in = policies["t-gsl-indicators-redis"]["spec"]["ingress"][0]
    assert redis_in["ports"] == [{"port": 6379, "protocol": "TCP"}]
    assert "existingSecret" in refused("auth.enabled=true")


def test_network_policy_without_bundled_redis() -> None:
    docs = render(
        "networkPolicy.enabled=true",
        "redis.enabled=false",
        "externalRedis.url=redis://10.3.0.7:6380/0",
        "networkPolicy.externalRedisCidrs[0]=10.3.0.7/32",
        "networkPolicy.externalRedisPort=6380",
    )
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"}
    assert names == {"t-gsl-indicators-api", "t-gsl-indicators-egress"}
    egress = one(docs, "NetworkPolicy", "t-gsl-indicators-egress")["spec"]["egress"]
    # the private external Redis is reachable although private ranges are excluded below
    assert {
        "to": [{"ipBlock": {"cidr": "10.3.0.7/32"}}],
        "ports": [{"port": 6380, "protocol": "TCP"}],
    } in egress


def test_workers_scale_by_replicas_without_autoscaling_and_keep_a_spool() -> None:
    docs = render("worker.replicas=6")
    assert not any(d["kind"] in ("ScaledObject", "TriggerAuthentication") for d in docs)
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert worker["spec"]["replicas"] == 6
    config = one(docs, "ConfigMap", "t-gsl-indicators-config")["data"]
    assert config["GSL_RQ_QUEUE"] == "gsl"
    assert config["GSL_SPOOL_DIR"] == "/var/spool/gsl"
    assert config["GSL_SPOOL_MAX_BYTES"] == "4294967296"  # 4 GiB, below the 6Gi volume
    for component in ("api", "worker"):  # both fetch files into their spool
        spec = one(docs, "Deployment", f"t-gsl-indicators-{component}")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["spool"]["emptyDir"]["sizeLimit"] == "6Gi"
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert mounts["spool"] == "/var/spool/gsl"


def test_keda_scales_workers_by_the_rq_queue_length() -> None:
    docs = render(
        "worker.autoscaling.enabled=true",
        "worker.autoscaling.maxReplicas=12",
        "worker.autoscaling.jobsPerWorker=2",
        "config.rqQueue=province",
        "networkPolicy.enabled=true",
    )
    worker = one(docs, "Deployment", "t-gsl-indicators-worker")
    assert "replicas" not in worker["spec"]  # the ScaledObject's HPA owns the count
    scaled = one(docs, "ScaledObject", "t-gsl-indicators-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": "t-gsl-indicators-worker"}
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 12)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis" and "authenticationRef" not in trigger
    # RQ keeps a queue's waiting jobs in the list rq:queue:<name>; the workers read that queue
    assert trigger["metadata"]["listName"] == "rq:queue:province"
    assert one(docs, "ConfigMap", "t-gsl-indicators-config")["data"]["GSL_RQ_QUEUE"] == "province"
    assert trigger["metadata"]["listLength"] == "2"
    # KEDA may keep one worker: its budget lets one go at a time, so a node drain ends
    budget = one(docs, "PodDisruptionBudget", "t-gsl-indicators-worker")["spec"]
    assert budget.get("maxUnavailable") == 1 and "minAvailable" not in budget
    assert trigger["metadata"]["address"] == "t-gsl-indicators-redis:6379"  # bundled Service
    redis_policy = one(docs, "NetworkPolicy", "t-gsl-indicators-redis")
    sources = redis_policy["spec"]["ingress"][0]["from"]
    keda = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}
    assert keda in sources


def test_keda_with_an_external_redis_needs_its_address_and_may_use_a_password() -> None:
    external = ("redis.enabled=false", "externalRedis.existingSecret=prod-redis")
    err = refused(*external, "worker.autoscaling.enabled=true")
    assert "worker.autoscaling.redisAddress" in err
    assert "redisAddress" in refused(
        *external, "worker.autoscaling.enabled=true", "worker.autoscaling.redisAddress=redis://x"
    )  # host:port, not a URL
    docs = render(
        *external,
        "worker.autoscaling.enabled=true",
        "worker.autoscaling.redisAddress=cache.example:6380",
        "worker.autoscaling.redisDatabaseIndex=2",
        "worker.autoscaling.enableTLS=true",
        "worker.autoscaling.passwordSecret.name=prod-redis",
        "worker.autoscaling.passwordSecret.key=password",
    )
    auth = one(docs, "TriggerAuthentication", "t-gsl-indicators-worker-redis")
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "prod-redis", "key": "password"}
    ]
    (trigger,) = one(docs, "ScaledObject", "t-gsl-indicators-worker")["spec"]["triggers"]
    assert trigger["authenticationRef"] == {"name": "t-gsl-indicators-worker-redis"}
    assert trigger["metadata"] | {} == {
        "address": "cache.example:6380",
        "listName": "rq:queue:gsl",
        "listLength": "1",
        "databaseIndex": "2",
        "enableTLS": "true",
    }


def test_every_config_value_reaches_the_pods_as_a_setting(monkeypatch) -> None:
    """A province raises the fetch limits and tiles by values; a misspelt value is refused."""
    from gsl_service.settings import Settings

    docs = render(
        "config.fetchMaxBytes=1073741824",
        "config.fetchTimeoutS=300",
        "config.fetchMaxPages=5000",
        "config.tileFeatures=15000",
        "config.storedFeaturesMax=20000",
        "config.tileEnabled=false",
    )
    data = one(docs, "ConfigMap", "t-gsl-indicators-config")["data"]
    fields = set(Settings.model_fields)
    for name, value in data.items():  # every variable names a setting (none is ignored)
        assert name.startswith("GSL_") and name.removeprefix("GSL_").lower() in fields, name
        monkeypatch.setenv(name, value)
    s = Settings()
    assert (s.fetch_max_bytes, s.fetch_timeout_s, s.fetch_max_pages) == (1073741824, 300.0, 5000)
    assert (s.tile_features, s.stored_features_max, s.tile_enabled) == (15000, 20000, False)
    assert (s.inline_features_max, s.tile_threshold, s.max_features) == (10000, 50000, 500000)
    assert "fetchMaxByte" in refused("config.fetchMaxByte=1073741824")


def test_workers_kernel_threads_by_value_or_from_their_cpu_limit(monkeypatch) -> None:
    """Unset, a worker's kernels follow its CPU limit (read from its cgroup at run time,
    tests/unit/test_cpus.py); ``worker.kernelThreads`` sets the count for workers that
    share a node's cores without a limit."""
    from gsl_service.settings import Settings

    worker = one(render(), "Deployment", "t-gsl-indicators-worker")
    assert "GSL_KERNEL_THREADS" not in env_of(worker["spec"]["template"]["spec"]["containers"][0])
    docs = render("worker.kernelThreads=1", "worker.resources.limits.cpu=1")
    container = one(docs, "Deployment", "t-gsl-indicators-worker")["spec"]["template"]["spec"]["containers"][0]  # fmt: skip
    assert env_of(container)["GSL_KERNEL_THREADS"]["value"] == "1"
    assert container["resources"]["limits"]["cpu"] == 1
    api = one(docs, "Deployment", "t-gsl-indicators-api")["spec"]["template"]["spec"]["containers"][0]  # fmt: skip
    assert "GSL_KERNEL_THREADS" not in env_of(api)  # the API's sync runs keep the default
    monkeypatch.setenv("GSL_KERNEL_THREADS", "1")
    assert Settings().kernel_threads == 1
    monkeypatch.setenv("GSL_KERNEL_THREADS", "0")  # refused at start-up, not mid-job
    with pytest.raises(ValueError, match="kernel_threads"):
        Settings()
    assert "kernelThreads" in refused("worker.kernelThreads=0")


def test_tmp_holds_the_downloads_of_large_outputs_being_sent() -> None:
    """FlatGeobuf/GeoPackage of a stored output and a CSV's spooled rows are written to
    /tmp while they are sent (~150 MB each for a province)."""
    docs = render()
    for component in ("api", "worker"):
        spec = one(docs, "Deployment", f"t-gsl-indicators-{component}")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["tmp"]["emptyDir"]["sizeLimit"] == "4Gi"
