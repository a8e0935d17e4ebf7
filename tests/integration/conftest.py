"""A real Celery worker process for the integration tests.

It runs ``celery -A aeo_registry worker`` against the pytest test database
(``connection.settings_dict["NAME"]``) and the broker the settings name
(``settings.CELERY_BROKER_URL``: your own Redis database locally, REDIS_URL's in CI), and is
stopped at the end whatever happens. The test process stops running tasks eagerly meanwhile,
so what it dispatches really goes through Redis to that worker.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def celery_worker_process(django_db_setup, _media_in_tmp, tmp_path) -> Iterator[subprocess.Popen]:
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    require(bool(settings.CELERY_BROKER_URL), "needs Redis: set REDIS_URL or CELERY_BROKER_URL")
    from aeo_registry.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aeo_registry.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CACHE_URL,
        "TRUST_SNAPSHOT_REDIS_URL": settings.TRUST_SNAPSHOT_REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CONN_MAX_AGE": "0",
        "MEDIA_ROOT": settings.MEDIA_ROOT,
    }
    env.pop("REDIS_URL", None)  # the explicit URLs above win; keep one source of truth
    log_path = tmp_path / "worker.log"
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "aeo_registry",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"pytest-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None:
                pytest.fail(f"the worker exited early:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the worker was not ready in {READY_TIMEOUT}s:\n{log_path.read_text()[-4000:]}"
                )
            time.sleep(0.2)
        yield worker
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=STOP_TIMEOUT)
        log.close()
        if os.environ.get("SHOW_WORKER_LOG"):
            print(log_path.read_text()[-8000:])


def wait_for(condition: Callable[[], object], timeout: float = 60.0, what: str = "") -> object:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(0.25)
