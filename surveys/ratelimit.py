"""Hit counters in the shared cache, for rate limits: nothing is written to the database.

On Redis (production) a hit is one round trip with a client kept per process. Django's
`cache.incr()` would take two (`EXISTS`, then `INCRBY`) and build a new Redis client for
each; the public survey form counts every submission, so that was a tenth of its CPU
time (bench/README.md). Other caches (the embedded mode's file cache, tests' memory
cache) go through Django's cache API.
"""

import functools

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def hit(key: str, timeout: int) -> int:
    """Count one hit on `key` and return the count. The counter is created by the first
    hit and lives `timeout` seconds from then (a fixed window)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)  # the cache's own prefix and version
        # SET NX creates the counter with its expiry only if it is missing; INCR keeps
        # the expiry. Both in one round trip, no transaction needed.
        # The writer is the first server of LOCATION (Django splits it the same way).
        pipe = _redis(cache._servers[0]).pipeline(transaction=False)  # type: ignore[attr-defined]
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    try:
        return cache.incr(key)
    except ValueError:  # the first hit; if another request just added it, count on
        return 1 if cache.add(key, 1, timeout=timeout) else cache.incr(key)


@functools.cache
def _redis(url: str) -> redis.Redis:
    # The connection pool notices a fork (gunicorn, Celery) and reconnects in the child.
    return redis.Redis.from_url(url)
