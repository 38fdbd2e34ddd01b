"""Imported once by the pools' forkserver: every kernel loaded before children fork."""

from __future__ import annotations

import gsl_service.jobs.task  # noqa: F401
from gsl_indicators.core.spec import registry

registry()
