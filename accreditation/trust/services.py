"""Writes of the trust lookups: snapshot rebuilds, the change feed's sequencing, webhook
deliveries, the lookup log, MRA partner imports and exports."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from stakeholders.identifiers import IdentifierType, InvalidIdentifier, normalise
from stakeholders.models import Identifier, Stakeholder

from ..models import (
    Authorisation,
    AuthorisationStatus,
    AuthorisationStatusInterval,
    MraExportRun,
    MraPartnerRecord,
    TrustChange,
    TrustLookupLog,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
)
from . import delivery
from .snapshots import Key, complete_marker_key, compute_records, get_store, write_records

logger = logging.getLogger(__name__)

# Advisory-lock namespaces (PostgreSQL): rebuilds of one stakeholder are serialised so that
# a slow rebuild never overwrites a newer one; a full rebuild excludes incremental ones
# batch by batch; the feed sequencer runs alone.
_LOCK_STAKEHOLDER = 7401
_LOCK_KEY = 7402
_LOCK_GLOBAL = 7403
_LOCK_ALL_REBUILD = 1
_LOCK_FEED = 2


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _lock(namespace: int, ids: Iterable[int], *, shared_global: bool = True) -> None:
    if not _pg():
        return  # SQLite: one writer at a time, rebuilds run in-process
    with connection.cursor() as cur:
        if shared_global:
            cur.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)", [_LOCK_GLOBAL, _LOCK_ALL_REBUILD]
            )
        for i in sorted(set(ids)):
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, i])


def _key_lock_id(key: Key) -> int:
    digest = hashlib.blake2b(f"{key[0]}:{key[1]}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


# --- Snapshots --------------------------------------------------------------------------------


def stakeholder_keys(stakeholder_ids: Iterable[int]) -> list[Key]:
    """Every key that answers, or used to answer, for these stakeholders: current identifiers
    and past ones from the history table (a deleted identifier's snapshot must go too)."""
    ids = list(stakeholder_ids)
    current = Identifier.objects.filter(stakeholder_id__in=ids).values_list("type", "value")
    past = (
        Identifier.history.model.objects.filter(stakeholder_id__in=ids)
        .values_list("type", "value")
        .distinct()
    )
    return list(dict.fromkeys([*current, *past]))


def snapshots_rebuild(stakeholder_ids: Iterable[int] = (), keys: Iterable[Key] = ()) -> int:
    """Recompute and store the snapshots of these stakeholders and keys. Idempotent."""
    stakeholder_ids = sorted(set(stakeholder_ids))
    all_keys = list(dict.fromkeys([*stakeholder_keys(stakeholder_ids), *map(tuple, keys)]))
    if not all_keys:
        return 0
    with transaction.atomic():
        _lock(_LOCK_STAKEHOLDER, stakeholder_ids)
        _lock(_LOCK_KEY, [_key_lock_id(k) for k in all_keys], shared_global=False)
        records = compute_records(all_keys)
        write_records(records)
    return len(records)


def snapshots_rebuild_all(
    batch_size: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild every snapshot (registry identifiers and partner-list entries), batch by batch."""
    done = 0
    last = 0
    while True:
        batch = list(
            Identifier.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "type", "value")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1][0]
        with transaction.atomic():
            if _pg():
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_GLOBAL, _LOCK_ALL_REBUILD]
                    )
            write_records(compute_records([(t, v) for _, t, v in batch]))
        done += len(batch)
        if progress:
            progress(len(batch))
    partner_keys = list(MraPartnerRecord.objects.values_list("id_type", "partner_id"))
    for i in range(0, len(partner_keys), batch_size):
        chunk = partner_keys[i : i + batch_size]
        write_records(compute_records(chunk))
        done += len(chunk)
        if progress:
            progress(len(chunk))
    get_store().write({complete_marker_key(): b"1"})
    return done


def snapshots_total() -> int:
    return Identifier.objects.count() + MraPartnerRecord.objects.count()


# --- Change feed ------------------------------------------------------------------------------


def trust_change_record(
    *, stakeholder_id: int, change: str, authorisation_id: int | None = None
) -> TrustChange:
    """A feed row in the writer's transaction; its position comes after commit."""
    return TrustChange.objects.create(
        stakeholder_id=stakeholder_id,
        authorisation_id=authorisation_id,
        change=change,
        occurred_at=timezone.now(),
    )


def trust_feed_sequence(limit: int = 1000) -> list[int]:
    """Give positions to the feed rows that have committed, in one serialised step.

    A sequence value taken at insert is not commit order: a transaction that started first
    may commit last, and a reader who already moved past its number would never see it.
    Here positions are handed out only to committed rows, by one transaction at a time (an
    advisory lock held to commit), so every position given later is greater than every
    position a reader could have seen: the cursor never skips a change.
    """
    with transaction.atomic():
        if _pg():
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_GLOBAL, _LOCK_FEED])
        pending = list(TrustChange.objects.filter(position__isnull=True).order_by("id")[:limit])
        if not pending:
            return []
        top = TrustChange.objects.aggregate(m=Max("position"))["m"] or 0
        now = timezone.now()
        identifiers = _identifiers_of({c.stakeholder_id for c in pending})
        numbers = dict(
            Authorisation.objects.filter(
                pk__in={c.authorisation_id for c in pending if c.authorisation_id}
            ).values_list("pk", "number")
        )
        for offset, change in enumerate(pending, start=1):
            change.position = top + offset
            change.sequenced_at = now
            change.data = {
                "identifiers": identifiers.get(change.stakeholder_id, []),
                "authorisation_no": numbers.get(change.authorisation_id),
            }
        TrustChange.objects.bulk_update(pending, ["position", "sequenced_at", "data"])
        deliveries = _webhook_deliveries_create(pending)
    for delivery_pk in deliveries:
        _dispatch_delivery(delivery_pk)
    return [c.pk for c in pending]


def _identifiers_of(stakeholder_ids: set[int]) -> dict[int, list[list[str]]]:
    out: dict[int, list[list[str]]] = {}
    for sid, t, v in Identifier.objects.filter(stakeholder_id__in=stakeholder_ids).values_list(
        "stakeholder_id", "type", "value"
    ):
        out.setdefault(sid, []).append([t, v])
    return out


def change_as_json(change: TrustChange) -> dict[str, Any]:
    return {
        "position": str(change.position),
        "change": change.change,
        "stakeholder_id": change.stakeholder_id,
        "authorisation_id": change.authorisation_id,
        "authorisation_no": change.data.get("authorisation_no"),
        "identifiers": change.data.get("identifiers", []),
        "occurred_at": change.occurred_at.isoformat().replace("+00:00", "Z"),
    }


# --- Webhooks ---------------------------------------------------------------------------------

SIGNATURE_HEADER = "X-AEO-Signature"
DELIVERY_HEADER = "X-AEO-Delivery"
TIMESTAMP_HEADER = "X-AEO-Timestamp"


def webhook_sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over ``"<timestamp>." + body``: a captured request cannot be replayed
    later with a fresh timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_verify(
    secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = webhook_sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


def webhook_subscription_create(
    *, name: str, url: str, secret: str = "", created_by=None
) -> WebhookSubscription:
    import secrets

    return WebhookSubscription.objects.create(
        name=name, url=url, secret=secret or secrets.token_hex(32), created_by=created_by
    )


def _webhook_deliveries_create(changes: list[TrustChange]) -> list[int]:
    subscriptions = list(WebhookSubscription.objects.filter(active=True))
    if not subscriptions:
        return []
    now = timezone.now()
    rows = []
    for change in changes:
        for sub in subscriptions:
            delivery_id = uuid.uuid4()
            body = orjson.dumps(
                {"delivery_id": str(delivery_id), "event": "trust.change", **change_as_json(change)}
            ).decode()
            rows.append(
                WebhookDelivery(
                    delivery_id=delivery_id,
                    subscription=sub,
                    change=change,
                    body=body,
                    next_attempt_at=now,
                )
            )
    created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return [d.pk for d in created if d.pk]


def _dispatch_delivery(delivery_pk: int) -> None:
    from .tasks import trust_webhook_deliver_task

    def send() -> None:
        try:
            trust_webhook_deliver_task.delay(delivery_pk)
        except Exception:  # broker down: the retry sweep picks the row up
            logger.warning("webhook: could not dispatch delivery %s", delivery_pk)

    transaction.on_commit(send, robust=True)


def _backoff(attempts: int) -> timedelta:
    seconds = settings.TRUST_WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, 6 * 3600))


# The transport is a module attribute so tests can observe what is sent.
webhook_transport: Callable[[str, bytes, dict[str, str], float], int] = delivery.post


def webhook_deliver(delivery_pk: int) -> bool:
    """Send one delivery if it is due. True when the receiver acknowledged it (2xx)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_pk, status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=settings.TRUST_WEBHOOK_TIMEOUT * 4 + 30))
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_pk)
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "aeo-registry-webhooks/1",
        DELIVERY_HEADER: str(delivery.delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_sign(delivery.subscription.secret, timestamp, body),
    }
    code: int | None = None
    error = ""
    try:
        code = webhook_transport(
            delivery.subscription.url, body, headers, settings.TRUST_WEBHOOK_TIMEOUT
        )
    except Exception as exc:  # network errors of any kind are a failed attempt
        error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = delivery.attempts + 1
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery_pk).update(
            status=WebhookDeliveryStatus.DELIVERED,
            attempts=attempts,
            last_status_code=code,
            last_error="",
            delivered_at=timezone.now(),
        )
        return True
    failed = attempts >= settings.TRUST_WEBHOOK_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery_pk).update(
        status=WebhookDeliveryStatus.FAILED if failed else WebhookDeliveryStatus.PENDING,
        attempts=attempts,
        last_status_code=code,
        last_error=error or f"HTTP {code}",
        next_attempt_at=timezone.now() + _backoff(attempts),
    )
    return False


def webhook_due_ids(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_redeliver(delivery_pk: int) -> None:
    """Staff asks for a failed delivery again: same delivery id, same body."""
    WebhookDelivery.objects.filter(pk=delivery_pk).update(
        status=WebhookDeliveryStatus.PENDING, next_attempt_at=timezone.now()
    )
    _dispatch_delivery(delivery_pk)


# --- Lookup log -------------------------------------------------------------------------------


def lookup_log_entry(
    *,
    ref: str,
    endpoint: str,
    caller_label: str,
    user_id: int | None,
    key_prefix: str,
    as_of: datetime | None,
    identifiers: list[str],
) -> dict[str, Any]:
    return {
        "ref": ref,
        "at": time.time(),
        "ep": endpoint,
        "caller": caller_label,
        "uid": user_id,
        "kp": key_prefix,
        "as_of": as_of.isoformat() if as_of else None,
        "n": len(identifiers),
        "ids": " ".join(identifiers)[:200_000],
    }


def lookup_log_write(entries: list[dict[str, Any]], found: int | None = None) -> None:
    rows = [
        TrustLookupLog(
            lookup_ref=e["ref"],
            at=datetime.fromtimestamp(e["at"], tz=UTC),
            endpoint=e["ep"],
            caller=e["caller"][:200],
            user_id=e["uid"],
            api_key_prefix=e["kp"] or "",
            as_of=parse_datetime(e["as_of"]) if e["as_of"] else None,
            item_count=e["n"],
            # What callers sent, as sent, except NUL: PostgreSQL text cannot hold it.
            identifiers=e["ids"].replace("\x00", ""),
            found=e.get("found", found),
        )
        for e in entries
    ]
    TrustLookupLog.objects.bulk_create(rows, ignore_conflicts=True)


class _LogBuffer:
    """Entries of lookups answered while Redis was down, written in batches rather than one
    INSERT per request (at most ``FLUSH_SECONDS`` late; flushed at exit too)."""

    FLUSH_SECONDS = 1.0
    FLUSH_SIZE = 200

    def __init__(self) -> None:
        import atexit
        import threading

        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._since = 0.0
        atexit.register(self.flush)

    def add(self, entry: dict[str, Any]) -> None:
        import threading

        with self._lock:
            if not self._entries:
                self._since = time.monotonic()
                # Written even if no other request comes to trigger the flush.
                timer = threading.Timer(self.FLUSH_SECONDS, self.flush)
                timer.daemon = True
                timer.start()
            self._entries.append(entry)
            due = (
                len(self._entries) >= self.FLUSH_SIZE
                or time.monotonic() - self._since >= self.FLUSH_SECONDS
            )
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            entries, self._entries = self._entries, []
        if entries:
            try:
                lookup_log_write(entries)
            except Exception:
                logger.exception("lookup log: %d entries could not be written", len(entries))


_log_buffer = _LogBuffer()


def lookup_log_record(entry: dict[str, Any], *, buffered: bool) -> None:
    """Record one request that the store did not queue (Redis down, or embedded mode)."""
    if buffered and get_store().queues_log:  # Redis is down for now: batch the rows
        _log_buffer.add(entry)
    else:
        lookup_log_write([entry])


def lookup_log_drain(batch: int = 1000, max_batches: int = 100) -> int:
    """Move queued lookup-log entries from Redis to the table, in batches."""
    _log_buffer.flush()
    store = get_store()
    moved = 0
    for _ in range(max_batches):
        raw = store.pop_log(batch)
        if not raw:
            break
        lookup_log_write([orjson.loads(r) for r in raw])
        moved += len(raw)
    return moved


def lookup_log_purge() -> int:
    cutoff = timezone.now() - timedelta(days=settings.TRUST_LOOKUP_LOG_RETENTION_DAYS)
    deleted, _ = TrustLookupLog.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- Sweep ------------------------------------------------------------------------------------


def trust_sweep(lookback: timedelta = timedelta(minutes=10)) -> dict[str, int]:
    """Periodic: rebuild snapshots whose dates just passed, sequence the feed, and rebuild
    everything if the store lost its data (Redis restarted empty)."""
    now = timezone.now()
    since = now - lookback
    sids = set(
        AuthorisationStatusInterval.objects.filter(
            Q(valid_from__gt=since, valid_from__lte=now) | Q(valid_to__gt=since, valid_to__lte=now)
        ).values_list("authorisation__holder_id", flat=True)
    )
    sids |= set(
        Authorisation.objects.filter(
            close_monitoring_until__gte=since.date() - timedelta(days=1),
            close_monitoring_until__lte=now.date(),
        ).values_list("holder_id", flat=True)
    )
    rebuilt = 0
    store = get_store()
    try:
        complete = bool(store.read([complete_marker_key()]).values[0])
    except Exception:
        complete = True  # store down: nothing to write to now
    if not complete:
        rebuilt = snapshots_rebuild_all()
    elif sids:
        rebuilt = snapshots_rebuild(stakeholder_ids=sids)
    sequenced = len(trust_feed_sequence())
    return {"rebuilt": rebuilt, "sequenced": sequenced}


# --- MRA partners -----------------------------------------------------------------------------

# The identifier a partner's list is keyed on unless the file says otherwise.
MRA_DEFAULT_ID_TYPE = {
    "CN": IdentifierType.CN_AEO,
    "US": IdentifierType.CTPAT,
    "UK": IdentifierType.EORI,
    "GB": IdentifierType.EORI,
}
_STATUSES = set(AuthorisationStatus.values)
_TYPES = {"AEOC", "AEOS", "AEOF"}


@dataclass
class MraImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def mra_import(stream: io.TextIOBase, *, partner: str, source_file: str = "") -> MraImportReport:
    """Load a partner's AEO list (CSV with a header row). Idempotent: a row already loaded
    as is changes nothing. A bad row is reported with its line number and skipped."""
    partner = partner.strip().upper()
    report = MraImportReport()
    reader = csv.DictReader(stream)
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if "partner_id" not in fields:
        report.errors.append((1, "The header must have a partner_id column."))
        return report
    now = timezone.now()
    parsed: dict[Key, dict[str, Any]] = {}
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            key, values = _mra_row(row, partner)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        if key in parsed:
            report.errors.append((line, f"{key[0]} {key[1]} appears twice; the first row wins."))
            continue
        parsed[key] = values
    changed: list[Key] = []
    with transaction.atomic():
        existing = {
            (r.id_type, r.partner_id): r
            for r in MraPartnerRecord.objects.select_for_update().filter(
                Q(pk__in=[])
                | Q(id_type__in={k[0] for k in parsed}, partner_id__in={k[1] for k in parsed})
            )
        }
        for key, values in parsed.items():
            current = existing.get(key)
            if current is None:
                MraPartnerRecord.objects.create(
                    partner=partner,
                    id_type=key[0],
                    partner_id=key[1],
                    imported_at=now,
                    source_file=source_file,
                    **values,
                )
                report.created += 1
                changed.append(key)
            elif current.partner != partner:
                report.errors.append(
                    (0, f"{key[0]} {key[1]} is on partner {current.partner}'s list; skipped.")
                )
            elif any(getattr(current, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(current, f, v)
                current.imported_at = now
                current.source_file = source_file
                current.save()
                report.updated += 1
                changed.append(key)
            else:
                report.unchanged += 1
        if changed:
            from accreditation.outbox import outbox_enqueue

            outbox_enqueue("trust.rebuild", {"keys": [list(k) for k in changed]})
    return report


def _mra_row(row: dict[str, str], partner: str) -> tuple[Key, dict[str, Any]]:
    id_type = (row.get("id_type") or MRA_DEFAULT_ID_TYPE.get(partner, "")).upper()
    if not id_type:
        raise ValueError(f"id_type is required: partner {partner} has no default identifier.")
    try:
        value = normalise(id_type, row.get("partner_id", ""))
    except InvalidIdentifier as exc:
        raise ValueError(f"partner_id: {exc}") from None
    status = (row.get("status") or "ACTIVE").upper()
    if status not in _STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(sorted(_STATUSES))}.")
    types = [t for t in (row.get("types") or "AEOS").upper().replace("|", " ").split() if t]
    if any(t not in _TYPES for t in types):
        raise ValueError("types: use AEOC, AEOS or AEOF, separated by '|'.")
    if "AEOF" in types:
        types = sorted({*(t for t in types if t != "AEOF"), "AEOC", "AEOS"})
    since: date | None = None
    if row.get("since"):
        since = parse_date(row["since"])
        if since is None:
            raise ValueError(f"since: {row['since']!r} is not a date (YYYY-MM-DD).")
    country = (row.get("country") or "").upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValueError(f"country: {country!r} is not an ISO 3166 alpha-2 code.")
    return (id_type, value), {
        "name": row.get("name", "")[:255],
        "address": row.get("address", "")[:255],
        "country": country,
        "status": status,
        "types": types,
        "since": since,
    }


def _covers(iv: AuthorisationStatusInterval, at: datetime) -> bool:
    return iv.valid_from <= at and (iv.valid_to is None or at < iv.valid_to)


def _day(dt: datetime | None) -> str:
    return dt.date().isoformat() if dt else ""


EXPORT_COLUMNS = [
    "identifier",
    "partner_identifier",
    "name",
    "address",
    "country",
    "status",
    "authorisation_no",
    "authorisation_date",
    "suspensions",
    "revocation_date",
]


def mra_export(
    *, partner: str, out_dir: Path, until: datetime | None = None, since: datetime | None = None
) -> MraExportRun:
    """Write the delta since the partner's last export: consenting AEOS/AEOF holders whose
    data or status changed (all of them the first time), with a SHA-256 checksum file."""
    partner = partner.strip().upper()
    until = until or timezone.now()
    if since is None:
        last = MraExportRun.objects.filter(partner=partner).order_by("-until").first()
        since = last.until if last else None
    auths = Authorisation.objects.filter(
        type__in=["AEOS", "AEOF"], holder__consent_mra=True, effective_from__lte=until
    )
    if since is not None:
        auths = auths.filter(
            Q(holder__updated_at__gt=since)
            | Q(created_at__gt=since)
            | Q(intervals__created_at__gt=since)
            | Q(intervals__valid_from__gt=since, intervals__valid_from__lte=until)
            | Q(intervals__valid_to__gt=since, intervals__valid_to__lte=until)
        )
    auths = list(auths.distinct().select_related("holder").order_by("holder_id", "id"))
    intervals: dict[int, list[AuthorisationStatusInterval]] = {}
    for iv in AuthorisationStatusInterval.objects.filter(
        authorisation__in=auths, type="AEOS"
    ).order_by("valid_from"):
        intervals.setdefault(iv.authorisation_id, []).append(iv)
    ids: dict[int, dict[str, str]] = {}
    for sid, t, v in Identifier.objects.filter(
        stakeholder_id__in={a.holder_id for a in auths}
    ).values_list("stakeholder_id", "type", "value"):
        ids.setdefault(sid, {})[t] = v
    partner_type = {"US": "MID", "CN": "CN_AEO", "JP": "TIN"}.get(partner, "")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for auth in auths:
        holder: Stakeholder = auth.holder
        ivs = intervals.get(auth.pk, [])
        current = next(
            (
                iv
                for iv in ivs
                if iv.valid_from <= until and (iv.valid_to is None or until < iv.valid_to)
            ),
            None,
        )
        suspensions = ";".join(
            f"{_day(iv.valid_from)}/{_day(iv.valid_to)}" for iv in ivs if iv.status == "SUSPENDED"
        )
        revoked = next(
            (iv.valid_from.date().isoformat() for iv in ivs if iv.status == "REVOKED"), ""
        )
        holder_ids = ids.get(holder.pk, {})
        writer.writerow(
            [
                holder_ids.get("EORI", ""),
                holder_ids.get(partner_type, ""),
                holder.legal_name,
                ", ".join(p for p in [holder.address, holder.postal_code, holder.city] if p),
                str(holder.country),
                current.status if current else "NONE",
                auth.number,
                auth.effective_from.date().isoformat(),
                suspensions,
                revoked,
            ]
        )
    data = out.getvalue().encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"AEO_MRA_{partner}_{until:%Y%m%dT%H%M%SZ}.csv"
    digest = hashlib.sha256(data).hexdigest()
    (out_dir / name).write_bytes(data)
    (out_dir / f"{name}.sha256").write_text(f"{digest}  {name}\n")
    return MraExportRun.objects.create(
        partner=partner, since=since, until=until, rows=len(auths), filename=name, sha256=digest
    )
