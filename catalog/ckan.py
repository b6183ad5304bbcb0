"""Publish de-identified open data to CKAN: an organization per agency, a package per
dataset (name = dataset id), a CSV resource and the same rows in the DataStore with a
data dictionary. The only module of the hub that talks to CKAN (through ckanapi).

    with CkanPublisher(url, token, allowed_private_hosts=frozenset()) as publisher:
        ref = publisher.publish(CkanPublication(...))

**Replacing without a window.** Readers use the package's *current* resource: the one
named by the package extra ``civichub_current_resource`` (also its first resource, with
``civichub_role=current``). A publication never touches the current resource; it

1. looks the package up by name with ``package_show`` (never ``package_search``: it
   depends on Solr) and creates it *private* on the first publication;
2. removes leftovers of earlier failed runs (resources with role ``staging`` or
   ``superseded``), so a rerun converges;
3. uploads the CSV as a **new** resource (role ``staging``, named "... (loading)") and
   loads the rows into its DataStore table, in batches, with the data dictionary and the
   primary key; then checks the row counts (CSV, rows sent, DataStore) agree;
4. switches in **one** ``package_patch`` (one CKAN transaction): the new resource becomes
   first and ``current``, the package extras (``k``, risk, hub version, ...) and metadata
   describe the new data, the old current resource is marked ``superseded``, the package
   is made public;
5. deletes the superseded resource (CKAN drops its DataStore table with it).

A failure in 1-4 deletes the half-built resource and leaves the previous publication as
it was (current, complete, public); when the answer to the switch itself is lost (a
timeout), the package is read first: if CKAN did switch, the publication succeeded and
nothing is deleted. A failure in 5 is reported in
``PublishedRef.leftovers`` and cleaned by the next publication. Publications of one
dataset must not run concurrently (the hub serializes them): step 2 of one would delete
the other's staging resource.

**Network guard.** The CKAN URL must not lead to private, loopback, link-local or other
internal addresses unless its host is allow-listed (``allowed_private_hosts``, from
``CIVICHUB_ALLOW_PRIVATE_HOSTS``): checked when the publisher is built and again on
every connection (so a DNS answer that changes later, or a redirect, cannot reach the
hub's own network). Proxies from the environment are not used.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import ckanapi
import requests
from pydantic import SecretStr

from catalog import ckan_net
from catalog.ckan_errors import (
    CkanConfigurationError,
    CkanError,
    CkanIncompatible,
    CkanInvalidPublication,
    CkanNotAuthorized,
    CkanRejected,
    CkanUnreachable,
)

log = logging.getLogger(__name__)

#: DataStore column types a data dictionary may use
DATASTORE_TYPES = frozenset({"text", "int", "numeric", "date", "timestamp", "bool"})
ROLE = "civichub_role"  # resource field: staging | current | superseded
CURRENT = "civichub_current_resource"  # package extra: id of the current resource
_OURS = {"staging", "current", "superseded"}
_CKAN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,99}")


@dataclass(frozen=True)
class DataField:
    """One column of the data dictionary: DataStore type, label and description."""

    id: str
    type: str
    label: str = ""
    notes: str = ""

    def as_ckan(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "info": {"label": self.label, "notes": self.notes},
        }


Batch = Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class CkanPublication:
    """Everything one publication writes to CKAN.

    ``batches`` are read once, in order: row dicts (``[{field: value}]``) or columns
    (``{field: [values]}``). ``csv_path`` holds the same rows, with a header line.
    ``extras`` (all strings) replace the package's extras: k, suppressed rows, risk,
    source agency, hub version, update frequency, ...
    """

    agency_code: str
    agency_title: str
    dataset_id: str
    title: str
    notes: str
    license_id: str
    csv_path: Path
    fields: Sequence[DataField]
    batches: Iterable[Batch]
    tags: Sequence[str] = ()
    extras: Mapping[str, str] = field(default_factory=dict)
    primary_key: Sequence[str] = ()

    def check(self) -> None:
        """CkanInvalidPublication naming the first problem; no request is made."""
        problems = []
        names = [f.id for f in self.fields]
        if not self.fields:
            problems.append("the data dictionary has no fields")
        for f in self.fields:
            if f.type not in DATASTORE_TYPES:
                problems.append(
                    f"field {f.id!r} has type {f.type!r}; DataStore types are "
                    + ", ".join(sorted(DATASTORE_TYPES))
                )
        if len(set(names)) != len(names):
            problems.append(f"field ids repeat: {sorted({n for n in names if names.count(n) > 1})}")
        if missing := [k for k in self.primary_key if k not in names]:
            problems.append(f"primary key {missing} is not in the data dictionary")
        for what, name in (("dataset id", self.dataset_id), ("agency code", self.agency_code)):
            if not _CKAN_NAME.fullmatch(str(name)):
                problems.append(
                    f"{what} {name!r} is not a CKAN name (2-100 characters: a-z, 0-9, - and _)"
                )
        if not Path(self.csv_path).is_file():
            problems.append(f"CSV file {self.csv_path} does not exist")
        if bad := [k for k, v in self.extras.items() if not isinstance(v, str)]:
            problems.append(f"extras must be strings: {bad}")
        if problems:
            raise CkanInvalidPublication(
                f"cannot publish {self.dataset_id!r} to CKAN: " + "; ".join(problems)
            )


@dataclass(frozen=True)
class PublishedRef:
    """Where a publication landed."""

    package_id: str
    package_name: str
    package_url: str
    organization: str
    resource_id: str
    resource_url: str
    rows: int
    created: bool  # the package did not exist before
    replaced: tuple[str, ...] = ()  # resource ids this publication retired
    leftovers: tuple[str, ...] = ()  # ids it could not delete; the next publication does


class CkanPublisher:
    """Writes ``CkanPublication``s to one CKAN with one API token (sysadmin or org admin)."""

    def __init__(
        self,
        url: str,
        api_token: str | SecretStr,
        *,
        timeout: float = 60.0,
        allowed_private_hosts: frozenset[str] = frozenset(),
        batch_rows: int = 5000,
        user_agent: str = "civic-data-hub",
    ) -> None:
        token = api_token.get_secret_value() if isinstance(api_token, SecretStr) else api_token
        if not token or not token.strip():
            raise CkanConfigurationError(
                "no CKAN API token: create one for a sysadmin (or an admin of the agencies' "
                "organizations) in CKAN and set CIVICHUB_CKAN_API_TOKEN"
            )
        self.url = ckan_net.checked_url(url, allowed_private_hosts)
        self.timeout = timeout
        self.batch_rows = batch_rows
        self._client = ckanapi.RemoteCKAN(
            self.url,
            apikey=token.strip(),
            user_agent=user_agent,
            session=ckan_net.guarded_session(allowed_private_hosts),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CkanPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the publication --------------------------------------------------------------

    def publish(self, pub: CkanPublication) -> PublishedRef:
        pub.check()
        csv_rows = count_csv_rows(Path(pub.csv_path))
        self._check_datastore()
        org = self._ensure_organization(pub)
        package = self.call("package_show", {"id": pub.dataset_id}, missing_ok=True)
        created = package is None
        if package is None:
            package = self.call(
                "package_create", self._package_fields(pub, org) | {"private": True}
            )
        leftovers = self._clear_leftovers(package)
        staging = self._build(package, pub, csv_rows)
        package = self._switch_or_discard(package["id"], staging, pub, org)
        retired = [r["id"] for r in package["resources"] if r.get(ROLE) == "superseded"]
        leftovers += [rid for rid in retired if not self._delete_resource(rid)]
        current = package["resources"][0]
        return PublishedRef(
            package_id=package["id"],
            package_name=package["name"],
            package_url=f"{self.url}/dataset/{package['name']}",
            organization=org["name"],
            resource_id=current["id"],
            resource_url=current["url"],
            rows=csv_rows,
            created=created,
            replaced=tuple(retired),
            leftovers=tuple(leftovers),
        )

    def _check_datastore(self) -> None:
        status = self.call("status_show", {})
        if "datastore" not in (status.get("extensions") or []):
            raise CkanIncompatible(
                f"CKAN at {self.url} (version {status.get('ckan_version')}) does not run the "
                "DataStore: add `datastore` to ckan.plugins and set ckan.datastore.write_url "
                "and read_url"
            )

    def _ensure_organization(self, pub: CkanPublication) -> dict[str, Any]:
        org = self.call("organization_show", {"id": pub.agency_code}, missing_ok=True)
        if org is None:
            return self.call(
                "organization_create", {"name": pub.agency_code, "title": pub.agency_title}
            )
        if org.get("title") != pub.agency_title:
            org = self.call("organization_patch", {"id": org["id"], "title": pub.agency_title})
        return org

    def _package_fields(self, pub: CkanPublication, org: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": pub.dataset_id,
            "title": pub.title,
            "notes": pub.notes,
            "license_id": pub.license_id,
            "owner_org": org["id"],
            "tags": [{"name": t} for t in pub.tags],
        }

    def _clear_leftovers(self, package: Mapping[str, Any]) -> list[str]:
        """Delete staging/superseded resources of earlier failed runs; ids not deleted."""
        stale = [
            r["id"] for r in package.get("resources", []) if r.get(ROLE) in _OURS - {"current"}
        ]
        if stale:
            log.info("removing %d leftover resources of %s", len(stale), package["name"])
        return [rid for rid in stale if not self._delete_resource(rid)]

    def _build(self, package: Mapping[str, Any], pub: CkanPublication, csv_rows: int) -> str:
        """The new resource with its CSV and DataStore table; its id. Deleted on failure."""
        name = f"{pub.dataset_id}.csv"
        with Path(pub.csv_path).open("rb") as data:
            resource = self.call(
                "resource_create",
                {
                    "package_id": package["id"],
                    "name": f"{name} (loading)",
                    "description": "Being loaded by the Civic Data Hub; not yet published.",
                    "format": "CSV",
                    "mimetype": "text/csv",
                    ROLE: "staging",
                },
                files={"upload": (name, data, "text/csv")},
            )
        try:
            sent = self._load(resource["id"], pub)
            stored = self.call("datastore_search", {"resource_id": resource["id"], "limit": 0})
            if not sent == csv_rows == stored["total"]:
                raise CkanInvalidPublication(
                    f"{pub.dataset_id}: the CSV has {csv_rows} rows, {sent} rows were sent to "
                    f"the DataStore and it holds {stored['total']}; publish the same rows in "
                    "both (nothing was published)"
                )
        except BaseException:
            self._discard(resource["id"])
            raise
        return resource["id"]

    def _load(self, resource_id: str, pub: CkanPublication) -> int:
        """Create the DataStore table and insert the batches; rows sent."""
        sent = 0
        created = False
        for number, chunk in enumerate(rechunk(pub.batches, self.batch_rows), start=1):
            where = f"batch {number} (rows {sent + 1}-{sent + len(chunk)})"
            if not created:
                self._create_table(resource_id, pub, chunk, where=where)
                created = True
            else:
                self.call(
                    "datastore_upsert",
                    {
                        "resource_id": resource_id,
                        "force": True,
                        "method": "insert",
                        "records": chunk,
                    },
                    where=where,
                )
            sent += len(chunk)
        if not created:  # no rows: the table and its dictionary all the same
            self._create_table(resource_id, pub, [], where="the data dictionary")
        return sent

    def _create_table(
        self, resource_id: str, pub: CkanPublication, rows: list[dict[str, Any]], where: str
    ) -> None:
        self.call(
            "datastore_create",
            {
                "resource_id": resource_id,
                "force": True,
                "fields": [f.as_ckan() for f in pub.fields],
                "primary_key": list(pub.primary_key),
                "records": rows,
            },
            where=where,
        )

    def _switch_or_discard(
        self, package_id: str, staging: str, pub: CkanPublication, org: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            return self._switch(package_id, staging, pub, org)
        except BaseException as failure:
            # a lost answer does not say whether CKAN committed the switch: look before
            # deleting the new resource, which may already be the current one
            try:
                package = self.call("package_show", {"id": package_id})
            except CkanError:
                log.warning("cannot tell whether %s was switched; left as is", pub.dataset_id)
                raise failure from None
            if _extras(package).get(CURRENT) == staging:
                return package  # it was: the publication succeeded
            self._discard(staging)
            raise

    def _switch(
        self, package_id: str, staging: str, pub: CkanPublication, org: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One package_patch: the new resource current and first, the old one superseded."""
        package = self.call("package_show", {"id": package_id})
        resources = package["resources"]
        new = [r for r in resources if r["id"] == staging]
        if not new:
            raise CkanRejected(
                f"the new resource {staging} vanished from package {package['name']} while "
                "publishing (another publication of the same dataset?); publish again",
                action="package_show",
            )
        current = new[0] | {
            ROLE: "current",
            "name": f"{pub.dataset_id}.csv",
            "description": pub.title,
        }
        old = [r | {ROLE: "superseded"} for r in resources if r.get(ROLE) == "current"]
        others = [r for r in resources if r["id"] != staging and r.get(ROLE) != "current"]
        extras = {**pub.extras, CURRENT: staging}
        patch = self._package_fields(pub, org) | {
            "id": package["id"],
            "private": False,
            "state": "active",
            "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
            "resources": [current, *others, *old],
        }
        return self.call("package_patch", patch)

    def _discard(self, resource_id: str) -> None:
        if not self._delete_resource(resource_id):
            log.warning(
                "left the unfinished CKAN resource %s; the next publication deletes it",
                resource_id,
            )

    def _delete_resource(self, resource_id: str) -> bool:
        try:
            self.call("resource_delete", {"id": resource_id}, missing_ok=True)
        except CkanError as exc:
            log.warning("could not delete CKAN resource %s: %s", resource_id, exc)
            return False
        return True

    # -- one API call -----------------------------------------------------------------

    def call(
        self,
        action: str,
        data: Mapping[str, Any],
        *,
        files: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
        where: str = "",
    ) -> Any:
        """Call one CKAN action; its result, None when missing and ``missing_ok``."""
        try:
            return self._client.call_action(
                action,
                _jsonable(data) if files is None else dict(data),
                files=dict(files) if files else None,
                requests_kwargs={"timeout": self.timeout},
            )
        except ckanapi.NotFound as exc:
            if missing_ok:
                return None
            raise CkanRejected(f"CKAN {action}: not found ({exc})", action=action) from exc
        except ckanapi.ValidationError as exc:
            raise _rejected(action, exc.error_dict, where) from exc
        except ckanapi.NotAuthorized as exc:
            raise CkanNotAuthorized(
                f"CKAN refused {action} for the API token's user ({exc}): use a token of a "
                "sysadmin or of an admin of the agency's organization (CIVICHUB_CKAN_API_TOKEN)",
                action=action,
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise CkanUnreachable(
                f"CKAN at {self.url} did not answer {action} ({_reason(exc)}); check "
                "CIVICHUB_CKAN_URL and that CKAN is running"
            ) from exc
        except (ckanapi.CKANAPIError, ckanapi.ServerIncompatibleError) as exc:
            raise CkanIncompatible(
                f"unexpected answer from CKAN at {self.url} to {action}: {str(exc)[:300]}; "
                "check that CIVICHUB_CKAN_URL is the CKAN site root (no /api path)"
            ) from exc
        except requests.RequestException as exc:
            raise CkanUnreachable(f"CKAN at {self.url}: {action} failed: {exc}") from exc


# -- helpers ------------------------------------------------------------------------------


def _extras(package: Mapping[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in package.get("extras") or []}


def _rejected(action: str, errors: Mapping[str, Any], where: str) -> CkanRejected:
    # CKAN inserts a batch in one statement: its `records_row` does not name the bad row
    detail = CkanRejected.describe(errors)
    at = f" in {where}" if where else ""
    hint = {
        "datastore_create": "fix the value or the field's type in the data dictionary",
        "datastore_upsert": "fix the value or the field's type in the data dictionary",
        "package_create": "fix the dataset's metadata",
        "package_patch": "fix the dataset's metadata",
        "resource_create": "check the CSV file and CKAN's ckan.max_resource_size",
        "organization_create": "fix the agency code (lowercase letters, digits, - and _)",
    }.get(action, "fix the request")
    return CkanRejected(
        f"CKAN rejected {action}{at}: {detail}; {hint}", action=action, errors=errors
    )


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "timed out", "Name or service not known", "resolve"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def rechunk(batches: Iterable[Batch], size: int) -> Iterator[list[dict[str, Any]]]:
    """Row dicts, ``size`` at a time, from batches of rows or of columns."""
    chunk: list[dict[str, Any]] = []
    for batch in batches:
        for row in _rows(batch):
            chunk.append(_jsonable(row))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _rows(batch: Batch) -> Iterable[Mapping[str, Any]]:
    if isinstance(batch, Mapping):  # columns
        names = list(batch)
        return (
            dict(zip(names, values, strict=True)) for values in zip(*batch.values(), strict=True)
        )
    return batch


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def count_csv_rows(path: Path) -> int:
    """Data rows (header excluded) of a CSV file, quoted newlines understood."""
    with path.open(newline="", encoding="utf-8") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
