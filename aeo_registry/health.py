"""Health checks for load balancers and monitoring, without authentication.

``/health/live``: the process answers (restart it if not).
``/health/ready``: 200 while the service can answer, 503 when it cannot. PostgreSQL is the
source of truth: without it nothing is answered, so it alone decides readiness. Redis (cache,
broker, trust snapshots) being down degrades the service (lookups answer from PostgreSQL,
work waits in the outbox) but does not stop it: the body says ``degraded`` and which part.
The body names the checks and their state only, never an error message or a host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("health:probe", 1, 10)
    if cache.get("health:probe") != 1:
        raise RuntimeError("the cache did not keep a value")


def _broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "in-process"  # eager Celery: nothing to reach
    import redis

    with redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5) as client:
        client.ping()
    return None


def _snapshots() -> str | None:
    from accreditation.trust.snapshots import RedisSnapshotStore, complete_marker_key, get_store

    store = get_store()
    if not isinstance(store, RedisSnapshotStore):
        return "in-process"
    if not store.client.exists(complete_marker_key()):
        # Redis lost its data: lookups answer from PostgreSQL until the sweep has rebuilt all.
        raise RuntimeError("the snapshots are being rebuilt")
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "trust_snapshots": _snapshots,
}
REQUIRED = {"database"}


def _run(check: Callable[[], str | None]) -> dict[str, object]:
    started = time.perf_counter()
    status, note = "ok", None
    try:
        note = check()
    except Exception as exc:
        logger.warning("health: %s failed: %s", check.__name__, exc)
        status = "down"
    result: dict[str, object] = {
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if note:
        result["note"] = note
    return result


def _json(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


@never_cache
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    checks = {name: _run(check) for name, check in CHECKS.items()}
    down = {name for name, result in checks.items() if result["status"] != "ok"}
    if down & REQUIRED:
        return _json({"status": "unavailable", "checks": checks}, 503)
    return _json({"status": "degraded" if down else "ok", "checks": checks})
