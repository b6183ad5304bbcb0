"""The CPU meter of the lookup phase reads the kernel's counters of real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

from bench import cpu


def _spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_process_cpu_is_read_from_the_kernel() -> None:
    before = cpu.cpu_seconds(os.getpid())
    _spin(0.2)
    assert cpu.cpu_seconds(os.getpid()) - before >= 0.15
    assert cpu.cpu_seconds(2**22 + 1) == 0.0  # no such process


def test_the_meter_splits_a_run_into_server_and_load() -> None:
    meter = cpu.Meter(os.getpid())  # this process plays the server
    meter.start()
    _spin(0.2)
    # the load generator is a child that is waited for, as wrk is
    code = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    subprocess.run([sys.executable, "-c", code], check=True)
    spent = meter.stop()
    assert spent.server >= 0.15
    assert spent.load >= 0.25
    per = spent.per_request_ms(100)
    assert per["load"] == round(spent.load * 10, 3)
    assert set(per) == {"server", "postgres", "load", "total"}


def test_the_meter_counts_the_work_postgresql_does(pg_url: str) -> None:
    # the local PostgreSQL runs as a service on this machine and in CI
    assert cpu.postgres_pids()
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        conn.execute("SELECT 1")  # the backend exists before the meter starts
        meter = cpu.Meter(None)
        meter.start()
        conn.execute("SELECT count(*) FROM generate_series(1, 3000000)")
        spent = meter.stop()
    assert spent.postgres >= 0.05
    assert spent.server == 0.0  # no server given
