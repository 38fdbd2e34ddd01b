"""Imported once by the pools' forkserver: every kernel loaded before children fork."""

from __future__ import annotations

from gsl_indicators.spec import registry

import gsl_service.jobs.task  # noqa: F401

registry()
