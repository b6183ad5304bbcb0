"""Who is acting, and under which request: passed from routes, CLI and jobs to services."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from hub.audit.events import AuditEvent
from policies.principal import Principal, Role


@dataclass(frozen=True)
class Actor:
    principal: Principal
    request_id: str | None = None

    def event(self, cls: type[AuditEvent], **fields: object) -> AuditEvent:
        return cls(
            principal=self.principal.sub,
            agency=self.principal.agency,
            request_id=self.request_id,
            **fields,  # type: ignore[arg-type]
        )


def cli_actor() -> Actor:
    """The operator at the console: local admin rights, named in the audit log.

    The CLI talks to the store directly, so whoever can run it can already read the
    database and keys; it acts as admin and says who it was.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(Principal(sub=f"cli:{user}", roles=frozenset({Role.admin})))
