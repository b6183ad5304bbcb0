"""Request dependencies: the hub state, the caller, and the one authorization gate.

Every route either depends on ``Authorize(action)`` or on ``public`` (health, JWKS, the
token endpoint, open data). ``tests/contract/test_route_policy.py`` walks ``app.routes``
and fails on any route that has neither, so a new endpoint cannot ship unguarded.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub import limits
from hub.context import Actor
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.db import session_scope
from hub.errors import Forbidden, Unauthorized
from hub.state import HubState
from policies.decision import Action, Resource
from policies.permissions import authorize
from policies.principal import Principal

#: upper bound of integer parameters (offsets, ids): larger values are 400, not a database
#: overflow
MAX_INT = 2**31 - 1


def get_hub(request: Request) -> HubState:
    return request.app.state.hub


HubDep = Annotated[HubState, Depends(get_hub)]


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def get_principal(request: Request, hub: HubDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send a bearer token: `Authorization: Bearer <token>`")
    principal = hub.tokens.verify(token.strip())
    limits.check_principal(request, principal)  # 429 past the caller's rate
    return principal


def public(request: Request) -> None:
    """Marks a route as deliberately open (checked by the route-policy contract test).

    Public ``/v1`` routes are rate-limited per client IP (``hub.limits``)."""
    limits.check_client(request)


Public = Depends(public)


def unit_of_work(hub: HubState) -> AbstractContextManager[Session]:
    """The request's transaction: the route commits by leaving the block normally."""
    return session_scope(hub.sessions)


def read_session(hub: HubState) -> AbstractContextManager[Session]:
    """A session for a read that writes nothing itself (its audit entry goes through
    ``hub.audit_writer``): autocommit on PostgreSQL (``HubState.reads``)."""
    return session_scope(hub.reads)


def check(principal: Principal, action: Action, resource: Resource | None) -> None:
    decision = authorize(principal, action, resource)
    if not decision.allowed:
        raise Forbidden(decision.reason)


def dataset_resource(dataset: Dataset) -> Resource:
    return Resource(
        dataset_id=dataset.id, agency=dataset.agency_code, classification=dataset.classification
    )


class Authorize:
    """``Depends(Authorize(Action.X))``: the caller may do X (on the path's dataset, if any).

    Returns the ``Actor`` for services and the audit log. With ``deferred=True`` the resource
    is only known from the body (registering a dataset names its agency there): the
    dependency authenticates and the route calls ``check`` once it has parsed the body.
    """

    def __init__(self, action: Action, *, deferred: bool = False):
        self.action = action
        self.deferred = deferred

    def __call__(self, request: Request, hub: HubDep) -> Actor:
        principal = get_principal(request, hub)
        if self.deferred:
            return Actor(principal, request_id(request))
        resource = None
        dataset_id = request.path_params.get("dataset_id")
        if dataset_id is not None:
            with unit_of_work(hub) as session:
                resource = dataset_resource(datasets.get(session, dataset_id))
        check(principal, self.action, resource)
        return Actor(principal, request_id(request))
