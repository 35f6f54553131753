"""Thin Celery wrappers around idempotent service functions."""

from celery import shared_task

from surveys import services


@shared_task
def purge_submission_tokens() -> int:
    return services.submission_tokens_purge()


@shared_task
def notify_round_participants(round_id: int) -> int:
    return services.round_notify(round_id=round_id)


@shared_task
def send_round_reminders() -> int:
    return services.round_send_reminders()
