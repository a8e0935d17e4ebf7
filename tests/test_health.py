"""Health checks: the database decides readiness; Redis down only degrades the service."""

import pytest
from django.db import OperationalError
from django.test import Client

from aeo_registry import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded(settings):
    """No Redis at all: eager Celery, snapshots in-process."""
    settings.CELERY_BROKER_URL = ""
    settings.TRUST_SNAPSHOT_REDIS_URL = ""


def ready():
    response = Client().get("/health/ready")
    return response.status_code, response.json()


def test_live_answers_without_authentication():
    response = Client().get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert Client().post("/health/live").status_code == 405


def test_ready_reports_each_part(embedded):
    status, body = ready()
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "trust_snapshots"}
    assert body["checks"]["broker"] == {"status": "ok", "ms": body["checks"]["broker"]["ms"],
                                        "note": "in-process"}  # fmt: skip


def test_redis_down_degrades_but_the_service_stays_ready(embedded, settings):
    settings.TRUST_SNAPSHOT_REDIS_URL = "redis://127.0.0.1:9/0"  # connection refused
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/1"
    status, body = ready()
    assert status == 200 and body["status"] == "degraded"
    assert body["checks"]["trust_snapshots"]["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert "refused" not in str(body).lower() and "127.0.0.1" not in str(body)


def test_without_the_database_the_service_is_not_ready(embedded, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(health.connection, "cursor", broken)
    status, body = ready()
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "down"
    assert "could not connect" not in str(body)
