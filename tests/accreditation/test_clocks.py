"""The legal clocks, by time travel: the sweep sees what is due on the right day only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accreditation import services
from accreditation.models import Application, Authorisation, AuthorisationStatusInterval, Hearing
from accreditation.selectors import authorisation_statuses_at
from accreditation.tasks import clock_sweep_task
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def on_day(n: float):
    return time_machine.travel(DAY0 + timedelta(days=n), tick=False)


def test_acceptance_is_overdue_on_day_31(owner, make_application):
    with on_day(0):
        application = make_application("DRAFT")
        services.application_submit(application_id=application.pk, actor=owner)
    with on_day(30):
        assert clock_sweep_task()["acceptance_overdue"] == 0
    with on_day(31):
        assert clock_sweep_task()["acceptance_overdue"] == 1
    application.refresh_from_db()
    assert application.overdue
    assert application.acceptance_due == DAY0 + timedelta(days=30)


def _accepted_on_day0(make_application):
    with on_day(0):
        application = make_application("SUBMITTED")
        from .conftest import answer_all

        answer_all(application)
        services.application_acceptance_check(application.pk)
    application.refresh_from_db()
    assert application.status == "EXAMINATION"
    return application


def test_the_decision_is_due_on_day_120(make_application):
    application = _accepted_on_day0(make_application)
    assert application.decision_due == DAY0 + timedelta(days=120)
    with on_day(119.9):
        assert clock_sweep_task()["decision_overdue"] == 0
    with on_day(120.1):
        assert clock_sweep_task()["decision_overdue"] == 1


def test_the_extension_moves_the_decision_to_day_180(make_application, officer):
    application = _accepted_on_day0(make_application)
    with on_day(100):
        services.application_extend(application_id=application.pk, actor=officer)
    application.refresh_from_db()
    assert application.decision_due == DAY0 + timedelta(days=180)
    with on_day(150):
        assert clock_sweep_task()["decision_overdue"] == 0
    with on_day(180.1):
        assert clock_sweep_task()["decision_overdue"] == 1


def test_an_information_request_pauses_the_decision_clock(make_application, officer, owner):
    application = _accepted_on_day0(make_application)
    with on_day(10):
        services.application_request_info(
            application_id=application.pk, actor=officer, message="Send the 2025 accounts."
        )
    with on_day(20):
        services.application_provide_info(application_id=application.pk, actor=owner)
    application.refresh_from_db()
    assert application.status == "EXAMINATION"
    assert application.decision_due == DAY0 + timedelta(days=130)


def test_a_profile_can_keep_the_clock_running(make_application, officer, owner):
    application = _accepted_on_day0(make_application)
    profile = application.profile
    profile.info_request_pauses_decision_clock = False
    profile.save()
    with on_day(10):
        services.application_request_info(
            application_id=application.pk, actor=officer, message="Send the 2025 accounts."
        )
    with on_day(20):
        services.application_provide_info(application_id=application.pk, actor=owner)
    application.refresh_from_db()
    assert application.decision_due == DAY0 + timedelta(days=120)


def test_the_hearing_closes_on_day_30_and_then_the_rejection_can_be_decided(
    make_application, officer, supervisor
):
    with on_day(0):
        application = make_application("EXAMINATION")
        services.application_propose(
            application_id=application.pk,
            actor=officer,
            outcome="REJECT",
            reasons="Serious infringements.",
        )
    hearing = Hearing.objects.get(application=application)
    assert hearing.deadline == DAY0 + timedelta(days=30)
    with on_day(29.9):
        assert clock_sweep_task()["hearings_closed"] == 0
        response = client_for(supervisor).post(
            f"/api/v1/applications/{application.pk}/decide/",
            {"outcome": "REJECT", "reasons": "Confirmed."},
            format="json",
        )
        assert response.status_code == 409
    with on_day(30):
        assert clock_sweep_task()["hearings_closed"] == 1
        services.application_decide(
            application_id=application.pk, actor=supervisor, outcome="REJECT", reasons="Confirmed."
        )
    application.refresh_from_db()
    assert application.status == "REJECTED"


def _granted_on_day0(make_application, supervisor, type="AEOF") -> Authorisation:
    with on_day(0):
        application = make_application("DECISION_PROPOSED", type=type)
        services.application_decide(
            application_id=application.pk, actor=supervisor, outcome="GRANT", reasons="ok"
        )
    return Authorisation.objects.get(application=application)


def test_a_grant_takes_effect_on_day_5(make_application, supervisor):
    authorisation = _granted_on_day0(make_application, supervisor)
    assert authorisation.effective_from == DAY0 + timedelta(days=5)
    assert authorisation_statuses_at(authorisation, DAY0 + timedelta(days=4.9)) == {
        "AEOC": None,
        "AEOS": None,
    }
    assert authorisation_statuses_at(authorisation, DAY0 + timedelta(days=5)) == {
        "AEOC": "ACTIVE",
        "AEOS": "ACTIVE",
    }
    with on_day(4):
        assert clock_sweep_task()["grants_effective"] == 0
    with on_day(5):
        assert clock_sweep_task()["grants_effective"] == 1
        assert clock_sweep_task()["grants_effective"] == 0


def test_a_suspension_expires_into_revocation_after_30_days(make_application, supervisor):
    authorisation = _granted_on_day0(make_application, supervisor)
    with on_day(10):
        services.authorisation_suspend(
            authorisation_id=authorisation.pk,
            actor=supervisor,
            types=["AEOS"],
            ground="HOLDER_REQUEST",
            reason="Moving warehouse.",
        )
    with on_day(39.9):
        assert clock_sweep_task()["suspensions_expired"] == 0
    with on_day(40):
        assert clock_sweep_task()["suspensions_expired"] == 1
    at = DAY0 + timedelta(days=40)
    assert authorisation_statuses_at(authorisation, at) == {"AEOC": "ACTIVE", "AEOS": "REVOKED"}
    assert authorisation_statuses_at(authorisation, at - timedelta(seconds=1)) == {
        "AEOC": "ACTIVE",
        "AEOS": "SUSPENDED",
    }
    assert authorisation_statuses_at(authorisation, DAY0 + timedelta(days=9)) == {
        "AEOC": "ACTIVE",
        "AEOS": "ACTIVE",
    }


def test_an_extended_suspension_expires_after_60_days(make_application, supervisor, officer):
    authorisation = _granted_on_day0(make_application, supervisor)
    with on_day(10):
        services.authorisation_suspend(
            authorisation_id=authorisation.pk,
            actor=supervisor,
            types=None,
            ground="HOLDER_REQUEST",
            reason="Audit.",
        )
    with on_day(35):
        services.authorisation_extend_suspension(
            authorisation_id=authorisation.pk, actor=officer, reason="Remedy under way."
        )
    with on_day(40):
        assert clock_sweep_task()["suspensions_expired"] == 0
    with on_day(70):
        assert clock_sweep_task()["suspensions_expired"] == 1
    assert set(
        AuthorisationStatusInterval.objects.filter(
            authorisation=authorisation, valid_to__isnull=True
        ).values_list("status", flat=True)
    ) == {"REVOKED"}


def test_a_measure_after_hearing_applies_when_the_hearing_closes(
    make_application, supervisor, officer
):
    authorisation = _granted_on_day0(make_application, supervisor)
    with on_day(10):
        result = services.authorisation_suspend(
            authorisation_id=authorisation.pk,
            actor=officer,
            types=["AEOC"],
            ground="CONDITIONS_NOT_MET",
            reason="No competent person (39d).",
        )
    assert not result.applied and result.hearing.deadline == DAY0 + timedelta(days=40)
    assert authorisation_statuses_at(authorisation, DAY0 + timedelta(days=20))["AEOC"] == "ACTIVE"
    with on_day(40):
        assert clock_sweep_task()["authorisation_hearings_closed"] == 1
    assert authorisation_statuses_at(authorisation, DAY0 + timedelta(days=40)) == {
        "AEOC": "SUSPENDED",
        "AEOS": "ACTIVE",
    }


def test_switching_the_profile_changes_due_dates(make_application):
    application = make_application("DRAFT")
    application.profile.acceptance_days = 45
    application.profile.save()
    with on_day(0):
        services.application_submit(application_id=application.pk, actor=None)
    assert Application.objects.get(pk=application.pk).acceptance_due == DAY0 + timedelta(days=45)
