"""Authentication for people (hashed, expiring tokens) and machines (hashed API keys).

Tokens: ``Authorization: Token <token>``, django-rest-knox (stored as digests, with expiry).
Machine keys: ``Authorization: Api-Key <key>``, djangorestframework-api-key (stored hashed,
revocable in admin). A machine request has ``request.user`` anonymous and ``request.auth`` a
``MachineKey``; views that serve machines say so in their permissions.
"""

import time
from dataclasses import dataclass
from threading import Lock

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_api_key.models import APIKey


class HashedTokenAuthentication(TokenAuthentication):
    """Knox's token authentication under the project's name (``Token`` header prefix)."""


@dataclass(frozen=True, slots=True)
class MachineKey:
    """A verified API key, detached from the database so it can be cached in-process."""

    id: str
    prefix: str
    name: str

    @property
    def throttle_ident(self) -> str:
        return self.prefix


def sends_api_credentials(request) -> bool:
    """The request carries an API key or a token: a program's credentials, for the API; the
    server-rendered pages (dashboard, portal) serve people signed in with a browser."""
    keyword = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0].lower()
    return keyword in ("api-key", "token")


class _VerifiedKeyCache:
    """Keys verified recently, per process. Revocation shows within API_KEY_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, MachineKey]] = {}
        self._lock = Lock()

    def get(self, raw_key: str) -> MachineKey | None:
        entry = self._entries.get(raw_key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, raw_key: str, key: MachineKey) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[raw_key] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_keys = _VerifiedKeyCache()


def verify_api_key(raw_key: str) -> MachineKey | None:
    cached = verified_keys.get(raw_key)
    if cached is not None:
        return cached
    try:
        api_key = APIKey.objects.get_from_key(raw_key)
    except APIKey.DoesNotExist:
        return None
    if api_key.has_expired or api_key.revoked:
        return None
    key = MachineKey(id=str(api_key.pk), prefix=api_key.prefix, name=api_key.name)
    verified_keys.put(raw_key, key)
    return key


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, raw_key = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        raw_key = raw_key.strip()
        if not raw_key:
            raise exceptions.AuthenticationFailed("Invalid API key header: no key given.")
        key = verify_api_key(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        return self.keyword
