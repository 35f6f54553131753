"""The settings module validates the environment and refuses unsafe combinations."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = str(Path(__file__).resolve().parents[2] / "qms" / "settings.py")


def load(monkeypatch, tmp_path, **env):
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return runpy.run_path(SETTINGS)


def test_embedded_defaults(monkeypatch, tmp_path):
    s = load(monkeypatch, tmp_path)
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5
    assert s["CELERY_BROKER_URL"] == "filesystem://"
    options = s["CELERY_BROKER_TRANSPORT_OPTIONS"]
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        assert options[key].startswith(str(tmp_path)), key
        assert Path(options[key]).is_dir()
    assert s["CACHES"]["default"]["LOCATION"].startswith(str(tmp_path))
    assert s["TIME_ZONE"] == "Europe/Warsaw" and s["LANGUAGE_CODE"] == "pl"
    assert s["DEBUG"] is False


def test_production_uses_postgres_and_redis(monkeypatch, tmp_path):
    s = load(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://u:p@db:5432/qms",
        REDIS_URL="redis://redis:6379/0",
    )
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert s["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert s["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert s["CELERY_BROKER_TRANSPORT_OPTIONS"] == {}


def test_refuses_development_secret_key_with_debug_off(monkeypatch, tmp_path):
    from qms.settings import DEV_SECRET_KEY

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load(monkeypatch, tmp_path, SECRET_KEY=DEV_SECRET_KEY, DEBUG="0")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load(monkeypatch, tmp_path, SECRET_KEY=None, DEBUG=None)
    assert load(monkeypatch, tmp_path, SECRET_KEY=None, DEBUG="1")["DEBUG"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x/y"),
        ("REDIS_URL", "http://redis:6379"),
        ("SQLITE_TIMEOUT", "soon"),
        ("SQLITE_TIMEOUT", "0"),
        ("EMAIL_PORT", "-1"),
        ("SITE_URL", "ftp://x"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, tmp_path, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load(monkeypatch, tmp_path, **{name: value})


def test_env_example_lists_every_variable():
    import re

    source = Path(SETTINGS).read_text()
    used = set(re.findall(r'env_(?:str|bool|int|list|url)\(\s*"([A-Z_]+)"', source))
    example = Path(SETTINGS).parents[1].joinpath(".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.M))
    assert used <= listed, used - listed
