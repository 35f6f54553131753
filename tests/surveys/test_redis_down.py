"""Redis down: the public form still stores answers (the rate limit counts in the
process for a while, a warning logged) and never answers 500."""

import logging

import pytest

from surveys import ratelimit
from surveys.models import Response
from tests.surveys.test_public_form import start, submit_all

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DEAD_REDIS
    ratelimit._redis.cache_clear()
    ratelimit._local.clear()
    ratelimit._warned_at = 0.0
    yield
    ratelimit._redis.cache_clear()


def test_the_form_stores_answers_with_redis_down_and_says_so_in_the_log(
    anonymous, survey, redis_down, caplog
):
    with caplog.at_level(logging.WARNING, logger="surveys.ratelimit"):
        _, token = start(anonymous)
        response = submit_all(anonymous, token)
    assert response.status_code == 302 and "/ankieta/dziekujemy/" in response["Location"]
    assert Response.objects.count() == 1
    assert "rate-limit counters unreachable" in caplog.text


def test_the_rate_limit_still_holds_per_process_with_redis_down(
    anonymous, survey, redis_down, settings
):
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    for _ in range(2):
        _, token = start(anonymous)
        assert submit_all(anonymous, token).status_code == 302
    _, token = start(anonymous)
    assert submit_all(anonymous, token).status_code == 429
    assert Response.objects.count() == 2
