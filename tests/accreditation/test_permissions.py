"""Every endpoint × every role. Operators never learn about others' objects (404, not 403);
roles that may never take an action get 403; anonymous callers 401; machine keys 403."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from accreditation import services
from accreditation.models import Authorisation, Document
from tests.conftest import OK, assert_answer, client_as

from .conftest import PDF

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "machine", "owner", "stranger", "officer", "supervisor"]
STAFF = {"officer", "supervisor"}

A = "/api/v1/applications/{app}"
MINE = {"owner": OK, "stranger": 404, "officer": OK, "supervisor": OK}
ANY_PERSON = {"owner": OK, "stranger": OK, "officer": OK, "supervisor": OK}
Z = "/api/v1/authorisations/{auth}"
FINDING = {"criterion": "UCC_39A", "severity": "INFO", "text": "t"}
OUTCOME = {"outcome": "GRANT", "reasons": "r"}
SUSPEND = {"ground": "HOLDER_REQUEST", "reason": "r"}

# (method, url, payload, who may: {role: expected}, default for everyone else)
ENDPOINTS = [
    ("get", "/api/v1/applications/", None, ANY_PERSON),
    ("post", "/api/v1/applications/", {"stakeholder": "{stakeholder}", "type": "AEOC"},
     {"owner": OK, "stranger": 400, "officer": 400, "supervisor": 400}),
    ("get", A + "/", None, {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, OK)}),
    ("get", A + "/questionnaire/", None, MINE),
    ("put", A + "/answers/", {"answers": [{"question": "1.1.1", "value": "x"}]},
     {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", A + "/submit/", None, {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", A + "/provide-info/", {}, {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", A + "/hearing-response/", {"comments": "c"},
     {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", A + "/withdraw/", {}, {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", A + "/assign/", {}, dict.fromkeys(STAFF, OK)),
    ("post", A + "/request-info/", {"message": "m"}, dict.fromkeys(STAFF, OK)),
    ("post", A + "/findings/", FINDING, dict.fromkeys(STAFF, OK)),
    ("post", A + "/extend/", {}, dict.fromkeys(STAFF, OK)),
    ("post", A + "/propose/", OUTCOME, dict.fromkeys(STAFF, OK)),
    ("post", A + "/decide/", OUTCOME, {"supervisor": OK}),
    ("get", "/api/v1/documents/{doc}/", None,
     {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, OK)}),
    ("get", "/api/v1/authorisations/", None,
     {"owner": OK, "stranger": OK, **dict.fromkeys(STAFF, OK)}),
    ("get", Z + "/", None, {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, OK)}),
    ("post", Z + "/suspend/", SUSPEND, dict.fromkeys(STAFF, OK)),
    ("post", Z + "/reinstate/", {"reason": "r"}, dict.fromkeys(STAFF, OK)),
    ("post", Z + "/revoke/", {"reason": "r"}, dict.fromkeys(STAFF, OK)),
    ("post", Z + "/extend-suspension/", {"reason": "r"}, dict.fromkeys(STAFF, OK)),
    ("post", Z + "/hearing-response/", {"comments": "c"},
     {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}),
    ("post", Z + "/withdraw-measure/", {"reason": "r"}, dict.fromkeys(STAFF, OK)),
    ("get", "/api/v1/infringements/", None, dict.fromkeys(STAFF, OK)),
    ("post", "/api/v1/infringements/", {"stakeholder": "{stakeholder}", "date": "2025-01-02",
                                        "severity": "MINOR", "description": "d", "source": "s"},
     dict.fromkeys(STAFF, OK)),
    ("get", "/api/v1/audit/", None, dict.fromkeys(STAFF, OK)),
]  # fmt: skip

CASES = [(e, role) for e in ENDPOINTS for role in ROLES]


def _default(role: str) -> int:
    return {"anonymous": 401, "machine": 403}.get(role, 403)


@pytest.fixture
def world(make_application, supervisor2, stakeholder):
    granted = make_application("DECISION_PROPOSED", type="AEOF")
    services.application_decide(
        application_id=granted.pk, actor=supervisor2, outcome="GRANT", reasons="ok"
    )
    open_app = make_application("EXAMINATION", type="AEOC")
    document = Document(
        application=open_app,
        token="x" * 16,
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    document.file.save("a.pdf", ContentFile(PDF), save=False)
    document.save()
    return {
        "app": open_app.pk,
        "auth": Authorisation.objects.get().pk,
        "doc": document.pk,
        "stakeholder": stakeholder.pk,
    }


def _fill(value, world):
    if isinstance(value, str):
        filled = value.format(**world)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize(
    ("endpoint", "role"), CASES, ids=[f"{e[0]} {e[1]} as {r}" for e, r in CASES]
)
def test_permission_matrix(endpoint, role, world, request, machine):
    method, url, payload, allowed = endpoint
    client = client_as(role, request, machine)
    # After the grant took effect, so suspensions and revocations are possible.
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        kwargs = {"format": "json"} if payload is not None else {}
        response = getattr(client, method)(_fill(url, world), _fill(payload, world), **kwargs)
    assert_answer(response, allowed.get(role, _default(role)))


# Multipart, so not in ENDPOINTS (JSON); tests/trust/test_permissions.py counts it as covered.
MULTIPART_ENDPOINTS = [("post", A + "/documents/")]
UPLOAD = {"owner": OK, "stranger": 404, **dict.fromkeys(STAFF, 403)}


@pytest.mark.parametrize("role", ROLES)
def test_document_upload_permission_matrix(role, world, request, machine):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("policy.pdf", PDF, content_type="application/pdf")
    response = client_as(role, request, machine).post(
        _fill(A + "/documents/", world), {"file": upload}, format="multipart"
    )
    assert_answer(response, UPLOAD.get(role, _default(role)))
