"""A stored per-feature output read as a stream: its members, then its features in batches.

A large output is stored as its canonical JSON, zstd-compressed
(:mod:`gsl_service.result_parts`); 650,000 homes are 0.2–1 GB of JSON. Parsing it whole
to write a GeoJSON or CSV download holds every feature as Python objects at once (the
API process grew by 1.1 GB). :class:`CollectionStream` decompresses the part as a
stream and decodes one feature at a time (the standard library's JSON scanner, from the
position where a feature starts), so a download holds one batch of features: 650,000
homes are read in ~2.7 s holding ~30 MB, against ~4 s and ~1.1 GB for the whole.

The text is a JSON object whose ``features`` member is an array of objects; any other
member (``type``, ``crs``, ``bbox`` …) may come before or after it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any

#: Bytes decompressed per read.
CHUNK = 4 << 20

_WHITESPACE = " \t\n\r"
#: What may follow the part of a number the scanner read when the rest is still to come.
_NUMBER_GOES_ON = ".eE"


class CollectionStream:
    """The FeatureCollection of a stored part, read once, front to back.

    Parameters
    ----------
    blob : bytes
        The part as stored (:func:`gsl_service.result_parts.compress`).
    chunk : int
        Bytes decompressed per read (small in tests, to cut features and characters
        across reads).

    Attributes
    ----------
    head : dict
        The members before ``features`` (read when the stream is made).
    tail : dict
        The members after ``features``: filled once :meth:`batches` is exhausted.

    Raises
    ------
    ValueError
        When the text is not such a collection (cut short, or another JSON value).

    Examples
    --------
    >>> from gsl_service.result_parts import compress
    >>> text = b'{"crs":{"type":"name"},"features":[{"id":1},{"id":2},{"id":3}],"type":"x"}'
    >>> s = CollectionStream(compress(text), chunk=7)
    >>> s.head, [[f["id"] for f in b] for b in s.batches(2)], s.tail
    ({'crs': {'type': 'name'}}, [[1, 2], [3]], {'type': 'x'})
    """

    def __init__(self, blob: bytes, chunk: int = CHUNK) -> None:
        import pyarrow as pa

        self._reader = pa.CompressedInputStream(pa.py_buffer(blob).slice(8), "zstd")
        self._text = codecs.getincrementaldecoder("utf-8")()
        self._chunk = chunk
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()
        self.head: dict[str, Any] = {}
        self.tail: dict[str, Any] = {}
        self._expect("{")
        self._members(self.head, until_features=True)

    # -- reading --------------------------------------------------------------------
    def _more(self) -> bool:
        """Read the next chunk into the buffer; ``False`` at the end of the text."""
        if self._eof:
            return False
        data = self._reader.read(self._chunk)
        self._eof = not data
        self._buf = self._buf[self._pos :] + self._text.decode(data, final=self._eof)
        self._pos = 0
        return not self._eof or bool(self._buf)

    def _peek(self) -> str:
        """Return the next character that is not whitespace (``""`` at the end)."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if self._eof or not self._more():
                return ""

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"a stored collection: expected {char!r} at {self._where()}")
        self._pos += 1

    def _value(self) -> Any:
        """Decode the JSON value at the position; read on while it is cut by the buffer's end."""
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError:
                if self._eof or not self._more():
                    raise ValueError(
                        f"a stored collection: no JSON value at {self._where()}"
                    ) from None
                continue
            if self._eof or (end < len(self._buf) and self._buf[end] not in _NUMBER_GOES_ON):
                self._pos = end
                return value
            self._more()  # a number cut by the buffer's end ("12", "1.", "1e") reads short

    def _where(self) -> str:
        return f"{self._buf[self._pos : self._pos + 40]!r}"

    def _members(self, into: dict[str, Any], *, until_features: bool) -> None:
        """Read ``"name": value`` members into ``into`` up to ``features`` or the closing brace."""
        first = True
        while True:
            char = self._peek()
            if char == "}" and not until_features:
                self._pos += 1
                return
            if not first or (not until_features and char == ","):
                self._expect(",")
            first = False
            if self._peek() != '"':
                raise ValueError(f"a stored collection: expected a member at {self._where()}")
            name = self._value()
            self._expect(":")
            if until_features and name == "features":
                self._expect("[")
                return
            into[name] = self._value()

    # -- features -------------------------------------------------------------------
    def text_after_head(self) -> Iterator[str]:
        """Yield the text after ``"features":[`` as it is, to the end (instead of :meth:`batches`).

        A stored part is canonical JSON (keys sorted), so what follows the features
        holds no ``crs`` (it sorts before ``features``).
        """
        if self._pos < len(self._buf):
            yield self._buf[self._pos :]
        self._buf, self._pos = "", 0
        while self._more():
            yield self._buf
            self._buf = ""

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the features, ``size`` at a time; then :attr:`tail` holds the members after them."""
        batch: list[dict[str, Any]] = []
        done = self._peek() == "]"
        if done:
            self._pos += 1
        decode = self._decoder.raw_decode
        while not done:
            buf, pos = self._buf, self._pos
            try:  # the common case, inline: a feature, then ',' within the buffer
                feature, end = decode(buf, pos)
                follows = buf[end] if end < len(buf) else ""
            except json.JSONDecodeError:
                feature, follows = None, ""
            if follows == ",":
                self._pos = end + 1
            else:  # cut by the buffer's end, whitespace, or the last feature: the careful way
                feature = self._value()
                char = self._peek()
                if char not in (",", "]"):
                    raise ValueError(f"a stored collection: expected ',' or ']' at {self._where()}")
                self._pos += 1
                done = char == "]"
            if not isinstance(feature, dict):
                raise ValueError("a stored collection: a feature is not an object")
            batch.append(feature)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
        self._members(self.tail, until_features=False)
        if self._peek():
            raise ValueError(f"a stored collection: text after its end at {self._where()}")
