"""Fixtures for the hub: a migrated store on each database, the real app, tokens, data."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from connectors.descriptor import DatasetDescriptor, SourceSpec
from hub.access import service as access
from hub.app import create_app
from hub.auth.keys import Keyring
from hub.auth.tokens import TokenRequest
from hub.context import cli_actor
from hub.datasets import flows
from hub.datasets import service as datasets
from hub.db import session_scope
from hub.demo import synth
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def keys_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RSA key for the session: generating 3072-bit keys per test would dominate."""
    folder = tmp_path_factory.mktemp("keys") / "keys"
    Keyring(folder).ensure()
    return folder


def hub_settings(db_url: str, data: Path, keys_template: Path, **overrides: Any) -> Settings:
    """Settings of a test hub on ``db_url`` whose data folder ``data`` holds the test keys
    (``overrides``: other settings)."""
    shutil.copytree(keys_template, data / "keys")
    values: dict[str, Any] = {"allow_private_hosts": "127.0.0.1,localhost", **overrides}
    return Settings(database_url=db_url, data_dir=data, _env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(db_url: str, tmp_path: Path, keys_template: Path) -> Settings:
    return hub_settings(db_url, tmp_path / "var", keys_template)


@pytest.fixture
def hub(settings: Settings) -> Iterator[HubState]:
    state = HubState.build(settings)
    migrate(state.engine)
    try:
        yield state
    finally:
        state.close()


@pytest.fixture
def client(hub: HubState) -> Iterator[TestClient]:
    with TestClient(create_app(hub.settings, state=hub)) as test_client:
        yield test_client


TokenFactory = Callable[..., str]


def issue_token(
    hub: HubState,
    *,
    sub: str = "tester",
    agency: str | None = None,
    roles: tuple[str, ...] = ("officer",),
    scopes: tuple[str, ...] = ("records:read",),
    attrs: dict[str, Any] | None = None,
    citizen_id: str | None = None,
    ttl: int = 600,
) -> str:
    """A token ``hub`` signs (an officer who may read records, unless told otherwise)."""
    return hub.tokens.issue(
        TokenRequest(
            sub=sub,
            agency=agency,
            roles=list(roles),
            scopes=list(scopes),
            attrs=attrs or {},
            citizen_id=citizen_id,
            ttl=ttl,
        )
    )


@pytest.fixture
def token(hub: HubState) -> TokenFactory:
    return functools.partial(issue_token, hub)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def population_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "population.csv"
    synth.write_population(path, 300)
    return path


def register(hub: HubState, descriptor: DatasetDescriptor, source_base: Path) -> None:
    """Register ``descriptor`` as the operator would from the CLI."""
    with session_scope(hub.sessions) as session:
        datasets.register(
            session, descriptor=descriptor, actor=cli_actor(), source_base=source_base, via="cli"
        )


def ingest_csv(
    hub: HubState,
    dataset_id: str,
    path: Path,
    *,
    options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> flows.IngestResult:
    """Ingest the CSV file ``path`` into ``dataset_id`` as the CLI would (``kwargs`` go to
    ``flows.ingest``; ``options`` are the csv connector's besides its path)."""
    return flows.ingest(
        hub.sessions,
        dataset_id=dataset_id,
        actor=cli_actor(),
        cipher=hub.cipher,
        context=hub.connector_context(base_dir=str(path.parent), api_registered=False),
        source=SourceSpec(connector="csv", path=str(path), **(options or {})),
        **kwargs,
    )


def load_example(hub: HubState, dataset_id: str, csv_path: Path) -> flows.IngestResult:
    """Register the example descriptor, ingest ``csv_path`` into it, apply its policy."""
    actor = cli_actor()
    file = EXAMPLES / "datasets" / f"{dataset_id}.yaml"
    descriptor = datasets.parse_descriptor_file(file)
    register(hub, descriptor, file.parent)
    options = {k: v for k, v in descriptor.source.options.items() if k != "path"}
    result = ingest_csv(hub, dataset_id, csv_path, options=options)
    policy_file = EXAMPLES / "policies" / f"{dataset_id}.yaml"
    with session_scope(hub.sessions) as session:
        dataset = datasets.get(session, dataset_id)
        policy = access.parse(policy_file.read_bytes(), source=str(policy_file), dataset=dataset)
        access.apply(session, dataset=dataset, policy=policy, actor=actor)
    return result


@pytest.fixture
def population(hub: HubState, population_csv: Path) -> flows.IngestResult:
    return load_example(hub, "population-registry", population_csv)


# -- the CLI as a user runs it ------------------------------------------------------------
def _env(db_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICHUB_")}
    env.update(
        CIVICHUB_DATABASE_URL=db_url,
        CIVICHUB_DATA_DIR=str(data_dir),
        COLUMNS="200",
        PYTHONUNBUFFERED="1",
    )
    return env


def hub_cli(hub: HubState, *args: str) -> subprocess.CompletedProcess[str]:
    """``civichub ARGS`` on ``hub``'s database and data folder; the caller checks the exit."""
    return run(_env(hub.settings.database_url, hub.settings.data_dir), *args, check=False)


def auditor_claims(hub: HubState, **over: Any) -> dict[str, Any]:
    """Claims of a valid auditor token of ``hub``; ``over`` replaces (None removes) claims."""
    now = int(time.time())
    claims = {
        "iss": hub.settings.jwt_issuer,
        "aud": hub.settings.jwt_audience,
        "sub": "auditor-1",
        "iat": now,
        "exp": now + 300,
        "roles": ["auditor"],
        "scope": "audit:read",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    if check and result.returncode != 0:
        pytest.fail(f"civichub {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def timed_run(env: dict[str, str], *args: str) -> float:
    """Seconds a whole ``civichub ARGS`` takes here, process start included."""
    started = time.perf_counter()
    run(env, *args)
    return time.perf_counter() - started


def kill_9_after(env: dict[str, str], delay: float, *args: str) -> bool:
    """Start ``civichub ARGS``, SIGKILL it after ``delay`` s; whether it was still running.

    Crash tests spread ``delay`` over a measured run (``timed_run``) rather than fixed
    seconds, so the kills land mid-run however fast the machine or the code is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return killed


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, keys_template: Path) -> dict[str, str]:
    """Environment for `python -m hub` subprocesses on this test's database."""
    data = tmp_path / "var"
    shutil.copytree(keys_template, data / "keys")  # skip 3072-bit key generation per test
    return _env(db_url, data)
