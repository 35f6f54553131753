"""An item's history is read in the reader's language: what the system says about a
change is stored as a key and parameters, what a person wrote as written."""

import importlib

import pytest
from django.conf import settings
from django.utils import translation

from tests.workflows.conftest import open_task, walk_to_implementation
from workflows import history
from workflows.models import Event
from workflows.services import task_reassign

pytestmark = pytest.mark.django_db


def _notes(nc, transition, lang):
    with translation.override(lang):
        return [
            text
            for event, text in history.entries(nc.events.all())
            if event.transition == transition
        ]


def test_a_plan_made_in_polish_reads_in_english_for_an_english_reader(
    nc, coordinator, head_a, staff, category
):
    with translation.override("pl"):
        walk_to_implementation(
            nc, coordinator=coordinator, head=head_a, owners=[head_a, staff], category=category
        )
    assert _notes(nc, "plan", "en") == ["2 actions planned"]
    assert _notes(nc, "plan", "pl") == ["Zaplanowano 2 działania"]
    stored = nc.events.get(transition="plan")
    assert stored.note == "" and stored.note_key == Event.NoteKey.ACTIONS_PLANNED


def test_a_hand_over_keeps_the_reason_as_written_and_names_the_step_in_each_language(
    nc, coordinator, head_a, head_b, category
):
    walk_to_implementation(
        nc, coordinator=coordinator, head=head_a, owners=[head_a], category=category
    )
    [task] = open_task(nc, "implement")
    with translation.override("pl"):
        task_reassign(task=task, by=coordinator, to=head_b, reason="Urlop kierownika")
    [english] = _notes(nc, "reassign", "en")
    [polish] = _notes(nc, "reassign", "pl")
    assert english.startswith("Implement an action handed from ")
    assert polish.startswith("Realizacja działania: przekazano od ")
    assert english.endswith("Urlop kierownika") and polish.endswith("Urlop kierownika")


def test_the_history_page_shows_the_generated_notes_in_the_readers_language(
    client_for, nc, coordinator, head_a, category
):
    walk_to_implementation(
        nc, coordinator=coordinator, head=head_a, owners=[head_a], category=category
    )
    reader = client_for(coordinator)
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = reader.get(f"/nonconformities/{nc.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "1 action planned" in body
    assert "Zaplanowano" not in body


OLD = importlib.import_module("workflows.migrations.0009_event_note_key")


@pytest.mark.parametrize(
    ("transition", "note", "expected"),
    [
        ("plan", "Zaplanowano działań: 3", ("actions_planned", {"n": 3}, "")),
        ("plan", "2 action(s) planned", ("actions_planned", {"n": 2}, "")),
        (
            "complete_action",
            "działanie korygujące: Nowy wzór\nwniosku",
            ("action_done", {"kind": "corrective"}, "Nowy wzór\nwniosku"),
        ),
        (
            "merge",
            "NC/2026/0007: to samo zgłoszenie",
            ("merged_into", {"number": "NC/2026/0007"}, "to samo zgłoszenie"),
        ),
        (
            "reassign",
            "Plan działań: Anna Nowak → Jan Kowalski. Urlop",
            (
                "handed_over",
                {"step": "planning", "from": "Anna Nowak", "to": "Jan Kowalski"},
                "Urlop",
            ),
        ),
        (
            "escalate",
            "Analiza przyczyn po terminie od 2026-11-17 (Anna Nowak)",
            ("overdue", {"step": "analysis", "due": "2026-11-17", "owner": "Anna Nowak"}, ""),
        ),
        ("reject", "Zaplanowano działań: 3", None),  # a person's words: left as written
        ("plan", "coś innego", None),
    ],
)
def test_old_sentences_become_keys_when_migrated(transition, note, expected):
    assert OLD.keyed(transition, note) == expected
