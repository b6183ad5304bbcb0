"""Every route either passes the authorization gate or is deliberately public."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant

from hub.deps import Authorize, public
from tests.contract.conftest import api_routes

# the only routes anyone may call without a token (SPEC: health, JWKS, token, open data)
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/jwks.json",
    "/v1/auth/token",
}


def _guards(dependant: Dependant) -> list[object]:
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Authorize) or dep.call is public:
            found.append(dep.call)
        found.extend(_guards(dep))
    return found


def test_every_route_is_guarded_or_marked_public(contract_app):
    unguarded, wrongly_public = [], []
    for path, methods, route in api_routes(contract_app):
        guards = _guards(route.dependant)
        is_public = any(g is public for g in guards)
        has_gate = any(isinstance(g, Authorize) for g in guards)
        if not (is_public or has_gate):
            unguarded.append(f"{sorted(methods)} {path}")
        if is_public and path not in PUBLIC and not path.startswith("/v1/open/"):
            wrongly_public.append(path)
    assert unguarded == [], "routes with no policy check"
    assert wrongly_public == [], "routes marked public that the SPEC does not list as public"


def test_the_walk_sees_the_api(contract_app):
    # guards the test above against passing vacuously if route discovery breaks
    paths = {path for path, _, _ in api_routes(contract_app)}
    assert {"/v1/datasets", "/v1/datasets/{dataset_id}/records", "/v1/audit"} <= paths
