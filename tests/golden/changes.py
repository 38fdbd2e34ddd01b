"""The documented changes of the metric model, per indicator (read by ``test_golden.py``).

Every entry here is a change a reader of the old output must know about; the README's
"metric model" section and each indicator's version bump say the same in words.

* ``MOVED[indicator][(level, metric)]`` — where the metric stood in the old document
  (an :class:`Old`), with the unit factor (``0.01``: a percentage became a fraction).
  ``MOVED[indicator][("score", new_metric)] = old_metric`` — a scored metric renamed.
* ``NEW[indicator]`` — ``(level, metric)`` pairs (or bare metric ids) that are new.
* ``SCORE_CHANGES`` — indicators whose scores changed on purpose (say why beside it).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from golden.old import Old

__all__ = ["MOVED", "NEW", "SCORE_CHANGES", "Old"]


def _collect() -> tuple[dict[str, dict[Any, Any]], dict[str, set[Any]], set[str]]:
    """Merge the ``changes_<family>.py`` modules beside this file (one per indicator family)."""
    moved: dict[str, dict[Any, Any]] = {}
    new: dict[str, set[Any]] = {}
    score_changes: set[str] = set()
    for path in sorted(Path(__file__).resolve().parent.glob("changes_*.py")):
        module = importlib.import_module(f"golden.{path.stem}")
        moved.update(getattr(module, "MOVED", {}))
        new.update(getattr(module, "NEW", {}))
        score_changes |= set(getattr(module, "SCORE_CHANGES", set()))
    return moved, new, score_changes


MOVED, NEW, SCORE_CHANGES = _collect()
