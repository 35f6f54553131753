"""The coordinator's questionnaire editor: drafts change, nothing else ever does."""

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Question, QuestionnaireVersion, Response
from surveys.services import question_save, version_create_draft
from tests.surveys.conftest import ANSWERS, token_from

pytestmark = pytest.mark.django_db

Status = QuestionnaireVersion.Status


@pytest.fixture
def draft(survey, version):
    return version_create_draft(questionnaire=survey, copy_from=version)


@pytest.fixture
def editor(client_for, coordinator):
    return client_for(coordinator)


def base(draft):
    return f"/surveys/versions/{draft.pk}/"


QUESTION = {
    "key": "queue_app",
    "page": "2",
    "kind": "single",
    "text_pl": "Czy korzystał(a) Pan(i) z aplikacji kolejkowej?",
    "text_en": "Did you use the queue app?",
    "help_pl": "",
    "help_en": "",
    "max_length": "1000",
    "show_if_key": "",
    "show_if_values_text": "",
    "choices_text": "yes | Tak | Yes\nno | Nie | No\nna | Nie dotyczy | Not applicable",
}


def test_version_list_and_detail(editor, draft):
    assert editor.get("/surveys/versions/").status_code == 200
    page = editor.get(base(draft)).content.decode()
    assert 'data-question="card_useful"' in page
    assert "Dodaj pytanie" in page  # a draft can be edited


def test_add_question_with_choices_and_condition(editor, draft):
    response = editor.post(base(draft) + "questions/new/", {**QUESTION, "once": "q-1"})
    assert response.status_code == 302
    question = draft.questions.get(key="queue_app")
    assert [c.value for c in question.choices.all()] == ["yes", "no", "na"]
    assert question.choices.get(value="na").is_not_applicable
    assert question.position == draft.questions.count()

    follow_up = {
        **QUESTION,
        "key": "queue_app_ok",
        "kind": "yes_no",
        "text_pl": "Czy aplikacja działała?",
        "choices_text": "",  # yes/no gets the standard options
        "show_if_key": "queue_app",
        "show_if_values_text": "yes",
        "once": "q-2",
    }
    assert editor.post(base(draft) + "questions/new/", follow_up).status_code == 302
    child = draft.questions.get(key="queue_app_ok")
    assert child.show_if_key == "queue_app" and child.show_if_values == ["yes"]
    assert [c.value for c in child.choices.all()] == ["yes", "no"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "card_useful"}, "już ma klucz"),
        ({"choices_text": "yes | Tak"}, "co najmniej dwóch"),
        ({"choices_text": "yes | Tak\nyes | Też tak"}, "własnej wartości"),
        ({"choices_text": "tak tak | Tak\nnie | Nie"}, "Wiersz 1"),
        ({"show_if_key": "comments", "show_if_values_text": "x"}, "Wybierz poprawną"),
        ({"show_if_key": "card_read", "show_if_values_text": "maybe"}, "web"),
        ({"kind": "service"}, "tylko jedno pytanie o kartę"),
    ],
)
def test_bad_question_is_refused_and_keeps_input(editor, draft, change, message):
    before = draft.questions.count()
    response = editor.post(base(draft) + "questions/new/", {**QUESTION, **change, "once": "q"})
    page = response.content.decode()
    assert response.status_code == 422
    assert message in page
    assert "Czy korzystał(a) Pan(i) z aplikacji kolejkowej?" in page  # nothing typed is lost
    assert draft.questions.count() == before


def test_condition_on_a_text_question_is_refused_by_the_service(draft):
    with pytest.raises(ValidationError, match="pytanie z wyborem"):
        question_save(
            version=draft,
            question=None,
            choices=[],
            key="extra",
            page=2,
            kind="text",
            text_pl="Dodatkowe",
            show_if_key="comments",
            show_if_values=["x"],
        )


def test_rename_key_used_by_a_condition_is_refused(draft):
    parent = draft.questions.get(key="card_complete")
    with pytest.raises(ValidationError, match="zależą pytania card_missing, card_missing_text"):
        question_save(
            version=draft,
            question=parent,
            choices=[(c.value, c.label_pl, c.label_en, False) for c in parent.choices.all()],
            key="renamed",
        )


def test_removing_an_option_a_condition_needs_is_refused(editor, draft):
    parent = draft.questions.get(key="card_complete")
    data = {
        **QUESTION,
        "key": "card_complete",
        "kind": "single",
        "page": "1",
        "choices_text": "yes | Tak\npartly | Częściowo",  # drops "no"
    }
    response = editor.post(base(draft) + f"questions/{parent.pk}/", data)
    assert response.status_code == 422
    assert "card_missing" in response.content.decode()
    assert [c.value for c in parent.choices.all()] == ["yes", "no"]


def test_delete_and_move(editor, draft):
    comments = draft.questions.get(key="comments")
    assert editor.post(base(draft) + f"questions/{comments.pk}/delete/").status_code == 302
    assert not draft.questions.filter(key="comments").exists()

    parent = draft.questions.get(key="card_complete")
    response = editor.post(base(draft) + f"questions/{parent.pk}/delete/", follow=True)
    assert "zależą" in response.content.decode()  # card_missing depends on it
    assert draft.questions.filter(key="card_complete").exists()

    child = draft.questions.get(key="card_missing")
    editor.post(base(draft) + f"questions/{child.pk}/up/")
    child.refresh_from_db()
    parent.refresh_from_db()
    assert child.position > parent.position  # never above the question it depends on

    first, second = list(draft.questions.order_by("position")[:2])
    editor.post(base(draft) + f"questions/{second.pk}/up/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.position < first.position


def test_live_version_never_changes(editor, version):
    question = version.questions.get(key="card_useful")
    response = editor.post(f"/surveys/versions/{version.pk}/questions/{question.pk}/", QUESTION)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.key != "queue_app"
    # and not from code either
    question.text_pl = "Zmienione"
    with pytest.raises(ValidationError):
        question.save()
    with pytest.raises(ValidationError):
        question.choices.first().delete()


def test_pilot_then_activate_closes_the_old_version(editor, draft, version, anonymous):
    assert editor.post(base(draft) + "status/pilot/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PILOT
    page = editor.get(base(draft)).content.decode()
    assert f"/ankieta/pilot/{draft.pilot_token}/" in page
    # the pilot form answers, kept apart
    pilot_url = f"/ankieta/pilot/{draft.pilot_token}/"
    token = token_from(anonymous.get(pilot_url).content.decode())
    anonymous.post(pilot_url, {"token": token, "page": 2, **ANSWERS})
    assert Response.objects.get().is_pilot

    response = editor.post(
        base(draft) + "status/activate/", {"opens_on": "", "closes_on": "2000-01-01"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.ACTIVE
    version.refresh_from_db()
    assert version.status == Status.CLOSED

    editor.post(base(draft) + "status/close/")
    draft.refresh_from_db()
    assert draft.status == Status.CLOSED


def test_activate_with_closing_before_opening_is_refused(editor, draft):
    response = editor.post(
        base(draft) + "status/activate/",
        {"opens_on": "2026-12-01", "closes_on": "2026-11-01"},
        follow=True,
    )
    assert "nie może być wcześniejsza" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_edit_dates_of_live_version_but_not_its_text(editor, version):
    url = f"/surveys/versions/{version.pk}/edit/"
    response = editor.post(
        url,
        {"intro_pl": "Nowy wstęp", "intro_en": "", "opens_on": "2026-01-01", "closes_on": ""},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert str(version.opens_on) == "2026-01-01"
    assert version.intro_pl != "Nowy wstęp"  # the field is disabled: the text stays


def test_preview_checks_answers_and_stores_nothing(editor, draft):
    url = base(draft) + "preview/"
    page = editor.get(url).content.decode()
    assert "Podgląd" in page
    response = editor.post(url, {"token": token_from(page), "page": 2, **ANSWERS})
    assert response.status_code == 200
    assert "Nic nie zostało zapisane" in response.content.decode()
    assert Response.objects.count() == 0
    missing = editor.post(url, {"token": token_from(page), "page": 1})
    assert missing.status_code == 422


def test_compare_versions_by_key(editor, draft, version):
    Question.objects.filter(version=draft, key="comments").delete()
    question_save(
        version=draft,
        question=draft.questions.get(key="settled"),
        choices=[("yes", "Tak", "Yes", False), ("no", "Nie", "No", False)],
        text_pl="Czy sprawa została załatwiona od ręki?",
    )
    question_save(
        version=draft,
        question=None,
        choices=[],
        key="visit_count",
        page=2,
        kind="scale",
        text_pl="Ile razy był(a) Pan(i) w urzędzie?",
    )
    page = editor.get(base(draft) + f"compare/{version.pk}/").content.decode()
    added = page.split('data-diff="added"')[1].split("</ul>")[0]
    removed = page.split('data-diff="removed"')[1].split("</ul>")[0]
    changed = page.split('data-diff="changed"')[1].split("</ul>")[0]
    assert "visit_count" in added
    assert "comments" in removed
    assert "settled" in changed and "sformułowanie (PL)" in changed
    assert "card_useful" not in changed


def test_suggestions_listed_for_the_coordinator_and_on_the_next_draft(editor, version, survey):
    from surveys.services import suggestion_submit

    suggestion_submit(version=version, text="Za dużo pytań o kartę")
    assert "Za dużo pytań o kartę" in editor.get("/surveys/suggestions/").content.decode()
    draft = version_create_draft(questionnaire=survey, copy_from=version)
    page = editor.get(base(draft)).content.decode()
    assert "Sugestie dotyczące wcześniejszych wersji" in page and "Za dużo pytań o kartę" in page


def test_new_questionnaire_starts_with_an_empty_draft(editor):
    response = editor.post(
        "/surveys/questionnaires/new/",
        {"slug": "kasa", "title_pl": "Ankieta kasy", "title_en": "Cashier survey", "once": "k"},
    )
    assert response.status_code == 302
    draft = QuestionnaireVersion.objects.get(questionnaire__slug="kasa")
    assert draft.status == Status.DRAFT and draft.number == 1
