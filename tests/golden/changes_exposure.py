"""Documented changes of ``air-quality``, ``noise`` and ``heat`` 2.0.0 (see ``changes.py``).

Units: every share is a fraction 0–1 (was a percentage 0–100), rounded to 4 digits
(was 2): the ``share_*`` metrics overall, per neighbourhood and the per-public-space
``shade_share`` of ``heat``; the norm-profile bands of the scored shares were divided
by 100 in both catalog profiles, so every score is the same. ``heat``'s parameter
``shade_target_pct`` (50) became ``shade_target`` (0.5, a fraction).

Shape: the nested summaries became flat overall metrics in ``summary``:

* ``air-quality``: ``summary.pollutants.<p>.mean|max|homes_with_value`` →
  ``mean_<p>``, ``max_<p>``, ``homes_with_<p>``;
  ``summary.pollutants.<p>.above.<level>.share_homes|share_dwellings|homes|dwellings``
  → ``share_homes_above_<l>_<p>``, ``share_dwellings_above_<l>_<p>``,
  ``homes_above_<l>_<p>``, ``dwellings_above_<l>_<p>`` (``<l>`` = ``who`` for the
  guideline, ``it1``–``it4``); the level's ``limit`` is the parameter in provenance;
  ``{"given": false}`` for a pollutant without values → ``data_quality.pollutants_given``.
* ``noise``: ``summary.sources.<k>.above_limit.*`` → ``share_homes_above_who_<k>``,
  ``share_dwellings_above_who_<k>``, ``homes_above_who_<k>``,
  ``dwellings_above_who_<k>``; ``.max``, ``.homes_with_value`` → ``max_<k>``,
  ``homes_with_<k>``; ``.classes`` → the ``classes`` output (``classes.<k>``);
  ``.limit`` → the parameter; the note of a source without a limit →
  ``data_quality.sources_without_limit``.
* ``heat``: ``summary.pet.*`` → ``homes_with_pet``, ``share_homes_strong_heat_stress``,
  ``share_dwellings_strong_heat_stress``; the homes and dwellings per PET class →
  the ``classes`` output (``classes.pet.<class>``); ``summary.hot_nights.*`` →
  ``homes_with_hot_nights``, ``mean_hot_nights``, ``max_hot_nights``;
  ``summary.tnight.*`` → ``homes_with_tnight``, ``share_homes_hot_night``,
  ``share_dwellings_hot_night``; ``summary.shade.public_space_m2|shaded_m2|shade_share|
  meets_target`` → ``public_space_m2``, ``public_space_shaded_m2``,
  ``shade_share_public_space``, ``meets_shade_target``; the sun position and the
  counts of shadow casters and canopy features → ``data_quality.sun`` and
  ``data_quality.shade``; ``target`` and ``threshold`` are the parameters.

Per neighbourhood: the nested ``scorecard`` object became flat ``score_<metric>``
columns; new columns ``homes_with_<quantity>`` and ``share_dwellings_…`` where only
the homes' share was reported. Homes outside every neighbourhood are reported by the
runner's ``features-outside-areas`` warning (was ``homes-outside-neighbourhoods``,
which counted homes only). The outputs keep the input's CRS member.

``air-quality``, ``noise``, ``heat`` 2.1.1 and ``odour`` 1.0.1 — fix: the ``idw`` value of a
home no longer depends on the order of the receptors in their file (each home's
receptors are summed in an order of their own: by x, y and value), and receptors of one value give exactly that value
(the weighted excess over the lowest): found comparing a GeoJSON run with the same
receptors as FlatGeobuf, whose spatial index reorders them — homes whose receptors all
held 15.0 µg/m³ flipped "above the WHO value" by one unit in the last place. The golden
examples' values are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from golden.changes import Old

_AIR_LEVELS = {
    "no2": ("it1", "it2", "it3", "guideline"),
    "pm25": ("it1", "it2", "it3", "it4", "guideline"),
    "pm10": ("it1", "it2", "it3", "it4", "guideline"),
}
_PCT = 0.01


def _air(make: type[Old]) -> dict[Any, Any]:
    moved: dict[Any, Any] = {}
    for pol, levels in _AIR_LEVELS.items():
        base = f"summary.pollutants.{pol}"
        moved[("overall", f"mean_{pol}")] = make(f"{base}.mean")
        moved[("overall", f"max_{pol}")] = make(f"{base}.max")
        moved[("overall", f"homes_with_{pol}")] = make(f"{base}.homes_with_value")
        for level in levels:
            key = f"{'who' if level == 'guideline' else level}_{pol}"
            above = f"{base}.above.{level}"
            moved[("overall", f"share_homes_above_{key}")] = make(f"{above}.share_homes", _PCT)
            moved[("overall", f"share_dwellings_above_{key}")] = make(
                f"{above}.share_dwellings", _PCT
            )
            moved[("overall", f"homes_above_{key}")] = make(f"{above}.homes")
            moved[("overall", f"dwellings_above_{key}")] = make(f"{above}.dwellings")
            for what in ("homes", "dwellings"):
                moved[("area", f"share_{what}_above_{key}")] = make(
                    f"neighbourhoods.share_{what}_above_{key}", _PCT, level="area"
                )
    return moved


def _noise(make: type[Old]) -> dict[Any, Any]:
    moved: dict[Any, Any] = {}
    for m in ("lden", "lnight"):
        for src in ("road", "rail", "aircraft", "industry"):
            key = f"{m}_{src}"
            base = f"summary.sources.{key}"
            moved[("overall", f"max_{key}")] = make(f"{base}.max")
            moved[("overall", f"homes_with_{key}")] = make(f"{base}.homes_with_value")
            moved[("overall", f"share_homes_above_who_{key}")] = make(
                f"{base}.above_limit.share_homes", _PCT
            )
            moved[("overall", f"share_dwellings_above_who_{key}")] = make(
                f"{base}.above_limit.share_dwellings", _PCT
            )
            moved[("overall", f"homes_above_who_{key}")] = make(f"{base}.above_limit.homes")
            moved[("overall", f"dwellings_above_who_{key}")] = make(f"{base}.above_limit.dwellings")
            for what in ("homes", "dwellings"):
                moved[("area", f"share_{what}_above_who_{key}")] = make(
                    f"neighbourhoods.share_{what}_above_who_{key}", _PCT, level="area"
                )
    return moved


def _heat(make: type[Old]) -> dict[Any, Any]:
    return {
        ("overall", "homes_with_pet"): make("summary.pet.homes_with_value"),
        ("overall", "share_homes_strong_heat_stress"): make(
            "summary.pet.share_homes_strong_heat_stress", _PCT
        ),
        ("overall", "share_dwellings_strong_heat_stress"): make(
            "summary.pet.share_dwellings_strong_heat_stress", _PCT
        ),
        ("overall", "homes_with_hot_nights"): make("summary.hot_nights.homes_with_value"),
        ("overall", "mean_hot_nights"): make("summary.hot_nights.mean"),
        ("overall", "max_hot_nights"): make("summary.hot_nights.max"),
        ("overall", "homes_with_tnight"): make("summary.tnight.homes_with_value"),
        ("overall", "share_homes_hot_night"): make("summary.tnight.share_homes_hot_night", _PCT),
        ("overall", "share_dwellings_hot_night"): make(
            "summary.tnight.share_dwellings_hot_night", _PCT
        ),
        ("overall", "public_space_m2"): make("summary.shade.public_space_m2"),
        ("overall", "public_space_shaded_m2"): make("summary.shade.shaded_m2"),
        ("overall", "shade_share_public_space"): make("summary.shade.shade_share", _PCT),
        ("overall", "meets_shade_target"): make("summary.shade.meets_target"),
        ("area", "share_homes_strong_heat_stress"): make(
            "neighbourhoods.share_homes_strong_heat_stress", _PCT, level="area"
        ),
        ("area", "share_homes_hot_night"): make(
            "neighbourhoods.share_homes_hot_night", _PCT, level="area"
        ),
        ("area", "shade_share_public_space"): make(
            "neighbourhoods.shade_share_public_space", _PCT, level="area"
        ),
    }


NEW: dict[str, set[Any]] = {
    "air-quality": set(),
    "noise": set(),
    "heat": {
        ("area", "share_dwellings_strong_heat_stress"),
        ("area", "share_dwellings_hot_night"),
        ("area", "homes_with_pet"),
        ("area", "homes_with_hot_nights"),
        ("area", "homes_with_tnight"),
    },
}


def __getattr__(name: str) -> Any:
    """Build ``MOVED`` on first use: ``golden.changes`` (where ``Old`` lives) imports this
    module while it loads, so importing it back at the top would be circular."""
    if name == "MOVED":
        from golden.changes import Old

        return {"air-quality": _air(Old), "noise": _noise(Old), "heat": _heat(Old)}
    raise AttributeError(name)
