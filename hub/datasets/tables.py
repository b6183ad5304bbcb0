"""One typed table per dataset version, with personal data encrypted.

Tables are named ``data_<dataset pk>_v<version>`` (stable, short, no user text in SQL
identifiers) and built from the fields recorded on the version, so a table can be read
back without reflection.

How a field is stored (``Layout``):

- a field without a PII type: a typed column named after it;
- a field with a PII type: a text column holding its AES-GCM ciphertext (``hub.crypto``);
- a PII field of a lookup type (IDs, phone, e-mail, account numbers) or the primary key,
  if it is PII: also ``<field>__bi``, its blind index, indexed, so equality filters and
  key lookups still use an index;
- the table's primary key is the primary-key field's column, or its blind index when the
  primary key is personal data (the plaintext key is then stored nowhere).

The *row key* is the value of the table's primary key column; ciphertexts are bound to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from connectors.descriptor import FieldSpec, FieldType, PiiType
from hub.crypto import FieldCipher, aad
from hub.db import UTCDateTime
from hub.lru import Lru

SQL_TYPES: dict[FieldType, Any] = {
    FieldType.string: sa.Text,
    FieldType.text: sa.Text,
    FieldType.integer: sa.BigInteger,
    FieldType.number: sa.Double,
    FieldType.boolean: sa.Boolean,
    FieldType.date: sa.Date,
    FieldType.datetime: UTCDateTime,
}

#: PII types people look records up by exactly; they get a blind index
LOOKUP_TYPES = frozenset(
    {
        PiiType.VN_CCCD,
        PiiType.VN_CMND,
        PiiType.VN_TAX_CODE,
        PiiType.VN_SOCIAL_INSURANCE,
        PiiType.PHONE_NUMBER,
        PiiType.EMAIL_ADDRESS,
        PiiType.BANK_ACCOUNT,
        PiiType.CREDIT_CARD,
        PiiType.VN_LICENSE_PLATE,
        PiiType.IP_ADDRESS,
    }
)
INDEX_SUFFIX = "__bi"


def table_name(dataset_pk: int, number: int) -> str:
    return f"data_{dataset_pk}_v{number}"


@dataclass(frozen=True)
class Layout:
    dataset: str
    fields: tuple[FieldSpec, ...]
    primary_key: str

    @cached_property
    def by_name(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    def encrypted(self, name: str) -> bool:
        return self.by_name[name].pii is not None

    def indexed(self, name: str) -> bool:
        spec = self.by_name[name]
        return spec.pii is not None and (spec.pii in LOOKUP_TYPES or name == self.primary_key)

    @property
    def key_column(self) -> str:
        pk = self.primary_key
        return pk + INDEX_SUFFIX if self.encrypted(pk) else pk

    def domain(self, name: str) -> str:
        pii = self.by_name[name].pii
        return str(pii.value if pii else name)

    def table(self, name: str) -> sa.Table:
        key = (
            name,
            self.dataset,
            self.primary_key,
            tuple((f.name, f.type, f.pii) for f in self.fields),
        )
        return _TABLES.get_or_build(key, lambda: _build(name, self))


def layout(dataset: str, fields: Sequence[FieldSpec | dict[str, Any]], primary_key: str) -> Layout:
    specs = tuple(f if isinstance(f, FieldSpec) else FieldSpec.model_validate(f) for f in fields)
    return Layout(dataset, specs, primary_key)


#: built tables, by name and layout (versions never change their layout)
_TABLES: Lru[sa.Table] = Lru(512)


def _build(name: str, lay: Layout) -> sa.Table:
    columns: list[sa.Column[Any]] = []
    for f in lay.fields:
        is_key = f.name == lay.primary_key and not lay.encrypted(f.name)
        kind = sa.Text() if lay.encrypted(f.name) else SQL_TYPES[f.type]()
        columns.append(sa.Column(f.name, kind, primary_key=is_key, nullable=not is_key))
        if lay.indexed(f.name):
            is_pk = f.name == lay.primary_key
            columns.append(
                sa.Column(
                    f.name + INDEX_SUFFIX,
                    sa.String(32),
                    primary_key=is_pk,
                    nullable=not is_pk,
                    index=not is_pk,
                )
            )
    return sa.Table(name, sa.MetaData(), *columns)


def drop_table(conn: sa.Connection, name: str) -> None:
    sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)


# -- values in and out --------------------------------------------------------------------
def to_text(value: Any) -> str | None:
    """The canonical text of a typed value, as it is encrypted."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def from_text(kind: FieldType, text: str | None) -> Any:
    if text is None:
        return None
    if kind is FieldType.integer:
        return int(text)
    if kind is FieldType.number:
        return float(text)
    if kind is FieldType.boolean:
        return text == "true"
    if kind is FieldType.date:
        return date.fromisoformat(text)
    if kind is FieldType.datetime:
        return datetime.fromisoformat(text)
    return text


@dataclass(frozen=True)
class Encoded:
    """A batch as it is stored, column by column (table column name -> values)."""

    columns: dict[str, list[Any]]
    key_column: str

    @property
    def keys(self) -> list[Any]:
        """The stored row keys, typed as the database returns them."""
        return self.columns[self.key_column]


def encode_rows(lay: Layout, rows: Sequence[dict[str, Any]], cipher: FieldCipher) -> Encoded:
    """Validated rows -> what is inserted, column by column: PII encrypted, indexes added."""
    texts = _texts_of(lay, rows)
    columns = {f.name: [r[f.name] for r in rows] for f in lay.fields if not lay.encrypted(f.name)}
    for name, values in texts.items():
        if lay.indexed(name):
            columns[name + INDEX_SUFFIX] = cipher.blind_column(lay.domain(name), values)
    # ciphertexts are bound to the row key's text; every field of a row shares it
    pk = lay.primary_key
    keys = columns[lay.key_column] if lay.encrypted(pk) else texts[pk]
    bound = [str(k).encode() for k in keys]
    for name, values in texts.items():
        if lay.encrypted(name):
            prefix = aad(lay.dataset, name, "")
            columns[name] = cipher.encrypt_column(values, [prefix + k for k in bound])
    return Encoded(columns, lay.key_column)


def _texts_of(lay: Layout, rows: Sequence[dict[str, Any]]) -> dict[str, list[str | None]]:
    """The canonical text of the fields that are encrypted, and of the primary key."""
    out: dict[str, list[str | None]] = {}
    for f in lay.fields:
        if lay.encrypted(f.name) or f.name == lay.primary_key:
            values = [r[f.name] for r in rows]
            out[f.name] = values if f.type in _TEXT_TYPES else [to_text(v) for v in values]
    return out


#: types whose validated values are already their canonical text (str or None)
_TEXT_TYPES = frozenset({FieldType.string, FieldType.text})


def decode_columns(
    lay: Layout, columns: dict[str, list[Any]], keys: Sequence[str], cipher: FieldCipher
) -> dict[str, list[Any]]:
    """Selected columns -> typed plaintext values (only the fields asked for)."""
    out = {}
    bound = [k.encode() for k in keys]
    for name, values in columns.items():
        if not lay.encrypted(name):
            out[name] = values
            continue
        prefix = aad(lay.dataset, name, "")
        aads = [prefix + k for k in bound]
        kind = lay.by_name[name].type
        out[name] = [from_text(kind, t) for t in cipher.decrypt_column(values, aads)]
    return out
