"""The programs the benchmark needs, installed on first use (idempotent).

- ``wrk``: the load generator (Debian package ``wrk``; ``apt-get install`` as root).
- CKAN 2.12 from ``tools/ckan`` (its own virtualenv under ``.cache/ckan``).
- gunicorn for CKAN: installed with CKAN's own pip into ``.cache/bench/ckan-gunicorn``
  (a ``--target`` folder), so CKAN's shared virtualenv is left exactly as tools/ckan made it.
- ``py-spy`` into the hub's ``.venv`` (only with ``--profile``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from bench.config import CACHE, ROOT, say

CKAN_GUNICORN = "gunicorn==23.0.0"
PY_SPY = "py-spy>=0.4"


class ToolError(RuntimeError):
    """A tool could not be installed; the message says what to run instead."""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ToolError("the benchmark needs wrk: run `sudo apt-get install -y wrk`")
    say("installing wrk (apt-get install -y wrk) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "env": env}
    if subprocess.run(install, check=False, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        result = subprocess.run(install, check=False, **quiet)
        if result.returncode != 0:
            raise ToolError(f"apt-get install wrk failed: {result.stderr.decode()[-400:]}")
    found = shutil.which("wrk")
    if not found:
        raise ToolError("wrk is still not on PATH after apt-get install")
    return found


def ckan_harness() -> ModuleType:
    """tools/ckan/harness.py (test tooling, not an installed package)."""
    name = "civichub_ckan_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "ckan" / "harness.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look the module up while being built
        spec.loader.exec_module(module)
    return sys.modules[name]


def ensure_ckan() -> tuple[ModuleType, Path]:
    """CKAN's virtualenv (tools/ckan) and a folder holding gunicorn for it."""
    harness = ckan_harness()
    harness.ensure_installed(log=say)
    target = CACHE / "ckan-gunicorn"
    stamp = target / ".bench-stamp"
    if stamp.exists() and stamp.read_text() == CKAN_GUNICORN:
        return harness, target
    say(f"installing {CKAN_GUNICORN} for CKAN into {target} ...")
    shutil.rmtree(target, ignore_errors=True)
    cmd = [str(harness.venv_python()), "-m", "pip", "install", "-q", "--no-input"]
    cmd += ["--disable-pip-version-check", "--target", str(target), CKAN_GUNICORN]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ToolError(f"installing gunicorn for CKAN failed: {result.stderr[-600:]}")
    stamp.write_text(CKAN_GUNICORN)
    return harness, target


def ensure_py_spy() -> str:
    exe = Path(sys.executable).with_name("py-spy")
    if exe.exists():
        return str(exe)
    say(f"installing {PY_SPY} into {Path(sys.executable).parent.parent} ...")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", PY_SPY]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not exe.exists():
        raise ToolError(f"pip install py-spy failed: {result.stderr[-600:]}")
    return str(exe)
