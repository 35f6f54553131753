"""The monitoring list as a table (pandas), for CSV/XLSX export."""

import datetime
from collections.abc import Iterable

import pandas as pd

from surveys.exports import neutralise_formula
from workflows.models import Nonconformity
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


def nonconformities_frame(items: Iterable[Nonconformity], *, today: datetime.date) -> pd.DataFrame:
    rows = [
        {
            "number": nc.number,
            "title": neutralise_formula(nc.title),
            "status": nc.status,
            "unit": nc.unit.code,
            "service_card": nc.service_card.code if nc.service_card else "",
            "source": nc.source,
            "severity": nc.severity,
            "registered_on": nc.created_on,
            "step_due_on": nc.step_due_on or "",
            "overdue": nc.is_overdue_on(today),
            "age_working_days": working_days_between(nc.created_on, nc.closed_on or today),
            "closed_on": nc.closed_on or "",
        }
        for nc in items
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
