"""Celery application. Configuration comes from Django settings (CELERY_* names).

With no broker configured the tasks run eagerly in-process, so the embedded set-up needs no
Redis. Periodic work is declared in code (CELERY_BEAT_SCHEDULE): django-celery-beat pins
Django < 6.1.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aeo_registry.settings.base")

app = Celery("aeo_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
