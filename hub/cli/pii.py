"""civichub pii scan · civichub classify"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.cli.common import hub_state, out
from hub.context import cli_actor
from hub.datasets import classify as classification
from hub.datasets import service
from hub.db import session_scope
from hub.errors import BadRequest, NotFound


def register(app: typer.Typer) -> None:
    pii = typer.Typer(help="Find personal data in text.", no_args_is_help=True)
    pii.command("scan")(scan)
    app.add_typer(pii, name="pii")
    app.command("classify")(classify)


def scan(
    text: Annotated[str | None, typer.Argument(help="Text to scan (or use --file).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A UTF-8 text file; - for stdin.")
    ] = None,
    language: Annotated[str, typer.Option(help="vi or en.")] = "vi",
    redact: Annotated[bool, typer.Option(help="Print the text with findings replaced.")] = False,
) -> None:
    """List the personal data the analyzer finds (type, position, score, text)."""
    if (text is None) == (file is None):
        raise BadRequest("give either TEXT or --file")
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise NotFound(f"cannot read {file} as UTF-8 text: {exc}") from exc
    assert text is not None
    from anonymizer import get_engine

    engine = get_engine()
    if redact:
        print(engine.redact(text, language))
        return
    findings = engine.analyze(text, language)
    table = Table("type", "start", "end", "score", "text")
    for f in findings:
        table.add_row(
            f.entity_type, str(f.start), str(f.end), f"{f.score:.2f}", text[f.start : f.end]
        )
    out.print(table)
    out.print(f"{len(findings)} finding(s)")


def classify(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    sample: Annotated[int, typer.Option(help="Rows to sample.")] = classification.DEFAULT_SAMPLE,
    accept: Annotated[bool, typer.Option(help="Write the proposals into the descriptor.")] = False,
) -> None:
    """Propose a PII type per field from a random sample; --accept writes them."""
    with hub_state() as state, session_scope(state.sessions) as session:
        found = classification.classify(
            session, state, dataset=service.get(session, dataset), actor=cli_actor(), size=sample
        )
        table = Table("field", "type", "pii now", "proposed", "confidence", "matched", "examples")
        for f in found.fields:
            table.add_row(
                f.name,
                f.type,
                f.current_pii or "-",
                f.proposed_pii or "-",
                f"{f.confidence:.2f}",
                f"{f.matched}/{f.sampled}",
                ", ".join(f.examples[:2]),
            )
        out.print(table)
        proposals = found.proposals()
        if accept and proposals:
            classification.accept(
                session,
                dataset=service.get(session, dataset),
                proposals=proposals,
                actor=cli_actor(),
            )
            out.print(f"accepted: {', '.join(f'{k}={v}' for k, v in proposals.items())}")
        elif proposals:
            out.print(f"{len(proposals)} proposal(s); run again with --accept to write them")
