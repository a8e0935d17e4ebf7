"""A Celery worker killed (SIGKILL) in the middle of the acceptance check loses no
application and processes it exactly once: the database rolls the half-done transaction back,
the broker redelivers the unacknowledged message (acks_late, reject_on_worker_lost) under the
same task id, and that redelivery takes over the outbox claim the dead worker held at once,
without waiting for the claim's lease to run out."""

import os
import re
import signal
from datetime import timedelta

import pytest

from accreditation.models import Application, ApplicationTransition, Finding, OutboxMessage
from accreditation.outbox import CLAIM_LEASE
from accreditation.services import TOPIC_ACCEPTANCE
from tests.accreditation.conftest import answer_all
from tests.conftest import client_for
from tests.factories import ApplicationFactory

from .conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_worker_killed_mid_acceptance_check_loses_nothing_and_runs_it_once(
    start_worker, owner, stakeholder, tmp_path
):
    control = tmp_path / "control"
    control.mkdir()
    hooks = {
        "extra_args": ["--include", "tests.integration.blocking"],
        "extra_env": {"AEO_TEST_CONTROL_DIR": str(control)},
    }
    application = ApplicationFactory(stakeholder=stakeholder, status="DRAFT", type="AEOC")
    answer_all(application)
    (control / "block").touch()
    first = start_worker("first", **hooks)

    submitted = client_for(owner).post(f"/api/v1/applications/{application.pk}/submit/")
    assert submitted.status_code == 200, submitted.content
    wait_for(lambda: (control / "started").exists(), timeout=30, what="the check to start")
    log = first.log()
    # The task it holds: received and never finished (others may have run before it).
    running = set(re.findall(r"outbox_process\[([0-9a-f-]+)\] received", log)) - set(
        re.findall(r"outbox_process\[([0-9a-f-]+)\] succeeded", log)
    )
    assert len(running) == 1, log[-3000:]
    task_id = running.pop()

    # Killed mid-task: no acknowledgement, no clean shutdown, its transaction left open.
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    (control / "block").unlink()
    assert Application.objects.get(pk=application.pk).status == "SUBMITTED"
    message = OutboxMessage.objects.get(
        topic=TOPIC_ACCEPTANCE, payload__application_id=application.pk
    )
    assert message.processed_at is None and message.attempts == 1  # claimed, then lost

    second = start_worker("second", **hooks)
    # The broker hands the unacknowledged task to the new worker; the same task id takes the
    # dead worker's claim over and runs the check, long before the lease would run out.
    wait_for(
        lambda: Finding.objects.filter(application=application, automated=True).count() == 3,
        timeout=40,
        what="the redelivered task to run the acceptance and examination checks",
    )
    assert timedelta(seconds=40) < CLAIM_LEASE  # so the wait above did not outlast the lease
    wait_for(
        lambda: f"outbox_process[{task_id}] succeeded" in second.log(),
        timeout=10,
        what="the log line of the redelivered task (the same id) finishing",
    )

    application.refresh_from_db()
    assert application.status == "EXAMINATION"
    steps = list(
        ApplicationTransition.objects.filter(application=application).values_list(
            "from_status", "to_status"
        )
    )
    assert steps == [("DRAFT", "SUBMITTED"), ("SUBMITTED", "EXAMINATION")]
    message.refresh_from_db()
    assert message.processed_at is not None and message.attempts == 2
    assert Finding.objects.filter(application=application, automated=True).count() == 3
