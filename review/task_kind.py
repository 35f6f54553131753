"""How results-pack steps appear in every task list (see workflows.task_layer)."""

import datetime

from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from qms.models import OrgUnit
from review.models import Pack
from review.pack_steps import step_due


def due_dates(light: list[tuple[int, int, str, dict]]) -> dict[int, datetime.date | None]:
    packs = Pack.objects.select_related("cycle").in_bulk({pack for _, pack, _, _ in light})
    return {pk: step_due(packs[pack], step) for pk, pack, step, _ in light if pack in packs}


def task_subjects(
    tasks: list[Task],
) -> dict[int, tuple[str, OrgUnit | None, datetime.date | None]]:
    """{task pk: ("Results pack 2026: SO …", the pack's unit, due date)} in one query."""
    packs = Pack.objects.select_related("cycle", "unit").in_bulk(
        {t.process.artifact_object_id for t in tasks}
    )
    facts: dict[int, tuple[str, OrgUnit | None, datetime.date | None]] = {}
    for task in tasks:
        pack = packs[task.process.artifact_object_id]
        subject = _("Results pack %(year)s: %(unit)s") % {
            "year": pack.cycle.year,
            "unit": pack.unit or _("management review"),
        }
        facts[task.pk] = (subject, pack.unit, step_due(pack, task.flow_task.name))
    return facts
