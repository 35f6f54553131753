"""Paper forms typed in by staff, in a real browser: keyboard first, checked with axe-core.

An operator copies a pile of sheets without touching the mouse: the focus starts on the
first question, the service card is typed into its list, a number key picks an option
and moves on (or toggles a box), and Ctrl+Enter saves the sheet and brings the next,
empty one. Nothing here may skip in CI (see conftest.py).
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from surveys.models import Channel, PaperBatch, Response
from surveys.services import batch_open
from tests.browser.test_public_form_a11y import focused, stored_answers

pytestmark = pytest.mark.browser


@pytest.fixture
def batch(live_survey, desk_a, staff) -> PaperBatch:
    return batch_open(
        operator=staff,
        version=live_survey.active_version,
        desk=desk_a,
        collected_on=timezone.localdate(),
        declared_count=2,
        double_entry=False,
    )


@pytest.fixture
def entry_screen(live_server, batch, staff, card_a, card_b, page: Page, log_in) -> Page:
    """The batch's entry screen, logged in as its operator (staff of unit A)."""
    log_in(page, staff)
    response = page.goto(f"{live_server.url}/surveys/paper/{batch.pk}/enter/")
    assert response is not None and response.status == 200, response
    return page


# --- helpers ---------------------------------------------------------------------------


def focus_id(page: Page) -> str:
    return focused(page)["id"]


def pick(page: Page, key: str, question: str, value_index: int, next_id: str) -> None:
    """In a radio group, a number key checks that option and moves on to the next question."""
    assert focus_id(page).startswith(f"id_q_{question}_"), f"not in {question}: {focused(page)}"
    page.keyboard.press(key)
    checked = page.locator(f'input[name="q_{question}"]:checked')
    expect(checked).to_have_count(1)
    expect(checked).to_have_id(f"id_q_{question}_{value_index}")
    assert focus_id(page) == next_id, f"key {key} in {question} moved the focus to {focused(page)}"


def toggle(page: Page, key: str, box_id: str, *, checked: bool) -> None:
    """In a group of boxes, a number key toggles that box and stays in the group."""
    page.keyboard.press(key)
    now = focused(page)
    assert (now["id"], now["checked"]) == (box_id, checked), f"after {key}: {now}"


def tab_to(page: Page, element_id: str) -> None:
    """Tab forward (skipping unanswered questions) until the focus is on #element_id."""
    seen = []
    for _ in range(15):
        page.keyboard.press("Tab")
        seen.append(focus_id(page))
        if seen[-1] == element_id:
            return
    pytest.fail(f"Tab never reached #{element_id}; visited {seen}", pytrace=False)


def save_with_ctrl_enter(page: Page, sheet: int) -> None:
    """Ctrl+Enter saves the sheet; the screen comes back with "Sheet n saved." (viewflow's
    frontend submits through Turbo, so there is no page navigation to wait for)."""
    page.keyboard.press("Control+Enter")
    saved = page.get_by_role("status").filter(has_text=f"Zapisano arkusz {sheet}.")
    expect(saved).to_be_visible()


def wait_for_the_snackbar(page: Page) -> None:
    """viewflow repeats the message in its snackbar, which fades in: axe-core would judge
    its colours half-way through (a contrast failure that no one sees), so wait for the
    end of the animation."""
    opened = "vf-snackbar.mdc-snackbar--open:not(.mdc-snackbar--opening)"
    expect(page.locator(opened)).to_have_count(1)


def assert_next_empty_sheet(page: Page, number: int) -> None:
    """After saving: the next sheet number, the first question focused, nothing ticked."""
    expect(page.locator("#id_sheet_number")).to_have_value(str(number))
    assert focus_id(page) == "id_q_service", f"focus after saving is on {focused(page)}"
    expect(page.locator("#id_q_service")).to_have_value("")
    expect(page.locator("#sheet-form input:checked")).to_have_count(0)
    expect(page.locator("#id_q_comments")).to_have_value("")


# --- the test --------------------------------------------------------------------------


def test_two_sheets_typed_with_the_keyboard_only(
    entry_screen: Page,
    assert_accessible: Callable[..., None],
    batch: PaperBatch,
    staff: Any,
    desk_a: Any,
    card_a: Any,
    card_b: Any,
):
    page = entry_screen
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wprowadzanie")
    expect(page.locator("#sheet-progress")).to_contain_text("Wprowadzono 0 z 2")
    assert_next_empty_sheet(page, 1)  # the first sheet: number 1 prefilled, focus on Q1
    assert_accessible(page, "the empty paper-entry screen")

    # Sheet 1. The card code typed into the closed list picks that card.
    page.keyboard.type("B-01")
    expect(page.locator("#id_q_service")).to_have_value("B-01")
    tab_to(page, "id_q_card_read_0")
    pick(page, "2", "card_read", 1, "id_q_card_useful_0")  # office
    pick(page, "1", "card_useful", 0, "id_q_card_clear_0")  # yes
    pick(page, "2", "card_clear", 1, "id_q_card_complete_0")  # no
    pick(page, "2", "card_complete", 1, "id_q_card_missing_0")  # no
    toggle(page, "1", "id_q_card_missing_0", checked=True)  # documents…
    toggle(page, "1", "id_q_card_missing_0", checked=False)  # …no, a typo: off again
    toggle(page, "2", "id_q_card_missing_1", checked=True)  # fees
    toggle(page, "6", "id_q_card_missing_5", checked=True)  # sample form
    tab_to(page, "id_q_card_missing_text")
    page.keyboard.type("Brak wzoru")
    tab_to(page, "id_q_settled_0")
    pick(page, "2", "settled", 1, "id_q_staff_competence_0")  # partly
    pick(page, "1", "staff_competence", 0, "id_q_staff_courtesy_0")  # 5
    pick(page, "2", "staff_courtesy", 1, "id_q_plain_language_0")  # 4
    pick(page, "6", "plain_language", 5, "id_q_waiting_time_0")  # not applicable
    pick(page, "3", "waiting_time", 2, "id_q_comments")  # 3
    page.keyboard.type("Miła obsługa")
    save_with_ctrl_enter(page, 1)
    expect(page.locator("#sheet-progress")).to_contain_text("Wprowadzono 1 z 2")
    assert_next_empty_sheet(page, 2)
    wait_for_the_snackbar(page)
    assert_accessible(page, "the entry screen after saving a sheet")

    # Sheet 2: a short one; Tab passes the questions left blank on the paper.
    page.keyboard.type("A-01")
    expect(page.locator("#id_q_service")).to_have_value("A-01")
    tab_to(page, "id_q_card_read_0")
    pick(page, "4", "card_read", 3, "id_q_card_useful_0")  # no
    tab_to(page, "id_q_settled_0")
    pick(page, "1", "settled", 0, "id_q_staff_competence_0")  # yes
    pick(page, "5", "staff_competence", 4, "id_q_staff_courtesy_0")  # 1
    save_with_ctrl_enter(page, 2)
    expect(page.locator("#sheet-progress")).to_contain_text("Wprowadzono 2 z 2")
    assert_next_empty_sheet(page, 3)

    stored = list(Response.objects.order_by("sheet_number"))
    assert [(r.channel, r.sheet_number) for r in stored] == [(Channel.PAPER, 1), (Channel.PAPER, 2)]
    for response in stored:
        assert (response.batch, response.desk, response.entered_by) == (batch, desk_a, staff)
        assert response.submitted_on == batch.collected_on
    assert [r.service_card for r in stored] == [card_b, card_a]
    first, second = (stored_answers(r) for r in stored)
    first.pop("service", None)  # kept on the response itself, checked above
    second.pop("service", None)
    assert first == {
        "card_read": ["office"],
        "card_useful": ["yes"],
        "card_clear": ["no"],
        "card_complete": ["no"],
        "card_missing": ["fees", "sample_form"],
        "card_missing_text": ["Brak wzoru"],
        "settled": ["partly"],
        "staff_competence": ["5"],
        "staff_courtesy": ["4"],
        "plain_language": ["na"],
        "waiting_time": ["3"],
        "comments": ["Miła obsługa"],
    }
    assert second == {"card_read": ["no"], "settled": ["yes"], "staff_competence": ["1"]}
