import itertools
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accreditation import services
from accreditation.models import Authorisation, AuthorisationStatusInterval, Hearing
from accreditation.signals import authorisation_changed
from tests.conftest import client_for
from tests.factories import MembershipFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, authorisation_id, holder_id, change, **kwargs):
        seen.append((change, transaction.get_connection().in_atomic_block))

    authorisation_changed.connect(receiver, dispatch_uid="test-changes")
    yield seen
    authorisation_changed.disconnect(dispatch_uid="test-changes")


def grant(make_application, supervisor, type="AEOF", **kwargs) -> Authorisation:
    application = make_application("DECISION_PROPOSED", type=type, **kwargs)
    services.application_decide(
        application_id=application.pk, actor=supervisor, outcome="GRANT", reasons="ok"
    )
    return Authorisation.objects.get(application=application)


@pytest.fixture
def effective(make_application, supervisor):
    authorisation = grant(make_application, supervisor)
    traveller = time_machine.travel(timezone.now() + timedelta(days=6), tick=False)
    traveller.start()
    yield authorisation
    traveller.stop()


@pytest.mark.parametrize("aeo_type", ["AEOC", "AEOS", "AEOF"])
def test_the_number_names_country_and_type(make_application, supervisor, aeo_type):
    authorisation = grant(make_application, supervisor, type=aeo_type)
    assert re.fullmatch(rf"DEAEO{aeo_type[-1]}\d{{7}}", authorisation.number)


def test_numbers_are_sequential_per_country(
    make_application, supervisor, other_stakeholder, stakeholder
):
    first = grant(make_application, supervisor)
    second = grant(make_application, supervisor, stakeholder=other_stakeholder)
    third_holder = StakeholderFactory(country="DE")
    third = grant(make_application, supervisor, stakeholder=third_holder, type="AEOC")
    assert first.number == "DEAEOF0000001"
    assert second.number == "NLAEOF0000001"
    assert third.number == "DEAEOC0000002"


def test_aeof_holds_both_types_each_from_the_effective_date(make_application, supervisor, changes):
    authorisation = grant(make_application, supervisor)
    rows = AuthorisationStatusInterval.objects.filter(authorisation=authorisation)
    assert sorted((r.type, r.status, r.valid_to) for r in rows) == [
        ("AEOC", "ACTIVE", None),
        ("AEOS", "ACTIVE", None),
    ]
    assert {r.valid_from for r in rows} == {authorisation.effective_from}
    assert authorisation.effective_from - authorisation.decided_at == timedelta(days=5)
    assert changes == [("GRANTED", True)]


def test_an_officer_suspension_hears_the_holder_first(effective, officer, changes):
    response = client_for(officer).post(
        f"/api/v1/authorisations/{effective.pk}/suspend/",
        {"types": ["AEOS"], "ground": "INVESTIGATION", "reason": "Seal tampering."},
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["applied"] is False and body["hearing"]["subject"] == "SUSPENSION"
    assert body["authorisation"]["statuses"] == {"AEOC": "ACTIVE", "AEOS": "ACTIVE"}
    assert changes == []


def test_only_a_supervisor_may_skip_the_hearing(effective, officer, supervisor, changes):
    payload = {
        "types": ["AEOS"],
        "ground": "INVESTIGATION",
        "reason": "Seizure of drugs in a container: risk to security (documented in case 2026/4).",
        "immediate": True,
    }
    refused = client_for(officer).post(
        f"/api/v1/authorisations/{effective.pk}/suspend/", payload, format="json"
    )
    assert refused.status_code == 403 and "supervisor" in refused.json()["detail"]
    done = client_for(supervisor).post(
        f"/api/v1/authorisations/{effective.pk}/suspend/", payload, format="json"
    )
    assert done.status_code == 200
    assert done.json()["authorisation"]["statuses"] == {"AEOC": "ACTIVE", "AEOS": "SUSPENDED"}
    assert changes == [("SUSPENDED", True)]


def test_the_holders_own_request_applies_at_once(effective, officer):
    response = client_for(officer).post(
        f"/api/v1/authorisations/{effective.pk}/suspend/",
        {"ground": "HOLDER_REQUEST", "reason": "Restructuring."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["authorisation"]["statuses"] == {
        "AEOC": "SUSPENDED",
        "AEOS": "SUSPENDED",
    }


def test_suspend_reinstate_revoke_leave_a_full_history(effective, supervisor, changes):
    client = client_for(supervisor)
    url = f"/api/v1/authorisations/{effective.pk}"
    client.post(
        f"{url}/suspend/",
        {"types": ["AEOC"], "ground": "HOLDER_REQUEST", "reason": "r"},
        format="json",
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        reinstated = client.post(f"{url}/reinstate/", {"reason": "Fixed."}, format="json")
    assert reinstated.json()["statuses"] == {"AEOC": "ACTIVE", "AEOS": "ACTIVE"}
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        revoked = client.post(
            f"{url}/revoke/", {"reason": "Fraud.", "immediate": True}, format="json"
        )
    assert revoked.status_code == 200
    detail = client.get(f"{url}/").json()
    assert detail["statuses"] == {"AEOC": "REVOKED", "AEOS": "REVOKED"}
    aeoc = [(h["status"], h["valid_to"] is None) for h in detail["history"] if h["type"] == "AEOC"]
    assert aeoc == [("ACTIVE", False), ("SUSPENDED", False), ("ACTIVE", False), ("REVOKED", True)]
    history = [h for h in detail["history"] if h["type"] == "AEOC"]
    for earlier, later in itertools.pairwise(history):
        assert earlier["valid_to"] == later["valid_from"]  # no gap, no overlap
    assert [c for c, _ in changes] == ["SUSPENDED", "REINSTATED", "REVOKED"]
    again = client.post(f"{url}/revoke/", {"reason": "x", "immediate": True}, format="json")
    assert again.status_code == 409


def test_a_wrong_status_is_a_409_naming_the_statuses(effective, supervisor):
    response = client_for(supervisor).post(
        f"/api/v1/authorisations/{effective.pk}/reinstate/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["statuses"] == {"AEOC": "ACTIVE", "AEOS": "ACTIVE"}


def test_nothing_changes_before_the_grant_takes_effect(make_application, supervisor):
    authorisation = grant(make_application, supervisor)
    response = client_for(supervisor).post(
        f"/api/v1/authorisations/{authorisation.pk}/suspend/",
        {"ground": "HOLDER_REQUEST", "reason": "r"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "not_yet_effective"


def test_the_holder_comments_on_a_proposed_revocation(effective, officer, owner, stranger):
    client_for(officer).post(
        f"/api/v1/authorisations/{effective.pk}/revoke/",
        {"reason": "Criteria no longer met."},
        format="json",
    )
    url = f"/api/v1/authorisations/{effective.pk}/hearing-response/"
    assert client_for(stranger).post(url, {"comments": "x"}, format="json").status_code == 404
    response = client_for(owner).post(url, {"comments": "We disagree."}, format="json")
    assert response.status_code == 200
    assert Hearing.objects.get(authorisation=effective).comments == "We disagree."


def test_authorisation_lists_are_scoped_and_filtered(
    make_application, supervisor, owner, stranger, officer, other_stakeholder
):
    mine = grant(make_application, supervisor, type="AEOC")
    theirs = grant(make_application, supervisor, stakeholder=other_stakeholder, type="AEOS")

    def ids(client, q=""):
        return {a["id"] for a in client.get(f"/api/v1/authorisations/?{q}").json()["results"]}

    assert ids(client_for(owner)) == {mine.pk}
    assert ids(client_for(officer)) == {mine.pk, theirs.pk}
    assert ids(client_for(officer), "type=AEOS") == {theirs.pk}
    assert ids(client_for(officer), f"holder={mine.holder_id}") == {mine.pk}
    assert ids(client_for(officer), "status=ACTIVE") == {mine.pk, theirs.pk}
    assert ids(client_for(officer), "status=SUSPENDED") == set()
    assert client_for(stranger).get(f"/api/v1/authorisations/{mine.pk}/").status_code == 404
    detail = client_for(owner).get(f"/api/v1/authorisations/{mine.pk}/").json()
    assert set(detail) >= {"number", "types", "statuses", "effective_from", "history"}


def test_close_monitoring_for_young_companies(make_application, supervisor, owner):
    young = StakeholderFactory(established_on=timezone.now().date() - timedelta(days=400))
    MembershipFactory(user=owner, stakeholder=young)
    authorisation = grant(make_application, supervisor, stakeholder=young)
    assert authorisation.close_monitoring_until is not None


def test_after_the_holders_comments_staff_may_apply_the_measure(effective, officer, owner):
    client = client_for(officer)
    url = f"/api/v1/authorisations/{effective.pk}"
    payload = {"types": ["AEOS"], "ground": "CONDITIONS_NOT_MET", "reason": "Fences broken."}
    assert client.post(f"{url}/suspend/", payload, format="json").status_code == 202
    early = client.post(f"{url}/suspend/", payload, format="json")
    assert early.status_code == 409 and early.json()["code"] == "hearing_open"
    client_for(owner).post(
        f"{url}/hearing-response/", {"comments": "Repair in May."}, format="json"
    )
    applied = client.post(f"{url}/suspend/", payload, format="json")
    assert applied.status_code == 200
    assert applied.json()["authorisation"]["statuses"] == {"AEOC": "ACTIVE", "AEOS": "SUSPENDED"}
    assert Hearing.objects.get(authorisation=effective).closed_at is not None


def test_staff_withdraw_a_proposed_measure_after_the_holders_comments(
    effective, officer, owner, changes, mailoutbox, django_capture_on_commit_callbacks
):
    from accreditation.models import AuditEvent
    from accreditation.tasks import clock_sweep_task

    staff = client_for(officer)
    url = f"/api/v1/authorisations/{effective.pk}"
    payload = {"types": ["AEOS"], "ground": "CONDITIONS_NOT_MET", "reason": "Fences broken."}
    assert staff.post(f"{url}/suspend/", payload, format="json").status_code == 202
    client_for(owner).post(
        f"{url}/hearing-response/", {"comments": "Repaired, photos attached."}, format="json"
    )
    assert client_for(owner).post(f"{url}/withdraw-measure/", {"reason": "x"}).status_code == 403
    assert staff.post(f"{url}/withdraw-measure/", {}, format="json").status_code == 400

    with django_capture_on_commit_callbacks(execute=True):  # the notification's outbox
        withdrawn = staff.post(
            f"{url}/withdraw-measure/", {"reason": "Repairs verified on site."}, format="json"
        )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["outcome"] == "WITHDRAWN"
    assert withdrawn.json()["closing_reason"] == "Repairs verified on site."
    hearing = Hearing.objects.get(authorisation=effective)
    assert hearing.closed_by == officer and hearing.closed_at is not None
    event = AuditEvent.objects.get(action="authorisation.measure_withdrawn")
    assert event.actor == officer and event.after["holder_commented"] is True
    assert [m.subject for m in mailoutbox if owner.email in m.to] == [
        f"AEO authorisation {effective.number}: proposed suspension withdrawn"
    ]

    # The deadline passes: nothing is applied, and there is nothing left to withdraw.
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        clock_sweep_task()
    effective.refresh_from_db()
    assert client_for(officer).get(f"{url}/").json()["statuses"] == {
        "AEOC": "ACTIVE",
        "AEOS": "ACTIVE",
    }
    assert "SUSPENDED" not in [change for change, _ in changes]
    again = staff.post(f"{url}/withdraw-measure/", {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "no_pending_measure"

    browser = Client()
    browser.force_login(officer)
    page = browser.get(f"/dashboard/authorisations/{effective.pk}/").content.decode()
    assert "Customs withdrew the proposed measure by oscar" in page
    assert "Repairs verified on site." in page


def test_a_hearing_records_how_it_closed(effective, officer, supervisor, owner):
    from accreditation.tasks import clock_sweep_task

    url = f"/api/v1/authorisations/{effective.pk}"
    suspend = {"types": ["AEOS"], "ground": "CONDITIONS_NOT_MET", "reason": "Fences broken."}
    client_for(officer).post(f"{url}/suspend/", suspend, format="json")
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        clock_sweep_task()  # the deadline applies it
        first = Hearing.objects.get(authorisation=effective)
        assert (first.outcome, first.closed_by) == ("APPLIED", None)
        revoke = {"reason": "Not remedied."}
        client_for(officer).post(f"{url}/revoke/", revoke, format="json")
        client_for(owner).post(f"{url}/hearing-response/", {"comments": "c"}, format="json")
        assert client_for(officer).post(f"{url}/revoke/", revoke, format="json").status_code == 200
    second = Hearing.objects.filter(authorisation=effective).last()
    assert (second.outcome, second.closed_by) == ("APPLIED", officer)


def test_a_measure_overtaken_before_its_deadline_lapses(effective, officer, supervisor):
    from accreditation.tasks import clock_sweep_task

    url = f"/api/v1/authorisations/{effective.pk}"
    proposed = {"types": ["AEOS"], "ground": "CONDITIONS_NOT_MET", "reason": "Fences broken."}
    client_for(officer).post(f"{url}/suspend/", proposed, format="json")
    urgent = {**proposed, "ground": "INVESTIGATION", "immediate": True, "reason": "Seizure."}
    assert client_for(supervisor).post(f"{url}/suspend/", urgent, format="json").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=40), tick=False):
        clock_sweep_task()
    assert Hearing.objects.get(authorisation=effective).outcome == "LAPSED"
