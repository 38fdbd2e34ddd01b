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
``soil`` 3.0.0 (issue 13) — scores: the headline ``score`` is the worst of
``sealed_share``, ``share_dwellings_on_contaminated_soil`` and
``share_dwellings_above_health_limit`` (nl-default ``headline: [...]``), so little paving
no longer hides contamination: in the golden example the neighbourhood's sealed share
(0.7, score 6) is beside 1 of 6 dwellings on ``industrie`` soil (1/6 = 0.1667; band
0.05 → 6, floor 0.25 → 1: 6 − 5 × (0.1667 − 0.05) / 0.20 = 3.08), so the headline falls
from 6 to 3.08 (SCORE_CHANGES). New: the health-based classes
beside the reuse classes (``health_class``, ``above_health_limit`` per home and
``share_{homes,dwellings}_above_health_limit``; empty in the example, whose zones carry
no ``exceeds_intervention_value`` or ``lead_mg_kg``).

``water`` 2.1.1 and ``soil`` 3.0.1 — fix: a surface that only shares an edge with a
neighbourhood (land cover clipped to the neighbourhoods) counted that edge's length in
metres as square metres of the neighbour's surface (a line's touching point as 1 m of a
line); per-neighbourhood surface, paved and sealed areas, shares and the coverage warning
change on such data (found on Amsterdam's buurten: "surfaces overlap" in 513 of 518). The
golden examples' surfaces cross or lie inside their neighbourhoods: unchanged.

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
    "soil": {
        "share_homes_above_health_limit",
        "share_dwellings_above_health_limit",
        "health_class",
        "above_health_limit",
    },
    "mkba": set(),
    "sensitivity": set(),
    "echo": set(),
}


SCORE_CHANGES: set[str] = {
    # soil 3.0.0: the headline is the worst of sealing, reuse-class contamination and the
    # health-based share (issue 13)
    "soil",
}
