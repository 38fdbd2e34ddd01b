"""Documented changes of ``proximity-facilities`` 2.0.0, the zorgcirkel (see ``changes.py``).

On the metric model. Metric names follow the request (``metric_templates``): per
mobility profile ``<p>`` of ``mobility_profiles`` always — per home ``types_within_<p>``,
``all_within_<p>``, ``visit_share_<p>``; per neighbourhood and overall
``all_share_<p>``, ``all_dwelling_share_<p>`` (scored) and ``mean_visit_share_<p>`` —
and per facility type ``<t>`` only when the request *names* the types in
``facility_types``: ``<t>_distance_m``, ``<t>_within_<p>`` per home and
``<t>_share_<p>``, ``<t>_dwelling_share_<p>`` per neighbourhood and overall. With
``facility_types`` null (the default) the types come from the data alone, so no metric
can be declared for them: their figures are in the further output ``by_type`` (the old
``summary.by_type``, unchanged in shape and rounding), and the homes no longer carry
per-type columns — name the types to get them.

Shape: ``summary.profiles.<p>.all_types.share_homes`` / ``share_dwellings`` became the
overall metrics ``all_share_<p>`` / ``all_dwelling_share_<p>`` (their counts
``homes_within`` / ``dwellings_within`` are dropped: share × ``homes_with_distance``),
``summary.profiles.<p>.mean_visit_share`` became ``mean_visit_share_<p>``;
``summary.profiles.<p>.reach_m`` moved to ``provenance.reach_m.<p>``, the
effective ``network_cutoff_m`` to ``provenance.network_cutoff_used_m``,
``summary.distance_mode`` and ``summary.visit_weights`` are the parameters in
``provenance.parameters``. Each neighbourhood's nested ``scorecard`` became flat
``score_all_share_<p>`` and ``score_all_dwelling_share_<p>`` (beside ``score`` and
``area_type``); neighbourhoods gain ``homes_with_distance`` and ``mean_visit_share_<p>``
is unchanged. A neighbourhood's ``homes`` and ``dwellings`` now count every home in it
(were: only those with a known distance; the same unless homes are off the network),
like the overall ones. ``types_within_<p>`` is ``null`` for a home without a distance
(was ``-1``). The warning ``homes-outside-neighbourhoods`` is now the runner's
``features-outside-areas``. Homes gain ``area_id``.

Units: shares were already fractions 0–1 at 4 digits; distances 2 digits, dwellings 3.
Scores unchanged. ``mobility_profiles`` is validated by the pydantic model
``MobilityProfiles`` (its JSON Schema is in the process description); one form per
profile: ``{"distance_m": d, "minutes": t}`` is now refused (``distance_m`` used to win).
"""

from __future__ import annotations

from typing import Any

from golden.old import Old

_PROFILES = ("standard", "reduced")

MOVED: dict[str, dict[Any, Any]] = {
    "proximity-facilities": {
        **{
            ("overall", f"all_share_{p}"): Old(f"summary.profiles.{p}.all_types.share_homes")
            for p in _PROFILES
        },
        **{
            ("overall", f"all_dwelling_share_{p}"): Old(
                f"summary.profiles.{p}.all_types.share_dwellings"
            )
            for p in _PROFILES
        },
        **{
            ("overall", f"mean_visit_share_{p}"): Old(f"summary.profiles.{p}.mean_visit_share")
            for p in _PROFILES
        },
    }
}
NEW: dict[str, set[Any]] = {"proximity-facilities": {("area", "homes_with_distance")}}
