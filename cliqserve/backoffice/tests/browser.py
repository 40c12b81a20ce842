"""Headless Chromium for the browser tests: Debian's own build, driven by Playwright.

Playwright's own browser download cannot work here, so the tests drive `/usr/bin/chromium`
(`apt-get install chromium`; `.ci/run` installs it when missing). Without it the tests are
skipped with that reason — except under BROWSER_TESTS=required (CI), where a missing browser
fails them: CI must never pass by skipping the browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
REQUIRED = os.environ.get("BROWSER_TESTS", "").lower() == "required"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots are CI output: kept by the run, ignored by git.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ".ci-artifacts/screenshots"))
# A tablet held in landscape: the size the back office is designed for first.
TABLET = {"width": 1180, "height": 820}


def missing_reason() -> str | None:
    if CHROMIUM.exists():
        return None
    return f"no Chromium at {CHROMIUM} (apt-get install chromium; CI sets BROWSER_TESTS=required)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (per xdist worker), closed when the module's tests are done.

    Playwright's sync API keeps an asyncio loop running in the test's thread, which makes
    Django's guard refuse every ORM call the test makes itself; the test's own calls are
    synchronous, so the guard is lifted while the browser runs — and only then: the variable
    must not outlive the module (a later test's `check --deploy` subprocess would inherit it)."""
    reason = missing_reason()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"BROWSER_TESTS=required but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        monkeypatch.undo()


class Tab:
    """A page in a fresh browser context, collecting every console error and uncaught exception."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(viewport=TABLET, base_url=base_url, locale="en-US")
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def open(self, path: str) -> Any:
        response = self.page.goto(path, wait_until="load")
        assert response is not None
        return response

    def sign_in(self, email: str, password: str) -> None:
        self.open("/backoffice/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in").click()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
