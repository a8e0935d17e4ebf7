"""Helpers for registry tests: a valid create payload and a signed-in client per persona."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import client_for

LEI = "529900T8BM49AURSDO55"


def stakeholder_payload(**overrides) -> dict:
    payload = {
        "legal_name": "Gamma Versand GmbH",
        "country": "DE",
        "address": "Kaistrasse 5",
        "city": "Bremen",
        "postal_code": "28195",
        "contact_email": "zoll@gamma.example",
        "consent_publish": True,
        "roles": ["E_VENDOR"],
        "identifiers": [{"type": "EORI", "value": "DE 555 000 111"}, {"type": "LEI", "value": LEI}],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def persona_client(request, owner, stranger, officer, supervisor, api_key):
    """``persona_client(name)`` → an APIClient acting as that persona."""

    def make(name: str) -> APIClient:
        if name == "anonymous":
            return APIClient()
        if name == "api_key":
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
            return client
        user = {"owner": owner, "other_operator": stranger, "officer": officer,
                "supervisor": supervisor}[name]  # fmt: skip
        return client_for(user)

    return make
