"""A notification is stored as its template and parameters and read in the reader's
language: the inbox of a user who switches to English shows English, the step named by
its title, never by its key; the e-mail goes in the recipient's language."""

import pytest
from django.conf import settings
from django.core import mail

from notifications.models import Notification
from notifications.services import deliver_pending_emails
from notifications.texts import freeze
from tests.workflows.conftest import open_task
from workflows.flows import NonconformityFlow

pytestmark = pytest.mark.django_db


def test_the_inbox_reads_in_the_readers_language_whatever_it_was_stored_in(
    client_for, nc, coordinator
):
    # The register made the coordinator's triage notification while they read Polish.
    entry = Notification.objects.get(user=coordinator)
    assert entry.template == "task_assigned"
    assert "Ocena wstępna" in entry.subject
    reader = client_for(coordinator)
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = reader.get("/nonconformities/inbox/").content.decode()
    assert "Triage" in body and "Ocena wstępna" not in body
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    body = reader.get("/nonconformities/inbox/").content.decode()
    assert "Ocena wstępna" in body and "triage" not in body.lower().split("<body")[1]


def test_the_email_goes_in_the_recipients_language(nc, coordinator, head_a, category):
    from django.utils import timezone

    from workflows.services import nonconformity_triage

    head_a.language = "en"
    head_a.save()
    [triage] = open_task(nc, "triage")
    nonconformity_triage(task=triage, user=coordinator, decision="accept", severity="minor")
    deliver_pending_emails(now=timezone.now() + timezone.timedelta(minutes=5))
    [to_head] = [m for m in mail.outbox if m.to == [head_a.email]]
    assert "Root-cause analysis" in to_head.subject


def test_a_translated_sentence_is_refused_as_a_parameter():
    from django.utils.translation import gettext_lazy

    with pytest.raises(TypeError):
        freeze({"step": gettext_lazy("Triage")})
    frozen = freeze({"step": NonconformityFlow.instance.node("triage")})
    assert frozen == {"step": {"$step": "workflows.flows.NonconformityFlow", "name": "triage"}}
