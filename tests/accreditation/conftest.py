"""Helpers for the accreditation tests: applications in any status, a fully answered
questionnaire, and running after-commit work the way a committed request would."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accreditation.models import Answer, Application, Document, QuestionKind
from accreditation.questionnaire import applicable_questions
from tests.factories import ApplicationFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable:
    """Call ``fn`` and then run its after-commit work (eager tasks, outbox), as a real
    commit would; the test transaction never commits."""

    def call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


def sample_value(question, application: Application) -> Any:
    kind = question.kind
    if kind == QuestionKind.BOOLEAN:
        return False
    if kind == QuestionKind.TEXT:
        return f"Answer to {question.code}."
    if kind == QuestionKind.NUMBER:
        return 5
    if kind == QuestionKind.DATE:
        return "2025-12-31"
    if kind == QuestionKind.CHOICE:
        return question.choices[0]["value"]
    if kind == QuestionKind.MULTI_CHOICE:
        return [question.choices[0]["value"]]
    document = Document(
        application=application,
        token="t" * 16,
        original_name="policy.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    document.file.save("policy.pdf", ContentFile(PDF), save=False)
    document.save()
    return document.pk


def answer_all(application: Application) -> None:
    for question in applicable_questions(application).values():
        Answer.objects.update_or_create(
            application=application,
            question=question,
            defaults={"value": sample_value(question, application), "answered_at": timezone.now()},
        )


# The dates each status implies (what the services would have written on the way there).
def _dates(status: str, now) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if status != "DRAFT":
        fields.update(received_at=now, acceptance_due=now + timedelta(days=30))
    if status in ("EXAMINATION", "DECISION_PROPOSED", "HEARING", "GRANTED", "REJECTED"):
        fields.update(accepted_at=now, decision_due=now + timedelta(days=120))
    if status == "INFO_REQUESTED":
        fields.update(info_return_status="SUBMITTED", info_requested_at=now)
    return fields


@pytest.fixture
def make_application(stakeholder, officer) -> Callable[..., Application]:
    def make(status: str = "DRAFT", type: str = "AEOF", **kwargs: Any) -> Application:
        fields = _dates(status, timezone.now())
        if status in ("DECISION_PROPOSED", "HEARING"):
            fields.update(proposed_by=officer, proposed_outcome="GRANT", proposed_at=timezone.now())
        fields.update(kwargs)
        kwargs.setdefault("stakeholder", stakeholder)
        fields.setdefault("stakeholder", stakeholder)
        return ApplicationFactory(status=status, type=type, **fields)

    return make


def onboard_operator(api, username: str = "newco-customs") -> tuple[Any, int, str]:
    """Register an operator, log in for a token and create its stakeholder, all through the
    API. Returns (token client, stakeholder id, e-mail)."""
    from rest_framework.test import APIClient

    email = f"{username}@newco.example"
    password = "Vessel-Harbour-2026!"
    registered = api.post(
        "/api/v1/auth/register/",
        {"username": username, "password": password, "email": email},
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    login = api.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert login.status_code == 200, login.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    created = client.post(
        "/api/v1/stakeholders/",
        {
            "legal_name": "NewCo Cross-Border GmbH",
            "country": "DE",
            "address": "Speicherstadt 7",
            "city": "Hamburg",
            "contact_email": email,
            "consent_publish": True,
            "identifiers": [
                {"type": "EORI", "value": "DE 7654321098"},
                {"type": "LEI", "value": "529900T8BM49AURSDO55"},
            ],
            "roles": ["E_PLATFORM", "IMPORTER"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return client, created.json()["id"], email
