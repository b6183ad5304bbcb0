"""Who is asking: the principal a verified token describes (SPEC "Principals and tokens").

The hub builds a ``Principal`` from verified JWT claims; everything in ``policies`` decides
over it and never sees a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    admin = "admin"
    steward = "steward"
    officer = "officer"
    auditor = "auditor"
    citizen = "citizen"
    developer = "developer"


class Scope(StrEnum):
    records_read = "records:read"
    datasets_write = "datasets:write"
    policies_write = "policies:write"
    catalog_publish = "catalog:publish"
    audit_read = "audit:read"


@dataclass(frozen=True)
class Principal:
    sub: str
    agency: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    attrs: dict[str, Any] = field(default_factory=dict)
    citizen_id: str | None = None
    issuer: str | None = None
    token_id: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles

    def claims(self) -> dict[str, Any]:
        """The token-facing view, as used by ``${...}`` substitutions and explain."""
        out: dict[str, Any] = {
            "sub": self.sub,
            "agency": self.agency,
            "roles": sorted(self.roles),
            "scope": " ".join(sorted(self.scopes)),
            "attrs": dict(self.attrs),
        }
        if self.citizen_id:
            out["citizen_id"] = self.citizen_id
        return out


def split_list(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Roles and scopes come comma- or space-separated (CLI, JWT `scope`) or as lists."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in value.replace(",", " ").split() if p]
    if not isinstance(value, list | tuple):
        # a ValueError, so validators report it as bad input, never as a crash
        raise ValueError("expected a string or a list of strings")
    out: list[str] = []
    for item in value:
        out.extend(split_list(item))
    return out
