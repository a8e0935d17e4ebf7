"""The Redis snapshot store's read, against a real Redis: one Lua call on a connection kept
per thread. What can happen to that connection in production must neither lose an answer
nor turn it into NOT_FOUND."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accreditation.trust import selectors, snapshots
from accreditation.trust.snapshots import get_store
from tests.conftest import require

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

EORI = "DE100000000031"


@pytest.fixture
def store(wf):
    require(bool(settings.TRUST_SNAPSHOT_REDIS_URL), "needs TRUST_SNAPSHOT_REDIS_URL or REDIS_URL")
    holder = wf.register(eori=EORI)
    auth = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=3))
    wf.suspend(auth, ["AEOS"])
    store = get_store()
    assert isinstance(store, snapshots.RedisSnapshotStore)
    return store


def lookup(machine) -> tuple[dict, int]:
    """The item and the number of database reads answering it took (the lookup log's row is
    written synchronously in tests)."""
    with CaptureQueriesContext(connection) as queries:
        response = machine.get(f"/api/v1/trust/EORI/{EORI}/")
    assert response.status_code == 200, response.content
    reads = [q for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    return response.json(), len(reads)


def test_an_answer_from_redis_reads_nothing_from_the_database(store, machine):
    machine.get(f"/api/v1/trust/EORI/{EORI}/")  # verifies and caches the API key
    item, queries = lookup(machine)
    assert queries == 0
    assert item["types"] == ["AEOC"] and item["suspended_types"] == ["AEOS"]


def test_redis_forgetting_the_script_is_recovered_in_the_same_request(store, machine):
    before, _ = lookup(machine)
    store.client.script_flush()  # as after a Redis restart
    after, queries = lookup(machine)
    assert queries == 0  # answered by Redis, not by the fallback
    assert after == before | {"input": after["input"]}
    assert store.client.script_exists(store._sha) == [True]


def test_a_connection_redis_closed_is_replaced_without_a_failed_lookup(store, machine):
    before, _ = lookup(machine)
    conn = store._connection()
    conn.send_command("CLIENT", "ID")
    own_id = conn.read_response()
    assert store.client.client_kill_filter(_id=own_id) == 1  # idle timeout, restart, failover
    after, queries = lookup(machine)
    assert queries == 0
    assert after["status"] == before["status"] == "ACTIVE"
    assert store._down_until == 0.0  # not marked down: the new connection answered


def test_a_command_redis_refuses_is_answered_from_the_database(store, machine, api_key):
    before, _ = lookup(machine)
    _, window, _ = selectors._throttle_window(settings.API_KEY_THROTTLE_RATE)
    counters = [
        f"{snapshots.NAMESPACE}thr:k:{api_key.split('.')[0]}:{w}" for w in (window, window + 1)
    ]
    for key in counters:
        store.client.set(key, "not a number")  # INCRBY in the script fails
    try:
        after, queries = lookup(machine)
    finally:
        store.client.delete(*counters)
        store._down_until = 0.0
    assert queries > 0  # the fallback answered
    after.pop("data_as_of"), before.pop("data_as_of")
    assert after == before


def _ready():
    from django.test import Client

    response = Client().get("/health/ready")
    return response.status_code, response.json()


def test_health_reports_snapshots_ready_only_when_fully_built(store):
    """/health/ready: degraded (not unavailable) while the sweep rebuilds an emptied Redis."""
    from accreditation.trust.services import snapshots_rebuild_all

    snapshots_rebuild_all()
    status, body = _ready()
    assert (status, body["status"]) == (200, "ok"), body
    get_store().flush()  # Redis restarted empty: the sweep rebuilds, lookups use PostgreSQL
    status, body = _ready()
    assert (status, body["status"]) == (200, "degraded")
    assert body["checks"]["trust_snapshots"]["status"] == "down"
