"""The demo, end to end, as a library: the CLI prints what each step returns.

Synthetic data -> register -> ingest -> policies -> open data (the population registry,
de-identified, in the local catalog) -> a real HTTP server on a free port -> real HTTP
calls as three different callers and an anonymous one -> audit verification.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from connectors.descriptor import SourceSpec
from hub.access import service as access
from hub.audit import service as audit
from hub.auth.tokens import TokenRequest
from hub.context import cli_actor
from hub.datasets import flows, service
from hub.db import session_scope
from hub.demo import synth
from hub.errors import NotFound
from hub.publishing import flows as publishing
from hub.state import HubState

POPULATION_ROWS = 10_000
BUSINESS_ROWS = 2_000


def examples_dir() -> Path:
    """The checkout's examples/ (or CIVICHUB_EXAMPLES_DIR, or ./examples)."""
    candidates = [
        Path(os.environ["CIVICHUB_EXAMPLES_DIR"])
        if os.environ.get("CIVICHUB_EXAMPLES_DIR")
        else None,
        Path(__file__).resolve().parents[2] / "examples",
        Path.cwd() / "examples",
    ]
    for path in candidates:
        if path and (path / "datasets").is_dir() and (path / "policies").is_dir():
            return path
    raise NotFound(
        "cannot find the examples/ folder with datasets/ and policies/; run the demo from a "
        "checkout of the project or set CIVICHUB_EXAMPLES_DIR"
    )


@dataclass
class Call:
    who: str
    method: str
    url: str
    status: int
    body: Any


@dataclass
class DemoReport:
    data_files: dict[str, Path] = field(default_factory=dict)
    ingests: list[flows.IngestResult] = field(default_factory=list)
    policies: dict[str, int] = field(default_factory=dict)
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    audit_entries: int = 0
    audit_intact: bool = False
    tokens: dict[str, str] = field(default_factory=dict)
    publication: publishing.PublishResult | None = None


Step = Callable[[str], None]


def generate(state: HubState, report: DemoReport, step: Step) -> None:
    folder = state.settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    step(f"generating {POPULATION_ROWS:,} residents and {BUSINESS_ROWS:,} businesses")
    population = folder / "population.csv"
    owners = synth.write_population(population, POPULATION_ROWS)
    business = folder / "business.csv"
    synth.write_businesses(business, BUSINESS_ROWS, owners=owners)
    report.data_files = {"population-registry": population, "business-registry": business}


def register_and_ingest(
    state: HubState, report: DemoReport, step: Step, progress: flows.Progress | None
) -> None:
    examples = examples_dir()
    actor = cli_actor()
    for dataset_id, data in report.data_files.items():
        file = examples / "datasets" / f"{dataset_id}.yaml"
        descriptor = service.parse_descriptor_file(file)
        with session_scope(state.sessions) as session:
            if service.find(session, dataset_id) is None:
                step(f"registering {dataset_id} ({descriptor.classification.value})")
                service.register(
                    session, descriptor=descriptor, actor=actor, source_base=file.parent, via="cli"
                )
        options = {k: v for k, v in descriptor.source.options.items() if k != "path"}
        step(f"ingesting {dataset_id} from {data}")
        result = flows.ingest(
            state.sessions,
            dataset_id=dataset_id,
            actor=actor,
            cipher=state.cipher,
            context=state.connector_context(
                base_dir=str(data.parent.resolve()), api_registered=False
            ),
            source=SourceSpec(connector="csv", path=str(data.resolve()), **options),
            max_rejected_ratio=state.settings.max_rejected_ratio,
            progress=progress,
        )
        report.ingests.append(result)
        policy_file = examples / "policies" / f"{dataset_id}.yaml"
        with session_scope(state.sessions) as session:
            dataset = service.get(session, dataset_id)
            policy = access.parse(
                policy_file.read_bytes(), source=str(policy_file), dataset=dataset
            )
            report.policies[dataset_id] = access.apply(
                session, dataset=dataset, policy=policy, actor=actor
            )
        step(f"applied {policy_file.name} (version {report.policies[dataset_id]})")


def publish_open_data(state: HubState, report: DemoReport, step: Step) -> None:
    """The population registry, de-identified (k = 5), into the local catalog."""
    step("publishing population-registry as open data (de-identified, k = 5)")
    report.publication = publishing.publish(
        state,
        request=publishing.PublishRequest("population-registry", target="local"),
        actor=cli_actor(),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(state: HubState) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1:<free port>, in a background thread."""
    from hub.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(state.settings, state=state), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo HTTP server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def demo_tokens(state: HubState, ward: str) -> dict[str, str]:
    def issue(sub: str, agency: str | None, roles: list[str], scopes: list[str], attrs=None) -> str:
        return state.tokens.issue(
            TokenRequest(sub=sub, agency=agency, roles=roles, scopes=scopes, attrs=attrs or {})
        )

    return {
        "tax officer (thue)": issue("tax-officer-01", "thue", ["officer"], ["records:read"]),
        "health officer (y-te)": issue(
            "health-officer-07", "y-te", ["officer"], ["records:read"], {"ward": ward}
        ),
        "developer": issue("dev-startup-42", None, ["developer"], []),
    }


def calls(base_url: str, tokens: dict[str, str], sample_tax_code: str) -> list[Call]:
    tax, health, dev = tokens.values()
    names = list(tokens)
    plan = [
        (
            names[0],
            tax,
            "/v1/datasets/population-registry/records?purpose=tax-administration&limit=3",
        ),
        (names[1], health, "/v1/datasets/population-registry/records?purpose=healthcare&limit=3"),
        (names[0], tax, "/v1/datasets/population-registry/records?limit=3"),
        (names[2], dev, "/v1/datasets/population-registry/records?purpose=research&limit=3"),
        (
            names[0],
            tax,
            f"/v1/datasets/business-registry/records/{sample_tax_code}?purpose=tax-administration",
        ),
    ]
    out = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for who, token, url in plan:
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
            out.append(Call(who, "GET", url, response.status_code, response.json()))
        # open data needs no token at all
        url = "/v1/open/datasets/population-registry/records?limit=3"
        response = client.get(url)
        out.append(Call("anyone (no token)", "GET", url, response.status_code, response.json()))
    return out


def verify_audit(state: HubState, report: DemoReport) -> None:
    with session_scope(state.sessions) as session:
        result = audit.verify(session)
    report.audit_entries, report.audit_intact = result.count, result.intact
