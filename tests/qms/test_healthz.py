"""/healthz tells the truth about every part (JSON always, 503 naming what failed), the
coordinator's banner when the background process is late, and "Run the cycle now"."""

import time

import pytest
from django.core.cache import cache

from qms import health


def fresh_heartbeats():
    health.stamp(health.WORKER_HEARTBEAT_KEY)
    health.stamp(health.BEAT_HEARTBEAT_KEY)


def age_heartbeat(key: str, seconds: float) -> None:
    cache.set(key, time.time() - seconds, timeout=None)


def healthz(anonymous):
    response = anonymous.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


@pytest.mark.django_db
def test_healthz_ok_when_every_part_answers_and_both_heartbeats_are_fresh(anonymous):
    fresh_heartbeats()
    response, body = healthz(anonymous)
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "broker", "cache", "worker", "beat"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["worker"]["age_seconds"] < 30
    assert body["checks"]["worker"]["max_age_seconds"] == 120
    assert body["checks"]["beat"]["max_age_seconds"] == 180


@pytest.mark.django_db
def test_a_stale_worker_heartbeat_fails_the_worker(anonymous):
    fresh_heartbeats()
    age_heartbeat(health.WORKER_HEARTBEAT_KEY, 300)
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"]["age_seconds"] == 300
    assert "300 s old" in body["checks"]["worker"]["reason"]
    assert body["checks"]["beat"]["status"] == "ok"


@pytest.mark.django_db
def test_a_missing_worker_heartbeat_fails_the_worker(anonymous):
    health.stamp(health.BEAT_HEARTBEAT_KEY)
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"] == {
        "status": "error",
        "age_seconds": None,
        "max_age_seconds": 120,
        "reason": "no heartbeat recorded",
    }


@pytest.mark.django_db
def test_a_stale_beat_heartbeat_fails_beat_with_its_own_limit(anonymous, settings):
    settings.HEALTH_BEAT_MAX_AGE = 600
    fresh_heartbeats()
    age_heartbeat(health.BEAT_HEARTBEAT_KEY, 500)
    assert healthz(anonymous)[0].status_code == 200
    age_heartbeat(health.BEAT_HEARTBEAT_KEY, 700)
    response, body = healthz(anonymous)
    assert response.status_code == 503 and body["failed"] == ["beat"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "location",
    ["redis://127.0.0.1:1/0", "redis://127.0.0.1:not-a-port/0"],
    ids=["down", "malformed"],
)
def test_the_cache_down_is_a_503_json_naming_it_and_the_ages_unknown(anonymous, settings, location):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["cache", "worker", "beat"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["reason"].isidentifier()  # an exception class, no address
    for part in ("worker", "beat"):
        assert body["checks"][part]["age_seconds"] is None
        assert body["checks"][part]["reason"].startswith("unknown")
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "broker", ["redis://127.0.0.1:1/0", "redis://127.0.0.1:not-a-port/0"], ids=["down", "malformed"]
)
def test_the_broker_failing_is_a_503_naming_it(anonymous, monkeypatch, broker):
    from celery import Celery

    import celery_app

    fresh_heartbeats()
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setattr(celery_app, "app", Celery("down", broker=broker, set_as_current=False))
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_the_database_failing_is_a_503_naming_it(anonymous, monkeypatch):
    def broken():
        raise OSError("database gone")

    fresh_heartbeats()
    monkeypatch.setattr(health, "check_database", broken)
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {"status": "error", "reason": "OSError"}


@pytest.mark.django_db
def test_any_exception_in_a_heartbeat_read_fails_that_part_not_the_page(anonymous, monkeypatch):
    class Exploding:
        def __getattr__(self, name):
            raise RuntimeError("boom")

    monkeypatch.setattr(health, "cache", Exploding())
    response, body = healthz(anonymous)
    assert response.status_code == 503
    assert body["failed"] == ["cache", "worker", "beat"]
    assert body["checks"]["cache"]["reason"] == "RuntimeError"


# --- the coordinator's banner ---------------------------------------------------------

BANNER = "qms-background-alert"


def test_the_coordinator_sees_the_banner_when_the_worker_is_late(client_for, coordinator):
    health.stamp(health.BEAT_HEARTBEAT_KEY)
    age_heartbeat(health.WORKER_HEARTBEAT_KEY, 400)
    response = client_for(coordinator).get("/dashboard/", HTTP_ACCEPT_LANGUAGE="pl")
    page = response.content.decode().replace("\xa0", " ")
    assert BANNER in page
    assert "Proces w tle się spóźnia albo nie działa." in page
    assert "Wykonawca zadań (worker): ostatni sygnał 6 minut temu." in page
    assert "Harmonogram (beat)" not in page  # beat is fine


def test_the_banner_names_a_missing_beat_in_english(client_for, coordinator):
    health.stamp(health.WORKER_HEARTBEAT_KEY)
    page = client_for(coordinator).get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The background process is late or not running." in page
    assert "Scheduler (beat): no heartbeat yet" in page


def test_no_banner_when_both_heartbeats_are_fresh(client_for, coordinator):
    fresh_heartbeats()
    assert BANNER not in client_for(coordinator).get("/dashboard/").content.decode()


@pytest.mark.parametrize("role", ["head_a", "staff", "auditor"])
def test_no_banner_for_who_cannot_run_the_cycle(cast, client_for, role):
    age_heartbeat(health.WORKER_HEARTBEAT_KEY, 400)
    assert BANNER not in client_for(cast[role]).get("/dashboard/").content.decode()


def test_the_banner_reads_the_cache_only(client_for, coordinator, monkeypatch):
    """No broker connection per page: the broker check is never called."""

    def no_broker(*args, **kwargs):
        raise AssertionError("the banner connected to the broker")

    monkeypatch.setattr(health, "check_broker", no_broker)
    monkeypatch.setattr(health, "check_database", no_broker)
    page = client_for(coordinator).get("/dashboard/").content.decode()
    assert BANNER in page


# --- "Run the cycle now" ---------------------------------------------------------------


@pytest.fixture
def queued_not_run(monkeypatch):
    """`.delay()` reaches the broker (stubbed) instead of running in the test."""
    from celery_app import app
    from review import tasks

    sent = []
    monkeypatch.setattr(tasks.advance_cycles, "delay", lambda: sent.append(1))
    app.conf.task_always_eager = False  # tests/conftest.py sets it back
    return sent


def test_run_now_says_the_sweep_waits_when_the_worker_is_stale(
    client_for, coordinator, queued_not_run
):
    age_heartbeat(health.WORKER_HEARTBEAT_KEY, 400)
    response = client_for(coordinator).post("/review/run/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert queued_not_run == [1]
    assert "will run only when the background process is back" in page
    assert "runs in the background; reload" not in page


def test_run_now_promises_only_with_a_fresh_worker(client_for, coordinator, queued_not_run):
    fresh_heartbeats()
    response = client_for(coordinator).post("/review/run/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "The cycle runs in the background; reload this page in a moment." in page
    assert "will run only when" not in page


# --- who writes the heartbeats (qms/tasks.py) -------------------------------------------


def test_the_worker_stamps_from_ready_until_shutdown():
    from qms import tasks

    # The receivers themselves: sending worker_ready would also queue review's catch-up.
    tasks._start_worker_pulse()
    try:
        assert health.worker_is_running()
        assert tasks._pulse is not None and tasks._pulse._thread.is_alive()
        thread = tasks._pulse._thread
    finally:
        tasks._stop_worker_pulse()
    assert tasks._pulse is None and not thread.is_alive()


def test_beat_stamps_when_it_starts_and_when_it_sends_but_the_web_does_not(monkeypatch):
    from celery import signals

    from qms import tasks

    monkeypatch.setattr(tasks, "_in_beat", False)
    signals.after_task_publish.send(sender="qms.tasks.heartbeat")  # the web queueing a task
    assert cache.get(health.BEAT_HEARTBEAT_KEY) is None

    signals.beat_init.send(sender=None)
    assert cache.get(health.BEAT_HEARTBEAT_KEY) is not None
    cache.delete(health.BEAT_HEARTBEAT_KEY)
    signals.after_task_publish.send(sender="qms.tasks.heartbeat")  # beat sending it
    assert health.report(["beat"])["status"] == "ok"


def test_a_heartbeat_the_cache_refuses_does_not_stop_the_process(monkeypatch):
    from qms import tasks

    def down(key):
        raise ConnectionError("redis gone")

    monkeypatch.setattr(health, "stamp", down)
    tasks._stamp(health.WORKER_HEARTBEAT_KEY)  # logged, not raised
