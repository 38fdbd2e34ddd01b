"""Canonical JSON and digests: the same value always gives the same bytes and hash."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

__all__ = ["canonical_json", "digest", "digest_bytes"]


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` to canonical JSON bytes.

    Keys are sorted, no insignificant white space is written, and floats use the
    shortest representation that round-trips (so ``0.1`` is always ``0.1``).

    Parameters
    ----------
    value : Any
        A JSON-compatible value (dicts, lists, str, int, float, bool, None; numpy
        scalars and arrays are accepted too).

    Returns
    -------
    bytes
        The canonical serialisation.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.0, 2.5]})
    b'{"a":[1.0,2.5],"b":1}'
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def digest(value: Any) -> str:
    """Return the hex sha256 of the canonical JSON of ``value``.

    Examples
    --------
    >>> digest({"a": 1}) == digest({"a": 1})
    True
    >>> digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    True
    """
    return hashlib.sha256(canonical_json(value)).hexdigest()


def digest_bytes(data: bytes) -> str:
    """Return the hex sha256 of raw bytes."""
    return hashlib.sha256(data).hexdigest()
