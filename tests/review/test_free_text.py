"""Free text in the results packs: pooled per unit, masked, shuffled, only once released;
the coordinator's review screen (mask by hand, release), and who may use it."""

import base64
import datetime
import io
import re
import zlib

import openpyxl
import pandas as pd
import pytest
from django.utils import timezone

from qms.models import AuditEntry
from review import packs, services
from review.models import FreeTextMask, Pack
from surveys import privacy
from surveys.models import Answer, Channel, Response
from tests.factories import ServiceCardFactory, ServiceCardRevisionFactory
from tests.review.conftest import YEAR

pytestmark = pytest.mark.django_db

MAY = datetime.date(YEAR, 5, 10)
AFTER_THE_PERIOD = datetime.date(YEAR, 8, 1)
PESEL = "44051401458"  # a valid checksum


# --- reading the files ------------------------------------------------------------------


def _stream(body: bytes) -> bytes:
    head, _, rest = body.partition(b"stream")
    raw = rest.rsplit(b"endstream", 1)[0].strip(b"\r\n")
    if b"ASCII85Decode" in head:
        raw = base64.a85decode(raw.strip(), adobe=True)
    if b"FlateDecode" in head:
        raw = zlib.decompress(raw)
    return raw


def _unescape(literal: bytes) -> bytes:
    def one(match: re.Match) -> bytes:
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def pdf_text(data: bytes) -> str:
    """The text of a reportlab PDF as a reader sees it: page streams decoded (ASCII85,
    Flate), each font's codes mapped through its ToUnicode table. Enough to prove what a
    file does and does not say; a string split by a line break is found without spaces."""
    objects = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, flags=re.S)
    }
    maps: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        font = re.search(rb"/Name /(\S+).*?/ToUnicode (\d+) 0 R", body, flags=re.S)
        if font and b"/Type /Font" in body:
            cmap = _stream(objects[int(font.group(2))])
            maps[font.group(1)] = {
                int(code, 16): chr(int(char, 16))
                for code, char in re.findall(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap)
            }
    lines = []
    for body in objects.values():
        if b"stream" not in body or b"/Length1" in body or b"/Subtype /Image" in body:
            continue
        content = _stream(body)
        if content.startswith(b"/CIDInit"):
            continue
        current: dict[int, str] | None = None
        for token in re.finditer(
            rb"/([^\s/\[\]()<>]+)\s+[-\d.]+\s+Tf|\(((?:\\.|[^\\()])*)\)", content, flags=re.S
        ):
            if token.group(1) is not None:
                current = maps.get(token.group(1))
                continue
            raw = _unescape(token.group(2))
            lines.append(
                "".join(current.get(b, "") for b in raw) if current else raw.decode("latin-1")
            )
    return "\n".join(lines)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def xlsx_sheet(data: bytes, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(data))[name].iter_rows(values_only=True))


# --- the data ---------------------------------------------------------------------------


@pytest.fixture
def card_a2(unit_a):
    card = ServiceCardFactory(code="A-02", unit=unit_a, title_pl="Zezwolenie")
    ServiceCardRevisionFactory(card=card, number=1)
    return card


def respond(cycle, card, texts, *, missing="fees"):
    """One response about `card` per text: useful, what was missing, and the comment."""
    version = cycle.version
    comments = version.questions.get(key="comments")
    useful = version.questions.get(key="card_useful")
    missing_question = version.questions.get(key="card_missing")
    choice = missing_question.choices.get(value=missing)
    made = []
    for text in texts:
        response = Response.objects.create(
            version=version, channel=Channel.WEB, submitted_on=MAY, service_card=card
        )
        Answer.objects.create(response=response, question=comments, text=text)
        Answer.objects.create(response=response, question=missing_question, choice=choice)
        Answer.objects.create(
            response=response, question=useful, choice=useful.choices.get(value="yes")
        )
        made.append(response)
    return made


def release(cycle, coordinator):
    assert services.free_text_release(cycle=cycle, user=coordinator, today=AFTER_THE_PERIOD)
    cycle.refresh_from_db()


TEXTS_A1 = [f"Uwaga numer {i} o pierwszej usłudze" for i in range(4)]
TEXTS_A2 = [
    f"Pani Kowalska pomogła, mój PESEL {PESEL}",
    "Dzwońcie: 600 123 456",
    *(f"Uwaga numer {i} o drugiej usłudze" for i in range(4)),
]


@pytest.fixture
def six_on_a2(cycle, card_a2):
    """Card A-02 has 6 responses: too few on its own; unit A has nothing else."""
    return respond(cycle, card_a2, TEXTS_A2)


@pytest.fixture
def ten_in_unit_a(cycle, card_a, card_a2):
    """4 responses about A-01 and 6 about A-02: ten writers in unit A together."""
    return respond(cycle, card_a, TEXTS_A1) + respond(cycle, card_a2, TEXTS_A2)


# --- the pool (pure) ----------------------------------------------------------------------


def pool_frame(n: int, *, text="Tekst {i}") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "answer": range(100, 100 + n),
            "response": range(n),
            "text": [text.format(i=i) for i in range(n)],
            "override": [None] * n,
            "withheld": [False] * n,
        }
    )


def test_a_pool_below_the_minimum_shows_nothing():
    texts, state = packs.free_text_pool(pool_frame(9), seed="s")
    assert state == packs.TEXTS_TOO_FEW and texts.empty
    texts, state = packs.free_text_pool(pool_frame(0), seed="s")
    assert state == packs.TEXTS_NONE


def test_a_pool_is_masked_and_never_in_the_order_of_submission():
    frame = pool_frame(12, text="Tekst {i}, tel. 600 123 456")
    frame.loc[0, "text"] = f"PESEL {PESEL}"
    texts, state = packs.free_text_pool(frame, seed="seed-1")
    assert state == packs.TEXTS_SHOWN and list(texts.columns) == ["text"]
    assert len(texts) == 12
    assert "PESEL [PESEL]" in set(texts["text"])
    assert not texts["text"].str.contains("600").any()
    assert list(texts["text"]) != [privacy.mask(t) for t in frame["text"]]
    again, _state = packs.free_text_pool(frame.sample(frac=1, random_state=3), seed="seed-1")
    assert list(again["text"]) == list(texts["text"])  # the same order on every rebuild
    other, _state = packs.free_text_pool(frame, seed="seed-2")
    assert list(other["text"]) != list(texts["text"])


def test_withheld_answers_leave_the_pool_and_hand_masks_are_used_and_masked_again():
    frame = pool_frame(11)
    frame.loc[0, "withheld"] = True
    frame.loc[1, "override"] = f"Poprawione przez koordynatora, {PESEL}"
    texts, state = packs.free_text_pool(frame, seed="s")
    assert state == packs.TEXTS_SHOWN
    assert "Tekst 0" not in set(texts["text"]) and "Tekst 1" not in set(texts["text"])
    assert "Poprawione przez koordynatora, [PESEL]" in set(texts["text"])
    frame.loc[2, "withheld"] = True  # now ten texts, but from nine respondents
    _texts, state = packs.free_text_pool(frame, seed="s")
    assert state == packs.TEXTS_TOO_FEW


def test_the_pool_counts_respondents_not_answers():
    frame = pool_frame(10)
    frame["response"] = [i // 2 for i in range(10)]  # five people, two answers each
    _texts, state = packs.free_text_pool(frame, seed="s")
    assert state == packs.TEXTS_TOO_FEW


# --- the unit's pack ----------------------------------------------------------------------


def test_a_card_with_six_answers_shows_no_counts_or_texts_in_the_unit_pack(
    cycle, six_on_a2, unit_a, coordinator
):
    release(cycle, coordinator)
    services.store_indicators(cycle, services.compute_indicators(cycle))
    pdf, xlsx = packs.unit_pack(cycle, unit_a)
    text, workbook = pdf_text(pdf), xlsx_text(xlsx)
    assert "Wydział A" in text  # the reader works
    for written in TEXTS_A2:
        assert squeezed(written) not in squeezed(text)
        assert written not in workbook
    assert "mniej niż 10 respondentów" in text.replace("\n", " ")
    missing = xlsx_sheet(xlsx, "Czego brakowało")
    assert missing[1:] == []  # A-02's six "fees" are not counted anywhere
    indicators = xlsx_sheet(xlsx, "Wskaźniki")
    counts = {row[4] for row in indicators[1:] if row[0] == "A-02"}
    assert counts == {"mniej niż 10"}  # no sample size either
    channels = xlsx_sheet(xlsx, "Kanały i miesiące")
    assert {row[-1] for row in channels[1:]} == {"mniej niż 10"}


def test_before_the_release_the_pack_says_so_and_shows_no_text(cycle, ten_in_unit_a, unit_a):
    pdf, xlsx = packs.unit_pack(cycle, unit_a)
    text = pdf_text(pdf)
    for written in TEXTS_A1 + TEXTS_A2:
        assert squeezed(written) not in squeezed(text)
    assert "nie udostępnił" in text.replace("\n", " ")
    sheet = xlsx_sheet(xlsx, "Uwagi klientów")
    assert len(sheet) == 2 and "nie udostępnił" in sheet[1][0]


def test_after_the_release_the_unit_pool_is_shown_masked_and_shuffled(
    cycle, ten_in_unit_a, unit_a, coordinator
):
    release(cycle, coordinator)
    pdf, xlsx = packs.unit_pack(cycle, unit_a)
    sheet = [row[0] for row in xlsx_sheet(xlsx, "Uwagi klientów")[1:]]
    submitted = [privacy.mask(t) for t in TEXTS_A1 + TEXTS_A2]
    assert sorted(sheet) == sorted(submitted)
    assert sheet != submitted  # not in the order the clients answered
    assert "Pani [nazwisko] pomogła, mój PESEL [PESEL]" in sheet
    assert "Dzwońcie: [telefon]" in sheet
    text = squeezed(pdf_text(pdf))
    assert squeezed("Pani [nazwisko] pomogła, mój PESEL [PESEL]") in text
    assert "A-0" not in str(xlsx_sheet(xlsx, "Uwagi klientów"))  # no card with the texts …
    about = dict(xlsx_sheet(xlsx, "Informacje")[1:])
    assert "losowej kolejności" in about["Uwagi klientów"]  # … and say how they are shown


def test_a_pesel_in_a_comment_never_appears_in_any_pack_file(
    cycle, ten_in_unit_a, unit_a, coordinator
):
    def files():
        yield from packs.unit_pack(cycle, unit_a)
        yield from packs.management_pack(cycle)

    def check():
        for data in files():
            text = pdf_text(data) if data.startswith(b"%PDF") else xlsx_text(data)
            assert PESEL not in squeezed(text)
            assert "Kowalska" not in text and "600 123 456" not in text

    check()
    release(cycle, coordinator)
    check()
    management = xlsx_sheet(packs.management_pack(cycle)[1], "Uwagi klientów")
    assert "Pani [nazwisko] pomogła, mój PESEL [PESEL]" in {row[0] for row in management}


def test_a_formula_typed_as_a_comment_stays_inert(cycle, card_a, unit_a, coordinator):
    respond(cycle, card_a, ['=HYPERLINK("http://zly.example")', *(f"ok {i}" for i in range(9))])
    release(cycle, coordinator)
    _pdf, xlsx = packs.unit_pack(cycle, unit_a)
    sheet = [row[0] for row in xlsx_sheet(xlsx, "Uwagi klientów")[1:]]
    assert '\'=HYPERLINK("http://zly.example")' in sheet


# --- the release and rebuilding packs already built -------------------------------------


def test_packs_built_before_the_release_are_rebuilt_once_after_it(
    cycle, ten_in_unit_a, unit_a, unit_b, coordinator, head_a
):
    assert packs.pack_store(cycle=cycle, unit=unit_a) == 1
    pack = Pack.objects.get(cycle=cycle, unit=unit_a)
    Pack.objects.filter(pk=pack.pk).update(acknowledged_at=timezone.now(), acknowledged_by=head_a)
    assert pack.free_text_included_at is None
    before = pack.xlsx.name
    assert services.packs_add_free_text() == []  # not released: nothing to do

    release(cycle, coordinator)
    assert services.packs_add_free_text() == [f"{YEAR}:free_text:A"]
    assert services.packs_add_free_text() == []  # once
    pack.refresh_from_db()
    assert pack.free_text_included_at is not None and pack.acknowledged_by == head_a
    assert pack.xlsx.name == before  # rebuilt in place, under its stable name
    sheet = [row[0] for row in xlsx_sheet(pack.xlsx.read(), "Uwagi klientów")[1:]]
    assert "Dzwońcie: [telefon]" in sheet

    # Built after the release: with the texts at once, nothing to rebuild.
    assert packs.pack_store(cycle=cycle, unit=unit_b) == 1
    assert Pack.objects.get(cycle=cycle, unit=unit_b).free_text_included_at is not None
    assert services.packs_add_free_text() == []


def test_the_sweep_adds_released_free_text_to_the_packs(cycle, ten_in_unit_a, unit_a, coordinator):
    packs.pack_store(cycle=cycle, unit=unit_a)
    release(cycle, coordinator)
    ran = services.advance(today=datetime.date(YEAR, 3, 1), cycle=cycle)
    assert f"{YEAR}:free_text:A" in ran


def test_a_mask_after_the_release_rebuilds_the_packs_that_show_the_answer(
    cycle, ten_in_unit_a, unit_a, unit_b, coordinator
):
    release(cycle, coordinator)
    for unit in (unit_a, unit_b, None):
        packs.pack_store(cycle=cycle, unit=unit)
    answer = Answer.objects.get(text=TEXTS_A1[0])
    services.free_text_mask(
        cycle=cycle, answer=answer, user=coordinator, text=TEXTS_A1[0], words="numer 0"
    )
    waiting = set(Pack.objects.filter(free_text_included_at__isnull=True).values_list("unit__code"))
    assert waiting == {("A",), (None,)}  # its unit's pack and the management review
    services.packs_add_free_text()
    sheet = xlsx_sheet(Pack.objects.get(unit=unit_a).xlsx.read(), "Uwagi klientów")
    assert "Uwaga […] o pierwszej usłudze" in {row[0] for row in sheet}


def test_the_release_waits_for_the_end_of_the_survey_period(cycle, coordinator, head_a, auditor):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.free_text_release(cycle=cycle, user=coordinator, today=cycle.survey_closes_on)
    for user in (head_a, auditor):
        with pytest.raises(PermissionDenied):
            services.free_text_release(cycle=cycle, user=user, today=AFTER_THE_PERIOD)
    assert services.free_text_release(cycle=cycle, user=coordinator, today=AFTER_THE_PERIOD)
    assert not services.free_text_release(cycle=cycle, user=coordinator, today=AFTER_THE_PERIOD)


# --- the coordinator's screen ----------------------------------------------------------------

LIST = f"/review/cycles/{YEAR}/free-text/"
RELEASE = f"/review/cycles/{YEAR}/free-text/release/"


def mask_url(answer) -> str:
    return f"/review/cycles/{YEAR}/free-text/{answer.pk}/"


def test_only_the_coordinator_may_use_the_free_text_screen(cast, client_for, cycle, six_on_a2):
    answer = Answer.objects.filter(question__key="comments").first()
    expected = {"coordinator": 200, "auditor": 403, "head_a": 403, "head_b": 403, "staff": 403}
    for who, status in expected.items():
        client = client_for(cast[who])
        assert client.get(LIST).status_code == status, who
        assert client.get(mask_url(answer)).status_code == status, who
        if who != "coordinator":
            assert client.post(mask_url(answer), {f"a{answer.pk}-text": "x"}).status_code == 403
            assert client.post(RELEASE).status_code == 403, who
    assert client_for(None).get(LIST).status_code == 302  # to the login page
    assert not FreeTextMask.objects.exists()
    cycle.refresh_from_db()
    assert cycle.free_text_released_at is None
    assert (
        client_for(cast["coordinator"]).get(f"/review/cycles/{YEAR + 5}/free-text/").status_code
        == 404
    )


def test_the_list_shows_original_and_masked_text_and_is_audited(
    client_for, coordinator, cycle, six_on_a2
):
    page = client_for(coordinator).get(LIST + "?found=1").content.decode()
    assert page.count("data-answer=") == 2  # the two with personal data
    assert PESEL in page and "Pani [nazwisko] pomogła, mój PESEL [PESEL]" in page
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.FREE_TEXT_REVIEW and entry.rows == 2
    assert entry.params == {"year": YEAR, "found": "1"} and entry.route == LIST


def test_a_manual_mask_is_stored_audited_and_shown(client_for, coordinator, cycle, six_on_a2):
    answer = Answer.objects.get(text=TEXTS_A2[2])
    client = client_for(coordinator)
    response = client.post(
        mask_url(answer),
        {
            f"a{answer.pk}-text": "Uwaga numer 0 do karty",
            f"a{answer.pk}-words": "numer 0",
            "page": "1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"?page=1#answer-{answer.pk}"
    )
    mask = FreeTextMask.objects.get(answer=answer)
    assert mask.text == "Uwaga […] do karty" and mask.masked_by == coordinator
    assert Answer.objects.get(pk=answer.pk).text == TEXTS_A2[2]  # the original stays
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.FREE_TEXT_MASK, params={"year": YEAR, "answer": answer.pk}
    ).exists()
    assert "Uwaga […] do karty" in client.get(LIST).content.decode()


def test_bad_mask_input_keeps_what_was_typed_and_stores_nothing(
    client_for, coordinator, cycle, six_on_a2
):
    answer = Answer.objects.get(text=TEXTS_A2[2])
    client = client_for(coordinator)
    typed = "Mój starannie poprawiony tekst"
    response = client.post(
        mask_url(answer), {f"a{answer.pk}-text": typed, f"a{answer.pk}-words": "Basia"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert typed in page and "Basia" in page and "Nie ma w tekście" in page
    empty = client.post(mask_url(answer), {f"a{answer.pk}-text": "  "})
    assert empty.status_code == 422 and "wstrzymaj" in empty.content.decode()
    assert not FreeTextMask.objects.exists()
    withheld = client.post(
        mask_url(answer), {f"a{answer.pk}-text": "", f"a{answer.pk}-withheld": "on"}
    )
    assert withheld.status_code == 302 and FreeTextMask.objects.get().withheld


def test_the_release_from_the_screen(client_for, coordinator, cycle, six_on_a2, time_machine):
    time_machine.move_to(datetime.datetime(YEAR, 7, 1, 9, tzinfo=datetime.UTC))
    early = client_for(coordinator).post(RELEASE, follow=True)
    assert "po zakończeniu okresu badania" in early.content.decode()
    cycle.refresh_from_db()
    assert cycle.free_text_released_at is None
    time_machine.move_to(datetime.datetime(YEAR, 8, 2, 9, tzinfo=datetime.UTC))
    client = client_for(coordinator)  # a new session: a month passed
    assert client.post(RELEASE).status_code == 302
    cycle.refresh_from_db()
    assert cycle.free_text_released_by == coordinator
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FREE_TEXT_RELEASE)
    assert entry.rows == 6 and entry.params == {"year": YEAR}
    assert client.post(RELEASE).status_code == 302  # again: nothing more happens
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FREE_TEXT_RELEASE).count() == 1
    assert "data-released" in client.get(LIST).content.decode()


def test_remeasurement_evidence_never_shows_a_small_groups_count():
    """The item's evidence is read by the unit's head: a suppressed indicator says only
    that it is below the minimum group, not how many answered."""
    from django.utils import translation

    from review.models import Cycle, Indicator, Remeasurement
    from review.services import remeasurement_evidence

    before = Indicator(cycle=Cycle(year=2025), value=0.5, low=0.4, high=0.6, n=60)
    after = Indicator(value=None, n=6)
    item = Remeasurement(cycle=Cycle(year=2026), before=before, after=after, target=0.8)
    with translation.override("pl"):
        text = remeasurement_evidence(item)
    assert "mniej niż 10 odpowiedzi" in text
    assert "6" not in text.split("po (2026)")[-1]
