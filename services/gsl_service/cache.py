"""Result cache: the key, an embedded LRU and a Redis implementation, with single flight.

The key of a result is the sha256 of the canonical JSON of
``{"process", "version", "parameters" (after defaults), "inputs" (digests)}``, so key
order, ``30`` versus ``30.0`` and explicit defaults never change it, and a new process
version never serves an old result. A negative zero counts as zero.

Values are the canonical JSON bytes of the result document as computed (with
``provenance.cache = {"hit": false, "key": ...}``); a hit is served by swapping that
marker for ``{"hit": true, ...}`` — every other byte is the same. Never pickle.

Single flight: :meth:`ResultCache.get_or_compute` makes N identical concurrent
requests compute once. Embedded: a per-key future inside the process. Redis: the same
per-key future inside each API process, plus a ``SET NX PX`` lock in Redis so that
separate API processes (and workers) compute once too; the others wait for the value.
The lock is a lease (``GSL_CACHE_LOCK_TTL_S``, 30 s) that its holder renews while it
computes: a holder that dies — a work horse killed for memory, a crash — leaves a lock
that expires within the lease, and the next request computes instead of waiting out a
bound on the longest computation (it waited 8 min 45 s behind a crashed work horse).
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from gsl_indicators.core.canonical import canonical_json, digest

if TYPE_CHECKING:
    import redis

    from gsl_service.settings import Settings

log = logging.getLogger(__name__)


def positive_zero(value: Any) -> Any:
    """Return ``value`` with every negative zero (``-0.0``) made ``0.0``, recursively.

    ``-0.0 == 0.0``, but canonical JSON writes them differently; a parameter given as
    ``-0.0`` must neither change the cache key nor the provenance of the result.

    Examples
    --------
    >>> positive_zero({"a": -0.0, "b": [-0.0, 1.5, {"c": -0.0}], "d": 0, "e": "-0.0"})
    {'a': 0.0, 'b': [0.0, 1.5, {'c': 0.0}], 'd': 0, 'e': '-0.0'}
    """
    if isinstance(value, float):
        return 0.0 if value == 0.0 else value
    if isinstance(value, Mapping):
        return {k: positive_zero(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [positive_zero(v) for v in value]
    return value


def _keyable(value: Any) -> Any:
    """Replace raw bytes (a fetched GeoTIFF) by their digest and ``-0.0`` by ``0.0``."""
    if isinstance(value, bytes | bytearray):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, float):
        return 0.0 if value == 0.0 else value
    if isinstance(value, Mapping):
        return {k: _keyable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_keyable(v) for v in value]
    return value


def cache_key(
    process_id: str,
    version: str,
    parameters: Mapping[str, Any],
    input_digests: Mapping[str, str],
) -> str:
    """Return the cache key of a computation.

    Parameters
    ----------
    process_id, version : str
        The indicator and its version.
    parameters : Mapping
        All parameters after defaults (``gsl_indicators.core.run.prepare``).
    input_digests : Mapping
        Digest per geo input (``gsl_indicators.core.run.input_digests``).

    Examples
    --------
    >>> a = cache_key("p", "1.0", {"d": 30.0, "e": "x"}, {"g": "ab"})
    >>> a == cache_key("p", "1.0", {"e": "x", "d": 30.0}, {"g": "ab"})
    True
    >>> a == cache_key("p", "1.1", {"d": 30.0, "e": "x"}, {"g": "ab"})
    False
    >>> cache_key("p", "1.0", {"d": 0.0}, {}) == cache_key("p", "1.0", {"d": -0.0}, {})
    True
    >>> len(a)
    64
    """
    return digest(
        {
            "process": process_id,
            "version": version,
            "parameters": _keyable(dict(parameters)),
            "inputs": dict(input_digests),
        }
    )


def miss_marker(key: str) -> bytes:
    """Return the bytes of ``provenance.cache`` in a freshly computed document."""
    return b'"cache":{"hit":false,"key":"' + key.encode() + b'"}'


def hit_marker(key: str) -> bytes:
    """Return the bytes of ``provenance.cache`` in a document served from the cache."""
    return b'"cache":{"hit":true,"key":"' + key.encode() + b'"}'


def as_hit(body: bytes, key: str) -> bytes:
    """Return ``body`` (computed, ``hit: false``) as served from the cache.

    The marker holds the 64-hex key inside JSON structure (quotes unescaped), so it
    cannot occur inside a string value of the document.

    Examples
    --------
    >>> k = "0" * 64
    >>> as_hit(b'{"provenance":{' + miss_marker(k) + b"}}", k) == (
    ...     b'{"provenance":{' + hit_marker(k) + b"}}"
    ... )
    True
    """
    return body.replace(miss_marker(key), hit_marker(key), 1)


def as_miss(body: bytes, key: str) -> bytes:
    """Return ``body`` as computed (``hit: false``): the inverse of :func:`as_hit`.

    The job store keeps one copy of each result in this form.

    Examples
    --------
    >>> k = "1" * 64
    >>> body = b'{"provenance":{' + miss_marker(k) + b"}}"
    >>> as_miss(as_hit(body, k), k) == body == as_miss(body, k)
    True
    """
    return body.replace(hit_marker(key), miss_marker(key), 1)


def request_digest(process_id: str, body: bytes) -> str:
    """Return the sha256 of a raw execute request (process id and body bytes).

    Not a cache key (the same request can be written in many ways); it only lets a
    :class:`RequestKeys` memo recall the canonical key of bytes seen before.

    Examples
    --------
    >>> request_digest("p", b"{}") == request_digest("p", b"{}") != request_digest("q", b"{}")
    True
    """
    h = hashlib.sha256(process_id.encode())
    h.update(b"\0")
    h.update(body)
    return h.hexdigest()


class RequestKeys:
    """A bounded LRU memo: raw request digest -> (cache key, anything small).

    The cache key is canonical (computed from the parsed, validated request), so
    identical request bytes always map to the same key; the memo saves parsing,
    validating and digesting a request whose bytes were seen before. Only requests
    whose key depends on nothing but their bytes belong in it (no href inputs).
    Thread-safe.

    Examples
    --------
    >>> m = RequestKeys(max_entries=1)
    >>> m.put("a", ("k1", None)); m.put("b", ("k2", None))
    >>> m.get("a") is None, m.get("b")
    (True, ('k2', None))
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw: str) -> tuple[str, Any] | None:
        """Return the memo of ``raw`` (and mark it recently used), or ``None``."""
        with self._lock:
            item = self._data.get(raw)
            if item is not None:
                self._data.move_to_end(raw)
            return item

    def put(self, raw: str, value: tuple[str, Any]) -> None:
        """Remember ``value`` (cache key, extra) for ``raw``."""
        if self.max_entries <= 0:
            return
        with self._lock:
            self._data[raw] = value
            self._data.move_to_end(raw)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def forget(self, raw: str) -> None:
        """Drop ``raw`` from the memo."""
        with self._lock:
            self._data.pop(raw, None)

    def __len__(self) -> int:
        return len(self._data)


def finish_document(doc: dict[str, Any], key: str) -> bytes:
    """Return the canonical bytes of a computed result document, marked as a miss."""
    prov = doc.setdefault("provenance", {})
    if "mediaType" in prov and isinstance(prov.get("value"), dict):  # a qualified value
        prov = prov["value"]
    prov["cache"] = {"hit": False, "key": key}
    return canonical_json(doc)


class ResultCache(abc.ABC):
    """A bounded store of result documents with single flight."""

    def __init__(self) -> None:
        self._inflight: dict[str, Future[bytes]] = {}
        self._inflight_lock = threading.Lock()

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """Return the stored (``hit: false``) document bytes, or ``None``."""

    @abc.abstractmethod
    def put(self, key: str, body: bytes) -> None:
        """Store a computed document."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Forget a key."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    def _compute_shared(self, key: str, compute: Callable[[], bytes], owner: str = "") -> bytes:
        """Compute across processes (the Redis lock); embedded: compute and store."""
        body = compute()
        self.put(key, body)
        return body

    def release_lock_of(self, key: str, owner: str) -> bool:
        """Release the computation lock of ``key`` if ``owner`` holds it; return whether.

        For a holder known to be gone (a job whose worker was lost, a dismissed job
        whose work horse was stopped), so that the next identical request need not wait
        for its lease to run out. Embedded: there is no such lock.
        """
        return False

    def get_or_compute(
        self, key: str, compute: Callable[[], bytes], owner: str = ""
    ) -> tuple[bytes, bool]:
        """Return ``(document bytes as served, hit)``, computing at most once per key.

        Concurrent callers with the same key wait for the one computation and get it
        as a hit. An exception of the computation reaches every waiter; nothing is
        cached then. ``owner`` (a job id) names the holder of the cross-process lock,
        for :meth:`release_lock_of`.
        """
        body = self.get(key)
        if body is not None:
            return as_hit(body, key), True
        with self._inflight_lock:
            fut = self._inflight.get(key)
            leader = fut is None
            if fut is None:
                fut = Future()
                self._inflight[key] = fut
        if not leader:
            return as_hit(fut.result(), key), True
        try:
            body, computed = self._leader(key, compute, owner)
        except BaseException as err:
            fut.set_exception(err)
            raise
        finally:
            with self._inflight_lock:
                self._inflight.pop(key, None)
        fut.set_result(body)
        return (body, False) if computed else (as_hit(body, key), True)

    def _leader(
        self, key: str, compute: Callable[[], bytes], owner: str = ""
    ) -> tuple[bytes, bool]:
        body = self.get(key)  # filled between our first look and taking the lead
        if body is not None:
            return body, False
        return self._compute_shared(key, compute, owner), True

    def inflight_future(self, key: str) -> Future[bytes] | None:
        """Return the future of the computation of ``key`` running in this process."""
        with self._inflight_lock:
            return self._inflight.get(key)

    def inflight(self) -> int:
        """Return the number of computations running in this process."""
        with self._inflight_lock:
            return len(self._inflight)


class MemoryCache(ResultCache):
    """In-memory LRU bounded by entries and bytes, with a TTL; thread-safe.

    Examples
    --------
    >>> c = MemoryCache(max_entries=2, max_bytes=100)
    >>> c.put("a", b"1"); c.put("b", b"2"); c.put("c", b"3")
    >>> c.get("a") is None, c.get("c")
    (True, b'3')
    """

    def __init__(
        self, max_entries: int = 1000, max_bytes: int = 256 * 2**20, ttl_s: float | None = None
    ) -> None:
        super().__init__()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Return the bytes held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> bytes | None:
        """Return the value and mark it recently used (``None`` when absent/expired)."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires, body = item
            if expires and expires < time.monotonic():
                del self._data[key]
                self._bytes -= len(body)
                return None
            self._data.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        """Store a value, evicting least recently used ones beyond the bounds."""
        if len(body) > self.max_bytes or self.max_entries == 0:
            return
        expires = time.monotonic() + self.ttl_s if self.ttl_s else 0.0
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._data[key] = (expires, body)
            self._bytes += len(body)
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, evicted) = self._data.popitem(last=False)
                self._bytes -= len(evicted)

    def delete(self, key: str) -> None:
        """Forget a key."""
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])


class RedisCache(ResultCache):
    """Redis-backed cache (TTL per entry) with a cross-process single-flight lock.

    Parameters
    ----------
    client : redis.Redis
        Client returning bytes.
    prefix : str
        Key prefix (``<prefix>cache:<key>``, ``<prefix>lock:<key>``).
    ttl_s : float
        Lifetime of an entry.
    lock_ttl_s : float
        Lease of a computation lock: its holder renews it every third of it while it
        computes, so a lock of a process that died expires within it.
    poll_s : float
        Longest wait between two looks of a waiter.
    max_bytes : int, optional
        Largest document stored (``GSL_CACHE_MAX_BYTES``): a larger one is served
        but not cached.

    Redis away (connection refused, timeout) never fails a computation: a read is a
    miss, a write is skipped, and without the lock the computation runs here without
    single flight (see :class:`~gsl_service.redis_client.Outage`).
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "gsl:",
        ttl_s: float = 7 * 24 * 3600.0,
        lock_ttl_s: float = 30.0,
        poll_s: float = 0.2,
        max_bytes: int | None = None,
    ) -> None:
        from gsl_service.redis_client import Outage

        super().__init__()
        self.r: Any = client
        self.max_bytes = max_bytes
        self.outage = Outage()
        self.prefix = prefix
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.lock_ttl_ms = max(1, int(lock_ttl_s * 1000))
        self.poll_s = poll_s

    def _key(self, key: str) -> str:
        return f"{self.prefix}cache:{key}"

    def _lock(self, key: str) -> str:
        return f"{self.prefix}lock:{key}"

    def get(self, key: str) -> bytes | None:
        """Return the stored value or ``None`` (also while Redis is away)."""
        from gsl_service.redis_client import REDIS_DOWN

        if self.outage.down():
            return None
        try:
            value = self.r.get(self._key(key))
        except REDIS_DOWN as err:
            self.outage.mark(err)
            return None
        self.outage.clear()
        return None if value is None else bytes(value)

    def put(self, key: str, body: bytes) -> None:
        """Store a value with the TTL; skipped when larger than ``max_bytes`` or Redis is away."""
        import redis

        if self.max_bytes is not None and len(body) > self.max_bytes:
            log.info(
                "result %s (%d bytes) is larger than the cache bound; not cached", key, len(body)
            )
            return
        if self.outage.down():
            return
        try:
            self.r.set(self._key(key), body, px=self.ttl_ms)
        except redis.RedisError as err:  # away, or out of memory: the result is still served
            self.outage.mark(err)

    def delete(self, key: str) -> None:
        """Forget a key."""
        self.r.delete(self._key(key))

    def close(self) -> None:
        """Close the connection pool."""
        self.r.close()

    def _compute_shared(self, key: str, compute: Callable[[], bytes], owner: str = "") -> bytes:
        import uuid

        from gsl_service.redis_client import REDIS_DOWN

        token = f"{owner}/{uuid.uuid4().hex}" if owner else uuid.uuid4().hex
        lock = self._lock(key)
        wait = 0.005
        while True:
            if self.outage.down():
                return compute()  # Redis away: no lock, no store; the result is served
            try:
                locked = self.r.set(lock, token, nx=True, px=self.lock_ttl_ms)
            except REDIS_DOWN as err:
                self.outage.mark(err)
                continue
            if locked:
                done = threading.Event()
                keeper = threading.Thread(
                    target=self._renew,
                    args=(lock, token, done),
                    name="gsl-cache-lease",
                    daemon=True,
                )
                keeper.start()
                try:
                    body = self.get(key)  # a holder that just finished
                    if body is None:
                        body = compute()
                        self.put(key, body)
                    return body
                finally:
                    done.set()
                    keeper.join()
                    # release only our own lock (it expires by itself when Redis is away)
                    with contextlib.suppress(*REDIS_DOWN):
                        self.r.eval(
                            "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                            "return redis.call('DEL', KEYS[1]) end return 0",
                            1,
                            lock,
                            token,
                        )
            body = self.get(key)
            if body is not None:
                return body
            time.sleep(wait)
            wait = min(self.poll_s, wait * 2)

    def release_lock_of(self, key: str, owner: str) -> bool:
        """Release the computation lock of ``key`` if ``owner`` holds it; return whether.

        The lock's token starts with its holder's ``owner`` (``<job id>/<random>``); a
        lock taken without one, or by another owner, is left alone. Redis away: ``False``
        (the lease runs out by itself).
        """
        from gsl_service.redis_client import REDIS_DOWN

        if not owner or not key:
            return False
        try:
            gone = self.r.eval(
                "local v = redis.call('GET', KEYS[1]) "
                "if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then "
                "return redis.call('DEL', KEYS[1]) end return 0",
                1,
                self._lock(key),
                owner + "/",
            )
        except REDIS_DOWN:
            return False
        return bool(gone)

    def _renew(self, lock: str, token: str, done: threading.Event) -> None:
        """Renew our lock's lease every third of it until ``done`` (not if it is no longer ours)."""
        import redis

        while not done.wait(self.lock_ttl_ms / 3000):
            try:
                self.r.eval(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
                    1,
                    lock,
                    token,
                    self.lock_ttl_ms,
                )
            except redis.RedisError as err:  # away, read-only, out of memory: try again
                log.warning("renewing the lock %s failed: %s", lock, err)

    def _leader(
        self, key: str, compute: Callable[[], bytes], owner: str = ""
    ) -> tuple[bytes, bool]:
        computed = False

        def counted() -> bytes:
            nonlocal computed
            computed = True
            return compute()

        body = self.get(key)
        if body is not None:
            return body, False
        body = self._compute_shared(key, counted, owner)
        return body, computed


def make_cache(settings: Settings) -> ResultCache:
    """Return the cache the settings ask for (Redis when ``redis_url`` is set)."""
    if settings.redis_url:
        from gsl_service.redis_client import api_client

        return RedisCache(
            api_client(settings.redis_url, settings.redis_timeout_s),
            settings.redis_prefix,
            ttl_s=settings.cache_ttl_s,
            lock_ttl_s=settings.cache_lock_ttl_s,
            max_bytes=settings.cache_max_bytes,
        )
    return MemoryCache(settings.cache_max_entries, settings.cache_max_bytes, settings.cache_ttl_s)
