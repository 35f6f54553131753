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
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Claim key: a reminder or escalation is created once, however often a sweep runs.
    key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        # The table the model had while it lived in `workflows` (moved without copying).
        db_table = "workflows_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.subject
