"""Where the CPU of a load run went: the server's processes, PostgreSQL's, the load generator's.

On a machine the load saturates, requests per second is CPUs divided by the CPU one
request costs everywhere, so a ratio of two systems is the inverse ratio of those costs.
``Meter`` reads the kernel's per-process CPU counters (``/proc/<pid>/stat``: user plus
system time) around one run, for three groups: the server's process tree, every
``postgres`` process (the backends serving it, and the WAL writer and checkpointer its
commits wake), and the load generator (a child of this process, from ``getrusage``).
Divided by the requests of the run, that says which side a ratio is lost on.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

from bench.servers import descendants, proc_stat

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` so far; 0 once it is gone."""
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    # utime and stime are fields 14 and 15 of the whole line, counted in clock ticks
    return (int(fields[11]) + int(fields[12])) / _TICK


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def postgres_pids() -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and _comm(int(e)) == "postgres"]


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Spent:
    """CPU seconds of one run, by side."""

    server: float
    postgres: float
    load: float

    @property
    def total(self) -> float:
        return self.server + self.postgres + self.load

    def per_request_ms(self, requests: int) -> dict[str, float]:
        share = 1000 / requests if requests else 0.0
        return {
            "server": round(self.server * share, 3),
            "postgres": round(self.postgres * share, 3),
            "load": round(self.load * share, 3),
            "total": round(self.total * share, 3),
        }


class Meter:
    """CPU spent between ``start`` and ``stop`` by a server's tree, PostgreSQL and the load
    generator (waited for in between). Processes that exit in between are not counted:
    servers and their connection pools outlive the run."""

    def __init__(self, server_pid: int | None):
        self._server_pid = server_pid
        self._before: dict[int, float] = {}
        self._children = 0.0

    def _server_pids(self) -> list[int]:
        if self._server_pid is None:
            return []
        return [self._server_pid, *descendants(self._server_pid)]

    def start(self) -> None:
        pids = [*self._server_pids(), *postgres_pids()]
        self._before = {pid: cpu_seconds(pid) for pid in pids}
        self._children = _children_seconds()

    def _since(self, pids: list[int]) -> float:
        return sum(max(0.0, cpu_seconds(p) - self._before.get(p, 0.0)) for p in pids)

    def stop(self) -> Spent:
        return Spent(
            server=self._since(self._server_pids()),
            postgres=self._since(postgres_pids()),
            load=_children_seconds() - self._children,
        )
