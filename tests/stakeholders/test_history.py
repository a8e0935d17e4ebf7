"""Field-level history: who changed which field of a stakeholder or identifier, and when."""

import pytest
from rest_framework.test import APIClient

from stakeholders import selectors, services
from tests.conftest import client_for
from tests.stakeholders.conftest import LEI

pytestmark = pytest.mark.django_db


def _token_client(username: str) -> APIClient:
    """A client signed in the way real callers are: a token, not force_authenticate."""
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": "correct-horse-battery-staple"},
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_history_records_who_changed_which_field_through_the_api(owner, officer, stakeholder):
    url = f"/api/v1/stakeholders/{stakeholder.pk}/"
    assert (
        _token_client("olivia").patch(url, {"legal_name": "Alpha Handel GmbH"}).status_code == 200
    )
    assert (
        _token_client("oscar").patch(url, {"contact_email": "neu@alpha.example"}).status_code == 200
    )
    _token_client("oscar").post(f"{url}identifiers/", {"type": "LEI", "value": LEI})

    entries = selectors.stakeholder_history(stakeholder)
    changed = [
        (e.user, c.field, c.old, c.new) for e in entries if e.action == "changed" for c in e.changes
    ]
    assert ("olivia", "legal_name", "Alpha Trading GmbH", "Alpha Handel GmbH") in changed
    assert ("oscar", "contact_email", stakeholder.contact_email, "neu@alpha.example") in changed
    added = [e for e in entries if e.model == "identifier" and e.action == "created"]
    assert [(e.user, e.changes[0].new) for e in added][-1] == ("oscar", f"LEI {LEI}")
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_history_records_role_changes_and_removed_identifiers(owner, stakeholder):
    extra = services.identifier_add(owner, stakeholder, {"type": "TIN", "value": "DE123456"})
    services.stakeholder_update(owner, stakeholder, {"roles": ["E_VENDOR", "EXPORTER"]})
    services.identifier_remove(owner, stakeholder, extra.pk)
    entries = selectors.stakeholder_history(stakeholder)
    # set() removes, then adds: two recorded steps, both by the owner.
    roles = [(e.user, c) for e in entries for c in e.changes if c.field == "roles"][-2:]
    assert [user for user, _ in roles] == ["olivia", "olivia"]
    assert roles[0][1].old == ["E_VENDOR", "IMPORTER"]
    assert roles[-1][1].new == ["EXPORTER", "E_VENDOR"]
    removed = [e for e in entries if e.action == "deleted"]
    assert [(e.user, e.changes[0].old) for e in removed] == [("olivia", "TIN DE123456")]


def test_the_history_endpoint_shows_changes_to_owners_and_staff(owner, officer, stakeholder):
    client_for(owner).patch(f"/api/v1/stakeholders/{stakeholder.pk}/", {"city": "Kiel"})
    for user in (owner, officer):
        response = client_for(user).get(f"/api/v1/stakeholders/{stakeholder.pk}/history/")
        assert response.status_code == 200
        last = response.json()[-1]
        assert last["user"] == "olivia"
        assert last["changes"] == [{"field": "city", "old": "Hamburg", "new": "Kiel"}]
