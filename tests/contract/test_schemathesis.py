"""Property-based API test: schemathesis walks ``/openapi.json`` against the real app.

For every operation and every role (and no token at all) it generates bounded, derandomized
requests through the ASGI transport and checks that the hub never answers 5xx and that
responses match what the OpenAPI document declares (status codes, content types,
schemas). The store is SQLite with the population example loaded, so reads reach data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.app import create_app
from hub.auth.keys import Keyring
from hub.auth.tokens import TokenRequest
from hub.demo import synth
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate
from tests.hub.conftest import load_example

MAX_EXAMPLES = 25
ALL_SCOPES = ["records:read", "datasets:write", "policies:write", "catalog:publish", "audit:read"]

# role -> the claims of its token (None: no token at all)
ROLES: dict[str, dict[str, Any] | None] = {
    "admin": {"agency": None, "roles": ["admin"], "scopes": ALL_SCOPES},
    "steward": {
        "agency": "cong-an",
        "roles": ["steward"],
        "scopes": ["datasets:write", "policies:write", "catalog:publish", "records:read"],
    },
    "officer": {"agency": "thue", "roles": ["officer"], "scopes": ["records:read"]},
    "auditor": {"agency": "thanh-tra", "roles": ["auditor"], "scopes": ["audit:read"]},
    "citizen": {"agency": None, "roles": ["citizen"], "scopes": [], "citizen_id": "079190000001"},
    "anonymous": None,
}


@pytest.fixture(scope="module")
def hub_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("schemathesis") / "var"
    settings = Settings(
        database_url=f"sqlite:///{data.parent / 'hub.db'}",
        data_dir=data,
        rate_limit_per_minute=0,  # thousands of requests from a handful of principals
        rate_limit_anonymous_per_minute=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    Keyring(settings.keys_dir).ensure()
    state = HubState.build(settings)
    migrate(state.engine)
    csv_path = data.parent / "population.csv"
    synth.write_population(csv_path, 60)
    load_example(state, "population-registry", csv_path)
    yield create_app(settings, state=state)
    state.close()


@pytest.fixture(scope="module")
def api_schema(hub_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", hub_app)


@pytest.fixture(scope="module")
def tokens(hub_app: FastAPI) -> dict[str, str]:
    hub: HubState = hub_app.state.hub
    out = {}
    for role, claims in ROLES.items():
        if claims is None:
            continue
        out[role] = hub.tokens.issue(
            TokenRequest(
                sub=f"schemathesis-{role}",
                agency=claims["agency"],
                roles=claims["roles"],
                scopes=claims["scopes"],
                attrs={},
                citizen_id=claims.get("citizen_id"),
                ttl=3600,
            )
        )
    return out


#: what every response is checked for: no 5xx, and status, content type, headers and body
#: as the document declares; a guarded route answers 401 without credentials. Left out:
#: positive_data_acceptance / negative_data_rejection, which measure how much business
#: validation (slugs, known scopes...) the JSON schemas spell out, not how the hub behaves.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


#: inputs that still crash the app (500) in code this test does not own; reported to the
#: owners and left out of generation until fixed: (operations, predicate over the case)
KNOWN_ISSUES: list[tuple[set[str], Any]] = []  # none open; add (labels, predicate) rows


@pytest.mark.timeout(300)
def test_api_conforms_to_its_openapi(api_schema, tokens):
    """Every operation, positive and negative data, 25 derandomized examples each, each sent
    as every role and as nobody. Failures are collected for all operations."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, "the walk sees the API"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check_operation(operation, mode, tokens)
            except Unsatisfiable:
                # an operation without parameters or body has no invalid data to generate
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported below
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)


def _check_operation(operation: Any, mode: GenerationMode, tokens: dict[str, str]) -> None:
    known = [pred for labels, pred in KNOWN_ISSUES if operation.label in labels]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
    )
    def run(case: Any) -> None:
        assume(not any(pred(case) for pred in known))
        # the same generated request from every role (and from nobody)
        for role in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except BaseException as exc:
                exc.add_note(f"as role: {role}")
                raise

    run()
