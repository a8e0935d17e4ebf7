"""The demo world plays real applications through the services, once."""

import pytest
from django.core.management import call_command

from accreditation.audit import audit_verify_chain
from accreditation.demo import SCENARIOS
from accreditation.models import Application, Authorisation, AuthorisationStatus
from stakeholders.demo import seed_registry

pytestmark = pytest.mark.django_db


def test_seed_demo_plays_every_scenario_through_the_workflow_once(capsys):
    call_command("seed_demo")
    statuses = {
        (a.stakeholder.legal_name, a.type): a.status
        for a in Application.objects.select_related("stakeholder")
    }
    assert len(statuses) == len(SCENARIOS)
    assert sorted(statuses.values()) == sorted(s.outcome for s in SCENARIOS)
    assert Authorisation.objects.count() == sum(s.outcome == "GRANTED" for s in SCENARIOS)

    world = seed_registry()
    suspended = Authorisation.objects.get(holder=world.stakeholders["fc-de"])
    open_rows = {i.type: i.status for i in suspended.intervals.filter(valid_to__isnull=True)}
    assert open_rows == {"AEOC": AuthorisationStatus.ACTIVE, "AEOS": AuthorisationStatus.SUSPENDED}
    revoked = Authorisation.objects.get(holder=world.stakeholders["brk-nl"])
    assert revoked.intervals.get(valid_to__isnull=True).status == AuthorisationStatus.REVOKED
    assert audit_verify_chain() is None

    call_command("seed_demo")
    assert Application.objects.count() == len(SCENARIOS)
