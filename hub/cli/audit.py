"""civichub audit verify|tail"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hub.audit import service
from hub.cli.common import err, hub_state, out
from hub.db import session_scope


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="The audit log.", no_args_is_help=True)
    audit.command("verify")(verify)
    audit.command("tail")(tail)
    app.add_typer(audit, name="audit")


def verify() -> None:
    """Check the hash chain; exit 0 with the entry count, or non-zero naming the first bad entry."""
    with hub_state() as state, session_scope(state.sessions) as session:
        result = service.verify(session)
    if result.intact:
        out.print(f"audit log intact: {result.count} entries")
        return
    err.print(
        f"audit log BROKEN at entry {result.first_bad_seq}: {result.reason} "
        f"({result.count} entries verified before it)",
        style="red",
        highlight=False,
    )
    raise typer.Exit(3)


def tail(
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many entries.")] = 20,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
) -> None:
    """Show the newest entries."""
    table = Table(
        "seq",
        "at (UTC)",
        "event",
        "principal",
        "agency",
        "dataset",
        "purpose",
        "rows",
        "decision",
        "rule",
    )
    with hub_state() as state, session_scope(state.sessions) as session:
        rows = service.tail(session, limit=limit, dataset=dataset)
        for e in reversed(rows):
            table.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.event,
                e.principal or "",
                e.agency or "",
                e.dataset or "",
                e.purpose or "",
                str(e.row_count),
                e.decision,
                e.rule_id or "",
            )
    out.print(table)
