"""Tell a user something: an in-app inbox entry plus an e-mail in their language.

A transactional outbox. `notify_once` writes the entry in the caller's transaction, the
one that makes the change it tells about: both happen or neither. It claims the entry
by a unique key (CONVENTIONS.md §10), so a reminder or an escalation is created once even
when a sweep runs twice or two workers run it at the same time. The e-mail goes out from
a Celery task sent after commit; whatever that task never got to (a process killed right
after the commit, a worker killed mid-task, a broker that was down, an SMTP error) the
periodic `deliver_pending_emails` sweep sends later. A send takes a short lease on its
entry, so two deliverers never mail it twice.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import texts
from notifications.models import Notification
from qms.models import User

log = logging.getLogger(__name__)

EMAIL_LEASE = datetime.timedelta(minutes=10)  # longer than any SMTP conversation
EMAIL_GRACE = datetime.timedelta(seconds=30)  # the task sent after commit goes first
MAX_EMAIL_ATTEMPTS = 10  # then it stays in the inbox only (and in the log)


def notify_once(
    user: User, template: str, context: dict, *, key: str | None, url: str = ""
) -> bool:
    """Create `notifications/<template>_subject.txt` + `.txt` for `user`, once per `key`.

    The e-mail is sent by a Celery task after the transaction commits. Returns False
    when a notification with this key exists already.
    """
    params = texts.freeze(context)
    # Worded from the stored parameters, as every later reading is.
    [stored] = texts.thaw_many([params])
    subject, body = texts.render(template, stored, user=user)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                template=template,
                params=params,
                subject=subject,
                body=body,
                url=url,
                key=key,
            )
    except IntegrityError:
        return False
    from notifications import tasks  # tasks ↔ services: the Celery idiom

    transaction.on_commit(lambda: tasks.email_notification.delay(notification.pk))
    return True


def notification_email(*, notification_id: int, now: datetime.datetime | None = None) -> bool:
    """E-mail an inbox entry once: lease it, send, mark it sent.

    False when it is sent already, leased by another deliverer, or its user has no
    address (then it is marked done). A failed send gives the lease back and raises,
    so the task's retry or the sweep tries again.
    """
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
        .filter(Q(email_leased_until__isnull=True) | Q(email_leased_until__lt=now))
        .update(email_leased_until=now + EMAIL_LEASE, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    if notification.user.email:
        url = f"{settings.SITE_URL}{notification.url}" if notification.url else ""
        try:
            send_mail(
                notification.subject,
                f"{notification.body}\n{url}".strip(),
                None,
                [notification.user.email],
            )
        except Exception:
            Notification.objects.filter(pk=notification_id).update(email_leased_until=None)
            raise
    Notification.objects.filter(pk=notification_id).update(
        emailed_at=timezone.now(), email_leased_until=None
    )
    return bool(notification.user.email)


def pending_emails(*, now: datetime.datetime | None = None) -> list[int]:
    """Entries the after-commit task has not delivered: not sent, not leased, not
    given up on, and older than the grace period that task has to go first."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__lte=now - EMAIL_GRACE,
        )
        .filter(Q(email_leased_until__isnull=True) | Q(email_leased_until__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


def deliver_pending_emails(*, now: datetime.datetime | None = None) -> int:
    """The outbox sweep: send what was never sent; one failure does not stop the rest."""
    sent = 0
    for notification_id in pending_emails(now=now):
        try:
            sent += notification_email(notification_id=notification_id, now=now)
        except Exception:  # SMTP down, a bad address: logged, tried again next sweep
            log.exception("notification %s: e-mail failed, will be retried", notification_id)
    return sent


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> None:
    if notification.user_id != user.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
