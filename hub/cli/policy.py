"""civichub policy apply|show|explain"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from hub.access import service
from hub.cli.common import hub_state, out
from hub.context import cli_actor
from hub.datasets import service as datasets
from hub.db import session_scope
from hub.errors import NotFound


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="Access policies.", no_args_is_help=True)
    policy.command("apply")(apply)
    policy.command("show")(show)
    app.add_typer(policy, name="policy")


def _dataset_of(raw: bytes, file: Path) -> str:
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("dataset"), str):
        raise NotFound(f"{file}: the policy must name its dataset on a `dataset:` line")
    return doc["dataset"]


def apply(file: Annotated[Path, typer.Argument(help="Policy file (YAML).")]) -> None:
    """Validate a policy against its dataset and apply it as a new version."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read {file}: {exc.strerror}") from exc
    with hub_state() as state, session_scope(state.sessions) as session:
        dataset = datasets.get(session, _dataset_of(raw, file))
        policy = service.parse(raw, source=str(file), dataset=dataset)
        version = service.apply(session, dataset=dataset, policy=policy, actor=cli_actor())
    rules = ", ".join(r.id for r in policy.rules)
    out.print(f"applied policy version {version} to {dataset.id}: rules {rules}")


def show(dataset: Annotated[str, typer.Argument(help="Dataset id.")]) -> None:
    """Print the policy in force (YAML) with its version."""
    with hub_state() as state, session_scope(state.sessions) as session:
        stored = service.require_current(session, datasets.get(session, dataset))
    out.print(f"# version {stored.version}", highlight=False)
    out.print(
        yaml.safe_dump(stored.policy.to_dict(), allow_unicode=True, sort_keys=False),
        highlight=False,
    )
