"""Backup and restore: the demo office goes into one archive and comes back, row for row
and byte for byte; a damaged archive, an archive from elsewhere and a database that
already holds data are refused without changing anything.

The round trips run `manage.py` in fresh processes against installations of their own
(a temporary DATA_DIR and, on PostgreSQL, scratch databases), never against the test
database. They use whichever database the suite runs on: SQLite by default, PostgreSQL
when DATABASE_URL is set.
"""

import datetime
import gzip
import hashlib
import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from qms import backup
from tests.conftest import ROOT, run_manage

POSTGRES = connection.vendor == "postgresql"

# Files like the ones the system writes: an evidence file attached through its model
# (a Polish name), a results pack, an empty file, and random bytes across read chunks.
ADD_MEDIA = """
import os
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from workflows.models import Nonconformity

nonconformity = Nonconformity.objects.order_by("pk").first()
nonconformity.evidence_file.save("zdjęcie tablicy.pdf", ContentFile(b"%PDF-1.4 evidence"))
default_storage.save("packs/2026/unit-SO-2026.xlsx", ContentFile(bytes(range(256)) * 400))
default_storage.save("evidence/2026/pusty.txt", ContentFile(b""))
default_storage.save("evidence/2026/scan.bin", ContentFile(os.urandom(2_500_000)))
"""
# Rows per model, as JSON on the last line.
COUNT_ROWS = """
import json
from django.apps import apps
print(json.dumps({m._meta.label: m._base_manager.count() for m in apps.get_models()}))
"""
# The restored installation takes new rows (on PostgreSQL: its sequences came back too).
WRITE_A_ROW = """
from qms.models import User
User.objects.create(username="after-restore")
print("written")
"""


@dataclass
class Installation:
    """One QMS installation, driven through `manage.py` in fresh processes."""

    data_dir: Path
    database_url: str

    def env(self) -> dict[str, str]:
        return {
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            # The embedded broker and cache in this DATA_DIR, whatever the suite uses.
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "filesystem://",
        }

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return run_manage(*args, **self.env())

    def ok(self, *args: str) -> str:
        result = self.manage(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def rows(self) -> dict[str, int]:
        return json.loads(self.ok("shell", "-c", COUNT_ROWS).strip().splitlines()[-1])

    @property
    def media(self) -> Path:
        return self.data_dir / "media"

    def media_digests(self) -> dict[str, str]:
        return {
            path.relative_to(self.media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.media.rglob("*"))
            if path.is_file()
        }


class SQLiteDatabases:
    """A database file in each installation's DATA_DIR; a clone is SQLite's backup API."""

    def new(self, data_dir: Path) -> str:
        return f"sqlite:///{data_dir / 'db.sqlite3'}"

    def clone(self, template_url: str, data_dir: Path) -> str:
        url = self.new(data_dir)
        source = sqlite3.connect(template_url.removeprefix("sqlite:///"))
        target = sqlite3.connect(url.removeprefix("sqlite:///"))
        source.backup(target)
        target.close()
        source.close()
        return url

    def drop_all(self) -> None:
        pass  # the files go with pytest's temporary folders


class PostgresDatabases:
    """Scratch databases `qms_backup_test_<random>_…` on the suite's server (the
    connection's own settings), dropped at the end; a clone is CREATE DATABASE … TEMPLATE."""

    def __init__(self):
        import psycopg

        self.settings = connection.settings_dict
        self.prefix = f"qms_backup_test_{secrets.token_hex(4)}"
        self.created: list[str] = []
        self.admin = psycopg.connect(
            host=self.settings["HOST"] or None,
            port=self.settings["PORT"] or None,
            user=self.settings["USER"],
            password=self.settings["PASSWORD"],
            dbname=self.settings["NAME"],
            autocommit=True,
        )
        can_create = self.admin.execute(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if not (can_create and can_create[0]):
            self.admin.close()
            reason = f"the role {self.settings['USER']!r} may not create databases (CREATEDB)"
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL round trip impossible: {reason}")
            pytest.skip(reason)

    def _create(self, data_dir: Path, template: str = "") -> str:
        name = f"{self.prefix}_{data_dir.name.lower().replace('-', '_')}"
        self.admin.execute(f"CREATE DATABASE {name}{f' TEMPLATE {template}' if template else ''}")
        self.created.append(name)
        s = self.settings
        password = quote(str(s["PASSWORD"]), safe="")
        return f"postgres://{quote(s['USER'])}:{password}@{s['HOST']}:{s['PORT'] or 5432}/{name}"

    def new(self, data_dir: Path) -> str:
        return self._create(data_dir)

    def clone(self, template_url: str, data_dir: Path) -> str:
        return self._create(data_dir, template=template_url.rsplit("/", 1)[-1])

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.close()


@dataclass
class World:
    source: Installation  # the demo office, with media
    archive: Path  # its backup (.tar.gz)
    rows: dict[str, int]  # its rows per model when backed up
    make: Callable[[str], Installation]  # a new installation, migrated, with no data


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    databases = PostgresDatabases() if POSTGRES else SQLiteDatabases()
    try:
        yield _build_world(tmp_path_factory, databases)
    finally:
        databases.drop_all()


def _build_world(tmp_path_factory, databases: SQLiteDatabases | PostgresDatabases) -> World:
    source_dir = tmp_path_factory.mktemp("source")
    source = Installation(source_dir, databases.new(source_dir))
    source.ok("migrate", "--noinput")
    # What `migrate` alone leaves (reference rows, no account), copied for each target.
    empty_url = databases.clone(source.database_url, tmp_path_factory.mktemp("empty"))

    def make(name: str) -> Installation:
        data_dir = tmp_path_factory.mktemp(name)
        return Installation(data_dir, databases.clone(empty_url, data_dir))

    source.ok("load_demo", "--no-history")
    source.ok("shell", "-c", ADD_MEDIA)
    archive = tmp_path_factory.mktemp("backups") / "qms-demo.tar.gz"
    assert "Backup written" in source.ok("backup", "--output", str(archive))
    return World(source, archive, source.rows(), make)


def rewrite_archive(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Copy a .tar.gz member by member, passing each member's bytes through `change`."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            stream = old.extractfile(member)
            assert stream is not None
            data = change(member.name, stream.read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# --- Round trips through manage.py (SQLite, or PostgreSQL with DATABASE_URL) ----------


def test_demo_office_comes_back_row_for_row_and_byte_for_byte(world):
    manifest = backup.extract_archive(world.archive, world.archive.parent / "unpacked")
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["qms"]  # the latest applied migration per app
    assert {"Django", "django-viewflow", "celery"} <= manifest["versions"].keys()
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())

    target = world.make("target")
    assert not target.media_digests()
    restored = target.ok("restore", str(world.archive))
    assert "Restore complete" in restored
    assert "migrate" not in restored  # the archive is as new as the code

    assert target.rows() == world.rows
    for model in ("qms.User", "qms.OrgUnit", "qms.ServiceCard", "surveys.Desk"):
        assert world.rows[model] > 0, model
    assert world.rows["workflows.Nonconformity"] > 0
    source_media = world.source.media_digests()
    assert len(source_media) == 4
    assert any("zdjęcie" in name for name in source_media)
    assert target.media_digests() == source_media
    assert "written" in target.ok("shell", "-c", WRITE_A_ROW)


def test_a_damaged_archive_is_refused_and_nothing_changes(world, tmp_path):
    damaged = tmp_path / "damaged.tar.gz"
    database_member = backup.DATABASE_MEMBERS[connection.vendor]

    def flip_a_byte(name: str, data: bytes) -> bytes:
        if name != database_member:
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

    rewrite_archive(world.archive, damaged, flip_a_byte)
    target = world.make("damaged-target")
    target.media.mkdir()
    (target.media / "left-alone.txt").write_text("untouched")
    rows_before = target.rows()

    # Not even --force gets a damaged archive in.
    result = target.manage("restore", str(damaged), "--force")

    refused(result, "damaged", f"{database_member}: checksum does not match", "nothing was changed")
    assert target.rows() == rows_before
    assert rows_before["qms.User"] == 0
    assert target.media_digests() == {"left-alone.txt": hashlib.sha256(b"untouched").hexdigest()}


def test_restoring_over_a_database_with_data_needs_force(world):
    media_before = world.source.media_digests()

    result = world.source.manage("restore", str(world.archive))

    refused(result, "already holds data", "--force", "Nothing was changed")
    assert world.source.rows() == world.rows
    assert world.source.media_digests() == media_before


def test_backup_to_standard_output_is_the_same_archive(world, tmp_path):
    """`--output -`: for `docker compose exec -T web … > file`, no volume to mount."""
    result = subprocess.run(
        [sys.executable, "manage.py", "backup", "--output", "-"],
        cwd=ROOT,
        env={**os.environ, **world.source.env()},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"Backup written to standard output" in result.stderr
    streamed = tmp_path / "streamed.tar.gz"
    streamed.write_bytes(result.stdout)
    manifest = backup.extract_archive(streamed, tmp_path / "unpacked")
    with tarfile.open(world.archive) as original:
        assert set(manifest["files"]) | {backup.MANIFEST} == set(original.getnames())
    media = {n: e for n, e in manifest["files"].items() if n.startswith("media/")}
    original_media = backup.extract_archive(world.archive, tmp_path / "original")["files"]
    assert media == {n: e for n, e in original_media.items() if n.startswith("media/")}


# --- The archive itself (in this process, no database) --------------------------------


def write_small_archive(
    path: Path,
    kind: str = "tar",
    *,
    vendor: str | None = None,
    migrations: dict[str, str] | None = None,
) -> dict:
    """An archive of a stand-in database file and two media files."""
    source = path.parent / f"{path.name}-source"
    (source / "media" / "evidence").mkdir(parents=True)
    database_file = source / "db"
    database_file.write_bytes(b"database bytes" * 100)
    (source / "media" / "evidence" / "a.pdf").write_bytes(b"%PDF-1.4 a")
    (source / "media" / "b.xlsx").write_bytes(bytes(range(256)))
    with open(path, "wb") as f:
        return backup.write_archive(
            f,
            kind,
            vendor=vendor or connection.vendor,
            database={},
            database_file=database_file,
            media=backup.media_files(source / "media"),
            migrations=migrations if migrations is not None else {"qms": "0001_initial"},
            created_at=datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC),
        )


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_archive_round_trip_keeps_every_byte(tmp_path, kind):
    archive = tmp_path / f"small.{'zip' if kind == 'zip' else 'tar.gz'}"
    written = write_small_archive(archive, kind)
    manifest = backup.extract_archive(archive, tmp_path / "staging")
    assert manifest == written
    assert set(manifest["files"]) == {
        backup.DATABASE_MEMBERS[connection.vendor],
        "media/b.xlsx",
        "media/evidence/a.pdf",
    }
    assert (tmp_path / "staging/media/b.xlsx").read_bytes() == bytes(range(256))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda name, data: data + b"!" if name == "media/b.xlsx" else data, "checksum"),
        (lambda name, data: b"{}" if name == backup.MANIFEST else data, "not a QMS backup"),
    ],
    ids=["media-member", "manifest"],
)
def test_extract_refuses_a_changed_member(tmp_path, change, words):
    archive, changed = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    write_small_archive(archive)
    rewrite_archive(archive, changed, change)
    with pytest.raises(backup.BackupError, match=words):
        backup.extract_archive(changed, tmp_path / "staging")


def test_extract_refuses_missing_extra_and_escaping_members(tmp_path):
    archive = tmp_path / "a.tar.gz"
    write_small_archive(archive)
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}

    def build(name: str, contents: dict[str, bytes]) -> Path:
        path = tmp_path / name
        with tarfile.open(path, "w:gz") as tar:
            for member, data in contents.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    missing = build("missing.tar.gz", {k: v for k, v in members.items() if k != "media/b.xlsx"})
    extra = build("extra.tar.gz", {"media/new.txt": b"x", **members})
    escaping = build("escaping.tar.gz", {"media/../../etc/cron.d/x": b"x", **members})
    for path, words in (
        (missing, "media/b.xlsx: missing"),
        (extra, "media/new.txt: not in the manifest"),
        (escaping, "unexpected member"),
    ):
        with pytest.raises(backup.BackupError, match=words):
            backup.extract_archive(path, tmp_path / path.name.split(".")[0])
    assert not (tmp_path / "etc").exists()


def test_extract_refuses_a_truncated_archive_and_other_files(tmp_path):
    archive = tmp_path / "a.tar.gz"
    write_small_archive(archive)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.extract_archive(truncated, tmp_path / "t")
    not_ours = tmp_path / "notes.tar.gz"
    not_ours.write_bytes(gzip.compress(b"plain text, not a tar archive"))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.extract_archive(not_ours, tmp_path / "n")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(backup.BackupError, match="not a QMS backup"):
        backup.extract_archive(text, tmp_path / "x")


def test_restore_refuses_another_database_vendor(tmp_path):
    other = "sqlite" if POSTGRES else "postgresql"
    archive = tmp_path / "other.tar.gz"
    write_small_archive(archive, vendor=other)
    with pytest.raises(CommandError, match=f"holds a {backup.VENDOR_NAMES[other]} database"):
        call_command("restore", str(archive))


def test_restore_refuses_an_archive_from_a_newer_version(tmp_path):
    archive = tmp_path / "newer.tar.gz"
    write_small_archive(archive, migrations={"qms": "9999_from_the_future"})
    with pytest.raises(CommandError, match=r"newer version.*qms\.9999_from_the_future"):
        call_command("restore", str(archive))


def test_backup_names_must_say_their_format(tmp_path):
    with pytest.raises(backup.BackupError, match=r"\.tar\.gz, \.tgz or \.zip"):
        backup.archive_kind(tmp_path / "qms.tar")
    assert backup.archive_kind(tmp_path / "qms-2026-12-06.TGZ") == "tar"
    assert backup.archive_kind(tmp_path / "qms.zip") == "zip"
