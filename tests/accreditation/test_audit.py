import itertools

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from accreditation import services
from accreditation.audit import audit_record, audit_verify_chain
from accreditation.models import AuditEvent
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(make_application, owner, officer):
    application = make_application("DRAFT")
    services.application_submit(application_id=application.pk, actor=owner)
    services.application_assign(application_id=application.pk, actor=officer, officer=officer)
    services.application_request_info(
        application_id=application.pk, actor=officer, message="Send more."
    )
    return list(AuditEvent.objects.order_by("id"))


def test_the_chain_verifies(chain, capsys):
    assert len(chain) == 3
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    call_command("verify_audit_chain")
    assert "3 events" in capsys.readouterr().out


def test_an_altered_row_is_named(chain):
    victim = chain[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET legal_basis = %s WHERE id = %s",
            ["forged", victim.pk],
        )
    with pytest.raises(CommandError, match=rf"event #{victim.pk}\b"):
        call_command("verify_audit_chain")


def test_an_altered_before_value_is_named(chain):
    victim = chain[0]
    AuditEvent.objects.filter(pk=victim.pk).update(after={"status": "GRANTED"})
    problem = audit_verify_chain()
    assert problem.event_id == victim.pk


def test_a_removed_row_is_detected_at_the_next_event(chain):
    AuditEvent.objects.filter(pk=chain[1].pk).delete()
    with pytest.raises(CommandError, match=rf"event #{chain[2].pk}\b"):
        call_command("verify_audit_chain")


def test_removing_the_newest_row_is_detected_too(chain):
    AuditEvent.objects.filter(pk=chain[-1].pk).delete()
    with pytest.raises(CommandError, match="removed"):
        call_command("verify_audit_chain")


def test_deleting_a_user_does_not_break_the_chain(chain, owner):
    owner.delete()
    assert audit_verify_chain() is None


def test_values_round_trip_through_the_database(officer):
    from datetime import date

    audit_record(
        actor=officer,
        action="x",
        target_type="t",
        target_id=1,
        after={"when": date(2026, 1, 2), "n": 1.5, "ü": ["ä"]},
    )
    assert audit_verify_chain() is None


def test_staff_read_the_audit_of_one_target(chain, officer, owner):
    target = chain[0].target_id
    response = client_for(officer).get(f"/api/v1/audit/?target_type=application&target_id={target}")
    assert response.status_code == 200
    assert [e["action"] for e in response.json()["results"]] == [
        "application.submit",
        "application.assign",
        "application.request_info",
    ]
    assert client_for(owner).get("/api/v1/audit/").status_code == 403


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_the_api_cannot_change_the_audit_log(chain, supervisor, method):
    response = getattr(client_for(supervisor), method)("/api/v1/audit/", {}, format="json")
    assert response.status_code == 405


def test_the_admin_cannot_change_or_delete_audit_events(chain, admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, chain[0])
    assert not model_admin.has_delete_permission(request, chain[0])
    assert model_admin.get_actions(request) == {}
