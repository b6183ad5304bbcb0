"""The ``http`` connector: records from a JSON API, page by page.

Pagination is by page number, offset or cursor. Transient failures (connection errors,
timeouts, 429 and 5xx) are retried with exponential backoff, honouring a short
``Retry-After``. Every TCP connection goes through an SSRF guard: the host is resolved
once, every address is checked, and the connection is made to the checked address, so
neither a redirect nor a DNS answer that changes between check and connect can reach the
hub's own network. Internal agency hosts must be allow-listed by the hub operator in
``ConnectorContext.allowed_private_hosts``; a descriptor can not do it.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpcore
import httpx
from pydantic import Field, field_validator, model_validator
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connectors.base import (
    ENV_REF,
    Connector,
    ConnectorOptions,
    MappedOptions,
    RawRow,
    short_list,
)
from connectors.errors import SourceError
from connectors.registry import register

#: a single JSON page is held in memory to parse it; bigger than this is a misconfiguration
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: a server asking for a longer pause than this gets our own backoff instead
MAX_RETRY_AFTER = 60.0
_MAX_BACKOFF = 60.0
_USER_AGENT = "civichub-connector/0.1"


class Pagination(ConnectorOptions):
    type: Literal["none", "page", "offset", "cursor"] = "none"
    page_param: str = "page"
    start_page: int = 1
    size_param: str | None = None  # default: "page_size" for page, "limit" otherwise
    page_size: int = Field(default=100, ge=1, le=100_000)
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    next_cursor_path: str | None = None

    @model_validator(mode="after")
    def _cursor_needs_path(self) -> Pagination:
        if self.type == "cursor" and not self.next_cursor_path:
            raise ValueError("cursor pagination needs `next_cursor_path`")
        return self

    @property
    def size_name(self) -> str:
        return self.size_param or ("page_size" if self.type == "page" else "limit")


class HttpOptions(MappedOptions):
    url: str = Field(min_length=1)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None  # JSON body for POST
    records_path: str = ""
    pagination: Pagination = Pagination()
    max_pages: int = Field(default=100_000, ge=1)
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0, le=_MAX_BACKOFF)  # first pause; doubles

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if not ENV_REF.search(value):
            _check_web_url(value, error=ValueError)
        return value


@register
class HttpConnector(Connector):
    name = "http"
    Options = HttpOptions
    unit = "pages"

    options: HttpOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = self.options.columns
        by_field = {target: source for source, target in columns.items()}
        self._sources = [(by_field.get(f.name, f.name), f.name) for f in self.fields]
        self._pager: _Pager | None = None

    def describe(self) -> str:
        # the url as written: ${env:...} references stay unexpanded, so no secret leaks
        return f"HTTP {self.options.method} {self.options.url}"

    def progress(self) -> tuple[int, int | None]:
        done = self._pager.done if self._pager else 0
        return done, 1 if self.options.pagination.type == "none" else None

    def batches(self, batch_size: int = 5000) -> Iterator[list[RawRow]]:
        url = _check_web_url(self.context.expand(self.options.url), error=SourceError)
        with self._client() as client:
            batch: list[RawRow] = []
            number, checked = 0, False
            self._pager = _Pager(self, client, url)
            for records in self._pager.pages():
                if records and not checked:
                    self._check_keys(records)
                    checked = True
                for record in records:
                    number += 1
                    batch.append(self._row(number, record))
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
            if batch:
                yield batch

    def _client(self) -> httpx.Client:
        headers = {k: self.context.expand(v) for k, v in self.options.headers.items()}
        headers.setdefault("User-Agent", _USER_AGENT)
        return httpx.Client(
            transport=GuardedTransport(self.context.allowed_private_hosts),
            headers=headers,
            timeout=self.options.timeout,
            follow_redirects=True,  # safe: every hop connects through the guard
            trust_env=False,  # proxies from the environment would bypass the guard
        )

    def _row(self, number: int, record: Any) -> RawRow:
        if not isinstance(record, dict):
            return RawRow(number, {}, f"record is not a JSON object (got {_json_type(record)})")
        return RawRow(number, {name: record.get(source) for source, name in self._sources})

    def _check_keys(self, records: list[Any]) -> None:
        """A field no record of the first page has is a mapping mistake, not missing data."""
        seen: set[str] = set()
        for record in records:
            if isinstance(record, dict):
                seen.update(record)
        missing = [name for source, name in self._sources if source not in seen]
        if missing:
            raise SourceError(
                f"records from {self.describe()} lack fields: {', '.join(missing)} (records "
                f"have: {short_list(sorted(seen))}); map them with `columns:` or check "
                "`records_path:`"
            )


@dataclass
class _Pager:
    """Walks the pages of one source; keeps the page/offset/cursor position."""

    connector: HttpConnector
    client: httpx.Client
    url: str
    page: int = 0
    offset: int = 0
    cursor: str | None = None
    seen_cursors: set[str] = field(default_factory=set)
    done: int = 0

    def pages(self) -> Iterator[list[Any]]:
        options = self.connector.options
        paging = options.pagination
        self.page = paging.start_page
        for _ in range(options.max_pages):
            body = _Fetcher(self.connector, self.client).fetch(self.url, self._params(paging))
            records = _records(body, options.records_path)
            self.done += 1
            yield records
            if paging.type == "none" or not records or not self._advance(paging, body, records):
                return
        raise SourceError(
            f"{self.connector.describe()} still had more after max_pages={options.max_pages} "
            "pages; raise `max_pages:` if the source really is that large"
        )

    def _params(self, paging: Pagination) -> dict[str, str]:
        expand = self.connector.context.expand
        params = {k: expand(v) for k, v in self.connector.options.params.items()}
        if paging.type == "none":
            return params
        params[paging.size_name] = str(paging.page_size)
        if paging.type == "page":
            params[paging.page_param] = str(self.page)
        elif paging.type == "offset":
            params[paging.offset_param] = str(self.offset)
        elif self.cursor is not None:
            params[paging.cursor_param] = self.cursor
        return params

    def _advance(self, paging: Pagination, body: Any, records: list[Any]) -> bool:
        """Move to the next page; False when this one was the last."""
        if paging.type == "cursor":
            # the cursor is authoritative: a short page is not the end while it continues
            cursor = _dig(body, paging.next_cursor_path or "")
            if cursor is None or cursor == "":
                return False
            self.cursor = str(cursor)
            if self.cursor in self.seen_cursors:
                raise SourceError(
                    f"{self.connector.describe()} returned cursor {self.cursor!r} twice; "
                    "check `next_cursor_path:` and `cursor_param:`"
                )
            self.seen_cursors.add(self.cursor)
            return True
        if len(records) < paging.page_size:
            return False
        self.page += 1
        self.offset += len(records)
        return True


class _RetryableStatus(Exception):
    def __init__(self, status: int, reason: str, retry_after: float | None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.retry_after = retry_after


_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass
class _Fetcher:
    """One page request with retries, turned into parsed JSON or a SourceError."""

    connector: HttpConnector
    client: httpx.Client

    def fetch(self, url: str, params: dict[str, str]) -> Any:
        options = self.connector.options
        retrying = Retrying(
            stop=stop_after_attempt(options.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type((*_RETRYABLE, _RetryableStatus)),
            reraise=True,
        )
        attempts = f"{options.retries + 1} attempt(s)"
        where = self.connector.describe()
        try:
            return retrying(self._once, url, params)
        except _RetryableStatus as exc:
            raise SourceError(
                f"{where} answered {exc} on each of {attempts}; the service is failing or "
                "rate-limiting the hub, try again later"
            ) from None
        except httpx.TimeoutException:
            raise SourceError(
                f"{where} did not answer within {options.timeout:g}s ({attempts}); "
                "raise `timeout:` or ask the agency about the service"
            ) from None
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot reach {where}: {exc or type(exc).__name__} ({attempts}); check the "
                "url and that the hub can reach the host"
            ) from None

    def _once(self, url: str, params: dict[str, str]) -> Any:
        options = self.connector.options
        with self.client.stream(options.method, url, params=params, json=options.body) as resp:
            status = resp.status_code
            if status == 429 or status >= 500:
                retry_after = _retry_after(resp.headers.get("retry-after"))
                raise _RetryableStatus(status, resp.reason_phrase, retry_after)
            if status >= 400:
                raise SourceError(_status_message(self.connector.describe(), resp))
            content = _read_capped(resp, self.connector.describe())
        return _parse_json(content, resp, self.connector.describe())

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _RetryableStatus) else None
        if asked is not None and asked <= MAX_RETRY_AFTER:  # a long pause: our own backoff
            return asked
        pause = self.connector.options.backoff * 2 ** (state.attempt_number - 1)
        return float(min(pause, _MAX_BACKOFF))


def _status_message(where: str, resp: httpx.Response) -> str:
    status = f"{resp.status_code} {resp.reason_phrase}"
    if resp.status_code in (401, 403):
        return f"{where} answered {status}; check the credentials in `headers:` (${{env:NAME}})"
    if resp.status_code == 404:
        return f"{where} answered {status}; check `url:`"
    return f"{where} answered {status}; check the url, `params:` and `pagination:`"


def _read_capped(resp: httpx.Response, where: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_bytes():
        size += len(chunk)
        if size > MAX_PAGE_BYTES:
            raise SourceError(
                f"a page from {where} is larger than {MAX_PAGE_BYTES // 2**20} MB; "
                "ask for smaller pages with `pagination:`"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(content: bytes, resp: httpx.Response, where: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        kind = resp.headers.get("content-type", "no content-type")
        start = content[:80].decode("utf-8", "replace")
        raise SourceError(
            f"{where} did not answer JSON ({kind}; starts with {start!r}); check `url:`"
        ) from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _records(body: Any, path: str) -> list[Any]:
    found = _dig(body, path) if path else body
    if not isinstance(found, list):
        where = f"records_path {path!r}" if path else "the response (records_path is empty)"
        keys = f"; top-level keys: {short_list(list(body))}" if isinstance(body, dict) else ""
        raise SourceError(
            f"{where} is {_json_type(found)}, not a list of records{keys}; set `records_path:`"
        )
    return found


def _dig(body: Any, path: str) -> Any:
    """The value at a dotted path; None where the path does not exist."""
    current = body
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "missing or null"
    return names.get(type(value), "a number")


def _check_web_url(url: str, *, error: type[Exception]) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise error(f"url {url!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise error(f"url must be an http:// or https:// address with a host, not {url!r}")
    return url


# -- SSRF guard ---------------------------------------------------------------------------


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that connects only to addresses ``vetted_addresses`` accepts
    (the HTTP connector and the hub's JWKS fetcher both use it)."""

    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx has no public hook for name resolution; giving the pool our network
        # backend is the one place where the address we check is the address we connect to
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=_GuardedBackend(allowed_hosts)
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle is slow; one context serves every fetch (client side only)."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allowed_hosts: frozenset[str]) -> None:
        self._allowed = {h.strip("[]").lower() for h in allowed_hosts}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = vetted_addresses(host, port, self._allowed)
        error: httpcore.ConnectError | None = None
        for address in addresses:  # TLS still verifies the name: httpcore passes it as SNI
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host!r}")


def vetted_addresses(host: str, port: int, allowed: set[str] | frozenset[str]) -> list[str]:
    """The addresses of ``host``; SourceError if any is internal and not allow-listed."""
    name = host.strip("[]").lower().rstrip(".")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # retried like any other connection failure: DNS hiccups are transient
        raise httpcore.ConnectError(f"cannot resolve host {name!r}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = internal_address(name, addresses, allowed)
    if refused:
        address, kind = refused
        raise SourceError(
            f"refusing to connect to {name!r}: it resolves to {address}, a {kind} address. "
            "The hub does not fetch from internal networks unless its operator allow-lists "
            "the host (allowed private hosts)"
        )
    return addresses


def internal_address(
    name: str, addresses: Sequence[str], allowed: set[str] | frozenset[str]
) -> tuple[str, str] | None:
    """(address, kind) of the first internal address of ``name`` not allow-listed, if any."""
    if name in allowed:
        return None
    for address in addresses:
        kind = internal_kind(address)
        if kind and address not in allowed:
            return address, kind
    return None


def internal_kind(address: str) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    kinds: Sequence[tuple[str, bool]] = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    return next((kind for kind, hit in kinds if hit), None)
