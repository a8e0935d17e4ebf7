"""Test-only worker hooks, imported by a worker started with
``--include tests.integration.blocking`` and ``AEO_TEST_CONTROL_DIR`` set (never in production).

- While ``<dir>/block`` exists, the acceptance check stops inside its transaction (the
  application row locked) after writing ``<dir>/started``, until ``<dir>/release`` appears:
  the test kills the worker there, mid-task.
- The broker's visibility timeout is a few seconds, so a message the killed worker held
  unacknowledged is redelivered within the test (production waits an hour).
"""

import os
import time
from pathlib import Path

from celery.signals import worker_init

CONTROL = os.environ.get("AEO_TEST_CONTROL_DIR", "")
VISIBILITY_TIMEOUT = 4


def _install() -> None:
    from django.db import transaction

    from accreditation import services
    from accreditation.models import Application

    original = services.application_acceptance_check
    control = Path(CONTROL)

    def blocking_acceptance_check(application_id: int):
        if not (control / "block").exists():
            return original(application_id)
        with transaction.atomic():
            Application.objects.select_for_update().get(pk=application_id)
            (control / "started").write_text(str(os.getpid()))
            deadline = time.monotonic() + 120
            while not (control / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            return original(application_id)

    services.application_acceptance_check = blocking_acceptance_check


if CONTROL:
    from aeo_registry.celery import app

    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

    @worker_init.connect(weak=False)
    def _on_worker_init(**kwargs) -> None:
        _install()
