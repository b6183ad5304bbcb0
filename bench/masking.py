"""Masking: typed-column treatments on batches against Presidio per cell, same values.

Typed: ``policies.treatments.apply`` with the treatments of the statistics rule of
bench/policy.yaml that change a value (pseudonymize the citizen id, mask the name and the
phone, birth date to year, address to province), on batches of 2,000 rows (the export's
batch size), one pass over 200,000 synthetic residents (the same rows whatever
``BENCH_ROWS``: several passes over a small dataset would be flattered by the address
caches of ``policies.geo``), in this process.

Presidio: the anonymizer engine (``anonymizer.engine.PiiEngine``: analyze, then redact)
on each cell of the same columns as text. It is three to four orders of magnitude slower,
so it runs on a sample of the same cells (the first 400 of each column) and its cells
per second are extrapolated from that sample.

``prepare`` and ``compare`` are the measurement; ``run`` is the ``python -m bench`` phase,
and ``bench/pii.py`` prints the same comparison next to the analyzer's own throughput.
"""

from __future__ import annotations

import csv
import os
import time
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from bench.config import Config, say
from bench.data import DESCRIPTOR, POLICY, Hub, population_csv
from bench.report import Comparison, Results, median
from hub.datasets.service import parse_descriptor_file
from policies.model import load_policy
from policies.treatment_kinds import Drop, Keep
from policies.treatments import TreatmentContext, apply

ROWS = 200_000
BATCH = 2000
PRESIDIO_CELLS_PER_COLUMN = 400


def _columns(path: Path, names: list[str], rows: int) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {n: [] for n in names}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in islice(csv.DictReader(handle), rows):
            for name in names:
                value: Any = row[name] or None
                if name == "date_of_birth" and value:
                    value = date.fromisoformat(value)
                columns[name].append(value)
    return columns


def _treatments() -> tuple[dict[str, Any], TreatmentContext]:
    descriptor = parse_descriptor_file(DESCRIPTOR)
    policy = load_policy(POLICY.read_bytes(), source=str(POLICY), descriptor=descriptor)
    rule = next(r for r in policy.rules if r.id == "statistics-export")
    treatments = {name: t for name, t in rule.fields.items() if not isinstance(t, Keep | Drop)}
    ctx = TreatmentContext.for_dataset(
        descriptor, pseudonym_key=os.urandom(32), today=date(2026, 1, 1)
    )
    return treatments, ctx


def typed_rate(
    treatments: dict[str, Any], ctx: TreatmentContext, columns: dict[str, list[Any]]
) -> float:
    """Cells per second over one pass of the columns, batch by batch."""
    n = len(next(iter(columns.values())))
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        batch = {name: values[start : start + BATCH] for name, values in columns.items()}
        apply(treatments, batch, ctx)
    return n * len(columns) / (time.perf_counter() - started)


def presidio_rate(engine: Any, cells: list[str]) -> float:
    started = time.perf_counter()
    for text in cells:
        engine.redact(text, "vi")
    return len(cells) / (time.perf_counter() - started)


def prepare(
    source: Path, rows: int
) -> tuple[dict[str, Any], TreatmentContext, dict[str, list[Any]], list[str]]:
    """Treatments, their context, the columns they change (``rows`` rows of ``source``)
    and the Presidio sample: the first cells of each of those columns, as text."""
    treatments, ctx = _treatments()
    columns = _columns(source, list(treatments), rows)
    sample = [
        v.isoformat() if isinstance(v, date) else str(v)
        for values in columns.values()
        for v in values[:PRESIDIO_CELLS_PER_COLUMN]
        if v is not None
    ]
    return treatments, ctx, columns, sample


def compare(
    engine: Any,
    treatments: dict[str, Any],
    ctx: TreatmentContext,
    columns: dict[str, list[Any]],
    sample: list[str],
    repeats: int,
) -> tuple[list[float], list[float]]:
    """Typed cells/s and Presidio cells/s, ``repeats`` interleaved runs of each."""
    engine.redact(sample[0], "vi")  # warm: the engine is built on first use
    apply(treatments, {n: v[-BATCH:] for n, v in columns.items()}, ctx)  # and the gazetteer
    rows = len(next(iter(columns.values())))
    typed, presidio = [], []
    for rep in range(1, repeats + 1):
        typed.append(typed_rate(treatments, ctx, columns))
        presidio.append(presidio_rate(engine, sample))
        say(
            f"masking: run {rep}/{repeats}: treatments {typed[-1]:,.0f} cells/s "
            f"({rows:,} rows x {len(columns)} columns); Presidio {presidio[-1]:,.0f} cells/s "
            f"(sample of {len(sample):,} cells)"
        )
    return typed, presidio


def run(cfg: Config, hub: Hub, results: Results) -> None:
    source = hub.csv if hub.rows >= ROWS else population_csv(ROWS, cfg.seed)
    rows = ROWS
    treatments, ctx, columns, sample = prepare(source, rows)
    from anonymizer import get_engine

    typed, presidio = compare(get_engine(), treatments, ctx, columns, sample, cfg.repeats)
    results.comparisons["masking_vs_presidio"] = Comparison(
        median(typed), median(presidio), "cells/s", rows
    )
    per_column = {  # one untimed-for-the-ratio pass per column: where the time goes
        name: round(typed_rate({name: t}, ctx, {name: columns[name]}))
        for name, t in treatments.items()
    }
    say(f"masking: cells/s per column: {per_column}")
    results.details["masking"] = {
        "columns": {name: t.kind for name, t in treatments.items()},
        "typed_cells_per_s_by_column": per_column,
        "typed_rows": rows,
        "typed_cells_per_s": typed,
        "presidio_sample_cells": len(sample),
        "presidio_cells_per_s": presidio,
        "presidio_extrapolated": True,
    }
