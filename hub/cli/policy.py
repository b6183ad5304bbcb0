"""civichub policy apply|show|explain"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer
import yaml
from rich.table import Table

from hub.access import explain as explaining
from hub.access import service
from hub.access.schemas import PrincipalClaims
from hub.cli.common import hub_state, out, print_json
from hub.context import cli_actor
from hub.datasets import service as datasets
from hub.db import session_scope
from hub.errors import BadRequest, NotFound
from policies.principal import split_list


def register(app: typer.Typer) -> None:
    policy = typer.Typer(help="Access policies.", no_args_is_help=True)
    policy.command("apply")(apply)
    policy.command("show")(show)
    policy.command("explain")(explain)
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


def _claims(
    sub: str, agency: str | None, roles: str, scope: str, attrs: str | None
) -> PrincipalClaims:
    try:
        attributes = json.loads(attrs) if attrs else {}
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f'--attrs must be a JSON object, e.g. \'{{"ward": "phuong-ben-thanh"}}\' ({exc.msg})'
        ) from None
    data = {"sub": sub, "agency": agency, "roles": roles, "scope": scope, "attrs": attributes}
    try:
        return PrincipalClaims.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadRequest(f"--{where}: {first['msg']}") from None


def explain(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    roles: Annotated[str, typer.Option(help="Comma- or space-separated roles, e.g. officer.")],
    purpose: Annotated[str | None, typer.Option(help="The declared purpose.")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code, e.g. thue.")] = None,
    attrs: Annotated[str | None, typer.Option(help="JSON object of token attributes.")] = None,
    fields: Annotated[str | None, typer.Option(help="Only these fields (comma-separated).")] = None,
    sub: Annotated[str, typer.Option(help="Subject, for ${sub} row filters.")] = "",
    scope: Annotated[str, typer.Option(help="Scopes of the token.")] = "records:read",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")] = False,
) -> None:
    """Say which rule would decide a read for these claims, or why none does, field by field."""
    claims = _claims(sub, agency, roles, scope, attrs)
    with hub_state() as state, session_scope(state.sessions) as session:
        answer = explaining.explain(
            session,
            dataset=datasets.get(session, dataset),
            principal=claims.to_principal(),
            purpose=purpose,
            fields=split_list(fields) if fields else None,
            actor=cli_actor(),
        )
    if as_json:
        print_json(answer)
        return
    _print_explanation(answer)


def _print_explanation(a: dict[str, Any]) -> None:
    who = a["principal"]
    version = f" (policy version {a['policy_version']})" if a["policy_version"] else ""
    verdict = (
        f"[green]ALLOWED[/] by rule {a['rule_id']}"
        if a["allowed"]
        else f"[red]DENIED[/] ({a['code']})"
    )
    out.print(f"dataset   {a['dataset']}{version}", highlight=False)
    out.print(
        f"for       agency {who['agency'] or '(none)'}, roles {', '.join(who['roles']) or '(none)'}"
        f", scope {who['scope'] or '(none)'}",
        highlight=False,
    )
    out.print(f"purpose   {a['purpose'] or '(none declared)'}", highlight=False)
    out.print(f"decision  {verdict}", highlight=False)
    out.print(f"          {a['reason']}", highlight=False, markup=False)
    if a["allowed"]:
        rows = ", ".join(f"{k} in {v}" for k, v in a["row_filter"].items()) or "no row filter"
        cap = f", at most {a['max_rows']} per request" if a["max_rows"] else ""
        out.print(f"rows      {rows}{cap}", highlight=False, markup=False)
    fields = Table("field", "treatment", "what you get", title="fields", title_justify="left")
    for name, f in a["fields"].items():
        spec = f["treatment"] if f["treatment"] is not None else "-"
        text = spec if isinstance(spec, str) else json.dumps(spec)
        note = f["description"] + (" (filterable)" if f["filterable"] else "")
        fields.add_row(name, text, note)
    out.print(fields)
    rules = Table("rule", "source", "outcome", "why", title="rules, in evaluation order",
                  title_justify="left")  # fmt: skip
    for r in a["rules"]:
        rules.add_row(r["rule_id"], r["source"], r["outcome"], r["detail"])
    out.print(rules)
