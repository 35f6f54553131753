"""One task layer for every flow: what a human step is about, when it is due, where it opens.

Pages that list a person's steps (My tasks, dashboards, counts) list the steps of *every*
flow, so they must not assume which flow a task belongs to. Each flow registers one
`TaskKind` here (nonconformities in workflows.apps, results packs in the review app);
the list asks the kind of each task for its subject, unit, due date and page. A task of
a flow nobody registered is still listed, by its step title, with no link.

Opening a task is the flow's own page, which loads it through its own selector filtered
by its flow class: another flow's task id there is a 404, never a 500.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from viewflow.workflow.models import Task

from qms.models import OrgUnit


@dataclass(frozen=True)
class TaskRow:
    """One line of a task list: the step, what it is about, whose unit, when due, where."""

    task: Task
    subject: str
    unit: OrgUnit | None
    due: datetime.date | None
    url: str

    @property
    def step(self) -> str:
        return str(self.task.flow_task.task_title)


@dataclass(frozen=True)
class TaskKind:
    """How one flow's human steps are shown in task lists.

    `due_dates` gets (task pk, artifact id, step name, task data) tuples and answers
    {task pk: due date} without loading model objects (it runs over every open step);
    `subjects` gets tasks and answers {task pk: (subject, unit, due date)} in a fixed
    number of queries.
    """

    flow_class: type
    url_name: str
    due_dates: Callable[[list[tuple[int, int, str, dict]]], dict[int, datetime.date | None]]
    subjects: Callable[[list[Task]], dict[int, tuple[str, OrgUnit | None, datetime.date | None]]]


_KINDS: dict[type, TaskKind] = {}  # by flow class


def register(kind: TaskKind) -> None:
    _KINDS[kind.flow_class] = kind


def registered_flows() -> list[type]:
    return [kind.flow_class for kind in _KINDS.values()]


def due_dates(tasks: QuerySet[Task]) -> dict[int, datetime.date | None]:
    """{task pk: due date} of the given steps of any flow, light (no model objects)."""
    by_flow: dict[type, list[tuple[int, int, str, dict]]] = defaultdict(list)
    for pk, flow_class, artifact_id, node, data in tasks.values_list(
        "pk", "process__flow_class", "process__artifact_object_id", "flow_task", "data"
    ):
        by_flow[flow_class].append((pk, artifact_id, node.name, data or {}))
    due: dict[int, datetime.date | None] = {}
    for flow_class, light in by_flow.items():
        kind = _KINDS.get(flow_class)
        if kind is None:
            due.update(dict.fromkeys((row[0] for row in light), None))
        else:
            due.update(kind.due_dates(light))
    return due


def task_rows(tasks: Iterable[Task]) -> list[TaskRow]:
    """A row per task of any flow, each kind answering for its own tasks in bulk."""
    tasks = list(tasks)
    by_kind: dict[type, list[Task]] = defaultdict(list)
    for task in tasks:
        by_kind[task.flow_task.flow_class].append(task)
    facts: dict[int, tuple[str, OrgUnit | None, datetime.date | None]] = {}
    for flow_class, group in by_kind.items():
        kind = _KINDS.get(flow_class)
        if kind is not None:
            facts.update(kind.subjects(group))
    rows = []
    for task in tasks:
        kind = _KINDS.get(task.flow_task.flow_class)
        subject, unit, due = facts.get(task.pk, ("", None, None))
        url = reverse(kind.url_name, args=[task.pk]) if kind is not None else ""
        rows.append(TaskRow(task=task, subject=subject, unit=unit, due=due, url=url))
    return rows
