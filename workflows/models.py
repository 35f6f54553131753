"""Nonconformities and their corrective and preventive actions (ISO 9001 10.2).

The domain records are real models; the viewflow process is a proxy whose `artifact`
is the Nonconformity (CONVENTIONS.md §3). Every human step appends an `Event`.
"""

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, localised

EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "docx", "xlsx", "odt", "ods", "txt"]


class Severity(models.TextChoices):
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")
    CRITICAL = "critical", _("critical")


class Source(models.TextChoices):
    SURVEY = "survey", _("survey finding")
    OBSERVATION = "observation", _("staff observation")
    COMPLAINT = "complaint", _("client complaint")
    AUDIT = "audit", _("internal audit")
    COORDINATOR = "coordinator", _("the coordinator's own finding")


class Status(models.TextChoices):
    TRIAGE = "triage", _("awaiting triage")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged into another")
    ANALYSIS = "analysis", _("root-cause analysis")
    PLANNING = "planning", _("action planning")
    PLAN_REVIEW = "plan_review", _("plan awaiting approval")
    IMPLEMENTATION = "implementation", _("actions in progress")
    VERIFICATION = "verification", _("effectiveness verification")
    AWAITING_MEASUREMENT = "awaiting_measurement", _("waiting for the next measurement")
    CLOSED = "closed", _("closed")


class TriageDecision(models.TextChoices):
    """The coordinator's decision on a new item (a form choice, not stored)."""

    ACCEPT = "accept", _("Accept: the unit analyses it")
    REJECT = "reject", _("Reject (give the reason)")
    MERGE = "merge", _("Merge into an open nonconformity (a duplicate)")


OPEN_STATUSES = [
    Status.TRIAGE,
    Status.ANALYSIS,
    Status.PLANNING,
    Status.PLAN_REVIEW,
    Status.IMPLEMENTATION,
    Status.VERIFICATION,
    Status.AWAITING_MEASUREMENT,
]


class CauseCategory(models.Model):
    """Root-cause categories: a catalogue the coordinator maintains."""

    name_pl = models.CharField(_("name (Polish)"), max_length=150, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")
        ordering = ["name_pl"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localised(self, "name")


class DeadlinePolicy(models.Model):
    """Working days allowed for each step, per severity; set by the coordinator."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, unique=True)
    triage_days = models.PositiveSmallIntegerField(
        _("triage and plan approval (working days)"), default=5
    )
    analysis_days = models.PositiveSmallIntegerField(_("analysis (working days)"), default=10)
    planning_days = models.PositiveSmallIntegerField(_("action plan (working days)"), default=10)
    action_days = models.PositiveSmallIntegerField(
        _("default time for an action (working days)"), default=30
    )
    verification_days = models.PositiveSmallIntegerField(
        _("verification (working days)"), default=10
    )
    reminder_days = models.CharField(
        _("reminders (working days before the due date)"),
        max_length=30,
        default="5,1",
        help_text=_("One or two numbers, comma-separated, e.g. 5,1."),
    )
    escalation_every = models.PositiveSmallIntegerField(
        _("repeat the escalation every (working days)"), default=5
    )

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["severity"]

    def __str__(self):
        return self.get_severity_display()

    def clean(self):
        try:
            days = self.reminder_list()
        except ValueError:
            days = [-1]
        if len(days) > 2 or any(d < 1 for d in days):
            raise ValidationError(
                {
                    "reminder_days": _(
                        "Write one or two whole numbers separated by a comma, e.g. 5,1."
                    )
                }
            )

    def reminder_list(self) -> list[int]:
        return sorted(
            {int(part) for part in self.reminder_days.split(",") if part.strip()}, reverse=True
        )

    def days_for(self, status: str) -> int:
        days: dict[str, int] = {
            Status.TRIAGE: self.triage_days,
            Status.ANALYSIS: self.analysis_days,
            Status.PLANNING: self.planning_days,
            Status.PLAN_REVIEW: self.triage_days,
            Status.VERIFICATION: self.verification_days,
        }
        return days.get(status, self.action_days)


class Absence(models.Model):
    """A head's recorded absence: their unit's new tasks go to the deputy on those days."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.user} {self.starts_on}–{self.ends_on}"


class Nonconformity(models.Model):
    class Elsewhere(models.TextChoices):
        UNKNOWN = "", _("not assessed yet")
        NO = "no", _("no")
        YES = "yes", _("yes – it could occur elsewhere")

    class Verdict(models.TextChoices):
        NONE = "", _("not verified yet")
        EFFECTIVE = "effective", _("effective")
        NOT_EFFECTIVE = "not_effective", _("not effective")
        NEXT_MEASUREMENT = "next_measurement", _("verify at the next measurement")

    number = models.CharField(_("number"), max_length=20, unique=True)
    # What registered it, when a process did (e.g. "finding:12"): unique, so one
    # finding can never become two items however often the cycle's step runs.
    origin_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.TRIAGE
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="nonconformities", verbose_name=_("unit")
    )
    service_card = models.ForeignKey(
        ServiceCard,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("service card"),
    )
    # Evidence it came from.
    observation = models.ForeignKey(
        "surveys.StaffObservation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("staff observation"),
    )
    evidence_summary = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("Aggregated figures only (e.g. a survey question's share with its interval)."),
    )
    evidence_file = models.FileField(
        _("evidence file"),
        upload_to="evidence/%Y/",
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    # Analysis (ISO 9001 10.2.1 a, b).
    immediate_correction = models.TextField(_("immediate correction"), blank=True)
    why_chain = models.JSONField(_("5 × why"), default=list, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    cause_category = models.ForeignKey(
        CauseCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("cause category"),
    )
    occurs_elsewhere = models.CharField(
        _("could it occur elsewhere?"), max_length=3, choices=Elsewhere.choices, blank=True
    )
    occurs_elsewhere_note = models.TextField(_("where else, and what was done"), blank=True)
    # Verification.
    verdict = models.CharField(
        _("effectiveness"), max_length=20, choices=Verdict.choices, blank=True
    )
    verdict_evidence = models.TextField(_("evidence of effectiveness"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # Who holds the current step and until when (working-day deadline).
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible now"),
    )
    step_due_on = models.DateField(_("current step due"), null=True, blank=True)
    # Raised when verification sends the item back: a new round of actions.
    plan_round = models.PositiveSmallIntegerField(_("plan round"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_on = models.DateField(_("registered on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    processes = GenericRelation(
        Process,
        content_type_field="artifact_content_type",
        object_id_field="artifact_object_id",
        related_query_name="nonconformity",
    )

    class Meta:
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="unique_nc_sequence"),
        ]
        indexes = [
            models.Index(fields=["status", "unit"]),
            models.Index(fields=["unit", "step_due_on"]),
            models.Index(fields=["step_due_on"]),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue_on(self, day: datetime.date) -> bool:
        return self.is_open and self.step_due_on is not None and self.step_due_on < day


class Action(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("correction")
        CORRECTIVE = "corrective", _("corrective action")
        PREVENTIVE = "preventive", _("preventive action")

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("what will be done"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="qms_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.TextField(_("evidence of completion"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"),
        upload_to="evidence/%Y/",
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    revision = models.ForeignKey(
        ServiceCardRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service card revision it produced"),
    )
    # Plans are revised after "not effective": earlier actions stay as history.
    plan_round = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["nonconformity", "plan_round", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:60]}"


class Event(models.Model):
    """Append-only history of an item: who did what, when, and what their sign-off meant."""

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )

    class Transition(models.TextChoices):
        REGISTER = "register", _("registered")
        ACCEPT = "accept", _("accepted")
        REJECT = "reject", _("rejected")
        MERGE = "merge", _("merged into another item")
        DUPLICATE_MERGED = "duplicate_merged", _("a duplicate was merged into this item")
        ANALYSE = "analyse", _("root cause analysed")
        PLAN = "plan", _("action plan submitted")
        APPROVE_PLAN = "approve_plan", _("plan approved")
        ACCEPT_ANALYSIS = "accept_analysis", _("analysis accepted")
        RETURN_PLAN = "return_plan", _("plan returned")
        COMPLETE_ACTION = "complete_action", _("action completed")
        VERIFY = "verify", _("effectiveness confirmed")
        NOT_EFFECTIVE = "not_effective", _("not effective: a new plan")
        AWAIT_MEASUREMENT = "await_measurement", _("waits for the next measurement")
        MEASURED_EFFECTIVE = "measured_effective", _("re-measured: effective")
        MEASURED_NOT_EFFECTIVE = "measured_not_effective", _("re-measured: not effective")
        REASSIGN = "reassign", _("step handed over")
        REOPEN = "reopen", _("reopened")
        ESCALATE = "escalate", _("overdue: escalated")
        RECURRED = "recurred", _("recurred in the annual measurement")

    transition = models.CharField(_("transition"), max_length=40, choices=Transition.choices)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    # What a person wrote (a reason, a comment, evidence), as written.
    note = models.TextField(_("note"), blank=True)

    # What the system says about the change, rendered in the reader's language from a
    # key and its parameters (workflows.history), never stored as a sentence.
    class NoteKey(models.TextChoices):
        ACTIONS_PLANNED = "actions_planned"  # {n}
        ACTION_DONE = "action_done"  # {kind}
        MERGED_INTO = "merged_into"  # {number}
        DUPLICATE_MERGED = "duplicate_merged"  # {number}
        HANDED_OVER = "handed_over"  # {step, from, to}
        OVERDUE = "overdue"  # {step, due (ISO date), owner}
        RECURRED = "recurred"  # {year, first}

    note_key = models.CharField(max_length=40, blank=True, choices=NoteKey.choices)
    note_params = models.JSONField(default=dict, blank=True)

    class Meaning(models.TextChoices):
        NONE = "", ""
        ACCEPTED = "accepted", _("accepted for analysis")
        ANALYSED = "analysed", _("analysis completed")
        ANALYSIS_ACCEPTED = "analysis_accepted", _("analysis accepted")
        PLAN_APPROVED = "plan_approved", _("plan approved")
        EFFECTIVE = "effective", _("effectiveness confirmed")

    # For sign-offs: what the signature means, kept as a code and shown in each language.
    meaning = models.CharField(
        _("meaning of the sign-off"), max_length=20, choices=Meaning.choices, blank=True
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.transition}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The history of an item is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The history of an item is never changed."))

    @property
    def transition_label(self) -> str:
        return self.get_transition_display()

    @property
    def status_change(self) -> str:
        """The status change ("analysis → planning") in the reader's language, or ""."""
        if not self.to_status or self.to_status == self.from_status:
            return ""
        labels = dict(Status.choices)
        return f"{labels.get(self.from_status, '—')} → {labels.get(self.to_status, self.to_status)}"


class NonconformityProcess(Process):
    """The viewflow process of one nonconformity; `artifact` is the Nonconformity."""

    class Meta:
        proxy = True
        verbose_name = _("nonconformity process")
        verbose_name_plural = _("nonconformity processes")

    @property
    def nonconformity(self) -> Nonconformity:
        return self.artifact
