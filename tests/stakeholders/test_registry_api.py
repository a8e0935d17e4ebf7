"""The registry API: registering, editing, identifiers, relationships, members, lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stakeholders import services
from stakeholders.models import Identifier, Membership, MembershipRole, Relationship, Stakeholder
from stakeholders.signals import stakeholder_changed
from tests.conftest import client_for
from tests.factories import MembershipFactory, StakeholderFactory, UserFactory
from tests.stakeholders.conftest import LEI, stakeholder_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/stakeholders/"


@pytest.fixture
def changes():
    """Stakeholder ids announced through ``stakeholder_changed``."""
    seen: list[int] = []

    def receiver(sender, stakeholder_id, **kwargs):
        seen.append(stakeholder_id)

    stakeholder_changed.connect(receiver, weak=False)
    yield seen
    stakeholder_changed.disconnect(receiver)


# --- registering ------------------------------------------------------------------------------


def test_an_operator_registers_a_stakeholder_and_becomes_its_owner(owner, changes):
    response = client_for(owner).post(URL, stakeholder_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["roles"] == ["E_VENDOR"]
    assert {(i["type"], i["value"]) for i in body["identifiers"]} == {
        ("EORI", "DE555000111"),
        ("LEI", LEI),
    }
    membership = Membership.objects.get(stakeholder_id=body["id"])
    assert (membership.user, membership.role) == (owner, MembershipRole.OWNER)
    assert changes == [body["id"]]


def test_an_officer_registering_a_stakeholder_does_not_become_a_member(officer):
    response = client_for(officer).post(URL, stakeholder_payload(), format="json")
    assert response.status_code == 201
    assert not Membership.objects.filter(stakeholder_id=response.json()["id"]).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "DEU"}, "country"),
        ({"roles": []}, "roles"),
        ({"roles": ["E_VENDOR", "SMUGGLER"]}, "roles"),
        ({"identifiers": []}, "identifiers"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"legal_name": ""}, "legal_name"),
        ({"identifiers": [{"type": "PASSPORT", "value": "X1"}]}, "identifiers"),
        ({"established_on": "yesterday"}, "established_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(owner, overrides, field):
    response = client_for(owner).post(URL, stakeholder_payload(**overrides), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert field in body["errors"]
    assert not Stakeholder.objects.exists()


def test_an_unknown_role_code_is_named_in_the_error(owner):
    payload = stakeholder_payload(roles=["E_VENDOR", "SMUGGLER"])
    response = client_for(owner).post(URL, payload, format="json")
    assert "SMUGGLER" in response.json()["errors"]["roles"][0]


def test_a_duplicate_identifier_is_a_400_naming_the_field_and_value(owner, stakeholder):
    taken = stakeholder.identifiers.get().value
    payload = stakeholder_payload(identifiers=[{"type": "EORI", "value": taken.lower()}])
    response = client_for(owner).post(URL, payload, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["identifiers"][0]
    assert taken in message and "already registered" in message
    assert Stakeholder.objects.count() == 1


def test_the_same_identifier_twice_in_one_request_is_refused(owner):
    payload = stakeholder_payload(
        identifiers=[{"type": "EORI", "value": "DE1"}, {"type": "EORI", "value": "de-1"}]
    )
    response = client_for(owner).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "DE1" in response.json()["errors"]["identifiers"][0]


# --- editing ----------------------------------------------------------------------------------


def test_an_owner_changes_names_consents_and_roles(owner, stakeholder, changes):
    response = client_for(owner).patch(
        f"{URL}{stakeholder.pk}/",
        {"trading_name": "Alpha", "consent_mra": False, "roles": ["E_VENDOR", "EXPORTER"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["trading_name"] == "Alpha"
    assert body["consent_mra"] is False
    assert sorted(body["roles"]) == ["EXPORTER", "E_VENDOR"]
    assert body["legal_name"] == "Alpha Trading GmbH"  # untouched
    assert changes == [stakeholder.pk]


def test_a_patch_that_changes_nothing_announces_nothing(owner, stakeholder, changes):
    response = client_for(owner).patch(
        f"{URL}{stakeholder.pk}/", {"legal_name": stakeholder.legal_name}, format="json"
    )
    assert response.status_code == 200
    assert changes == []


def test_a_patch_cannot_empty_the_roles(owner, stakeholder):
    response = client_for(owner).patch(f"{URL}{stakeholder.pk}/", {"roles": []}, format="json")
    assert response.status_code == 400
    assert "roles" in response.json()["errors"]


def test_a_member_who_is_not_owner_may_edit(stakeholder):
    colleague = UserFactory(username="colin", groups=["OPERATOR"])
    MembershipFactory(user=colleague, stakeholder=stakeholder, role=MembershipRole.MEMBER)
    response = client_for(colleague).patch(
        f"{URL}{stakeholder.pk}/", {"city": "Kiel"}, format="json"
    )
    assert response.status_code == 200


# --- identifiers ------------------------------------------------------------------------------


def test_an_owner_adds_and_removes_an_identifier(owner, stakeholder, changes):
    client = client_for(owner)
    response = client.post(
        f"{URL}{stakeholder.pk}/identifiers/", {"type": "LEI", "value": LEI}, format="json"
    )
    assert response.status_code == 201
    identifier_id = response.json()["id"]
    response = client.delete(f"{URL}{stakeholder.pk}/identifiers/{identifier_id}/")
    assert response.status_code == 204
    assert list(stakeholder.identifiers.values_list("type", flat=True)) == ["EORI"]
    assert changes == [stakeholder.pk, stakeholder.pk]


def test_adding_a_registered_identifier_names_the_value(owner, stakeholder, other_stakeholder):
    taken = other_stakeholder.identifiers.get().value
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/identifiers/", {"type": "EORI", "value": taken}, format="json"
    )
    assert response.status_code == 400
    assert taken in response.json()["errors"]["value"][0]


def test_the_last_identifier_cannot_be_removed(owner, stakeholder):
    only = stakeholder.identifiers.get()
    response = client_for(owner).delete(f"{URL}{stakeholder.pk}/identifiers/{only.pk}/")
    assert response.status_code == 400
    assert Identifier.objects.filter(pk=only.pk).exists()


def test_an_identifier_of_another_stakeholder_cannot_be_removed_through_yours(
    owner, stakeholder, other_stakeholder
):
    Identifier.objects.create(stakeholder=stakeholder, type="LEI", value=LEI)
    theirs = other_stakeholder.identifiers.get()
    response = client_for(owner).delete(f"{URL}{stakeholder.pk}/identifiers/{theirs.pk}/")
    assert response.status_code == 404
    assert Identifier.objects.filter(pk=theirs.pk).exists()


# --- relationships ----------------------------------------------------------------------------

KIND_TARGET_ROLES = [
    ("SELLS_VIA", "E_PLATFORM", True),
    ("SELLS_VIA", "FULFILMENT_CENTRE", False),
    ("FULFILLED_BY", "FULFILMENT_CENTRE", True),
    ("FULFILLED_BY", "E_PLATFORM", False),
    ("CARRIED_BY", "EXPRESS_CARRIER", True),
    ("CARRIED_BY", "POSTAL_OPERATOR", True),
    ("CARRIED_BY", "CARRIER", True),
    ("CARRIED_BY", "FREIGHT_FORWARDER", False),
    ("REPRESENTED_BY", "CUSTOMS_BROKER", True),
    ("REPRESENTED_BY", "IMPORTER", False),
]


@pytest.mark.parametrize(("kind", "target_role", "allowed"), KIND_TARGET_ROLES)
def test_a_relationship_must_point_at_the_role_its_kind_needs(
    owner, stakeholder, kind, target_role, allowed, changes
):
    target = StakeholderFactory(roles=[target_role])
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/relationships/",
        {"target": target.pk, "kind": kind, "valid_from": "2026-01-01"},
        format="json",
    )
    if allowed:
        assert response.status_code == 201, response.json()
        assert response.json()["kind"] == kind
        assert sorted(changes) == sorted([stakeholder.pk, target.pk])
    else:
        assert response.status_code == 400
        assert kind in response.json()["errors"]["target"][0]
        assert not Relationship.objects.exists()
        assert changes == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "SELLS_VIA", "target": "self"}, "target"),
        ({"kind": "SELLS_VIA", "target": 999999}, "target"),
        ({"kind": "OWNS", "target": "platform"}, "kind"),
        (
            {
                "kind": "SELLS_VIA",
                "target": "platform",
                "valid_from": "2026-02-01",
                "valid_to": "2026-01-01",
            },
            "valid_to",
        ),
    ],
)
def test_a_bad_relationship_is_refused_with_the_field(
    owner, stakeholder, other_stakeholder, payload, field
):
    ids = {"self": stakeholder.pk, "platform": other_stakeholder.pk}
    payload = {**payload, "target": ids.get(payload["target"], payload["target"])}
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/relationships/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_operator_links_to_a_stakeholder_it_cannot_read(owner, stakeholder, other_stakeholder):
    client = client_for(owner)
    response = client.post(
        f"{URL}{stakeholder.pk}/relationships/",
        {"target": other_stakeholder.pk, "kind": "SELLS_VIA"},
        format="json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {
        "id", "source", "target", "kind", "valid_from", "valid_to", "created_at"
    }  # fmt: skip
    assert client.get(f"{URL}{other_stakeholder.pk}/").status_code == 404


def test_operators_see_their_declared_links_and_staff_see_both_directions(
    owner, stranger, officer, stakeholder, other_stakeholder
):
    client_for(owner).post(
        f"{URL}{stakeholder.pk}/relationships/",
        {"target": other_stakeholder.pk, "kind": "SELLS_VIA"},
        format="json",
    )
    path = f"{URL}{other_stakeholder.pk}/relationships/"
    assert client_for(stranger).get(path).json() == []
    assert len(client_for(officer).get(path).json()) == 1
    assert len(client_for(owner).get(f"{URL}{stakeholder.pk}/relationships/").json()) == 1


# --- members ----------------------------------------------------------------------------------


def test_an_owner_adds_a_member_who_then_sees_the_stakeholder(owner, stakeholder):
    colleague = UserFactory(username="colin", groups=["OPERATOR"])
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/members/", {"username": "colin"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["role"] == "MEMBER"
    assert client_for(colleague).get(f"{URL}{stakeholder.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("username", "why"),
    [("nobody", "No user"), ("olivia", "already a member"), ("oscar", "operator accounts")],
)
def test_a_member_that_cannot_be_added_is_a_field_error(owner, officer, stakeholder, username, why):
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/members/", {"username": username}, format="json"
    )
    assert response.status_code == 400
    assert why in response.json()["errors"]["username"][0]


def test_a_member_who_is_not_owner_may_not_add_members(stakeholder):
    colleague = UserFactory(username="colin", groups=["OPERATOR"])
    UserFactory(username="dora", groups=["OPERATOR"])
    MembershipFactory(user=colleague, stakeholder=stakeholder, role=MembershipRole.MEMBER)
    response = client_for(colleague).post(
        f"{URL}{stakeholder.pk}/members/", {"username": "dora"}, format="json"
    )
    assert response.status_code == 403
    assert client_for(colleague).get(f"{URL}{stakeholder.pk}/history/").status_code == 403


# --- lists and filters ------------------------------------------------------------------------


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["legal_name"] for row in response.json()["results"]]


def test_an_operator_lists_only_its_own_stakeholders(owner, stakeholder, other_stakeholder):
    assert _names(client_for(owner).get(URL)) == ["Alpha Trading GmbH"]


def test_an_officer_lists_all_stakeholders_paginated(officer, stakeholder, other_stakeholder):
    response = client_for(officer).get(URL, {"page_size": 1})
    assert response.json()["count"] == 2
    assert len(response.json()["results"]) == 1


@pytest.fixture
def world(db):
    a = StakeholderFactory(legal_name="Anker Versand GmbH", roles=["E_VENDOR"], eori="DE1111")
    b = StakeholderFactory(
        legal_name="Bazaar BV", trading_name="Bazaar", country="NL", roles=["E_PLATFORM"],
        eori="NL2222",
    )  # fmt: skip
    Identifier.objects.create(stakeholder=b, type="LEI", value=LEI)
    c = StakeholderFactory(
        legal_name="Colis Express SA", country="FR", roles=["EXPRESS_CARRIER", "E_VENDOR"],
        eori="FR3333",
    )  # fmt: skip
    return a, b, c


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "nl"}, ["Bazaar BV"]),
        ({"role": "E_VENDOR"}, ["Anker Versand GmbH", "Colis Express SA"]),
        ({"identifier_type": "LEI"}, ["Bazaar BV"]),
        ({"identifier_type": "EORI", "identifier": "fr-3333"}, ["Colis Express SA"]),
        ({"identifier": "nl 2222"}, ["Bazaar BV"]),
        ({"identifier_type": "LEI", "identifier": LEI.lower()}, ["Bazaar BV"]),
        ({"search": "bazaar"}, ["Bazaar BV"]),
        ({"search": "express"}, ["Colis Express SA"]),
        ({"ordering": "-legal_name"}, ["Colis Express SA", "Bazaar BV", "Anker Versand GmbH"]),
        ({"ordering": "country"}, ["Anker Versand GmbH", "Colis Express SA", "Bazaar BV"]),
        ({"role": "E_VENDOR", "country": "FR"}, ["Colis Express SA"]),
    ],
)
def test_the_list_filters(officer, world, params, expected):
    assert _names(client_for(officer).get(URL, params)) == expected


def test_an_invalid_identifier_filter_is_a_400(officer, world):
    response = client_for(officer).get(URL, {"identifier_type": "LEI", "identifier": "nope"})
    assert response.status_code == 400
    assert "identifier" in response.json()["errors"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"page_size": 100})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["officer", "owner"])
def test_the_list_costs_the_same_queries_for_3_or_30_stakeholders(
    persona, officer, owner, django_assert_max_num_queries
):
    user = {"officer": officer, "owner": owner}[persona]
    client = client_for(user)

    def add(n: int) -> None:
        for _ in range(n):
            s = StakeholderFactory(roles=["E_VENDOR", "IMPORTER"])
            Identifier.objects.create(stakeholder=s, type="TIN", value=f"DE{s.pk:08d}")
            MembershipFactory(user=owner, stakeholder=s)

    add(3)
    _list_queries(client)  # the user's groups are looked up once, then cached on the user
    with django_assert_max_num_queries(4):
        few = _list_queries(client)
    add(27)
    with django_assert_max_num_queries(4):
        many = _list_queries(client)
    assert few == many
    assert client.get(URL, {"page_size": 100}).json()["count"] == 30


def test_the_role_catalogue_lists_responsibilities_with_sources(owner):
    roles = client_for(owner).get("/api/v1/roles/").json()
    assert len(roles) == 13
    platform = next(r for r in roles if r["code"] == "E_PLATFORM")
    assert len(platform["responsibilities"]) >= 3
    assert all(r["source"] for r in platform["responsibilities"])


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [
        (("2026-01-01", None), ("2026-06-01", None), False),  # open-ended covers later dates
        (("2026-01-01", "2026-03-31"), ("2026-03-31", None), False),  # shares a day
        (("2026-01-01", "2026-03-31"), ("2026-04-01", None), True),  # back to back
        (("2026-05-01", None), ("2026-01-01", "2026-04-30"), True),  # an earlier period
        (("2026-05-01", None), ("2026-01-01", "2026-05-01"), False),
    ],
)
def test_the_same_link_cannot_be_declared_twice_for_one_day(
    owner, stakeholder, other_stakeholder, first, second, allowed
):
    client = client_for(owner)
    url = f"{URL}{stakeholder.pk}/relationships/"

    def declare(period):
        payload = {"target": other_stakeholder.pk, "kind": "SELLS_VIA", "valid_from": period[0]}
        if period[1]:
            payload["valid_to"] = period[1]
        return client.post(url, payload, format="json")

    assert declare(first).status_code == 201
    response = declare(second)
    assert response.status_code == (201 if allowed else 400), response.json()
    if not allowed:
        assert "overlapping" in response.json()["errors"]["valid_from"][0]


def test_the_change_signal_is_sent_inside_the_writers_transaction(owner):
    """Receivers write outbox rows, which must commit or roll back with the change."""
    depth: list[int] = []

    def receiver(sender, stakeholder_id, **kwargs):
        depth.append(len(connection.atomic_blocks))

    outside = len(connection.atomic_blocks)  # the test's own transaction
    stakeholder_changed.connect(receiver, weak=False)
    try:
        stakeholder = services.stakeholder_create(owner, stakeholder_payload())
        services.stakeholder_update(owner, stakeholder, {"city": "Kiel"})
    finally:
        stakeholder_changed.disconnect(receiver)
    assert depth == [outside + 1, outside + 1]


def test_ids_too_large_for_the_database_are_absent_not_errors(owner, stakeholder):
    client = client_for(owner)
    huge = 10**20
    assert client.get(f"{URL}{huge}/").status_code == 404
    assert client.delete(f"{URL}{stakeholder.pk}/identifiers/{huge}/").status_code == 404
    response = client.post(
        f"{URL}{stakeholder.pk}/relationships/", {"target": huge, "kind": "SELLS_VIA"}
    )
    assert response.status_code == 400
    assert "target" in response.json()["errors"]


def test_identifier_dates_out_of_order_name_valid_to(owner, stakeholder):
    response = client_for(owner).post(
        f"{URL}{stakeholder.pk}/identifiers/",
        {"type": "TIN", "value": "DE1", "valid_from": "2026-02-01", "valid_to": "2026-01-01"},
    )
    assert response.status_code == 400
    assert "valid_to" in response.json()["errors"]
