"""CSV exports cannot smuggle spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from hub.records.formats import csv_cell

STEWARD = {
    "agency": "so-xay-dung",
    "roles": ("steward",),
    "scopes": ("datasets:write", "policies:write"),
}
DESCRIPTOR = """\
id: complaints
title: Complaints
agency: so-xay-dung
classification: internal
primary_key: id
source: {connector: csv, path: complaints.csv}
fields:
  - {name: id, type: integer}
  - {name: subject, type: string}
"""
POLICY = """\
dataset: complaints
rules:
  - id: read-all
    agencies: [so-xay-dung]
    roles: [officer]
    purposes: [complaint-handling]
    fields: {id: keep, subject: keep}
"""
# (leading tab/CR are stripped from `string` fields at ingest; csv_cell covers them above)
NASTY = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),  # formula
        ("+84903123456", "'+84903123456"),  # looks like a phone, still neutralized
        ("-5", "'-5"),  # text starting with minus
        ("@cmd", "'@cmd"),  # Lotus-style
        ("\t=1", "'\t=1"),  # tab first (free text keeps it)
        ("\r=1", "'\r=1"),  # carriage return first
        ("plain", "plain"),  # untouched
        (-5, -5),  # a real number stays a number
        (None, ""),  # null is an empty cell
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def test_export_neutralizes_formulas(client, token):
    steward = {"Authorization": f"Bearer {token(**STEWARD)}"}
    client.post(
        "/v1/datasets", content=DESCRIPTOR, headers={**steward, "Content-Type": "application/yaml"}
    )
    body = "id,subject\n" + "".join(
        f'{i},"{v.replace(chr(34), chr(34) * 2)}"\n' for i, v in enumerate(NASTY)
    )
    ingest = client.post(
        "/v1/datasets/complaints/ingest",
        content=body.encode(),
        headers={**steward, "Content-Type": "text/csv"},
    )
    assert ingest.json()["rows_written"] == len(NASTY), ingest.text
    client.put(
        "/v1/datasets/complaints/policy",
        content=POLICY,
        headers={**steward, "Content-Type": "application/yaml"},
    )
    officer = {"Authorization": f"Bearer {token(agency='so-xay-dung')}"}
    response = client.get(
        "/v1/datasets/complaints/records",
        params={"purpose": "complaint-handling", "format": "csv"},
        headers=officer,
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["subject"][0] for r in rows] == ["'"] * len(NASTY)
    # JSON is not a spreadsheet: values come back exactly as stored
    page = client.get(
        "/v1/datasets/complaints/records", params={"purpose": "complaint-handling"}, headers=officer
    )
    assert sorted(r["subject"] for r in page.json()["records"]) == sorted(v.strip() for v in NASTY)
