"""civichub demo: the whole hub in one command, on the embedded defaults."""

from __future__ import annotations

import csv
import json
import time

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from hub.cli.common import hub_state, out
from hub.demo import flow
from hub.settings import get_settings
from hub.store import migrate

NEXT_STEPS = """\
  civichub serve            # the API on http://127.0.0.1:8000, docs at /docs
  TOKEN=$(civichub token issue --sub me --agency thue --roles officer --scope records:read)
  curl -H "Authorization: Bearer $TOKEN" \\
    'http://127.0.0.1:8000/v1/datasets/population-registry/records?purpose=tax-administration'
  civichub audit tail       # who read what, when, for which purpose
  curl 'http://127.0.0.1:8000/v1/open/datasets/population-registry/records?limit=5'
  Read next: docs/getting-started.md, docs/policies.md, docs/api.md, docs/open-data.md"""


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _first_row(path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return next(csv.DictReader(fh))


def demo() -> None:
    """Generate synthetic HCMC data, register, ingest, serve over HTTP, call it as three users."""
    started = time.monotonic()
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    report = flow.DemoReport()

    def step(text: str) -> None:
        out.print(f"[bold cyan]•[/] {text}", highlight=False)

    with hub_state(require_schema=False) as state:
        state.keyring.ensure()
        migrate(state.engine)
        step(f"store {settings.database_url}, keys in {settings.keys_dir}")
        flow.generate(state, report, step)
        with Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            DownloadColumn(),
            console=out,
            transient=True,
        ) as bar:
            task = bar.add_task("ingest", total=None)
            flow.register_and_ingest(
                state,
                report,
                step,
                lambda done, total, unit, rows: bar.update(task, completed=done, total=total),
            )
        for r in report.ingests:
            step(
                f"{r.dataset} v{r.version}: read {r.rows_read}, "
                f"written {r.rows_written}, rejected {r.rows_rejected}"
            )
        flow.publish_open_data(state, report, step)
        if report.publication is not None:
            p = report.publication
            step(
                f"open data: {p.rows} rows ({p.suppressed} suppressed), k = {p.k}, "
                f"no personal data found by the scan; at {p.url}"
            )
        ward = _first_row(report.data_files["population-registry"])["ward"]
        tax_code = _first_row(report.data_files["business-registry"])["tax_code"]
        tokens = flow.demo_tokens(state, ward)
        with flow.running_server(state) as base_url:
            step(f"HTTP API listening on {base_url} (docs at {base_url}/docs)")
            report.calls = flow.calls(base_url, tokens, tax_code)
        flow.verify_audit(state, report)
    _print_calls(report)
    verdict = "intact" if report.audit_intact else "BROKEN"
    step(
        f"audit log {verdict}: {report.audit_entries} hash-chained entries (`civichub audit tail`)"
    )
    out.print(f"\n[bold]demo finished in {time.monotonic() - started:.0f} s.[/] Go on with:")
    out.print(NEXT_STEPS, highlight=False, markup=False)
    if not report.audit_intact or any(c.status >= 500 for c in report.calls):
        raise typer.Exit(1)


def _print_calls(report: flow.DemoReport) -> None:
    for call in report.calls:
        colour = "green" if call.status < 400 else "yellow"
        out.print(
            f"\n[bold]{call.who}[/] GET {call.url} -> [{colour}]{call.status}[/]", highlight=False
        )
        body = call.body
        if isinstance(body, dict) and "records" in body:
            body = body["records"][:2]
        elif isinstance(body, dict) and "detail" in body:
            body = {"title": body.get("title"), "detail": body.get("detail")}
        out.print(
            json.dumps(body, ensure_ascii=False, indent=1, default=str)[:1200], highlight=False
        )
