from typing import ClassVar

from django.db import models


class BaselineSubmission(models.Model):
    """The baseline's one row per request: ten answers, like a short survey."""

    service = models.CharField(max_length=30)
    card_read = models.CharField(max_length=10)
    card_useful = models.CharField(max_length=3)
    card_clear = models.CharField(max_length=3)
    card_complete = models.CharField(max_length=3)
    settled = models.CharField(max_length=10)
    staff_competence = models.CharField(max_length=2)
    staff_courtesy = models.CharField(max_length=2)
    waiting_time = models.CharField(max_length=2)
    comments = models.TextField(blank=True)
    submitted_on = models.DateField()

    # Explicit: mypy checks the tree with qms.settings, where the bench app is not installed.
    objects: ClassVar[models.Manager["BaselineSubmission"]] = models.Manager()

    def __str__(self):
        return f"#{self.pk} {self.service}"
