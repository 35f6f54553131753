"""On-demand checks that the services answer:
`manage.py check --tag services --database default`.

Like Django's own database checks they run only when `--database` is given, so a plain
`check` (which Django also runs before migrate, runserver and most commands) skips
them: a broker that is down must not stop a migration. Run them after a deploy or a settings change;
each service that does not answer is one Error naming it.
"""

import contextlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error

from celery_app import app as celery_app
from qms import health
from qms.env import mask_url

SERVICES = "services"


def _secrets() -> list[str]:
    """Passwords an error text might quote: never shown."""
    found = [settings.DATABASES["default"].get("PASSWORD") or ""]
    for url in (settings.CELERY_BROKER_URL, getattr(settings, "REDIS_URL", "")):
        with contextlib.suppress(ValueError):  # settings refused malformed ones already
            found.append(urlsplit(url).password or "")
    return [secret for secret in found if secret]


def _describe(exc: BaseException, secrets: Iterable[str]) -> str:
    text = " ".join(str(exc).split()) or "no details"
    for secret in secrets:
        text = text.replace(secret, "***")
    return f"{exc.__class__.__name__}: {text}"


def _database_description() -> str:
    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite file {db['NAME']}"
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{engine} database {db['NAME']!r} on {host}{port}"


def check_services(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The database answers a query and the Celery broker accepts a connection."""
    if not kwargs.get("databases"):
        return []  # like Django's own database checks: only with --database
    secrets = _secrets()
    errors: list[CheckMessage] = []
    try:
        health.check_database()
    except Exception as exc:  # any failure: report it, with its kind, and go on
        errors.append(
            Error(
                f"The database does not answer ({_database_description()}): "
                f"{_describe(exc, secrets)}",
                hint=(
                    "Check DATABASE_URL (host, port, name, user and password), and that the "
                    "database server is running and accepts connections from this machine."
                ),
                obj="database",
                id="qms.E001",
            )
        )
    try:
        health.check_broker(celery_app)
    except Exception as exc:
        errors.append(
            Error(
                f"The Celery broker does not accept a connection "
                f"({mask_url(settings.CELERY_BROKER_URL)}): {_describe(exc, secrets)}",
                hint=(
                    "Check CELERY_BROKER_URL (or REDIS_URL, which it defaults to) and that "
                    "Redis is running; in the embedded mode (filesystem://), that the "
                    "folders under DATA_DIR/celery are writable."
                ),
                obj="broker",
                id="qms.E002",
            )
        )
    return errors
