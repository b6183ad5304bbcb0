"""policies is a library: it never imports the web framework or the hub."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import policies


def test_policies_imports_neither_fastapi_nor_hub():
    modules = sorted(
        f"policies.{m.name}" for m in pkgutil.iter_modules([str(Path(policies.__file__).parent)])
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "web = {'fastapi', 'starlette', 'hub'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in web)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
