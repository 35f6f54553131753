"""Responses as a table: one row per response, one column per question; streamed.

Two forms of the same table:
- **codes** for machines: stable column names (question keys) and option values, the
  same in every language and year;
- **labelled** for people: column headers and option labels in the active language (the
  user's), the questionnaire's title, the desk's and unit's names, the card's code and
  title.
The CSV is the codes unless asked for `?labels=1`; the XLSX has both, labelled first.
The columns: the base columns, then one per question key, in the order the newest
response answering each key answers them (the first answer wins a labelled header).

Small groups are suppressed as in the analysis: a response whose service card has fewer
than `ANONYMITY_MIN_GROUP` responses in the export loses its card, revision, unit and
desk (they could point at the person), and says so. Free text and labels are
neutralised: nothing typed runs as a formula. A response is named by a reference that is
the same in every export but is not its database id, and rows of a day come in the order
of those references: ids count up, so they (and the order of the rows) would tell in
which order a day's clients answered, and with the desk, who answered what.

Memory stays flat whatever the number of responses (tracker issue 13): rows are read in
chunks of plain tuples, the names they refer to once per export (`Catalogue`), and a
row is shaped by pure functions (`table_rows`) and written at once — the CSV straight
into the response, the XLSX (openpyxl's write-only mode) into a temporary file. Only one
day's rows wait, to be put in the order of their references. The views decide who may
export; `prepare` takes the querysets they allow.
"""

import csv
import datetime
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side

from qms.models import ServiceCard, ServiceCardRevision
from surveys.models import Answer, Channel, Choice, Desk, Question, QuestionnaireVersion, Response

BASE_COLUMNS = [
    "response",
    "date",
    "channel",
    "questionnaire",
    "version",
    "desk",
    "unit",
    "service_card",
    "service_revision",
]


def base_headers() -> dict[str, str]:
    """The base columns' headers in the active language."""
    return {
        "response": _("Response"),
        "date": _("Date"),
        "channel": _("Channel"),
        "questionnaire": _("Questionnaire"),
        "version": _("Version"),
        "desk": _("Desk"),
        "unit": _("Unit"),
        "service_card": _("Service card"),
        "service_revision": _("Card revision"),
    }


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def referencer() -> Callable[[int], str]:
    """`reference`, for many responses: the key is derived once, not once a row."""
    keyed = salted_hmac("surveys.exports.response", "")

    def reference(pk: int) -> str:
        signature = keyed.copy()
        signature.update(str(pk).encode())
        return signature.hexdigest()[:12]

    return reference


def reference(pk: int) -> str:
    """A response's name in exports: stable, unrelated to the order of submission."""
    return salted_hmac("surveys.exports.response", str(pk)).hexdigest()[:12]


def response_ref(response: Response) -> str:
    return reference(response.pk)


def neutralise_formula(text: str) -> str:
    """Free text typed by the public must never run as a spreadsheet formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


# --- rows from plain tuples (pure) ---------------------------------------------------------

# A response: pk, submitted_on, channel, version, service card, card revision, desk (ids).
ResponseRecord = tuple[int, datetime.date, str, int, int | None, int | None, int | None]
# One of its answers: question, choice (ids), number, text.
AnswerRecord = tuple[int, int | None, int | None, str]


@dataclass(frozen=True)
class Catalogue:
    """What response rows refer to, by id, with their names in the language active when
    it was read: read once per export, so shaping a row asks the database nothing."""

    versions: dict[int, tuple[str, str, int]]  # slug, questionnaire title, number
    cards: dict[int, tuple[str, str, str, str]]  # code, "code title", unit code, unit name
    revisions: dict[int, int]  # number
    desks: dict[int, tuple[str, str]]  # code, name
    questions: dict[int, tuple[str, str]]  # key, text
    choices: dict[int, tuple[str, str]]  # value, label
    channels: dict[str, str]  # value, label
    suppressed: str  # what a hidden card's column says


def small_cards(counts: dict[int | None, int], minimum: int) -> set[int]:
    """Cards with fewer than `minimum` responses in this export: their context is hidden."""
    return {card for card, n in counts.items() if card is not None and n < minimum}


def header(keys: Sequence[tuple[str, int]], catalogue: Catalogue, *, labels: bool) -> list[str]:
    """The first row. `keys`: (key, the question whose wording heads it when labelled)."""
    if not labels:
        return [*BASE_COLUMNS, *(key for key, _question in keys)]
    return [
        *base_headers().values(),
        *(neutralise_formula(catalogue.questions[question][1]) for _key, question in keys),
    ]


def _base_cells(
    ref: str, response: ResponseRecord, catalogue: Catalogue, hidden: set[int], labels: bool
) -> list[object]:
    _pk, day, channel, version_id, card_id, revision_id, desk_id = response
    slug, title, number = catalogue.versions[version_id]
    channel_text = catalogue.channels[channel] if labels else channel
    if card_id is not None and card_id in hidden:
        questionnaire = title if labels else slug
        return [ref, day, channel_text, questionnaire, number, "", "", catalogue.suppressed, ""]
    card = catalogue.cards[card_id] if card_id is not None else None
    desk = catalogue.desks[desk_id] if desk_id is not None else None
    revision = catalogue.revisions[revision_id] if revision_id is not None else ""
    if labels:
        named = [
            channel_text,
            title,
            desk[1] if desk else "",
            card[3] if card else "",
            card[1] if card else "",
        ]
        channel_text, title, desk_name, unit, card_name = map(neutralise_formula, named)
        return [ref, day, channel_text, title, number, desk_name, unit, card_name, revision]
    return [
        ref,
        day,
        channel,
        slug,
        number,
        desk[0] if desk else "",
        card[2] if card else "",
        card[0] if card else "",
        revision,
    ]


def _answer_cells(
    answers: Iterable[AnswerRecord],
    column_of: dict[int, int],
    choice_texts: dict[int, str],
    width: int,
) -> list[str]:
    """Answers of a multiple-choice question are joined with "; " in one cell."""
    cells: list[list[str]] = [[] for _column in range(width)]
    for question, choice, number, text in answers:
        column = column_of.get(question)
        if column is None:  # answered after the columns were chosen
            continue
        if choice is not None:
            cells[column].append(choice_texts[choice])
        elif number is not None:
            cells[column].append(str(number))
        else:
            cells[column].append(neutralise_formula(text))
    return ["; ".join(values) for values in cells]


def table_rows(
    records: Iterable[tuple[ResponseRecord, Sequence[AnswerRecord]]],
    *,
    keys: Sequence[tuple[str, int]],
    catalogue: Catalogue,
    hidden: set[int],
    forms: Sequence[bool] = (False,),
) -> Iterator[tuple[list[object], ...]]:
    """Per response, one row per form (`True`: labelled, `False`: codes), in the order of
    the export: by day, and within a day by reference, never in order of submission.

    `records` must come day by day (in any order within a day); one day is held back."""
    columns = {key: column for column, (key, _question) in enumerate(keys)}
    column_of = {
        question: columns[key]
        for question, (key, _text) in catalogue.questions.items()
        if key in columns
    }
    choice_texts = {
        labels: {
            choice: neutralise_formula(label) if labels else value
            for choice, (value, label) in catalogue.choices.items()
        }
        for labels in forms
    }
    reference = referencer()
    day: datetime.date | None = None
    waiting: list[tuple[str, tuple[list[object], ...]]] = []
    for response, answers in records:
        if response[1] != day:
            waiting.sort(key=lambda item: item[0])
            yield from (rows for _ref, rows in waiting)
            day, waiting = response[1], []
        ref = reference(response[0])
        rows = tuple(
            _base_cells(ref, response, catalogue, hidden, labels)
            + _answer_cells(answers, column_of, choice_texts[labels], len(columns))
            for labels in forms
        )
        waiting.append((ref, rows))
    waiting.sort(key=lambda item: item[0])
    yield from (rows for _ref, rows in waiting)


def first_answers(
    answers: Iterable[tuple[datetime.date, int, int, int]], questions: dict[int, str]
) -> dict[str, tuple[tuple[int, int, int], int]]:
    """Where each key is first answered, reading responses newest first (day, then id,
    both descending) and a response's answers in the order stored. `answers`: (day,
    response, answer, question); `questions`: question id → key. Returns key → (position,
    question)."""
    first: dict[str, tuple[tuple[int, int, int], int]] = {}
    for day, response, answer, question in answers:
        position = (-day.toordinal(), -response, answer)
        key = questions.get(question)
        if key is not None and (key not in first or position < first[key][0]):
            first[key] = (position, question)
    return first


# --- files ---------------------------------------------------------------------------------

FLUSH_AT = 64 * 1024  # characters written before a piece of the CSV goes out
SPOOL_BYTES = 1024 * 1024  # an XLSX smaller than this never touches the disk


def csv_chunks(first_row: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV, piece by piece: UTF-8 with BOM (a double click opens Polish letters
    correctly in Excel), commas, "\\n" line ends, quotes only where needed; dates as
    YYYY-MM-DD, empty cells empty: byte for byte what pandas' `to_csv` wrote before."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(first_row)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= FLUSH_AT:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _header_cells(sheet: Any, names: Sequence[str]) -> list[WriteOnlyCell]:
    # Styled as pandas' `to_excel` styled the header row before.
    thin = Side(style="thin")
    font, border = Font(bold=True), Border(left=thin, right=thin, top=thin, bottom=thin)
    alignment = Alignment(horizontal="center", vertical="top")
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.border, cell.alignment = font, border, alignment
        cells.append(cell)
    return cells


def write_xlsx(
    sheets: Sequence[tuple[str, Sequence[str]]], rows: Iterable[Sequence[Sequence[object]]]
) -> IO[bytes]:
    """A workbook of one worksheet per (name, header) in `sheets` (names cut to Excel's 31
    characters); each item of `rows` holds one row per sheet. Written in openpyxl's
    write-only mode into a temporary file, returned at its start."""
    book = Workbook(write_only=True)
    pages = []
    for name, names in sheets:
        page = book.create_sheet(name[:31])
        page.append(_header_cells(page, names))
        pages.append(page)
    for row_set in rows:
        for page, row in zip(pages, row_set, strict=True):
            # An empty cell is left out (openpyxl skips None): it reads back as before.
            page.append([None if value == "" else value for value in row])
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - sent, then closed
    try:
        book.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


class ExportResponse(StreamingHttpResponse):
    """A streamed export. `.content` works as on a plain HttpResponse, for callers that
    want the whole body at once (tests, scripts): the (rest of the) stream, joined and
    kept. Servers and middleware see `streaming` and iterate instead."""

    _whole: bytes | None = None

    @property
    def content(self) -> bytes:  # type: ignore[override]  # Django's raises AttributeError
        if self._whole is None:
            self._whole = self.getvalue()
        return self._whole


class XlsxResponse(ExportResponse, FileResponse):
    """A finished workbook, sent from its temporary file (closed with the response)."""


CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(first_row: Sequence[str], rows: Iterable[Sequence[object]]) -> ExportResponse:
    return ExportResponse(csv_chunks(first_row, rows), content_type=CSV_TYPE)


def xlsx_response(file: IO[bytes]) -> XlsxResponse:
    """The finished workbook; the file is closed (and gone) when the response is."""
    response = XlsxResponse(file, content_type=XLSX_TYPE)
    response.headers.pop("Content-Disposition", None)  # the caller names the file, if at all
    return response


# --- reading the rows ----------------------------------------------------------------------

CHUNK = 2000  # responses read at a time (and their answers, in one query)
RESPONSE_FIELDS = (
    "pk",
    "submitted_on",
    "channel",
    "version_id",
    "service_card_id",
    "service_revision_id",
    "desk_id",
)


def catalogue() -> Catalogue:
    """Every name a response row can refer to, in the active language (six queries)."""
    # Unordered: the models' default orderings would only add joins and sorts.
    versions = QuestionnaireVersion.objects.order_by().select_related("questionnaire")
    versions = versions.only(
        "number", "questionnaire__slug", "questionnaire__title_pl", "questionnaire__title_en"
    )
    cards = ServiceCard.objects.order_by().select_related("unit")
    cards = cards.only(
        "code", "title_pl", "title_en", "unit__code", "unit__name_pl", "unit__name_en"
    )
    questions = Question.objects.order_by().only("key", "text_pl", "text_en")
    choices = Choice.objects.order_by().only("value", "label_pl", "label_en")
    return Catalogue(
        versions={v.pk: (v.questionnaire.slug, v.questionnaire.title, v.number) for v in versions},
        cards={c.pk: (c.code, f"{c.code} {c.title}", c.unit.code, c.unit.name) for c in cards},
        revisions=dict(ServiceCardRevision.objects.order_by().values_list("pk", "number")),
        desks={
            pk: (code, name)
            for pk, code, name in Desk.objects.order_by().values_list("pk", "code", "name")
        },
        questions={q.pk: (q.key, q.text) for q in questions},
        choices={c.pk: (c.value, c.label) for c in choices},
        channels={str(value): str(label) for value, label in Channel.choices},
        suppressed=_("(fewer than 10 responses for this card: hidden)"),
    )


def _plain(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.select_related(None).prefetch_related(None).order_by()


def card_counts(responses: QuerySet[Response]) -> dict[int | None, int]:
    """Responses per service card (None: without a card), in one GROUP BY."""
    rows = _plain(responses).values("service_card_id").annotate(n=Count("pk"))
    return dict(rows.values_list("service_card_id", "n"))


def answered_keys(responses: QuerySet[Response]) -> list[tuple[str, int]]:
    """The question columns: every key answered in `responses`, in order of first
    appearance reading the newest responses first, with the question first answering it.
    One query for the keys, one for the newest CHUNK responses' answers, and one more per
    key answered only in older ones (rare: a key dropped from later versions)."""
    responses = _plain(responses)
    answered = Answer.objects.filter(response__in=responses.values("pk"))
    questions = dict(
        Question.objects.order_by()
        .filter(Exists(answered.filter(question=OuterRef("pk"))))
        .values_list("pk", "key")
    )
    newest = responses.order_by("-submitted_on", "-pk").values("pk")[:CHUNK]
    first = first_answers(
        answered.filter(response__in=newest).values_list(
            "response__submitted_on", "response_id", "pk", "question_id"
        ),
        questions,
    )
    for key in sorted(set(questions.values()) - set(first)):
        older = (
            answered.filter(question_id__in=[pk for pk, k in questions.items() if k == key])
            .order_by("-response__submitted_on", "-response_id", "pk")
            .values_list("response__submitted_on", "response_id", "pk", "question_id")[:1]
        )
        first.update(first_answers(older, questions))
    return [(key, question) for key, (_position, question) in sorted(first.items(), key=_at)]


def _at(item: tuple[str, tuple[tuple[int, int, int], int]]) -> tuple[int, int, int]:
    return item[1][0]


def records(
    responses: QuerySet[Response],
) -> Iterator[tuple[ResponseRecord, list[AnswerRecord]]]:
    """Responses day by day with their answers (in the order stored), CHUNK at a time:
    one query for the responses (read as they go) and one per CHUNK for the answers."""
    rows = (
        _plain(responses)
        .order_by("submitted_on", "pk")
        .values_list(*RESPONSE_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    while chunk := list(islice(rows, CHUNK)):
        answers: dict[int, list[AnswerRecord]] = {}
        for response, question, choice, number, text in (
            Answer.objects.filter(response_id__in=[row[0] for row in chunk])
            .order_by("response_id", "pk")
            .values_list("response_id", "question_id", "choice_id", "number", "text")
        ):
            answers.setdefault(response, []).append((question, choice, number, text))
        for row in chunk:
            yield row, answers.get(row[0], [])


@dataclass
class ResponseExport:
    """An export of `responses` with everything but the rows already read: its columns,
    names and hidden cards are fixed, in the language active when it was prepared."""

    responses: QuerySet[Response]
    rows: int  # the number of responses (rows) it holds
    keys: list[tuple[str, int]]
    catalogue: Catalogue
    hidden: set[int]

    def table(self, forms: Sequence[bool]) -> Iterator[tuple[list[object], ...]]:
        return table_rows(
            records(self.responses),
            keys=self.keys,
            catalogue=self.catalogue,
            hidden=self.hidden,
            forms=forms,
        )

    def csv(self, *, labels: bool) -> ExportResponse:
        first_row = header(self.keys, self.catalogue, labels=labels)
        return csv_response(first_row, (row for (row,) in self.table([labels])))

    def xlsx(self) -> XlsxResponse:
        """A labelled sheet, then the codes: the file is complete before it is sent."""
        sheets = [
            (_("Responses"), header(self.keys, self.catalogue, labels=True)),
            (_("Codes"), header(self.keys, self.catalogue, labels=False)),
        ]
        return xlsx_response(write_xlsx(sheets, self.table([True, False])))


def prepare(responses: QuerySet[Response]) -> ResponseExport:
    """An export of `responses` (a queryset the caller may read): a fixed number of
    queries, whatever their number."""
    counts = card_counts(responses)
    return ResponseExport(
        responses=responses,
        rows=sum(counts.values()),
        keys=answered_keys(responses) if counts else [],
        catalogue=catalogue(),
        hidden=small_cards(counts, settings.ANONYMITY_MIN_GROUP),
    )


def export(
    responses: QuerySet[Response], fmt: str, *, labels: bool = False
) -> tuple[ExportResponse, int]:
    """The response carrying the file and the number of responses in it: CSV (codes, or
    labelled with `labels`), streamed; or XLSX (a labelled sheet first, then the codes).
    Labels are in the active language."""
    prepared = prepare(responses)
    return (prepared.xlsx() if fmt == "xlsx" else prepared.csv(labels=labels)), prepared.rows
