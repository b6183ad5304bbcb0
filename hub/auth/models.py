"""Registered API clients (OAuth2 client credentials)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow


class ApiClient(Base):
    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(300))
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    agency: Mapped[str | None] = mapped_column(sa.String(63))
    roles: Mapped[list[Any]]
    scopes: Mapped[list[Any]]
    attrs: Mapped[dict[str, Any]]
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
