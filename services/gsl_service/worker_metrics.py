"""Metrics of a ``gsl worker`` (``--metrics-port``): its jobs' execution times.

RQ runs every job in a forked work horse that exits afterwards, so what a horse
observes would die with it. With a metrics port, the worker puts prometheus-client in
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, a fresh folder under ``/tmp``): each
horse writes its observations (:mod:`gsl_service.observer`, e.g.
``gsl_execution_seconds{process,mode="async"}``) to memory-mapped files there, and the
worker serves their sum on ``http://<host>:<port>/metrics``.

:func:`enable_multiprocess` must run before anything imports ``prometheus_client`` (the
mode is chosen when it is imported); ``gsl worker`` calls it first thing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(base: str | None = None) -> Path:
    """Create an empty folder for this worker's metric files and select it (env)."""
    folder = Path(tempfile.mkdtemp(prefix=f"gsl-worker-metrics-{os.getpid()}-", dir=base))
    os.environ[ENV] = str(folder)
    return folder


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve the summed metrics of the worker's horses on ``host:port`` (a daemon thread).

    ``gsl worker`` passes ``GSL_HOST`` (the image sets ``0.0.0.0``).
    """
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def cleanup() -> None:
    """Remove this worker's metric files."""
    folder = os.environ.get(ENV)
    if folder and Path(folder).name.startswith("gsl-worker-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)
