"""Tell a user something: an in-app inbox entry plus an e-mail in their language.

`notify_once` claims the notification by a unique key first (CONVENTIONS.md §10), so a
reminder or an escalation is delivered once even when a sweep runs twice or two
workers run it at the same time. The e-mail goes out from a Celery task after commit.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import Notification
from qms.models import User


def notify_once(
    user: User, template: str, context: dict, *, key: str | None, url: str = ""
) -> bool:
    """Create `notifications/<template>_subject.txt` + `.txt` for `user`, once per `key`.

    The e-mail is sent by a Celery task after the transaction commits. Returns False
    when a notification with this key exists already.
    """
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {**context, "user": user, "site_url": settings.SITE_URL}
        subject = " ".join(
            render_to_string(f"notifications/{template}_subject.txt", context).split()
        )
        body = render_to_string(f"notifications/{template}.txt", context)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, subject=subject[:200], body=body, url=url, key=key
            )
    except IntegrityError:
        return False
    from notifications import tasks  # tasks ↔ services: the Celery idiom

    transaction.on_commit(lambda: tasks.email_notification.delay(notification.pk))
    return True


def notification_email(*, notification_id: int) -> bool:
    """E-mail an inbox entry once (claimed by a conditional update)."""
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed or not notification.user.email:
        return False
    url = f"{settings.SITE_URL}{notification.url}" if notification.url else ""
    send_mail(
        notification.subject,
        f"{notification.body}\n{url}".strip(),
        None,
        [notification.user.email],
    )
    return True


@transaction.atomic
def notification_mark_read(*, notification: Notification, user: User) -> None:
    if notification.user_id != user.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
