"""Tygron trigger end to end: real processes, reply times against the 10 s budget.

Starts the stand-in Tygron session (``tests/tygron_standin.py``, a separate process
with ``--buildings N`` homes) and the service (``gsl serve``, embedded, a separate
process) with ``GSL_TYGRON_SERVERS`` naming the stand-in, then:

1. **verify** (``--verify``): an EVENT trigger for ``green-3-30-300`` whose reply is
   applied to the session as Tygron would (posted to its event API), and a
   ``scoreboard`` trigger (card ``--card``) with a budget too short for it, so its values
   arrive by write-back. Every attribute on every item is compared with the same
   request through ``POST /processes/…/execution`` (the mapped items as inputs).
2. **benchmark**: the reply time of an uncached trigger (a new session content: a
   parameter nobody used yet) and of a cached one (the same call again), printed
   against the budget.

Run: ``.venv/bin/python benchmarks/bench_tygron_trigger.py --buildings 5000 [--verify]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gsl_service.adapters.mapping import apply_mapping, load_mapping  # noqa: E402
from gsl_service.adapters.tygron import (  # noqa: E402
    attribute_name,
    items_as_features,
    result_attributes,
)
from tygron_standin import free_port  # noqa: E402

TOKEN = "bench-token-0123456789"


def _wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{url}: process ended with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _items(standin: str, kind: str) -> list[dict[str, Any]]:
    return httpx.get(f"{standin}/standin/items/{kind}", timeout=60).json()


def _reference(api: str, standin: str, process: str, params: dict[str, Any]) -> dict[str, Any]:
    """The same request through /processes/…/execution; bare output values."""
    layers = {
        k: items_as_features(_items(standin, k)) for k in ("buildings", "neighborhoods", "areas")
    }
    inputs = apply_mapping(load_mapping("tygron"), layers, crs="EPSG:3857")
    r = httpx.post(
        f"{api}/processes/{process}/execution", json={"inputs": {**inputs, **params}}, timeout=600
    )
    r.raise_for_status()
    return {k: v["value"] for k, v in r.json().items() if isinstance(v, dict) and "value" in v}


def _check(standin: str, process: str, ref: dict[str, Any]) -> int:
    """Compare every expected attribute with the session's items; return values checked."""
    expected = result_attributes(
        process, ref, {"buildings": "buildings", "neighbourhoods": "neighborhoods"}
    )
    checked = 0
    for kind, per in expected.items.items():
        items = {it["id"]: it for it in _items(standin, kind)}
        for ident, values in per.items():
            for name, value in values.items():
                got = items[ident].get("attributes", {}).get(name)
                assert got == [value], f"{kind} {ident} {name}: {got} != {value}"
                checked += 1
    globals_ = {g["name"]: g["startValue"] for g in _items(standin, "globals")}
    for name, value in expected.globals.items():
        if name in globals_:
            assert globals_[name] == [value], f"Global {name}: {globals_[name]} != {value}"
            checked += 1
    return checked


def _trigger(api: str, standin: str, query: str) -> tuple[float, httpx.Response]:
    t = time.perf_counter()
    r = httpx.get(
        f"{api}/tygron/trigger?{query}&token={TOKEN}&f=JSON",
        headers={"Referer": f"{standin}/"},
        timeout=120,
    )
    return time.perf_counter() - t, r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--buildings", type=int, default=5000)
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--card", default="ggo-utrecht-example")
    args = ap.parse_args()
    sp, gp = free_port(), free_port()
    standin, api = f"http://127.0.0.1:{sp}", f"http://127.0.0.1:{gp}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "GSL_DATA_DIR": tmp,
            "GSL_TYGRON_SERVERS": f"127.0.0.1:{sp}",
            "GSL_LOG_FORMAT": "text",
            "GSL_LOG_LEVEL": "warning",
            "GSL_BASE_URL": api,
        }
        env.pop("GSL_REDIS_URL", None)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "tests/tygron_standin.py"),
                    "--port",
                    str(sp),
                    "--buildings",
                    str(args.buildings),
                    "--token",
                    TOKEN,
                ]
            ),
            subprocess.Popen(
                [str(Path(sys.executable).parent / "gsl"), "serve", "--port", str(gp)], env=env
            ),
        ]
        try:
            _wait_http(f"{standin}/standin/items/globals", procs[0])
            _wait_http(f"{api}/health", procs[1])
            if args.verify:
                verify(api, standin, args.card)
            bench(api, standin, args.buildings)
        finally:
            for p in procs:
                p.terminate()
                p.wait(20)


def verify(api: str, standin: str, card: str) -> None:
    """Attributes land on the right items with the execution's values."""
    q = "process=green-3-30-300&mapping=tygron&type=EVENT&budget_ms=60000"
    seconds, r = _trigger(api, standin, q)
    r.raise_for_status()
    for event, params in r.json().items():  # what Tygron does with an EVENT reply
        httpx.post(
            f"{standin}/api/session/event/{event}/",
            json=params,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        ).raise_for_status()
    ref = _reference(api, standin, "green-3-30-300", {})
    n = _check(standin, "green-3-30-300", ref)
    print(f"verify green-3-30-300 EVENT reply ({seconds:.2f} s): {n} values equal to the execution")
    q = f"process=scoreboard&mapping=tygron&type=EVENT&card={card}&budget_ms=2100"
    seconds, r = _trigger(api, standin, q)
    r.raise_for_status()
    print(
        f"scoreboard trigger replied {r.json() or '{}'} in {seconds:.2f} s; waiting for write-back"
    )
    job_url = r.headers.get("link", "").split(">")[0].strip("<")
    for _ in range(1200):
        jobs = httpx.get(f"{api}/jobs?limit=5", timeout=10).json()["jobs"]
        job = next((j for j in jobs if j["processID"] == "scoreboard"), None)
        if job and str(job.get("message", "")).startswith(("written back", "write-back")):
            break
        time.sleep(0.5)
    print(f"scoreboard job: {job and job['message']} {job_url}")
    ref = _reference(api, standin, "scoreboard", {"card": card})
    n = _check(standin, "scoreboard", ref)
    names = sorted({k for f in ref["neighbourhoods"]["features"] for k in f["properties"]})
    print(
        f"verify scoreboard write-back: {n} values equal to the execution "
        f"(area attributes from {[attribute_name(k) for k in names if k.startswith('score')]})"
    )


def bench(api: str, standin: str, buildings: int) -> None:
    """Reply times: uncached (a parameter value nobody used) and cached (the same again)."""
    q = "process=green-3-30-300&mapping=tygron&type=EVENT&tree_distance_m=31"
    t1, r1 = _trigger(api, standin, q)
    t2, r2 = _trigger(api, standin, q)
    for label, t, r in (("uncached", t1, r1), ("cached", t2, r2)):
        keys = len(r.json())
        print(
            f"{buildings} buildings, {label}: reply in {t:.2f} s (budget 10 s, margin 2 s) "
            f"— {'values' if keys else 'empty, written back later'} ({keys} events)"
        )


if __name__ == "__main__":
    main()
