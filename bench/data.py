"""The data a run works on: a synthetic population CSV and a fresh hub store on PostgreSQL.

- ``population_csv``: ``hub.demo.synth.write_population(path, rows, seed)``, cached under
  ``.cache/bench`` (the same rows and seed give the same bytes; 1M rows take 20-40 s to make).
- ``fresh_database``: ``civichub_bench_<pid>_<random>`` on the local PostgreSQL, dropped
  when the run ends; databases of runs that died (their pid is gone) are dropped first.
- ``setup_hub``: settings for that database, keys, migrations, the population-registry
  descriptor from examples/ and the benchmark policy ``bench/policy.yaml``.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml
from pydantic import SecretStr

from bench.config import BENCH, CACHE, ROOT, say
from connectors.descriptor import SourceSpec
from hub.access import service as access
from hub.auth.tokens import TokenRequest
from hub.context import cli_actor
from hub.datasets import service as datasets
from hub.datasets import tables
from hub.db import session_scope
from hub.demo import synth
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate

DATASET = "population-registry"
DESCRIPTOR = ROOT / "examples" / "datasets" / f"{DATASET}.yaml"
POLICY = BENCH / "policy.yaml"
DB_PREFIX = "civichub_bench_"
PG_HOST = os.environ.get("CIVICHUB_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CIVICHUB_TEST_PG_PORT", "5432"))

#: who reads in the benchmark, and for what (rules of bench/policy.yaml)
LOOKUP_CALLER = {"sub": "bench-tax-officer", "agency": "thue", "purpose": "tax-administration"}
EXPORT_CALLER = {"sub": "bench-statistician", "agency": "thong-ke", "purpose": "statistics"}


def visible_fields(rule_id: str) -> list[str]:
    """The fields a rule of bench/policy.yaml returns (all but ``drop``), in its order."""
    policy = yaml.safe_load(POLICY.read_text())
    rule = next(r for r in policy["rules"] if r["id"] == rule_id)
    return [name for name, treatment in rule["fields"].items() if treatment != "drop"]


def population_csv(rows: int, seed: int) -> Path:
    path = CACHE / f"population-{rows}-s{seed}.csv"
    if path.exists():
        say(f"data: {rows:,} synthetic residents from {path} (cached)")
        return path
    say(f"data: generating {rows:,} synthetic residents (hub.demo.synth, seed {seed}) ...")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    try:
        synth.write_population(partial, rows, seed=seed)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    say(f"data: wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return path


def sample_keys(path: Path, count: int, seed: int) -> list[str]:
    """``count`` citizen ids drawn evenly from the file (reservoir sampling, seeded)."""
    rng = random.Random(seed)
    keys: list[str] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number < count:
                keys.append(row["citizen_id"])
            else:
                slot = rng.randrange(number + 1)
                if slot < count:
                    keys[slot] = row["citizen_id"]
    rng.shuffle(keys)
    return keys


# -- PostgreSQL ---------------------------------------------------------------------------


def superuser() -> str:
    """The first of $PGUSER, postgres, root that logs in (trust auth on loopback)."""
    tried = []
    for user in dict.fromkeys(u for u in (os.environ.get("PGUSER"), "postgres", "root") if u):
        try:
            with psycopg.connect(admin_url(user), connect_timeout=5):
                return user
        except psycopg.Error as exc:
            tried.append(f"{user}: {str(exc).strip()[:120]}")
    raise RuntimeError(f"cannot log in to PostgreSQL on {PG_HOST}:{PG_PORT} ({'; '.join(tried)})")


def admin_url(user: str, db: str = "postgres") -> str:
    return f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{db}"


def _admin(user: str) -> psycopg.Connection:
    return psycopg.connect(admin_url(user), autocommit=True)


def reap_abandoned(user: str) -> None:
    with _admin(user) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (DB_PREFIX + "%",)
            )
        ]
        for name in names:
            pid = name[len(DB_PREFIX) :].split("_", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                say(f"dropped {name}, left by a benchmark run that died")


@contextlib.contextmanager
def fresh_database(user: str) -> Iterator[str]:
    """A new, empty database; its name. Dropped on the way out, whatever happened."""
    reap_abandoned(user)
    name = f"{DB_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    with _admin(user) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    say(f"store: created database {name}")
    try:
        yield name
    finally:
        with _admin(user) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        say(f"store: dropped database {name}")


# -- the hub ------------------------------------------------------------------------------


@dataclass
class Hub:
    """The hub under test: its settings, state (in this process) and data."""

    settings: Settings
    state: HubState
    db_user: str
    db_name: str
    csv: Path
    rows: int

    @property
    def libpq_url(self) -> str:
        return admin_url(self.db_user, self.db_name)

    def env(self) -> dict[str, str]:
        """The environment a hub server process gets (the same settings as ``self``)."""
        s = self.settings
        env = {
            "CIVICHUB_DATABASE_URL": s.database_url,
            "CIVICHUB_DATA_DIR": str(s.data_dir),
            "CIVICHUB_LOG_LEVEL": "WARNING",
            # one caller sends every request: the per-principal rate limit would answer 429
            "CIVICHUB_RATE_LIMIT_PER_MINUTE": "0",
        }
        if s.ckan_url:
            env["CIVICHUB_CKAN_URL"] = s.ckan_url
            env["CIVICHUB_ALLOW_PRIVATE_HOSTS"] = s.allow_private_hosts
        if s.ckan_api_token:
            env["CIVICHUB_CKAN_API_TOKEN"] = s.ckan_api_token.get_secret_value()
        return env

    def token(self, caller: dict[str, str], ttl: int = 24 * 3600) -> str:
        request = TokenRequest(
            sub=caller["sub"],
            agency=caller["agency"],
            roles=["officer"],
            scopes=["records:read"],
            attrs={},
            ttl=min(ttl, self.settings.token_max_ttl),
        )
        return self.state.tokens.issue(request)

    def source(self, path: Path | None = None) -> SourceSpec:
        return SourceSpec(connector="csv", path=str((path or self.csv).resolve()))

    def current_table(self) -> tuple[str, list[str], str]:
        """The current version's table, its columns in order, and its key column."""
        lay, name = self.current_layout()
        table = lay.table(name)
        return name, [c.name for c in table.columns], lay.key_column

    def current_layout(self) -> tuple[tables.Layout, str]:
        """How the current version stores each field, and its table's name."""
        with session_scope(self.state.sessions) as session:
            dataset = datasets.get(session, DATASET)
            version = datasets.current_version(session, dataset)
            assert version is not None, "ingest first"
            descriptor = datasets.descriptor_of(dataset)
            lay = tables.layout(dataset.id, version.fields, descriptor.primary_key)
            return lay, version.table_name

    def close(self) -> None:
        self.state.close()


def setup_hub(user: str, db_name: str, work: Path, csv_path: Path, rows: int) -> Hub:
    settings = Settings(
        database_url=f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{db_name}",
        data_dir=work / "var",
        rate_limit_per_minute=0,
        log_level="WARNING",
    )
    for folder in (settings.data_dir, settings.uploads_dir, settings.catalog_dir):
        folder.mkdir(parents=True, exist_ok=True)
    state = HubState.build(settings)
    state.keyring.ensure()
    migrate(state.engine)
    actor = cli_actor()
    descriptor = datasets.parse_descriptor_file(DESCRIPTOR)
    with session_scope(state.sessions) as session:
        datasets.register(
            session, descriptor=descriptor, actor=actor, source_base=DESCRIPTOR.parent, via="cli"
        )
    with session_scope(state.sessions) as session:
        dataset = datasets.get(session, DATASET)
        policy = access.parse(POLICY.read_bytes(), source=str(POLICY), dataset=dataset)
        access.apply(session, dataset=dataset, policy=policy, actor=actor)
    say(f"store: initialized, {DATASET} registered, {POLICY.name} applied")
    return Hub(settings, state, user, db_name, csv_path, rows)


def with_ckan(hub: Hub, url: str, token: str) -> None:
    """Configure ``hub`` (in this process and for its servers) to publish to CKAN at ``url``."""
    settings = hub.settings.model_copy(
        update={
            "ckan_url": url,
            "ckan_api_token": SecretStr(token),
            "allow_private_hosts": "127.0.0.1",  # the hub refuses loopback otherwise
        }
    )
    hub.settings = hub.state.settings = settings
