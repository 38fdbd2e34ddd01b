"""A request's references are fetched a few at once, with the answer and errors of one by one.

A local store (127.0.0.1 allow-listed) whose handlers can wait for each other: a
barrier of four proves four fetches are in flight together (fetched in turn, the
first would wait alone until the barrier's timeout and answer 503).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import orjson
import pytest

import gsl_service.inputs as inputs_module
import gsl_service.references as references
from file_store import send, serving
from geojson_helpers import fc, feature, point
from gsl_indicators.core.spec import registry
from gsl_service.errors import FetchError
from gsl_service.inputs import AddressGuard, Fetcher
from gsl_service.references import fetch_in_order, resolve_references
from gsl_service.spool import Spool

GREEN = registry().get("green-3-30-300")
GEO = ["buildings", "trees", "canopy", "neighbourhoods", "parks", "canopy_extent"]
# one layer per path: /fc/3 holds three points (distinct answers show which went where)
LAYERS = {
    f"/fc/{n}": fc(*(feature(point(1000 + 10 * i, 0), fid=i) for i in range(n)))
    for n in (1, 2, 3, 4, 5, 6)
}
WAIT_S = 5.0  # how long a handler waits for the others before it gives up


class Store(BaseHTTPRequestHandler):
    barrier: threading.Barrier | None = None
    lock = threading.Lock()
    in_flight = 0
    most = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        try:
            layer = self._answer()
        finally:
            # out of flight before the answer goes: once the client has it, its next
            # fetch may start at once and must not find this one still counted
            with cls.lock:
                cls.in_flight -= 1
        if layer is False:
            self.send_response(503)
            self.end_headers()
        else:
            send(self, None if layer is None else orjson.dumps(layer), "application/geo+json")

    def _answer(self) -> dict | bool | None:
        """Return the layer to answer with (``None``: 404; ``False``: 503)."""
        path = self.path
        if path.startswith("/together/"):  # waits until four requests are here at once
            assert self.barrier is not None
            try:
                self.barrier.wait(timeout=WAIT_S)
            except threading.BrokenBarrierError:
                return False
            path = path.removeprefix("/together")
        elif path.startswith("/slow/"):  # 0.3 s before answering
            time.sleep(0.3)
            path = path.removeprefix("/slow")
        elif path.startswith("/late-404/"):
            time.sleep(0.5)
            path = "/missing"
        return LAYERS.get(path)


@pytest.fixture(scope="module")
def store() -> Iterator[str]:
    with serving(Store) as url:
        yield url


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(AddressGuard(["127.0.0.1"]), max_bytes=2**20, timeout_s=10)
    yield f
    f.close()


def _ref(url: str) -> dict[str, str]:
    return {"href": url, "type": "application/geo+json"}


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("gsl-fetch")]


def test_four_references_are_in_flight_at_once(store, fetcher) -> None:
    Store.barrier = threading.Barrier(4)
    inputs = {name: _ref(f"{store}/together/fc/{i + 1}") for i, name in enumerate(GEO[:4])}
    started = time.monotonic()
    got = resolve_references(fetcher, GREEN, inputs)
    # one by one, the first request waits WAIT_S alone and the fetch fails with a 503
    assert time.monotonic() - started < WAIT_S
    assert got == {name: LAYERS[f"/fc/{i + 1}"] for i, name in enumerate(GEO[:4])}
    assert _fetch_threads() == []


def test_at_most_four_fetches_at_once(store, fetcher) -> None:
    Store.most = 0
    inputs = {name: _ref(f"{store}/slow/fc/{i + 1}") for i, name in enumerate(GEO)}
    started = time.monotonic()
    got = resolve_references(fetcher, GREEN, inputs)
    # six fetches of 0.3 s, four at a time: two rounds, ~0.6 s (one by one: 1.8 s)
    assert Store.most == 4
    assert time.monotonic() - started < 1.5
    assert list(got) == GEO


def test_the_first_failing_input_in_the_request_gives_the_error(store, fetcher) -> None:
    inputs = {
        "buildings": _ref(f"{store}/slow/fc/1"),
        "trees": _ref(f"{store}/late-404/fc/2"),  # fails after 0.5 s: the error raised
        "canopy": _ref(f"{store}/missing"),  # fails at once, but comes later
        "parks": {"href": "ftp://example.org/parks.json"},  # refused before any request
    }
    started = time.monotonic()
    with pytest.raises(FetchError, match="answered HTTP 404") as err:
        resolve_references(fetcher, GREEN, inputs)
    assert err.value.input_name == "trees"
    assert time.monotonic() - started >= 0.5  # it waited for the slower, earlier failure
    assert _fetch_threads() == []


def test_a_mix_of_inline_and_references_resolves_as_one_by_one(store, fetcher) -> None:
    parks = [_ref(f"{store}/fc/2"), _ref(f"{store}/fc/3")]
    inline = LAYERS["/fc/4"]
    inputs = {
        "tree_distance_m": {"value": 25, "mediaType": "application/json"},
        "buildings": _ref(f"{store}/slow/fc/1"),  # the slowest comes first
        "trees": inline,
        "parks": parks,  # a list of references: a new list, item by item
        "canopy": {"value": _ref(f"{store}/fc/5")},  # a qualified reference
        "min_trees": {"href": f"{store}/fc/6"},  # a parameter by reference: its JSON
        "unknown": _ref(f"{store}/fc/1"),  # left as it is
    }
    got = resolve_references(fetcher, GREEN, inputs)
    expected = {
        "tree_distance_m": 25,
        "buildings": LAYERS["/fc/1"],
        "trees": inline,
        "parks": [LAYERS["/fc/2"], LAYERS["/fc/3"]],
        "canopy": LAYERS["/fc/5"],
        "min_trees": LAYERS["/fc/6"],
        "unknown": _ref(f"{store}/fc/1"),
    }
    assert got == expected and list(got) == list(expected)
    assert got["trees"] is inline
    assert parks == [_ref(f"{store}/fc/2"), _ref(f"{store}/fc/3")]  # the request's list kept


def test_one_reference_takes_no_pool(store, fetcher, monkeypatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool for one reference")

    monkeypatch.setattr(references, "ThreadPoolExecutor", no_pool)
    got = resolve_references(
        fetcher, GREEN, {"buildings": _ref(f"{store}/fc/1"), "trees": LAYERS["/fc/2"]}
    )
    assert got == {"buildings": LAYERS["/fc/1"], "trees": LAYERS["/fc/2"]}
    assert resolve_references(fetcher, GREEN, {"trees": LAYERS["/fc/2"]}) == {
        "trees": LAYERS["/fc/2"]
    }


# ------------------------------------------------------------------ fetch_in_order itself


def test_calls_after_a_failure_that_have_not_started_are_cancelled() -> None:
    started: list[int] = []
    finished: list[int] = []

    def call(i: int) -> int:
        started.append(i)
        time.sleep(0.5 if i == 0 else 0.1)
        finished.append(i)
        if i == 1:
            raise ValueError("second")
        return i

    with pytest.raises(ValueError, match="second"):
        fetch_in_order([lambda i=i: call(i) for i in range(10)], max_workers=2)
    # two workers: 0 (slow) and 1 (fails fast); a third may have begun as 1 ended
    assert set(started) <= {0, 1, 2, 3} and 0 in started
    assert sorted(finished) == sorted(started)  # every started call ran to its end
    assert _fetch_threads() == []


def test_an_earlier_failure_wins_over_a_sooner_one() -> None:
    def fail(msg: str, after_s: float) -> None:
        time.sleep(after_s)
        raise ValueError(msg)

    calls = [lambda: 0, lambda: fail("first", 0.3), lambda: fail("third", 0.0), lambda: 3]
    with pytest.raises(ValueError, match="first"):
        fetch_in_order(calls)
    assert _fetch_threads() == []


def test_the_client_is_created_once_by_threads_at_once(monkeypatch) -> None:
    made: list[httpx.Client] = []
    real = inputs_module.pinned_client

    def slow_client(*args, **kwargs) -> httpx.Client:
        time.sleep(0.05)  # a window for every thread to find no client yet
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(inputs_module, "pinned_client", slow_client)
    fetcher = Fetcher(AddressGuard(["127.0.0.1"]))
    go = threading.Barrier(8)
    got: list[httpx.Client] = []

    def use() -> None:
        go.wait(timeout=WAIT_S)
        got.append(fetcher.client)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_S)
    fetcher.close()
    assert len(made) == 1 and len(got) == 8 and all(c is made[0] for c in got)


def test_downloads_into_one_spool_at_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2**30)
    blobs = [bytes([i]) * (3 * 2**20 + i) for i in range(4)]  # 3 MB each, all different
    go = threading.Barrier(4)

    def get(blob: bytes) -> object:
        def write(sink):
            go.wait(timeout=WAIT_S)
            for k in range(0, len(blob), 65536):  # chunks, interleaved with the others
                sink.write(blob[k : k + 65536])
            return b"", httpx.Headers(), "u"

        return spool.download(write)

    got = fetch_in_order([lambda b=b: get(b) for b in blobs])
    assert [g.sha256 for g in got] == [hashlib.sha256(b).hexdigest() for b in blobs]
    assert [g.path.read_bytes() == b for g, b in zip(got, blobs, strict=True)] == [True] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(g.sha256 for g in got)


def test_a_json_answer_trimmed_from_the_spool_meanwhile_is_fetched_again(
    store, tmp_path: Path, monkeypatch
) -> None:
    """A fetch beside this one trimmed the spooled answer before it was read: fetch again."""
    spool = Spool(tmp_path, max_bytes=2**30)
    real = spool.download

    def trimmed_at_once(get):
        got = real(get)
        got.path.unlink()  # another download's trim, between writing and reading
        return got

    monkeypatch.setattr(spool, "download", trimmed_at_once)
    f = Fetcher(AddressGuard(["127.0.0.1"]), max_bytes=2**20, timeout_s=10, spool=spool)
    try:
        got = f.fetch("trees", {"href": f"{store}/fc/3"})  # no type: sniffed as JSON
    finally:
        f.close()
    assert got == LAYERS["/fc/3"]
