"""Shared pieces of connectors/base.py: context, env references, column mapping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.base import ConnectorContext, RawRow, map_columns
from connectors.descriptor import FieldSpec, FieldType
from connectors.errors import SourceError

FIELDS = [FieldSpec(name=n, type=FieldType.string) for n in ("citizen_id", "phone", "ward")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${env:TOKEN}", "abc"),  # the whole value
        ("Bearer ${env:TOKEN}", "Bearer abc"),  # inside a value
        ("${env:TOKEN}-${env:OTHER}", "abc-xyz"),  # several
        ("no reference", "no reference"),  # untouched
        ("$TOKEN and {env:TOKEN}", "$TOKEN and {env:TOKEN}"),  # near misses are literal
    ],
)
def test_expand(value, expected):
    context = ConnectorContext(base_dir=Path("."), env={"TOKEN": "abc", "OTHER": "xyz"})
    assert context.expand(value) == expected


def test_expand_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("CIVICHUB_TEST_SECRET", "from-env")
    context = ConnectorContext(base_dir=Path("."))
    assert context.env is os.environ
    assert context.expand("${env:CIVICHUB_TEST_SECRET}") == "from-env"


def test_expand_names_a_missing_variable():
    with pytest.raises(SourceError, match=r"environment variable DB_URL is not set"):
        ConnectorContext(base_dir=Path("."), env={}).expand("${env:DB_URL}")


def test_resolve_path_is_relative_to_base_dir(tmp_path):
    assert ConnectorContext(base_dir=tmp_path).resolve_path("a/b.csv") == tmp_path / "a/b.csv"


def test_no_allowed_roots_means_nothing_is_readable(tmp_path):
    with pytest.raises(SourceError, match=r"\(none configured\)"):
        ConnectorContext(base_dir=tmp_path, allowed_roots=()).resolve_path("a.csv")


def test_raw_row_has_no_error_by_default():
    assert RawRow(1, {}).error is None


def test_map_columns_pairs_positions_and_ignores_extras():
    pairs = map_columns(["x", "ward", "citizen_id", "sdt"], FIELDS, {"sdt": "phone"}, what="t")
    assert pairs == [(2, "citizen_id"), (3, "phone"), (1, "ward")]


def test_map_columns_strips_header_whitespace():
    assert map_columns([" citizen_id ", "phone", "ward"], FIELDS, {}, what="t")[0] == (
        0,
        "citizen_id",
    )


def test_a_column_renamed_away_no_longer_feeds_its_namesake():
    with pytest.raises(SourceError, match="t lacks fields: phone"):
        map_columns(["citizen_id", "phone", "ward"], FIELDS, {"phone": "ward"}, what="t")


def test_long_headers_are_shortened_in_messages():
    header = [f"col{i}" for i in range(100)]
    with pytest.raises(SourceError, match=r"col24, … \(100 in all\)\); map them"):
        map_columns(header, FIELDS, {}, what="t")
