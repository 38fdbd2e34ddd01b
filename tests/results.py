"""Results as tests read them: the bare output values of a run or an HTTP answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gsl_indicators.core import run
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.spec import Indicator


def execute(indicator: Indicator, inputs: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Run ``indicator`` like the service and return each output's bare value."""
    return output_values(run.execute(indicator, inputs, **kwargs))


def values(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return the bare output values of a results document (HTTP ``response=document``)."""
    return output_values(doc)


def same_but_tiles(one: Mapping[str, Any], tiles: Mapping[str, Any]) -> None:
    """Assert two results are equal output by output, but for provenance's tile facts."""
    tiles = {**tiles, "provenance": dict(tiles["provenance"])}
    for k in ("tiles", "tiles_reason", "tiles_canopy"):
        tiles["provenance"].pop(k, None)
    assert one.keys() == tiles.keys()
    for name in one:
        if isinstance(one[name], dict) and "features" in one[name]:
            a, b = one[name]["features"], tiles[name]["features"]
            assert len(a) == len(b)
            for i, (fa, fb) in enumerate(zip(a, b, strict=True)):  # feature by feature
                assert fa == fb, f"{name}[{i}]"
        assert one[name] == tiles[name], name
