"""What the engine reports as it works: executions, cache lookups, href fetches.

A small observer the engine, the fetcher and the job runners call at fixed points;
it feeds the Prometheus metrics that ``GET /metrics`` serves
(:mod:`gsl_service.observability`). Labels stay low-cardinality: process ids (a
fixed set), modes and outcomes — never job ids, cache keys, URLs or API keys.

Metrics live in the process that observes them: the API process for synchronous
executions, embedded jobs, cache lookups and fetches; an RQ worker serves its own
(``gsl worker --metrics-port``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

#: The service's own registry (not the global default), served by ``/metrics``.
REGISTRY = CollectorRegistry(auto_describe=True)

_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

EXECUTION_SECONDS = Histogram(
    "gsl_execution_seconds",
    "Time to compute a result (cache misses), by process and mode (sync, async)",
    ["process", "mode"],
    buckets=_SECONDS,
    registry=REGISTRY,
)
EXECUTIONS = Counter(
    "gsl_executions_total",
    "Finished computations by process, mode and outcome (successful, failed)",
    ["process", "mode", "outcome"],
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "gsl_cache_lookups_total",
    "Result cache lookups of execute requests by result (hit, miss)",
    ["result"],
    registry=REGISTRY,
)
FETCH_BYTES = Counter(
    "gsl_fetch_bytes_total",
    "Bytes received fetching inputs by reference (href)",
    registry=REGISTRY,
)
FETCH_REFUSALS = Counter(
    "gsl_fetch_refusals_total",
    "Href fetches refused or failed, by reason (address, size, time, status, error)",
    ["reason"],
    registry=REGISTRY,
)


def execution(process_id: str, seconds: float | None, mode: str, ok: bool = True) -> None:
    """Record one finished computation of ``process_id`` (``mode``: sync or async).

    Examples
    --------
    >>> before = EXECUTIONS.labels("echo", "sync", "successful")._value.get()
    >>> execution("echo", 0.2, "sync")
    >>> EXECUTIONS.labels("echo", "sync", "successful")._value.get() - before
    1.0
    """
    EXECUTIONS.labels(process_id, mode, "successful" if ok else "failed").inc()
    if seconds is not None and seconds >= 0:
        EXECUTION_SECONDS.labels(process_id, mode).observe(seconds)


def cache_lookup(hit: bool) -> None:
    """Record a result cache lookup of an execute request."""
    CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()


def fetched(nbytes: int) -> None:
    """Record bytes received for an href input."""
    FETCH_BYTES.inc(max(0, int(nbytes)))


def fetch_refused(reason: str) -> None:
    """Record a refused or failed href fetch (``reason``: a fixed word)."""
    FETCH_REFUSALS.labels(reason).inc()


@contextmanager
def timed(process_id: str, mode: str) -> Iterator[None]:
    """Time a computation of ``process_id`` and record it (failed when it raises).

    Examples
    --------
    >>> before = EXECUTIONS.labels("echo", "sync", "failed")._value.get()
    >>> try:
    ...     with timed("echo", "sync"):
    ...         raise ValueError("no")
    ... except ValueError:
    ...     pass
    >>> EXECUTIONS.labels("echo", "sync", "failed")._value.get() - before
    1.0
    """
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        execution(process_id, time.perf_counter() - start, mode, ok=False)
        raise
    execution(process_id, time.perf_counter() - start, mode)
