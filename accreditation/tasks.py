"""Celery tasks of the accreditation app. Tasks take ids, load rows, call a service, and are
safe to run twice."""

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings
from django.core.mail import send_mail

from . import services
from .outbox import outbox_handler, outbox_pending_ids, outbox_process

logger = get_task_logger(__name__)


@shared_task(name="accreditation.outbox_process", bind=True)
def outbox_process_task(self, message_id: int) -> bool:
    return outbox_process(message_id, claimant=self.request.id or "")


@shared_task(name="accreditation.outbox_relay")
def outbox_relay_task() -> int:
    """Run what is due and was not run: broker down at commit, handler failed, worker lost."""
    ran = 0
    for message_id in outbox_pending_ids():
        ran += outbox_process(message_id)
    return ran


# --- the application workflow -----------------------------------------------------------------
# Checks and e-mails are recorded in the outbox by the services (inside the writer's transaction)
# and run here after commit; the relay re-runs what was lost. Each is safe to run twice.


@shared_task(name="accreditation.acceptance_check")
def application_acceptance_check_task(application_id: int) -> str:
    return services.application_acceptance_check(application_id).status


@shared_task(name="accreditation.examination_checks")
def application_examination_checks_task(application_id: int) -> int:
    return services.application_examination_checks(application_id)


@shared_task(name="accreditation.notify_members")
def notify_members_task(stakeholder_id: int, subject: str, body: str) -> int:
    recipients = services.members_emails(stakeholder_id)
    if not recipients:
        return 0
    # One message per member: members of one operator need not see each other's addresses.
    for email in recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return len(recipients)


@shared_task(name="accreditation.clock_sweep")
def clock_sweep_task() -> dict[str, int]:
    counts = services.clock_sweep()
    if any(counts.values()):
        logger.info("clock sweep: %s", counts)
    return counts


@outbox_handler(services.TOPIC_ACCEPTANCE)
def _acceptance_check(payload: dict) -> None:
    application_acceptance_check_task(payload["application_id"])


@outbox_handler(services.TOPIC_EXAMINATION)
def _examination_checks(payload: dict) -> None:
    application_examination_checks_task(payload["application_id"])


@outbox_handler(services.TOPIC_NOTIFY)
def _notify(payload: dict) -> None:
    notify_members_task(payload["stakeholder_id"], payload["subject"], payload["body"])
