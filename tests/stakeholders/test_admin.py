"""The admin: every registry model is listed, searchable, and its history is read-only."""

import pytest
from django.contrib import admin
from django.test import Client

from stakeholders.models import Identifier, Membership, Relationship, Role, Stakeholder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = [Stakeholder, Identifier, Role, Relationship, Membership]


@pytest.fixture
def admin_client_for(monkeypatch):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_registry_model_has_a_searchable_admin_list(
    admin_client_for, superuser, stakeholder, model
):
    opts = model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    response = admin_client_for(superuser).get(url, {"q": "Alpha"})
    assert response.status_code == 200
    assert admin.site._registry[model].search_fields


def test_stakeholder_change_page_and_history_render(admin_client_for, superuser, stakeholder):
    client = admin_client_for(superuser)
    base = f"/admin/stakeholders/stakeholder/{stakeholder.pk}/"
    assert client.get(f"{base}change/").status_code == 200
    response = client.get(f"{base}history/")
    assert response.status_code == 200
    assert b"View history" in response.content  # not "Change history": no revert


def test_history_cannot_be_reverted_from_the_admin(admin_client_for, superuser, stakeholder):
    record = stakeholder.history.earliest()
    stakeholder.legal_name = "Renamed GmbH"
    stakeholder.save()
    url = f"/admin/stakeholders/stakeholder/{stakeholder.pk}/history/{record.history_id}/"
    client = admin_client_for(superuser)
    assert client.get(url).status_code == 200
    client.post(url, {"legal_name": "Alpha Trading GmbH"})
    stakeholder.refresh_from_db()
    assert stakeholder.legal_name == "Renamed GmbH"


def test_an_officer_created_by_command_can_read_the_admin(
    monkeypatch, admin_client_for, stakeholder
):
    from django.core.management import call_command

    monkeypatch.setenv("AEO_STAFF_PASSWORD", "customs-desk-2026!")
    call_command("create_staff", "olga", "--role", "officer")
    from django.contrib.auth import get_user_model

    olga = get_user_model().objects.get(username="olga")
    client = admin_client_for(olga)
    assert client.get("/admin/stakeholders/stakeholder/").status_code == 200
    assert (
        client.get(f"/admin/stakeholders/stakeholder/{stakeholder.pk}/change/").status_code == 200
    )
    assert client.get("/admin/stakeholders/role/add/").status_code == 403


def test_an_identifier_typed_in_the_admin_is_normalised_and_checked(stakeholder):
    from stakeholders.admin import IdentifierForm

    form = IdentifierForm(
        data={"stakeholder": stakeholder.pk, "type": "VAT", "value": "nl 0044.95445.b01"}
    )
    assert form.is_valid(), form.errors
    identifier = form.save()
    assert (identifier.value, identifier.issuing_country.code) == ("NL004495445B01", "NL")

    wrong_country = IdentifierForm(
        data={"stakeholder": stakeholder.pk, "type": "AEO_NO", "value": "FRAEOF0000123"}
    )
    assert not wrong_country.is_valid()
    assert "value" in wrong_country.errors
