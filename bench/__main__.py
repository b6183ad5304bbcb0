"""``python -m bench`` (``make bench``): the hub side by side with its baselines.

    BENCH_ROWS=20000 python -m bench            # smoke run, a few minutes
    python -m bench --rows 100000 --only lookup,export
    BENCH_PROFILE=1 python -m bench             # also py-spy profiles of the hub side

One run: a synthetic population CSV (cached), a fresh PostgreSQL database, the hub
initialized in it; then, each against its baseline in the same run: ingest, lookup,
export, masking, publish. Prints a table of medians, ratios and PASS/MISS per target;
writes bench/results/latest.json (and latest-details.json). Whatever happens, the servers
and CKAN are stopped and the databases dropped. The method: docs/performance.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import ckan as ckan_mod
from bench import data, export, ingest, lookup, masking, publish, tools
from bench.config import CACHE, CKAN_WORKERS, Config, say
from bench.report import Results


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every cleanup below runs."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _reap_work_dirs() -> None:
    for folder in CACHE.glob("run-*"):
        pid = folder.name.removeprefix("run-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _phase(results: Results, name: str, fn: Callable[[], None]) -> bool:
    say(f"--- {name}")
    try:
        fn()
        return True
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        traceback.print_exc()
        results.errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        say(f"{name}: FAILED ({results.errors[name]})")
        return False


def run(cfg: Config, results: Results) -> None:
    needs_ckan = cfg.wants("lookup") or cfg.wants("publish")
    wrk = tools.ensure_wrk() if cfg.wants("lookup") else ""
    if needs_ckan:
        tools.ensure_ckan()
    if cfg.profile:
        tools.ensure_py_spy()
    csv_path = data.population_csv(cfg.rows, cfg.seed)
    user = data.superuser()
    with contextlib.ExitStack() as stack:
        db_name = stack.enter_context(data.fresh_database(user))
        hub = data.setup_hub(user, db_name, cfg.work, csv_path, cfg.rows)
        stack.callback(hub.close)
        ckan = (
            stack.enter_context(ckan_mod.instance(cfg.work, CKAN_WORKERS)) if needs_ckan else None
        )
        if cfg.wants("ingest"):
            _phase(results, "ingest", lambda: ingest.run(cfg, hub, results))
        if not _has_data(hub) and {"lookup", "export", "publish"} & set(cfg.phases):
            ingest.ensure_ingested(hub)
        if ckan is not None and cfg.wants("lookup"):
            ckan_mod.load_datastore(ckan, csv_path, cfg.rows)
        if cfg.wants("lookup"):
            _phase(results, "lookup", lambda: lookup.run(cfg, hub, ckan, wrk, results))
        if cfg.wants("export"):
            _phase(results, "export", lambda: export.run(cfg, hub, results))
        if cfg.wants("masking"):
            _phase(results, "masking", lambda: masking.run(cfg, hub, results))
        if cfg.wants("publish") and ckan is not None:
            _phase(results, "publish", lambda: publish.run(cfg, hub, ckan, results))


def _has_data(hub: data.Hub) -> bool:
    try:
        hub.current_table()
        return True
    except AssertionError:
        return False


def main(argv: list[str] | None = None) -> int:
    cfg = Config.from_args(argv)
    _reap_work_dirs()
    cfg.work.mkdir(parents=True, exist_ok=True)
    results = Results(cfg)
    say(
        f"bench: {cfg.rows:,} rows, phases {', '.join(cfg.phases)}, {cfg.repeats} repeats, "
        f"{os.cpu_count()} CPUs; work folder {cfg.work}"
    )
    failed = False
    try:
        with _terminate_as_interrupt():
            run(cfg, results)
    except KeyboardInterrupt:
        say("bench: interrupted; everything it started has been stopped and dropped")
        return 130
    except Exception as exc:
        traceback.print_exc()
        results.errors["setup"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        failed = True
    finally:
        if not results.errors:
            shutil.rmtree(cfg.work, ignore_errors=True)
        else:
            say(f"bench: logs kept in {cfg.work / 'logs'}")
    print(results.table())
    path = results.write()
    say(f"bench: wrote {path}")
    return 1 if failed or results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
