"""Re-encrypting stored personal data under the active data key (``civichub keys rotate``).

Rotation is online: every old key stays in the keyring, so readers decrypt old and new
ciphertexts alike while this job walks each kept version's table in primary-key batches,
re-encrypting values whose key id is not the active one, one short transaction per batch.
A crash leaves a mix of old and new ciphertexts, all readable; running it again finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.crypto import FieldCipher, aad
from hub.datasets import tables
from hub.datasets.models import Dataset, DatasetVersion, QuarantinedRow, VersionStatus
from hub.db import session_scope

BATCH = 2000


@dataclass
class RekeyReport:
    tables: int = 0
    values: int = 0
    quarantined: int = 0


def rekey_all(
    factory: sessionmaker[Session],
    cipher: FieldCipher,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> RekeyReport:
    report = RekeyReport()
    with session_scope(factory) as session:
        targets = session.execute(
            sa.select(Dataset.id, Dataset.primary_key, DatasetVersion)
            .join(DatasetVersion, DatasetVersion.dataset_pk == Dataset.pk)
            .where(DatasetVersion.status == VersionStatus.ready)
        ).all()
    for dataset_id, primary_key, version in targets:
        lay = tables.layout(dataset_id, version.fields, primary_key)
        report.values += _rekey_table(factory, cipher, lay, version.table_name)
        report.tables += 1
        if progress:
            progress(version.table_name, report.values)
    report.quarantined = _rekey_quarantine(factory, cipher)
    return report


def _rekey_table(
    factory: sessionmaker[Session], cipher: FieldCipher, lay: tables.Layout, name: str
) -> int:
    encrypted = [f.name for f in lay.fields if lay.encrypted(f.name)]
    if not encrypted:
        return 0
    table = lay.table(name)
    key = table.c[lay.key_column]
    changed, after = 0, None
    while True:
        with session_scope(factory) as session:
            query = sa.select(key, *(table.c[f] for f in encrypted)).order_by(key).limit(BATCH)
            if after is not None:
                query = query.where(key > after)
            rows = session.execute(query).all()
            for row in rows:
                updates = _fresh(cipher, lay, row, encrypted)
                if updates:
                    session.execute(sa.update(table).where(key == row[0]).values(**updates))
                    changed += len(updates)
        if len(rows) < BATCH:
            return changed
        after = rows[-1][0]


def _fresh(cipher: FieldCipher, lay: tables.Layout, row: sa.Row, fields: list[str]) -> dict:
    row_key = str(tables.to_text(row[0]))
    updates = {}
    for index, name in enumerate(fields, start=1):
        token = row[index]
        if token is None or cipher.kid_of(token) == cipher.active:
            continue
        bound = aad(lay.dataset, name, row_key)
        updates[name] = cipher.encrypt(cipher.decrypt(token, bound), bound)
    return updates


def _rekey_quarantine(factory: sessionmaker[Session], cipher: FieldCipher) -> int:
    changed = 0
    with session_scope(factory) as session:
        rows = session.execute(
            sa.select(QuarantinedRow, Dataset.id)
            .join(DatasetVersion, DatasetVersion.id == QuarantinedRow.version_id)
            .join(Dataset, Dataset.pk == DatasetVersion.dataset_pk)
        ).all()
        for row, dataset_id in rows:
            token = row.values.get("encrypted")
            if not token or cipher.kid_of(token) == cipher.active:
                continue
            bound = aad(dataset_id, "__quarantine__", f"{row.version_id}:{row.row_number}")
            row.values = {"encrypted": cipher.encrypt(cipher.decrypt(token, bound), bound)}
            changed += 1
    return changed
