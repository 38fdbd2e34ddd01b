"""Fixtures for API tests: the ASGI app on a real embedded engine in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsl_service.app import create_app
from gsl_service.settings import Settings


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    settings_cls: Any = Settings
    values: dict[str, Any] = {
        "data_dir": tmp,
        "redis_url": None,
        "sync_workers": 1,
        "async_workers": 2,
        "fetch_allowlist": ("127.0.0.1", "localhost"),
        "callback_backoff_s": 0.05,
        "progress_interval_s": 0.0,
        **overrides,
    }
    return settings_cls(**values)


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("api-engine"))


@pytest.fixture(scope="session")
def client(api_settings: Settings) -> Iterator[TestClient]:
    """One app (and engine) for the API tests of the session."""
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as c:
        yield c
