"""The registry's CSV format, shared by `import_stakeholders` and `export_stakeholders`.

Columns (header row required; order free; row numbers in error reports count the header as
row 1):

    legal_name       required
    trading_name     optional
    country          required, ISO 3166-1 alpha-2 (DE)
    address          required
    city, postal_code
    contact_email    required
    contact_phone    optional
    roles            required, role codes separated by ';' (E_VENDOR;IMPORTER)
    identifiers      required, TYPE:VALUE separated by ';' (EORI:DE123456789;LEI:5299...)
    consent_publish  true/false (also yes/no, 1/0; empty = false)
    consent_mra      true/false

Import matches a row to an existing stakeholder by any of its identifiers, then updates only
what differs (fields, roles) and adds identifiers it lacks; identifiers are never removed by
an import. The whole file is one transaction: one bad row and nothing is written.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from . import services
from .identifiers import InvalidIdentifier, normalise
from .models import Identifier, Stakeholder

COLUMNS = [
    "legal_name",
    "trading_name",
    "country",
    "address",
    "city",
    "postal_code",
    "contact_email",
    "contact_phone",
    "roles",
    "identifiers",
    "consent_publish",
    "consent_mra",
]
REQUIRED_COLUMNS = ["legal_name", "country", "address", "contact_email", "roles", "identifiers"]
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportFailed(Exception):
    """Some rows are bad; nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _bool(value: str, name: str) -> bool:
    value = (value or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError({name: [f"'{value}' is not true or false."]})


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the data ``stakeholder_create`` takes; ValidationError keyed by column.

    Checks every column before giving up, so a bad row is reported in full at once.
    """
    problems: dict[str, list[str]] = {}

    def check(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                problems.setdefault(name, []).extend(messages)
            return None

    data, parse_problems = _parse(row)
    problems.update(parse_problems)
    if data:
        country = check(lambda: services.validate_country(data.get("country", "")))
        if data.get("contact_email"):
            check(lambda: services.validate_email_field(data["contact_email"]))
        check(lambda: services.validate_roles(data["roles"]))
        for i, item in enumerate(data["identifiers"]):
            check(
                lambda item=item, i=i: services.clean_identifier(
                    item, country or "", "identifiers", f"{item['type']}:{item['value']}"
                )
            )
    for name in REQUIRED_COLUMNS:
        if not (row.get(name) or "").strip():
            problems.setdefault(name, []).insert(0, "This field is required.")
    if problems:
        raise ValidationError(problems)
    return data


def _parse(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    data: dict[str, Any] = {}
    for name in COLUMNS:
        if name in ("roles", "identifiers", "consent_publish", "consent_mra"):
            continue
        if name in row and row[name] is not None:
            data[name] = row[name].strip()
    data["roles"] = _split(row.get("roles", ""))
    errors: dict[str, list[str]] = {}
    identifiers = []
    for part in _split(row.get("identifiers", "")):
        id_type, sep, value = part.partition(":")
        if not sep:
            errors.setdefault("identifiers", []).append(f"'{part}' is not TYPE:VALUE.")
            continue
        identifiers.append({"type": id_type.strip().upper(), "value": value.strip()})
    data["identifiers"] = identifiers
    for name in ("consent_publish", "consent_mra"):
        try:
            data[name] = _bool(row.get(name, ""), name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return data, errors


def _errors(exc: ValidationError, row: int) -> list[RowError]:
    if hasattr(exc, "error_dict"):
        return [
            RowError(row, name, message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(row, "row", message) for message in exc.messages]


def _match(identifiers: list[dict[str, str]]) -> set[int]:
    """Ids of existing stakeholders holding any of the (valid) identifiers."""
    ids: set[int] = set()
    for item in identifiers:
        try:
            value = normalise(item["type"], item["value"])
        except InvalidIdentifier:
            continue  # reported by the service with the row's other errors
        ids.update(
            Identifier.objects.filter(type=item["type"], value=value).values_list(
                "stakeholder_id", flat=True
            )
        )
    return ids


def _apply(data: dict[str, Any], result: ImportResult) -> None:
    matches = _match(data["identifiers"])
    if len(matches) > 1:
        raise ValidationError(
            {
                "identifiers": [
                    "These identifiers belong to different registered stakeholders "
                    f"(ids {', '.join(str(i) for i in sorted(matches))})."
                ]
            }
        )
    if not matches:
        services.stakeholder_create(None, data)
        result.created += 1
        return
    stakeholder = Stakeholder.objects.get(pk=matches.pop())
    before = (_snapshot(stakeholder), _identifier_keys(stakeholder))
    fields = {k: v for k, v in data.items() if k != "identifiers"}
    services.stakeholder_update(None, stakeholder, fields)
    held = _identifier_keys(stakeholder)
    for item in data["identifiers"]:
        try:
            value = normalise(item["type"], item["value"])
        except InvalidIdentifier:
            value = None
        if (item["type"], value) not in held:
            try:
                services.identifier_add(None, stakeholder, item)
            except ValidationError as exc:
                raise ValidationError({"identifiers": exc.messages}) from None
    stakeholder.refresh_from_db()
    if (_snapshot(stakeholder), _identifier_keys(stakeholder)) == before:
        result.unchanged += 1
    else:
        result.updated += 1


def _snapshot(stakeholder: Stakeholder) -> tuple:
    return (
        *(str(getattr(stakeholder, name)) for name in services.STAKEHOLDER_EDITABLE_FIELDS),
        tuple(sorted(stakeholder.roles.values_list("code", flat=True))),
    )


def _identifier_keys(stakeholder: Stakeholder) -> set[tuple[str, str]]:
    return set(stakeholder.identifiers.values_list("type", "value"))


def _repeated(
    identifiers: list[dict[str, str]], number: int, first_row_of: dict[tuple[str, str], int]
) -> list[RowError]:
    """An identifier given on two rows would silently merge them: refuse it."""
    errors = []
    for item in identifiers:
        key = (item["type"], normalise(item["type"], item["value"]))
        if key in first_row_of:
            errors.append(
                RowError(
                    number, "identifiers", f"{key[0]} {key[1]} is also on row {first_row_of[key]}."
                )
            )
        else:
            first_row_of[key] = number
    return errors


def import_stakeholders(
    stream: IO[str], progress: Callable[[Iterable], Iterable] = lambda rows: rows
) -> ImportResult:
    """Import a CSV file all-or-nothing; raises ImportFailed listing every bad row."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFailed([RowError(1, c, "Missing column.") for c in missing])
    rows = list(reader)
    result = ImportResult()
    first_row_of: dict[tuple[str, str], int] = {}
    with transaction.atomic():
        for number, row in enumerate(progress(rows), start=2):
            if None in row:
                result.errors.append(RowError(number, "row", "More cells than columns."))
                continue
            try:
                data = parse_row(row)
            except ValidationError as exc:
                result.errors.extend(_errors(exc, number))
                continue
            repeated = _repeated(data["identifiers"], number, first_row_of)
            if repeated:
                result.errors.extend(repeated)
                continue
            try:
                # A savepoint per row: a bad row is undone alone and the next rows are
                # still checked, so one run reports every bad row.
                with transaction.atomic():
                    _apply(data, result)
            except ValidationError as exc:
                result.errors.extend(_errors(exc, number))
        if result.errors:
            transaction.set_rollback(True)
    if result.errors:
        raise ImportFailed(result.errors)
    return result


def export_rows() -> Iterator[dict[str, str]]:
    stakeholders = Stakeholder.objects.prefetch_related("roles", "identifiers").order_by("id")
    for s in stakeholders.iterator(chunk_size=500):
        yield {
            "legal_name": s.legal_name,
            "trading_name": s.trading_name,
            "country": s.country.code,
            "address": s.address,
            "city": s.city,
            "postal_code": s.postal_code,
            "contact_email": s.contact_email,
            "contact_phone": s.contact_phone,
            "roles": ";".join(sorted(r.code for r in s.roles.all())),
            "identifiers": ";".join(
                f"{i.type}:{i.value}"
                for i in sorted(s.identifiers.all(), key=lambda i: (i.type, i.value))
            ),
            "consent_publish": "true" if s.consent_publish else "false",
            "consent_mra": "true" if s.consent_mra else "false",
        }


def export_stakeholders(stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in export_rows():
        writer.writerow(row)
        count += 1
    return count
