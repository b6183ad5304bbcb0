"""Grants: the rule an approved access request adds to a dataset's policy.

An approval stores a rule in the policy-file shape in ``AccessRequest.grant``::

    {id: grant-<id>, agencies: [<requester's agency>], roles: [officer],
     purposes: [<purpose>], fields: {...}, expires: <last day>}

``build`` makes it from the steward's choice of fields (none: every requested field kept;
a list: that subset kept; a mapping: those fields so treated) and validates it against the
dataset descriptor with ``policies.model``, so a treatment that does not fit its field is
refused at approval, not at read time.

Expiry: the last day is the Ho Chi Minh City date of approval plus ``days``; the grant
works through the end of that day. ``expires_at`` stores the instant it stops (local
midnight after the last day, in UTC) and ``active`` selects ``expires_at > now`` on every
read, so expiry takes effect without a restart. The rule's own ``expires`` says the same
date, so the engine would refuse it even if a stale copy were passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.access.models import AccessRequest, RequestStatus
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.errors import Invalid
from policies.engine import HCMC_TZ
from policies.model import Keep, Rule, policy_from_dict
from policies.principal import Role

log = logging.getLogger(__name__)

GRANT_PREFIX = "grant-"
#: the role a grant names: access requests are made by officers (``access_requests.create``)
GRANT_ROLE = Role.officer

#: what a steward grants: None (all requested, kept), a subset (kept), or {field: treatment}
FieldsGranted = Sequence[str] | Mapping[str, Any] | None


def grant_id(request_id: int) -> str:
    return f"{GRANT_PREFIX}{request_id}"


def _fields(request: AccessRequest, fields: FieldsGranted) -> dict[str, Any]:
    """``{field: treatment spec}``: all requested fields kept, a subset kept, or a mapping."""
    if fields is None:
        return {name: Keep.kind for name in request.fields}
    spec = dict(fields) if isinstance(fields, Mapping) else dict.fromkeys(fields, Keep.kind)
    if not spec:
        raise Invalid("fields: grant at least one field, or reject the request instead")
    extra = [name for name in spec if name not in request.fields]
    if extra:
        raise Invalid(
            f"fields: {', '.join(map(repr, extra))} {'was' if len(extra) == 1 else 'were'} not "
            f"requested; an approval may narrow a request ({', '.join(request.fields)}), "
            "never widen it"
        )
    return spec


def build(
    request: AccessRequest, fields: FieldsGranted, *, last_day: date, decided_by: str
) -> Rule:
    """The grant rule of an approval, validated against the dataset like a policy file."""
    data = {
        "id": grant_id(request.id),
        "description": f"access request {request.id} of {request.requester}, "
        f"approved by {decided_by}",
        "agencies": [request.requester_agency],
        "roles": [GRANT_ROLE.value],
        "purposes": [request.purpose],
        "fields": _fields(request, fields),
        "expires": last_day.isoformat(),
    }
    descriptor = datasets.descriptor_of(request.dataset)
    policy = policy_from_dict(
        {"dataset": request.dataset.id, "rules": [data]},
        descriptor,
        source=f"grant of access request {request.id}",
    )
    rule = policy.rules[0]
    if not rule.visible_fields:
        raise Invalid("fields: every granted field is dropped; reject the request instead")
    return rule


def end_of_day(day: date) -> datetime:
    """The instant ``day`` ends in Ho Chi Minh City (local midnight after it), in UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=HCMC_TZ).astimezone(UTC)


def active(session: Session, *, dataset: Dataset, now: datetime) -> list[Rule]:
    """The dataset's approved, unexpired grants, oldest first, read fresh on every call.

    A stored grant that no longer validates is left out (and logged): leaving it out can
    only deny, never allow.
    """
    rows = session.execute(
        sa.select(AccessRequest.id, AccessRequest.grant)
        .where(
            AccessRequest.dataset_pk == dataset.pk,
            AccessRequest.status == RequestStatus.approved.value,
            AccessRequest.expires_at > now,
        )
        .order_by(AccessRequest.id)
    ).all()
    rules: list[Rule] = []
    for row in rows:
        try:
            rules.append(Rule.model_validate(row.grant))
        except pydantic.ValidationError:
            log.warning("access request %s: stored grant is invalid; ignored", row.id)
    return rules
