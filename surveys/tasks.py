"""Thin Celery wrappers around idempotent service functions."""

from celery import shared_task

from surveys import services


@shared_task
def purge_submission_tokens() -> int:
    return services.submission_tokens_purge()


@shared_task
def send_round_reminders() -> int:
    return services.round_send_reminders()
