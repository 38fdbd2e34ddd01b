"""Cache keys follow the code (``core.code_digest``): shared code in ``core`` changed
without a version bump is a new key for the indicators that import it, and for no other.

Before, a fix in ``core/exposure.py`` (used by air, noise, heat and odour) needed their
four versions bumped by hand, and a version reused over several changes served the
results of an intermediate state for a week.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from gsl_indicators.core import code_digest, run
from gsl_indicators.core.spec import registry

EXPOSURE = "gsl_indicators.core.exposure"


def _module(indicator_id: str) -> str:
    return registry().get(indicator_id).compute.__module__


def _fresh_digests() -> None:
    code_digest.code_digest.cache_clear()
    code_digest.imported_modules.cache_clear()


@pytest.fixture
def edited(monkeypatch):
    """Edit a module's source as the digest reads it (a comment appended)."""

    def edit(module: str) -> None:
        real = code_digest.source_of

        def source_of(name: str) -> bytes:
            return real(name) + (b"\n# fixed\n" if name == module else b"")

        monkeypatch.setattr(code_digest, "source_of", source_of)
        _fresh_digests()

    yield edit
    _fresh_digests()


def test_the_closure_holds_shared_code_and_used_kernels_and_nothing_else() -> None:
    noise = code_digest.module_closure([_module("noise")])
    assert EXPOSURE in noise and "gsl_indicators.core.geo" in noise
    assert "gsl_indicators.core" in noise and "gsl_indicators" in noise  # the packages
    assert _module("water") not in noise and _module("green-3-30-300") not in noise
    soil = code_digest.module_closure([_module("soil")])
    assert _module("water") in soil and EXPOSURE not in soil


def test_an_edit_of_shared_code_is_a_new_key_for_its_users_only(edited) -> None:
    reg = registry()
    users = [i.id for i in reg if EXPOSURE in code_digest.module_closure([i.compute.__module__])]
    assert {"air-quality", "noise", "heat", "odour"} <= set(users)
    before = {i.id: run.key_version(i) for i in reg}
    edited(EXPOSURE)
    after = {i.id: run.key_version(i) for i in reg}
    changed = {i for i in before if before[i] != after[i]}
    composites = {i.id for i in reg if i.runs_others}
    assert changed == set(users) | composites
    assert "water" not in changed and "green-3-30-300" not in changed
    assert all(after[i].split("+")[0] == before[i].split("+")[0] for i in before)  # versions


def test_an_edit_of_a_used_kernel_is_a_new_key_for_its_user(edited) -> None:
    soil, noise = registry().get("soil"), registry().get("noise")
    before = run.key_version(soil), run.key_version(noise)
    edited(_module("water"))
    assert run.key_version(soil) != before[0] and run.key_version(noise) == before[1]


def test_every_process_makes_the_same_key() -> None:
    """The API makes the key, a worker's work horse the part keys: the same digest in
    any process (no hash seed, no import order in it)."""
    code = (
        "from gsl_indicators.core.spec import registry; from gsl_indicators.core import run; "
        "print(run.key_version(registry().get('noise')))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": ":".join(sys.path)},
    )
    assert other.stdout.strip() == run.key_version(registry().get("noise"))


def test_relative_imports_are_read_too(monkeypatch) -> None:
    """No module here imports relatively today; one that did would still count."""
    real = code_digest.source_of
    fake = {
        "gsl_indicators.core.wording": b"from .geo import read_layers\nfrom . import spec\n",
        "gsl_indicators.core": b"from .scoring import band\n",
    }
    monkeypatch.setattr(code_digest, "source_of", lambda name: fake.get(name) or real(name))
    _fresh_digests()
    try:
        assert {"gsl_indicators.core.geo", "gsl_indicators.core.spec"} <= (
            code_digest.imported_modules("gsl_indicators.core.wording")
        )
        assert "gsl_indicators.core.scoring" in code_digest.imported_modules("gsl_indicators.core")
    finally:
        _fresh_digests()
