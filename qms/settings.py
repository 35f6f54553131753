"""Settings for the QMS: one module, every value from the environment.

Each variable has exactly one default here; every variable is listed in
`.env.example`. The defaults give the *embedded* mode (SQLite in WAL mode, Celery
over kombu's filesystem transport, a file cache) that runs on a laptop with no
servers. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL (broker + cache).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from qms.env import (
    env_bool,
    env_dir,
    env_int,
    env_list,
    env_secret_key,
    env_str,
    env_url,
    mask_url,
    writable_dir,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused when DEBUG is off


# --- Core -----------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
# At least 32 characters; the development key (the default) only with DEBUG on.
SECRET_KEY = env_secret_key("SECRET_KEY", DEV_SECRET_KEY, debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes={"http", "https"}).rstrip("/")

# Everything the embedded mode writes (database, broker folders, cache, media)
# lives under one directory, so a laptop install is one folder to back up or delete.
# Created here and refused unless writable: a read-only one would fail every request.
DATA_DIR = env_dir("DATA_DIR", str(BASE_DIR / "data"))

INSTALLED_APPS = [
    "qms.apps.QmsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "csp",
    "viewflow",
    "viewflow.workflow",
    "qms.apps.QmsConfig",
    "notifications",
    "surveys",
    "workflows",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qms.middleware.CSPMiddleware",  # django-csp, one nonce per signed-in session
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless marked @login_not_required (public survey,
    # /healthz, login): a forgotten decorator fails closed.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Cache-Control, Permissions-Policy and Content-Language (qms/middleware.py).
    "qms.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qms.urls"
WSGI_APPLICATION = "qms.wsgi.application"
AUTH_USER_MODEL = "qms.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qms.context_processors.office",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError:  # its message may quote the URL, password included
    raise ImproperlyConfigured(
        f"DATABASE_URL cannot be read; it is {mask_url(DATABASE_URL)!r}."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Web, worker and beat write to one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock at BEGIN (so a transaction never has
    # to upgrade its lock and fail), and the timeout makes writers queue instead
    # of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_TIMEOUT", 20, minimum=1),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache in production --------------------------------------------

REDIS_URL = env_url("REDIS_URL", "", schemes={"redis", "rediss"}, allow_empty=True)

CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache is shared by every process of the embedded mode (gunicorn
    # workers, Celery), which a per-process memory cache would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            # Its incr() re-sets a key with this default timeout: an hour keeps the
            # survey's hourly rate-limit counters alive for their whole window.
            "TIMEOUT": 3600,
        }
    }

# --- Celery ---------------------------------------------------------------------------

CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", REDIS_URL or "filesystem://", schemes={"filesystem", "redis", "rediss"}
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "celery" / "queue"
    # In and out are one folder: producer and consumer are on the same machine.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(DATA_DIR / "celery" / "control"),
        "processed_folder": str(DATA_DIR / "celery" / "processed"),
        "store_processed": False,
    }
    # kombu expects the folders to exist; web (producer) and worker both need them.
    for _folder in (
        _broker_dir,
        DATA_DIR / "celery" / "control",
        DATA_DIR / "celery" / "processed",
    ):
        writable_dir("DATA_DIR", _folder)
# --- Health (/healthz, the coordinator's banner) ---------------------------------------
# Seconds after which the worker's heartbeat (written every 15 s) or beat's (written on
# each task it sends, at least once a minute) counts as stale.
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 120, minimum=30)
HEALTH_BEAT_MAX_AGE = env_int("HEALTH_BEAT_MAX_AGE", 180, minimum=90)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
# With Redis, a message is acknowledged after its task ran, and a worker killed mid-task
# gives it back (reject_on_worker_lost). The embedded filesystem broker deletes a message
# when a worker takes it, so what a killed worker held is lost there: every task is
# idempotent and periodic (or covered by a periodic sweep, like the notification outbox).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Warsaw"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # The beat → broker → worker round trip (qms:heartbeat); worker and beat also stamp
    # themselves (qms/tasks.py), which /healthz and the coordinator's banner read.
    "heartbeat": {"task": "qms.tasks.heartbeat", "schedule": 60.0},
    # Results-pack files no pack points to (a build killed half-way); temporary ones
    # once they are an hour old.
    "cleanup-files": {
        "task": "review.tasks.cleanup_files",
        "schedule": crontab(day_of_week="sunday", hour=4, minute=30),
    },
    # The notification outbox: e-mails whose task was lost or failed.
    "deliver-pending-emails": {
        "task": "notifications.tasks.deliver_pending_emails",
        "schedule": 60.0,
    },
    # Used one-time survey tokens are only needed for a day or two.
    "purge-submission-tokens": {
        "task": "surveys.tasks.purge_submission_tokens",
        "schedule": 6 * 3600.0,
    },
    # viewflow's database-backed timers: reminders and escalations of nonconformity steps.
    "fire-workflow-timers": {"task": "workflows.tasks.fire_timers", "schedule": 60.0},
    # The annual review cycle: every due step of every open cycle, once (idempotent;
    # catches up after downtime). Daily at 06:00, and on demand from /review/.
    "review-cycle": {
        "task": "review.tasks.advance_cycles",
        "schedule": crontab(hour=6, minute=0),
    },
    # Staff who have not contributed to an observation round near its due date.
    "observation-round-reminders": {
        "task": "surveys.tasks.send_round_reminders",
        "schedule": 3 * 3600.0,
    },
}

# --- API ------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "surveys.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "QMS – API",
    "DESCRIPTION": (
        "Survey API: the active questionnaire for kiosk apps, anonymous submission "
        "(the same rules as the web form), and responses for staff."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Surveys ---------------------------------------------------------------------------

# Final submissions of the public form per client address and hour (counted in the
# cache only, under a salted hash). Office Wi-Fi shares one address: keep it generous.
# The anonymity rule: results, counts and pooled free text are shown only for groups of at
# least this many respondents (single responses: the quality coordinator alone). The
# public form's privacy notice prints it; the analysis suppresses smaller cells.
ANONYMITY_MIN_GROUP = env_int("ANONYMITY_MIN_GROUP", 10, minimum=5)
SURVEY_RATE_LIMIT_PER_HOUR = env_int("SURVEY_RATE_LIMIT_PER_HOUR", 60, minimum=1)
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). With N, the rate limit counts the Nth address from the right;
# anything further left is the client's own claim and is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Desk tablet: seconds without input before it asks "more time?", then seconds until it
# clears the form (WCAG 2.2.1: at least 20 s to answer), and the thank-you screen's time.
SURVEY_KIOSK_IDLE_SECONDS = env_int("SURVEY_KIOSK_IDLE_SECONDS", 90, minimum=10)
SURVEY_KIOSK_WARNING_SECONDS = env_int("SURVEY_KIOSK_WARNING_SECONDS", 30, minimum=20)
SURVEY_KIOSK_THANKS_SECONDS = env_int("SURVEY_KIOSK_THANKS_SECONDS", 8, minimum=3)
# Request bodies above this are refused (the public form is a few kilobytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=10_000)

# --- Nonconformities ------------------------------------------------------------------

# Evidence files attached to nonconformities and actions.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10_000_000, minimum=100_000)

# --- Auth -----------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True
# Project strings in locale/; Polish for viewflow's own strings (it ships none) in
# locale_vendor/, kept apart so `makemessages` never marks them obsolete.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]

# --- Static and media -----------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "qms.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "jakosc@urzad.example")

# --- Security (production) ------------------------------------------------------------

# X-Forwarded-Proto says "https" only when a proxy we trust wrote it: with no proxy
# (TRUSTED_PROXY_COUNT=0) any client could send it and pass for a secure request.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The container's own health check asks over plain HTTP, past the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Session, CSRF and language cookies travel over HTTPS only, unless developing.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page of ours uses (qms.middleware sends it on every response).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading binds every subdomain of the office's registrable domain to HTTPS for
    # months and is hard to undo: an operator opts in (SECURE_HSTS_PRELOAD=1), and
    # `check --deploy` should not nag those who do not.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# --- Content-Security-Policy ----------------------------------------------------------

# Scripts only from our own origin or inline with the page's nonce
# (`nonce="{{ request.csp_nonce }}"`; qms.middleware.CSPMiddleware). <style> elements
# likewise, plus the one Turbo (in viewflow's static files) writes for its progress bar,
# by its hash. Style *attributes* stay allowed (style-src-attr): our templates and
# viewflow's Material frontend (its templates and its JavaScript) set them everywhere.
TURBO_PROGRESS_BAR_CSS = "'sha256-WAyOw4V+FqDc35lQPyRADLBWbuNK8ahvYEaQIYF1+Ps='"  # Turbo 7.3.0
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE, TURBO_PROGRESS_BAR_CSS],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Login throttling (django-axes) ---------------------------------------------------

# After LOGIN_FAILURE_LIMIT failed sign-ins for one username, or from one client address
# (either is enough), sign-in is refused for LOGIN_COOLOFF_MINUTES after the last failure;
# the quality coordinator can lift it sooner at /dashboard/lockouts/.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AUTHENTICATION_BACKENDS = [
    "qms.lockouts.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one is enough
# The same client address as the survey's rate limit (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "qms.http.client_address"
AXES_LOCKOUT_CALLABLE = "qms.lockout_views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# A successful sign-in does not wipe the counters: it would also wipe the failures its
# address made against other accounts, so one valid account could reset the limit.
AXES_RESET_ON_SUCCESS = False
# No log of successful sign-ins (username, address, browser kept forever): failures are
# all the throttle needs.
AXES_DISABLE_ACCESS_LOG = True

# --- Logging --------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
