"""The notification outbox: an inbox entry is written in the transaction that causes it,
its e-mail goes out once — from the task sent after commit or, when that task is lost
(a process killed right after the commit, a worker killed mid-task, SMTP down), from the
periodic sweep."""

import datetime
import os
import signal
import smtplib
import subprocess
import sys
import time

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import deliver_pending_emails, notify_once
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(minutes=1)  # past the grace the after-commit task has


def _tell(user, key):
    return notify_once(
        user, "task_assigned", {"nc": None, "step": "Analiza", "due": None}, key=key, url="/x/"
    )


def test_an_entry_rolled_back_with_its_cause_is_never_sent(head_a):
    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        _tell(head_a, "k1")
        raise Crash
    assert not Notification.objects.exists()
    assert deliver_pending_emails(now=timezone.now() + LATER) == 0
    assert mail.outbox == []


def test_the_sweep_sends_what_the_lost_task_never_did_once(head_a, coordinator):
    # In the test transaction the after-commit task never runs: as if the process died
    # right after its commit.
    _tell(head_a, "k1")
    _tell(coordinator, "k2")
    assert deliver_pending_emails() == 0  # within the grace: the task goes first
    assert deliver_pending_emails(now=timezone.now() + LATER) == 2
    assert deliver_pending_emails(now=timezone.now() + LATER) == 0  # a second sweep: none
    assert sorted(m.to[0] for m in mail.outbox) == sorted([head_a.email, coordinator.email])
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_an_smtp_failure_is_retried_by_the_next_sweep(head_a, monkeypatch):
    _tell(head_a, "k1")
    real_send = mail.send_mail

    def down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("notifications.services.send_mail", down)
    assert deliver_pending_emails(now=timezone.now() + LATER) == 0
    entry = Notification.objects.get()
    assert entry.emailed_at is None and entry.email_attempts == 1
    monkeypatch.setattr("notifications.services.send_mail", real_send)
    assert deliver_pending_emails(now=timezone.now() + LATER) == 1
    assert len(mail.outbox) == 1


def test_an_entry_leased_by_a_worker_is_left_to_it_until_the_lease_ends(head_a):
    _tell(head_a, "k1")
    now = timezone.now() + LATER
    Notification.objects.update(email_leased_until=now + datetime.timedelta(minutes=5))
    assert deliver_pending_emails(now=now) == 0  # a worker is sending it right now
    assert deliver_pending_emails(now=now + datetime.timedelta(minutes=6)) == 1  # it died
    assert len(mail.outbox) == 1


def test_a_user_without_an_address_keeps_the_inbox_entry_only(head_a):
    head_a.email = ""
    head_a.save()
    _tell(head_a, "k1")
    assert deliver_pending_emails(now=timezone.now() + LATER) == 0
    assert Notification.objects.get().emailed_at is not None  # done, not retried forever
    assert mail.outbox == []


# --- a real worker, really killed --------------------------------------------------------

SETUP = """
from notifications.models import Notification
from notifications import tasks
from qms.models import User
user = User.objects.create(username="u", email="u@example.org")
for n in range(6):
    entry = Notification.objects.create(user=user, subject=f"s{n}", body="b", key=f"k{n}")
    tasks.email_notification.delay(entry.pk)
"""

SWEEP = """
import datetime
from django.utils import timezone
from notifications.services import deliver_pending_emails
print(deliver_pending_emails(now=timezone.now() + datetime.timedelta(hours=1)))
"""


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs once, on the embedded pass (its own SQLite database and broker folder)",
)
def test_mail_taken_by_a_killed_worker_is_sent_once_by_the_sweep(tmp_path):
    assert connection.vendor == "sqlite"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    outbox = tmp_path / "mail"
    env |= {
        "DATA_DIR": str(tmp_path),
        "DEBUG": "1",
        # Sending takes 3 s: the worker is killed in the middle of the first one.
        "EMAIL_BACKEND": "tests.notifications.slow_mail.SlowFileBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }

    def manage(*args, timeout=120):
        done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "-v0")
    manage("shell", "-c", SETUP)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_app",
            "worker",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (outbox / "sending").exists():
            time.sleep(0.1)
        assert (outbox / "sending").exists(), "the worker never started sending"
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool child
        worker.wait(30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    sent_before = len(list(outbox.glob("*.log")))
    assert sent_before < 6, "the kill came too late to lose anything"
    assert int(manage("shell", "-c", SWEEP).split()[-1]) == 6 - sent_before
    assert len(list(outbox.glob("*.log"))) == 6  # every e-mail once, none twice
    assert int(manage("shell", "-c", SWEEP).split()[-1]) == 0


def test_the_email_task_asks_for_a_retry_on_a_passing_smtp_failure(head_a, monkeypatch):
    from notifications.tasks import email_notification

    _tell(head_a, "k1")
    entry = Notification.objects.get()
    real_send = mail.send_mail
    for error in (smtplib.SMTPServerDisconnected("down"), OSError("connection reset")):

        def failing(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr("notifications.services.send_mail", failing)
        with pytest.raises(Retry):  # retried with backoff, not failed for good
            email_notification.apply(args=[entry.pk])
        entry.refresh_from_db()
        assert entry.emailed_at is None and entry.email_leased_until is None
    monkeypatch.setattr("notifications.services.send_mail", real_send)
    assert email_notification.apply(args=[entry.pk]).result is True
    assert email_notification.apply(args=[entry.pk]).result is False  # sent once
    assert len(mail.outbox) == 1
    entry.refresh_from_db()
    assert entry.email_attempts == 3


def test_beat_runs_the_outbox_sweep_every_few_minutes_at_most(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deliver-pending-emails"]
    assert entry["task"] == "notifications.tasks.deliver_pending_emails"
    assert entry["schedule"] <= 300
