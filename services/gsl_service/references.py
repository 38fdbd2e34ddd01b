"""Inputs by reference, fetched in the media types their schemas imply.

OGC API – Processes lets a client pass any input by reference (``{"href": ...,
"type": ...}``). What a reference may point at follows from the input's schema:

============================  ==================================================
input                          media types accepted by reference
============================  ==================================================
geo input (FeatureCollection)  GeoJSON / JSON (paged collections followed), GeoTIFF
string parameter               ``text/plain`` (UTF-8), or JSON
number, integer, boolean       JSON (``application/json``)
object, array parameter        JSON (``application/json``)
============================  ==================================================

A reference without ``type`` is read by what the server says it sent (a
``text/plain`` answer for a string parameter is text, anything else JSON). Fetching
itself — address guard, redirects, size and time limits — is
:class:`gsl_service.inputs.Fetcher`'s, one fetch at a time; a request's several
references are fetched a few at once (:func:`fetch_in_order`), each under its own
limits, with the answer and the errors of fetching them in turn.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from gsl_indicators.core.spec import Indicator, Parameter
from gsl_service.errors import FetchError
from gsl_service.inputs import JSON_TYPES, TIFF_TYPES, Fetcher, _is_href, unwrap_values

TEXT = "text/plain"


def accepted_types(param: Parameter) -> tuple[str, ...]:
    """Return the media types a parameter accepts by reference.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> msg = next(p for p in registry().get("echo").parameters if p.name == "message")
    >>> accepted_types(msg)
    ('text/plain', 'application/json')
    """
    if param.type == "string":
        return (TEXT, "application/json")
    return ("application/json",)


def _media(ref: Mapping[str, Any]) -> str:
    return str(ref.get("type") or "").split(";")[0].strip().lower()


def fetch_parameter(fetcher: Fetcher, param: Parameter, ref: Mapping[str, Any]) -> Any:
    """Return the value of parameter ``param`` given by reference ``ref``.

    Raises
    ------
    FetchError
        A 400 naming the input: the media type does not suit its schema, the body is
        not UTF-8 text or JSON, or the fetch failed.
    """
    name = param.name
    if ref.get("bbox") is not None:
        raise FetchError(
            f"input '{name}' ({param.type}): a bbox selects features of a layer; "
            "a parameter by reference is read whole",
            input_name=name,
        )
    media = _media(ref)
    if param.type != "string" or (media and (media in JSON_TYPES or media in TIFF_TYPES)):
        if media and media not in JSON_TYPES and media not in TIFF_TYPES:
            raise FetchError(
                f"input '{name}' ({param.type}): media type '{media}' is not accepted by "
                f"reference; use {' or '.join(accepted_types(param))}",
                input_name=name,
            )
        return fetcher.fetch_value(name, ref)
    if media and media != TEXT:
        raise FetchError(
            f"input '{name}' (string): media type '{media}' is not supported by reference; "
            f"use {' or '.join(accepted_types(param))}",
            input_name=name,
        )
    url = ref.get("href")
    if not isinstance(url, str) or not url:
        raise FetchError(f"input '{name}': 'href' must be a URL", input_name=name)
    body, served = fetcher.fetch_raw(name, url, f"{TEXT}, application/json;q=0.5")
    if not media and served != TEXT:  # untyped and not served as text: JSON
        return _json(name, url, body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FetchError(
            f"input '{name}': {url} is not UTF-8 text ({err})", input_name=name
        ) from None
    # a text file ends with one line break, which is not part of the value
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _json(name: str, url: str, body: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise FetchError(
            f"input '{name}': {url} did not return JSON ({err})", input_name=name
        ) from None


def resolve_references(
    fetcher: Fetcher, indicator: Indicator, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Return ``inputs`` with qualified values unwrapped and every reference fetched.

    Geo inputs go to :meth:`Fetcher.fetch` (GeoJSON, paged; GeoTIFF), parameters to
    :func:`fetch_parameter`; an input given as a list of references is fetched item
    by item. Unknown names are left as they are (the engine names them in its error).

    Several references are fetched at once (:func:`fetch_in_order`, at most
    :data:`MAX_CONCURRENT_FETCHES`); the answer, and the error when fetches fail, are
    those of fetching them one after the other in the request's order.
    """
    out = unwrap_values(inputs)
    fetches = _fetches(fetcher, indicator, out)
    for name in {name for name, index, _ in fetches if index is not None}:
        out[name] = list(out[name])  # a new list: the caller's stays as it was
    values = fetch_in_order([call for _, _, call in fetches])
    for (name, index, _), value in zip(fetches, values, strict=True):
        if index is None:
            out[name] = value
        else:
            out[name][index] = value
    return out


def _fetches(
    fetcher: Fetcher, indicator: Indicator, inputs: Mapping[str, Any]
) -> list[tuple[str, int | None, Callable[[], Any]]]:
    """Return the fetches ``inputs`` need in the request's order: name, list index, call.

    The index is ``None`` for an input given by one reference, the item's position for
    an input given as a list of references.
    """
    geo = {gi.name for gi in indicator.inputs}
    params = {p.name: p for p in indicator.parameters}
    fetches: list[tuple[str, int | None, Callable[[], Any]]] = []
    for name, value in inputs.items():
        refs = value if isinstance(value, list) and value and all(map(_is_href, value)) else None
        if not _is_href(value) and refs is None:
            continue
        if name in geo:
            get: Callable[[Mapping[str, Any]], Any] = functools.partial(fetcher.fetch, name)
        elif name in params:
            get = functools.partial(fetch_parameter, fetcher, params[name])
        else:
            continue
        if refs is None:
            fetches.append((name, None, functools.partial(get, value)))
        else:
            fetches.extend((name, i, functools.partial(get, ref)) for i, ref in enumerate(refs))
    return fetches


#: Most references fetched at once. A province's five FlatGeobuf files (821 MB: homes,
#: trees, crowns, parks, neighbourhoods) took ~1.5–1.9 s one after the other, the
#: receiving thread busy reading sockets, hashing (sha256) and writing the spool file;
#: all three release the GIL, so a few threads overlap them (measured in
#: :func:`fetch_in_order`).
#: Four covers a province's large files (homes, trees, crowns) with one to spare and
#: bounds the connections and spool files a request has open at once.
MAX_CONCURRENT_FETCHES = 4


def fetch_in_order[T](
    calls: Sequence[Callable[[], T]], *, max_workers: int = MAX_CONCURRENT_FETCHES
) -> list[T]:
    """Return ``[call() for call in calls]``, the calls run in a few threads at once.

    Errors are those of the loop: when calls raise, the exception raised is the one
    of the first failing call in ``calls``' order. Once a call fails, the calls after
    it that have not started are cancelled (the earlier ones still run: one of them
    may fail too, and its error comes first); every thread has finished when this
    returns or raises. No call, or one, runs here without a pool.

    Why threads: a fetch spends its time in socket reads, sha256 and file writes,
    which release the GIL. Measured with the province's five files (821 MB, the
    largest 448 MB) served from 127.0.0.1 on the same 2 cores, spooled:
    :func:`resolve_references` took 1.44–1.48 s one by one and 1.38–1.42 s four at
    a time on an idle machine (CPU 1.5 s → 1.9 s: both cores busy, the server's
    ``sendfile`` and the receiving threads' copies and hashing share them); with
    another process busy on one core, ~1.5 s either way. From a store that sends each
    connection at most 200 MiB/s (another machine's, roughly), they overlap whole:
    3.92–3.96 s one by one, 2.15 s at once — the time of the largest file alone.

    Parameters
    ----------
    calls : sequence of callables
        Calls without arguments; each runs in a copy of the caller's context
        (context variables such as the API key in use).
    max_workers : int
        Most calls running at once.

    Examples
    --------
    >>> fetch_in_order([lambda: 1, lambda: 2, lambda: 3])
    [1, 2, 3]
    >>> def fail(msg):
    ...     raise ValueError(msg)
    >>> fetch_in_order([lambda: 1, lambda: fail("first"), lambda: fail("second")])
    Traceback (most recent call last):
    ...
    ValueError: first
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    pool = ThreadPoolExecutor(
        max_workers=min(max_workers, len(calls)), thread_name_prefix="gsl-fetch"
    )
    try:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [i for i, f in enumerate(futures) if f in done and f.exception() is not None]
        if failed:  # those after it are not needed; those before it run on (error first)
            for future in futures[failed[0] + 1 :]:
                future.cancel()
    except BaseException:  # interrupted while waiting: nothing more starts
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)  # the calls before a failed one may fail too: their turn
    for future in futures:
        err = None if future.cancelled() else future.exception()
        if err is not None:
            raise err
    return [future.result() for future in futures]
