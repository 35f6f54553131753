"""The public survey form in a real browser: axe-core (WCAG 2.1 A/AA), keyboard, phone.

The form is for every client of the office, so it is checked the way people use it:
with a screen reader's view of the page (axe), with the keyboard only, and on a
phone-sized screen. Nothing here may skip in CI (see conftest.py).
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from surveys.models import Response
from surveys.services import questionnaire_install_default

pytestmark = pytest.mark.browser

FORM = "/ankieta/karty-uslug/"
THANKS = "/ankieta/dziekujemy/"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 375, "height": 740}

SERVICE = "W jakiej sprawie"
CARD_READ = "Czy przed załatwieniem sprawy"
NEXT = "Dalej"
SEND = "Wyślij ankietę"
REQUIRED_MESSAGE = "Prosimy odpowiedzieć na to pytanie."


@pytest.fixture
def survey(transactional_db, card_a):
    """The default questionnaire, open, with one active service card to choose."""
    return questionnaire_install_default()


@pytest.fixture
def open_form(live_server, survey, page: Page) -> Callable[..., Page]:
    def go(query: str = "", on: Page = page) -> Page:
        response = on.goto(f"{live_server.url}{FORM}{query}")
        assert response is not None and response.status == 200, response
        return on

    return go


# --- helpers --------------------------------------------------------------------------


def assert_no_axe_violations(page: Page, where: str) -> None:
    """Run axe-core on the page as it is now; fail with one readable line per problem."""
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    violations = Axe().run(page, options=options).response["violations"]
    if not violations:
        return
    lines = [f"axe: {len(violations)} accessibility violation(s) on {where} ({page.url}):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)


def assert_no_dangling_references(page: Page, where: str) -> None:
    """Every id named by aria-describedby / aria-labelledby / label[for] is on the page.

    axe only asks for one of several ids to exist; a missing one silently drops a
    hint or an error message from what a screen reader announces.
    """
    dangling = page.evaluate(
        """() => {
            const bad = [];
            for (const attr of ['aria-describedby', 'aria-labelledby']) {
                for (const el of document.querySelectorAll(`[${attr}]`)) {
                    for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                        if (!document.getElementById(id)) {
                            bad.push(`<${el.tagName.toLowerCase()} id="${el.id}"> ${attr}="${id}"`);
                        }
                    }
                }
            }
            for (const label of document.querySelectorAll('label[for]')) {
                const id = label.htmlFor;
                if (!document.getElementById(id)) bad.push(`label for="${id}"`);
            }
            return bad;
        }"""
    )
    assert not dangling, f"{where}: references to ids that are not on the page: {dangling}"


def progress(page: Page) -> str:
    return page.locator("#progress").inner_text()


def fill_page_one(page: Page) -> None:
    """Answer page 1 the ordinary way (mouse-style API); the keyboard test does it by hand."""
    page.get_by_label(SERVICE).select_option("A-01")
    page.get_by_label("Tak, na stronie internetowej / w BIP").check()
    page.get_by_role("group", name="Czy karta usługi była przydatna?").get_by_label("Tak").check()
    page.get_by_role("group", name="Czy karta usługi była zrozumiała?").get_by_label("Tak").check()
    complete = page.get_by_role("group", name="Czy karta zawierała wszystkie potrzebne")
    complete.get_by_label("Nie").check()
    page.get_by_label("Opłat").check()
    page.get_by_label("Jakich ważnych informacji brakowało?").fill("Brak wzoru wniosku")


def fill_page_two(page: Page) -> None:
    page.get_by_role("group", name="Czy sprawa została załatwiona").get_by_label("Tak").check()
    for question, answer in [
        ("Jak ocenia Pan/Pani kompetencje pracownika?", "Bardzo dobrze"),
        ("Jak ocenia Pan/Pani uprzejmość pracownika?", "Dobrze"),
        ("Jak ocenia Pan/Pani zrozumiałość języka", "Nie dotyczy"),
        ("Jak ocenia Pan/Pani czas oczekiwania", "Przeciętnie"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def press(page: Page, key: str) -> dict[str, Any]:
    """Press one key and describe the element that has the focus afterwards."""
    page.keyboard.press(key)
    return focused(page)


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "",
                type: el.type || "", value: el.value ?? "", checked: !!el.checked,
                text: (el.innerText || "").trim().slice(0, 60),
                outline: [style.outlineStyle, style.outlineWidth],
                shadow: style.boxShadow,
            };
        }"""
    )


def assert_focus(page: Page, key: str, element_id: str) -> dict[str, Any]:
    """Press `key` and require the focus to land on #element_id (the focus order)."""
    now = press(page, key)
    assert now["id"] == element_id, f"{key} moved the focus to {now}, expected #{element_id}"
    return now


def assert_focus_visible(state: dict[str, Any]) -> None:
    """The focused element draws a focus indicator: an outline or a box shadow."""
    style, width = state["outline"]
    has_outline = style != "none" and width not in ("0px", "")
    has_shadow = state["shadow"] not in ("none", "")
    assert has_outline or has_shadow, f"no visible focus indicator on {state}"


def tab_until(page: Page, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    """Tab forward (a few times at most) until the focus is on `what`."""
    seen = []
    for _ in range(8):
        now = press(page, "Tab")
        if wanted(now):
            return now
        seen.append(f"{now['tag']}#{now['id']}:{now['text'] or now['value']}")
    pytest.fail(f"Tab never reached {what}; visited {seen}", pytrace=False)


def tab_to_button(page: Page, label: str) -> dict[str, Any]:
    return tab_until(page, lambda el: el["tag"] == "button" and el["text"] == label, label)


def stored_answers(response: Response) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for answer in response.answers.select_related("question", "choice"):
        if answer.choice is not None:
            value = answer.choice.value
        elif answer.number is not None:
            value = str(answer.number)
        else:
            value = answer.text
        answers.setdefault(answer.question.key, []).append(value)
    return {key: sorted(values) for key, values in answers.items()}


# --- 1. the empty form, both languages -------------------------------------------------


def test_empty_form_has_no_axe_violations_in_polish(open_form):
    page = open_form()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ankieta: karty usług Urzędu")
    assert progress(page) == "Strona 1 z 2"
    assert_no_axe_violations(page, "page 1 of the empty form (Polish)")


def test_empty_form_has_no_axe_violations_in_english(open_form):
    page = open_form("?jezyk=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Survey: the office's service cards")
    expect(page.get_by_label("What matter did you come to the office about?")).to_be_visible()
    assert_no_axe_violations(page, "page 1 of the empty form (English)")


# --- 2. the error state ------------------------------------------------------------------


def test_error_summary_is_accessible_focused_and_links_to_the_fields(open_form):
    page = open_form()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=NEXT).click()
    assert navigation.value.status == 422

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(REQUIRED_MESSAGE)
    assert page.evaluate(
        "() => document.getElementById('error-summary').contains(document.activeElement)"
    ), f"focus is on {focused(page)}, not on the error summary"
    assert_focus_visible(focused(page))

    # Each link leads to a question that exists: the field itself, its <label>, or the
    # <legend> of its fieldset; resolved here to the form control it stands for.
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll('#error-summary a')).map(a => {
            const href = a.getAttribute('href') || '';
            const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
            let control = null;
            if (target && target.matches('input, select, textarea')) control = target;
            else if (target && target.tagName === 'LABEL') control = target.control;
            else if (target && target.tagName === 'LEGEND')
                control = target.closest('fieldset').querySelector('input, select, textarea');
            return {href, target: target ? target.tagName.toLowerCase() : null,
                    control: control ? control.name : null};
        })"""
    )
    assert links, "the error summary has no links"
    unresolved = [link for link in links if link["control"] is None]
    assert not unresolved, f"error summary links to no field: {unresolved}"
    assert {link["control"] for link in links} == {"q_service", "q_card_read"}

    # Keyboard: from the summary, Tab to the first link, follow it, and the next Tab
    # lands on that question's field.
    first = press(page, "Tab")
    assert first["tag"] == "a" and first["text"].startswith("W jakiej sprawie"), first
    assert_focus_visible(first)
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == links[0]["href"]
    assert_focus(page, "Tab", "id_q_service-filter")  # the list's search box comes first
    assert_focus(page, "Tab", "id_q_service")

    assert_no_axe_violations(page, "page 1 with the error summary")


def test_hints_and_errors_are_announced_with_their_field(open_form):
    """A field's hint and error message are in its accessible description (WCAG 1.3.1, 3.3.1)."""
    page = open_form()
    assert_no_dangling_references(page, "the empty form")
    service = page.get_by_label(SERVICE)
    expect(service).to_have_accessible_description(re.compile("Wybierz usługę z katalogu"))

    with page.expect_navigation():
        page.get_by_role("button", name=NEXT).click()
    assert_no_dangling_references(page, "the error state")
    expect(service).to_have_accessible_description(re.compile(re.escape(REQUIRED_MESSAGE)))
    expect(page.get_by_role("group", name=re.compile(CARD_READ))).to_have_accessible_description(
        re.compile(re.escape(REQUIRED_MESSAGE))
    )


# --- 3. page 2 and the thank-you page ----------------------------------------------------


def test_page_two_and_thank_you_page_have_no_axe_violations(open_form, card_a):
    page = open_form()
    fill_page_one(page)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=NEXT).click()
    assert navigation.value.status == 200
    assert progress(page) == "Strona 2 z 2"
    assert_no_axe_violations(page, "page 2")

    fill_page_two(page)
    page.get_by_label("Uwagi i propozycje").fill("Dziękuję")
    page.get_by_role("button", name=SEND).click()
    page.wait_for_url(f"**{THANKS}*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy za wypełnienie ankiety")
    assert_no_axe_violations(page, "the thank-you page")

    assert Response.objects.count() == 1
    stored = Response.objects.get()
    assert stored.service_card == card_a
    assert stored_answers(stored)["comments"] == ["Dziękuję"]


# --- 4. keyboard only --------------------------------------------------------------------


def test_whole_survey_with_the_keyboard_only(open_form, card_a):
    """Tab, Shift+Tab, Space, arrows, Enter and typing: no clicks, no fill(), no check()."""
    page = open_form()

    # Page 1. The skip link comes first, shows its focus, and jumps into the survey.
    skip = press(page, "Tab")
    assert skip["tag"] == "a" and skip["text"] == "Przejdź do ankiety", skip
    assert_focus_visible(skip)
    assert press(page, "Enter")["id"] == "main"

    search = assert_focus(page, "Tab", "id_q_service-filter")
    assert_focus_visible(search)
    page.keyboard.type("zaświadcz")  # narrows the list; the count is announced politely
    expect(page.locator("#id_q_service-count")).to_have_text("Pasujących spraw: 1")
    service = assert_focus(page, "Tab", "id_q_service")
    assert_focus_visible(service)
    page.keyboard.type("Wyd")  # type-ahead in the closed <select>, as the hint says
    assert focused(page)["value"] == "A-01"

    card_read = assert_focus(page, "Tab", "id_q_card_read_0")
    assert_focus_visible(card_read)
    assert press(page, "Space")["checked"]  # "web"
    now = press(page, "ArrowDown")  # arrows move within the group and choose
    assert (now["value"], now["checked"]) == ("office", True)

    # Answering "yes, I read it" reveals the follow-up questions, in order.
    assert_focus(page, "Tab", "id_q_card_useful_0")
    page.keyboard.press("Space")
    assert_focus(page, "Tab", "id_q_card_clear_0")
    now = press(page, "ArrowUp")  # wraps round to the last option
    assert (now["value"], now["checked"]) == ("no", True)
    assert_focus(page, "Tab", "id_q_card_complete_0")
    now = press(page, "ArrowRight")
    assert (now["value"], now["checked"]) == ("no", True)

    # "No" reveals the checkboxes: each box is its own tab stop.
    assert_focus(page, "Tab", "id_q_card_missing_0")
    fees = assert_focus(page, "Tab", "id_q_card_missing_1")
    assert_focus_visible(fees)
    assert press(page, "Space")["checked"]
    for index in (2, 3, 4, 5, 6):
        assert_focus(page, "Tab", f"id_q_card_missing_{index}")
    sample_form = assert_focus(page, "Shift+Tab", "id_q_card_missing_5")
    assert not sample_form["checked"]
    assert press(page, "Space")["checked"]
    assert_focus(page, "Tab", "id_q_card_missing_6")
    text = assert_focus(page, "Tab", "id_q_card_missing_text")
    assert_focus_visible(text)
    page.keyboard.type("Brak wzoru wniosku")

    next_button = tab_to_button(page, NEXT)
    assert_focus_visible(next_button)
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 200, "page 1 was not accepted"
    assert progress(page) == "Strona 2 z 2"

    # Page 2. Where the first Tab lands after the page load is up to the browser
    # (Chromium goes straight to the first answer); any way, it reaches it in order.
    tab_until(page, lambda el: el["id"] == "id_q_settled_0", "the first question of page 2")
    page.keyboard.press("Space")  # yes
    assert_focus(page, "Tab", "id_q_staff_competence_0")
    page.keyboard.press("Space")  # 5, very good
    assert_focus(page, "Tab", "id_q_staff_courtesy_0")
    assert press(page, "ArrowDown")["value"] == "4"
    assert_focus(page, "Tab", "id_q_plain_language_0")
    assert press(page, "ArrowUp")["value"] == "na"  # "not applicable" is the last option
    assert_focus(page, "Tab", "id_q_waiting_time_0")
    page.keyboard.press("ArrowDown")
    assert press(page, "ArrowDown")["value"] == "3"
    assert_focus(page, "Tab", "id_q_comments")
    page.keyboard.type("Dziękuję za pomoc")

    send = tab_to_button(page, SEND)
    assert_focus_visible(send)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{THANKS}*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dziękujemy za wypełnienie ankiety")

    assert Response.objects.count() == 1
    stored = Response.objects.get()
    assert stored.service_card == card_a
    answers = stored_answers(stored)
    answers.pop("service", None)  # kept on the response itself, checked above
    assert answers == {
        "card_read": ["office"],
        "card_useful": ["yes"],
        "card_clear": ["no"],
        "card_complete": ["no"],
        "card_missing": ["fees", "sample_form"],
        "card_missing_text": ["Brak wzoru wniosku"],
        "settled": ["yes"],
        "staff_competence": ["5"],
        "staff_courtesy": ["4"],
        "plain_language": ["na"],
        "waiting_time": ["3"],
        "comments": ["Dziękuję za pomoc"],
    }


def test_enter_in_an_answer_on_the_last_page_does_not_go_back(open_form):
    """Enter in a field submits the form with its *first* submit button (implicit
    submission). On the last page that must be "Send", not "Back"."""
    page = open_form()
    fill_page_one(page)
    with page.expect_navigation():
        page.get_by_role("button", name=NEXT).click()
    assert progress(page) == "Strona 2 z 2"
    page.get_by_role("group", name="Czy sprawa została załatwiona").get_by_label("Tak").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert progress(page) == "Strona 2 z 2", "Enter in an answer took the respondent back"
    expect(page.locator("#error-summary")).to_be_visible()  # the other answers are missing


# --- 5. on a phone ---------------------------------------------------------------------


def test_form_on_a_phone_has_no_axe_violations_and_no_sideways_scroll(open_form, new_page):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = open_form(on=phone)

    def assert_fits(where: str) -> None:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{where}: scrolls sideways, {widths[0]}px > {widths[1]}px"

    assert_fits("empty page 1")
    assert_no_axe_violations(page, "page 1 on a 375×740 phone")

    # With every conditional question of page 1 shown (the longest version of the page).
    page.get_by_label("Tak, na stronie internetowej / w BIP").tap()
    complete = page.get_by_role("group", name="Czy karta zawierała wszystkie potrzebne")
    complete.get_by_label("Nie").tap()
    expect(page.get_by_label("Jakich ważnych informacji brakowało?")).to_be_visible()
    assert_fits("page 1 with the follow-up questions")
    assert_no_axe_violations(page, "page 1 with the follow-up questions, on a phone")
