"""E-mail to staff, each in their own language. Call from Celery tasks, never in a request."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from qms.models import User


def notify(user: User, template: str, context: dict) -> bool:
    """Send `notifications/<template>_subject.txt` + `<template>.txt` to one user.

    Returns False (and sends nothing) for users without an e-mail address.
    """
    if not user.email:
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {**context, "user": user, "site_url": settings.SITE_URL}
        subject = render_to_string(f"notifications/{template}_subject.txt", context)
        body = render_to_string(f"notifications/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
    return True
