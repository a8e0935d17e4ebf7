"""Append-only audit log with a SHA-256 hash chain.

Each event's ``hash`` is SHA-256 over the previous event's hash and the event's canonical
content, so altering or removing a row breaks every later link; ``AuditChainHead`` keeps the
end of the chain so removing the newest rows shows too. Appends are serialised by locking the
head row (``select_for_update`` on PostgreSQL; SQLite's IMMEDIATE transactions already hold the
database lock): two concurrent transactions cannot both chain onto the same predecessor.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """What the JSON column will give back: dates as strings, tuples as lists."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    return f"user:{actor.pk}:{actor.get_username()}"


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    content = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + content).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    # The actor is hashed by label, not by foreign key: deleting a user (SET_NULL) must not
    # look like tampering.
    return {
        "actor": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": str(event.target_id),
        "before": event.before,
        "after": event.after,
        "legal_basis": event.legal_basis,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


@transaction.atomic
def audit_record(
    *,
    actor,
    action: str,
    target_type: str,
    target_id: int | str,
    before: Any = None,
    after: Any = None,
    legal_basis: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    event = AuditEvent(
        actor=actor,
        actor_label=actor_label(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_plain(before),
        after=_plain(after),
        legal_basis=legal_basis,
        at=at or timezone.now(),
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event.prev_hash, _fields(event))
    event.save(force_insert=True)
    AuditChainHead.objects.filter(id=1).update(
        last_event_id=event.pk, last_hash=event.hash, count=head.count + 1
    )
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str


def audit_verify_chain() -> ChainProblem | None:
    """The first place where the chain is broken, or None when it verifies."""
    prev_hash = GENESIS
    count = 0
    last_id = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            return ChainProblem(
                event.pk,
                f"event #{event.pk} does not follow the previous event "
                f"(#{last_id or '-'}): an event before it was altered or removed",
            )
        if event_hash(prev_hash, _fields(event)) != event.hash:
            return ChainProblem(event.pk, f"event #{event.pk} was altered: its hash does not match")
        prev_hash = event.hash
        last_id = event.pk
        count += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_hash != prev_hash or head.count != count):
        return ChainProblem(
            head.last_event_id,
            f"the chain ends at #{last_id or '-'} with {count} events but the head records "
            f"#{head.last_event_id} with {head.count}: the newest events were removed",
        )
    return None
