"""Each page issues the same number of queries whatever the number of rows it shows."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accreditation import services
from accreditation.models import Authorisation
from stakeholders.models import Relationship
from stakeholders.services import stakeholder_update
from tests.factories import InfringementFactory, StakeholderFactory

from .conftest import browser_for

pytestmark = pytest.mark.django_db

MAX_QUERIES = 30


def queries(browser, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_overview_is_constant_in_the_number_of_rows(play, officer, supervisor):
    browser = browser_for(officer)
    play.submitted()  # unassigned, and overdue after the sweep
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        services.clock_sweep()
    # One row in every list: mine, awaiting, hearings, suspensions, audit, search.
    play.examination(play.new_stakeholder())
    play.proposed(stakeholder=play.new_stakeholder())
    play.proposed(stakeholder=play.new_stakeholder(), outcome="REJECT")
    play.suspended(stakeholder=play.new_stakeholder())
    browser.post("/dashboard/audit-chain/verify/")
    html = browser.get("/dashboard/?q=Operator").content.decode()
    assert 'class="empty"' not in html  # no list is empty: each shows its rows
    few = queries(browser, "/dashboard/?q=Operator")
    for _ in range(4):
        play.examination(play.new_stakeholder())
        play.submitted(play.new_stakeholder())
        play.proposed(stakeholder=play.new_stakeholder())
        play.proposed(stakeholder=play.new_stakeholder(), outcome="REJECT")
        play.suspended(stakeholder=play.new_stakeholder())
    more = queries(browser, "/dashboard/?q=Operator")
    assert few == more
    assert more <= MAX_QUERIES


def test_the_application_page_is_constant_in_findings_transitions_and_events(play, officer, owner):
    browser = browser_for(officer)
    application = play.examination()
    url = f"/dashboard/applications/{application.pk}/"
    few = queries(browser, url)
    for n in range(5):
        services.finding_add(
            application_id=application.pk,
            actor=officer,
            criterion="UCC_39A",
            severity="INFO",
            text=f"Finding {n}",
        )
        services.application_request_info(
            application_id=application.pk, actor=officer, message=f"Question {n}"
        )
        services.application_provide_info(application_id=application.pk, actor=owner)
    Relationship.objects.create(
        source=application.stakeholder,
        target=StakeholderFactory(roles=["E_PLATFORM"]),
        kind="SELLS_VIA",
        valid_from="2025-01-01",
    )
    services.application_propose(
        application_id=application.pk, actor=officer, outcome="REJECT", reasons="No."
    )
    more = queries(browser, url)
    assert few == more
    assert more <= MAX_QUERIES


def test_the_authorisation_page_is_constant_in_intervals_and_measures(play, officer, supervisor):
    browser = browser_for(officer)
    authorisation = play.granted()
    url = f"/dashboard/authorisations/{authorisation.pk}/"
    few = queries(browser, url)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        for _ in range(3):
            play.commit(
                services.authorisation_suspend,
                authorisation_id=authorisation.pk,
                actor=supervisor,
                types=None,
                ground="CONDITIONS_NOT_MET",
                reason="Again.",
                immediate=True,
            )
            play.commit(
                services.authorisation_reinstate,
                authorisation_id=authorisation.pk,
                actor=supervisor,
                reason="Remedied.",
            )
        more = queries(browser, url)
    assert few == more
    assert more <= MAX_QUERIES


def test_the_stakeholder_page_is_constant_in_history_and_records(play, officer, owner):
    browser = browser_for(officer)
    stakeholder = play.stakeholder
    url = f"/dashboard/stakeholders/{stakeholder.pk}/"
    play.granted()
    few = queries(browser, url)
    for n in range(4):
        stakeholder_update(owner, stakeholder, {"city": f"City {n}", "roles": ["E_VENDOR"]})
        stakeholder_update(owner, stakeholder, {"roles": ["E_VENDOR", "IMPORTER"]})
        InfringementFactory(stakeholder=stakeholder)
    Authorisation.objects.get(holder=stakeholder)  # still one: one open application at a time
    second = play.draft()
    assert second.stakeholder_id == stakeholder.pk
    more = queries(browser, url)
    assert few == more
    assert more <= MAX_QUERIES
