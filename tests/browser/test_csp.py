"""The Content-Security-Policy in a real browser: no page we serve breaks it.

A violation shows up twice: as a `securitypolicyviolation` event in the page and as a
console error. Both are collected from the first script of every document on. The staff
pages are walked the way people use them: signing in through the form, then following
links, which viewflow's Turbo turns into body swaps inside one document (and policy),
and loading pages directly; the public form anonymously, in both languages.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from workflows.models import Source
from workflows.services import nonconformity_register

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = window.__cspViolations || [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
}, true);
"""


@pytest.fixture
def nc(live_survey: Any, coordinator: Any, head_a: Any, card_a: Any) -> Any:
    return nonconformity_register(
        user=coordinator,
        title="Karta A-01 nie podaje opłat",
        description="Klienci nie wiedzą, ile zapłacić.",
        source=Source.SURVEY,
        unit=card_a.unit,
        service_card=card_a,
        evidence_summary="Kompletność karty: 52 %",
    )


@pytest.fixture
def watched(new_page: Callable[..., Page]) -> Callable[..., tuple[Page, list[str]]]:
    """`watched()`: a new page and the list its CSP violations are reported into."""

    def make(**options: Any) -> tuple[Page, list[str]]:
        page = new_page(**options)
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in (
                message.text
            ):
                problems.append(f"console: {message.text}")

        page.on("console", on_console)
        page.add_init_script(WATCH_VIOLATIONS)
        return page, problems

    return make


def violations_so_far(page: Page, problems: list[str]) -> list[str]:
    return problems + page.evaluate("window.__cspViolations || []")


def test_staff_pages_keep_the_policy_through_sign_in_and_turbo_visits(
    live_server: Any, nc: Any, watched: Callable[..., tuple[Page, list[str]]]
) -> None:
    page, problems = watched()
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert response is not None
    script_src = re.search(r"script-src([^;]*)", response.headers["content-security-policy"])
    assert script_src and "'unsafe-inline'" not in script_src.group(1)
    page.get_by_label("Nazwa użytkownika").fill("coordinator")
    page.get_by_label("Hasło").fill("password")
    page.get_by_role("button", name="Zaloguj się").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    seen = violations_so_far(page, problems)

    # Links from here on are Turbo visits: the document (and its policy) stays.
    page.evaluate("window.__sameDocument = true")
    page.locator("a:visible", has_text="Niezgodności").first.click()
    expect(page).to_have_url(re.compile(r"/nonconformities/$"))
    page.locator("a:visible", has_text=nc.number).first.click()
    expect(page).to_have_url(re.compile(rf"/nonconformities/{nc.pk}/$"))
    expect(page.get_by_text(nc.title).first).to_be_visible()
    page.locator("a:visible", has_text="Pulpit").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert page.evaluate("window.__sameDocument === true"), "expected Turbo visits"
    seen += violations_so_far(page, problems)

    # The same pages loaded in full.
    for path in ("/nonconformities/", f"/nonconformities/{nc.pk}/", "/dashboard/"):
        problems.clear()
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        seen += violations_so_far(page, problems)
    assert not seen, "CSP violations:\n" + "\n".join(seen)


def test_the_public_form_keeps_the_policy_in_both_languages(
    live_server: Any, live_survey: Any, watched: Callable[..., tuple[Page, list[str]]]
) -> None:
    page, problems = watched()
    url = f"{live_server.url}/ankieta/{live_survey.slug}/"
    response = page.goto(url)
    assert response is not None and "'nonce-" in response.headers["content-security-policy"]
    seen = violations_so_far(page, problems)
    # The language switch is our inline script: it posts the form (answers kept).
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == url, "the inline script did not run: the link was followed"
    seen += violations_so_far(page, problems)
    problems.clear()
    english = page.goto(f"{url}?jezyk=en")
    assert english is not None and english.headers["content-language"] == "en"
    seen += violations_so_far(page, problems)
    assert not seen, "CSP violations:\n" + "\n".join(seen)
