"""Storing a submission: the token, the response and its answers, all or nothing, once.

`response_submit` stores them through `response_store`, the one writer of responses, in
one transaction; these tests hold it to that, whatever the database.
"""

import multiprocessing
import os
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys import ratelimit
from surveys.forms import ResponseForm
from surveys.models import Answer, Channel, Choice, Response, UsedSubmissionToken
from surveys.services import DuplicateSubmission, response_submit, service_card_of
from tests.surveys.conftest import ANSWERS

pytestmark = pytest.mark.django_db


def cleaned(version) -> dict:
    form = ResponseForm(ANSWERS | {"token": "-"}, version=version)
    assert form.is_valid(), form.errors
    return form.cleaned_answers()


def submit(version, answers, nonce="n-1", **kwargs) -> Response:
    return response_submit(
        version=version,
        channel=Channel.WEB,
        answers=answers,
        nonce=nonce,
        service_card=service_card_of(answers),
        **kwargs,
    )


def test_every_answer_is_stored_with_its_response_and_the_token(version, card_a, desk_a):
    response = submit(version, cleaned(version), desk=desk_a)

    stored = Response.objects.get()
    assert stored.pk == response.pk and not response._state.adding
    assert (stored.version, stored.channel, stored.desk) == (version, Channel.WEB, desk_a)
    assert stored.service_card == card_a and stored.submitted_on == timezone.localdate()
    rows = {
        (a.question.key, a.choice.value if a.choice else None, a.number, a.text)
        for a in stored.answers.select_related("question", "choice")
    }
    assert rows == {
        ("card_read", "web", None, ""),
        ("card_useful", "yes", None, ""),
        ("card_clear", "yes", None, ""),
        ("card_complete", "no", None, ""),
        ("card_missing", "fees", None, ""),
        ("card_missing", "sample_form", None, ""),
        ("card_missing_text", None, None, "Brak wzoru wniosku"),
        ("settled", "yes", None, ""),
        ("staff_competence", "5", None, ""),
        ("staff_courtesy", "4", None, ""),
        ("plain_language", "na", None, ""),
        ("waiting_time", "3", None, ""),
        ("comments", None, None, "Dziękuję"),
    }
    assert UsedSubmissionToken.objects.get().nonce == "n-1"


def test_a_response_without_answer_rows_is_stored(version):
    submit(version, {})
    assert Response.objects.count() == 1 and Answer.objects.count() == 0


def test_a_used_token_stores_nothing_more(version):
    submit(version, cleaned(version), nonce="same")
    with pytest.raises(DuplicateSubmission):
        submit(version, cleaned(version), nonce="same")
    assert (Response.objects.count(), Answer.objects.count()) == (1, 13)


def test_a_duplicate_inside_a_callers_transaction_leaves_that_transaction_usable(version):
    # A paper sheet is stored inside its own transaction (under the batch's lock): on
    # PostgreSQL a failed statement would abort the whole transaction without a savepoint.
    with transaction.atomic():
        submit(version, {}, nonce="same")
        with pytest.raises(DuplicateSubmission):
            submit(version, {}, nonce="same")
        assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_that_cannot_be_stored_leaves_nothing_half_saved(card_a):
    from surveys.services import questionnaire_install_default

    version = questionnaire_install_default().active_version
    answers = cleaned(version)
    answers["settled"] = Choice(pk=10**9, value="ghost")  # no such choice: the FK fails
    with pytest.raises(IntegrityError):
        submit(version, answers)
    assert (UsedSubmissionToken.objects.count(), Response.objects.count()) == (0, 0)
    assert Answer.objects.count() == 0
    submit(version, cleaned(version))  # the same nonce is still free
    assert Response.objects.count() == 1


def test_frozen_questions_and_fields_are_built_once_and_copied_per_form(version):
    first = ResponseForm({"q_service": "A-01", "token": "-"}, version=version, page=1)
    second = ResponseForm(version=version, page=1)
    first.fields["q_card_read"].widget.attrs["data-x"] = "1"
    first.fields["q_card_read"].disabled = True
    first.is_valid()  # checks the service card code, which keeps the card on the field
    assert first.fields["q_service"].card is not None
    assert "data-x" not in second.fields["q_card_read"].widget.attrs
    assert not second.fields["q_card_read"].disabled
    assert second.fields["q_service"].card is None


CACHE_BACKENDS = {
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "file (embedded mode)": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"},
    "redis (production)": {"BACKEND": "django.core.cache.backends.redis.RedisCache"},
}


@pytest.fixture(params=CACHE_BACKENDS)
def counter_cache(request, settings, tmp_path):
    backend = dict(CACHE_BACKENDS[request.param])
    if "Redis" in backend["BACKEND"]:
        if not os.environ.get("REDIS_URL"):
            pytest.skip("Redis is tested where REDIS_URL is set (the PostgreSQL CI pass)")
        backend["LOCATION"] = os.environ["REDIS_URL"]
    elif "FileBased" in backend["BACKEND"]:
        backend["LOCATION"] = str(tmp_path / "cache")
    # A prefix of its own: the Redis database may be shared (never flushed here).
    settings.CACHES = {"default": backend | {"KEY_PREFIX": uuid.uuid4().hex}}
    cache = caches["default"]
    yield cache
    cache.delete_many(["k1", "k2", "k3"])


def test_the_rate_limit_counter_counts_each_key_from_one(counter_cache):
    assert [ratelimit.hit("k1", timeout=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("k2", timeout=60) == 1
    if not isinstance(counter_cache, FileBasedCache):
        assert counter_cache.get("k1") == 3  # the same key and value the cache API sees


def _hit_many(root, times):
    for _ in range(times):
        ratelimit._file_hit(root, "shared", 3600)


def test_file_counters_count_every_hit_of_concurrent_processes(tmp_path):
    # Django's FileBasedCache.incr() reads and rewrites: concurrent workers lose hits.
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hit_many, args=(tmp_path, 200)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert ratelimit._file_hit(tmp_path, "shared", 3600) == 801


def test_file_counters_restart_in_a_new_window_and_old_windows_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 3600 * 10 + 5)
    assert [ratelimit._file_hit(tmp_path, "k", 3600) for _ in range(2)] == [1, 2]
    monkeypatch.setattr(ratelimit.time, "time", lambda: 3600 * 11 + 1)
    assert ratelimit._file_hit(tmp_path, "k", 3600) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3600-11"]


@pytest.mark.parametrize("counter_cache", ["redis (production)"], indirect=True)
def test_on_redis_the_counter_expires_with_its_window(counter_cache):
    assert isinstance(counter_cache, RedisCache)
    ratelimit.hit("k3", timeout=60)
    client = ratelimit._redis(counter_cache._servers[0])
    assert 0 < client.ttl(counter_cache.make_and_validate_key("k3")) <= 60
