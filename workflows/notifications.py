"""Tell a user something: an in-app inbox entry plus an e-mail in their language.

`notify_once` claims the notification by a unique key first (CONVENTIONS.md §10), so a
reminder or an escalation is delivered once even when a sweep runs twice or two
workers run it at the same time.
"""

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from qms.models import User
from workflows.models import Notification


def notify_once(
    user: User, template: str, context: dict, *, key: str | None, url: str = ""
) -> bool:
    """Create `notifications/<template>_subject.txt` + `.txt` for `user`, once per `key`.

    The e-mail is sent by a Celery task after the transaction commits. Returns False
    when a notification with this key exists already.
    """
    with translation.override(user.language or "pl"):
        context = {**context, "user": user}
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
    from workflows import tasks

    transaction.on_commit(lambda: tasks.email_notification.delay(notification.pk))
    return True
