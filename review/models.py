"""The annual review cycle: its dates and steps, the indicators measured in it, the
quality standards they are held to, the findings (breaches) and what came of them.

A cycle advances through `Step`s (see `review.cycle`): each step is a row claimed
once, so a sweep that runs twice, or on two workers at once, does each step once, and a
sweep that runs late does what was due and records that it was late.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from qms.models import OrgUnit, ServiceCard, localised
from workflows.models import Severity


def default_analysis_due_on(year: int) -> datetime.date:
    """§6 of the regulation: the results are analysed by 30 August."""
    return datetime.date(year, 8, 30)


class Cycle(models.Model):
    year = models.PositiveIntegerField(_("year"), unique=True)
    version = models.ForeignKey(
        "surveys.QuestionnaireVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("questionnaire version surveyed"),
    )
    survey_opens_on = models.DateField(_("survey period from"))
    survey_closes_on = models.DateField(_("survey period until"))
    observations_due_on = models.DateField(
        _("staff observations due"),
        help_text=_("A collection round asks every staff member for observations by this date."),
    )
    analysis_due_on = models.DateField(_("analysis deadline"))
    catalogue_due_on = models.DateField(_("catalogue updates due"))
    reminder_days = models.CharField(
        _("reminders (days before the analysis deadline)"), max_length=30, default="14,7,1"
    )
    acknowledgement_days = models.PositiveSmallIntegerField(
        _("working days for a unit to acknowledge its pack"), default=10
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Free-text answers reach the units' packs only after the coordinator has reviewed
    # (masked) them and released them (services.free_text_release).
    free_text_released_at = models.DateTimeField(
        _("free text released to the units at"), null=True, blank=True
    )
    free_text_released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("free text released by"),
    )

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(survey_opens_on__lte=models.F("survey_closes_on")),
                name="cycle_period_in_order",
                violation_error_message=_("The survey period must end after it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(survey_closes_on__lte=models.F("analysis_due_on")),
                name="cycle_analysis_after_period",
                violation_error_message=_(
                    "The analysis deadline must not be before the end of the survey period."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("Review cycle %(year)s") % {"year": self.year}

    def reminder_offsets(self) -> list[int]:
        return sorted(
            {int(part) for part in self.reminder_days.split(",") if part.strip().isdigit()},
            reverse=True,
        )


class Step(models.Model):
    """One step of a cycle: claimed by the sweep that runs it, once."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(_("step"), max_length=40)
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    detail = models.TextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("cycle step")
        verbose_name_plural = _("cycle steps")
        ordering = ["cycle", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="unique_cycle_step"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.name}"

    @property
    def ran_late(self) -> bool:
        from django.utils import timezone

        if self.done_at is None or self.skipped:
            return False
        return timezone.localdate(self.done_at) > self.due_on


class Indicator(models.Model):
    """One measured value of a cycle, frozen when the cycle is analysed.

    `subject` is "" for the office, the unit's code or the card's code. `status` says
    whether the figure may be shown (see surveys.analysis: suppressed below 10, indicative
    below 30): a suppressed row keeps `n` but no value or interval.
    """

    class Scope(models.TextChoices):
        OFFICE = "office", _("office")
        UNIT = "unit", _("unit")
        CARD = "card", _("service card")

    class Measure(models.TextChoices):
        SHARE = "share", _("share of positive answers")
        MEAN = "mean", _("mean")
        MONTHLY = "monthly", _("estimated occurrences per month")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="indicators")
    scope = models.CharField(max_length=6, choices=Scope.choices)
    subject = models.CharField(max_length=30, blank=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, related_name="+")
    card = models.ForeignKey(ServiceCard, on_delete=models.PROTECT, null=True, related_name="+")
    key = models.CharField(_("indicator"), max_length=60)
    measure = models.CharField(max_length=8, choices=Measure.choices)
    n = models.PositiveIntegerField(_("sample"))
    positive = models.PositiveIntegerField(null=True)
    value = models.FloatField(null=True)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)
    status = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "scope", "subject", "key", "measure"], name="unique_indicator"
            ),
        ]
        indexes = [models.Index(fields=["cycle", "unit"])]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.subject or 'office'} {self.key} {self.measure}"


class Standard(models.Model):
    """A measurable quality standard: office-wide, or an override for a unit or a card.

    Survey standards hold a share of positive answers (or a mean) at least at the
    target; observation standards hold the estimated monthly number of document errors
    (or client questions) for a card at most at the target.
    """

    class Kind(models.TextChoices):
        SHARE_AT_LEAST = "share_at_least", _("share of positive answers at least")
        MEAN_AT_LEAST = "mean_at_least", _("mean rating at least")
        ERRORS_AT_MOST = "errors_at_most", _("document errors per month at most")
        QUESTIONS_AT_MOST = "questions_at_most", _("client questions per month at most")

    name_pl = models.CharField(_("name (Polish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    key = models.SlugField(
        _("question key"),
        max_length=50,
        blank=True,
        help_text=_("The stable key of the question measured (survey standards only)."),
    )
    target = models.FloatField(
        _("target"),
        help_text=_(
            "A share as a fraction (0.8 = 80 %), a mean on the question's scale, or a count."
        ),
    )
    minimum_sample = models.PositiveIntegerField(_("minimum sample"), default=30)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for unit"),
    )
    card = models.ForeignKey(
        ServiceCard,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for service card"),
    )
    severity = models.CharField(
        _("severity of a breach"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("quality standard")
        verbose_name_plural = _("quality standards")
        ordering = ["kind", "key", "unit", "card"]

    def __str__(self) -> str:
        return localised(self, "name")

    @property
    def measure(self) -> str:
        if self.kind == self.Kind.SHARE_AT_LEAST:
            return Indicator.Measure.SHARE
        if self.kind == self.Kind.MEAN_AT_LEAST:
            return Indicator.Measure.MEAN
        return Indicator.Measure.MONTHLY

    @property
    def indicator_key(self) -> str:
        if self.kind == self.Kind.ERRORS_AT_MOST:
            return "observations:document_error"
        if self.kind == self.Kind.QUESTIONS_AT_MOST:
            return "observations:question"
        return self.key

    @property
    def is_upper_limit(self) -> bool:
        return self.kind in (self.Kind.ERRORS_AT_MOST, self.Kind.QUESTIONS_AT_MOST)


class Finding(models.Model):
    """A breach of a standard by one card in one cycle, with its aggregated evidence."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="findings")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="findings")
    card = models.ForeignKey(ServiceCard, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    target = models.FloatField(_("target"))
    summary = models.TextField(_("evidence"))
    # A breach that recurs in a later cycle is linked to the item it reopened (or that
    # is still open), so several findings may point at one nonconformity.
    nonconformity = models.ForeignKey(
        "workflows.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["cycle", "card__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "standard", "card"], name="one_finding_per_breach"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.card.code}: {self.standard}"


class Remeasurement(models.Model):
    """A nonconformity waiting for "verify at the next measurement", re-measured."""

    class Proposal(models.TextChoices):
        EFFECTIVE = "effective", _("effective: the standard is met")
        NOT_EFFECTIVE = "not_effective", _("not effective: still breached")
        INCONCLUSIVE = "inconclusive", _("inconclusive: too few answers")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="remeasurements")
    nonconformity = models.ForeignKey(
        "workflows.Nonconformity", on_delete=models.PROTECT, related_name="remeasurements"
    )
    before = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    after = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", null=True)
    target = models.FloatField()
    proposal = models.CharField(max_length=15, choices=Proposal.choices)
    reopened = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("re-measurement")
        verbose_name_plural = _("re-measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "nonconformity"], name="one_remeasurement_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.nonconformity.number}"


def pack_path(pack: "Pack", filename: str) -> str:
    return f"packs/{pack.cycle.year}/{filename}"


class Pack(models.Model):
    """A results pack (one per unit) or the management-review pack (unit empty).

    The row is written only after both files are stored, in one transaction, so a
    pack either exists complete or not at all.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="packs")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, related_name="+")
    pdf = models.FileField(upload_to=pack_path)
    xlsx = models.FileField(upload_to=pack_path)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledge_due_on = models.DateField(_("acknowledge by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    acknowledgement_note = models.TextField(_("catalogue updates planned"), blank=True)
    catalogue_done_at = models.DateTimeField(_("catalogue updated at"), null=True, blank=True)
    # When the files were (re)built with the cycle's released free text; empty: the files
    # say "not released yet", or a text was masked again since (packs.pack_add_free_text).
    free_text_included_at = models.DateTimeField(_("free text included at"), null=True, blank=True)

    class Meta:
        verbose_name = _("results pack")
        verbose_name_plural = _("results packs")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "unit"], name="one_pack_per_unit"),
            models.UniqueConstraint(
                fields=["cycle"],
                condition=models.Q(unit__isnull=True),
                name="one_management_pack",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.unit.code if self.unit else 'management review'}"


class FreeTextMask(models.Model):
    """The coordinator's version of one free-text answer, shown instead of the original.

    Without a row, others see the original through `surveys.privacy.mask`; with one,
    they see `text` (masked automatically once more), or nothing when `withheld`.
    The original answer is never changed.
    """

    answer = models.OneToOneField(
        "surveys.Answer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    text = models.TextField(_("text shown to the units"), blank=True)
    withheld = models.BooleanField(_("withheld from the units"), default=False)
    masked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    masked_at = models.DateTimeField(_("masked at"))

    class Meta:
        verbose_name = _("masked free-text answer")
        verbose_name_plural = _("masked free-text answers")

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.text[:40]}"


class PeerFile(models.Model):
    """An imported benchmarking file of another office (aggregates only)."""

    office_name = models.CharField(_("office"), max_length=200)
    year = models.PositiveIntegerField(_("year"))
    schema_version = models.CharField(max_length=10)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("peer office file")
        verbose_name_plural = _("peer office files")
        constraints = [
            models.UniqueConstraint(fields=["office_name", "year"], name="one_file_per_peer_year"),
        ]

    def __str__(self) -> str:
        return f"{self.office_name} {self.year}"


class PeerIndicator(models.Model):
    file = models.ForeignKey(PeerFile, on_delete=models.CASCADE, related_name="indicators")
    key = models.CharField(max_length=60)
    measure = models.CharField(max_length=8)
    n = models.PositiveIntegerField()
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["file", "key", "measure"], name="one_peer_value_per_indicator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.measure}"


class PackProcess(Process):
    """The viewflow process of one unit's results pack; `artifact` is the Pack."""

    class Meta:
        proxy = True
        verbose_name = _("results pack process")
        verbose_name_plural = _("results pack processes")

    @property
    def pack(self) -> Pack:
        return self.artifact
