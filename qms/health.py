"""Health of the whole system: one report for /healthz, the staff banner and the tests.

Parts: `database`, `broker` and `cache` are probed (a query, a broker connection, a
cache write and read); `worker` and `beat` are judged by the age of the heartbeat each
process writes to the cache itself (qms/tasks.py): the worker every
WORKER_HEARTBEAT_SECONDS from a thread started on `worker_ready`, beat each time it
publishes a task. A stamp older than its limit, missing, or unreadable (the cache is
down) fails that part. Any exception inside a check becomes that part's failure, named
by its class only (messages may carry addresses or passwords).
"""

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

# beat sent `qms.tasks.heartbeat` and a worker ran it: the whole round trip (ISO time).
HEARTBEAT_CACHE_KEY = "qms:heartbeat"
# Seconds since the epoch, written by each process itself.
WORKER_HEARTBEAT_KEY = "qms:heartbeat:worker"
BEAT_HEARTBEAT_KEY = "qms:heartbeat:beat"
HEARTBEAT_KEYS = {"worker": WORKER_HEARTBEAT_KEY, "beat": BEAT_HEARTBEAT_KEY}
CACHE_PROBE_KEY = "qms:health:probe"

WORKER_HEARTBEAT_SECONDS = 15

SERVICE_PARTS = ("database", "broker", "cache")
HEARTBEAT_PARTS = ("worker", "beat")
ALL_PARTS = SERVICE_PARTS + HEARTBEAT_PARTS


def max_age(part: str) -> int:
    """Seconds after which a heartbeat counts as stale (worker: 8 missed stamps;
    beat: 3 missed one-minute heartbeat sends)."""
    if part == "worker":
        return int(getattr(settings, "HEALTH_WORKER_MAX_AGE", 120))
    return int(getattr(settings, "HEALTH_BEAT_MAX_AGE", 180))


def stamp(key: str) -> None:
    """Record that the calling process is alive now."""
    cache.set(key, time.time(), timeout=None)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker(celery_app) -> None:
    """Raise unless the broker accepts a connection (and, embedded, its folders are writable)."""
    options = celery_app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = options.get(key)
        if folder and not os.access(folder, os.W_OK):
            raise ConnectionError(f"broker folder {folder} is not writable")
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def check_cache() -> None:
    """Raise unless the cache stores and returns a value."""
    token = repr(time.time())
    cache.set(CACHE_PROBE_KEY, token, timeout=60)
    if cache.get(CACHE_PROBE_KEY) != token:
        raise LookupError("the cache did not return what was stored")


def _probe(check: Callable[[], None]) -> dict[str, Any]:
    try:
        check()
    except Exception as exc:  # any failure means "not healthy"; say which kind, no message
        return {"status": "error", "reason": exc.__class__.__name__}
    return {"status": "ok"}


def _age(value: object, now: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # never written (or not ours)
    return max(0.0, now - float(value))  # clocks of two hosts may differ a little


def heartbeat_parts(parts: Iterable[str] = HEARTBEAT_PARTS) -> dict[str, dict[str, Any]]:
    """The worker's and beat's heartbeat ages: one cache read, no broker connection."""
    wanted = [part for part in parts if part in HEARTBEAT_KEYS]
    if not wanted:
        return {}
    try:
        values = cache.get_many([HEARTBEAT_KEYS[part] for part in wanted])
    except Exception as exc:  # the cache is down: the ages are unknown, so not healthy
        return {
            part: {
                "status": "error",
                "age_seconds": None,
                "max_age_seconds": max_age(part),
                "reason": f"unknown: the cache did not answer ({exc.__class__.__name__})",
            }
            for part in wanted
        }
    now = time.time()
    result: dict[str, dict[str, Any]] = {}
    for part in wanted:
        age = _age(values.get(HEARTBEAT_KEYS[part]), now)
        limit = max_age(part)
        entry: dict[str, Any] = {
            "status": "ok",
            "age_seconds": None if age is None else round(age),
            "max_age_seconds": limit,
        }
        if age is None:
            entry.update(status="error", reason="no heartbeat recorded")
        elif age > limit:
            entry.update(status="error", reason=f"heartbeat {round(age)} s old, limit {limit} s")
        result[part] = entry
    return result


def report(parts: Iterable[str] = ALL_PARTS, *, celery_app=None) -> dict[str, Any]:
    """Check `parts` and return `{"status": "ok"|"error", "failed": [...], "checks": {...}}`.

    Never raises. Only the heartbeat parts: cache reads alone (cheap enough per page).
    """
    wanted = [part for part in ALL_PARTS if part in set(parts)]
    checks: dict[str, dict[str, Any]] = {}
    for part in wanted:
        if part == "database":
            checks[part] = _probe(check_database)
        elif part == "broker":
            checks[part] = _probe(lambda: check_broker(celery_app or _celery_app()))
        elif part == "cache":
            checks[part] = _probe(check_cache)
    checks.update(heartbeat_parts(wanted))
    failed = [part for part in wanted if checks[part]["status"] != "ok"]
    return {"status": "error" if failed else "ok", "failed": failed, "checks": checks}


def worker_is_running() -> bool:
    """Whether the worker's heartbeat is fresh (one cache read; False when unknown)."""
    return heartbeat_parts(["worker"])["worker"]["status"] == "ok"


def _celery_app():
    from celery_app import app

    return app
