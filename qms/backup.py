"""Backup and restore: one archive holding the database, every media file and a manifest.

An archive (`.tar.gz`, or `.zip`) has three parts:

- `database/db.sqlite3` (a snapshot taken with SQLite's online backup API, consistent
  while web, worker and beat keep writing) or `database/db.pgdump` (`pg_dump
  --format=custom`);
- `media/…`, every file under the default storage's folder (evidence files, results
  packs), by their storage names;
- `manifest.json`, written last: format version, when, database vendor, the latest
  applied migration per app, package versions and the SHA-256 and size of every other
  member. An archive cut short therefore has no manifest and is refused.

Restoring unpacks everything into a staging folder and checks it against the manifest
before it touches the installation, so a damaged archive changes nothing. The commands
(`manage.py backup`, `manage.py restore`) are thin; every refusal here is a
`BackupError` whose message is meant for the operator.
"""

import contextlib
import datetime
import gzip
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage, storages
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient as PostgresClient
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "qms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBERS = {"sqlite": "database/db.sqlite3", "postgresql": "database/db.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PACKAGES = ("Django", "django-viewflow", "celery")
ARCHIVE_SUFFIXES = {".tar.gz": "tar", ".tgz": "tar", ".zip": "zip"}
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# pg_dump/pg_restore wait this long for the server, not forever.
PG_CONNECT_TIMEOUT = "15"


class BackupError(Exception):
    """A refusal or failure, worded for the operator (the commands print it, no traceback)."""


@dataclass
class BackupResult:
    path: Path | None  # None: written to a stream
    manifest: dict[str, Any]
    archive_bytes: int


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    database: str  # what was restored, in words
    media_files: int
    media_bytes: int
    media_removed: int
    tables: int = 0
    rows: int = 0
    users: int = 0
    pending_migrations: list[str] = field(default_factory=list)


# --- Small helpers ----------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def archive_kind(path: Path) -> str:
    """ "tar" or "zip", from the name of an archive to write."""
    name = path.name.lower()
    for suffix, kind in ARCHIVE_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise BackupError(f"{path.name}: the archive's name must end in .tar.gz, .tgz or .zip.")


def media_root() -> Path:
    """The default storage's folder: where evidence files and results packs live."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            f"The default storage is {type(storage).__name__}, not a local folder: back the "
            "media up with that storage's own tools."
        )
    return Path(storage.location)


def media_files(root: Path) -> list[tuple[str, Path]]:
    """(member name, path) of every regular file under `root`, sorted; links are skipped
    (the storage never makes them, and following one could leave the folder)."""
    found: list[tuple[str, Path]] = []
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if stat.S_ISREG(path.lstat().st_mode):
                relative = path.relative_to(root).as_posix()
                found.append((f"{MEDIA}/{relative}", path))
    return found


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def latest_migrations(applied: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The latest applied migration per app, from (app, name) rows: names are numbered."""
    latest: dict[str, str] = {}
    for app, name in applied:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def build_manifest(
    *,
    vendor: str,
    database: dict[str, Any],
    files: dict[str, dict[str, Any]],
    migrations: dict[str, str],
    versions: dict[str, str],
    created_at: datetime.datetime,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at.isoformat(timespec="seconds"),
        "database": {"vendor": vendor, "member": DATABASE_MEMBERS[vendor], **database},
        "migrations": migrations,
        "versions": versions,
        "files": dict(sorted(files.items())),
    }


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            f"Backups cover SQLite and PostgreSQL; this installation uses {connection.vendor}."
        )
    return connection.vendor


def _masked(message: str, settings_dict: dict[str, Any]) -> str:
    password = str(settings_dict.get("PASSWORD") or "")
    return message.replace(password, "********") if password else message


def failure_message(error: Exception, action: str, using: str = "default") -> str:
    """The words for an error the operator can act on (a database that does not answer,
    a full disk), with the database password masked should a message ever quote it."""
    if isinstance(error, DatabaseError):
        text = f"The database did not answer during the {action}: {error}"
    else:
        text = f"The {action} failed: {error}"
    return _masked(text, connections[using].settings_dict)


# --- PostgreSQL client tools ----------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (Debian: "
            "postgresql-client) of the server's major version or newer."
        )
    return path


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for the configured database: the password travels here,
    never on a command line (where `ps` shows it) or in our output."""
    _args, extra = PostgresClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {}), "PGCONNECT_TIMEOUT": PG_CONNECT_TIMEOUT}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGDATABASE", "NAME"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run_pg_tool(args: list[str], settings_dict: dict[str, Any], what: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        args,
        env=_pg_env(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # libpq does not print the password; make sure nothing else did either.
        message = _masked(
            result.stderr.strip() or f"exit status {result.returncode}", settings_dict
        )
        raise BackupError(f"{what} failed:\n{message}")


def _pg_tool_version(tool: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [tool, "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


# --- Backup -----------------------------------------------------------------------------


def _snapshot_sqlite(settings_dict: dict[str, Any], target: Path) -> tuple[dict, list]:
    """Copy the live database through SQLite's online backup API into `target`."""
    source_path = Path(str(settings_dict["NAME"]))
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path}.")
    timeout = float(settings_dict.get("OPTIONS", {}).get("timeout", 20))
    source = sqlite3.connect(source_path, timeout=timeout)
    snapshot = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy is one read transaction, a consistent snapshot
        # even while web, worker and beat write (WAL lets them go on meanwhile).
        source.backup(snapshot)
        # A self-contained file: no -wal beside it to forget.
        snapshot.execute("PRAGMA journal_mode=DELETE")
        check = snapshot.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database at {source_path} fails SQLite's check: {check}")
        applied = snapshot.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.Error as error:
        raise BackupError(f"Could not copy the database at {source_path}: {error}") from None
    finally:
        snapshot.close()
        source.close()
    return {"name": source_path.name, "sqlite": sqlite3.sqlite_version}, applied


def _snapshot_postgres(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict, list]:
    pg_dump = _pg_tool("pg_dump")
    settings_dict = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = list(cursor.fetchall())
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    _run_pg_tool(
        [pg_dump, "--format=custom", "--no-password", f"--file={target}"],
        settings_dict,
        "pg_dump",
    )
    database = {
        "name": settings_dict.get("NAME"),
        "server_version": server_version,
        "pg_dump": _pg_tool_version(pg_dump),
    }
    return database, applied


def snapshot_database(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict, list]:
    """Write the database to `target`; its description for the manifest and the
    applied migrations as (app, name) rows."""
    if _vendor(connection) == "sqlite":
        return _snapshot_sqlite(connection.settings_dict, target)
    return _snapshot_postgres(connection, target)


class _HashingReader:
    """Reads a file once, hashing exactly the bytes the archive receives."""

    def __init__(self, f: IO[bytes]):
        self.f = f
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def entry(self) -> dict[str, Any]:
        return {"sha256": self.digest.hexdigest(), "size": self.size}


class ArchiveWriter:
    """A .tar.gz or .zip being written; `add_file` returns the member's manifest entry."""

    def __init__(self, stream: BinaryIO, kind: str):
        self.kind = kind
        self.tar: tarfile.TarFile | None = None
        self.zip: zipfile.ZipFile | None = None
        if kind == "tar":
            # "w|gz": a stream, so it can also go to stdout.
            self.tar = tarfile.open(  # noqa: SIM115 - closed by close()
                fileobj=stream, mode="w|gz", format=tarfile.PAX_FORMAT
            )
        else:
            self.zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED)

    def add_file(self, name: str, path: Path) -> dict[str, Any]:
        with open(path, "rb") as f:
            status = os.fstat(f.fileno())
            reader = _HashingReader(f)
            if self.tar is not None:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = status.st_size, int(status.st_mtime), 0o644
                # Fewer bytes than stat said (a file cut while read) raises here.
                self.tar.addfile(info, reader)
            else:
                assert self.zip is not None
                info_z = zipfile.ZipInfo(name, _zip_time(status.st_mtime))
                info_z.compress_type = zipfile.ZIP_DEFLATED
                info_z.external_attr = 0o644 << 16
                with self.zip.open(info_z, "w", force_zip64=status.st_size > 2**31) as out:
                    shutil.copyfileobj(reader, out, CHUNK)
        return reader.entry()

    def add_bytes(self, name: str, data: bytes) -> None:
        if self.tar is not None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
            self.tar.addfile(info, _BytesReader(data))
        else:
            assert self.zip is not None
            self.zip.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()
        if self.zip is not None:
            self.zip.close()


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    moment = datetime.datetime.fromtimestamp(max(mtime, 315532800))  # zip starts in 1980
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def write_archive(
    stream: BinaryIO,
    kind: str,
    *,
    vendor: str,
    database: dict[str, Any],
    database_file: Path,
    media: list[tuple[str, Path]],
    migrations: dict[str, str],
    created_at: datetime.datetime,
) -> dict[str, Any]:
    """Write the database file, the media and (last) the manifest; returns the manifest."""
    writer = ArchiveWriter(stream, kind)
    try:
        files = {DATABASE_MEMBERS[vendor]: writer.add_file(DATABASE_MEMBERS[vendor], database_file)}
        for name, path in media:
            try:
                files[name] = writer.add_file(name, path)
            except FileNotFoundError:
                continue  # removed since listed (a replaced pack): not part of the snapshot
        manifest = build_manifest(
            vendor=vendor,
            database=database,
            files=files,
            migrations=migrations,
            versions=package_versions(),
            created_at=created_at,
        )
        writer.add_bytes(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    finally:
        writer.close()
    return manifest


def default_output() -> Path:
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    return _backups_folder() / f"qms-{stamp}.tar.gz"


def _backups_folder() -> Path:
    return (Path(settings.DATA_DIR) / "backups").absolute()


def create_backup(
    output: Path | None, *, stream: BinaryIO | None = None, using: str = "default"
) -> BackupResult:
    """Back the installation up into `output` (a .tar.gz/.tgz/.zip path) or, with
    `stream`, as .tar.gz into it. The file appears only once complete (written beside
    it, then renamed) and is readable by its owner alone: it holds password hashes."""
    connection = connections[using]
    vendor = _vendor(connection)
    root = media_root()
    if stream is None:
        output = (output or default_output()).absolute()
        kind = archive_kind(output)
        if output.is_relative_to(root.absolute()):
            raise BackupError(f"Write the archive outside the media folder ({root}).")
        if output.parent == _backups_folder():
            output.parent.mkdir(mode=0o700, exist_ok=True)
        if not output.parent.is_dir():
            raise BackupError(f"The folder {output.parent} does not exist.")
    else:
        kind = "tar"
    with tempfile.TemporaryDirectory(prefix="qms-backup-", dir=settings.DATA_DIR) as work:
        database_file = Path(work) / Path(DATABASE_MEMBERS[vendor]).name
        created_at = datetime.datetime.now(datetime.UTC)
        # Database first, media after: a file saved meanwhile is at worst an extra file
        # no row names, never a row whose file is missing from the archive.
        database, applied = snapshot_database(connection, database_file)
        database["bytes"] = database_file.stat().st_size
        arguments: dict[str, Any] = {
            "vendor": vendor,
            "database": database,
            "database_file": database_file,
            "media": media_files(root),
            "migrations": latest_migrations(applied),
            "created_at": created_at,
        }
        if stream is not None:
            manifest = write_archive(stream, kind, **arguments)
            return BackupResult(path=None, manifest=manifest, archive_bytes=0)
        assert output is not None
        partial = output.with_name(f".{output.name}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as f:
                manifest = write_archive(f, kind, **arguments)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(path=output, manifest=manifest, archive_bytes=output.stat().st_size)


# --- Reading and verifying ------------------------------------------------------------

_READ_ERRORS = (
    EOFError,
    zlib.error,
    tarfile.TarError,
    zipfile.BadZipFile,
    gzip.BadGzipFile,
    OSError,
)


class _Damaged(Exception):
    pass


def _read(stream: IO[bytes], size: int) -> bytes:
    try:
        return stream.read(size)
    except _READ_ERRORS as error:
        raise _Damaged(str(error) or type(error).__name__) from None


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """(name, stream) of each file in a .tar.gz or .zip; refuses links and devices."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith(GZIP_MAGIC):
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isreg():
                    raise _Damaged(f"{member.name} is not a regular file")
                stream = tar.extractfile(member)
                assert stream is not None
                yield member.name, stream
    elif magic == ZIP_MAGIC:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as stream:
                    yield info.filename, stream
    else:
        raise BackupError(f"{path} is not a QMS backup (neither a .tar.gz nor a .zip archive).")


def _check_name(name: str) -> None:
    pure = PurePosixPath(name)
    if (
        pure.is_absolute()
        or "\\" in name
        or any(part in {"", ".", ".."} for part in name.split("/"))
        or (name != MANIFEST and pure.parts[0] not in {"database", MEDIA})
    ):
        raise _Damaged(f"unexpected member {name!r}")


def _load_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise _Damaged(f"{MANIFEST} cannot be read ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Damaged(f"{MANIFEST} is not a QMS backup manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"This archive is in backup format {version!r}; this version of the QMS reads "
            f"format {FORMAT_VERSION}. Restore it with the version that made it."
        )
    files, database = manifest.get("files"), manifest.get("database")
    if (
        not isinstance(files, dict)
        or not isinstance(database, dict)
        or database.get("vendor") not in DATABASE_MEMBERS
        or database.get("member") != DATABASE_MEMBERS[database["vendor"]]
        or database["member"] not in files
        or not isinstance(manifest.get("migrations"), dict)
        or not all(
            isinstance(entry, dict) and {"sha256", "size"} <= entry.keys()
            for entry in files.values()
        )
    ):
        raise _Damaged(f"{MANIFEST} is incomplete")
    return manifest


def _unpack(stream: IO[bytes], target: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            while chunk := _read(stream, CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except OSError as error:  # the staging folder's disk, not the archive
        raise BackupError(f"Could not unpack the archive: {error}. Nothing was changed.") from None
    return {"sha256": digest.hexdigest(), "size": size}


def extract_archive(path: Path, staging: Path) -> dict[str, Any]:
    """Unpack `path` into `staging` and check every member against the manifest: its
    SHA-256 and size, nothing missing, nothing extra. Returns the manifest; raises
    BackupError naming the damage. Writes nowhere but `staging`."""
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    found: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    try:
        for name, stream in _members(path):
            _check_name(name)
            if name in found or (name == MANIFEST and manifest_data is not None):
                raise _Damaged(f"{name} appears twice")
            if name == MANIFEST:
                manifest_data = _read(stream, MAX_MANIFEST_BYTES + 1)
                if len(manifest_data) > MAX_MANIFEST_BYTES:
                    raise _Damaged(f"{MANIFEST} is implausibly large")
                continue
            found[name] = _unpack(stream, staging / name)
        if manifest_data is None:
            raise _Damaged(f"it has no {MANIFEST} (not a QMS backup, or cut short)")
        manifest = _load_manifest(manifest_data)
    except _Damaged as error:
        raise BackupError(f"The archive {path} is damaged: {error}. Nothing was changed.") from None
    except _READ_ERRORS as error:  # from the archive's headers, outside a member's data
        raise BackupError(
            f"The archive {path} is damaged: {error or type(error).__name__}. Nothing was changed."
        ) from None
    expected: dict[str, dict[str, Any]] = manifest["files"]
    problems = [f"{name}: missing" for name in sorted(expected.keys() - found.keys())]
    problems += [f"{name}: not in the manifest" for name in sorted(found.keys() - expected.keys())]
    for name in sorted(expected.keys() & found.keys()):
        want, got = expected[name], found[name]
        if (want["sha256"], want["size"]) != (got["sha256"], got["size"]):
            problems.append(f"{name}: checksum does not match")
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  … and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise BackupError(f"The archive {path} is damaged; nothing was changed:\n  {shown}{more}")
    return manifest


# --- Restore ----------------------------------------------------------------------------


def unknown_migrations(recorded: dict[str, str], on_disk: Iterable[tuple[str, str]]) -> list[str]:
    """Migrations the archive's database has applied that this code does not have: the
    archive comes from a newer version."""
    known = set(on_disk)
    return [f"{app}.{name}" for app, name in sorted(recorded.items()) if (app, name) not in known]


def check_restorable(manifest: dict[str, Any], connection: BaseDatabaseWrapper) -> None:
    """Refuse an archive of another database vendor or from a newer version of the code."""
    vendor, theirs = _vendor(connection), manifest["database"]["vendor"]
    if theirs != vendor:
        raise BackupError(
            f"This archive holds a {VENDOR_NAMES[theirs]} database; this installation uses "
            f"{VENDOR_NAMES[vendor]}. Restore it into an installation on "
            f"{VENDOR_NAMES[theirs]} (DATABASE_URL). Nothing was changed."
        )
    newer = unknown_migrations(
        manifest["migrations"], MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    )
    if newer:
        raise BackupError(
            "This archive comes from a newer version of the QMS; this one lacks the "
            f"migrations {', '.join(newer)}. Install that version (or a newer one) first. "
            "Nothing was changed."
        )


def database_holds_data(connection: BaseDatabaseWrapper) -> bool:
    """Whether the database has any user account. A fresh `migrate` fills reference
    tables (roles, deadline policies, standards) but creates no account, and every
    installation in use has at least its administrator."""
    if connection.vendor == "sqlite":
        path = Path(str(connection.settings_dict["NAME"]))
        if not path.exists() or path.stat().st_size == 0:
            return False  # do not let the check itself create the file
    table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return False
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
        return cursor.fetchone() is not None


def _restore_sqlite(settings_dict: dict[str, Any], staged: Path) -> None:
    target = Path(str(settings_dict["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    timeout = float(settings_dict.get("OPTIONS", {}).get("timeout", 20))
    source = sqlite3.connect(staged)
    destination = sqlite3.connect(target, timeout=timeout)
    try:
        # Through the backup API rather than a file copy: it writes through SQLite's own
        # locking and journal (WAL included), so no stale -wal file can outlive it.
        source.backup(destination)
        destination.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as error:
        raise BackupError(f"Could not write the database at {target}: {error}") from None
    finally:
        destination.close()
        source.close()


def _restore_postgres(settings_dict: dict[str, Any], staged: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    _run_pg_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            # The archive's roles need not exist here: the configured user owns everything.
            "--no-owner",
            "--no-privileges",
            # All or nothing: an error leaves the database as it was.
            "--single-transaction",
            "--no-password",
            f"--dbname={settings_dict['NAME']}",
            str(staged),
        ],
        settings_dict,
        "pg_restore",
    )


def _replace_media(staged: Path, root: Path) -> tuple[int, int, int]:
    """Make `root` hold exactly the staged files; (files, bytes, files removed)."""
    removed = 0
    if root.is_dir():
        for entry in list(root.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                removed += sum(len(files) for _, _, files in os.walk(entry))
                shutil.rmtree(entry)
            else:
                removed += 1
                entry.unlink()
    root.mkdir(parents=True, exist_ok=True)
    count = size = 0
    for name, path in media_files(staged / MEDIA):
        target = root / name.removeprefix(f"{MEDIA}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        size += path.stat().st_size
        shutil.move(path, target)
        count += 1
    return count, size, removed


def _table_rows(connection: BaseDatabaseWrapper) -> tuple[int, int]:
    rows = 0
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += cursor.fetchone()[0]
    return len(tables), rows


def pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def restore_backup(path: Path, *, force: bool = False, using: str = "default") -> RestoreResult:
    """Bring an archive back: verify it, refuse what must be refused, then replace the
    database and the media folder. Nothing changes unless every check passes."""
    connection = connections[using]
    root = media_root()
    with tempfile.TemporaryDirectory(prefix="qms-restore-", dir=settings.DATA_DIR) as work:
        staging = Path(work)
        manifest = extract_archive(path, staging)
        check_restorable(manifest, connection)
        if not force:
            if database_holds_data(connection):
                raise BackupError(
                    "The database already holds data (it has user accounts); restoring would "
                    "replace it. Restore into an empty installation, or pass --force to "
                    "replace it. Nothing was changed."
                )
            if media_files(root):
                raise BackupError(
                    f"The media folder {root} already holds files; restoring would replace "
                    "them. Empty it, or pass --force. Nothing was changed."
                )
        # Our own connections must not hold the database while it is replaced.
        connections.close_all()
        staged_database = staging / manifest["database"]["member"]
        if manifest["database"]["vendor"] == "sqlite":
            _restore_sqlite(connection.settings_dict, staged_database)
            database = f"SQLite database {connection.settings_dict['NAME']}"
        else:
            _restore_postgres(connection.settings_dict, staged_database)
            database = f"PostgreSQL database {connection.settings_dict['NAME']!r}"
        files, size, removed = _replace_media(staging, root)
    result = RestoreResult(
        manifest=manifest,
        database=database,
        media_files=files,
        media_bytes=size,
        media_removed=removed,
    )
    result.tables, result.rows = _table_rows(connection)
    with contextlib.suppress(Exception):  # a summary line, not worth failing the restore
        result.users = get_user_model()._base_manager.using(using).count()
    result.pending_migrations = pending_migrations(connection)
    return result
