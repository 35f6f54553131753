import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from qms import backup


class Command(BaseCommand):
    help = (
        "Write one archive of the installation: the database (SQLite's online backup, or "
        "pg_dump), every media file and a manifest with checksums. Safe while the system runs."
    )
    # A backup must work when the broker or anything else a check looks at is down.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help=(
                "Where to write: a path ending in .tar.gz, .tgz or .zip, or - for a .tar.gz "
                "on standard output. Default: DATA_DIR/backups/qms-<date>-<time>.tar.gz."
            ),
        )

    def handle(self, *args, **options):
        to_stdout = options["output"] == "-"
        # With the archive on stdout, every word for the operator goes to stderr.
        report = self.stderr if to_stdout else self.stdout
        try:
            if to_stdout:
                result = backup.create_backup(None, stream=sys.stdout.buffer)
            else:
                output = Path(options["output"]) if options["output"] else None
                result = backup.create_backup(output)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        except (OSError, DatabaseError) as error:
            raise CommandError(backup.failure_message(error, "backup")) from None

        manifest = result.manifest
        database = manifest["database"]
        media = [entry for name, entry in manifest["files"].items() if name.startswith("media/")]
        where = "standard output" if result.path is None else str(result.path)
        size = f" ({backup.human_size(result.archive_bytes)})" if result.path else ""
        report.write(f"Backup written to {where}{size}.")
        report.write(
            f"  database: {backup.VENDOR_NAMES[database['vendor']]} "
            f"{database.get('name') or ''}, {backup.human_size(database['bytes'])}"
        )
        report.write(
            f"  media: {len(media)} files, {backup.human_size(sum(e['size'] for e in media))}"
        )
        report.write(
            f"  manifest: {len(manifest['files']) + 1} members, created {manifest['created_at']}"
        )
