"""Factories for every test module. Values are valid unless a test says otherwise."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from stakeholders.identifiers import IdentifierType
from stakeholders.models import Identifier, Membership, MembershipRole, Role, Stakeholder


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery-staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))


def _eori(n: int) -> str:
    return f"DE{100000000 + n}"


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"Operator {n} GmbH")
    country = "DE"
    address = factory.Sequence(lambda n: f"Hafenstrasse {n}")
    city = "Hamburg"
    postal_code = "20457"
    contact_email = factory.Sequence(lambda n: f"customs{n}@operator.example")
    consent_publish = True
    consent_mra = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for code in extracted if extracted is not None else ("E_VENDOR",):
            self.roles.add(Role.objects.get(code=code))

    @factory.post_generation
    def eori(self, create, extracted, **kwargs):
        if extracted is False:
            return
        Identifier.objects.create(
            stakeholder=self,
            type=IdentifierType.EORI,
            value=extracted or _eori(self.pk),
            issuing_country=self.country,
        )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    stakeholder = factory.SubFactory(StakeholderFactory)
    role = MembershipRole.OWNER


# --- accreditation ---------------------------------------------------------------------------


def _default_profile():
    from accreditation.services import profile_default

    return profile_default()


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application in any status, with the legal dates that status implies."""

    class Meta:
        model = "accreditation.Application"

    stakeholder = factory.SubFactory(StakeholderFactory)
    type = "AEOF"
    status = "DRAFT"
    profile = factory.LazyFunction(lambda: _default_profile())


class InfringementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accreditation.Infringement"

    stakeholder = factory.SubFactory(StakeholderFactory)
    date = factory.LazyFunction(datetime.date.today)
    severity = "SERIOUS"
    description = "Undervaluation of imported goods"
    source = "Case 2025/17"
