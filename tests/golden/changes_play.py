"""Documented changes of ``play-space`` 2.0.0 (see ``changes.py``).

Shape: the per-neighbourhood ``scorecard`` object became flat ``score_play_share``;
``summary.built_up_basis`` moved to ``data_quality``; ``summary.norm_share`` is the
parameter in ``provenance.parameters``. Units: shares were already fractions; shares
are rounded to 4 digits (were 5).
"""

from __future__ import annotations

from typing import Any

MOVED: dict[str, dict[Any, Any]] = {"play-space": {}}
NEW: dict[str, set[Any]] = {
    # 2.1.0 (issue 13): the informal play space beside the formal play areas; play_share
    # is unchanged when `informal_play` is not given (the golden example has none)
    "play-space": {"formal_play_area_m2", "informal_play_area_m2", "formal_play_share"}
}
