"""Authorisations and their status intervals, written directly the way the workflow's
services will write them: rows and the ``authorisation_changed`` signal in one transaction."""

from datetime import datetime, timedelta

import factory
from django.db import transaction
from django.utils import timezone

from accreditation.models import (
    HELD_TYPES,
    Application,
    ApplicationStatus,
    Authorisation,
    AuthorisationStatusInterval,
    ProgrammeProfile,
)
from accreditation.signals import authorisation_changed
from accreditation.tasks import outbox_relay_task
from stakeholders.models import Identifier, Stakeholder
from stakeholders.signals import stakeholder_changed
from tests.factories import StakeholderFactory


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeProfile
        django_get_or_create = ("code",)

    code = "EU_UCC"
    name = "EU Union Customs Code"


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    stakeholder = factory.SubFactory(StakeholderFactory)
    type = "AEOF"
    profile = factory.SubFactory(ProfileFactory)
    status = ApplicationStatus.GRANTED


class AuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorisation

    holder = factory.SubFactory(StakeholderFactory)
    type = "AEOF"
    number = factory.LazyAttributeSequence(lambda o, n: f"DE{o.type}{n + 1:07d}")
    application = factory.SubFactory(
        ApplicationFactory,
        stakeholder=factory.SelfAttribute("..holder"),
        type=factory.SelfAttribute("..type"),
    )
    profile = factory.SelfAttribute("application.profile")
    issuing_country = "DE"
    decided_at = factory.LazyFunction(timezone.now)
    effective_from = factory.LazyAttribute(lambda o: o.decided_at + timedelta(days=5))


class Workflow:
    """Stands in for the workflow's services: each action writes intervals and sends the
    signal inside a transaction; after commit the outbox work runs (eagerly, or by the relay
    when a broker is configured and no worker runs in the test)."""

    def __init__(self, capture) -> None:
        self._capture = capture

    def _commit(self, fn):
        with self._capture(execute=True), transaction.atomic():
            result = fn()
        outbox_relay_task()
        return result

    def grant(
        self,
        holder: Stakeholder,
        type: str = "AEOF",
        *,
        effective_from: datetime | None = None,
        close_monitoring_until=None,
        with_number: bool = True,
    ) -> Authorisation:
        def do():
            kwargs = {"holder": holder, "type": type}
            if effective_from is not None:
                kwargs["effective_from"] = effective_from
                kwargs["decided_at"] = effective_from - timedelta(days=5)
            auth = AuthorisationFactory(close_monitoring_until=close_monitoring_until, **kwargs)
            for held in HELD_TYPES[type]:
                AuthorisationStatusInterval.objects.create(
                    authorisation=auth, type=held, status="ACTIVE", valid_from=auth.effective_from
                )
            if with_number:
                Identifier.objects.create(
                    stakeholder=holder, type="AEO_NO", value=auth.number, issuing_country="DE"
                )
            authorisation_changed.send(
                sender=Authorisation, authorisation_id=auth.pk, holder_id=holder.pk,
                change="GRANTED",
            )  # fmt: skip
            return auth

        return self._commit(do)

    def _switch(self, auth: Authorisation, types, status: str, at: datetime, change: str):
        def do():
            for held in types:
                open_row = AuthorisationStatusInterval.objects.select_for_update().get(
                    authorisation=auth, type=held, valid_to__isnull=True
                )
                open_row.valid_to = at
                open_row.save(update_fields=["valid_to"])
                AuthorisationStatusInterval.objects.create(
                    authorisation=auth, type=held, status=status, valid_from=at
                )
            authorisation_changed.send(
                sender=Authorisation, authorisation_id=auth.pk, holder_id=auth.holder_id,
                change=change,
            )  # fmt: skip

        self._commit(do)

    def suspend(self, auth, types=None, at=None):
        self._switch(auth, types or HELD_TYPES[auth.type], "SUSPENDED", at or timezone.now(),
                     "SUSPENDED")  # fmt: skip

    def reinstate(self, auth, types=None, at=None):
        self._switch(auth, types or HELD_TYPES[auth.type], "ACTIVE", at or timezone.now(),
                     "REINSTATED")  # fmt: skip

    def revoke(self, auth, at=None):
        self._switch(auth, HELD_TYPES[auth.type], "REVOKED", at or timezone.now(), "REVOKED")

    def register(self, **kwargs) -> Stakeholder:
        """The registry's service registering a stakeholder."""

        def do():
            stakeholder = StakeholderFactory(**kwargs)
            stakeholder_changed.send(sender=Stakeholder, stakeholder_id=stakeholder.pk)
            return stakeholder

        return self._commit(do)

    def registry_change(self, stakeholder: Stakeholder, fn) -> None:
        """A registry service's edit of ``stakeholder`` (identifiers, roles, consent …)."""

        def do():
            fn(stakeholder)
            stakeholder_changed.send(sender=Stakeholder, stakeholder_id=stakeholder.pk)

        self._commit(do)
