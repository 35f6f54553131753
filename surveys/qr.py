"""Printable QR-code sheets (A4 PDF): each code opens the survey with channel, desk and
service already filled in, so a client at the desk answers about the right matter.

A sheet is in one language (Polish or English): its texts, the questionnaire's title and
the services' names, and its codes open the form in that language."""

import io
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from qms.models import ServiceCard
from qms.pdf import register_fonts
from surveys.models import Channel, Desk, Questionnaire

COLUMNS, ROWS = 2, 3
CODE_SIZE = 55 * mm


def survey_url(
    questionnaire: Questionnaire, desk: Desk, card: ServiceCard | None = None, language: str = "pl"
) -> str:
    params = {"kanal": Channel.QR, "stanowisko": desk.code}
    if card is not None:
        params["usluga"] = card.code
    if language != "pl":  # Polish is the form's default
        params["jezyk"] = language
    path = reverse("ankieta:form", args=[questionnaire.slug])
    return f"{settings.SITE_URL}{path}?{urlencode(params)}"


def _qr(canvas: Canvas, url: str, x: float, y: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(
        CODE_SIZE,
        CODE_SIZE,
        transform=[CODE_SIZE / (x2 - x1), 0, 0, CODE_SIZE / (y2 - y1), 0, 0],
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def desk_cells(questionnaire: Questionnaire, desk: Desk, language: str) -> list[tuple[str, str]]:
    """(caption, address) of each code for a desk: its own first, then one per service."""
    with translation.override(language):
        cells = [(_("Rate our service"), survey_url(questionnaire, desk, language=language))]
        cards = ServiceCard.objects.filter(unit_id=desk.unit_id, is_active=True).order_by("code")
        return cells + [
            (f"{c.code} {c.title}", survey_url(questionnaire, desk, c, language)) for c in cards
        ]


def desk_sheet_pdf(questionnaire: Questionnaire, desks: list[Desk], language: str) -> bytes:
    """One or more pages per desk: the desk's own code first, then one per service card."""
    with translation.override(language):
        return _sheet_pdf(questionnaire, desks, language)


def _sheet_pdf(questionnaire: Questionnaire, desks: list[Desk], language: str) -> bytes:
    font, bold = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    title = _("Survey QR codes")  # not inside the f-string: makemessages would miss it
    canvas.setTitle(f"{title}: {questionnaire.title}")
    width, height = A4
    cell_w = (width - 30 * mm) / COLUMNS
    cell_h = (height - 60 * mm) / ROWS
    for desk in desks:
        cells = desk_cells(questionnaire, desk, language)
        per_page = COLUMNS * ROWS
        for start in range(0, len(cells), per_page):
            canvas.setFont(bold, 16)
            canvas.drawString(15 * mm, height - 20 * mm, questionnaire.title)
            canvas.setFont(font, 11)
            canvas.drawString(
                15 * mm,
                height - 28 * mm,
                _("Desk %(code)s – %(name)s") % {"code": desk.code, "name": desk.name},
            )
            canvas.drawString(
                15 * mm,
                height - 35 * mm,
                _("Scan the code with your phone's camera. The survey is anonymous."),
            )
            for i, (caption, url) in enumerate(cells[start : start + per_page]):
                col, row = i % COLUMNS, i // COLUMNS
                x = 15 * mm + col * cell_w
                top = height - 45 * mm - row * cell_h
                _qr(canvas, url, x + (cell_w - CODE_SIZE) / 2, top - CODE_SIZE)
                canvas.setFont(font, 10)
                lines = simpleSplit(caption, font, 10, cell_w - 6 * mm)[:3]
                for n, line in enumerate(lines):
                    canvas.drawCentredString(
                        x + cell_w / 2, top - CODE_SIZE - (5 + 4.5 * n) * mm, line
                    )
            canvas.setFont(font, 8)
            canvas.drawString(15 * mm, 10 * mm, survey_url(questionnaire, desk).split("?")[0])
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()
