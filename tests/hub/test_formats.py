"""How treated records are written as JSON and NDJSON (what API clients parse)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hub.records import formats

RECORD = {
    "full_name": "Nguyễn Văn An",
    "date_of_birth": date(1990, 5, 1),
    "seen_at": datetime(2024, 5, 1, 1, 30, tzinfo=UTC),
    "local": datetime(2024, 5, 1, 8, 30, 0, 12, tzinfo=timezone(timedelta(hours=7))),
    "phone": None,
    "score": 12.5,
    "amount": Decimal("1.10"),
    "verified": True,
}


def test_json_is_compact_utf8_with_iso_dates_and_exact_decimals():
    text = formats.dumps(RECORD).decode("utf-8")
    assert "Nguyễn Văn An" in text  # not \\u-escaped
    assert ", " not in text and ": " not in text
    assert json.loads(text) == {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-01",
        "seen_at": "2024-05-01T01:30:00+00:00",
        "local": "2024-05-01T08:30:00.000012+07:00",
        "phone": None,
        "score": 12.5,
        "amount": "1.10",  # its text: a float would read back as 1.1
        "verified": True,
    }


def test_ndjson_is_one_object_per_line_in_order():
    batches = [[RECORD, {"full_name": "B"}], [], [{"full_name": "C"}]]
    body = b"".join(formats.ndjson(batches)).decode("utf-8")
    lines = body.split("\n")
    assert lines[-1] == ""  # every line ends with a newline, the last one too
    names = [json.loads(line)["full_name"] for line in lines[:-1]]
    assert names == ["Nguyễn Văn An", "B", "C"]


def test_keys_that_are_not_text_become_text_as_json_dumps_makes_them():
    assert json.loads(formats.dumps({"counts": {5: 10, 10: 2}})) == {"counts": {"5": 10, "10": 2}}
