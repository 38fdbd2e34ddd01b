"""Inputs by reference, fetched in the media types their schemas imply.

OGC API – Processes lets a client pass any input by reference (``{"href": ...,
"type": ...}``). What a reference may point at follows from the input's schema:

============================  ==================================================
input                          media types accepted by reference
============================  ==================================================
geo input (FeatureCollection)  GeoJSON / JSON (paged collections followed), GeoTIFF
string parameter               ``text/plain`` (UTF-8), or JSON
number, integer, boolean       JSON (``application/json``)
object, array parameter        JSON (``application/json``)
============================  ==================================================

A reference without ``type`` is read by what the server says it sent (a
``text/plain`` answer for a string parameter is text, anything else JSON). Fetching
itself — address guard, redirects, size and time limits — is
:class:`gsl_service.inputs.Fetcher`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gsl_indicators.core.spec import Indicator, Parameter
from gsl_service.errors import FetchError
from gsl_service.inputs import JSON_TYPES, TIFF_TYPES, Fetcher, _is_href, unwrap_values

TEXT = "text/plain"


def accepted_types(param: Parameter) -> tuple[str, ...]:
    """Return the media types a parameter accepts by reference.

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> msg = next(p for p in registry().get("echo").parameters if p.name == "message")
    >>> accepted_types(msg)
    ('text/plain', 'application/json')
    """
    if param.type == "string":
        return (TEXT, "application/json")
    return ("application/json",)


def _media(ref: Mapping[str, Any]) -> str:
    return str(ref.get("type") or "").split(";")[0].strip().lower()


def fetch_parameter(fetcher: Fetcher, param: Parameter, ref: Mapping[str, Any]) -> Any:
    """Return the value of parameter ``param`` given by reference ``ref``.

    Raises
    ------
    FetchError
        A 400 naming the input: the media type does not suit its schema, the body is
        not UTF-8 text or JSON, or the fetch failed.
    """
    name = param.name
    media = _media(ref)
    if param.type != "string" or (media and (media in JSON_TYPES or media in TIFF_TYPES)):
        if media and media not in JSON_TYPES and media not in TIFF_TYPES:
            raise FetchError(
                f"input '{name}' ({param.type}): media type '{media}' is not accepted by "
                f"reference; use {' or '.join(accepted_types(param))}",
                input_name=name,
            )
        return fetcher.fetch_value(name, ref)
    if media and media != TEXT:
        raise FetchError(
            f"input '{name}' (string): media type '{media}' is not supported by reference; "
            f"use {' or '.join(accepted_types(param))}",
            input_name=name,
        )
    url = ref.get("href")
    if not isinstance(url, str) or not url:
        raise FetchError(f"input '{name}': 'href' must be a URL", input_name=name)
    body, served = fetcher.fetch_raw(name, url, f"{TEXT}, application/json;q=0.5")
    if not media and served != TEXT:  # untyped and not served as text: JSON
        return _json(name, url, body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FetchError(
            f"input '{name}': {url} is not UTF-8 text ({err})", input_name=name
        ) from None
    # a text file ends with one line break, which is not part of the value
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _json(name: str, url: str, body: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise FetchError(
            f"input '{name}': {url} did not return JSON ({err})", input_name=name
        ) from None


def resolve_references(
    fetcher: Fetcher, indicator: Indicator, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Return ``inputs`` with qualified values unwrapped and every reference fetched.

    Geo inputs go to :meth:`Fetcher.fetch` (GeoJSON, paged; GeoTIFF), parameters to
    :func:`fetch_parameter`; an input given as a list of references is fetched item
    by item. Unknown names are left as they are (the engine names them in its error).
    """
    out = unwrap_values(inputs)
    geo = {gi.name for gi in indicator.inputs}
    params = {p.name: p for p in indicator.parameters}
    for name, value in list(out.items()):
        refs = value if isinstance(value, list) and value and all(map(_is_href, value)) else None
        if not _is_href(value) and refs is None:
            continue
        if name in geo:
            get = lambda ref, n=name: fetcher.fetch(n, ref)  # noqa: E731
        elif name in params:
            get = lambda ref, p=params[name]: fetch_parameter(fetcher, p, ref)  # noqa: E731
        else:
            continue
        out[name] = [get(r) for r in refs] if refs is not None else get(value)
    return out
