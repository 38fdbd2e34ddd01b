"""Both packages are typed (PEP 561): a ``py.typed`` marker the wheel carries."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["gsl_indicators", "gsl_service"])
def test_py_typed_marker_is_in_the_package(package: str) -> None:
    assert importlib.resources.files(package).joinpath("py.typed").is_file()


def test_the_wheel_takes_the_package_folders_whole() -> None:
    """hatch puts every file of a listed package folder in the wheel, markers included."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert set(wheel["packages"]) == {"processes/gsl_indicators", "services/gsl_service"}
    for folder in wheel["packages"]:
        assert (ROOT / folder / "py.typed").is_file()
    assert not any("py.typed" in str(x) for x in wheel.get("exclude", []))
