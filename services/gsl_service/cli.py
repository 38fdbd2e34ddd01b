"""The ``gsl`` command: ``serve``, ``worker``, ``run`` and ``openapi``.

``gsl serve``            serve the API (uvicorn, embedded defaults: http://127.0.0.1:5000)
``gsl worker``           run an RQ worker (needs ``GSL_REDIS_URL``)
``gsl run P REQ.json``   compute process P locally on an execute request, print the result
``gsl openapi``          write (``--output F``) or check (``--check F``) the OpenAPI document
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from gsl_indicators.core.spec import InputError


def _settings() -> Any:
    from gsl_service.settings import Settings

    settings_cls: Any = Settings  # every field has a default (read from GSL_* env)
    return settings_cls()


# ----------------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn (the app factory reads its settings from GSL_*)."""
    import uvicorn

    from gsl_service.observability import logging_config

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    os.environ["GSL_HOST"] = host
    os.environ["GSL_PORT"] = str(port)
    if "GSL_BASE_URL" not in os.environ and (host, port) != ("127.0.0.1", 5000):
        os.environ["GSL_BASE_URL"] = f"http://{host}:{port}"
    uvicorn.run(
        "gsl_service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=str(settings.log_level).lower(),
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,  # the app logs each request, with its request id
    )
    return 0


# ---------------------------------------------------------------------------- worker


def cmd_worker(args: argparse.Namespace) -> int:
    """Run an RQ worker that executes queued jobs (distributed mode)."""
    settings = _settings()
    if not settings.redis_url:
        print("gsl worker: set GSL_REDIS_URL (workers take jobs from Redis)", file=sys.stderr)
        return 2
    from gsl_service.jobs.probe import check_worker, worker_name

    if args.check:  # exec probe: this host's worker heartbeats
        ok, why = check_worker(settings)
        print(f"gsl worker --check: {'ok' if ok else 'FAILED'}: {why}")
        return 0 if ok else 1
    port = args.metrics_port if args.metrics_port is not None else settings.worker_metrics_port
    if port:  # before anything imports prometheus_client: horses report through files
        from gsl_service import worker_metrics

        worker_metrics.enable_multiprocess()
    import logging.config

    from gsl_service.jobs.worker import run_worker
    from gsl_service.observability import logging_config

    logging.config.dictConfig(logging_config(settings.log_level, settings.log_format))
    if port:
        worker_metrics.serve(port, host=settings.host)
    try:
        run_worker(settings, burst=args.burst, name=worker_name())
    finally:
        if port:
            worker_metrics.cleanup()
    return 0


# ------------------------------------------------------------------------------- run


class ProgressBar:
    """A one-line progress bar on a terminal stream, shown once work takes a while.

    Parameters
    ----------
    stream : TextIO
        Where to draw (stderr).
    delay_s : float
        Nothing is drawn for work that finishes sooner.
    width : int
        Bar width in characters.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(out, delay_s=0.0)
    >>> bar(0.5, "computing"); bar.close()
    >>> "50%" in out.getvalue() and "computing" in out.getvalue()
    True
    """

    def __init__(self, stream: TextIO, delay_s: float = 0.5, width: int = 30) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.delay_s = delay_s
        self.width = width
        self.drawn = False

    def __call__(self, fraction: float, message: str) -> None:
        """Draw ``fraction`` (0..1) done at stage ``message``."""
        if time.monotonic() - self.start < self.delay_s:
            return
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction * 100:3.0f}% {message[:40]:<40}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the line if a bar was drawn."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _resolve_hrefs(
    inputs: dict[str, Any], settings: Any, geo: Collection[str] | None = None
) -> dict[str, Any]:
    """Unwrap qualified values and fetch references (``{"href": ...}``) like the service."""
    from gsl_service.inputs import AddressGuard, Fetcher
    from gsl_service.spool import use_spool

    fetcher = Fetcher(
        AddressGuard(settings.fetch_allowlist),
        max_bytes=settings.fetch_max_bytes,
        timeout_s=settings.fetch_timeout_s,
        max_pages=settings.fetch_max_pages,
        spool=use_spool(settings),  # files streamed to disk, read from there with the bbox
    )
    try:
        resolved, _ = fetcher.resolve(inputs, geo=geo)
    finally:
        fetcher.close()
    return resolved


def _has_references(inputs: dict[str, Any]) -> bool:
    """Return whether any input is a reference or a qualified value (to be resolved).

    Inputs that cannot be either (no ``href``/``value`` member, no list) are judged
    without importing the fetcher (httpx: 70 ms of a ``gsl run``).
    """
    if not any(
        isinstance(v, list) or (isinstance(v, dict) and ("href" in v or "value" in v))
        for v in inputs.values()
    ):
        return False
    from gsl_service.inputs import has_href, is_qualified_value

    return has_href(inputs) or any(
        is_qualified_value(v) or isinstance(v, list) for v in inputs.values()
    )


def load_request(raw: bytes) -> Any:
    """Parse an execute request file (orjson, the collector paused: see ``paused_gc``)."""
    from gsl_indicators.core.geo import paused_gc

    with paused_gc():
        return orjson.loads(raw)


def run_local(process_id: str, request: Any, stderr: TextIO = sys.stderr) -> bytes:
    """Compute ``process_id`` on an execute request locally; return the result bytes.

    Parameters
    ----------
    process_id : str
        A registered process id.
    request : dict
        An OGC execute request body, ``{"inputs": {...}}``.
    stderr : TextIO
        Where the progress bar is drawn.

    Returns
    -------
    bytes
        The canonical JSON result document (as the service computes it).

    Raises
    ------
    InputError
        For an unknown process or bad inputs, naming the input and the reason.
    """
    from gsl_indicators.core.canonical import canonical_json
    from gsl_indicators.core.run import execute
    from gsl_indicators.core.spec import find_indicator, registry

    try:
        indicator = find_indicator(process_id)
    except KeyError:
        raise InputError(
            "process", f"no process '{process_id}'; known: {registry().ids()}"
        ) from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs", {}), dict):
        raise InputError("inputs", 'the request must be a JSON object {"inputs": {...}}')
    inputs = dict(request.get("inputs") or {})
    if _has_references(inputs):
        inputs = _resolve_hrefs(inputs, _settings(), geo=[gi.name for gi in indicator.inputs])
    bar = ProgressBar(stderr)
    try:
        doc = execute(indicator, inputs, on_progress=bar)
    finally:
        bar.close()
    return canonical_json(doc)


#: Set by :func:`entry` (the console script): the process ends right after its command.
_EXIT_FAST = False
#: Large values the console script leaves to the operating system to free at exit.
_LEFT_FOR_EXIT: list[Any] = []


def cmd_run(args: argparse.Namespace) -> int:
    """Compute a process locally on an execute request and print the result document."""
    try:
        raw = sys.stdin.buffer.read() if args.request == "-" else Path(args.request).read_bytes()
    except OSError as err:
        print(f"gsl run: cannot read {args.request}: {err}", file=sys.stderr)
        return 2
    from gsl_indicators.core.geo import paused_gc
    from gsl_service.errors import ServiceError

    # The collector stays paused from parsing the request until the result is written:
    # re-enabled in between, its first collections walk the millions of objects of a
    # large request one generation after another (measured: ~2 s of a 30,000-building
    # run). Nothing here makes reference cycles; the request is freed by reference count.
    with paused_gc():
        try:
            request = load_request(raw)
        except orjson.JSONDecodeError as err:
            print(f"gsl run: {args.request} is not valid JSON: {err}", file=sys.stderr)
            return 2
        try:
            body = run_local(args.process, request)
        except (InputError, ServiceError) as err:
            print(f"gsl run: {err}", file=sys.stderr)
            return 2
        if _EXIT_FAST:
            _LEFT_FOR_EXIT.append(request)
        del request
    if args.output:
        Path(args.output).write_bytes(body + b"\n")
    else:
        sys.stdout.buffer.write(body + b"\n")
        sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------- openapi


def cmd_openapi(args: argparse.Namespace) -> int:
    """Write the OpenAPI document, or check that the committed one is current."""
    from gsl_service.ogc.openapi import build_openapi, dump_openapi

    text = dump_openapi(build_openapi(generating=True))  # OGC schemas from their files
    if args.check:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            why = "is missing" if current is None else "is stale (the API changed)"
            print(
                f"{path} {why}; regenerate it with `make openapi` "
                f"(gsl openapi --output {path}) and commit it",
                file=sys.stderr,
            )
            return 1
        print(f"{path} is up to date", file=sys.stderr)
        return 0
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------------------- apikey


def cmd_apikey(args: argparse.Namespace) -> int:
    """Print a new API key and its hashed entry for ``GSL_API_KEYS_FILE``."""
    from gsl_service.auth import KeyRing, hash_key, new_key

    key = new_key()
    entry = f"{args.id}:{args.scopes}:{key}"
    try:
        KeyRing.parse_env(entry)  # refuses a bad id or scope
    except ValueError as err:
        print(f"gsl apikey: {str(err).split(': ', 1)[-1]}", file=sys.stderr)
        return 2
    scopes = [s for s in args.scopes.replace(" ", "+").split("+") if s]
    print(f"# the key (give it to the client; it is not stored anywhere):\n{key}")
    print("# its entry in the keys file (a Kubernetes Secret, GSL_API_KEYS_FILE):")
    print(f"- id: {args.id}\n  scopes: [{', '.join(scopes)}]\n  sha256: {hash_key(key)}")
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``gsl``."""
    p = argparse.ArgumentParser(prog="gsl", description="GSL indicator service")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve the API (uvicorn)")
    s.add_argument("--host", default=None, help="bind address (GSL_HOST, 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (GSL_PORT, 5000)")
    s.add_argument("--workers", type=int, default=None, help="uvicorn worker processes")
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("worker", help="run an RQ worker (needs GSL_REDIS_URL)")
    w.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    w.add_argument(
        "--check",
        action="store_true",
        help="probe: exit 0 when this host's worker heartbeats (Redis away: 0), else 1",
    )
    w.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve the jobs' metrics on this port (GSL_WORKER_METRICS_PORT; 0 = off)",
    )
    w.set_defaults(func=cmd_worker)

    k = sub.add_parser("apikey", help="make an API key and its hashed keys-file entry")
    k.add_argument("--id", required=True, help="key id (stored as the owner of its jobs)")
    k.add_argument("--scopes", default="read+execute", help="read, execute, admin joined by +")
    k.set_defaults(func=cmd_apikey)

    r = sub.add_parser("run", help="compute a process locally and print the result document")
    r.add_argument("process", help="process id, e.g. urbanity-class")
    r.add_argument("request", help='execute request JSON file {"inputs": ...} (- for stdin)')
    r.add_argument("-o", "--output", help="write the result here instead of stdout")
    r.set_defaults(func=cmd_run)

    o = sub.add_parser("openapi", help="write or check the OpenAPI document")
    g = o.add_mutually_exclusive_group()
    g.add_argument("--output", help="write the document to this file")
    g.add_argument("--check", help="exit 1 when this file differs from the generated one")
    o.set_defaults(func=cmd_openapi)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gsl`` command line."""
    args = parser().parse_args(argv)
    return int(args.func(args))


def entry() -> None:  # pragma: no cover - the console script (tests call main)
    """Run ``gsl`` as a console script; ``gsl run`` exits without freeing its heap.

    Freeing a large request object by object takes longer than anything but the
    kernel (0.55 s of a 30,000-building run); the operating system frees a process's
    memory at once. Output streams and log handlers are flushed first.
    """
    global _EXIT_FAST
    argv = sys.argv[1:]
    _EXIT_FAST = bool(argv) and argv[0] == "run"
    code = main(argv)
    if not _EXIT_FAST:
        sys.exit(code)
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
