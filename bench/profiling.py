"""Where the hub's time goes: py-spy on a server (or this process) under the same load.

``record`` samples a server's whole process tree while a workload runs (an extra,
untimed run), keeps the collapsed stacks under ``.cache/bench/profiles/`` (open them with
speedscope or flamegraph.pl) and returns the top functions by inclusive and by self
share of the samples taken in the hub's Python code.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import tools
from bench.config import CACHE, ROOT, say
from bench.servers import Server

TOP = 25
#: frames in more samples than this share are entry points, not findings
WRAPPER_SHARE = 0.995
PLUMBING = (
    "(bench/",
    "<frozen",
    "(threading.py",
    "(runpy.py",
    "(asyncio/",
    "(concurrent/",
    "spawn_main(",
    "(anyio/",
    "(multiprocessing/",
    "(uvicorn/",
    "(starlette/concurrency.py",
    "<module> (<string>)",
)


def record(
    server: Server | None,
    workload: Callable[[], Any],
    *,
    name: str,
    seconds: float,
    rate: int = 250,
) -> dict[str, Any]:
    py_spy = tools.ensure_py_spy()
    folder = CACHE / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.collapsed.txt"
    pid = server.pid if server is not None else os.getpid()
    cmd = [py_spy, "record", "--format", "raw", "--output", str(out), "--rate", str(rate)]
    cmd += ["--pid", str(pid), "--duration", str(int(seconds) + 1), "--nonblocking"]
    if server is not None:
        cmd.append("--subprocesses")
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    try:
        workload()
    finally:
        _, err = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({spy.returncode}): {err[-500:]}")
    summary = summarize(out)
    say(f"profile: {name}: {summary['samples']:,} samples in {out}")
    for row in summary["inclusive"][:12]:
        say(f"profile:   {row['share']:6.1%} incl  {row['function']}")
    return summary


def summarize(path: Path) -> dict[str, Any]:
    """Inclusive and self shares per function from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += n
        for frame in dict.fromkeys(_short(f) for f in frames):
            inclusive[frame] += n
        own[_short(frames[-1])] += n

    def table(counter: Counter[str]) -> list[dict[str, Any]]:
        rows = [
            {"function": f, "samples": n, "share": round(n / total, 4)}
            for f, n in counter.most_common()
            if n < WRAPPER_SHARE * total and not _plumbing(f)
        ]
        return rows[:TOP]

    return {"samples": total, "file": str(path), "inclusive": table(inclusive), "self": table(own)}


def _plumbing(function: str) -> bool:
    """Frames every sample passes through (the benchmark, thread and event-loop plumbing)."""
    return any(marker in function for marker in PLUMBING)


def _short(frame: str) -> str:
    """``func (/long/path/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{name} ({file})" if file else name
