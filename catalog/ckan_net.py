"""The network guard of the CKAN publisher: no internal addresses unless allow-listed.

``checked_url`` validates the configured URL once (scheme, host, and every address the
host resolves to). ``guarded_session`` is a requests session whose every TCP connection
resolves the host again, checks each address and connects to the checked address, so
neither a DNS answer that changes after the first check nor a redirect can lead the
publisher (and its API token) into the hub's own network. Environment proxies are off:
through a proxy the check would be meaningless. The address rules are the http
connector's (``connectors.http_source.internal_address``): one definition of "internal".
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from catalog.ckan_errors import CkanConfigurationError, CkanServerError, CkanUnreachable
from connectors.http_source import internal_address

HINT = (
    "The hub does not send data to internal networks unless its operator allow-lists the "
    "host: add it to CIVICHUB_ALLOW_PRIVATE_HOSTS"
)


def checked_url(url: str, allowed: Iterable[str]) -> str:
    """``url`` without a trailing slash; CkanConfigurationError when it cannot be used."""
    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CkanConfigurationError(
            f"CIVICHUB_CKAN_URL {url!r} is not an http(s) URL; set it to the CKAN site root, "
            "e.g. https://data.example.gov.vn"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise CkanConfigurationError(
            f"CIVICHUB_CKAN_URL {url!r}: give only scheme, host, port and path (the API "
            "token goes in CIVICHUB_CKAN_API_TOKEN)"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise CkanConfigurationError(f"CIVICHUB_CKAN_URL {url!r}: bad port") from exc
    # not resolvable now: checked again on every connection (CkanUnreachable then)
    with contextlib.suppress(socket.gaierror):
        vetted_addresses(parts.hostname, port, _normalized(allowed))
    return parts.geturl().rstrip("/")


def vetted_addresses(host: str, port: int, allowed: frozenset[str]) -> list[str]:
    """Addresses of ``host``; CkanConfigurationError if one is internal and not allowed."""
    name = host.strip("[]").lower().rstrip(".")
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = internal_address(name, addresses, allowed)
    if refused:
        address, kind = refused
        raise CkanConfigurationError(
            f"refusing to connect to CKAN at {name!r}: it resolves to {address}, a {kind} "
            f"address. {HINT}"
        )
    return addresses


def guarded_session(allowed: Iterable[str]) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies, no .netrc credentials
    adapter = _GuardedAdapter(_normalized(allowed))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.hooks["response"].append(_check_response)
    return session


def _normalized(allowed: Iterable[str]) -> frozenset[str]:
    return frozenset(h.strip().strip("[]").lower().rstrip(".") for h in allowed if h.strip())


def _check_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    status = response.status_code
    if response.is_redirect:
        raise CkanConfigurationError(
            f"CKAN at {response.url} answered with a redirect to "
            f"{response.headers.get('Location')!r}: set CIVICHUB_CKAN_URL to the final "
            "address (often https://)"
        )
    if status in (502, 503, 504):
        raise CkanUnreachable(
            f"CKAN at {response.url} is unavailable (HTTP {status} from its front server); "
            "try again when CKAN is up"
        )
    if status >= 500:
        raise CkanServerError(
            f"CKAN failed on its side answering {response.url} (HTTP {status}); CKAN's log "
            "says why (often its database, Redis or Solr)"
        )


class _GuardMixin:
    """Resolves, checks and connects to a checked address (urllib3 2.x connection)."""

    allowed: frozenset[str] = frozenset()
    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            addresses = vetted_addresses(host, self.port, self.allowed)
        except socket.gaierror:
            return super()._new_conn()  # type: ignore[misc]  # urllib3's NameResolutionError
        error: Exception | None = None
        try:
            for address in addresses:
                self._dns_host = address  # TLS still checks the certificate against `host`
                try:
                    return super()._new_conn()  # type: ignore[misc]
                except (NewConnectionError, ConnectTimeoutError) as exc:
                    error = exc
        finally:
            self._dns_host = host
        raise error or NewConnectionError(self, f"no address for {host!r}")  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardMixin, HTTPSConnection):
    pass


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allowed: frozenset[str]) -> None:
        self._allowed = allowed
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        allowed = self._allowed
        http_conn = type("GuardedHTTP", (_GuardedHTTPConnection,), {"allowed": allowed})
        https_conn = type("GuardedHTTPS", (_GuardedHTTPSConnection,), {"allowed": allowed})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type(
                "GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
            ),
        }
