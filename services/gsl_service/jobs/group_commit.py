"""Group commit: concurrent callers share one store write, and each returns after it.

Synchronous executions record a job each. One transaction per job costs a commit
per request; under concurrency, :class:`GroupCommit` lets one caller at a time write
every record queued so far in one transaction (``JobStore.create_many``), while the
callers whose records it took along wait on a condition and return when it is
written. There is no background thread and no delay: alone, a caller writes its own
record at once; a record is always committed before its caller returns (nothing is
lost when the process dies after answering).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


class _Entry[T]:
    __slots__ = ("error", "item", "written")

    def __init__(self, item: T) -> None:
        self.item = item
        self.written = False
        self.error: BaseException | None = None


class GroupCommit[T]:
    """Batch items of concurrent callers into one call of ``write``.

    Parameters
    ----------
    write : callable
        Writes a batch (a list of items) durably, or raises; every caller of that
        batch then gets the exception.
    max_batch : int
        Largest batch written at once.

    Examples
    --------
    >>> batches = []
    >>> gc = GroupCommit(batches.append)
    >>> gc.submit(1); gc.submit(2)
    >>> batches
    [[1], [2]]
    """

    def __init__(self, write: Callable[[Sequence[T]], object], max_batch: int = 256) -> None:
        self._write = write
        self.max_batch = max_batch
        self._queue: list[_Entry[T]] = []
        self._cond = threading.Condition(threading.Lock())
        self._writing = False
        self.batches = 0  # how many writes were made (diagnostics)

    def submit(self, item: T) -> None:
        """Write ``item`` (possibly with others' items); return once it is written."""
        entry = _Entry(item)
        with self._cond:
            self._queue.append(entry)
        while True:
            with self._cond:
                while self._writing and not entry.written:
                    self._cond.wait()
                if entry.written:  # a writer took it along
                    break
                self._writing = True  # our turn: write everything queued so far
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            error: BaseException | None = None
            try:
                self._write([e.item for e in batch])
            except BaseException as err:  # every caller of the batch gets it
                error = err
            with self._cond:
                for e in batch:
                    e.error = error
                    e.written = True
                self.batches += 1
                self._writing = False
                self._cond.notify_all()
        if entry.error is not None:
            raise entry.error
