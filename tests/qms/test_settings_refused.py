"""Bad settings stop the process at start, naming the variable and never a password.

Each case starts a fresh Python with a crafted environment and runs `django.setup()`,
as gunicorn, the Celery worker and beat do on start.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); print('started')"
# Settings are read before the apps load; a full setup adds seconds (pandas, scipy).
SETTINGS_ONLY = "from django.conf import settings; settings.SECRET_KEY; print('started')"
PASSWORD = "s3cr3t-Pa55"  # in every URL below; must never be printed
KEY = secrets.token_urlsafe(50)


def start(tmp_path, *, code=SETUP, prefix=(), **env) -> subprocess.CompletedProcess:
    """`django.setup()` in a new process with only this environment (None: unset)."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "qms.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": KEY,
        "DEBUG": "0",
    }
    merged = {name: value for name, value in {**base, **env}.items() if value is not None}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [*prefix, sys.executable, "-c", code],
        cwd=ROOT,
        env=merged,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(result: subprocess.CompletedProcess, name: str, *hidden: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "started" not in result.stdout
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: "), output
    assert name in message, message
    for secret in (PASSWORD, *hidden):
        assert secret not in output
    return message


def assert_started(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


# --- SECRET_KEY -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SECRET_KEY": ""}, "is empty"),  # as in .env.example
        ({"SECRET_KEY": "   "}, "is empty"),
        ({"SECRET_KEY": "a-key-of-31-characters-xxxxxxxx"}, "too short (31 characters"),
        ({"SECRET_KEY": "abc123XYZ", "DEBUG": "1"}, "too short (9 characters"),
        ({"SECRET_KEY": None}, "DEBUG is off"),
        ({"SECRET_KEY": "dev-only-insecure-secret-key-change-me"}, "DEBUG is off"),
    ],
)
def test_weak_secret_key_is_refused(tmp_path, env, words):
    hidden = [env["SECRET_KEY"]] if (env["SECRET_KEY"] or "").strip() else []
    message = assert_refused(start(tmp_path, **env), "SECRET_KEY", *hidden)
    assert words in message
    assert "secrets.token_urlsafe" in message  # says how to make a good one


def test_secret_key_of_32_characters_starts(tmp_path):
    assert_started(start(tmp_path, code=SETTINGS_ONLY, SECRET_KEY="k" * 32))


def test_development_key_is_fine_while_debugging(tmp_path):
    assert_started(start(tmp_path, code=SETTINGS_ONLY, SECRET_KEY=None, DEBUG="1"))


# --- DATABASE_URL, REDIS_URL, CELERY_BROKER_URL ---------------------------------------

P = PASSWORD


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("DATABASE_URL", f"mysql://qms:{P}@db:3306/qms", "must start with"),
        ("DATABASE_URL", f"postgres:/qms:{P}@db:5432/qms", "two slashes"),
        ("DATABASE_URL", f"postgres://qms:{P}@:5432/qms", "no host name"),
        ("DATABASE_URL", f"postgres://qms:{P}@db:54x2/qms", "port"),
        ("DATABASE_URL", f"postgres://qms:{P}@db:0/qms", "port"),
        ("DATABASE_URL", f"postgres://qms:{P}@db:65536/qms", "port"),
        ("DATABASE_URL", f"postgres://qms:{P}@db:5432/", "names no database"),
        ("DATABASE_URL", f"postgres://qms:{P}@db:5432", "names no database"),
        ("DATABASE_URL", f"postgres://qms:{P}/x@db:5432/qms", "percent-encoded"),
        ("DATABASE_URL", f"postgres://qms:{P}#x@db:5432/qms", "percent-encoded"),
        ("DATABASE_URL", f"postgres://qms:{P}[@db:5432/qms", "percent-encoded"),
        ("DATABASE_URL", f"postgres://qms:{P}/qms", "port"),  # forgot @host: no password shown
        ("DATABASE_URL", "sqlite:///", "database file"),
        ("DATABASE_URL", "", "empty"),
        ("REDIS_URL", f"http://:{P}@redis:6379/0", "must start with"),
        ("REDIS_URL", f"redis:/:{P}@redis:6379/0", "two slashes"),
        ("REDIS_URL", "redis:/redis:6379/0", "two slashes"),
        ("REDIS_URL", f"redis://:{P}@/0", "no host name"),
        ("REDIS_URL", f"redis://:{P}@redis:port/0", "port"),
        ("REDIS_URL", f"redis://:{P}@redis:99999/0", "port"),
        ("REDIS_URL", f"redis://:{P}@redis:6379/x", "0 to 15"),
        ("REDIS_URL", f"redis://:{P}@redis:6379/99999", "0 to 15"),
        ("REDIS_URL", f"redis://:{P}@redis:6379/-1", "0 to 15"),
        ("REDIS_URL", f"redis://:{P}@redis:6379/16", "0 to 15"),
        ("REDIS_URL", f"redis://{P}@redis:6379/x", "0 to 15"),  # password as user name
        ("CELERY_BROKER_URL", f"amqp://guest:{P}@rabbit:5672//", "must start with"),
        ("CELERY_BROKER_URL", f"rediss://:{P}@redis:6380/1.5", "0 to 15"),
        ("CELERY_BROKER_URL", "filesystem:/", "two slashes"),
        ("CELERY_BROKER_URL", "", "empty"),
        ("SITE_URL", "https://", "no host name"),
    ],
)
def test_malformed_url_is_refused_without_its_password(tmp_path, name, value, words):
    message = assert_refused(start(tmp_path, **{name: value}), name)
    assert words in message, message
    if PASSWORD in value:
        assert "***" in message


@pytest.mark.parametrize(
    "env",
    [
        {"REDIS_URL": f"redis://:{P}@redis:6379/0"},
        {"REDIS_URL": "redis://redis"},
        {"REDIS_URL": "redis://redis:6379/"},
        {"REDIS_URL": "redis://[::1]:6379/15"},
        {"REDIS_URL": f"rediss://default:{P}@redis.example:6380/2?ssl_cert_reqs=required"},
        {"CELERY_BROKER_URL": f"redis://:{P}@broker:6379/1"},
        {"DATABASE_URL": f"postgresql://qms:{P}%2Fx@db.example/qms?sslmode=require"},
        {"DATABASE_URL": f"pgsql://qms:{P}@[2001:db8::1]:5432/qms"},
        {"DATABASE_URL": "postgres://%2Fvar%2Frun%2Fpostgresql/qms"},  # a Unix socket
    ],
)
def test_well_formed_urls_start(tmp_path, env):
    assert_started(start(tmp_path, code=SETTINGS_ONLY, **env))


# --- DATA_DIR -------------------------------------------------------------------------


def test_data_dir_that_cannot_be_created_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("")
    data = tmp_path.resolve() / "a-file" / "data"
    message = assert_refused(start(tmp_path, DATA_DIR=str(data)), "DATA_DIR")
    assert "cannot be created" in message and str(data) in message


def test_data_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("")
    message = assert_refused(start(tmp_path, DATA_DIR=str(tmp_path / "a-file")), "DATA_DIR")
    assert "is a file, not a folder" in message


def test_read_only_data_dir_is_refused(tmp_path):
    folder, prefix = tmp_path / "read-only", ()
    if os.geteuid() == 0:
        # Root writes anywhere: start as `nobody` (setpriv keeps the right to reach this
        # interpreter until it runs), in a folder root owns.
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv")
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
        folder = Path(tempfile.mkdtemp(prefix="qms-read-only-"))
        if start(tmp_path, code="import qms.env", prefix=prefix).returncode:
            shutil.rmtree(folder)
            pytest.skip("user nobody cannot read the project here")
    else:
        folder.mkdir()
    folder.chmod(0o555)
    try:
        result = start(tmp_path, prefix=prefix, DATA_DIR=str(folder))
        message = assert_refused(result, "DATA_DIR")
        assert "cannot write in the folder" in message and str(folder) in message
        assert not list(folder.iterdir())
    finally:
        folder.chmod(0o755)
        if prefix:
            shutil.rmtree(folder)


def test_data_dir_is_created_and_left_without_probe_files(tmp_path):
    data = tmp_path / "new" / "data"
    assert_started(start(tmp_path, code=SETTINGS_ONLY, DATA_DIR=str(data)))
    assert data.is_dir()
    assert not list(data.rglob(".write-check-*"))


# --- What the project itself starts with ----------------------------------------------


def test_make_run_env_starts(tmp_path):
    """Makefile's `.env`: a generated SECRET_KEY and SITE_URL, DEBUG off, embedded."""
    makefile = (ROOT / "Makefile").read_text()
    assert "secrets.token_urlsafe(50)" in makefile
    assert_started(
        start(tmp_path, code=SETTINGS_ONLY, SECRET_KEY=KEY, SITE_URL="http://127.0.0.1:8000")
    )


def test_pytest_env_starts(tmp_path):
    """The suite's own settings (pyproject's pytest `env`)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = dict(line.split("=", 1) for line in pyproject["tool"]["pytest"]["ini_options"]["env"])
    assert_started(start(tmp_path, code=SETTINGS_ONLY, **env))


def env_file(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose_app_environment(tmp_path) -> dict[str, str]:
    """What docker-compose.yml gives web, worker and beat: `.env` (a copy of .env.example),
    then its own `environment:` on top, with POSTGRES_PASSWORD set."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = env_file(ROOT / ".env.example")
    for name, value in compose["services"]["web"]["environment"].items():
        env[name] = re.sub(
            r"\$\{([A-Z_]+)(:-|:\?)([^}]*)\}",
            lambda m: PASSWORD if m[1] == "POSTGRES_PASSWORD" else m[3],
            str(value),
        )
    assert PASSWORD in env["DATABASE_URL"]
    env["DATA_DIR"] = str(tmp_path / "data")  # /data exists only in the image
    return env


def test_env_example_as_copied_is_refused_until_secret_key_is_set(tmp_path):
    env = compose_app_environment(tmp_path)
    assert env["SECRET_KEY"] == ""
    assert "is empty" in assert_refused(start(tmp_path, **env), "SECRET_KEY")


def test_docker_compose_env_starts_once_secret_key_is_set(tmp_path):
    env = compose_app_environment(tmp_path)
    env |= {"SECRET_KEY": KEY, "ALLOWED_HOSTS": "jakosc.urzad.example"}
    assert_started(start(tmp_path, **env))


def test_dockerfile_collectstatic_env_starts(tmp_path):
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(r"RUN SECRET_KEY=(\S+) DEBUG=(\S+) python manage.py", dockerfile)
    assert found, "the Dockerfile no longer runs manage.py with SECRET_KEY=… DEBUG=…"
    assert_started(start(tmp_path, SECRET_KEY=found[1], DEBUG=found[2]))


def test_env_example_lists_every_checked_variable():
    source = (ROOT / "qms" / "settings.py").read_text()
    used = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    assert {"SECRET_KEY", "DATA_DIR", "REDIS_URL", "CELERY_BROKER_URL"} <= used
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.M))
    assert used <= listed, used - listed


# --- manage.py check --tag services --database default -------------------------------


def manage_check(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    merged = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": KEY,
        "DEBUG": "1",
        **env,
    }
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=merged,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Nothing listens on port 1: both connections are refused at once.
DOWN = {
    "DATABASE_URL": f"postgres://qms:{PASSWORD}@127.0.0.1:1/qms",
    "REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:1/0",
}


def test_services_check_passes_when_the_embedded_services_answer(tmp_path):
    result = manage_check(tmp_path, "--tag", "services", "--database", "default")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_services_check_names_each_service_that_does_not_answer(tmp_path):
    result = manage_check(tmp_path, "--tag", "services", "--database", "default", **DOWN)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "database: (qms.E001) The database does not answer" in output
    assert "broker: (qms.E002) The Celery broker does not accept a connection" in output
    assert "redis://:***@127.0.0.1:1/0" in output
    assert PASSWORD not in output


def test_plain_check_does_not_contact_the_services(tmp_path):
    result = manage_check(tmp_path, **DOWN)
    assert result.returncode == 0, result.stderr
    assert "qms.E00" not in result.stdout + result.stderr
