"""API keys (optional), their scopes, job ownership and a rate limit per key.

Off unless configured: without ``GSL_API_KEYS`` and ``GSL_API_KEYS_FILE`` every route
is open (the embedded default). With keys, every route except the landing page
(``/``), ``/conformance``, ``/health`` and ``/ready`` needs one, sent as
``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (never in the query string,
which ends up in access logs).

* **Keys.** ``GSL_API_KEYS`` lists ``id:scopes:key`` entries, comma-separated
  (``ci:read+execute:…,ops:admin:…``); ``GSL_API_KEYS_FILE`` names a YAML or JSON file
  (a mounted Kubernetes Secret) of *hashed* keys, ``[{id, scopes, sha256}]`` — the
  sha256 hex of the key (``gsl apikey`` makes a key and its entry). Keys are random
  tokens (at least 16 characters), so a plain sha256 is enough to keep them out of the
  file. Only the key's **id** is ever stored or logged: it becomes the job's
  ``owner``; the key itself is not in job records, provenance, logs or metrics.
* **Scopes.** ``read`` (GET: processes, jobs, results, OpenAPI, metrics), ``execute``
  (POST an execution, DELETE a job), ``admin`` (everything, and every key's jobs).
* **Ownership.** A job is visible to — listed, read, dismissed by — the key that
  created it and to admin keys; to any other key it does not exist (404).
* **Rate limit.** A token bucket per key id and API process
  (``GSL_RATE_LIMIT_PER_MIN`` tokens a minute, ``GSL_RATE_LIMIT_BURST`` at most);
  beyond it a 429 problem document with ``Retry-After``.

Refusals are RFC 7807 problem documents (401 with ``WWW-Authenticate: Bearer``, 403,
429).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml
from starlette.concurrency import run_in_threadpool

from gsl_service import context
from gsl_service.errors import Forbidden, NoSuchJob, ServiceError, TooManyRequests, Unauthorized
from gsl_service.jobs.model import JobInfo

if TYPE_CHECKING:
    from gsl_service.settings import AuthSettings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths open without a key.
PUBLIC_PATHS = frozenset({"/", "/conformance", "/health", "/ready"})
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
MIN_KEY_LENGTH = 16


class KeyScope(StrEnum):
    """What a key may do."""

    read = "read"
    execute = "execute"
    admin = "admin"


@dataclass(frozen=True)
class ApiKey:
    """A configured key: its id (stored as job owner) and scopes — never the key."""

    id: str
    scopes: frozenset[KeyScope]

    @property
    def admin(self) -> bool:
        """Return whether the key has the ``admin`` scope."""
        return KeyScope.admin in self.scopes

    def allows(self, scope: KeyScope) -> bool:
        """Return whether the key has ``scope`` (``admin`` has every scope).

        Examples
        --------
        >>> k = ApiKey("ci", frozenset({KeyScope.read}))
        >>> k.allows(KeyScope.read), k.allows(KeyScope.execute)
        (True, False)
        >>> ApiKey("ops", frozenset({KeyScope.admin})).allows(KeyScope.execute)
        True
        """
        return self.admin or scope in self.scopes


#: The key of the current request (``None``: keys are off, or outside a request).
current_key: ContextVar[ApiKey | None] = ContextVar("gsl_api_key", default=None)


def hash_key(key: str) -> str:
    """Return the sha256 hex digest under which a key is kept.

    Examples
    --------
    >>> hash_key("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """Return a new random key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _scopes(text: Any, where: str) -> frozenset[KeyScope]:
    items = text if isinstance(text, list) else re.split(r"[+ ]+", str(text).strip())
    try:
        scopes = frozenset(KeyScope(str(s).strip()) for s in items if str(s).strip())
    except ValueError:
        raise ValueError(f"{where}: scopes must be read, execute or admin, not {text!r}") from None
    if not scopes:
        raise ValueError(f"{where}: no scopes")
    return scopes


def _key_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{where}: the id must be 1-64 letters, digits, '.', '_' or '-'")
    return value


class KeyRing:
    """The configured keys, by the sha256 of the key.

    Examples
    --------
    >>> ring = KeyRing.parse_env("ci:read+execute:0123456789abcdef0123")
    >>> ring.authenticate("0123456789abcdef0123").id
    'ci'
    >>> ring.authenticate("wrong") is None
    True
    """

    def __init__(self, keys: Mapping[str, ApiKey]) -> None:
        self.keys = dict(keys)

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def parse_env(cls, text: str) -> KeyRing:
        """Return the keys of a ``GSL_API_KEYS`` value (``id:scopes:key,...``)."""
        keys: dict[str, ApiKey] = {}
        for n, entry in enumerate(e.strip() for e in text.split(",")):
            if not entry:
                continue
            where = f"GSL_API_KEYS entry {n + 1}"
            parts = entry.split(":", 2)
            if len(parts) != 3:
                raise ValueError(f"{where}: expected 'id:scopes:key'")
            key_id, scopes, key = parts
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"{where}: the key is shorter than {MIN_KEY_LENGTH} characters")
            keys[hash_key(key)] = ApiKey(_key_id(key_id, where), _scopes(scopes, where))
        return cls(keys)

    @classmethod
    def load_file(cls, path: Path) -> KeyRing:
        """Return the hashed keys of a YAML/JSON file: a list of ``{id, scopes, sha256}``.

        A mapping with a ``keys`` member holding that list is accepted too.
        """
        doc = yaml.safe_load(Path(path).read_text())
        if isinstance(doc, Mapping):
            doc = doc.get("keys")
        if not isinstance(doc, list):
            raise ValueError(f"{path}: expected a list of {{id, scopes, sha256}}")
        keys: dict[str, ApiKey] = {}
        for n, item in enumerate(doc):
            where = f"{path} entry {n + 1}"
            if not isinstance(item, Mapping):
                raise ValueError(f"{where}: expected {{id, scopes, sha256}}")
            digest = str(item.get("sha256", "")).lower()
            if not _SHA256.fullmatch(digest):
                raise ValueError(f"{where}: sha256 must be 64 hex digits")
            keys[digest] = ApiKey(
                _key_id(item.get("id"), where), _scopes(item.get("scopes", ""), where)
            )
        return cls(keys)

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> KeyRing | None:
        """Return the keys of the settings, or ``None`` when keys are off."""
        if not settings.auth_enabled:
            return None
        keys: dict[str, ApiKey] = {}
        if settings.api_keys is not None:
            keys.update(cls.parse_env(settings.api_keys.get_secret_value()).keys)
        if settings.api_keys_file is not None:
            keys.update(cls.load_file(settings.api_keys_file).keys)
        if not keys:
            raise ValueError("API keys are configured but none is given")
        return cls(keys)

    def authenticate(self, presented: str) -> ApiKey | None:
        """Return the key ``presented`` is, or ``None``."""
        return self.keys.get(hash_key(presented))


class RateLimiter:
    """A token bucket per key id: ``per_min`` tokens a minute, at most ``burst``.

    Examples
    --------
    >>> rl = RateLimiter(per_min=60, burst=2)  # one token a second
    >>> rl.take("k", now=0.0), rl.take("k", now=0.0), rl.take("k", now=0.0)
    (0.0, 0.0, 1.0)
    >>> rl.take("k", now=1.0)  # one token back after a second
    0.0
    """

    def __init__(self, per_min: float, burst: int) -> None:
        self.rate = per_min / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # id -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key_id: str, now: float | None = None) -> float:
        """Spend a token of ``key_id``: 0.0 when granted, else seconds until one is back."""
        if self.rate <= 0:
            return 0.0
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, at = self._buckets.get(key_id, (self.burst, t))
            tokens = min(self.burst, tokens + (t - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, t)
                return 0.0
            self._buckets[key_id] = (tokens, t)
            return (1.0 - tokens) / self.rate


def required_scope(method: str, path: str) -> KeyScope | None:
    """Return the scope a request needs (``None``: a public route).

    Examples
    --------
    >>> required_scope("GET", "/conformance") is None
    True
    >>> required_scope("POST", "/processes/echo/execution").value
    'execute'
    >>> required_scope("DELETE", "/jobs/x").value, required_scope("GET", "/jobs").value
    ('execute', 'read')
    """
    if path in PUBLIC_PATHS or (path.rstrip("/") or "/") in PUBLIC_PATHS:
        return None
    if path.rstrip("/") == TRIGGER_PATH:
        return KeyScope.execute
    if method == "DELETE" or (method == "POST" and path.rstrip("/").endswith("/execution")):
        return KeyScope.execute
    return KeyScope.read


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Return the key of ``Authorization: Bearer`` or ``X-API-Key`` (``None``: none sent).

    Examples
    --------
    >>> presented_key([(b"authorization", b"Bearer abc")]), presented_key([(b"x-api-key", b"k")])
    ('abc', 'k')
    >>> presented_key([(b"authorization", b"Basic eDp5")]) is None
    True
    """
    for name, value in headers:
        if name == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


#: The Tygron trigger: Tygron sends no headers of ours, so its URL carries the key.
TRIGGER_PATH = "/tygron/trigger"


def trigger_key(query_string: bytes) -> str | None:
    """Return the API key in a trigger URL's ``key`` query parameter (``None``: none).

    Only ``/tygron/trigger`` reads a key from the query: Tygron cannot send headers of
    ours, and the URL configured in Tygron is where its key lives. The service logs
    paths without their query, so the key (like Tygron's token) reaches no log line.

    Examples
    --------
    >>> trigger_key(b"process=echo&key=abc&token=t"), trigger_key(b"token=t") is None
    ('abc', True)
    """
    from urllib.parse import parse_qs

    values = parse_qs(query_string.decode("latin-1")).get("key")
    return values[0].strip() if values and values[0].strip() else None


#: Routes of one job: ``/jobs/{id}``, ``/jobs/{id}/results`` and its features API.
_JOB_PATH = re.compile(r"^/jobs/([^/]+)(?:/results(?:/[^/]+)?|/features(?:/.*)?)?/?$")


def job_of_path(path: str) -> str | None:
    """Return the job id of a single-job route (``None`` for any other path).

    Examples
    --------
    >>> job_of_path("/jobs/abc/results"), job_of_path("/jobs/abc"), job_of_path("/jobs")
    ('abc', 'abc', None)
    >>> job_of_path("/jobs/abc/results/buildings")  # one output as a file: the same job
    'abc'
    >>> job_of_path("/jobs/abc/features/collections/buildings/items/7")  # its features API
    'abc'

    """
    m = _JOB_PATH.match(path)
    return m.group(1) if m else None


def visible(job: JobInfo, key: ApiKey) -> bool:
    """Return whether ``key`` may see ``job``: its creator, or an admin key.

    Examples
    --------
    >>> from gsl_service.jobs.model import JobStatus
    >>> from gsl_service.jobs.store import now
    >>> t = now()
    >>> job = JobInfo("j", "echo", JobStatus.accepted, t, t, owner="ci")
    >>> visible(job, ApiKey("ci", frozenset({KeyScope.read})))
    True
    >>> visible(job, ApiKey("other", frozenset({KeyScope.read})))
    False
    >>> visible(job, ApiKey("ops", frozenset({KeyScope.admin})))
    True
    """
    return key.admin or job.owner == key.id


def _problem_response(err: ServiceError, path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    body = orjson.dumps(err.problem(path))
    return {
        "type": "http.response.start",
        "status": err.status,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    }, body


class AuthMiddleware:
    """ASGI middleware: authenticate, authorise, rate-limit; set the request's key.

    Parameters
    ----------
    app : ASGI app
        The wrapped app.
    keys : KeyRing
        The configured keys.
    limiter : RateLimiter
        The per-key rate limit.
    """

    def __init__(self, app: ASGIApp, keys: KeyRing, limiter: RateLimiter) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or pass the request on with :data:`current_key` set."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", "/"))
        need = required_scope(str(scope.get("method", "GET")), path)
        if need is None:
            await self.app(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        err: ServiceError | None = None
        token = presented_key(scope.get("headers") or [])
        if token is None and path.rstrip("/") == TRIGGER_PATH:
            token = trigger_key(scope.get("query_string") or b"")
        key = self.keys.authenticate(token) if token is not None else None
        if token is None:
            err = Unauthorized(
                "an API key is required: 'Authorization: Bearer <key>' or 'X-API-Key'"
            )
            extra.append((b"www-authenticate", b'Bearer realm="gsl"'))
        elif key is None:
            err = Unauthorized("the API key is not valid")
            extra.append((b"www-authenticate", b'Bearer realm="gsl", error="invalid_token"'))
        elif not key.allows(need):
            err = Forbidden(f"the API key '{key.id}' lacks the '{need.value}' scope")
        else:
            wait = self.limiter.take(key.id)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                err = TooManyRequests(
                    f"the rate limit of API key '{key.id}' is spent; retry after {retry} s"
                )
                extra.append((b"retry-after", str(retry).encode()))
        if err is None and key is not None and not key.admin:
            job_id = job_of_path(path)
            if job_id is not None and not await self._visible(scope, job_id, key):
                err = NoSuchJob(f"no job with id '{job_id}'")  # not 403: ids cannot be probed
        if err is not None:
            start, body = _problem_response(err, path, extra)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        assert key is not None
        state = scope.setdefault("state", {})
        if isinstance(state, dict):  # for the access log line (outer middleware)
            state["gsl_client_id"] = key.id
        tokens = (
            current_key.set(key),
            context.client_id.set(key.id),
            context.owner_scope.set(None if key.admin else key.id),
        )
        try:
            await self.app(scope, receive, send)
        finally:
            context.owner_scope.reset(tokens[2])
            context.client_id.reset(tokens[1])
            current_key.reset(tokens[0])

    async def _visible(self, scope: Scope, job_id: str, key: ApiKey) -> bool:
        """Return whether ``key`` may see job ``job_id``.

        An unknown job, or a store that cannot answer now, is left to the route (its
        own 404 or 503).
        """
        app = scope.get("app")
        engine = getattr(getattr(app, "state", None), "engine", None)
        if engine is None:
            return True
        try:
            job = await run_in_threadpool(engine.get_job, job_id)
        except Exception:
            return True
        return visible(job, key)


def install(app: Any, settings: AuthSettings) -> KeyRing | None:
    """Add :class:`AuthMiddleware` to a FastAPI app when keys are configured."""
    keys = KeyRing.from_settings(settings)
    if keys is not None:
        app.add_middleware(
            AuthMiddleware,
            keys=keys,
            limiter=RateLimiter(settings.rate_limit_per_min, settings.rate_limit_burst),
        )
    return keys
