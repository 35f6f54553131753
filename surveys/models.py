"""Questionnaires with immutable versions, anonymous responses, staff observations.

Anonymity by design: a response stores its channel, the desk or batch it came
through and the *date* only — never an IP address, user agent, referrer or time.
"""

import functools
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
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

    @property
    def min_group(self) -> int:
        """Results are reported only for groups of at least this many respondents
        (ANONYMITY_MIN_GROUP): the privacy notice on the form says the number."""
        return settings.ANONYMITY_MIN_GROUP


def _require_draft(version: QuestionnaireVersion) -> None:
    """Questions of a piloted, active or closed version are evidence: they never change."""
    if not version.is_editable:
        raise ValidationError(
            _("Only a draft version can be changed; make a new draft by copying this one.")
        )


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

    def save(self, *args, **kwargs):
        _require_draft(self.version)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _require_draft(self.version)
        return super().delete(*args, **kwargs)

    @property
    def text(self) -> str:
        return localised(self, "text")

    @property
    def help(self) -> str:
        return localised(self, "help")

    @functools.cached_property
    def choice_by_value(self) -> dict[str, "Choice"]:
        """The question's choices by their stored value (read once per instance)."""
        return {choice.value: choice for choice in self.choices.all()}

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

    def save(self, *args, **kwargs):
        _require_draft(self.question.version)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _require_draft(self.question.version)
        return super().delete(*args, **kwargs)

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
    # The secret part of the desk tablet's address; a new key retires a lost tablet's link.
    kiosk_key = models.UUIDField(_("kiosk key"), default=uuid.uuid4, unique=True, editable=False)

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

    # Paper forms: the batch they were typed in from and the number written on the sheet.
    batch = models.ForeignKey(
        "PaperBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("paper batch"),
        db_index=False,  # the unique (batch, sheet_number) constraint indexes it
    )
    sheet_number = models.PositiveIntegerField(_("sheet number"), null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["version", "is_pilot", "submitted_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "sheet_number"], name="one_response_per_paper_sheet"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} ({self.get_channel_display()}, {self.submitted_on})"


class Answer(models.Model):
    """One answer; a multiple-choice question has one row per ticked option."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # Lookups by question use the (question, choice) index below; a second index on
    # the question alone would only slow down every submission's INSERT.
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", db_index=False
    )
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


class PaperBatch(models.Model):
    """A pile of paper forms from one desk or box, typed in by one operator (§5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("being entered")
        CLOSED = "closed", _("closed")

    version = models.ForeignKey(
        QuestionnaireVersion,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name=_("questionnaire version"),
    )
    desk = models.ForeignKey(
        Desk, on_delete=models.PROTECT, related_name="batches", verbose_name=_("desk or box")
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operator"),
    )
    collected_on = models.DateField(
        _("forms collected on"),
        help_text=_("The date the box was emptied; every response of the batch gets it."),
    )
    declared_count = models.PositiveIntegerField(_("number of forms in the pile"))
    double_entry = models.BooleanField(
        _("verify by second entry"),
        default=False,
        help_text=_("Every sheet is typed in twice; differences are flagged for checking."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper batch")
        verbose_name_plural = _("paper batches")
        ordering = ["-created_at"]

    def __str__(self):
        return _("Batch %(pk)s (%(desk)s, %(date)s)") % {
            "pk": self.pk,
            "desk": self.desk.code,
            "date": self.collected_on,
        }


class PaperSecondEntry(models.Model):
    """The second, blind typing of a sheet; compared with the stored first entry."""

    batch = models.ForeignKey(PaperBatch, on_delete=models.CASCADE, related_name="second_entries")
    sheet_number = models.PositiveIntegerField(_("sheet number"))
    # Question key -> list of answer values as strings (choice values, numbers, text).
    answers = models.JSONField(_("answers"))
    differences = models.JSONField(_("differences"), default=list)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("second entry")
        verbose_name_plural = _("second entries")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "sheet_number"], name="one_second_entry_per_sheet"
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}/{self.sheet_number}"

    @property
    def needs_resolution(self) -> bool:
        return bool(self.differences) and not self.resolution


class ObservationRound(models.Model):
    """The coordinator asks every staff member to record what clients ask and get wrong (§7)."""

    title = models.CharField(_("title"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    due_on = models.DateField(_("due date"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(_("message to staff"), blank=True)

    class Meta:
        verbose_name = _("observation round")
        verbose_name_plural = _("observation rounds")
        ordering = ["-opened_on", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class RoundParticipant(models.Model):
    """One staff member asked in a round; done when they recorded or said 'nothing to add'."""

    round = models.ForeignKey(
        ObservationRound, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    notified_on = models.DateField(null=True, blank=True)
    nothing_to_add = models.BooleanField(_("nothing to add"), default=False)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="one_participant_per_round"),
        ]

    def __str__(self):
        return f"{self.round_id}:{self.user_id}"


class StaffObservation(models.Model):
    """What clients ask most, or get wrong in documents, for one service card (§7)."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("frequent client question")
        DOCUMENT_ERROR = "document_error", _("error in documents")

    class Period(models.TextChoices):
        WEEK = "week", _("per week")
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    PER_MONTH = {Period.WEEK: 52 / 12, Period.MONTH: 1, Period.YEAR: 1 / 12}

    card = models.ForeignKey(
        ServiceCard,
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("service card"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    summary = models.CharField(
        _("what"), max_length=300, help_text=_("The question, or the error, in a few words.")
    )
    frequency = models.PositiveIntegerField(_("how often (estimate)"))
    period = models.CharField(_("per"), max_length=10, choices=Period.choices, default=Period.MONTH)
    example = models.TextField(
        _("example"),
        max_length=1000,
        blank=True,
        help_text=_("A typical case, without names or other personal data."),
    )
    round = models.ForeignKey(
        ObservationRound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("round"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("staff observation")
        verbose_name_plural = _("staff observations")
        ordering = ["-recorded_on", "-pk"]
        indexes = [models.Index(fields=["card", "kind"])]

    def __str__(self):
        return f"{self.card.code}: {self.summary}"

    @property
    def per_month(self) -> float:
        return round(self.frequency * self.PER_MONTH[self.Period(self.period)], 1)
