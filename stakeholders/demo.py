"""A realistic demo world for `make run` (fictional companies, valid identifiers).

DEMO DATA ONLY: the demo users share one fixed, published password so that anyone can try
the service locally. Never load this into a real deployment.

``seed_registry()`` is idempotent: stakeholders are found by their EORI (or first
identifier), relationships by (source, target, kind, start). Later work adds demo
applications and authorisations on top of the returned :class:`DemoWorld`.
"""

from dataclasses import dataclass, field
from datetime import date
from itertools import product
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework_api_key.models import APIKey
from stdnum.eu import vat
from stdnum.iso7064 import mod_97_10

from aeo_registry.permissions import OFFICER, OPERATOR, SUPERVISOR

from . import services
from .identifiers import IdentifierType
from .models import Identifier, Membership, MembershipRole, Relationship, Stakeholder

DEMO_PASSWORD = "demo-registry-2026"  # demo data only: published in the README
DEMO_API_KEY_NAME = "demo risk engine"
_SINCE = date(2025, 1, 1)

User = get_user_model()

# Numeric ISO codes of the member state of identification, for IOSS numbers (IM + code + 7).
_IOSS_STATE = {"IE": "372", "NL": "528", "DE": "276", "FR": "250", "IT": "380"}

# VAT templates: '?' positions are searched for the value python-stdnum accepts.
_DIGITS = "0123456789"
_VAT_TEMPLATES = {
    "DE": ("DE1{n:07d}?", _DIGITS),
    "AT": ("ATU1{n:06d}?", _DIGITS),
    "BE": ("BE01{n:06d}??", _DIGITS),
    "NL": ("NL1{n:07d}?B01", _DIGITS),
    "FR": ("FR??1{n:07d}?", _DIGITS),
    "IT": ("IT1{n:06d}001?", _DIGITS),
    "ES": ("ESB1{n:06d}?", _DIGITS),
    "PL": ("PL11{n:07d}?", _DIGITS),
    "SE": ("SE55{n:07d}?01", _DIGITS),
    "IE": ("IE1{n:06d}?", "ABCDEFGHIJKLMNOPQRSTUVW"),
    "DK": ("DK1{n:06d}?", _DIGITS),
}


def valid_vat(country: str, seed: int) -> str:
    """A VAT number of ``country`` with correct check digits (deterministic per seed)."""
    template, alphabet = _VAT_TEMPLATES[country]
    for n in range(seed, seed + 100):
        base = template.format(n=n % 1_000_000)
        for fill in product(alphabet, repeat=base.count("?")):
            candidate = base
            for char in fill:
                candidate = candidate.replace("?", char, 1)
            if vat.is_valid(candidate):
                return candidate
    raise ValueError(f"no valid VAT number near {seed} for {country}")


def valid_lei(seed: int) -> str:
    """An LEI (ISO 17442) with correct ISO 7064 mod 97-10 check digits."""
    base = f"5299{seed:014d}"
    return base + mod_97_10.calc_check_digits(base)


def _eori(country: str, seed: int) -> str:
    if country == "GB":
        return f"GB{seed:09d}000"
    return f"{country}{800000000 + seed}"


# (key, legal name, country, city, roles, extra identifier kinds)
_WORLD: list[tuple[str, str, str, str, list[str], list[str]]] = [
    # platforms
    ("plat-de", "Marktplatz Nord SE", "DE", "Hamburg", ["E_PLATFORM"], ["LEI"]),
    ("plat-fr", "Place du Marché en Ligne SAS", "FR", "Lyon", ["E_PLATFORM"], ["LEI"]),
    ("plat-nl", "Bazaar Online BV", "NL", "Utrecht", ["E_PLATFORM"], ["LEI"]),
    ("plat-it", "MercatoWeb S.p.A.", "IT", "Milano", ["E_PLATFORM"], []),
    ("plat-ie", "Emerald Marketplace Ltd", "IE", "Dublin", ["E_PLATFORM", "PAYMENT_PROVIDER"], []),
    ("plat-cn", "Hangzhou Silkroad Cross-Border Trade Co., Ltd.", "CN", "Hangzhou",
     ["E_PLATFORM", "EXPORTER"], ["CN_AEO", "IOSS"]),
    # fulfilment centres
    ("fc-de", "Lager & Versand Leipzig GmbH", "DE", "Leipzig", ["FULFILMENT_CENTRE"], []),
    ("fc-nl", "Venlo Fulfilment Services BV", "NL", "Venlo",
     ["FULFILMENT_CENTRE", "WAREHOUSE_KEEPER"], []),
    ("fc-pl", "Magazyn Centralny Sp. z o.o.", "PL", "Poznań", ["FULFILMENT_CENTRE"], []),
    ("fc-es", "Logística Levante S.L.", "ES", "Valencia", ["FULFILMENT_CENTRE"], []),
    ("fc-be", "Liège Cargo Fulfilment SA", "BE", "Liège", ["FULFILMENT_CENTRE"], []),
    ("fc-se", "Nordic Pick & Pack AB", "SE", "Göteborg", ["FULFILMENT_CENTRE"], []),
    # express carriers
    ("exp-de", "Blitzkurier Express GmbH", "DE", "Köln", ["EXPRESS_CARRIER"], ["LEI"]),
    ("exp-nl", "Tulip Express Logistics BV", "NL", "Amsterdam", ["EXPRESS_CARRIER"], ["LEI"]),
    ("exp-be", "EuroHub Express NV", "BE", "Brussel", ["EXPRESS_CARRIER", "CUSTOMS_BROKER"], []),
    ("exp-us", "Atlantic Overnight Inc.", "US", "Memphis", ["EXPRESS_CARRIER"], ["CTPAT", "LEI"]),
    # postal operators
    ("post-de", "Deutsche Landespost AG", "DE", "Bonn", ["POSTAL_OPERATOR"], ["UPU:DELPA"]),
    ("post-fr", "La Poste Régionale SA", "FR", "Paris", ["POSTAL_OPERATOR"], ["UPU:FRLPR"]),
    ("post-nl", "Koninklijke Postdienst NV", "NL", "Den Haag", ["POSTAL_OPERATOR"], ["UPU:NLKPD"]),
    ("post-at", "Alpenpost AG", "AT", "Wien", ["POSTAL_OPERATOR"], ["UPU:ATALP"]),
    ("post-cn", "Eastern Postal Logistics Co., Ltd.", "CN", "Shanghai", ["POSTAL_OPERATOR"],
     ["UPU:CNEPL", "CN_AEO"]),
    # carriers
    ("car-dk", "Nordsø Container Line A/S", "DK", "Aarhus", ["CARRIER"], ["LEI"]),
    ("car-ie", "Shannon Air Cargo Ltd", "IE", "Shannon", ["CARRIER"], []),
    ("car-gb", "Thames Freight Airways Ltd", "GB", "London", ["CARRIER"], []),
    # customs brokers
    ("brk-de", "Zollagentur Hafen GmbH", "DE", "Bremen", ["CUSTOMS_BROKER"], []),
    ("brk-nl", "Rotterdam Customs Services BV", "NL", "Rotterdam", ["CUSTOMS_BROKER"], []),
    ("brk-be", "Antwerp Declarants BV", "BE", "Antwerpen", ["CUSTOMS_BROKER"], []),
    ("brk-fr", "Transit Douane Roissy SARL", "FR", "Roissy", ["CUSTOMS_BROKER"], []),
    ("brk-it", "Spedizioni Doganali Malpensa S.r.l.", "IT", "Milano", ["CUSTOMS_BROKER"], []),
    # freight forwarders
    ("ff-de", "Speditionshaus Rhein GmbH", "DE", "Duisburg", ["FREIGHT_FORWARDER"], []),
    ("ff-dk", "Baltic Forwarding ApS", "DK", "København", ["FREIGHT_FORWARDER"], []),
    ("ff-cn", "Shenzhen Bay Forwarding Co., Ltd.", "CN", "Shenzhen", ["FREIGHT_FORWARDER"],
     ["CN_AEO"]),
    # payment providers
    ("pay-nl", "Guilder Payments BV", "NL", "Amsterdam", ["PAYMENT_PROVIDER"], ["LEI"]),
    ("pay-ie", "Liffey Pay Ltd", "IE", "Dublin", ["PAYMENT_PROVIDER"], ["LEI"]),
    ("pay-se", "Krona Checkout AB", "SE", "Stockholm", ["PAYMENT_PROVIDER"], ["LEI"]),
    # warehouse keepers
    ("wh-de", "Zolllager Frankfurt GmbH", "DE", "Frankfurt am Main", ["WAREHOUSE_KEEPER"], []),
    ("wh-be", "Zeebrugge Bonded Warehouse NV", "BE", "Zeebrugge", ["WAREHOUSE_KEEPER"], []),
    ("wh-es", "Depósito Aduanero Algeciras S.A.", "ES", "Algeciras", ["WAREHOUSE_KEEPER"], []),
    # manufacturers
    ("mfr-cn1", "Dongguan Bright Electronics Co., Ltd.", "CN", "Dongguan",
     ["MANUFACTURER", "EXPORTER"], ["CN_AEO", "MID"]),
    ("mfr-cn2", "Ningbo Homewares Manufacturing Co., Ltd.", "CN", "Ningbo",
     ["MANUFACTURER", "EXPORTER"], ["CN_AEO", "MID"]),
    ("mfr-us", "Great Lakes Outdoor Gear Corp.", "US", "Detroit", ["MANUFACTURER", "EXPORTER"],
     ["MID", "CTPAT"]),
    ("mfr-it", "Calzaturificio Brenta S.r.l.", "IT", "Padova", ["MANUFACTURER", "E_VENDOR"], []),
    # importers and exporters
    ("imp-de", "Importhaus Bayern GmbH", "DE", "München", ["IMPORTER"], []),
    ("imp-fr", "Comptoir d'Importation du Nord SA", "FR", "Lille", ["IMPORTER"], []),
    ("imp-pl", "Import Wisła Sp. z o.o.", "PL", "Gdańsk", ["IMPORTER", "WAREHOUSE_KEEPER"], []),
    ("exp-at", "Donau Export GmbH", "AT", "Linz", ["EXPORTER"], []),
    ("exp-se", "Skandia Export AB", "SE", "Malmö", ["EXPORTER", "MANUFACTURER"], []),
    ("exp-gb", "Midlands Export Ltd", "GB", "Birmingham", ["EXPORTER"], []),
    # e-commerce vendors
    ("ven-de1", "Fahrradteile Schmidt GmbH", "DE", "Stuttgart", ["E_VENDOR", "IMPORTER"], []),
    ("ven-de2", "Kaffeerösterei Weber KG", "DE", "Bremen", ["E_VENDOR"], []),
    ("ven-fr1", "Maison Lavande SARL", "FR", "Avignon", ["E_VENDOR"], []),
    ("ven-fr2", "Librairie du Quai SAS", "FR", "Bordeaux", ["E_VENDOR"], []),
    ("ven-nl1", "Fietsenwinkel de Vries BV", "NL", "Groningen", ["E_VENDOR"], []),
    ("ven-it1", "Ceramiche Toscane S.r.l.", "IT", "Firenze", ["E_VENDOR", "EXPORTER"], []),
    ("ven-es1", "Aceites del Sur S.L.", "ES", "Sevilla", ["E_VENDOR"], []),
    ("ven-pl1", "Bursztyn Gdańsk Sp. z o.o.", "PL", "Gdańsk", ["E_VENDOR"], []),
    ("ven-at1", "Tiroler Loden GmbH", "AT", "Innsbruck", ["E_VENDOR"], []),
    ("ven-ie1", "Aran Knitwear Ltd", "IE", "Galway", ["E_VENDOR"], []),
    ("ven-cn1", "Shenzhen Gadget Star Trading Co., Ltd.", "CN", "Shenzhen", ["E_VENDOR"],
     ["IOSS", "CN_AEO"]),
    ("ven-cn2", "Yiwu Happy Home Goods Co., Ltd.", "CN", "Yiwu", ["E_VENDOR"], ["IOSS"]),
    ("ven-cn3", "Guangzhou Fashion Line Co., Ltd.", "CN", "Guangzhou", ["E_VENDOR"], ["IOSS"]),
    ("ven-us1", "Prairie Crafts LLC", "US", "Omaha", ["E_VENDOR"], ["IOSS"]),
    ("ven-gb1", "Yorkshire Tea Traders Ltd", "GB", "Leeds", ["E_VENDOR"], ["IOSS"]),
]  # fmt: skip

# (source, kind, target)
_LINKS = [
    ("ven-de1", "SELLS_VIA", "plat-de"), ("ven-de1", "FULFILLED_BY", "fc-de"),
    ("ven-de1", "CARRIED_BY", "post-de"), ("ven-de2", "SELLS_VIA", "plat-de"),
    ("ven-de2", "SELLS_VIA", "plat-nl"), ("ven-fr1", "SELLS_VIA", "plat-fr"),
    ("ven-fr1", "CARRIED_BY", "post-fr"), ("ven-fr2", "SELLS_VIA", "plat-fr"),
    ("ven-nl1", "SELLS_VIA", "plat-nl"), ("ven-nl1", "FULFILLED_BY", "fc-nl"),
    ("ven-it1", "SELLS_VIA", "plat-it"), ("ven-it1", "REPRESENTED_BY", "brk-it"),
    ("ven-es1", "SELLS_VIA", "plat-fr"), ("ven-es1", "FULFILLED_BY", "fc-es"),
    ("ven-pl1", "SELLS_VIA", "plat-de"), ("ven-pl1", "FULFILLED_BY", "fc-pl"),
    ("ven-at1", "SELLS_VIA", "plat-de"), ("ven-at1", "CARRIED_BY", "post-at"),
    ("ven-ie1", "SELLS_VIA", "plat-ie"), ("ven-ie1", "CARRIED_BY", "car-ie"),
    ("ven-cn1", "SELLS_VIA", "plat-nl"), ("ven-cn1", "SELLS_VIA", "plat-cn"),
    ("ven-cn1", "FULFILLED_BY", "fc-nl"), ("ven-cn1", "CARRIED_BY", "exp-nl"),
    ("ven-cn1", "REPRESENTED_BY", "brk-nl"), ("ven-cn2", "SELLS_VIA", "plat-cn"),
    ("ven-cn2", "CARRIED_BY", "post-cn"), ("ven-cn2", "REPRESENTED_BY", "brk-be"),
    ("ven-cn2", "FULFILLED_BY", "fc-be"), ("ven-cn3", "SELLS_VIA", "plat-fr"),
    ("ven-cn3", "CARRIED_BY", "exp-be"), ("ven-cn3", "REPRESENTED_BY", "brk-fr"),
    ("ven-us1", "SELLS_VIA", "plat-ie"), ("ven-us1", "CARRIED_BY", "exp-us"),
    ("ven-gb1", "SELLS_VIA", "plat-de"), ("ven-gb1", "CARRIED_BY", "car-gb"),
    ("ven-gb1", "REPRESENTED_BY", "brk-de"), ("mfr-it", "SELLS_VIA", "plat-it"),
    ("mfr-it", "FULFILLED_BY", "fc-se"), ("plat-cn", "CARRIED_BY", "car-dk"),
    ("plat-cn", "REPRESENTED_BY", "brk-nl"), ("imp-de", "REPRESENTED_BY", "brk-de"),
    ("imp-fr", "REPRESENTED_BY", "brk-fr"), ("mfr-cn1", "CARRIED_BY", "exp-de"),
]  # fmt: skip

# Demo operators and the stakeholders they own.
_OPERATORS = {
    "demo-vendor": ["ven-de1", "ven-de2"],
    "demo-platform": ["plat-de", "fc-de"],
    "demo-carrier": ["exp-de"],
}
_OFFICERS = ["demo-officer", "demo-officer2"]
_SUPERVISORS = ["demo-supervisor", "demo-supervisor2"]


@dataclass
class DemoWorld:
    stakeholders: dict[str, Stakeholder] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    created: int = 0
    api_key: str = ""

    @property
    def logins(self) -> list[tuple[str, str, str]]:
        """(username, kind, password) for printing."""
        kinds = {**dict.fromkeys(_OPERATORS, "operator"), **dict.fromkeys(_OFFICERS, "officer")}
        kinds.update(dict.fromkeys(_SUPERVISORS, "supervisor"))
        return [(name, kinds[name], DEMO_PASSWORD) for name in self.users]


def _identifiers(i: int, country: str, extra: list[str]) -> list[dict[str, str]]:
    items = []
    # EORIs are issued by EU states and the UK; parties elsewhere are known by other numbers.
    if country in _VAT_TEMPLATES or country == "GB":
        items.append({"type": IdentifierType.EORI, "value": _eori(country, 1000 + i)})
    if country in _VAT_TEMPLATES:
        items.append({"type": IdentifierType.VAT, "value": valid_vat(country, 1234500 + i * 37)})
    for kind in extra:
        if kind == "LEI":
            items.append({"type": IdentifierType.LEI, "value": valid_lei(900000 + i)})
        elif kind == "CN_AEO":
            items.append({"type": IdentifierType.CN_AEO, "value": f"CN{4403960000 + i}"})
        elif kind == "IOSS":
            state = _IOSS_STATE["IE" if i % 2 else "NL"]
            items.append({"type": IdentifierType.IOSS, "value": f"IM{state}{4100000 + i:07d}"})
        elif kind == "MID":
            items.append({"type": IdentifierType.MID, "value": f"{country}DEMO{i:04d}MFG"})
        elif kind == "CTPAT":
            items.append({"type": IdentifierType.CTPAT, "value": f"CTP{7700000 + i}"})
        elif kind.startswith("UPU:"):
            items.append({"type": IdentifierType.UPU_OPERATOR, "value": kind[4:]})
    return items


class _LazyHash:
    """One hash for all demo users, computed only if a user is new (hashing is slow)."""

    value = ""

    def __str__(self) -> str:
        if not self.value:
            self.value = make_password(DEMO_PASSWORD)
        return self.value


def _user(username: str, group: str, password_hash: _LazyHash, staff: bool = False):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username, email=f"{username}@demo.example", password=str(password_hash)
        )
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=group))
    return user


@transaction.atomic
def seed_registry(with_api_key: bool = True) -> DemoWorld:
    """Create (or find) the demo stakeholders, relationships, users and API key."""
    world = DemoWorld()
    password_hash = _LazyHash()
    for name in _OPERATORS:
        world.users[name] = _user(name, OPERATOR, password_hash)
    for name in _OFFICERS:
        world.users[name] = _user(name, OFFICER, password_hash, staff=True)
    for name in _SUPERVISORS:
        world.users[name] = _user(name, SUPERVISOR, password_hash, staff=True)
    services.staff_groups_grant_permissions()
    owner_of = {key: user for user, keys in _OPERATORS.items() for key in keys}

    for i, (key, name, country, city, roles, extra) in enumerate(_WORLD):
        identifiers = _identifiers(i, country, extra)
        found = Identifier.objects.filter(
            type=identifiers[0]["type"], value=identifiers[0]["value"]
        ).first()
        owner = world.users.get(owner_of.get(key, ""))
        if found:
            stakeholder = found.stakeholder
        else:
            stakeholder = services.stakeholder_create(
                owner,
                {
                    "legal_name": name,
                    "country": country,
                    "city": city,
                    "address": f"{10 + i} {city} Business Park",
                    "postal_code": f"{10000 + i * 17}",
                    "contact_email": f"customs@{key}.demo.example",
                    "consent_publish": i % 3 != 0,
                    "consent_mra": i % 2 == 0,
                    "roles": roles,
                    "identifiers": identifiers,
                },
            )
            world.created += 1
        if owner is not None:
            Membership.objects.get_or_create(
                user=owner, stakeholder=stakeholder, defaults={"role": MembershipRole.OWNER}
            )
        world.stakeholders[key] = stakeholder

    for source, kind, target in _LINKS:
        s, t = world.stakeholders[source], world.stakeholders[target]
        if not Relationship.objects.filter(
            source=s, target=t, kind=kind, valid_from=_SINCE
        ).exists():
            services.relationship_create(
                None, s, {"target": t.pk, "kind": kind, "valid_from": _SINCE}
            )

    if with_api_key:
        # A key is shown once, so a re-run replaces the demo key rather than adding one.
        APIKey.objects.filter(name=DEMO_API_KEY_NAME).delete()
        _, world.api_key = APIKey.objects.create_key(name=DEMO_API_KEY_NAME)
    return world
