"""Transactional outbox: work that must not be lost is written as a row in the same transaction
as the change that causes it, then handed to Celery after commit.

``on_commit(task.delay)`` alone loses the work when Redis is down at commit or the worker dies
before acknowledging; a row does not. The relay (``outbox_relay_task``, on the beat schedule)
picks up whatever was not processed: the broker was down, the handler failed, the worker was
killed mid-task. Handlers must be idempotent: a message can run more than once.

Usage::

    @outbox_handler("trust.refresh")
    def refresh(payload: dict) -> None: ...

    outbox_enqueue("trust.refresh", {"stakeholder_id": 7})   # inside the writer's transaction
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
_HANDLERS: dict[str, Handler] = {}

# A claimed message is not picked again for this long (the handler is running or died):
# longer than a task may run (the hard time limit kills it), so a live handler is never
# doubled. A worker that dies does not hold it that long: the broker redelivers its
# unacknowledged task (acks_late, reject_on_worker_lost) under the same task id, and that
# redelivery takes the claim over at once (see outbox_process).
CLAIM_LEASE = timedelta(seconds=(settings.CELERY_TASK_TIME_LIMIT or 600) + 60)
MAX_BACKOFF = timedelta(hours=1)


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[topic] = func
        return func

    return register


def outbox_enqueue(topic: str, payload: dict, *, delay: timedelta | None = None) -> OutboxMessage:
    """Record work to do after the current transaction commits (or at once, outside one)."""
    if topic not in _HANDLERS:
        raise ValueError(f"No outbox handler registered for topic {topic!r}")
    message = OutboxMessage.objects.create(
        topic=topic, payload=payload, available_at=timezone.now() + (delay or timedelta())
    )
    if delay is None:
        transaction.on_commit(lambda: _dispatch(message.pk), robust=True)
    return message


def _dispatch(message_id: int) -> None:
    from .tasks import outbox_process_task

    try:
        outbox_process_task.delay(message_id)
    except Exception:  # broker down: the relay will pick the row up
        logger.warning("outbox: could not dispatch message %s; the relay will retry", message_id)


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def outbox_process(message_id: int, claimant: str = "") -> bool:
    """Claim and run one message. Returns True if this call ran it to success.

    ``claimant`` is the Celery task id running it. The same id claiming again means the broker
    redelivered that task because the worker running it was lost (a live one cannot still be
    running it: the broker's visibility timeout is longer than the task time limit), so the
    claim is taken over instead of waiting for the lease to run out.
    """
    now = timezone.now()
    due = Q(available_at__lte=now)
    if claimant:
        due |= Q(claimed_by=claimant)
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, processed_at__isnull=True)
        .filter(due)
        .update(available_at=now + CLAIM_LEASE, attempts=F("attempts") + 1, claimed_by=claimant)
    )
    if not claimed:
        return False  # already done, not due yet, or another worker holds it
    message = OutboxMessage.objects.get(pk=message_id)
    handler = _HANDLERS.get(message.topic)
    try:
        if handler is None:
            raise LookupError(f"no handler for topic {message.topic!r}")
        handler(message.payload)
    except Exception as exc:
        logger.exception("outbox: message %s (%s) failed", message_id, message.topic)
        OutboxMessage.objects.filter(pk=message_id).update(
            available_at=timezone.now() + _backoff(message.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            claimed_by="",
        )
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        processed_at=timezone.now(), last_error="", claimed_by=""
    )
    return True


def outbox_pending_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(
            processed_at__isnull=True, available_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )
