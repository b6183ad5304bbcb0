"""The ``http`` connector against a real local JSON API (see conftest.FakeApi)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connectors.base import ConnectorContext, RawRow
from connectors.descriptor import FieldSpec, SourceSpec
from connectors.errors import DocumentError, SourceError
from connectors.http_source import HttpConnector, internal_kind, vetted_addresses


def read(
    options: dict[str, Any],
    context: ConnectorContext,
    fields: list[FieldSpec],
    batch_size: int = 5000,
) -> list[list[RawRow]]:
    source = SourceSpec(connector="http", **{"retries": 0, **options})
    reader = HttpConnector.from_source(source, context=context, fields=fields)
    return list(reader.batches(batch_size))


def ids(batches: list[list[RawRow]]) -> list[int]:
    return [int(row.values["citizen_id"]) for batch in batches for row in batch]


def test_unpaginated_list_is_read_in_batches(api, api_context, people_fields):
    batches = read({"url": api.url("/list")}, api_context, people_fields, batch_size=2)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert ids(batches) == [0, 1, 2, 3, 4]
    assert [r.number for b in batches for r in b] == [1, 2, 3, 4, 5]
    assert batches[0][1].values == {
        "citizen_id": "000000000001",
        "full_name": "Người 1",
        "ward": "phuong-ben-thanh",
    }


@pytest.mark.parametrize(
    ("total", "pages"),
    [
        (25, 3),  # the third page is short: the connector stops without asking for a fourth
        (20, 3),  # an exact multiple: the third page is empty and ends the walk
        (0, 1),  # nothing at all: one empty page
    ],
)
def test_page_pagination(api, api_context, people_fields, total, pages):
    api.requests.clear()
    connector = HttpConnector.from_source(
        SourceSpec(
            connector="http",
            url=api.url("/page"),
            params={"total": str(total)},
            records_path="data.items",
            pagination={"type": "page", "page_size": 10},
        ),
        context=api_context,
        fields=people_fields,
    )
    assert ids(list(connector.batches())) == list(range(total))
    sent = api.queries("/page")
    assert [q["page"] for q in sent] == [[str(n)] for n in range(1, pages + 1)]
    assert all(q["page_size"] == ["10"] for q in sent)
    assert connector.progress() == (pages, None)


def test_offset_pagination_sends_offset_and_limit(api, api_context, people_fields):
    api.requests.clear()
    batches = read(
        {
            "url": api.url("/offset"),
            "records_path": "results",
            "pagination": {"type": "offset", "page_size": 10},
        },
        api_context,
        people_fields,
    )
    assert ids(batches) == list(range(25))
    assert [q["offset"] for q in api.queries("/offset")] == [["0"], ["10"], ["20"]]
    assert all(q["limit"] == ["10"] for q in api.queries("/offset"))


def test_cursor_pagination_follows_the_cursor_even_on_short_pages(api, api_context, people_fields):
    # the server caps pages at 7 records although 10 were asked: the cursor says go on
    api.requests.clear()
    batches = read(
        {
            "url": api.url("/cursor"),
            "records_path": "items",
            "pagination": {"type": "cursor", "page_size": 10, "next_cursor_path": "meta.next"},
        },
        api_context,
        people_fields,
    )
    assert ids(batches) == list(range(25))
    sent = api.queries("/cursor")
    assert "cursor" not in sent[0]
    assert [q["cursor"] for q in sent[1:]] == [["7"], ["14"], ["21"]]


def test_a_cursor_that_repeats_is_an_error_not_an_endless_loop(api, api_context, people_fields):
    with pytest.raises(SourceError, match="returned cursor 'again' twice"):
        read(
            {
                "url": api.url("/same-cursor"),
                "records_path": "items",
                "pagination": {"type": "cursor", "next_cursor_path": "next"},
            },
            api_context,
            people_fields,
        )


def test_max_pages_stops_with_an_error_rather_than_a_silent_cut(api, api_context, people_fields):
    with pytest.raises(SourceError, match="max_pages=2"):
        read(
            {
                "url": api.url("/page"),
                "records_path": "data.items",
                "pagination": {"type": "page", "page_size": 5},
                "max_pages": 2,
            },
            api_context,
            people_fields,
        )


def test_flaky_endpoint_is_retried_until_it_answers(api, api_context, people_fields):
    api.hits["flaky"] = 0
    batches = read(
        {"url": api.url("/flaky"), "retries": 3, "backoff": 0.01}, api_context, people_fields
    )
    assert ids(batches) == [1, 2]
    assert api.hits["flaky"] == 3


def test_retries_run_out_with_a_clear_error(api, api_context, people_fields):
    api.hits["flaky"] = 0
    with pytest.raises(SourceError, match=r"answered 503 Service Unavailable on each of 2"):
        read({"url": api.url("/flaky"), "retries": 1, "backoff": 0.01}, api_context, people_fields)


def test_retry_after_is_honoured(api, api_context, people_fields):
    api.hits["limited"] = 0
    started = time.monotonic()
    batches = read(
        {"url": api.url("/limited"), "retries": 2, "backoff": 0.01}, api_context, people_fields
    )
    assert ids(batches) == [1]
    assert time.monotonic() - started >= 1.0  # the server asked for one second


def test_timeout_is_reported(api, api_context, people_fields):
    with pytest.raises(SourceError, match=r"did not answer within 0.2s"):
        read({"url": api.url("/slow"), "timeout": 0.2}, api_context, people_fields)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", r"answered 404 Not Found; check `url:`"),  # wrong path
        ("/secret", r"401 Unauthorized; check the credentials"),  # no or bad token
        ("/html", r"did not answer JSON \(text/html; starts with '<html>login"),  # a login page
        ("/always-503", r"answered 503"),  # down for good (retries: 0)
        ("/not-a-list", r"records_path 'data.items' is an object, not a list"),  # path too short
    ],
)
def test_structural_http_problems(api, api_context, people_fields, path, message):
    records_path = "data.items" if path == "/not-a-list" else ""
    with pytest.raises(SourceError, match=message):
        read({"url": api.url(path), "records_path": records_path}, api_context, people_fields)


def test_unreachable_host_after_retries(api_context, people_fields):
    # a closed port on the allow-listed loopback address: connection refused each time
    with pytest.raises(SourceError, match=r"cannot reach .* \(2 attempt\(s\)\)"):
        read(
            {"url": "http://127.0.0.1:9/x", "retries": 1, "backoff": 0.01},
            api_context,
            people_fields,
        )


def test_headers_and_params_expand_env_references(api, api_context, people_fields):
    batches = read(
        {
            "url": api.url("/echo"),
            "headers": {"Authorization": "${env:API_TOKEN}"},
            "params": {"w": "ward-${env:API_TOKEN}"},
        },
        api_context,
        people_fields,
    )
    assert batches[0][0].values["full_name"] == "Bearer s3cret"
    assert batches[0][0].values["ward"] == "ward-Bearer s3cret"


def test_missing_env_variable_names_it(api, api_context, people_fields):
    with pytest.raises(SourceError, match="environment variable NOPE_TOKEN is not set"):
        read(
            {"url": api.url("/echo"), "headers": {"Authorization": "${env:NOPE_TOKEN}"}},
            api_context,
            people_fields,
        )


def test_describe_keeps_secrets_out(api, api_context, people_fields):
    connector = HttpConnector.from_source(
        SourceSpec(connector="http", url=api.url("/echo?key=${env:API_TOKEN}")),
        context=api_context,
        fields=people_fields,
    )
    assert connector.describe() == f"HTTP GET {api.url('/echo?key=${env:API_TOKEN}')}"


def test_columns_map_json_keys_and_absent_keys_are_null(api, api_context, people_fields):
    batches = read(
        {
            "url": api.url("/renamed"),
            "columns": {"so_cccd": "citizen_id", "ho_ten": "full_name", "phuong": "ward"},
        },
        api_context,
        people_fields,
    )
    rows = batches[0]
    assert rows[0].values == {"citizen_id": "001", "full_name": "An", "ward": "x"}
    assert rows[1].values == {"citizen_id": "002", "full_name": None, "ward": None}


def test_a_field_no_record_has_is_a_mapping_mistake(api, api_context, people_fields):
    with pytest.raises(SourceError, match=r"lack fields: citizen_id, full_name, ward"):
        read({"url": api.url("/renamed")}, api_context, people_fields)


def test_a_record_that_is_not_an_object_is_a_row_error(api, api_context, people_fields):
    rows = read({"url": api.url("/mixed")}, api_context, people_fields)[0]
    assert [r.error for r in rows] == [None, "record is not a JSON object (got a string)", None]
    assert [r.number for r in rows] == [1, 2, 3]


def test_post_sends_the_json_body(api, api_context, people_fields):
    api.requests.clear()
    read({"url": api.url("/list"), "method": "POST", "body": {"q": 1}}, api_context, people_fields)
    assert api.requests[-1][0] == "POST"
    assert api.requests[-1][3]["body"] == '{"q":1}'


# -- SSRF guard -------------------------------------------------------------------------


def test_loopback_is_refused_unless_allow_listed(api, tmp_path, people_fields):
    closed = ConnectorContext(base_dir=tmp_path, env={})
    api.requests.clear()
    with pytest.raises(SourceError, match=r"resolves to 127.0.0.1, a loopback address"):
        read({"url": api.url("/list")}, closed, people_fields)
    assert api.requests == []  # refused before connecting


def test_a_host_name_can_be_allow_listed(api, tmp_path, people_fields):
    by_name = ConnectorContext(base_dir=tmp_path, allowed_private_hosts=frozenset({"LOCALHOST"}))
    url = api.url("/list").replace("127.0.0.1", "localhost")
    assert len(ids(read({"url": url}, by_name, people_fields))) == 5


def test_localhost_by_name_is_refused_like_its_address(api, tmp_path, people_fields):
    closed = ConnectorContext(base_dir=tmp_path)
    with pytest.raises(SourceError, match="refusing to connect to 'localhost'"):
        read({"url": api.url("/list").replace("127.0.0.1", "localhost")}, closed, people_fields)


def test_a_redirect_is_checked_like_the_first_hop(api, api_context, people_fields):
    assert ids(read({"url": api.url("/redirect-ok")}, api_context, people_fields)) == list(range(5))
    with pytest.raises(SourceError, match=r"resolves to 127.0.0.2, a loopback address"):
        read({"url": api.url("/redirect-internal")}, api_context, people_fields)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),  # this machine
        ("::1", "loopback"),  # this machine, IPv6
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6 must not hide loopback
        ("10.1.2.3", "private"),  # RFC 1918
        ("192.168.1.1", "private"),  # RFC 1918
        ("fd00::1", "private"),  # unique local IPv6
        ("169.254.169.254", "link-local"),  # cloud metadata service
        ("fe80::1", "link-local"),  # IPv6 link-local
        ("224.0.0.1", "multicast"),  # multicast
        ("0.0.0.0", "unspecified"),  # reaches local services on Linux
        ("240.0.0.1", "reserved"),  # class E
        ("100.64.0.1", "non-public"),  # carrier-grade NAT: not global either
        ("8.8.8.8", None),  # public
        ("2001:4860:4860::8888", None),  # public IPv6
    ],
)
def test_internal_kind(address, kind):
    assert internal_kind(address) == kind


def test_vetted_addresses_allows_a_literal_ip_in_the_allow_list():
    assert vetted_addresses("127.0.0.1", 80, {"127.0.0.1"}) == ["127.0.0.1"]
    with pytest.raises(SourceError):
        vetted_addresses("127.0.0.1", 80, {"10.0.0.1"})


# -- options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"url": "ftp://example.org/x"}, ("source", "url")),  # only http(s)
        ({"url": "file:///etc/passwd"}, ("source", "url")),  # only http(s)
        ({"url": "https://x.org", "metod": "GET"}, ("source", "metod")),  # typo
        ({"url": "https://x.org", "method": "DELETE"}, ("source", "method")),  # not a reader
        (
            {"url": "https://x.org", "pagination": {"type": "cursor"}},
            ("source", "pagination"),
        ),  # cursor without next_cursor_path
        (
            {"url": "https://x.org", "pagination": {"type": "pages"}},
            ("source", "pagination", "type"),
        ),  # unknown pagination type
        ({"url": "https://x.org", "retries": -1}, ("source", "retries")),  # negative
    ],
)
def test_bad_options_point_at_the_option(options, path, context, people_fields):
    with pytest.raises(DocumentError) as caught:
        HttpConnector.from_source(
            SourceSpec(connector="http", **options), context=context, fields=people_fields
        )
    assert caught.value.problems[0].path == path


def test_progress_counts_pages_and_knows_the_total_only_without_pagination(
    api, api_context, people_fields
):
    connector = HttpConnector.from_source(
        SourceSpec(connector="http", url=api.url("/list")),
        context=api_context,
        fields=people_fields,
    )
    assert connector.progress() == (0, 1)
    list(connector.batches())
    assert connector.progress() == (1, 1)
    assert connector.unit == "pages"
