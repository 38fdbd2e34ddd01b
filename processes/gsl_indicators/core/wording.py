"""Counts in words: ``1 home``, ``2 homes`` (Dutch and English texts alike).

Every text that writes a count next to a noun (warnings, sentences on the pages) picks
the singular for exactly one and the plural otherwise, verb included where the phrase
has one (``1 home lies``, ``2 homes lie``).
"""

from __future__ import annotations

__all__ = ["counted", "one_or_many"]


def one_or_many(n: int | float, one: str, many: str) -> str:
    """Return ``one`` when ``n`` is exactly 1, else ``many``.

    Examples
    --------
    >>> one_or_many(1, "gebied", "gebieden"), one_or_many(0, "area", "areas")
    ('gebied', 'areas')
    """
    return one if n == 1 else many


def counted(n: int | float, one: str, many: str) -> str:
    """Return ``n`` with the singular or plural phrase.

    Examples
    --------
    >>> counted(1, "home lies", "homes lie"), counted(3, "home lies", "homes lie")
    ('1 home lies', '3 homes lie')
    >>> counted(1, "woning", "woningen"), counted(0, "woning", "woningen")
    ('1 woning', '0 woningen')
    """
    return f"{n} {one_or_many(n, one, many)}"
