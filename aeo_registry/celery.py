"""Celery application. Configuration comes from Django settings (CELERY_* names).

With no broker configured the tasks run eagerly in-process, so the embedded set-up needs no
Redis. Periodic work is declared in code (CELERY_BEAT_SCHEDULE): django-celery-beat pins
Django < 6.1.
"""

import os
from typing import Any

from celery import Celery
from django.core.signals import setting_changed
from django.dispatch import receiver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aeo_registry.settings.base")

app = Celery("aeo_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@receiver(setting_changed)
def _follow_django_settings(*, setting: str, value: Any, **kwargs: Any) -> None:
    """Celery copies the CELERY_* settings once; an override (tests) must reach it too, and a
    new broker URL must not reuse the pooled connections to the old one."""
    if not setting.startswith("CELERY_"):
        return
    name = setting.removeprefix("CELERY_").lower()
    app.conf[name] = value
    if name == "broker_url":
        # Celery prefers the CELERY_BROKER_URL environment variable to its own setting, but
        # not to the write/read URLs: set those so the override wins.
        app.conf.broker_write_url = app.conf.broker_read_url = value
        app._pool = None
        app.amqp._producer_pool = None
