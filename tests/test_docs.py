"""The docs say what the code does: settings, commands and endpoints match."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer

from hub.cli import app as cli_app
from hub.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS)


def test_readme_opens_with_the_two_commands():
    first_block = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_ci_runs_exactly_the_readme_test_command():
    ci = ROOT.joinpath(".ci", "run").read_text(encoding="utf-8")
    commands = [
        line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["exec make test"]


def test_every_setting_is_documented_and_every_documented_variable_exists():
    documented = set(
        re.findall(r"CIVICHUB_([A-Z_]+)", (ROOT / "docs" / "configuration.md").read_text())
    )
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from docs/configuration.md"
    # CIVICHUB_TEST_* belong to the test suite, CIVICHUB_EXAMPLES_DIR to the demo
    stray = {v for v in re.findall(r"CIVICHUB_([A-Z_]+)", _text()) if not v.startswith("TEST_")}
    assert stray - fields - {"EXAMPLES_DIR"} == set(), "documented variables that do not exist"


def _command_paths() -> set[str]:
    root = typer.main.get_command(cli_app)
    paths: set[str] = set()

    def walk(cmd: click.Command, prefix: str) -> None:
        if hasattr(cmd, "commands"):  # typer's groups are not click.Group subclasses
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        paths.add(prefix)

    walk(root, "")
    return paths


def test_every_documented_command_exists():
    known = _command_paths()
    used = set()
    for match in re.finditer(r"civichub ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", _text()):
        words = match.group(1).split()
        # "civichub dataset register" -> "dataset register"; "civichub ingest x" -> "ingest"
        used.add(" ".join(words) if " ".join(words) in known else words[0])
    unknown = sorted(u for u in used if u not in known)
    assert unknown == []


def test_documented_endpoints_exist(client_routes):
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)", doc))
    assert documented, "api.md lists no endpoints"
    missing = sorted(f"{m} {p}" for m, p in documented if (m, _shape(p)) not in client_routes)
    assert missing == []


@pytest.fixture(scope="module")
def client_routes(tmp_path_factory) -> set[tuple[str, str]]:
    from hub.app import create_app
    from tests.contract.conftest import api_routes

    data = tmp_path_factory.mktemp("docs") / "var"
    app = create_app(Settings(database_url=f"sqlite:///{data.parent / 'h.db'}", data_dir=data))
    return {(m, _shape(p)) for p, methods, _ in api_routes(app) for m in methods}


def _shape(path: str) -> str:
    """`/v1/datasets/{id}` and `/v1/datasets/{dataset_id}` are the same endpoint."""
    return re.sub(r"\{[^}]*\}", "{}", path)
