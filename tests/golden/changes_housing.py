"""Documented changes of ``urbanity-class`` 2.0.0 and ``housing-capacity`` 2.0.0.

``urbanity-class`` — Shape: ``summary.addresses_per_class`` (an object keyed "1"–"5")
became the flat overall metrics ``addresses_class_1`` … ``addresses_class_5``; the
overall ``urbanity_class`` and ``urbanity_class_name`` are ``null`` (not absent) without
addresses. Addresses carry the ``area_id`` of their area. Grouping: each address belongs
to the one area holding it (the first where areas overlap; before, it counted in every
area it touched); the ``addresses-outside-areas`` warning became the runner's
``features-outside-areas``. Units: none changed (densities in addresses/km², 3 digits).

``housing-capacity`` — Shape: the monitor's totals became overall metrics in ``summary``
(``existing_dwellings``, ``planned_dwellings``, ``under_construction_dwellings``,
``stopped_dwellings``, ``unknown_dwellings``, ``pipeline_dwellings``; were
``monitor.existing_dwellings``, ``monitor.plan_dwellings_by_status.<status>`` and
``monitor.pipeline_dwellings``); ``unknown_dwellings`` is always reported (0 when every
status is known; was left out). ``summary.binding_counts`` (an object listing only
constraints that bind somewhere) became ``neighbourhoods_bound_by_<constraint>`` per
evaluated constraint (0 where it binds nowhere). The nested per-neighbourhood ``norms``
object became the flat columns ``<constraint>_norm_source`` and
``<constraint>_band_area_type`` (beside ``<constraint>_norm`` and ``area_type``); the
nested ``plan_by_status_year`` moved to the ``monitor`` output as the table
``monitor.by_neighbourhood`` (area_id, status, year, dwellings). The non-metric summary
entries moved: ``constraints_enabled`` / ``constraints_evaluated`` are the keys and
statuses of the ``constraints`` output, ``placement`` and ``norm_source`` are in
``provenance.parameters``, ``profile`` is ``profile.name``, ``norms_differing_from_profile``
is in ``data_quality``, and the note (capacities do not add up) is in the ``capacity``
metric's description and the method. Units: none changed (dwelling counts at 3 digits,
norms at 4, proximity shares were already fractions at 4); capacities are integers.

``parking-pressure`` 2.1.1 and ``housing-capacity`` 2.1.1 — data quality: a warning
given twice (the dwellings read for the demand and for a zone's urbanity class) is
recorded once; ``housing-capacity`` warns ``no-parking-supply`` naming the
neighbourhoods whose added dwellings would go to a parking zone without any place
(found on Amsterdam's buurten with places given in four: all 518 "bound by parking
pressure" without a word why). Values unchanged.
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
_CONSTRAINTS = ("parking-pressure", "green-per-dwelling", "proximity-facilities")
_STATUSES = {"planned": "planned", "under_construction": "under-construction", "stopped": "stopped"}

MOVED["housing-capacity"] = {
    ("overall", "existing_dwellings"): Old("monitor.existing_dwellings"),
    ("overall", "pipeline_dwellings"): Old("monitor.pipeline_dwellings"),
    ("overall", "unknown_dwellings"): Old("monitor.plan_dwellings_by_status.unknown", absent=0.0),
    ("area", "unknown_dwellings"): Old(
        "neighbourhoods.unknown_dwellings", level="area", absent=0.0
    ),
    **{
        ("overall", f"{m}_dwellings"): Old(f"monitor.plan_dwellings_by_status.{s}")
        for m, s in _STATUSES.items()
    },
    **{
        ("overall", f"neighbourhoods_bound_by_{c.replace('-', '_')}"): Old(
            f"summary.binding_counts.{c}", absent=0
        )
        for c in _CONSTRAINTS
    },
    **{
        ("area", f"{c.replace('-', '_')}_{k}"): Old(f"neighbourhoods.norms.{c}.{k}", level="area")
        for c in _CONSTRAINTS
        for k in ("norm_source", "band_area_type")
    },
}
NEW: dict[str, set[Any]] = {"urbanity-class": set(), "housing-capacity": set()}
