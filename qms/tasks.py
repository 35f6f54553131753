from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from qms.health import HEARTBEAT_CACHE_KEY


@shared_task
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task (shown by /healthz)."""
    stamp = timezone.now().isoformat(timespec="seconds")
    cache.set(HEARTBEAT_CACHE_KEY, stamp, timeout=None)
    return stamp
