"""The cast: one user per role, so permission tests read like the access policy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from qms.roles import Role
from tests.factories import (
    OrgUnitFactory,
    ServiceCardFactory,
    ServiceCardRevisionFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_isolated_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Tests render templates without collectstatic; test_static checks the manifest build.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()  # locmem storage outlives a test: counters (rate limits) must not


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """`.delay()` runs the task right here, so a test sees its effect (e-mails, rows).

    tests/test_celery.py proves the real worker separately (it uses send_task).
    """
    from celery_app import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def unit_a(db):
    return OrgUnitFactory(code="A", name_pl="Wydział A", name_en="Department A")


@pytest.fixture
def unit_b(db):
    return OrgUnitFactory(code="B", name_pl="Wydział B", name_en="Department B")


@pytest.fixture
def coordinator(db):
    """Quality coordinator: sees and manages everything, may use the admin."""
    return UserFactory(username="coordinator", roles=[Role.COORDINATOR])


@pytest.fixture
def head_a(unit_a):
    """Head of unit A: acts on unit A only."""
    user = UserFactory(username="head_a", roles=[Role.HEAD], unit=unit_a)
    unit_a.head = user
    unit_a.save()
    return user


@pytest.fixture
def head_b(unit_b):
    """Head of unit B: acts on unit B only; the 'other unit' for head_a."""
    user = UserFactory(username="head_b", roles=[Role.HEAD], unit=unit_b)
    unit_b.head = user
    unit_b.save()
    return user


@pytest.fixture
def staff(unit_a):
    """Front-desk staff in unit A: reads the catalogue, records surveys and observations."""
    return UserFactory(username="staff", roles=[Role.STAFF], unit=unit_a)


@pytest.fixture
def auditor(db):
    """Auditor: reads everything, changes nothing."""
    return UserFactory(username="auditor", roles=[Role.AUDITOR])


@pytest.fixture
def anonymous():
    """A client with no account: only the public pages."""
    return Client()


@pytest.fixture
def cast(coordinator, head_a, head_b, staff, auditor):
    return {
        "coordinator": coordinator,
        "head_a": head_a,
        "head_b": head_b,
        "staff": staff,
        "auditor": auditor,
    }


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def card_a(unit_a):
    card = ServiceCardFactory(
        code="A-01", unit=unit_a, title_pl="Wydanie zaświadczenia", title_en="Issuing a certificate"
    )
    ServiceCardRevisionFactory(card=card, number=1)
    return card


@pytest.fixture
def card_b(unit_b):
    card = ServiceCardFactory(code="B-01", unit=unit_b)
    ServiceCardRevisionFactory(card=card, number=1)
    return card


def pytest_report_header(config):
    from django.conf import settings

    return [
        f"database: {settings.DATABASES['default']['ENGINE']}",
        f"broker: {settings.CELERY_BROKER_URL.split('@')[-1]}",
    ]


ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `manage.py` in a fresh process (settings re-read from `env`)."""
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
