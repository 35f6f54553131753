"""The heartbeats /healthz and the staff banner judge the background processes by.

Each process stamps the cache itself, so one dying shows even while the other runs:

- the **worker** from a daemon thread started on `worker_ready` (after the pool and
  the consumer are up) and stopped on `worker_shutdown`, every
  WORKER_HEARTBEAT_SECONDS; killed, it simply stops stamping;
- **beat** on `beat_init` and after each task it publishes (the heartbeat task below
  every minute, at least): the stamp says beat's scheduler is sending, not only that
  its process exists. A publish the broker refuses stamps nothing.

The `heartbeat` task keeps recording the round trip (beat sent it, a worker ran it).
This module is imported by both processes (autodiscovery, before either signal).
"""

import logging
import threading

from celery import shared_task, signals
from django.core.cache import cache
from django.utils import timezone

from qms import health

log = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task (the round trip)."""
    stamp = timezone.now().isoformat(timespec="seconds")
    cache.set(health.HEARTBEAT_CACHE_KEY, stamp, timeout=None)
    return stamp


def _stamp(key: str) -> None:
    try:
        health.stamp(key)
    except Exception as exc:  # the cache is down: /healthz reports it; keep the process up
        log.warning("could not write the heartbeat %s: %s", key, exc.__class__.__name__)


class _WorkerPulse:
    """Stamps the worker's heartbeat every `interval` seconds until stopped."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qms-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            _stamp(health.WORKER_HEARTBEAT_KEY)
            if self._stop.wait(self.interval):
                return


_pulse: _WorkerPulse | None = None
_in_beat = False


@signals.worker_ready.connect
def _start_worker_pulse(**kwargs) -> None:
    global _pulse
    if _pulse is None:
        _pulse = _WorkerPulse(health.WORKER_HEARTBEAT_SECONDS)
        _pulse.start()


@signals.worker_shutdown.connect
def _stop_worker_pulse(**kwargs) -> None:
    global _pulse
    if _pulse is not None:
        _pulse.stop()
        _pulse = None


@signals.beat_init.connect
def _beat_started(**kwargs) -> None:
    global _in_beat
    _in_beat = True
    _stamp(health.BEAT_HEARTBEAT_KEY)


@signals.after_task_publish.connect
def _beat_sent_a_task(**kwargs) -> None:
    if _in_beat:  # the web and the worker publish too; only beat's sends count
        _stamp(health.BEAT_HEARTBEAT_KEY)
