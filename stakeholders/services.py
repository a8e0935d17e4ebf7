"""Writes to the registry. Views, admin actions and commands call these; nothing else writes.

Every function that changes what a trust lookup would show sends ``stakeholder_changed``
inside its transaction, so that receivers record their follow-up work (outbox rows) atomically
with the change. Validation errors are Django ``ValidationError`` with field names as keys;
the API turns them into the one 400 shape.

Who changed what: each write sets ``_history_user`` on the instances it saves so that the
field-level history (django-simple-history) records the actor for API calls, admin and
management commands alike (the middleware alone only knows session users).
"""

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django_countries import countries

from aeo_registry.permissions import OPERATOR, is_officer

from .identifiers import IdentifierType, InvalidIdentifier, normalise, parse_aeo_number
from .models import (
    RELATIONSHIP_TARGET_ROLES,
    Identifier,
    Membership,
    MembershipRole,
    Relationship,
    RelationshipKind,
    Role,
    Stakeholder,
)
from .selectors import as_pk
from .signals import stakeholder_changed

User = get_user_model()

# Fields a PATCH may change (identifiers and members have their own endpoints).
STAKEHOLDER_EDITABLE_FIELDS = (
    "legal_name",
    "trading_name",
    "country",
    "address",
    "city",
    "postal_code",
    "contact_email",
    "contact_phone",
    "established_on",
    "consent_publish",
    "consent_mra",
)
_REQUIRED_ON_CREATE = ("legal_name", "country", "address", "contact_email")

# Identifier types whose value starts with the issuing country's code. VAT uses EL for
# Greece and EORI uses XI for Northern Ireland (a UK customs territory).
_PREFIX_COUNTRY_TYPES = {
    IdentifierType.EORI,
    IdentifierType.VAT,
    IdentifierType.TIN,
    IdentifierType.AEO_NO,
    IdentifierType.MID,
    IdentifierType.CN_AEO,
}
_PREFIX_ALIASES = {"EL": "GR", "XI": "GB"}
_FIXED_COUNTRY = {IdentifierType.CTPAT: "US"}


# --- small validators -------------------------------------------------------------------------


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def validate_country(value: Any, field: str = "country") -> str:
    code = value.code if hasattr(value, "code") else value
    if not isinstance(code, str) or len(code.strip()) != 2:
        raise ValidationError({field: ["Give an ISO 3166-1 alpha-2 country code, e.g. 'DE'."]})
    code = code.strip().upper()
    if code not in _country_codes():
        raise ValidationError({field: [f"'{code}' is not an ISO 3166-1 alpha-2 country code."]})
    return code


def validate_roles(codes: Any) -> list[Role]:
    if isinstance(codes, str) or not isinstance(codes, Iterable):
        raise ValidationError({"roles": ["Give a list of role codes."]})
    wanted = []
    for code in codes:
        code = str(code).strip().upper()
        if code and code not in wanted:
            wanted.append(code)
    if not wanted:
        raise ValidationError({"roles": ["A stakeholder has at least one role."]})
    found = {r.code: r for r in Role.objects.filter(code__in=wanted)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationError(
            {
                "roles": [
                    f"Unknown role code '{c}'; see GET /api/v1/roles/ for the catalogue."
                    for c in unknown
                ]
            }
        )
    return [found[c] for c in wanted]


def _date_order(valid_from: date | None, valid_to: date | None, field: str = "valid_to") -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError({field: ["Must not be before valid_from."]})


def issuing_country_of(id_type: str, value: str) -> str:
    """The country an identifier's form tells us issued it, or '' when the form says nothing."""
    if id_type in _FIXED_COUNTRY:
        return _FIXED_COUNTRY[id_type]
    if id_type in _PREFIX_COUNTRY_TYPES:
        prefix = _PREFIX_ALIASES.get(value[:2], value[:2])
        return prefix if prefix in _country_codes() else ""
    return ""


def clean_identifier(
    item: Mapping[str, Any], stakeholder_country: str, field: str, label: str = ""
) -> dict[str, Any]:
    """Normalise one identifier and derive its issuing country; errors go under ``field``."""
    where = f"{label}: " if label else ""
    id_type = item.get("type")
    if id_type not in IdentifierType.values:
        raise ValidationError(
            {
                field: [
                    f"{where}Unknown identifier type {id_type!r}; one of: "
                    f"{', '.join(IdentifierType.values)}."
                ]
            }
        )
    try:
        value = normalise(id_type, item.get("value"))
    except InvalidIdentifier as exc:
        raise ValidationError({field: [f"{where}{id_type}: {exc}"]}) from None
    issuing = issuing_country_of(id_type, value)
    if id_type in _PREFIX_COUNTRY_TYPES and not issuing:
        raise ValidationError(
            {field: [f"{where}{id_type} {value}: the prefix '{value[:2]}' is not a country code."]}
        )
    if id_type == IdentifierType.AEO_NO:
        # DOMAIN R1.2: an AEO authorisation is issued by the state where the holder is
        # established.
        aeo_country = parse_aeo_number(value).country
        if _PREFIX_ALIASES.get(aeo_country, aeo_country) != stakeholder_country:
            raise ValidationError(
                {
                    field: [
                        f"{where}AEO_NO {value} was issued by {aeo_country}, but the stakeholder "
                        f"is established in {stakeholder_country}."
                    ]
                }
            )
    valid_from, valid_to = item.get("valid_from"), item.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        # On the identifier endpoint the dates are fields of their own.
        date_field = "valid_to" if field == "value" else field
        raise ValidationError({date_field: [f"{where}valid_to must not be before valid_from."]})
    return {
        "type": id_type,
        "value": value,
        "issuing_country": issuing,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def _refuse_duplicates(cleaned: list[dict[str, Any]], field: str) -> None:
    seen: set[tuple[str, str]] = set()
    for item in cleaned:
        key = (item["type"], item["value"])
        if key in seen:
            raise ValidationError({field: [f"{key[0]} {key[1]} is given twice."]})
        seen.add(key)
    for item in cleaned:
        if Identifier.objects.filter(type=item["type"], value=item["value"]).exists():
            raise ValidationError(
                {
                    field: [
                        f"{item['type']} {item['value']} is already registered to another "
                        "stakeholder."
                    ]
                }
            )


def announce_change(stakeholder_id: int) -> None:
    stakeholder_changed.send(sender=Stakeholder, stakeholder_id=stakeholder_id)


def _save_identifier(stakeholder: Stakeholder, item: dict[str, Any], actor) -> Identifier:
    identifier = Identifier(stakeholder=stakeholder, **item)
    identifier._history_user = actor
    identifier.save()
    return identifier


def _clean_fields(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in STAKEHOLDER_EDITABLE_FIELDS:
        if name in data:
            fields[name] = data[name]
    if not partial:
        missing = [n for n in _REQUIRED_ON_CREATE if not str(fields.get(n) or "").strip()]
        if missing:
            raise ValidationError({n: ["This field is required."] for n in missing})
    for name in ("legal_name", "address", "contact_email"):
        if name in fields and not str(fields[name] or "").strip():
            raise ValidationError({name: ["This field may not be blank."]})
    if "country" in fields:
        fields["country"] = validate_country(fields["country"])
    if fields.get("contact_email"):
        fields["contact_email"] = str(fields["contact_email"]).strip()
        validate_email_field(fields["contact_email"])
    for name in ("legal_name", "trading_name", "address", "city", "postal_code", "contact_phone"):
        if name in fields:
            fields[name] = str(fields[name] or "").strip()
    return fields


def validate_email_field(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"contact_email": ["Enter a valid e-mail address."]}) from None


# --- stakeholders -----------------------------------------------------------------------------


@transaction.atomic
def stakeholder_create(actor: AbstractBaseUser | None, data: Mapping[str, Any]) -> Stakeholder:
    """Register a stakeholder with its identifiers (1..n) and roles (1..n).

    An operator who registers it becomes its OWNER; staff registering on someone's behalf do
    not become members.
    """
    fields = _clean_fields(data, partial=False)
    roles = validate_roles(data.get("roles") or [])
    raw_identifiers = data.get("identifiers") or []
    if not raw_identifiers:
        raise ValidationError({"identifiers": ["A stakeholder has at least one identifier."]})
    cleaned = [
        clean_identifier(item, fields["country"], "identifiers", f"identifiers[{i}]")
        for i, item in enumerate(raw_identifiers)
    ]
    _refuse_duplicates(cleaned, "identifiers")

    stakeholder = Stakeholder(**fields, created_by=actor if _is_user(actor) else None)
    stakeholder._history_user = actor if _is_user(actor) else None
    stakeholder.save()
    stakeholder.roles.set(roles)
    for item in cleaned:
        _save_identifier(stakeholder, item, stakeholder._history_user)
    if _is_user(actor) and not is_officer(actor):
        membership = Membership(user=actor, stakeholder=stakeholder, role=MembershipRole.OWNER)
        membership._history_user = actor
        membership.save()
    announce_change(stakeholder.pk)
    return stakeholder


@transaction.atomic
def stakeholder_update(
    actor: AbstractBaseUser | None, stakeholder: Stakeholder, data: Mapping[str, Any]
) -> Stakeholder:
    """Change names, address, contact, consents and roles (PATCH semantics)."""
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    fields = _clean_fields(data, partial=True)
    if "country" in fields and fields["country"] != stakeholder.country.code:
        aeo_numbers = stakeholder.identifiers.filter(type=IdentifierType.AEO_NO)
        if aeo_numbers.exists():
            raise ValidationError(
                {
                    "country": [
                        "The stakeholder holds an AEO authorisation number issued by its "
                        "current country; remove it before moving the stakeholder."
                    ]
                }
            )
    stakeholder._history_user = actor if _is_user(actor) else None
    changed = [name for name, value in fields.items() if _value(stakeholder, name) != value]
    for name in changed:
        setattr(stakeholder, name, fields[name])
    if changed:
        stakeholder.save(update_fields=[*changed, "updated_at"])
    if "roles" in data:
        roles = validate_roles(data["roles"])
        current = set(stakeholder.roles.values_list("code", flat=True))
        if current != {r.code for r in roles}:
            stakeholder.roles.set(roles)
            changed.append("roles")
    if changed:
        announce_change(stakeholder.pk)
    return stakeholder


def _value(stakeholder: Stakeholder, name: str) -> Any:
    value = getattr(stakeholder, name)
    return value.code if name == "country" else value


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


# --- identifiers ------------------------------------------------------------------------------


@transaction.atomic
def identifier_add(
    actor: AbstractBaseUser | None, stakeholder: Stakeholder, data: Mapping[str, Any]
) -> Identifier:
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    item = clean_identifier(data, stakeholder.country.code, "value")
    if Identifier.objects.filter(type=item["type"], value=item["value"]).exists():
        raise ValidationError({"value": [f"{item['type']} {item['value']} is already registered."]})
    identifier = _save_identifier(stakeholder, item, actor if _is_user(actor) else None)
    announce_change(stakeholder.pk)
    return identifier


@transaction.atomic
def identifier_remove(
    actor: AbstractBaseUser | None, stakeholder: Stakeholder, identifier_id: int
) -> None:
    """Remove an identifier; the last one stays (a stakeholder has at least one)."""
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    pk = as_pk(identifier_id)
    identifier = Identifier.objects.filter(stakeholder=stakeholder, pk=pk).first() if pk else None
    if identifier is None:
        raise Http404("No such identifier on this stakeholder.")
    if stakeholder.identifiers.count() <= 1:
        raise ValidationError(
            {"identifier": ["A stakeholder keeps at least one identifier; add another first."]}
        )
    identifier._history_user = actor if _is_user(actor) else None
    identifier.delete()
    announce_change(stakeholder.pk)


# --- relationships ----------------------------------------------------------------------------


@transaction.atomic
def relationship_create(
    actor: AbstractBaseUser | None, source: Stakeholder, data: Mapping[str, Any]
) -> Relationship:
    """Declare a link from ``source`` to another registered stakeholder.

    The target is named by id only; an operator may link to any registered stakeholder but
    the answer tells them nothing about it beyond whether it holds the role the kind needs.
    """
    kind = data.get("kind")
    if kind not in RelationshipKind.values:
        raise ValidationError(
            {"kind": [f"Unknown kind {kind!r}; one of: {', '.join(RelationshipKind.values)}."]}
        )
    target_id = data.get("target")
    target_id = getattr(target_id, "pk", target_id)
    if target_id is None:
        raise ValidationError({"target": ["This field is required."]})
    if str(target_id) == str(source.pk):
        raise ValidationError({"target": ["A stakeholder cannot have a relationship to itself."]})
    target_pk = as_pk(target_id)
    target = Stakeholder.objects.filter(pk=target_pk).first() if target_pk else None
    if target is None:
        raise ValidationError({"target": [f"No stakeholder is registered with id {target_id}."]})
    needed = RELATIONSHIP_TARGET_ROLES[kind]
    if not target.roles.filter(code__in=needed).exists():
        raise ValidationError(
            {
                "target": [
                    f"{kind} must point at a stakeholder with the role "
                    f"{' or '.join(needed)}; stakeholder {target.pk} has none of them."
                ]
            }
        )
    valid_from = data.get("valid_from") or date.today()
    valid_to = data.get("valid_to")
    _date_order(valid_from, valid_to)
    # The same link may be declared again for a later period, never twice for one day.
    overlapping = Relationship.objects.filter(source=source, target=target, kind=kind).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    clash = overlapping.order_by("valid_from").first()
    if clash is not None:
        until = clash.valid_to.isoformat() if clash.valid_to else "open-ended"
        raise ValidationError(
            {
                "valid_from": [
                    f"This {kind} link is already declared for an overlapping period "
                    f"({clash.valid_from.isoformat()} to {until})."
                ]
            }
        )
    user = actor if _is_user(actor) else None
    relationship = Relationship(
        source=source,
        target=target,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=user,
    )
    relationship._history_user = user
    relationship.save()
    # A consignment lookup shows each party's relationships, so both ends change.
    announce_change(source.pk)
    announce_change(target.pk)
    return relationship


# --- memberships ------------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    actor: AbstractBaseUser, stakeholder: Stakeholder, data: Mapping[str, Any]
) -> Membership:
    """An owner (or customs staff) lets another operator account act for the stakeholder."""
    username = str(data.get("username") or "").strip()
    role = data.get("role") or MembershipRole.MEMBER
    if role not in MembershipRole.values:
        raise ValidationError({"role": [f"One of: {', '.join(MembershipRole.values)}."]})
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": [f"No user is registered as '{username}'."]})
    if is_officer(user) or not user.groups.filter(name=OPERATOR).exists():
        raise ValidationError({"username": ["Only operator accounts can act for a stakeholder."]})
    if Membership.objects.filter(user=user, stakeholder=stakeholder).exists():
        raise ValidationError({"username": [f"'{username}' is already a member."]})
    membership = Membership(user=user, stakeholder=stakeholder, role=role)
    membership._history_user = actor
    membership.save()
    return membership


# --- accounts ---------------------------------------------------------------------------------


@transaction.atomic
def operator_register(username: str, password: str, email: str) -> AbstractBaseUser:
    """Create an operator account; Django's password validators apply."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["This username is taken."]})
    candidate = User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user = User.objects.create_user(username=username, password=password, email=email)
    user.groups.add(Group.objects.get(name=OPERATOR))
    return user


@transaction.atomic
def auth_token_issue(user: AbstractBaseUser) -> tuple[str, Any]:
    """A new hashed, expiring token for ``user``; returns (token, expiry).

    Expired tokens are dropped, and at the per-user limit the oldest live token is retired
    rather than refusing the login.
    """
    from django.utils import timezone
    from knox.models import AuthToken
    from knox.settings import knox_settings

    now = timezone.now()
    AuthToken.objects.filter(user=user, expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit:
        live = AuthToken.objects.filter(user=user).order_by("-created")
        stale = list(live.values_list("digest", flat=True)[limit - 1 :])
        if stale:
            AuthToken.objects.filter(digest__in=stale).delete()
    instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    return token, instance.expiry


# --- staff ------------------------------------------------------------------------------------

# Admin permissions per staff group. Officers read everything and correct registry entries;
# supervisors also manage relationships, memberships and machine keys (revocation).
_STAFF_PERMISSIONS = {
    "OFFICER": {
        "view": ("stakeholders", "accreditation", "rest_framework_api_key", "auth.user"),
        "change": ("stakeholders.stakeholder", "stakeholders.identifier"),
        "add": ("stakeholders.identifier",),
    },
    "SUPERVISOR": {
        "view": ("stakeholders", "accreditation", "rest_framework_api_key", "auth.user"),
        "change": (
            "stakeholders.stakeholder",
            "stakeholders.identifier",
            "stakeholders.relationship",
            "stakeholders.membership",
            "rest_framework_api_key.apikey",
        ),
        "add": (
            "stakeholders.identifier",
            "stakeholders.relationship",
            "stakeholders.membership",
        ),
    },
}


def staff_groups_grant_permissions() -> None:
    """Give the OFFICER and SUPERVISOR groups their admin permissions (idempotent).

    Not a data migration: permissions are created after migrations run, so a fresh database
    has none yet while its migrations are applied.
    """
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    for group_name, grants in _STAFF_PERMISSIONS.items():
        group = Group.objects.get(name=group_name)
        wanted = Q(pk__in=[])
        for action, targets in grants.items():
            for target in targets:
                app_label, _, model = target.partition(".")
                q = Q(content_type__app_label=app_label, codename__startswith=f"{action}_")
                if model:
                    q &= Q(content_type__model=model)
                wanted |= q
        group.permissions.add(*Permission.objects.filter(wanted))


@transaction.atomic
def staff_user_upsert(username: str, role: str, password: str, email: str = "") -> tuple[Any, bool]:
    """Create (or update) a customs officer or supervisor; returns (user, created)."""
    from aeo_registry.permissions import OFFICER, SUPERVISOR

    group_name = {"officer": OFFICER, "supervisor": SUPERVISOR}.get(role.lower())
    if group_name is None:
        raise ValidationError({"role": ["One of: officer, supervisor."]})
    user = User.objects.filter(username=username).first()
    candidate = user or User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    created = user is None
    if created:
        user = User.objects.create_user(username=username, email=email, password=password)
    else:
        user.set_password(password)
        if email:
            user.email = email
    user.is_staff = True
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=[OPERATOR, OFFICER, SUPERVISOR]))
    user.groups.add(Group.objects.get(name=group_name))
    staff_groups_grant_permissions()
    return user, created
