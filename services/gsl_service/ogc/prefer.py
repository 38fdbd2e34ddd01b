"""Parse the HTTP ``Prefer`` header (RFC 7240) instead of matching it exactly."""

from __future__ import annotations

from collections.abc import Iterable


def parse_prefer(values: str | Iterable[str] | None) -> dict[str, str]:
    """Return the preferences of one or more ``Prefer`` header values.

    Preference names are case-insensitive; parameters after ``;`` are ignored;
    the first occurrence of a preference wins (RFC 7240, section 2).

    Parameters
    ----------
    values : str or iterable of str or None
        The header value(s).

    Returns
    -------
    dict
        Lower-cased preference name → value (``""`` when it has none).

    Examples
    --------
    >>> parse_prefer("respond-async, wait=10")
    {'respond-async': '', 'wait': '10'}
    >>> parse_prefer(['Respond-Async; foo="bar"', "return=minimal"])
    {'respond-async': '', 'return': 'minimal'}
    >>> parse_prefer(None)
    {}
    """
    if values is None:
        return {}
    if isinstance(values, str):
        values = [values]
    prefs: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            token = item.split(";", 1)[0].strip()
            if not token:
                continue
            name, _, val = token.partition("=")
            name = name.strip().lower()
            if name and name not in prefs:
                prefs[name] = val.strip().strip('"')
    return prefs


def wants_async(values: str | Iterable[str] | None) -> bool:
    """Return whether the client asked for asynchronous execution.

    Examples
    --------
    >>> wants_async("respond-async, wait=10"), wants_async("respond-sync"), wants_async(None)
    (True, False, False)
    """
    return "respond-async" in parse_prefer(values)
