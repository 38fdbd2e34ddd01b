"""How many bytes httpx's transport (httpcore) asks the socket for when it reads a response.

httpcore reads an HTTP/1.1 response 64 KiB at a time (``HTTP11Connection.READ_NUM_BYTES``,
a class attribute; it has no setting for it), and every read costs httpcore and h11
~0.15 ms of Python beside the copy. A file by reference — the province's 783 MB of
FlatGeobuf at submission — arrives in thousands of such reads: the crowns (427 MiB from
127.0.0.1, sha256 on the way) took 1.8–1.9 CPU s in reads of 64 KiB and 0.8–0.9 s in
reads of 1 MiB, against 0.5–0.7 s for a bare socket (``recv_into`` and sha256).
:func:`read_responses_in_larger_chunks` raises the attribute once, for every httpx
client in the process (sync and async). A read's size bounds nothing else: a fetch's
limits are counted chunk by chunk (:class:`gsl_service.inputs.Fetcher`), so a body
over ``GSL_FETCH_MAX_BYTES`` is stopped at most one read later.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: Bytes per read of a response body (httpcore's own: 64 KiB).
READ_SIZE = 1 << 20


def read_responses_in_larger_chunks(size: int = READ_SIZE) -> bool:
    """Make httpcore read responses ``size`` bytes at a time (never less than its own).

    Returns whether it could: ``False`` (and a warning) when the installed httpcore
    has no ``READ_NUM_BYTES``, which then reads as it does by itself.
    """
    from httpcore._async.http11 import AsyncHTTP11Connection
    from httpcore._sync.http11 import HTTP11Connection

    classes = (HTTP11Connection, AsyncHTTP11Connection)
    if not all(isinstance(getattr(cls, "READ_NUM_BYTES", None), int) for cls in classes):
        log.warning("httpcore has no READ_NUM_BYTES: responses are read as it reads them")
        return False
    for cls in classes:
        cls.READ_NUM_BYTES = max(cls.READ_NUM_BYTES, size)
    return True
