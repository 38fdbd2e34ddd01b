"""Run a snippet of Python in a process of its own (the project's venv), for tests of
what a process keeps for its lifetime: rlimits, the frozen heap, Arrow's memory pool,
``sys.unraisablehook``."""

from __future__ import annotations

import subprocess
import sys


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter; return the finished process (text output).

    Never raises for the exit code: the caller asserts on it, with ``stderr`` in the message.
    """
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )


def printed(code: str, timeout: float = 60) -> str:
    """Run ``code`` (:func:`run_python`); return what it printed, stripped.

    Fails the test, with the child's ``stderr``, when the child did not exit with 0.
    """
    out = run_python(code, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()
