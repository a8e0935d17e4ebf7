"""Concurrent conflicting actions on PostgreSQL: exactly one transition, at most one
authorisation. Each thread has its own database connection."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from accreditation.models import Application, ApplicationTransition, Authorisation
from tests.conftest import client_for
from tests.factories import ApplicationFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_concurrently(n: int, call: Callable[[], int], timeout: float = 60.0) -> list:
    barrier = threading.Barrier(n, timeout=timeout)
    results: list = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            outcome = call()
        except Exception as exc:  # recorded, then asserted on by the test
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a concurrent call did not finish in time"
    return results


def test_twenty_concurrent_decisions_grant_once(stakeholder, officer, supervisor2):
    application = ApplicationFactory(
        stakeholder=stakeholder,
        type="AEOF",
        status="DECISION_PROPOSED",
        proposed_by=officer,
        proposed_outcome="GRANT",
        received_at=timezone.now(),
        accepted_at=timezone.now(),
    )

    def decide() -> int:
        return (
            client_for(supervisor2)
            .post(
                f"/api/v1/applications/{application.pk}/decide/",
                {"outcome": "GRANT", "reasons": "Agreed."},
                format="json",
            )
            .status_code
        )

    codes = run_concurrently(20, decide)
    assert codes == [200] * 20, codes
    assert (
        ApplicationTransition.objects.filter(application=application, to_status="GRANTED").count()
        == 1
    )
    assert Authorisation.objects.filter(application=application).count() == 1
    assert Application.objects.get(pk=application.pk).status == "GRANTED"


def test_double_submit_gives_one_transition(stakeholder, owner):
    application = ApplicationFactory(stakeholder=stakeholder, type="AEOC", status="DRAFT")

    def submit() -> int:
        return client_for(owner).post(f"/api/v1/applications/{application.pk}/submit/").status_code

    codes = sorted(run_concurrently(2, submit))
    # The loser either sees SUBMITTED (idempotent 200) or, when the eager acceptance check of
    # the winner got the row lock first, EXAMINATION (409): never a second transition.
    assert codes in ([200, 200], [200, 409]), codes
    assert (
        ApplicationTransition.objects.filter(application=application, action="submit").count() == 1
    )


def test_concurrent_audit_appends_do_not_fork_the_chain(officer):
    from accreditation.audit import audit_record, audit_verify_chain
    from accreditation.models import AuditEvent

    def append() -> int:
        return audit_record(actor=officer, action="test.append", target_type="t", target_id=1).pk

    ids = run_concurrently(10, append)
    assert all(isinstance(i, int) for i in ids), ids
    assert AuditEvent.objects.count() == 10
    assert audit_verify_chain() is None
