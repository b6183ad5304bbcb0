"""The civichub command as a user runs it: real processes, real databases, real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from hub.store import head_revision
from tests.hub.conftest import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def test_operator_flow_register_ingest_apply_read_verify(cli_env):
    init = run(cli_env, "init")
    assert f"-> {head_revision()}" in init.stdout
    assert "present" in run(cli_env, "init").stdout  # idempotent
    run(cli_env, "dataset", "register", str(EXAMPLES / "datasets" / "population-registry.yaml"))
    ingest = run(cli_env, "ingest", "population-registry")
    assert "read 50, written 50, rejected 0" in ingest.stdout
    applied = run(
        cli_env, "policy", "apply", str(EXAMPLES / "policies" / "population-registry.yaml")
    )
    assert "version 1" in applied.stdout and "tax-identity-check" in applied.stdout
    listing = run(cli_env, "dataset", "list").stdout
    assert "population-registry" in listing and "50" in listing
    token = run(
        cli_env, "token", "issue", "--sub", "t1", "--agency", "thue",
        "--roles", "officer", "--scope", "records:read",
    ).stdout.strip()  # fmt: skip
    assert token.count(".") == 2
    verify = run(cli_env, "audit", "verify")
    assert "intact" in verify.stdout
    tail = run(cli_env, "audit", "tail", "-n", "5").stdout
    assert "policy.applied" in tail and "token.issued" in tail


def test_audit_verify_names_the_first_tampered_entry(cli_env):
    run(cli_env, "init")
    for _ in range(3):
        run(cli_env, "token", "issue", "--sub", "x", "--roles", "auditor", "--scope", "audit:read")
    engine = sa.create_engine(cli_env["CIVICHUB_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET principal = 'mallory' WHERE seq = 2"))
    engine.dispose()
    result = run(cli_env, "audit", "verify", check=False)
    assert result.returncode != 0
    assert "entry 2" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ingest", "no-such-dataset"], "no dataset 'no-such-dataset'"),  # unknown dataset
        (["token", "issue", "--sub", "x", "--roles", "wizard"], "unknown role"),  # bad role
        (["token", "issue", "--sub", "x", "--roles", "officer", "--attrs", "{"], "--attrs"),
        (["dataset", "register", "/no/such/file.yaml"], "cannot read"),  # missing file
        (["policy", "apply", "/no/such/policy.yaml"], "cannot read"),
    ],
)
def test_failures_print_one_clear_line(cli_env, args, needle):
    run(cli_env, "init")
    result = run(cli_env, *args, check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_descriptor_names_line_and_field(cli_env, tmp_path):
    run(cli_env, "init")
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "datasets" / "population-registry.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("classification: restricted", "classification: secret"))
    result = run(cli_env, "dataset", "register", str(bad), check=False)
    assert result.returncode == 2
    assert "secret" in result.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("type: date", "type: day", 1))
    result = run(cli_env, "dataset", "register", str(typo), check=False)
    assert "line" in result.stderr and "date_of_birth" not in result.stdout


def test_commands_need_an_initialized_store(cli_env):
    result = run(cli_env, "dataset", "list", check=False)
    assert result.returncode != 0
    assert "civichub init" in result.stderr


@pytest.mark.parametrize(
    "command",
    [[], ["init"], ["demo"], ["serve"], ["dataset", "register"], ["ingest"], ["policy", "apply"],
     ["token", "issue"], ["audit", "verify"], ["keys", "rotate"], ["classify"], ["pii", "scan"],
     ["policy", "explain"], ["access", "request"], ["access", "approve"], ["publish"]],
)  # fmt: skip
def test_every_command_has_help(cli_env, command):
    result = run(cli_env, *command, "--help")
    assert "Usage" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_the_api_over_http(cli_env):
    run(cli_env, "init")
    run(cli_env, "dataset", "register", str(EXAMPLES / "datasets" / "population-registry.yaml"))
    run(cli_env, "ingest", "population-registry")
    run(cli_env, "policy", "apply", str(EXAMPLES / "policies" / "population-registry.yaml"))
    token = run(
        cli_env, "token", "issue", "--sub", "t1", "--agency", "thue",
        "--roles", "officer", "--scope", "records:read",
    ).stdout.strip()  # fmt: skip
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port)],
        env=cli_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "civichub serve did not come up"
            time.sleep(0.2)
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        page = httpx.get(
            f"{base}/v1/datasets/population-registry/records",
            params={"purpose": "tax-administration", "limit": 2},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert page.status_code == 200
        assert len(page.json()["records"]) == 2 and page.json()["next_cursor"]
        assert "civichub_http_requests_total" in httpx.get(f"{base}/metrics").text
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Civic Data Hub"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
