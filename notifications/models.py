from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """The in-app inbox; every notification is also e-mailed in the user's language.

    One system for everything that tells a person something (nonconformity steps,
    results packs, the review cycle, observation rounds): `notifications.services`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What to say: a template and its parameters, put into words in the reader's
    # language (notifications.texts); subject and body as e-mailed, in the recipient's.
    template = models.CharField(max_length=60, blank=True)
    params = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The outbox: an entry not yet e-mailed is delivered by a task after commit and, if
    # that message is lost (a killed worker, a broker down), by the periodic sweep.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # While a worker sends it, nobody else does; a worker killed mid-send lets it go
    # when the lease ends.
    email_leased_until = models.DateTimeField(null=True, blank=True)
    # Claim key: a reminder or escalation is created once, however often a sweep runs.
    key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        # The table the model had while it lived in `workflows` (moved without copying).
        db_table = "workflows_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["emailed_at", "created_at"], name="notification_outbox")]

    def __str__(self):
        return self.subject
