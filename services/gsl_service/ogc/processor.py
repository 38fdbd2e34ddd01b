"""The pygeoapi process plugin generated from an indicator declaration."""

from __future__ import annotations

from typing import Any

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from gsl_indicators.core.run import execute
from gsl_indicators.core.spec import Indicator, InputError, registry


def process_metadata(indicator: Indicator) -> dict[str, Any]:
    """Return the pygeoapi process metadata of ``indicator``.

    This is :meth:`Indicator.describe` (the OGC process description: inputs with
    their JSON schemas, defaults and ranges, outputs, ``jobControlOptions``, version,
    keywords, ``cite-as`` links) — pygeoapi adds the self/alternate/execute/job-list
    links per request.

    Examples
    --------
    >>> md = process_metadata(registry().get("echo"))
    >>> md["id"], md["jobControlOptions"]
    ('echo', ['sync-execute', 'async-execute'])
    """
    return indicator.describe()


class IndicatorProcessor(BaseProcessor):
    """One indicator as a pygeoapi processor (``processor: {indicator: <id>}`` in config).

    The service executes through the engine-backed manager; :meth:`execute` computes
    locally, so the processors also work under pygeoapi's own managers.
    """

    def __init__(self, processor_def: dict[str, Any]) -> None:
        self.indicator = registry().get(processor_def["indicator"])
        super().__init__(processor_def, process_metadata(self.indicator))

    def execute(self, data: dict[str, Any], outputs: dict[str, Any] | None = None) -> Any:
        """Compute the indicator on ``data`` (the request's inputs) in this process."""
        try:
            return "application/json", execute(self.indicator, data)
        except InputError as err:
            raise ProcessorExecuteError(str(err)) from err

    def __repr__(self) -> str:
        return f"<IndicatorProcessor> {self.indicator.id}"
