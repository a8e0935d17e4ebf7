from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    name = "accreditation"
    verbose_name = "AEO accreditation"

    def ready(self) -> None:
        # Registers the outbox handlers and Celery tasks in every process, web and worker.
        from . import tasks  # noqa: F401

        # Trust lookups: signal receivers, outbox handlers, tasks, admin.
        from .trust import admin as trust_admin  # noqa: F401
        from .trust import handlers as trust_handlers  # noqa: F401
        from .trust import tasks as trust_tasks  # noqa: F401
