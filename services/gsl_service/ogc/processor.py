"""The pygeoapi process plugin generated from an indicator declaration."""

from __future__ import annotations

from typing import Any

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from gsl_indicators.core.spec import Indicator, registry


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

    What it is for: pygeoapi publishes processes through processor plugins, so each
    indicator has one, carrying its description (:func:`process_metadata`) for the
    process list, the process description and the OpenAPI document. It does not
    compute: executions go through :mod:`gsl_service.ogc.execute` and the engine
    (``gsl run`` computes locally through :mod:`gsl_indicators.core.run`).
    """

    def __init__(self, processor_def: dict[str, Any]) -> None:
        self.indicator = registry().get(processor_def["indicator"])
        super().__init__(processor_def, process_metadata(self.indicator))

    def execute(self, data: dict[str, Any], outputs: dict[str, Any] | None = None) -> Any:
        """Not a road: executions go through :func:`gsl_service.ogc.execute.execute`."""
        raise ProcessorExecuteError(
            f"process {self.indicator.id!r}: execute through gsl_service.ogc.execute.execute"
        )

    def __repr__(self) -> str:
        return f"<IndicatorProcessor> {self.indicator.id}"
