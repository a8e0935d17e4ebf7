"""Signal receivers and outbox handlers of the trust lookups.

Receivers run inside the writer's transaction and only record rows: an outbox message (the
snapshot rebuild, run after commit and retried by the relay if lost) and a change-feed row
(sequenced after commit). They never do I/O and never drive the workflow.
"""

from django.dispatch import receiver

from stakeholders.signals import stakeholder_changed

from ..outbox import outbox_enqueue, outbox_handler
from ..signals import authorisation_changed
from . import services

REBUILD_TOPIC = "trust.rebuild"


@outbox_handler(REBUILD_TOPIC)
def trust_rebuild_handler(payload: dict) -> None:
    services.snapshots_rebuild(
        stakeholder_ids=payload.get("stakeholder_ids", []),
        keys=[tuple(k) for k in payload.get("keys", [])],
    )
    # Positions for the feed rows that committed with this change (and any left behind).
    services.trust_feed_sequence()


@receiver(authorisation_changed, dispatch_uid="trust.authorisation_changed")
def on_authorisation_changed(sender, *, authorisation_id, holder_id, change, **kwargs) -> None:
    services.trust_change_record(
        stakeholder_id=holder_id, change=str(change), authorisation_id=authorisation_id
    )
    outbox_enqueue(REBUILD_TOPIC, {"stakeholder_ids": [holder_id]})


@receiver(stakeholder_changed, dispatch_uid="trust.stakeholder_changed")
def on_stakeholder_changed(sender, *, stakeholder_id, **kwargs) -> None:
    services.trust_change_record(stakeholder_id=stakeholder_id, change="REGISTRY_UPDATED")
    outbox_enqueue(REBUILD_TOPIC, {"stakeholder_ids": [stakeholder_id]})
