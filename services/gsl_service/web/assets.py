"""The static files of the pages: our own (``web/static``) and the front-end packages.

The front-end packages (Swagger UI, Leaflet, Chart.js, FlatGeobuf) come from the npm registry:
``make install`` runs ``npm ci`` in ``services/gsl_service/web`` (``package.json`` and
``package-lock.json`` pin them), which fills the git-ignored ``node_modules`` folder.
The service serves that folder under ``/static/vendor`` (``GSL_ASSETS_DIR`` points
elsewhere, e.g. in the container image). Nothing is loaded from a CDN.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent
#: Our own CSS, JavaScript and icon.
STATIC_DIR = WEB_DIR / "static"
#: Where ``npm ci`` installs the front-end packages by default.
DEFAULT_ASSETS_DIR = WEB_DIR / "node_modules"
#: One file of each front-end package the pages load (checked at start-up).
VENDOR_FILES = (
    "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css",
    "leaflet/dist/leaflet.js",
    "leaflet/dist/leaflet.css",
    "chart.js/dist/chart.umd.js",
    "flatgeobuf/dist/flatgeobuf-geojson.min.js",
)

log = logging.getLogger(__name__)


def assets_dir(configured: Path | None) -> Path:
    """Return the folder holding the front-end packages (``GSL_ASSETS_DIR`` or the default)."""
    return Path(configured) if configured else DEFAULT_ASSETS_DIR


def missing_vendor_files(folder: Path) -> list[str]:
    """Return the front-end files the pages need that are not in ``folder``."""
    return [f for f in VENDOR_FILES if not (folder / f).is_file()]


def mount_static(app: FastAPI, configured: Path | None) -> None:
    """Serve ``/static/vendor/*`` from the front-end packages and ``/static/*`` from ours."""
    folder = assets_dir(configured)
    missing = missing_vendor_files(folder)
    if missing:
        log.warning(
            "front-end packages missing in %s (%s): the map, charts and API docs pages will "
            "not work; run `make install` (npm ci in services/gsl_service/web)",
            folder,
            ", ".join(missing),
        )
    app.mount("/static/vendor", StaticFiles(directory=folder, check_dir=False), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
