"""Access requests: an officer asks, a steward of the owning agency decides, approval grants.

Lifecycle (``AccessRequest.status``):

1. ``pending``: an officer asks for a dataset's fields, for one purpose, for 1 to 365
   days, with a justification (``create``). The dataset must already have a policy (a
   grant is an extra rule of that policy; a dataset without one stays closed), and the
   officer's agency must not already be able to read it for that purpose: the first
   matching rule decides a read, so a grant behind a matching rule would never be used.
2. ``approved`` (``approve``): the steward may narrow the fields (a subset of those
   requested) or give each a treatment (``{field: treatment}``; fields not named are
   not granted). The approval stores a rule in the policy-file shape in ``grant``::

       {id: grant-<id>, agencies: [<requester's agency>], roles: [officer],
        purposes: [<purpose>], fields: {...}, expires: <last day>}

   It is validated against the dataset descriptor like a policy file, so a treatment
   that does not fit its field is refused when the steward approves, not when someone
   reads. The grant is for the requester's *agency*: every officer of that agency may
   use it for that purpose, as with any policy rule (rules name agencies and roles,
   never persons); the audit log names who read.
3. ``rejected`` (``reject``): with a reason, required.

A decided request never changes again (deciding it again is 409).

Expiry: the last day is the Ho Chi Minh City date of approval plus ``days`` (see
``hub.access.grants``, which also builds the rule and finds the active ones for a read).

Who sees a request: whoever may decide it (``access_requests.decide`` on its dataset:
admins, stewards of the owning agency) and the officer who made it. The permissions come
from ``policies.permissions``; nothing here adds a rule of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from connectors.descriptor import SLUG
from hub.access import grants
from hub.access import service as policies
from hub.access.models import AccessRequest, RequestStatus
from hub.audit import service as audit
from hub.audit.events import AccessApproved, AccessRejected, AccessRequested
from hub.context import Actor
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from policies.decision import Action, Resource, RuleOutcome
from policies.engine import evaluate_rules, local_date
from policies.permissions import authorize
from policies.principal import Principal, Scope

MAX_DAYS = 365
MAX_JUSTIFICATION = 5000


def resource_of(dataset: Dataset) -> Resource:
    return Resource(dataset_id=dataset.id, agency=dataset.agency_code)


# -- asking ------------------------------------------------------------------------------


def create(
    session: Session,
    *,
    dataset: Dataset,
    actor: Actor,
    purpose: str,
    fields: Sequence[str],
    justification: str,
    days: int,
    entered_by: str | None = None,
    now: datetime | None = None,
) -> AccessRequest:
    """File a pending request for ``actor``'s agency (checks in the module docstring).

    ``entered_by`` names an operator who filed it on the officer's behalf (the CLI).
    """
    principal = actor.principal
    if not principal.agency:
        raise Invalid(
            "your token names no agency; access is granted to an agency's officers, so a "
            "request needs the `agency` claim"
        )
    purpose = _purpose(purpose)
    wanted = _known_fields(dataset, fields)
    justification = _justification(justification)
    _check_days(days)
    _ensure_useful(session, dataset, principal, purpose, now or utcnow())
    _ensure_no_pending(session, dataset, principal, purpose)
    request = AccessRequest(
        dataset_pk=dataset.pk,
        requester=principal.sub,
        requester_agency=principal.agency,
        requester_roles=sorted(principal.roles),
        purpose=purpose,
        fields=wanted,
        justification=justification,
        days=days,
        status=RequestStatus.pending.value,
    )
    request.dataset = dataset
    session.add(request)
    session.flush()
    audit.append(
        session,
        actor.event(
            AccessRequested,
            dataset=dataset.id,
            purpose=purpose,
            fields=tuple(wanted),
            detail={
                "access_request": request.id,
                "days": days,
                **({"entered_by": entered_by} if entered_by else {}),
            },
        ),
    )
    return request


def _purpose(value: str) -> str:
    purpose = (value or "").strip()
    if len(purpose) > 100 or not SLUG.match(purpose):
        raise Invalid(
            f"purpose {value!r} must be a slug such as tax-administration: lower-case "
            "letters, digits and '-', at most 100 characters"
        )
    return purpose


def _justification(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid("justification: say why your agency needs this data (it must not be empty)")
    if len(text) > MAX_JUSTIFICATION:
        raise Invalid(f"justification: at most {MAX_JUSTIFICATION} characters")
    return text


def _check_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}, not {days!r}")


def _known_fields(dataset: Dataset, fields: Sequence[str]) -> list[str]:
    names = datasets.descriptor_of(dataset).field_names
    wanted = list(dict.fromkeys(str(f).strip() for f in fields or () if str(f).strip()))
    if not wanted:
        raise Invalid(f"fields: name at least one field of {dataset.id!r}: {', '.join(names)}")
    unknown = [f for f in wanted if f not in names]
    if unknown:
        raise Invalid(
            f"fields: dataset {dataset.id!r} has no field {', '.join(map(repr, unknown))}; "
            f"its fields are: {', '.join(names)}",
            unknown_fields=unknown,
        )
    return wanted


def _ensure_useful(
    session: Session, dataset: Dataset, principal: Principal, purpose: str, now: datetime
) -> None:
    """Refuse a request whose grant could never decide a read (see the module docstring)."""
    stored = policies.current(session, dataset)
    if stored is None:
        raise Conflict(
            f"dataset {dataset.id!r} has no access policy yet, so nothing can be granted on "
            "it; its steward must apply a policy first"
        )
    as_officer = Principal(
        sub=principal.sub,
        agency=principal.agency,
        roles=frozenset({grants.GRANT_ROLE}),
        scopes=frozenset({Scope.records_read}),
    )
    notes = evaluate_rules(
        policy=stored.policy,
        principal=as_officer,
        purpose=purpose,
        now=now,
        extra_rules=grants.active(session, dataset=dataset, now=now),
    )
    matched = next((n for n in notes if n.outcome is RuleOutcome.matched), None)
    if matched is not None:
        raise Conflict(
            f"officers of {principal.agency} can already read {dataset.id!r} for purpose "
            f"{purpose!r} under {matched.source} rule {matched.rule_id!r}; the first matching "
            "rule decides a read, so a grant would never be used. Ask the steward to change "
            "that rule instead (POST /v1/policy/explain shows what it gives you)",
            rule_id=matched.rule_id,
        )


def _ensure_no_pending(
    session: Session, dataset: Dataset, principal: Principal, purpose: str
) -> None:
    pending = session.scalar(
        sa.select(AccessRequest.id).where(
            AccessRequest.dataset_pk == dataset.pk,
            AccessRequest.requester == principal.sub,
            AccessRequest.requester_agency == principal.agency,
            AccessRequest.purpose == purpose,
            AccessRequest.status == RequestStatus.pending.value,
        )
    )
    if pending is not None:
        raise Conflict(
            f"you already have pending request {pending} for {dataset.id!r} and purpose "
            f"{purpose!r}; wait for the steward's decision",
            access_request=pending,
        )


# -- reading -----------------------------------------------------------------------------


def get(session: Session, request_id: int, *, for_update: bool = False) -> AccessRequest:
    query = sa.select(AccessRequest).where(AccessRequest.id == request_id)
    if for_update:  # PostgreSQL: two stewards deciding at once are serialized here
        query = query.with_for_update(of=AccessRequest)
    request = session.scalar(query)
    if request is None:
        raise NotFound(f"no access request {request_id}")
    return request


def _own(principal: Principal, request: AccessRequest) -> bool:
    return request.requester == principal.sub and request.requester_agency == principal.agency


def ensure_visible(principal: Principal, request: AccessRequest) -> None:
    """Deciders of its dataset and the officer who asked may see a request; others 403."""
    decide = authorize(principal, Action.access_requests_decide, resource_of(request.dataset))
    if decide.allowed:
        return
    own = _own(principal, request)
    if own and authorize(principal, Action.access_requests_create, None).allowed:
        return
    raise Forbidden(f"access request {request.id} is not yours and {decide.reason}")


@dataclass(frozen=True)
class Visibility:
    """Which requests a principal may list; derived from the permissions table."""

    everything: bool = False
    agency: str | None = None  # requests for this agency's datasets
    own: Principal | None = None  # requests this principal made

    @classmethod
    def of(cls, principal: Principal) -> Visibility:
        decide_any = authorize(principal, Action.access_requests_decide, None).allowed
        decide_own = (
            bool(principal.agency)
            and authorize(
                principal, Action.access_requests_decide, Resource(agency=principal.agency)
            ).allowed
        )
        creates = authorize(principal, Action.access_requests_create, None)
        if not (decide_any or decide_own or creates.allowed):
            raise Forbidden(
                "access requests are listed for those who decide them (admins, stewards with "
                f"policies:write) and the officers who made them; {creates.reason}"
            )
        return cls(
            everything=decide_any,
            agency=principal.agency if decide_own else None,
            own=principal if creates.allowed else None,
        )

    def where(self) -> sa.ColumnElement[bool]:
        if self.everything:
            return sa.true()
        either: list[sa.ColumnElement[bool]] = []
        if self.agency:
            either.append(Dataset.agency_code == self.agency)
        if self.own is not None:
            either.append(
                sa.and_(
                    AccessRequest.requester == self.own.sub,
                    AccessRequest.requester_agency == self.own.agency,
                )
            )
        return sa.or_(*either)


#: what the console operator sees (the CLI acts as the local admin)
EVERYTHING = Visibility(everything=True)


def list_requests(
    session: Session,
    *,
    visibility: Visibility,
    dataset_id: str | None = None,
    status: RequestStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AccessRequest], int]:
    """Newest first, only those ``visibility`` allows (filtered in SQL)."""
    query = (
        sa.select(AccessRequest)
        .join(Dataset, AccessRequest.dataset_pk == Dataset.pk)
        .options(contains_eager(AccessRequest.dataset))
        .where(visibility.where())
    )
    if dataset_id:
        query = query.where(Dataset.id == dataset_id)
    if status:
        query = query.where(AccessRequest.status == status.value)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AccessRequest.id.desc()).limit(limit).offset(offset))
    return list(rows), total


# -- deciding ----------------------------------------------------------------------------


def approve(
    session: Session,
    *,
    request: AccessRequest,
    actor: Actor,
    fields: grants.FieldsGranted = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AccessRequest:
    """Approve a pending request, creating its grant (module docstring). Caller authorizes."""
    _ensure_pending(request)
    now = now or utcnow()
    last_day = local_date(now) + timedelta(days=request.days)
    rule = grants.build(request, fields, last_day=last_day, decided_by=actor.principal.sub)
    request.status = RequestStatus.approved.value
    request.decided_by = actor.principal.sub
    request.decided_at = now
    request.decision_reason = (reason or "").strip() or None
    request.grant = rule.to_dict()
    request.expires_at = grants.end_of_day(last_day)
    session.flush()
    audit.append(
        session,
        actor.event(
            AccessApproved,
            dataset=request.dataset.id,
            purpose=request.purpose,
            fields=tuple(rule.visible_fields),
            rule_id=rule.id,
            detail={
                "access_request": request.id,
                "requester": request.requester,
                "requester_agency": request.requester_agency,
                "expires": last_day.isoformat(),
                "grant": request.grant["fields"],
            },
        ),
    )
    return request


def reject(session: Session, *, request: AccessRequest, actor: Actor, reason: str) -> AccessRequest:
    """Reject a pending request; the reason is required (the officer reads it)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason: say why the request is rejected (it must not be empty)")
    _ensure_pending(request)
    request.status = RequestStatus.rejected.value
    request.decided_by = actor.principal.sub
    request.decided_at = utcnow()
    request.decision_reason = reason
    session.flush()
    audit.append(
        session,
        actor.event(
            AccessRejected,
            dataset=request.dataset.id,
            purpose=request.purpose,
            fields=tuple(request.fields),
            decision="deny",
            detail={
                "access_request": request.id,
                "requester": request.requester,
                "requester_agency": request.requester_agency,
            },
        ),
    )
    return request


def _ensure_pending(request: AccessRequest) -> None:
    if request.status != RequestStatus.pending.value:
        when = f" on {request.decided_at:%Y-%m-%d %H:%M} UTC" if request.decided_at else ""
        raise Conflict(
            f"access request {request.id} was already {request.status}{when} by "
            f"{request.decided_by}; a decided request cannot be decided again (file a new one)",
            request_status=request.status,
        )
