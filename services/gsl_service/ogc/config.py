"""The pygeoapi configuration, generated from our settings and the indicator registry."""

from __future__ import annotations

from typing import Any

from gsl_indicators import __version__
from gsl_indicators.core.spec import Registry, registry

#: Dotted path of the pygeoapi process plugin that publishes one indicator.
PROCESSOR = "gsl_service.ogc.processor.IndicatorProcessor"
#: Dotted path of the pygeoapi process manager plugin backed by the Engine.
MANAGER = "gsl_service.ogc.manager.EngineManager"

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
#: Default and largest page size of /processes and /jobs.
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
#: The largest ``offset`` a paged list accepts; a larger one is a 400, not a store overflow.
MAX_OFFSET = 2**31 - 1


def base_url_of(settings: Any) -> str:
    """Return the public base URL of the service (no trailing slash)."""
    url = getattr(settings, "base_url", None) or DEFAULT_BASE_URL
    return str(url).rstrip("/")


def _pygeoapi_log_level(settings: Any) -> str:
    # pygeoapi logs every request at INFO; keep it at WARNING unless debugging.
    level = str(getattr(settings, "log_level", None) or "WARNING").upper()
    return level if level in ("DEBUG", "ERROR", "CRITICAL") else "WARNING"


def pygeoapi_config(settings: Any, reg: Registry | None = None) -> dict[str, Any]:
    """Return the pygeoapi configuration dict for ``settings``.

    Every registered indicator becomes a ``process`` resource served by
    :class:`~gsl_service.ogc.processor.IndicatorProcessor`; the process manager is
    :class:`~gsl_service.ogc.manager.EngineManager`. No file is read or written.

    Parameters
    ----------
    settings : Settings
        Service settings (``base_url`` and ``log_level`` are used).
    reg : Registry, optional
        The indicator registry (default: every indicator of ``gsl_indicators``).

    Returns
    -------
    dict
        A configuration accepted by ``pygeoapi.api.API`` and ``pygeoapi.openapi.get_oas``.

    Examples
    --------
    >>> cfg = pygeoapi_config(None)
    >>> cfg["server"]["url"], cfg["resources"]["echo"]["type"]
    ('http://127.0.0.1:5000', 'process')
    """
    reg = registry() if reg is None else reg
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 5000},
            "url": base_url_of(settings),
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["en-US"],
            "pretty_print": False,
            "limits": {
                "default_items": DEFAULT_LIMIT,
                "max_items": MAX_LIMIT,
                "on_exceed": "throttle",
            },
            "map": {
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attribution": "&copy; OpenStreetMap contributors",
            },
            "api_rules": {"api_version": __version__},
            "manager": {"name": MANAGER, "connection": None, "output_dir": None},
        },
        "logging": {"level": _pygeoapi_log_level(settings)},
        "metadata": {
            "identification": {
                "title": "GSL indicator service",
                "description": (
                    "Healthy-living (Gezond Stedelijk Leven) indicators for Dutch digital "
                    "twins, as OGC API - Processes, behind a result cache."
                ),
                "keywords": ["GSL", "healthy urban living", "OGC API - Processes", "indicators"],
                "keywords_type": "theme",
                "terms_of_service": "https://opensource.org/licenses/MIT",
                "url": "https://www.ogc.org/standard/ogcapi-processes/",
            },
            "license": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
            "provider": {"name": "GSL indicator service", "url": base_url_of(settings)},
            "contact": {
                "name": "GSL indicator service",
                "position": "Maintainer",
                "country": "Netherlands",
                "url": base_url_of(settings),
                "role": "pointOfContact",
            },
        },
        "resources": {
            ind.id: {
                "type": "process",
                "processor": {"name": PROCESSOR, "indicator": ind.id},
            }
            for ind in reg
        },
    }
