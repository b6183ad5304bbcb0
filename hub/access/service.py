"""Applying and reading dataset policies. Each apply stores a new version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.access.models import PolicyVersion
from hub.audit import service as audit
from hub.audit.events import PolicyApplied
from hub.context import Actor
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.errors import Invalid, NotFound
from policies.model import Policy, load_policy, policy_from_dict


@dataclass(frozen=True)
class StoredPolicy:
    policy: Policy
    version: int


def current(session: Session, dataset: Dataset) -> StoredPolicy | None:
    row = session.scalar(
        sa.select(PolicyVersion)
        .where(PolicyVersion.dataset_pk == dataset.pk)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    if row is None:
        return None
    descriptor = datasets.descriptor_of(dataset)
    return StoredPolicy(policy_from_dict(row.document, descriptor=descriptor), row.version)


def require_current(session: Session, dataset: Dataset) -> StoredPolicy:
    stored = current(session, dataset)
    if stored is None:
        raise NotFound(
            f"dataset {dataset.id!r} has no policy yet; nobody can read its records until a "
            "steward applies one (`civichub policy apply FILE`)"
        )
    return stored


def parse(text: str | bytes, *, source: str, dataset: Dataset) -> Policy:
    return load_policy(text, source=source, descriptor=datasets.descriptor_of(dataset))


def parse_dict(data: dict[str, Any], *, dataset: Dataset) -> Policy:
    return policy_from_dict(data, descriptor=datasets.descriptor_of(dataset))


def apply(session: Session, *, dataset: Dataset, policy: Policy, actor: Actor) -> int:
    if policy.dataset != dataset.id:
        raise Invalid(
            f"the policy is for dataset {policy.dataset!r}, not {dataset.id!r}; "
            "fix its `dataset:` line"
        )
    latest = session.scalar(
        sa.select(sa.func.max(PolicyVersion.version)).where(PolicyVersion.dataset_pk == dataset.pk)
    )
    version = (latest or 0) + 1
    session.add(
        PolicyVersion(
            dataset_pk=dataset.pk,
            version=version,
            document=policy.to_dict(),
            applied_by=actor.principal.sub,
        )
    )
    session.flush()
    audit.append(
        session,
        actor.event(
            PolicyApplied,
            dataset=dataset.id,
            policy_version=version,
            detail={"rules": [r.id for r in policy.rules]},
        ),
    )
    return version
