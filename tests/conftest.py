"""Shared fixtures: the Amsterdam test kit in ../shared/data (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import hypothesis_profiles  # noqa: F401  (loads the ci or explore profile first)

ROOT = Path(__file__).resolve().parents[1]
AMSTERDAM = ROOT.parent / "shared" / "data" / "amsterdam"


@pytest.fixture(scope="session")
def amsterdam() -> Path:
    """Path of the Amsterdam test kit; the test is skipped where it is absent."""
    if not (AMSTERDAM / "addresses.geojson").is_file():
        pytest.skip(
            f"real data not found at {AMSTERDAM} (needs ../shared/data/amsterdam beside the repo)"
        )
    return AMSTERDAM


@pytest.fixture(scope="session")
def load_amsterdam(amsterdam: Path):  # type: ignore[no-untyped-def]
    """Return a loader: ``load_amsterdam("parks")`` gives that layer's FeatureCollection."""
    cache: dict[str, Any] = {}

    def load(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = json.loads((amsterdam / f"{name}.geojson").read_text())
        return cache[name]

    return load
