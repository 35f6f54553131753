"""The packs as files: the tables as an A4 PDF in Polish (reportlab, matplotlib
charts, DejaVu for Polish letters) and as a workbook with one sheet per table; and
storing them once per unit and cycle (`pack_store`, `pack_add_free_text`).

Storing never computes inside a transaction (on SQLite a transaction holds the one
write lock): `pack_build` reads and renders outside any, into temporary files beside
the final ones; `pack_publish` writes the row in a short transaction and then renames
the files into their stable names; `pack_files_cleanup` removes what a killed build
left behind.
"""

import contextlib
import datetime
import io
import os
import secrets
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, transaction
from django.db.models import Count, FileField, Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from matplotlib.figure import Figure
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from qms.models import OrgUnit
from qms.pdf import register_fonts
from review.models import Cycle, FreeTextMask, Indicator, Pack, Standard
from review.packs.loaders import (
    _card_titles,
    _choice_labels,
    _question_labels,
    management_tables,
    unit_tables,
)
from review.packs.tables import (
    FIRM,
    MISSING_KEY,
    OTHER_CARDS,
    SUPPRESSED,
    TEXTS_NONE,
    TEXTS_NOT_RELEASED,
    TEXTS_SHOWN,
    TEXTS_TOO_FEW,
    _number,
    _points,
    _target,
    change_label,
    format_result,
    format_value,
    status_label,
    status_short,
)
from surveys import analysis
from surveys.exports import neutralise_formula
from surveys.models import Channel, StaffObservation
from workflows.models import Source, Status

MANAGEMENT_TEXTS_PRINTED = 100  # the workbook has them all
TREND_YEARS_PRINTED = 6  # the XLSX has every cycle


class _Pdf:
    """A4 document with the house styles; `story` is filled by the pack builders."""

    def __init__(self, title: str) -> None:
        font, bold = register_fonts()
        self.font = font
        self.title = title
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=11.5)
        self.small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5)
        self.note = ParagraphStyle(
            "note", fontName=font, fontSize=8.5, leading=11, textColor="#444444", spaceAfter=4
        )
        self.h1 = ParagraphStyle("h1", fontName=bold, fontSize=16, leading=20, spaceAfter=6)
        self.h2 = ParagraphStyle(
            "h2", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        )
        self.h3 = ParagraphStyle(
            "h3", fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=2
        )
        self.story: list[Any] = []

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        safe = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe.replace("\n", "<br/>"), style or self.body)

    def add(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.story.append(self.p(text, style))

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        empty: str = "",
    ) -> None:
        if not rows:
            self.add(empty or _("Nothing to report."), self.note)
            return
        data = [[self.p(h, self.small) for h in header]]
        data += [[self.p("" if v is None else str(v), self.small) for v in row] for row in rows]
        style = TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
                ("BACKGROUND", (0, 0), (-1, 0), "#e8edf5"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
        self.story.append(
            Table(data, colWidths=[w * mm for w in widths], style=style, repeatRows=1)
        )

    def image(self, png: bytes, width_mm: float, height_mm: float, caption: str = "") -> None:
        parts: list[Any] = [Image(io.BytesIO(png), width=width_mm * mm, height=height_mm * mm)]
        if caption:
            parts.append(self.p(caption, self.note))
        self.story.append(KeepTogether(parts))

    def build(self) -> bytes:
        buffer = io.BytesIO()
        page_label = _("Page")

        def footer(canvas, doc) -> None:
            canvas.saveState()
            canvas.setFont(self.font, 7.5)
            canvas.drawString(15 * mm, 10 * mm, self.title)
            canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{page_label} {doc.page}")
            canvas.restoreState()

        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            lang="pl-PL",
        )
        doc.build(self.story, onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue()


CHART_WIDTH = 7.0  # inches; printed 178 mm wide


def share_chart(table: pd.DataFrame, *, key: str, title: str) -> tuple[bytes, float] | None:
    """One question's share of positive answers per card, with 95 % interval bars.

    `table` is `indicator_table` output. Indicative figures are hollow; suppressed
    cards are listed with a note instead of a point; the office's figure is a dashed
    line. Returns (PNG, height / width), or None when no card has a share to show.
    """
    rows = table[
        (table["key"] == key)
        & (table["measure"] == Indicator.Measure.SHARE)
        & (table["card"] != "")
    ]
    if rows.empty or rows["value"].isna().all():
        return None
    rows = rows.sort_values("card", ascending=False).reset_index(drop=True)
    height_in = 0.9 + 0.28 * len(rows)
    figure = Figure(figsize=(CHART_WIDTH, height_in), dpi=150)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    for y, row in zip(positions, rows.itertuples(index=False), strict=True):
        if pd.isna(row.value):
            axes.text(1, y, _("fewer than 10 answers"), va="center", fontsize=7, color="#777777")
            continue
        firm = row.status == FIRM
        low = row.value if pd.isna(row.low) else row.low
        high = row.value if pd.isna(row.high) else row.high
        axes.errorbar(
            row.value,
            y,
            xerr=[[row.value - low], [high - row.value]],
            fmt="o",
            color="#1a4d8f" if firm else "#7f8fa6",
            markerfacecolor="#1a4d8f" if firm else "white",
            capsize=3,
            markersize=5,
        )
    office = rows["office"].dropna()
    if not office.empty:
        axes.axvline(float(office.iloc[0]), color="#c8102e", linestyle="--", linewidth=1)
    axes.set_yticks(positions, [str(c) for c in rows["card"]], fontsize=7.5)
    axes.set_xlim(0, 100)
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xlabel(_("Share of positive answers (percent)"), fontsize=8)
    axes.tick_params(axis="x", labelsize=7.5)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=8.5, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), height_in / CHART_WIDTH


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that could run as a formula are neutralised (surveys.exports)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda v: neutralise_formula(v) if isinstance(v, str) else v
            )
    return frame


def workbook(sheets: Sequence[tuple[str, pd.DataFrame]]) -> bytes:
    """One sheet per table; headers as given (Polish), frozen, columns sized to fit."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets:
            title = name[:31]
            _safe(frame).to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for index, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = min(max(10, longest + 2), 80)
    return buffer.getvalue()


def _sheet(frame: pd.DataFrame, headers: dict[Any, Any]) -> pd.DataFrame:
    """The frame's columns in `headers` order, renamed to the (translated) headers."""
    out = frame.reindex(columns=list(headers))
    out.columns = [str(h) for h in headers.values()]
    return out


# Column headers, translated when a pack is written.
HEADERS: dict[str, Any] = {
    "card": gettext_lazy("Service card"),
    "title": gettext_lazy("Service"),
    "question": gettext_lazy("Indicator"),
    "measure": gettext_lazy("Measure"),
    "n": gettext_lazy("Answers (n)"),
    "value": gettext_lazy("Value"),
    "low": gettext_lazy("Interval from"),
    "high": gettext_lazy("Interval to"),
    "status": gettext_lazy("Sample"),
    "office": gettext_lazy("Office (for comparison)"),
    "value_before": gettext_lazy("Previous cycle"),
    "n_before": gettext_lazy("Answers in the previous cycle"),
    "diff": gettext_lazy("Change (percentage points)"),
    "diff_low": gettext_lazy("Change: interval from"),
    "diff_high": gettext_lazy("Change: interval to"),
    "change": gettext_lazy("Assessment"),
    "month": gettext_lazy("Month"),
    "total": gettext_lazy("Total"),
    "option": gettext_lazy("What was missing"),
    "count": gettext_lazy("Times chosen"),
    "question_key": gettext_lazy("Question"),
    "text": gettext_lazy("Answer"),
    "kind": gettext_lazy("Type"),
    "summary": gettext_lazy("What"),
    "reports": gettext_lazy("Reported by (people)"),
    "monthly": gettext_lazy("Estimated times a month"),
    "example": gettext_lazy("Example"),
    "standard": gettext_lazy("Standard"),
    "target": gettext_lazy("Target"),
    "evidence": gettext_lazy("Evidence"),
    "number": gettext_lazy("Number"),
    "nc_title": gettext_lazy("Title"),
    "nc_status": gettext_lazy("Status"),
    "severity": gettext_lazy("Severity"),
    "registered": gettext_lazy("Registered on"),
    "due": gettext_lazy("Current step due"),
    "verdict": gettext_lazy("Effectiveness"),
    "actions": gettext_lazy("Actions done / planned"),
    "closed": gettext_lazy("Closed on"),
    "cards": gettext_lazy("Cards measured"),
    "met": gettext_lazy("Met"),
    "breached": gettext_lazy("Breached"),
    "too_few": gettext_lazy("Too few answers to judge"),
    "source": gettext_lazy("Source"),
    "items": gettext_lazy("Nonconformities"),
    "figure": gettext_lazy("Figure"),
    "unit": gettext_lazy("Unit"),
}


def _headers(*names: str) -> dict[Any, Any]:
    return {name: HEADERS[name] for name in names}


def _label_channel(channel: str) -> str:
    try:
        return str(Channel(channel).label)
    except ValueError:
        return channel


def _count(n: Any) -> str:
    """A count of respondents, or "fewer than 10" where it is hidden (NaN) or small."""
    if n is None or pd.isna(n) or 0 < n < analysis.MIN_SHOWN:
        return _("fewer than %(n)s") % {"n": analysis.MIN_SHOWN}
    return str(int(n))


def _xlsx_counts(frame: pd.DataFrame, columns: Iterable[Any]) -> pd.DataFrame:
    """Hidden counts read "fewer than 10" in a workbook too (not an empty cell)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = [_count(v) if pd.isna(v) else int(v) for v in frame[column]]
    return frame


def texts_note(state: str, *, office: bool = False) -> str:
    """What a pack says about its free-text answers (and why there are none)."""
    if state == TEXTS_NOT_RELEASED:
        return _(
            "The quality coordinator has not yet released the free-text answers of this "
            "cycle. When they are released, this pack is rebuilt with them."
        )
    if state == TEXTS_TOO_FEW:
        return _(
            "Fewer than %(n)s respondents wrote free-text answers here, so they are not "
            "shown: too small a group to keep the respondents anonymous."
        ) % {"n": analysis.MIN_SHOWN}
    if state == TEXTS_NONE:
        return _("No free-text answers.")
    if office:
        return _(
            "Free-text answers about all the office's services together, in random order, "
            "without the service, desk or date. Personal data (PESEL and ID-card numbers, "
            "phone numbers, e-mail addresses, names after Pan/Pani) were masked "
            "automatically and by the quality coordinator."
        )
    return _(
        "Free-text answers about all the unit's services together, in random order, "
        "without the service, desk or date. Personal data (PESEL and ID-card numbers, "
        "phone numbers, e-mail addresses, names after Pan/Pani) were masked automatically "
        "and by the quality coordinator. Do not try to find out who wrote an answer."
    )


def _missing_note() -> str:
    return _(
        "Counts are shown only for cards with at least %(n)s respondents who answered this "
        "question; cards with fewer are counted together (if together they reach %(n)s) "
        "or left out."
    ) % {"n": analysis.MIN_SHOWN}


def _card_label(code: str, titles: dict[str, str]) -> str:
    if code == OTHER_CARDS:
        return _("Other services together (each with too few answers)")
    return _card_name(code, titles)


def _reading_note() -> str:
    return _(
        "Each result is given with its 95-percent confidence interval. Results based "
        "on fewer than 10 answers are not shown (this also protects the respondents' "
        "anonymity); results based on 10 to 29 answers are indicative only. A standard "
        "counts as breached only when the whole interval lies below its target. "
        '"Not applicable" answers are left out of every result.'
    )


def unit_pack(cycle: Cycle, unit: OrgUnit) -> tuple[bytes, bytes]:
    """The unit's results pack for the cycle: (PDF, XLSX), in Polish."""
    with translation.override("pl"):
        tables = unit_tables(cycle, unit)
        return _unit_pdf(cycle, unit, tables), _unit_xlsx(cycle, unit, tables)


def _labelled(cycle: Cycle, unit: OrgUnit | None):
    questions = _question_labels(cycle)
    titles = _card_titles(unit)
    options = _choice_labels(cycle, MISSING_KEY)
    return questions, titles, options, measure_labels(), _observation_kinds()


def measure_labels() -> dict[str, str]:
    """Short names of the measures, for narrow table columns."""
    return {
        Indicator.Measure.SHARE: _("share positive"),
        Indicator.Measure.MEAN: _("mean"),
        Indicator.Measure.MONTHLY: _("a month (estimate)"),
    }


def _observation_kinds() -> dict[str, str]:
    return {str(k): str(v) for k, v in StaffObservation.Kind.choices}


def _card_name(code: str, titles: dict[str, str]) -> str:
    return f"{code} {titles.get(code, '')}".strip() if code else _("Whole unit")


def _unit_pdf(cycle: Cycle, unit: OrgUnit, tables: dict[str, pd.DataFrame]) -> bytes:
    questions, titles, options, measures, kinds = _labelled(cycle, unit)
    title = _("Results of the service-card survey %(year)s: %(unit)s") % {
        "year": cycle.year,
        "unit": f"{unit.code} {unit.name_pl}",
    }
    pdf = _Pdf(title)
    pdf.add(_("Results pack %(year)s") % {"year": cycle.year}, pdf.h1)
    pdf.add(f"{unit.code} {unit.name_pl}", pdf.h2)
    responses = int(tables["responses"]["count"].iloc[0])
    pdf.add(
        _(
            "Survey period %(start)s – %(end)s; %(responses)s responses about the unit's "
            "services. Prepared under §6 of the regulation for the update of the service "
            "catalogue (due %(due)s)."
        )
        % {
            "start": formats.date_format(cycle.survey_opens_on, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(cycle.survey_closes_on, "SHORT_DATE_FORMAT"),
            "responses": _count(responses),
            "due": formats.date_format(cycle.catalogue_due_on, "SHORT_DATE_FORMAT"),
        }
    )
    pdf.add(_reading_note(), pdf.note)

    # 1. Indicators, with a chart per question.
    pdf.add(_("1. Indicators of the unit's service cards"), pdf.h2)
    indicators = tables["indicators"]
    rows = [
        [
            _card_name(r.card, titles),
            questions.get(r.key, r.key),
            measures.get(r.measure, r.measure),
            _count(r.n),
            format_result(r.measure, r.value, r.low, r.high, r.status),
            status_short(r.status) if r.measure != Indicator.Measure.MONTHLY else "",
            "" if pd.isna(r.office) else format_value(r.measure, r.office),
        ]
        for r in indicators.itertuples(index=False)
    ]
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["question"]),
            str(HEADERS["measure"]),
            "n",
            _("Result (95-percent interval)"),
            str(HEADERS["status"]),
            str(HEADERS["office"]),
        ],
        rows,
        [32, 48, 22, 10, 30, 20, 18],
        empty=_("No indicators were computed for this unit."),
    )
    share_keys = sorted(
        set(indicators.loc[indicators["measure"] == Indicator.Measure.SHARE, "key"])
    )
    charts = [
        (key, share_chart(indicators, key=key, title=questions.get(key, key))) for key in share_keys
    ]
    drawn = [(key, chart) for key, chart in charts if chart is not None]
    if drawn:
        pdf.add(_("Share of positive answers per card"), pdf.h3)
        pdf.add(
            _(
                "Dots: the share of positive answers; bars: the 95-percent confidence "
                "interval; hollow dots: indicative (10 to 29 answers); dashed line: the "
                "whole office."
            ),
            pdf.note,
        )
        for _key, (png, ratio) in drawn:
            pdf.image(png, 178, 178 * ratio)
            pdf.story.append(Spacer(1, 2 * mm))

    # 2. Year over year.
    previous_year = tables["previous_year"]["year"].iloc[0]
    pdf.add(_("2. Change since the previous cycle"), pdf.h2)
    yoy = tables["yoy"]
    if previous_year is None or pd.isna(previous_year):
        pdf.add(_("There is no earlier cycle to compare with."), pdf.note)
    else:
        pdf.add(
            _(
                "Shares of positive answers in %(year)s against %(previous)s, for questions "
                "with the same key. A change is called significant only when its "
                "95-percent interval (Newcombe) excludes zero."
            )
            % {"year": cycle.year, "previous": int(previous_year)},
            pdf.note,
        )
        pdf.table(
            [
                str(HEADERS["card"]),
                str(HEADERS["question"]),
                str(int(previous_year)),
                str(cycle.year),
                _("Change (points, 95-percent interval)"),
                str(HEADERS["change"]),
            ],
            [
                [
                    r.subject if r.scope == Indicator.Scope.CARD else _("Whole unit"),
                    questions.get(r.key, r.key),
                    "—" if pd.isna(r.value_before) else format_value("share", r.value_before),
                    "—" if pd.isna(r.value) else format_value("share", r.value),
                    f"{_points(r.diff)} ({_points(r.diff_low)} – {_points(r.diff_high)})"
                    if r.compared
                    else "—",
                    change_label(r.compared, r.changed, r.diff),
                ]
                for r in yoy.itertuples(index=False)
            ],
            [22, 56, 18, 18, 40, 26],
        )

    # 3. Responses by channel and month.
    pdf.add(_("3. Responses by channel and month"), pdf.h2)
    channels = tables["channels"]
    channel_columns = [c for c in channels.columns if c not in ("month", "total")]
    width = min(30.0, 140 / max(1, len(channel_columns)))
    pdf.table(
        [
            str(HEADERS["month"]),
            *(_label_channel(c) for c in channel_columns),
            str(HEADERS["total"]),
        ],
        [
            [r["month"], *(_count(r[c]) for c in channel_columns), _count(r["total"])]
            for _i, r in channels.iterrows()
        ],
        [24, *([width] * len(channel_columns)), 16],
        empty=_("No responses in the survey period."),
    )

    # 4. What was missing.
    pdf.add(_("4. What was missing from the cards"), pdf.h2)
    pdf.add(_missing_note(), pdf.note)
    pdf.table(
        [str(HEADERS["card"]), str(HEADERS["option"]), str(HEADERS["count"])],
        [
            [_card_label(r.card, titles), options.get(r.value, r.value), int(r.count)]
            for r in tables["missing"].itertuples(index=False)
        ],
        [80, 70, 30],
        empty=_("Nothing to show: no card has enough answers to this question."),
    )

    # 5. Free text: pooled for the whole unit, masked, in random order, once released.
    pdf.add(_("5. Respondents' own words"), pdf.h2)
    state = str(tables["texts_state"]["state"].iloc[0])
    pdf.add(texts_note(state), pdf.note)
    for text in tables["texts"]["text"]:
        pdf.add(f"• {text}")

    # 6. Staff observations.
    pdf.add(_("6. Staff observations"), pdf.h2)
    pdf.add(
        _(
            "What clients ask most often and which errors they make in documents, as "
            "estimated by the staff (§7 of the regulation); the most frequent per card."
        ),
        pdf.note,
    )
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["kind"]),
            str(HEADERS["summary"]),
            _("People"),
            _("A month"),
            str(HEADERS["example"]),
        ],
        [
            [
                r.card,
                kinds.get(r.kind, r.kind),
                r.summary,
                int(r.reports),
                _number(r.monthly, 1),
                r.example,
            ]
            for r in tables["observations"].itertuples(index=False)
        ],
        [18, 26, 50, 14, 16, 56],
        empty=_("No staff observations were recorded for the unit's cards."),
    )

    # 7. Standards breached.
    pdf.add(_("7. Quality standards not met"), pdf.h2)
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["standard"]),
            str(HEADERS["target"]),
            str(HEADERS["evidence"]),
            _("Nonconformity"),
        ],
        [list(r) for r in tables["findings"].itertuples(index=False)],
        [18, 42, 16, 80, 24],
        empty=_("The unit's cards met every standard that could be assessed."),
    )

    # 8. Open nonconformities.
    pdf.add(_("8. Open nonconformities of the unit"), pdf.h2)
    pdf.table(
        [
            str(HEADERS["number"]),
            _("Title"),
            str(HEADERS["card"]),
            str(HEADERS["nc_status"]),
            str(HEADERS["severity"]),
            str(HEADERS["due"]),
        ],
        [
            [r.number, r.nc_title, r.card, r.nc_status, r.severity, _date(r.due)]
            for r in tables["items"].itertuples(index=False)
        ],
        [26, 60, 18, 32, 18, 26],
        empty=_("The unit has no open nonconformities."),
    )
    return pdf.build()


def _texts_sheet(tables: dict[str, Any]) -> pd.DataFrame:
    """The free-text sheet: the pooled texts, or the one sentence saying why there are none."""
    state = str(tables["texts_state"]["state"].iloc[0])
    if state == TEXTS_SHOWN:
        return tables["texts"][["text"]]
    return pd.DataFrame({"text": [texts_note(state)]})


def _date(value: Any) -> str:
    if value is None or (not isinstance(value, datetime.date) and pd.isna(value)):
        return "—"
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _unit_xlsx(cycle: Cycle, unit: OrgUnit, tables: dict[str, pd.DataFrame]) -> bytes:
    questions, titles, options, measures, kinds = _labelled(cycle, unit)
    indicators = tables["indicators"].copy()
    indicators["title"] = indicators["card"].map(lambda c: titles.get(c, _("Whole unit")))
    indicators["question"] = indicators["key"].map(lambda k: questions.get(k, k))
    hidden = indicators["status"] == SUPPRESSED
    indicators["status"] = [
        status_label(s) if m != Indicator.Measure.MONTHLY else ""
        for s, m in zip(indicators["status"], indicators["measure"], strict=True)
    ]
    indicators["value"] = indicators["value"].astype(object)
    indicators.loc[hidden, "value"] = _("—, too few answers")
    indicators["measure"] = indicators["measure"].map(lambda m: measures.get(m, m))
    indicators = _xlsx_counts(indicators, ["n"])
    yoy = _xlsx_counts(tables["yoy"], ["n", "n_before"])
    yoy["card"] = np.where(yoy["scope"] == Indicator.Scope.CARD, yoy["subject"], _("Whole unit"))
    yoy["question"] = yoy["key"].map(lambda k: questions.get(k, k))
    yoy["change"] = [
        change_label(c, ch, d)
        for c, ch, d in zip(yoy["compared"], yoy["changed"], yoy["diff"], strict=True)
    ]
    counted = [c for c in tables["channels"].columns if c != "month"]
    channels = _xlsx_counts(tables["channels"], counted).rename(
        columns={
            c: _label_channel(c) for c in tables["channels"].columns if c not in ("month", "total")
        }
    )
    channel_headers = {c: c for c in channels.columns}
    channel_headers.update(_headers("month", "total"))
    missing = tables["missing"].copy()
    missing["option"] = missing["value"].map(lambda v: options.get(v, v))
    missing["card"] = missing["card"].map(lambda c: _card_label(c, {}) if c == OTHER_CARDS else c)
    texts = _texts_sheet(tables)
    observations = tables["observations"].copy()
    observations["kind"] = observations["kind"].map(lambda k: kinds.get(k, k))
    about = pd.DataFrame(
        {
            _("Item"): [
                _("Unit"),
                _("Cycle"),
                _("Survey period"),
                _("How to read the results"),
                _("What was missing"),
                _("Free text"),
            ],
            _("Description"): [
                f"{unit.code} {unit.name_pl}",
                str(cycle.year),
                f"{cycle.survey_opens_on} – {cycle.survey_closes_on}",
                _reading_note(),
                _missing_note(),
                texts_note(str(tables["texts_state"]["state"].iloc[0])),
            ],
        }
    )
    return workbook(
        [
            (_("About"), about),
            (
                _("Indicators"),
                _sheet(
                    indicators,
                    _headers(
                        "card",
                        "title",
                        "question",
                        "measure",
                        "n",
                        "value",
                        "low",
                        "high",
                        "status",
                        "office",
                    ),
                ),
            ),
            (
                _("Change since last cycle"),
                _sheet(
                    yoy,
                    _headers(
                        "card",
                        "question",
                        "n_before",
                        "value_before",
                        "n",
                        "value",
                        "diff",
                        "diff_low",
                        "diff_high",
                        "change",
                    ),
                ),
            ),
            (_("Channels and months"), _sheet(channels, channel_headers)),
            (_("What was missing"), _sheet(missing, _headers("card", "option", "count"))),
            (_("Free text"), _sheet(texts, _headers("text"))),
            (
                _("Staff observations"),
                _sheet(
                    observations,
                    _headers("card", "kind", "summary", "reports", "monthly", "example"),
                ),
            ),
            (
                _("Standards not met"),
                _sheet(
                    tables["findings"], _headers("card", "standard", "target", "evidence", "number")
                ),
            ),
            (
                _("Open nonconformities"),
                _sheet(
                    tables["items"],
                    _headers(
                        "number", "nc_title", "card", "nc_status", "severity", "registered", "due"
                    ),
                ),
            ),
        ]
    )


def management_pack(cycle: Cycle) -> tuple[bytes, bytes]:
    """The management-review pack (ISO 9001 9.3.2 inputs): (PDF, XLSX), in Polish."""
    with translation.override("pl"):
        tables = management_tables(cycle)
        return _management_pdf(cycle, tables), _management_xlsx(cycle, tables)


def _measure_rows(measures: dict[str, Any]) -> list[tuple[str, str]]:
    def rate(value: float | None) -> str:
        return "—" if value is None else f"{_number(value * 100, 0)} %"

    days = measures["mean_days_to_close"]
    return [
        (_("Nonconformities registered in the period"), str(measures["registered"])),
        (_("of which closed"), str(measures["closed"])),
        (_("Open nonconformities today (all years)"), str(measures["open_now"])),
        (
            _("Actions completed on time"),
            f"{rate(measures['on_time_rate'])} "
            f"({measures['actions_on_time']} / {measures['actions_done']})",
        ),
        (
            _("Mean time to close (working days)"),
            "—" if days is None else _number(days, 1),
        ),
        (
            _("Effectiveness rate (effective / verified)"),
            f"{rate(measures['effectiveness_rate'])} "
            f"({measures['effective']} / {measures['verified']})",
        ),
        (_("Items reopened in the period"), str(measures["reopened"])),
        (
            _("Breaches found again (linked to an earlier item)"),
            str(measures["recurring_findings"]),
        ),
        (_("Recurrence in total"), str(measures["recurrence"])),
    ]


def _counts(items: pd.DataFrame, column: str, labels: dict[str, str]) -> list[list[Any]]:
    if items.empty:
        return []
    counts = items[column].value_counts()
    return [[labels.get(str(value), str(value)), int(n)] for value, n in counts.items()]


def _trend_rows(trend: pd.DataFrame, questions: dict[str, str], measures: dict[str, str]):
    years = [c for c in trend.columns if isinstance(c, int)][-TREND_YEARS_PRINTED:]
    changes = {
        "up": _("significant increase"),
        "down": _("significant decrease"),
        "none": _("no significant change"),
        "": "—",
    }
    rows = []
    for _i, r in trend.iterrows():
        rows.append(
            [
                questions.get(r["key"], r["key"]),
                measures.get(r["measure"], r["measure"]),
                *("—" if pd.isna(r[y]) else format_value(r["measure"], r[y]) for y in years),
                changes.get(r["change"], "—"),
            ]
        )
    return years, rows


def _trend_chart(trend: pd.DataFrame, questions: dict[str, str]) -> tuple[bytes, float] | None:
    """Office-level shares of positive answers, cycle by cycle (from two cycles on)."""
    years = [c for c in trend.columns if isinstance(c, int)]
    shares = trend[trend["measure"] == Indicator.Measure.SHARE]
    if len(years) < 2 or shares.empty or shares[years].isna().all().all():
        return None
    figure = Figure(figsize=(CHART_WIDTH, 3.4), dpi=150)
    axes = figure.add_subplot()
    for _i, r in shares.iterrows():
        label = "\n".join(textwrap.wrap(questions.get(r["key"], r["key"]), 45))
        axes.plot(years, [r[y] for y in years], marker="o", linewidth=1.2, label=label)
    axes.set_xticks(years, [str(y) for y in years], fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel(_("Share of positive answers (percent)"), fontsize=8)
    axes.tick_params(axis="y", labelsize=7.5)
    axes.grid(color="#dddddd", linewidth=0.5)
    axes.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    figure.subplots_adjust(left=0.08, right=0.62, top=0.95, bottom=0.1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), 3.4 / CHART_WIDTH


def _management_pdf(cycle: Cycle, tables: dict[str, Any]) -> bytes:
    questions = _question_labels(cycle)
    options = _choice_labels(cycle, MISSING_KEY)
    measures = measure_labels()
    kinds = _observation_kinds()
    start, end = tables["period"]
    title = _("Management review %(year)s: inputs (ISO 9001, 9.3.2)") % {"year": cycle.year}
    pdf = _Pdf(title)
    pdf.add(title, pdf.h1)
    pdf.add(
        _(
            "For the quality coordinator and the mayor. Review period %(start)s – %(end)s; "
            "%(responses)s survey responses in the cycle."
        )
        % {"start": _date(start), "end": _date(end), "responses": _count(tables["responses"])}
    )
    pdf.add(_reading_note(), pdf.note)

    pdf.add(_("1. Status of actions from the previous review"), pdf.h2)
    previous = tables["previous"]
    if previous is None:
        pdf.add(_("This is the first review cycle: there is no previous review."), pdf.note)
    else:
        pdf.add(
            _("Nonconformities raised by the findings of the %(year)s cycle.")
            % {"year": previous.year},
            pdf.note,
        )
        pdf.table(
            [
                str(HEADERS["number"]),
                _("Title"),
                str(HEADERS["card"]),
                str(HEADERS["nc_status"]),
                str(HEADERS["verdict"]),
                str(HEADERS["actions"]),
                str(HEADERS["closed"]),
            ],
            [
                [r.number, r.nc_title, r.card, r.nc_status, r.verdict, r.actions, _date(r.closed)]
                for r in tables["earlier"].itertuples(index=False)
            ],
            [26, 48, 16, 28, 22, 18, 22],
            empty=_("The previous cycle raised no nonconformities."),
        )

    pdf.add(_("2. Customer satisfaction and feedback: trends"), pdf.h2)
    years, rows = _trend_rows(tables["trend"], questions, measures)
    pdf.table(
        [
            str(HEADERS["question"]),
            str(HEADERS["measure"]),
            *(str(y) for y in years),
            _("Last change"),
        ],
        rows,
        [54, 24, *([76 / max(1, len(years))] * len(years)), 26],
        empty=_("No indicators have been computed yet."),
    )
    chart = _trend_chart(tables["trend"], questions)
    if chart is not None:
        png, ratio = chart
        pdf.image(png, 178, 178 * ratio)

    pdf.add(_("3. Quality objectives met and missed"), pdf.h2)
    standards: dict[int, Standard] = tables["standards"]
    pdf.table(
        [
            str(HEADERS["standard"]),
            str(HEADERS["target"]),
            str(HEADERS["cards"]),
            str(HEADERS["met"]),
            str(HEADERS["breached"]),
            str(HEADERS["too_few"]),
        ],
        [
            [
                str(standards[r.standard]) if r.standard in standards else r.standard,
                _target(standards[r.standard], standards[r.standard].target)
                if r.standard in standards
                else "",
                r.cards,
                r.met,
                r.breached,
                r.too_few,
            ]
            for r in tables["objectives"].itertuples(index=False)
        ],
        [62, 18, 20, 24, 28, 28],
        empty=_("No quality standards are defined, or none could be applied."),
    )
    by_unit = tables["findings_by_unit"]
    if not by_unit.empty:
        pdf.add(_("Breaches found in this cycle, by unit"), pdf.h3)
        pdf.table(
            [str(HEADERS["unit"]), _("Breaches")],
            [[r.unit, int(r.count)] for r in by_unit.itertuples(index=False)],
            [60, 30],
        )

    pdf.add(_("4. Nonconformities and corrective actions"), pdf.h2)
    pdf.table([str(HEADERS["figure"]), _("Value")], _measure_rows(tables["measures"]), [120, 60])
    items = tables["items"]
    status_labels = {str(k): str(v) for k, v in Status.choices}
    source_labels = {str(k): str(v) for k, v in Source.choices}
    pdf.add(_("Registered in the period, by current status"), pdf.h3)
    pdf.table(
        [str(HEADERS["nc_status"]), str(HEADERS["items"])],
        _counts(items, "status", status_labels),
        [90, 30],
    )
    pdf.add(_("Registered in the period, by source"), pdf.h3)
    pdf.table(
        [str(HEADERS["source"]), str(HEADERS["items"])],
        _counts(items, "source", source_labels),
        [90, 30],
    )

    pdf.add(_("5. Opportunities for improvement"), pdf.h2)
    pdf.add(_("What respondents missed most in the cards"), pdf.h3)
    pdf.table(
        [str(HEADERS["option"]), str(HEADERS["count"])],
        [
            [options.get(r.value, r.value), int(r.count)]
            for r in tables["missing"].itertuples(index=False)
        ],
        [120, 30],
        empty=_("No respondent said anything was missing."),
    )
    suggestions = tables["suggestions"]
    pdf.add(
        ngettext(
            "Respondents sent %(count)s suggestion about the questionnaire itself.",
            "Respondents sent %(count)s suggestions about the questionnaire itself.",
            suggestions,
        )
        % {"count": suggestions}
        if suggestions == 0 or suggestions >= analysis.MIN_SHOWN
        else _("Respondents sent fewer than %(n)s suggestions about the questionnaire itself.")
        % {"n": analysis.MIN_SHOWN}
    )
    pdf.add(_("Respondents' own words"), pdf.h3)
    state = str(tables["texts_state"]["state"].iloc[0])
    pdf.add(texts_note(state, office=True), pdf.note)
    texts = tables["texts"]["text"]
    for text in texts.head(MANAGEMENT_TEXTS_PRINTED):
        pdf.add(f"• {text}")
    if len(texts) > MANAGEMENT_TEXTS_PRINTED:
        pdf.add(
            _("%(printed)s of %(count)s answers printed; the workbook has them all.")
            % {"printed": MANAGEMENT_TEXTS_PRINTED, "count": len(texts)},
            pdf.note,
        )
    pdf.add(_("Most frequent staff observations in the office"), pdf.h3)
    pdf.table(
        [
            str(HEADERS["card"]),
            str(HEADERS["kind"]),
            str(HEADERS["summary"]),
            _("People"),
            _("A month"),
        ],
        [
            [r.card, kinds.get(r.kind, r.kind), r.summary, int(r.reports), _number(r.monthly, 1)]
            for r in tables["observations"].itertuples(index=False)
        ],
        [22, 32, 90, 16, 20],
        empty=_("No staff observations were recorded in the cycle."),
    )
    return pdf.build()


def _management_xlsx(cycle: Cycle, tables: dict[str, Any]) -> bytes:
    questions = _question_labels(cycle)
    options = _choice_labels(cycle, MISSING_KEY)
    measures = measure_labels()
    kinds = _observation_kinds()
    trend = tables["trend"].copy()
    trend["question"] = trend["key"].map(lambda k: questions.get(k, k))
    trend["measure"] = trend["measure"].map(lambda m: measures.get(m, m))
    years = [c for c in trend.columns if isinstance(c, int)]
    trend_headers = _headers("question", "measure")
    trend_headers.update({y: str(y) for y in years})
    trend_headers["change"] = HEADERS["change"]
    standards: dict[int, Standard] = tables["standards"]
    objectives = tables["objectives"].copy()
    objectives["target"] = [
        _target(standards[s], standards[s].target) if s in standards else ""
        for s in objectives["standard"]
    ]
    objectives["standard"] = [str(standards.get(s, s)) for s in objectives["standard"]]
    figures = pd.DataFrame(_measure_rows(tables["measures"]), columns=["figure", "value"])
    items = tables["items"]
    status_labels = {str(k): str(v) for k, v in Status.choices}
    source_labels = {str(k): str(v) for k, v in Source.choices}
    by_status = pd.DataFrame(
        _counts(items, "status", status_labels), columns=["nc_status", "items"]
    )
    by_source = pd.DataFrame(_counts(items, "source", source_labels), columns=["source", "items"])
    missing = tables["missing"].copy()
    missing["option"] = missing["value"].map(lambda v: options.get(v, v))
    observations = tables["observations"].copy()
    observations["kind"] = observations["kind"].map(lambda k: kinds.get(k, k))
    start, end = tables["period"]
    about = pd.DataFrame(
        {
            _("Item"): [
                _("Cycle"),
                _("Review period"),
                _("Suggestions about the questionnaire"),
                _("Free text"),
            ],
            _("Description"): [
                str(cycle.year),
                f"{start} – {end}",
                _count(tables["suggestions"]),
                texts_note(str(tables["texts_state"]["state"].iloc[0]), office=True),
            ],
        }
    )
    return workbook(
        [
            (_("About"), about),
            (
                _("Previous review"),
                _sheet(
                    tables["earlier"],
                    _headers(
                        "number", "nc_title", "card", "nc_status", "verdict", "actions", "closed"
                    ),
                ),
            ),
            (_("Satisfaction trends"), _sheet(trend, trend_headers)),
            (
                _("Quality objectives"),
                _sheet(
                    objectives,
                    _headers("standard", "target", "cards", "met", "breached", "too_few"),
                ),
            ),
            (_("Nonconformity figures"), _sheet(figures, _headers("figure", "value"))),
            (_("By status"), _sheet(by_status, _headers("nc_status", "items"))),
            (_("By source"), _sheet(by_source, _headers("source", "items"))),
            (_("What was missing"), _sheet(missing, _headers("option", "count"))),
            (_("Free text"), _sheet(_texts_sheet(tables), _headers("text"))),
            (
                _("Staff observations"),
                _sheet(
                    observations,
                    _headers("card", "kind", "summary", "reports", "monthly", "example"),
                ),
            ),
        ]
    )


# --- storing: built outside any transaction, published in a short one -----------------

PACKS_DIR = "packs"  # models.pack_path puts every pack file under this folder
TEMP_SUFFIX = ".tmp"  # a pack file being built: "<final name>.<random>.tmp", beside it
TEMP_MAX_AGE = 3600  # seconds; a temporary file this old belongs to no running build


def pack_file_stem(cycle: Cycle, unit: OrgUnit | None) -> str:
    return f"unit-{unit.code}-{cycle.year}" if unit else f"management-review-{cycle.year}"


def pack_file_names(cycle: Cycle, unit: OrgUnit | None) -> dict[str, str]:
    """The pack's stable storage names by field ("packs/2026/unit-SO-2026.pdf"): a
    rebuild overwrites the same files, never a name with a random suffix."""
    pack = Pack(cycle=cycle, unit=unit)
    stem = pack_file_stem(cycle, unit)
    return {
        kind: cast(FileField, Pack._meta.get_field(kind)).generate_filename(pack, f"{stem}.{kind}")
        for kind in ("pdf", "xlsx")
    }


@dataclass(eq=False)
class BuiltPack:
    """A pack's files, written under temporary names beside their final ones; not
    visible until `pack_publish` (or removed by `pack_discard`)."""

    cycle: Cycle
    unit: OrgUnit | None
    temp: dict[str, str] = field(default_factory=dict)  # field → temporary storage name
    released: bool = False  # the cycle's free text was released when the build read it
    masks: tuple[int, Any] = (0, None)  # the coordinator's masks then (_masks_state)


def _storage() -> FileSystemStorage:
    """Where the pack files live: a local folder (os.replace needs real paths)."""
    return cast(FileSystemStorage, cast(FileField, Pack._meta.get_field("pdf")).storage)


def _stored(pack: Pack | None) -> bool:
    return pack is not None and all(
        f.name and f.storage.exists(f.name) for f in (pack.pdf, pack.xlsx)
    )


def _masks_state() -> tuple[int, Any]:
    """Changes whenever the coordinator masks or withholds an answer. Read before a
    build reads the texts and again when it publishes: if it changed, the pack may show
    a text as it was before, so it does not count as including the released text (the
    next sweep rebuilds it, as after services.free_text_mask)."""
    state = FreeTextMask.objects.aggregate(count=Count("pk"), last=Max("masked_at"))
    return state["count"], state["last"]


def _write_temp(name: str, data: bytes) -> str:
    """`data` in a new file beside the storage name `name`; returns the file's name."""
    storage = _storage()
    temp = f"{name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
    path = storage.path(temp)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())  # on disk before the rename makes it the pack's file
    if storage.file_permissions_mode is not None:
        os.chmod(path, storage.file_permissions_mode)
    return temp


def _build(cycle: Cycle, unit: OrgUnit | None) -> BuiltPack:
    masks = _masks_state()  # before the texts are read (see _masks_state)
    cycle.refresh_from_db(fields=["free_text_released_at"])
    built = BuiltPack(cycle, unit, released=cycle.free_text_released_at is not None, masks=masks)
    pdf, xlsx = unit_pack(cycle, unit) if unit is not None else management_pack(cycle)
    names = pack_file_names(cycle, unit)
    try:
        built.temp["pdf"] = _write_temp(names["pdf"], pdf)
        built.temp["xlsx"] = _write_temp(names["xlsx"], xlsx)
    except BaseException:
        pack_discard(built)
        raise
    return built


def pack_build(*, cycle: Cycle, unit: OrgUnit | None) -> BuiltPack | None:
    """Build the pack of `unit` (None: the management review) into temporary files,
    outside any transaction (seconds per pack: reads, charts, PDF, workbook); None when
    the pack is stored already (its row and both files)."""
    if _stored(Pack.objects.filter(cycle=cycle, unit=unit).first()):
        return None
    return _build(cycle, unit)


def pack_discard(built: BuiltPack) -> None:
    """Remove a built pack's temporary files (a build that is not published)."""
    storage = _storage()
    for temp in built.temp.values():
        with contextlib.suppress(FileNotFoundError):
            os.remove(storage.path(temp))


def pack_publish(built: BuiltPack, *, rebuild: Pack | None = None) -> int:
    """Make a built pack visible; 1 if this build was published, 0 if it was not needed.

    One short transaction, under the pack's row lock: the row is created (or, when a
    crash left it without its files, or `rebuild` asks for the free text, updated to
    the stable names), and once it has committed the files are renamed into those names
    (os.replace: a reader sees the old file or the new one, never half of one). Two
    builds at once: the unique constraints on Pack and the row lock let one publish;
    the other's files are removed. A crash between the commit and the rename leaves a
    row without its file, which the next sweep's build repairs. Called inside a
    transaction of the caller's (load_demo, the tests), the files are renamed when this
    one's savepoint is released; if the caller's then rolls back, they stay without a
    row until cleanup_files.
    """
    cycle, unit = built.cycle, built.unit
    names = pack_file_names(cycle, unit)
    old: set[str] = set()
    try:
        with transaction.atomic():
            rows = Pack.objects.select_for_update(of=("self",))
            if rebuild is not None:
                pack = rows.get(pk=rebuild.pk)
                needed = pack.free_text_included_at is None
            else:
                found = rows.filter(cycle=cycle, unit=unit).first()
                needed = not _stored(found)
                pack = found or Pack(cycle=cycle, unit=unit)
            if needed:
                old = {n for n in (pack.pdf.name, pack.xlsx.name) if n} - {*names.values()}
                pack.pdf.name, pack.xlsx.name = names["pdf"], names["xlsx"]
                included = built.released and _masks_state() == built.masks
                pack.free_text_included_at = timezone.now() if included else None
                pack.save()
    except IntegrityError:  # another build created the row first
        needed = False
    except BaseException:
        pack_discard(built)
        raise
    if not needed:
        pack_discard(built)
        return 0
    storage = _storage()
    for kind, temp in built.temp.items():
        os.replace(storage.path(temp), storage.path(names[kind]))
    for name in old:  # a name from before the stable names (a random suffix)
        storage.delete(name)
    return 1


def pack_store(*, cycle: Cycle, unit: OrgUnit | None) -> int:
    """Build and publish the pack of `unit` (None: the management review) once; 1 if
    built, 0 if it was stored already (or another build published it first)."""
    built = pack_build(cycle=cycle, unit=unit)
    return 0 if built is None else pack_publish(built)


def pack_add_free_text(*, pack: Pack) -> int:
    """Rebuild a pack once its cycle's free text is released (or masked again); 1 if so.

    For packs built before the release, or whose texts the coordinator masked again
    since (services.free_text_mask clears `free_text_included_at`): both files are
    built again whole (the other tables as they stand now), outside any transaction,
    and replace the old ones under the same names; the row keeps its delivery and
    acknowledgement. Two sweeps at once: the row lock in pack_publish lets one publish.
    """
    pack = Pack.objects.select_related("cycle", "unit").get(pk=pack.pk)
    if pack.free_text_included_at is not None or pack.cycle.free_text_released_at is None:
        return 0
    return pack_publish(_build(pack.cycle, pack.unit), rebuild=pack)


def pack_files_cleanup(*, dry_run: bool = False) -> list[str]:
    """Remove the files under the packs folder that no pack names; their storage names.

    Such files are left by a build killed before it published (temporary names, removed
    once older than TEMP_MAX_AGE, as a running build may still publish them), or by a
    publish whose transaction was rolled back. With `dry_run`, only says which.
    """
    storage = _storage()
    root = storage.path(PACKS_DIR)
    # Files first, rows second: a file takes its final name only after its row has
    # committed, so the rows read below name every final file found here.
    found = [os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names]
    kept = {name for pair in Pack.objects.values_list("pdf", "xlsx") for name in pair if name}
    now = time.time()
    removed = []
    for path in found:
        name = os.path.relpath(path, storage.location).replace(os.sep, "/")
        if name in kept:
            continue
        if name.endswith(TEMP_SUFFIX):
            try:
                if now - os.path.getmtime(path) < TEMP_MAX_AGE:
                    continue
            except FileNotFoundError:  # published or discarded meanwhile
                continue
        if not dry_run:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        removed.append(name)
    return sorted(removed)
