"""The threads a kernel runs in: affinity, a container's CPU limit, GSL_KERNEL_THREADS.

The cgroup trees are written here as the kernel shows them (cgroup v2 ``cpu.max``:
``"<quota> <period>"`` or ``"max <period>"``; v1 ``cpu.cfs_quota_us`` = -1 for none);
the limits expected are quota / period worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gsl_indicators.core import canopy, cpus


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_cgroup_v2_the_smallest_limit_on_the_way_to_the_root(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.max", "max 100000\n")
    _write(tmp_path / "kubepods" / "pod1", "cpu.max", "250000 100000\n")  # 2.5 CPUs
    _write(tmp_path / "kubepods" / "pod1" / "worker", "cpu.max", "150000 100000\n")  # 1.5
    assert cpus.cpu_limit_of("0::/kubepods/pod1/worker\n", tmp_path) == 1.5
    assert cpus.cpu_limit_of("0::/kubepods/pod1\n", tmp_path) == 2.5
    assert cpus.cpu_limit_of("0::/kubepods\n", tmp_path) is None  # max: no limit
    assert cpus.cpu_limit_of("0::/\n", tmp_path) is None


def test_cgroup_v1_quota_and_period(tmp_path: Path) -> None:
    cpu = tmp_path / "cpu,cpuacct"
    _write(cpu, "cpu.cfs_quota_us", "-1\n")
    _write(cpu, "cpu.cfs_period_us", "100000\n")
    _write(cpu / "docker" / "abc", "cpu.cfs_quota_us", "50000\n")  # --cpus 0.5
    _write(cpu / "docker" / "abc", "cpu.cfs_period_us", "100000\n")
    membership = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n"
    assert cpus.cpu_limit_of(membership, tmp_path) == 0.5
    assert cpus.cpu_limit_of("4:cpu,cpuacct:/\n", tmp_path) is None  # -1: none


def test_no_cgroup_files_limit_nothing(tmp_path: Path) -> None:
    assert cpus.cpu_limit_of("0::/a/b\n1:cpu:/x\n", tmp_path) is None
    _write(tmp_path, "cpu.max", "garbage\n")
    assert cpus.cpu_limit_of("0::/\n", tmp_path) is None


@pytest.mark.parametrize(("limit", "affinity", "threads"), [(None, 2, 2), (1.0, 2, 1), (1.5, 4, 2), (0.5, 2, 1), (16.0, 2, 2), (None, 32, 8)])  # fmt: skip
def test_threads_follow_affinity_and_the_limit(
    monkeypatch: pytest.MonkeyPatch, limit: float | None, affinity: int, threads: int
) -> None:
    monkeypatch.delenv(cpus.ENV, raising=False)
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: limit)
    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: set(range(affinity)))
    assert cpus.kernel_threads() == threads
    assert canopy.default_workers() == threads  # what the kernels' chunked maps use


def test_gsl_kernel_threads_sets_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: 1.0)
    monkeypatch.setenv(cpus.ENV, "3")
    assert cpus.kernel_threads() == 3  # above the limit, if asked: the operator's choice
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv(cpus.ENV, bad)
        with pytest.raises(ValueError, match="GSL_KERNEL_THREADS"):
            cpus.kernel_threads()


def test_the_same_numbers_in_one_thread_and_in_two() -> None:
    """The count changes the cores used, never the result (fixed chunks)."""
    import numpy as np

    data = np.arange(100_000, dtype=np.float64)

    def job(start: int, part: np.ndarray) -> float:
        return float(np.sqrt(part).sum())

    one = canopy.chunked_map(job, len(data), data, workers=1, chunk=1000)
    two = canopy.chunked_map(job, len(data), data, workers=2, chunk=1000)
    assert one == two


@pytest.mark.parametrize(("given", "threads"), [("2", 2), (" 3 ", 3), ("", None)])
def test_the_service_reads_gsl_kernel_threads_as_the_kernels_do(
    monkeypatch: pytest.MonkeyPatch, given: str, threads: int | None
) -> None:
    """Found in review: ``2.0`` passed the settings and failed every kernel mid-job, and
    an empty value, unset for the kernels, stopped the service."""
    from gsl_service.settings import Settings

    monkeypatch.setenv(cpus.ENV, given)
    assert Settings().kernel_threads == threads
    if threads is not None:
        assert cpus.kernel_threads() == threads


@pytest.mark.parametrize("given", ["2.0", "0", "two", "-1"])
def test_a_value_the_kernels_refuse_stops_the_service_at_start_up(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    from pydantic import ValidationError

    from gsl_service.settings import Settings

    monkeypatch.setenv(cpus.ENV, given)
    with pytest.raises(ValidationError, match="GSL_KERNEL_THREADS"):
        Settings()
    with pytest.raises(ValueError, match="GSL_KERNEL_THREADS"):
        cpus.kernel_threads()


def test_cgroup_v1_inside_a_container_reads_the_mount_root(tmp_path: Path) -> None:
    """The host's path in /proc/self/cgroup does not exist under the container's mount:
    the walk up reaches the mount's root, which holds the container's quota."""
    cpu = tmp_path / "cpu,cpuacct"
    _write(cpu, "cpu.cfs_quota_us", "150000\n")
    _write(cpu, "cpu.cfs_period_us", "100000\n")
    (tmp_path / "cpu").symlink_to(cpu)
    membership = "4:cpu,cpuacct:/kubepods/burstable/pod1/abc\n"
    assert cpus.cpu_limit_of(membership, tmp_path) == 1.5
