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
        table = _TABLES.get(key)
        if table is None:
            if len(_TABLES) > 512:
                _TABLES.clear()
            table = _TABLES[key] = _build(name, self)
        return table


def layout(dataset: str, fields: Sequence[FieldSpec | dict[str, Any]], primary_key: str) -> Layout:
    specs = tuple(f if isinstance(f, FieldSpec) else FieldSpec.model_validate(f) for f in fields)
    return Layout(dataset, specs, primary_key)


#: built tables, by name and layout (versions never change their layout)
_TABLES: dict[tuple[Any, ...], sa.Table] = {}


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


def row_keys(lay: Layout, rows: Sequence[dict[str, Any]], cipher: FieldCipher) -> list[str]:
    """The stored key of each row: the key itself, or its blind index."""
    texts = [to_text(r[lay.primary_key]) for r in rows]
    if lay.encrypted(lay.primary_key):
        return cipher.blind_column(lay.domain(lay.primary_key), texts)  # type: ignore[return-value]
    return texts  # type: ignore[return-value]


def encode_rows(
    lay: Layout, rows: Sequence[dict[str, Any]], cipher: FieldCipher
) -> list[dict[str, Any]]:
    """Validated rows -> what is inserted: PII encrypted, blind indexes added."""
    keys = row_keys(lay, rows, cipher)
    out = [dict(r) for r in rows]
    for f in lay.fields:
        if not lay.encrypted(f.name):
            continue
        texts = [to_text(r[f.name]) for r in rows]
        aads = [aad(lay.dataset, f.name, k) for k in keys]
        for row, token in zip(out, cipher.encrypt_column(texts, aads), strict=True):
            row[f.name] = token
        if lay.indexed(f.name):
            for row, index in zip(out, cipher.blind_column(lay.domain(f.name), texts), strict=True):
                row[f.name + INDEX_SUFFIX] = index
    return out


def decode_columns(
    lay: Layout, columns: dict[str, list[Any]], keys: Sequence[str], cipher: FieldCipher
) -> dict[str, list[Any]]:
    """Selected columns -> typed plaintext values (only the fields asked for)."""
    out = {}
    for name, values in columns.items():
        if not lay.encrypted(name):
            out[name] = values
            continue
        aads = [aad(lay.dataset, name, k) for k in keys]
        kind = lay.by_name[name].type
        out[name] = [from_text(kind, t) for t in cipher.decrypt_column(values, aads)]
    return out
