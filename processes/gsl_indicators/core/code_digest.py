"""A digest of the code an indicator runs, so cache keys follow the code itself.

An indicator's version is bumped by hand when its answers change. Shared code is the
weak spot: a fix in :mod:`gsl_indicators.core.exposure` changes air, noise, heat and
odour without touching their modules, and a version reused over several changes of a
release serves the results of an intermediate state under the same key. The cache and
part keys therefore also carry the digest of the source of every module of this
package that the indicator's module imports, directly or through another, anywhere in
its body (:func:`module_closure`, read from the source, not from what happens to be
imported), package ``__init__`` modules included (:func:`code_digest`).

A change of a docstring is a new key too: a key that changes without need costs one
computation; one that does not change when it should serves a wrong answer for a week.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path

ROOT = "gsl_indicators"


def _source_path(module: str) -> Path | None:
    """Return the source file of a module of this package, ``None`` when there is none."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def source_of(module: str) -> bytes:
    """Return a module's source bytes (empty when it has no source file)."""
    path = _source_path(module)
    return path.read_bytes() if path is not None else b""


@functools.cache
def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent is a module, not a package
        return False


def _parents(module: str) -> list[str]:
    """Return the packages a module's import runs first (their ``__init__``).

    Examples
    --------
    >>> _parents("gsl_indicators.core.run")
    ['gsl_indicators', 'gsl_indicators.core']
    """
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _absolute(node: ast.ImportFrom, module: str) -> str:
    """Return the module a ``from ... import`` in ``module`` names, relative ones resolved."""
    if not node.level:
        return str(node.module)
    spec = importlib.util.find_spec(module)
    is_package = spec is not None and spec.submodule_search_locations is not None
    package = module if is_package else module.rpartition(".")[0]
    return importlib.util.resolve_name("." * node.level + (node.module or ""), package)


@functools.cache
def imported_modules(module: str) -> frozenset[str]:
    """Return the modules of this package that ``module``'s source imports itself.

    Every form counts, at module level or inside a function: ``import a.b``,
    ``from a.b import c`` (``a.b.c`` when that is a module, else ``a.b``),
    ``from a import b`` and relative ones (``from .b import c``); so do the packages
    each of them sits in.

    Examples
    --------
    >>> sorted(m for m in imported_modules("gsl_indicators.indicators.soil")
    ...        if m.startswith("gsl_indicators.indicators."))
    ['gsl_indicators.indicators.water']
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source_of(module), filename=module)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or node.level):
            base = _absolute(node, module)
            names = [
                f"{base}.{a.name}"
                if base.startswith(ROOT) and _is_module(f"{base}.{a.name}")
                else base
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name == ROOT or name.startswith(ROOT + "."):
                found |= {name, *_parents(name)}
    found.discard(module)
    return frozenset(found)


def module_closure(modules: Iterable[str]) -> list[str]:
    """Return ``modules`` with their packages and what they import here, transitively.

    Sorted; only modules of this package.

    Examples
    --------
    >>> closure = module_closure(["gsl_indicators.indicators.soil"])
    >>> "gsl_indicators.indicators.water" in closure and "gsl_indicators.core.geo" in closure
    True
    >>> "gsl_indicators.indicators.noise" in closure
    False
    """
    seen: set[str] = set()
    todo = [m for name in modules for m in (name, *_parents(name))]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imported_modules(name) - seen)
    return sorted(seen)


@functools.cache
def code_digest(modules: frozenset[str]) -> str:
    """Return the sha256 of the source of ``modules``' closure (:func:`module_closure`).

    Each module counts with its name and its bytes, so a module moved or renamed is a
    change too.
    """
    h = hashlib.sha256()
    for name in module_closure(modules):
        for part in (name.encode(), source_of(name)):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
    return h.hexdigest()
