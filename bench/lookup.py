"""Lookup by primary key under load: the hub against a bare endpoint and CKAN.

- hub: ``GET /v1/datasets/population-registry/records/{citizen id}?purpose=tax-administration``
  with a bearer JWT: token check, the policy decision (the tax rule of bench/policy.yaml,
  as shipped in examples/), blind-index SELECT, decryption, treatments (remarks through
  the PII analyzer, birth year, masked phone), the audit entry committed before the answer;
- bare: the same SELECT on the same table (``bench/bare.py``), nothing else;
- ckan: ``datastore_search`` with ``filters={"citizen_id": ...}`` on the same rows in
  CKAN's DataStore, anonymous (the package is public open data).

wrk sends keys drawn evenly from the whole dataset, round-robin, at a fixed concurrency
on keep-alive connections; each system gets a warm-up, then the timed runs interleave
(hub, bare, ckan, hub, ...) so that drift of the machine hits all three alike.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import cpu, load, profiling, servers
from bench.ckan import Ckan
from bench.config import Config, say
from bench.data import DATASET, LOOKUP_CALLER, Hub, sample_keys, visible_fields
from bench.report import Comparison, Results, median

SAMPLED_KEYS = 5000
#: a timed run with more non-2xx answers than this share is refused
MAX_ERROR_SHARE = 0.001


@dataclass
class Target:
    name: str
    url: str
    paths: Path
    headers: dict[str, str]
    #: the server's root process, whose tree's CPU is metered (``bench.cpu``)
    pid: int | None = None


def bare_env(hub: Hub) -> dict[str, str]:
    table, _, key_column = hub.current_table()
    columns = [*visible_fields("tax-identity-check"), key_column]
    return {
        "BENCH_BARE_DATABASE_URL": hub.settings.database_url,
        "BENCH_BARE_KEYS_DIR": str(hub.settings.keys_dir),
        "BENCH_BARE_TABLE": table,
        "BENCH_BARE_COLUMNS": ",".join(columns),
        "BENCH_BARE_KEY_COLUMN": key_column,
        "BENCH_BARE_DOMAIN": "VN_CCCD",
    }


def _check(target: Target, key: str, path: str) -> None:
    """One request by hand: the answer is the record asked for, treated as expected."""
    response = httpx.get(target.url + path, headers=target.headers, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(
            f"{target.name}: {path} answered {response.status_code}: {response.text[:300]}"
        )
    body = response.json()
    if target.name == "hub":
        ok = body.get("citizen_id") == key and str(body.get("phone") or "*").startswith("*")
    elif target.name == "bare":
        ok = "citizen_id__bi" in body
    else:
        records = body["result"]["records"]
        ok = len(records) == 1 and records[0]["citizen_id"] == key
    if not ok:
        raise RuntimeError(f"{target.name}: unexpected answer for {key}: {str(body)[:300]}")


def _targets(
    cfg: Config, hub: Hub, ckan: Ckan | None, keys: list[str], running: dict[str, tuple[str, int]]
) -> list[Target]:
    """What wrk sends to each system; ``running`` has each one's URL and server pid."""
    folder = cfg.work / "load"
    token = hub.token(LOOKUP_CALLER)
    purpose = LOOKUP_CALLER["purpose"]
    paths = {
        "hub": [f"/v1/datasets/{DATASET}/records/{k}?purpose={purpose}" for k in keys],
        "bare": [f"/v1/datasets/{DATASET}/records/{k}" for k in keys],
    }
    headers: dict[str, dict[str, str]] = {"hub": {"Authorization": f"Bearer {token}"}}
    if ckan is not None:
        paths["ckan"] = [ckan.search_path(k) for k in keys]
    targets = []
    for name, p in paths.items():
        url, pid = running[name]
        target = Target(name, url, load.write_paths(folder, name, p), headers.get(name, {}), pid)
        _check(target, keys[0], p[0])
        targets.append(target)
    return targets


def _wrk(wrk: str, cfg: Config, target: Target, seconds: int) -> load.LoadResult:
    return load.run(
        wrk,
        target.url,
        target.paths,
        seconds=seconds,
        concurrency=cfg.concurrency,
        headers=target.headers,
    )


def _timed(
    wrk: str, cfg: Config, targets: list[Target]
) -> dict[str, list[tuple[load.LoadResult, cpu.Spent]]]:
    """Warm-up of each, then ``repeats`` rounds of hub, bare, ckan (interleaved)."""
    for t in targets:
        _wrk(wrk, cfg, t, cfg.warmup)
    say(
        f"lookup: checked and warmed up {', '.join(t.name for t in targets)}; "
        f"{cfg.repeats} x {cfg.seconds} s each at concurrency {cfg.concurrency}"
    )
    runs: dict[str, list[tuple[load.LoadResult, cpu.Spent]]] = {t.name: [] for t in targets}
    for rep in range(1, cfg.repeats + 1):
        for t in targets:
            meter = cpu.Meter(t.pid)
            meter.start()
            result = _wrk(wrk, cfg, t, cfg.seconds)
            spent = meter.stop()
            say(f"lookup: {t.name:<4} run {rep}/{cfg.repeats}: {result.line()}")
            if result.non_2xx + result.socket_errors > MAX_ERROR_SHARE * result.requests:
                raise RuntimeError(f"{t.name}: {result.line()}; see {cfg.work / 'logs'}")
            runs[t.name].append((result, spent))
    return runs


def run(cfg: Config, hub: Hub, ckan: Ckan | None, wrk: str, results: Results) -> None:
    keys = sample_keys(hub.csv, min(SAMPLED_KEYS, hub.rows), cfg.seed)
    logs = cfg.work / "logs"
    with contextlib.ExitStack() as stack:
        hub_server = stack.enter_context(
            servers.running(lambda: servers.hub_server(hub.env(), cfg.workers, logs / "hub.log"))
        )
        bare_server = stack.enter_context(
            servers.running(
                lambda: servers.bare_server(bare_env(hub), cfg.workers, logs / "bare.log")
            )
        )
        running = {
            "hub": (hub_server.url, hub_server.pid),
            "bare": (bare_server.url, bare_server.pid),
        }
        if ckan is not None:
            running["ckan"] = (ckan.url, ckan.server.pid)
        targets = _targets(cfg, hub, ckan, keys, running)
        runs = _timed(wrk, cfg, targets)
        if cfg.profile:
            results.details.setdefault("profiles", {})["lookup"] = profiling.record(
                hub_server,
                lambda: _wrk(wrk, cfg, targets[0], cfg.seconds),
                name=f"lookup-{hub.rows}",
                seconds=cfg.seconds,
            )
    summary = {name: _summary(r) for name, r in runs.items()}
    results.details["lookup"] = summary
    hub_rps = summary["hub"]["rps"]
    results.comparisons["lookup_vs_bare"] = Comparison(
        hub_rps, summary["bare"]["rps"], "req/s", hub.rows
    )
    if "ckan" in summary:
        results.comparisons["lookup_vs_ckan"] = Comparison(
            hub_rps, summary["ckan"]["rps"], "req/s", hub.rows
        )


def _summary(runs: list[tuple[load.LoadResult, cpu.Spent]]) -> dict[str, Any]:
    results = [r for r, _ in runs]
    per_request = [spent.per_request_ms(r.requests) for r, spent in runs]
    return {
        "rps": median([r.rps for r in results]),
        "p50_ms": median([r.p50_ms for r in results]),
        "p90_ms": median([r.p90_ms for r in results]),
        "p99_ms": median([r.p99_ms for r in results]),
        # CPU milliseconds one request cost, by side: the median of each side over the runs
        "cpu_ms": {side: median([c[side] for c in per_request]) for side in per_request[0]},
        "runs": [
            asdict(r) | {"rps": r.rps, "cpu_ms": c}
            for r, c in zip(results, per_request, strict=True)
        ],
    }
