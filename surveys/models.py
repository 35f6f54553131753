"""Questionnaires with immutable versions, anonymous responses, staff observations.

Anonymity by design: a response stores its channel, the desk or batch it came
through and the *date* only — never an IP address, user agent, referrer or time.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, localised


class Questionnaire(models.Model):
    slug = models.SlugField(_("address"), unique=True)
    title_pl = models.CharField(_("title (Polish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["slug"]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return localised(self, "title")

    @property
    def active_version(self) -> "QuestionnaireVersion | None":
        return self.versions.filter(status=QuestionnaireVersion.Status.ACTIVE).first()


class QuestionnaireVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PILOT = "pilot", _("pilot")
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed (superseded)")

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("questionnaire"),
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    intro_pl = models.TextField(_("introduction (Polish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    opens_on = models.DateField(_("open from"), null=True, blank=True)
    closes_on = models.DateField(_("open until"), null=True, blank=True)
    pilot_token = models.UUIDField(
        _("pilot link token"), default=uuid.uuid4, unique=True, editable=False
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="unique_version_number"
            ),
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=models.Q(status="active"),
                name="one_active_version_per_questionnaire",
            ),
        ]

    def __str__(self):
        return _("%(questionnaire)s, version %(number)s") % {
            "questionnaire": self.questionnaire,
            "number": self.number,
        }

    @property
    def intro(self) -> str:
        return localised(self, "intro")

    @property
    def is_editable(self) -> bool:
        """Only drafts change; an active or closed version is evidence and stays as it was."""
        return self.status == self.Status.DRAFT

    def is_open_on(self, day) -> bool:
        return (self.opens_on is None or self.opens_on <= day) and (
            self.closes_on is None or day <= self.closes_on
        )

    @property
    def page_count(self) -> int:
        return self.questions.aggregate(m=models.Max("page"))["m"] or 1


class Question(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("service card (picked from the catalogue)")
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        YES_NO = "yes_no", _("yes / no")
        LIKERT = "likert", _("rating scale 1–5 with 'not applicable'")
        SCALE = "scale", _("scale 0–10")
        TEXT = "text", _("free text")

    version = models.ForeignKey(
        QuestionnaireVersion,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("version"),
    )
    key = models.SlugField(
        _("stable key"),
        max_length=50,
        help_text=_(
            "Keeps the question's meaning across versions and years; "
            "analysis compares answers by this key."
        ),
    )
    position = models.PositiveIntegerField(_("position"))
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    text_pl = models.CharField(_("question (Polish)"), max_length=500)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    help_pl = models.CharField(_("hint (Polish)"), max_length=500, blank=True)
    help_en = models.CharField(_("hint (English)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(_("maximum length"), default=1000)
    show_if_key = models.SlugField(_("show only if question"), max_length=50, blank=True)
    show_if_values = models.JSONField(_("was answered"), default=list, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_question_key"),
        ]

    def __str__(self):
        return f"{self.key}: {self.text}"

    @property
    def text(self) -> str:
        return localised(self, "text")

    @property
    def help(self) -> str:
        return localised(self, "help")

    @property
    def has_choices(self) -> bool:
        return self.kind in {
            self.Kind.SINGLE,
            self.Kind.MULTIPLE,
            self.Kind.YES_NO,
            self.Kind.LIKERT,
        }


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.SlugField(_("stable value"), max_length=50)
    label_pl = models.CharField(_("label (Polish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"))
    # "nie dotyczy": recorded, but kept out of every denominator in the analysis.
    is_not_applicable = models.BooleanField(_("not applicable"), default=False)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="unique_choice_value"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return localised(self, "label")


class Desk(models.Model):
    """A place where clients are served: QR codes, kiosks and paper boxes point at it."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="desks",
        verbose_name=_("organisational unit"),
    )

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    QR = "qr", _("QR code at a desk")
    KIOSK = "kiosk", _("desk tablet (kiosk)")
    INTERVIEWER = "interviewer", _("interviewer-assisted")
    PAPER = "paper", _("paper form")


class Response(models.Model):
    version = models.ForeignKey(
        QuestionnaireVersion,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("version"),
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # Date only, never a time: a time would let staff match a response to a client.
    submitted_on = models.DateField(_("date"))
    is_pilot = models.BooleanField(_("pilot response"), default=False)
    service_card = models.ForeignKey(
        ServiceCard,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service card"),
    )
    service_revision = models.ForeignKey(
        ServiceCardRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service card revision"),
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("desk"),
    )
    # Staff member who ran an interviewer-assisted survey or typed in a paper form.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["version", "is_pilot", "submitted_on"])]

    def __str__(self):
        return f"#{self.pk} ({self.get_channel_display()}, {self.submitted_on})"


class Answer(models.Model):
    """One answer; a multiple-choice question has one row per ticked option."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["question", "choice"])]

    def __str__(self):
        return f"{self.question.key}={self.choice or self.number or self.text[:40]}"


class UsedSubmissionToken(models.Model):
    """One row per submitted form, so a double click or a resubmit stores one response.

    The nonce is random and never linked to the response it guarded.
    """

    nonce = models.CharField(max_length=64, unique=True)
    used_on = models.DateField()

    def __str__(self):
        return str(self.used_on)


class Suggestion(models.Model):
    """A respondent's suggestion about the questionnaire itself (§4b)."""

    version = models.ForeignKey(
        QuestionnaireVersion,
        on_delete=models.PROTECT,
        related_name="suggestions",
        verbose_name=_("version"),
    )
    text = models.TextField(_("suggestion"), max_length=2000)
    submitted_on = models.DateField(_("date"))
    is_pilot = models.BooleanField(_("from the pilot"), default=False)

    class Meta:
        verbose_name = _("suggestion about the questionnaire")
        verbose_name_plural = _("suggestions about the questionnaire")
        ordering = ["-submitted_on", "-pk"]

    def __str__(self):
        return self.text[:60]
