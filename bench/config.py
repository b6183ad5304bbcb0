"""What one run measures and where it keeps its files; progress lines.

Everything comes from the environment (``BENCH_*``) or the command line, read once in
``Config.from_args``. Nothing here starts anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
#: generated CSVs (kept between runs: same rows and seed, same bytes) and tool installs
CACHE = ROOT / ".cache" / "bench"

PHASES = ("ingest", "lookup", "export", "masking", "publish")
#: the hub and the bare endpoint run with this many uvicorn worker processes, CKAN too
WORKERS = 2
#: CKAN's synchronous gunicorn workers: gunicorn's recommendation, 2 x CPUs + 1
CKAN_WORKERS = 2 * (os.cpu_count() or 1) + 1
CONCURRENCY = 16
#: up to this many rows, whole-dataset passes of the hub are repeated too
REPEAT_UP_TO = 200_000

_started = time.monotonic()


def say(message: str) -> None:
    """One progress line, with the seconds since the run started."""
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").replace("_", "").replace(",", "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {os.environ[name]!r}") from None


@dataclass(frozen=True)
class Config:
    rows: int = 1_000_000
    seed: int = 7
    repeats: int = 3
    #: seconds of each timed load-generator run (after a warm-up)
    seconds: int = 8
    warmup: int = 3
    concurrency: int = CONCURRENCY
    workers: int = WORKERS
    phases: tuple[str, ...] = PHASES
    #: record py-spy profiles of the hub side (not timed) into bench/results/
    profile: bool = False
    keep_csv: bool = True
    work: Path = field(default_factory=lambda: CACHE / f"run-{os.getpid()}")

    @classmethod
    def from_args(cls, argv: list[str] | None = None) -> Config:
        parser = argparse.ArgumentParser(
            prog="python -m bench",
            description="Run the hub side by side with its baselines (docs/performance.md).",
        )
        parser.add_argument("--rows", type=int, default=_int_env("BENCH_ROWS", 1_000_000))
        parser.add_argument("--repeats", type=int, default=_int_env("BENCH_REPEATS", 3))
        parser.add_argument("--seconds", type=int, default=_int_env("BENCH_SECONDS", 8))
        parser.add_argument(
            "--only",
            default=os.environ.get("BENCH_ONLY", ""),
            help=f"comma-separated subset of {', '.join(PHASES)}",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            default=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
            help="also record py-spy profiles of the hub side (untimed runs)",
        )
        args = parser.parse_args(argv)
        phases = tuple(p.strip() for p in args.only.split(",") if p.strip()) or PHASES
        unknown = sorted(set(phases) - set(PHASES))
        if unknown:
            parser.error(f"unknown phase(s) {', '.join(unknown)}; choose from {', '.join(PHASES)}")
        if args.rows < 1000:
            parser.error("--rows must be at least 1000")
        return cls(
            rows=args.rows,
            repeats=max(args.repeats, 1),
            seconds=max(args.seconds, 2),
            phases=tuple(p for p in PHASES if p in phases),
            profile=args.profile,
        )

    def wants(self, phase: str) -> bool:
        return phase in self.phases

    @property
    def full_passes(self) -> int:
        """Timed passes over the whole dataset by the hub (ingest, export, publish).

        Above ``REPEAT_UP_TO`` rows each pass takes minutes: one pass keeps the 1M run
        under 40 minutes on the 2-CPU machine (the baselines still repeat).
        """
        return self.repeats if self.rows <= REPEAT_UP_TO else 1
