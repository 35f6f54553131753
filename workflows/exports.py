"""The monitoring list as a table, for CSV/XLSX export: rows read in chunks of plain
tuples and shaped by a pure function, so memory stays flat (tracker issue 13)."""

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from surveys.exports import neutralise_formula
from workflows.models import OPEN_STATUSES, Nonconformity
from workflows.workdays import working_days_between

COLUMNS = [
    "number",
    "title",
    "status",
    "unit",
    "service_card",
    "source",
    "severity",
    "registered_on",
    "step_due_on",
    "overdue",
    "age_working_days",
    "closed_on",
]
FIELDS = (
    "number",
    "title",
    "status",
    "unit__code",
    "service_card__code",
    "source",
    "severity",
    "created_on",
    "step_due_on",
    "closed_on",
)
CHUNK = 2000

# number, title, status, unit code, card code, source, severity, registered, due, closed
Record = tuple[
    str,
    str,
    str,
    str,
    str | None,
    str,
    str,
    datetime.date,
    datetime.date | None,
    datetime.date | None,
]


def nonconformity_rows(records: Iterable[Record], *, today: datetime.date) -> Iterator[list]:
    """One row per item, in the order given; COLUMNS' order."""
    open_statuses = frozenset(status.value for status in OPEN_STATUSES)
    ages: dict[tuple[datetime.date, datetime.date], int] = {}  # items share their days
    for number, title, status, unit, card, source, severity, created, due, closed in records:
        span = (created, closed or today)
        if span not in ages:
            ages[span] = working_days_between(*span)
        yield [
            number,
            neutralise_formula(title),
            status,
            unit,
            card or "",
            source,
            severity,
            created,
            due or "",
            # Nonconformity.is_overdue_on, on the tuple
            status in open_statuses and due is not None and due < today,
            ages[span],
            closed or "",
        ]


def nonconformity_records(items: QuerySet[Nonconformity]) -> Iterator[Record]:
    """`items` (already filtered and ordered) as tuples, read CHUNK at a time."""
    return items.values_list(*FIELDS).iterator(chunk_size=CHUNK)
