"""The local catalog: one Frictionless Data Package per dataset (SPEC "Open data publishing").

    <catalog_dir>/<dataset>              symlink to the current version
    <catalog_dir>/.<dataset>.<random>/   datapackage.json + data.csv (UTF-8, header)

``datapackage.json`` is a Tabular Data Package (v1): name = dataset id, title,
description, licenses, one resource ``data.csv`` with a Table Schema built from the
descriptor (generalized and pseudonymized fields are strings), and a ``civichub``
property with the de-identification report, the residual scan and the hub version.

Why the symlink: a version is built completely in a hidden directory beside the link,
flushed to disk, and then published with ``os.replace`` of the link, an atomic rename.
A reader resolving ``<dataset>`` gets the old version or the new one, never a mix; a
crash at any point leaves the old version published (and at worst a hidden build
directory, which the next publication of the dataset sweeps once it is an hour old).
Publishing again replaces the link and deletes the version it replaced.

``publish_local`` is the whole flow for one dataset: apply the plan batch by batch, scan
every batch with the residual gate, recount k over what was written, and only then swap.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from catalog.deidentify import Columns, Plan, check_output
from catalog.errors import PackageError
from catalog.gate import ResidualGate, Scanner, cell_text, tolerances
from catalog.report import Role
from catalog.risk import ClassCounter
from connectors.descriptor import DatasetDescriptor, FieldSpec, FieldType
from policies.treatments import TreatmentContext

DATA_FILE = "data.csv"
META_FILE = "datapackage.json"
STALE_AFTER = 3600.0  # seconds before an abandoned build directory is swept
_TYPES = {
    FieldType.string: "string",
    FieldType.text: "string",
    FieldType.integer: "integer",
    FieldType.number: "number",
    FieldType.boolean: "boolean",
    FieldType.date: "date",
    FieldType.datetime: "datetime",
}
_LICENSES = {
    "cc-by-4.0": ("CC-BY-4.0", "Creative Commons Attribution 4.0",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa-4.0": ("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike 4.0",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc0-1.0": ("CC0-1.0", "Creative Commons CCZero 1.0",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "odc-by": ("ODC-BY-1.0", "Open Data Commons Attribution License 1.0",
               "https://opendatacommons.org/licenses/by/1-0/"),
    "odc-odbl": ("ODbL-1.0", "Open Data Commons Open Database License 1.0",
                 "https://opendatacommons.org/licenses/odbl/1-0/"),
    "odc-pddl": ("PDDL-1.0", "Open Data Commons Public Domain Dedication and License 1.0",
                 "https://opendatacommons.org/licenses/pddl/1-0/"),
}  # fmt: skip


def hub_version() -> str:
    try:
        return metadata.version("civic-data-hub")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


# -- metadata -----------------------------------------------------------------------------
def table_schema(descriptor: DatasetDescriptor, plan: Plan) -> dict[str, Any]:
    """Table Schema of ``data.csv``: the published fields, typed from the descriptor."""
    roles = plan.report.fields
    fields = [_schema_field(descriptor.field(n), plan, roles[n]) for n in plan.output_fields]
    return {"fields": fields, "missingValues": [""]}


def _schema_field(spec: FieldSpec, plan: Plan, role: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "type": _TYPES[spec.type]}
    if spec.label:
        out["title"] = spec.label
    notes = [spec.description] if spec.description else []
    if role == Role.quasi_identifier.value:
        out["type"] = "string"  # labels such as "1990-05", "40-49" or "*"
        level = plan.report.generalization[spec.name]["label"]
        notes.append(f"Generalized to {level} for k-anonymity ('*' = withheld).")
    elif role == Role.direct_pseudonymized.value:
        out["type"] = "string"
        notes.append("Keyed pseudonym (HMAC-SHA256): the same value gives the same pseudonym.")
    if notes:
        out["description"] = " ".join(notes)
    return out


def _licenses(code: str) -> list[dict[str, str]]:
    if code in _LICENSES:
        name, title, path = _LICENSES[code]
        return [{"name": name, "title": title, "path": path}]
    return [{"name": code, "title": code}]


def package_metadata(
    descriptor: DatasetDescriptor, plan: Plan, *, data: dict[str, Any], civichub: dict[str, Any]
) -> dict[str, Any]:
    """The ``datapackage.json`` document (``data``: bytes and hash of ``data.csv``)."""
    spec = descriptor.open_data
    meta: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": descriptor.id,
        "title": descriptor.title,
        "licenses": _licenses(spec.license if spec else "cc-by-4.0"),
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    if descriptor.description:
        meta["description"] = descriptor.description
    if spec and spec.tags:
        meta["keywords"] = list(spec.tags)
    resource = {
        "name": "data",
        "path": DATA_FILE,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        **data,
        "schema": table_schema(descriptor, plan),
    }
    return {**meta, "resources": [resource], "civichub": civichub}


# -- writing ------------------------------------------------------------------------------
class PackageWriter:
    """Build a package version beside the live one; ``commit()`` swaps it in.

    Leaving the ``with`` block without ``commit()`` (an error, a refused scan) deletes the
    build and leaves the published version untouched.
    """

    def __init__(self, catalog_dir: Path, descriptor: DatasetDescriptor, plan: Plan) -> None:
        self.catalog_dir = Path(catalog_dir)
        self.descriptor = descriptor
        self.plan = plan
        self.rows = 0
        self.build: Path | None = None
        self._file: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> PackageWriter:
        self.catalog_dir.mkdir(parents=True, exist_ok=True)
        self.build = Path(tempfile.mkdtemp(prefix=f".{self.descriptor.id}.", dir=self.catalog_dir))
        self.build.chmod(0o755)  # mkdtemp makes it private; the published version is public
        self._file = (self.build / DATA_FILE).open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(self.plan.output_fields)
        return self

    def write(self, columns: Columns) -> None:
        """Append the rows of one de-identified batch."""
        if self._csv is None:
            raise PackageError("write() outside the `with` block, or after commit()")
        self.rows += write_rows(self._csv, self.plan.output_fields, columns)

    def commit(self, civichub: Mapping[str, Any]) -> Path:
        """Finish the files, flush them to disk and publish this version atomically."""
        if self.build is None or self._file is None:
            raise PackageError("commit() outside the `with` block")
        _close_durably(self._file)
        self._file, self._csv = None, None
        data_path = self.build / DATA_FILE
        data = {"bytes": data_path.stat().st_size, "hash": f"sha256:{_sha256(data_path)}"}
        meta = package_metadata(self.descriptor, self.plan, data=data, civichub=dict(civichub))
        _write_json(self.build / META_FILE, meta)
        _fsync_dir(self.build)
        link = _swap(self.catalog_dir, self.descriptor.id, self.build)
        self.build = None
        return link

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._file is not None:
            self._file.close()
        if self.build is not None:  # not committed: the build never becomes visible
            shutil.rmtree(self.build, ignore_errors=True)
            self.build = None


def write_rows(writer: Any, fields: Sequence[str], columns: Columns) -> int:
    """Append a batch to ``writer`` (a ``csv.writer``) as published text: null as an empty
    cell, anything else as ``cell_text``; how many rows. The local package and the CSV
    uploaded to CKAN both write through it, so they hold the same text."""
    count = 0
    for row in zip(*(columns[name] for name in fields), strict=True):
        writer.writerow(["" if v is None else cell_text(v) for v in row])
        count += 1
    return count


def _close_durably(file: IO[str]) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(catalog_dir: Path, name: str, build: Path) -> Path:
    """Point ``<catalog_dir>/<name>`` at ``build`` with one atomic rename; drop the old one."""
    link = catalog_dir / name
    previous = _current(link)
    if link.exists() and not link.is_symlink():
        # a plain directory (copied in by hand): move it aside so the link can take its place
        previous = catalog_dir / f".{name}.replaced-{secrets.token_hex(4)}"
        os.rename(link, previous)
    staged = catalog_dir / f".{name}.link-{secrets.token_hex(4)}"
    os.symlink(build.name, staged)  # relative: the catalog directory can move
    os.replace(staged, link)
    _fsync_dir(catalog_dir)
    if previous is not None and previous != build:
        shutil.rmtree(previous, ignore_errors=True)
    _sweep(catalog_dir, name, keep=build)
    return link


def _current(link: Path) -> Path | None:
    if not link.is_symlink():
        return None
    return link.parent / os.readlink(link)


def _sweep(catalog_dir: Path, name: str, *, keep: Path) -> None:
    """Remove build directories that a crashed publication left behind (old ones only:
    a young one may belong to a publication running right now)."""
    cutoff = time.time() - STALE_AFTER
    for entry in catalog_dir.glob(f".{name}.*"):
        if entry == keep or entry.lstat().st_mtime >= cutoff:
            continue
        if entry.is_symlink():
            entry.unlink(missing_ok=True)  # a link staged by a crashed swap
        elif entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def read_package(catalog_dir: Path, dataset: str) -> tuple[dict[str, Any], list[list[str]]]:
    """The published metadata and CSV rows (header first), read from one version."""
    base = Path(catalog_dir) / dataset
    if not base.exists():
        raise PackageError(f"dataset {dataset!r} is not published in {catalog_dir}")
    version = base.resolve()  # resolve once: both files come from the same version
    meta = json.loads((version / META_FILE).read_text(encoding="utf-8"))
    with (version / DATA_FILE).open(encoding="utf-8", newline="") as f:
        return meta, list(csv.reader(f))


# -- the flow -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    path: Path
    rows: int
    civichub: dict[str, Any]


def publish_local(
    catalog_dir: Path,
    *,
    descriptor: DatasetDescriptor,
    plan: Plan,
    batches: Iterable[Columns],
    ctx: TreatmentContext,
    scanner: Scanner,
    version: str | None = None,
) -> Published:
    """De-identify ``batches`` with ``plan``, gate them and publish the package atomically.

    Raises ``ResidualPii`` (nothing published) when the analyzer finds anything, and
    ``OutputCheckFailed`` when the written rows do not reach k as planned.
    """
    applier = plan.compile(ctx)
    gate = ResidualGate(scanner, tolerate=tolerances(plan))
    counter = ClassCounter(plan.quasi_identifiers)
    with PackageWriter(catalog_dir, descriptor, plan) as writer:
        for batch in batches:
            columns, _ = applier.apply(batch)
            gate.scan(columns, first_row=writer.rows)
            counter.add(columns)
            writer.write(columns)
        gate.check()
        check_output(plan, counter.summary())
        civichub = {
            "hub_version": version or hub_version(),
            "agency": descriptor.agency,
            "report": plan.report.to_dict(),
            "residual_scan": gate.summary(),
        }
        path = writer.commit(civichub)
    return Published(path, writer.rows, civichub)
