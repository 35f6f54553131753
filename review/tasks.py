"""Thin Celery wrappers around the cycle's idempotent services."""

from celery import shared_task
from celery.signals import worker_ready

from review import packs, services


@shared_task
def advance_cycles() -> list[str]:
    """Daily (beat) and on demand: every due step of every open cycle, once."""
    return services.advance()


@shared_task
def cleanup_files() -> list[str]:
    """Weekly (beat): pack files no pack points to, e.g. left by a build that was killed."""
    return packs.pack_files_cleanup()


@worker_ready.connect
def catch_up_on_start(sender=None, **kwargs) -> None:  # pragma: no cover - needs a worker
    """A worker that comes back (after downtime or a broker outage) catches up at once."""
    advance_cycles.delay()
