"""The cycle's sweep never holds the database's write lock for long (tracker issue 13).

On SQLite one writer at a time holds the lock; a step that computes inside its
transaction makes every other writer (the public form, the Celery worker) wait, and
fail after SQLITE_TIMEOUT. The steps claim, build outside any transaction, then publish
in short transactions; the packs get stable file names, and `cleanup_files` removes
what a killed build left behind.
"""

import datetime
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from review import packs
from review.models import Indicator, Pack
from tests.conftest import ROOT
from tests.review.conftest import YEAR, answer
from tests.review.test_cycle import AUG_30, MAY, run_on
from tests.review.test_killed_worker import DEPLOYMENT_VARIABLES, SETUP, manage

# --- a writer beside the sweep, on a real SQLite file ----------------------------------

# Another process writes a survey response every 50 ms the way the public form does (a
# transaction through the ORM) with a 2 s busy timeout, and reports each write's time.
WRITER = """
import datetime, json, os, time
from django.db import OperationalError, transaction
from qms.models import ServiceCard
from surveys.models import Channel, QuestionnaireVersion, Response
version = QuestionnaireVersion.objects.get(status="active")
card = ServiceCard.objects.filter(is_active=True).order_by("code").first()
samples = []
open(os.environ["WRITER_READY"], "w").close()
while not os.path.exists(os.environ["WRITER_STOP"]):
    started, error = time.monotonic(), ""
    try:
        with transaction.atomic():  # BEGIN IMMEDIATE: waits for the write lock
            Response.objects.create(  # after the survey period: not in the analysis
                version=version, channel=Channel.WEB, service_card=card,
                submitted_on=datetime.date(2026, 9, 15),
            )
    except OperationalError as e:
        error = str(e)
    samples.append([time.time(), time.monotonic() - started, error])
    time.sleep(0.05)
print("SAMPLES " + json.dumps(samples))
"""


def _step_times(db: Path) -> dict[str, float]:
    import sqlite3

    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT name, done_at FROM review_step WHERE done_at IS NOT NULL")
        return {
            name: datetime.datetime.fromisoformat(done).replace(tzinfo=datetime.UTC).timestamp()
            for name, done in rows
        }


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the write lock is SQLite's: runs on the embedded pass, in its own database",
)
def test_the_public_form_can_write_while_the_sweep_builds_the_packs(tmp_path):
    assert connection.vendor == "sqlite"
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    env |= {"DATA_DIR": str(tmp_path), "DEBUG": "1"}
    for args in (["migrate", "-v0"], ["load_demo", "--no-history"], ["shell", "-c", SETUP]):
        done = manage(env, *args)
        assert done.returncode == 0, done.stderr
    ready, stop = tmp_path / "writer-ready", tmp_path / "writer-stop"
    writer = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "shell", "-c", WRITER],
        cwd=ROOT,
        env={**env, "SQLITE_TIMEOUT": "2", "WRITER_READY": str(ready), "WRITER_STOP": str(stop)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert writer.poll() is None, writer.communicate()[1]
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.1)
        sweep = manage(env, "advance_cycles", "--today", "2026-08-30")
        assert sweep.returncode == 0, sweep.stderr
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    samples = json.loads(out.split("SAMPLES ", 1)[1])

    steps = _step_times(tmp_path / "db.sqlite3")
    assert {"analyse", "nonconformities", "packs", "deliver"} <= set(steps)
    errors = [s for s in samples if s[2]]
    assert errors == [], f"{len(errors)} of {len(samples)} writes failed: {errors[0][2]}"
    slowest = max(s[1] for s in samples)
    assert slowest < 2, f"a write waited {slowest:.1f} s for the lock"
    during_packs = [s for s in samples if steps["nonconformities"] < s[0] < steps["packs"]]
    assert len(during_packs) >= 20, "the writer must have run while the packs were built"


# --- a crash between building and publishing; stable names; cleanup ---------------------


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def breach(cycle, useful_standard, card_a, card_b):
    """Card A-01 breaches the standard; B-01 does not."""
    answer(cycle.version, card_a, useful=20, not_useful=40, day=MAY)
    answer(cycle.version, card_b, useful=58, not_useful=2, day=MAY)


def test_a_sweep_killed_before_publishing_is_rebuilt_under_stable_names_leaving_no_orphan(
    cycle, breach, monkeypatch
):
    real_publish, real_discard = packs.pack_publish, packs.pack_discard

    def killed(built, **kwargs):
        raise SystemExit("killed between building and publishing")

    monkeypatch.setattr(packs, "pack_publish", killed)
    monkeypatch.setattr(packs, "pack_discard", lambda built: None)  # a kill cleans up nothing
    with pytest.raises(SystemExit):
        run_on(AUG_30)
    assert not Pack.objects.exists()
    leftovers = media_files()
    assert len(leftovers) == 6  # units A and B and the management review, PDF and XLSX
    assert all(name.endswith(".tmp") for name in leftovers)

    monkeypatch.setattr(packs, "pack_publish", real_publish)
    monkeypatch.setattr(packs, "pack_discard", real_discard)
    assert f"{YEAR}:packs" in run_on(AUG_30)
    stable = {name for p in Pack.objects.all() for name in (p.pdf.name, p.xlsx.name)}
    assert stable == {
        f"packs/{YEAR}/{stem}-{YEAR}.{ext}"
        for stem in ("unit-A", "unit-B", "management-review")
        for ext in ("pdf", "xlsx")
    }
    call_command("cleanup_files", stdout=io.StringIO())
    assert media_files() == stable | leftovers  # young: a running build may still publish
    with time_machine.travel(time.time() + 2 * 3600):
        call_command("cleanup_files", stdout=io.StringIO())
    assert media_files() == stable


@pytest.fixture
def one_pack(cycle, unit_a):
    Indicator.objects.create(
        cycle=cycle, scope="office", key="card_useful", measure="share", n=3, status="suppressed"
    )
    assert packs.pack_store(cycle=cycle, unit=unit_a) == 1
    return Pack.objects.get(cycle=cycle, unit=unit_a)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_cleanup_removes_orphans_and_keeps_the_files_packs_point_to(one_pack):
    root = Path(settings.MEDIA_ROOT)
    referenced = {one_pack.pdf.name, one_pack.xlsx.name}
    orphans = {
        f"packs/{YEAR}/unit-A-{YEAR}_Xy12Ab3.pdf",  # an old copy with a random suffix
        f"packs/{YEAR - 1}/unit-B-{YEAR - 1}.xlsx",  # its row is gone
        f"packs/{YEAR}/unit-B-{YEAR}.pdf.0a1b2c3d4e5f.tmp",  # a killed build's, 2 hours ago
    }
    young = f"packs/{YEAR}/unit-B-{YEAR}.xlsx.0a1b2c3d4e5f.tmp"  # a build still running
    elsewhere = "evidence/2026/photo.pdf"  # not a pack file: never touched
    for name in (*orphans, young, elsewhere):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    _age(root / f"packs/{YEAR}/unit-B-{YEAR}.pdf.0a1b2c3d4e5f.tmp", 2 * 3600)
    everything = media_files()

    out = io.StringIO()
    call_command("cleanup_files", "--dry-run", stdout=out)
    assert media_files() == everything  # a dry run removes nothing
    assert {line.split(": ", 1)[1] for line in out.getvalue().splitlines()[:-1]} == orphans

    call_command("cleanup_files", stdout=io.StringIO())
    assert media_files() == referenced | {young, elsewhere}
    assert Path(one_pack.pdf.path).read_bytes().startswith(b"%PDF")


def test_the_weekly_cleanup_task_removes_an_orphan_once(one_pack):
    from review import tasks

    stray = Path(settings.MEDIA_ROOT) / f"packs/{YEAR}/stray.pdf"
    stray.write_bytes(b"x")
    assert tasks.cleanup_files.delay().get() == [f"packs/{YEAR}/stray.pdf"]
    assert tasks.cleanup_files.delay().get() == []
    assert not stray.exists() and Path(one_pack.pdf.path).exists()
