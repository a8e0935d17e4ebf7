"""Identifier normalisation and offline validation.

One function, :func:`normalise`, turns what a person or a risk engine typed into the stored
form (upper case, separators removed) or raises ``InvalidIdentifier`` with a message fit for
a field-level 400. Check digits come from python-stdnum where a standard defines them.
It never calls an upstream registry: bad syntax is answered here and never sent on.
"""

import re
from dataclasses import dataclass

from django.db import models
from stdnum import lei
from stdnum.eu import oss, vat
from stdnum.exceptions import ValidationError as StdnumError


class IdentifierType(models.TextChoices):
    EORI = "EORI", "EORI number"
    AEO_NO = "AEO_NO", "AEO authorisation number"
    LEI = "LEI", "Legal Entity Identifier"
    VAT = "VAT", "EU VAT number"
    IOSS = "IOSS", "IOSS number"
    TIN = "TIN", "Taxpayer identification number"
    UPU_OPERATOR = "UPU_OPERATOR", "UPU postal operator code"
    CN_AEO = "CN_AEO", "China AEO code"
    MID = "MID", "US manufacturer identification code"
    CTPAT = "CTPAT", "C-TPAT account number"


class InvalidIdentifier(ValueError):
    """The value cannot be an identifier of that type; the message says why."""


_SEPARATORS = re.compile(r"[\s.\-_/]")
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_GB_EORI = re.compile(r"^(GB|XI)(\d{12}|\d{15})$")
_AEO_NO = re.compile(r"^(?P<country>[A-Z]{2})AEO(?P<type>[CSF])(?P<ref>[A-Z0-9]{1,29})$")
_CN_AEO = re.compile(r"^CN\d{10}$")
_TIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_UPU_OPERATOR = re.compile(r"^[A-Z0-9]{2,6}$")
# US CBP manufacturer ID: ISO country, then up to 6 + 4 letters of name, up to 4 digits of
# address and 3 letters of city, 15 characters at most.
_MID = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,13}$")
_CTPAT = re.compile(r"^[A-Z0-9]{6,20}$")


def _compact(raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidIdentifier("Must be a string.")
    value = _SEPARATORS.sub("", raw).upper()
    if not value:
        raise InvalidIdentifier("This field may not be blank.")
    if len(value) > 40:
        raise InvalidIdentifier("Too long to be an identifier (at most 40 characters).")
    return value


def _eori(value: str) -> str:
    if not _EORI.match(value):
        raise InvalidIdentifier(
            "An EORI is two letters (the country) followed by 1 to 15 letters or digits."
        )
    if value[:2] in ("GB", "XI") and not _GB_EORI.match(value):
        raise InvalidIdentifier("A GB or XI EORI is the prefix followed by 12 or 15 digits.")
    return value


def _aeo_no(value: str) -> str:
    if not _AEO_NO.match(value):
        raise InvalidIdentifier(
            "An AEO authorisation number is a country code, AEOC/AEOS/AEOF and a national "
            "reference, e.g. 'DEAEOF0000123' or 'DE AEOF 00025/08'."
        )
    return value


def _stdnum(module, label: str):
    def check(value: str) -> str:
        try:
            return module.validate(value)
        except StdnumError as exc:
            raise InvalidIdentifier(f"Not a valid {label}: {exc}.") from None

    return check


def _vat(value: str) -> str:
    try:
        return vat.validate(value)
    except StdnumError as exc:
        raise InvalidIdentifier(f"Not a valid EU VAT number: {exc}.") from None


def _ioss(value: str) -> str:
    if not value.startswith("IM"):
        raise InvalidIdentifier("An IOSS number starts with 'IM' followed by 10 digits.")
    try:
        return oss.validate(value)
    except StdnumError as exc:
        raise InvalidIdentifier(f"Not a valid IOSS number: {exc}.") from None


def _pattern(regex: re.Pattern, message: str):
    def check(value: str) -> str:
        if not regex.match(value):
            raise InvalidIdentifier(message)
        return value

    return check


_VALIDATORS = {
    IdentifierType.EORI: _eori,
    IdentifierType.AEO_NO: _aeo_no,
    IdentifierType.LEI: _stdnum(lei, "LEI (ISO 17442, 20 characters with two check digits)"),
    IdentifierType.VAT: _vat,
    IdentifierType.IOSS: _ioss,
    IdentifierType.TIN: _pattern(
        _TIN, "A TIN is the issuing country code followed by 1 to 15 letters or digits."
    ),
    IdentifierType.UPU_OPERATOR: _pattern(
        _UPU_OPERATOR, "A UPU operator code is 2 to 6 letters or digits (S31 / IMPC)."
    ),
    IdentifierType.CN_AEO: _pattern(_CN_AEO, "A China AEO code is 'CN' followed by 10 digits."),
    IdentifierType.MID: _pattern(
        _MID, "A manufacturer ID is a country code followed by up to 13 letters or digits."
    ),
    IdentifierType.CTPAT: _pattern(_CTPAT, "A C-TPAT account number is 6 to 20 letters or digits."),
}


def normalise(id_type: str, raw: object) -> str:
    """Return the stored form of ``raw`` as an identifier of ``id_type``."""
    try:
        validator = _VALIDATORS[IdentifierType(id_type)]
    except ValueError:
        raise InvalidIdentifier(
            f"Unknown identifier type {id_type!r}; one of: {', '.join(IdentifierType.values)}."
        ) from None
    return validator(_compact(raw))


@dataclass(frozen=True)
class AeoNumber:
    country: str
    type: str  # "AEOC" | "AEOS" | "AEOF"
    national_ref: str


def parse_aeo_number(raw: str) -> AeoNumber:
    value = normalise(IdentifierType.AEO_NO, raw)
    match = _AEO_NO.match(value)
    assert match  # normalise() has checked it
    return AeoNumber(match["country"], f"AEO{match['type']}", match["ref"])
