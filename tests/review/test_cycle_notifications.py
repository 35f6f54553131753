"""The cycle's new items: their owners are told in the step's own transaction, so a
process killed right after the commit loses no notification; the outbox sweep sends
each e-mail once."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from notifications.services import deliver_pending_emails
from review import services as review_services
from tests.review.conftest import YEAR, answer, at

pytestmark = pytest.mark.django_db


def test_owners_of_the_cycles_new_items_are_told_even_if_the_process_dies_after_commit(
    cycle, useful_standard, card_a, card_b
):
    """The findings become nonconformities in the sweep's step; their triage owners are
    told in that same transaction (no after-commit hook a crash could skip)."""
    may = datetime.date(YEAR, 5, 10)
    answer(cycle.version, card_a, useful=20, not_useful=40, day=may)
    with time_machine.travel(at(datetime.date(YEAR, 8, 30)), tick=False):
        review_services.advance(today=datetime.date(YEAR, 8, 30))
    waiting = Task.objects.filter(status=STATUS.ASSIGNED, flow_task_type="HUMAN")
    assert waiting.exists()
    for task in waiting:
        assert Notification.objects.filter(user=task.owner, url__endswith=f"/{task.pk}/").exists()
    pending = Notification.objects.filter(emailed_at__isnull=True).count()
    later = timezone.now() + datetime.timedelta(days=1)
    assert deliver_pending_emails(now=later) == pending
    assert deliver_pending_emails(now=later) == 0
    assert len(mail.outbox) == pending
