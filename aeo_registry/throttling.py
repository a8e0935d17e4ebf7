"""An atomic fixed-window rate limiter on the cache (Redis INCR + EXPIRE in production).

DRF's built-in throttles read a list, append and write it back, which races under load and
lets bursts through; this one counts with a single atomic increment per request.
"""

import functools
import hashlib
import logging
import threading
import time

from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@functools.lru_cache(maxsize=64)  # a handful of rates, parsed on every throttled request
def parse_rate(rate: str) -> tuple[int, int]:
    """'10/min' → (10, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


logger = logging.getLogger(__name__)
_local_lock = threading.Lock()
_local_counts: dict[str, int] = {}


def _count_locally(cache_key: str, window: int) -> int:
    """The cache is down: count in this process (stale windows dropped), so logins stay
    rate-limited per process instead of failing with a 500 or going unlimited."""
    with _local_lock:
        for stale in [k for k in _local_counts if not k.endswith(f":{window}")]:
            del _local_counts[stale]
        _local_counts[cache_key] = _local_counts.get(cache_key, 0) + 1
        return _local_counts[cache_key]


def _count(cache_key: str, period: int) -> int:
    # add() is a no-op when the key exists, so the window's expiry is set once.
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=period + 1)
        return 1


def hit(key: str, rate: str) -> int | None:
    """Count one hit on ``key``; return seconds to wait if over the limit, else None."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    cache_key = f"throttle:{key}:{window}"
    try:
        count = _count(cache_key, period)
    except Exception as exc:  # the cache (Redis) is unreachable
        logger.warning("throttle: cache unavailable (%s); counting in-process", exc)
        count = _count_locally(cache_key, window)
    if count > limit:
        return max(1, int(period - (time.time() % period)))
    return None


class AtomicRateThrottle(BaseThrottle):
    """Subclasses name the rate setting and the identity to count against."""

    rate_setting: str = ""
    scope = "default"

    def get_rate(self) -> str:
        from django.conf import settings

        return getattr(settings, self.rate_setting)

    def get_idents(self, request, view) -> list[str]:
        return [self.get_ident(request)]

    def allow_request(self, request, view) -> bool:
        self._wait = self.count(self.get_idents(request, view))
        return self._wait is None

    def count(self, idents: list[str]) -> int | None:
        """Count one hit on each identity; seconds to wait if any is over the rate."""
        wait = None
        for ident in idents:
            over = hit(f"{self.scope}:{ident}", self.get_rate())
            if over is not None:
                wait = max(over, wait or 0)
        return wait

    def wait(self) -> float | None:
        return self._wait


class LoginThrottle(AtomicRateThrottle):
    """Counts login attempts per client address and per username tried."""

    rate_setting = "LOGIN_THROTTLE_RATE"
    scope = "login"

    def get_idents(self, request, view) -> list[str]:
        data = getattr(request, "data", None)
        # The body may be any JSON (a list, a string): the view refuses it with a 400.
        username = data.get("username") if isinstance(data, dict) else None
        return self.idents_for(request, username)

    def idents_for(self, request, username: object) -> list[str]:
        idents = [f"ip:{self.get_ident(request)}"]
        if isinstance(username, str) and username:
            # Hashed: whatever was typed becomes a short, safe cache key.
            digest = hashlib.sha256(username.lower().encode("utf-8", "replace")).hexdigest()
            idents.append(f"user:{digest[:32]}")
        return idents


def throttled_login(view):
    """A sign-in form (the admin's, the portal's) under LOGIN_THROTTLE_RATE: each POST counts
    against the client address and the username tried, in the same windows as the API's token
    login, so a second door does not open a second budget. Over it: 429 with Retry-After."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            throttle = LoginThrottle()
            wait = throttle.count(throttle.idents_for(request, request.POST.get("username")))
            if wait is not None:
                return HttpResponse(
                    f"<!doctype html><title>Too many attempts</title><p>Too many sign-in "
                    f"attempts. Try again in {wait} seconds.</p>",
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
        return view(request, *args, **kwargs)

    return wrapped


class RegisterThrottle(AtomicRateThrottle):
    rate_setting = "REGISTER_THROTTLE_RATE"
    scope = "register"
