"""Documented changes of the ``proximity-facilities`` / ``parking-pressure`` family (see ``changes.py``).

``parking-pressure`` 2.0.0 (on the metric model). Shape: each zone's nested
``scorecard`` object became flat ``score_pressure`` and ``score_pressure_with_plan``
(beside ``score`` and ``area_type``); ``summary.threshold`` is the parameter in
``provenance.parameters``; ``summary.demand_by_dwelling_type`` became an output of its
own (``demand_by_dwelling_type``); the ``norm_table`` output is unchanged. Every metric
keeps its name, place and rounding (quantities 3 digits, pressure 4, floor area 1).
Units: ``pressure`` stays a ratio (demand ÷ supply, not a share); no percentages were
involved. Scores are unchanged: a zone's area type is still the ``area_type``
parameter, else its ``area_type`` property, else its urbanity class (given or computed).
The ``norm_table`` parameter's JSON Schema is now generated from the pydantic models
``NormRow`` / ``NormTableSpec`` (same rules; error messages name the row and field,
e.g. ``rows.0.places_per_dwelling``).

``proximity-facilities`` 2.0.0: see ``changes_proximity.py``.
"""

from __future__ import annotations

from typing import Any

MOVED: dict[str, dict[Any, Any]] = {"parking-pressure": {}}
NEW: dict[str, set[Any]] = {
    # 2.1.0 (issue 13): measured occupancy beside the norm-based demand; the golden example
    # has no counts, so every zone is 'norm' and demand / pressure are unchanged
    "parking-pressure": {
        "demand_basis",
        "norm_demand",
        "measured_occupancy",
        "measured_pressure",
        "counted_at",
        "zones_measured",
    }
}
