"""Where webhooks may be sent, and the HTTP POST that sends them.

Staff type a webhook's URL, but the server makes the request: unchecked, a URL could point
the server at a cloud metadata service, the database's port or an admin interface on the
internal network (server-side request forgery). The rules:

- ``http`` or ``https`` only, and no credentials in the URL;
- when ``TRUST_WEBHOOK_ALLOWED_HOSTS`` is set, the host must be listed there (an entry
  starting with a dot, ``.customs.example``, also admits its subdomains);
- a host not listed there must be public: neither the host in the URL nor any address it
  resolves to may be loopback, private, link-local, shared, multicast or reserved. A
  receiver on the internal network is allowed by listing its host;
- the request goes to the very address that was checked (a second DNS lookup could answer
  differently), redirects are not followed, and at most 64 KiB of the answer is read.

The URL is checked when a subscription is saved (:func:`validate_webhook_url`, a model
field validator, so the API and the admin both refuse it with a field message) and again at
every delivery, with the addresses it resolves to then (:func:`post`).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


class WebhookUrlRefused(ValueError):
    """The URL breaks the rules above; the message says which."""


def _listed(host: str) -> bool:
    host = host.lower().rstrip(".")
    for entry in settings.TRUST_WEBHOOK_ALLOWED_HOSTS:
        entry = entry.strip().lower().rstrip(".")
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone index is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse a URL by its form and by its host as written (no DNS lookup here)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefused("Only http and https URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("Credentials in the URL are not allowed; sign with the secret.")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise WebhookUrlRefused("The port is not a number from 1 to 65535.") from None
    host = parts.hostname
    if not host:
        raise WebhookUrlRefused("The URL has no host.")
    if _listed(host):
        return
    if settings.TRUST_WEBHOOK_ALLOWED_HOSTS:
        raise WebhookUrlRefused(f"{host} is not one of TRUST_WEBHOOK_ALLOWED_HOSTS.")
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookUrlRefused(_non_public(host, "127.0.0.1"))
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: the addresses it resolves to are checked at each delivery
    if not _public(host):
        raise WebhookUrlRefused(_non_public(host, host))


def _non_public(host: str, address: str) -> str:
    return (
        f"{host} is not a public address ({address}); list the host in "
        "TRUST_WEBHOOK_ALLOWED_HOSTS to send webhooks to it."
    )


def validate_webhook_url(url: str) -> None:
    try:
        check_url(url)
    except WebhookUrlRefused as exc:
        raise ValidationError(str(exc), code="webhook_url") from None


def resolve(host: str, port: int) -> list[tuple[str, int]]:
    """The (address, port) pairs ``host`` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(info[4][0], info[4][1]) for info in infos]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; Host header as in the URL."""

    def __init__(self, host: str, port: int, *, address: tuple[str, int], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection(self._address, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address; TLS verifies the certificate for the URL's host."""

    def __init__(self, host: str, port: int, *, address: tuple[str, int], timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` under the rules above; the HTTP status of the answer."""
    check_url(url)  # the rules may have changed since the subscription was saved
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookUrlRefused(f"{host} resolves to no address.")
    if not _listed(host):
        for address, _ in addresses:
            if not _public(address):
                raise WebhookUrlRefused(_non_public(host, address))
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    conn = connection_class(host, port, address=addresses[0], timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        conn.close()
