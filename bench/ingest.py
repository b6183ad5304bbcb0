"""Ingest: the CSV into a new dataset version, against ``COPY ... FROM`` of the same file.

Hub: ``hub.datasets.flows.ingest`` in this process, as ``civichub ingest`` runs it (startup
objects frozen first, ``hub.heap.settle``; CSV connector, row validation, AES-GCM per
personal field, blind indexes, batches of 5,000 each in its own transaction, the switch and
its audit entry). Each repetition makes a new version; the last one stays current for the
phases that follow.

Baseline: ``COPY bench_copy FROM STDIN (FORMAT csv, HEADER)`` through psycopg from the same
file into a plain typed table with the citizen id as primary key, in the same database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from bench import profiling
from bench.config import Config, say
from bench.data import DATASET, Hub
from bench.report import Comparison, Results, median, stages_per_100k
from connectors import registry
from connectors.validate import RowValidator
from hub import heap
from hub.context import cli_actor
from hub.datasets import flows, staging, tables
from hub.datasets import service as datasets
from hub.db import session_scope

T = TypeVar("T")

COPY_TABLE = "bench_copy"
COPY_DDL = f"""
CREATE TABLE {COPY_TABLE} (
    citizen_id text PRIMARY KEY,
    full_name text NOT NULL,
    date_of_birth date NOT NULL,
    gender text NOT NULL,
    phone text,
    address text,
    ward text NOT NULL,
    ethnicity text,
    notes text
)
"""


def hub_ingest(hub: Hub) -> tuple[float, int]:
    """One ingest of the whole CSV; (seconds, rows written)."""
    state = hub.state
    context = state.connector_context(base_dir=str(hub.csv.parent), api_registered=False)
    heap.settle()  # as `civichub ingest` does before it starts (hub/heap.py)
    started = time.perf_counter()
    result = flows.ingest(
        state.sessions,
        dataset_id=DATASET,
        actor=cli_actor(),
        context=context,
        cipher=state.cipher,
        source=hub.source(),
        max_rejected_ratio=state.settings.max_rejected_ratio,
    )
    seconds = time.perf_counter() - started
    if result.rows_rejected:
        say(f"ingest: {result.rows_rejected} rows rejected, e.g. {result.rejected_sample[:2]}")
    return seconds, result.rows_written


def copy_from(hub: Hub) -> tuple[float, int]:
    with psycopg.connect(hub.libpq_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        conn.execute(COPY_DDL)
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            with (
                cur.copy(f"COPY {COPY_TABLE} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                hub.csv.open("rb") as data,
            ):
                while block := data.read(1 << 20):
                    copy.write(block)
            rows = cur.rowcount
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {COPY_TABLE}")
    return seconds, rows


def python_work(hub: Hub, batch_size: int = 5000) -> dict[str, float]:
    """The hub's own work on the file, with no database: read (the CSV connector), validate
    (``RowValidator``), encrypt and index (``tables.encode_rows``) and format as COPY text
    (``staging.stage``), batch by batch in one thread as an ingest does (``batch_size`` is
    ``flows.ingest``'s). An ingest in one process cannot beat it. Seconds per stage."""
    with session_scope(hub.state.sessions) as session:
        descriptor = datasets.descriptor_of(datasets.get(session, DATASET))
    lay = tables.layout(DATASET, descriptor.fields, descriptor.primary_key)
    context = hub.state.connector_context(base_dir=str(hub.csv.parent), api_registered=False)
    source = registry.open_source(hub.source(), context=context, fields=descriptor.fields)
    validator = RowValidator(descriptor.fields, descriptor.primary_key)
    spent = dict.fromkeys(("read", "validate", "encrypt", "format"), 0.0)

    def timed(stage: str, step: Callable[..., T], *args: Any, **kw: Any) -> T:
        mark = time.perf_counter()
        out = step(*args, **kw)
        spent[stage] += time.perf_counter() - mark
        return out

    rows = 0
    heap.settle()
    batches = source.batches(batch_size)
    while (batch := timed("read", next, batches, None)) is not None:
        valid, _ = timed("validate", validator.validate, batch)
        encoded = timed("encrypt", tables.encode_rows, lay, valid, hub.state.cipher)
        timed("format", staging.stage, encoded, copy=True)
        rows += len(batch)
    return {"rows": rows, "rows_per_s": rows / sum(spent.values()), "seconds": spent}


def run(cfg: Config, hub: Hub, results: Results) -> None:
    hub_rates: list[float] = []
    copy_rates: list[float] = []
    runs: list[dict[str, float]] = []
    copy_runs: list[float] = []
    for rep in range(1, cfg.repeats + 1):
        if rep <= cfg.full_passes:  # one pass of the hub above 200k rows (config.py)
            seconds, rows = hub_ingest(hub)
            hub_rates.append(rows / seconds)
            runs.append({"seconds": seconds, "rows": rows})
            say(
                f"ingest: hub run {rep}/{cfg.full_passes}: {rows:,} rows in {seconds:.1f} s "
                f"({rows / seconds:,.0f} rows/s)"
            )
        copy_seconds, copy_rows = copy_from(hub)
        copy_rates.append(copy_rows / copy_seconds)
        copy_runs.append(copy_seconds)
        say(
            f"ingest: COPY FROM run {rep}/{cfg.repeats}: {copy_rows:,} rows in "
            f"{copy_seconds:.1f} s ({copy_rows / copy_seconds:,.0f} rows/s)"
        )
    if cfg.profile:
        results.details.setdefault("profiles", {})["ingest"] = profiling.record(
            None,
            lambda: hub_ingest(hub),
            name=f"ingest-{hub.rows}",
            seconds=median([r["seconds"] for r in runs]) + 1,
        )
    results.comparisons["ingest_vs_copy"] = Comparison(
        median(hub_rates), median(copy_rates), "rows/s", hub.rows
    )
    work = python_work(hub)
    say(
        f"ingest: the hub's Python work alone {work['rows_per_s']:,.0f} rows/s "
        f"({stages_per_100k(work)} per 100k rows)"
    )
    results.details["ingest"] = {
        "python_work": work,
        "hub_rows_per_s": hub_rates,
        "copy_rows_per_s": copy_rates,
        "hub_runs": runs,
        "copy_seconds": copy_runs,
    }


def ensure_ingested(hub: Hub) -> None:
    """One untimed ingest, when the ingest phase is not part of the run."""
    seconds, rows = hub_ingest(hub)
    say(f"ingest (setup, untimed): {rows:,} rows in {seconds:.1f} s")
