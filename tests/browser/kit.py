"""Where the browser tests find the Amsterdam kit, and the mark that skips without it.

The kit is read from ``$GSL_AMSTERDAM_KIT`` or ``../shared/data/amsterdam`` beside the
repository; the tests that need it are skipped with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KIT = Path(
    os.environ.get("GSL_AMSTERDAM_KIT")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "amsterdam"
)
#: The 3-30-300 inputs and the kit's file (``<name>.geojson``) for each.
LAYERS = {
    "buildings": "homes_1000",
    "neighbourhoods": "buurten",
    "parks": "parks",
    "canopy": "canopy",
}
needs_kit = pytest.mark.skipif(
    not all((KIT / f"{f}.geojson").is_file() for f in LAYERS.values()),
    reason=f"Amsterdam kit not found in {KIT} (set GSL_AMSTERDAM_KIT)",
)
