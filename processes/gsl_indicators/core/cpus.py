"""How many threads a kernel runs its chunks in: the CPUs this process may use.

A kernel splits its work into fixed chunks and runs them in threads (shapely 2 and
numpy release the GIL), so the result never depends on the count; the count decides how
many cores it keeps busy. By default it is the CPUs the process may use, at most
:data:`MAX_THREADS`:

* its CPU **affinity** (``taskset``, a cpuset: ``os.sched_getaffinity``);
* its **cgroup's CPU quota** — a container's CPU limit (Kubernetes
  ``resources.limits.cpu``, ``docker run --cpus``), which affinity does not show: a
  worker limited to 1 CPU on a 16-core node would otherwise run 8 threads and be
  throttled by the kernel's CFS quota. cgroup v2 (``cpu.max``) and v1
  (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), the smallest limit on the way from the
  process's cgroup up to the root; a fractional limit rounds up (1.5 CPUs: 2 threads).

``GSL_KERNEL_THREADS`` (a whole number ≥ 1) sets the count instead, e.g. 1 for RQ
workers that share a machine's cores with each other.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

#: The most threads a kernel runs in by default (more add little to its chunked work).
MAX_THREADS = 8
#: The environment variable that sets the count.
ENV = "GSL_KERNEL_THREADS"

_CGROUP_ROOT = Path("/sys/fs/cgroup")
_V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


def kernel_threads() -> int:
    """Return the threads a kernel runs its chunks in (see the module's text).

    Raises
    ------
    ValueError
        ``GSL_KERNEL_THREADS`` is set to something other than a whole number ≥ 1.
    """
    given = given_threads(os.environ.get(ENV))
    return given if given is not None else max(1, min(MAX_THREADS, available_cpus()))


def given_threads(text: str | None) -> int | None:
    """Return the count ``GSL_KERNEL_THREADS`` sets (``None``: unset or empty).

    Examples
    --------
    >>> given_threads(" 2 "), given_threads(""), given_threads(None)
    (2, None, None)
    """
    text = (text or "").strip()
    return parse_threads(text) if text else None


def parse_threads(text: str) -> int:
    """Return ``GSL_KERNEL_THREADS``'s value as a count.

    Examples
    --------
    >>> parse_threads("2")
    2
    >>> parse_threads("0")
    Traceback (most recent call last):
    ...
    ValueError: GSL_KERNEL_THREADS must be a whole number of at least 1, got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{ENV} must be a whole number of at least 1, got {text!r}")
    return value


def available_cpus() -> int:
    """Return the CPUs this process may use: its affinity, under its cgroup's CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    if limit is not None:
        n = min(n, max(1, math.ceil(limit - 1e-9)))
    return max(1, n)


@functools.cache
def cgroup_cpu_limit() -> float | None:
    """Return this process's cgroup CPU quota in CPUs (``None``: none set), read once."""
    try:
        membership = Path("/proc/self/cgroup").read_text()
    except OSError:  # pragma: no cover - not on Linux
        return None
    return cpu_limit_of(membership, _CGROUP_ROOT)


def cpu_limit_of(membership: str, root: Path) -> float | None:
    """Return the smallest CPU quota from a cgroup up to its root, in CPUs.

    ``membership``: the text of ``/proc/<pid>/cgroup``; ``root``: where the cgroup file
    systems are mounted. Both cgroup v2 (the ``0::`` line) and v1 (the ``cpu``
    controller's line) are read; a file that is missing or unreadable limits nothing.
    """
    limits: list[float] = []
    for line in membership.splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if number == "0" and controllers == "":
            limits += _v2_limits(root, path)
        elif "cpu" in controllers.split(","):
            for name in _V1_CPU_DIRS:
                if (root / name).is_dir():
                    limits += _v1_limits(root / name, path)
                    break
    return min(limits) if limits else None


def _up_to_root(base: Path, path: str) -> list[Path]:
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".", "..")]
    return [base.joinpath(*parts[:k]) for k in range(len(parts), -1, -1)]


def _v2_limits(root: Path, path: str) -> list[float]:
    found = []
    for folder in _up_to_root(root, path):
        try:
            quota, _, period = (folder / "cpu.max").read_text().strip().partition(" ")
        except OSError:
            continue
        if quota != "max" and quota.isdigit() and period.isdigit() and int(period) > 0:
            found.append(int(quota) / int(period))
    return found


def _v1_limits(base: Path, path: str) -> list[float]:
    found = []
    for folder in _up_to_root(base, path):
        try:
            quota = int((folder / "cpu.cfs_quota_us").read_text())
            period = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        if quota > 0 and period > 0:
            found.append(quota / period)
    return found
