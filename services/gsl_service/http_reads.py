"""Reading response bodies: larger reads from the socket, decoding with a bound.

* **Larger reads.** httpcore reads an HTTP/1.1 response 64 KiB at a time
  (``HTTP11Connection.READ_NUM_BYTES``, a class attribute; it has no setting for it), and
  every read costs httpcore and h11 ~0.15 ms of Python beside the copy. A file by
  reference — the province's 783 MB of FlatGeobuf at submission — arrives in thousands
  of such reads: the crowns (427 MiB over plain HTTP from 127.0.0.1, sha256 on the way)
  took 1.8–1.9 CPU s in reads of 64 KiB and 0.8–0.9 s in reads of up to 1 MiB, against
  0.5–0.7 s for a bare socket (``recv_into`` and sha256).
  :func:`read_responses_in_larger_chunks` raises the attribute once, for every httpx
  client in the process (HTTP/1.1, sync and async; HTTP/2 is not used). A read asks for
  up to 1 MiB; the socket gives what has arrived (over TLS at most a 16 KiB record), so
  the gain is largest where the bytes arrive faster than Python reads them.
* **Decoding with a bound.** httpx decodes a compressed body (``Content-Encoding: gzip``
  or ``deflate``) one read at a time and without a limit: a read of 1 MiB of gzip can
  become 1 GiB before a size limit sees it (1 MiB of zeros compresses to ~1 KiB).
  :func:`body_chunks` decodes the raw reads itself, at most ``step`` bytes at a time, so a
  fetch's size limit (:class:`gsl_service.inputs.Fetcher`, the Tygron adapter) stops a
  body at most one step past it, however well it is compressed.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator

import httpx

log = logging.getLogger(__name__)

#: Bytes per read of a response body (httpcore's own: 64 KiB), and most bytes decoded at once.
READ_SIZE = 1 << 20
#: The content encodings :func:`body_chunks` decodes (those httpx decodes without extras).
ENCODINGS = ("gzip", "x-gzip", "deflate")


def read_responses_in_larger_chunks(size: int = READ_SIZE) -> bool:
    """Make httpcore read responses up to ``size`` bytes at a time (never less than its own).

    Parameters
    ----------
    size : int
        Bytes per read of the socket.

    Returns
    -------
    bool
        Whether it could: ``False`` (and a warning) when the installed httpcore has no
        such module or attribute; it then reads as it does by itself.
    """
    try:
        from httpcore._async.http11 import AsyncHTTP11Connection
        from httpcore._sync.http11 import HTTP11Connection
    except ImportError:
        log.warning("httpcore has no http11 module: responses are read as it reads them")
        return False
    classes = (HTTP11Connection, AsyncHTTP11Connection)
    if not all(isinstance(getattr(cls, "READ_NUM_BYTES", None), int) for cls in classes):
        log.warning("httpcore has no READ_NUM_BYTES: responses are read as it reads them")
        return False
    for cls in classes:
        cls.READ_NUM_BYTES = max(cls.READ_NUM_BYTES, size)
    return True


def body_chunks(resp: httpx.Response, step: int = READ_SIZE) -> Iterator[bytes]:
    """Yield a streamed response's body, decoded, never more than ``step`` bytes at a time.

    What ``resp.iter_bytes()`` gives, but a compressed body is decoded in steps: no
    chunk is longer than ``step`` (an uncompressed body's chunks are the reads, at most
    :data:`READ_SIZE`), so a caller counting bytes stops a compressed body one step past
    its limit instead of after decoding a whole read.

    Parameters
    ----------
    resp : httpx.Response
        A response opened with ``client.stream(...)``, its body not read yet.
    step : int
        Most bytes decoded at once.

    Yields
    ------
    bytes
        The body, in order.

    Raises
    ------
    httpx.DecodingError
        The body is not valid for its ``Content-Encoding``, or is encoded otherwise
        than with gzip or deflate, or more than once.
    """
    codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        yield from resp.iter_raw()
        return
    if len(codings) > 1 or codings[0] not in ENCODINGS:
        raise httpx.DecodingError(
            f"content encoding {', '.join(codings)} is not accepted (gzip, deflate or none)"
        )
    deflate = codings[0] == "deflate"
    inflate = zlib.decompressobj(zlib.MAX_WBITS if deflate else zlib.MAX_WBITS | 16)
    first = True  # "deflate" is zlib data, though some servers send it raw (as httpx takes)
    try:
        for raw in resp.iter_raw():
            data = raw
            while data:  # what a step leaves undecoded waits in unconsumed_tail
                try:
                    out = inflate.decompress(data, step)
                except zlib.error:
                    if not (deflate and first):
                        raise
                    inflate, first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                first = False
                data = inflate.unconsumed_tail
                if out:
                    yield out
        rest = inflate.flush()
    except zlib.error as err:
        raise httpx.DecodingError(f"the body is not valid {codings[0]} data: {err}") from None
    if rest:
        yield rest


#: A reply body a post judged by its status reads to the end (so its connection is kept).
SMALL_REPLY = 64 << 10


def post_status(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str] | None = None
) -> int:
    """POST ``body`` to ``url``; return the reply's status, its body read only when small.

    For posts whose reply counts by its status alone (a subscriber's callback, a Tygron
    event). A body declared at most :data:`SMALL_REPLY` bytes (``Content-Length``) is
    read to its end, so the connection can serve the next post; any other body —
    larger, of no declared length, compressed to a thousandfold — is left unread and
    its connection closed: a receiver's reply costs the poster neither memory nor the
    time of waiting for it. An error while reading that small body is only logged: the
    status has arrived.

    Raises
    ------
    httpx.HTTPError
        When the post fails before a status arrives.
    """
    with client.stream("POST", url, content=body, headers=headers) as resp:
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= SMALL_REPLY:
            try:
                for _ in resp.iter_raw():
                    pass
            except httpx.HTTPError as err:
                log.info("reply of %s not read to its end: %s", url, err)
        return resp.status_code
