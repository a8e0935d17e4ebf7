"""Each task run twice has one effect."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accreditation import services, tasks
from accreditation.models import (
    ApplicationTransition,
    AuditEvent,
    Finding,
    OutboxMessage,
)
from accreditation.outbox import outbox_process
from tests.factories import InfringementFactory, MembershipFactory, UserFactory

from .conftest import answer_all

pytestmark = pytest.mark.django_db


def test_the_acceptance_check_twice_accepts_once(make_application):
    application = make_application("SUBMITTED")
    answer_all(application)
    assert tasks.application_acceptance_check_task(application.pk) == "EXAMINATION"
    assert tasks.application_acceptance_check_task(application.pk) == "EXAMINATION"
    assert ApplicationTransition.objects.filter(application=application).count() == 1
    assert OutboxMessage.objects.filter(topic=services.TOPIC_EXAMINATION).count() == 1


def test_the_acceptance_check_refuses_a_barred_applicant(make_application, supervisor):
    earlier = make_application("DECISION_PROPOSED", type="AEOS")
    services.application_decide(
        application_id=earlier.pk, actor=supervisor, outcome="GRANT", reasons="ok"
    )
    authorisation = earlier.authorisation
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        services.authorisation_revoke(
            authorisation_id=authorisation.pk, actor=supervisor, reason="Fraud.", immediate=True
        )
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        application = make_application("SUBMITTED", type="AEOC")
        answer_all(application)
        assert tasks.application_acceptance_check_task(application.pk) == "NOT_ACCEPTED"
    application.refresh_from_db()
    bars = next(c for c in application.checks if c["code"] == "bars")
    assert not bars["passed"] and "revoked" in bars["detail"]


def test_an_applicant_without_a_valid_eori_is_asked_for_it(make_application, owner):
    from tests.factories import StakeholderFactory

    stakeholder = StakeholderFactory(eori=False)
    MembershipFactory(user=owner, stakeholder=stakeholder)
    application = make_application("SUBMITTED", stakeholder=stakeholder)
    answer_all(application)
    assert tasks.application_acceptance_check_task(application.pk) == "INFO_REQUESTED"
    application.refresh_from_db()
    assert "EORI" in application.info_message


def test_the_examination_checks_twice_write_the_findings_once(make_application, stakeholder):
    InfringementFactory(stakeholder=stakeholder, description="Wrong origin declared")
    InfringementFactory(
        stakeholder=stakeholder, date=timezone.now().date() - timedelta(days=4 * 365)
    )
    application = make_application("EXAMINATION")
    assert tasks.application_examination_checks_task(application.pk) == 3
    assert tasks.application_examination_checks_task(application.pk) == 0
    findings = Finding.objects.filter(application=application, automated=True)
    assert findings.count() == 3
    compliance = findings.get(check_code="compliance_record")
    # Only the infringement inside the 3-year look-back counts.
    assert compliance.severity == "MAJOR" and "1 serious" in compliance.text
    assert compliance.criterion.code == "UCC_39A"


def test_a_declared_partner_unknown_to_the_registry_is_a_finding(make_application, stakeholder):
    from stakeholders.models import Relationship
    from tests.factories import StakeholderFactory

    platform = StakeholderFactory(roles=["E_PLATFORM"], eori=False)
    Relationship.objects.create(
        source=stakeholder, target=platform, kind="SELLS_VIA", valid_from=timezone.now().date()
    )
    application = make_application("EXAMINATION")
    tasks.application_examination_checks_task(application.pk)
    finding = Finding.objects.get(application=application, check_code="relationships")
    assert finding.severity == "MINOR" and platform.legal_name in finding.text


def test_a_notification_delivered_twice_is_sent_once(stakeholder, owner):
    colleague = UserFactory(username="colin")
    MembershipFactory(user=colleague, stakeholder=stakeholder, role="MEMBER")
    message = services.notify_members  # recorded in the outbox
    message(stakeholder.pk, "Subject", "Body")
    row = OutboxMessage.objects.get(topic=services.TOPIC_NOTIFY)
    assert outbox_process(row.pk) is True
    assert outbox_process(row.pk) is False
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, colleague.email])


def test_the_sweep_twice_flags_once(make_application):
    application = make_application("SUBMITTED")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        first = tasks.clock_sweep_task()
        events = AuditEvent.objects.count()
        second = tasks.clock_sweep_task()
    assert first["acceptance_overdue"] == 1 and second["acceptance_overdue"] == 0
    assert AuditEvent.objects.count() == events
    application.refresh_from_db()
    assert application.overdue


def test_the_clock_sweep_is_on_the_beat_schedule(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accreditation.clock_sweep" in tasks_scheduled
