"""Export: the whole dataset through the API, masked, against PostgreSQL ``COPY TO``.

Hub: ``GET /v1/datasets/population-registry/records?format=ndjson`` (and ``format=csv``)
as a statistician (the statistics rule of bench/policy.yaml: pseudonymized id, masked
name and phone, birth year, province; no ``max_rows``), streamed by a real server
(uvicorn, same workers as for lookups, started fresh for this phase) to a client in this
process that reads every byte. The server streams in keyset-paginated batches, each
decrypted, treated and audited before it is sent.

Memory: every process of the server's tree (uvicorn's supervisor and workers) is sampled
every 50 ms while the exports run; reported are the largest sum of their RSS at one
instant and the largest VmHWM of any one process.

Baseline: ``COPY (SELECT <the same stored columns> FROM <the version's table>) TO STDOUT
(FORMAT csv)`` through psycopg, read to the end, unmasked (ciphertexts as stored).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg

from bench import profiling, servers
from bench.config import Config, say
from bench.data import DATASET, EXPORT_CALLER, Hub, visible_fields
from bench.report import Comparison, Results, median
from hub.crypto import aad

FORMATS = ("ndjson", "csv")


def export_once(url: str, token: str, fmt: str) -> tuple[float, int]:
    """One export read to the end; (seconds, rows)."""
    params = {"format": fmt, "purpose": EXPORT_CALLER["purpose"]}
    headers = {"Authorization": f"Bearer {token}"}
    newlines = 0
    started = time.perf_counter()
    with httpx.stream(
        "GET",
        f"{url}/v1/datasets/{DATASET}/records",
        params=params,
        headers=headers,
        timeout=httpx.Timeout(60, read=300),
    ) as response:
        if response.status_code != 200:
            response.read()
            raise RuntimeError(f"export {fmt}: {response.status_code} {response.text[:300]}")
        for chunk in response.iter_raw(1 << 16):
            newlines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    return seconds, newlines - (1 if fmt == "csv" else 0)  # CSV: minus the header


def warm_up(url: str, token: str, workers: int) -> None:
    """Small reads on several connections at once, so that every worker has built what it
    builds on first use (the PII engine, about 3 s) before anything is timed."""
    params = {"purpose": EXPORT_CALLER["purpose"], "limit": 1}
    headers = {"Authorization": f"Bearer {token}"}

    def one(_: int) -> int:
        with httpx.Client(timeout=60) as client:
            return client.get(
                f"{url}/v1/datasets/{DATASET}/records", params=params, headers=headers
            ).status_code

    with ThreadPoolExecutor(4 * workers) as pool:
        codes = list(pool.map(one, range(8 * workers)))
    if set(codes) != {200}:
        raise RuntimeError(f"export warm-up answered {sorted(set(codes))}")


def copy_to(hub: Hub) -> tuple[float, int]:
    table, columns, key_column = hub.current_table()
    names = ", ".join(f'"{c}"' for c in _copied(columns, key_column))
    sql = f'COPY (SELECT {names} FROM "{table}") TO STDOUT WITH (FORMAT csv)'
    newlines = 0
    with psycopg.connect(hub.libpq_url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(sql) as copy:
            for block in copy:
                newlines += bytes(block).count(b"\n")
        seconds = time.perf_counter() - started
        rows = cur.rowcount if cur.rowcount and cur.rowcount > 0 else newlines
    return seconds, rows


def python_floor(hub: Hub) -> dict[str, float]:
    """What any Python server pays before its own work: the stored columns ``COPY`` sends,
    fetched through psycopg in the export's batches, then the personal fields among them
    decrypted with the hub's cipher (``FieldCipher.decrypt_column``, as the export does),
    nothing else: no policy, treatment, encoding, audit or HTTP. Rows/s of each."""
    lay, table = hub.current_layout()
    columns = [c.name for c in lay.table(table).columns]
    names = _copied(columns, lay.key_column)
    key_at = names.index(lay.key_column)
    personal = [
        (i, aad(lay.dataset, name, ""))
        for i, name in enumerate(names)
        if name in lay.by_name and lay.encrypted(name)
    ]
    cipher, batch = hub.state.cipher, hub.settings.export_batch_size
    selected = ", ".join(f'"{n}"' for n in names)
    fetching = decrypting = 0.0
    rows = 0
    with psycopg.connect(hub.libpq_url) as conn, conn.cursor(name="floor") as cur:
        started = time.perf_counter()
        cur.execute(f'SELECT {selected} FROM "{table}"')
        while True:
            fetched = cur.fetchmany(batch)
            split = time.perf_counter()
            fetching += split - started
            if not fetched:
                break
            by_position = list(zip(*fetched, strict=True))
            keys = [k.encode() for k in by_position[key_at]]
            for i, prefix in personal:
                cipher.decrypt_column(by_position[i], [prefix + k for k in keys])
            rows += len(fetched)
            started = time.perf_counter()
            decrypting += started - split
    _check_rows("the floor's SELECT", rows, hub.rows)
    return {
        "fetch_rows_per_s": rows / fetching,
        "fetch_decrypt_rows_per_s": rows / (fetching + decrypting),
        "decrypted_fields": len(personal),
    }


def _copied(columns: list[str], key_column: str) -> list[str]:
    """The stored columns the baseline copies, in table order: the statistics rule's fields
    and the key."""
    wanted = {*visible_fields("statistics-export"), key_column}
    return [c for c in columns if c in wanted]


def run(cfg: Config, hub: Hub, results: Results) -> None:
    token = hub.token(EXPORT_CALLER)
    rates: dict[str, list[float]] = {f: [] for f in (*FORMATS, "copy")}
    log = cfg.work / "logs" / "hub-export.log"
    with servers.running(lambda: servers.hub_server(hub.env(), cfg.workers, log)) as server:
        idle = servers.MemorySampler(server)
        idle.sample()
        warm_up(server.url, token, cfg.workers)
        with servers.MemorySampler(server) as memory:
            for rep in range(1, cfg.repeats + 1):
                if rep <= cfg.full_passes:  # one pass of the hub above 200k rows (config.py)
                    for fmt in FORMATS:
                        rates[fmt].append(_export(server, token, fmt, hub.rows, rep, cfg))
                seconds, rows = copy_to(hub)
                _check_rows("COPY", rows, hub.rows)
                rates["copy"].append(rows / seconds)
                say(
                    f"export: COPY   run {rep}/{cfg.repeats}: {rows:,} rows in {seconds:.1f} s "
                    f"({rows / seconds:,.0f} rows/s)"
                )
        if cfg.profile:
            results.details.setdefault("profiles", {})["export"] = profiling.record(
                server,
                lambda: export_once(server.url, token, "ndjson"),
                name=f"export-{hub.rows}",
                seconds=hub.rows / median(rates["ndjson"]) + 1,
            )
    floor = python_floor(hub)
    say(
        f"export: Python floor: fetching the stored columns {floor['fetch_rows_per_s']:,.0f} "
        f"rows/s, and decrypting {floor['decrypted_fields']} fields of each "
        f"{floor['fetch_decrypt_rows_per_s']:,.0f} rows/s"
    )
    details: dict[str, Any] = {
        fmt: {"rows_per_s": median(r), "runs": r} for fmt, r in rates.items()
    }
    details["python_floor"] = floor
    details |= {
        "server_idle_rss_mb": round(idle.peak_total_mb, 1),
        "server_peak_rss_mb": round(memory.peak_total_mb, 1),
        "worker_peak_rss_mb": round(memory.peak_worker_mb, 1),
        "processes": [
            {
                "process": memory.names.get(pid, "?"),
                "idle_mb": round(idle.peak_process_kb.get(pid, 0) / 1024, 1),
                "peak_mb": round(kb / 1024, 1),
            }
            for pid, kb in sorted(memory.peak_process_kb.items())
        ],
    }
    results.details["export"] = details
    slower = min(median(rates[f]) for f in FORMATS)
    results.comparisons["export_vs_copy"] = Comparison(
        slower, median(rates["copy"]), "rows/s", hub.rows
    )
    say(
        f"export: server RSS idle {idle.peak_total_mb:.0f} MB, peak {memory.peak_total_mb:.0f} "
        f"MB over {len(memory.peak_process_kb)} processes (largest {memory.peak_worker_mb:.0f} MB)"
    )


def _export(
    server: servers.Server, token: str, fmt: str, rows: int, rep: int, cfg: Config
) -> float:
    seconds, got = export_once(server.url, token, fmt)
    _check_rows(fmt, got, rows)
    say(
        f"export: {fmt:<6} run {rep}/{cfg.full_passes}: {got:,} rows in {seconds:.1f} s "
        f"({got / seconds:,.0f} rows/s); server RSS now {_tree_rss_mb(server):.0f} MB"
    )
    return got / seconds


def _tree_rss_mb(server: servers.Server) -> float:
    return sum(servers.memory_kb(pid)[0] for pid in server.pids()) / 1024


def _check_rows(what: str, got: int, expected: int) -> None:
    if got != expected:
        raise RuntimeError(f"{what} returned {got:,} rows, the dataset has {expected:,}")
