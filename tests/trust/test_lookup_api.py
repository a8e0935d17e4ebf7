from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accreditation.models import TrustLookupLog
from accreditation.trust import snapshots
from accreditation.trust.services import lookup_log_drain
from stakeholders.models import Identifier, Relationship
from tests.conftest import client_for
from tests.factories import MembershipFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/trust/"


@pytest.fixture
def holder(wf):
    """An AEOF holder who consented to publication, granted a month ago."""
    s = wf.register(legal_name="Gamma Export GmbH", eori="DE200000000001", consent_publish=True)
    wf.grant(s, "AEOF", effective_from=timezone.now() - timedelta(days=30))
    return s


@pytest.fixture
def discreet(wf):
    """An AEOS holder who did not consent to publication."""
    s = wf.register(legal_name="Delta Discreet SA", eori="FR300000000001", consent_publish=False)
    wf.grant(s, "AEOS", effective_from=timezone.now() - timedelta(days=30))
    return s


def test_a_risk_engine_gets_the_item_of_a_registered_holder(machine, holder):
    response = machine.get(f"{URL}EORI/de200000000001/")
    assert response.status_code == 200
    body = response.json()
    assert body["match"] == "FOUND" and body["normalized"] == "DE200000000001"
    assert body["input"] == "de200000000001"
    assert body["status"] == "ACTIVE" and body["types"] == ["AEOC", "AEOS"]
    assert body["legal_name"] == "Gamma Export GmbH"  # consented
    assert set(body) >= {
        "input", "id_type", "normalized", "match", "stakeholder_id", "country", "roles",
        "status", "types", "suspended_types", "status_since", "authorisation_no",
        "issuing_country", "effective_from", "close_monitoring", "mra", "source", "data_as_of",
    }  # fmt: skip
    assert response["X-Lookup-Ref"]


def test_an_unknown_identifier_is_a_404_with_the_item(machine, holder):
    response = machine.get(f"{URL}EORI/DE999999999/")
    assert response.status_code == 404
    assert response.json()["match"] == "NOT_FOUND"
    assert response.json()["status"] == "NONE"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("EORI/D/", "value"),
        ("GB/DE123/", "id_type"),
        ("eori/DE123/", "id_type"),  # no known type spelt so: the fallback route, same 400
        ("EORI/DE123/?as_of=yesterday", "as_of"),
        ("EORI/DE123/?as_of=0001-01-01T00:00:00%2B14:00", "as_of"),
    ],
)
def test_a_malformed_lookup_is_a_400_with_a_field_message(machine, path, field):
    response = machine.get(f"{URL}{path}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


def test_as_of_is_answered_on_the_single_lookup(machine, holder):
    before = (timezone.now() - timedelta(days=40)).date().isoformat()
    body = machine.get(f"{URL}EORI/DE200000000001/", {"as_of": before}).json()
    assert body["status"] == "NONE"


def test_an_unchanged_item_answers_304_to_if_none_match(machine, holder):
    first = machine.get(f"{URL}EORI/DE200000000001/")
    again = machine.get(f"{URL}EORI/DE200000000001/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_no_credentials_is_a_401(api):
    assert api.get(f"{URL}EORI/DE200000000001/").status_code == 401
    bad = api.get(f"{URL}EORI/DE200000000001/", HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert bad.status_code == 401


def test_bulk_answers_in_request_order_with_invalid_items_inline(machine, holder):
    items = [
        {"id_type": "EORI", "id": "DE999999999"},
        {"id_type": "EORI", "id": "DE200000000001"},
        {"id_type": "EORI", "id": "?"},
        {"id_type": "NOPE", "id": "1"},
        "not an object",
        {"id_type": "EORI", "id": "DE200000000001"},
    ]
    response = machine.post(f"{URL}lookup/", {"items": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [i["match"] for i in body["items"]] == [
        "NOT_FOUND", "FOUND", "INVALID_FORMAT", "INVALID_FORMAT", "INVALID_FORMAT", "FOUND",
    ]  # fmt: skip
    assert body["items"][2]["error"]
    assert body["lookup_ref"] and body["data_as_of"]


def test_bulk_of_3001_items_is_refused_with_a_field_message(machine):
    items = [{"id_type": "EORI", "id": f"DE{n}"} for n in range(3001)]
    response = machine.post(f"{URL}lookup/", {"items": items}, format="json")
    assert response.status_code == 400
    assert "3000" in response.json()["errors"]["items"][0]


@pytest.mark.parametrize(
    "body", [{}, {"items": []}, {"items": "EORI"}, {"items": [{}], "as_of": 5}, []]
)
def test_bulk_with_a_bad_envelope_is_a_400(machine, body):
    response = machine.post(f"{URL}lookup/", body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("n", [10, 3000])
def test_bulk_on_the_database_path_uses_a_constant_number_of_queries(
    machine, holder, redis_down, django_assert_max_num_queries, n
):
    machine.get(f"{URL}EORI/DE200000000001/")  # the API key is verified and cached
    items = [{"id_type": "EORI", "id": f"DE{7000000 + i}"} for i in range(n - 1)]
    items.append({"id_type": "EORI", "id": "DE200000000001"})
    with django_assert_max_num_queries(8):
        response = machine.post(f"{URL}lookup/", {"items": items}, format="json")
    assert response.json()["items"][-1]["status"] == "ACTIVE"


def test_the_single_lookup_from_the_snapshot_needs_no_query(
    machine, holder, django_assert_max_num_queries
):
    machine.get(f"{URL}EORI/DE200000000001/")
    # The lookup log is queued with the read when Redis holds the snapshots; in-process
    # stores (embedded mode) write it as one row.
    limit = 0 if snapshots.get_store().queues_log else 1
    with override_settings(TRUST_LOOKUP_LOG_ASYNC=True), django_assert_max_num_queries(limit):
        assert machine.get(f"{URL}EORI/DE200000000001/").status_code == 200


def test_a_key_over_its_rate_gets_429_with_retry_after(machine, holder):
    with override_settings(API_KEY_THROTTLE_RATE="3/min"):
        codes = [machine.get(f"{URL}EORI/DE200000000001/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = machine.get(f"{URL}EORI/DE200000000001/")
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert refused.json()["code"] == "throttled"


def test_a_bulk_counts_one_throttle_hit_per_item(machine, holder):
    with override_settings(API_KEY_THROTTLE_RATE="5/min"):
        items = [{"id_type": "EORI", "id": "DE200000000001"}] * 6
        assert machine.post(f"{URL}lookup/", {"items": items}, format="json").status_code == 429


def test_throttling_holds_while_redis_is_down(machine, holder, redis_down):
    with override_settings(API_KEY_THROTTLE_RATE="2/min"):
        codes = [machine.get(f"{URL}EORI/DE200000000001/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_an_operator_sees_a_non_consenting_holder_only_as_registered(stranger, discreet, holder):
    operator = client_for(stranger)
    hidden = operator.get(f"{URL}EORI/FR300000000001/").json()
    assert hidden["match"] == "FOUND"
    assert hidden["restricted"] is True
    assert hidden["status"] is None and hidden["types"] == []
    assert hidden["authorisation_no"] is None and "legal_name" not in hidden
    shown = operator.get(f"{URL}EORI/DE200000000001/").json()
    assert shown["status"] == "ACTIVE" and shown["legal_name"] == "Gamma Export GmbH"


def test_an_operator_sees_its_own_stakeholder_in_full(stranger, discreet):
    MembershipFactory(user=stranger, stakeholder=discreet)
    own = client_for(stranger).get(f"{URL}EORI/FR300000000001/").json()
    assert own["status"] == "ACTIVE" and own["legal_name"] == "Delta Discreet SA"


def test_staff_see_names_machines_see_status_without_a_name(officer, machine, discreet):
    staff_view = client_for(officer).get(f"{URL}EORI/FR300000000001/").json()
    machine_view = machine.get(f"{URL}EORI/FR300000000001/").json()
    assert staff_view["legal_name"] == "Delta Discreet SA"
    assert "legal_name" not in machine_view
    assert machine_view["status"] == "ACTIVE" and machine_view["types"] == ["AEOS"]


def test_every_lookup_is_logged_with_its_ref_and_staff_can_find_it(machine, officer, holder):
    with override_settings(TRUST_LOOKUP_LOG_ASYNC=True):
        ref = machine.get(f"{URL}EORI/DE200000000001/")["X-Lookup-Ref"]
        bulk = machine.post(
            f"{URL}lookup/", {"items": [{"id_type": "EORI", "id": "FR1"}]}, format="json"
        ).json()["lookup_ref"]
    lookup_log_drain()  # queued entries reach the table (beat does this every few seconds)
    assert TrustLookupLog.objects.filter(lookup_ref__in=[ref, bulk]).count() == 2
    staff = client_for(officer)
    found = staff.get(f"{URL}lookups/", {"identifier": "EORI:DE200000000001"}).json()
    assert [row["lookup_ref"] for row in found["results"]] == [ref]
    assert found["results"][0]["caller"].startswith("api-key:")
    assert staff.get(f"{URL}lookups/", {"lookup_ref": bulk}).json()["count"] == 1


def test_operators_and_keys_cannot_read_the_lookup_log(machine, stranger):
    assert machine.get(f"{URL}lookups/").status_code in (401, 403)
    assert client_for(stranger).get(f"{URL}lookups/").status_code == 403


def test_a_consignment_checks_parties_and_declared_relationships(machine, wf, holder):
    platform = wf.register(eori="NL400000000001", roles=["E_PLATFORM"])
    wf.grant(platform, "AEOS", effective_from=timezone.now() - timedelta(days=3))
    carrier = wf.register(eori="BE500000000001", roles=["EXPRESS_CARRIER"])
    Relationship.objects.create(
        source=holder, target=platform, kind="SELLS_VIA", valid_from=timezone.now().date()
    )
    body = {
        "parties": {
            "seller": {"id_type": "EORI", "id": "DE200000000001"},
            "platform": {"id_type": "EORI", "id": "NL400000000001"},
            "carrier": {"id_type": "EORI", "id": "BE500000000001"},
        },
        "ioss_number": "IM2760000011",
        "origin_country": "cn",
    }
    response = machine.post(f"{URL}consignment/", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["parties"]["seller"]["status"] == "ACTIVE"
    assert data["parties"]["carrier"]["status"] == "NONE"
    checks = {(r["source"], r["kind"], r["target"]): r["declared"] for r in data["relationships"]}
    assert checks == {
        ("seller", "SELLS_VIA", "platform"): True,
        ("seller", "CARRIED_BY", "carrier"): False,
    }
    assert data["summary"] == {
        "all_parties_trusted": False,
        "weakest_party": "carrier",
        "undeclared_relationships": ["seller CARRIED_BY carrier"],
    }
    assert data["origin_country"] == "CN"
    assert carrier.pk == data["parties"]["carrier"]["stakeholder_id"]


SELLER = {"seller": {"id_type": "EORI", "id": "DE1"}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parties": {}}, "parties"),
        ({"parties": {"buyer": {"id_type": "EORI", "id": "DE1"}}}, "parties"),
        ({"parties": SELLER, "ioss_number": "X"}, "ioss_number"),
        ({"parties": SELLER, "origin_country": "ZZ"}, "origin_country"),
        ({"parties": SELLER, "transport_document": ""}, "transport_document"),
    ],
)
def test_a_malformed_consignment_is_a_400(machine, body, field):
    response = machine.post(f"{URL}consignment/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_database_and_redis_outage_is_a_503_never_not_found(machine, holder, redis_down):
    from unittest import mock

    from django.db import OperationalError

    machine.get(f"{URL}EORI/DE200000000001/")
    with mock.patch(
        "accreditation.trust.selectors.compute_records", side_effect=OperationalError("down")
    ):
        response = machine.get(f"{URL}EORI/DE200000000001/")
    assert response.status_code == 503


def test_the_schema_documents_the_trust_endpoints(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("lookup/", "consignment/", "changes/", "{id_type}/{value}/", "lookups/"):
        assert f"/api/v1/trust/{path}" in paths, path


def test_an_identifier_added_later_answers_without_a_rebuild_of_everything(machine, wf, holder):
    wf.registry_change(
        holder, lambda s: Identifier.objects.create(stakeholder=s, type="TIN", value="DE77")
    )
    assert machine.get(f"{URL}TIN/DE77/").json()["stakeholder_id"] == holder.pk
    assert StakeholderFactory  # factories are shared with the registry's tests


def test_a_person_may_use_a_knox_token_and_a_session_must_pass_csrf(officer, holder):
    from django.test import Client
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    _, token = AuthToken.objects.create(officer)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert by_token.get(f"{URL}EORI/DE200000000001/").json()["legal_name"] == "Gamma Export GmbH"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    assert browser.get(f"{URL}EORI/DE200000000001/").status_code == 200
    items = {"items": [{"id_type": "EORI", "id": "DE200000000001"}]}
    refused = browser.post(f"{URL}lookup/", items, content_type="application/json")
    assert refused.status_code == 403


def test_lookup_log_rows_older_than_the_retention_are_purged(machine, holder):
    from accreditation.trust.services import lookup_log_purge

    machine.get(f"{URL}EORI/DE200000000001/")
    lookup_log_drain()
    TrustLookupLog.objects.update(at=timezone.now() - timedelta(days=30))
    with override_settings(TRUST_LOOKUP_LOG_RETENTION_DAYS=31):
        assert lookup_log_purge() == 0
    with override_settings(TRUST_LOOKUP_LOG_RETENTION_DAYS=29):
        assert lookup_log_purge() == 1
