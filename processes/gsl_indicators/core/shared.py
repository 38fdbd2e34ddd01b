"""Work shared between the runs of one analysis (Monte-Carlo samples, sensitivity sweeps).

An analysis runs one kernel many times on the same parsed layers; parts of the work do
not depend on what varies (the union of the canopy per neighbourhood does not change
with the tree distance). Inside :func:`shared_work`, :func:`memoised` keeps such results
keyed by the *identity* of their input arrays and by their scalar arguments: a sample
that perturbs a layer hands the kernel a new array, so it misses the memo and computes
afresh, and a sample that leaves the layer alone reuses the first run's result. Outside
the scope nothing is kept, so a plain request computes everything as before.

The scope is a :class:`contextvars.ContextVar`: concurrent requests in other threads
never see each other's memo; the analysis hands it to its own sample threads with
:func:`contextvars.copy_context`.

Examples
--------
>>> import numpy as np
>>> calls = []
>>> a = np.arange(3)
>>> def total() -> int:
...     calls.append(1)
...     return int(a.sum())
>>> with shared_work():
...     memoised("total", (a,), (), total), memoised("total", (a,), (), total)
(3, 3)
>>> len(calls), memoised("total", (a,), (), total), len(calls)  # outside: no memo
(1, 3, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

__all__ = ["memoised", "shared_work"]

_STORE: ContextVar[dict[Hashable, tuple[tuple[Any, ...], Any]] | None] = ContextVar(
    "gsl_shared_work", default=None
)


@contextmanager
def shared_work() -> Iterator[None]:
    """Keep :func:`memoised` results for the runs inside the ``with`` block."""
    token = _STORE.set({})
    try:
        yield
    finally:
        _STORE.reset(token)


def memoised[T](name: str, inputs: Sequence[Any], args: Hashable, compute: Callable[[], T]) -> T:
    """Return ``compute()``, reused within a :func:`shared_work` scope.

    Parameters
    ----------
    name : str
        What is computed (one memo serves several functions).
    inputs : sequence
        The input arrays, matched by identity (the memo holds them, so their ids are not
        reused while it lives).
    args : hashable
        Every other argument the result depends on.
    compute : callable
        Computes the result; numpy arrays are returned as copies, so that a caller
        changing its result cannot change another run's.
    """
    store = _STORE.get()
    if store is None:
        return compute()
    key = (name, tuple(id(x) for x in inputs), args)
    hit = store.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], inputs, strict=True)):
        value = hit[1]
    else:
        value = compute()
        store[key] = (tuple(inputs), value)
    return value.copy() if isinstance(value, np.ndarray) else value  # type: ignore[return-value]
