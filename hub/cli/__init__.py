"""``civichub``: the command line. Every command has --help; a failure prints one line.

Commands talk to the store directly as the local operator (see ``hub.context.cli_actor``).
"""

from __future__ import annotations

import sys

import click
import typer

from hub.cli import audit, datasets, demo, pii, policy, publish, requests, setup, tokens
from hub.cli.common import console_error

app = typer.Typer(
    name="civichub",
    help="Civic Data Hub: register, ingest, share and audit agency data under policies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
setup.register(app)
demo.register(app)
datasets.register(app)
policy.register(app)
requests.register(app)
tokens.register(app)
audit.register(app)
pii.register(app)
publish.register(app)


def main() -> None:
    command = typer.main.get_command(app)
    try:
        code = command.main(prog_name="civichub", standalone_mode=False)
    except click.exceptions.Abort:
        console_error("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_error("interrupted")
        sys.exit(130)
    except Exception as exc:  # the one place a CLI failure becomes a message
        sys.exit(console_error(exc))
    sys.exit(code if isinstance(code, int) else 0)
