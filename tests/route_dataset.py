"""The route walk's dataset: units A and B with one of everything, built through the
project's own services (tests/test_route_access.py builds it once per module).

Every object a route can name exists for unit A and for unit B: nonconformities at each
step (triage, analysis, planning, implementation with an action and its evidence file,
verification, closed), tasks of both flows (nonconformity steps and results-pack
acknowledgements), two review cycles (2025 raised an item that 2026 re-measures), results
packs with their files, survey responses, paper batches with sheets, staff observations,
a round, desks, cards and revisions, questionnaire versions, standards, a peer office's
benchmarking file, notifications.

`ROUTE_ARGS` says which objects fill each route's parameters; `World.targets()` turns
that into the URLs to request, each labelled with the unit it belongs to (or none),
who owns it (a task's owner, a batch's typist, an observation's author) and whether it
is an "extra" id nobody may open (a task of the other flow, an id that does not exist).
"""

import datetime
import json
from dataclasses import dataclass, field

import time_machine
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from qms.models import AuditEntry, Office, OrgUnit, User
from qms.roles import Role
from tests.factories import (
    OrgUnitFactory,
    ServiceCardFactory,
    ServiceCardRevisionFactory,
    UserFactory,
)

YEAR = 2026  # the cycle whose packs are delivered; YEAR - 1 raised the re-measured item
MISSING = 987_654_321  # an id no table has

# The cast: role name -> (Django group, unit code). The deputy is set on unit A.
CAST = {
    "anonymous": (None, None),
    "staff_a": (Role.STAFF, "A"),
    "head_a": (Role.HEAD, "A"),
    "deputy_a": (Role.HEAD, "A"),
    "head_b": (Role.HEAD, "B"),
    "coordinator": (Role.COORDINATOR, None),
    "auditor": (Role.AUDITOR, None),
}


@dataclass(frozen=True)
class Target:
    """One way to fill a route's parameters."""

    label: str  # shown in the report: "A", "B", "A analysis", "pack task", "missing"…
    kwargs: dict
    unit: str | None = None  # "A", "B", or None: office-wide or nobody's
    owner: int | None = None  # the user it is assigned to / typed by / written by
    extra: bool = False  # an id nobody may open through this route (other flow, missing)
    query: str = ""  # a query string the route reads ("obserwacja=12")


@dataclass
class World:
    users: dict[str, User | None]
    units: dict[str, OrgUnit]
    slots: dict[str, list[Target]]
    # Strings that name one unit's items (numbers, titles, links): another unit's
    # people must never find them in a response body.
    needles: dict[str, list[str]]
    admin_objects: dict[str, int] = field(default_factory=dict)  # "app_model" -> a pk

    def unit_of(self, role: str) -> str | None:
        return CAST[role][1]

    def targets(self, route: str, params: list[str]) -> list[Target]:
        """The fillings of a route. KeyError when a route with parameters has no entry in
        ROUTE_ARGS (tests/test_route_access.py reports it: fail closed)."""
        if params == ["object_id"] and route.startswith("admin"):
            model = admin_model_of(route)
            return [Target(model, {"object_id": self.admin_objects[model]})]
        if route not in ROUTE_ARGS and not params:
            return [Target("-", {})]
        slot = ROUTE_ARGS[route]
        targets = self.slots[slot]
        for target in targets:
            if set(target.kwargs) != set(params):
                raise KeyError(f"{route}: slot {slot} fills {sorted(target.kwargs)}, not {params}")
        return targets


def admin_model_of(route: str) -> str:
    """The admin model a route belongs to, as "app_model" (e.g. "qms_orgunit"), from its
    name ("admin:qms_orgunit_change") or, unnamed, its pattern ("admin/qms/orgunit/…")."""
    if route.startswith("admin:"):
        name = route.removeprefix("admin:")
        return name.rsplit("_", 1)[0]
    _admin, app, model, *_rest = route.split("/")
    return f"{app}_{model}"


# Which slot fills each route's parameters. Routes without parameters need no entry; the
# admin's per-model routes are filled from `World.admin_objects` (one object per model).
ROUTE_ARGS = {
    # public survey and API
    "ankieta:form": "slug",
    "ankieta:pilot": "pilot",
    "ankieta:kiosk": "kiosk",
    "ankieta:kiosk_thanks": "kiosk",
    "api:questionnaire": "slug",
    "api:submit": "slug",
    # accounts
    "password_reset_confirm": "reset_link",
    # catalogue
    "catalogue:unit_detail": "unit",
    "catalogue:card_detail": "card",
    "catalogue:revision_publish": "card",
    "catalogue:revision_detail": "revision",
    # nonconformities
    "nonconformities:register": "register",  # and from a staff observation (?obserwacja=)
    "nonconformities:export": "table_format",
    "nonconformities:detail": "nc",
    "nonconformities:record": "nc",
    "nonconformities:evidence": "nc",
    "nonconformities:action_evidence": "nc_action",
    "nonconformities:reopen": "nc_closed",
    "nonconformities:task": "nc_task",
    "nonconformities:reassign": "nc_task",
    # surveys, staff side
    "surveys_staff:version_detail": "version",
    "surveys_staff:version_edit": "draft",
    "surveys_staff:version_transition": "version_close",
    "surveys_staff:version_preview": "version",
    "surveys_staff:version_compare": "version_pair",
    "surveys_staff:question_create": "draft",
    "surveys_staff:question_edit": "question",
    "surveys_staff:question_action": "question_delete",
    "surveys_staff:qr_sheet": "desk",
    "surveys_staff:desk_kiosk_key": "desk",
    "surveys_staff:interview_form": "interview",
    "surveys_staff:batch_detail": "batch",
    "surveys_staff:batch_enter": "batch",
    "surveys_staff:batch_verify": "batch",
    "surveys_staff:batch_resolve": "batch_sheet",
    "surveys_staff:observation_delete": "observation",
    "surveys_staff:round_detail": "round",
    "surveys_staff:round_nothing": "round",
    "surveys_staff:response_export": "table_format",
    # annual review
    "review:cycle": "year",
    "review:cycle_edit": "year",
    "review:free_text": "year",
    "review:free_text_mask": "free_text",
    "review:free_text_release": "year",
    "review:remeasure": "remeasurement",
    "review:standard_edit": "standard",
    "review:task": "pack_task",
    "review:pack_file": "pack_file",
    "review:benchmark_export": "year",
    "review:benchmark_year": "year",
    "review:benchmark_indicator": "indicator",
    "review:benchmark_funnel": "indicator",
    # admin routes with other parameters than one object id
    "admin:view_on_site": "admin_shortcut",
    "admin:app_list": "admin_app",
    "admin:auth_user_password_change": "admin_user_password",
    "admin/(?P<url>.*)$": "admin_anything",
}


# --- building ---------------------------------------------------------------------------


def _at(day: datetime.date, hour: int = 7) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _file(name: str, content: bytes = b"%PDF-1.4 evidence") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def build() -> World:
    """Build everything, in an order that makes ids of different tables overlap.

    The first nonconformity belongs to unit B and the second to unit A, and the results
    packs are built last (A's pack id 1, B's id 2): a page that looks a pack's id up
    among nonconformities shows the *other* unit's item, so the body check catches it.
    (On PostgreSQL sequences are not rolled back, so this holds only on a fresh database.)
    """
    from celery_app import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        # Notifications and e-mails are sent after commit: run them at the end.
        with TestCase.captureOnCommitCallbacks(execute=True):
            world = _build()
        _add_notice_needles(world)
        return world
    finally:
        app.conf.task_always_eager = eager


def _add_notice_needles(world: World) -> None:
    """What each unit's head was told of its pack ("Wyniki 2026 dla B: …")."""
    from notifications.models import Notification

    for target in world.slots["pack_task"]:
        if not target.extra and target.unit:
            url = f"/review/tasks/{target.kwargs['task_pk']}/"
            subjects = Notification.objects.filter(url=url).values_list("subject", flat=True)
            assert subjects, f"no notice of the pack task {url}"
            world.needles[target.unit] = sorted({*world.needles[target.unit], *subjects})


def _build():  # untyped like the tests (pyproject.toml): factories defeat mypy
    from review import services as review
    from review.models import Cycle, Pack, Remeasurement, Standard
    from surveys import services as surveys
    from surveys.models import Answer, Channel, Desk
    from surveys.tokens import new_submission_token
    from tests.review.conftest import answer, walk_to_measurement
    from tests.workflows.conftest import open_task, walk_to_implementation
    from workflows import services as nc
    from workflows.models import Absence, CauseCategory, Nonconformity, Source

    today = timezone.localdate()
    Office.objects.create(name="Urząd Miasta Testowo", city="Testowo")
    units = {
        "A": OrgUnitFactory(code="A", name_pl="Wydział A", name_en="Department A"),
        "B": OrgUnitFactory(code="B", name_pl="Wydział B", name_en="Department B"),
    }
    users = {"anonymous": None}
    for role, (group, unit) in CAST.items():
        if group is not None:
            users[role] = UserFactory(
                username=role, roles=[group], unit=units[unit] if unit else None
            )
    # Another unit's front desk: types B's paper forms, records B's observations.
    staff_b = UserFactory(username="staff_b", roles=[Role.STAFF], unit=units["B"])
    units["A"].head, units["A"].deputy = users["head_a"], users["deputy_a"]
    units["B"].head = users["head_b"]
    for unit in units.values():
        unit.save()
    coordinator, head_a, head_b = users["coordinator"], users["head_a"], users["head_b"]
    staff_a, deputy_a = users["staff_a"], users["deputy_a"]
    assert coordinator and head_a and head_b and staff_a and deputy_a

    cards = {}
    for code, unit in (("A", units["A"]), ("B", units["B"])):
        cards[code] = ServiceCardFactory(
            code=f"{code}-01",
            unit=unit,
            title_pl=f"Zaświadczenie wydziału {code}",
            title_en=f"Certificate of department {code}",
        )
        ServiceCardRevisionFactory(card=cards[code], number=1)

    questionnaire = surveys.questionnaire_install_default()
    version = questionnaire.active_version
    draft = surveys.version_create_draft(questionnaire=questionnaire, copy_from=version)
    pilot = surveys.version_start_pilot(
        version=surveys.version_create_draft(questionnaire=questionnaire, copy_from=version)
    )
    desks = {
        code: Desk.objects.create(code=f"{code}-1", name=f"Stanowisko {code}1", unit=unit)
        for code, unit in units.items()
    }
    category = CauseCategory.objects.create(name_pl="Niejasna karta", name_en="Unclear card")
    Absence.objects.create(
        user=head_b,
        starts_on=datetime.date(YEAR - 1, 1, 5),
        ends_on=datetime.date(YEAR - 1, 1, 9),
        note="urlop",
    )

    # --- nonconformities: B's first, then A's (see build()) ------------------------------
    def register(unit: str, title: str, **extra) -> Nonconformity:
        return nc.nonconformity_register(
            user=coordinator,
            title=title,
            description=f"Opis: {title}",
            source=Source.AUDIT,
            unit=units[unit],
            service_card=cards[unit],
            **extra,
        )

    def accept(item: Nonconformity) -> None:
        [task] = open_task(item, "triage")
        nc.nonconformity_triage(task=task, user=coordinator, decision="accept")

    def analyse(item: Nonconformity, head: User) -> None:
        [task] = open_task(item, "analysis")
        nc.nonconformity_analyse(
            task=task,
            user=head,
            immediate_correction="",
            why_chain=["a"],
            root_cause="b",
            cause_category=category,
            occurs_elsewhere="no",
        )

    def complete(item: Nonconformity, owner: User, evidence_file=None) -> None:
        task = next(t for t in open_task(item, "implement") if t.owner_id == owner.pk)
        nc.action_complete(task=task, user=owner, evidence="Zrobione", evidence_file=evidence_file)

    ncs = {}
    ncs["B analysis"] = register("B", "Okienko B7 zamyka sie wczesniej niz podaje karta")
    accept(ncs["B analysis"])
    ncs["A triage"] = register("A", "Karta A-01 nie podaje godzin pracy kasy")
    ncs["A analysis"] = register("A", "Karta A-01 ma nieaktualny numer konta")
    accept(ncs["A analysis"])
    ncs["A planning"] = register("A", "Wzor wniosku A-01 jest nieczytelny")
    accept(ncs["A planning"])
    analyse(ncs["A planning"], head_a)

    ncs["A implementation"] = register(
        "A", "Klienci A-01 nie wiedza o mozliwosci wysylki", evidence_file=_file("skarga-a.pdf")
    )
    walk_to_implementation(
        ncs["A implementation"],
        coordinator=coordinator,
        head=head_a,
        owners=[head_a, deputy_a],
        category=category,
    )
    # The deputy's action is done with its file; the head's action still waits.
    complete(ncs["A implementation"], deputy_a, _file("dowod-a.pdf"))
    ncs["B implementation"] = register(
        "B", "Kolejka do okienka B7 przekracza godzine", evidence_file=_file("skarga-b.pdf")
    )
    walk_to_implementation(
        ncs["B implementation"],
        coordinator=coordinator,
        head=head_b,
        owners=[head_b, staff_b],
        category=category,
    )
    complete(ncs["B implementation"], staff_b, _file("dowod-b.pdf"))

    ncs["A verification"] = register("A", "Brak informacji o oplacie skarbowej A-01")
    walk_to_implementation(
        ncs["A verification"],
        coordinator=coordinator,
        head=head_a,
        owners=[head_a],
        category=category,
    )
    complete(ncs["A verification"], head_a)
    for unit, head, title in (
        ("A", head_a, "Karta A-01 odsylala do nieistniejacego formularza"),
        ("B", head_b, "Karta B-01 podawala zly adres skrzynki ePUAP"),
    ):
        item = ncs[f"{unit} closed"] = register(unit, title)
        walk_to_implementation(
            item, coordinator=coordinator, head=head, owners=[head], category=category
        )
        complete(item, head)
        [task] = open_task(item, "verification")
        nc.nonconformity_verify(
            task=task, user=coordinator, verdict=Nonconformity.Verdict.EFFECTIVE, evidence="OK"
        )

    # --- surveys: responses with free text, paper batches, a round, observations -------
    may = datetime.date(YEAR, 5, 10)
    useful = version.questions.get(key="card_useful")
    choice = {c.value: c for c in useful.choices.all()}
    comments = {
        "A": "Uwaga klienta wydzialu A: prosze o dluzsze godziny",
        "B": "Uwaga klienta wydzialu B: okienko B7 bylo zamkniete",
    }
    for code, text in comments.items():
        surveys.response_submit(
            version=version,
            channel=Channel.WEB,
            answers={"service": cards[code], "card_useful": choice["no"], "comments": text},
            nonce=f"route-walk-comment-{code}",
            service_card=cards[code],
            today=may,
        )
    surveys.suggestion_submit(version=version, text="Za dlugi formularz")

    def sheet(batch, number: int, typist: User, card, value: str) -> None:
        outcome = surveys.submit_response(
            version=batch.version,
            token=new_submission_token(batch.version),
            answers={"service": card, "card_useful": choice[value]},
            source=surveys.ResponseSource.paper(batch=batch, sheet_number=number, typist=typist),
            address=None,
        )
        assert outcome == surveys.Submitted.STORED, outcome

    batches = {}
    for label, unit, typist in (
        ("A", "A", staff_a),
        ("A by head", "A", head_a),
        ("B", "B", staff_b),
    ):
        batch = batches[label] = surveys.batch_open(
            operator=typist,
            version=version,
            desk=desks[unit],
            collected_on=today,
            declared_count=2,
            double_entry=True,
        )
        sheet(batch, 1, typist, cards[unit], "yes")
        sheet(batch, 2, typist, cards[unit], "no")
        # Sheet 1 typed differently the second time: flagged for checking against paper.
        surveys.paper_sheet_verify(
            batch=batch, sheet_number=1, answers={"card_useful": choice["no"]}, user=typist
        )

    round_ = surveys.round_open(
        user=coordinator, title="Pytania klientow w grudniu", due_on=today + datetime.timedelta(30)
    )
    observations = {
        "A": surveys.observation_record(
            user=staff_a,
            card=cards["A"],
            kind="question",
            summary="Obserwacja A: klienci pytaja o godziny kasy",
            frequency=3,
            period="month",
        ),
        "B": surveys.observation_record(
            user=staff_b,
            card=cards["B"],
            kind="document_error",
            summary="Obserwacja B: wnioski bez podpisu na stronie 2",
            frequency=2,
            period="month",
        ),
    }

    # --- the annual review: 2025 raised A-01, 2026 re-measures it and raises B-01 ---------
    cycles = {}
    for year in (YEAR - 1, YEAR):
        cycles[year] = Cycle.objects.create(
            year=year,
            version=version,
            survey_opens_on=datetime.date(year, 1, 1),
            survey_closes_on=datetime.date(year, 7, 31),
            observations_due_on=datetime.date(year, 7, 31),
            analysis_due_on=datetime.date(year, 8, 30),
            catalogue_due_on=datetime.date(year, 10, 31),
            created_by=coordinator,
        )
    answer(version, cards["A"], useful=20, not_useful=40, day=datetime.date(YEAR - 1, 5, 10))
    earlier = cycles[YEAR - 1]
    with time_machine.travel(_at(earlier.analysis_due_on), tick=False):
        # Only the steps that raise the item; 2025's packs are not needed.
        review.store_indicators(earlier, review.compute_indicators(earlier))
        for finding in review.evaluate_standards(earlier):
            review.finding_raise(finding)
    Cycle.objects.filter(pk=earlier.pk).update(closed_on=earlier.catalogue_due_on)
    ncs["A measurement"] = Nonconformity.objects.get(year=YEAR - 1, unit=units["A"])
    walk_to_measurement(ncs["A measurement"])

    answer(version, cards["A"], useful=55, not_useful=5, day=may)
    answer(version, cards["B"], useful=20, not_useful=40, day=may)
    cycle = cycles[YEAR]
    with time_machine.travel(_at(cycle.analysis_due_on), tick=False):
        review.advance(today=cycle.analysis_due_on, cycle=cycle)
    ncs["B survey"] = Nonconformity.objects.get(year=YEAR, unit=units["B"], source=Source.SURVEY)
    packs = {
        "A": Pack.objects.get(cycle=cycle, unit=units["A"]),
        "B": Pack.objects.get(cycle=cycle, unit=units["B"]),
        "M": Pack.objects.get(cycle=cycle, unit=None),
    }
    pack_tasks = {code: review.pack_tasks(packs[code]).get() for code in ("A", "B")}
    remeasurement = Remeasurement.objects.get(cycle=cycle)

    from review import benchmarking

    document = benchmarking.export_document(cycle)
    document["office"] = {"name": "Urząd Miasta Porównawczo", "city": "Porównawczo"}
    benchmarking.import_document(data=json.dumps(document).encode(), user=coordinator)
    from qms.services import audit_record

    audit_record(user=coordinator, action=AuditEntry.Action.RESPONSE_LIST, route="/", rows=1)
    # A failed and a successful sign-in: the login throttle's records (with its log of
    # failures, which the admin shows when it is switched on).
    with override_settings(AXES_ENABLE_ACCESS_FAILURE_LOG=True, AXES_DISABLE_ACCESS_LOG=False):
        Client().post("/accounts/login/", {"username": "staff_b", "password": "wrong"})
        Client().post("/accounts/login/", {"username": "staff_b", "password": "password"})

    # --- fillings ----------------------------------------------------------------------
    def task_of(item: Nonconformity, step: str):
        [task] = open_task(item, step)
        return task

    nc_tasks = [
        Target(f"A {step}", {"task_pk": task.pk}, "A", task.owner_id)
        for step, task in (
            ("triage", task_of(ncs["A triage"], "triage")),
            ("analysis", task_of(ncs["A analysis"], "analysis")),
            ("planning", task_of(ncs["A planning"], "planning")),
            (
                "implement",
                next(
                    t
                    for t in open_task(ncs["A implementation"], "implement")
                    if t.owner_id == head_a.pk
                ),
            ),
            ("verification", task_of(ncs["A verification"], "verification")),
        )
    ]
    b_task = task_of(ncs["B analysis"], "analysis")
    nc_tasks += [
        Target("B analysis", {"task_pk": b_task.pk}, "B", b_task.owner_id),
        Target("B triage", {"task_pk": task_of(ncs["B survey"], "triage").pk}, "B", coordinator.pk),
        Target("pack task", {"task_pk": pack_tasks["A"].pk}, "A", head_a.pk, extra=True),
        Target("missing", {"task_pk": MISSING}, extra=True),
    ]
    a_task = task_of(ncs["A analysis"], "analysis")
    action = {
        code: ncs[f"{code} implementation"].actions.exclude(evidence_file="").get()
        for code in ("A", "B")
    }
    drafted = draft.questions.get(key="comments")
    free_texts = {code: Answer.objects.get(text=text) for code, text in comments.items()}
    slots = {
        "slug": [Target("-", {"slug": questionnaire.slug})],
        "pilot": [Target("-", {"token": pilot.pilot_token})],
        "kiosk": [
            Target(code, {"slug": questionnaire.slug, "key": desk.kiosk_key}, code)
            for code, desk in desks.items()
        ],
        "reset_link": [Target("-", {"uidb64": "MQ", "token": "set-password"})],
        "unit": [Target(code, {"pk": unit.pk}, code) for code, unit in units.items()],
        "card": [Target(code, {"pk": card.pk}, code) for code, card in cards.items()],
        "revision": [
            Target(code, {"pk": card.pk, "number": 1}, code) for code, card in cards.items()
        ],
        "table_format": [Target(fmt, {"fmt": fmt}) for fmt in ("csv", "xlsx")],
        "nc": [Target(code, {"pk": ncs[f"{code} implementation"].pk}, code) for code in ("A", "B")],
        "nc_action": [
            Target(
                code, {"pk": ncs[f"{code} implementation"].pk, "action_pk": action[code].pk}, code
            )
            for code in ("A", "B")
        ]
        + [
            Target(
                "A item, B action",
                {"pk": ncs["A implementation"].pk, "action_pk": action["B"].pk},
                extra=True,
            )
        ],
        "nc_closed": [Target(code, {"pk": ncs[f"{code} closed"].pk}, code) for code in ("A", "B")],
        "nc_task": nc_tasks,
        "register": [Target("-", {})]
        + [
            Target(code, {}, code, obs.recorded_by_id, query=f"obserwacja={obs.pk}")
            for code, obs in observations.items()
        ],
        "version": [Target("-", {"pk": version.pk})],
        "draft": [Target("-", {"pk": draft.pk})],
        "version_close": [Target("-", {"pk": version.pk, "action": "close"})],
        "version_pair": [Target("-", {"pk": version.pk, "other": draft.pk})],
        "question": [Target("-", {"pk": draft.pk, "question_pk": drafted.pk})],
        "question_delete": [
            Target("-", {"pk": draft.pk, "question_pk": drafted.pk, "action": "delete"})
        ],
        "desk": [Target(code, {"pk": desk.pk}, code) for code, desk in desks.items()],
        "interview": [
            Target(code, {"pk": version.pk, "desk_pk": desk.pk}, code)
            for code, desk in desks.items()
        ],
        "batch": [
            Target(label, {"pk": batch.pk}, label[0], batch.operator_id)
            for label, batch in batches.items()
        ],
        "batch_sheet": [
            Target(label, {"pk": batch.pk, "sheet": 1}, label[0], batch.operator_id)
            for label, batch in batches.items()
        ],
        "observation": [
            Target(code, {"pk": obs.pk}, code, obs.recorded_by_id)
            for code, obs in observations.items()
        ],
        "round": [Target("-", {"pk": round_.pk})],
        "year": [Target(str(YEAR), {"year": YEAR})],
        "remeasurement": [Target("A", {"pk": remeasurement.pk}, "A")],
        "standard": [Target("-", {"pk": Standard.objects.get(key="card_useful", unit=None).pk})],
        "pack_task": [
            Target(code, {"task_pk": task.pk}, code, task.owner_id)
            for code, task in pack_tasks.items()
        ]
        + [
            Target("A item's task", {"task_pk": a_task.pk}, "A", a_task.owner_id, extra=True),
            Target("missing", {"task_pk": MISSING}, extra=True),
        ],
        "pack_file": [
            Target(f"{code}.{fmt}", {"pk": pack.pk, "fmt": fmt}, code if code != "M" else None)
            for code, pack in packs.items()
            for fmt in ("pdf", "xlsx")
        ],
        "free_text": [
            Target(code, {"year": YEAR, "pk": answer.pk}, code)
            for code, answer in free_texts.items()
        ],
        "indicator": [Target("-", {"year": YEAR, "key": "card_useful", "measure": "share"})],
        "admin_shortcut": [
            Target(
                "-",
                {
                    "content_type_id": ContentType.objects.get_for_model(OrgUnit).pk,
                    "object_id": units["A"].pk,
                },
            )
        ],
        "admin_app": [Target("qms", {"app_label": "qms"})],
        "admin_user_password": [Target("-", {"id": staff_a.pk})],
        "admin_anything": [Target("-", {"url": "nie-ma-takiej-strony/"})],
    }

    # One object of every model the admin shows.
    admin_objects = {}
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            admin_objects[f"{model._meta.app_label}_{model._meta.model_name}"] = obj.pk

    needles = {"A": [], "B": []}
    for item in Nonconformity.objects.select_related("unit"):
        needles[item.unit.code] += [item.number, item.title, f"/nonconformities/{item.pk}/"]
    for code in ("A", "B"):
        tasks = [t for t in nc_tasks if t.unit == code and not t.extra]
        needles[code] += [f"/nonconformities/tasks/{t.kwargs['task_pk']}/" for t in tasks]
        needles[code] += [
            f"/review/packs/{packs[code].pk}.",
            f"/review/tasks/{pack_tasks[code].pk}/",
            f"{units[code]} ({YEAR})",  # the pack's heading: "B Wydział B (2026)"
            comments[code],
            observations[code].summary,
        ]
    assert not Pack.objects.filter(pdf="").exists(), "every pack has its files"
    return World(
        users=users,
        units=units,
        slots=slots,
        needles={code: sorted(set(strings)) for code, strings in needles.items()},
        admin_objects=admin_objects,
    )
