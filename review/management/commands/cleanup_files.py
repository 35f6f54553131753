from django.core.management.base import BaseCommand

from review import packs


class Command(BaseCommand):
    help = (
        "Remove results-pack files that no pack points to (left by a build that was "
        "killed), temporary ones once they are an hour old (what the weekly beat task does)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the files only; remove nothing."
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        names = packs.pack_files_cleanup(dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for name in names:
            self.stdout.write(f"{verb}: {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(names)} file(s) {verb}."))
