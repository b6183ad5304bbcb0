"""The CPU meter of the lookup phase reads the kernel's counters of real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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
    assert spent.total == spent.server + spent.postgres + spent.load
    per = spent.per_request_ms(100)
    assert per["load"] == round(spent.load * 10, 3)
    assert set(per) == {"server", "postgres", "load", "total"}


def test_postgres_processes_are_found_by_name() -> None:
    # the local PostgreSQL runs as a service on this machine and in CI
    pids = cpu.postgres_pids()
    assert pids
    assert all(cpu.cpu_seconds(p) >= 0 for p in pids)
