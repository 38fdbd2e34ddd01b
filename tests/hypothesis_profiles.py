"""Hypothesis profiles: reproducible in ``make test`` and CI, wide and random in ``make fuzz``.

``make test`` (and so CI) runs the ``ci`` profile: ``derandomize=True`` draws the same
examples on every run (a seed derived from each test), with no example database, so a
submission never passes or fails by chance. ``make fuzz`` selects ``explore``
(``HYPOTHESIS_PROFILE=explore``): fresh random examples every run, ``GSL_FUZZ_SCALE``
times as many of them, and a database under ``.hypothesis/`` that replays what failed.

Tests give their example counts through :func:`examples`, so the scale applies to the
counts each test chose for itself.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    derandomize=False,
    max_examples=1000,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    deadline=None,
    print_blob=True,
    phases=list(Phase),
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """Return the example count for a test that runs ``n`` examples in ``make test``.

    ``GSL_FUZZ_SCALE`` (``make fuzz`` sets it) multiplies it under the ``explore``
    profile; the ``ci`` profile always runs ``n``, so CI's draws stay the same.

    Examples
    --------
    >>> examples(25) if PROFILE == "ci" else 25
    25
    """
    if PROFILE != "explore":
        return n
    return n * max(1, int(os.environ.get("GSL_FUZZ_SCALE", "10")))
