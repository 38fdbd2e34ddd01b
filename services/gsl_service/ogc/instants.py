"""The ``datetime`` query parameter of OGC APIs: an RFC 3339 instant or interval.

One parser for the job list (``/jobs?datetime=``) and the result features API
(``/jobs/{id}/features/collections/{output}/items?datetime=``): an instant, or
``start/end`` with ``..`` (or nothing) for an open end; a time without a zone is UTC, a
date without a time the whole UTC day.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gsl_service.errors import InvalidInput

#: A ``datetime`` end given as a date only (a whole UTC day).
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_instant(text: str, name: str, end: bool = False) -> datetime | None:
    """Parse one end of a ``datetime`` filter (``None`` for an open end).

    A date without a time stands for that whole UTC day: its start, or with ``end``
    its last instant (bounds are inclusive).

    Examples
    --------
    >>> parse_instant("2026-11-28", "datetime").isoformat()
    '2026-11-28T00:00:00+00:00'
    >>> parse_instant("2026-11-28", "datetime", end=True).isoformat()
    '2026-11-28T23:59:59.999999+00:00'
    >>> parse_instant("2026-11-28T10:00:00Z", "datetime", end=True).isoformat()
    '2026-11-28T10:00:00+00:00'
    """
    text = text.strip()
    if text in ("", ".."):
        return None
    if _DATE_ONLY.fullmatch(text):
        try:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(
                f"{name}: {text!r} is not a valid date (e.g. 2025-01-31)",
                input_name="datetime",
            ) from None
        return day + timedelta(days=1, microseconds=-1) if end else day
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{name}: {text!r} is not an RFC 3339 date-time (e.g. 2025-01-31T12:00:00Z)",
            input_name="datetime",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_interval(raw: str, name: str = "datetime") -> tuple[datetime | None, datetime | None]:
    """Return the first and last instant a ``datetime`` value covers (``None``: open).

    An instant covers itself (a date: its whole UTC day).

    Examples
    --------
    >>> [d.isoformat() for d in parse_interval("2026-11-28")]
    ['2026-11-28T00:00:00+00:00', '2026-11-28T23:59:59.999999+00:00']
    >>> parse_interval("2026-11-28T10:00:00Z/..")[1] is None
    True
    """
    if "/" in raw:
        start, _, end = raw.partition("/")
        return parse_instant(start, name), parse_instant(end, name, end=True)
    return parse_instant(raw, name), parse_instant(raw, name, end=True)
