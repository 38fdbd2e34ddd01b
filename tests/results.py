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
