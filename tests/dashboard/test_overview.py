"""The overview: the officer's work with its legal clocks, four eyes, hearings, suspensions,
overdue flags, the latest audit events, the audit chain and the search box."""

from datetime import timedelta

import pytest
import time_machine

from accreditation import services
from accreditation.models import AuditEvent
from tests.factories import UserFactory

from .conftest import browser_for, row_of, section

pytestmark = pytest.mark.django_db


def overview(user, query: str = "") -> str:
    response = browser_for(user).get("/dashboard/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_my_assigned_applications_show_status_and_legal_dates(play, officer):
    application = play.examination()
    html = section(overview(officer), "mine")
    row = row_of(html, application.pk)
    assert "EXAMINATION" in row
    assert play.stakeholder.legal_name in row
    assert f"{application.received_at:%Y-%m-%d}" in row
    assert f"{application.acceptance_due:%Y-%m-%d}" in row
    assert f"{application.decision_due:%Y-%m-%d}" in row
    assert "120 days left (decision)" in row
    assert 'class="urgent"' not in row


def test_an_application_assigned_to_a_colleague_is_not_mine(play, officer):
    colleague = UserFactory(username="olga", groups=["OFFICER"])
    application = play.examination(officer=colleague)
    assert f'data-application="{application.pk}"' not in section(overview(officer), "mine")
    assert f'data-application="{application.pk}"' in section(overview(colleague), "mine")


def test_received_applications_nobody_examines_are_listed_as_unassigned(play, officer):
    waiting = play.submitted()
    accepted = play.submitted(play.new_stakeholder(), check=True)
    assigned = play.examination(play.new_stakeholder())
    html = section(overview(officer), "unassigned")
    assert "SUBMITTED" in row_of(html, waiting.pk)
    assert "EXAMINATION" in row_of(html, accepted.pk)
    assert f'data-application="{assigned.pk}"' not in html
    draft = play.draft(play.new_stakeholder())
    assert f'data-application="{draft.pk}"' not in section(overview(officer), "unassigned")


def test_the_acceptance_clock_turns_red_within_seven_days(play, officer):
    application = play.submitted()
    with time_machine.travel(application.received_at + timedelta(days=22), tick=False):
        row = row_of(section(overview(officer), "unassigned"), application.pk)
        assert 'class="urgent"' not in row
        assert "8 days left (acceptance)" in row
    with time_machine.travel(application.received_at + timedelta(days=23), tick=False):
        row = row_of(section(overview(officer), "unassigned"), application.pk)
        assert 'class="urgent"' in row
        assert "7 days left (acceptance)" in row


def test_an_overdue_application_is_flagged_listed_and_red(play, officer):
    application = play.submitted()
    later = application.received_at + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        assert f'data-application="{application.pk}"' not in section(overview(officer), "overdue")
        services.clock_sweep()
        html = overview(officer)
    row = row_of(section(html, "overdue"), application.pk)
    assert 'class="urgent"' in row
    assert "OVERDUE" in row
    assert "1 day overdue (acceptance)" in row
    assert '<a class="counter alert" href="#overdue"><b>1</b>' in html


def test_the_decision_clock_turns_red_near_its_end(play, officer):
    application = play.examination()
    with time_machine.travel(application.decision_due - timedelta(days=3), tick=False):
        row = row_of(section(overview(officer), "mine"), application.pk)
    assert 'class="urgent"' in row
    assert "3 days left (decision)" in row


def test_supervisors_do_not_see_their_own_proposals_awaiting_decision(
    play, supervisor, supervisor2, officer
):
    own = play.proposed(by=supervisor)
    colleagues = play.proposed(by=officer, stakeholder=play.new_stakeholder())
    mine = section(overview(supervisor), "awaiting")
    assert f'data-application="{own.pk}"' not in mine
    assert "DECISION_PROPOSED" in row_of(mine, colleagues.pk)
    theirs = section(overview(supervisor2), "awaiting")
    assert f'data-application="{own.pk}"' in theirs
    assert f'data-application="{colleagues.pk}"' in theirs
    assert "sofia GRANT" in row_of(theirs, own.pk)


def test_a_proposed_rejection_awaits_a_decision_once_its_hearing_is_over(play, supervisor, owner):
    application = play.proposed(outcome="REJECT")
    html = overview(supervisor)
    assert f'data-application="{application.pk}"' not in section(html, "awaiting")
    hearings = section(html, "hearings")
    hearing = application.hearings.get()
    assert f"Application {application.pk}</a>" in hearings
    assert f"{hearing.deadline:%Y-%m-%d %H:%M}" in hearings
    services.hearing_respond(application_id=application.pk, actor=owner, comments="We disagree.")
    html = overview(supervisor)
    assert "HEARING" in row_of(section(html, "awaiting"), application.pk)
    assert f"Application {application.pk}</a>" not in section(html, "hearings")


def test_a_suspended_authorisation_is_listed_with_the_end_of_its_suspension(play, officer):
    authorisation = play.suspended()
    suspension = authorisation.suspensions.get()
    html = section(overview(officer), "suspensions")
    assert authorisation.number in html
    assert "AEOS" in html
    assert f"{suspension.expires_at:%Y-%m-%d}" in html
    assert "Conditions not met" in html


def test_the_latest_audit_events_name_their_actor(play, officer):
    application = play.examination()
    html = section(overview(officer), "audit")
    assert "application.assign" in html
    assert ">oscar<" in html
    assert f"/dashboard/applications/{application.pk}/" in html


def test_the_chain_status_is_the_last_verification_and_shows_a_broken_chain(play, officer):
    play.examination()
    browser = browser_for(officer)
    assert "Not verified from the dashboard yet" in section(overview(officer), "chain")
    response = browser.post("/dashboard/audit-chain/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/#chain"
    html = section(overview(officer), "chain")
    count = AuditEvent.objects.count()
    assert "VERIFIED" in html
    assert f"over {count} events" in html

    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).update(
        after={"forged": True}
    )
    # Cached: the overview does not re-read the chain on every view...
    assert "VERIFIED" in section(overview(officer), "chain")
    browser.post("/dashboard/audit-chain/verify/")
    html = section(overview(officer), "chain")
    assert "BROKEN" in html
    assert "was altered" in html


def test_newer_events_than_the_last_verification_are_pointed_out(play, officer):
    application = play.examination()
    browser_for(officer).post("/dashboard/audit-chain/verify/")
    services.finding_add(
        application_id=application.pk, actor=officer, criterion="UCC_39A", severity="INFO", text="x"
    )
    assert "newer ones are not covered yet" in section(overview(officer), "chain")


def test_lists_are_paginated_and_keep_the_other_lists_page(play, officer):
    applications = [play.examination(play.new_stakeholder()) for _ in range(16)]
    first = section(overview(officer), "mine")
    assert first.count("data-application=") == 15
    assert "page 1 of 2 (16)" in first
    assert 'href="?mine=2"' in first
    second = section(overview(officer, "?mine=2&audit=2"), "mine")
    assert second.count("data-application=") == 1
    assert 'href="?mine=1&amp;audit=2"' in second
    # Same clock everywhere: ordered by the date it runs out, so the first received is first.
    assert f'data-application="{applications[0].pk}"' in first


class TestSearch:
    def test_by_stakeholder_name(self, play, officer):
        html = section(overview(officer, "?q=alpha+trad"), "search")
        assert f"/dashboard/stakeholders/{play.stakeholder.pk}/" in html

    def test_by_identifier_typed_with_spaces(self, play, officer):
        eori = play.stakeholder.identifiers.get(type="EORI").value
        html = section(overview(officer, f"?q={eori[:2]}+{eori[2:]}"), "search")
        assert f"/dashboard/stakeholders/{play.stakeholder.pk}/" in html

    def test_by_authorisation_number_in_the_long_form(self, play, officer):
        authorisation = play.granted()
        assert authorisation.number == "DEAEOF0000001"
        html = section(overview(officer, "?q=DE+AEOF+0000001"), "search")
        assert f"/dashboard/authorisations/{authorisation.pk}/" in html

    def test_by_application_id(self, play, officer):
        application = play.draft()
        html = section(overview(officer, f"?q=%23{application.pk}"), "search")
        assert f"/dashboard/applications/{application.pk}/" in html

    def test_nothing_found_says_so(self, play, officer):
        assert "Nothing matches" in section(overview(officer, "?q=zzzz-nothing"), "search")


@pytest.mark.parametrize(
    "query",
    [
        "?q=%00",
        "?q=" + "x" * 5000,
        "?q=%25_",
        "?q=DE+AEOF+%2F%2F",
        "?mine=abc",
        "?mine=99999",
        "?q=%23",
    ],
)
def test_odd_input_never_breaks_the_overview(play, officer, query):
    play.examination()
    assert browser_for(officer).get("/dashboard/" + query).status_code == 200
