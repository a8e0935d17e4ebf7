"""Bulk loading of benchmark identifiers with PostgreSQL COPY (a million rows in a minute)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from accreditation.models import (
    Application,
    Authorisation,
    AuthorisationStatusInterval,
    ProgrammeProfile,
)
from stakeholders.models import Role

TABLES = [
    "accreditation_authorisationstatusinterval",
    "accreditation_authorisation",
    "accreditation_application",
    "accreditation_trustchange",
    "accreditation_trustlookuplog",
    "accreditation_outboxmessage",
    "stakeholders_identifier",
    "stakeholders_historicalidentifier",
    "stakeholders_stakeholder_roles",
    "stakeholders_historicalstakeholder",
    "stakeholders_historicalstakeholder_roles",
    "stakeholders_membership",
    "stakeholders_relationship",
    "stakeholders_stakeholder",
]


def eori(n: int) -> str:
    return f"DE{100000000000 + n}"


def reset() -> None:
    with connection.cursor() as cur:
        existing = set(connection.introspection.table_names(cur))
        tables = [t for t in TABLES if t in existing]
        cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def load_stakeholders(start: int, count: int, chunk: int = 100_000) -> None:
    """Stakeholders ``start .. start+count-1`` (ids = numbers), one EORI each, role E_VENDOR."""
    role_id = Role.objects.get(code="E_VENDOR").pk
    now = datetime.now(UTC).isoformat()
    with connection.cursor() as cur:
        raw = cur.connection  # psycopg 3
        for lo in range(start, start + count, chunk):
            hi = min(lo + chunk, start + count)
            with raw.cursor() as c:
                with c.copy(
                    "COPY stakeholders_stakeholder (id, legal_name, trading_name, country, "
                    "address, city, postal_code, contact_email, contact_phone, consent_publish, "
                    "consent_mra, created_at, updated_at) FROM STDIN"
                ) as copy:
                    for n in range(lo, hi):
                        copy.write_row(
                            (n, f"Operator {n} GmbH", "", "DE", f"Hafenstrasse {n}", "Hamburg",
                             "20457", f"c{n}@op.example", "", n % 3 != 0, n % 2 == 0, now, now)
                        )  # fmt: skip
                with c.copy(
                    "COPY stakeholders_identifier (stakeholder_id, type, value, issuing_country, "
                    "created_at) FROM STDIN"
                ) as copy:
                    for n in range(lo, hi):
                        copy.write_row((n, "EORI", eori(n), "DE", now))
                with c.copy(
                    "COPY stakeholders_stakeholder_roles (stakeholder_id, role_id) FROM STDIN"
                ) as copy:
                    for n in range(lo, hi):
                        copy.write_row((n, role_id))
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('stakeholders_stakeholder', 'id'), "
            "(SELECT max(id) FROM stakeholders_stakeholder))"
        )
        cur.execute("ANALYZE stakeholders_stakeholder")
        cur.execute("ANALYZE stakeholders_identifier")


@transaction.atomic
def grant_every(nth: int, upto: int) -> list[int]:
    """AEOF authorisations (AEOC + AEOS intervals) for every ``nth`` stakeholder."""
    profile, _ = ProgrammeProfile.objects.get_or_create(code="EU_UCC", defaults={"name": "EU"})
    now = datetime.now(UTC)
    holders = list(range(1, upto + 1, nth))
    apps = Application.objects.bulk_create(
        [Application(stakeholder_id=h, type="AEOF", profile=profile, status="GRANTED")
         for h in holders]
    )  # fmt: skip
    auths = Authorisation.objects.bulk_create(
        [
            Authorisation(
                number=f"DEAEOF{h:07d}", holder_id=h, application=a, type="AEOF",
                profile=profile, issuing_country="DE", decided_at=now - timedelta(days=400),
                effective_from=now - timedelta(days=395 - random.randint(0, 300)),
            )
            for h, a in zip(holders, apps, strict=True)
        ]
    )  # fmt: skip
    AuthorisationStatusInterval.objects.bulk_create(
        [
            AuthorisationStatusInterval(
                authorisation=a, type=t, status="ACTIVE", valid_from=a.effective_from
            )
            for a in auths
            for t in ("AEOC", "AEOS")
        ]
    )
    return holders
