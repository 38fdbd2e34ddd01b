"""Documented changes of ``green-3-30-300``, ``green-per-dwelling`` and ``cool-place-distance`` 2.0.0.

All three (see ``changes.py``): the per-neighbourhood ``scorecard`` object became flat
``score_<metric>`` columns beside ``score`` and ``area_type``; each home gains ``area_id``
(its neighbourhood's code: ``CBS_Buurtcode`` … else the feature ``id``); both
FeatureCollections keep the input's ``crs`` member; shares were already fractions 0–1
and are now rounded to 4 digits (were 6); a home in no neighbourhood gives the runner's
``features-outside-areas`` warning.

``green-3-30-300``: the homes' ``neighbourhood`` property (the neighbourhood's feature id)
is replaced by ``area_id``; ``canopy_coverage`` is rounded to 4 digits (was 6);
``summary.canopy_target`` is the parameter in ``provenance.parameters``;
``summary.network_cutoff_m`` (network mode) moved to ``data_quality.network_cutoff_m``;
the ``homes-outside-neighbourhoods`` warning became ``features-outside-areas``.
``share_meeting_all_three`` stays (the same value as ``share_buildings_meeting_all_three``;
the profiles have a band for it).

``green-per-dwelling``: ``summary.norm_m2_per_dwelling`` is the parameter in
``provenance.parameters``; ``dwelling_headroom`` is an integer (was a float like 142.0).

``cool-place-distance``: ``summary.distance_mode`` and ``summary.reach_m`` are parameters
in ``provenance.parameters``; ``summary.network_cutoff_m`` (network mode) moved to
``data_quality.network_cutoff_m``. Per neighbourhood, ``homes`` and ``dwellings`` now
count every home of the neighbourhood, as overall (they counted only homes with a known
distance: different in network mode only, where homes off the network are left out of
the shares), and the new ``homes_with_distance`` gives the base of the shares.
"""

from __future__ import annotations

from typing import Any

MOVED: dict[str, dict[Any, Any]] = {
    "green-3-30-300": {},
    "green-per-dwelling": {},
    "cool-place-distance": {},
}
NEW: dict[str, set[Any]] = {
    "green-3-30-300": set(),
    "green-per-dwelling": set(),
    "cool-place-distance": {("area", "homes_with_distance")},
}
