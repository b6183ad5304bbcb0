"""Typed settings, read once (SPEC "Configuration", prefix ``CIVICHUB_``).

Nothing reads the environment at import time: ``get_settings()`` builds the object on first
use and caches it; the app factory and the CLI call it, tests pass their own ``Settings``.
Bad configuration stops start-up with a message naming the variable (fail closed).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICHUB_", extra="ignore", env_ignore_empty=True)

    database_url: str = "sqlite:///./var/civichub.db"
    data_dir: Path = Path("./var")
    ckan_url: str | None = None
    ckan_api_token: SecretStr | None = None
    jwt_issuer: str = "civichub"
    jwt_audience: str = "civichub-api"
    #: ``issuer=jwks_url`` pairs, comma separated
    trusted_jwks: str | None = None

    #: tokens the hub issues live at most this long
    token_max_ttl: int = Field(default=24 * 3600, ge=60)
    token_default_ttl: int = Field(default=3600, ge=60)
    #: clock skew tolerated when verifying tokens (SPEC/issue: at most 60 s)
    jwt_leeway: int = Field(default=30, ge=0, le=60)

    #: JSON pages; ndjson/csv exports stream in batches of ``export_batch_size``
    default_page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    export_batch_size: int = Field(default=2000, ge=100)
    #: request bodies larger than this are refused with 413 (uploads have their own cap)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    #: ingest aborts (previous version kept) when more than this share of rows is invalid
    max_rejected_ratio: float = Field(default=0.2, ge=0.0, le=1.0)
    #: hosts the http connector and the CKAN client may reach although they resolve to
    #: private/loopback addresses (comma separated)
    allow_private_hosts: str = ""
    log_level: str = "INFO"
    #: a signed audit checkpoint every this many entries (hub.audit.checkpoints)
    audit_checkpoint_every: int = Field(default=1000, ge=1)
    #: ``purpose=days`` pairs: reads for these purposes (covert investigations) appear in the
    #: citizen's access log only after that many days
    delayed_disclosure: str = ""

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(
                "CIVICHUB_DATABASE_URL must be a SQLAlchemy URL such as "
                "sqlite:///./var/civichub.db or postgresql+psycopg://user@host/db"
            )
        if value.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver we ship; the bare scheme would look for psycopg2
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("delayed_disclosure")
    @classmethod
    def _delays(cls, value: str) -> str:
        for pair in _pairs(value):
            purpose, _, days = pair.partition("=")
            if not purpose.strip() or not days.strip().isdigit():
                raise ValueError(
                    f"CIVICHUB_DELAYED_DISCLOSURE entry {pair!r} must look like "
                    "criminal-investigation=180 (purpose=days)"
                )
        return value

    @field_validator("trusted_jwks")
    @classmethod
    def _trusted(cls, value: str | None) -> str | None:
        for pair in _pairs(value):
            issuer, _, url = pair.partition("=")
            if not issuer or not url.startswith(("https://", "http://")):
                raise ValueError(
                    f"CIVICHUB_TRUSTED_JWKS entry {pair!r} must look like issuer=https://host/jwks.json"
                )
        return value

    # -- derived paths --------------------------------------------------------------
    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def catalog_dir(self) -> Path:
        return self.data_dir / "catalog"

    @property
    def trusted_issuers(self) -> dict[str, str]:
        return dict(pair.split("=", 1) for pair in _pairs(self.trusted_jwks))

    @property
    def private_hosts_allowed(self) -> frozenset[str]:
        return frozenset(h.strip() for h in self.allow_private_hosts.split(",") if h.strip())

    @property
    def disclosure_delays(self) -> dict[str, int]:
        out = {}
        for pair in _pairs(self.delayed_disclosure):
            purpose, _, days = pair.partition("=")
            out[purpose.strip()] = int(days)
        return out

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    # -- external identity providers and limits (docs/security.md) ------------------------
    #: JWKS of trusted issuers: cached this long when the issuer sends no max-age; an
    #: issuer's max-age is honoured between ``jwks_refresh_interval`` and ``jwks_cache_max_ttl``
    jwks_cache_ttl: int = Field(default=300, ge=1)
    #: keys fetched longer ago than this are never used, even while the issuer is down
    jwks_cache_max_ttl: int = Field(default=3600, ge=1)
    #: at most one JWKS fetch per issuer per this many seconds (unknown kid, expiry, failures)
    jwks_refresh_interval: int = Field(default=60, ge=1)
    jwks_fetch_timeout: float = Field(default=3.0, gt=0, le=30)
    #: PostgreSQL cancels an API statement after this long (503); 0 = no limit
    statement_timeout_ms: int = Field(default=30_000, ge=0)
    #: token bucket per principal (issuer + sub); 0 = no limit
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=60, ge=1)
    #: token bucket per client IP on public /v1 routes (token endpoint, open data)
    rate_limit_anonymous_per_minute: int = Field(default=60, ge=0)
    rate_limit_anonymous_burst: int = Field(default=30, ge=1)
    #: NDJSON/CSV exports running at once per agency; 0 = no limit
    max_concurrent_exports: int = Field(default=2, ge=0)
    #: requests whose header block is larger than this are refused with 431
    max_header_bytes: int = Field(default=32 * 1024, ge=8 * 1024)


def _pairs(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
