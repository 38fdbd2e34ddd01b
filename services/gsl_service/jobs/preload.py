"""Imported once by every process that forks kernels' processes, before they fork.

The pools' forkserver and the RQ worker (whose work horses fork from it, one per job):
every kernel is loaded, and so are the readers a tile of a large job uses for its
windows of the input files (GDAL through pyogrio, pyarrow, PROJ's database), so a work
horse that runs one tile does not spend its first third of a second importing them.
"""

from __future__ import annotations

import pyarrow  # noqa: F401
import pyogrio.raw  # noqa: F401
from pyproj import CRS

import gsl_service.jobs.task  # noqa: F401
from gsl_indicators.core.spec import registry

registry()
CRS.from_user_input("EPSG:28992").to_epsg()  # opens PROJ's database
