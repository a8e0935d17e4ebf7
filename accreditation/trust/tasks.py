"""Celery tasks of the trust lookups: take ids, call a service, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="accreditation.trust_webhook_deliver")
def trust_webhook_deliver_task(delivery_pk: int) -> bool:
    return services.webhook_deliver(delivery_pk)


@shared_task(name="accreditation.trust_webhook_retry")
def trust_webhook_retry_task() -> int:
    """Deliveries due again after their backoff (or never handed to the broker)."""
    return sum(services.webhook_deliver(pk) for pk in services.webhook_due_ids())


@shared_task(name="accreditation.trust_sweep")
def trust_sweep_task() -> dict:
    return services.trust_sweep()


@shared_task(name="accreditation.trust_lookup_log_drain")
def trust_lookup_log_drain_task() -> int:
    return services.lookup_log_drain()


@shared_task(name="accreditation.trust_lookup_log_purge")
def trust_lookup_log_purge_task() -> int:
    return services.lookup_log_purge()
