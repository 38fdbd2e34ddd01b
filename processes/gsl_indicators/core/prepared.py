"""Prepared geometries that are a kernel's own, never a shared layer's.

``shapely.prepare`` changes the geometry objects it is given: it hangs a GEOS prepared
geometry on them, whose indexes GEOS builds lazily on first use — not thread-safe
(libgeos/geos#825). A scoreboard or a scenario comparison runs its indicators in
threads over the *same* layers (:func:`gsl_indicators.core.parts.run_parts`), so a
kernel that prepared a layer's geometries in place let two threads build one prepared
geometry's indexes at once: found as a work horse aborting with glibc's
``tcache_thread_shutdown(): unaligned tcache chunk detected`` while ``water`` and
``soil`` overlaid their surfaces on the same neighbourhoods. A kernel prepares a copy.
"""

from __future__ import annotations

import numpy as np
import shapely


def prepared_copy(geometries: np.ndarray) -> np.ndarray:
    """Return new geometry objects equal to ``geometries`` (coordinates exact), prepared.

    Examples
    --------
    >>> shared = np.array([shapely.box(0, 0, 10, 10), None])
    >>> own = prepared_copy(shared)
    >>> shapely.is_prepared(own).tolist(), shapely.is_prepared(shared).tolist()
    ([True, False], [False, False])
    >>> bool(shapely.equals_exact(own[0], shared[0], tolerance=0.0))
    True
    """
    own = shapely.from_wkb(shapely.to_wkb(geometries))
    shapely.prepare(own)
    return np.asarray(own, dtype=object)
