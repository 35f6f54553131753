"""Thin Celery wrappers around idempotent service functions."""

from celery import shared_task

from notifications import services


@shared_task
def email_notification(notification_id: int) -> bool:
    return services.notification_email(notification_id=notification_id)
