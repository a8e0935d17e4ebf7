"""Trust snapshots: what a lookup needs about one identifier, computed from the source of truth
and kept pre-serialised in Redis.

A *record* is everything about the identifier that does not depend on the instant asked
about: the holder, its roles, its consent, the status intervals of its authorisations and
its MRA recognitions. :func:`render_item` turns a record into the item of the API for an
instant, so ``as_of`` is answered from the snapshot as well as "now", and a date passing (an
effective date, a suspension's end) needs no rebuild to show.

:func:`compute_records` builds records from PostgreSQL with a constant number of queries
whatever the number of identifiers; it is the fallback when Redis is down, and what the
outbox handlers write to Redis after every change (``handlers.py``). Both paths render
through the same function, so they give the same answers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import receiver
from django.utils import timezone

from stakeholders.models import Identifier, Stakeholder

from ..models import AuthorisationStatusInterval, MraPartnerRecord

logger = logging.getLogger(__name__)

Key = tuple[str, str]  # (id_type, normalised value)
Record = dict[str, Any]

# Every Redis key of the trust lookups starts with this (tests give each xdist worker its own).
NAMESPACE = "trust:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Overall status ranks: the best status held by any type decides the holder's status.
_RANK = {"ACTIVE": 3, "SUSPENDED": 2, "REVOKED": 1}


def redis_key(key: Key) -> str:
    return f"{NAMESPACE}v1:{key[0]}:{key[1]}"


def log_queue_key() -> str:
    return f"{NAMESPACE}lookuplog"


def complete_marker_key() -> str:
    """Set by a full rebuild; gone when Redis lost its data."""
    return f"{NAMESPACE}v1:__complete__"


def to_us(dt: datetime) -> int:
    """Microseconds since the epoch: exact, and cheap to compare on the hot path."""
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    # Always with microseconds, so that ISO strings compare like the instants they name.
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _utc_day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def _date_iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


# --- Computing records from the database ----------------------------------------------------


def _identifier_filter(keys: Iterable[Key], type_field: str, value_field: str) -> Q:
    by_type: dict[str, set[str]] = defaultdict(set)
    for id_type, value in keys:
        by_type[id_type].add(value)
    q = Q(pk__in=[])
    for id_type, values in by_type.items():
        q |= Q(**{type_field: id_type, f"{value_field}__in": sorted(values)})
    return q


def compute_records(keys: Sequence[Key]) -> dict[Key, Record | None]:
    """Records for ``keys`` from the database (None: not registered, not on a partner list).

    Constant number of queries: identifiers with their holders, roles, status intervals,
    MRA recognitions of the holders' identifiers, partner-list entries of the rest.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        return _compute_records_pg(keys)
    return _compute_records_orm(keys)


def _compute_records_orm(keys: list[Key]) -> dict[Key, Record | None]:
    built = iso(timezone.now())
    rows = list(
        Identifier.objects.filter(_identifier_filter(keys, "type", "value")).values_list(
            "type",
            "value",
            "valid_from",
            "valid_to",
            "stakeholder_id",
            "stakeholder__country",
            "stakeholder__legal_name",
            "stakeholder__consent_publish",
        )
    )
    sids = {row[4] for row in rows}
    holders: dict[int, Record] = {}
    if sids:
        holders = _holder_parts(sids)
    result: dict[Key, Record | None] = {}
    for id_type, value, vfrom, vto, sid, country, name, consent in rows:
        part = holders[sid]
        result[(id_type, value)] = {
            "src": "REGISTRY",
            "sid": sid,
            "country": str(country),
            "name": name,
            "consent": consent,
            "roles": part["roles"],
            "idv": [_date_iso(vfrom), _date_iso(vto)],
            "auths": part["auths"],
            "mra": part["mra"],
            "built": built,
        }
    missing = [k for k in keys if k not in result]
    if missing:
        partner_rows = MraPartnerRecord.objects.filter(
            _identifier_filter(missing, "id_type", "partner_id")
        )
        for rec in partner_rows:
            result[(rec.id_type, rec.partner_id)] = _partner_record(rec, built)
    for key in missing:
        result.setdefault(key, None)
    return result


# PostgreSQL: one statement for the registered identifiers, with the holder's roles, status
# intervals and MRA recognitions aggregated as JSON, and the keys passed as two arrays
# (thousands of IN placeholders cost more to bind than the query takes to run). Same
# records as the ORM version below, which SQLite uses; a test holds them equal.
_PG_REGISTERED = """
SELECT i.type, i.value, i.valid_from, i.valid_to, s.id, s.country, s.legal_name,
       s.consent_publish,
       (SELECT coalesce(json_agg(r.code ORDER BY r.code), '[]')
          FROM stakeholders_stakeholder_roles sr
          JOIN stakeholders_role r ON r.id = sr.role_id
         WHERE sr.stakeholder_id = s.id),
       (SELECT coalesce(json_agg(json_build_array(
                   a.id, a.number, a.issuing_country, a.effective_from, a.close_monitoring_until,
                   iv.type, iv.status, iv.valid_from, iv.valid_to)
                 ORDER BY a.id, iv.valid_from, iv.type), '[]')
          FROM accreditation_authorisation a
          JOIN accreditation_authorisationstatusinterval iv ON iv.authorisation_id = a.id
         WHERE a.holder_id = s.id),
       (SELECT coalesce(json_agg(json_build_array(m.partner, m.status, m.partner_id, m.since)
                 ORDER BY m.partner, m.partner_id), '[]')
          FROM stakeholders_identifier i2
          JOIN accreditation_mrapartnerrecord m
            ON m.id_type = i2.type AND m.partner_id = i2.value
         WHERE i2.stakeholder_id = s.id)
  FROM stakeholders_identifier i
  JOIN stakeholders_stakeholder s ON s.id = i.stakeholder_id
 WHERE (i.type, i.value) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""
_PG_PARTNER = """
SELECT * FROM accreditation_mrapartnerrecord
 WHERE (id_type, partner_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""


_JIT_SAFE_KEYS = 100


def _pg_ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _compute_records_pg(keys: list[Key]) -> dict[Key, Record | None]:
    built = iso(timezone.now())
    types = [k[0] for k in keys]
    values = [k[1] for k in keys]
    result: dict[Key, Record | None] = {}
    holders: dict[int, tuple[list, list, list]] = {}
    if len(keys) > _JIT_SAFE_KEYS:
        # Past a few hundred keys the planner's cost estimate crosses jit_above_cost and
        # PostgreSQL spends ~0.6 s compiling a statement that runs in a fraction of that.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute(_PG_REGISTERED, [types, values])
            rows = cur.fetchall()
    else:
        with connection.cursor() as cur:
            cur.execute(_PG_REGISTERED, [types, values])
            rows = cur.fetchall()
    for id_type, value, vfrom, vto, sid, country, name, consent, roles, ivs, mra in rows:
        parts = holders.get(sid)
        if parts is None:
            auths: dict[int, Record] = {}
            for auth_id, number, a_country, eff, cm, type_, status, v_from, v_to in ivs:
                auth = auths.get(auth_id)
                if auth is None:
                    auth = auths[auth_id] = {
                        "no": number,
                        "country": a_country,
                        "eff": iso(_pg_ts(eff)),
                        "cm": cm,
                        "iv": [],
                    }
                start = _pg_ts(v_from)
                auth["iv"].append(
                    [type_, status, to_us(start), to_us(_pg_ts(v_to)) if v_to else None,
                     iso(start)]
                )  # fmt: skip
            recognitions = [
                {"partner": p, "recognised": st == "ACTIVE", "partner_id": pid, "since": since}
                for p, st, pid, since in mra
            ]
            parts = holders[sid] = (roles, list(auths.values()), recognitions)
        result[(id_type, value)] = {
            "src": "REGISTRY",
            "sid": sid,
            "country": country,
            "name": name,
            "consent": consent,
            "roles": parts[0],
            "idv": [_date_iso(vfrom), _date_iso(vto)],
            "auths": parts[1],
            "mra": parts[2],
            "built": built,
        }
    missing = [k for k in keys if k not in result]
    if missing:
        for rec in MraPartnerRecord.objects.raw(
            _PG_PARTNER, [[k[0] for k in missing], [k[1] for k in missing]]
        ):
            result[(rec.id_type, rec.partner_id)] = _partner_record(rec, built)
        for key in missing:
            result.setdefault(key, None)
    return result


def _holder_parts(sids: set[int]) -> dict[int, Record]:
    parts: dict[int, Record] = {sid: {"roles": [], "auths": [], "mra": []} for sid in sids}
    for sid, code in (
        Stakeholder.roles.through.objects.filter(stakeholder_id__in=sids)
        .order_by("role__code")
        .values_list("stakeholder_id", "role__code")
    ):
        parts[sid]["roles"].append(code)

    auths: dict[int, Record] = {}
    for row in (
        AuthorisationStatusInterval.objects.filter(authorisation__holder_id__in=sids)
        .order_by("authorisation_id", "valid_from", "type")
        .values_list(
            "authorisation_id",
            "authorisation__holder_id",
            "authorisation__number",
            "authorisation__issuing_country",
            "authorisation__effective_from",
            "authorisation__close_monitoring_until",
            "type",
            "status",
            "valid_from",
            "valid_to",
        )
    ):
        auth_id, sid, number, country, eff, cm_until, type_, status, vfrom, vto = row
        auth = auths.get(auth_id)
        if auth is None:
            auth = auths[auth_id] = {
                "no": number,
                "country": country,
                "eff": iso(eff),
                "cm": _date_iso(cm_until),
                "iv": [],
            }
            parts[sid]["auths"].append(auth)
        auth["iv"].append([type_, status, to_us(vfrom), to_us(vto) if vto else None, iso(vfrom)])

    # Recognitions: partner-list entries carrying one of the holders' own identifiers.
    linked = list(
        Identifier.objects.filter(stakeholder_id__in=sids)
        .filter(
            Exists(
                MraPartnerRecord.objects.filter(
                    id_type=OuterRef("type"), partner_id=OuterRef("value")
                )
            )
        )
        .values_list("stakeholder_id", "type", "value")
    )
    if linked:
        owner = {(t, v): sid for sid, t, v in linked}
        for rec in MraPartnerRecord.objects.filter(
            _identifier_filter(owner, "id_type", "partner_id")
        ).order_by("partner", "partner_id"):
            parts[owner[(rec.id_type, rec.partner_id)]]["mra"].append(_recognition(rec))
    return parts


def _recognition(rec: MraPartnerRecord) -> Record:
    return {
        "partner": rec.partner,
        "recognised": rec.status == "ACTIVE",
        "partner_id": rec.partner_id,
        "since": _date_iso(rec.since),
    }


def _partner_record(rec: MraPartnerRecord, built: str | None) -> Record:
    """A partner-list entry as a record: its status is one open interval from ``since``."""
    since = (
        datetime(rec.since.year, rec.since.month, rec.since.day, tzinfo=UTC)
        if rec.since
        else _EPOCH
    )
    types = list(rec.types) or ["AEOS"]
    return {
        "src": f"MRA:{rec.partner}",
        "sid": None,
        "country": rec.country or None,
        "name": rec.name,
        "consent": False,
        "roles": [],
        "idv": [None, None],
        "auths": [
            {
                "no": None,
                "country": rec.country or None,
                "eff": iso(since) if rec.since else None,
                "cm": None,
                "iv": [[t, rec.status, to_us(since), None, iso(since)] for t in types],
            }
        ],
        "mra": [_recognition(rec)],
        "built": built,
    }


# --- Rendering an item for an instant ---------------------------------------------------------


def _status_at(intervals: list[tuple[int, list]], at: int) -> tuple[dict[str, str], int | None]:
    """Best status per type at ``at`` and the index of the authorisation holding the best."""
    per_type: dict[str, str] = {}
    best_auth: int | None = None
    best_rank = 0
    for auth_index, iv in intervals:
        if iv[2] <= at and (iv[3] is None or at < iv[3]):
            status = iv[1]
            rank = _RANK[status]
            if rank > _RANK.get(per_type.get(iv[0], ""), 0):
                per_type[iv[0]] = status
            if rank > best_rank:
                best_rank, best_auth = rank, auth_index
    return per_type, best_auth


def _overall(per_type: dict[str, str]) -> str:
    best = max((_RANK[s] for s in per_type.values()), default=0)
    return {3: "ACTIVE", 2: "SUSPENDED", 1: "REVOKED", 0: "NONE"}[best]


def _status_since(intervals: list[tuple[int, list]], at: int, status: str) -> str | None:
    """Start of the period, ending at ``at``, during which the overall status was unchanged."""
    starts = sorted({(iv[2], iv[4]) for _, iv in intervals if iv[2] <= at}, reverse=True)
    since = None
    for start_us, start_iso in starts:
        since = start_iso
        if _overall(_status_at(intervals, start_us - 1)[0]) != status:
            break
    return since


NOT_FOUND_FIELDS: dict[str, Any] = {
    "stakeholder_id": None,
    "country": None,
    "roles": [],
    "status": "NONE",
    "types": [],
    "suspended_types": [],
    "status_since": None,
    "authorisation_no": None,
    "issuing_country": None,
    "effective_from": None,
    "close_monitoring": False,
    "mra": [],
    "source": None,
}


@dataclass(slots=True, frozen=True)
class Viewer:
    """What the caller may see: staff see names; operators see other holders' status only
    where the holder consented to publication."""

    staff: bool = False
    operator: bool = False
    own_ids: frozenset[int] = frozenset()


MACHINE = Viewer()
STAFF = Viewer(staff=True)


def render_item(
    record: Record | None,
    *,
    raw: Any,
    id_type: str,
    normalized: str,
    at: datetime,
    at_us: int,
    viewer: Viewer,
    data_as_of: str | None,
) -> dict[str, Any]:
    """The API item for ``record`` at the instant ``at`` (``at_us`` the same in µs)."""
    if record is not None and (record["idv"][0] or record["idv"][1]):
        day = _utc_day(at)
        start, end = record["idv"]
        if (start and day < start) or (end and day > end):
            record = None  # the identifier was not valid then
    if record is None:
        return {
            "input": raw,
            "id_type": id_type,
            "normalized": normalized,
            "match": "NOT_FOUND",
            **NOT_FOUND_FIELDS,
            "data_as_of": data_as_of,
        }
    sid = record["sid"]
    item: dict[str, Any] = {
        "input": raw,
        "id_type": id_type,
        "normalized": normalized,
        "match": "FOUND",
        "stakeholder_id": sid,
        "country": record["country"],
        "roles": record["roles"],
    }
    own = sid is not None and sid in viewer.own_ids
    visible = record["consent"] or not viewer.operator or own
    if not visible:
        # An operator checking a business partner who did not consent to publication learns
        # that the identifier is registered, not the partner's AEO status.
        item.update(
            status=None,
            types=[],
            suspended_types=[],
            status_since=None,
            authorisation_no=None,
            issuing_country=None,
            effective_from=None,
            close_monitoring=None,
            mra=[],
            source=record["src"],
            data_as_of=data_as_of or record["built"],
            restricted=True,
        )
        return item
    intervals = [(i, iv) for i, auth in enumerate(record["auths"]) for iv in auth["iv"]]
    per_type, auth_index = _status_at(intervals, at_us)
    status = _overall(per_type)
    auth = record["auths"][auth_index] if auth_index is not None else None
    item["status"] = status
    item["types"] = sorted(t for t, s in per_type.items() if s == "ACTIVE")
    item["suspended_types"] = sorted(t for t, s in per_type.items() if s == "SUSPENDED")
    item["status_since"] = _status_since(intervals, at_us, status) if auth else None
    item["authorisation_no"] = auth["no"] if auth else None
    item["issuing_country"] = auth["country"] if auth else None
    item["effective_from"] = auth["eff"] if auth else None
    item["close_monitoring"] = bool(
        auth and auth["cm"] and status != "REVOKED" and _utc_day(at) <= auth["cm"]
    )
    item["mra"] = record["mra"]
    item["source"] = record["src"]
    item["data_as_of"] = data_as_of or record["built"]
    if viewer.staff or record["consent"] or own:
        item["legal_name"] = record["name"]
    return item


def invalid_item(raw: Any, id_type: Any, message: str) -> dict[str, Any]:
    return {
        "input": raw,
        "id_type": id_type if isinstance(id_type, str) else None,
        "normalized": None,
        "match": "INVALID_FORMAT",
        **NOT_FOUND_FIELDS,
        "data_as_of": None,
        "error": message,
    }


# --- The snapshot store -----------------------------------------------------------------------


class StoreUnavailable(Exception):
    """Redis did not answer in time: answer from the database instead."""


@dataclass(slots=True)
class ReadResult:
    values: list[bytes | None]
    count: int | None  # the throttle counter after this request, when counted in the store


class LocMemSnapshotStore:
    """The embedded mode's store (no Redis configured): a dict in this process.

    Rebuilds run in-process there (eager Celery), so the dict stays current; throttling and
    the lookup log fall back to in-process counters and synchronous rows.
    """

    counts_throttle = False
    queues_log = False

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def read(self, keys: Sequence[str], **_: Any) -> ReadResult:
        return ReadResult([self._data.get(k) for k in keys], None)

    def write(self, puts: dict[str, bytes], deletes: Iterable[str] = ()) -> None:
        with self._lock:
            self._data.update(puts)
            for k in deletes:
                self._data.pop(k, None)

    def flush(self) -> None:
        with self._lock:
            self._data.clear()

    def keys(self) -> list[str]:
        return list(self._data)

    def pop_log(self, count: int) -> list[bytes]:
        return []


# One command per lookup, atomic and one round trip: count the caller's request (INCRBY, and
# EXPIRE NX so the window's key goes away), queue the lookup-log entry, read the snapshots.
# KEYS[1] throttle key ("" for none), KEYS[2..] snapshot keys; ARGV amount, ttl, log entry.
_READ_SCRIPT = """
local count = false
if KEYS[1] ~= "" then
  count = redis.call("INCRBY", KEYS[1], ARGV[1])
  redis.call("EXPIRE", KEYS[1], ARGV[2], "NX")
end
if ARGV[3] ~= "" then
  redis.call("RPUSH", ARGV[4], ARGV[3])
end
if #KEYS > 1 then
  local values = redis.call("MGET", unpack(KEYS, 2))
  table.insert(values, 1, count)
  return values
end
return {count}
"""


class RedisSnapshotStore:
    """Snapshots in Redis. A read is one Lua call: the throttle counter, the lookup-log entry
    and the snapshots together (a MULTI pipeline does the same in more replies to parse).
    Short socket timeouts; after a failure the store is skipped for a moment rather than
    waited for on every request."""

    counts_throttle = True
    queues_log = True

    def __init__(self, url: str, timeout: float = 0.25, retry_after: float = 1.0) -> None:
        import hiredis
        import redis

        self._errors = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._dropped = redis.ConnectionError
        # A lookup also answers from the database when Redis refuses the command (out of
        # memory, read-only replica, still loading).
        self._read_errors = (*self._errors, redis.ResponseError)
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._sha = hashlib.sha1(_READ_SCRIPT.encode()).hexdigest()  # as EVALSHA names it
        self._noscript = redis.exceptions.NoScriptError
        self._pack = hiredis.pack_command  # the C packer redis-py uses too, without its wrapper
        # One connection per thread for the hot-path read, used directly: redis-py's client
        # layer (pool checkout and release, retry wrapper, command callbacks, metrics hooks)
        # cost about as much Python per lookup as the rest of the view (profiled: ~60 µs of
        # ~300 µs the lookup adds to a bare view).
        self._local = threading.local()
        self.retry_after = retry_after
        self._down_until = 0.0

    def _guard(self) -> None:
        if self._down_until and time.monotonic() < self._down_until:
            raise StoreUnavailable("snapshot store marked down")

    def _failed(self, exc: Exception) -> StoreUnavailable:
        self._down_until = time.monotonic() + self.retry_after
        logger.warning("trust snapshot store unavailable: %s", exc)
        return StoreUnavailable(str(exc))

    def read(
        self,
        keys: Sequence[str],
        *,
        throttle_key: str | None = None,
        throttle_amount: int = 1,
        throttle_ttl: int = 60,
        log_entry: bytes | None = None,
    ) -> ReadResult:
        self._guard()
        args = (len(keys) + 1, throttle_key or "", *keys, throttle_amount, throttle_ttl,
                log_entry or b"", log_queue_key())  # fmt: skip
        conn = self._connection()
        for attempt in (1, 2):
            try:
                reply = self._evaluate(conn, args)
                break
            except self._dropped as exc:
                # A kept connection Redis has closed (restart, idle timeout) fails on first
                # use; a new one is tried once before answering from the database.
                conn.disconnect()
                if attempt == 2:
                    raise self._failed(exc) from exc
            except self._read_errors as exc:
                conn.disconnect()
                raise self._failed(exc) from exc
            except BaseException:
                conn.disconnect()  # a reply may still be on its way: never read it as the next
                raise
        self._down_until = 0.0
        return ReadResult(reply[1:], reply[0])

    def _evaluate(self, conn, args: tuple) -> list:
        try:
            conn.send_packed_command([self._pack(("EVALSHA", self._sha, *args))], False)
            return conn.read_response()
        except self._noscript:
            # Redis restarted and forgot the script: EVAL sends it and caches it again.
            conn.send_packed_command([self._pack(("EVAL", _READ_SCRIPT, *args))], False)
            return conn.read_response()

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.pid != os.getpid():
            pool = self.client.connection_pool
            conn = self._local.conn = pool.connection_class(**pool.connection_kwargs)
        return conn

    def write(self, puts: dict[str, bytes], deletes: Iterable[str] = ()) -> None:
        deletes = list(deletes)
        try:
            pipe = self.client.pipeline(transaction=False)
            items = list(puts.items())
            for i in range(0, len(items), 1000):
                pipe.mset(dict(items[i : i + 1000]))
            if deletes:
                pipe.delete(*deletes)
            pipe.execute()
        except self._errors as exc:
            raise self._failed(exc) from exc

    def flush(self) -> None:
        """Drop every trust key (snapshots, throttle counters, queued log entries)."""
        keys = list(self.client.scan_iter(match=f"{NAMESPACE}*", count=5000))
        for i in range(0, len(keys), 5000):
            self.client.delete(*keys[i : i + 5000])

    def keys(self) -> list[str]:
        pattern = f"{NAMESPACE}v1:*"
        return [k.decode() for k in self.client.scan_iter(match=pattern, count=5000)]

    def pop_log(self, count: int) -> list[bytes]:
        try:
            return self.client.lpop(log_queue_key(), count) or []
        except self._errors as exc:
            raise self._failed(exc) from exc


_store: LocMemSnapshotStore | RedisSnapshotStore | None = None
_store_lock = threading.Lock()


def get_store() -> LocMemSnapshotStore | RedisSnapshotStore:
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                url = settings.TRUST_SNAPSHOT_REDIS_URL
                _store = (
                    RedisSnapshotStore(url, timeout=settings.TRUST_SNAPSHOT_TIMEOUT)
                    if url
                    else LocMemSnapshotStore()
                )
    return _store


def set_store(store: LocMemSnapshotStore | RedisSnapshotStore | None) -> None:
    """Swap the store (tests, benchmarks); None re-reads the settings on next use."""
    global _store
    _store = store


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # The store is built once from the settings; an override (tests) must rebuild it.
    if setting in ("TRUST_SNAPSHOT_REDIS_URL", "TRUST_SNAPSHOT_TIMEOUT"):
        set_store(None)


# --- Stored form -------------------------------------------------------------------------------
#
# A snapshot is stored as ``<from_us>|<until_us>|<consent>|<built>|<fragment>\0<record>``:
# the record (JSON) answers any instant; the fragment is the item already serialised for the
# instants in [from, until) — between two status boundaries the item does not change — as a
# risk-engine key sees it. A lookup inside that window copies bytes instead of parsing and
# rendering; any other instant or viewer renders from the record. Both give the same JSON.

_FOREVER = 2**62


def _day_start_us(day: str, plus_days: int = 0) -> int:
    d = date.fromisoformat(day)
    return to_us(datetime(d.year, d.month, d.day, tzinfo=UTC)) + plus_days * 86_400_000_000


def _piece(record: Record, at_us: int) -> tuple[int, int]:
    """The window around ``at_us`` in which the record's item cannot change."""
    bounds: list[int] = []
    for auth in record["auths"]:
        for iv in auth["iv"]:
            bounds.append(iv[2])
            if iv[3] is not None:
                bounds.append(iv[3])
        if auth["cm"]:
            bounds.append(_day_start_us(auth["cm"], 1))
    start, end = record["idv"]
    if start:
        bounds.append(_day_start_us(start))
    if end:
        bounds.append(_day_start_us(end, 1))
    lo = max((b for b in bounds if b <= at_us), default=0)
    hi = min((b for b in bounds if b > at_us), default=_FOREVER)
    return lo, hi


_HEAD_FIELDS = ("input", "id_type", "normalized", "match")


def dumps(record: Record) -> bytes:
    built = datetime.fromisoformat(record["built"])
    at_us = to_us(built)
    lo, hi = _piece(record, at_us)
    item = render_item(
        record, raw="", id_type="", normalized="", at=built, at_us=at_us, viewer=MACHINE,
        data_as_of=None,
    )  # fmt: skip
    if item["match"] != "FOUND":
        lo, hi = 0, 0  # never served from the fragment
    fragment = orjson.dumps({k: v for k, v in item.items() if k not in _HEAD_FIELDS})[1:-1]
    consent = b"1" if record["consent"] else b"0"
    head = b"%d|%d|%s|%s|" % (lo, hi, consent, record["built"].encode())
    return head + fragment + b"\0" + orjson.dumps(record)


def loads(raw: bytes) -> Record:
    return orjson.loads(raw[raw.index(b"\0") + 1 :])


def fast_item(
    raw_value: bytes, *, raw: Any, id_type: str, normalized: str, at_us: int, machine: bool
) -> tuple[bytes, str] | None:
    """The serialised item straight from the stored fragment, or None when it does not
    apply (an instant outside its window, or a viewer who sees more or less than a key)."""
    lo, hi, consent, built, rest = raw_value.split(b"|", 4)
    if not (int(lo) <= at_us < int(hi)) or not (machine or consent == b"1"):
        return None
    fragment = rest[: rest.index(b"\0")]
    head = orjson.dumps(
        {"input": raw, "id_type": id_type, "normalized": normalized, "match": "FOUND"}
    )
    return head[:-1] + b"," + fragment + b"}", built.decode()


def write_records(records: dict[Key, Record | None]) -> None:
    """Put computed records in the store; drop keys that no longer answer."""
    puts = {redis_key(k): dumps(r) for k, r in records.items() if r is not None}
    deletes = [redis_key(k) for k, r in records.items() if r is None]
    get_store().write(puts, deletes)


def default_at() -> datetime:
    return timezone.now()


def parse_as_of(raw: str | None) -> datetime | None:
    """ISO 8601 instant or date (a date means its start, UTC); ValueError when malformed."""
    if raw is None or raw == "":
        return None
    from django.utils.dateparse import parse_date, parse_datetime

    value = raw.strip()
    try:
        dt = parse_datetime(value)
        if dt is None:
            d = parse_date(value)
            if d is None:
                raise ValueError
            dt = datetime(d.year, d.month, d.day)
    except ValueError:
        raise ValueError(
            "Not an ISO 8601 date or date-time, e.g. '2026-03-01' or '2026-03-01T12:00:00Z'."
        ) from None
    if timezone.is_naive(dt):
        dt = dt.replace(tzinfo=UTC)
    try:
        # In UTC: an offset such as -18:25 is valid ISO 8601 but not storable in PostgreSQL
        # (the lookup log records as_of).
        return dt.astimezone(UTC)
    except OverflowError:
        raise ValueError("This instant is outside the dates that can be answered.") from None
