"""Notifications about authorisations, sent by the services inside the writer's transaction.

Receivers (trust snapshots, change feed, webhooks) record follow-up work in the same
transaction, through the outbox; they do no I/O themselves and never drive the workflow.
"""

from django.dispatch import Signal

# kwargs: authorisation_id: int, holder_id: int, change: str
#   change is one of "GRANTED", "SUSPENDED", "REINSTATED", "REVOKED", "SUSPENSION_EXTENDED"
authorisation_changed = Signal()
