from django.core.management.base import BaseCommand

from surveys.services import questionnaire_install_default


class Command(BaseCommand):
    help = "Install the default service-card survey as the active questionnaire (once)."

    def handle(self, *args, **options):
        questionnaire = questionnaire_install_default()
        self.stdout.write(
            self.style.SUCCESS(f"Questionnaire ready: /ankieta/{questionnaire.slug}/")
        )
