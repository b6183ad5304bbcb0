"""A real CKAN 2.12 (with its DataStore, without Solr) for tests and development.

Test and dev tooling, not library code: the hub never imports this. Used by
``tests/catalog/ckan_fixtures.py`` (one CKAN per test session) and by ``ckanctl.py``
(a long-lived developer instance). How and why it works: README.md next to this file.

Pieces, in the order a caller uses them:

- ``ensure_installed()``: the CKAN virtualenv under ``.cache/ckan/venv`` (its own: CKAN
  pins its dependencies), reused while its stamp file matches ``REQUIREMENTS``; a lock
  file makes concurrent callers wait instead of installing twice.
- ``Instance``: the names of one CKAN (port, databases, roles, folder with ckan.ini,
  uploads and log); ``write_config()`` fills ``ckan.ini.template``.
- ``create_databases()`` / ``drop_databases()``: roles and databases on the local
  PostgreSQL (``psql``, one statement per call: ``CREATE DATABASE`` cannot share a
  transaction), ``ckan db init`` and the DataStore permissions.
- ``start()`` / ``stop()``: the server through ``launcher.py``; ``start`` waits until the
  API answers and raises ``HarnessError`` with the tail of the CKAN log when it does not.
- ``create_sysadmin()``: a sysadmin and an API token for it.

Every failure is a ``HarnessError`` whose message says what to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from string import Template

CKAN_VERSION = "2.12.0"
#: what the CKAN virtualenv holds; changing this list reinstalls it
REQUIREMENTS = (f"ckan[requirements]=={CKAN_VERSION}", "ckanapi==4.11")
SYSTEM_PACKAGES = ("libpq-dev", "libmagic1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LAUNCHER = HERE / "launcher.py"
TEMPLATE = HERE / "ckan.ini.template"

#: names of databases and roles this harness creates all start with this
PREFIX = "civichub_ckan_"


class HarnessError(RuntimeError):
    """The CKAN harness could not do what was asked; the message says what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get("CIVICHUB_TEST_CKAN_CACHE") or ROOT / ".cache" / "ckan")


def venv_dir() -> Path:
    return cache_dir() / "venv"


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


# -- install ------------------------------------------------------------------------------


def _stamp() -> dict[str, object]:
    return {"requirements": list(REQUIREMENTS), "python": list(sys.version_info[:2])}


def is_installed() -> bool:
    stamp = venv_dir() / ".civichub-stamp.json"
    try:
        return json.loads(stamp.read_text()) == _stamp() and venv_python().exists()
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_installed(*, log=print) -> float | None:
    """Install CKAN into ``.cache/ckan/venv`` unless already there; seconds taken or None."""
    if is_installed():
        return None
    with _locked(cache_dir() / "install.lock"):
        if is_installed():  # another process finished it while we waited
            return None
        started = time.monotonic()
        ensure_system_packages(log=log)
        venv = venv_dir()
        log(f"installing CKAN {CKAN_VERSION} into {venv} (about a minute, once) ...")
        shutil.rmtree(venv, ignore_errors=True)
        install_log = cache_dir() / "install.log"
        with install_log.open("w") as out:
            for cmd in (
                [sys.executable, "-m", "venv", str(venv)],
                [str(venv_python()), "-m", "pip", "install", "-q", "--no-input", *REQUIREMENTS],
            ):
                out.write(f"$ {' '.join(cmd)}\n")
                out.flush()
                env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
                if subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env) != 0:
                    raise HarnessError(
                        f"installing CKAN failed ({' '.join(cmd[:4])} ...); the end of "
                        f"{install_log}:\n{tail(install_log)}\nFix the cause (network to "
                        "PyPI, build tools, libpq-dev) and run `python tools/ckan/ckanctl.py "
                        "install` again."
                    )
        # the stamp is written last: an interrupted install is redone from scratch
        (venv / ".civichub-stamp.json").write_text(json.dumps(_stamp()))
        seconds = time.monotonic() - started
        log(f"CKAN {CKAN_VERSION} installed in {seconds:.0f} s")
        return seconds


def ensure_system_packages(*, log=print) -> None:
    """libpq-dev (psycopg2 builds against it) and libmagic1, through apt-get if missing."""
    if shutil.which("dpkg") is None:
        return  # not Debian: the pip build says what is missing
    missing = [
        name
        for name in SYSTEM_PACKAGES
        if subprocess.call(
            ["dpkg", "-s", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        != 0
    ]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise HarnessError(
            f"CKAN needs the system packages {' '.join(missing)}: "
            f"run `sudo apt-get install -y {' '.join(missing)}` and try again"
        )
    log(f"apt-get install {' '.join(missing)} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *missing]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "env": env}
    result = subprocess.run(install, check=False, **quiet)
    if result.returncode != 0:  # a stale package index is the usual cause
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        result = subprocess.run(install, check=False, **quiet)
    if result.returncode != 0:
        raise HarnessError(
            f"apt-get install {' '.join(missing)} failed: "
            f"{result.stderr.decode(errors='replace').strip()[-500:]}"
        )


# -- PostgreSQL ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    """How to reach the local PostgreSQL as a superuser (through ``psql``)."""

    host: str
    port: int
    user: str

    @classmethod
    def discover(cls) -> Postgres:
        """The first of $PGUSER, postgres, root that can log in (trust auth locally)."""
        if shutil.which("psql") is None:
            raise HarnessError(
                "psql is not installed: `apt-get install -y postgresql-client` (the CKAN "
                "harness creates its databases with it)"
            )
        host = os.environ.get("CIVICHUB_TEST_PG_HOST", "127.0.0.1")
        port = int(os.environ.get("CIVICHUB_TEST_PG_PORT", "5432"))
        tried = []
        for user in dict.fromkeys(u for u in (os.environ.get("PGUSER"), "postgres", "root") if u):
            candidate = cls(host, port, user)
            result = candidate.psql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if result.returncode == 0 and result.stdout.strip() == "t":
                return candidate
            tried.append(f"{user}: {(result.stderr or 'not a superuser').strip()[:200]}")
        raise HarnessError(
            f"cannot log in to PostgreSQL on {host}:{port} as a superuser "
            f"({'; '.join(tried)}). Start PostgreSQL or set PGUSER / CIVICHUB_TEST_PG_HOST "
            "/ CIVICHUB_TEST_PG_PORT"
        )

    def psql(
        self, sql: str, *, db: str = "postgres", stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        cmd = ["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
        cmd += ["-h", self.host, "-p", str(self.port), "-U", self.user, "-d", db]
        if sql:
            cmd += ["-c", sql]
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        return subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=120, env=env, check=False
        )

    def run(self, sql: str, *, db: str = "postgres", stdin: str | None = None) -> str:
        result = self.psql(sql, db=db, stdin=stdin)
        if result.returncode != 0:
            what = sql or "the SQL script"
            raise HarnessError(f"PostgreSQL refused {what[:120]!r}: {result.stderr.strip()}")
        return result.stdout


# -- one CKAN instance --------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One CKAN: its folder, port, databases and roles. Saved as ``instance.json``."""

    name: str
    home: str
    port: int
    pg_host: str
    pg_port: int
    db_password: str
    ro_password: str
    secret_key: str  # signs API tokens: kept, so tokens survive a rewritten ckan.ini
    host: str = "127.0.0.1"
    redis_url: str = "redis://127.0.0.1:6379/1"
    max_resource_mb: int = 100

    @classmethod
    def new(cls, name: str, home: Path, pg: Postgres, *, port: int = 0) -> Instance:
        if not name.replace("_", "").isalnum() or not name.islower():
            raise HarnessError(f"instance name {name!r}: use lowercase letters, digits and _")
        return cls(
            name=name,
            home=str(home.resolve()),
            port=port or free_port(),
            pg_host=pg.host,
            pg_port=pg.port,
            db_password=secrets.token_hex(16),
            ro_password=secrets.token_hex(16),
            secret_key=secrets.token_urlsafe(32),
            redis_url=os.environ.get("CIVICHUB_TEST_CKAN_REDIS_URL", cls.redis_url),
        )

    @classmethod
    def load(cls, home: Path) -> Instance:
        try:
            return cls(**json.loads((home / "instance.json").read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise HarnessError(
                f"cannot read {home / 'instance.json'} ({exc}); stop its CKAN, drop its "
                f"databases ({PREFIX}{home.name}*) and remove {home}"
            ) from exc

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "instance.json").write_text(json.dumps(asdict(self), indent=2))

    # names
    @property
    def db_name(self) -> str:
        return PREFIX + self.name

    @property
    def datastore_db(self) -> str:
        return f"{PREFIX}{self.name}_datastore"

    @property
    def db_user(self) -> str:
        return PREFIX + self.name

    @property
    def ro_user(self) -> str:
        return f"{PREFIX}{self.name}_ro"

    # files
    @property
    def dir(self) -> Path:
        return Path(self.home)

    @property
    def ini(self) -> Path:
        return self.dir / "ckan.ini"

    @property
    def log(self) -> Path:
        return self.dir / "ckan.log"

    @property
    def pidfile(self) -> Path:
        return self.dir / "ckan.pid"

    @property
    def storage(self) -> Path:
        return self.dir / "storage"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def site_id(self) -> str:
        return f"civichub-{self.name}".replace("_", "-")


def check_redis(url: str) -> None:
    """HarnessError unless Redis answers PING at ``url`` (CKAN needs it for DataStore jobs)."""
    parts = urllib.parse.urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 6379)
    try:
        with socket.create_connection(address, timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        answer = str(exc).encode()
    if not answer.startswith((b"+PONG", b"-NOAUTH")):
        raise HarnessError(
            f"Redis does not answer at {url} ({answer.decode(errors='replace').strip()}): CKAN "
            "needs it. Start redis-server or set CIVICHUB_TEST_CKAN_REDIS_URL"
        )


def write_config(inst: Instance) -> Path:
    """``ckan.ini`` for ``inst`` from ``ckan.ini.template`` (overwritten: it is derived)."""
    inst.storage.mkdir(parents=True, exist_ok=True)
    values = {
        **asdict(inst),
        "site_id": inst.site_id,
        "db_name": inst.db_name,
        "datastore_db": inst.datastore_db,
        "db_user": inst.db_user,
        "ro_user": inst.ro_user,
        "storage_path": str(inst.storage),
    }
    inst.ini.write_text(Template(TEMPLATE.read_text()).substitute(values))
    return inst.ini


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- databases ----------------------------------------------------------------------------


def create_databases(inst: Instance, pg: Postgres, *, sysadmin: str = "civichub_admin") -> str:
    """Roles, databases, ``db init``, DataStore permissions, a sysadmin; its API token."""
    check_redis(inst.redis_url)  # CKAN starts without it and fails later, obscurely
    for role, password in ((inst.db_user, inst.db_password), (inst.ro_user, inst.ro_password)):
        exists = pg.run(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").strip()
        verb = "ALTER" if exists else "CREATE"
        pg.run(f"{verb} ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    for db in (inst.db_name, inst.datastore_db):
        # one statement per psql call: CREATE DATABASE cannot run inside a transaction
        pg.run(f'CREATE DATABASE "{db}" OWNER "{inst.db_user}" ENCODING UTF8 TEMPLATE template0')
    permissions = ckan_cli_async(inst, "datastore", "set-permissions")  # only reads ckan.ini
    try:
        # one CKAN process for the three (each start-up costs seconds); token printed last
        output = ckan_cli(inst, "db", "init", "::", *_sysadmin_commands(sysadmin), timeout=240)
    finally:
        script = finish(permissions)
    pg.run("", db=inst.datastore_db, stdin=script)
    return _last_line(output)


def drop_databases(inst: Instance, pg: Postgres) -> None:
    for db in (inst.db_name, inst.datastore_db):
        pg.run(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    for role in (inst.ro_user, inst.db_user):
        pg.run(f'DROP ROLE IF EXISTS "{role}"')


def reap_abandoned(pg: Postgres, *, prefix: str, log=print) -> list[str]:
    """Drop databases and roles of test sessions whose process died without cleaning up.

    Session instances are named ``<prefix><pid>_<random>``; a session whose pid no longer
    runs cannot use its databases any more.
    """
    like = (PREFIX + prefix).replace("_", r"\_") + "%"
    names = pg.run(
        f"SELECT datname FROM pg_database WHERE datname LIKE '{like}' "
        f"UNION SELECT rolname FROM pg_roles WHERE rolname LIKE '{like}'"
    ).split()
    dead = set()
    for name in names:
        pid = name[len(PREFIX + prefix) :].split("_", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            dead.add(name)
    for name in sorted(dead):  # databases first: a role that owns one cannot be dropped
        pg.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for name in sorted(dead):
        pg.run(f'DROP ROLE IF EXISTS "{name}"')
    if dead:
        log(f"dropped {', '.join(sorted(dead))}: left by CKAN test sessions that died")
    return sorted(dead)


# -- running CKAN -------------------------------------------------------------------------


def launcher_cmd(inst: Instance, *args: str) -> list[str]:
    if not is_installed():
        raise HarnessError(
            "CKAN is not installed: run `python tools/ckan/ckanctl.py install` "
            "(the Makefile's test target does it)"
        )
    return [str(venv_python()), str(LAUNCHER), "-c", str(inst.ini), *args]


def ckan_cli(inst: Instance, *args: str, timeout: float = 120) -> str:
    """Run one ``ckan`` command through the launcher; its stdout, or HarnessError."""
    return finish(ckan_cli_async(inst, *args), timeout=timeout)


def ckan_cli_async(inst: Instance, *args: str) -> subprocess.Popen[str]:
    """Start one ``ckan`` command (each pays CKAN's ~3 s start-up: overlap them)."""
    return subprocess.Popen(
        launcher_cmd(inst, *args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=inst.dir,
    )


def finish(proc: subprocess.Popen[str], *, timeout: float = 120) -> str:
    """Wait for a command from ``ckan_cli_async``; its stdout, or HarnessError."""
    what = " ".join(str(a) for a in list(proc.args)[4:])  # after python launcher.py -c ini
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise HarnessError(f"`ckan {what}` did not finish in {timeout:.0f} s") from exc
    if proc.returncode != 0:
        output = (stdout + stderr).strip().splitlines()
        raise HarnessError(
            f"`ckan {what}` failed (exit {proc.returncode}):\n" + "\n".join(output[-25:])
        )
    return stdout


def _die_with_parent() -> None:  # runs in the child between fork and exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: a killed pytest takes CKAN with it


def start(inst: Instance, *, timeout: float = 60, detach: bool = False) -> float:
    """Start CKAN and wait until its API answers; seconds taken."""
    return wait_ready(inst, spawn(inst, detach=detach), timeout=timeout)


@dataclass(frozen=True)
class Server:
    proc: subprocess.Popen[bytes]
    started: float  # time.monotonic() at spawn


def spawn(inst: Instance, *, detach: bool = False) -> Server:
    """Start the CKAN server without waiting for it (see ``wait_ready``).

    ``detach=False`` (tests) ties the server to this process: it is terminated when this
    process dies, even by SIGKILL. ``detach=True`` (``ckanctl start``) leaves it running.
    """
    if running_pid(inst):
        raise HarnessError(f"CKAN {inst.name} already runs (pid {running_pid(inst)})")
    cmd = launcher_cmd(inst, "run", "-H", inst.host, "-p", str(inst.port))
    # never the Werkzeug debugger: it executes code sent by any client
    cmd += ["--disable-reloader", "--disable-debugger", "--threaded"]
    started = time.monotonic()
    with inst.log.open("ab") as log:
        log.write(f"\n=== {time.strftime('%F %T')} {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=inst.dir,
            start_new_session=True,
            preexec_fn=None if detach else _die_with_parent,
        )
    inst.pidfile.write_text(str(proc.pid))
    return Server(proc, started)


def wait_ready(inst: Instance, server: Server, *, timeout: float = 60) -> float:
    """Wait until CKAN's API answers; seconds since it was spawned, or HarnessError."""
    proc = server.proc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            inst.pidfile.unlink(missing_ok=True)
            raise HarnessError(
                f"CKAN exited with status {proc.returncode} while starting on port "
                f"{inst.port}; the end of {inst.log}:\n{tail(inst.log)}"
            )
        if api_ready(inst.url, site_id=inst.site_id):
            return time.monotonic() - server.started
        time.sleep(0.2)
    stop(inst)
    raise HarnessError(
        f"CKAN did not answer on {inst.url} within {timeout:.0f} s; the end of "
        f"{inst.log}:\n{tail(inst.log)}"
    )


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def api_ready(url: str, *, site_id: str | None = None) -> bool:
    """Does CKAN answer at ``url`` (and is it the instance ``site_id``, not another one)?"""
    try:
        with _DIRECT.open(f"{url}/api/3/action/status_show", timeout=2) as response:
            answer = json.load(response)
    except (OSError, ValueError):
        return False
    title = str((answer.get("result") or {}).get("site_title", ""))
    return bool(answer.get("success")) and (site_id is None or title.endswith(f"({site_id})"))


def running_pid(inst: Instance) -> int | None:
    try:
        pid = int(inst.pidfile.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop(inst: Instance, *, timeout: float = 15) -> bool:
    """Terminate the CKAN server (its whole process group); True when one was running."""
    pid = running_pid(inst)
    if pid is None:
        inst.pidfile.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    inst.pidfile.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap our own child, or it stays a zombie
        if done:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def create_sysadmin(inst: Instance, name: str = "civichub_admin") -> str:
    """A sysadmin ``name`` (created if missing) and a new API token for it."""
    return _last_line(ckan_cli(inst, *_sysadmin_commands(name)))


def _sysadmin_commands(name: str) -> list[str]:
    password = secrets.token_urlsafe(18)
    email = f"{name}@example.invalid"
    label = f"civichub-{int(time.time())}"
    create = ["sysadmin", "add", name, "--create", f"email={email}", f"password={password}"]
    return [*create, "::", "user", "token", "add", "-q", name, label]


def _last_line(output: str) -> str:
    lines = output.strip().splitlines()
    if not lines:
        raise HarnessError("CKAN printed no API token")
    return lines[-1].strip()


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc.strerror})"
