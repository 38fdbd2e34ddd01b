"""The province benchmark's arithmetic: its doctests, and the bound on time outside the tiles.

``benchmarks/`` is not a package the suite collects, so its examples run here: the
figures the README quotes (speed-ups at equal machine speed, the stages, what 1.7×
allows outside the tiles) are computed by these helpers.
"""

from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_province", BENCHMARKS / "bench_province.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_province"] = module  # doctest and dataclasses look it up by name
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_examples_hold(bench: ModuleType) -> None:
    result = doctest.testmod(bench, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 7  # stages (2), at_equal_cpu, in_tiles_s, outside_tiles_bound, ...


def _run(tiles_s: float, outside_s: float) -> dict[str, object]:
    return {
        "wall_s": tiles_s + outside_s,
        "stages": [
            ("reading inputs", outside_s / 2),
            ("running 36 tiles", tiles_s),
            ("tiles 36/36", outside_s / 2),
        ],
    }


@given(
    p2=st.floats(min_value=5.0, max_value=200.0),
    scale=st.floats(min_value=1.0, max_value=2.0),
    target=st.floats(min_value=1.05, max_value=1.95),
)
def test_the_bound_is_where_the_speed_up_reaches_the_target(
    bench: ModuleType, p2: float, scale: float, target: float
) -> None:
    """Below the bound (by more than its rounding) the target is met; above it, not."""
    p1 = p2 * scale
    bound = bench.outside_tiles_bound(
        one_worker=_run(tiles_s=p1, outside_s=0.0),
        two_workers=_run(tiles_s=p2, outside_s=0.0),
        target=target,
    )
    below, above = bound - 0.1, bound + 0.1
    if below >= 0:
        assert (below + p1) / (below + p2) > target
    if above >= 0:
        assert (above + p1) / (above + p2) < target
    if scale < target:  # the tiles alone scale less than the target: no time outside helps
        assert bound <= 0.05


def test_only_the_tile_phases_count_as_tiles(bench: ModuleType) -> None:
    run = {
        "wall_s": 60.0,
        "stages": [
            ("submission (the API fetches and hashes the files)", 3.0),
            ("green-3-30-300: running 36 tiles", 40.0),
            ("green-3-30-300: tiles 36/36", 1.0),
            ("noise: running 4 tiles", 6.0),
            ("running the kernel", 5.0),
        ],
    }
    assert bench.in_tiles_s(run) == 46.0
