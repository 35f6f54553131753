"""Printable QR-code sheets (A4 PDF): each code opens the survey with channel, desk and
service already filled in, so a client at the desk answers about the right matter.

A sheet is in one language (Polish or English): its texts, the questionnaire's title and
the services' names, and its codes open the form in that language.

Speed (tracker issue 14): the sheet of all desks holds a code per desk and service, ~1,500
for a large office. Drawn with reportlab's `QrCodeWidget`, a code took ~0.2 s: it was
encoded twice, its 8 masks were scored in pure Python and every run of modules became a
validated shape; writing the pages as ASCII85 took seconds more. Now `qr_codes` computes
the very same matrices (version, byte mode, level M and the mask that reportlab's own
penalty rules pick; tests/surveys/test_qr.py compares them with the widget's) for all
codes of a version at once in numpy, `_module_paths` writes each as one path of
rectangles in module units, and the streams are written binary. bench/run_qr.py measures
it."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import zip_longest
from typing import cast
from urllib.parse import urlencode

import numpy as np
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from qms.models import ServiceCard
from qms.pdf import register_fonts
from surveys.models import Channel, Desk, Questionnaire

COLUMNS, ROWS = 2, 3
CODE_SIZE = 55 * mm  # the code with its quiet zone
QUIET_ZONE = 4  # modules of white around a code, as reportlab's widget draws it
LEVEL_M = qrencoder.QRErrorCorrectLevel.M  # ~15 % of a code may be damaged


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


def desk_cells(
    questionnaire: Questionnaire,
    desk: Desk,
    language: str,
    cards: list[ServiceCard] | None = None,
) -> list[tuple[str, str]]:
    """(caption, address) of each code for a desk: its own first, then one per service.

    `cards` are the active cards of the desk's unit in code order; read here if not given."""
    with translation.override(language):
        if cards is None:
            cards = _active_cards([desk.unit_id]).get(desk.unit_id, [])
        cells = [(_("Rate our service"), survey_url(questionnaire, desk, language=language))]
        return cells + [
            (f"{c.code} {c.title}", survey_url(questionnaire, desk, c, language)) for c in cards
        ]


def _active_cards(unit_ids: list[int]) -> dict[int, list[ServiceCard]]:
    """Active service cards of these units, by unit, in code order: one query for a sheet."""
    by_unit: dict[int, list[ServiceCard]] = {}
    cards = ServiceCard.objects.filter(unit_id__in=set(unit_ids), is_active=True).order_by("code")
    for card in cards:
        by_unit.setdefault(card.unit_id, []).append(card)
    return by_unit


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
    cards = _active_cards([desk.unit_id for desk in desks])
    sheets = [
        (desk, desk_cells(questionnaire, desk, language, cards.get(desk.unit_id, [])))
        for desk in desks
    ]
    codes = iter(_module_paths(qr_codes([url for _, cells in sheets for _, url in cells])))
    questionnaire_title = questionnaire.title
    scan_hint = _("Scan the code with your phone's camera. The survey is anonymous.")
    form_address = f"{settings.SITE_URL}{reverse('ankieta:form', args=[questionnaire.slug])}"
    per_page = COLUMNS * ROWS
    for desk, cells in sheets:
        desk_line = _("Desk %(code)s – %(name)s") % {"code": desk.code, "name": desk.name}
        for start in range(0, len(cells), per_page):
            canvas.setFont(bold, 16)
            canvas.drawString(15 * mm, height - 20 * mm, questionnaire_title)
            canvas.setFont(font, 11)
            canvas.drawString(15 * mm, height - 28 * mm, desk_line)
            canvas.drawString(15 * mm, height - 35 * mm, scan_hint)
            for i, (caption, _url) in enumerate(cells[start : start + per_page]):
                col, row = i % COLUMNS, i // COLUMNS
                x = 15 * mm + col * cell_w
                top = height - 45 * mm - row * cell_h
                _draw_code(canvas, next(codes), x + (cell_w - CODE_SIZE) / 2, top - CODE_SIZE)
                canvas.setFont(font, 10)
                lines = simpleSplit(caption, font, 10, cell_w - 6 * mm)[:3]
                for n, line in enumerate(lines):
                    canvas.drawCentredString(
                        x + cell_w / 2, top - CODE_SIZE - (5 + 4.5 * n) * mm, line
                    )
            canvas.setFont(font, 8)
            canvas.drawString(15 * mm, 10 * mm, form_address)
            canvas.showPage()
    with _binary_streams():
        canvas.save()
    return buffer.getvalue()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """reportlab writes compressed streams as ASCII85 text unless told otherwise: a quarter
    larger, and its pure-Python encoder took more time than everything else on the sheet.
    The setting is process-wide, so it is changed only while this document is written (a
    PDF that another thread writes meanwhile comes out binary too, just as valid)."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _draw_code(canvas: Canvas, code: tuple[int, str], x: float, y: float) -> None:
    """A code (its size in modules and `_module_paths` path) with its quiet zone in a
    CODE_SIZE square whose lower left corner is (x, y), filled as one path."""
    size, path = code
    module = CODE_SIZE / (size + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColor(black)
    canvas.transform(module, 0, 0, module, x + QUIET_ZONE * module, y + QUIET_ZONE * module)
    canvas.addLiteral(path + "f")
    canvas.restoreState()


def _module_paths(codes: list[np.ndarray]) -> list[tuple[int, str]]:
    """Each code's size and its dark modules as PDF path operators in module units, one
    `x y width 1 re` per horizontal run (y from the bottom row up). Written here, for all
    codes of a size at once: reportlab's path objects format each number in Python, which
    took longer than encoding the codes."""
    paths: list[tuple[int, str]] = [(0, "")] * len(codes)
    by_size: dict[int, list[int]] = {}
    for i, modules in enumerate(codes):
        by_size.setdefault(modules.shape[0], []).append(i)
    for size, indexes in by_size.items():
        stack = np.array([codes[i] for i in indexes])
        # A run starts and ends where a row changes colour, light beyond both edges.
        code, row, col = np.nonzero(np.diff(stack, axis=2, prepend=False, append=False))
        code, row, start, end = code[::2], row[::2], col[::2], col[1::2]
        numbers = np.stack([start, size - 1 - row, end - start], axis=1)
        digits = _numbers(len(str(size)))
        fields = digits[numbers].reshape(len(numbers), 3 * digits.shape[1])  # "12 " × 3
        tail = np.frombuffer(b"1 re\n", dtype=np.uint8)
        lines = np.hstack([fields, np.broadcast_to(tail, (len(numbers), tail.size))])
        text = lines.tobytes().decode("ascii")
        width = lines.shape[1]
        ends = np.cumsum(np.bincount(code, minlength=len(indexes))) * width
        for i, first, last in zip(indexes, [0, *ends[:-1].tolist()], ends.tolist(), strict=True):
            paths[i] = (size, text[first:last])
    return paths


@cache
def _numbers(digits: int) -> np.ndarray:
    """The text of 0 … 10^digits - 1, right-aligned and followed by a space, as bytes."""
    text = "".join(f"{n:>{digits}} " for n in range(10**digits))
    return np.frombuffer(text.encode(), dtype=np.uint8).reshape(10**digits, digits + 1)


# --- QR encoding ----------------------------------------------------------------------
# reportlab's encoder (qrencoder.QRCode) is the reference: the function patterns, the
# order of data modules and the RS block table come from it. The per-code work (bit
# stream, Reed–Solomon, the 8 masks and their penalties) is done here, in numpy, for all
# codes of one version at once; what codes of a version share is built once per process.


def qr_modules(text: str, level: int = LEVEL_M) -> np.ndarray:
    """The QR code of `text` as a square bool matrix (True = dark), without quiet zone:
    the matrix `reportlab.graphics.barcode.qr.QrCodeWidget(text, barLevel=...)` draws."""
    return qr_codes([text], level)[0]


def qr_codes(texts: list[str], level: int = LEVEL_M) -> list[np.ndarray]:
    """`qr_modules` of each text, in order."""
    codes: list[np.ndarray | None] = [None] * len(texts)
    by_version: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        if not text.isascii() or qrencoder.QRAlphaNum.valid(text):
            # reportlab picks numeric, alphanumeric or kanji mode: not a survey address.
            codes[i] = _reference_modules(text, level)
        else:
            by_version.setdefault(_version_for(len(text), level), []).append(i)
    for version, indexes in by_version.items():
        for start in range(0, len(indexes), _BATCH):
            batch = indexes[start : start + _BATCH]
            encoded = _encode([texts[i].encode() for i in batch], version, level)
            for i, modules in zip(batch, encoded, strict=True):
                codes[i] = modules
    return cast(list[np.ndarray], codes)


_BATCH = 128  # codes scored together: small enough for their arrays to stay in cache


def _reference_modules(text: str, level: int) -> np.ndarray:
    code = qrencoder.QRCode(None, level)
    code.addData(text)
    code.make()
    return np.array(code.modules, dtype=bool)


def _length_bits(version: int) -> int:
    """Bits of the byte-mode character count (qrencoder.QR8bitByte.lengthbits)."""
    return 8 if version < 10 else 16


@cache
def _data_capacity(version: int, level: int) -> int:
    return sum(b.dataCount for b in qrencoder.QRRSBlock.getRSBlocks(version, level))


def _version_for(length: int, level: int) -> int:
    """The smallest version the bytes fit in (qrencoder.QRCode.calculate_version)."""
    for version in range(1, 40):
        if 4 + _length_bits(version) + 8 * length <= 8 * _data_capacity(version, level):
            return version
    raise ValueError(f"{length} bytes do not fit in a QR code")


def _encode(texts: list[bytes], version: int, level: int) -> np.ndarray:
    """The module matrices (codes × size × size) of byte-mode texts of one version."""
    layout = _layout(version, level)
    count = len(texts)
    bits = np.zeros((count, layout.rows.size), dtype=bool)  # remainder bits stay light
    payload = np.unpackbits(_codewords(texts, version, level), axis=1).astype(bool)
    bits[:, : payload.shape[1]] = payload
    # The 8 masked candidates of each code in one array of bytes: bit 7 - k is mask k's.
    size = layout.function_patterns.shape[0]
    candidates = np.empty((count, size, size), dtype=np.uint8)
    candidates[:] = layout.function_patterns
    candidates[:, layout.rows, layout.cols] = (bits * np.uint8(0xFF)) ^ layout.mask_bits
    best = np.argmin(_penalties(candidates), axis=1)  # the first of equals, as reportlab
    modules = layout.with_format[best]
    modules[:, layout.rows, layout.cols] = bits ^ layout.masks[best]
    return modules


def _codewords(texts: list[bytes], version: int, level: int) -> np.ndarray:
    """Each text's codewords (qrencoder.QRCode.createData): mode, count, data, terminator,
    padding, then the blocks' data and error correction codewords interleaved."""
    capacity = _data_capacity(version, level)
    length_bits = _length_bits(version)
    bodies = []
    for data in texts:
        stream = (0b0100 << length_bits | len(data)) << 8 * len(data) | int.from_bytes(data)
        nbits = 4 + length_bits + 8 * len(data)
        if nbits + 4 <= capacity * 8:  # terminator
            stream, nbits = stream << 4, nbits + 4
        padding = -nbits % 8
        written = (stream << padding).to_bytes((nbits + padding) // 8)
        bodies.append((written + _PAD * capacity)[:capacity])
    body = np.frombuffer(b"".join(bodies), dtype=np.uint8).reshape(len(texts), capacity)
    parts, offset = [body], 0
    for block in qrencoder.QRRSBlock.getRSBlocks(version, level):
        table = _ec_table(block.dataCount, block.totalCount - block.dataCount)
        chunk = body[:, offset : offset + block.dataCount]
        offset += block.dataCount
        # Reed–Solomon is linear: the remainder of the block is the XOR of each byte's.
        parts.append(np.bitwise_xor.reduce(table[np.arange(block.dataCount), chunk], axis=1))
    return np.concatenate(parts, axis=1)[:, _interleaving(version, level)]


_PAD = bytes([0xEC, 0x11])


@lru_cache(maxsize=32)
def _ec_table(data_count: int, ec_count: int) -> np.ndarray:
    """table[i, b] = the error correction codewords of a block of `data_count` bytes that
    are all 0 but byte i, which is b (data_count × 256 × ec_count)."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count).num[1:]
    unit = []
    for i in range(data_count):
        # Long division of x^(data_count - 1 - i + ec_count) by the generator.
        remainder = [0] * ec_count
        for byte in [0] * i + [1] + [0] * (data_count - 1 - i):
            factor = byte ^ remainder[0]
            remainder = [*remainder[1:], 0]
            remainder = [
                r ^ _gf_multiply(factor, g) for r, g in zip(remainder, generator, strict=True)
            ]
        unit.append(remainder)
    # b·unit[i]: the division is linear over GF(256).
    table = _gf_products()[:, np.array(unit)].transpose(1, 0, 2)
    table.flags.writeable = False
    return table


@cache
def _gf_products() -> np.ndarray:
    """products[a, b] = a·b in GF(256)."""
    return np.array([[_gf_multiply(a, b) for b in range(256)] for a in range(256)], np.uint8)


def _gf_multiply(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
    return exp[(log[a] + log[b]) % 255]


@cache
def _interleaving(version: int, level: int) -> np.ndarray:
    """Where each codeword comes from in [data of all blocks, error correction of all
    blocks]: the blocks are read column by column (qrencoder.QRCode.createBytes)."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)
    data, ec, data_at, ec_at = [], [], 0, sum(b.dataCount for b in blocks)
    for block in blocks:
        data.append(range(data_at, data_at + block.dataCount))
        ec.append(range(ec_at, ec_at + block.totalCount - block.dataCount))
        data_at += block.dataCount
        ec_at += block.totalCount - block.dataCount
    order = [i for group in (data, ec) for column in zip_longest(*group) for i in column]
    return np.array([i for i in order if i is not None])


@dataclass(frozen=True)
class _Layout:
    """What every code of one version and level shares."""

    # Finders, timing and alignment patterns, format and version information light, as
    # the masks are scored (qrencoder.QRCode.getBestMaskPattern): 0xFF dark, 0 light.
    function_patterns: np.ndarray
    with_format: np.ndarray  # per mask: the function patterns with format/version info
    rows: np.ndarray  # the data modules in placement order
    cols: np.ndarray
    masks: np.ndarray  # per mask: its value at each data module
    mask_bits: np.ndarray  # the same, all 8 in a byte per data module: mask k in bit 7 - k


@cache
def _layout(version: int, level: int) -> _Layout:
    def patterns(test: bool, mask: int) -> np.ndarray:
        # The first half of qrencoder.QRCode.makeImpl: everything but the data.
        code = qrencoder.QRCode(version, level)
        size = code.moduleCount = version * 4 + 17
        code.modules = [[False] * size for _ in range(size)]
        code.setupPositionProbePattern(0, 0)
        code.setupPositionProbePattern(size - 7, 0)
        code.setupPositionProbePattern(0, size - 7)
        code.setupPositionAdjustPattern()
        code.setupTimingPattern()
        code.setupTypeInfo(test, mask)
        if version >= 7:
            code.setupTypeNumber(test)
        return np.array(code.modules, dtype=bool)

    code = qrencoder.QRCode(version, level)
    code.moduleCount = version * 4 + 17
    positions = np.array(code.dataPosIterator())  # (column, row) pairs
    cols, rows = positions[:, 0], positions[:, 1]
    masks = np.array([qrencoder.QRUtil.getMask(m)(rows, cols) for m in range(8)], dtype=bool)
    layout = _Layout(
        function_patterns=patterns(True, 0) * np.uint8(0xFF),
        with_format=np.array([patterns(False, m) for m in range(8)]),
        rows=rows,
        cols=cols,
        masks=masks,
        mask_bits=np.packbits(masks, axis=0)[0],
    )
    for array in vars(layout).values():
        array.flags.writeable = False
    return layout


_FINDER_LIKE = np.array([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], dtype=bool)


def _penalties(candidates: np.ndarray) -> np.ndarray:
    """qrencoder.QRUtil.getLostPoint of each code under each mask (codes × 8), at once.

    `candidates` holds a code's 8 masked versions in the bits of each module's byte, so
    "alike" is a bitwise XNOR and each rule is found for the 8 masks in one pass; the
    places found are then counted per mask bit (`_per_mask`)."""
    size = candidates.shape[1]
    found: list[tuple[np.ndarray, int]] = []  # (places, points for each)
    for axis in (1, 2):
        lines = np.moveaxis(candidates, axis, 2)  # runs along the last axis
        # Runs of 5 or more alike: length - 2 each = (windows of 5 inside it) + 2.
        same = ~(lines[..., 1:] ^ lines[..., :-1])
        five = same[..., :-3] & same[..., 1:-2] & same[..., 2:-1] & same[..., 3:]
        starts = five.copy()
        starts[..., 1:] &= ~same[..., : size - 5]
        found += [(five, 1), (starts, 2)]
    # 1:1:3:1:1 with 4 light after it, starting before the row's last 11 modules. In rows
    # only: reportlab's column pass compares tuples with a list and never finds one.
    span = size - len(_FINDER_LIKE)
    finder = np.full((len(candidates), size, span), 0xFF, dtype=np.uint8)
    for k, dark in enumerate(_FINDER_LIKE):
        part = candidates[..., k : k + span]
        finder &= part if dark else ~part
    found.append((finder, 40))
    # 2×2 blocks alike.
    corner = candidates[:, :-1, :-1]
    blocks = (
        ~(corner ^ candidates[:, 1:, :-1])
        & ~(corner ^ candidates[:, :-1, 1:])
        & ~(corner ^ candidates[:, 1:, 1:])
    )
    found.append((blocks, 3))
    score = _per_mask(found)
    # Dark share away from half.
    dark = _per_mask([(candidates, 1)])
    return score + 10 * (np.abs(100 * dark // (size * size) - 50) // 5)


_BIT_OF_BYTE = np.unpackbits(np.arange(256, dtype=np.uint8)[:, np.newaxis], axis=1).astype(int)


def _per_mask(found: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Σ points × (places with mask k's bit set), per code and mask (codes × 8): a
    histogram of byte values per code, then the bits of each value."""
    count = len(found[0][0])
    offsets = np.arange(count, dtype=np.int32)[:, np.newaxis] * 256  # 256 bins per code
    histogram = np.zeros((count, 256), dtype=int)
    for places, points in found:
        values = (places.reshape(count, -1) + offsets).ravel()
        histogram += points * np.bincount(values, minlength=count * 256).reshape(count, 256)
    return histogram @ _BIT_OF_BYTE
