import os
from urllib.parse import urlparse, urlunparse

import pytest
from django.core.management import call_command

from tests.conftest import run_manage


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database on the engine the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    import psycopg

    name = "qms_empty_migrate_check"
    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    yield urlunparse(urlparse(url)._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


def test_migrations_apply_on_an_empty_database(empty_database_url, tmp_path):
    env = {"DATABASE_URL": empty_database_url, "DATA_DIR": str(tmp_path)}
    result = run_manage("migrate", "--noinput", **env)
    assert result.returncode == 0, result.stderr
    groups = "from django.contrib.auth.models import Group; print(Group.objects.count())"
    check = run_manage("shell", "-c", groups, **env)
    assert check.stdout.strip().splitlines()[-1] == "4", check.stderr
