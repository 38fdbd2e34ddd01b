"""Rendering the pages: one Jinja2 environment, the page context, number and text formats."""

from __future__ import annotations

import html
import math
import re
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gsl_indicators import __version__
from gsl_service.results import score_band
from gsl_service.web.i18n import choose_language, pick, translator

TEMPLATES = Path(__file__).parent / "templates"


def format_number(value: Any, lang: str, unit: str | None = None) -> str:
    """Return a number for a person: decimal comma in Dutch, shares as percentages.

    Examples
    --------
    >>> format_number(0.025, "nl", "share"), format_number(0.025, "en", "fraction")
    ('2,5 %', '2.5 %')
    >>> format_number(2.6667, "nl"), format_number(12345.678, "en", "m²")
    ('2,67', '12345.68 m²')
    >>> format_number(None, "en"), format_number(True, "nl"), format_number("abc", "en")
    ('–', 'ja', 'abc')
    >>> format_number(0.0015, "en", "ratio"), format_number(0.001479, "nl"), format_number(0.5, "en")
    ('0.0015', '0,00148', '0.5')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return translator(lang)("true" if value else "false")
    if not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "–"
    suffix = ""
    if unit in ("share", "fraction"):
        value, suffix = value * 100, " %"
    elif unit and unit not in ("count", "score", "ratio", "boolean", "class"):
        suffix = f" {unit}"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 100):
        text = f"{round(value)}"
    else:
        # below 1: three significant digits (a storage ratio of 0.0015 read "0.002" beside
        # its scorecard's "0.001"), as the map's legend does (job.js)
        digits = (
            2 if abs(value) >= 1 or value == 0 else min(12, 2 - math.floor(math.log10(abs(value))))
        )
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    if lang == "nl":
        text = text.replace(".", ",")
    return text + suffix


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])")


def method_html(text: str | None) -> Markup:
    """Return the method text (light Markdown: code, bold, italic, paragraphs) as HTML.

    Examples
    --------
    >>> str(method_html("**3** — per `home` <b>; *kom*"))
    '<p><strong>3</strong> — per <code>home</code> &lt;b&gt;; <em>kom</em></p>'
    """
    if not text:
        return Markup("")
    paragraphs = []
    for para in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(para, quote=False)
        escaped = _CODE.sub(r"<code>\1</code>", escaped)
        escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
        escaped = _ITALIC.sub(r"<em>\1</em>", escaped)
        paragraphs.append(f"<p>{escaped}</p>")
    return Markup("".join(paragraphs))


def break_underscores(text: Any) -> Markup:
    """Return ``text`` escaped, with a line-break opportunity after every underscore.

    Examples
    --------
    >>> str(break_underscores("share_<x>"))
    'share_<wbr>&lt;x&gt;'
    """
    return Markup(str(html.escape(str(text), quote=False)).replace("_", "_<wbr>"))


@cache
def environment() -> jinja2.Environment:
    """Return the pages' Jinja2 environment (autoescaping on)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["band"] = score_band
    env.filters["method"] = method_html
    env.filters["wbr"] = break_underscores
    return env


class Page:
    """What every page needs: the language, its texts and links that keep the language.

    Parameters
    ----------
    request : Request
        The HTTP request (``lang`` query parameter, ``Accept-Language``).
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        query_lang = request.query_params.get("lang")
        self.lang = choose_language(query_lang, request.headers.get("accept-language"))
        self.explicit_lang = (query_lang or "")[:2].lower() == self.lang
        self.t = translator(self.lang)
        self.settings = request.app.state.settings
        self.root = str(request.scope.get("root_path") or "").rstrip("/")

    def url(self, path: str, **query: Any) -> str:
        """Return a link to ``path`` on this service with ``query`` (and ``lang`` when chosen)."""
        params = {k: v for k, v in query.items() if v is not None}
        if self.explicit_lang:
            params.setdefault("lang", self.lang)
        qs = urllib.parse.urlencode(params)
        return f"{self.root}{path}" + (f"?{qs}" if qs else "")

    def absolute(self, path: str) -> str:
        """Return the public URL of ``path`` (the configured base URL): what QGIS is given."""
        return str(self.request.app.state.api.base_url).rstrip("/") + path

    def other_language_url(self) -> str:
        """Return this page's URL in the other language."""
        other = "en" if self.lang == "nl" else "nl"
        items = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        return f"{self.request.url.path}?{urllib.parse.urlencode([*items, ('lang', other)])}"

    def num(self, value: Any, unit: str | None = None) -> str:
        """Return ``value`` formatted for this page's language."""
        return format_number(value, self.lang, unit)

    def pick(self, text: Any) -> str:
        """Return the page's language version of a bilingual text."""
        return pick(text, self.lang)

    def render(self, template: str, status: int = 200, **data: Any) -> HTMLResponse:
        """Return the rendered ``template`` as an HTML response."""
        body = (
            environment()
            .get_template(template)
            .render(
                page=self,
                t=self.t,
                lang=self.lang,
                static=f"{self.root}/static",
                service_version=__version__,
                **data,
            )
        )
        return HTMLResponse(body, status_code=status, headers={"Content-Language": self.lang})


def wants_html(request: Request) -> bool:
    """Return whether a request asks for a page: ``f=html``, or no ``f`` and HTML first in Accept.

    ``Accept`` is read as pygeoapi reads it: the most preferred media type wins.
    """
    f = (request.query_params.get("f") or "").strip().lower()
    if f:
        return f == "html"
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((request.headers.get("accept") or "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media:
            ranked.append((-q, i, media.lower()))
    return bool(ranked) and sorted(ranked)[0][2] == "text/html"
