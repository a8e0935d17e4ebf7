"""Every registry endpoint × every persona, with the exact status each one gets.

Operators see only their own stakeholders (others' are 404, not 403); officers and
supervisors read and correct everything; risk-engine API keys have no business here (403).
"""

import pytest

from stakeholders.models import Identifier
from tests.factories import UserFactory
from tests.stakeholders.conftest import LEI, stakeholder_payload

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "owner", "other_operator", "officer", "supervisor", "api_key"]


def _new_member_username() -> dict:
    UserFactory(username="newbie", groups=["OPERATOR"])
    return {"username": "newbie"}


# (name, method, path, payload builder, expected status per persona in PERSONAS order)
ENDPOINTS = [
    ("list", "get", "/api/v1/stakeholders/", None, [401, 200, 200, 200, 200, 403]),
    ("create", "post", "/api/v1/stakeholders/", lambda ctx: stakeholder_payload(),
     [401, 201, 201, 201, 201, 403]),
    ("read", "get", "/api/v1/stakeholders/{s}/", None, [401, 200, 404, 200, 200, 403]),
    ("update", "patch", "/api/v1/stakeholders/{s}/", lambda ctx: {"city": "Kiel"},
     [401, 200, 404, 200, 200, 403]),
    ("add identifier", "post", "/api/v1/stakeholders/{s}/identifiers/",
     lambda ctx: {"type": "LEI", "value": LEI}, [401, 201, 404, 201, 201, 403]),
    ("remove identifier", "delete", "/api/v1/stakeholders/{s}/identifiers/{i}/", None,
     [401, 204, 404, 204, 204, 403]),
    ("list relationships", "get", "/api/v1/stakeholders/{s}/relationships/", None,
     [401, 200, 404, 200, 200, 403]),
    ("add relationship", "post", "/api/v1/stakeholders/{s}/relationships/",
     lambda ctx: {"target": ctx["t"], "kind": "SELLS_VIA"}, [401, 201, 404, 201, 201, 403]),
    ("add member", "post", "/api/v1/stakeholders/{s}/members/",
     lambda ctx: _new_member_username(), [401, 201, 404, 201, 201, 403]),
    ("history", "get", "/api/v1/stakeholders/{s}/history/", None,
     [401, 200, 404, 200, 200, 403]),
    ("roles", "get", "/api/v1/roles/", None, [401, 200, 200, 200, 200, 403]),
]  # fmt: skip

CASES = [
    pytest.param(method, path, payload, persona, expected[i], id=f"{name}-{persona}")
    for name, method, path, payload, expected in ENDPOINTS
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize(("method", "path", "payload", "persona", "expected"), CASES)
def test_permission_matrix(
    persona_client, stakeholder, other_stakeholder, method, path, payload, persona, expected
):
    spare = Identifier.objects.create(stakeholder=stakeholder, type="TIN", value="DE99887766")
    ctx = {"s": stakeholder.pk, "i": spare.pk, "t": other_stakeholder.pk}
    client = persona_client(persona)
    url = path.format(**ctx)
    data = payload(ctx) if payload else None
    response = (
        getattr(client, method)(url, data, format="json") if data else getattr(client, method)(url)
    )
    assert response.status_code == expected, response.content
    if expected >= 400:
        body = response.json()
        assert body["status"] == expected and body["code"] and body["detail"]


def test_an_anonymous_request_is_told_how_to_authenticate(api, stakeholder):
    response = api.get("/api/v1/stakeholders/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_an_operator_learns_nothing_from_a_guessed_id(persona_client, stakeholder):
    client = persona_client("other_operator")
    missing = client.get("/api/v1/stakeholders/999999/")
    others = client.get(f"/api/v1/stakeholders/{stakeholder.pk}/")
    assert missing.status_code == others.status_code == 404
    assert missing.json() == others.json()


def test_an_operator_cannot_change_another_operators_stakeholder(persona_client, stakeholder):
    response = persona_client("other_operator").patch(
        f"/api/v1/stakeholders/{stakeholder.pk}/", {"legal_name": "Hijacked"}, format="json"
    )
    assert response.status_code == 404
    stakeholder.refresh_from_db()
    assert stakeholder.legal_name == "Alpha Trading GmbH"
