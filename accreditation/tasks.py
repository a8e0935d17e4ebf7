"""Celery tasks of the accreditation app. Tasks take ids, load rows, call a service, and are
safe to run twice."""

from celery import shared_task

from .outbox import outbox_pending_ids, outbox_process


@shared_task(name="accreditation.outbox_process")
def outbox_process_task(message_id: int) -> bool:
    return outbox_process(message_id)


@shared_task(name="accreditation.outbox_relay")
def outbox_relay_task() -> int:
    """Run what is due and was not run: broker down at commit, handler failed, worker lost."""
    ran = 0
    for message_id in outbox_pending_ids():
        ran += outbox_process(message_id)
    return ran
