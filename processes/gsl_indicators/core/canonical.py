"""Canonical JSON and digests: the same value always gives the same bytes and hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import orjson

__all__ = ["RawJSON", "canonical_json", "digest", "digest_bytes", "raw_text"]


class RawJSON(Mapping[str, Any]):
    """A JSON object held as its canonical text, which :func:`canonical_json` writes as is.

    Read as a mapping it is the object its text encodes (parsed on the first read), and
    it equals that object. An output feature read from a file holds its geometry this
    way (:func:`gsl_indicators.core.geojson_dicts.geometry_texts`): at 650,000 homes
    the texts took 1.5 s and 159 MB where the geometry dicts took 4.0 s and 619 MB,
    and writing the document copies them instead of writing every coordinate again
    (0.35 → 0.17 s).

    The text must already be canonical (keys sorted, no white space, floats written
    as :func:`canonical_json` writes them): that is its maker's promise, not checked
    here. It is read-only: a change to what :meth:`value` returns is not written. Two
    texts are equal when their bytes are (``0.0`` and ``-0.0`` differ); a text and a
    mapping when the parsed object equals it (as ``0.0 == -0.0`` does).
    Other writers take :func:`raw_text` as orjson's ``default`` to write it too.

    Examples
    --------
    >>> g = RawJSON(b'{"coordinates":[1.0,2.5],"type":"Point"}')
    >>> g["type"], dict(g) == {"type": "Point", "coordinates": [1.0, 2.5]}
    ('Point', True)
    >>> g == {"coordinates": [1.0, 2.5], "type": "Point"}, g == RawJSON(g.text)
    (True, True)
    >>> canonical_json({"geometry": g, "id": 1})
    b'{"geometry":{"coordinates":[1.0,2.5],"type":"Point"},"id":1}'
    """

    __slots__ = ("_parsed", "text")
    __hash__: ClassVar[None]  # type: ignore[assignment]  # like the dict it stands for

    def __init__(self, text: bytes) -> None:
        self.text = text
        self._parsed: dict[str, Any] | None = None

    def value(self) -> dict[str, Any]:
        """Return the object the text encodes (parsed once, then kept)."""
        if self._parsed is None:
            self._parsed = orjson.loads(self.text)
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self.value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.value())

    def __len__(self) -> int:
        return len(self.value())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawJSON):
            return self.text == other.text
        if isinstance(other, Mapping):
            return self.value() == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"RawJSON({self.text.decode()!r})"


def raw_text(value: Any) -> Any:
    """Return a :class:`RawJSON`'s text to write as it is (orjson's ``default``); refuse the rest.

    Examples
    --------
    >>> orjson.dumps([RawJSON(b'{"a":1}')], default=raw_text)
    b'[{"a":1}]'
    """
    if type(value) is RawJSON:
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` to canonical JSON bytes.

    Keys are sorted, no insignificant white space is written, and floats use the
    shortest representation that round-trips (so ``0.1`` is always ``0.1``).

    Parameters
    ----------
    value : Any
        A JSON-compatible value (dicts, lists, str, int, float, bool, None; numpy
        scalars and arrays are accepted too, and :class:`RawJSON` texts).

    Returns
    -------
    bytes
        The canonical serialisation.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.0, 2.5]})
    b'{"a":[1.0,2.5],"b":1}'
    """
    return orjson.dumps(
        value, default=raw_text, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY
    )


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
