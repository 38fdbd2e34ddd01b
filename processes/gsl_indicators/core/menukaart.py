"""The menu card (*menukaart*): every indicator with its method, norms and defaults.

Generated from the indicator declarations, like the OGC process descriptions, so the
province's standard menu card and the service can never disagree.
"""

from __future__ import annotations

from typing import Any

from gsl_indicators import __version__
from gsl_indicators.catalog import profile_names
from gsl_indicators.core.scoring import load_profile
from gsl_indicators.core.spec import Registry
from gsl_indicators.indicators.parking import catalog_tables

__all__ = ["THEME_ORDER", "menu_card"]

# Order of the themes on the card (others follow alphabetically).
THEME_ORDER = (
    "green",
    "proximity",
    "heat",
    "air",
    "noise",
    "water",
    "soil",
    "mobility",
    "housing",
    "context",
    "mkba",
    "uncertainty",
)


def menu_card(reg: Registry, include_tests: bool = False) -> dict[str, Any]:
    """Return the menu card: indicators grouped by theme, plus the catalog's profiles.

    Parameters
    ----------
    reg : Registry
        The indicator registry.
    include_tests : bool
        Whether to list test processes (theme ``test``, e.g. ``echo``).

    Returns
    -------
    dict
        ``{"engine", "themes": [{"theme", "indicators": [menu entry ...]}],
        "profiles": [{"name", "title", "example"}], "parking_norm_tables": [...]}``.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> card = menu_card(registry())
    >>> card["themes"][0]["theme"], "echo" in str(card)
    ('green', False)
    """
    themes: dict[str, list[dict[str, Any]]] = {}
    for ind in reg:
        if ind.theme == "test" and not include_tests:
            continue
        themes.setdefault(ind.theme, []).append(ind.menu_entry())

    def order(theme: str) -> tuple[int, str]:
        return (THEME_ORDER.index(theme) if theme in THEME_ORDER else len(THEME_ORDER), theme)

    profiles = []
    for name in profile_names():
        p = load_profile(name)
        profiles.append({"name": name, "title": p.title, "example": bool(p.example)})
    return {
        "engine": f"gsl-indicators {__version__}",
        "themes": [{"theme": t, "indicators": themes[t]} for t in sorted(themes, key=order)],
        "profiles": profiles,
        "parking_norm_tables": catalog_tables(),
    }
