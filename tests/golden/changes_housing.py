"""Documented changes of ``urbanity-class`` 2.0.0 and ``housing-capacity`` 2.0.0.

``urbanity-class`` — Shape: ``summary.addresses_per_class`` (an object keyed "1"–"5")
became the flat overall metrics ``addresses_class_1`` … ``addresses_class_5``; the
overall ``urbanity_class`` and ``urbanity_class_name`` are ``null`` (not absent) without
addresses. Addresses carry the ``area_id`` of their area. Grouping: each address belongs
to the one area holding it (the first where areas overlap; before, it counted in every
area it touched); the ``addresses-outside-areas`` warning became the runner's
``features-outside-areas``. Units: none changed (densities in addresses/km², 3 digits).

``housing-capacity`` — see the second half of this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Old:
    """Where a metric stood in the old document (the interface of ``changes.Old``).

    Defined here, not imported: ``changes.py`` imports this module while it is being
    imported itself. ``absent`` is the value an old document meant by leaving the key
    out (a count of 0 where the old object listed only non-zero counts).
    """

    path: str
    scale: float = 1.0
    level: str = "overall"
    absent: Any = "missing"

    def value(self, doc: dict[str, Any]) -> Any:
        """Return the old overall value."""
        cur: Any = doc
        for part in self.path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                if self.absent == "missing":
                    raise KeyError(self.path)
                return self.absent
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
            out.append(self.absent if cur is None and self.absent != "missing" else cur)
        return out

MOVED: dict[str, dict[Any, Any]] = {
    "urbanity-class": {
        ("overall", f"addresses_class_{c}"): Old(f"summary.addresses_per_class.{c}")
        for c in range(1, 6)
    },
}
NEW: dict[str, set[Any]] = {"urbanity-class": set()}
