"""The load generator: wrk on loopback, a Lua script rotating through request paths.

Each wrk thread starts at its own offset in the list of paths (one per record key) and
sends them round-robin on keep-alive connections; ``done()`` prints one JSON line with
the request count, duration, latency percentiles and error counts, which ``run`` parses.
Non-2xx answers are counted as errors: a run with any is reported, not silently timed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LUA = r"""
local paths = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("thread_id", n)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  for i = 2, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  counter = ((thread_id or 1) - 1) * math.floor(#paths / 4)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0

    def line(self) -> str:
        errors = "" if self.ok else f", {self.non_2xx} non-2xx, {self.socket_errors} socket errors"
        return (
            f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
            f" ({self.requests:,} requests{errors})"
        )


def write_paths(folder: Path, name: str, paths: Sequence[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "rotate.lua"
    if not script.exists():
        script.write_text(LUA)
    path = folder / f"paths-{name}.txt"
    path.write_text("\n".join(paths) + "\n")
    return path


def run(
    wrk: str,
    base_url: str,
    paths_file: Path,
    *,
    seconds: int,
    concurrency: int,
    headers: Mapping[str, str] | None = None,
    threads: int = 2,
) -> LoadResult:
    script = paths_file.parent / "rotate.lua"
    cmd = [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s"]
    cmd += ["-s", str(script), base_url, "--", str(paths_file)]
    cmd += [f"{k}: {v}" for k, v in (headers or {}).items()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:] or done.stdout}")
    raw = json.loads(lines[-1])
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non_2xx=raw["status"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    )
