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
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from surveys.models import Desk
from surveys.services import questionnaire_install_default

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
def allowed_navigation_failures() -> list[str]:
    """Navigation failures (Playwright's `request.failure`) a test expects, none by default.

    Going Back to a page that was the answer to a POST makes the browser ask before
    sending the form again ("net::ERR_CACHE_MISS"): a test that does so on purpose adds
    that here, and `new_page` does not count it as a problem.
    """
    return []


@pytest.fixture
def new_page(
    browser: Browser, allowed_navigation_failures: list[str]
) -> Iterator[Callable[..., Page]]:
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

    def check_failure(request: Request) -> None:
        expected = request.failure in allowed_navigation_failures
        if not (expected and request.is_navigation_request()):
            problems.append(f"failed: {request.url}")

    def make(**context_options: Any) -> Page:
        options = {"viewport": DESKTOP, "locale": "pl-PL", **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("response", check_response)
        page.on("requestfailed", check_failure)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop-sized page (1280×800, Polish browser locale)."""
    return new_page()


# --- shared by the kiosk and paper-entry tests -------------------------------------------

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_report(page: Page, where: str, tags: list[str], include: str | None = None) -> str:
    """axe-core on the page as it is now (or on the `include` selector only): one readable
    line per problem, or "" when there is none."""
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    context = {"include": [[include]]} if include else None
    violations = Axe().run(page, context=context, options=options).response["violations"]
    if not violations:
        return ""
    scope = f" in {include}" if include else ""
    lines = [f"axe: {len(violations)} accessibility violation(s){scope} on {where} ({page.url}):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible() -> Callable[..., None]:
    """`assert_accessible(page, where, tags=WCAG21_AA, include=None)`: fail on any axe
    violation, by default of WCAG 2.1 A/AA only (the staff pages' viewflow chrome is not
    ours to fix for best practices)."""

    def check(
        page: Page, where: str, *, tags: list[str] = WCAG21_AA, include: str | None = None
    ) -> None:
        report = axe_report(page, where, tags, include)
        if report:
            pytest.fail(report, pytrace=False)

    return check


@pytest.fixture
def live_survey(transactional_db: None, card_a: Any) -> Any:
    """The default questionnaire, open, installed for the live server (card A-01 exists)."""
    return questionnaire_install_default()


@pytest.fixture
def desk_a(unit_a: Any) -> Desk:
    return Desk.objects.create(code="A-1", name="Stanowisko A1", unit=unit_a)


@pytest.fixture
def log_in(live_server: Any) -> Callable[[Page, Any], None]:
    """`log_in(page, user)`: the page's browser context gets that user's session cookie
    (no login form: it is not what these tests are about)."""

    def go(page: Page, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return go


@pytest.fixture(autouse=True)
def _fresh_open_versions() -> Iterator[None]:
    """The public form remembers open versions per process; each test starts without."""
    from surveys.selectors import forget_open_versions

    forget_open_versions()
    yield
    forget_open_versions()
