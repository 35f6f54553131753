"""The desk tablet (kiosk) in a real browser: axe-core, the idle warning, starting over.

One tablet serves one client after another, so nobody may see the previous client's
answers: not after the thank-you page, not after walking away, not with the Back button.

The page's timers run on Playwright's fake clock, paused: the test moves time on
exactly (`clock.run_for`) instead of sleeping, so the idle and countdown steps are
both fast and exact. axe-core needs running timers itself, so the clock runs while it
does (`clock_running`), with every kiosk timer far enough off not to fire meanwhile.
Nothing here may skip in CI (see conftest.py).
"""

import datetime
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from surveys.models import Channel, Response
from tests.browser.test_public_form_a11y import (
    AXE_TAGS,
    NEXT,
    SEND,
    SERVICE,
    fill_page_one,
    fill_page_two,
    focused,
    progress,
)

pytestmark = pytest.mark.browser

IDLE = 30  # seconds without input before the warning
WARNING = 20  # seconds the warning counts down before the form is cleared
THANKS = 8  # seconds the thank-you page stays
START = datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC)  # on the fake clock
WEB = "Tak, na stronie internetowej / w BIP"
MORE_TIME = "Tak, potrzebuję więcej czasu"


@pytest.fixture
def kiosk_timing(settings) -> None:
    """Known timings, whatever the environment says (the views read them per request)."""
    settings.SURVEY_KIOSK_IDLE_SECONDS = IDLE
    settings.SURVEY_KIOSK_WARNING_SECONDS = WARNING
    settings.SURVEY_KIOSK_THANKS_SECONDS = THANKS


@pytest.fixture
def kiosk_start(live_server, live_survey, desk_a, kiosk_timing) -> str:
    """The tablet's address: the questionnaire's kiosk link of desk A-1."""
    return f"{live_server.url}/ankieta/{live_survey.slug}/kiosk/{desk_a.kiosk_key}/"


@pytest.fixture
def kiosk(kiosk_start: str, page: Page) -> Page:
    """The tablet, showing an empty form, with its timers on a paused fake clock."""
    page.clock.install(time=START)
    page.clock.pause_at(START + datetime.timedelta(minutes=1))  # no page, no timers yet
    response = page.goto(kiosk_start)
    assert response is not None and response.status == 200, response
    return page


# --- helpers ---------------------------------------------------------------------------


def seconds(page: Page, value: float) -> None:
    """Let `value` seconds pass on the tablet (timers fire, nothing real waits)."""
    page.clock.run_for(round(value * 1000))


@contextmanager
def clock_running(page: Page) -> Iterator[None]:
    """Let the fake clock run in real time meanwhile (axe-core waits on timers itself)."""
    page.clock.resume()
    try:
        yield
    finally:
        pause_now(page)


def pause_now(page: Page) -> None:
    """Pause the running fake clock about where it is (it cannot pause in the past)."""
    for _ in range(5):
        now_ms = page.evaluate("Date.now()")
        now = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC)
        try:
            page.clock.pause_at(now + datetime.timedelta(milliseconds=200))
            return
        except PlaywrightError as error:  # a slow machine: the clock ran past it meanwhile
            if "to the past" not in str(error):
                raise
    pytest.fail("could not pause the fake clock", pytrace=False)


def shown_answers(page: Page) -> list[str]:
    """Every answer the page shows: ticked options, chosen list items, typed text."""
    return page.evaluate(
        """() => {
            const shown = [];
            for (const el of document.querySelectorAll('input, select, textarea')) {
                if (el.type === 'hidden' || el.closest('[aria-hidden="true"]')) continue;
                if (el.type === 'radio' || el.type === 'checkbox') {
                    if (el.checked) shown.push(`${el.name}=${el.value} (ticked)`);
                } else if (el.value) {
                    shown.push(`${el.name || el.id}=${el.value}`);
                }
            }
            return shown;
        }"""
    )


def assert_empty_form(page: Page, kiosk_start: str, where: str) -> None:
    """The kiosk's first page, fresh: nothing answered, nothing selected."""
    assert page.url == f"{kiosk_start}?jezyk=pl", f"{where}: the tablet is at {page.url}"
    expect(page.get_by_label(SERVICE)).to_have_value("")
    assert progress(page) == "Strona 1 z 2", where
    assert shown_answers(page) == [], f"{where}: previous answers are shown"


def answer_both_pages_and_send(page: Page) -> None:
    fill_page_one(page)
    with page.expect_navigation():
        page.get_by_role("button", name=NEXT).click()
    assert progress(page) == "Strona 2 z 2"
    fill_page_two(page)
    page.get_by_role("button", name=SEND).click()
    page.wait_for_url(re.compile(r"/kiosk/[0-9a-f-]+/dziekujemy/\?jezyk=pl$"))


def warning_dialog(page: Page):
    return page.get_by_role("alertdialog", name="Czy potrzebuje Pan/Pani więcej czasu?")


def countdown(page: Page) -> str:
    return page.locator("#kiosk-countdown").inner_text()


def kiosk_responses(desk: Any) -> list[Response]:
    return list(Response.objects.filter(channel=Channel.KIOSK, desk=desk))


# --- 1. a whole survey, the thank-you page, and the next client --------------------------


def test_survey_thanks_then_an_empty_form_even_with_back(
    kiosk: Page,
    kiosk_start: str,
    desk_a,
    card_a,
    assert_accessible: Callable[..., None],
    allowed_navigation_failures: list[str],
):
    page = kiosk
    expect(page.locator("#kiosk-notice")).to_contain_text(
        f"Po {IDLE} sekundach bez aktywności zapyta, czy potrzebny jest dodatkowy czas, "
        f"a {WARNING} sekund później wyczyści formularz"
    )
    expect(warning_dialog(page)).to_be_hidden()
    with clock_running(page):
        assert_accessible(page, "page 1 of the kiosk form", tags=AXE_TAGS)

    answer_both_pages_and_send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy za wypełnienie ankiety")
    expect(page.get_by_role("status")).to_contain_text(
        f"Formularz będzie gotowy dla kolejnej osoby za {THANKS} s."
    )
    with clock_running(page):
        assert_accessible(page, "the kiosk thank-you page", tags=AXE_TAGS)
    assert len(kiosk_responses(desk_a)) == 1

    # The countdown runs out: the next client gets an empty form, not the last answers.
    left = int(countdown(page))  # axe took a moment of real time on the running clock
    seconds(page, left - 1)
    assert countdown(page) == "1"
    assert "/dziekujemy/" in page.url
    seconds(page, 1)
    page.wait_for_url(f"{kiosk_start}?jezyk=pl")
    assert_empty_form(page, kiosk_start, "after the thank-you page")

    # The next client presses Back. The tab's history: page 1 (a GET), page 2 (the answer
    # to page 1's POST), then the thank-you page, replaced by this fresh form. Back to the
    # POST's page gets the browser's "confirm form resubmission" page (the form pages are
    # never cached): fine, as long as it shows no answers. Back once more: page 1, fresh.
    allowed_navigation_failures.append("net::ERR_CACHE_MISS")
    with (
        page.expect_event("framenavigated", lambda frame: frame == page.main_frame),
        pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"),
    ):
        page.go_back()
    page.wait_for_load_state()
    assert shown_answers(page) == [], "Back shows the previous answers (page 2)"
    expect(page.get_by_label(SERVICE)).to_have_count(0)
    page.go_back()
    assert page.url == kiosk_start
    assert shown_answers(page) == [], "Back shows the previous answers (page 1)"
    assert progress(page) == "Strona 1 z 2"
    assert len(kiosk_responses(desk_a)) == 1, "going back stored or changed responses"

    # The next client answers right there and sends: a second response, from this desk.
    answer_both_pages_and_send(page)
    stored = kiosk_responses(desk_a)
    assert len(stored) == 2
    assert Response.objects.count() == 2  # none stored in another channel or for another desk
    assert {(r.service_card, r.entered_by) for r in stored} == {(card_a, None)}


# --- 2. walking away ---------------------------------------------------------------------


def start_answering(page: Page) -> list[str]:
    """Choose the service and tick the first answer (the focus stays on it); what is shown."""
    page.get_by_label(SERVICE).select_option("A-01")
    page.get_by_label(WEB).check()
    answers = ["q_service=A-01", "q_card_read=web (ticked)"]
    assert shown_answers(page) == answers
    return answers


def wait_for_the_warning(page: Page) -> None:
    """A quiet spell: just before the idle time nothing happens; then the warning, with the
    focus on its "more time" button."""
    seconds(page, IDLE - 1)
    expect(warning_dialog(page)).to_be_hidden()
    seconds(page, 1)
    expect(warning_dialog(page)).to_be_visible()
    expect(warning_dialog(page).get_by_role("button", name=MORE_TIME)).to_be_focused()


def test_idle_warning_keeps_answers_on_request_and_otherwise_clears_the_form(
    kiosk: Page, kiosk_start: str, desk_a, assert_accessible: Callable[..., None]
):
    page = kiosk
    answers = start_answering(page)
    dialog = warning_dialog(page)

    wait_for_the_warning(page)
    assert countdown(page) == str(WARNING)
    expect(dialog).to_have_accessible_description(
        f"Formularz zostanie wyczyszczony dla kolejnej osoby za {WARNING} s."
    )
    seconds(page, 5)
    assert countdown(page) == str(WARNING - 5)
    with clock_running(page):
        assert_accessible(page, "the kiosk's idle warning", tags=AXE_TAGS)
    expect(dialog).to_be_visible()

    # Enter on "more time": the warning goes and the answers stay.
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert page.url == kiosk_start
    assert shown_answers(page) == answers

    # The idle time starts over; next time Space on "more time" does the same.
    wait_for_the_warning(page)
    page.keyboard.press("Space")
    expect(dialog).to_be_hidden()
    assert page.url == kiosk_start
    assert shown_answers(page) == answers

    # Then nobody answers the warning: the form is cleared for the next person.
    wait_for_the_warning(page)
    seconds(page, WARNING - 1)
    assert countdown(page) == "1"
    assert page.url == kiosk_start, "cleared before the countdown ran out"
    seconds(page, 1)
    page.wait_for_url(f"{kiosk_start}?jezyk=pl")
    assert_empty_form(page, kiosk_start, "after the idle warning ran out")
    expect(dialog).to_be_hidden()
    assert kiosk_responses(desk_a) == []


def test_closing_the_idle_warning_puts_the_focus_back_on_the_answer(kiosk: Page, kiosk_start):
    """WCAG 2.4.3: after "more time" the keyboard user goes on where they were, not from
    <body> (the top of the page) or from the hidden button (nowhere)."""
    page = kiosk
    answers = start_answering(page)
    for key in ("Enter", "Space"):
        assert focused(page)["id"] == "id_q_card_read_0"
        wait_for_the_warning(page)
        page.keyboard.press(key)
        expect(warning_dialog(page)).to_be_hidden()
        now = focused(page)
        assert now["id"] == "id_q_card_read_0", f"after {key} on 'more time' the focus is on {now}"
        # The key closed the warning and did nothing else: not sent, not changed.
        assert page.url == kiosk_start
        assert shown_answers(page) == answers
