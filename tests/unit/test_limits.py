"""The JSON depth scan against a parser-independent count, and the Redis cache's byte bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_service import limits
from hypothesis_profiles import examples
from python_child import printed, run_python
from redis_namespace import isolated_redis_env


def _depth(value: Any) -> int:
    """Nesting depth of a Python value: a list or dict is one level above its deepest child."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


# strings full of what could fool a scanner: brackets, quotes and backslashes
_tricky = st.text(alphabet='[]{}"\\ab', max_size=6)
_json = st.recursive(
    st.none() | st.integers() | _tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky, inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=examples(300))
@given(value=_json, chunk=st.integers(min_value=1, max_value=9))
def test_json_depth_matches_the_nesting_of_the_value(value, chunk):
    original = limits._CHUNK
    limits._CHUNK = chunk  # small chunks: quotes, escapes and brackets across chunk edges
    try:
        assert limits.json_depth(json.dumps(value).encode()) == _depth(value)
    finally:
        limits._CHUNK = original


def test_json_depth_examples():
    assert limits.json_depth(b"[]") == 1
    assert limits.json_depth(b'{"a": {"b": [[]]}}') == 4  # object, object, array, array
    assert limits.json_depth(rb'["\\", [1]]') == 2  # an escaped backslash ends the string


@pytest.fixture
def redis_cache():
    import redis

    from gsl_service.cache import RedisCache

    with isolated_redis_env("redis://127.0.0.1:6379/2", "gslunit") as env:
        client = redis.Redis.from_url(env["GSL_REDIS_URL"])
        yield RedisCache(client, env["GSL_REDIS_PREFIX"], max_bytes=100)
        client.close()


def test_redis_cache_serves_but_does_not_store_a_result_over_its_bound(redis_cache):
    calls = []

    def compute() -> bytes:
        calls.append(1)
        return b"x" * 101  # one byte over the bound of 100

    body, hit = redis_cache.get_or_compute("big", compute)
    assert (body, hit) == (b"x" * 101, False)
    assert redis_cache.get("big") is None
    redis_cache.get_or_compute("big", compute)
    assert len(calls) == 2  # computed again: it was never cached
    redis_cache.put("small", b"y" * 100)  # exactly the bound is stored
    assert redis_cache.get("small") == b"y" * 100


def test_redis_cache_computes_without_redis():
    import socket

    import redis

    from gsl_service.cache import RedisCache
    from gsl_service.redis_client import api_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    cache = RedisCache(api_client(f"redis://127.0.0.1:{port}/0", timeout_s=0.5))
    assert cache.get_or_compute("k", lambda: b"doc") == (b"doc", False)
    assert cache.outage.down()
    cache.put("k", b"doc")  # skipped, no error
    with pytest.raises(redis.ConnectionError):
        cache.delete("k")  # only reads and writes of results degrade


def test_worker_memory_bound_fails_the_allocation_not_the_node():
    # a 512 MiB address-space bound; 1 GiB more cannot be allocated in that process
    code = (
        "from gsl_service.jobs.worker import limit_memory\n"
        "limit_memory(512)\n"
        "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])\n"
        "try:\n"
        "    b = bytearray(1024 * 2**20)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    out = run_python(code, timeout=60).stdout.split()
    assert out == [str(512 * 2**20), "MemoryError"]  # 512 x 1,048,576 = 536,870,912 bytes


def test_arrow_reserves_no_gigabyte_of_address_space_in_a_bounded_process():
    """A process that runs jobs makes ``malloc`` Arrow's pool (``limit_memory``, bound or
    not): mimalloc, the wheels' default, reserves 1 GiB of address space at its first
    allocation — a quarter of the workers' default 4 GiB bound (see
    :func:`gsl_service.jobs.worker.arrow_allocates_with_malloc`). In a process of its own:
    Arrow's pool is chosen once per process."""
    code = (
        "import os\n"
        "os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)\n"
        "from gsl_service.jobs.worker import limit_memory\n"
        "{first}\n"
        "limit_memory({mb})\n"
        "import pyarrow as pa\n"
        "def size():\n"
        "    status = open('/proc/self/status').read().split('VmSize:')[1]\n"
        "    return int(status.split()[0]) // 1024\n"
        "before = size()\n"
        "b = pa.array(range(1000))\n"
        "print(pa.default_memory_pool().backend_name, size() - before)\n"
    )
    # pyarrow loaded after (gsl worker) or before (a pool process of a preloading server)
    for mb, first in [(0, ""), (2048, ""), (2048, "import pyarrow")]:
        backend, grown_mb = printed(code.format(mb=mb, first=first)).split()
        assert backend == "system"
        assert int(grown_mb) < 256  # mimalloc: 1,024 MB more at once


def test_the_preload_chooses_arrows_pool_before_pyarrow_loads():
    """The forkserver and ``gsl worker`` import :mod:`gsl_service.jobs.preload`, which loads
    pyarrow: Arrow's C++ default pool is the one named when pyarrow loads, so the variable
    must be set by then (setting pyarrow's Python-level pool later would hide a wrong
    order from ``default_memory_pool()``). An import hook records it at that moment."""
    code = (
        "import os, sys\n"
        "os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pyarrow' and not seen:\n"
        "            seen.append(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        "import gsl_service.jobs.preload\n"
        "print(seen)\n"
    )
    assert printed(code, timeout=120) == "['system']"


def test_a_thread_failing_before_it_started_ends_the_jobs_process():
    """CPython 3.12 (python/cpython#140746): a thread that fails in its bootstrap (a
    ``MemoryError`` under the memory bound) leaves ``Thread.start`` waiting for ever. In
    a process that runs jobs (``limit_memory``) the process exits instead, with code 70
    and the reason on stderr; the failure is simulated as the CPython issue does, by a
    bootstrap that raises. Without the guard the child hangs until the timeout."""
    from gsl_service.jobs.worker import THREAD_START_FAILED

    code = (
        "import threading, sys\n"
        "from gsl_service.jobs.worker import limit_memory\n"
        "limit_memory(0)\n"
        "class Broken(threading.Thread):\n"
        "    def _bootstrap(self):\n"
        "        raise MemoryError\n"
        "ok = threading.Thread(target=lambda: None)\n"
        "ok.start(); ok.join()  # a thread that starts is left alone\n"
        "print('started one', flush=True)\n"
        "Broken().start()\n"
        "print('not reached', flush=True)\n"
    )
    out = run_python(code, timeout=30)
    assert out.returncode == THREAD_START_FAILED, (out.stdout, out.stderr)
    assert out.stdout.split("\n")[0] == "started one" and "not reached" not in out.stdout
    assert "a new thread failed before it started; exiting (MemoryError)" in out.stderr


@pytest.mark.parametrize(
    "err", [MemoryError(), RuntimeError("std::bad_alloc")], ids=["MemoryError", "bad_alloc"]
)
def test_a_job_out_of_memory_says_so_and_what_to_do(monkeypatch, err):
    """A kernel that runs out of memory under the workers' bound (a one-piece province at
    3,000 MB failed with GEOS's ``std::bad_alloc``) fails its job with a problem document
    that says so, names the bound and what helps — not the bare exception."""
    from gsl_indicators.core import run
    from gsl_service.jobs import task

    def out_of_memory(*args, **kwargs):
        raise err

    monkeypatch.setattr(run, "execute", out_of_memory)
    with pytest.raises(task.TaskError) as failed:
        task.compute_document("echo", {"message": "x"}, {}, "key")
    problem = failed.value.problem
    assert problem["status"] == 500
    assert problem["detail"].startswith(f"out of memory ({type(err).__name__}")
    assert "GSL_WORKER_MEMORY_MB" in problem["detail"] and "GSL_TILE_ENABLED" in problem["detail"]
