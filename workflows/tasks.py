"""Thin Celery wrappers around idempotent service functions."""

from celery import shared_task
from viewflow.workflow.timers import fire_due_timers


@shared_task
def fire_timers() -> int:
    """viewflow's database-backed timers (.OnTimeout / flow.Timer): reminders, escalation."""
    return fire_due_timers()


@shared_task
def email_notification(notification_id: int) -> bool:
    """Messages queued under this name before the inbox had its own app (drop later)."""
    from notifications.services import notification_email

    return notification_email(notification_id=notification_id)
