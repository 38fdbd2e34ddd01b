"""Query parameters of the result features API (OGC API – Features, Parts 1 and 2).

Each parser reads one parameter as given in the query string and raises
:class:`~gsl_service.errors.InvalidInput` (a 400 problem document naming the parameter)
for a value the API does not accept; nothing is ignored silently.

* ``limit``: an integer ≥ 1; above :data:`MAX_LIMIT` the maximum is used (Part 1: a
  larger limit "SHALL NOT result in an error").
* ``offset``: an integer ≥ 0 (an offset beyond the last feature gives an empty page).
* ``bbox``: four numbers (or six, with heights, whose heights are not used: the
  features are 2-D), in ``bbox-crs`` (default CRS84, longitude/latitude).
* ``crs`` / ``bbox-crs``: one of the collection's CRSs, by its OGC URI (Part 2), or as
  ``EPSG:n`` / ``[EPSG:n]`` / ``OGC:CRS84``.
* ``datetime``: an RFC 3339 instant or interval (``..`` open); checked, and matching
  every feature, as results carry no time (as pygeoapi does for data without time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from gsl_service.errors import InvalidInput
from gsl_service.ogc.instants import parse_interval

#: Features per page when ``limit`` is not given, and the most one page holds.
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"

#: Query parameters each operation knows (Part 1: any other is a 400).
ITEMS_PARAMETERS = frozenset({"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"})
ITEM_PARAMETERS = frozenset({"crs", "f"})
OTHER_PARAMETERS = frozenset({"f"})


def crs_uri(crs: str) -> str:
    """Return the OGC URI of a CRS named ``OGC:CRS84`` or ``EPSG:n``.

    Examples
    --------
    >>> crs_uri("EPSG:28992"), crs_uri("OGC:CRS84")
    ('http://www.opengis.net/def/crs/EPSG/0/28992', 'http://www.opengis.net/def/crs/OGC/1.3/CRS84')
    """
    if crs == "OGC:CRS84":
        return CRS84_URI
    if crs.upper().startswith("EPSG:"):
        return _EPSG_URI + crs.split(":", 1)[1]
    return crs


def crs_name(raw: str, offered: Sequence[str], parameter: str) -> str:
    """Return the CRS (``OGC:CRS84`` or ``EPSG:n``) a ``crs``/``bbox-crs`` value names.

    ``offered`` are the collection's CRSs by name; a CRS not among them is a 400 naming
    ``parameter`` and listing them as URIs. ``EPSG:4326`` is not ``OGC:CRS84``: its
    axis order is latitude, longitude.

    Examples
    --------
    >>> crs_name("http://www.opengis.net/def/crs/EPSG/0/28992", ["OGC:CRS84", "EPSG:28992"], "crs")
    'EPSG:28992'
    >>> crs_name("[EPSG:28992]", ["OGC:CRS84", "EPSG:28992"], "crs")
    'EPSG:28992'
    >>> crs_name("EPSG:4326", ["OGC:CRS84", "EPSG:28992"], "bbox-crs")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: bbox-crs: 'EPSG:4326' is not a CRS of this collection; use one of ['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 'http://www.opengis.net/def/crs/EPSG/0/28992']
    """
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):  # a safe CURIE
        text = text[1:-1]
    low = text.lower().rstrip("/")
    name: str | None = None
    if low in (CRS84_URI.lower(), "ogc:crs84", "crs84"):
        name = "OGC:CRS84"
    elif low.startswith(_EPSG_URI.lower()):
        name = "EPSG:" + text.rstrip("/")[len(_EPSG_URI) :]
    elif low.startswith("epsg:"):
        name = "EPSG:" + text.split(":", 1)[1]
    if name is None or name not in offered:
        raise InvalidInput(
            f"{parameter}: {raw!r} is not a CRS of this collection; "
            f"use one of {[crs_uri(c) for c in offered]}",
            input_name=parameter,
        )
    return name


def _integer(raw: str, parameter: str) -> int:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,30}", text):
        raise InvalidInput(f"{parameter}: {raw[:40]!r} is not an integer", input_name=parameter)
    return int(text)


def parse_limit(raw: str | None) -> int:
    """Return the page size ``limit`` asks for (default 10; at most :data:`MAX_LIMIT`).

    Examples
    --------
    >>> parse_limit(None), parse_limit("25"), parse_limit("1000000000000")
    (10, 25, 10000)
    >>> parse_limit("0")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: limit: 0 is below 1
    """
    if raw is None:
        return DEFAULT_LIMIT
    value = _integer(raw, "limit")
    if value < 1:
        raise InvalidInput(f"limit: {value} is below 1", input_name="limit")
    return min(value, MAX_LIMIT)


def parse_offset(raw: str | None) -> int:
    """Return the index of the first feature of the page (default 0).

    Examples
    --------
    >>> parse_offset(None), parse_offset("9223372036854775808")
    (0, 9223372036854775808)
    >>> parse_offset("-1")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: offset: -1 is below 0
    """
    if raw is None:
        return 0
    value = _integer(raw, "offset")
    if value < 0:
        raise InvalidInput(f"offset: {value} is below 0", input_name="offset")
    return value


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """Return ``bbox`` as ``(minx, miny, maxx, maxy)`` in its CRS (``None``: none given).

    Six numbers are a box with heights (``minx, miny, minz, maxx, maxy, maxz``); the
    heights are checked and not used. In CRS84 a ``minx`` above ``maxx`` crosses the
    antimeridian (Part 1), which :func:`bbox_parts` splits.

    Examples
    --------
    >>> parse_bbox("4.8,52.3,4.9,52.4")
    (4.8, 52.3, 4.9, 52.4)
    >>> parse_bbox("0,0,-5,1,1,5")
    (0.0, 0.0, 1.0, 1.0)
    >>> parse_bbox("1,2,3")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: bbox: give 4 numbers (minx,miny,maxx,maxy) or 6 with heights; got 3
    """
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidInput(
            f"bbox: give 4 numbers (minx,miny,maxx,maxy) or 6 with heights; got {len(parts)}",
            input_name="bbox",
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput(
            f"bbox: {raw[:80]!r} holds a value that is not a number", input_name="bbox"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput("bbox: every value must be a finite number", input_name="bbox")
    if len(values) == 6:
        minx, miny, minz, maxx, maxy, maxz = values
        if minz > maxz:
            raise InvalidInput(
                f"bbox: the lower height {minz} is above the upper {maxz}", input_name="bbox"
            )
    else:
        minx, miny, maxx, maxy = values
    if miny > maxy:
        raise InvalidInput(f"bbox: the lower y {miny} is above the upper {maxy}", input_name="bbox")
    return minx, miny, maxx, maxy


def check_lonlat(box: tuple[float, float, float, float]) -> None:
    """Raise a 400 naming ``bbox`` when a CRS84 box leaves longitude ±180 or latitude ±90.

    Examples
    --------
    >>> check_lonlat((4.8, 52.3, 4.9, 52.4))
    >>> check_lonlat((-180.0, -91.0, 180.0, 91.0))
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: bbox: in CRS84 a longitude lies within ±180 and a latitude within ±90; got (-180.0, -91.0, 180.0, 91.0)
    """
    if not (min(box[0], box[2]) >= -180 and max(box[0], box[2]) <= 180) or not (
        box[1] >= -90 and box[3] <= 90
    ):
        raise InvalidInput(
            f"bbox: in CRS84 a longitude lies within ±180 and a latitude within ±90; got {box}",
            input_name="bbox",
        )


def bbox_parts(
    box: tuple[float, float, float, float], crs: str
) -> list[tuple[float, float, float, float]]:
    """Return ``box`` as boxes with ``minx ≤ maxx``: two when it crosses the antimeridian.

    Only a CRS84 box may have ``minx > maxx`` (longitudes); in any other CRS it is a 400.

    Examples
    --------
    >>> bbox_parts((170.0, -10.0, -170.0, 10.0), "OGC:CRS84")
    [(170.0, -10.0, 180.0, 10.0), (-180.0, -10.0, -170.0, 10.0)]
    >>> bbox_parts((1.0, 2.0, 3.0, 4.0), "EPSG:28992")
    [(1.0, 2.0, 3.0, 4.0)]
    """
    minx, miny, maxx, maxy = box
    if minx <= maxx:
        return [box]
    if crs != "OGC:CRS84":
        raise InvalidInput(f"bbox: the lower x {minx} is above the upper {maxx}", input_name="bbox")
    return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]


#: An RFC 3339 date or date-time with its zone (what ``datetime`` admits at each end).
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?"
)


def parse_datetime(raw: str | None) -> str | None:
    """Check ``datetime`` (an RFC 3339 date, date-time or interval); return it as given.

    Each end must be RFC 3339; its meaning is the job list's
    (:func:`~gsl_service.ogc.instants.parse_interval`: a date is its whole UTC day). An
    empty value and an interval that ends before it starts are refused.

    Examples
    --------
    >>> parse_datetime("2026-12-07T10:00:00Z"), parse_datetime("2026-01-01/..")
    ('2026-12-07T10:00:00Z', '2026-01-01/..')
    >>> parse_datetime("2026-12-07/2026-01-01")
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: datetime: '2026-12-07/2026-01-01' ends before it starts
    """
    if raw is None:
        return None
    ends = raw.strip().split("/")
    if (
        len(ends) > 2
        or not all(e in ("", "..") or _RFC3339.fullmatch(e) for e in ends)
        or (len(ends) == 1 and ends[0] in ("", ".."))
    ):
        raise InvalidInput(
            f"datetime: {raw[:60]!r} is not an RFC 3339 date-time or interval "
            "(e.g. 2026-12-07T10:00:00Z or 2026-01-01/..)",
            input_name="datetime",
        )
    start, end = parse_interval(raw.strip())
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"datetime: {raw!r} ends before it starts", input_name="datetime")
    return raw.strip()


def check_parameters(params: Iterable[str], known: frozenset[str]) -> None:
    """Raise a 400 naming the first query parameter this operation does not know.

    Examples
    --------
    >>> check_parameters(["limit", "f"], ITEMS_PARAMETERS)
    >>> check_parameters(["limit", "filter"], ITEMS_PARAMETERS)
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: filter: not a query parameter of this resource; it takes ['bbox', 'bbox-crs', 'crs', 'datetime', 'f', 'limit', 'offset']
    >>> check_parameters(["f"], frozenset())
    Traceback (most recent call last):
    ...
    gsl_service.errors.InvalidInput: f: not a query parameter of this resource; it takes none
    """
    takes = f"it takes {sorted(known)}" if known else "it takes none"
    for name in params:
        if name not in known:
            raise InvalidInput(
                f"{name[:60]}: not a query parameter of this resource; {takes}",
                input_name=name[:60],
            )


def single(params: Any, name: str) -> str | None:
    """Return a query parameter given at most once (twice is a 400 naming it).

    ``params``: the request's query parameters (anything with ``getlist``).

    Examples
    --------
    >>> from starlette.datastructures import QueryParams
    >>> single(QueryParams("limit=5"), "limit"), single(QueryParams(""), "limit") is None
    ('5', True)
    """
    values = params.getlist(name)
    if len(values) > 1:
        raise InvalidInput(f"{name}: given {len(values)} times; give it once", input_name=name)
    return values[0] if values else None
