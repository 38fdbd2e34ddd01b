"""Where a metric stood in the old document (:class:`Old`).

In a module of its own so that the ``changes_<family>.py`` files can import it without
importing ``changes.py`` (which imports them: a circular import left ``MOVED`` without
the family whose module was first imported by pytest's doctest collection).
"""

from __future__ import annotations

from dataclasses import dataclass
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
