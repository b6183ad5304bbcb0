"""Install and run a local CKAN 2.12 (DataStore on, Solr off) for development and tests.

    python tools/ckan/ckanctl.py install    # the CKAN virtualenv (idempotent; make test runs it)
    python tools/ckan/ckanctl.py start      # the developer CKAN on http://127.0.0.1:5050
    python tools/ckan/ckanctl.py token      # a sysadmin API token for it
    python tools/ckan/ckanctl.py status | stop | destroy
    python tools/ckan/ckanctl.py ckan -- user list    # any `ckan` command against it

The developer instance keeps its databases and uploads between starts; ``destroy`` drops
them. Tests do not use it: each test session starts its own (tests/catalog/ckan_fixtures.py).
Failures print one clear line (and the CKAN log tail) and exit non-zero.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import harness
from harness import HarnessError, Instance, Postgres

DEV_NAME = "dev"
DEV_PORT = 5050


def _dev_home() -> Path:
    return harness.cache_dir() / DEV_NAME


def _dev_instance(*, create: bool, port: int = DEV_PORT) -> Instance:
    home = _dev_home()
    if (home / "instance.json").exists():
        return Instance.load(home)
    if not create:
        raise HarnessError("no developer CKAN yet: run `python tools/ckan/ckanctl.py start`")
    pg = Postgres.discover()
    inst = Instance.new(DEV_NAME, home, pg, port=port)
    harness.write_config(inst)
    print(f"creating databases {inst.db_name} and {inst.datastore_db} ...")
    try:
        token = harness.create_databases(inst, pg)
        (home / "token").write_text(token + "\n")
    except BaseException:
        harness.drop_databases(inst, pg)  # half-made: the next start begins afresh
        shutil.rmtree(home, ignore_errors=True)
        raise
    (home / "token").chmod(0o600)
    inst.save()
    return inst


def cmd_install(args: argparse.Namespace) -> None:
    seconds = harness.ensure_installed()
    if seconds is None and not args.quiet:
        print(f"CKAN {harness.CKAN_VERSION} already installed in {harness.venv_dir()}")


def cmd_start(args: argparse.Namespace) -> None:
    harness.ensure_installed()
    inst = _dev_instance(create=True, port=args.port)
    if harness.running_pid(inst):
        print(f"CKAN already runs on {inst.url}")
        return
    seconds = harness.start(inst, detach=True, timeout=args.timeout)
    print(f"CKAN {harness.CKAN_VERSION} runs on {inst.url} (started in {seconds:.1f} s)")
    print(f"  sysadmin token: {_dev_home() / 'token'}   log: {inst.log}")
    print(f"  for the hub: CIVICHUB_CKAN_URL={inst.url} CIVICHUB_ALLOW_PRIVATE_HOSTS={inst.host}")


def cmd_stop(args: argparse.Namespace) -> None:
    inst = _dev_instance(create=False)
    print("stopped" if harness.stop(inst) else "CKAN was not running")


def cmd_status(args: argparse.Namespace) -> None:
    inst = _dev_instance(create=False)
    pid = harness.running_pid(inst)
    answering = pid is not None and harness.api_ready(inst.url, site_id=inst.site_id)
    print(f"{inst.url}: " + (f"running (pid {pid})" if answering else "not running"))
    if not answering:
        sys.exit(1)


def cmd_token(args: argparse.Namespace) -> None:
    inst = _dev_instance(create=False)
    token = _dev_home() / "token"
    if args.new or not token.exists():
        token.write_text(harness.create_sysadmin(inst) + "\n")
        token.chmod(0o600)
    print(token.read_text().strip())


def cmd_destroy(args: argparse.Namespace) -> None:
    inst = _dev_instance(create=False)
    harness.stop(inst)
    harness.drop_databases(inst, Postgres.discover())
    shutil.rmtree(_dev_home())
    print(f"dropped {inst.db_name}, {inst.datastore_db} and their roles; removed {_dev_home()}")


def cmd_ckan(args: argparse.Namespace) -> None:
    inst = _dev_instance(create=False)
    print(harness.ckan_cli(inst, *args.args), end="")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ckanctl", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install", help="create/refresh the CKAN virtualenv under .cache/ckan")
    p.add_argument("-q", "--quiet", action="store_true", help="say nothing when up to date")
    p.set_defaults(func=cmd_install)
    p = sub.add_parser("start", help="start the developer CKAN (created on first start)")
    p.add_argument("--port", type=int, default=DEV_PORT, help="port on first start")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for the API")
    p.set_defaults(func=cmd_start)
    sub.add_parser("stop", help="stop the developer CKAN").set_defaults(func=cmd_stop)
    sub.add_parser("status", help="is it answering?").set_defaults(func=cmd_status)
    p = sub.add_parser("token", help="print the sysadmin API token")
    p.add_argument("--new", action="store_true", help="create a new token")
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("destroy", help="stop it, drop its databases and roles, remove files")
    p.set_defaults(func=cmd_destroy)
    p = sub.add_parser("ckan", help="run a `ckan` command (after --) against it")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_ckan)
    args = parser.parse_args(argv)
    if args.command == "ckan" and args.args[:1] == ["--"]:
        args.args = args.args[1:]
    try:
        args.func(args)
    except HarnessError as exc:
        print(f"ckanctl {args.command}: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
