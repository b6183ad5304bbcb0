"""Server processes under test: start, wait until they answer, measure memory, stop.

Every server runs in its own session (process group) and is tied to this process with
``PR_SET_PDEATHSIG``: stopping kills the whole group, and a benchmark killed even by
SIGKILL takes its servers with it. The hub and the bare endpoint are both served by
``uvicorn --factory --workers N`` (access log off), started from the main thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.config import ROOT, say


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        """The server process and all its descendants (uvicorn's workers, gunicorn's)."""
        return [self.pid, *descendants(self.pid)]

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the whole group, SIGKILL to whatever is left after ``timeout``."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        # workers that outlived their supervisor
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def spawn(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    ready: str = "/healthz",
    cwd: Path = ROOT,
    timeout: float = 90,
) -> Server:
    """Start ``cmd`` and wait until ``GET ready`` answers 2xx; raise with the log tail if not."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **env},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.url + ready, timeout=2).is_success:
                    return server
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{tail(log)}")
            time.sleep(0.2)
    except BaseException:
        server.stop()
        raise


@contextlib.contextmanager
def running(start: Callable[[], Server]) -> Iterator[Server]:
    """The server ``start()`` returns, stopped on the way out whatever happened."""
    server = start()
    try:
        yield server
    finally:
        server.stop()


def uvicorn_cmd(app: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def hub_server(env: Mapping[str, str], workers: int, log: Path) -> Server:
    """The hub: ``uvicorn hub.app:create_app --factory`` (what ``civichub serve`` runs)."""
    port = free_port()
    say(f"servers: starting the hub on :{port} ({workers} uvicorn workers)")
    cmd = uvicorn_cmd("hub.app:create_app", port, workers)
    return spawn("hub", cmd, port=port, env=env, log=log)


def bare_server(env: Mapping[str, str], workers: int, log: Path) -> Server:
    """The baseline endpoint of ``bench/bare.py``, served the same way as the hub."""
    port = free_port()
    say(f"servers: starting the bare endpoint on :{port} ({workers} uvicorn workers)")
    cmd = uvicorn_cmd("bench.bare:create_app", port, workers)
    return spawn("bare", cmd, port=port, env=env, log=log)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc.strerror})"


# -- memory -------------------------------------------------------------------------------


def proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces and
    parentheses): state, ppid, ... (``man 5 proc``, field 3 onwards); None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = proc_stat(int(entry))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(children.get(child, []))
    return out


def process_name(pid: int, root: int) -> str:
    """What a process of a server's tree is: the server itself, a worker, or a helper."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if pid == root:
        return "supervisor"
    if "resource_tracker" in cmd:
        return "multiprocessing resource tracker"
    return "worker"


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in kB; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


@dataclass
class MemorySampler:
    """Samples the RSS of a server's process tree every ``interval`` s while active."""

    server: Server
    interval: float = 0.05
    peak_total_kb: int = 0
    peak_process_kb: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        total = 0
        for pid in self.server.pids():
            if pid not in self.names:
                self.names[pid] = process_name(pid, self.server.pid)
            rss, hwm = memory_kb(pid)
            total += rss
            self.peak_process_kb[pid] = max(self.peak_process_kb.get(pid, 0), rss, hwm)
        self.peak_total_kb = max(self.peak_total_kb, total)

    @property
    def peak_worker_mb(self) -> float:
        """The largest peak (VmHWM) of any one process of the tree."""
        return max(self.peak_process_kb.values(), default=0) / 1024

    @property
    def peak_total_mb(self) -> float:
        """The largest sum of VmRSS over the tree at one sampling instant."""
        return self.peak_total_kb / 1024
