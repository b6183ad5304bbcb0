"""Medians, ratios, targets; the printed table and ``bench/results/latest.json``.

``latest.json`` holds exactly the six comparisons, each ``{"value", "baseline", "ratio",
"unit", "rows"}`` (ratio = value / baseline, higher is better; ``publish`` has no
baseline). Everything else a run measured (each repetition, latencies, memory, the
machine) goes to ``latest-details.json`` and ``rows-<N>.json`` next to it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import RESULTS, Config

KEYS = (
    "lookup_vs_bare",
    "lookup_vs_ckan",
    "export_vs_copy",
    "ingest_vs_copy",
    "masking_vs_presidio",
    "publish",
)
#: the issue's targets (for 1,000,000 rows on PostgreSQL): least ratio
RATIO_TARGETS = {
    "lookup_vs_bare": 0.5,
    "lookup_vs_ckan": 10.0,
    "export_vs_copy": 0.5,
    "ingest_vs_copy": 0.3,
    "masking_vs_presidio": 100.0,
}
RSS_TARGET_MB = 200.0
LABELS = {
    "lookup_vs_bare": "lookup: hub vs bare FastAPI",
    "lookup_vs_ckan": "lookup: hub vs CKAN datastore_search",
    "export_vs_copy": "export: hub (slower of NDJSON, CSV) vs COPY TO",
    "ingest_vs_copy": "ingest: hub vs COPY FROM",
    "masking_vs_presidio": "masking: treatments vs Presidio per cell",
    "publish": "publish: de-identify + CKAN",
}


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def stages_per_100k(work: dict[str, Any]) -> str:
    """``bench.ingest.python_work``'s seconds per stage, scaled to 100,000 rows."""
    return ", ".join(
        f"{stage} {spent * 100_000 / work['rows']:.2f} s"
        for stage, spent in work["seconds"].items()
    )


@dataclass
class Comparison:
    value: float | None
    baseline: float | None
    unit: str
    rows: int

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "value": _round(self.value),
            "baseline": _round(self.baseline),
            "ratio": None if ratio is None else round(ratio, 4),
            "unit": self.unit,
            "rows": self.rows,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class Results:
    config: Config
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    #: other work on the machine skews every number: the load average is recorded
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    # -- verdicts -------------------------------------------------------------------
    def verdicts(self) -> list[tuple[str, str, bool | None]]:
        """(what, target, passed) for each target; passed None when not measured."""
        out: list[tuple[str, str, bool | None]] = []
        for key, least in RATIO_TARGETS.items():
            c = self.comparisons.get(key)
            ratio = c.ratio if c else None
            out.append((LABELS[key], f">= {least:g}x", None if ratio is None else ratio >= least))
        rss = (self.details.get("export") or {}).get("worker_peak_rss_mb")
        out.append(
            (
                "export: peak RSS of the serving worker",
                f"< {RSS_TARGET_MB:.0f} MB",
                None if rss is None else rss < RSS_TARGET_MB,
            )
        )
        return out

    # -- output ---------------------------------------------------------------------
    def table(self) -> str:
        rows = self.config.rows
        lines = [
            f"Civic Data Hub benchmark: {rows:,} rows, medians of {self.config.repeats} runs, "
            f"concurrency {self.config.concurrency}, {self.config.workers} workers",
            "",
            f"{'measure':<48}{'hub':>14}{'baseline':>14}{'ratio':>9}  unit",
        ]
        for key in KEYS:
            c = self.comparisons.get(key)
            if c is None:
                why = self.errors.get(_phase(key), "not run")
                lines.append(f"{LABELS[key]:<48}{'-':>14}{'-':>14}{'-':>9}  ({why[:60]})")
                continue
            ratio = "-" if c.ratio is None else f"{c.ratio:.2f}x"
            base = "-" if c.baseline is None else f"{c.baseline:,.0f}"
            value = "-" if c.value is None else f"{c.value:,.0f}"
            lines.append(f"{LABELS[key]:<48}{value:>14}{base:>14}{ratio:>9}  {c.unit}")
        load = f"{self.load_at_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        lines += ["", *self._detail_lines(), f"machine load average {load}"]
        lines += ["", "targets (set for 1,000,000 rows):"]
        for what, target, passed in self.verdicts():
            verdict = "n/a" if passed is None else ("PASS" if passed else "MISS")
            lines.append(f"  {verdict:<5} {what:<48} {target}")
        if rows != 1_000_000:
            lines.append(f"  (this run has {rows:,} rows: the verdicts are indicative)")
        for phase, message in self.errors.items():
            lines.append(f"ERROR in {phase}: {message}")
        return "\n".join(lines)

    def _detail_lines(self) -> list[str]:
        out = []
        lookup = self.details.get("lookup") or {}
        for name in ("hub", "bare", "ckan"):
            d = lookup.get(name)
            if d:
                line = (
                    f"lookup {name:<5} {d['rps']:>9,.0f} req/s   p50 {d['p50_ms']:6.1f} ms   "
                    f"p99 {d['p99_ms']:6.1f} ms"
                )
                if cpu := d.get("cpu_ms"):  # on a saturated machine, rps is CPUs / this
                    line += (
                        f"   CPU {cpu['total']:.2f} ms/request (server {cpu['server']:.2f}, "
                        f"PostgreSQL {cpu['postgres']:.2f}, wrk {cpu['load']:.2f})"
                    )
                out.append(line)
        export = self.details.get("export") or {}
        for name in ("ndjson", "csv", "copy"):
            d = export.get(name)
            if d:
                out.append(f"export {name:<6} {d['rows_per_s']:>9,.0f} rows/s")
        if export.get("server_peak_rss_mb") is not None:
            out.append(
                f"export server RSS: serving worker peak {export['worker_peak_rss_mb']:.0f} MB; "
                f"all {len(export['processes'])} processes {export['server_idle_rss_mb']:.0f} MB "
                f"idle, {export['server_peak_rss_mb']:.0f} MB peak"
            )
        out += self._ceiling_lines()
        publish = self.details.get("publish") or {}
        if publish.get("seconds"):
            out.append(
                f"publish {publish['rows_in']:,} rows in {median(publish['seconds']):.1f} s "
                f"({publish['rows_out']:,} published, k={publish['k']})"
            )
        return out

    def _ceiling_lines(self) -> list[str]:
        """What bounds each ratio whatever the hub does: its baselines against each other,
        and Python's own cost of moving and decrypting the same rows (measured in the run)."""
        out = []
        lookup = self.details.get("lookup") or {}
        if lookup.get("bare") and lookup.get("ckan"):
            bare_vs_ckan = lookup["bare"]["rps"] / lookup["ckan"]["rps"]
            out.append(f"ceiling  lookup: the bare endpoint itself is {bare_vs_ckan:.2f}x CKAN")
        export = self.details.get("export") or {}
        floor, copy = export.get("python_floor"), (export.get("copy") or {}).get("rows_per_s")
        if floor and copy:
            out.append(
                f"ceiling  export: Python fetching the copied columns "
                f"{floor['fetch_rows_per_s'] / copy:.2f}x COPY TO; fetching and decrypting "
                f"{floor['decrypted_fields']} fields per row "
                f"{floor['fetch_decrypt_rows_per_s'] / copy:.2f}x"
            )
        work = (self.details.get("ingest") or {}).get("python_work")
        ingest = self.comparisons.get("ingest_vs_copy")
        if work and ingest and ingest.baseline:
            out.append(
                f"ceiling  ingest: the hub's Python work alone, no database, "
                f"{work['rows_per_s'] / ingest.baseline:.2f}x COPY FROM "
                f"({stages_per_100k(work)} per 100k rows)"
            )
        return out

    def write(self, folder: Path = RESULTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        latest = {key: c.as_json() for key, c in self.comparisons.items()}
        (folder / "latest.json").write_text(json.dumps(latest, indent=2) + "\n")
        full = {
            "rows": self.config.rows,
            "repeats": self.config.repeats,
            "seconds_per_load_run": self.config.seconds,
            "concurrency": self.config.concurrency,
            "workers": self.config.workers,
            "phases": list(self.config.phases),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "wall_seconds": round(time.time() - self.started, 1),
            "machine": machine(),
            "load_average": {"start": self.load_at_start, "end": os.getloadavg()},
            "comparisons": latest,
            "verdicts": [{"what": w, "target": t, "passed": p} for w, t, p in self.verdicts()],
            "details": self.details,
            "errors": self.errors,
        }
        text = json.dumps(full, indent=2, default=str) + "\n"
        (folder / "latest-details.json").write_text(text)
        (folder / f"rows-{self.config.rows}.json").write_text(text)
        return folder / "latest.json"


def _phase(key: str) -> str:
    return key.split("_vs_")[0]


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
