"""The ``ckan`` fixture: a real CKAN 2.12 with its DataStore, one per test session.

Loaded by ``pytest_plugins = ["tests.catalog.ckan_fixtures"]`` in tests/conftest.py. Built
with tools/ckan (see its README): the CKAN virtualenv under ``.cache/ckan/venv`` (made on
first use when ``make test`` has not made it yet), fresh databases and roles on the local
PostgreSQL named ``civichub_ckan_t<pid>_<random>``, CKAN started without Solr on a free
port, a sysadmin with an API token. At the end of the session CKAN is stopped and its
databases and roles are dropped; those of sessions killed before they could clean up are
dropped by the next session (their pid no longer runs).

If CKAN cannot be installed or started the tests that use it fail with the reason and
the tail of the CKAN log: a CKAN test never passes by skipping.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import os
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import ckanapi
import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_harness() -> ModuleType:
    """tools/ckan/harness.py (test tooling, not an installed package)."""
    name = "civichub_ckan_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "ckan" / "harness.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being built
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass(frozen=True)
class CkanServer:
    url: str
    api_token: str
    client: ckanapi.RemoteCKAN  # as the sysadmin
    instance: Any  # harness.Instance: names of its databases, log file, ...
    startup_seconds: float

    @property
    def log(self) -> Path:
        return Path(self.instance.log)


def _say(config: pytest.Config, message: str) -> None:
    """A line on the terminal, past output capturing (installing CKAN takes a while)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(message)


@pytest.fixture(scope="session")
def ckan(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CkanServer]:
    """A running CKAN for this session (url, api_token, client); fails, never skips."""
    harness = load_harness()
    say = functools.partial(_say, request.config)
    started = time.monotonic()
    problem = None
    try:
        harness.ensure_installed(log=say)
        pg = harness.Postgres.discover()
        harness.reap_abandoned(pg, prefix="t", log=say)
        name = f"t{os.getpid()}_{secrets.token_hex(3)}"
        inst = harness.Instance.new(name, tmp_path_factory.mktemp("ckan"), pg)
        harness.write_config(inst)
    except harness.HarnessError as exc:
        problem = f"cannot set up CKAN for the tests: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        inst, startup, token = _start(harness, inst, pg)
        client = ckanapi.RemoteCKAN(inst.url, apikey=token)
    except harness.HarnessError as exc:
        problem = f"cannot start CKAN for the tests: {exc}"
        with contextlib.suppress(harness.HarnessError):  # the reason to report is `exc`
            _teardown(harness, inst, pg)
    if problem:
        pytest.fail(problem, pytrace=False)
    say(
        f"CKAN {harness.CKAN_VERSION} for the tests on {inst.url}: ready in "
        f"{time.monotonic() - started:.1f} s (server start {startup:.1f} s); log {inst.log}",
    )
    try:
        yield CkanServer(inst.url, token, client, inst, startup)
    finally:
        client.close()
        _teardown(harness, inst, pg)


def _start(harness: ModuleType, inst: Any, pg: Any) -> tuple[Any, float, str]:
    token = harness.create_databases(inst, pg)
    try:
        startup = harness.start(inst)
    except harness.HarnessError as exc:
        if "Address already in use" not in str(exc):
            raise
        # another process took the free port between choosing and binding it: once more
        inst = dataclasses.replace(inst, port=harness.free_port())
        harness.write_config(inst)
        startup = harness.start(inst)
    return inst, startup, token


def _teardown(harness: ModuleType, inst: Any, pg: Any) -> None:
    harness.stop(inst)
    harness.drop_databases(inst, pg)
