"""Whether a FlatGeobuf file is whole: a truncated one is refused, never read as fewer features.

GDAL reads a FlatGeobuf cut short inside its spatial index as a layer of **no**
features, without an error, with or without a ``bbox`` (GDAL 3.12: the first 1,500 to
41,000 bytes of a 124 kB file of 1,000 homes all read as 0 features), so an indicator
would answer for an empty layer. The reader checks, before any read (:func:`check_complete`), that the file reaches the
end of its last feature. The header gives the feature count and the index's node size
(read from its FlatBuffers table by their field slots: GDAL does not expose the node
size, and no FlatBuffers package is a dependency), so where the index ends and the
features begin; the index's last leaf gives the last feature's offset (features are
stored in the order of the leaves), and that feature's length prefix its end. A file
without an index is walked from length prefix to length prefix. After a read without
``bbox``, :func:`check_count` compares the features read with the header's count (a
file damaged inside, not only cut short). Measured: GDAL reads a file cut inside its
features with a ``bbox`` as no features too, so the end is checked for every read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

MAGIC = b"fgb\x03"
#: Byte size of one node of the packed R-tree (a box of four doubles and an offset).
NODE_BYTES = 40
#: The FlatBuffers field slots of ``Header.features_count`` and ``Header.index_node_size``.
_FEATURES_COUNT, _INDEX_NODE_SIZE = 8, 9


def header_numbers(head: bytes) -> tuple[int, int, int]:
    """Return ``(header end, features_count, index_node_size)`` of a FlatGeobuf's first bytes.

    ``head`` holds at least the magic bytes, the header's length and the header.

    Raises
    ------
    ValueError
        When ``head`` is not the start of a FlatGeobuf or ends inside its header.
    """
    if head[:4] != MAGIC or len(head) < 12:
        raise ValueError("not a FlatGeobuf file (no magic bytes and header length)")
    (size,) = struct.unpack_from("<I", head, 8)
    end = 12 + size
    if len(head) < end:
        raise ValueError(f"the file ends at byte {len(head)}, inside its {size}-byte header")
    buf = head[12:end]
    try:
        (table,) = struct.unpack_from("<I", buf, 0)
        (back,) = struct.unpack_from("<i", buf, table)
        vtable = table - back
        (vt_size,) = struct.unpack_from("<H", buf, vtable)

        def slot(index: int) -> int:
            at = 4 + 2 * index
            return struct.unpack_from("<H", buf, vtable + at)[0] if at < vt_size else 0

        count_at, node_at = slot(_FEATURES_COUNT), slot(_INDEX_NODE_SIZE)
        count = struct.unpack_from("<Q", buf, table + count_at)[0] if count_at else 0
        node = struct.unpack_from("<H", buf, table + node_at)[0] if node_at else 16
    except struct.error:
        raise ValueError("its header is not a readable FlatBuffers table") from None
    return end, int(count), int(node)


def index_bytes(count: int, node_size: int) -> int:
    """Return the byte size of the packed Hilbert R-tree of ``count`` features.

    Examples
    --------
    >>> index_bytes(1000, 16)  # 1000 leaves, 63 + 4 + 1 nodes above them
    42720
    >>> index_bytes(1, 16), index_bytes(1000, 0)
    (80, 0)
    >>> index_bytes(2, 1)  # a tree of nodes of one entry never reaches a root
    Traceback (most recent call last):
    ...
    ValueError: its header gives an index node size of 1 (0: no index, or 2 and more)
    """
    if node_size == 0 or count == 0:
        return 0
    if node_size == 1:
        raise ValueError("its header gives an index node size of 1 (0: no index, or 2 and more)")
    n = nodes = count
    while True:
        n = -(-n // node_size)
        nodes += n
        if n == 1:
            break
    return nodes * NODE_BYTES


def check_complete(read_at: Callable[[int, int], bytes], size: int) -> int:
    """Raise ``ValueError`` when a FlatGeobuf of ``size`` bytes ends before its last feature does.

    ``read_at(offset, n)`` returns up to ``n`` bytes of the file from ``offset``. Returns
    the header's feature count (0: not known, a file written as a stream).
    """
    start = read_at(0, 12)
    length = int.from_bytes(start[8:12], "little") if len(start) >= 12 else 0
    end, count, node = header_numbers(start + read_at(12, length))
    features = end + index_bytes(count, node)
    if size < features + 4 * count:
        raise ValueError(
            f"the file ends at byte {size}, but its header declares {count} features, "
            f"which with its spatial index need at least {features + 4 * count} bytes: "
            "a truncated file"
        )
    if count == 0:
        return 0
    if node:  # the last leaf of the index: the last feature's offset among the features
        (offset,) = struct.unpack_from("<Q", read_at(features - NODE_BYTES, NODE_BYTES), 32)
        last = features + offset
        ends = last + 4 + _length(read_at, last, size)
    else:
        ends = _walk(read_at, features, count, size)
    if size < ends:
        raise ValueError(
            f"the file ends at byte {size}, but its last feature ends at byte {ends}: "
            "a truncated file"
        )
    return count


def _length(read_at: Callable[[int, int], bytes], at: int, size: int) -> int:
    prefix = read_at(at, 4) if at + 4 <= size else b""
    if len(prefix) < 4:
        raise ValueError(f"the file ends at byte {size}, inside its features: a truncated file")
    return int.from_bytes(prefix, "little")


def _walk(read_at: Callable[[int, int], bytes], at: int, count: int, size: int) -> int:
    """Return where the ``count`` features from ``at`` end, length prefix by length prefix."""
    for _ in range(count):
        at += 4 + _length(read_at, at, size)
        if at > size:
            break
    return at


def check_count(read: int, declared: int) -> None:
    """Raise ``ValueError`` when a whole read gave fewer (or more) features than declared.

    Examples
    --------
    >>> check_count(1000, 1000), check_count(5, 0)  # 0 declared: not known
    (None, None)
    >>> check_count(12, 1000)
    Traceback (most recent call last):
    ...
    ValueError: 12 features could be read, but its header declares 1000: a truncated or damaged file
    """
    if declared and read != declared:  # 0: a file written as a stream, its count unknown
        raise ValueError(
            f"{read} features could be read, but its header declares {declared}: "
            "a truncated or damaged file"
        )
