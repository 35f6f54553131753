"""Thin Celery wrappers around idempotent service functions."""

import smtplib

from celery import shared_task
from django.db import DatabaseError

from notifications import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError, DatabaseError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def email_notification(notification_id: int) -> bool:
    return services.notification_email(notification_id=notification_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_pending_emails() -> int:
    """The outbox sweep (every minute): e-mails a lost or failed task never sent."""
    return services.deliver_pending_emails()
