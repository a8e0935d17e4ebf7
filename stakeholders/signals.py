"""Cross-app notifications from the registry.

Sent by ``stakeholders.services`` inside the writer's transaction whenever something a trust
lookup shows may have changed (identifiers, roles, relationships, names, consents). Receivers
record follow-up work in the same transaction (an outbox row), never do I/O themselves.
They are notifications for caches and feeds; they never drive the workflow.
"""

from django.dispatch import Signal

# kwargs: stakeholder_id: int
stakeholder_changed = Signal()
