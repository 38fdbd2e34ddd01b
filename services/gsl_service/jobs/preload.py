"""Imported once by every process that forks kernels' processes, before they fork.

The pools' forkserver and the RQ worker (whose work horses fork from it, one per job):
every kernel is loaded, and so are the readers a tile of a large job uses for its
windows of the input files (GDAL through pyogrio, pyarrow, PROJ's database), so a work
horse that runs one tile does not spend its first third of a second importing them.
Arrow allocates with ``malloc`` in all of them
(:func:`~gsl_service.jobs.worker.arrow_allocates_with_malloc`).
"""

from __future__ import annotations

from gsl_service.jobs.worker import arrow_allocates_with_malloc

arrow_allocates_with_malloc()  # before pyarrow loads: its children's pools, C++'s too

import pyarrow  # noqa: E402, F401
import pyogrio.raw  # noqa: E402, F401
from pyproj import CRS  # noqa: E402

import gsl_service.jobs.task  # noqa: E402, F401
from gsl_indicators.core.run import warm_key_versions  # noqa: E402

warm_key_versions()  # every kernel imported (the registry), their cache keys' code digests read
CRS.from_user_input("EPSG:28992").to_epsg()  # opens PROJ's database
