"""Hit counters for rate limits, kept in the cache's storage: never in the database.

A counter counts the hits on one key within a fixed window; it restarts at the latest
`timeout` seconds after its first hit. Where it lives follows the default cache:

- Redis (production): one round trip per hit (`SET NX EX` + `INCR`, pipelined) with a
  client kept per process. Django's `cache.incr()` takes two round trips and builds a
  new Redis client for each.
- The file cache (embedded mode): one byte appended per hit to a file of the current
  window, the count being the file's size. Appends (`O_APPEND`) are atomic between
  processes; Django's `FileBasedCache.incr()` reads, then rewrites the value, so two
  gunicorn workers could both write 6 over a 5, and it cost a tenth of a submission's
  time (bench/README.md). Windows are folders; a new one removes the older ones.
- Anything else (tests' memory cache): Django's cache API.

When the cache cannot be reached (Redis down or misconfigured), the count falls back to
a counter in this process (a warning logged, at most once a minute): the public form
keeps storing answers, the limit is only looser for a while (per process).
"""

import functools
import hashlib
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

log = logging.getLogger(__name__)


def hit(key: str, timeout: int) -> int:
    """Count one hit on `key` and return the count within the current window."""
    try:
        return _shared_hit(key, timeout)
    except (redis.RedisError, OSError) as error:
        _warn(error)
        return _local_hit(key, timeout)


_local_lock = threading.Lock()
_local: dict[tuple[str, int], int] = {}  # (key, window) -> hits, this process only
_warned_at = 0.0


def _warn(error: Exception) -> None:
    global _warned_at
    if time.monotonic() - _warned_at > 60:
        _warned_at = time.monotonic()
        log.warning(
            "rate-limit counters unreachable (%s); counting in this process until it is back",
            error.__class__.__name__,
        )


def _local_hit(key: str, timeout: int) -> int:
    window = int(time.time() // timeout)
    with _local_lock:
        for stale in [k for k in _local if k[1] < window]:
            del _local[stale]
        _local[(key, window)] = _local.get((key, window), 0) + 1
        return _local[(key, window)]


def _shared_hit(key: str, timeout: int) -> int:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)  # the cache's own prefix and version
        # SET NX creates the counter with its expiry only if it is missing; INCR keeps
        # the expiry. The writer is the first server of LOCATION (as Django splits it).
        pipe = _redis(cache._servers[0]).pipeline(transaction=False)  # type: ignore[attr-defined]
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    if isinstance(cache, FileBasedCache):
        folder = Path(settings.CACHES["default"]["LOCATION"]) / "counters"
        return _file_hit(folder, cache.make_and_validate_key(key), timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the first hit; if another request just added it, count on
        return 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)


@functools.cache
def _redis(url: str) -> redis.Redis:
    # The connection pool notices a fork (gunicorn, Celery) and reconnects in the child.
    return redis.Redis.from_url(url)


def _file_hit(root: Path, key: str, timeout: int) -> int:
    window = int(time.time() // timeout)
    path = root / f"{timeout}-{window}" / hashlib.sha256(key.encode()).hexdigest()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:  # the window's first hit
        path.parent.mkdir(parents=True, exist_ok=True)
        _drop_old_windows(root, timeout, window)
        fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, b".")
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def _drop_old_windows(root: Path, timeout: int, window: int) -> None:
    for folder in root.glob(f"{timeout}-*"):
        if folder.name.partition("-")[2].isdigit() and int(folder.name.partition("-")[2]) < window:
            shutil.rmtree(folder, ignore_errors=True)  # another process may be at it too


def submission_rate_exceeded(address: str) -> bool:
    """Count one final submission from `address` in the current clock hour and say whether
    that passes SURVEY_RATE_LIMIT_PER_HOUR. Counted in the cache only, under a key hashed
    with a salt that changes daily, so no address is stored or can be read back."""
    window = f"{settings.SECRET_KEY}:{timezone.localtime():%Y-%m-%d %H}"
    key = "survey-rate:" + hashlib.sha256(f"{window}:{address}".encode()).hexdigest()
    return hit(key, timeout=3600) > settings.SURVEY_RATE_LIMIT_PER_HOUR
