from celery import shared_task

from surveys.services import submission_tokens_purge


@shared_task
def purge_submission_tokens() -> int:
    return submission_tokens_purge()
