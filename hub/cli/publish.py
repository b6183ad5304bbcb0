"""civichub publish DATASET: de-identify and publish as open data (CKAN or local catalog)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.cli.common import hub_state, out
from hub.context import cli_actor
from hub.publishing import flows
from hub.publishing.service import Target
from hub.state import HubState

STAGES = {
    "read": "read and decrypt",
    "plan": "plan generalization (k)",
    "apply": "de-identify and scan",
    "gate": "check the result",
    "write": "write to the catalog",
    "switch": "switch readers",
}


class Direct(StrEnum):
    drop = "drop"
    pseudonymize = "pseudonymize"


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)


def publish(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    target: Annotated[
        Target | None,
        typer.Option(help="ckan or local [default: ckan if CIVICHUB_CKAN_URL is set, else local]"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="De-identify and scan, print the report only.")
    ] = False,
    direct_identifiers: Annotated[
        Direct, typer.Option(help="Drop direct identifiers, or replace them by keyed pseudonyms.")
    ] = Direct.drop,
    max_suppression: Annotated[
        float,
        typer.Option(min=0.0, max=0.99, help="Share of rows that may be left out to reach k."),
    ] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Publish the de-identified current version: direct identifiers dropped, quasi-identifiers
    generalized to k, scanned for PII; local Data Package or CKAN. Publishing again replaces it."""
    request = flows.PublishRequest(
        dataset_id=dataset,
        target=target.value if target else None,
        dry_run=dry_run,
        direct_identifiers=direct_identifiers.value,
        max_suppression=max_suppression,
    )
    with hub_state() as state:
        result = run_publish(state, request, show_progress=not as_json)
    if as_json:
        out.print_json(json.dumps(_as_dict(result), ensure_ascii=False, default=str))
        return
    print_result(result)


def run_publish(
    state: HubState, request: flows.PublishRequest, *, show_progress: bool = True
) -> flows.PublishResult:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        disable=not show_progress,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            for earlier in tasks.values():  # a new stage means the earlier ones are done
                task = progress.tasks[earlier]
                progress.update(earlier, completed=task.total or task.completed, total=task.total)
            tasks[stage] = progress.add_task(STAGES.get(stage, stage), total=total)
        progress.update(tasks[stage], completed=done, total=total)

    with progress:
        return flows.publish(state, request=request, actor=cli_actor(), progress=report)


def _as_dict(result: flows.PublishResult) -> dict[str, Any]:
    return {
        "dataset": result.dataset,
        "version": result.version,
        "target": result.target,
        "dry_run": result.dry_run,
        "publication": result.publication_id,
        "url": result.url,
        "rows": result.rows,
        "suppressed": result.suppressed,
        "k": result.k,
        "report": result.report,
    }


def print_result(result: flows.PublishResult) -> None:
    deid = result.report["deidentification"]
    rows, k, risk = deid["rows"], deid["k"], deid["risk"]
    where = "CKAN" if result.target == "ckan" else "the local catalog"
    if result.dry_run:
        out.print(
            f"dry run of {result.dataset} v{result.version} for {where}: nothing was published",
            highlight=False,
        )
    else:
        out.print(
            f"published {result.dataset} v{result.version} to {where} "
            f"(publication {result.publication_id})",
            highlight=False,
        )
    share = rows["suppressed"] / rows["in"] if rows["in"] else 0.0
    out.print(
        f"  rows: {rows['out']:,} of {rows['in']:,} published, {rows['suppressed']:,} "
        f"suppressed ({share:.1%})\n"
        f"  k: {k['requested']} requested, {k['achieved']} achieved (smallest group); "
        f"re-identification risk max {risk['max_prosecutor']:.3f}, "
        f"average {risk['avg_prosecutor']:.3f}",
        highlight=False,
    )
    scan = result.report.get("residual_scan") or {}
    out.print(
        f"  residual PII scan: {scan.get('cells_scanned', 0):,} cells, "
        f"{scan.get('findings', 0)} findings ({scan.get('tolerated_findings', 0):,} official "
        "place names the plan generated tolerated)",
        highlight=False,
    )
    out.print(_fields_table(deid))
    if result.url:
        out.print(f"  at {result.url}", highlight=False, soft_wrap=True)
        if result.target == "local":
            out.print(f"  {result.report['local']['datapackage']}", highlight=False)


def _fields_table(deid: dict[str, Any]) -> Table:
    table = Table("field", "what happens", "level", box=None, padding=(0, 2))
    generalization = deid["generalization"]
    for name, role in deid["fields"].items():
        g = generalization.get(name)
        level = f"{g['label']} ({g['level']}/{g['max_level']})" if g else ""
        table.add_row(name, role, level)
    return table
