"""A real CKAN 2.12 with its DataStore for the run, built with tools/ckan.

The instance (databases ``civichub_ckan_b<pid>_<random>``, roles, ckan.ini, a sysadmin
token) is made by ``tools/ckan/harness.py`` like the test fixture does; CKAN then runs
under gunicorn instead of the single-process development server of ``ckan run``, so the
baseline is served the way CKAN is deployed: synchronous workers (CKAN's database
sessions are not safe across threads of one process: gthread workers fail requests with
"cursor already closed"), as many as gunicorn recommends, 2 x CPUs + 1. Everything is
stopped and dropped when the run ends.

``load_datastore`` puts the population CSV into a DataStore table the way CKAN's own
bulk loader (xloader) does: ``datastore_create`` with the data dictionary and the primary
key, then ``COPY ... FROM`` into that table (CKAN's full-text trigger runs on every row).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ckanapi
import psycopg

from bench import servers, tools
from bench.config import BENCH, say
from bench.data import admin_url

ORG = "bench"
PACKAGE = "bench-population"
FIELDS = [
    {"id": "citizen_id", "type": "text"},
    {"id": "full_name", "type": "text"},
    {"id": "date_of_birth", "type": "date"},
    {"id": "gender", "type": "text"},
    {"id": "phone", "type": "text"},
    {"id": "address", "type": "text"},
    {"id": "ward", "type": "text"},
    {"id": "ethnicity", "type": "text"},
    {"id": "notes", "type": "text"},
]


@dataclass
class Ckan:
    url: str
    token: str
    server: servers.Server
    datastore_db: str
    pg_user: str
    resource_id: str | None = None

    def client(self) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=self.token)

    def search_path(self, key: str) -> str:
        """``datastore_search`` with an equality filter on the primary key."""
        filters = quote(json.dumps({"citizen_id": key}, separators=(",", ":")), safe="")
        return f"/api/3/action/datastore_search?resource_id={self.resource_id}&filters={filters}"


@contextlib.contextmanager
def instance(work: Path, workers: int) -> Iterator[Ckan]:
    harness, gunicorn_dir = tools.ensure_ckan()
    pg = harness.Postgres.discover()
    harness.reap_abandoned(pg, prefix="b", log=say)
    name = f"b{os.getpid()}_{secrets.token_hex(3)}"
    inst = harness.Instance.new(name, work / "ckan", pg)
    # publishing 1M rows uploads a CSV of ~40 MB; the harness default allows 100 MB
    inst = dataclasses.replace(inst, max_resource_mb=2048)
    harness.write_config(inst)
    server = None
    started = time.monotonic()
    try:
        say(f"ckan: creating databases {inst.db_name}, {inst.datastore_db} and a sysadmin ...")
        token = harness.create_databases(inst, pg)
        server = _serve(inst, gunicorn_dir, harness.venv_python(), workers)
        say(
            f"ckan: CKAN {harness.CKAN_VERSION} ready on {inst.url} in "
            f"{time.monotonic() - started:.0f} s (gunicorn, {workers} workers)"
        )
        yield Ckan(inst.url, token, server, inst.datastore_db, pg.user)
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(harness.HarnessError):
            harness.drop_databases(inst, pg)
        say(f"ckan: stopped, databases {inst.db_name}* dropped")


def _serve(inst: Any, gunicorn_dir: Path, python: Path, workers: int) -> servers.Server:
    cmd = [str(python), "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync"]
    cmd += ["--bind", f"{inst.host}:{inst.port}", "--timeout", "600"]
    cmd += ["--pythonpath", str(BENCH / "ckan_app"), "ckan_wsgi:application"]
    env = {"PYTHONPATH": str(gunicorn_dir), "BENCH_CKAN_INI": str(inst.ini)}
    return servers.spawn(
        "ckan",
        cmd,
        port=inst.port,
        env=env,
        log=Path(inst.log),
        ready="/api/3/action/status_show",
        cwd=Path(inst.home),
        timeout=120,
    )


def load_datastore(ckan: Ckan, csv_path: Path, rows: int) -> str:
    """The CSV as a DataStore table of a public package; the resource id."""
    started = time.monotonic()
    with ckan.client() as client:
        org = client.call_action("organization_create", {"name": ORG, "title": "Benchmark"})
        package = client.call_action(
            "package_create", {"name": PACKAGE, "owner_org": org["id"], "private": False}
        )
        resource = client.call_action(
            "resource_create",
            {"package_id": package["id"], "name": "population", "url": "population.csv"},
        )
        rid = resource["id"]
        client.call_action(
            "datastore_create",
            {"resource_id": rid, "force": True, "fields": FIELDS, "primary_key": ["citizen_id"]},
        )
    columns = ", ".join(f'"{f["id"]}"' for f in FIELDS)
    with psycopg.connect(admin_url(ckan.pg_user, ckan.datastore_db), autocommit=True) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f'COPY "{rid}" ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)') as copy,
            csv_path.open("rb") as data,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
        conn.execute(f'ANALYZE "{rid}"')
    ckan.resource_id = rid
    say(
        f"ckan: {rows:,} rows in the DataStore (resource {rid}) in "
        f"{time.monotonic() - started:.0f} s"
    )
    return rid
