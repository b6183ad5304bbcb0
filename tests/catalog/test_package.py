"""The local catalog package: Frictionless structure, atomic replacement, refusals."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from catalog import package
from catalog.deidentify import DeidOptions, plan_deidentification
from catalog.errors import PackageError, ResidualPii
from catalog.package import PackageWriter, publish_local, read_package
from tests.catalog.conftest import FakeScanner, columns, context, descriptor_for

DESCRIPTOR = descriptor_for(
    "  - {name: id, type: string, label: Mã hồ sơ}\n"
    "  - {name: born, type: date, pii: DATE_OF_BIRTH, description: Date of birth.}\n"
    "  - {name: ward, type: string, label: Phường/xã}\n"
    "  - {name: visits, type: integer}\n"
    "  - {name: score, type: number}\n"
    "  - {name: active, type: boolean}\n"
    "  - {name: first_visit, type: date}\n"
    "  - {name: phone, type: string, pii: PHONE_NUMBER}\n"
    "  - {name: note, type: text}\n",
    "{quasi_identifiers: [born, ward], k: 2, license: cc-by-4.0, tags: [health]}",
)
HEADER = ("id", "born", "ward", "visits", "score", "active", "first_visit", "phone", "note")
ROWS = [
    (
        "r1",
        date(1990, 5, 17),
        "phuong-ben-thanh",
        3,
        1.5,
        True,
        date(2024, 1, 2),
        "0903000001",
        "gọi Lan",
    ),
    ("r2", date(1990, 8, 1), "phuong-ben-thanh", None, 2.0, False, None, "0903000002", None),
    ("r3", date(1991, 2, 3), "phuong-sai-gon", 1, None, None, date(2024, 3, 4), None, "ok"),
    ("r4", date(1991, 9, 9), "phuong-sai-gon", 7, 0.25, True, date(2025, 5, 6), "0903000004", "x"),
]
TABLE_TYPES = {"string", "number", "integer", "boolean", "date", "datetime"}


def plan_for(rows=ROWS):
    return plan_deidentification(
        DESCRIPTOR, [columns(HEADER, rows)], options=DeidOptions(max_suppression=0)
    )


def publish(catalog_dir, rows=ROWS, scanner=None, version="1.2.3"):
    plan = plan_for(rows)
    return publish_local(
        catalog_dir,
        descriptor=DESCRIPTOR,
        plan=plan,
        batches=[columns(HEADER, rows[:2]), columns(HEADER, rows[2:])],
        ctx=context(DESCRIPTOR),
        scanner=scanner or FakeScanner(),
        version=version,
    )


def snapshot(catalog_dir: Path) -> dict[str, bytes]:
    base = (catalog_dir / "test-data").resolve()
    return {p.name: p.read_bytes() for p in sorted(base.iterdir())}


def hidden(catalog_dir: Path) -> list[str]:
    return sorted(p.name for p in catalog_dir.iterdir() if p.name.startswith("."))


def assert_valid_package(path: Path) -> None:
    """Check a Tabular Data Package (v1) against the spec's requirements, by hand."""
    meta = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["profile"] == "tabular-data-package"
    assert re.fullmatch(r"[a-z0-9._-]+", meta["name"])
    assert meta["licenses"] and all("name" in lic or "path" in lic for lic in meta["licenses"])
    assert isinstance(meta["resources"], list) and meta["resources"]
    for resource in meta["resources"]:
        assert resource["profile"] == "tabular-data-resource"
        assert re.fullmatch(r"[a-z0-9._-]+", resource["name"])
        target = path / resource["path"]
        assert not Path(resource["path"]).is_absolute() and ".." not in resource["path"]
        raw = target.read_bytes()
        assert resource["bytes"] == len(raw)
        assert resource["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
        fields = resource["schema"]["fields"]
        assert all(f["type"] in TABLE_TYPES for f in fields)
        with target.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == [f["name"] for f in fields]
        for row in rows[1:]:
            assert len(row) == len(fields)
            for value, field in zip(row, fields, strict=True):
                assert value in resource["schema"]["missingValues"] or _casts(value, field["type"])


def _casts(value: str, kind: str) -> bool:
    checks = {
        "string": lambda v: True,
        "integer": lambda v: re.fullmatch(r"-?\d+", v),
        "number": lambda v: float(v) is not None,
        "boolean": lambda v: v in ("true", "false"),
        "date": date.fromisoformat,
    }
    return bool(checks[kind](value))


def test_package_layout_metadata_and_data(tmp_path):
    published = publish(tmp_path)
    path = tmp_path / "test-data"
    assert published.path == path and path.is_symlink()
    assert sorted(p.name for p in path.iterdir()) == ["data.csv", "datapackage.json"]
    assert_valid_package(path)

    meta, rows = read_package(tmp_path, "test-data")
    assert meta["name"] == "test-data" and meta["title"] == "Test data"
    assert meta["licenses"][0]["name"] == "CC-BY-4.0"
    assert meta["keywords"] == ["health"]
    fields = {f["name"]: f for f in meta["resources"][0]["schema"]["fields"]}
    assert list(fields) == ["born", "ward", "visits", "score", "active", "first_visit"]
    assert {n: f["type"] for n, f in fields.items()} == {
        "born": "string",  # generalized: labels such as 1990 or *
        "ward": "string",
        "visits": "integer",
        "score": "number",
        "active": "boolean",
        "first_visit": "date",
    }
    assert fields["ward"]["title"] == "Phường/xã"
    assert fields["born"]["description"].startswith("Date of birth. Generalized to year")
    civichub = meta["civichub"]
    assert civichub["hub_version"] == "1.2.3"
    expected = plan_for().report.to_dict()
    assert civichub["report"]["search"].pop("seconds") >= 0
    assert expected["search"].pop("seconds") >= 0
    assert civichub["report"] == expected
    assert civichub["residual_scan"]["findings"] == 0
    assert rows == [
        ["born", "ward", "visits", "score", "active", "first_visit"],
        ["1990", "Phường Bến Thành, Thành phố Hồ Chí Minh", "3", "1.5", "true", "2024-01-02"],
        ["1990", "Phường Bến Thành, Thành phố Hồ Chí Minh", "", "2.0", "false", ""],
        ["1991", "Phường Sài Gòn, Thành phố Hồ Chí Minh", "1", "", "", "2024-03-04"],
        ["1991", "Phường Sài Gòn, Thành phố Hồ Chí Minh", "7", "0.25", "true", "2025-05-06"],
    ]
    raw = (path / "data.csv").read_bytes() + (path / "datapackage.json").read_bytes()
    for secret in ("0903000001", "r1", "gọi Lan", "1990-05-17"):
        assert secret.encode() not in raw


def test_publishing_again_replaces_the_package(tmp_path):
    publish(tmp_path)
    first = os.readlink(tmp_path / "test-data")
    changed = [(*row[:3], 99, *row[4:]) for row in ROWS]
    publish(tmp_path, rows=changed)
    assert os.readlink(tmp_path / "test-data") != first
    assert hidden(tmp_path) == [os.readlink(tmp_path / "test-data")]  # old version gone
    _, rows = read_package(tmp_path, "test-data")
    assert {row[2] for row in rows[1:]} == {"99"}


def test_crash_after_the_data_file_keeps_the_old_package(tmp_path, monkeypatch):
    publish(tmp_path)
    before = snapshot(tmp_path)

    def crash(path, document):
        raise OSError("disk full while writing datapackage.json")

    monkeypatch.setattr(package, "_write_json", crash)
    with pytest.raises(OSError, match="disk full"):
        publish(tmp_path, rows=[(*row[:3], 99, *row[4:]) for row in ROWS])
    assert snapshot(tmp_path) == before
    assert hidden(tmp_path) == [os.readlink(tmp_path / "test-data")]  # build removed


def test_hard_crash_leaves_old_package_and_a_build_swept_later(tmp_path, monkeypatch):
    publish(tmp_path)
    before = snapshot(tmp_path)
    # a process killed mid-write: the build directory is never cleaned up by it
    writer = PackageWriter(tmp_path, DESCRIPTOR, plan_for()).__enter__()
    writer.write(
        columns(
            ("born", "ward", "visits", "score", "active", "first_visit"),
            [("1990", "x", 1, 1.0, True, None)],
        )
    )
    assert snapshot(tmp_path) == before
    assert len(hidden(tmp_path)) == 2
    monkeypatch.setattr(package, "STALE_AFTER", -1.0)  # pretend an hour went by
    publish(tmp_path)
    assert hidden(tmp_path) == [os.readlink(tmp_path / "test-data")]


def test_residual_pii_publishes_nothing(tmp_path):
    scanner = FakeScanner({"Sài Gòn": "LOCATION", "0.25": "X"})
    # the ward labels are tolerated (official names); the score is not
    with pytest.raises(ResidualPii) as err:
        publish(tmp_path, scanner=scanner)
    assert err.value.triples == [(3, "score", "X")]
    assert list(tmp_path.iterdir()) == []  # no package, no build left
    publish(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ResidualPii):
        publish(tmp_path, scanner=scanner)
    assert snapshot(tmp_path) == before


def test_a_plain_directory_in_the_way_is_replaced(tmp_path):
    (tmp_path / "test-data").mkdir()
    (tmp_path / "test-data" / "stale.txt").write_text("old")
    publish(tmp_path)
    assert (tmp_path / "test-data").is_symlink()
    assert not (tmp_path / "test-data" / "stale.txt").exists()
    assert hidden(tmp_path) == [os.readlink(tmp_path / "test-data")]


def test_reading_a_missing_package_is_a_clear_error(tmp_path):
    with pytest.raises(PackageError, match="'nope' is not published"):
        read_package(tmp_path, "nope")
