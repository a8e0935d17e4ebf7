import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from accreditation.models import TrustChange, WebhookDelivery
from accreditation.trust import services
from accreditation.trust.tasks import trust_webhook_retry_task
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/trust/changes/"
SECRET = "s3cret-shared-with-the-receiver"


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    """The receivers here listen on loopback, which webhooks reach only when it is listed."""
    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


class Receiver:
    """A webhook receiver on loopback: checks signatures, drops replayed delivery ids."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.received: list[dict] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers[services.DELIVERY_HEADER]
                valid = services.webhook_verify(
                    SECRET, self.headers[services.SIGNATURE_HEADER], body
                )
                receiver.received.append(
                    {"delivery": delivery, "valid": valid, "body": orjson.loads(body)}
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                if code == 200 and delivery in receiver.seen:
                    receiver.duplicates += 1
                if code == 200:
                    receiver.seen.add(delivery)
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(codes=()):
        r = Receiver(codes)
        made.append(r)
        services.webhook_subscription_create(name="risk engine", url=r.url, secret=SECRET)
        return r

    yield make
    for r in made:
        r.close()


def deliver_due():
    """What beat does every 30 s (and what a worker does at once when a broker runs)."""
    return trust_webhook_retry_task()


def test_the_feed_lists_changes_in_order_with_a_cursor_that_only_moves_forward(machine, wf):
    holder = wf.register(eori="DE600000000001")
    auth = wf.grant(holder, "AEOF", effective_from=timezone.now() - timedelta(days=1))
    wf.suspend(auth, ["AEOS"])
    page = machine.get(URL, {"limit": 2}).json()
    assert [c["change"] for c in page["items"]] == ["REGISTRY_UPDATED", "GRANTED"]
    assert page["has_more"] is True
    assert ["EORI", "DE600000000001"] in page["items"][0]["identifiers"]
    rest = machine.get(URL, {"after": page["next_cursor"]}).json()
    assert [c["change"] for c in rest["items"]] == ["SUSPENDED"]
    assert rest["items"][0]["authorisation_no"] == auth.number
    positions = [int(c["position"]) for c in page["items"] + rest["items"]]
    assert positions == sorted(positions) and len(set(positions)) == 3
    empty = machine.get(URL, {"after": rest["next_cursor"]}).json()
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]


def test_a_change_that_commits_late_still_comes_after_the_cursor(machine, wf):
    holder = wf.register(eori="DE600000000002")
    cursor = machine.get(URL).json()["next_cursor"]
    # A transaction that took its row id before the one already seen but committed after
    # the reader moved on: its id is lower, its position must still be higher.
    first = TrustChange.objects.order_by("pk").first()
    TrustChange.objects.create(
        pk=first.pk - 1, stakeholder_id=holder.pk, change="SUSPENDED", occurred_at=timezone.now()
    )
    services.trust_feed_sequence()
    after = machine.get(URL, {"after": cursor}).json()["items"]
    assert [c["change"] for c in after] == ["SUSPENDED"]
    assert int(after[0]["position"]) > int(cursor)


@pytest.mark.parametrize(
    "query", [{"after": "x"}, {"after": "-1"}, {"after": str(10**30)}, {"limit": "0"}]
)
def test_a_bad_cursor_or_limit_is_a_400(machine, query):
    assert machine.get(URL, query).status_code == 400


def test_operators_cannot_follow_the_feed(stranger):
    assert client_for(stranger).get(URL).status_code == 403


def test_a_change_is_posted_signed_to_each_subscription(wf, receiver_factory):
    receiver = receiver_factory()
    holder = wf.register(eori="DE600000000003")
    deliver_due()
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent["valid"] is True
    assert sent["body"]["change"] == "REGISTRY_UPDATED"
    assert sent["body"]["stakeholder_id"] == holder.pk
    assert sent["body"]["delivery_id"] == sent["delivery"]
    assert WebhookDelivery.objects.get().status == "DELIVERED"


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_delivery_id(wf, receiver_factory):
    receiver = receiver_factory(codes=[500, 503])
    wf.register(eori="DE600000000004")
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "PENDING" and delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert deliver_due() == 0  # backing off: not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        deliver_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 503
    second_wait = delivery.next_attempt_at - timezone.now()
    assert second_wait > timedelta(seconds=55)  # the wait doubles
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED" and delivery.attempts == 3
    ids = {r["delivery"] for r in receiver.received}
    bodies = {orjson.dumps(r["body"]) for r in receiver.received}
    assert len(ids) == 1 and len(bodies) == 1 and len(receiver.received) == 3


def test_a_redelivery_is_recognised_by_the_receiver_as_a_replay(wf, receiver_factory):
    receiver = receiver_factory()
    wf.register(eori="DE600000000005")
    deliver_due()
    services.webhook_redeliver(WebhookDelivery.objects.get().pk)
    deliver_due()
    assert len(receiver.received) == 2
    assert receiver.duplicates == 1


def test_a_signature_is_refused_when_stale_tampered_or_made_with_another_secret():
    body = b'{"change":"REVOKED"}'
    header = services.webhook_sign(SECRET, 1_700_000_000, body)
    assert services.webhook_verify(SECRET, header, body, now=1_700_000_010)
    assert not services.webhook_verify(SECRET, header, body, now=1_700_000_000 + 3600)
    assert not services.webhook_verify(SECRET, header, body + b" ", now=1_700_000_010)
    assert not services.webhook_verify("other", header, body, now=1_700_000_010)
    assert not services.webhook_verify(SECRET, "garbage", body)


def test_a_delivery_that_keeps_failing_ends_failed_and_shows_in_admin(wf, receiver_factory, client):
    receiver_factory(codes=[500] * 10)
    wf.register(eori="DE600000000006")
    with override_settings(TRUST_WEBHOOK_MAX_ATTEMPTS=2):
        deliver_due()
        delivery = WebhookDelivery.objects.get()
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "FAILED" and "500" in delivery.last_error
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/accreditation/webhookdelivery/?status__exact=FAILED")
    assert page.status_code == 200 and str(delivery.delivery_id) in page.content.decode()


def test_staff_manage_subscriptions_and_see_the_secret_once(officer, stranger):
    staff = client_for(officer)
    created = staff.post(
        "/api/v1/trust/webhooks/", {"name": "engine", "url": "http://127.0.0.1:9/x"}
    )
    assert created.status_code == 201 and len(created.json()["secret"]) == 64
    listed = staff.get("/api/v1/trust/webhooks/").json()["results"]
    assert "secret" not in listed[0]
    assert client_for(stranger).get("/api/v1/trust/webhooks/").status_code == 403
    bad = staff.post("/api/v1/trust/webhooks/", {"name": "x", "url": "not a url"})
    assert bad.status_code == 400 and "url" in bad.json()["errors"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_never_let_the_cursor_skip_a_change():
    """T1 writes its feed row first but commits last; a reader who read up to T2's change
    still gets T1's afterwards, with a greater position."""
    from django.db import connection, transaction

    from accreditation.trust.selectors import change_feed

    inserted, release = threading.Event(), threading.Event()
    first_id: list[int] = []

    def slow_writer():
        try:
            with transaction.atomic():
                first_id.append(services.trust_change_record(stakeholder_id=1, change="T1").pk)
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    with transaction.atomic():
        second = services.trust_change_record(stakeholder_id=2, change="T2")
    services.trust_feed_sequence()
    seen = change_feed(0, 100)
    assert [c.change for c in seen] == ["T2"]
    cursor = seen[-1].position

    release.set()
    writer.join(10)
    services.trust_feed_sequence()
    later = change_feed(cursor, 100)
    assert [c.change for c in later] == ["T1"]
    assert first_id[0] < second.pk and later[0].position > cursor
