"""A process really killed (SIGKILL) while it builds the results packs, then run again.

In-process tests (test_cycle.py) cover the same with an exception; this one proves it
with a separate `manage.py advance_cycles` process and its own SQLite database, the
way a worker dies when the machine loses power.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.db import connection

from tests.conftest import ROOT

SETUP = """
import datetime
from review import demo
from review.models import Cycle, Standard
from surveys.models import QuestionnaireVersion
version = QuestionnaireVersion.objects.get(status="active")
demo.generate_responses(version, 2026, seed=1)
Standard.objects.create(  # strict, so that there are breaches to raise
    name_pl="Test", kind="share_at_least", key="card_useful", target=0.99, minimum_sample=10
)
Cycle.objects.create(
    year=2026, version=version,
    survey_opens_on=datetime.date(2026, 1, 1), survey_closes_on=datetime.date(2026, 7, 31),
    observations_due_on=datetime.date(2026, 7, 31), analysis_due_on=datetime.date(2026, 8, 30),
    catalogue_due_on=datetime.date(2026, 10, 31),
)
"""


DEPLOYMENT_VARIABLES = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _query(db, sql):
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs once, on the embedded pass (its own SQLite database in a subprocess)",
)
def test_a_killed_sweep_leaves_no_pack_and_the_next_run_finishes(tmp_path):
    assert connection.vendor == "sqlite"
    # The embedded setup in a directory of its own, whatever this test run uses.
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    env |= {"DATA_DIR": str(tmp_path), "DEBUG": "1"}
    db = tmp_path / "db.sqlite3"
    for args in (["migrate", "-v0"], ["load_demo", "--no-history"], ["shell", "-c", SETUP]):
        done = manage(env, *args)
        assert done.returncode == 0, done.stderr
    sweep = subprocess.Popen(
        [sys.executable, "manage.py", "advance_cycles", "--today", "2026-08-30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if _query(
                db, "SELECT 1 FROM review_step WHERE name='nonconformities' AND done_at IS NOT NULL"
            ):
                break
            assert sweep.poll() is None, "the sweep ended before it reached the packs"
            time.sleep(0.2)
        time.sleep(3)  # a few packs are written to disk by now, none committed
        assert sweep.poll() is None, "the packs step finished before the kill"
        sweep.send_signal(signal.SIGKILL)
        sweep.wait(30)
    finally:
        if sweep.poll() is None:
            sweep.kill()

    assert _query(db, "SELECT COUNT(*) FROM review_pack") == [(0,)]
    assert _query(db, "SELECT done_at FROM review_step WHERE name='packs'") in ([], [(None,)])
    assert _query(db, "SELECT COUNT(*) FROM review_finding") != [(0,)]  # earlier steps kept
    items = _query(db, "SELECT COUNT(*) FROM workflows_nonconformity")

    again = manage(env, "advance_cycles", "--today", "2026-08-30")
    assert again.returncode == 0, again.stderr
    units = _query(db, "SELECT COUNT(*) FROM qms_orgunit WHERE is_active")[0][0]
    rows = _query(db, "SELECT unit_id, COUNT(*) FROM review_pack GROUP BY unit_id")
    assert len(rows) == units + 1 and all(count == 1 for _unit, count in rows)
    assert _query(db, "SELECT COUNT(*) FROM workflows_nonconformity") == items  # none doubled
