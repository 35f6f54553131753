"""Health checks shared by /healthz and the tests."""

import os

from django.db import connection

HEARTBEAT_CACHE_KEY = "qms:heartbeat"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker(celery_app) -> None:
    """Raise unless the broker accepts a connection (and, embedded, its folders are writable)."""
    options = celery_app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = options.get(key)
        if folder and not os.access(folder, os.W_OK):
            raise ConnectionError(f"broker folder {folder} is not writable")
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
