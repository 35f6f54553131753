"""The printable record of one nonconformity (PDF) and its open steps."""

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from qms.models import OrgUnit
from qms.pdf import register_fonts
from workflows.history import entries as history_entries
from workflows.models import Nonconformity
from workflows.steps import due_dates


def open_tasks_of(nc: Nonconformity) -> list[Task]:
    return list(
        Task.objects.filter(
            process__nonconformity=nc, flow_task_type="HUMAN", status=STATUS.ASSIGNED
        )
        .select_related("owner", "process")
        .order_by("created")
    )


def task_subjects(
    tasks: list[Task],
) -> dict[int, tuple[str, OrgUnit | None, datetime.date | None]]:
    """{task pk: (the item's number and title, its unit, the step's due date)} in three
    queries, whatever the number of tasks."""
    items = Nonconformity.objects.select_related("unit").in_bulk(
        {t.process.artifact_object_id for t in tasks}
    )
    due = due_dates(
        [(t.pk, t.process.artifact_object_id, t.flow_task.name, t.data or {}) for t in tasks]
    )
    facts: dict[int, tuple[str, OrgUnit | None, datetime.date | None]] = {}
    for task in tasks:
        nc = items[task.process.artifact_object_id]
        facts[task.pk] = (f"{nc.number} {nc.title}", nc.unit, due[task.pk])
    return facts


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    safe = (text or "—").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(safe.replace("\n", "<br/>"), style)


def record_pdf(nc: Nonconformity) -> bytes:
    """Everything about the item, with its full history, for the file or an audit."""
    font, bold = register_fonts()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12)
    head = ParagraphStyle("head", fontName=bold, fontSize=14, leading=18, spaceAfter=6)
    sub = ParagraphStyle("sub", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=nc.number
    )
    rows = [
        (_("Status"), nc.get_status_display()),
        (_("Unit"), str(nc.unit)),
        (_("Service card"), str(nc.service_card or "—")),
        (_("Source"), nc.get_source_display()),
        (_("Severity"), nc.get_severity_display()),
        (_("Registered on"), str(nc.created_on)),
        (_("Closed on"), str(nc.closed_on or "—")),
        (_("Immediate correction"), nc.immediate_correction),
        (_("5 × why"), "\n".join(f"{i}. {w}" for i, w in enumerate(nc.why_chain, start=1))),
        (_("Root cause"), nc.root_cause),
        (_("Cause category"), str(nc.cause_category or "—")),
        (
            _("Could it occur elsewhere?"),
            f"{nc.get_occurs_elsewhere_display()} {nc.occurs_elsewhere_note}",
        ),
        (_("Effectiveness"), f"{nc.get_verdict_display()} {nc.verdict_evidence}"),
    ]
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [
        _p(f"{nc.number} {nc.title}", head),
        _p(nc.description, body),
        Spacer(1, 4 * mm),
        Table(
            [[_p(k, body), _p(v, body)] for k, v in rows], colWidths=[45 * mm, 135 * mm], style=grid
        ),
        _p(_("Actions"), sub),
    ]
    actions = [
        [
            _p(h, body)
            for h in (_("Type"), _("What"), _("Owner"), _("Due"), _("Done"), _("Evidence"))
        ]
    ]
    for a in nc.actions.select_related("owner"):
        actions.append(
            [
                _p(x, body)
                for x in (
                    a.get_kind_display(),
                    a.description,
                    str(a.owner),
                    str(a.due_on),
                    str(a.done_on or "—"),
                    a.evidence,
                )
            ]
        )
    story.append(
        Table(actions, colWidths=[25 * mm, 55 * mm, 30 * mm, 20 * mm, 20 * mm, 30 * mm], style=grid)
    )
    story.append(_p(_("History"), sub))
    history = [[_p(h, body) for h in (_("When"), _("Who"), _("What"), _("Note"))]]
    for e, note in history_entries(nc.events.select_related("actor")):
        what = e.transition_label + (f" — {e.get_meaning_display()}" if e.meaning else "")
        history.append(
            [
                _p(x, body)
                for x in (
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                    str(e.actor or _("system")),
                    what,
                    note,
                )
            ]
        )
    story.append(Table(history, colWidths=[30 * mm, 35 * mm, 45 * mm, 70 * mm], style=grid))
    doc.build(story)
    return buffer.getvalue()
