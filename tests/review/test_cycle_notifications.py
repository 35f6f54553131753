"""The cycle's new items: their owners are told in the step's own transaction, so a
process killed right after the commit loses no notification; the outbox sweep sends
each e-mail once."""

import datetime
import os
import subprocess
import sys
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from notifications.services import deliver_pending_emails
from review import services as review_services
from tests.conftest import ROOT
from tests.review.conftest import YEAR, answer, at
from tests.review.test_killed_worker import DEPLOYMENT_VARIABLES, SETUP, manage

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


# --- two sweeps at once, as two real processes --------------------------------------------

COUNT_TOLD = """
from collections import Counter
from viewflow.workflow.models import Task
from notifications.models import Notification
tasks = Task.objects.filter(flow_task_type="HUMAN", status="ASSIGNED")
keys = Counter(
    n.url for n in Notification.objects.filter(key__regex=r"^(assigned|pack:[0-9]+:task):")
)
told = [keys.get(f"/nonconformities/tasks/{t.pk}/", 0) + keys.get(f"/review/tasks/{t.pk}/", 0)
        for t in tasks]
print(len(told), sorted(set(told)))
"""


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs once, on the embedded pass (its own SQLite database in subprocesses)",
)
def test_two_sweeps_at_once_tell_every_owner_once_and_neither_crashes(tmp_path):
    """The 06:00 beat run, the worker's catch-up and "Run the cycle now" can overlap."""
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    env |= {"DATA_DIR": str(tmp_path), "DEBUG": "1"}
    for args in (["migrate", "-v0"], ["load_demo", "--no-history"], ["shell", "-c", SETUP]):
        done = manage(env, *args)
        assert done.returncode == 0, done.stderr
    sweeps = [
        subprocess.Popen(
            [sys.executable, "manage.py", "advance_cycles", "--today", "2026-08-30"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for sweep in sweeps:
        _out, err = sweep.communicate(timeout=600)
        assert sweep.returncode == 0, err[-3000:]
    told = manage(env, "shell", "-c", COUNT_TOLD)
    assert told.returncode == 0, told.stderr
    waiting, counts = told.stdout.split("\n")[-2].split(" ", 1)
    assert int(waiting) > 0
    assert counts == "[1]"  # every waiting step's owner told, exactly once


@pytest.fixture
def role_groups(transactional_db):
    """A transactional test flushes the roles the migrations made: make them again."""
    from django.contrib.auth.models import Group

    from qms.roles import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_on_postgresql_tell_every_owner_once(
    role_groups, cycle, useful_standard, card_a
):
    answer(cycle.version, card_a, useful=20, not_useful=40, day=datetime.date(YEAR, 5, 10))
    if connection.vendor != "postgresql":
        pytest.skip("the embedded pass runs two real processes instead (test above)")
    errors = []

    def sweep():
        try:
            with time_machine.travel(at(datetime.date(YEAR, 8, 30)), tick=False):
                review_services.advance(today=datetime.date(YEAR, 8, 30))
        except Exception as error:  # pragma: no cover - shown by the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    waiting = Task.objects.filter(status=STATUS.ASSIGNED, flow_task_type="HUMAN")
    assert waiting.exists()
    for task in waiting:
        assert Notification.objects.filter(url__endswith=f"/tasks/{task.pk}/").count() == 1
