"""Polish first, English complete; viewflow's own strings translated into Polish."""

from pathlib import Path

import pytest
import viewflow
from babel.messages.pofile import read_po
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def catalog(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def untranslated(cat):
    missing = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(message.id)
    return missing


@pytest.mark.parametrize(
    "path", ["locale/pl/LC_MESSAGES/django.po", "locale_vendor/pl/LC_MESSAGES/django.po"]
)
def test_polish_catalogues_are_complete(path):
    assert untranslated(catalog(ROOT / path)) == []


def test_every_viewflow_string_has_a_polish_translation():
    reference = catalog(Path(viewflow.__file__).parent / "locale/de/LC_MESSAGES/django.po")
    ours = catalog(ROOT / "locale_vendor/pl/LC_MESSAGES/django.po")
    ours_ids = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in ours}
    for message in reference:
        key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
        if message.id:
            assert key in ours_ids, key


def test_english_catalogue_has_no_fuzzy_entries():
    assert not [m.id for m in catalog(ROOT / "locale/en/LC_MESSAGES/django.po") if m.fuzzy and m.id]


@pytest.mark.parametrize(
    ("text", "polish"),
    [("Log out", "Wyloguj się"), ("Service catalogue", "Katalog usług"), ("Log in", "Zaloguj się")],
)
def test_runtime_translation(text, polish):
    with translation.override("pl"):
        assert translation.gettext(text) == polish
    with translation.override("en"):
        assert translation.gettext(text) == text
