from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accreditation import outbox
from accreditation.models import OutboxMessage
from accreditation.tasks import outbox_relay_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls():
    seen: list[dict] = []

    @outbox.outbox_handler("test.record")
    def record(payload):
        seen.append(payload)

    @outbox.outbox_handler("test.fail_once")
    def fail_once(payload):
        seen.append(payload)
        if len(seen) == 1:
            raise ConnectionError("downstream unavailable")

    return seen


def test_message_runs_after_commit_and_only_once(calls):
    with transaction.atomic():
        message = outbox.outbox_enqueue("test.record", {"n": 1})
        assert calls == []  # nothing runs before the commit
    assert calls == [{"n": 1}]
    assert OutboxMessage.objects.get(pk=message.pk).processed_at is not None
    # Re-delivery of the same message (a worker lost its ack) has no second effect.
    assert outbox.outbox_process(message.pk) is False
    assert outbox_relay_task() == 0
    assert calls == [{"n": 1}]


def test_rolled_back_transaction_leaves_no_work(calls):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_enqueue("test.record", {"n": 2})
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0
    assert calls == []


def test_failed_message_is_retried_by_the_relay_after_backoff(calls):
    message = outbox.outbox_enqueue("test.fail_once", {"n": 3})
    row = OutboxMessage.objects.get(pk=message.pk)
    assert row.processed_at is None and "ConnectionError" in row.last_error
    assert outbox_relay_task() == 0  # backing off
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert outbox_relay_task() == 1
    assert OutboxMessage.objects.get(pk=message.pk).processed_at is not None
    assert calls == [{"n": 3}, {"n": 3}]


def test_broker_down_at_commit_loses_nothing(calls, monkeypatch):
    from accreditation import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.outbox_process_task, "delay", broker_down)
    with transaction.atomic():
        outbox.outbox_enqueue("test.record", {"n": 4})
    assert calls == []
    monkeypatch.undo()
    assert outbox_relay_task() == 1
    assert calls == [{"n": 4}]


def test_unknown_topic_is_refused():
    with pytest.raises(ValueError):
        outbox.outbox_enqueue("no.such.topic", {})


def test_a_redelivered_task_takes_over_the_claim_of_the_worker_that_died(calls):
    """The broker redelivers an unacknowledged task under the same id only when the worker
    running it was lost; anyone else waits for the claim's lease."""
    with transaction.atomic():
        message = OutboxMessage.objects.create(
            topic="test.record", payload={"n": 4}, available_at=timezone.now()
        )
    # A worker claimed it as task "t-1" and died before finishing.
    OutboxMessage.objects.filter(pk=message.pk).update(
        available_at=timezone.now() + outbox.CLAIM_LEASE, attempts=1, claimed_by="t-1"
    )
    assert outbox.outbox_process(message.pk, claimant="t-2") is False  # another task
    assert outbox_relay_task() == 0  # the relay
    assert calls == []
    assert outbox.outbox_process(message.pk, claimant="t-1") is True  # the redelivery
    row = OutboxMessage.objects.get(pk=message.pk)
    assert calls == [{"n": 4}] and row.attempts == 2 and row.claimed_by == ""
    assert outbox.outbox_process(message.pk, claimant="t-1") is False  # done: no second run
    assert timedelta(seconds=600) < outbox.CLAIM_LEASE  # longer than the task time limit
