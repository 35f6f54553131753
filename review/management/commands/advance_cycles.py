import datetime

from django.core.management.base import BaseCommand, CommandError

from review import services


class Command(BaseCommand):
    help = (
        "Run every due step of every open review cycle now (what the daily beat task does). "
        "Idempotent: steps already done are not repeated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Act as if today were this date (YYYY-MM-DD), e.g. to rehearse a cycle.",
        )

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError(f"--today: {error}") from None
        ran = services.advance(today=today)
        for name in ran:
            self.stdout.write(f"done: {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(ran)} step(s) run."))
