"""The documented changes of the metric model, per indicator (read by ``test_golden.py``).

Every entry here is a change a reader of the old output must know about; the README's
"metric model" section and each indicator's version bump say the same in words.

* ``MOVED[indicator][(level, metric)]`` — where the metric stood in the old document
  (an :class:`Old`), with the unit factor (``0.01``: a percentage became a fraction).
  ``MOVED[indicator][("score", new_metric)] = old_metric`` — a scored metric renamed.
* ``NEW[indicator]`` — ``(level, metric)`` pairs (or bare metric ids) that are new.
* ``SCORE_CHANGES`` — indicators whose scores changed on purpose (say why beside it).
* ``FOLLOWS[indicator]`` — for an indicator NOT on the metric model whose output shows
  another indicator's output (``sensitivity`` tracks its target's summary): a function
  ``(old, new) -> (old, new)`` that applies the target's documented changes (and checks
  what it adds), after which the two documents must be equal.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gsl_indicators.core.spec import Indicator


@dataclass(frozen=True)
class Old:
    """Where a metric stood in the old document.

    Parameters
    ----------
    path : str
        For an overall metric: a dotted path in the old document (``summary.play_share``).
        For a feature or area metric: ``"<output>.<property>"`` — the old
        FeatureCollection output and the property of each feature.
    scale : float
        Old value × scale = new value (``0.01`` for percent → fraction).
    """

    path: str
    scale: float = 1.0
    level: str = "overall"

    @staticmethod
    def default(ind: Indicator, level: str, metric: str) -> Old:
        """Return the default place: the same name in ``summary`` or the same layer."""
        if level == "overall":
            return Old(f"summary.{metric}")
        layer = ind.features if level == "feature" else ind.areas
        return Old(f"{layer}.{metric}", level=level)

    def value(self, doc: dict[str, Any]) -> Any:
        """Return the old overall value."""
        cur: Any = doc
        for part in self.path.split("."):
            cur = cur[part]
        return cur

    def column(self, doc: dict[str, Any], n: int) -> list[Any]:
        """Return the old per-feature values (one per feature of the output)."""
        output, prop = self.path.split(".", 1)
        rows = [f.get("properties") or {} for f in doc[output]["features"]]
        assert len(rows) == n, (self.path, len(rows), n)
        out = []
        for r in rows:
            cur: Any = r
            for part in prop.split("."):
                cur = cur.get(part) if isinstance(cur, dict) else None
            out.append(cur)
        return out


def _collect() -> tuple[
    dict[str, dict[Any, Any]], dict[str, set[Any]], set[str], dict[str, Callable[..., Any]]
]:
    """Merge the ``changes_<family>.py`` modules beside this file (one per indicator family)."""
    moved: dict[str, dict[Any, Any]] = {}
    new: dict[str, set[Any]] = {}
    score_changes: set[str] = set()
    follows: dict[str, Callable[..., Any]] = {}
    for path in sorted(Path(__file__).resolve().parent.glob("changes_*.py")):
        module = importlib.import_module(f"golden.{path.stem}")
        moved.update(getattr(module, "MOVED", {}))
        new.update(getattr(module, "NEW", {}))
        score_changes |= set(getattr(module, "SCORE_CHANGES", set()))
        follows.update(getattr(module, "FOLLOWS", {}))
    return moved, new, score_changes, follows


MOVED, NEW, SCORE_CHANGES, FOLLOWS = _collect()
