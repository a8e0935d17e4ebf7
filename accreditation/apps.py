from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = "AEO accreditation"

    def ready(self) -> None:
        # Registers the outbox handlers and Celery tasks in every process, web and worker.
        from . import tasks  # noqa: F401
        from .trust import handlers  # noqa: F401
