import datetime

import factory
from django.contrib.auth.models import Group

from qms.models import OrgUnit, ServiceCard, ServiceCardRevision, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="pl_PL")
    last_name = factory.Faker("last_name", locale="pl_PL")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("password")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n}")
    name_pl = factory.Sequence(lambda n: f"Wydział Testowy {n}")
    name_en = factory.Sequence(lambda n: f"Test Department {n}")
    kind = OrgUnit.Kind.DEPARTMENT


class ServiceCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCard

    code = factory.Sequence(lambda n: f"K-{n:03d}")
    title_pl = factory.Sequence(lambda n: f"Usługa testowa {n}")
    title_en = factory.Sequence(lambda n: f"Test service {n}")
    unit = factory.SubFactory(OrgUnitFactory)


class ServiceCardRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCardRevision

    card = factory.SubFactory(ServiceCardFactory)
    number = factory.Sequence(lambda n: n + 1)
    required_documents = "Wniosek"
    fees = "Bezpłatnie"
    time_limit = "do 30 dni"
    where_to_apply = "Biuro Obsługi Klienta"
    legal_basis = "Ustawa testowa"
    appeal_route = "Nie przysługuje"
    published_on = datetime.date(2025, 1, 1)
