"""The whole path through the HTTP API, with a real Celery worker doing the checks."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from knox.models import AuthToken
from rest_framework.test import APIClient

from accreditation.models import Application, Authorisation, Finding
from tests.accreditation.conftest import PDF, onboard_operator

from .conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _value(question: dict, client: APIClient, application_id: int):
    kind = question["kind"]
    if kind == "DOCUMENT":
        upload = SimpleUploadedFile("risk.pdf", PDF, content_type="application/pdf")
        response = client.post(
            f"/api/v1/applications/{application_id}/documents/",
            {"file": upload},
            format="multipart",
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]
    return {
        "BOOLEAN": False,
        "TEXT": "Documented in our manual.",
        "NUMBER": 3,
        "DATE": "2025-12-31",
        "CHOICE": question["choices"][0]["value"] if question["choices"] else None,
        "MULTI_CHOICE": [question["choices"][0]["value"]] if question["choices"] else None,
    }[kind]


def test_aeof_application_granted_with_a_real_worker(
    celery_worker_process, api, officer, supervisor, supervisor2
):
    operator, stakeholder_id, _ = onboard_operator(api)
    created = operator.post(
        "/api/v1/applications/", {"stakeholder": stakeholder_id, "type": "AEOF"}, format="json"
    )
    assert created.status_code == 201, created.content
    application_id = created.json()["id"]

    questionnaire = operator.get(f"/api/v1/applications/{application_id}/questionnaire/").json()
    answers = [
        {"question": q["code"], "value": _value(q, operator, application_id)}
        for section in questionnaire["sections"]
        for q in section["questions"]
    ]
    saved = operator.put(
        f"/api/v1/applications/{application_id}/answers/", {"answers": answers}, format="json"
    )
    assert saved.status_code == 200 and saved.json()["complete"], saved.content

    submitted = operator.post(f"/api/v1/applications/{application_id}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "SUBMITTED"

    # The worker picks the acceptance check up from Redis and accepts the application.
    def accepted():
        status = Application.objects.get(pk=application_id).status
        assert status in ("SUBMITTED", "EXAMINATION"), status
        return status == "EXAMINATION"

    wait_for(accepted, timeout=60, what="the worker's acceptance check")
    wait_for(
        lambda: Finding.objects.filter(application_id=application_id, automated=True).count() == 3,
        timeout=60,
        what="the worker's examination checks",
    )

    staff = token_client(officer)
    assert staff.post(f"/api/v1/applications/{application_id}/assign/").status_code == 200
    proposed = staff.post(
        f"/api/v1/applications/{application_id}/propose/",
        {"outcome": "GRANT", "reasons": "Criteria met."},
        format="json",
    )
    assert proposed.json()["status"] == "DECISION_PROPOSED"
    decided = token_client(supervisor2).post(
        f"/api/v1/applications/{application_id}/decide/",
        {"outcome": "GRANT", "reasons": "Agreed."},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    number = decided.json()["authorisation"]["number"]
    assert re.fullmatch(r"DEAEOF\d{7}", number)
    assert Authorisation.objects.get(application_id=application_id).number == number
