"""Browser fixtures: a real ``gsl serve`` (uvicorn, embedded mode) on a free port and
Debian's Chromium driven by Playwright (its own browser download is not used).

``make test`` installs Chromium when absent (``scripts/ensure-chromium.sh``). Every
page a test opens records console errors, uncaught exceptions and every request, so
that a test can assert "no error, nothing fetched from another host".
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where screenshots go when set (``GSL_SCREENSHOTS=docs/screenshots``); else nowhere.
SCREENSHOTS = os.environ.get("GSL_SCREENSHOTS")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One embedded service per test module (no Redis), with its own job database."""
    tmp = tmp_path_factory.mktemp("browser")
    env = {"GSL_DATA_DIR": str(tmp / "var"), "GSL_LOG_LEVEL": "warning", "GSL_REDIS_URL": ""}
    srv = Server(env, tmp / "serve.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A browser tab and what it saw."""

    page: Any
    origin: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Return the requests that went anywhere but the service under test."""
        out = []
        for url in self.requests:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                out.append(url)
        return out

    def assert_clean(self) -> None:
        """Assert no console error, no uncaught exception and no request to another host."""
        assert self.console_errors == [], self.console_errors
        assert self.foreign_requests() == [], self.foreign_requests()

    def screenshot(self, name: str, full_page: bool = False) -> None:
        """Save a screenshot to ``$GSL_SCREENSHOTS/<name>.png`` when that is set."""
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full_page)


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Watched]:
    """A fresh browser tab (1280 × 860) watching console errors and requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="nl-NL")
    page = context.new_page()
    watched = Watched(page=page, origin=server.url)
    page.on(
        "console",
        lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda err: watched.console_errors.append(f"uncaught: {err}"))
    page.on("request", lambda req: watched.requests.append(req.url))
    yield watched
    context.close()
