"""A real Celery worker consumes a task over the configured broker.

Embedded: kombu's filesystem transport in DATA_DIR. In .ci/run's second pass the
same test runs against Redis (REDIS_URL).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[1]


def configured_cache():
    """The cache the worker writes to (the tests' own cache is an in-memory one)."""
    from qms import settings as raw_settings

    conf = raw_settings.CACHES["default"]
    return import_string(conf["BACKEND"])(conf["LOCATION"], {})


def test_worker_runs_a_task_sent_through_the_broker():
    from celery_app import app
    from qms.health import HEARTBEAT_CACHE_KEY

    cache = configured_cache()
    cache.delete(HEARTBEAT_CACHE_KEY)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qms.settings"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_app",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
            "--queues",
            "celery",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False  # this test is about the real broker and worker
    try:
        app.send_task("qms.tasks.heartbeat")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and cache.get(HEARTBEAT_CACHE_KEY) is None:
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.5)
        assert cache.get(HEARTBEAT_CACHE_KEY) is not None, "the worker never ran the task"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_beat_schedule_names_registered_tasks():
    from celery_app import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
def test_heartbeat_task_is_idempotent():
    from django.core.cache import cache

    from qms.health import HEARTBEAT_CACHE_KEY
    from qms.tasks import heartbeat

    heartbeat()
    heartbeat()
    assert cache.get(HEARTBEAT_CACHE_KEY)
