"""Documented changes of ``water``, ``soil``, ``echo``, ``mkba`` and ``sensitivity`` (see ``changes.py``).

``water`` 2.0.0 — shape: the per-neighbourhood ``scorecard`` object became the flat
``score_storage_ratio`` and ``score_paved_share`` (beside ``score`` and ``area_type``);
``summary.ges`` became the output ``ges`` (same content); ``summary.storm_mm`` is the
parameter in ``provenance.parameters``; each ``storage`` feature gains ``area_id`` (the
neighbourhood holding its representative point). Units: unchanged (shares were fractions).

``soil`` 2.0.0 — shape: per neighbourhood, the ``scorecard`` object became the flat
``score_sealed_share``, ``score_share_homes_on_contaminated_soil`` and
``score_share_dwellings_on_contaminated_soil``; the nested ``per_class`` (per
neighbourhood and in ``summary``) and ``summary.class_order`` /
``summary.contaminated_classes`` moved to the output ``classes`` (``overall`` and
``neighbourhoods`` by ``area_id``; shares there are no longer rounded); ``summary.ges``
became the output ``ges``; each home gains ``area_id``; the warning
``homes-outside-neighbourhoods`` is now the runner's ``features-outside-areas``. The
``ges_by_class`` parameter is validated by its pydantic type (strict whole numbers
0–8: fractions, booleans, strings and also ``3.0`` are refused). Units: unchanged (shares were fractions).

``mkba`` 2.0.0 — shape: ``summary`` holds the overall metrics ``pv_costs``,
``pv_benefits``, ``npv``, ``bc_ratio``, ``break_even_year``, ``pv_transfers`` and
``effects`` (names unchanged); ``summary.discount_rate``, ``base_year``, ``first_year``,
``last_year``, ``timing`` and ``prices`` moved to the output ``conventions`` (and the
parameters to ``provenance``); ``cash_flows``, ``stakeholders``, ``effects`` and
``sensitivity`` stay further outputs, now unrounded (they were rounded to cents; the
metrics are rounded to their declared digits). ``effects`` and ``green_premium`` are
pydantic models (``Effect``, ``GreenPremium``) whose JSON Schema is the input schema;
error reasons are pydantic's, naming the item and field (``effects.0.kind: ...``).
Units: unchanged (euros, ratio, year).

``sensitivity`` 2.0.0 — shape: ``summary`` holds the overall metrics ``runs``,
``invalid_runs``, ``parameters_varied`` and ``metrics_tracked`` (names unchanged);
``summary.most_sensitive`` became the output ``most_sensitive``; ``summary.process`` is
the parameter in ``provenance.parameters``. ``baseline``, ``sensitivity`` and
``tornado`` stay further outputs; the targets run through ``core.run.compute_outputs``,
so a converted target's ``summary`` (metrics + scorecard) is what is swept.

``echo`` 2.0.0 — shape: a results document like every other; ``echo`` is a further
output; new overall metric ``characters`` (the message's length, checked against the
length of the old ``echo`` output).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OldLength:
    """The length of a top-level string of the old document (an overall metric).

    Shaped like ``changes.Old`` (``value``, ``scale``); it does not import ``changes``,
    which imports this module while it loads.
    """

    path: str
    scale: float = 1.0
    level: str = "overall"

    def value(self, doc: dict[str, Any]) -> int:
        """Return the length of ``doc[path]``."""
        return len(doc[self.path])


@dataclass(frozen=True)
class OldPlus:
    """An old overall count plus a documented number (the golden test reads ``value``)."""

    path: str
    plus: int
    scale: float = 1.0

    def value(self, doc: dict[str, Any]) -> int:
        """Return the old count at ``path`` plus ``plus``."""
        cur: Any = doc
        for part in self.path.split("."):
            cur = cur[part]
        return int(cur) + self.plus


MOVED: dict[str, dict[Any, Any]] = {
    "water": {},
    "soil": {},
    "mkba": {},
    # the stored example sweeps urbanity-class, whose 2.0.0 summary has the per-class
    # counts as five flat metrics (addresses_class_1..5) instead of one object: five more
    # numbers are tracked (changes_housing.py documents urbanity's change)
    "sensitivity": {("overall", "metrics_tracked"): OldPlus("summary.metrics_tracked", 5)},
    "echo": {("overall", "characters"): OldLength("echo")},
}
NEW: dict[str, set[Any]] = {
    "water": set(),
    "soil": set(),
    "mkba": set(),
    "sensitivity": set(),
    "echo": set(),
}
