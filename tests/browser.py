"""Open an HTML file in headless Chromium and report what a reader would see.

Reports must work offline, so every network request the page attempts (anything but the file
itself and data: URIs) is aborted and recorded; console errors (a Content-Security-Policy
violation, a broken script) are recorded too. Tests assert both lists are empty.

Chromium is Debian's `/usr/bin/chromium` (or `SLUICEGATE_TEST_CHROMIUM`), driven by Playwright
without Playwright's own browser download. When it is missing, the test fails in CI (the `CI`
environment variable set) and is skipped elsewhere with the command that installs it, like the
contract tests' `require_service`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ENV = "SLUICEGATE_TEST_CHROMIUM"
CHROMIUM_DEFAULT = "/usr/bin/chromium"
LOAD_TIMEOUT_MS = 30_000
"""Generous: a cold Chromium on two shared cores."""

_HOW = "`apt-get install chromium` enables it (or point SLUICEGATE_TEST_CHROMIUM at a Chromium)"


@dataclass(frozen=True, slots=True)
class PageImage:
    alt: str
    natural_width: int
    natural_height: int
    src_scheme: str
    """The image source's scheme (`data` for an inlined plot)."""


@dataclass(frozen=True, slots=True)
class RenderedPage:
    title: str
    text: str
    """The body's rendered text (`innerText`): what a reader sees, markup excluded."""
    images: list[PageImage]
    blocked_requests: list[str]
    """Every URL the page tried to fetch besides itself and data: URIs; each was aborted."""
    console_errors: list[str]
    headings: list[str]


def chromium_path() -> str:
    """Chromium's executable, once known to exist; else fail in CI, skip elsewhere."""
    configured = os.environ.get(CHROMIUM_ENV)
    candidates = [configured] if configured else [CHROMIUM_DEFAULT, "chromium"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    _missing(f"Chromium is not installed ({', '.join(candidates)} not found)")
    raise AssertionError("unreachable")


def render(path: Path) -> RenderedPage:
    """Load `path` in headless Chromium with the network cut off and describe the page."""
    executable = chromium_path()
    try:
        from playwright.sync_api import Request, Route, sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (`pip install -e .[dev]`)")
        raise
    own_url = path.resolve().as_uri()
    blocked: list[str] = []
    errors: list[str] = []

    def gate(route: Route, request: Request) -> None:
        if request.url == own_url:
            route.continue_()
            return
        blocked.append(request.url)
        route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            page = browser.new_page()
            page.on("console", lambda message: _console(message.type, message.text, errors))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: _note(request.url, own_url, blocked))
            page.route("**/*", gate)
            page.goto(own_url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
            facts: dict[str, Any] = page.evaluate(
                """() => ({
                    title: document.title,
                    text: document.body.innerText,
                    headings: Array.from(document.querySelectorAll('h1, h2, h3'))
                        .map(h => h.innerText),
                    images: Array.from(document.images).map(image => ({
                        alt: image.alt,
                        width: image.naturalWidth,
                        height: image.naturalHeight,
                        scheme: image.currentSrc.split(':', 1)[0],
                    })),
                })"""
            )
        finally:
            browser.close()
    return RenderedPage(
        title=facts["title"],
        text=facts["text"],
        images=[
            PageImage(image["alt"], image["width"], image["height"], image["scheme"])
            for image in facts["images"]
        ],
        blocked_requests=sorted(set(blocked)),
        console_errors=errors,
        headings=facts["headings"],
    )


def _console(kind: str, text: str, errors: list[str]) -> None:
    if kind == "error":
        errors.append(text)


def _note(url: str, own_url: str, blocked: list[str]) -> None:
    if url != own_url and not url.startswith("data:"):
        blocked.append(url)


def _missing(why: str) -> None:
    message = f"{why}; {_HOW}."
    if os.environ.get("CI"):
        pytest.fail(f"{message} In CI the browser tests must run.", pytrace=False)
    pytest.skip(message)
