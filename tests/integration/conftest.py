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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path
    _log_file: IO[bytes]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._log_file.close()


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
def start_worker(django_db_setup, _media_in_tmp, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start workers (``start_worker(name, extra_args=..., extra_env=...)``); all are stopped
    at the end of the test, even one the test killed already."""
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")
    require(bool(settings.CELERY_BROKER_URL), "needs Redis: set REDIS_URL or CELERY_BROKER_URL")
    from aeo_registry.celery import app

    started: list[Worker] = []

    def start(
        name: str = "w", extra_args: Sequence[str] = (), extra_env: dict[str, str] | None = None
    ) -> Worker:
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
            **(extra_env or {}),
        }
        env.pop("REDIS_URL", None)  # the explicit URLs above win; keep one source of truth
        log_path = tmp_path / f"worker-{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
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
                f"pytest-{os.getpid()}-{name}@%h",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log_path, log)
        started.append(worker)
        deadline = time.monotonic() + READY_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if process.poll() is not None:
                pytest.fail(f"the worker exited early:\n{worker.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no worker ready in {READY_TIMEOUT}s:\n{worker.log()[-4000:]}")
            time.sleep(0.2)
        return worker

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield start
    finally:
        app.conf.task_always_eager = eager
        for worker in started:
            worker.stop()
            if os.environ.get("SHOW_WORKER_LOG"):
                print(worker.log()[-8000:])


@pytest.fixture
def celery_worker_process(start_worker) -> subprocess.Popen:
    return start_worker().process


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
