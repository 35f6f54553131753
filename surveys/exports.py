"""Responses as a table (pandas): one row per response, one column per question.

Two forms of the same table:
- **codes** (`responses_frame(...)`) for machines: stable column names (question keys)
  and option values, the same in every language and year;
- **labelled** (`responses_frame(..., labels=True)`) for people: column headers and
  option labels in the active language (the user's), the questionnaire's title, the
  desk's and unit's names, the card's code and title.
The CSV is the codes unless asked for `?labels=1`; the XLSX has both, labelled first.

Pure functions over already-filtered querysets; the views decide who may export.
Small groups are suppressed as in the analysis: a response whose service card has fewer
than `surveys.analysis.MIN_SHOWN` responses in the export loses its card, revision,
unit and desk (they could point at the person), and says so. Free text and labels are
neutralised: nothing typed runs as a formula. A response is named by a reference that
is the same in every export but is not its database id, and rows of a day come in the
order of those references: ids count up, so they (and the order of the rows) would tell
in which order a day's clients answered, and with the desk, who answered what.
"""

import io
from collections import Counter
from collections.abc import Iterable

import pandas as pd
from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from surveys.models import Answer, Channel, Response

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


def response_ref(response: Response) -> str:
    """The response's name in exports: stable, unrelated to the order of submission."""
    return salted_hmac("surveys.exports.response", str(response.pk)).hexdigest()[:12]


def neutralise_formula(text: str) -> str:
    """Free text typed by the public must never run as a spreadsheet formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def small_cards(responses: list[Response]) -> set[int]:
    """Cards with fewer than MIN_SHOWN responses in this export: their context is hidden."""
    counts = Counter(r.service_card_id for r in responses if r.service_card_id)
    return {card for card, n in counts.items() if n < settings.ANONYMITY_MIN_GROUP}


def _base_row(response: Response, labels: bool, hidden: set[int]) -> dict[str, object]:
    card, desk, revision = response.service_card, response.desk, response.service_revision
    if card is not None and card.pk in hidden:
        card = desk = revision = None
        suppressed = _("(fewer than 10 responses for this card: hidden)")
        row: dict[str, object] = {
            "channel": str(Channel(response.channel).label) if labels else response.channel,
            "questionnaire": response.version.questionnaire.title
            if labels
            else response.version.questionnaire.slug,
            "desk": "",
            "unit": "",
            "service_card": suppressed,
        }
        return {
            "response": response_ref(response),
            "date": response.submitted_on,
            "version": response.version.number,
            "service_revision": "",
            **row,
        }
    if labels:
        row = {
            "channel": str(Channel(response.channel).label),
            "questionnaire": response.version.questionnaire.title,
            "desk": desk.name if desk else "",
            "unit": card.unit.name if card else "",
            "service_card": f"{card.code} {card.title}" if card else "",
        }
    else:
        row = {
            "channel": response.channel,
            "questionnaire": response.version.questionnaire.slug,
            "desk": desk.code if desk else "",
            "unit": card.unit.code if card else "",
            "service_card": card.code if card else "",
        }
    return {
        "response": response_ref(response),
        "date": response.submitted_on,
        "version": response.version.number,
        "service_revision": revision.number if revision else "",
        **(
            {name: neutralise_formula(str(value)) for name, value in row.items()} if labels else row
        ),
    }


def _answer_value(answer: Answer, labels: bool) -> str:
    if answer.choice is not None:
        return neutralise_formula(answer.choice.label) if labels else answer.choice.value
    if answer.number is not None:
        return str(answer.number)
    return neutralise_formula(answer.text)


def responses_frame(responses: Iterable[Response], *, labels: bool = False) -> pd.DataFrame:
    """Answers of a multiple-choice question are joined with "; " in one cell. With
    `labels`, a question's header is its wording in the first response that answers it."""
    rows = []
    headers = base_headers() if labels else {name: name for name in BASE_COLUMNS}
    responses = list(responses)
    hidden = small_cards(responses)
    for response in responses:
        row = _base_row(response, labels, hidden)
        answers: dict[str, list[str]] = {}
        for answer in response.answers.all():
            key = answer.question.key
            headers.setdefault(key, neutralise_formula(answer.question.text) if labels else key)
            answers.setdefault(key, []).append(_answer_value(answer, labels))
        row.update({key: "; ".join(values) for key, values in answers.items()})
        rows.append(row)
    rows.sort(key=lambda row: (row["date"], row["response"]))  # not in order of submission
    frame = pd.DataFrame(rows, columns=list(headers)).fillna("")
    frame.columns = list(headers.values())  # two questions worded alike stay two columns
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so a double click opens Polish letters correctly in Excel.
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, *, sheet: str) -> bytes:
    return workbook({sheet: frame})


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One worksheet per frame, in the given order (names cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def export(responses: Iterable[Response], fmt: str, *, labels: bool = False) -> tuple[bytes, str]:
    """The file and its content type: CSV (codes, or labelled with `labels`) or XLSX
    (a labelled sheet first, then the codes). Labels are in the active language."""
    responses = list(responses)
    if fmt == "xlsx":
        sheets = {
            _("Responses"): responses_frame(responses, labels=True),
            _("Codes"): responses_frame(responses),
        }
        return workbook(sheets), XLSX_TYPE
    return to_csv(responses_frame(responses, labels=labels)), "text/csv; charset=utf-8"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
