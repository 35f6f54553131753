"""Reads for nonconformities; the access policy lives here and nowhere else.

- coordinator: everything; auditor: everything, read-only;
- department head: the items of the units they head or deputise for, and tasks
  assigned to them;
- any staff member who owns an action: that action's task, and its item read-only;
- everyone else: nothing (404).
"""

import datetime
from collections import Counter

from django.db.models import Count, F, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from qms.models import OrgUnit, User
from qms.roles import can_read_everything, is_coordinator
from qms.selectors import managed_unit_ids
from workflows.flows import NonconformityFlow
from workflows.models import OPEN_STATUSES, Action, Nonconformity, Status


def visible_nonconformities(user: User) -> QuerySet[Nonconformity]:
    items = Nonconformity.objects.select_related("unit", "service_card", "responsible")
    if not user.is_authenticated:
        return items.none()
    if can_read_everything(user):
        return items
    units = managed_unit_ids(user)
    owned = Action.objects.filter(owner=user).values("nonconformity_id")
    if not units:
        return items.filter(pk__in=owned)
    # Their units' items, plus outside items where they own an action: usually none or a
    # few, so they are fetched as ids (index-only, migration 0005) and the lists keep
    # using the unit index; an OR with the subquery would scan every item.
    outside = list(
        Action.objects.filter(owner=user)
        .exclude(nonconformity__unit_id__in=units)
        .order_by()
        .values_list("nonconformity_id", flat=True)
        .distinct()[: OUTSIDE_IDS_MAX + 1]
    )
    if not outside:
        return items.filter(unit_id__in=units)
    if len(outside) > OUTSIDE_IDS_MAX:
        return items.filter(Q(unit_id__in=units) | Q(pk__in=owned))
    return items.filter(Q(unit_id__in=units) | Q(pk__in=outside))


OUTSIDE_IDS_MAX = 500  # beyond this a head's outside items are read by subquery


def can_register(user: User) -> bool:
    return is_coordinator(user)


def can_manage(user: User) -> bool:
    """Reassign, reopen, maintain catalogues: the coordinator."""
    return is_coordinator(user)


def open_tasks(user: User) -> QuerySet[Task]:
    """The user's own open human steps, earliest due first (due dates live on the record)."""
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED, flow_task_type="HUMAN")
        .select_related("process")
        .order_by("created")
    )


def task_for(user: User, task_pk: int) -> Task | None:
    """A task of a nonconformity the user may see (else None → 404). Only the
    nonconformity flow's tasks: another flow's task id is unknown here."""
    task = (
        Task.objects.filter(
            pk=task_pk, flow_task_type="HUMAN", process__flow_class=NonconformityFlow
        )
        .select_related("process", "owner")
        .first()
    )
    if task is None or task.process.artifact_object_id is None:
        return None
    if task.owner_id == user.pk:
        return task
    # Others' steps: for those who see the whole item through their role or unit; an
    # action's owner sees the item read-only, but not its other steps.
    unit_items = Nonconformity.objects.filter(pk=task.process.artifact_object_id)
    if not can_read_everything(user):
        unit_items = unit_items.filter(unit_id__in=managed_unit_ids(user))
    return task if unit_items.exists() else None


def filtered_list(
    user: User, params: dict, *, today: datetime.date
) -> tuple[QuerySet[Nonconformity], dict]:
    """The monitoring list with its filters; overdue items first."""
    items = visible_nonconformities(user)
    chosen = {}
    for name in ("status", "severity", "source"):
        value = params.get(name, "")
        if value:
            items = items.filter(**{name: value})
            chosen[name] = value
    if str(params.get("unit", "")).isdigit() and len(str(params["unit"])) < 10:
        items = items.filter(unit_id=int(params["unit"]))
        chosen["unit"] = params["unit"]
    if str(params.get("year", "")).isdigit() and len(str(params["year"])) == 4:
        items = items.filter(year=int(params["year"]))
        chosen["year"] = params["year"]
    if params.get("overdue"):
        items = items.filter(status__in=OPEN_STATUSES, step_due_on__lt=today)
        chosen["overdue"] = "1"
    # Overdue and soonest-due first; closed items (no due date) last on every database.
    items = items.order_by(F("step_due_on").asc(nulls_last=True), "-year", "-sequence")
    return items, chosen


def counts(items: QuerySet[Nonconformity]) -> dict:
    """The total, by status and by unit, from one GROUP BY (status, unit) that the
    (status, unit) index answers without reading the rows or joining the units."""
    by_status: Counter[str] = Counter()
    by_unit: Counter[int] = Counter()
    for status, unit_id, n in (
        items.order_by().values_list("status", "unit_id").annotate(n=Count("*"))
    ):
        by_status[status] += n
        by_unit[unit_id] += n
    units = OrgUnit.objects.in_bulk(list(by_unit))
    return {
        "total": sum(by_status.values()),
        "by_status": [
            {"status": Status(status).label, "n": n} for status, n in sorted(by_status.items())
        ],
        "by_unit": [
            {"unit__code": unit.code, "unit__name_pl": unit.name_pl, "n": by_unit[pk]}
            for pk, unit in sorted(units.items(), key=lambda pair: pair[1].code)
        ],
    }


def similar_items(nc: Nonconformity, user: User) -> QuerySet[Nonconformity]:
    """ISO 9001 10.2.1 b3: the same service, unit or cause category, open or closed —
    among the items this user may see."""
    same = Q(unit_id=nc.unit_id)
    if nc.service_card_id:
        same |= Q(service_card_id=nc.service_card_id)
    if nc.cause_category_id:
        same |= Q(cause_category_id=nc.cause_category_id)
    return (
        visible_nonconformities(user)
        .filter(same)
        .exclude(pk=nc.pk)
        .select_related("unit", "service_card")
        .order_by("-year", "-sequence")[:20]
    )
