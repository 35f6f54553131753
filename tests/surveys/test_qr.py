"""QR sheets: every code is the one reportlab's QR widget drew before the sheet was made
fast (tracker issue 14), one page or more per desk, and the queries do not grow with the
number of desks. (Speed is measured by bench/run_qr.py, not here.)"""

import math
import re
import string
import zlib

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reportlab import rl_config
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget

from surveys import qr
from surveys.models import Desk
from tests.factories import ServiceCardFactory

pytestmark = pytest.mark.django_db

ALL_DESKS = "/surveys/desks/qr.pdf"


def widget_modules(text: str, level: str = "M") -> np.ndarray:
    """The matrix reportlab's QrCodeWidget draws for `text`: the sheet's codes until now."""
    widget = QrCodeWidget(text, barLevel=level)
    widget.qr.make()
    return np.array(widget.qr.modules, dtype=bool)


def text_of(length: int) -> str:
    alphabet = string.ascii_letters + string.digits + "/?&=-_.%"
    return "https://x.example/" + "".join(alphabet[i * 7 % len(alphabet)] for i in range(length))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Survey addresses are byte mode; from version 1 (a few bytes) to 10 (over 200).
        *[(text_of(n), "M") for n in (0, 30, 75, 95, 130, 200)],
        *[(text_of(n), level) for n in (20, 90) for level in ("L", "Q", "H")],
        # Not byte mode in reportlab: numeric, alphanumeric, UTF-8 (left to reportlab).
        ("0123456789", "M"),
        ("HTTPS://X.EXAMPLE/A-1", "M"),
        ("https://x.example/?stanowisko=zażółć", "M"),
    ],
)
def test_code_is_the_one_reportlab_draws(text, level):
    expected = widget_modules(text, level)
    actual = qr.qr_modules(text, getattr(qrencoder.QRErrorCorrectLevel, level))
    assert actual.shape == expected.shape
    assert (actual == expected).all()


def test_codes_of_a_batch_are_each_texts_own():
    texts = [text_of(n) for n in (40, 41, 95, 41)]  # versions mixed, one text twice
    codes = qr.qr_codes(texts)
    for text, code in zip(texts, codes, strict=True):
        assert (code == widget_modules(text)).all()


# --- the PDF ----------------------------------------------------------------------------


def page_contents(pdf: bytes) -> list[str]:
    """Each page's content stream, inflated, in page order (the one /Pages node's /Kids)."""

    def obj(number: int) -> bytes:
        start = pdf.index(b"\n%d 0 obj\n" % number)
        return pdf[start : pdf.index(b"endobj", start)]

    kids = re.search(rb"/Kids \[([^\]]*)\]", pdf)
    assert kids, "no page tree"
    pages = []
    for number in re.findall(rb"(\d+) 0 R", kids.group(1)):
        contents = re.search(rb"/Contents (\d+) 0 R", obj(int(number)))
        assert contents
        stream = obj(int(contents.group(1)))
        length = re.search(rb"/Length (\d+)", stream)
        assert length
        data = stream[stream.index(b"stream\n") + len(b"stream\n") :][: int(length.group(1))]
        pages.append(zlib.decompress(data).decode("latin-1"))
    return pages


CODE = re.compile(
    r"q\n0 0 0 rg\n([\d.]+) 0 0 \1 [\d.]+ [\d.]+ cm\n((?: *\d+ +\d+ +\d+ 1 re\n)*)f\nQ"
)


def codes_on(page: str) -> list[np.ndarray]:
    """The module matrices of the codes drawn on a page, in drawing order."""
    codes = []
    for module, runs in CODE.findall(page):
        size = round(qr.CODE_SIZE / float(module)) - 2 * qr.QUIET_ZONE
        modules = np.zeros((size, size), dtype=bool)
        for line in runs.splitlines():
            x, y, width = (int(n) for n in line.split()[:3])
            modules[size - 1 - y, x : x + width] = True
        codes.append(modules)
    return codes


@pytest.fixture
def desks(survey, unit_a, unit_b, card_a, card_b):
    """Desk A-1 with 7 codes (its own and 6 services: 2 pages), B-1 with 2 (1 page)."""
    for n in range(2, 7):
        ServiceCardFactory(code=f"A-{n:02d}", unit=unit_a)
    ServiceCardFactory(code="A-99", unit=unit_a, is_active=False)  # no code for it
    return [
        Desk.objects.create(code="A-1", name="Stanowisko A1", unit=unit_a),
        Desk.objects.create(code="B-1", name="Stanowisko B1", unit=unit_b),
    ]


def test_all_desks_sheet_has_every_desks_codes_page_by_page(client_for, coordinator, desks):
    response = client_for(coordinator).get(ALL_DESKS, {"jezyk": "pl"})
    assert response.status_code == 200
    pages = page_contents(response.content)
    survey = "http://127.0.0.1:8000/ankieta/karty-uslug/?kanal=qr"
    expected = [
        # desk A-1: its own code, then services A-01..A-06 in code order, 6 to a page
        [f"{survey}&stanowisko=A-1"] + [f"{survey}&stanowisko=A-1&usluga=A-0{n}" for n in "12345"],
        [f"{survey}&stanowisko=A-1&usluga=A-06"],
        [f"{survey}&stanowisko=B-1", f"{survey}&stanowisko=B-1&usluga=B-01"],
    ]
    assert [len(codes_on(page)) for page in pages] == [len(urls) for urls in expected]
    for page, urls in zip(pages, expected, strict=True):
        for code, url in zip(codes_on(page), urls, strict=True):
            assert (code == widget_modules(url)).all(), url
    # Each desk's pages say which desk they are for, and where the form is.
    for page, desk in zip(pages, ["A-1", "A-1", "B-1"], strict=True):
        assert f"(Stanowisko {desk} " in page
        assert "(http://127.0.0.1:8000/ankieta/karty-uslug/)" in page


def test_english_sheet_codes_open_the_english_form(client_for, coordinator, desks):
    response = client_for(coordinator).get(ALL_DESKS, {"jezyk": "en"})
    first = codes_on(page_contents(response.content)[0])[0]
    url = "http://127.0.0.1:8000/ankieta/karty-uslug/?kanal=qr&stanowisko=A-1&jezyk=en"
    assert (first == widget_modules(url)).all()


def test_sheet_queries_do_not_grow_with_desks(
    client_for, coordinator, desks, unit_a, unit_b, django_assert_max_num_queries
):
    client = client_for(coordinator)
    client.get(ALL_DESKS)  # the session's first request
    with CaptureQueriesContext(connection) as two_desks:
        client.get(ALL_DESKS)
    Desk.objects.bulk_create(
        Desk(code=f"X-{n}", name=f"Stanowisko {n}", unit=unit_a if n % 2 else unit_b)
        for n in range(18)
    )
    with django_assert_max_num_queries(len(two_desks)):
        response = client.get(ALL_DESKS)
    # 10 desks of unit A with 7 codes (2 pages each), 10 of unit B with 2 (1 page each)
    assert len(page_contents(response.content)) == 10 * 2 + 10 * 1


def test_sheet_leaves_reportlabs_settings_as_they_were(survey, desks):
    before = rl_config.useA85
    pdf = qr.desk_sheet_pdf(survey, desks, "pl")
    assert rl_config.useA85 == before
    assert b"/ASCII85Decode" not in pdf  # its streams are binary, whatever the setting


def test_pages_per_desk_follow_the_number_of_services(survey, desks):
    pdf = qr.desk_sheet_pdf(survey, desks[:1], "pl")
    per_page = qr.COLUMNS * qr.ROWS
    assert len(page_contents(pdf)) == math.ceil(7 / per_page)
