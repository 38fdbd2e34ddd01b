"""An indicator that runs another's code says so (``Indicator.uses``), and its keys follow.

Soil runs water's overlay; when water 2.1.0 → 2.1.1 fixed that overlay, soil had to be
bumped by hand or a soil result computed with the old overlay would have been served
for a week. ``uses`` makes the cache and part keys carry the used indicators' versions;
the first test keeps the declarations equal to what the modules import.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import replace
from pathlib import Path

import pytest

from gsl_indicators.core import run
from gsl_indicators.core import spec as spec_module
from gsl_indicators.core.parts import part_key
from gsl_indicators.core.spec import registry

PACKAGE = "gsl_indicators.indicators"


def _imported_siblings(module_name: str) -> set[str]:
    """Return the indicator modules a module imports, anywhere in its body."""
    path = Path(importlib.import_module(module_name).__file__ or "")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {f"{PACKAGE}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
    found.discard(module_name)
    return found


def _module_of(indicator_id: str) -> str:
    return registry().get(indicator_id).compute.__module__


@pytest.mark.parametrize("ind", [i for i in registry() if not i.runs_others], ids=lambda i: i.id)
def test_uses_names_every_indicator_module_it_imports(ind) -> None:
    by_module: dict[str, set[str]] = {}
    for other in registry():
        by_module.setdefault(_module_of(other.id), set()).add(other.id)
    expected = set().union(
        *(by_module.get(m, set()) for m in _imported_siblings(_module_of(ind.id)))
    )
    assert set(ind.uses) == expected
    assert len(ind.uses) == len(set(ind.uses))


def test_the_import_reader_sees_every_form_used() -> None:
    # module level "from pkg.mod import f", "from pkg import mod", and inside a function
    assert _imported_siblings(f"{PACKAGE}.soil") == {f"{PACKAGE}.water"}
    assert _imported_siblings(f"{PACKAGE}.housing") == {
        f"{PACKAGE}.parking",
        f"{PACKAGE}.proximity",
        f"{PACKAGE}.green_per_dwelling",
    }


def _bumped(monkeypatch, indicator_id: str) -> None:
    reg = registry()
    bumped = spec_module.Registry(
        [replace(i, version="9.9.9") if i.id == indicator_id else i for i in reg]
    )
    monkeypatch.setattr(spec_module, "registry", lambda: bumped)


def test_a_new_version_of_a_used_indicator_is_a_new_key(monkeypatch) -> None:
    reg = registry()
    soil, water, housing, noise = (
        reg.get(i) for i in ("soil", "water", "housing-capacity", "noise")
    )
    before = {i.id: run.key_version(i) for i in (soil, water, housing, noise)}
    parts_before = {i.id: part_key(i, {}, {}) for i in (soil, housing)}
    assert before["soil"].startswith(soil.version + "+")

    _bumped(monkeypatch, "water")
    assert run.key_version(soil) != before["soil"]
    assert part_key(soil, {}, {}) != parts_before["soil"]
    assert run.key_version(housing) == before["housing-capacity"]  # housing does not use water
    assert run.key_version(noise) == before["noise"]
    assert run.key_version(spec_module.registry().get("water")) != before["water"]

    # housing uses green-per-dwelling, which uses the 3-30-300 kernel: used in turn
    _bumped(monkeypatch, "green-3-30-300")
    assert run.key_version(housing) != before["housing-capacity"]
    assert part_key(housing, {}, {}) != parts_before["housing-capacity"]
    assert run.key_version(soil) == before["soil"]


def test_a_release_that_changes_the_catalog_is_a_new_key(monkeypatch, tmp_path) -> None:
    # a norm profile, a card or a parking table is named in a request by its catalog
    # name: "nl-default" with new bands is a new answer to the same request
    import shutil

    from gsl_indicators import catalog

    shipped = Path(catalog.__file__).parent
    copy = tmp_path / "catalog"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(catalog.resources, "files", lambda _name: copy)
    read = catalog.catalog_digest.__wrapped__
    assert read() == catalog.catalog_digest()
    (copy / "notes.txt").write_text("not catalog data")
    assert read() == catalog.catalog_digest()
    table = copy / "parking" / "example.yaml"
    table.write_bytes(table.read_bytes() + b"\n# a new norm\n")
    changed = read()
    assert changed != catalog.catalog_digest()

    water = registry().get("water")
    before, part_before = run.key_version(water), part_key(water, {}, {})
    monkeypatch.setattr(catalog, "catalog_digest", lambda: changed)
    assert run.key_version(water) != before
    assert part_key(water, {}, {}) != part_before


def test_a_registry_refuses_an_indicator_that_uses_no_known_one(monkeypatch) -> None:
    # a third-party indicator naming an unknown id would make every key of it fail
    # (a 500 on each request): the registry refuses it when it is built
    water = registry().get("water")
    odd = replace(water, id="odd", uses=("no-such-indicator",))
    monkeypatch.setattr(spec_module, "_REGISTRY", None)
    monkeypatch.setattr(spec_module, "declared_indicators", lambda skip=None: iter([water, odd]))
    with pytest.raises(ValueError, match="no-such-indicator"):
        spec_module.registry()
