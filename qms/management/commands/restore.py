from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from qms import backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `backup` into this installation: checks every checksum "
        "first, then replaces the database and the media folder. Stop web, worker and beat "
        "first."
    )
    # The database may be empty or not even migrated yet: no checks before we start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz or .zip archive written by `backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Replace a database that already holds data and a media folder that already "
                "holds files."
            ),
        )

    def handle(self, *args, **options):
        path = Path(options["archive"])
        try:
            result = backup.restore_backup(path, force=options["force"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        except (OSError, DatabaseError) as error:
            raise CommandError(backup.failure_message(error, "restore")) from None

        manifest = result.manifest
        versions = manifest.get("versions", {})
        self.stdout.write(
            f"Restored {path.name}: made {manifest['created_at']} with Django "
            f"{versions.get('Django', '?')}; every checksum matched."
        )
        self.stdout.write(
            f"  database: {result.database}: {result.tables} tables, {result.rows} rows, "
            f"{result.users} user accounts"
        )
        removed = (
            f"; {result.media_removed} files that were there removed"
            if result.media_removed
            else ""
        )
        self.stdout.write(
            f"  media: {result.media_files} files, {backup.human_size(result.media_bytes)} "
            f"in {backup.media_root()}{removed}"
        )
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"  The archive predates {len(result.pending_migrations)} migration(s) of "
                    "this version: run `manage.py migrate` before starting the system."
                )
            )
        self.stdout.write(self.style.SUCCESS("Restore complete."))
