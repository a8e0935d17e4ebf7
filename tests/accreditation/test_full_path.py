"""The whole path through the API in eager mode: apply for AEOF, answer with a document,
submit, acceptance check, assign, propose GRANT, a different supervisor decides."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation.models import (
    Application,
    ApplicationTransition,
    AuditEvent,
    Authorisation,
    Finding,
)
from accreditation.signals import authorisation_changed
from tests.conftest import client_for

from .conftest import PDF, onboard_operator, sample_value

pytestmark = pytest.mark.django_db


def answer_everything(client, application_id: int) -> None:
    questionnaire = client.get(f"/api/v1/applications/{application_id}/questionnaire/").json()
    application = Application.objects.get(pk=application_id)
    answers = []
    for section in questionnaire["sections"]:
        for question in section["questions"]:
            if question["kind"] == "DOCUMENT":
                upload = SimpleUploadedFile("policy.pdf", PDF, content_type="application/pdf")
                response = client.post(
                    f"/api/v1/applications/{application_id}/documents/",
                    {"file": upload},
                    format="multipart",
                )
                assert response.status_code == 201, response.json()
                value = response.json()["id"]
            else:

                class Q:
                    kind = question["kind"]
                    choices = question["choices"]
                    code = question["code"]

                value = sample_value(Q, application)
            answers.append({"question": question["code"], "value": value})
    response = client.put(
        f"/api/v1/applications/{application_id}/answers/", {"answers": answers}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["complete"] is True


def test_operator_registers_applies_and_a_second_supervisor_grants_aeof(
    committed, api, officer, supervisor
):
    operator, stakeholder_id, email = onboard_operator(api)
    signals = []
    authorisation_changed.connect(
        lambda **kw: signals.append(kw["change"]), weak=False, dispatch_uid="full-path"
    )

    created = operator.post(
        "/api/v1/applications/", {"stakeholder": stakeholder_id, "type": "AEOF"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "DRAFT"
    application_id = created.json()["id"]

    answer_everything(operator, application_id)
    submitted = committed(operator.post, f"/api/v1/applications/{application_id}/submit/")
    assert submitted.status_code == 200, submitted.json()

    # The acceptance check ran after commit (eager Celery through the outbox) and accepted it.
    detail = operator.get(f"/api/v1/applications/{application_id}/").json()
    assert detail["status"] == "EXAMINATION", detail["checks"]
    assert all(check["passed"] for check in detail["checks"])
    assert detail["accepted_at"] and detail["decision_due"]
    # ...and the examination checks wrote their automated findings.
    assert Finding.objects.filter(application_id=application_id, automated=True).count() == 3

    staff = client_for(officer)
    assert staff.post(f"/api/v1/applications/{application_id}/assign/").status_code == 200
    proposed = staff.post(
        f"/api/v1/applications/{application_id}/propose/",
        {"outcome": "GRANT", "reasons": "All criteria met."},
        format="json",
    )
    assert proposed.json()["status"] == "DECISION_PROPOSED"

    decided = committed(
        client_for(supervisor).post,
        f"/api/v1/applications/{application_id}/decide/",
        {"outcome": "GRANT", "reasons": "Agreed."},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    body = decided.json()
    assert body["status"] == "GRANTED"
    assert body["decision"]["decided_by"] == supervisor.pk
    assert body["decision"]["proposed_by"] == officer.pk

    authorisation = Authorisation.objects.get(application_id=application_id)
    assert re.fullmatch(r"DEAEOF\d{7}", authorisation.number)
    assert body["authorisation"]["number"] == authorisation.number
    assert body["authorisation"]["types"] == ["AEOC", "AEOS"]
    assert body["authorisation"]["statuses"] == {"AEOC": "ACTIVE", "AEOS": "ACTIVE"}
    assert signals == ["GRANTED"]
    authorisation_changed.disconnect(dispatch_uid="full-path")

    steps = list(
        ApplicationTransition.objects.filter(application_id=application_id).values_list(
            "from_status", "to_status"
        )
    )
    assert steps == [
        ("DRAFT", "SUBMITTED"),
        ("SUBMITTED", "EXAMINATION"),
        ("EXAMINATION", "DECISION_PROPOSED"),
        ("DECISION_PROPOSED", "GRANTED"),
    ]
    assert (
        AuditEvent.objects.filter(target_type="application", target_id=str(application_id)).count()
        >= 7
    )
    # The members were told: receipt, acceptance, grant.
    subjects = [m.subject for m in mail.outbox if email in m.to]
    assert f"AEO application {application_id}: SUBMITTED" in subjects
    assert any("granted" in m.body for m in mail.outbox)


def test_incomplete_questionnaire_gets_an_information_request(committed, owner, stakeholder):
    operator = client_for(owner)
    application_id = operator.post(
        "/api/v1/applications/", {"stakeholder": stakeholder.pk, "type": "AEOC"}, format="json"
    ).json()["id"]
    committed(operator.post, f"/api/v1/applications/{application_id}/submit/")
    detail = operator.get(f"/api/v1/applications/{application_id}/").json()
    assert detail["status"] == "INFO_REQUESTED"
    assert "Answer the required questions" in detail["info_request"]["message"]
    assert detail["allowed_actions"] == ["answers", "documents", "provide-info", "withdraw"]

    answer_everything(operator, application_id)
    committed(operator.post, f"/api/v1/applications/{application_id}/provide-info/")
    assert operator.get(f"/api/v1/applications/{application_id}/").json()["status"] == (
        "EXAMINATION"
    )
