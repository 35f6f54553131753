"""Load the fictional demo office: org chart, ~80 service cards, one user per role.

Safe to run again: everything is matched on its code / username and updated in
place, and revisions are published only for cards that have none.
"""

import datetime

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from qms.demo_data import CARDS, OFFICE, UNITS
from qms.models import Office, OrgUnit, ServiceCard, ServiceCardRevision, User
from qms.roles import Role
from qms.services import service_card_publish_revision

DEMO_PASSWORD = "demo"  # noqa: S105 - demo only; printed by `make run`

# (username, first name, last name, role, unit code it heads/deputises/works in)
PEOPLE = [
    ("koordynator", "Anna", "Kowalska", Role.COORDINATOR, None),
    ("audytor", "Jan", "Wiśniewski", Role.AUDITOR, None),
    ("kierownik.so", "Katarzyna", "Nowak", Role.HEAD, "SO"),
    ("zastepca.so", "Piotr", "Zieliński", Role.HEAD, "SO"),
    ("kierownik.usc", "Magdalena", "Wójcik", Role.HEAD, "USC"),
    ("kierownik.kom", "Tomasz", "Kamiński", Role.HEAD, "KOM"),
    ("kierownik.po", "Agnieszka", "Lewandowska", Role.HEAD, "PO"),
    ("kierownik.fn", "Marek", "Dąbrowski", Role.HEAD, "FN"),
    ("kierownik.ab", "Ewa", "Kozłowska", Role.HEAD, "AB"),
    ("kierownik.gk", "Paweł", "Jankowski", Role.HEAD, "GK"),
    ("kierownik.gn", "Barbara", "Mazur", Role.HEAD, "GN"),
    ("kierownik.os", "Krzysztof", "Kwiatkowski", Role.HEAD, "OS"),
    ("kierownik.dg", "Joanna", "Krawczyk", Role.HEAD, "DG"),
    ("kierownik.bok", "Michał", "Piotrowski", Role.HEAD, "BOK"),
    ("stanowisko.dm", "Monika", "Grabowska", Role.HEAD, "DM"),
    ("pracownik.bok", "Aleksandra", "Pawłowska", Role.STAFF, "BOK"),
    ("pracownik.so", "Łukasz", "Michalski", Role.STAFF, "SO"),
    ("pracownik.kom", "Natalia", "Nowicka", Role.STAFF, "KOM"),
]
DEPUTIES = {"SO": "zastepca.so"}
# (code, name, unit): where clients are served — QR sheets, kiosks and paper boxes.
DESKS = [
    ("BOK-1", "Biuro Obsługi Klienta – stanowisko 1", "BOK"),
    ("BOK-2", "Biuro Obsługi Klienta – stanowisko 2", "BOK"),
    ("BOK-URNA", "Urna na ankiety papierowe w holu", "BOK"),
    ("SO-1", "Dowody osobiste i meldunki", "SO"),
    ("USC-1", "Urząd Stanu Cywilnego – sala obsługi", "USC"),
    ("KOM-1", "Rejestracja pojazdów", "KOM"),
    ("FN-KASA", "Kasa", "FN"),
]
# Revision 1 of cards with history, then the current text.
FIRST_PUBLISHED = datetime.date(2024, 3, 1)
REVISED = datetime.date(2025, 10, 15)


class Command(BaseCommand):
    help = "Load (or refresh) the demo office. Demo only: users get a known password."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the three years of generated survey responses and review cycles.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        office = Office.current() or Office()
        for field, value in OFFICE.items():
            setattr(office, field, value)
        office.save()

        units = self._load_units()
        users = self._load_people(units)
        for unit_code, username in DEPUTIES.items():
            OrgUnit.objects.filter(code=unit_code).update(deputy=users[username])
        created_cards = self._load_cards(units)
        # Imported here: qms must not depend on surveys at import time.
        from surveys.services import questionnaire_install_default

        questionnaire_install_default()
        desks = self._load_desks(units)
        from workflows import demo

        demo.load()
        from review import demo as review_demo

        cycles = 0 if options["no_history"] else review_demo.load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo office ready: {len(units)} units, "
                f"{ServiceCard.objects.count()} service cards ({created_cards} new), "
                f"{len(users) + 1} users, {desks} desks, {cycles} new review cycles."
            )
        )

    def _load_units(self) -> dict[str, OrgUnit]:
        units: dict[str, OrgUnit] = {}
        for row in UNITS:  # parents are listed before their children
            units[row["code"]], _ = OrgUnit.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name_pl": row["name_pl"],
                    "name_en": row["name_en"],
                    "kind": row["kind"],
                    "parent": units[row["parent"]] if row["parent"] else None,
                },
            )
        return units

    def _load_people(self, units: dict[str, OrgUnit]) -> dict[str, User]:
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"first_name": "Administrator"}
        )
        admin.is_superuser = admin.is_staff = True
        admin.set_password(DEMO_PASSWORD)
        admin.save()

        users = {}
        for username, first, last, role, unit_code in PEOPLE:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@przykladowo.example",
                    "unit": units[unit_code] if unit_code else None,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[username] = user
            if role == Role.HEAD and username not in DEPUTIES.values():
                OrgUnit.objects.filter(code=unit_code).update(head=user)
        return users

    def _load_desks(self, units: dict[str, OrgUnit]) -> int:
        from surveys.models import Desk

        for code, name, unit_code in DESKS:
            Desk.objects.update_or_create(
                code=code, defaults={"name": name, "unit": units[unit_code]}
            )
        return len(DESKS)

    def _load_cards(self, units: dict[str, OrgUnit]) -> int:
        created_count = 0
        for row in CARDS:
            card, _ = ServiceCard.objects.update_or_create(
                code=row["code"],
                defaults={
                    "title_pl": row["title_pl"],
                    "title_en": row["title_en"],
                    "unit": units[row["unit"]],
                },
            )
            if card.revisions.exists():
                continue
            created_count += 1
            content = {field: row[field] for field in ServiceCardRevision.CONTENT_FIELDS}
            previous = row.get("previous")
            if previous:
                older = {**content, **{k: v for k, v in previous.items() if k != "change_note"}}
                service_card_publish_revision(
                    card=card,
                    published_by=None,
                    published_on=FIRST_PUBLISHED,
                    change_note="Pierwsza publikacja karty.",
                    **older,
                )
                service_card_publish_revision(
                    card=card,
                    published_by=None,
                    published_on=REVISED,
                    change_note=previous["change_note"],
                    **content,
                )
            else:
                service_card_publish_revision(
                    card=card,
                    published_by=None,
                    published_on=FIRST_PUBLISHED,
                    change_note="Pierwsza publikacja karty.",
                    **content,
                )
        return created_count
