"""Every trust endpoint × every persona, and a check that every operation of the OpenAPI
schema sits in one of the permission matrices (registry, accreditation, trust).

Lookups are for risk-engine keys, staff and operators (checking business partners); the
change feed for keys and staff; the lookup log and webhooks for staff only.
"""

import pytest

from accreditation.models import WebhookSubscription
from tests.conftest import OK, assert_answer, client_as

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "machine", "owner", "stranger", "officer", "supervisor"]
EVERYONE = dict.fromkeys(["machine", "owner", "stranger", "officer", "supervisor"], OK)
FEED = {"machine": OK, "officer": OK, "supervisor": OK}
STAFF = {"officer": OK, "supervisor": OK}
T = "/api/v1/trust"
HOOK = {"name": "risk", "url": "https://risk.example/hook"}
ITEM = {"id_type": "EORI", "id": "DE100000000001"}

# (method, url, payload, {role: expected}); 401 for anonymous and 403 otherwise by default
ENDPOINTS = [
    ("get", T + "/{id_type}/{value}/", None, EVERYONE),
    ("post", T + "/lookup/", {"items": [ITEM]}, EVERYONE),
    ("post", T + "/consignment/", {"parties": {"seller": ITEM}}, EVERYONE),
    ("get", T + "/changes/", None, FEED),
    ("get", T + "/lookups/", None, STAFF),
    ("get", T + "/webhooks/", None, STAFF),
    ("post", T + "/webhooks/", HOOK, STAFF),
    ("get", T + "/webhooks/{hook}/", None, STAFF),
    ("put", T + "/webhooks/{hook}/", HOOK, STAFF),
    ("patch", T + "/webhooks/{hook}/", {"active": False}, STAFF),
    ("delete", T + "/webhooks/{hook}/", None, STAFF),
    ("get", T + "/webhooks/{hook}/deliveries/", None, STAFF),
]

CASES = [(e, role) for e in ENDPOINTS for role in ROLES]


@pytest.mark.parametrize(
    ("endpoint", "role"), CASES, ids=[f"{e[0]} {e[1]} as {r}" for e, r in CASES]
)
def test_trust_permission_matrix(endpoint, role, request, machine, stakeholder, other_stakeholder):
    method, url, payload, allowed = endpoint
    hook = WebhookSubscription.objects.create(name="h", url="https://h.example/", secret="s")
    expected = allowed.get(role, 401 if role == "anonymous" else 403)
    kwargs = {"format": "json"} if payload is not None else {}
    url = url.format(hook=hook.pk, id_type="EORI", value="DE100000000001")
    response = getattr(client_as(role, request, machine), method)(url, payload, **kwargs)
    # A lookup of an unknown identifier is a 404 with its item: not a refusal here.
    assert_answer(response, expected, refusals=(401, 403, 405))
    if expected != OK:
        body = response.json()
        assert body["status"] == expected and body["detail"]


# Operations no matrix lists because anyone may call them: registration and login (throttled),
# and logout (any signed-in person, their own token); tests/stakeholders/test_auth.py.
PUBLIC = {
    ("post", "/api/v1/auth/register/"),
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/logout/"),
}


def _template(url: str) -> str:
    """'/api/v1/applications/{app}/submit/' and '/api/v1/applications/{id}/submit/' alike."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", url)


def test_every_operation_of_the_schema_is_in_a_permission_matrix(api):
    from tests.accreditation import test_permissions as accreditation
    from tests.stakeholders import test_permissions as registry

    covered = {(m, _template(u)) for m, u, _, _ in ENDPOINTS}
    covered |= {(m, _template(u)) for m, u, _, _ in accreditation.ENDPOINTS}
    covered |= {(m, _template(u)) for m, u in accreditation.MULTIPART_ENDPOINTS}
    covered |= {(m, _template(u)) for _, m, u, _, _ in registry.ENDPOINTS}
    covered |= {(m, _template(u)) for m, u in PUBLIC}
    schema = api.get("/api/schema/?format=json").json()
    operations = {
        (method, _template(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert len(operations) > 50
    assert operations - covered == set()
