"""Documented changes of ``play-space`` 2.0.0 (see ``changes.py``).

Shape: the per-neighbourhood ``scorecard`` object became flat ``score_play_share``;
``summary.built_up_basis`` moved to ``data_quality``; ``summary.norm_share`` is the
parameter in ``provenance.parameters``. Units: shares were already fractions; shares
are rounded to 4 digits (were 5).
"""

from __future__ import annotations

from typing import Any

MOVED: dict[str, dict[Any, Any]] = {"play-space": {}}
NEW: dict[str, set[Any]] = {"play-space": set()}
