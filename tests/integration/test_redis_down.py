"""Redis down: the cache, the broker and the snapshot store all point at a closed port.

Lookups answer from PostgreSQL with the same items; writes through the API still commit and
leave their outbox rows pending; when Redis returns, the relay runs them and the snapshots
heal. The shared Redis is never stopped: the outage is a settings override (the snapshot
store, Django's cache and Celery follow overrides through ``setting_changed``).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accreditation.models import Application, OutboxMessage
from accreditation.tasks import outbox_relay_task
from accreditation.trust import snapshots
from aeo_registry.celery import app
from stakeholders.models import Stakeholder
from tests.accreditation.conftest import answer_all
from tests.conftest import client_for
from tests.factories import ApplicationFactory
from tests.trust.factories import Workflow

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CLOSED = "redis://127.0.0.1:9/0"


def outage():
    """Every Redis the process uses, unreachable; tasks go to the (dead) broker."""
    return override_settings(
        CELERY_BROKER_URL=CLOSED,
        CELERY_TASK_ALWAYS_EAGER=False,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CLOSED,
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        },
        TRUST_SNAPSHOT_REDIS_URL=CLOSED,
        TRUST_SNAPSHOT_TIMEOUT=0.1,
    )


def lookup(client, id_type: str, value: str, **params) -> dict:
    response = client.get(f"/api/v1/trust/{id_type}/{value}/", params)
    assert response.status_code in (200, 404), response.content
    item = response.json()
    item.pop("data_as_of")
    return item


def stored(key: tuple[str, str]) -> dict | None:
    blob = snapshots.get_store().read([snapshots.redis_key(key)]).values[0]
    return snapshots.loads(blob) if blob else None


@pytest.fixture(autouse=True)
def _fresh_snapshot_store():
    snapshots.set_store(None)
    snapshots.get_store().flush()
    yield
    snapshots.set_store(None)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


@pytest.fixture
def holder(django_capture_on_commit_callbacks):
    wf = Workflow(django_capture_on_commit_callbacks)
    holder = wf.register(eori="DE100000000777", legal_name="Harbour Freight GmbH")
    authorisation = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=30))
    return holder, authorisation


def test_with_redis_down_lookups_answer_from_postgresql_writes_commit_and_snapshots_heal(
    holder, machine, owner, stakeholder, supervisor, committed, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    holder, authorisation = holder
    assert isinstance(snapshots.get_store(), snapshots.RedisSnapshotStore)
    assert app.conf.broker_write_url == settings.CELERY_BROKER_URL
    keys = [("EORI", "DE100000000777"), ("AEO_NO", authorisation.number)]
    past = snapshots.iso(timezone.now() - timedelta(days=60))
    asked = [(k, at) for k in keys for at in (None, past)] + [(("EORI", "DE999999999"), None)]

    def answers():
        return [lookup(machine, *key, **({"as_of": at} if at else {})) for key, at in asked]

    with_redis = answers()
    assert all(stored(k) for k in keys)  # served from the snapshots
    assert with_redis[0]["status"] == "ACTIVE"
    application = ApplicationFactory(stakeholder=stakeholder, status="DRAFT", type="AEOC")
    answer_all(application)
    pending_before = set(
        OutboxMessage.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)
    )
    operator, staff = client_for(owner), client_for(supervisor)

    with outage():
        assert app.conf.broker_write_url == CLOSED and not app.conf.task_always_eager
        store = snapshots.get_store()
        assert isinstance(store, snapshots.RedisSnapshotStore)
        with pytest.raises(snapshots.StoreUnavailable):
            store.read([snapshots.redis_key(keys[0])])

        # Lookups: the same answers, from PostgreSQL; a known identifier is never NOT_FOUND.
        assert answers() == with_redis

        # Writes through the API commit; their after-commit work waits in the outbox.
        created = committed(
            operator.post,
            "/api/v1/stakeholders/",
            {
                "legal_name": "Outage Imports GmbH",
                "country": "DE",
                "address": "Kai 3",
                "city": "Bremen",
                "contact_email": "ops@outage.example",
                "identifiers": [{"type": "EORI", "value": "DE100000000888"}],
                "roles": ["IMPORTER"],
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        submitted = committed(operator.post, f"/api/v1/applications/{application.pk}/submit/")
        assert submitted.status_code == 200, submitted.json()
        suspended = committed(
            staff.post,
            f"/api/v1/authorisations/{authorisation.pk}/suspend/",
            {"types": ["AEOS"], "ground": "INVESTIGATION", "reason": "Seals.", "immediate": True},
            format="json",
        )
        assert suspended.status_code == 200, suspended.json()
        # Logging in still works (the login throttle counts in-process while the cache is down).
        owner.set_password("Vessel-Harbour-2026!")
        owner.save()
        login = api_login(owner.username, "Vessel-Harbour-2026!")
        assert login.status_code == 200, login.json()

        pending = set(
            OutboxMessage.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)
        )
        new = OutboxMessage.objects.filter(pk__in=pending - pending_before)
        assert {m.topic for m in new} >= {
            "trust.rebuild",
            "accreditation.acceptance_check",
            "accreditation.notify_members",
        }, [m.topic for m in new]
        assert all(m.attempts == 0 for m in new)
        assert Application.objects.get(pk=application.pk).status == "SUBMITTED"

        # The database answers with the committed changes at once.
        during = lookup(machine, *keys[0])
        assert during["status"] == "ACTIVE" and during["suspended_types"] == ["AEOS"]
        assert lookup(machine, "EORI", "DE100000000888")["match"] == "FOUND"

    # Redis is back: the snapshots still show the old state until the relay runs.
    assert app.conf.broker_write_url == settings.CELERY_BROKER_URL
    assert isinstance(snapshots.get_store(), snapshots.RedisSnapshotStore)
    assert stored(("EORI", "DE100000000888")) is None
    assert outbox_relay_task() >= 3
    assert not OutboxMessage.objects.filter(pk__in=pending - pending_before).filter(
        processed_at__isnull=True
    )
    assert Application.objects.get(pk=application.pk).status in ("EXAMINATION", "INFO_REQUESTED")

    # ...and the lookups are served from the healed snapshots.
    assert (
        stored(("EORI", "DE100000000888"))["sid"]
        == Stakeholder.objects.get(legal_name="Outage Imports GmbH").pk
    )
    record = stored(keys[0])
    assert [iv[1] for auth in record["auths"] for iv in auth["iv"]].count("SUSPENDED") == 1
    healed = lookup(machine, *keys[0])
    assert healed == during
    assert healed["types"] == ["AEOC"] and healed["suspended_types"] == ["AEOS"]


def api_login(username: str, password: str):
    from rest_framework.test import APIClient

    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_the_outage_override_reaches_every_redis_client_and_is_undone():
    broker, store = app.conf.broker_write_url, snapshots.get_store()
    with outage():
        from django.core.cache import cache

        assert app.conf.broker_write_url == CLOSED
        assert snapshots.get_store() is not store
        with pytest.raises(Exception):  # noqa: B017 (redis' ConnectionError)
            cache.get("anything")
    assert app.conf.broker_write_url == broker == settings.CELERY_BROKER_URL
    from django.core.cache import cache

    assert cache.get("anything") is None
