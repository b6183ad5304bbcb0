"""Where a publication goes: the open table, the CSV uploaded to CKAN, and the CKAN
dataset's metadata (title, notes, licence, DataStore types, extras)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from catalog.deidentify import Columns
from catalog.package import write_rows
from catalog.report import DeidReport
from connectors.descriptor import DatasetDescriptor
from hub.db import session_scope
from hub.publishing import service
from hub.settings import Settings

if TYPE_CHECKING:  # catalog.ckan imports ckanapi: loaded when CKAN is the target
    from catalog.ckan import CkanPublication, CkanPublisher

_DATASTORE = {
    "string": "text",
    "integer": "int",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
}
#: descriptor licence codes -> the ids of CKAN's default licence list
_CKAN_LICENSES = {"cc-by-4.0": "cc-by", "cc-by-sa-4.0": "cc-by-sa", "cc0-1.0": "cc-zero"}


def ckan_publisher(settings: Settings) -> CkanPublisher:
    from catalog.ckan import CkanPublisher

    assert settings.ckan_url  # resolve_target refused ckan without it
    publisher = CkanPublisher(
        settings.ckan_url,
        settings.ckan_api_token or "",
        allowed_private_hosts=settings.private_hosts_allowed,
    )
    try:
        publisher.call("status_show", {})
    except BaseException:
        publisher.close()
        raise
    return publisher


def ckan_publication(
    d: DatasetDescriptor,
    *,
    agency_title: str,
    version: int,
    rep: DeidReport,
    report: dict[str, Any],
    csv_path: Path,
    batches: Iterator[Columns],
) -> CkanPublication:
    from catalog.ckan import CkanPublication, DataField

    meta = report["meta"]
    return CkanPublication(
        agency_code=d.agency,
        agency_title=agency_title,
        dataset_id=d.id,
        title=d.title,
        notes=_notes(d, rep),
        license_id=_CKAN_LICENSES.get(meta["license"], meta["license"]),
        csv_path=csv_path,
        fields=[
            DataField(
                f["name"],
                _DATASTORE[f["type"]],
                f.get("title") or f["name"],
                f.get("description", ""),
            )
            for f in report["schema"]
        ],
        batches=batches,
        tags=meta["tags"],
        extras=_extras(d, version, rep, report),
    )


def _notes(descriptor: DatasetDescriptor, rep: DeidReport) -> str:
    qis = ", ".join(f"{name} ({g['label']})" for name, g in rep.generalization.items()) or "none"
    return (
        f"{(descriptor.description or descriptor.title).strip()}\n\n"
        "De-identified open version published by the Civic Data Hub: direct identifiers "
        "and free text are removed, the quasi-identifiers are generalized "
        f"({qis}) until every combination of them occurs at least {rep.k_requested} "
        f"times, and {rep.rows_suppressed} of {rep.rows_in} rows that would stand out are "
        "left out. An automatic scan found no personal data in the result."
    )


def _extras(
    d: DatasetDescriptor, version: int, rep: DeidReport, report: dict[str, Any]
) -> dict[str, str]:
    meta = report["meta"]
    extras = {
        "k": str(rep.k_achieved),
        "k_requested": str(rep.k_requested),
        "rows": str(rep.rows_out),
        "suppressed_rows": str(rep.rows_suppressed),
        "max_risk": f"{rep.risk.max_prosecutor:.6f}",
        "avg_risk": f"{rep.risk.avg_prosecutor:.6f}",
        "generalization": "; ".join(f"{n}: {g['label']}" for n, g in rep.generalization.items()),
        "source_agency": d.agency,
        "source_version": str(version),
        "hub_version": str(report["hub_version"]),
        "update_frequency": meta["update_frequency"] or "irregular",
        "residual_pii_findings": str(report["residual_scan"]["findings"]),
    }
    if rep.l_requested:
        extras["l_diversity"] = str(min(rep.l_achieved.values(), default=0))
    return extras


class CsvFile:
    """The CSV uploaded to CKAN: the local package's text (``catalog.package.write_rows``)."""

    def __init__(self, path: Path, fields: Sequence[str]) -> None:
        self.path, self.fields = path, list(fields)

    def __enter__(self) -> CsvFile:
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(self.fields)
        return self

    def write(self, columns: Columns) -> None:
        write_rows(self._csv, self.fields, columns)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()


@dataclass
class OpenWriter:
    """Fills the open table batch by batch; invisible until the run is marked published."""

    factory: sessionmaker[Session]
    table: sa.Table
    rows: int = 0

    def write(self, columns: Columns) -> None:
        with session_scope(self.factory) as session:
            self.rows += service.insert_rows(
                session, self.table, dict(columns), first_row=self.rows
            )
