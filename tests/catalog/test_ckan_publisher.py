"""The CKAN publisher against a real CKAN 2.12 with the DataStore (the ``ckan`` fixture).

What is checked is what a developer using the open data sees: the organization, the
package and its extras, one current CSV resource that downloads with the published
content, and the same rows in the DataStore with their data dictionary; and that a
republication replaces all of it without a moment where readers see a partial table.
Each test publishes its own dataset id, so tests share the session's CKAN safely.
"""

from __future__ import annotations

import csv
import dataclasses
import http.server
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import httpx
import pytest
import requests
from pydantic import SecretStr

from catalog.ckan import CURRENT, ROLE, CkanPublication, CkanPublisher, DataField
from catalog.ckan_errors import (
    CkanConfigurationError,
    CkanIncompatible,
    CkanInvalidPublication,
    CkanNotAuthorized,
    CkanRejected,
    CkanServerError,
    CkanUnreachable,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LOCAL = frozenset({"127.0.0.1"})

FIELDS = [
    DataField("ward", "text", "Phường", "Phường/xã (đơn vị hành chính 2025)"),
    DataField("age_band", "text", "Nhóm tuổi", "Tuổi, gộp theo nhóm 10 năm"),
    DataField("households", "int", "Số hộ", "Số hộ gia đình trong nhóm"),
    DataField("income", "numeric", "Thu nhập", "Thu nhập bình quân, triệu đồng/tháng"),
    DataField("surveyed_on", "date", "Ngày khảo sát", ""),
    DataField("row_key", "text", "Khoá dòng", "Bí danh ổn định của dòng"),
]
COLUMNS = [f.id for f in FIELDS]


def make_rows(n: int, *, income: float = 12.5, offset: int = 0) -> list[dict[str, Any]]:
    wards = ["Phường Bến Thành", "Phường Sài Gòn", "Xã Bình Chánh"]
    return [
        {
            "ward": wards[i % 3],
            "age_band": f"{(i % 7) * 10}-{(i % 7) * 10 + 9}",
            "households": offset + i,
            "income": income + i,
            "surveyed_on": f"2025-07-{i % 28 + 1:02d}",
            "row_key": f"k{offset + i:05d}",
        }
        for i in range(n)
    ]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


class Dataset:
    """Publications of one dataset id, each with its own CSV under tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        self.id = f"ho-gia-dinh-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp_path
        self.count = 0

    def publication(
        self, rows: list[dict[str, Any]], *, batch: int = 50, k: str = "5", batches=None
    ) -> CkanPublication:
        self.count += 1
        path = write_csv(self.tmp / f"{self.id}-{self.count}.csv", rows)
        return CkanPublication(
            agency_code="thong-ke",
            agency_title="Cục Thống kê TP. Hồ Chí Minh",
            dataset_id=self.id,
            title="Hộ gia đình theo phường (mở)",
            notes="Bản đã khử định danh của sổ hộ gia đình.",
            license_id="cc-by",
            csv_path=path,
            fields=FIELDS,
            batches=batches if batches is not None else chunks(rows, batch),
            tags=["dân số", "open-data"],
            extras={
                "k": k,
                "suppressed_rows": "3",
                "max_risk": "0.2",
                "avg_risk": "0.05",
                "source_agency": "cong-an",
                "hub_version": "0.1.0",
                "update_frequency": "monthly",
            },
            primary_key=["row_key"],
        )


def chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@pytest.fixture
def publisher(ckan) -> Iterator[CkanPublisher]:
    token = SecretStr(ckan.api_token)  # as the hub's settings hold it
    with CkanPublisher(
        ckan.url, token, timeout=30, allowed_private_hosts=LOCAL, batch_rows=40
    ) as pub:
        yield pub


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return Dataset(tmp_path)


def current_state(client: ckanapi.RemoteCKAN, dataset_id: str) -> dict[str, Any]:
    """What a reader sees: the package, its current resource and that resource's rows."""
    package = client.action.package_show(id=dataset_id)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    current = next(r for r in package["resources"] if r["id"] == extras[CURRENT])
    table = client.action.datastore_search(resource_id=current["id"], limit=1000, sort="row_key")
    return {"package": package, "extras": extras, "resource": current, "table": table}


def assert_one_current(state: dict[str, Any]) -> None:
    resources = state["package"]["resources"]
    assert [r["id"] for r in resources] == [state["resource"]["id"]]
    assert resources[0][ROLE] == "current"


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DataStore answers numbers and dates as JSON values; compare through str."""
    return [{k: str(v) for k, v in row.items() if k != "_id"} for row in rows]


# -- first publication ----------------------------------------------------------------


def test_first_publish_creates_organization_package_resource_and_datastore(
    ckan, publisher, dataset
):
    rows = make_rows(95)  # three DataStore batches of 40, 40, 15
    ref = publisher.publish(dataset.publication(rows))

    org = ckan.client.action.organization_show(id="thong-ke")
    assert org["title"] == "Cục Thống kê TP. Hồ Chí Minh"
    state = current_state(ckan.client, dataset.id)
    package = state["package"]
    assert ref.created and ref.package_id == package["id"] and ref.package_name == dataset.id
    assert package["organization"]["name"] == "thong-ke"
    assert package["private"] is False and package["state"] == "active"
    assert package["title"] == "Hộ gia đình theo phường (mở)"
    assert package["license_id"] == "cc-by"
    assert sorted(t["name"] for t in package["tags"]) == ["dân số", "open-data"]
    assert state["extras"] == {
        "k": "5",
        "suppressed_rows": "3",
        "max_risk": "0.2",
        "avg_risk": "0.05",
        "source_agency": "cong-an",
        "hub_version": "0.1.0",
        "update_frequency": "monthly",
        CURRENT: ref.resource_id,
    }
    assert_one_current(state)
    resource = state["resource"]
    assert resource["id"] == ref.resource_id and resource["url"] == ref.resource_url
    assert resource["format"] == "CSV" and resource["name"] == f"{dataset.id}.csv"
    assert resource["datastore_active"] is True

    info = ckan.client.action.datastore_info(id=ref.resource_id)
    dictionary = {f["id"]: f for f in info["fields"]}
    assert list(dictionary) == COLUMNS
    assert {k: f["type"] for k, f in dictionary.items()} == {
        "ward": "text",
        "age_band": "text",
        "households": "int4",
        "income": "numeric",
        "surveyed_on": "date",
        "row_key": "text",
    }
    assert dictionary["ward"]["info"] == {
        "label": "Phường",
        "notes": "Phường/xã (đơn vị hành chính 2025)",
    }
    assert dictionary["income"]["info"]["notes"] == "Thu nhập bình quân, triệu đồng/tháng"
    assert info["meta"]["count"] == 95 == ref.rows
    table = state["table"]
    assert table["total"] == 95
    assert comparable(table["records"]) == comparable(rows)
    assert table["records"][0]["ward"] == "Phường Bến Thành"


def test_csv_resource_downloads_with_the_published_content(ckan, publisher, dataset):
    publication = dataset.publication(make_rows(12))
    ref = publisher.publish(publication)

    response = httpx.get(ref.resource_url, timeout=30)
    assert response.status_code == 200
    assert response.content == Path(publication.csv_path).read_bytes()
    assert ref.resource_url.endswith(f"/download/{dataset.id}.csv")


def test_columns_batches_and_empty_dataset(ckan, publisher, dataset):
    rows = make_rows(3)
    as_columns = {name: [row[name] for row in rows] for name in COLUMNS}
    publisher.publish(dataset.publication(rows, batches=[as_columns]))
    assert comparable(current_state(ckan.client, dataset.id)["table"]["records"]) == comparable(
        rows
    )

    publisher.publish(dataset.publication([], batches=[]))  # no rows: a table all the same
    state = current_state(ckan.client, dataset.id)
    assert state["table"]["total"] == 0
    assert [f["id"] for f in state["table"]["fields"]] == ["_id", *COLUMNS]


# -- republication ----------------------------------------------------------------------


def test_republish_replaces_the_data_in_the_same_package(ckan, publisher, dataset):
    first = publisher.publish(dataset.publication(make_rows(30)))
    new_rows = make_rows(7, income=99.0, offset=500)
    second = publisher.publish(dataset.publication(new_rows, k="10"))

    assert second.package_id == first.package_id and not second.created
    assert second.resource_id != first.resource_id
    assert second.replaced == (first.resource_id,) and second.leftovers == ()
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == second.resource_id
    assert state["extras"]["k"] == "10"
    assert state["table"]["total"] == 7
    assert comparable(state["table"]["records"]) == comparable(new_rows)
    with pytest.raises(ckanapi.NotFound):
        ckan.client.action.resource_show(id=first.resource_id)
    with pytest.raises(ckanapi.NotFound):  # its DataStore table went with it
        ckan.client.action.datastore_search(resource_id=first.resource_id)


class FaultyClient:
    """Wraps the publisher's ckanapi client: fails chosen calls once, records all calls.

    ``fail`` makes a call fail before it reaches CKAN, ``lose`` after CKAN did it (the
    answer is lost, as on a timeout).
    """

    def __init__(
        self,
        real: ckanapi.RemoteCKAN,
        fail: dict[str, Exception],
        *,
        lose: dict[str, Exception] | None = None,
        on_call=None,
    ):
        self.real, self.fail, self.lose, self.on_call = real, dict(fail), dict(lose or {}), on_call
        self.calls: list[str] = []

    def call_action(self, action: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(action)
        if self.on_call:
            self.on_call(action)
        if action in self.fail:
            raise self.fail.pop(action)
        result = self.real.call_action(action, *args, **kwargs)
        if action in self.lose:
            raise self.lose.pop(action)
        return result

    def close(self) -> None:
        self.real.close()


def test_rejected_batch_half_way_leaves_previous_publication_and_rerun_converges(
    ckan, publisher, dataset
):
    old_rows = make_rows(20)
    first = publisher.publish(dataset.publication(old_rows))
    before = current_state(ckan.client, dataset.id)

    bad = make_rows(100, offset=1000)
    bad[57]["households"] = "nhiều"  # row 58: in the second batch of 40 rows
    with pytest.raises(CkanRejected) as caught:
        publisher.publish(dataset.publication(bad, k="9"))
    message = str(caught.value)
    assert "datastore_upsert in batch 2 (rows 41-80)" in message
    assert 'invalid input syntax for type integer: "nhiều"' in message
    assert "data dictionary" in message

    after = current_state(ckan.client, dataset.id)
    assert after["package"]["resources"] == before["package"]["resources"]
    assert after["extras"] == before["extras"]
    assert_one_current(after)
    assert after["resource"]["id"] == first.resource_id
    assert comparable(after["table"]["records"]) == comparable(old_rows)

    bad[57]["households"] = 1057
    rerun = publisher.publish(dataset.publication(bad, k="9"))
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == rerun.resource_id and state["extras"]["k"] == "9"
    assert state["table"]["total"] == 100


def test_readers_see_the_complete_old_table_until_the_switch(ckan, publisher, dataset):
    old_rows = make_rows(10)
    first = publisher.publish(dataset.publication(old_rows))
    seen: list[dict[str, Any]] = []

    def look(action: str) -> None:  # a reader, between the DataStore batches
        if action == "datastore_upsert":
            seen.append(current_state(ckan.client, dataset.id))

    publisher._client = FaultyClient(publisher._client, {}, on_call=look)
    second = publisher.publish(dataset.publication(make_rows(120, offset=300)))

    assert len(seen) == 2  # batches 2 and 3
    for state in seen:
        assert state["resource"]["id"] == first.resource_id
        assert state["table"]["total"] == 10
        assert comparable(state["table"]["records"]) == comparable(old_rows)
        staging = [r for r in state["package"]["resources"] if r[ROLE] == "staging"]
        assert len(staging) == 1 and staging[0]["name"].endswith("(loading)")
    assert current_state(ckan.client, dataset.id)["resource"]["id"] == second.resource_id


def test_connection_lost_half_way_leaves_previous_publication_and_rerun_converges(
    ckan, publisher, dataset
):
    old_rows = make_rows(15)
    first = publisher.publish(dataset.publication(old_rows))
    publisher._client = FaultyClient(
        publisher._client, {"datastore_upsert": requests.ConnectionError("Connection refused")}
    )
    with pytest.raises(CkanUnreachable, match="did not answer datastore_upsert"):
        publisher.publish(dataset.publication(make_rows(90, offset=100)))
    assert "resource_delete" in publisher._client.calls  # the half-built resource went

    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == first.resource_id
    assert comparable(state["table"]["records"]) == comparable(old_rows)

    publisher.publish(dataset.publication(make_rows(90, offset=100)))
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["table"]["total"] == 90


@pytest.mark.parametrize("lost", [False, True], ids=["switch-failed", "switch-answer-lost"])
def test_failure_at_the_switch_is_told_from_a_lost_answer(ckan, publisher, dataset, lost):
    old_rows, new_rows = make_rows(6), make_rows(9, offset=50)
    first = publisher.publish(dataset.publication(old_rows))
    timeout = requests.ReadTimeout("Read timed out. (read timeout=30)")
    fault = {"package_patch": timeout}
    publisher._client = FaultyClient(
        publisher._client, {} if lost else fault, lose=fault if lost else None
    )

    if lost:  # CKAN switched: the publication succeeded, the new resource stays
        ref = publisher.publish(dataset.publication(new_rows))
        expected_id, expected_rows = ref.resource_id, new_rows
    else:  # CKAN did not: the new resource goes, the previous publication stays
        with pytest.raises(CkanUnreachable, match="did not answer package_patch"):
            publisher.publish(dataset.publication(new_rows))
        expected_id, expected_rows = first.resource_id, old_rows
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == expected_id
    assert comparable(state["table"]["records"]) == comparable(expected_rows)


def test_row_source_failing_half_way_leaves_previous_publication(ckan, publisher, dataset):
    first = publisher.publish(dataset.publication(make_rows(5)))

    def batches() -> Iterator[list[dict[str, Any]]]:
        yield make_rows(40)
        raise RuntimeError("de-identification stream broke")

    with pytest.raises(RuntimeError, match="stream broke"):
        publisher.publish(dataset.publication(make_rows(80), batches=batches()))
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == first.resource_id and state["table"]["total"] == 5


def test_crash_leftovers_are_removed_by_the_next_publication(ckan, publisher, dataset):
    first = publisher.publish(dataset.publication(make_rows(5)))
    crash = requests.ConnectionError("Connection refused")
    publisher._client = FaultyClient(
        publisher._client,
        # the load fails, and so does the clean-up: as if the hub died half-way
        {"datastore_upsert": crash, "resource_delete": requests.ConnectionError("gone")},
    )
    with pytest.raises(CkanUnreachable):
        publisher.publish(dataset.publication(make_rows(60)))
    package = ckan.client.action.package_show(id=dataset.id)
    roles = sorted(r[ROLE] for r in package["resources"])
    assert roles == ["current", "staging"]  # the previous publication still current
    assert current_state(ckan.client, dataset.id)["resource"]["id"] == first.resource_id

    ref = publisher.publish(dataset.publication(make_rows(8)))
    state = current_state(ckan.client, dataset.id)
    assert_one_current(state)
    assert state["resource"]["id"] == ref.resource_id and state["table"]["total"] == 8


def test_rows_not_matching_the_csv_publish_nothing(ckan, publisher, dataset):
    rows = make_rows(10)
    publication = dataset.publication(rows, batches=[rows[:9]])
    with pytest.raises(CkanInvalidPublication, match="the CSV has 10 rows, 9 rows were sent"):
        publisher.publish(publication)
    package = ckan.client.action.package_show(id=dataset.id)
    assert package["private"] is True and package["resources"] == []  # never shown

    publisher.publish(dataset.publication(rows))
    state = current_state(ckan.client, dataset.id)
    assert state["package"]["private"] is False and state["table"]["total"] == 10


# -- configuration and connection errors ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000",  # loopback
        "http://localhost:5000",  # a name for loopback
        "http://[::1]:5000",  # IPv6 loopback
        "http://169.254.169.254",  # link-local: cloud metadata service
        "http://10.1.2.3",  # private network
        "http://0.0.0.0:5000",  # unspecified
    ],
)
def test_internal_url_is_refused_before_any_request(url):
    with pytest.raises(CkanConfigurationError, match="CIVICHUB_ALLOW_PRIVATE_HOSTS"):
        CkanPublisher(url, "token")


@pytest.mark.parametrize(
    ("url", "token", "fix"),
    [
        ("ftp://ckan.example.org", "t", "not an http"),  # wrong scheme
        ("https://user:pw@ckan.example.org", "t", "CIVICHUB_CKAN_API_TOKEN"),  # credentials
        ("https://ckan.example.org", "", "set CIVICHUB_CKAN_API_TOKEN"),  # no token
    ],
)
def test_unusable_configuration_is_refused(url, token, fix):
    with pytest.raises(CkanConfigurationError, match=fix):
        CkanPublisher(url, token)


def test_dns_answer_changing_to_loopback_is_refused_on_connect(monkeypatch, dataset):
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # public first, loopback after

    def fake(host, port, *args, **kwargs):
        if host != "ckan.example.org":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    publisher = CkanPublisher("http://ckan.example.org", "token", timeout=5)
    with pytest.raises(CkanConfigurationError, match=r"resolves to 127\.0\.0\.1, a loopback"):
        publisher.publish(dataset.publication(make_rows(1)))


def test_unreachable_ckan_is_a_clear_error(dataset):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends
    publisher = CkanPublisher(f"http://127.0.0.1:{port}", "token", allowed_private_hosts=LOCAL)
    with pytest.raises(CkanUnreachable) as caught:
        publisher.publish(dataset.publication(make_rows(1)))
    assert f"CKAN at http://127.0.0.1:{port} did not answer" in str(caught.value)
    assert "connection refused" in str(caught.value) and "CIVICHUB_CKAN_URL" in str(caught.value)


def test_silent_ckan_times_out_with_a_clear_error(dataset):
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        publisher = CkanPublisher(
            f"http://127.0.0.1:{port}", "token", timeout=0.5, allowed_private_hosts=LOCAL
        )
        with pytest.raises(CkanUnreachable, match="timed out"):
            publisher.publish(dataset.publication(make_rows(1)))


class _Answer(http.server.BaseHTTPRequestHandler):
    status, headers, body = 200, {}, b""

    def do_POST(self) -> None:
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("status", "headers", "body", "error", "says"),
    [
        (  # http -> https: the URL is wrong, and the token must not follow a redirect
            301,
            {"Location": "https://ckan.example.org/api/action/status_show"},
            b"",
            CkanConfigurationError,
            "redirect to 'https://ckan.example.org/api/action/status_show'",
        ),
        (503, {}, b"down", CkanUnreachable, "unavailable (HTTP 503"),  # a proxy, CKAN down
        (500, {}, b"{}", CkanServerError, "HTTP 500); CKAN's log says why"),  # CKAN broke
        (  # a web site, not CKAN's API
            200,
            {"Content-Type": "text/html"},
            b"<html>hello</html>",
            CkanIncompatible,
            "check that CIVICHUB_CKAN_URL is the CKAN site root",
        ),
    ],
)
def test_answers_that_are_not_ckan_are_clear_errors(dataset, status, headers, body, error, says):
    handler = type("H", (_Answer,), {"status": status, "headers_out": headers, "body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        publisher = CkanPublisher(url, "token", timeout=5, allowed_private_hosts=LOCAL)
        with publisher, pytest.raises(error) as caught:
            publisher.publish(dataset.publication(make_rows(1)))
        assert says in str(caught.value)
    finally:
        server.shutdown()
        server.server_close()


def test_token_without_rights_is_told_what_to_use(ckan, dataset):
    publisher = CkanPublisher(ckan.url, "not-a-token", allowed_private_hosts=LOCAL)
    publication = dataclasses.replace(
        dataset.publication(make_rows(2)), agency_code=f"so-moi-{uuid.uuid4().hex[:6]}"
    )
    with pytest.raises(CkanNotAuthorized, match="token of a sysadmin"):
        publisher.publish(publication)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (  # a hub field type, not a DataStore one
            {"fields": [*FIELDS[:-1], DataField("row_key", "string")]},
            "field 'row_key' has type 'string'; DataStore types are bool, date, int",
        ),
        ({"primary_key": ["citizen_id"]}, "primary key ['citizen_id'] is not in the data"),
        ({"dataset_id": "Hộ Gia Đình"}, "dataset id 'Hộ Gia Đình' is not a CKAN name"),
        ({"agency_code": "x"}, "agency code 'x' is not a CKAN name"),
        ({"extras": {"k": 5}}, "extras must be strings: ['k']"),
        ({"csv_path": Path("/nonexistent/x.csv")}, "CSV file /nonexistent/x.csv does not exist"),
    ],
)
def test_invalid_publication_is_refused_before_any_request(dataset, change, problem):
    publication = dataset.publication(make_rows(1))
    publication = dataclasses.replace(publication, **change)
    publisher = CkanPublisher("http://ckan.invalid", "token")  # nothing answers there
    with pytest.raises(CkanInvalidPublication) as caught:
        publisher.publish(publication)
    assert problem in str(caught.value)
