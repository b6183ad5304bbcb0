"""The dataset descriptor: what a steward registers (SPEC "Dataset descriptor").

It lives in ``connectors`` because it describes incoming data (where it comes from, its
fields and their types), and every other package (policies, catalog, hub) reads it from
here. Validation is strict: unknown keys are errors, so a typo never becomes a silent
default.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors import yamldoc
from connectors.errors import SecretDatasetRefused

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Field names become SQL column names: lower-case identifiers, no leading underscore
# (the hub keeps its own bookkeeping columns under `_`).
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class FieldType(StrEnum):
    string = "string"
    text = "text"  # free text: PII inside is found and redacted by the anonymizer
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


class Classification(StrEnum):
    public = "public"
    internal = "internal"
    restricted = "restricted"
    secret = "secret"


class PiiType(StrEnum):
    """What personal data a field holds: the analyzer's entity types plus two column kinds."""

    PERSON = "PERSON"
    LOCATION = "LOCATION"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    VN_CCCD = "VN_CCCD"
    VN_CMND = "VN_CMND"
    VN_TAX_CODE = "VN_TAX_CODE"
    VN_SOCIAL_INSURANCE = "VN_SOCIAL_INSURANCE"
    VN_LICENSE_PLATE = "VN_LICENSE_PLATE"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    CREDIT_CARD = "CREDIT_CARD"
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"
    #: free text that may contain any of the above; the anonymizer finds it
    FREE_TEXT = "FREE_TEXT"
    #: sensitive personal data under Decree 13/2023 (ethnicity, religion, health, ...)
    SENSITIVE = "SENSITIVE"


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldSpec(BaseModel):
    model_config = _STRICT

    name: str
    type: FieldType
    pii: PiiType | None = None
    label: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    required: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if "__" in value:
            raise ValueError(
                f"field name {value!r} must not contain '__' (reserved for the hub's own "
                "index columns)"
            )
        if not FIELD_NAME.match(value):
            raise ValueError(
                f"field name {value!r} must be lower-case letters, digits and _ "
                "(starting with a letter, at most 63 characters)"
            )
        return value


class SourceSpec(BaseModel):
    """Which connector reads the data, and its options (checked by the connector itself)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    connector: str

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class OpenDataSpec(BaseModel):
    model_config = _STRICT

    quasi_identifiers: list[str] = Field(default_factory=list)
    k: int = Field(default=5, ge=2, le=1000)
    license: str = "cc-by-4.0"
    sensitive: list[str] = Field(default_factory=list)
    l_diversity: int | None = Field(default=None, ge=2)
    update_frequency: str | None = None
    tags: list[str] = Field(default_factory=list)


class DatasetDescriptor(BaseModel):
    model_config = _STRICT

    id: str
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    agency: str
    classification: Classification
    primary_key: str
    source: SourceSpec
    fields: list[FieldSpec] = Field(min_length=1, max_length=500)
    open_data: OpenDataSpec | None = None

    @field_validator("id", "agency")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(
                f"{value!r} must be a slug: lower-case letters, digits and '-', 1 to 63 "
                "characters, not starting or ending with '-'"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatasetDescriptor:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"field names must be unique; repeated: {', '.join(dupes)}")
        if self.primary_key not in names:
            raise ValueError(
                f"primary_key {self.primary_key!r} is not one of the fields ({', '.join(names)})"
            )
        if self.open_data:
            for group, listed in (
                ("open_data.quasi_identifiers", self.open_data.quasi_identifiers),
                ("open_data.sensitive", self.open_data.sensitive),
            ):
                unknown = [n for n in listed if n not in names]
                if unknown:
                    raise ValueError(f"{group} names unknown fields: {', '.join(unknown)}")
        return self

    # -- helpers used across packages -------------------------------------------------
    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def field_types(self) -> dict[str, FieldType]:
        return {f.name: f.type for f in self.fields}

    def ensure_admissible(self) -> None:
        """Refuse what must never be registered (state secrets)."""
        if self.classification is Classification.secret:
            raise SecretDatasetRefused(self.id)


def load_descriptor(text: str | bytes, *, source: str = "descriptor") -> DatasetDescriptor:
    """Parse a YAML/JSON descriptor; raises DocumentError naming line and field."""
    return yamldoc.load_model(DatasetDescriptor, text, source=source)
