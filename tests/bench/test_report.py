"""The benchmark's report: latest.json's shape, and the ceilings printed under the table."""

from __future__ import annotations

import json
from pathlib import Path

from bench.config import Config
from bench.report import KEYS, Comparison, Results


def _results(tmp_path: Path) -> Results:
    results = Results(Config(rows=1000, work=tmp_path / "work"))
    results.comparisons["lookup_vs_bare"] = Comparison(400.0, 1600.0, "req/s", 1000)
    results.comparisons["ingest_vs_copy"] = Comparison(30_000.0, 200_000.0, "rows/s", 1000)
    results.comparisons["publish"] = Comparison(5000.0, None, "rows/s", 1000)
    return results


def test_latest_json_holds_each_comparison_with_its_ratio(tmp_path: Path) -> None:
    results = _results(tmp_path)
    latest = json.loads(results.write(tmp_path).read_text())
    assert set(latest) <= set(KEYS)
    assert latest["lookup_vs_bare"] == {
        "value": 400.0,
        "baseline": 1600.0,
        "ratio": 0.25,
        "unit": "req/s",
        "rows": 1000,
    }
    assert latest["publish"]["baseline"] is None and latest["publish"]["ratio"] is None
    details = json.loads((tmp_path / "latest-details.json").read_text())
    assert details["comparisons"] == latest


def test_ceilings_compare_the_baselines_and_pythons_own_cost(tmp_path: Path) -> None:
    results = _results(tmp_path)
    results.details["lookup"] = {
        "bare": {"rps": 1800.0, "p50_ms": 1.0, "p99_ms": 2.0},
        "ckan": {"rps": 200.0, "p50_ms": 9.0, "p99_ms": 20.0},
    }
    results.details["export"] = {
        "copy": {"rows_per_s": 500_000.0},
        "python_floor": {
            "fetch_rows_per_s": 400_000.0,
            "fetch_decrypt_rows_per_s": 80_000.0,
            "decrypted_fields": 4,
        },
    }
    results.details["ingest"] = {
        "python_work": {
            "rows": 50_000,
            "rows_per_s": 40_000.0,
            "seconds": {"read": 0.2, "validate": 0.25, "encrypt": 0.7, "format": 0.1},
        }
    }
    table = results.table()
    assert "the bare endpoint itself is 9.00x CKAN" in table
    assert "fetching the copied columns 0.80x COPY TO" in table
    assert "decrypting 4 fields per row 0.16x" in table
    assert "no database, 0.20x COPY FROM" in table
    assert "encrypt 1.40 s" in table  # per 100k rows from 50k


def test_the_cpu_a_lookup_cost_is_printed_by_side(tmp_path: Path) -> None:
    results = _results(tmp_path)
    cpu = {"server": 3.0, "postgres": 0.9, "load": 0.3, "total": 4.2}
    results.details["lookup"] = {
        "hub": {"rps": 470.0, "p50_ms": 30.0, "p99_ms": 60.0, "cpu_ms": cpu},
        "bare": {"rps": 1800.0, "p50_ms": 8.0, "p99_ms": 15.0},
    }
    lines = results.table().splitlines()
    hub = next(line for line in lines if line.startswith("lookup hub"))
    assert "CPU 4.20 ms/request (server 3.00, PostgreSQL 0.90, wrk 0.30)" in hub
    bare = next(line for line in lines if line.startswith("lookup bare"))
    assert "CPU" not in bare  # not measured, not printed


def test_no_ceiling_is_printed_for_what_was_not_measured(tmp_path: Path) -> None:
    table = _results(tmp_path).table()
    assert "ceiling" not in table
