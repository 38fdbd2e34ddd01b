"""Service settings, read from the environment (prefix ``GSL_``) by pydantic-settings.

One small :class:`~pydantic_settings.BaseSettings` class per concern (HTTP, storage,
cache, jobs, distributed, fetch, limits), each usable on its own
(``CacheSettings()`` reads only the ``GSL_CACHE_*`` variables it declares); the
top-level :class:`Settings` composes them by inheritance, so every field keeps its
flat name and its variable: ``GSL_REDIS_URL``, ``GSL_DATA_DIR``,
``GSL_FETCH_ALLOWLIST=localhost,10.0.0.0/8`` ... Without any configuration the
service runs embedded: in-memory result cache, SQLite job store under ``./var``, a
bounded process pool for jobs.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_CONFIG = SettingsConfigDict(env_prefix="GSL_", extra="ignore")


class HttpSettings(BaseSettings):
    """Where the API listens and how it names itself."""

    model_config = _CONFIG

    host: str = "127.0.0.1"
    port: int = 5000
    base_url: str = "http://127.0.0.1:5000"
    log_level: str = "info"

    # --- web pages ----------------------------------------------------------------
    base_map_url: str | None = Field(
        default=None,
        description="XYZ tile URL of a base map under the job page's map; unset = no base map",
    )
    base_map_attribution: str = Field(default="", description="attribution of the base map")
    map_page_features: int = Field(
        default=5000,
        ge=1,
        le=10_000,
        description="the most features the job page's map draws in one view of an output stored as parts",
    )
    assets_dir: Path | None = Field(
        default=None,
        description="folder of the front-end packages (default: web/node_modules, from npm ci)",
    )


class StorageSettings(BaseSettings):
    """Redis (distributed mode) or the embedded SQLite job database."""

    model_config = _CONFIG

    redis_url: str | None = Field(
        default=None, description="Redis URL; unset = embedded cache, SQLite store, process pool"
    )
    redis_prefix: str = Field(default="gsl:", description="prefix of every Redis key we write")
    redis_timeout_s: float = Field(
        default=2.0, gt=0, description="Redis connect and socket timeout of the API"
    )
    data_dir: Path = Field(default=Path("./var"), description="SQLite job DB (embedded mode)")


class CacheSettings(BaseSettings):
    """The result cache (bounds apply to the in-memory and the Redis cache)."""

    model_config = _CONFIG

    cache_max_entries: int = Field(default=1000, ge=0)
    cache_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=0,
        description="in-memory cache size; a larger single result is served but not cached",
    )
    cache_ttl_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    cache_lock_ttl_s: float = Field(
        default=30.0,
        gt=0,
        description="Redis single-flight lock lease, renewed by its holder every third of "
        "it: a lock of a process that died expires within it",
    )


class JobSettings(BaseSettings):
    """Job records, pools and time limits."""

    model_config = _CONFIG

    job_retention_s: float = Field(
        default=7 * 24 * 3600.0, gt=0, description="finished jobs and results are purged after"
    )
    purge_interval_s: float = Field(default=600.0, gt=0)
    record_sync_jobs: bool = Field(default=True, description="record sync executions as jobs")
    sync_workers: int = Field(default=2, ge=1)
    async_workers: int = Field(default=2, ge=1)
    job_timeout_s: int = Field(
        default=3600, ge=1, description="time limit of an async job (embedded pool and RQ)"
    )
    sync_timeout_s: float = Field(
        default=300.0, gt=0, description="time limit of a synchronous execution"
    )
    max_restarts: int = Field(
        default=1, ge=0, description="re-runs of a job interrupted by an API restart (embedded)"
    )


class DistributedSettings(BaseSettings):
    """RQ queue, worker heartbeats and the reconciler (distributed mode)."""

    model_config = _CONFIG

    rq_queue: str = "gsl"
    worker_ttl_s: float = Field(
        default=30.0, gt=0, description="a started job without worker heartbeat this long is lost"
    )
    worker_heartbeat_s: int = Field(default=5, ge=1, description="RQ job monitoring interval")
    reconcile_interval_s: float = Field(default=5.0, gt=0)
    worker_reconnect_max_s: float = Field(
        default=10.0, gt=0, description="longest wait of a worker between Redis reconnect tries"
    )


class TileSettings(BaseSettings):
    """Tiled execution of large requests (``gsl_indicators.core.tiling``)."""

    model_config = _CONFIG

    tile_enabled: bool = Field(
        default=True, description="run large requests of tileable indicators in tiles"
    )
    tile_features: int = Field(
        default=20_000, ge=1, description="primary features (homes) per tile"
    )
    tile_threshold: int = Field(
        default=50_000, ge=0, description="requests with fewer primary features run in one piece"
    )
    tile_workers: int = Field(
        default=2,
        ge=1,
        description="embedded: processes that run one job's tiles (1: one by one in its process)",
    )
    tile_retries: int = Field(
        default=2, ge=0, description="RQ retries of a tile sub-job whose work horse failed"
    )
    tile_poll_s: float = Field(
        default=0.2, gt=0, description="how often the parent job looks at its tiles"
    )
    kernel_threads: int | None = Field(
        default=None,
        ge=1,
        description=(
            "threads a kernel runs its chunks in (default: the CPUs the process may use, "
            "its affinity under its container's CPU limit, at most 8); read by the kernels "
            "from GSL_KERNEL_THREADS (gsl_indicators.core.cpus), checked here at start-up"
        ),
    )

    @field_validator("kernel_threads", mode="before")
    @classmethod
    def _kernel_threads(cls, value: Any) -> Any:
        """Read the value as the kernels will (:func:`gsl_indicators.core.cpus.given_threads`).

        Empty is unset; anything but a whole number ≥ 1 is refused at start-up.
        """
        from gsl_indicators.core.cpus import given_threads

        return given_threads(None if value is None else str(value))


class FetchSettings(BaseSettings):
    """Inputs by reference (href) and callbacks."""

    model_config = _CONFIG

    fetch_allowlist: Annotated[tuple[str, ...], NoDecode] = ()
    fetch_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    fetch_timeout_s: float = Field(default=30.0, gt=0)
    fetch_max_pages: int = Field(default=1000, ge=1)
    spool_dir: Path | None = Field(
        default=None,
        description="folder of fetched input files, by sha256 (default: data_dir/spool)",
    )
    spool_max_bytes: int = Field(
        default=4 * 1024**3,
        ge=0,
        description="size the spool is kept under (least recently used files removed)",
    )
    callback_retries: int = Field(default=3, ge=0)
    callback_timeout_s: float = Field(default=10.0, gt=0)
    callback_backoff_s: float = Field(default=0.5, ge=0)
    progress_interval_s: float = Field(
        default=1.0, ge=0, description="minimum time between inProgress callbacks of a job"
    )

    @field_validator("fetch_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        items = tuple(str(v).strip() for v in value if str(v).strip())
        for item in items:
            if "/" in item:
                ipaddress.ip_network(item, strict=False)  # raises ValueError when bad
        return items


class LimitSettings(BaseSettings):
    """Bounds on what a client controls (each exceeded bound is a 4xx problem document)."""

    model_config = _CONFIG

    max_body_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1, description="request body size (413 beyond)"
    )
    max_json_depth: int = Field(
        default=64, ge=2, description="nesting depth of a request body (400 beyond)"
    )
    max_features: int = Field(
        default=500_000, ge=1, description="features per input FeatureCollection (400 beyond)"
    )
    worker_memory_mb: int = Field(
        default=4096, ge=0, description="address-space rlimit of a worker process; 0 = none"
    )
    inline_features_max: int = Field(
        default=10_000,
        ge=0,
        description="features of a per-feature output answered inline; larger ones by "
        "reference (a link to /jobs/{id}/results/{output}) unless transmissionMode value",
    )
    stored_features_max: int = Field(
        default=10_000,
        ge=0,
        description="a job's per-feature output with more features is stored beside its "
        "result document (compressed, and as a GeoParquet file made once); 0 = never",
    )


class AuthSettings(BaseSettings):
    """API keys (optional) and the rate limit per key; see :mod:`gsl_service.auth`.

    Keys are off while neither ``api_keys`` nor ``api_keys_file`` is set. The keys
    are excluded from ``model_dump`` (job payloads, worker settings never carry them).
    """

    model_config = _CONFIG

    api_keys: SecretStr | None = Field(
        default=None,
        exclude=True,
        description="comma-separated 'id:scopes:key' entries (scopes read+execute+admin)",
    )
    api_keys_file: Path | None = Field(
        default=None,
        description="YAML/JSON file of hashed keys [{id, scopes, sha256}] (a mounted Secret)",
    )
    rate_limit_per_min: float = Field(
        default=600.0, ge=0, description="requests per minute per key (0 = no limit)"
    )
    rate_limit_burst: int = Field(default=60, ge=1, description="requests a key may burst")

    @property
    def auth_enabled(self) -> bool:
        """Return whether requests need an API key."""
        return self.api_keys is not None or self.api_keys_file is not None


class ObservabilitySettings(BaseSettings):
    """Logs and metrics; see :mod:`gsl_service.observability`."""

    model_config = _CONFIG

    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object per line, with the request id"
    )
    metrics_enabled: bool = Field(default=True, description="serve GET /metrics (Prometheus)")
    worker_metrics_port: int = Field(
        default=0, ge=0, le=65535, description="gsl worker: serve its jobs' metrics here (0 = off)"
    )


class TygronSettings(BaseSettings):
    """The Tygron API trigger (``/tygron/trigger``); see :mod:`gsl_service.adapters.tygron`."""

    model_config = _CONFIG

    tygron_servers: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Tygron servers a trigger may come from (hosts, host:port or patterns "
        "like *.tygron.com); empty = the trigger endpoint refuses every call",
    )
    tygron_budget_s: float = Field(
        default=10.0, gt=0, description="the trigger's timeout (Tygron's default 10 s)"
    )
    tygron_margin_s: float = Field(
        default=2.0, ge=0, description="reply this long before the budget ends"
    )
    tygron_writeback_retries: int = Field(
        default=5, ge=0, description="retries of a write-back while the session fails"
    )
    tygron_writeback_backoff_s: float = Field(
        default=1.0, ge=0, description="first wait between write-back tries (doubles)"
    )

    @field_validator("tygron_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        return tuple(str(v).strip().lower() for v in value if str(v).strip())


class Settings(
    TygronSettings,
    AuthSettings,
    ObservabilitySettings,
    HttpSettings,
    StorageSettings,
    CacheSettings,
    JobSettings,
    DistributedSettings,
    TileSettings,
    FetchSettings,
    LimitSettings,
):
    """All settings of the service: the concerns above, composed (flat field names).

    Examples
    --------
    >>> s = Settings(fetch_allowlist="localhost, 10.0.0.0/8", redis_url=None)
    >>> s.fetch_allowlist
    ('localhost', '10.0.0.0/8')
    >>> s.distributed
    False
    >>> isinstance(s, LimitSettings), s.max_body_bytes == 64 * 2**20
    (True, True)
    """

    model_config = _CONFIG

    @property
    def distributed(self) -> bool:
        """Return whether Redis (cache, job store) and RQ workers are used."""
        return bool(self.redis_url)

    @property
    def sqlite_path(self) -> Path:
        """Return the path of the embedded job database."""
        return Path(self.data_dir) / "jobs.sqlite3"

    @property
    def blob_ttl_s(self) -> float:
        """Return how long a stored result part lives after its last use (retention + cache)."""
        return float(self.job_retention_s + self.cache_ttl_s)

    @property
    def spool_path(self) -> Path:
        """Return the folder of fetched input files (``spool_dir`` or ``data_dir/spool``)."""
        return Path(self.spool_dir) if self.spool_dir else Path(self.data_dir) / "spool"

    def ensure_dirs(self) -> None:
        """Create ``data_dir`` when missing."""
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
