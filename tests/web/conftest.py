"""Fixtures of the web view's tests (helpers: ``tests.web.weblab``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.weblab import CHROMIUM, CHROMIUM_ARGS, Running, browser_missing, serve_lab


@pytest.fixture
def vlan_trunk() -> Iterator[Running]:
    yield from serve_lab("vlan-trunk.yaml")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    """A fresh chromium page; console errors and page errors collected on ``page.errors``."""
    why = browser_missing()
    if why is not None:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1500, "height": 950})
        try:
            page = ctx.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.errors = errors
            yield page
        finally:
            ctx.close()
