"""Reads of the trust lookups: resolve identifiers to items, the change feed, the lookup log.

:func:`lookup_items` is the hot path. It sends one Redis round trip (the caller's throttle
counter, the lookup-log entry and the snapshots, in one MULTI/EXEC), renders the items in
Python and falls back to the database for whatever Redis did not give: a key missing from
the store, or the whole store down. A dependency failure never becomes NOT_FOUND: either the
database answers, or :class:`TrustUnavailable` (HTTP 503) is raised.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils import timezone

from aeo_registry.throttling import parse_rate
from stakeholders.identifiers import InvalidIdentifier, normalise
from stakeholders.models import Relationship

from ..models import TrustChange, TrustLookupLog
from . import snapshots
from .snapshots import (
    Key,
    Record,
    StoreUnavailable,
    Viewer,
    compute_records,
    fast_item,
    get_store,
    invalid_item,
    iso,
    loads,
    redis_key,
    render_item,
    to_us,
)


class TrustUnavailable(Exception):
    """Neither the snapshot store nor the database could answer (HTTP 503)."""


class Throttled(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(f"Request was throttled. Expected available in {wait} seconds.")
        self.wait = wait


@dataclass(slots=True)
class Caller:
    """Who is asking, resolved once per request by the view."""

    label: str
    throttle_ident: str
    viewer: Viewer
    user_id: int | None = None
    key_prefix: str = ""
    rate: str = field(default="")


def new_lookup_ref() -> str:
    """128 random bits as 32 hex digits (uuid4().hex's form, at a fifth of its cost)."""
    return os.urandom(16).hex()


class _LocalWindowCounter:
    """Per-process fixed-window counter: the embedded mode's throttle, and the fallback while
    Redis is down (each process then counts alone, which only ever lets fewer requests in
    than the limit times the number of processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._window: int = 0

    def incr(self, key: str, amount: int, window: int) -> int:
        with self._lock:
            if window != self._window:
                self._counts.clear()
                self._window = window
            self._counts[key] = self._counts.get(key, 0) + amount
            return self._counts[key]


local_counter = _LocalWindowCounter()


def _throttle_window(rate: str) -> tuple[int, int, int]:
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    wait = max(1, int(period - (now % period)))
    return limit, window, wait


@dataclass(slots=True)
class Resolved:
    stored: dict[Key, bytes]  # snapshots as stored in Redis
    computed: dict[Key, Record | None]  # from the database: missing from the store, or it is down
    logged: bool  # the lookup-log entry went into the store's queue

    def record(self, key: Key) -> Record | None:
        if key in self.stored:
            return loads(self.stored[key])
        return self.computed.get(key)


def resolve(
    keys: list[Key],
    *,
    caller: Caller | None = None,
    amount: int = 1,
    log_entry: dict | None = None,
) -> Resolved:
    """Snapshots for ``keys`` (the store first, the database for the rest), counting the
    caller's throttle and queueing the log entry in the same round trip."""
    store = get_store()
    unique = list(dict.fromkeys(keys))
    throttle_key = None
    limit = window = wait = 0
    if caller is not None and caller.rate:
        limit, window, wait = _throttle_window(caller.rate)
        throttle_key = f"{snapshots.NAMESPACE}thr:{caller.throttle_ident}:{window}"
    values: list[bytes | None]
    count: int | None = None
    logged = False
    try:
        result = store.read(
            [redis_key(k) for k in unique],
            throttle_key=throttle_key,
            throttle_amount=amount,
            throttle_ttl=parse_rate(caller.rate)[1] + 1 if throttle_key else 60,
            log_entry=orjson.dumps(log_entry) if log_entry and store.queues_log else None,
        )
        values, count = result.values, result.count
        logged = bool(log_entry) and store.queues_log
    except StoreUnavailable:
        values = [None] * len(unique)
    if throttle_key is not None:
        if count is None:
            count = local_counter.incr(throttle_key, amount, window)
        if count > limit:
            raise Throttled(wait)
    stored: dict[Key, bytes] = {}
    missing: list[Key] = []
    for key, raw in zip(unique, values, strict=True):
        if raw is None:
            missing.append(key)
        else:
            stored[key] = raw
    computed: dict[Key, Record | None] = {}
    if missing:
        try:
            computed = compute_records(missing)
        except DatabaseError as exc:
            raise TrustUnavailable(str(exc)) from exc
    return Resolved(stored, computed, logged)


@lru_cache(maxsize=100_000)
def _normalise_cached(id_type: str, raw: str) -> str:
    return normalise(id_type, raw)


def parse_item(id_type: Any, raw: Any) -> tuple[Key | None, str | None]:
    """(key, None) when valid, (None, message) otherwise."""
    if id_type is None:
        return None, "Each item needs an id_type and an id."
    if not isinstance(id_type, str):
        return None, "id_type must be a string."
    try:
        if isinstance(raw, str):
            return (id_type, _normalise_cached(id_type, raw)), None
        return (id_type, normalise(id_type, raw)), None
    except InvalidIdentifier as exc:
        return None, str(exc)


def lookup_items(
    requested: list[tuple[Any, Any]],
    *,
    at: datetime,
    caller: Caller | None,
    log_entry: dict | None = None,
    parsed: list[tuple[Key | None, str | None]] | None = None,
) -> tuple[list[dict[str, Any]], Resolved]:
    """Items in request order for ``(id_type, value)`` pairs; bad pairs are INVALID_FORMAT."""
    if parsed is None:
        parsed = [parse_item(t, v) for t, v in requested]
    keys = [k for k, _ in parsed if k is not None]
    resolved = resolve(keys, caller=caller, amount=max(1, len(requested)), log_entry=log_entry)
    at_us = to_us(at)
    viewer = caller.viewer if caller else Viewer(staff=True)
    now = iso(timezone.now())
    items = []
    for (id_type, raw), (key, error) in zip(requested, parsed, strict=True):
        if key is None:
            items.append(invalid_item(raw, id_type, error or "Invalid identifier."))
            continue
        record = resolved.record(key)
        item = render_item(
            record, raw=raw, id_type=key[0], normalized=key[1], at=at, at_us=at_us,
            viewer=viewer, data_as_of=None if record else now,
        )  # fmt: skip
        items.append(item)
    return items, resolved


def lookup_serialised(
    requested: list[tuple[Any, Any]],
    *,
    at: datetime,
    caller: Caller,
    parsed: list[tuple[Key | None, str | None]],
    log_entry: dict | None = None,
) -> tuple[list[bytes], str, int, Resolved]:
    """The hot path: items already serialised, in request order, with the oldest data_as_of
    and the number found. Stored fragments are copied when they apply (see snapshots)."""
    keys = [k for k, _ in parsed if k is not None]
    resolved = resolve(keys, caller=caller, amount=max(1, len(requested)), log_entry=log_entry)
    at_us = to_us(at)
    viewer = caller.viewer
    machine = not (viewer.staff or viewer.operator)
    now = None  # the instant of the answer, for items that have no snapshot (NOT_FOUND)
    oldest = None
    found = 0
    out: list[bytes] = []
    stored = resolved.stored
    for (id_type, raw), (key, error) in zip(requested, parsed, strict=True):
        if key is None:
            out.append(orjson.dumps(invalid_item(raw, id_type, error or "Invalid identifier.")))
            continue
        blob = stored.get(key)
        if blob is not None:
            fast = fast_item(
                blob, raw=raw, id_type=key[0], normalized=key[1], at_us=at_us, machine=machine
            )
            if fast is not None:
                out.append(fast[0])
                found += 1
                if oldest is None or fast[1] < oldest:
                    oldest = fast[1]
                continue
        record = resolved.record(key)
        if record is None and now is None:
            now = iso(timezone.now())
        item = render_item(
            record, raw=raw, id_type=key[0], normalized=key[1], at=at, at_us=at_us,
            viewer=viewer, data_as_of=None if record else now,
        )  # fmt: skip
        if item["match"] == "FOUND":
            found += 1
            if oldest is None or item["data_as_of"] < oldest:
                oldest = item["data_as_of"]
        out.append(orjson.dumps(item))
    return out, oldest or now or iso(timezone.now()), found, resolved


def oldest_data_as_of(items: list[dict[str, Any]]) -> str:
    stamps = [i["data_as_of"] for i in items if i.get("data_as_of")]
    return min(stamps) if stamps else iso(timezone.now())


def declared_relationships(
    pairs: list[tuple[int, int, str]], on: datetime
) -> set[tuple[int, int, str]]:
    """Which of the (source, target, kind) links were declared and valid on that day."""
    if not pairs:
        return set()
    day = on.date()
    q = Q(pk__in=[])
    for source, target, kind in pairs:
        q |= Q(source_id=source, target_id=target, kind=kind)
    rows = (
        Relationship.objects.filter(q)
        .filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .values_list("source_id", "target_id", "kind")
    )
    return set(rows)


def change_feed(after: int, limit: int) -> list[TrustChange]:
    return list(
        TrustChange.objects.filter(position__isnull=False, position__gt=after).order_by("position")[
            :limit
        ]
    )


def lookup_log_search(
    *,
    lookup_ref: str | None = None,
    caller: str | None = None,
    identifier: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[TrustLookupLog]:
    qs = TrustLookupLog.objects.all()
    if lookup_ref:
        qs = qs.filter(lookup_ref=lookup_ref)
    if caller:
        qs = qs.filter(Q(caller__icontains=caller) | Q(api_key_prefix=caller))
    if identifier:
        qs = qs.filter(identifiers__icontains=identifier)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs


def default_rate(machine: bool) -> str:
    return settings.API_KEY_THROTTLE_RATE if machine else settings.TRUST_USER_THROTTLE_RATE
