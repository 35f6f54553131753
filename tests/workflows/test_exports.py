"""The monitoring list's exports stream (tracker issue 13): the CSV as it is read, the
XLSX once built, byte for byte (CSV) and cell for cell (XLSX) what the pandas version
wrote for the same items (frozen below); the list's filters and access rules apply, and
the number of queries does not grow with the number of items."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflows import exports
from workflows.models import Nonconformity, Severity, Source, Status
from workflows.services import nonconformity_register

pytestmark = pytest.mark.django_db

REGISTERED = datetime.date(2026, 3, 2)
TODAY = datetime.date(2026, 4, 1)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


@pytest.fixture
def items(coordinator, card_a, card_b):
    """Four items registered on 2 March 2026: in triage (a formula for a title), in
    analysis (quotes and a comma), closed (unit B), and overdue since 3 March."""
    with time_machine.travel(at(REGISTERED), tick=False):
        made = [
            nonconformity_register(
                user=coordinator,
                title="=SUM(A1:A9)",
                description="x",
                source=Source.SURVEY,
                unit=card_a.unit,
                service_card=card_a,
            ),
            nonconformity_register(
                user=coordinator,
                title='Brak "opłat", w karcie',
                description="x",
                source=Source.AUDIT,
                unit=card_a.unit,
                severity=Severity.MAJOR,
            ),
            nonconformity_register(
                user=coordinator,
                title="Zamknięta sprawa",
                description="x",
                source=Source.COMPLAINT,
                unit=card_b.unit,
                service_card=card_b,
            ),
            nonconformity_register(
                user=coordinator,
                title="Po terminie",
                description="x",
                source=Source.SURVEY,
                unit=card_a.unit,
            ),
        ]
    states = [
        {"step_due_on": datetime.date(2026, 4, 9)},
        {"status": Status.ANALYSIS, "step_due_on": datetime.date(2026, 3, 5)},
        {"status": Status.CLOSED, "closed_on": datetime.date(2026, 3, 20), "step_due_on": None},
        {"step_due_on": datetime.date(2026, 3, 3)},
    ]
    for nc, state in zip(made, states, strict=True):
        Nonconformity.objects.filter(pk=nc.pk).update(**state)
    return made


def get(client, url):
    with time_machine.travel(at(TODAY), tick=False):
        return client.get(url)


def body(response) -> bytes:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


# Written by the pandas version (before issue 13) for `items` on 1 April 2026.
HEADER = (
    "number,title,status,unit,service_card,source,severity,registered_on,step_due_on,"
    "overdue,age_working_days,closed_on\n"
)
OVERDUE = "NC/2026/0004,Po terminie,triage,A,,survey,minor,2026-03-02,2026-03-03,True,22,\n"
ANALYSIS = (
    'NC/2026/0002,"Brak ""opłat"", w karcie",analysis,A,,audit,major,2026-03-02,2026-03-05,'
    "True,22,\n"
)
TRIAGE = "NC/2026/0001,'=SUM(A1:A9),triage,A,A-01,survey,minor,2026-03-02,2026-04-09,False,22,\n"
CLOSED = (
    "NC/2026/0003,Zamknięta sprawa,closed,B,B-01,complaint,minor,2026-03-02,,False,14,2026-03-20\n"
)


def csv_of(*rows: str) -> bytes:
    return ("\ufeff" + HEADER + "".join(rows)).encode()


def test_csv_streams_the_same_bytes_as_before(client_for, coordinator, items):
    response = get(client_for(coordinator), "/nonconformities/export.csv")
    assert body(response) == csv_of(OVERDUE, ANALYSIS, TRIAGE, CLOSED)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="niezgodnosci-2026-04-01.csv"'


def test_the_lists_filters_apply(client_for, coordinator, items, card_a):
    client = client_for(coordinator)
    unit = card_a.unit.pk
    for query, rows in [
        (f"unit={unit}", (OVERDUE, ANALYSIS, TRIAGE)),
        ("status=triage", (OVERDUE, TRIAGE)),
        ("overdue=1", (OVERDUE, ANALYSIS)),
        (f"status=closed&unit={unit}", ()),
    ]:
        assert body(get(client, f"/nonconformities/export.csv?{query}")) == csv_of(*rows), query


def test_each_reader_exports_what_the_list_shows_them(
    client_for, head_a, head_b, staff, auditor, items
):
    assert body(get(client_for(head_b), "/nonconformities/export.csv")) == csv_of(CLOSED)
    assert body(get(client_for(head_a), "/nonconformities/export.csv")) == csv_of(
        OVERDUE, ANALYSIS, TRIAGE
    )
    assert body(get(client_for(staff), "/nonconformities/export.xlsx"))  # the header alone
    assert body(get(client_for(staff), "/nonconformities/export.csv")) == csv_of()
    assert body(get(client_for(auditor), "/nonconformities/export.csv")) == csv_of(
        OVERDUE, ANALYSIS, TRIAGE, CLOSED
    )
    for url in ("/nonconformities/export.csv", "/nonconformities/export.xlsx"):
        assert get(client_for(None), url).status_code == 302  # to the sign-in page
    assert get(client_for(head_a), "/nonconformities/export.pdf").status_code == 404


def test_xlsx_has_the_same_header_and_rows_as_before(client_for, coordinator, items):
    response = get(client_for(coordinator), "/nonconformities/export.xlsx")
    assert isinstance(response, FileResponse)
    assert response["Content-Disposition"] == 'attachment; filename="niezgodnosci-2026-04-01.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["Niezgodności"]
    day = datetime.datetime
    assert [[cell.value for cell in row] for row in book.active.iter_rows()] == [
        exports.COLUMNS,
        ["NC/2026/0004", "Po terminie", "triage", "A", None, "survey", "minor",
         day(2026, 3, 2), day(2026, 3, 3), True, 22, None],
        ["NC/2026/0002", 'Brak "opłat", w karcie', "analysis", "A", None, "audit", "major",
         day(2026, 3, 2), day(2026, 3, 5), True, 22, None],
        ["NC/2026/0001", "'=SUM(A1:A9)", "triage", "A", "A-01", "survey", "minor",
         day(2026, 3, 2), day(2026, 4, 9), False, 22, None],
        ["NC/2026/0003", "Zamknięta sprawa", "closed", "B", "B-01", "complaint", "minor",
         day(2026, 3, 2), None, False, 14, day(2026, 3, 20)],
    ]  # fmt: skip


def add_items(unit, by, n, start):
    """n more items written directly: the export reads their columns only."""
    Nonconformity.objects.bulk_create(
        Nonconformity(
            number=f"NC/2025/{i:04d}",
            year=2025,
            sequence=i,
            title=f"Pozycja {i}",
            description="x",
            source=Source.AUDIT,
            severity=Severity.MINOR,
            status=[Status.TRIAGE, Status.CLOSED][i % 2],
            unit=unit,
            created_by=by,
            step_due_on=datetime.date(2026, 3, 1 + i % 20) if i % 2 == 0 else None,
            created_on=datetime.date(2025, 12, 1 + i % 28),
            closed_on=datetime.date(2026, 2, 1) if i % 2 else None,
        )
        for i in range(start, start + n)
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_queries_do_not_grow_with_the_number_of_items(
    client_for, coordinator, unit_a, django_assert_max_num_queries, fmt
):
    client = client_for(coordinator)
    add_items(unit_a, coordinator, 5, 1)
    with CaptureQueriesContext(connection) as few:
        body(get(client, f"/nonconformities/export.{fmt}"))
    add_items(unit_a, coordinator, 45, 6)
    with django_assert_max_num_queries(len(few)):
        export = body(get(client, f"/nonconformities/export.{fmt}"))
    if fmt == "csv":
        assert len(export.decode("utf-8-sig").splitlines()) == 1 + 50


def test_rows_from_plain_tuples():
    """No database: one tuple per item, as read."""
    day = datetime.date
    records = [
        ("NC/1", "-minus", "planning", "A", None, "audit", "minor", day(2026, 3, 2),
         day(2026, 3, 31), None),
        ("NC/2", "ok", "planning", "A", "A-01", "audit", "minor", day(2026, 3, 2),
         day(2026, 4, 1), None),
        ("NC/3", "done", "closed", "B", None, "survey", "major", day(2026, 3, 2),
         day(2026, 3, 3), day(2026, 3, 9)),
    ]  # fmt: skip
    rows = list(exports.nonconformity_rows(records, today=TODAY))
    assert rows[0] == [
        "NC/1", "'-minus", "planning", "A", "", "audit", "minor", day(2026, 3, 2),
        day(2026, 3, 31), True, 22, "",
    ]  # fmt: skip
    assert rows[1][-3:] == [False, 22, ""]  # due today: not overdue yet
    assert rows[2][-3:] == [False, 5, day(2026, 3, 9)]  # closed: never overdue; age to closing
