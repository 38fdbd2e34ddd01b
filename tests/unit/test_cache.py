"""Result cache: key canonicalisation, LRU bounds, hit/miss bytes, single flight."""

from __future__ import annotations

import contextlib
import re
import threading
import time
import uuid
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators.core import run
from gsl_indicators.core.spec import registry
from gsl_service.cache import (
    MemoryCache,
    RedisCache,
    as_hit,
    cache_key,
    finish_document,
    positive_zero,
)
from hypothesis_profiles import examples


def key_of(process_id: str, inputs: dict) -> str:
    ind = registry().get(process_id)
    params = run.prepare(ind, inputs)
    return cache_key(ind.id, ind.version, params, run.input_digests(ind, inputs))


def addresses(*xy: tuple[float, float]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"n": i},
                "geometry": {"type": "Point", "coordinates": list(p)},
            }
            for i, p in enumerate(xy)
        ],
    }


def test_key_ignores_input_key_order_and_explicit_defaults() -> None:
    a = key_of("echo", {"message": "x"})
    assert a == key_of("echo", {"message": "x", "pause": 0})
    assert a == key_of("echo", {"pause": 0.0, "message": "x"})
    assert a != key_of("echo", {"message": "y"})
    assert a != key_of("echo", {"message": "x", "pause": 0.5})


def test_key_float_formatting_and_geojson_member_order() -> None:
    fc = addresses((121000.0, 487000.0), (121010.0, 487000.0))
    reordered = orjson.loads(orjson.dumps(fc, option=orjson.OPT_SORT_KEYS))
    # same collection with keys written in another order
    flipped = {"features": list(reordered["features"]), "type": "FeatureCollection"}
    k = key_of("urbanity-class", {"addresses": fc, "radius_m": 1000})
    assert k == key_of("urbanity-class", {"addresses": flipped, "radius_m": 1000.0})
    assert k == key_of("urbanity-class", {"addresses": fc})  # 1000 is the default
    assert k != key_of("urbanity-class", {"addresses": fc, "radius_m": 999.5})


def test_negative_zero_gives_the_key_of_zero() -> None:
    assert key_of("echo", {"message": "x", "pause": -0.0}) == key_of("echo", {"message": "x"})
    nested = {"a": [-0.0, {"b": -0.0}], "c": -0.0}
    assert cache_key("p", "1", nested, {}) == cache_key(
        "p", "1", {"a": [0.0, {"b": 0.0}], "c": 0.0}, {}
    )
    assert cache_key("p", "1", {"a": -0.5}, {}) != cache_key("p", "1", {"a": 0.5}, {})


@settings(max_examples=examples(40), deadline=None)
@given(st.recursive(st.floats(allow_nan=False), lambda c: st.lists(c, max_size=3), max_leaves=6))
def test_key_sign_of_zero_never_matters(value) -> None:
    flipped = positive_zero(value)
    assert cache_key("p", "1", {"v": value}, {}) == cache_key("p", "1", {"v": flipped}, {})
    # a token that is exactly -0.0 (not a prefix: -0.0625 is fine, found by hypothesis)
    assert "-0.0" not in re.split(r"[\[\],]", orjson.dumps(flipped).decode())


def test_new_version_gives_a_new_key() -> None:
    assert cache_key("p", "1.0.0", {"a": 1}, {}) != cache_key("p", "1.0.1", {"a": 1}, {})


@settings(max_examples=examples(40), deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5), st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5)
    )
)
def test_key_independent_of_dict_order(d: dict) -> None:
    rev = dict(reversed(list(d.items())))
    assert cache_key("p", "1", d, {}) == cache_key("p", "1", rev, {})


def test_hit_body_differs_only_in_the_hit_flag() -> None:
    k = "a" * 64
    miss = finish_document({"echo": "hoi", "provenance": {"indicator": "echo"}}, k)
    hit = as_hit(miss, k)
    assert orjson.loads(miss)["provenance"]["cache"] == {"hit": False, "key": k}
    assert orjson.loads(hit)["provenance"]["cache"] == {"hit": True, "key": k}
    assert hit.replace(b'"hit":true', b'"hit":false') == miss


def test_lru_bounded_by_entries() -> None:
    c = MemoryCache(max_entries=3, max_bytes=10_000)
    for k in "abcd":
        c.put(k, k.encode())
    assert c.get("a") is None and len(c) == 3
    c.get("b")  # b is now most recently used
    c.put("e", b"e")
    assert c.get("c") is None and c.get("b") == b"b"


def test_lru_bounded_by_bytes() -> None:
    c = MemoryCache(max_entries=100, max_bytes=10)
    c.put("a", b"1234")
    c.put("b", b"1234")
    c.put("c", b"1234")  # 12 bytes > 10: a goes
    assert c.get("a") is None and c.nbytes == 8
    c.put("big", b"x" * 11)  # larger than the whole cache: not stored
    assert c.get("big") is None and c.nbytes == 8


def test_ttl_expires() -> None:
    c = MemoryCache(ttl_s=0.05)
    c.put("a", b"1")
    assert c.get("a") == b"1"
    time.sleep(0.08)
    assert c.get("a") is None and c.nbytes == 0


def _single_flight(caches: list, n: int = 8) -> tuple[int, list[bool]]:
    k = uuid.uuid4().hex * 2
    calls = []
    start = threading.Barrier(n)
    hits: list[bool] = []
    lock = threading.Lock()

    def compute() -> bytes:
        calls.append(1)
        time.sleep(0.3)
        return finish_document({"v": 1}, k)

    def worker(i: int) -> None:
        start.wait()
        body, hit = caches[i % len(caches)].get_or_compute(k, compute)
        assert orjson.loads(body)["v"] == 1
        with lock:
            hits.append(hit)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(calls), hits


def test_single_flight_embedded() -> None:
    computations, hits = _single_flight([MemoryCache()])
    assert computations == 1
    assert sorted(hits) == [False] + [True] * 7


def test_errors_reach_every_waiter_and_nothing_is_cached() -> None:
    c = MemoryCache()

    def boom() -> bytes:
        raise RuntimeError("kernel broke")

    with pytest.raises(RuntimeError):
        c.get_or_compute("k" * 64, boom)
    assert c.get("k" * 64) is None and c.inflight() == 0


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/1")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"gsltest:{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_redis_cache_roundtrip_and_ttl(redis_client) -> None:
    client, prefix = redis_client
    c = RedisCache(client, prefix, ttl_s=0.2)
    c.put("a", b"1")
    assert c.get("a") == b"1"
    assert 0 < client.pttl(prefix + "cache:a") <= 200
    time.sleep(0.3)
    assert c.get("a") is None


def test_single_flight_across_processes_via_redis(redis_client) -> None:
    client, prefix = redis_client
    # four separate cache objects stand for four API processes
    caches = [RedisCache(client, prefix, poll_s=0.02) for _ in range(4)]
    computations, hits = _single_flight(caches)
    assert computations == 1
    assert hits.count(False) == 1


def test_a_lock_is_a_lease_renewed_while_its_holder_computes(redis_client) -> None:
    # lease 0.3 s, a computation of 1.2 s: without renewal the lock would lapse after
    # 0.3 s and the second "process" would compute too
    client, prefix = redis_client
    a, b = (RedisCache(client, prefix, lock_ttl_s=0.3, poll_s=0.02) for _ in range(2))
    k = uuid.uuid4().hex * 2
    calls: list[str] = []
    started = threading.Event()

    def compute(who: str):
        def run() -> bytes:
            calls.append(who)
            started.set()
            time.sleep(1.2)
            return finish_document({"v": who}, k)

        return run

    first = threading.Thread(target=lambda: a.get_or_compute(k, compute("a")))
    first.start()
    assert started.wait(10)
    body, hit = b.get_or_compute(k, compute("b"))
    first.join()
    assert calls == ["a"] and orjson.loads(body)["v"] == "a" and hit
    assert client.get(prefix + "lock:" + k) is None  # released when done


@contextlib.contextmanager
def _holder(client, prefix: str, k: str, lock_ttl_s: float, owner: str = "") -> Iterator[None]:
    """Hold the lock of ``k`` in another process computing forever; SIGKILL it at the end.

    A work horse killed mid-computation (as the kernel's OOM killer does) cannot
    release its lock: what is left is what the lease and the engine do.
    """
    import os
    import signal
    import subprocess
    import sys

    code = (
        "import time, redis\n"
        "from gsl_service.cache import RedisCache\n"
        "c = RedisCache(redis.Redis.from_url('redis://127.0.0.1:6379/1'), "
        f"{prefix!r}, lock_ttl_s={lock_ttl_s})\n"
        f"c.get_or_compute({k!r}, lambda: time.sleep(3600) or b'', owner={owner!r})\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 30
        while client.get(prefix + "lock:" + k) is None:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        yield
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_the_lock_of_a_holder_that_died_runs_out_with_its_lease(redis_client) -> None:
    # Found: an identical request waited 8 min 45 s behind a crashed work horse for a
    # lock that lasted the longest computation (600 s).
    client, prefix = redis_client
    k = uuid.uuid4().hex * 2
    with _holder(client, prefix, k, lock_ttl_s=1.0):
        time.sleep(1.5)  # past one lease: the holder's renewals kept it
        assert client.get(prefix + "lock:" + k) is not None
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        return finish_document({"v": 2}, k)

    body, hit = RedisCache(client, prefix, lock_ttl_s=1.0, poll_s=0.02).get_or_compute(k, compute)
    assert calls == [1] and not hit and orjson.loads(body)["v"] == 2


def test_a_composite_key_carries_its_members_versions(monkeypatch) -> None:
    # water 2.1.0 → 2.1.1 fixed its per-neighbourhood areas; a scoreboard cached with
    # 2.1.0 must not be served after it (its own version did not change)
    from dataclasses import replace

    from gsl_indicators.core import spec as spec_module

    reg = registry()
    board, water = reg.get("scoreboard"), reg.get("water")
    before, sens = run.key_version(board), run.key_version(reg.get("sensitivity"))
    scenario = run.key_version(reg.get("scenario-compare"))
    water_before = run.key_version(water)
    bumped = spec_module.Registry(
        [replace(i, version="9.9.9") if i.id == "water" else i for i in reg]
    )
    monkeypatch.setattr(spec_module, "registry", lambda: bumped)
    assert run.key_version(board) != before
    assert run.key_version(reg.get("sensitivity")) != sens
    assert run.key_version(water) == water_before  # water runs no other indicator
    # a sensitivity analysis may run a scoreboard: a new scoreboard is a new key too
    board_bumped = spec_module.Registry(
        [replace(i, version="9.9.9") if i.id == "scoreboard" else i for i in reg]
    )
    monkeypatch.setattr(spec_module, "registry", lambda: board_bumped)
    assert run.key_version(reg.get("sensitivity")) != sens
    assert run.key_version(reg.get("scenario-compare")) != scenario


def test_the_lock_of_a_job_known_gone_is_released_at_once(redis_client) -> None:
    # A job whose worker was lost, or that was dismissed, holds no lease worth waiting
    # for: the engine releases its lock (named after the job) and the next identical
    # request takes it at once instead of waiting for the lease to run out (was 32 s
    # after a SIGKILLed work horse). Another owner's lock, or one without, stays.
    client, prefix = redis_client
    k = uuid.uuid4().hex * 2
    cache = RedisCache(client, prefix, lock_ttl_s=600.0, poll_s=0.02)
    with _holder(client, prefix, k, lock_ttl_s=600.0, owner="job-1"):
        assert client.get(prefix + "lock:" + k).startswith(b"job-1/")
        assert not cache.release_lock_of(k, "job-2")
        assert not cache.release_lock_of(k, "job")  # a prefix of the id is not the id
        assert client.get(prefix + "lock:" + k) is not None
    assert cache.release_lock_of(k, "job-1")
    assert client.get(prefix + "lock:" + k) is None
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        return finish_document({"v": 3}, k)

    body, hit = cache.get_or_compute(k, compute)
    assert calls == [1] and not hit and orjson.loads(body)["v"] == 3
    assert not cache.release_lock_of(k, "job-1")  # nothing left to release
