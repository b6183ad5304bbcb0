"""Everything a running hub holds: built once by the app factory or the CLI.

No globals: ``create_app`` puts a ``HubState`` on ``app.state.hub``; the CLI builds one
per command. Tests build their own from their own ``Settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import ConnectorContext
from connectors.descriptor import DatasetDescriptor
from hub.audit.checkpoints import CheckpointSigner
from hub.audit.service import SIGNER
from hub.audit.writer import AuditWriter
from hub.auth.jwks import trusted_issuers
from hub.auth.keys import Keyring
from hub.auth.tokens import TokenService
from hub.crypto import FieldCipher
from hub.db import make_engine, make_sessionmaker
from hub.records.context import ParseCache
from hub.settings import Settings

if TYPE_CHECKING:
    from anonymizer.engine import PiiEngine
from policies.treatments import TreatmentContext

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FreeTextRedactor = Callable[[list[str | None]], list[str | None]]


@dataclass
class HubState:
    settings: Settings
    engine: sa.Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    tokens: TokenService
    _redactor: FreeTextRedactor | None = field(default=None, repr=False)
    #: read entries are committed in groups (hub.audit.writer)
    audit_writer: AuditWriter = field(init=False, repr=False)
    #: parsed descriptors, policies and layouts of the read path (hub.records.context)
    parsed: ParseCache = field(init=False, repr=False)

    #: sessions for reads that write nothing (see ``read_sessions``)
    reads: sessionmaker[Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.audit_writer = AuditWriter(self.sessions)
        self.parsed = ParseCache()
        self.reads = self._read_sessions()

    def _read_sessions(self) -> sessionmaker[Session]:
        """PostgreSQL: autocommit, for record reads. Their statements only read and their
        audit entry is written by ``audit_writer`` on a session of its own, so the BEGIN
        and COMMIT round trips would buy nothing. Never use it for anything that writes:
        each statement commits on its own (and an advisory lock would not be held)."""
        if self.engine.dialect.name != "postgresql":
            return self.sessions
        reads = make_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        reads.configure(info=self.sessions.kw.get("info", {}))
        return reads

    @classmethod
    def build(cls, settings: Settings) -> HubState:
        engine = make_engine(settings.database_url)
        keyring = Keyring(settings.keys_dir)
        tokens = TokenService(
            keyring,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway,
            max_ttl=settings.token_max_ttl,
            trusted=trusted_issuers(settings),
        )
        sessions = make_sessionmaker(engine)
        # every session the hub opens can sign audit checkpoints (hub.audit.checkpoints)
        signer = CheckpointSigner(keyring, every=settings.audit_checkpoint_every)
        sessions.configure(info={SIGNER: signer})
        return cls(settings, engine, sessions, keyring, tokens)

    def close(self) -> None:
        self.engine.dispose()

    @cached_property
    def cipher(self) -> FieldCipher:
        return self.keyring.cipher()

    def reload_keys(self) -> None:
        """After `civichub keys rotate` in this process: drop cached key material."""
        self.__dict__.pop("cipher", None)

    @cached_property
    def pseudonym_key(self) -> bytes:
        return self.keyring.pseudonym_key()

    def pii_engine(self) -> PiiEngine:
        """The Presidio engine, built on first use (about a second; not every command needs it)."""
        from anonymizer import get_engine

        return get_engine()

    def free_text_redactor(self) -> FreeTextRedactor:
        if self._redactor is None:
            engine = self.pii_engine()
            self._redactor = lambda texts: engine.redact_batch(texts, "vi")
        return self._redactor

    def treatment_context(self, descriptor: DatasetDescriptor) -> TreatmentContext:
        return TreatmentContext(
            field_types={f.name: f.type for f in descriptor.fields},
            pii_types={f.name: f.pii for f in descriptor.fields},
            pseudonym_key=self.pseudonym_key,
            today=datetime.now(LOCAL_TZ).date(),
            redact_free_text=self._redact_lazily,
        )

    def _redact_lazily(self, texts: list[str | None]) -> list[str | None]:
        # the engine costs ~60 MB and seconds per worker: build it only when a rule
        # actually redacts free text, not on every worker's first read
        return self.free_text_redactor()(texts)

    def connector_context(self, *, base_dir: str, api_registered: bool) -> ConnectorContext:
        roots = (self.settings.uploads_dir.resolve(),) if api_registered else None
        return ConnectorContext(
            base_dir=Path(base_dir),
            allowed_roots=roots,
            allowed_private_hosts=self.settings.private_hosts_allowed,
        )
