"""The default service-card survey (§4 of the regulation), in Polish and English.

Keys are stable: analysis compares years by them, so never reuse a key for a
question with a different meaning. A change here reaches only new installs (and the
demo): an installed version keeps the questions it was created with.
"""

from typing import Any

LIKERT = [
    ("5", "Bardzo dobrze", "Very good"),
    ("4", "Dobrze", "Good"),
    ("3", "Przeciętnie", "Average"),
    ("2", "Źle", "Poor"),
    ("1", "Bardzo źle", "Very poor"),
    ("na", "Nie dotyczy", "Not applicable"),
]
YES_NO = [("yes", "Tak", "Yes"), ("no", "Nie", "No")]
YES_PARTLY_NO = [("yes", "Tak", "Yes"), ("partly", "Częściowo", "Partly"), ("no", "Nie", "No")]
READ_CARD = ["web", "office", "staff"]  # answers meaning "the respondent read the card"

TITLE = ("Ankieta: karty usług Urzędu", "Survey: the office's service cards")
INTRO = (
    "Ankieta jest anonimowa i zajmie około 3 minut. Pomaga nam poprawiać karty usług – "
    "opisy tego, jak załatwić sprawę w urzędzie.",
    "The survey is anonymous and takes about 3 minutes. It helps us improve our service "
    "cards – the descriptions of how to settle a matter at the office.",
)

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "service",
        "kind": "service",
        "page": 1,
        "required": True,
        "pl": "W jakiej sprawie była Pani / był Pan w urzędzie?",
        "en": "What matter did you come to the office about?",
        "help_pl": "Wybierz usługę z katalogu; listę można zawęzić, wpisując fragment nazwy.",
        "help_en": "Pick the service from the catalogue; typing part of a name narrows the list.",
    },
    {
        "key": "card_read",
        "kind": "single",
        "page": 1,
        "required": True,
        "pl": "Czy przed załatwieniem sprawy zapoznał(a) się Pan/Pani z kartą usługi?",
        "en": "Did you read the service card before settling the matter?",
        "choices": [
            ("web", "Tak, na stronie internetowej / w BIP", "Yes, on the website / BIP"),
            (
                "office",
                "Tak, w urzędzie (wydruk, tablica)",
                "Yes, at the office (print-out, notice board)",
            ),
            ("staff", "Tak, przekazał ją pracownik", "Yes, a member of staff gave it to me"),
            ("no", "Nie", "No"),
        ],
    },
    {
        "key": "card_useful",
        "kind": "yes_no",
        "page": 1,
        "required": True,
        "show_if": ("card_read", READ_CARD),
        "pl": "Czy karta usługi była przydatna?",
        "en": "Was the service card useful?",
        "choices": YES_NO,
    },
    {
        "key": "card_clear",
        "kind": "yes_no",
        "page": 1,
        "required": True,
        "show_if": ("card_read", READ_CARD),
        "pl": "Czy karta usługi była zrozumiała?",
        "en": "Was the service card easy to understand?",
        "choices": YES_NO,
    },
    {
        "key": "card_complete",
        "kind": "yes_no",
        "page": 1,
        "required": True,
        "show_if": ("card_read", READ_CARD),
        "pl": "Czy karta zawierała wszystkie potrzebne informacje?",
        "en": "Did the card contain everything you needed?",
        "choices": YES_NO,
    },
    {
        "key": "card_missing",
        "kind": "multiple",
        "page": 1,
        "show_if": ("card_complete", ["no"]),
        "pl": "Czego zabrakło w karcie?",
        "en": "What was missing from the card?",
        "choices": [
            ("documents", "Wymaganych dokumentów", "Required documents"),
            ("fees", "Opłat", "Fees"),
            ("time_limit", "Terminu załatwienia sprawy", "Time limit"),
            ("where", "Miejsca złożenia dokumentów", "Where to apply"),
            ("appeal", "Trybu odwoławczego", "Appeal route"),
            ("sample_form", "Wzoru wypełnionego formularza", "A filled-in sample form"),
            ("other", "Innych informacji", "Other information"),
        ],
    },
    {
        "key": "card_missing_text",
        "kind": "text",
        "page": 1,
        "max_length": 1000,
        "show_if": ("card_complete", ["no"]),
        "pl": "Jakich ważnych informacji brakowało?",
        "en": "What important information was missing?",
    },
    {
        "key": "settled",
        "kind": "single",
        "page": 2,
        "required": True,
        "pl": "Czy sprawa została załatwiona podczas tej wizyty?",
        "en": "Was your matter settled during this visit?",
        "choices": YES_PARTLY_NO,
    },
    {
        "key": "staff_competence",
        "kind": "likert",
        "page": 2,
        "required": True,
        "pl": "Jak ocenia Pan/Pani kompetencje pracownika?",
        "en": "How would you rate the staff member's competence?",
        "choices": LIKERT,
    },
    {
        "key": "staff_courtesy",
        "kind": "likert",
        "page": 2,
        "required": True,
        "pl": "Jak ocenia Pan/Pani uprzejmość pracownika?",
        "en": "How would you rate the staff member's courtesy?",
        "choices": LIKERT,
    },
    {
        "key": "plain_language",
        "kind": "likert",
        "page": 2,
        "required": True,
        # A rating, like its neighbours: "was it…?" asked for yes/no, not very good…very poor.
        "pl": "Jak ocenia Pan/Pani zrozumiałość języka, w którym przekazano informacje?",
        "en": "How would you rate the clarity of the language the information was given in?",
        "choices": LIKERT,
    },
    {
        "key": "waiting_time",
        "kind": "likert",
        "page": 2,
        "required": True,
        "pl": "Jak ocenia Pan/Pani czas oczekiwania na obsługę?",
        "en": "How would you rate the waiting time?",
        "choices": LIKERT,
    },
    {
        "key": "comments",
        "kind": "text",
        "page": 2,
        "max_length": 2000,
        "pl": "Uwagi i propozycje dotyczące obsługi w urzędzie",
        "en": "Comments and suggestions about the service at the office",
    },
]
