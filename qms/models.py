from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


def localised(obj, field: str) -> str:
    """Return `<field>_en` when the active language is English and it is filled in."""
    if translation.get_language() == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, f"{field}_pl")


class Language(models.TextChoices):
    PL = "pl", _("Polish")
    EN = "en", _("English")


class User(AbstractUser):
    """An office employee. Clients who fill surveys never have an account."""

    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.PL,
        help_text=_("Language of the interface and of e-mails sent to this person."),
    )
    unit = models.ForeignKey(
        "OrgUnit",
        verbose_name=_("organisational unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The unit this person works in. Heads are set on the unit itself."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class Office(models.Model):
    """The office running this deployment (one per deployment for now)."""

    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    bip_url = models.URLField(_("BIP address"), blank=True)
    # Shown to clients on the public survey pages (footer, thank-you page, privacy notice).
    website_url = models.URLField(_("website address"), blank=True)
    service_cards_url = models.URLField(
        _("service cards page"),
        blank=True,
        help_text=_("Where clients find the service cards: a page of the website or of BIP."),
    )
    address = models.CharField(
        _("postal address"), max_length=300, blank=True, help_text=_("Street, postcode, town.")
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    opening_hours_pl = models.CharField(_("opening hours (Polish)"), max_length=300, blank=True)
    opening_hours_en = models.CharField(_("opening hours (English)"), max_length=300, blank=True)
    dpo_email = models.EmailField(
        _("data protection officer's e-mail"),
        blank=True,
        help_text=_("The contact of the data protection officer (inspektor ochrony danych)."),
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("office")

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "Office | None":
        return cls.objects.order_by("pk").first()

    @property
    def opening_hours(self) -> str:
        return localised(self, "opening_hours")


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "wydzial", _("department (wydział)")
        SECTION = "referat", _("section (referat)")
        OFFICE = "biuro", _("bureau (biuro)")
        INDEPENDENT_POST = "stanowisko", _("independent post (samodzielne stanowisko)")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_pl = models.CharField(_("name (Polish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    head = models.ForeignKey(
        User,
        verbose_name=_("head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_units",
    )
    deputy = models.ForeignKey(
        User,
        verbose_name=_("deputy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputised_units",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="orgunit_not_own_parent"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localised(self, "name")

    def clean(self):
        if self.head_id and self.head_id == self.deputy_id:
            raise ValidationError(
                {"deputy": _("The deputy must be a different person than the head.")}
            )
        # Walk up the tree: a unit may not end up as its own ancestor.
        seen = {self.pk}
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError(
                    {"parent": _("This parent would make a cycle in the org chart.")}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class ServiceCardQuerySet(models.QuerySet):
    def with_current_revision_number(self):
        """Annotate the number of the revision in force today (no N+1 on lists)."""
        current = ServiceCardRevision.objects.filter(
            card=models.OuterRef("pk"), published_on__lte=timezone.localdate()
        ).order_by("-number")
        return self.annotate(current_revision_number=models.Subquery(current.values("number")[:1]))


class ServiceCard(models.Model):
    """A service card (karta usługi): what a client needs to settle one matter."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    title_pl = models.CharField(_("title (Polish)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owning unit"),
        on_delete=models.PROTECT,
        related_name="service_cards",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ServiceCardQuerySet.as_manager()

    class Meta:
        verbose_name = _("service card")
        verbose_name_plural = _("service cards")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return localised(self, "title")

    def revision_on(self, day) -> "ServiceCardRevision | None":
        """The revision in force on `day` (the latest one published by then)."""
        return self.revisions.filter(published_on__lte=day).order_by("-number").first()

    @property
    def current_revision(self) -> "ServiceCardRevision | None":
        return self.revision_on(timezone.localdate())


class ServiceCardRevision(models.Model):
    """One published text of a service card. Never edited: a change is a new revision."""

    card = models.ForeignKey(
        ServiceCard,
        verbose_name=_("service card"),
        on_delete=models.PROTECT,
        related_name="revisions",
    )
    number = models.PositiveIntegerField(_("revision number"))
    required_documents = models.TextField(_("required documents"))
    fees = models.TextField(_("fees"))
    time_limit = models.CharField(_("time limit"), max_length=300)
    where_to_apply = models.TextField(_("where to apply"))
    legal_basis = models.TextField(_("legal basis"))
    appeal_route = models.TextField(_("appeal route"))
    published_on = models.DateField(_("published on"))
    change_note = models.TextField(_("change note"), blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    CONTENT_FIELDS = (
        "required_documents",
        "fees",
        "time_limit",
        "where_to_apply",
        "legal_basis",
        "appeal_route",
    )

    class Meta:
        verbose_name = _("service card revision")
        verbose_name_plural = _("service card revisions")
        ordering = ["card", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "number"], name="unique_revision_number_per_card"
            ),
        ]

    def __str__(self):
        return _("%(card)s, revision %(number)s") % {"card": self.card.code, "number": self.number}

    def save(self, *args, **kwargs):
        # Integrity guard, not business logic: published text is evidence
        # (surveys point at the revision a client read) and must never change.
        if not self._state.adding:
            raise ValidationError(_("A published revision cannot be changed; publish a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A published revision cannot be deleted."))


class FormKey(models.Model):
    """A staff form's one-time key, used once (issue: double submit).

    Each form that creates something carries a random key in a hidden field; the service
    claims it here in the same transaction as the row it creates, so a second POST of the
    same page finds the key taken and creates nothing. Kept for good: a key guards its
    form for as long as the page could be re-sent (no purge, unlike survey tokens).
    """

    key = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("form key")
        verbose_name_plural = _("form keys")

    def __str__(self) -> str:
        return self.key


class AuditEntry(models.Model):
    """Who read row-level survey data, when, and with which filter (anonymity rule)."""

    class Action(models.TextChoices):
        RESPONSE_LIST = "response_list", _("read single responses")
        RESPONSE_EXPORT = "response_export", _("exported single responses")
        RESPONSE_DETAIL = "response_detail", _("read one response")
        FREE_TEXT_REVIEW = "free_text_review", _("reviewed free-text answers")
        FREE_TEXT_MASK = "free_text_mask", _("masked a free-text answer")
        FREE_TEXT_RELEASE = "free_text_release", _("released free-text answers")
        LOGIN_UNLOCK = "login_unlock", _("unlocked a blocked sign-in")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("what"), max_length=30, choices=Action.choices)
    route = models.CharField(_("address"), max_length=200, blank=True)
    params = models.JSONField(_("filter"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"
