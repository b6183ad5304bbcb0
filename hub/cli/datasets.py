"""civichub dataset register|list|show · civichub ingest"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub import heap
from hub.cli.common import hub_state, out, print_json
from hub.context import cli_actor
from hub.datasets import flows, service
from hub.datasets.schemas import DatasetRead
from hub.db import session_scope
from hub.state import HubState


def register(app: typer.Typer) -> None:
    dataset = typer.Typer(help="Register and inspect datasets.", no_args_is_help=True)
    dataset.command("register")(register_dataset)
    dataset.command("list")(list_datasets)
    dataset.command("show")(show_dataset)
    app.add_typer(dataset, name="dataset")
    app.command("ingest")(ingest)


def register_dataset(
    file: Annotated[Path, typer.Argument(help="Descriptor (YAML or JSON).")],
) -> None:
    """Register a dataset from its descriptor (relative source paths: from the file's folder)."""
    descriptor = service.parse_descriptor_file(file)
    with hub_state() as state, session_scope(state.sessions) as session:
        service.register(
            session,
            descriptor=descriptor,
            actor=cli_actor(),
            source_base=file.resolve().parent,
            via="cli",
        )
    out.print(
        f"registered {descriptor.id} ({descriptor.classification.value}, "
        f"{len(descriptor.fields)} fields, agency {descriptor.agency}); "
        f"next: civichub ingest {descriptor.id}"
    )


def list_datasets(
    agency: Annotated[str | None, typer.Option(help="Only this agency's datasets.")] = None,
) -> None:
    """List registered datasets."""
    table = Table("id", "agency", "classification", "version", "rows", "title")
    with hub_state() as state, session_scope(state.sessions) as session:
        rows, _ = service.list_datasets(session, agency=agency, limit=10_000)
        for d in rows:
            v = service.current_version(session, d)
            table.add_row(
                d.id,
                d.agency_code,
                d.classification,
                str(v.number) if v else "-",
                str(v.rows_written) if v else "-",
                d.title,
            )
    out.print(table)


def show_dataset(dataset: Annotated[str, typer.Argument(help="Dataset id.")]) -> None:
    """Show a dataset's descriptor and current version (JSON)."""
    with hub_state() as state, session_scope(state.sessions) as session:
        d = service.get(session, dataset)
        print_json(DatasetRead.of(d, service.current_version(session, d)).model_dump(mode="json"))


def ingest(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    batch_size: Annotated[int, typer.Option(help="Rows per batch.")] = 5000,
    max_rejected: Annotated[
        float | None, typer.Option(help="Abort above this share of invalid rows (0-1).")
    ] = None,
) -> None:
    """Read the dataset's source into a new version; readers switch to it when it is complete."""
    with hub_state() as state:
        heap.settle()  # this process is the ingest: its startup objects need no collecting
        result = run_ingest(state, dataset, batch_size=batch_size, max_rejected=max_rejected)
    out.print(
        f"{dataset} version {result.version}: read {result.rows_read}, "
        f"written {result.rows_written}, rejected {result.rows_rejected}"
    )
    for sample in result.rejected_sample:
        out.print(f"  rejected row {sample['row']}: {sample['reason']}", highlight=False)


def run_ingest(
    state: HubState,
    dataset_id: str,
    *,
    batch_size: int = 5000,
    max_rejected: float | None = None,
    show_progress: bool = True,
) -> flows.IngestResult:
    with session_scope(state.sessions) as session:
        d = service.get(session, dataset_id)
        base, via = d.source_base, d.registered_via
    context = state.connector_context(base_dir=base, api_registered=via == "api")
    ratio = state.settings.max_rejected_ratio if max_rejected is None else max_rejected
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeElapsedColumn(),
        console=out,
        disable=not show_progress,
        transient=True,
    )
    with progress:
        task = progress.add_task(f"ingest {dataset_id}", total=None, rows=0)

        def report(done: int, total: int | None, unit: str, rows: int) -> None:
            progress.update(task, completed=done, total=total, rows=rows)

        return flows.ingest(
            state.sessions,
            dataset_id=dataset_id,
            actor=cli_actor(),
            cipher=state.cipher,
            context=context,
            batch_size=batch_size,
            max_rejected_ratio=ratio,
            progress=report,
        )
