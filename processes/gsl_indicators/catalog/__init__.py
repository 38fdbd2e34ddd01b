"""The menu-card catalog: YAML data shipped with the package (norm profiles, tables).

Files live beside this module and are read with :mod:`importlib.resources`, so they
work from a source tree, an editable install and a wheel alike. A YAML file declares
what it is with a top-level ``kind`` (``norm-profile`` for the scoring profiles of
:mod:`gsl_indicators.core.scoring`); its file name without ``.yaml`` is its catalog name.

Examples
--------
>>> "nl-default" in profile_names()
True
>>> load_profile("nl-default")["name"]
'nl-default'
"""

from __future__ import annotations

import copy
import hashlib
from functools import cache
from importlib import resources
from typing import Any

import yaml

PROFILE_KIND = "norm-profile"


@cache
def _read(name: str) -> Any:
    path = resources.files(__name__).joinpath(f"{name}.yaml")
    if not path.is_file():
        raise KeyError(name)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def catalog_digest() -> str:
    """Return the sha256 of every YAML file of the catalog (its sub-folders too).

    Norm profiles, menu cards and parking-norm tables are named in a request by their
    catalog name; a release that changes one changes the answer to the same request, so
    cache keys carry this digest (:func:`~gsl_indicators.core.run.key_version`).

    Examples
    --------
    >>> len(catalog_digest())
    64
    """
    sha = hashlib.sha256()
    todo = [(resources.files(__name__), "")]
    files = []
    while todo:
        folder, prefix = todo.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                todo.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".yaml"):
                files.append((f"{prefix}{entry.name}", entry))
    for name, entry in sorted(files, key=lambda f: f[0]):
        data = entry.read_bytes()
        sha.update(f"{name}\0{len(data)}\0".encode())
        sha.update(data)
    return sha.hexdigest()


def yaml_names(kind: str | None = None) -> tuple[str, ...]:
    """Return the catalog names of the YAML files, optionally only those of ``kind``.

    Parameters
    ----------
    kind : str, optional
        The value of the files' top-level ``kind`` key to filter on.
    """
    names = sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".yaml")
    )
    if kind is None:
        return tuple(names)
    return tuple(n for n in names if isinstance(d := _read(n), dict) and d.get("kind") == kind)


def load_yaml(name: str) -> Any:
    """Return a deep copy of the parsed catalog file ``name`` (``KeyError`` when absent)."""
    return copy.deepcopy(_read(name))


@cache
def profile_names() -> tuple[str, ...]:
    """Return the names of the norm profiles in the catalog, sorted."""
    return yaml_names(PROFILE_KIND)


def load_profile(name: str) -> dict[str, Any]:
    """Return the raw (unvalidated) norm profile ``name`` as a fresh dict.

    Raises
    ------
    KeyError
        When the catalog has no profile of that name.
    """
    if name not in profile_names():
        raise KeyError(name)
    data = load_yaml(name)
    assert isinstance(data, dict)
    return data
