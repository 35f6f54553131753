"""Responses as a table (pandas): one row per response, one column per question key.

Pure functions over already-filtered querysets; the views decide who may export.
Small groups are suppressed later, by the analysis, not here: this is raw data for the
coordinator.
"""

import io
from collections.abc import Iterable

import pandas as pd

from surveys.models import Response

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


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Free text typed by the public must never run as a spreadsheet formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def responses_frame(responses: Iterable[Response]) -> pd.DataFrame:
    """Answers of a multiple-choice question are joined with "; " in one cell."""
    rows = []
    keys: list[str] = []
    for response in responses:
        row: dict[str, object] = {
            "response": response.pk,
            "date": response.submitted_on,
            "channel": response.channel,
            "questionnaire": response.version.questionnaire.slug,
            "version": response.version.number,
            "desk": response.desk.code if response.desk else "",
            "unit": response.service_card.unit.code if response.service_card else "",
            "service_card": response.service_card.code if response.service_card else "",
            "service_revision": response.service_revision.number
            if response.service_revision
            else "",
        }
        answers: dict[str, list[str]] = {}
        for answer in response.answers.all():
            key = answer.question.key
            if key not in keys:
                keys.append(key)
            if answer.choice is not None:
                value = answer.choice.value
            elif answer.number is not None:
                value = str(answer.number)
            else:
                value = neutralise_formula(answer.text)
            answers.setdefault(key, []).append(value)
        row.update({key: "; ".join(values) for key, values in answers.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=BASE_COLUMNS + keys).fillna("")


def to_csv(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM so a double click opens Polish letters correctly in Excel.
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, *, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()
