"""civichub init · serve · keys rotate"""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.common import hub_state, out
from hub.datasets import rekey
from hub.settings import get_settings
from hub.store import migrate


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    keys = typer.Typer(help="Signing keys.", no_args_is_help=True)
    keys.command("rotate")(rotate)
    app.add_typer(keys, name="keys")


def init() -> None:
    """Create var/, the signing and pseudonymization keys, and create or migrate the store."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for folder in (settings.uploads_dir, settings.catalog_dir):
        folder.mkdir(parents=True, exist_ok=True)
    with hub_state(require_schema=False) as state:
        created = state.keyring.ensure()
        before, after = migrate(state.engine)
    out.print(f"store   {settings.database_url}: schema {before or 'new'} -> {after}")
    out.print(f"keys    {settings.keys_dir}: {', '.join(created) if created else 'present'}")
    out.print("ready   next: `civichub dataset register FILE` or `civichub demo`")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (production: gunicorn).")] = 1,
) -> None:
    """Run the HTTP API (uvicorn). Production: see docs/deployment.md."""
    import uvicorn

    with hub_state():
        pass  # fail here, with one line, if the store is not initialized
    out.print(f"Civic Data Hub on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "hub.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
    )


def rotate(
    signing: Annotated[bool, typer.Option(help="Rotate the token signing key.")] = True,
    data: Annotated[
        bool, typer.Option(help="Rotate the data key and re-encrypt stored personal data.")
    ] = True,
) -> None:
    """Rotate keys without downtime: tokens and ciphertexts under old keys stay valid."""
    with hub_state() as state:
        if signing:
            kid = state.keyring.rotate()
            out.print(f"signing key {kid} is active; the JWKS publishes it beside the old ones")
        if data:
            kid = state.keyring.rotate_data_key()
            state.reload_keys()
            out.print(f"data key {kid} is active; re-encrypting stored personal data ...")
            report = rekey.rekey_all(
                state.sessions,
                state.cipher,
                progress=lambda table, values: out.print(f"  {table}: {values} values so far"),
            )
            out.print(
                f"re-encrypted {report.values} values in {report.tables} tables and "
                f"{report.quarantined} quarantined rows; old data keys stay in "
                f"{state.keyring.data_dir} (earlier backups still need them)"
            )
