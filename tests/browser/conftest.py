"""Playwright driving Debian's Chromium against a live server.

Never downloads a browser: without /usr/bin/chromium these tests are skipped, and
`make test-browser` installs it. Each test gets a fresh, empty profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("BACKHAUL_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives Chromium with Playwright (skipped without it; make test-browser)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed: run `make test-browser`")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _async_unsafe_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Watched:
    """A page whose console errors, page errors and server tracebacks are collected."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        self.shots = 0
        page.on("console", self.on_console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("load", lambda p: self.check_no_traceback())

    def on_console(self, message: Any) -> None:
        # The browser asks for /favicon.ico on its own; its 404 is not a page's error.
        if message.type != "error" or message.location.get("url", "").endswith("/favicon.ico"):
            return
        self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def check_no_traceback(self) -> None:
        body = self.page.content()
        for sign in ("Traceback (most recent call last)", "Server Error (500)"):
            if sign in body:
                self.errors.append(f"{self.page.url}: {sign}")

    def shot(self, label: str) -> None:
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=str(SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True
        )


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def watch(browser: Any) -> Iterator[Any]:
    pages: list[Watched] = []

    def open_page(name: str) -> Watched:
        watched = Watched(browser.new_page(), name)
        pages.append(watched)
        return watched

    yield open_page
    problems = [e for p in pages for e in p.errors]
    assert not problems, "\n".join(problems)
