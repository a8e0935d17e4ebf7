"""Webhook URLs cannot turn the server against its own network (server-side request forgery):
checked when a subscription is saved (API and admin) and again when each delivery is sent,
against the addresses the host resolves to then, which are the ones connected to."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from accreditation.models import WebhookDelivery, WebhookSubscription
from accreditation.trust import delivery, services
from accreditation.trust.tasks import trust_webhook_retry_task
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HOOKS = "/api/v1/trust/webhooks/"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata service
        "http://127.0.0.1:5432/",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "https://user:password@risk.example/hook",
        "ftp://risk.example/hook",
        "https://risk.example:99999/hook",
    ],
)
def test_a_url_that_is_not_a_public_http_endpoint_is_refused_with_a_field_error(officer, url):
    response = client_for(officer).post(HOOKS, {"name": "engine", "url": url})
    assert response.status_code == 400, url
    assert "url" in response.json()["errors"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", ["https://risk.example/hook", "https://93.184.216.34/hook"])
def test_a_public_host_is_accepted_without_a_dns_lookup_at_save_time(officer, url, monkeypatch):
    monkeypatch.setattr(delivery.socket, "getaddrinfo", None)  # any lookup would fail
    assert client_for(officer).post(HOOKS, {"name": "e", "url": url}).status_code == 201


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://engine.customs.example/hook", True),
        ("https://customs.example/hook", True),
        ("http://10.0.0.5/hook", True),  # listed: an internal receiver
        ("https://evilcustoms.example/hook", False),
        ("https://risk.example/hook", False),  # public, but not listed
        ("http://10.0.0.6/hook", False),
    ],
)
def test_with_an_allow_list_only_listed_hosts_are_accepted(officer, settings, url, accepted):
    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = [".customs.example", "10.0.0.5"]
    response = client_for(officer).post(HOOKS, {"name": "engine", "url": url})
    assert response.status_code == (201 if accepted else 400), response.json()


def test_the_admin_form_and_model_validation_refuse_it_too(officer):
    hook = WebhookSubscription(name="h", url="http://169.254.169.254/", secret="s" * 16)
    with pytest.raises(ValidationError) as refused:
        hook.full_clean()
    assert "not a public address" in str(refused.value.message_dict["url"])


def test_an_update_cannot_move_a_subscription_to_a_private_address(officer):
    staff = client_for(officer)
    hook = staff.post(HOOKS, {"name": "engine", "url": "https://risk.example/hook"}).json()
    moved = staff.patch(f"{HOOKS}{hook['id']}/", {"url": "http://127.0.0.1:6379/"})
    assert moved.status_code == 400 and "url" in moved.json()["errors"]
    assert WebhookSubscription.objects.get().url == "https://risk.example/hook"


class Receiver:
    """A receiver on loopback that records the Host header of what reaches it."""

    def __init__(self, status=204, location=None):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                received.append(self.headers["Host"])
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hooks_example_is_loopback(monkeypatch, receiver):
    """DNS answers 127.0.0.1 for hooks.example (a name that passes the save-time check)."""
    real = delivery.resolve

    def resolve(host, port):
        return [("127.0.0.1", port)] if host == "hooks.example" else real(host, port)

    monkeypatch.setattr(delivery, "resolve", resolve)
    services.webhook_subscription_create(
        name="engine", url=f"http://hooks.example:{receiver.port}/hook", secret="s" * 32
    )


def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(
    wf, receiver, hooks_example_is_loopback
):
    wf.register(eori="DE700000000001")
    trust_webhook_retry_task()
    sent = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert sent.status == "PENDING" and sent.attempts == 1  # retried: the rules may change
    assert "not a public address (127.0.0.1)" in sent.last_error


def test_a_listed_name_is_sent_to_the_address_that_was_checked(
    wf, settings, receiver, hooks_example_is_loopback
):
    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    wf.register(eori="DE700000000002")
    trust_webhook_retry_task()
    assert WebhookDelivery.objects.get().status == "DELIVERED"
    # Connected to the resolved address, while the request still names the host.
    assert receiver.received == [f"hooks.example:{receiver.port}"]


def test_a_redirect_is_not_followed(wf, settings):
    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    target = Receiver()
    redirecting = Receiver(status=307, location=f"http://127.0.0.1:{target.port}/hook")
    try:
        services.webhook_subscription_create(
            name="engine", url=f"http://127.0.0.1:{redirecting.port}/hook", secret="s" * 32
        )
        wf.register(eori="DE700000000003")
        trust_webhook_retry_task()
        sent = WebhookDelivery.objects.get()
        assert sent.status == "PENDING" and sent.last_status_code == 307
        assert len(redirecting.received) == 1 and target.received == []
    finally:
        target.close()
        redirecting.close()


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver on loopback with a self-signed certificate for hooks.example, which
    DNS (patched) resolves to 127.0.0.1; it records the server name the client asked for."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example",
         "-addext", "subjectAltName=DNS:hooks.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    receiver = Receiver()
    server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    monkeypatch.setattr(
        delivery, "resolve", lambda host, port: [("127.0.0.1", port)]
    )  # hooks.example → loopback
    services.webhook_subscription_create(
        name="engine", url=f"https://hooks.example:{receiver.port}/hook", secret="s" * 32
    )
    yield receiver, server_names, cert
    receiver.close()


def test_https_verifies_the_certificate_for_the_urls_host(wf, settings, tls_receiver):
    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    receiver, server_names, _ = tls_receiver
    wf.register(eori="DE700000000004")
    trust_webhook_retry_task()
    sent = WebhookDelivery.objects.get()
    assert sent.status == "PENDING" and "CERTIFICATE_VERIFY_FAILED" in sent.last_error
    assert receiver.received == []
    assert server_names == ["hooks.example"]  # asked for by name, though connected by address


def test_https_to_a_trusted_certificate_is_delivered(wf, settings, tls_receiver, monkeypatch):
    import ssl

    settings.TRUST_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    receiver, server_names, cert = tls_receiver
    trusting = ssl.create_default_context(cafile=cert)  # as if a CA the system trusts signed it
    monkeypatch.setattr(delivery.ssl, "create_default_context", lambda: trusting)
    wf.register(eori="DE700000000005")
    trust_webhook_retry_task()
    sent = WebhookDelivery.objects.get()
    assert sent.status == "DELIVERED", sent.last_error
    assert receiver.received == [f"hooks.example:{receiver.port}"]
    assert server_names == ["hooks.example"]
