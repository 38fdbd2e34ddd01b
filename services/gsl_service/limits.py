"""Bounds on what a client controls: body size, JSON depth, features, media type.

Each bound is a setting (:class:`~gsl_service.settings.LimitSettings`) and each
exceeded bound is a 4xx problem document:

* body size (``GSL_MAX_BODY_BYTES``): :class:`BodyLimit`, an ASGI middleware, refuses
  a declared ``Content-Length`` beyond the bound at once and counts the bytes of a
  streamed (chunked) body as they arrive, so nothing larger is ever buffered or
  parsed (413);
* JSON nesting depth (``GSL_MAX_JSON_DEPTH``): :func:`check_json_depth` scans the raw
  bytes before they are parsed (400);
* features per input (``GSL_MAX_FEATURES``): :func:`check_features` (400);
* media type of an execute request: :func:`check_json_media_type` (415).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from typing import Any

import numpy as np

from gsl_service.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
#: Bytes scanned at once (bounds the scan's temporary memory to ~5x this).
_CHUNK = 4 * 2**20


class BodyLimit:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` (413).

    A declared ``Content-Length`` over the bound is answered before the body is
    read; otherwise the body's chunks are counted as the app receives them and the
    app's read raises :class:`~gsl_service.errors.PayloadTooLarge` (which the app
    turns into its problem document) as soon as the count passes the bound.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a counting ``receive``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_problem(send, self._error(int(value)))
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._error(seen, streamed=True)
            return message

        await self.app(scope, counted, send)

    def _error(self, size: int, *, streamed: bool = False) -> PayloadTooLarge:
        what = f"at least {size}" if streamed else str(size)
        return PayloadTooLarge(
            f"the request body ({what} bytes) is larger than the limit of "
            f"{self.max_bytes} bytes (GSL_MAX_BODY_BYTES); pass large inputs by reference "
            '({"href": ...})',
            input_name="inputs",
        )


async def _send_problem(send: Send, err: PayloadTooLarge) -> None:
    import orjson

    body = orjson.dumps(err.problem())
    await send(
        {
            "type": "http.response.start",
            "status": err.status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def json_depth(body: bytes) -> int:
    r"""Return the deepest nesting of arrays and objects in JSON text ``body``.

    Brackets inside strings do not count (escaped quotes are honoured). Vectorised
    with numpy over chunks of the bytes, so a large body costs milliseconds and a
    bounded amount of memory; the text is not parsed (and need not be valid).

    Examples
    --------
    >>> json_depth(b'{"a": [1, [2, {"b": "[[[["}]]}')
    4
    >>> json_depth(rb'["\"[", [1]]'), json_depth(b'3')
    (2, 0)
    """
    depth = 0
    deepest = 0
    in_string = False
    escaped = False  # the previous chunk ended in an odd run of backslashes
    for start in range(0, len(body), _CHUNK):
        arr = np.frombuffer(
            body, dtype=np.uint8, count=min(_CHUNK, len(body) - start), offset=start
        )
        quotes = arr == _QUOTE
        if escaped and arr.size and quotes[0]:
            quotes[0] = False
        backslashes = np.flatnonzero(arr == _BACKSLASH)
        if backslashes.size:
            quotes, escaped = _unescaped(arr, quotes, backslashes, escaped_at_start=escaped)
        else:
            escaped = False
        # inside a string: an odd number of (real) quotes before this byte
        parity = np.cumsum(quotes, dtype=np.int64) & 1
        if in_string:
            parity ^= 1
        step = _OPEN[arr].astype(np.int32)
        step[(parity == 1) | quotes] = 0
        levels = np.cumsum(step, dtype=np.int64) + depth
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
        in_string = bool(parity[-1]) if parity.size else in_string
    return deepest


def _unescaped(
    arr: np.ndarray, quotes: np.ndarray, backslashes: np.ndarray, *, escaped_at_start: bool
) -> tuple[np.ndarray, bool]:
    """Drop quotes preceded by an odd run of backslashes; return whether the chunk ends in one."""
    quotes = quotes.copy()
    run = 1 if escaped_at_start else 0  # an odd run of the previous chunk goes on
    last = -1 if escaped_at_start else -2
    for i in backslashes.tolist():  # backslashes are rare in geo JSON
        run = run + 1 if i == last + 1 else 1
        last = i
        nxt = i + 1
        if run % 2 == 1 and nxt < arr.size and quotes[nxt]:
            quotes[nxt] = False
    ends_escaped = bool(arr.size and last == arr.size - 1 and run % 2 == 1)
    return quotes, ends_escaped


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise :class:`InvalidInput` (400) when ``body`` nests deeper than ``max_depth``.

    Examples
    --------
    >>> check_json_depth(b'{"inputs": {"a": [[1]]}}', 4)
    >>> check_json_depth(b'{"inputs": {"a": [[[1]]]}}', 4)
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: the request body nests 5 levels deep; the limit is 4 (GSL_MAX_JSON_DEPTH)
    """
    depth = json_depth(body)
    if depth > max_depth:
        raise InvalidInput(
            f"the request body nests {depth} levels deep; the limit is {max_depth} "
            "(GSL_MAX_JSON_DEPTH)",
            input_name="inputs",
        )


def check_features(inputs: Mapping[str, Any], geo: Collection[str], max_features: int) -> None:
    """Raise :class:`InvalidInput` (400) when a geo input has more than ``max_features``.

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{}, {}, {}]}
    >>> check_features({"a": fc, "b": 3}, geo={"a"}, max_features=3)
    >>> check_features({"a": [fc, fc]}, geo={"a"}, max_features=2)
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: input 'a' has 3 features; the limit is 2 per input (GSL_MAX_FEATURES)
    """
    for name in geo:
        value = inputs.get(name)
        for item in value if isinstance(value, list) else [value]:
            features = item.get("features") if isinstance(item, Mapping) else None
            if isinstance(features, list) and len(features) > max_features:
                raise InvalidInput(
                    f"input '{name}' has {len(features)} features; the limit is "
                    f"{max_features} per input (GSL_MAX_FEATURES)",
                    input_name=name,
                )


def check_json_media_type(content_type: str | None) -> None:
    """Raise :class:`UnsupportedMediaType` (415) unless the body is declared JSON.

    A missing ``Content-Type`` is taken for JSON; ``application/json`` and any
    ``+json`` type (``application/geo+json``) are accepted, with parameters.

    Examples
    --------
    >>> check_json_media_type("application/json; charset=utf-8")
    >>> check_json_media_type(None)
    >>> check_json_media_type("text/plain")
    Traceback (most recent call last):
    ...
    gsl_service.errors.UnsupportedMediaType: an execute request is JSON (Content-Type: application/json), not 'text/plain'
    """
    if not content_type:
        return
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return
    raise UnsupportedMediaType(
        f"an execute request is JSON (Content-Type: application/json), not {media!r}",
        input_name="Content-Type",
    )
