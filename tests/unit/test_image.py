"""The container image recipe: multi-stage, pinned base, hashed lock in sync with pyproject."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^ \\\n]+)", text, re.M)
    }


def test_dockerfile_is_multi_stage_on_a_pinned_base_with_hashed_requirements() -> None:
    text = (ROOT / "Dockerfile").read_text()
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert re.fullmatch(r"python:3\.12\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base)
    stages = re.findall(r"^FROM \$\{PYTHON_IMAGE\} AS (\w+)$", text, re.M)
    assert stages == ["build", "runtime"]
    assert "--require-hashes" in text and "COPY --from=build /opt/gsl /opt/gsl" in text
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001", runtime, re.M)
    assert "pip install" not in runtime  # nothing resolved in the final image


def test_every_locked_requirement_has_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", text.split("\n", 2)[2])
    assert len(blocks) == len(_locked())
    for block in blocks:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_lock_satisfies_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked()
    for spec in [*project["dependencies"], "hatchling>=1.25"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in locked, f"{name} missing from requirements.lock (make lock)"
        assert req.specifier.contains(locked[name], prereleases=True), (name, locked[name])


def test_gsl_apikey_prints_a_key_and_its_hash() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from gsl_service.cli import main; raise SystemExit(main())",
            "apikey",
            "--id",
            "ci",
            "--scopes",
            "read+execute",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    lines = out.splitlines()
    key = lines[1]
    import hashlib

    assert f"  sha256: {hashlib.sha256(key.encode()).hexdigest()}" in lines
    assert "  scopes: [read, execute]" in lines
