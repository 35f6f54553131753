"""Paper forms (§5): batches, one sheet per screen, second-entry verification."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys.models import Channel, PaperBatch, Response
from surveys.services import batch_close, batch_open
from tests.surveys.conftest import ANSWERS, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(staff, version, desk_a):
    return batch_open(
        operator=staff,
        version=version,
        desk=desk_a,
        collected_on=datetime.date(2026, 11, 2),
        declared_count=2,
        double_entry=True,
    )


@pytest.fixture
def operator(client_for, staff):
    return client_for(staff)


def enter(client, batch, sheet, **answers):
    url = f"/surveys/paper/{batch.pk}/enter/"
    token = token_from(client.get(url).content.decode())
    return client.post(url, {"token": token, "sheet_number": sheet, **answers})


def test_open_batch_from_the_list(operator, version, desk_a):
    response = operator.post(
        "/surveys/paper/",
        {
            "version": version.pk,
            "desk": desk_a.pk,
            "collected_on": "2026-11-02",
            "declared_count": "30",
            "double_entry": "on",
            "once": "open-batch-1",  # the form's one-time key (double submit)
        },
    )
    batch = PaperBatch.objects.get()
    assert response["Location"] == f"/surveys/paper/{batch.pk}/enter/"
    assert (batch.operator.username, batch.declared_count, batch.double_entry) == (
        "staff",
        30,
        True,
    )


def test_batch_form_errors_keep_input(operator, version, desk_a):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = operator.post(
        "/surveys/paper/",
        {
            "version": version.pk,
            "desk": desk_a.pk,
            "collected_on": future,
            "declared_count": "7",
            "once": "open-batch-2",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "nie może być z przyszłości" in page and 'value="7"' in page
    assert not PaperBatch.objects.exists()


def test_cannot_open_a_batch_for_another_units_desk(operator, version, desk_b):
    response = operator.post(
        "/surveys/paper/",
        {
            "version": version.pk,
            "desk": desk_b.pk,
            "collected_on": "2026-11-02",
            "declared_count": 1,
        },
    )
    assert response.status_code == 422
    assert not PaperBatch.objects.exists()


def test_enter_sheets_one_per_screen(operator, batch, staff, desk_a):
    page = operator.get(f"/surveys/paper/{batch.pk}/enter/").content.decode()
    assert 'name="sheet_number" id="id_sheet_number" min="1" value="1"' in page
    assert "<kbd>1</kbd>" in page  # number keys pick options
    response = enter(operator, batch, 1, **ANSWERS)
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.channel, stored.desk, stored.entered_by, stored.batch, stored.sheet_number) == (
        Channel.PAPER,
        desk_a,
        staff,
        batch,
        1,
    )
    assert stored.submitted_on == datetime.date(2026, 11, 2)  # the collection date
    assert stored.service_card.code == "A-01"
    next_page = operator.get(f"/surveys/paper/{batch.pk}/enter/").content.decode()
    assert 'value="2"' in next_page and "Wprowadzono 1 z 2" in next_page


def test_a_blank_required_answer_on_paper_is_accepted(operator, batch):
    """The client skipped it on paper; the operator types what is there, nothing more."""
    assert enter(operator, batch, 1, q_comments="Tylko komentarz").status_code == 302
    assert Response.objects.get().answers.count() == 1


def test_same_sheet_twice_is_refused_and_keeps_the_typing(operator, batch):
    enter(operator, batch, 1, **ANSWERS)
    response = enter(operator, batch, 1, q_comments="Drugi raz")
    assert response.status_code == 422
    page = response.content.decode()
    assert "jest już wprowadzony" in page and "Drugi raz" in page
    assert Response.objects.count() == 1


def test_double_enter_key_stores_one_sheet_and_says_so(operator, batch):
    url = f"/surveys/paper/{batch.pk}/enter/"
    token = token_from(operator.get(url).content.decode())
    operator.post(url, {"token": token, "sheet_number": 1, **ANSWERS})
    again = operator.post(url, {"token": token, "sheet_number": 1, **ANSWERS}, follow=True)
    page = again.content.decode()
    assert "Arkusz 1 był już zapisany" in page  # not "entered already", not silence
    assert 'id="id_sheet_number" min="1" value="2"' in page  # on to the next sheet
    assert Response.objects.count() == 1


def test_a_saved_screen_sent_again_as_another_sheet_is_not_lost_silently(operator, batch):
    url = f"/surveys/paper/{batch.pk}/enter/"
    token = token_from(operator.get(url).content.decode())
    operator.post(url, {"token": token, "sheet_number": 1, **ANSWERS})
    reply = operator.post(url, {"token": token, "sheet_number": 2, **ANSWERS, "q_comments": "B"})
    assert reply.status_code == 422
    page = reply.content.decode()
    assert "arkusz 2 nie został zapisany" in page and "B</textarea>" in page
    assert Response.objects.count() == 1
    fresh = token_from(page)
    assert fresh != token
    operator.post(url, {"token": fresh, "sheet_number": 2, **ANSWERS})
    assert sorted(Response.objects.values_list("sheet_number", flat=True)) == [1, 2]


def test_a_sheet_number_entered_already_keeps_the_screens_token_for_the_right_number(
    operator, batch
):
    """Refused for its number, nothing of the screen is stored: its token stays unused,
    so the same screen with the corrected number is saved."""
    enter(operator, batch, 1, **ANSWERS)
    url = f"/surveys/paper/{batch.pk}/enter/"
    token = token_from(operator.get(url).content.decode())
    refused = operator.post(url, {"token": token, "sheet_number": 1, **ANSWERS})
    assert refused.status_code == 422 and token_from(refused.content.decode()) == token
    assert operator.post(url, {"token": token, "sheet_number": 2, **ANSWERS}).status_code == 302
    assert sorted(Response.objects.values_list("sheet_number", flat=True)) == [1, 2]


def test_an_unreadable_token_stores_nothing_and_the_typing_comes_back_with_a_fresh_one(
    operator, batch
):
    url = f"/surveys/paper/{batch.pk}/enter/"
    reply = operator.post(url, {"token": "forged", "sheet_number": 1, **ANSWERS})
    assert reply.status_code == 422
    page = reply.content.decode()
    assert "Nie udało się odczytać formularza" in page and "Dziękuję</textarea>" in page
    assert not Response.objects.exists()
    fresh = token_from(page)
    assert fresh != "forged"
    assert operator.post(url, {"token": fresh, "sheet_number": 1, **ANSWERS}).status_code == 302
    assert Response.objects.get().sheet_number == 1


def test_paper_entry_is_not_held_to_the_public_forms_rate_limit(operator, batch, settings):
    """One typist enters a whole box from one address: the per-address limit of the
    public form does not apply."""
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 0
    for sheet in (1, 2, 3):
        assert enter(operator, batch, sheet, **ANSWERS).status_code == 302
    assert Response.objects.filter(batch=batch).count() == 3


def test_out_of_range_answer_is_refused(operator, batch):
    response = enter(operator, batch, 1, q_staff_competence="9", q_service="NO-SUCH")
    assert response.status_code == 422
    assert not Response.objects.exists()


def test_second_entry_flags_differences_and_resolution_replaces_answers(operator, batch):
    enter(operator, batch, 1, **ANSWERS)
    enter(operator, batch, 2, **ANSWERS)
    verify = f"/surveys/paper/{batch.pk}/verify/"
    page = operator.get(verify).content.decode()
    assert 'value="1"' in page  # the first unverified sheet
    operator.post(verify, {"token": "x", "sheet_number": 1, **ANSWERS})
    differing = {**ANSWERS, "q_staff_courtesy": "2", "q_card_missing": ["fees"]}
    response = operator.post(verify, {"token": "x", "sheet_number": 2, **differing}, follow=True)
    assert "różni się" in response.content.decode()

    detail = operator.get(f"/surveys/paper/{batch.pk}/").content.decode()
    assert 'data-flagged="2"' in detail and 'data-flagged="1"' not in detail
    with pytest.raises(ValidationError, match="rozstrzygnij wszystkie"):
        batch_close(batch=batch, user=batch.operator)

    operator.post(f"/surveys/paper/{batch.pk}/sheets/2/resolve/", {"use": "second"})
    sheet = Response.objects.get(sheet_number=2)
    values = {(a.question.key, a.choice.value) for a in sheet.answers.all() if a.choice}
    assert ("staff_courtesy", "2") in values
    assert ("card_missing", "sample_form") not in values
    assert Response.objects.get(sheet_number=1).answers.count() == sheet.answers.count() + 1

    assert operator.post(f"/surveys/paper/{batch.pk}/", {"note": ""}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == PaperBatch.Status.CLOSED


def test_closing_with_a_count_mismatch_needs_a_note(operator, staff, version, desk_a):
    batch = batch_open(
        operator=staff,
        version=version,
        desk=desk_a,
        collected_on=datetime.date(2026, 11, 2),
        declared_count=3,
    )
    enter(operator, batch, 1, **ANSWERS)
    response = operator.post(f"/surveys/paper/{batch.pk}/", {"note": ""})
    assert response.status_code == 422
    assert "wyjaśnij różnicę" in response.content.decode()
    response = operator.post(f"/surveys/paper/{batch.pk}/", {"note": "Dwa formularze puste"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == PaperBatch.Status.CLOSED and "puste" in batch.note
    # closed: nothing more goes in
    assert operator.get(f"/surveys/paper/{batch.pk}/enter/").status_code == 302
    assert Response.objects.count() == 1


def test_another_units_head_never_sees_the_batch(client_for, head_b, batch):
    client = client_for(head_b)
    for url in (
        f"/surveys/paper/{batch.pk}/",
        f"/surveys/paper/{batch.pk}/enter/",
        f"/surveys/paper/{batch.pk}/verify/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/surveys/paper/{batch.pk}/sheets/1/resolve/").status_code == 404
    assert f"/surveys/paper/{batch.pk}/" not in client.get("/surveys/paper/").content.decode()


def test_sheets_are_seen_only_by_whoever_typed_them_and_the_coordinator(
    client_for, head_a, auditor, coordinator, staff, batch, version, desk_a
):
    """The anonymity rule: the head of the operator's unit and the auditor do not see
    the staff member's sheets; a head sees a batch they typed in themselves."""
    for user in (head_a, auditor):
        client = client_for(user)
        assert client.get(f"/surveys/paper/{batch.pk}/").status_code == 404
        assert f"/surveys/paper/{batch.pk}/" not in client.get("/surveys/paper/").content.decode()
    for user in (staff, coordinator):
        client = client_for(user)
        assert client.get(f"/surveys/paper/{batch.pk}/").status_code == 200
        assert f"/surveys/paper/{batch.pk}/" in client.get("/surveys/paper/").content.decode()
    own = batch_open(
        operator=head_a,
        version=version,
        desk=desk_a,
        collected_on=datetime.date(2026, 11, 3),
        declared_count=1,
    )
    assert client_for(head_a).get(f"/surveys/paper/{own.pk}/").status_code == 200
    assert client_for(staff).get(f"/surveys/paper/{own.pk}/").status_code == 404
