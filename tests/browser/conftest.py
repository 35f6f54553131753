"""Real-browser fixtures: Debian Chromium driven by Playwright, checked with axe-core.

Without Chromium every browser test skips with the install hint. With
QMS_REQUIRE_BROWSER_TESTS=1 (set by .ci/run) a missing browser fails the tests
instead, and so does any other skip or xfail in this folder: CI must not go green
without having driven a real browser. QMS_CHROMIUM=/path overrides the browser
binary (used as given, no fallback), e.g. to check the policy with a missing one.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

REQUIRE_ENV = "QMS_REQUIRE_BROWSER_TESTS"
CHROMIUM_ENV = "QMS_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
MISSING_CHROMIUM = "Chromium not installed: apt-get install chromium chromium-driver"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000


def browser_tests_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def chromium_executable() -> str | None:
    """The Chromium binary to drive, or None when there is none."""
    configured = os.environ.get(CHROMIUM_ENV, "").strip()
    candidates = [configured] if configured else [DEFAULT_CHROMIUM, shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under QMS_REQUIRE_BROWSER_TESTS=1 nothing in tests/browser may skip or xfail.

    A conftest hook sees only the items below its folder, so the rest of the suite
    keeps its own skips.
    """
    report = yield
    if browser_tests_required() and report.skipped:
        why = getattr(report, "wasxfail", "") or (
            report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        )
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ENV}=1: browser tests must run, but this one skipped: {why}"
    return report


@pytest.fixture(scope="package")
def chromium_path() -> str:
    """The skip-or-fail decision, made once for the folder."""
    path = chromium_executable()
    if path is None:
        if browser_tests_required():
            pytest.fail(f"{MISSING_CHROMIUM} ({REQUIRE_ENV}=1 forbids skipping)", pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    return path


@pytest.fixture(scope="package")
def playwright(chromium_path: str) -> Iterator[Playwright]:
    """Playwright for this folder only (package scope, not session).

    Between its calls the sync API leaves its event loop marked as running in this
    thread, so Django's async-safety check would refuse the ORM (fixtures, the flush
    after each transactional test). DJANGO_ALLOW_ASYNC_UNSAFE is set exactly while
    Playwright lives, and both end with the last browser test: the rest of the suite
    runs with neither.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for all browser tests; each test gets its own context."""
    browser = playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (no shared cookies or cache); closed after the test.

    Uncaught JavaScript errors fail the test, and so does a stylesheet or script that
    does not load: axe would otherwise judge an unstyled page. (Pages themselves may
    answer 4xx: the form answers 422 to a missing answer.)
    """
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def check_response(response: Response) -> None:
        request = response.request
        own = not request.url.endswith("/favicon.ico")  # the browser asks for it itself
        if response.status >= 400 and own and not request.is_navigation_request():
            problems.append(f"HTTP {response.status} for {request.url}")

    def make(**context_options: Any) -> Page:
        options = {"viewport": DESKTOP, "locale": "pl-PL", **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("response", check_response)
        page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop-sized page (1280×800, Polish browser locale)."""
    return new_page()
