"""Personal data in free-text answers, found and masked (pure functions, no database).

Clients are asked not to write personal data, and some do anyway: "Pani Kowalska
z okienka 3 była bardzo pomocna, mój tel. 600 123 456". Before anyone but the quality
coordinator reads a free-text answer, `mask` replaces what it recognises:

- PESEL: 11 digits whose checksum is valid (any other 11 digits are left alone);
- Polish ID-card numbers: 3 letters and 6 digits whose checksum is valid;
- e-mail addresses;
- Polish phone numbers: 9 digits, optionally after +48 / 0048, grouped by spaces or
  dashes, the area code optionally in parentheses;
- names after a title (Pan, Pani, Pana, Panu, Panią, Panem, Panie, any case): one or
  two capitalised words ("Pani Anna Kowalska" → "Pani [nazwisko]").

The placeholders are Polish, as the packs are. Masking is deliberately generous (a
9-digit REGON reads as a phone number): a masked fact costs little, a leaked one a lot.
It cannot recognise everything ("the tall lady at desk 3"), which is why the
coordinator reviews the texts and may mask more by hand (`mask_words`) before release.
"""

import re
from dataclasses import dataclass

PESEL = "[PESEL]"
ID_CARD = "[nr dowodu]"
EMAIL = "[e-mail]"
PHONE = "[telefon]"
NAME = "[nazwisko]"
WORDS = "[…]"

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# The ID card's check digit is the 4th character; weights of the other eight.
_ID_WEIGHTS = (7, 3, 1, 7, 3, 1, 7, 3)

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PESEL_RE = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")
_ID_CARD_RE = re.compile(r"(?<![^\W\d_])([A-Za-z]{3})[ ]?([0-9]{6})(?![0-9A-Za-z])")
_SEP = r"(?:[ ]?[-–.][ ]?|[ ])?"  # between digits: nothing, a space, a dash or a dot
_PHONE_RE = re.compile(
    r"(?<![0-9])"
    rf"(?:(?:\+|00)[ ]?48{_SEP}|\([ ]?(?:\+|00)?48[ ]?\){_SEP})?"  # +48, 0048, (+48), (48)
    rf"(?:\([1-9][0-9]\){_SEP}[0-9](?:{_SEP}[0-9]){{6}}"  # (22) 123 45 67
    rf"|[1-9](?:{_SEP}[0-9]){{8}})"  # 600 123 456, 600-123-456, 22 123 45 67, 600123456
    r"(?![0-9])"
)
# A capital letter: Latin (with the Polish and other Central European ones), Cyrillic.
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽА-ЯЁЄІЇҐ"
_NAME = rf"[{_UPPER}][\w'’-]*"
_TITLE_RE = re.compile(
    rf"(?<!\w)(?P<title>(?i:pan(?:a|u|em|ie|ią|i)?))(?!\w)(?P<space>\s+){_NAME}(?:\s+{_NAME})?"
)


def pesel_is_valid(digits: str) -> bool:
    """11 digits with a valid PESEL checksum (the date part is not checked)."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _PESEL_WEIGHTS, strict=False))
    return (10 - total % 10) % 10 == int(digits[10])


def id_card_is_valid(number: str) -> bool:
    """A Polish ID-card number (3 letters, 6 digits, any case, an optional space)."""
    text = number.replace(" ", "").upper()
    if len(text) != 9 or not text.isascii():
        return False
    letters, digits = text[:3], text[3:]
    if not (letters.isalpha() and digits.isdigit()):
        return False
    values = [ord(c) - ord("A") + 10 for c in letters] + [int(d) for d in digits[1:]]
    total = sum(v * w for v, w in zip(values, _ID_WEIGHTS, strict=True))
    return total % 10 == int(digits[0])


def _mask_pesel(match: re.Match) -> str:
    return PESEL if pesel_is_valid(match.group(0)) else match.group(0)


def _mask_id_card(match: re.Match) -> str:
    return ID_CARD if id_card_is_valid(match.group(1) + match.group(2)) else match.group(0)


def _mask_name(match: re.Match) -> str:
    # "Pani Anna Kowalska" → "Pani [nazwisko]": one or two capitalised words after the title.
    return f"{match['title']}{match['space']}{NAME}"


@dataclass(frozen=True)
class Finding:
    kind: str  # "pesel", "id_card", "email", "phone", "name"
    text: str


def _steps():
    return (
        ("email", _EMAIL_RE, lambda m: EMAIL),
        ("pesel", _PESEL_RE, _mask_pesel),
        ("id_card", _ID_CARD_RE, _mask_id_card),
        ("phone", _PHONE_RE, lambda m: PHONE),
        ("name", _TITLE_RE, _mask_name),
    )


def find(text: str) -> list[Finding]:
    """What `mask` would replace, in the order it masks (e-mails first: they hold digits)."""
    found: list[Finding] = []
    for kind, pattern, replace in _steps():
        for match in pattern.finditer(text):
            if replace(match) != match.group(0):
                found.append(Finding(kind, match.group(0)))
        text = pattern.sub(replace, text)
    return found


def mask(text: str) -> str:
    """The text with every recognised piece of personal data replaced by a placeholder.

    Idempotent: masking a masked text changes nothing.
    """
    for _kind, pattern, replace in _steps():
        text = pattern.sub(replace, text)
    return text


def has_personal_data(text: str) -> bool:
    return mask(text) != text


def split_words(raw: str) -> list[str]:
    """The coordinator's "words to mask": separated by commas, semicolons or new lines."""
    return [part.strip() for part in re.split(r"[,;\n]", raw) if part.strip()]


def missing_words(text: str, words: list[str]) -> list[str]:
    """The words (or phrases) that do not occur in `text` (case-insensitive)."""
    folded = text.casefold()
    return [word for word in words if word.casefold() not in folded]


def mask_words(text: str, words: list[str]) -> str:
    """Every occurrence of each word or phrase (case-insensitive) replaced by "[…]"."""
    for word in sorted(words, key=len, reverse=True):  # "Anna Kowalska" before "Anna"
        text = re.sub(re.escape(word), WORDS, text, flags=re.IGNORECASE)
    return text


def shown_text(original: str, override: str | None = None) -> str:
    """What anyone but the coordinator may read: the coordinator's version if there is
    one, else the original, always through `mask` (a hand-edited text is masked too)."""
    return mask(override if override is not None else original).strip()
